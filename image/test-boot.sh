#!/bin/bash
# image/test-boot.sh FIRMWARE STICK.img [WINDOWS.img] SERIAL.log
#
# Boot a copy of the ntmend image as a USB stick in QEMU (TCG: no KVM
# here) and wait until the guest powers off. FIRMWARE:
#   bios     SeaBIOS; the Windows disk on the q35 SATA (AHCI) controller
#   uefi     OVMF without Secure Boot; the Windows disk on NVMe
#   secboot  OVMF with Secure Boot enforced (SMM, the secboot build, the
#            Microsoft keys enrolled: only Microsoft-signed shim can run);
#            the Windows disk on virtio-blk
#   direct   no firmware boot path: QEMU loads the image's kernel and
#            initramfs itself with the menu entry's command line (the
#            bench's baseline; NTM_BOOT_CMDLINE replaces it); the Windows
#            disk on AHCI
# So the three boots also cover the AHCI, NVMe, virtio, xHCI and
# usb-storage drivers of the image. Disks are written in place (pass
# copies). The serial console goes to SERIAL.log.
#
# On UEFI, OVMF copies the screen to the serial line: when GRUB's menu
# shows there, the script types NTM_BOOT_KEYS (QEMU monitor `sendkey`;
# default "ret", which boots the default entry at once; "down ret" picks
# the second entry). Waiting out the 5 s timeout instead
# costs about 50 s here: GRUB's EFI clock is calibrated against a timer
# that TCG emulation makes slow, so each GRUB second takes ten. SeaBIOS's
# GRUB keeps time and draws on VGA only, so BIOS boots wait the 5 s.
#
# Exit status: 0 the guest powered off (or restarted: -no-reboot turns that
# into an exit too), 124 timed out after NTM_BOOT_TIMEOUT seconds (default
# 300; QEMU is killed). With NTM_BOOT_UNTIL=REGEX, stop as soon as the
# serial log matches it and print the seconds since QEMU started (the
# bench's boot-to-menu time).
set -eu

fw=${1:?usage: test-boot.sh bios|uefi|secboot|direct STICK [WINDOWS] SERIAL}
stick=${2:?stick image}
if [ $# -ge 4 ]; then win=$3; serial=$4; else win=""; serial=${3:?serial log}; fi
timeout=${NTM_BOOT_TIMEOUT:-300}
until_re=${NTM_BOOT_UNTIL:-}
ovmf=/usr/share/OVMF

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ntmend-boot.XXXXXX")
qpid=""
catpid=""
cleanup() {
	# Only the QEMU this script started, by its pid.
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill "$qpid" 2>/dev/null || true
		sleep 1
		if kill -0 "$qpid" 2>/dev/null; then kill -9 "$qpid" || true; fi
	fi
	if [ -n "$catpid" ]; then kill "$catpid" 2>/dev/null || true; fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

machine=q35
args=()
# bootindex=0 on the stick, or SeaBIOS tries the Windows disk first; a
# direct boot has QEMU's kernel loader at index 0.
bootidx=,bootindex=0
case $fw in
bios)
	windev=(-device "ide-hd,drive=win,bus=ide.0")
	;;
direct)
	xorriso -osirrox on -indev "$stick" -extract /boot/vmlinuz "$tmp/vmlinuz" \
	    -extract /boot/initrd.img "$tmp/initrd.img" >/dev/null 2>&1
	args+=(-kernel "$tmp/vmlinuz" -initrd "$tmp/initrd.img" -append
	    "${NTM_BOOT_CMDLINE:-ntmend.mode=menu quiet console=ttyS0,115200n8 console=tty0}")
	windev=(-device "ide-hd,drive=win,bus=ide.0")
	bootidx=""
	;;
uefi)
	cp "$ovmf/OVMF_VARS_4M.fd" "$tmp/vars.fd"
	args+=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.fd"
	    -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd")
	windev=(-device "nvme,drive=win,serial=ntmendtest")
	;;
secboot)
	# The secboot firmware keeps its variables in SMM so the OS cannot
	# switch Secure Boot off; QEMU must emulate SMM and protect the flash.
	machine=q35,smm=on
	cp "$ovmf/OVMF_VARS_4M.ms.fd" "$tmp/vars.fd"
	args+=(-global driver=cfi.pflash01,property=secure,value=on
	    -drive "if=pflash,format=raw,unit=0,readonly=on,file=$ovmf/OVMF_CODE_4M.secboot.fd"
	    -drive "if=pflash,format=raw,unit=1,file=$tmp/vars.fd")
	windev=(-device "virtio-blk-pci,drive=win")
	;;
*)
	echo "test-boot.sh: firmware bios, uefi, secboot or direct, not $fw" >&2
	exit 2
	;;
esac
if [ -n "$win" ]; then
	args+=(-drive "if=none,id=win,format=raw,file=$win" "${windev[@]}")
fi

# The monitor on a pair of FIFOs (QEMU opens them read-write, so neither
# side blocks); its replies are drained by a cat of ours.
mkfifo "$tmp/mon.in" "$tmp/mon.out"
cat "$tmp/mon.out" >/dev/null &
catpid=$!

: >"$serial"
start=$(date +%s.%N)
qemu-system-x86_64 -accel tcg -machine "$machine" -smp 1 -m 1024 \
    -display none -serial "file:$serial" -no-reboot \
    -chardev "pipe,id=mon,path=$tmp/mon" -mon chardev=mon,mode=readline \
    -device qemu-xhci,id=xhci \
    -drive "if=none,id=stick,format=raw,file=$stick" \
    -device "usb-storage,bus=xhci.0,drive=stick$bootidx" \
    "${args[@]}" 2>"$tmp/qemu.err" &
qpid=$!

rc=124
entered=""
case $fw in bios|direct) entered=no ;; esac
while [ "$(echo "$(date +%s.%N) - $start < $timeout" | bc)" = 1 ]; do
	if [ -n "$until_re" ] && grep -Eq -- "$until_re" "$serial"; then
		printf '%.1f\n' "$(echo "$(date +%s.%N) - $start" | bc)"
		rc=0
		break
	fi
	if [ -z "$entered" ] && grep -q 'GNU GRUB' "$serial"; then
		for k in ${NTM_BOOT_KEYS:-ret}; do
			echo "sendkey $k" >"$tmp/mon.in"
			sleep 0.5
		done
		entered=yes
	fi
	if ! kill -0 "$qpid" 2>/dev/null; then
		wait "$qpid" && rc=0 || rc=$?
		qpid=""
		break
	fi
	sleep 0.2
done
# QEMU's own messages only when something went wrong (not the "terminating
# on signal" of a bench run stopped on purpose).
if [ "$rc" -ne 0 ]; then cat "$tmp/qemu.err" >&2; fi
exit "$rc"
