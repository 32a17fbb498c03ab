#!/usr/bin/python3
"""The one-way rule of docs/architecture.md, checked: every #include "dir/..." in src/ must name
a layer its own layer may use. Prints one line per crossing the wrong way and exits 1 if any;
otherwise prints how many includes were checked and exits 0.

    tests/layers.py [SRC_DIR]
"""
import os
import re
import sys

# what each layer may include besides itself (docs/architecture.md keeps this table in prose)
ALLOWED = {
    "util": set(),
    "crypto": {"util"},
    "tlog": {"util", "crypto"},
    "store": {"util", "crypto"},
    "core": {"util", "crypto", "tlog", "store"},
    "http": {"util"},
    "smtp": {"util"},
    "api": {"util", "crypto", "tlog", "store", "core", "http"},
    "cmd": {"util", "crypto", "tlog", "store", "core", "http", "api", "smtp"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/[^"]+"', re.M)


def crossings(src):
    bad, checked = [], 0
    for layer in sorted(os.listdir(src)):
        top = os.path.join(src, layer)
        if not os.path.isdir(top):
            continue  # main.c wires everything: it may include any layer
        if layer not in ALLOWED:
            bad.append("%s/: a layer docs/architecture.md does not name" % layer)
            continue
        for root, _, files in os.walk(top):
            for name in sorted(files):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as f:
                    text = f.read()
                for m in INCLUDE.finditer(text):
                    checked += 1
                    to = m.group(1)
                    if to != layer and to not in ALLOWED[layer]:
                        line = text.count("\n", 0, m.start()) + 1
                        bad.append("%s:%d: %s includes %s/, which it may not" % (
                            os.path.relpath(path, os.path.dirname(src)), line, layer, to))
    return bad, checked


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "src")
    bad, checked = crossings(os.path.normpath(src))
    for b in bad:
        print(b)
    if bad:
        return 1
    print("%d includes checked, none crossing a layer the wrong way" % checked)
    return 0


if __name__ == "__main__":
    sys.exit(main())
