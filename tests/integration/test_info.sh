#!/bin/bash
# info/scan on disk images built from every real SYSTEM hive in testdata:
# the computer name and architecture must be those stored in the hive
# (read independently with hivexget), volume states must be recognised,
# and no command may change a byte of the image.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture

# The value under the hive's current control set, read by hivexget.
hive_ccs_value() {	# HIVE KEY VALUE
	local cur
	cur=$(hivexget "$1" Select Current)
	hivexget "$1" "$(printf 'ControlSet%03d' "$cur")\\$2" "$3"
}

for name in regipy_SYSTEM regipy_SYSTEM_2 regipy_SYSTEM_B; do
	hive=$(t_hive "$name")
	[ -f "$NTM_TESTDATA/hives/$name.LOG1.xz" ] && t_hive "$name.LOG1" >/dev/null
	[ -f "$NTM_TESTDATA/hives/$name.LOG2.xz" ] && t_hive "$name.LOG2" >/dev/null
	img="$T/$name.img"
	if ! "$MKF" --system "$hive" "$img" >"$T/mkf.log" 2>&1; then
		not_ok "$name: mkfixture failed: $(tail -1 "$T/mkf.log")"
		continue
	fi
	want_name=$(hive_ccs_value "$hive" 'Control\ComputerName\ComputerName' ComputerName)
	want_arch=$(hive_ccs_value "$hive" 'Control\Session Manager\Environment' PROCESSOR_ARCHITECTURE | tr 'A-Z' 'a-z')
	before=$(sha256sum <"$img")
	out=$("$NTMEND" -t "$img" --json info)
	check_eq "$name: info exit status" "$?" 0
	check_eq "$name: computer name from the hive" \
	    "$(jq -r .windows.computer_name <<<"$out")" "$want_name"
	check_eq "$name: architecture from the hive" \
	    "$(jq -r .windows.architecture <<<"$out")" "$want_arch"
	check_eq "$name: schema" "$(jq -r .schema <<<"$out")" "ntmend.info/1"
	check_eq "$name: Windows partition found (3 of gpt)" \
	    "$(jq -r .volume.partition <<<"$out")" 3
	check_eq "$name: version from the generated SOFTWARE" \
	    "$(jq -r .windows.version <<<"$out")" "10.0.19045.3803"
	# What the image holds (the fixture may rewrite the hive) decides
	# whether info must warn about a dirty hive.
	t_mount "$img" "$T/mnt" $(t_part "$img" 3)
	ihive="$T/mnt/Windows/System32/config/SYSTEM"
	seq1=$(od -An -tu4 -j4 -N4 "$ihive" | tr -d ' ')
	seq2=$(od -An -tu4 -j8 -N4 "$ihive" | tr -d ' ')
	t_umount "$T/mnt"
	if [ "$seq1" != "$seq2" ]; then
		check_match "$name: dirty hive reported" \
		    "$(jq -r '.windows.warnings[]' <<<"$out")" 'SYSTEM.*dirty'
	else
		check_eq "$name: clean hive, no warning" \
		    "$(jq -r '.windows.warnings | length' <<<"$out")" 0
	fi
	text=$("$NTMEND" -t "$img" info)
	check_match "$name: text info names the computer" "$text" \
	    "Computer name: $want_name"
	"$NTMEND" -t "$img@3" info >/dev/null
	check_eq "$name: IMAGE@3 works" "$?" 0
	"$NTMEND" -t "$img" scan >/dev/null
	"$NTMEND" -t "$img" --json scan >/dev/null
	"$NTMEND" -t "$img" hash 'Windows\System32\config\SYSTEM' >/dev/null
	check_eq "$name: scan/info/hash leave the image byte-identical" \
	    "$(sha256sum <"$img")" "$before"
	rm -f "$img"
done

# The demo identity and a scan of the whole disk.
img="$T/pc.img"
"$MKF" --computer-name PC-SUB-0417 "$img" >/dev/null 2>&1
out=$("$NTMEND" -t "$img" --json scan)
check_eq "scan: four partitions" "$(jq '.disks[0].partitions | length' <<<"$out")" 4
check_eq "scan: one Windows installation" "$(jq .windows_found <<<"$out")" 1
check_eq "scan: Windows on partition 3 with its name" \
    "$(jq -r '.disks[0].partitions[] | select(.windows != null) | "\(.index) \(.windows.computer_name)"' <<<"$out")" \
    "3 PC-SUB-0417"
check_eq "scan: EFI partition is vfat" \
    "$(jq -r '.disks[0].partitions[0].fstype' <<<"$out")" vfat
out=$("$NTMEND" -t "$img" --json info)
check_eq "info: product" "$(jq -r .windows.product <<<"$out")" "Windows 10 Pro"
check_eq "info: display version" "$(jq -r .windows.display_version <<<"$out")" "22H2"
check_eq "info: clean volume state" "$(jq -c .volume.state <<<"$out")" '[]'

# A mounted directory is a target too; and the identity agrees with
# hivexget on the SOFTWARE hive read through FUSE.
t_mount "$img" "$T/mnt" $(t_part "$img" 3)
cv='Microsoft\Windows NT\CurrentVersion'
sw="$T/mnt/Windows/System32/config/SOFTWARE"
check_eq "info: build and UBR as hivexget reads them" \
    "$(jq -r '"\(.windows.build).\(.windows.ubr)"' <<<"$out")" \
    "$(hivexget "$sw" "$cv" CurrentBuild).$(hivexget "$sw" "$cv" UBR)"
out=$("$NTMEND" -t "$T/mnt" --json info)
check_eq "info on a mounted directory" "$(jq -r .windows.computer_name <<<"$out")" PC-SUB-0417
t_umount "$T/mnt"

# A dirty SYSTEM hive: reads replay its logs into a private copy, so a
# value only SYSTEM.LOG1 holds (ShutdownTime, per tests/fixture/README.md)
# is shown, info says so, and the volume is not written.
img="$T/dirty.img"
"$MKF" --fault hive-dirty "$img" >/dev/null 2>&1
before=$(sha256sum <"$img")
out=$("$NTMEND" -t "$img" --json info)
check_match "hive-dirty: info says the hive was replayed" \
    "$(jq -r '.windows.warnings[]' <<<"$out")" 'SYSTEM is dirty on the volume.*replayed'
got=$("$NTMEND" -t "$img" --json reg get 'HKLM\SYSTEM\CurrentControlSet\Control\Windows' ShutdownTime | jq -r '.values[0].hex')
check_eq "hive-dirty: the value only the log holds is read" "$got" 000f23c8ea43da01
check_eq "hive-dirty: image byte-identical after reading" "$(sha256sum <"$img")" "$before"
rm -f "$img"

# Volume states: each recognised, each explained, none written to.
for fault in volume-hibernated volume-dirty volume-bitlocker; do
	img="$T/$fault.img"
	if ! "$MKF" --fault "$fault" "$img" >"$T/mkf.log" 2>&1; then
		not_ok "$fault: mkfixture failed: $(tail -1 "$T/mkf.log")"
		continue
	fi
	before=$(sha256sum <"$img")
	out=$("$NTMEND" -t "$img" --json info 2>"$T/err")
	rc=$?
	case $fault in
	volume-hibernated)
		check_eq "hibernated: info works read-only" "$rc" 0
		check_match "hibernated: state" "$(jq -c .volume.state <<<"$out")" hibernated
		check_match "hibernated: advice names the way out" \
		    "$(jq -r .volume.advice <<<"$out")" 'remove-hiberfile'
		;;
	volume-dirty)
		check_eq "dirty: info works read-only" "$rc" 0
		check_match "dirty: state" "$(jq -c .volume.state <<<"$out")" dirty
		;;
	volume-bitlocker)
		check_eq "bitlocker: refused with exit 3" "$rc" 3
		check_match "bitlocker: says how to unlock" "$(cat "$T/err")" \
		    'cryptsetup bitlkOpen'
		check_eq "bitlocker: one-line error" "$(wc -l <"$T/err")" 1
		out=$("$NTMEND" -t "$img" --json scan)
		check_match "bitlocker: scan shows the locked partition" \
		    "$(jq -c '[.disks[0].partitions[].state[]]' <<<"$out")" bitlocker
		;;
	esac
	# diagnose names the state as its finding, with no fix offline.
	out=$("$NTMEND" -t "$img" --json diagnose 2>/dev/null)
	rc=$?
	check_eq "$fault: diagnose finds exactly it" \
	    "$(jq -r '[.findings[].id] | join(" ")' <<<"$out")" "$fault"
	check_eq "$fault: no offline fix" \
	    "$(jq -r '.findings[0].fix' <<<"$out")" null
	check_eq "$fault: diagnose exit status" "$rc" \
	    "$([ "$fault" = volume-bitlocker ] && echo 3 || echo 1)"
	"$NTMEND" -t "$img" scan >/dev/null 2>&1
	"$NTMEND" -t "$img" hash 'Windows\System32\config\SOFTWARE' >/dev/null 2>&1
	check_eq "$fault: image byte-identical after scan/info/hash" \
	    "$(sha256sum <"$img")" "$before"
	rm -f "$img"
done

# Not Windows, not NTFS: clear refusals.
truncate -s 64M "$T/plain.img" && mkntfs -F -Q "$T/plain.img" >/dev/null 2>&1
"$NTMEND" -t "$T/plain.img" info 2>"$T/err"
check_eq "plain NTFS: info fails" "$?" 4
check_match "plain NTFS: says no Windows" "$(cat "$T/err")" 'no Windows'
head -c 4M /dev/urandom >"$T/junk.img"
"$NTMEND" -t "$T/junk.img" info 2>"$T/err"
check_eq "junk: info fails" "$?" 4
check_eq "junk: one-line error" "$(wc -l <"$T/err")" 1
"$NTMEND" -t "$T/missing.img" info 2>/dev/null
check_eq "missing target: fails" "$?" 4
"$NTMEND" bogus 2>/dev/null
check_eq "unknown command: usage exit" "$?" 2
