#!/bin/bash
# test_image: the USB image end to end. build/ntmend.iso (make iso) is
# written to a stick image and booted in QEMU three times: BIOS (SeaBIOS),
# UEFI (OVMF) and UEFI with Secure Boot enforced (OVMF's secboot build with
# Microsoft's keys: only the signed shim -> GRUB -> kernel chain can boot).
# Each boot has a fixture Windows disk with disabled update services and
# the plan "services reset" on the stick's NTMEND partition; the guest runs
# it unattended and powers off. Then, on the host and without ntmend:
# the Windows partition is mounted read-only with ntfs-3g and the services'
# values read with hivexget, and the stick's reports are read with mtools.
. "$(dirname "$0")/../lib.sh"

ISO=${NTM_ISO:-$NTM_TOP/build/ntmend.iso}
BOOT=$NTM_TOP/image/test-boot.sh
SYSKEY='\Select'

nfail=0
not_ok() { nfail=$((nfail + 1)); echo "not ok - $*"; }

if [ ! -s "$ISO" ]; then
	not_ok "image: $ISO missing (make iso)"
	exit 1
fi

# svc_value HIVE SERVICE VALUE: a value of a service in the current
# control set, read with hivexget (not ntmend).
svc_value() {
	local cur
	cur=$(hivexget "$1" "$SYSKEY" Current) || return 1
	hivexget "$1" "$(printf '\\ControlSet%03d\\Services\\%s' "$cur" "$2")" "$3"
}

# boot_one FIRMWARE STATE-REGEX AFTER: the whole round for one firmware;
# AFTER is what the plan asks for once it ran: poweroff or reboot.
boot_one() {
	local fw=$1 state_re=$2 after=$3 name win stick off serial start secs rc
	local part woff wsize json base mnt
	name=PC-$(echo "$fw" | tr a-z A-Z)-01
	win=$T/win-$fw.img
	stick=$T/stick-$fw.img
	serial=$T/serial-$fw.log

	"$NTM_TOOLS/mkfixture" --fault update-services-disabled \
	    --computer-name "$name" "$win" >/dev/null ||
	    { not_ok "$fw: mkfixture"; return; }
	cp --sparse=always "$ISO" "$stick"
	# The stick as a technician prepares it after dd: the plan copied
	# into the NTMEND partition (here with mtools, at its offset).
	off=$(t_part "$stick" 3 | cut -d' ' -f1)
	# CRLF, as Notepad writes it.
	printf '# test plan\r\nservices reset\r\n# ntmend: %s\r\n' \
	    "$after" >"$T/plan.txt"
	mcopy -i "$stick@@$off" "$T/plan.txt" ::/ntmend-plan.txt ||
	    { not_ok "$fw: plan onto the stick"; return; }

	start=$(date +%s)
	"$BOOT" "$fw" "$stick" "$win" "$serial"
	rc=$?
	secs=$(( $(date +%s) - start ))
	echo "# $fw: boot, plan and power-off took ${secs}s under TCG"
	check_eq "$fw: the guest powered off by itself (not killed at the timeout)" \
	    "$rc" 0
	if [ "$rc" -ne 0 ]; then
		echo "# last lines of the serial console:"
		tail -n 30 "$serial" | sed 's/^/#   /'
	fi

	check_match "$fw: firmware and Secure Boot state" "$(cat "$serial")" \
	    "$state_re"
	check_match "$fw: /tmp (ntmend's hive copies) in huge pages" \
	    "$(cat "$serial")" 'ntmend: /tmp is a tmpfs in huge pages'
	check_match "$fw: the stick's data partition mounted read-write" \
	    "$(cat "$serial")" 'data partition /dev/sd[a-z]3 mounted read-write'
	check_match "$fw: the plan was found and run" "$(cat "$serial")" \
	    'ntmend run finished: exit status 0'
	if [ "$after" = reboot ]; then
		check_match "$fw: '# ntmend: reboot' restarted the PC" \
		    "$(cat "$serial")" 'ntmend: restarting'
	else
		check_match "$fw: powered off after the run" \
		    "$(cat "$serial")" 'ntmend: powering off'
	fi

	# The Windows disk, independently: ntfs-3g read-only, hivexget.
	part=$(t_part "$win" 3)
	woff=${part% *}
	wsize=${part#* }
	mnt=$T/mnt-$fw
	if t_mount "$win" "$mnt" "$woff" "$wsize"; then
		local sys=$mnt/Windows/System32/config/SYSTEM
		check_eq "$fw: wuauserv Start on the disk" \
		    "$(svc_value "$sys" wuauserv Start)" 3
		check_eq "$fw: WaaSMedicSvc Start on the disk" \
		    "$(svc_value "$sys" WaaSMedicSvc Start)" 3
		check_match "$fw: BITS ImagePath on the disk" \
		    "$(svc_value "$sys" BITS ImagePath)" 'svchost\.exe -k netsvcs'
		check "$fw: the change's journal is on the volume" \
		    test -n "$(ls "$mnt/ntmend/journal" 2>/dev/null)"
		t_umount "$mnt"
	else
		not_ok "$fw: mount the Windows partition read-only"
	fi

	# The stick, independently: mtools on the NTMEND partition.
	mdir -b -i "$stick@@$off" ::/reports >"$T/reports-$fw" 2>&1
	json=$(grep -m1 "/$name-[0-9TZ]*\.json\$" "$T/reports-$fw")
	check_match "$fw: the report is named after the computer" "$json" \
	    "reports/$name-[0-9]{8}T[0-9]{6}Z\\.json\$"
	base=${json%.json}
	base=${base#::}
	if [ -n "$json" ] &&
	    mcopy -n -i "$stick@@$off" "::$base.json" "$T/report-$fw.json" &&
	    mcopy -n -i "$stick@@$off" "::$base.log" "$T/report-$fw.log"; then
		check_eq "$fw: report: result" \
		    "$(jq -r .result "$T/report-$fw.json")" fixed
		check_eq "$fw: report: found before, gone after" \
		    "$(jq -c '[(.findings_before[].id |
		        select(. == "update-services-disabled")),
		        (.findings_after[].id |
		        select(. == "update-services-disabled"))]' \
		        "$T/report-$fw.json")" '["update-services-disabled"]'
		check "$fw: the text report is there too" \
		    grep -q "$name-.*\\.txt\$" "$T/reports-$fw"
		check_match "$fw: the boot log beside it says how it booted" \
		    "$(cat "$T/report-$fw.log")" "$state_re"
		if [ "$after" = reboot ]; then
			# Stops a second run if the PC boots the stick again.
			check "$fw: the restart marker is on the stick" \
			    grep -q '/\.restarted-' "$T/reports-$fw"
		fi
	else
		not_ok "$fw: copy the report and log off the stick"
		sed 's/^/#   /' "$T/reports-$fw"
	fi
}

# What /init prints from /sys/firmware/efi/efivars/SecureBoot-... and
# /sys/kernel/security/lockdown: on a Secure Boot the kernel also locks
# itself down, which it only does when the firmware says it verified it.
boot_one bios 'ntmend: BIOS \(legacy\) boot' poweroff
boot_one uefi 'ntmend: UEFI boot, Secure Boot off \(SecureBoot=0\)' reboot
boot_one secboot 'ntmend: UEFI boot, Secure Boot on \(SecureBoot=1, kernel lockdown: integrity\)' poweroff

# The "Unattended repair" GRUB entry (picked with the arrow key) on a stick
# without a plan and a PC without Windows: the kernel command line carries
# the mode, and the stick tells the technician why nothing ran.
boot_noplan() {
	local stick=$T/stick-noplan.img serial=$T/serial-noplan.log off rc f
	cp --sparse=always "$ISO" "$stick"
	off=$(t_part "$stick" 3 | cut -d' ' -f1)
	NTM_BOOT_KEYS="down ret" "$BOOT" uefi "$stick" "$serial"
	rc=$?
	check_eq "no plan: the guest powered off by itself" "$rc" 0
	check_match "no plan: the GRUB entry set ntmend.mode=plan" \
	    "$(cat "$serial")" 'ntmend: ntmend .*, mode plan'
	check_match "no plan: the screen says why" "$(cat "$serial")" \
	    'UNATTENDED REPAIR NOT RUN: the stick has no ntmend-plan.txt'
	f=$(mdir -b -i "$stick@@$off" ::/reports 2>/dev/null |
	    grep -m1 '/NOT-RUN-.*\.txt$')
	if [ -n "$f" ] && mcopy -n -i "$stick@@$off" "$f" "$T/notrun.txt"; then
		check_match "no plan: the stick says why" \
		    "$(cat "$T/notrun.txt")" 'reason: the stick has no ntmend-plan.txt'
	else
		not_ok "no plan: a NOT-RUN file on the stick"
	fi
}
boot_noplan

# The menu on the USB system: a direct boot in menu mode with the serial
# line as the console (the last console= is /dev/console, where /init
# starts ntmend), so the menu draws there with TERM=linux. Without a plan
# on the stick the menu comes up by itself, finds the one Windows
# installation on the disks and shows step 1 with its computer name.
menu_boot() {
	local win=$T/win-menu.img stick=$T/stick-menu.img serial=$T/serial-menu.log rc
	"$NTM_TOOLS/mkfixture" --computer-name PC-MENU-01 "$win" >/dev/null ||
	    { not_ok "menu: mkfixture"; return; }
	cp --sparse=always "$ISO" "$stick"
	NTM_BOOT_CMDLINE="ntmend.mode=menu quiet console=tty0 console=ttyS0,115200n8" \
	    NTM_BOOT_UNTIL='PC-MENU-01' NTM_BOOT_TIMEOUT=180 \
	    "$BOOT" direct "$stick" "$win" "$serial" >"$T/menu-secs"
	rc=$?
	check_eq "menu: step 1 on the serial console, the installation found" "$rc" 0
	[ "$rc" -eq 0 ] && echo "# menu: on the screen after $(cat "$T/menu-secs")s under TCG"
	check_match "menu: drawn with curses (escape sequences)" \
	    "$(cat -v "$serial")" '\^\[\[[0-9;]*H.*Windows installation'
	check_match "menu: step 1's identity" "$(cat "$serial")" "Computer name"
}
menu_boot

[ "$nfail" -eq 0 ]

