#!/usr/bin/python3
"""The one-way rule of docs/architecture.md, checked: every #include "dir/..." in src/ must name
a layer its own layer may use; and the web interface's modules (web/js/) import one another
without a circle, and each is embedded (web/meson.build). Prints one line per crossing the wrong way or circle and exits 1 if any;
otherwise prints how many includes and imports were checked and exits 0.

    tests/layers.py [SRC_DIR [WEB_JS_DIR]]
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
    "core": {"util", "crypto", "tlog", "store", "net"},
    "http": {"util"},
    "smtp": {"util"},
    "net": {"util"},
    "doc": {"util"},
    "witness": {"util", "crypto", "tlog", "http"},
    "api": {"util", "crypto", "tlog", "store", "core", "http", "net", "doc"},
    "cmd": {"util", "crypto", "tlog", "store", "core", "http", "api", "smtp", "net", "doc",
            "witness"},
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


IMPORT = re.compile(r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]\./([\w.-]+\.js)['"]""", re.M)


def circles(js):
    """Every import cycle among the modules of @js, each once, as 'a.js -> b.js -> a.js'; and
    every module web/meson.build does not embed (the server would answer 404 for it)."""
    graph, checked = {}, 0
    with open(os.path.join(js, "..", "meson.build"), encoding="utf-8") as f:
        embedded = set(re.findall(r"'js/([\w.-]+\.js)'", f.read()))
    for name in sorted(os.listdir(js)):
        if name.endswith(".js"):
            with open(os.path.join(js, name), encoding="utf-8") as f:
                graph[name] = sorted(set(IMPORT.findall(f.read())))
            checked += len(graph[name])
    found, seen = [], set()

    def walk(node, path):
        for to in graph.get(node, []):
            if to in path:
                cyc = path[path.index(to):] + [to]
                key = frozenset(cyc)
                if key not in seen:
                    seen.add(key)
                    found.append("web/js: " + " -> ".join(cyc))
            elif len(path) < len(graph):
                walk(to, path + [to])

    for start in sorted(graph):
        walk(start, [start])
    found += ["web/js/%s: not embedded (list it in web/meson.build)" % name
              for name in sorted(set(graph) - embedded)]
    return found, checked


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "src")
    js = sys.argv[2] if len(sys.argv) > 2 else os.path.join(here, "..", "web", "js")
    bad, checked = crossings(os.path.normpath(src))
    cyc, imports = circles(os.path.normpath(js))
    for b in bad + cyc:
        print(b)
    if bad or cyc:
        return 1
    print("%d includes checked, none crossing a layer the wrong way; %d imports of the web "
          "interface, no circle" % (checked, imports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
