#!/bin/bash
# The menu's Services and Group Policy screens on mkfixture images: what
# they show is compared with what the command line and the image say, and
# every change made from them is read back independently (hivexget on
# hives and the registry.pol bytes, copied out of a read-only ntfs-3g
# mount); undo from the command line gives every file back byte for byte.
source "$(dirname "$0")/lib.sh"

MKF=$NTM_TOOLS/mkfixture
MPOL=Windows/System32/GroupPolicy/Machine/registry.pol
CFG=Windows/System32/config

# tree IMG OUT: every name on the volume with its size and SHA-256.
tree_list() {
	(cd "$T/mnt" && find . -print0 | LC_ALL=C sort -z |
	    while IFS= read -r -d '' p; do
		if [ -f "$p" ]; then
			printf 'f %s %s %s\n' "$(stat -c %s "$p")" \
			    "$(sha256sum <"$p" | cut -c1-64)" "$p"
		else
			printf 'd - - %s\n' "$p"
		fi
	    done) >"$1"
}
tree() { t_mount_do "$1" tree_list "$2"; }

# files IMG DIR: SYSTEM, SOFTWARE and the Machine registry.pol copied out.
files_cp() {
	mkdir -p "$1" && cp "$T/mnt/$CFG/SYSTEM" "$T/mnt/$CFG/SOFTWARE" "$1" &&
	    { [ ! -f "$T/mnt/$MPOL" ] || cp "$T/mnt/$MPOL" "$1"; }
}
files() { t_mount_do "$1" files_cp "$2"; }

# svc HIVE NAME VALUE: a value of a service of the current control set.
svc() {
	local cur
	cur=$(hivexget "$1" Select Current)
	hivexget "$1" "$(printf 'ControlSet%03d' "$cur")\\Services\\$2" "$3" 2>/dev/null
}

# has16 FILE TEXT: FILE holds TEXT in UTF-16LE (as registry.pol keeps
# names), read by perl, not by ntmend.
has16() {
	perl -e 'local $/; open my $f, "<", $ARGV[0] or exit 2;
	    my $b = <$f>; my $s = join "", map { "$_\0" } split //, $ARGV[1];
	    exit(index($b, $s) >= 0 ? 0 : 1)' "$1" "$2"
}

# tui_re NAME REGEX [SECONDS]: a line of the screen matches REGEX.
tui_re() {
	local i
	for ((i = 0; i < ${3:-20} * 10; i++)); do
		if tui_screen | grep -Eq -- "$2"; then ok "$1"; return; fi
		sleep 0.1
	done
	not_ok "$1"
	echo "#   no line matches '$2':"
	tui_screen | sed 's/^/#   | /'
}

# open_tool TEXT: from the target screen to the main menu's item TEXT.
open_tool() {
	tui_wait "Enter: continue" 30 || return 1
	tui_keys Enter
	tui_wait "Tools" 10 || return 1
	tui_keys / "$1" Enter
	sleep 0.3
	tui_keys Enter
}

# undo_all IMG: undo every journal, newest first.
undo_all() {
	local n
	for n in 1 2 3 4 5; do
		"$NTMEND" -t "$1" --json journal | jq -e '.journals | length > 0' \
		    >/dev/null || return 0
		"$NTMEND" -t "$1" undo >/dev/null || return 1
	done
	return 1
}

### Services ###############################################################

img=$T/svc.img
if ! "$MKF" --fault third-party-services --fault update-services-disabled \
    "$img" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture third-party-services update-services-disabled: $(tail -1 "$T/mkf.log")"
	exit 1
fi
tree "$img" "$T/svc-before.lst" || { not_ok "mount the services image"; exit 1; }
files "$img" "$T/svc-before"
check_eq "fixture: wuauserv disabled" "$(svc "$T/svc-before/SYSTEM" wuauserv Start)" 4
check_eq "fixture: WaaSMedicSvc disabled" \
    "$(svc "$T/svc-before/SYSTEM" WaaSMedicSvc Start)" 4
third=$("$NTMEND" -t "$img" --json services ls --third-party |
    jq -r '.services[].name' | LC_ALL=C sort)

tui_start -t "$img"
open_tool Services
tui_expect "services: the control set and its count" \
    "ControlSet001: $("$NTMEND" -t "$img" --json services ls | jq .count) services and drivers"
tui_re "services: the disabled and broken update services named" \
    'Update services: wuauserv disabled, BITS broken, WaaSMedicSvc disabled'
tui_re "services: wuauserv marked U, disabled, Microsoft" \
    '^ +U wuauserv +disabled +Microsoft +Windows Update$'
tui_re "services: BITS marked U and broken (no ImagePath)" '^ +U BITS +broken'

tui_keys t
tui_expect "filter: on" "(only those shown)"
# 80 columns: display names are cut at the screen's edge.
tui_re "filter: ContosoEPSAgent, automatic, third-party" \
    'ContosoEPSAgent +auto +third-party +Contoso Endpoint Security'
tui_re "filter: FabrikamDMAgent, delayed, third-party" \
    'FabrikamDMAgent +delayed +third-party +Fabrikam Device Management'
tui_gone "filter: the update services are not third-party" "U wuauserv"
shown=$(tui_screen | sed -n 's/^ \{4\}\([^ ]*\) .* third-party .*/\1/p' |
    LC_ALL=C sort)
check_eq "filter: the rows are exactly 'services ls --third-party'" \
    "$shown" "$third"
check_eq "filter: no Microsoft row" \
    "$(tui_screen | grep -cE '^ {4}[^ ]+ +[^ ]+ +Microsoft ')" 0

tui_keys / Fabrikam Enter
sleep 0.3
tui_keys Enter
tui_re "detail: image path" \
    'Image path +"C:\\Program Files \(x86\)\\Fabrikam\\Device'
tui_re "detail: image path, wrapped under itself" \
    '^ {18}Management\\fdmagent\.exe" /service$'
tui_re "detail: start type with DelayedAutostart" \
    'Start type +delayed \(Start = 2, DelayedAutostart = 1\)'
tui_re "detail: why it is third-party" \
    'Vendor +third-party: ImagePath under Program Files'
tui_re "detail: the account" 'Account +LocalSystem'
tui_keys Escape
tui_expect "detail: Esc back to the list" "(only those shown)"
tui_keys t
tui_expect "filter: off again" "showing all services and drivers"

# wuauserv to demand: pick, confirm, 'services set' through the journal.
tui_keys / wuauserv Enter
sleep 0.3
tui_keys s
tui_expect "set: the pick names the service and its start" \
    "Start type of wuauserv (now disabled)"
tui_gone "set: boot is not offered for a service" "boot      drivers"
tui_keys Up Enter
tui_expect "set: asks first" "Change the start type of wuauserv (Windows Update)"
tui_keys y
tui_expect "set: the command ran" "Change start type: done" 60
tui_expect "set: journaled" "(undo: ntmend undo"
tui_keys Escape
tui_re "set: the list is read again: wuauserv demand" '^ +U wuauserv +demand '
tui_re "set: WaaSMedicSvc untouched" '^ +U WaaSMedicSvc +disabled '

# r: the dry run first, then services reset.
tui_keys r
tui_expect "reset: the dry run is shown first" \
    "what would change (nothing is written yet)" 60
tui_expect "reset: WaaSMedicSvc back to 3" "WaaSMedicSvc\\Start ="
tui_keys Escape
tui_expect "reset: asks" "back to Windows' defaults?"
tui_keys y
tui_expect "reset: the command ran" "Reset update services: done" 60
tui_keys Escape
tui_expect "reset: none disabled or broken now" \
    "Update services (U): none disabled or broken."
tui_keys q
tui_expect "quit: asks (changes, no report)" "Quit anyway?"
tui_keys y
tui_end "services"

files "$img" "$T/svc-after"
check_eq "hivexget: wuauserv Start 3 (demand)" \
    "$(svc "$T/svc-after/SYSTEM" wuauserv Start)" 3
check_eq "hivexget: WaaSMedicSvc Start 3 after reset" \
    "$(svc "$T/svc-after/SYSTEM" WaaSMedicSvc Start)" 3
check_eq "hivexget: BITS has an ImagePath again" \
    "$(svc "$T/svc-after/SYSTEM" BITS ImagePath)" \
    '%SystemRoot%\System32\svchost.exe -k netsvcs -p'
check_eq "hivexget: ContosoEPSAgent untouched" \
    "$(svc "$T/svc-after/SYSTEM" ContosoEPSAgent Start)" \
    "$(svc "$T/svc-before/SYSTEM" ContosoEPSAgent Start)"
check_eq "journal: the two changes, as the menu ran them" \
    "$("$NTMEND" -t "$img" --json journal | jq -r '.journals[].command')" \
    "$(printf 'services set wuauserv demand\nservices reset')"
check "undo (command line): both journals" undo_all "$img"
tree "$img" "$T/svc-undone.lst"
check "undo: every file of the volume byte for byte as before" \
    cmp -s "$T/svc-before.lst" "$T/svc-undone.lst"

# tmux (3.3a) crashes when a second session is made in a server whose
# window-size is manual: a new server for the next menu.
tui kill-server

### Group Policy ###########################################################

img=$T/pol.img
if ! "$MKF" --fault grouppolicy-pol-corrupt --fault grouppolicy-blocks-updates \
    "$img" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture grouppolicy-pol-corrupt: $(tail -1 "$T/mkf.log")"
	exit 1
fi
tree "$img" "$T/pol-before.lst" || { not_ok "mount the policy image"; exit 1; }
files "$img" "$T/pol-before"
chk=$("$NTMEND" -t "$img" pol check)
off=$(sed -n 's/.*damaged: offset \([0-9]*\) .*/\1/p' <<<"$chk")
eoff=$(sed -n 's/.*(entry [0-9]* at offset \([0-9]*\)).*/\1/p' <<<"$chk")
kept=$(sed -n 's/^\([0-9]*\) entries before the damage.*/\1/p' <<<"$chk")
check_match "pol check: damaged at an offset" "$off $eoff $kept" \
    '^[0-9]+ [0-9]+ [0-9]+$'

tui_start -t "$img"
open_tool "Group Policy"
tui_expect "policy: the damage offset 'pol check' reports" \
    "Check: damaged at byte offset $off ("
tui_expect "policy: what repair keeps" \
    "in entry $kept at offset $eoff (r keeps the $kept entries before it)"
tui_expect "policy: the update blocks counted" \
    "3 policies here stop Windows Update (marked !)"
tui_re "policy: DisableWindowsUpdateAccess marked" \
    '^ +! DisableWindowsUpdateAccess +DWORD +1$'
tui_re "policy: UseWUServer marked" '^ +! UseWUServer +DWORD +1$'
tui_re "policy: an ordinary entry unmarked" '^ {4}SuppressionPolicy +DWORD +4096$'
tui_keys / '**del.EnableScript' Enter
tui_re "policy: **del. shown as what it does" \
    '\*\*del\.EnableScriptBlock.* +SZ +-> deletes value EnableScriptBl'
tui_keys d
tui_expect "policy: no delete in a damaged file" "repair it first (r)"

tui_keys r
tui_expect "repair: the dry run is shown first" \
    "what would change (nothing is written yet)" 60
tui_expect "repair: drops from the damaged entry" "bytes from offset $eoff"
tui_keys Escape
tui_expect "repair: asks" "Rewrite registry.pol"
tui_keys y
tui_expect "repair: the command ran" "Repair registry.pol: done" 60
tui_keys Escape
tui_expect "repair: the file is read again: intact" \
    "Check: intact, $kept entries, $eoff bytes"
check_match "repair: 'ntmend pol check' says valid" \
    "$("$NTMEND" -t "$img" pol check)" "registry.pol on .*: valid, $kept entries"
files "$img" "$T/pol-repaired"
check_eq "repair: registry.pol is the first $eoff bytes of the damaged one" \
    "$(sha256sum <"$T/pol-repaired/registry.pol")" \
    "$(head -c "$eoff" "$T/pol-before/registry.pol" | sha256sum)"

tui_keys w
tui_expect "unblock: the dry run is shown first" \
    "what would change (nothing is written yet)" 60
tui_keys Escape
tui_expect "unblock: asks" "Remove these policies"
tui_keys y
tui_expect "unblock: the command ran" \
    "Unblock Windows Update: done" 60
tui_keys Escape
tui_expect "unblock: nothing stops updates now" \
    "Nothing in this file stops Windows Update."
check_eq "unblock: no entry marked" "$(tui_screen | grep -cE '^ +! ')" 0

tui_keys / NoAutoplayfornonVolume Enter
sleep 0.3
tui_keys Enter
tui_expect "entry view: its key" \
    "Key      Software\\Policies\\Microsoft\\Windows\\Explorer"
tui_keys Escape
tui_keys d
tui_expect "delete: asks, naming the key" \
    "Key:   Software\\Policies\\Microsoft\\Windows\\Explorer "
tui_expect "delete: and the value" "Value: NoAutoplayfornonVolume "
tui_keys y
tui_expect "delete: the command ran" "Delete policy entry: done" 60
tui_keys Escape
tui_expect "delete: one entry fewer" "Check: intact, $((kept - 6)) entries"
tui_gone "delete: the entry is gone from the list" "NoAutoplayfornonVolume"

tui_keys u
tui_expect "u: the User file (none here)" \
    "No registry.pol: no local User policy is set"
tui_keys u
tui_expect "u: back to Machine" "Machine policy: "
tui_keys q
tui_expect "quit: asks" "Quit anyway?"
tui_keys y
tui_end "policy"

files "$img" "$T/pol-after"
pol=$T/pol-after/registry.pol
check_eq "registry.pol: header PReg, version 1" \
    "$(od -An -tx1 -N8 "$pol" | tr -d ' ')" 5052656701000000
for v in DisableWindowsUpdateAccess NoAutoUpdate UseWUServer WUServer \
    WUStatusServer NoAutoplayfornonVolume; do
	check "registry.pol: no $v left (perl, UTF-16LE)" \
	    eval "! has16 '$pol' '$v'"
done
check "registry.pol: other entries kept (NoAutorun)" has16 "$pol" NoAutorun
check "hivexget: DisableWindowsUpdateAccess gone from SOFTWARE" \
    eval "! hivexget '$T/pol-after/SOFTWARE' 'Policies\\Microsoft\\Windows\\WindowsUpdate' DisableWindowsUpdateAccess >/dev/null 2>&1"
check_eq "hivexget: it was there before" \
    "$(hivexget "$T/pol-before/SOFTWARE" 'Policies\Microsoft\Windows\WindowsUpdate' DisableWindowsUpdateAccess)" 1
check_eq "journal: the three changes, as the menu ran them" \
    "$("$NTMEND" -t "$img" --json journal | jq -r '.journals[].command')" \
    "$(printf 'pol repair\nfix pol-unblock-updates\npol del -- Software\\Policies\\Microsoft\\Windows\\Explorer NoAutoplayfornonVolume')"
check "undo (command line): all three journals" undo_all "$img"
tree "$img" "$T/pol-undone.lst"
check "undo: every file of the volume byte for byte as before" \
    cmp -s "$T/pol-before.lst" "$T/pol-undone.lst"
check_match "undo: pol check finds the damage again" \
    "$("$NTMEND" -t "$img" pol check)" "damaged: offset $off "
