#!/bin/sh
# Install the Debian packages ntmend needs to build, test and demo, if any
# are missing. Idempotent and silent when everything is there.
set -eu

PKGS="build-essential pkg-config clang
ntfs-3g ntfs-3g-dev libhivex-dev libhivex-bin libarchive-dev libarchive-tools
libncurses-dev libssl-dev libxml2-dev libjansson-dev libblkid-dev libcmocka-dev
attr jq bc time xz-utils fdisk gdisk dosfstools mtools zstd gcab tmux fuse3 util-linux
procps ncurses-base openssl
wine wine64 lld llvm"

missing=""
for p in $PKGS; do
	s=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$s" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "ntmend: missing Debian packages:$missing" >&2
	echo "ntmend: run 'make deps' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "ntmend: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
