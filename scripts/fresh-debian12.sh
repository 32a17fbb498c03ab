#!/usr/bin/env bash
# Prove the README's quick start on a fresh Debian 12, as root: debootstrap a minbase Debian 12
# (bookworm) root into DIR (once; it is reused on later runs), give it this machine's apt sources
# and extra certificate authorities (so that apt and npm reach their registries as they do here),
# copy this checkout's HEAD into it (committed work only), and run one quick-start command inside
# it with chroot:
#
#   scripts/fresh-debian12.sh DIR test     scripts/test.sh, every suite (the default)
#   scripts/fresh-debian12.sh DIR serve    scripts/serve.sh, until /healthz answers, then stops
#
# Nothing is installed in the root beforehand: the project's own scripts install what they need,
# which is what this proves. DIR must be on a file system that allows device files (not /tmp on
# a noexec or nodev mount). Removing DIR afterwards: umount is done on exit; rm -rf DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
root="${1:?usage: $0 DIR [test|serve]}"
what="${2:-test}"
case "$what" in test | serve) ;; *) echo "usage: $0 DIR [test|serve]" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap >/dev/null

if [ ! -x "$root/bin/bash" ]; then
    debootstrap --variant=minbase bookworm "$root" http://deb.debian.org/debian >&2
fi
# The same apt sources and extra CAs as this machine (a fresh install has bookworm-security too,
# which is where Debian 12 updates Chromium).
if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
    rm -f "$root/etc/apt/sources.list"
fi
mkdir -p "$root/usr/local/share/ca-certificates"
cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/" 2>/dev/null || true
cp /etc/resolv.conf "$root/etc/resolv.conf"

mounts=()
bind() { mkdir -p "$root$1"; mount --bind "$1" "$root$1"; mounts=("$root$1" "${mounts[@]}"); }
cleanup() { for m in "${mounts[@]}"; do umount -l "$m" 2>/dev/null || true; done; }
trap cleanup EXIT
# the root a mount point of its own, as a machine's / is (a mount namespace made inside, as
# tests/package/check.sh makes one, needs it)
mount --bind "$root" "$root"; mounts=("$root" "${mounts[@]}")
mkdir -p "$root/proc" "$root/sys"
mount -t proc proc "$root/proc"; mounts=("$root/proc" "${mounts[@]}")
mount -t sysfs sys "$root/sys"; mounts=("$root/sys" "${mounts[@]}")
bind /dev
bind /dev/pts
mkdir -p "$root/dev/shm"; mount -t tmpfs -o mode=1777 shm "$root/dev/shm"; mounts=("$root/dev/shm" "${mounts[@]}")

# The committed tree of HEAD, nothing else from this machine (no build/, no node_modules).
rm -rf "$root/root/dissent"
mkdir -p "$root/root/dissent"
git archive HEAD | tar -x -C "$root/root/dissent"
echo "fresh-debian12: $(git rev-parse --short HEAD) in $root/root/dissent; running scripts/$what.sh" >&2

# Only the environment a root login has, plus where this machine keeps its extra CAs for Node.js
# (npm does not read the system's store without it).
env_in=(env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
        LANG=C.UTF-8 TERM=dumb NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt)
if [ "$what" = test ]; then
    "${env_in[@]}" chroot "$root" /bin/bash -c 'cd /root/dissent && scripts/test.sh'
else
    "${env_in[@]}" chroot "$root" /bin/bash -c '
        cd /root/dissent && { scripts/serve.sh >serve.log 2>&1 & }
        for i in $(seq 1 1800); do
            if [ -f build/dissent ] && (exec 3<>/dev/tcp/127.0.0.1/8080) 2>/dev/null; then break; fi
            sleep 1
        done
        exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" >&3 && cat <&3
        grep -E "password|listening" serve.log
        kill $(pgrep -f "build/dissent serve") 2>/dev/null; wait'
fi
