#!/usr/bin/env python3
"""Count test cases across suites: TAP files, meson's testlog.json (cmocka TAP inside) and
pytest JUnit XML in one directory. Prints a line per suite and, last, "N passed, N failed".
Exits 1 when anything failed or when no test ran at all."""
import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET


def tap_counts(text):
    passed = failed = 0
    for line in text.splitlines():
        line = line.strip()
        if re.match(r"^ok \d+", line):
            if "# SKIP" in line:
                continue
            passed += 1
        elif re.match(r"^not ok \d+", line):
            if "# SKIP" in line:  # cmocka reports skipped tests as "not ok N # SKIP"
                continue
            failed += 1
    return passed, failed


def main(d):
    total_p = total_f = 0
    for path in sorted(glob.glob(os.path.join(d, "*.tap"))):
        with open(path) as f:
            p, f_ = tap_counts(f.read())
        print("%-28s %4d passed, %d failed" % (os.path.basename(path), p, f_))
        total_p += p
        total_f += f_
    for path in sorted(glob.glob(os.path.join(d, "*.json"))):
        p = f_ = 0
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                rec = json.loads(line)
                tp, tf = tap_counts(rec.get("stdout", ""))
                if rec.get("result") not in ("OK", "SKIP", "EXPECTEDFAIL") and tf == 0:
                    tf = 1  # crashed or failed outside any test case
                p += tp
                f_ += tf
        print("%-28s %4d passed, %d failed" % (os.path.basename(path), p, f_))
        total_p += p
        total_f += f_
    for path in sorted(glob.glob(os.path.join(d, "*.xml"))):
        root = ET.parse(path).getroot()
        p = f_ = 0
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                f_ += 1
            elif case.find("skipped") is None:
                p += 1
        print("%-28s %4d passed, %d failed" % (os.path.basename(path), p, f_))
        total_p += p
        total_f += f_
    expected = ["unit-build.json", "unit-build-asan.json", "api-build.xml", "api-build-asan.xml",
                "browser.tap", "unit-store-pg.tap", "api-build-pg.xml", "fuzz.tap"]
    for name in expected:
        if not os.path.exists(os.path.join(d, name)):
            print("missing results: %s" % name)
            total_f += 1
    print("%d passed, %d failed" % (total_p, total_f))
    return 1 if total_f or not total_p else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "build/test-results"))
