#!/usr/bin/env bash
# Quick start, command 1: install what is missing, build, and serve on http://127.0.0.1:8080
# with the data directory ./var. On first start the admin password is printed once.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh run
scripts/build.sh release
if [ -f var/dissent.db ]; then
    echo "Using the existing data in ./var (the admin password was printed on its first start;"
    echo "reset it with: build/dissent user passwd admin --password-stdin --data ./var)."
fi
exec build/dissent serve --data ./var --listen 127.0.0.1:8080 "$@"
