#!/bin/sh
# Install the Debian packages that building the ntmend USB image and its
# QEMU boot test need on the build machine, if any are missing. Idempotent
# and silent when everything is there (like scripts/deps.sh).
#
# What goes *into* the image (kernel, signed shim and GRUB, busybox) is not
# installed here: build.sh fetches those .debs with `apt-get download`,
# because installing a kernel or shim-signed on the build machine would run
# their postinst scripts (initramfs, grub-install) on the host.
set -eu

PKGS="xorriso grub-pc-bin grub-common mtools dosfstools cpio kmod zstd
cryptsetup-bin util-linux ncurses-base ntfs-3g libhivex-bin
qemu-system-x86 ovmf fdisk jq"

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
	echo "ntmend: missing Debian packages for the image:$missing" >&2
	echo "ntmend: run 'make iso' as root (or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "ntmend: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
