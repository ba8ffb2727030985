#!/bin/bash
# The walk-through from boot to ticket on a fixture image with disabled
# update services: pick the target, diagnose, apply services-reset from
# the menu (its dry run first), check the SYSTEM hive independently
# (hivexget on a copy from a read-only ntfs-3g mount), undo from the menu
# and find every file of the volume as before; save the report and check
# it as JSON; quit.
source "$(dirname "$0")/lib.sh"

img="$T/pc.img"
"$NTM_TOOLS/mkfixture" --fault update-services-disabled "$img" \
    >"$T/mkf.log" 2>&1 || { not_ok "mkfixture: $(tail -1 "$T/mkf.log")"; exit 1; }
t_tree_list "$img" "$T/before"
sum0=$(sha256sum <"$img")

# svc_start NAME: Start of a service in the image's current control set.
svc_start() {
	t_copy_out "$img" Windows/System32/config/SYSTEM "$T/SYSTEM" || return 1
	hivexget "$T/SYSTEM" "$(printf 'ControlSet%03d' \
	    "$(hivexget "$T/SYSTEM" Select Current)")\\Services\\$1" Start
}
check_eq "fixture: wuauserv disabled" "$(svc_start wuauserv)" 4

tui_start -e NTMEND_REPORTS="$T/reports" -t "$img"
# 1: the target, identified.
tui_expect "step 1 shows the computer name" "Computer name"
tui_expect "step 1 says the volume is clean" "clean: ntmend can repair it"
tui_keys Enter
tui_expect "main menu" "Repair, step by step"
tui_expect "main menu: not diagnosed yet" "Not diagnosed yet"

# 2: diagnose; the finding, then its details.
tui_keys 2
tui_expect "diagnose lists update-services-disabled" "update-services-disabled"
tui_expect "findings grouped by severity" "Stops updates"
tui_keys Enter
tui_expect "finding details: evidence" "Evidence:"
tui_expect "finding details: the fix" "Fix: services-reset"
tui_keys Escape

# 3: the fix is preselected; the dry run shows the changes, writes none.
tui_keys f
tui_expect "fixes: services-reset preselected" "[x] services-reset"
tui_gone "fixes: clean-boot not preselected" "[x] clean-boot"
tui_keys v
tui_expect "dry run shown" "dry run, nothing written"
tui_expect "dry run names wuauserv's Start" 'wuauserv\Start'
tui_keys Escape
check_eq "dry run wrote nothing" "$(sha256sum <"$img")" "$sum0"
tui_keys a
tui_expect "apply shows the dry run first" "dry run, nothing written"
tui_keys Escape
tui_expect "apply asks" "Apply 1 fix(es) as shown?"
tui_keys y
tui_expect "apply done" "3 Fix: applying: done" 60
tui_expect "apply printed its journal" "journal 20"
tui_keys Escape
tui_expect "result: the finding is gone" "fixed:       update-services-disabled" 60
tui_keys Escape
check_eq "wuauserv Start read back with hivexget: demand" "$(svc_start wuauserv)" 3
check_eq "BITS Start read back with hivexget: not disabled" \
    "$([ "$(svc_start BITS)" != 4 ] && echo yes)" yes

# 4: undo from the menu.
tui_keys Escape Escape
tui_expect "back in the main menu" "Repair, step by step"
tui_keys 4
tui_expect "journal listed" "fix services-reset"
tui_keys u
tui_expect "undo asks" "Every original it saved is put back exactly"
tui_keys y
tui_expect "undo done" "4 Undo: done" 60
tui_keys Escape
tui_expect "no journals left" "No journals"
check_eq "wuauserv disabled again" "$(svc_start wuauserv)" 4
t_tree_list "$img" "$T/after"
if cmp -s "$T/before" "$T/after"; then
	ok "every file of the volume as before ($(wc -l <"$T/before") names)"
else
	not_ok "every file of the volume as before"
	diff "$T/before" "$T/after" | head -10 | sed 's/^/#   /'
fi

# 5: the report, as a plan's.
tui_keys Escape 5
tui_expect "finish screen" "Save the report"
tui_keys Enter
tui_expect "report saved" "report saved:" 60
rep=$(ls "$T"/reports/*.json 2>/dev/null | head -1)
check "report written" test -n "$rep"
if [ -n "$rep" ]; then
	check_eq "report: pc" "$(jq -r .pc "$rep")" \
	    "$("$NTMEND" -t "$img" --json info | jq -r .windows.computer_name)"
	check_eq "report: the fix and the undo are its steps" \
	    "$(jq -r '[.steps[].line] | join(",")' "$rep")" \
	    "fix services-reset,undo $(jq -r '.steps[0].journal' "$rep")"
	check_eq "report: finding before" \
	    "$(jq -r '[.findings_before[].id] | index("update-services-disabled") != null' "$rep")" true
	check_eq "report: result (undone, so attention)" "$(jq -r .result "$rep")" attention
	check_eq "report: the schema first" "$(jq -r 'keys_unsorted[0]' "$rep")" schema
	check_eq "report: journals: the fix's id (the undo made none)" \
	    "$(jq -c '.journals' "$rep")" "[\"$(jq -r '.steps[0].journal' "$rep")\"]"
	out=$("$NTMEND" report summarize "$T/reports" 2>&1)
	check_match "report summarize reads the menu's report" "$out" "attention"
fi
# The logs archive beside it: logs collect's zip, read with bsdtar.
tui_keys Down Enter
tui_expect "logs archive written" "5 Logs archive: done" 120
tui_keys Escape
zip=$(ls "$T"/reports/*-logs-*.zip 2>/dev/null | head -1)
check "logs archive on the stick's folder" test -n "$zip"
[ -n "$zip" ] && check_match "logs archive holds the diagnosis" \
    "$(bsdtar -tf "$zip")" "diagnos"
tui_keys q
tui_end "quit"
