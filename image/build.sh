#!/bin/sh
# image/build.sh NTMEND OUT.iso: build the ntmend USB/CD image.
#
# The result is a hybrid image: an ISO 9660 file system (kernel, initramfs,
# GRUB) whose first sectors also hold an MBR, so the same file can be
# burned to a CD or written with dd to a USB stick. The MBR's partitions:
#   1  the ISO 9660 file system itself
#   2  an EFI system partition (FAT): Debian's signed shim and GRUB
#   3  NTMEND, a FAT data partition: plans in, reports out
# Boot paths:
#   BIOS, stick  MBR (GRUB's boot_hybrid.img) -> GRUB core -> grub.cfg
#   BIOS, CD     El Torito -> the same GRUB core
#   UEFI         ESP \EFI\BOOT\BOOTX64.EFI = shim (signed by Microsoft's
#                UEFI CA) -> grubx64.efi (Debian's signed GRUB) -> the
#                signed Debian kernel; so Secure Boot can stay on.
# Every file inside comes from a Debian package: the kernel, shim, GRUB and
# busybox-static .debs are fetched with `apt-get download` (cached in
# $NTM_IMAGE_CACHE, default /var/cache/ntmend-image, so fresh clones on the
# same machine reuse them); ntmend, ntfs-3g, cryptsetup and their shared
# libraries are copied from this machine, where image/deps.sh and
# scripts/deps.sh installed them, with the libraries `ldd` names.
#
# Environment: NTM_IMAGE_CACHE (above), NTM_DATA_MIB (size of the data
# partition, default 40), NTM_IMAGE_WORK (a staging directory to keep, for
# a look at the image's root tree; by default a temporary one under build/,
# so two builds in one tree do not mix).
set -eu

NTMEND_BIN=${1:?usage: image/build.sh NTMEND OUT.iso}
OUT=${2:?usage: image/build.sh NTMEND OUT.iso}
IMG=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$IMG/.." && pwd)
CACHE=${NTM_IMAGE_CACHE:-/var/cache/ntmend-image}
DATA_MIB=${NTM_DATA_MIB:-40}
ARCH=x86_64-linux-gnu

say() { echo "image: $*" >&2; }
die() { echo "image: $*" >&2; exit 1; }

[ -x "$NTMEND_BIN" ] || die "$NTMEND_BIN: not an executable (make V=release)"
if ! mkdir -p "$CACHE" 2>/dev/null || ! [ -w "$CACHE" ]; then
	CACHE=$TOP/build/image-cache
	mkdir -p "$CACHE"
fi

# --- Debian packages that go into the image ---------------------------------

# The kernel package behind the linux-image-amd64 metapackage: its name
# carries the ABI (linux-image-6.1.0-NN-amd64), which changes with updates.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
if [ -z "$kpkg" ]; then
	# No package lists yet (a fresh machine): fetch them once.
	apt-get update -q >/dev/null
	kpkg=$(apt-cache depends linux-image-amd64 |
	    awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }')
fi
[ -n "$kpkg" ] || die "cannot find the kernel package behind linux-image-amd64"
KVER=${kpkg#linux-image-}

# fetch PKG: the candidate version's .deb into $CACHE (apt checks it against
# the signed archive index); prints its path. A cached file is used when
# its SHA-256 is the one the index names.
fetch() {
	set -- "$1" $(apt-get download --print-uris "$1" 2>/dev/null)
	f=${3:-}
	sum=${5#SHA256:}
	[ -n "$f" ] || die "no Debian package $1"
	if [ -s "$CACHE/$f" ] &&
	    ! echo "$sum  $CACHE/$f" | sha256sum -c --status; then
		rm -f "$CACHE/$f"
	fi
	if [ ! -s "$CACHE/$f" ]; then
		say "downloading $1"
		# apt's sandbox user cannot write to a root-only cache.
		(cd "$CACHE" && apt-get download -q -o APT::Sandbox::User=root \
		    "$1" >/dev/null) || die "apt-get download $1 failed"
	fi
	echo "$CACHE/$f"
}

if [ -n "${NTM_IMAGE_WORK:-}" ]; then
	WORK=$NTM_IMAGE_WORK
	rm -rf "$WORK"
	mkdir -p "$WORK"
else
	mkdir -p "$TOP/build"
	WORK=$(mktemp -d "$TOP/build/image.XXXXXX")
	trap 'rm -rf "$WORK"' EXIT
fi
mkdir -p "$WORK/deb" "$WORK/root" "$WORK/iso" "$WORK/esp"
for p in "$kpkg" shim-signed shim-helpers-amd64-signed \
    grub-efi-amd64-signed busybox-static; do
	dpkg-deb -x "$(fetch "$p")" "$WORK/deb"
done
D=$WORK/deb
R=$WORK/root

# --- initramfs: the whole running system ------------------------------------
# Everything runs from RAM: the stick can be pulled after boot except for
# the data partition, and no disk of the PC is mounted by the system.

# Debian's merged /usr, so paths from ldd (/lib/..., /lib64/...) and from
# the packages (/usr/lib/...) land in one place.
mkdir -p "$R/usr/bin" "$R/usr/sbin" "$R/usr/lib/$ARCH" "$R/usr/lib64" \
    "$R/usr/share" "$R/etc/ntmend" "$R/dev" "$R/proc" "$R/sys" "$R/run" \
    "$R/tmp" "$R/root" "$R/stick" "$R/mnt"
ln -s usr/bin "$R/bin"
ln -s usr/sbin "$R/sbin"
ln -s usr/lib "$R/lib"
ln -s usr/lib64 "$R/lib64"
chmod 1777 "$R/tmp"

# The kernel opens /dev/console before /init can mount devtmpfs; without
# the node /init starts with no stdin/stdout (it re-opens it later anyway).
mknod -m 600 "$R/dev/console" c 5 1 2>/dev/null || true

# copy_bin FILE [DEST]: a program and every shared library it loads.
copy_bin() {
	dest=${2:-/usr/bin/$(basename "$1")}
	install -D -m 755 "$1" "$R$dest"
	ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
	    $1 ~ /^\// { print $1 }' | while read -r lib; do
		[ -e "$R$lib" ] && continue
		mkdir -p "$R$(dirname "$lib")"
		cp -L "$lib" "$R$lib"
	done
}

# busybox-static: the shell /init runs in and the usual commands. Applet
# links are made for what no real program below provides.
install -m 755 "$D/bin/busybox" "$R/usr/bin/busybox"
copy_bin "$NTMEND_BIN" /usr/bin/ntmend
for b in ntfs-3g ntfsinfo ntfsls ntfscat ntfsfix hivexsh; do
	copy_bin "$(command -v "$b")"
done
# cryptsetup for BitLocker (bitlkOpen); util-linux blkid/lsblk, because
# busybox has no blkid and /init finds the stick by its label.
for b in cryptsetup blkid lsblk; do
	copy_bin "$(PATH=/usr/sbin:/sbin:$PATH command -v "$b")" "/usr/sbin/$b"
done
for a in $("$D/bin/busybox" --list); do
	[ -e "$R/usr/bin/$a" ] || [ -e "$R/usr/sbin/$a" ] ||
	    ln -s busybox "$R/usr/bin/$a"
done

# glibc's C.UTF-8 locale (LANG=C.UTF-8: ntmend and ncurses print UTF-8
# names; without the locale files setlocale falls back to ASCII).
mkdir -p "$R/usr/lib/locale"
cp -r /usr/lib/locale/C.utf8 "$R/usr/lib/locale/"

# iconv converters glibc loads as modules: hivex decodes key and value
# names through iconv, LATIN1 for names Windows stored in one byte per
# character and UTF-16LE for the rest (without these, hive reads fail with
# EBADF from iconv); libarchive decodes file names of zip archives made on
# Windows in the OEM/ANSI code page (437, 850, 1252; GBK on Chinese PCs).
G=/usr/lib/$ARCH/gconv
mkdir -p "$R$G"
for m in gconv-modules gconv-modules.cache ISO8859-1.so UTF-16.so \
    UTF-32.so UNICODE.so IBM437.so IBM850.so CP1252.so GBK.so; do
	cp "$G/$m" "$R$G/"
done

# terminfo for the local console (linux), a serial line or remote terminal
# (vt100, vt220, xterm) and the last resort (dumb), from ncurses-base.
for t in l/linux v/vt100 v/vt102 v/vt220 x/xterm x/xterm-256color d/dumb; do
	src=/lib/terminfo/$t
	[ -e "$src" ] || src=/usr/share/terminfo/$t
	[ -e "$src" ] || die "terminfo $t missing (ncurses-base)"
	install -D -m 644 "$src" "$R/usr/share/terminfo/$t"
done

# Kernel modules: the listed ones and what they depend on, resolved by kmod
# against the package's full module tree, then indexed again for the
# smaller tree busybox modprobe reads.
depmod -b "$D" "$KVER"
sed 's/#.*//' "$IMG/modules" | awk 'NF' >"$R/etc/ntmend/modules"
while read -r m _; do
	modprobe -d "$D" -S "$KVER" -D "$m" >"$WORK/dep" 2>&1 ||
	    die "module $m: $(cat "$WORK/dep")"
	awk '$1 == "insmod" { print $2 }' "$WORK/dep" | while read -r ko; do
		rel=${ko#"$D"}
		install -D -m 644 "$ko" "$R$rel"
	done
done <"$R/etc/ntmend/modules"
cp "$D/lib/modules/$KVER/modules.order" "$D/lib/modules/$KVER/modules.builtin" \
    "$D/lib/modules/$KVER/modules.builtin.modinfo" \
    "$R/lib/modules/$KVER/"
depmod -b "$R" "$KVER"

# /etc: enough for a root shell; mtab because libntfs-3g checks it to refuse
# opening a volume that is mounted.
cat >"$R/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
PW
echo 'root:x:0:' >"$R/etc/group"
ln -s /proc/self/mounts "$R/etc/mtab"
echo ntmend >"$R/etc/hostname"
install -m 644 "$IMG/profile" "$R/etc/profile"
install -m 644 "$IMG/stick/ntmend-plan.example.txt" "$R/etc/ntmend/"
version=$(git -C "$TOP" describe --always --dirty 2>/dev/null || echo unknown)
echo "ntmend $version, Debian kernel $KVER" >"$R/etc/ntmend/version"
mkdir -p "$R/run/cryptsetup"	# cryptsetup's lock directory
# The loader's cache, so programs do not search every library directory.
ldconfig -r "$R"
install -m 755 "$IMG/init" "$R/init"

# zstd: the kernel decompresses it quickly, which matters on slow CPUs (and
# in QEMU without KVM). Level 12: -19 saves 3 MB of 23 but takes ten times
# as long on two cores (a minute).
say "initramfs ($(du -sh "$R" | cut -f1) unpacked)"
(cd "$R" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
    zstd -q -12 -T0 >"$WORK/iso-initrd"

# --- the ISO 9660 tree -------------------------------------------------------
T=$WORK/iso
mkdir -p "$T/boot/grub/i386-pc" "$T/.disk"
cp "$D/boot/vmlinuz-$KVER" "$T/boot/vmlinuz"
mv "$WORK/iso-initrd" "$T/boot/initrd.img"
cp "$IMG/grub.cfg" "$T/boot/grub/grub.cfg"
# Debian's signed GRUB has no prefix of its own: its built-in config looks
# for /.disk/info on every disk and takes /boot/grub on that one.
cat "$R/etc/ntmend/version" >"$T/.disk/info"

# BIOS: a GRUB core for El Torito (CD) that boot_hybrid.img in the MBR also
# loads when the image is a disk; the modules grub.cfg needs load from
# /boot/grub/i386-pc.
cp /usr/lib/grub/i386-pc/*.mod /usr/lib/grub/i386-pc/*.lst "$T/boot/grub/i386-pc/"
grub-mkimage -O i386-pc-eltorito -d /usr/lib/grub/i386-pc -p /boot/grub \
    -o "$T/boot/grub/i386-pc/eltorito.img" biosdisk iso9660 part_msdos

# UEFI: the removable-media path \EFI\BOOT\BOOTX64.EFI is shim; shim loads
# grubx64.efi from its own directory and checks it against Debian's key; mm
# is MokManager, which shim starts if a key enrolment is pending. gcdx64 is
# the build of the signed GRUB meant for CD/USB media (searches /.disk/info).
mkdir -p "$WORK/esp/EFI/BOOT"
cp "$D/usr/lib/shim/shimx64.efi.signed" "$WORK/esp/EFI/BOOT/BOOTX64.EFI"
cp "$D/usr/lib/shim/mmx64.efi.signed" "$WORK/esp/EFI/BOOT/mmx64.efi"
cp "$D/usr/lib/grub/x86_64-efi-signed/gcdx64.efi.signed" \
    "$WORK/esp/EFI/BOOT/grubx64.efi"
esp_kib=$(( $(du -sk "$WORK/esp" | cut -f1) + 1024 ))
mkfs.vfat -C -n NTMEND_EFI "$WORK/esp.img" "$esp_kib" >/dev/null
mcopy -s -i "$WORK/esp.img" "$WORK/esp/EFI" ::/

# --- the data partition ------------------------------------------------------
# FAT, which every OS reads and writes: FAT16 (MBR type 0x0e) at the
# default size (FAT32 wants 65525 clusters or more), FAT32 (0x0c) for a
# big one (NTM_DATA_MIB=8000 for log archives of a fleet: the image grows
# by as much, but Windows cannot grow a FAT partition later). A technician
# copies ntmend-plan.txt here from any PC and collects reports/ afterwards.
if [ "$DATA_MIB" -ge 512 ]; then fat=32 dtype=0x0c; else fat=16 dtype=0x0e; fi
mkfs.vfat -F "$fat" -C -n NTMEND "$WORK/data.img" $((DATA_MIB * 1024)) >/dev/null
mcopy -i "$WORK/data.img" "$IMG/stick/README.txt" \
    "$IMG/stick/ntmend-plan.example.txt" ::/
mmd -i "$WORK/data.img" ::/reports

# --- the hybrid image --------------------------------------------------------
# --grub2-mbr/--grub2-boot-info: GRUB's MBR that finds the El Torito core
# when the image is a disk. -partition_offset 16: partition 1 starts at
# 32 KiB with its own superblock copy, so it is mountable as a partition.
# --mbr-force-bootable: some BIOSes only boot USB disks with an active
# partition. -append_partition: the ESP and the data partition follow the
# ISO; the El Torito UEFI entry points at the same ESP.
# Written beside OUT and renamed: a test reading OUT never sees half.
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT.tmp$$"
xorriso -as mkisofs -quiet \
    -iso-level 3 -r -J -joliet-long -V NTMEND_BOOT \
    --grub2-mbr /usr/lib/grub/i386-pc/boot_hybrid.img \
    -partition_offset 16 --mbr-force-bootable \
    -append_partition 2 0xef "$WORK/esp.img" \
    -append_partition 3 "$dtype" "$WORK/data.img" \
    -c boot/grub/boot.cat \
    -b boot/grub/i386-pc/eltorito.img -no-emul-boot -boot-load-size 4 \
    -boot-info-table --grub2-boot-info \
    -eltorito-alt-boot -e --interval:appended_partition_2:all:: \
    -no-emul-boot \
    -o "$OUT.tmp$$" "$T" 2>"$WORK/xorriso.log" ||
    { cat "$WORK/xorriso.log" >&2; rm -f "$OUT.tmp$$"; die "xorriso failed"; }
mv -f "$OUT.tmp$$" "$OUT"
say "$OUT: $(du -m "$OUT" | cut -f1) MiB ($version, kernel $KVER)"
