#!/usr/bin/env bash
# The Debian package and its service, checked as an operator meets them (TAP on stdout):
#   1. dpkg-buildpackage -us -uc -b builds dissent_*.deb from a copy of the tree
#   2. lintian finds no error in it
#   3. its contents: the binary, the service, the man pages, /etc/dissent/dissent.ini a conffile
#   4. the man pages pass man --warnings
#   5. systemd-analyze verify accepts the unit, and systemd-analyze security --offline=yes rates
#      it 2.0 or under ("OK")
#   6. installed into a throwaway root (an overlay of this machine's / in a mount namespace of
#      its own, so nothing of the machine changes): the dissent user, /var/lib/dissent 0700, the
#      settings root:dissent 0640, `dissent --version` as installed; then removed, and purged
#      keeping the data (debconf's default) and, asked, removing it
# Usage: tests/package/check.sh OUTDIR   (the build's log and the .deb are left in OUTDIR)
set -uo pipefail
cd "$(dirname "$0")/../.."
out=$(realpath -m "${1:-build/package}")
# the directory is made anew: only one this script made before is removed (never a build tree)
if [ -e "$out" ] && [ ! -e "$out/.dissent-package-check" ]; then
    echo "check.sh: $out exists and is not an earlier check's: give a new directory" >&2
    exit 2
fi
rm -rf "$out"
mkdir -p "$out/src"
touch "$out/.dissent-package-check"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
bad() { n=$((n + 1)); echo "not ok $n - $*"; }
check() { # check DESCRIPTION COMMAND...: ok when the command succeeds
    local what=$1
    shift
    if "$@" >>"$out/check.log" 2>&1; then ok "$what"; else bad "$what"; tail -n 20 "$out/check.log" | sed 's/^/  # /'; fi
}

# 1. the build, from the files git knows (committed or not, never build outputs)
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -z | xargs -0 cp --parents -t "$out/src" 2>>"$out/check.log"
else # a copy without git (scripts/fresh-debian12.sh): the tree but the build outputs
    tar -c --exclude=./build --exclude='./build-*' --exclude=./var --exclude=node_modules \
        --exclude=__pycache__ -f - . | tar -x -C "$out/src"
fi
if (cd "$out/src" && DEB_BUILD_OPTIONS="parallel=$(nproc) nocheck" dpkg-buildpackage -us -uc -b) \
    >"$out/build.log" 2>&1; then
    ok "dpkg-buildpackage -us -uc -b"
else
    bad "dpkg-buildpackage -us -uc -b"
    tail -n 30 "$out/build.log" | sed 's/^/  # /'
    echo "1..$n"
    exit 0
fi
deb=$(ls "$out"/dissent_*.deb | head -n 1)

# 2. lintian: no error (warnings are listed in the log)
if lintian --fail-on error --tag-display-limit 0 "$deb" >"$out/lintian.log" 2>&1; then
    ok "lintian: no error ($(grep -c '^W:' "$out/lintian.log") warnings, in lintian.log)"
else
    bad "lintian: errors"
    grep '^E:' "$out/lintian.log" | sed 's/^/  # /'
fi

# 3. what it holds
dpkg-deb -c "$deb" >"$out/contents.txt"
dpkg-deb -e "$deb" "$out/control"
for f in ./usr/bin/dissent ./etc/dissent/dissent.ini ./lib/systemd/system/dissent.service \
    ./usr/share/man/man1/dissent.1.gz ./usr/share/man/man5/dissent.ini.5.gz \
    ./usr/share/doc/dissent/deploy.md.gz; do
    check "the package holds $f" grep -q " $f\$" "$out/contents.txt"
done
check "/etc/dissent/dissent.ini is a conffile" grep -qx /etc/dissent/dissent.ini "$out/control/conffiles"
root="$out/root"
dpkg -x "$deb" "$root"
check "the unpacked binary runs: dissent --version" "$root/usr/bin/dissent" --version

# 4. the man pages
for page in "$root/usr/share/man/man1/dissent.1.gz" "$root/usr/share/man/man5/dissent.ini.5.gz"; do
    w=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -z "$w" ] && [ -n "$(MANWIDTH=80 man -l "$page" 2>/dev/null | head -n 5)" ]; then
        ok "man --warnings $(basename "$page"): none"
    else
        bad "man --warnings $(basename "$page")"
        echo "$w" | head -n 10 | sed 's/^/  # /'
    fi
done

# 5. the unit
unit="$root/lib/systemd/system/dissent.service"
# (verified on this machine's systemd, the unit's program the unpacked one)
sed "s|/usr/bin/dissent|$root/usr/bin/dissent|" "$unit" >"$out/dissent.service"
check "systemd-analyze verify dissent.service" systemd-analyze verify --man=no "$out/dissent.service"
sec=$(systemd-analyze security --offline=yes --root="$root" --no-pager \
    /lib/systemd/system/dissent.service 2>&1)
echo "$sec" >"$out/security.txt"
score=$(echo "$sec" | sed -n 's/.*Overall exposure level for dissent.service: \([0-9.]*\) .*/\1/p')
if [ -n "$score" ] && awk -v s="$score" 'BEGIN { exit !(s <= 2.0) }'; then
    ok "systemd-analyze security --offline=yes: $score (2.0 or under)"
else
    bad "systemd-analyze security --offline=yes: '${score:-no score}', over 2.0"
    echo "$sec" | tail -n 5 | sed 's/^/  # /'
fi
check "the unit is Type=notify, reloaded by SIGHUP" grep -q '^Type=notify$' "$unit"
check "the unit reloads with SIGHUP" grep -q '^ExecReload=/bin/kill -HUP \$MAINPID$' "$unit"

# 6. a real install, in a throwaway root
if ! command -v unshare >/dev/null || ! unshare --mount --propagation private true 2>/dev/null; then
    ok "install into a throwaway root # SKIP no private mount namespace here (unshare(1))"
    echo "1..$n"
    exit 0
fi
cp "$deb" "$out/dissent.deb"
inroot() { # the steps run inside the namespace; their TAP lines are printed by the caller
    cat <<'EOF'
set -u
tmp=$1
mount -t tmpfs tmpfs "$tmp/ov" || exit 3
mkdir -p "$tmp/ov/u" "$tmp/ov/w" "$tmp/ov/m"
mount -t overlay overlay -o "lowerdir=/,upperdir=$tmp/ov/u,workdir=$tmp/ov/w" "$tmp/ov/m" || exit 3
m=$tmp/ov/m
mount --rbind /dev "$m/dev" && mount -t proc proc "$m/proc" && mount -t tmpfs tmpfs "$m/tmp" &&
    mount -t tmpfs tmpfs "$m/run" || exit 3
cp "$tmp/dissent.deb" "$m/tmp/"
# whatever a test machine had of ours is gone from the throwaway root first
chroot "$m" sh -c 'dpkg --purge dissent >/dev/null 2>&1; deluser --system dissent >/dev/null 2>&1;
    rm -rf /var/lib/dissent /etc/dissent; true'
chroot "$m" env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/dissent.deb >&2 || { echo "FAIL dpkg -i"; exit 0; }
echo "STEP dpkg -i"
chroot "$m" getent passwd dissent | grep -q '^dissent:x:[0-9]*:[0-9]*:.*:/var/lib/dissent:/usr/sbin/nologin$' && echo "STEP user"
[ "$(chroot "$m" stat -c '%a %U %G' /var/lib/dissent)" = "700 dissent dissent" ] && echo "STEP datadir"
[ "$(chroot "$m" stat -c '%a %U %G' /etc/dissent/dissent.ini)" = "640 root dissent" ] && echo "STEP settings"
chroot "$m" /usr/bin/dissent --version | grep -q '^dissent ' && echo "STEP version"
# the service's own start, as its user, on the installed settings: it answers, then stops
chroot --userspec=dissent:dissent "$m" /usr/bin/dissent serve --config /etc/dissent/dissent.ini \
    --listen 127.0.0.1:0 >"$m/tmp/serve.out" 2>"$m/tmp/serve.err" &
pid=$!
for _ in $(seq 1 100); do grep -q '^listening on' "$m/tmp/serve.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^listening on http://127.0.0.1:' "$m/tmp/serve.out" && [ -s "$m/var/lib/dissent/dissent.db" ] && echo "STEP serve"
kill -TERM $pid
wait $pid && echo "STEP stop"
chroot "$m" env DEBIAN_FRONTEND=noninteractive dpkg --remove dissent >&2 && echo "STEP remove"
[ -d "$m/var/lib/dissent" ] && [ -e "$m/etc/dissent/dissent.ini" ] && echo "STEP remove keeps"
chroot "$m" env DEBIAN_FRONTEND=noninteractive dpkg --purge dissent >&2 && echo "STEP purge"
[ -s "$m/var/lib/dissent/dissent.db" ] && [ ! -e "$m/etc/dissent" ] && echo "STEP purge keeps the data"
chroot "$m" env DEBIAN_FRONTEND=noninteractive dpkg -i /tmp/dissent.deb >&2
echo "dissent dissent/purge_data boolean true" | chroot "$m" debconf-set-selections
chroot "$m" env DEBIAN_FRONTEND=noninteractive dpkg --purge dissent >&2 && [ ! -e "$m/var/lib/dissent" ] &&
    echo "STEP purge asked"
EOF
}
mkdir -p "$out/ov"
res=$(unshare --mount --propagation private bash -c "$(inroot)" inroot "$out" 2>"$out/install.log")
rc=$?
if [ "$rc" = 3 ]; then
    ok "install into a throwaway root # SKIP no overlay mount here"
else
    for step in "dpkg -i:dpkg -i installs it" "user:the dissent system user (home /var/lib/dissent, no shell)" \
        "datadir:/var/lib/dissent is 0700 dissent:dissent" \
        "settings:/etc/dissent/dissent.ini is 0640 root:dissent" \
        "version:dissent --version, installed" "serve:the service user starts it on the installed settings" \
        "stop:it stops cleanly on SIGTERM" \
        "remove:dpkg --remove" "remove keeps:removing keeps the settings and the data" \
        "purge:dpkg --purge" "purge keeps the data:purging keeps the data unless asked (debconf default)" \
        "purge asked:purging with dissent/purge_data true removes the data"; do
        if echo "$res" | grep -qx "STEP ${step%%:*}"; then ok "${step#*:}"; else bad "${step#*:}"; fi
    done
    if echo "$res" | grep -q '^FAIL'; then tail -n 20 "$out/install.log" | sed 's/^/  # /'; fi
fi
echo "1..$n"
