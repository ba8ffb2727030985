#!/bin/bash
# The log-based checks (store-corrupt, ssu-missing, txr-log-failure,
# wu-cache), their fixes (txr-reset, wu-cache-reset, chkdsk-schedule) and
# `logs scan`, on mkfixture images: one per fault, one with all four, and
# healthy ones (the default and one per real SYSTEM hive in testdata).
# Each fix is read back independently: files through a read-only ntfs-3g
# mount, BootExecute with hivexget on a SYSTEM hive copied out, the NTFS
# dirty flag with ntfsinfo. undo must restore every file of the volume
# byte for byte, and a dry run must leave the image's bytes alone.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
MINE='^(store-corrupt|ssu-missing|txr-log-failure|wu-cache)$'
TXR=Windows/System32/config/TxR

ntm() { "$NTMEND" "$@"; }

mkimg() {
	local out=$1
	shift
	if ! "$MKF" "$@" "$out" >/dev/null 2>"$T/mkf.err"; then
		not_ok "mkfixture $* ($(cat "$T/mkf.err"))"
		return 1
	fi
}

# ids IMAGE: the ids of the four log checks diagnose reports, sorted.
ids() {
	ntm -t "$1" diagnose --json >"$T/diag.json"
	jq -r '.findings[].id' <"$T/diag.json" | grep -E "$MINE" | sort |
	    tr '\n' ' ' | sed 's/ $//'
}

# field ID KEY: a field of finding ID in the last diagnose ($T/diag.json).
field() {
	jq -r --arg id "$1" --arg k "$2" \
	    '.findings[] | select(.id == $id) | .[$k] |
	     if type == "array" then join("\n") else . end' <"$T/diag.json"
}

# mount_win IMAGE: the Windows partition (3) read-only at $T/m.
mount_win() {
	t_mount "$1" "$T/m" $(t_part "$1" 3)
}
umount_win() {
	t_umount "$T/m"
	rm -f "$T"/part-*.img
}

# tree IMAGE OUT: SHA-256 of every file and the list of every directory
# of the Windows partition, read through ntfs-3g (not ntmend).
tree() {
	mount_win "$1" || return 1
	(cd "$T/m" && find . -type f -print0 | LC_ALL=C sort -z |
	    xargs -0 sha256sum && find . -type d | LC_ALL=C sort) >"$2"
	umount_win
}

# dry IMAGE REGEX FIX...: --dry-run writes nothing (the image's SHA-256)
# and describes the change REGEX matches.
dry() {
	local img=$1 want=$2 before after out
	shift 2
	before=$(sha256sum <"$img")
	out=$(ntm -t "$img" --dry-run fix "$@" 2>&1)
	after=$(sha256sum <"$img")
	check_eq "$*: --dry-run leaves the image's bytes alone" "$after" \
	    "$before"
	check_match "$*: --dry-run says what it would do" "$out" "$want"
}

# --- txr-log-failure ---------------------------------------------------
img=$T/txr.img
if mkimg "$img" --fault txr-log-failure; then
	check_eq "txr: diagnose lists exactly txr-log-failure" "$(ids "$img")" \
	    txr-log-failure
	check_eq "txr: fix is txr-reset" "$(field txr-log-failure fix)" \
	    txr-reset
	ev=$(field txr-log-failure evidence)
	check_match "txr: evidence names the cut .blf" "$ev" \
	    'TxR\\\{[0-9a-f-]+\}\.TxR\.blf: base log of 24713 bytes'
	check_match "txr: evidence has ERROR_LOG_GROWTH_FAILED from CBS.log" \
	    "$ev" '0x80071ab1 ERROR_LOG_GROWTH_FAILED: 4 lines, the last CBS\.log:[0-9]+ 2024-01-10'
	check_match "txr: evidence has ERROR_LOG_FULL" "$ev" \
	    '0x800719e4 ERROR_LOG_FULL: 1 line'
	check_match "txr: summary says what to run after" \
	    "$(field txr-log-failure summary)" 'ntmend fix chkdsk-schedule'

	dry "$img" 'move Windows\\System32\\config\\TxR\\\{[0-9a-f-]+\}\.TxR\.blf into it' \
	    txr-reset chkdsk-schedule
	tree "$img" "$T/txr.before"
	mount_win "$img" && {
		(cd "$T/m/$TXR" && sha256sum -- * | LC_ALL=C sort) >"$T/txr.files"
		umount_win
	}
	check_eq "txr: TxR holds the 7 files of a Windows 10 TxR" \
	    "$(wc -l <"$T/txr.files")" 7
	check_status "txr: fix txr-reset chkdsk-schedule" 0 \
	    ntm -t "$img" fix txr-reset chkdsk-schedule >"$T/fix.out"
	check_eq "txr: diagnose no longer lists it" "$(ids "$img")" ""

	# Independently: TxR empty, the same 7 files in one dated folder.
	if mount_win "$img"; then
		check_eq "txr: TxR is empty (ntfs-3g)" "$(ls -A "$T/m/$TXR")" ""
		aside=$(cd "$T/m/Windows/System32/config" && ls -d TxR.ntmend-*)
		check_match "txr: one dated folder beside TxR" "$aside" \
		    '^TxR\.ntmend-[0-9]{8}-[0-9]{6}$'
		check_eq "txr: the files moved there unchanged" \
		    "$(cd "$T/m/Windows/System32/config/$aside" && sha256sum -- * |
		    LC_ALL=C sort)" "$(cat "$T/txr.files")"
		cp "$T/m/Windows/System32/config/SYSTEM" "$T/SYSTEM"
		umount_win
		cs=$(hivexget "$T/SYSTEM" Select Current)
		check_eq "txr: BootExecute runs autochk /r on C: first (hivexget)" \
		    "$(hivexget "$T/SYSTEM" "ControlSet00$cs\\Control\\Session Manager" \
		    BootExecute | sed '/^$/d')" \
		    "$(printf 'autocheck autochk /r \\??\\C:\nautocheck autochk *')"
	fi
	part=($(t_part "$img" 3))
	dd if="$img" of="$T/p3.img" bs=1M iflag=skip_bytes,count_bytes \
	    skip="${part[0]}" count="${part[1]}" conv=sparse status=none
	check_match "txr: the NTFS dirty flag stays clear (ntfsinfo)" \
	    "$(ntfsinfo -m "$T/p3.img" 2>&1 | grep 'Volume Flags')" \
	    'Volume Flags: *0x0000'
	rm -f "$T/p3.img"

	# A second chkdsk-schedule finds the entry and changes nothing.
	check_match "txr: chkdsk-schedule again has nothing to change" \
	    "$(ntm -t "$img" fix chkdsk-schedule)" 'nothing to change'

	check_status "txr: undo" 0 ntm -t "$img" undo >/dev/null
	tree "$img" "$T/txr.after"
	check "txr: undo restores every file and folder byte for byte" \
	    cmp -s "$T/txr.before" "$T/txr.after"
	check_eq "txr: the finding is back after undo" "$(ids "$img")" \
	    txr-log-failure
	rm -f "$img"
fi

# --- wu-cache ----------------------------------------------------------
img=$T/wu.img
if mkimg "$img" --fault wu-cache; then
	check_eq "wu: diagnose lists exactly wu-cache" "$(ids "$img")" wu-cache
	check_eq "wu: fix is wu-cache-reset" "$(field wu-cache fix)" \
	    wu-cache-reset
	ev=$(field wu-cache evidence)
	check_match "wu: ReportingEvents.log's 0x80240439" "$ev" \
	    'ReportingEvents\.log:1 2024-01-10 03:15:22: Installation Failure: .*error 0x80240439'
	check_match "wu: CBS.log's cabinet failure" "$ev" \
	    'CBS\.log:[0-9]+ .*Failed to extract package from cabinet: .*KB5034122-x64\.cab \[HRESULT = 0x80070570'
	dry "$img" 'rename Windows\\SoftwareDistribution to Windows\\SoftwareDistribution\.ntmend-[0-9]{8}-[0-9]{6}' \
	    wu-cache-reset
	tree "$img" "$T/wu.before"
	check_status "wu: fix wu-cache-reset" 0 ntm -t "$img" fix wu-cache-reset \
	    >/dev/null
	check_eq "wu: diagnose no longer lists it" "$(ids "$img")" ""
	if mount_win "$img"; then
		check "wu: SoftwareDistribution is gone (ntfs-3g)" \
		    test ! -e "$T/m/Windows/SoftwareDistribution"
		check "wu: catroot2 is gone" \
		    test ! -e "$T/m/Windows/System32/catroot2"
		sd=$(cd "$T/m/Windows" && ls -d SoftwareDistribution.ntmend-*)
		cr=$(cd "$T/m/Windows/System32" && ls -d catroot2.ntmend-*)
		check_match "wu: SoftwareDistribution renamed, dated" "$sd" \
		    '^SoftwareDistribution\.ntmend-[0-9]{8}-[0-9]{6}$'
		check_eq "wu: catroot2 renamed with the same time" "$cr" \
		    "catroot2.${sd#SoftwareDistribution.}"
		# The renamed trees hold what the originals held.
		check_eq "wu: SoftwareDistribution's files kept" \
		    "$(cd "$T/m/Windows/$sd" && find . -type f -print0 |
		    LC_ALL=C sort -z | xargs -0 sha256sum)" \
		    "$(sed -n 's|  \./Windows/SoftwareDistribution/|  ./|p' \
		    "$T/wu.before")"
		check_eq "wu: catroot2's files kept" \
		    "$(cd "$T/m/Windows/System32/$cr" && find . -type f -print0 |
		    LC_ALL=C sort -z | xargs -0 sha256sum)" \
		    "$(sed -n 's|  \./Windows/System32/catroot2/|  ./|p' \
		    "$T/wu.before")"
		umount_win
	fi
	check_status "wu: undo" 0 ntm -t "$img" undo >/dev/null
	tree "$img" "$T/wu.after"
	check "wu: undo restores every file and folder byte for byte" \
	    cmp -s "$T/wu.before" "$T/wu.after"
	rm -f "$img"
fi

# --- store-corrupt (its fix, golden-apply, is tested with golden) --------
img=$T/store.img
if mkimg "$img" --fault store-corrupt; then
	check_eq "store: diagnose lists exactly store-corrupt" "$(ids "$img")" \
	    store-corrupt
	check_eq "store: fix is golden-apply" "$(field store-corrupt fix)" \
	    golden-apply
	ev=$(field store-corrupt evidence)
	check_match "store: CSI Payload Corrupt names dot3gpui.dll" "$ev" \
	    'CBS\.log:[0-9]+ 2024-01-10 [0-9:]+: \(p\) CSI Payload Corrupt \(n\) amd64_microsoft-windows-dot3gpui_.*\\dot3gpui\.dll'
	check_match "store: 0x80073712 counted" "$ev" \
	    '0x80073712 ERROR_SXS_COMPONENT_STORE_CORRUPT: 3 lines'
	check_match "store: the FoD package 0x8007000d names" "$ev" \
	    'package named: Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10\.0\.19041\.1'
	check_match "store: sechost.dll without a source" "$ev" \
	    'damaged or missing: amd64_microsoft-windows-sechost_.*\\sechost\.dll'
	check_match "store: the failed RestoreHealth" "$ev" \
	    'dism\.exe /Online /Cleanup-Image /RestoreHealth failed with 0x800f081f CBS_E_SOURCE_MISSING'
	check_match "store: RestoreHealth to be staged" "$ev" \
	    "stage 'DISM /Online /Cleanup-Image /RestoreHealth'"

	out=$(ntm -t "$img" logs scan --json)
	check_eq "logs scan: schema" "$(jq -r .schema <<<"$out")" ntmend.logs/1
	check_eq "logs scan: last session failed with 0x80073712" \
	    "$(jq -r '.last_session | "\(.id) \(.outcome) \(.hresult) \(.hresult_name)"' <<<"$out")" \
	    "31080551_1037281930 failed 0x80073712 ERROR_SXS_COMPONENT_STORE_CORRUPT"
	check_eq "logs scan: HRESULTs with names and counts" \
	    "$(jq -r '.hresults[] | "\(.hresult) \(.name) \(.count)"' <<<"$out")" \
	    "$(printf '%s\n' '0x800f081f CBS_E_SOURCE_MISSING 3' \
	    '0xd015001a STATUS_SXS_COMPONENT_STORE_CORRUPT 1' \
	    '0x80073712 ERROR_SXS_COMPONENT_STORE_CORRUPT 3' \
	    '0x8007000d ERROR_INVALID_DATA 1')"
	check_eq "logs scan: dism's last run" \
	    "$(jq -r '.last_dism | "\(.command)|\(.outcome)|\(.hresult)"' <<<"$out")" \
	    "dism.exe /Online /Cleanup-Image /RestoreHealth|failed|0x800f081f"
	check_eq "logs scan: sessions" "$(jq -c .sessions <<<"$out")" \
	    '{"count":2,"succeeded":1,"failed":1,"unfinished":0,"last_success":"2023-12-13 10:05:41"}'
	check_status "logs scan: exit 1 while failures stand" 1 \
	    ntm -t "$img" logs scan >/dev/null
	rm -f "$img"
fi

# --- ssu-missing (its fix is the next-boot queue, stage) ----------------
img=$T/ssu.img
if mkimg "$img" --fault ssu-missing; then
	check_eq "ssu: diagnose lists exactly ssu-missing" "$(ids "$img")" \
	    ssu-missing
	check_eq "ssu: fix is stage" "$(field ssu-missing fix)" stage
	check_match "ssu: summary names the stack needed and the installed" \
	    "$(field ssu-missing summary)" \
	    'servicing stack 10\.0\.19041\.3745 is too old: .* needs servicing stack 10\.0\.19041\.3920 or newer'
	ev=$(field ssu-missing evidence)
	check_match "ssu: the downloaded update.mum" "$ev" \
	    'SoftwareDistribution\\Download\\[0-9a-f]{32}\\update\.mum: downloaded update Package_for_RollupFix~31bf3856ad364e35~amd64~~19041\.3930\.1\.7 \(KB5034122\) needs servicing stack 10\.0\.19041\.3920, installed 10\.0\.19041\.3745'
	check_match "ssu: CBS.log's 0x800f0823" "$ev" \
	    'requires Servicing Stack v10\.0\.19041\.3920 .*0x800f0823'
	rm -f "$img"
fi

# --- all four at once ---------------------------------------------------
img=$T/all.img
if mkimg "$img" --fault store-corrupt --fault ssu-missing \
    --fault txr-log-failure --fault wu-cache; then
	check_eq "all: the four findings" "$(ids "$img")" \
	    "ssu-missing store-corrupt txr-log-failure wu-cache"
	tree "$img" "$T/all.before"
	dry "$img" 'autochk runs before Windows mounts the volume' \
	    txr-reset wu-cache-reset chkdsk-schedule
	check_status "all: fix txr-reset wu-cache-reset chkdsk-schedule" 0 \
	    ntm -t "$img" fix txr-reset wu-cache-reset chkdsk-schedule >/dev/null
	check_eq "all: what the fixes cure is gone, the rest stays" \
	    "$(ids "$img")" "ssu-missing store-corrupt"
	check_status "all: undo" 0 ntm -t "$img" undo >/dev/null
	tree "$img" "$T/all.after"
	check "all: undo restores every file and folder byte for byte" \
	    cmp -s "$T/all.before" "$T/all.after"
	rm -f "$img"
fi

# --- healthy: none of the four ------------------------------------------
img=$T/healthy.img
if mkimg "$img"; then
	check_eq "healthy: none of the four" "$(ids "$img")" ""
	check_eq "healthy: no check failed" \
	    "$(jq -r '.errors | join("; ")' <"$T/diag.json")" ""
	out=$(ntm -t "$img" logs scan --json)
	check_eq "healthy: logs scan finds no HRESULT" \
	    "$(jq '.hresults | length' <<<"$out")" 0
	check_eq "healthy: its last session succeeded" \
	    "$(jq -r '.last_session.outcome' <<<"$out")" succeeded
	check_status "healthy: logs scan exits 0" 0 ntm -t "$img" logs scan \
	    >/dev/null
	check_match "healthy: txr-reset still moves the logs when asked" \
	    "$(ntm -t "$img" --dry-run fix txr-reset)" 'move .*TxR\.blf into it'
	rm -f "$img"
fi
for h in regipy_SYSTEM regipy_SYSTEM_2 regipy_SYSTEM_B; do
	hv=$(t_hive "$h")
	[ -f "$NTM_TESTDATA/hives/$h.LOG1.xz" ] && t_hive "$h.LOG1" >/dev/null
	[ -f "$NTM_TESTDATA/hives/$h.LOG2.xz" ] && t_hive "$h.LOG2" >/dev/null
	img=$T/$h.img
	mkimg "$img" --system "$hv" || continue
	check_eq "$h: none of the four" "$(ids "$img")" ""
	check_eq "$h: no check failed" \
	    "$(jq -r '.errors | join("; ")' <"$T/diag.json")" ""
	rm -f "$img" "$T/$h"*
done

# --- usage ---------------------------------------------------------------
check_status "logs: no subcommand is a usage error" 2 ntm logs 2>/dev/null
check_status "logs scan: no extra arguments" 2 ntm logs scan extra 2>/dev/null
