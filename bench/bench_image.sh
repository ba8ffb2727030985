#!/bin/bash
# bench_image: the USB image's size and how long it takes, under QEMU with
# TCG (no KVM: 5-20x slower than a real PC), from QEMU's start to the
# line /init prints just before it starts ntmend's menu. One boot per
# firmware path (BIOS, UEFI, UEFI + Secure Boot, each with GRUB's menu
# skipped on UEFI where the test can press Enter: see image/test-boot.sh),
# against a baseline in the same run: QEMU loading the same kernel and
# initramfs directly, which leaves only firmware + GRUB in the ratio.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
ISO=${NTM_ISO:-$TOP/build/ntmend.iso}
T=$(mktemp -d "${TMPDIR:-/tmp}/ntmend-bench.XXXXXX")
trap 'rm -rf "$T"' EXIT

[ -s "$ISO" ] || { echo "bench_image: $ISO missing (make iso)" >&2; exit 1; }

mib() { echo "scale=1; $1 / 1048576" | bc; }
size=$(stat -c %s "$ISO")
parts=$(sfdisk -J "$ISO" | jq -r '.partitiontable.partitions[] |
    "\(.node | sub(".*iso"; "")):\(.size * 512)"' |
    while IFS=: read -r n b; do printf ' p%s %s MiB' "$n" "$(mib "$b")"; done)
initrd=$(xorriso -indev "$ISO" -find /boot/initrd.img -exec lsdl 2>/dev/null |
    awk '/initrd/ { print $5; exit }')
printf 'image %s MiB (goal < 100):%s; initramfs %s MiB\n' "$(mib "$size")" \
    "$parts" "$(mib "${initrd:-0}")"

# menu_time FIRMWARE: seconds to the menu marker, the stick without a plan.
menu_time() {
	cp --sparse=always "$ISO" "$T/stick.img"
	NTM_BOOT_TIMEOUT=240 NTM_BOOT_UNTIL='ntmend: starting the menu' \
	    "$TOP/image/test-boot.sh" "$1" "$T/stick.img" "$T/serial.log"
}

base=$(menu_time direct)
printf 'boot to menu under TCG: direct kernel boot (baseline) %ss\n' "$base"
for fw in bios uefi secboot; do
	t=$(menu_time "$fw")
	case $fw in
	bios) note=" (GRUB's 5 s timeout included)" ;;
	*) note=" (GRUB entry chosen at once)" ;;
	esac
	printf 'boot to menu under TCG: %-7s %5ss, %.2fx the direct boot%s\n' \
	    "$fw" "$t" "$(echo "$t / $base" | bc -l)" "$note"
done
