#!/bin/bash
# diagnose and fix for the Group Policy findings (grouppolicy-pol-corrupt,
# grouppolicy-blocks-updates) on mkfixture images: healthy, each fault,
# each half of the blocking (only the file, only the hive), and one image
# with all four services/policy faults. Checked independently: the bytes
# of registry.pol copied out of a read-only ntfs-3g mount (against the
# testdata GPO mkfixture starts from) and its strict validity with
# `ntmend pol check FILE` on the copy; the SOFTWARE/SYSTEM values with
# hivexget; undo must give back every file of the volume byte for byte;
# --dry-run must not change the image.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
MINE='["update-services-disabled","grouppolicy-pol-corrupt","grouppolicy-blocks-updates","third-party-services"]'
CFG=Windows/System32/config
MPOL=Windows/System32/GroupPolicy/Machine/registry.pol
BASE=$NTM_TESTDATA/pol/nsa_Windows_A2A38432_Machine.pol	# mkfixture's GPO
WU='Policies\Microsoft\Windows\WindowsUpdate'
PWU='Software\Policies\Microsoft\Windows\WindowsUpdate'
# The five entries/values the grouppolicy-blocks-updates fault writes.
BLOCKING="WindowsUpdate;DisableWindowsUpdateAccess WindowsUpdate;WUServer WindowsUpdate;WUStatusServer AU;NoAutoUpdate AU;UseWUServer"

mkimg() {
	local name=$1
	shift
	if ! "$MKF" --size 300 "$@" "$T/$name.img" >"$T/mkf.log" 2>&1; then
		not_ok "mkfixture $name: $(tail -1 "$T/mkf.log")"
		return 1
	fi
}

diag() {
	"$NTMEND" -t "$1" --json diagnose >"$T/diag.json" 2>"$T/diag.err"
}

mine() {
	jq -r --argjson m "$MINE" '[.findings[].id | select(. as $i |
	    $m | index($i))] | sort | join(" ")' <"$T/diag.json"
}

finding() {
	jq -r --arg id "$1" ".findings[] | select(.id == \$id) | .$2" \
	    <"$T/diag.json"
}

evidence() {
	jq -r --arg id "$1" '.findings[] | select(.id == $id) | .evidence[]' \
	    <"$T/diag.json"
}

tree_list() {
	(cd "$T/mnt" && find . -print0 | LC_ALL=C sort -z |
	    while IFS= read -r -d '' p; do
		if [ -d "$p" ]; then
			printf 'd %s\n' "$p"
		else
			printf 'f %s %s %s\n' "$(stat -c %s "$p")" \
			    "$(sha256sum <"$p" | cut -c1-64)" "$p"
		fi
	    done) >"$1"
}
tree() { t_mount_do "$1" tree_list "$2"; }

# files IMG DIR: registry.pol, SYSTEM and SOFTWARE copied out to DIR.
files_cp() {
	mkdir -p "$1" && cp "$T/mnt/$MPOL" "$T/mnt/$CFG/SYSTEM" \
	    "$T/mnt/$CFG/SOFTWARE" "$1"
}
files() { t_mount_do "$1" files_cp "$2"; }

sha() { sha256sum <"$1" | cut -c1-64; }
size() { stat -c %s "$1"; }

# prefix_of FILE BASE: FILE is BASE's first bytes, and ends where an entry
# of BASE ends ("]" then "[" at the cut, UTF-16LE).
prefix_of() {
	local n
	n=$(size "$1")
	[ "$n" -lt "$(size "$2")" ] && cmp -s -n "$n" "$1" "$2" &&
	    [ "$(od -An -tx1 -j $((n - 2)) -N 4 "$2" | tr -d ' \n')" = 5d005b00 ]
}

# valid FILE: `ntmend pol check` calls it valid; prints its entry count.
valid() {
	local out
	out=$("$NTMEND" --json pol check "$1") || return 1
	[ "$(jq -r .valid <<<"$out")" = true ] || return 1
	jq -r .kept <<<"$out"
}

# hive_wu SOFTWARE: the blocking values present in the hive, one a line.
hive_wu() {
	local e k v
	for e in $BLOCKING; do
		k=${e%%;*} v=${e#*;}
		[ "$k" = AU ] && k="$WU\\AU" || k=$WU
		hivexget "$1" "$k" "$v" >/dev/null 2>&1 && echo "$e"
	done
}

base_n=$(valid "$BASE")
check_eq "the testdata GPO is valid (87 entries)" "$base_n" 87

# --- healthy -------------------------------------------------------------
mkimg healthy || exit 1
diag "$T/healthy.img"
check_eq "healthy: none of the four" "$(mine)" ""
rm -f "$T/healthy.img"

# --- grouppolicy-pol-corrupt --------------------------------------------
img=$T/pc.img
mkimg pc --fault grouppolicy-pol-corrupt || exit 1
diag "$img"
check_eq "pc: exit status 1" "$?" 1
check_eq "pc: exactly grouppolicy-pol-corrupt" "$(mine)" grouppolicy-pol-corrupt
check_eq "pc: severity" "$(finding grouppolicy-pol-corrupt severity)" error
check_eq "pc: fix" "$(finding grouppolicy-pol-corrupt fix)" pol-repair
files "$img" "$T/pc.before"
P0=$T/pc.before/registry.pol
check "pc: the file on the volume is the GPO cut short" cmp -s -n "$(size "$P0")" "$P0" "$BASE"
ev=$(evidence grouppolicy-pol-corrupt)
check_match "pc: evidence: offset and reason" "$(head -1 <<<"$ev")" \
    '^offset [0-9]+ \(0x[0-9a-f]+\): .* \(entry 86 at offset [0-9]+\)$'
check_match "pc: evidence: 86 valid entries before it" "$ev" \
    "86 entries before the damage are valid \\(the file's first [0-9]+ bytes\\)"
keep=$(sed -n "s/.*the file's first \([0-9]*\) bytes.*/\1/p" <<<"$ev")
check "pc: the damaged entry starts at $keep, where an entry of the GPO starts" \
    test "$(od -An -tx1 -j "$keep" -N 2 "$P0" | tr -d ' \n')" = 5b00
tree "$img" "$T/pc.tree0"

before=$(sha "$img")
out=$("$NTMEND" -t "$img" -n --json fix pol-repair)
check_eq "pc: dry run exit status" "$?" 0
check_match "pc: dry run describes the rewrite" "$(jq -r '.fixes[0].changes[0]' <<<"$out")" \
    "with the 86 valid entries before the damage"
check_eq "pc: dry run writes nothing" "$(sha "$img")" "$before"
out=$("$NTMEND" -t "$img" --json fix pol-repair)
check_eq "pc: fix exit status" "$?" 0
diag "$img"
check_eq "pc: after the fix, none of the four" "$(mine)" ""
files "$img" "$T/pc.after"
P1=$T/pc.after/registry.pol
check_eq "pc: the repaired file is valid, 86 entries (pol check)" "$(valid "$P1")" 86
check_eq "pc: it is the first $keep bytes of the damaged one" "$(size "$P1")" "$keep"
check "pc: byte for byte" cmp -s -n "$keep" "$P1" "$P0"
check "pc: and the GPO's entries before the damaged one" prefix_of "$P1" "$BASE"
check_eq "pc: hives untouched" "$(sha "$T/pc.after/SOFTWARE") $(sha "$T/pc.after/SYSTEM")" \
    "$(sha "$T/pc.before/SOFTWARE") $(sha "$T/pc.before/SYSTEM")"
"$NTMEND" -t "$img" undo >/dev/null 2>&1
check_eq "pc: undo exit status" "$?" 0
tree "$img" "$T/pc.tree1"
check "pc: undo restores every file of the volume" cmp -s "$T/pc.tree0" "$T/pc.tree1"
check "pc: the volume's files are listed" test "$(grep -c '^f ' "$T/pc.tree0")" -gt 50
rm -f "$img"

# --- grouppolicy-blocks-updates -----------------------------------------
img=$T/bu.img
mkimg bu --fault grouppolicy-blocks-updates || exit 1
cp "$img" "$T/bu-hive.img"
cp "$img" "$T/bu-file.img"
diag "$img"
check_eq "bu: exit status 1" "$?" 1
check_eq "bu: exactly grouppolicy-blocks-updates" "$(mine)" grouppolicy-blocks-updates
check_eq "bu: severity" "$(finding grouppolicy-blocks-updates severity)" error
check_eq "bu: fix" "$(finding grouppolicy-blocks-updates fix)" pol-unblock-updates
check_match "bu: summary names both places" "$(finding grouppolicy-blocks-updates summary)" \
    'wu-access-removed, auto-update-disabled, intranet-server\): set in the Machine registry.pol and applied in the SOFTWARE hive$'
ev=$(evidence grouppolicy-blocks-updates)
for v in 'WindowsUpdate\DisableWindowsUpdateAccess = REG_DWORD 1 (wu-access-removed)' \
    'WindowsUpdate\AU\NoAutoUpdate = REG_DWORD 1 (auto-update-disabled)' \
    'WindowsUpdate\AU\UseWUServer = REG_DWORD 1 (intranet-server)' \
    'WindowsUpdate\WUServer = REG_SZ http://wsus01.contoso.local:8530 (intranet-server)' \
    'WindowsUpdate\WUStatusServer = REG_SZ http://wsus01.contoso.local:8530 (intranet-server)'; do
	check "bu: evidence (hive): $v" grep -qxF "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\$v" <<<"$ev"
done
check_match "bu: evidence (file): DisableWindowsUpdateAccess at offset 8" "$ev" \
    "registry.pol: $(sed 's/\\/\\\\/g' <<<"$PWU");DisableWindowsUpdateAccess = REG_DWORD 1 \\(entry 0 at offset 8\\)"
check_match "bu: evidence (file): NoAutoUpdate" "$ev" 'registry.pol: .*\\AU;NoAutoUpdate = REG_DWORD 1'
check_match "bu: evidence (file): the intranet server" "$ev" \
    'registry.pol: .*\\AU;UseWUServer = REG_DWORD 1 .* with .*;WUServer = REG_SZ http://wsus01.contoso.local:8530'
files "$img" "$T/bu.before"
check_eq "bu: the hive holds the five values (hivexget)" "$(hive_wu "$T/bu.before/SOFTWARE" | wc -l)" 5
check_eq "bu: the file is valid, the GPO and five entries (pol check)" "$(valid "$T/bu.before/registry.pol")" $((base_n + 5))
tree "$img" "$T/bu.tree0"

before=$(sha "$img")
out=$("$NTMEND" -t "$img" -n --json fix pol-unblock-updates)
check_eq "bu: dry run exit status" "$?" 0
check_eq "bu: dry run lists five file and five hive changes" \
    "$(jq -r '[.fixes[0].changes[] | select(test("registry.pol: deleted"))] | length' <<<"$out") $(jq -r '[.fixes[0].changes[] | select(startswith("deleted value HKEY_LOCAL_MACHINE\\SOFTWARE"))] | length' <<<"$out")" \
    "5 5"
check_eq "bu: dry run writes nothing" "$(sha "$img")" "$before"
out=$("$NTMEND" -t "$img" --json fix pol-unblock-updates)
check_eq "bu: fix exit status" "$?" 0
diag "$img"
check_eq "bu: after the fix, none of the four" "$(mine)" ""
files "$img" "$T/bu.after"
check_eq "bu: the file is valid (pol check)" "$(valid "$T/bu.after/registry.pol")" "$base_n"
check "bu: the file is the GPO again, byte for byte" cmp -s "$T/bu.after/registry.pol" "$BASE"
check_eq "bu: the hive values are gone (hivexget)" "$(hive_wu "$T/bu.after/SOFTWARE")" ""
check "bu: the keys stay" hivexget "$T/bu.after/SOFTWARE" "$WU\\AU"
check_eq "bu: SYSTEM untouched" "$(sha "$T/bu.after/SYSTEM")" "$(sha "$T/bu.before/SYSTEM")"
"$NTMEND" -t "$img" undo >/dev/null 2>&1
check_eq "bu: undo exit status" "$?" 0
tree "$img" "$T/bu.tree1"
check "bu: undo restores every file of the volume" cmp -s "$T/bu.tree0" "$T/bu.tree1"
rm -f "$img"

# Only the applied values (the file's entries deleted with pol del): still
# found from the hive, and the fix leaves the file alone.
img=$T/bu-hive.img
for e in $BLOCKING; do
	k=${e%%;*}
	[ "$k" = AU ] && k="$PWU\\AU" || k=$PWU
	"$NTMEND" -t "$img" pol del "$k" "${e#*;}" >>"$T/setup.log" 2>&1 || not_ok "bu-hive: pol del $e"
done
diag "$img"
check_eq "bu-hive: exactly grouppolicy-blocks-updates" "$(mine)" grouppolicy-blocks-updates
check_match "bu-hive: from the hive only" "$(finding grouppolicy-blocks-updates summary)" ': applied in the SOFTWARE hive$'
check_eq "bu-hive: no file evidence" "$(evidence grouppolicy-blocks-updates | grep -c registry.pol)" 0
files "$img" "$T/bh.before"
check "bu-hive: setup: the file is the GPO" cmp -s "$T/bh.before/registry.pol" "$BASE"
tree "$img" "$T/bh.tree0"
"$NTMEND" -t "$img" fix pol-unblock-updates >/dev/null 2>&1
check_eq "bu-hive: fix exit status" "$?" 0
diag "$img"
check_eq "bu-hive: after the fix, none of the four" "$(mine)" ""
files "$img" "$T/bh.after"
check_eq "bu-hive: the hive values are gone (hivexget)" "$(hive_wu "$T/bh.after/SOFTWARE")" ""
check "bu-hive: the file untouched" cmp -s "$T/bh.after/registry.pol" "$BASE"
"$NTMEND" -t "$img" undo >/dev/null 2>&1
tree "$img" "$T/bh.tree1"
check "bu-hive: undo restores every file of the volume" cmp -s "$T/bh.tree0" "$T/bh.tree1"
rm -f "$img"

# Only the file (the applied values deleted with reg del): found from the
# file, and the fix leaves the hive alone.
img=$T/bu-file.img
for e in $BLOCKING; do
	k=${e%%;*}
	[ "$k" = AU ] && k="HKLM\\SOFTWARE\\$WU\\AU" || k="HKLM\\SOFTWARE\\$WU"
	"$NTMEND" -t "$img" reg del "$k" "${e#*;}" >>"$T/setup.log" 2>&1 || not_ok "bu-file: reg del $e"
done
diag "$img"
check_eq "bu-file: exactly grouppolicy-blocks-updates" "$(mine)" grouppolicy-blocks-updates
check_match "bu-file: from the file only" "$(finding grouppolicy-blocks-updates summary)" ': set in the Machine registry.pol$'
files "$img" "$T/bf.before"
tree "$img" "$T/bf.tree0"
"$NTMEND" -t "$img" fix pol-unblock-updates >/dev/null 2>&1
check_eq "bu-file: fix exit status" "$?" 0
diag "$img"
check_eq "bu-file: after the fix, none of the four" "$(mine)" ""
files "$img" "$T/bf.after"
check "bu-file: the file is the GPO again" cmp -s "$T/bf.after/registry.pol" "$BASE"
check_eq "bu-file: the hive untouched" "$(sha "$T/bf.after/SOFTWARE")" "$(sha "$T/bf.before/SOFTWARE")"
"$NTMEND" -t "$img" undo >/dev/null 2>&1
tree "$img" "$T/bf.tree1"
check "bu-file: undo restores every file of the volume" cmp -s "$T/bf.tree0" "$T/bf.tree1"
rm -f "$img"

# An intranet update server alone is how managed PCs update: a warning,
# not an error.
img=$T/wsus.img
mkimg wsus || exit 1
"$NTMEND" -t "$img" pol set "$PWU" WUServer sz http://wsus.example:8530 >"$T/setup.log" 2>&1 &&
    "$NTMEND" -t "$img" pol set "$PWU\\AU" UseWUServer dword 1 >>"$T/setup.log" 2>&1
check_eq "wsus: setup" "$?" 0
diag "$img"
check_eq "wsus: grouppolicy-blocks-updates" "$(mine)" grouppolicy-blocks-updates
check_eq "wsus: a warning" "$(finding grouppolicy-blocks-updates severity)" warning
rm -f "$img"

# --- all four faults -------------------------------------------------------
img=$T/all.img
mkimg all --fault update-services-disabled --fault grouppolicy-pol-corrupt \
    --fault grouppolicy-blocks-updates --fault third-party-services || exit 1
cp "$img" "$T/all2.img"
diag "$img"
check_eq "all: exit status 1" "$?" 1
check_eq "all: exactly the four" "$(mine)" \
    "grouppolicy-blocks-updates grouppolicy-pol-corrupt third-party-services update-services-disabled"
check_match "all: the blockers are among the entries before the damage" \
    "$(finding grouppolicy-blocks-updates summary)" 'the file is damaged'
files "$img" "$T/all.before"
tree "$img" "$T/all.tree0"
before=$(sha "$img")
out=$("$NTMEND" -t "$img" -n --json fix --all)
check_eq "all: dry run exit status" "$?" 0
check_eq "all: dry run writes nothing" "$(sha "$img")" "$before"
out=$("$NTMEND" -t "$img" --json fix --all)
check_eq "all: fix --all exit status" "$?" 0
check_eq "all: fix --all: these, in this order, never clean-boot" \
    "$(jq -r '[.fixes[].id] | join(" ")' <<<"$out")" "services-reset pol-repair pol-unblock-updates"
diag "$img"
check_eq "all: after fix --all, only third-party-services" "$(mine)" third-party-services
files "$img" "$T/all.after"
A=$T/all.after
check_eq "all: the file is valid, the GPO's first 86 entries (pol check)" "$(valid "$A/registry.pol")" 86
check "all: byte for byte the GPO's beginning" prefix_of "$A/registry.pol" "$BASE"
check_eq "all: the hive values are gone (hivexget)" "$(hive_wu "$A/SOFTWARE")" ""
cs=$(printf 'ControlSet%03d' "$(hivexget "$A/SYSTEM" Select Current)")
check_eq "all: wuauserv, WaaSMedicSvc manual again; BITS has its ImagePath (hivexget)" \
    "$(hivexget "$A/SYSTEM" "$cs\\Services\\wuauserv" Start) $(hivexget "$A/SYSTEM" "$cs\\Services\\WaaSMedicSvc" Start) $(hivexget "$A/SYSTEM" "$cs\\Services\\BITS" ImagePath)" \
    '3 3 %SystemRoot%\System32\svchost.exe -k netsvcs -p'
check_eq "all: the agents still start (clean-boot not applied)" \
    "$(hivexget "$A/SYSTEM" "$cs\\Services\\ContosoEPSAgent" Start) $(hivexget "$A/SYSTEM" "$cs\\Services\\FabrikamDMAgent" Start)" "2 2"
out=$("$NTMEND" -t "$img" --json fix clean-boot)
check_eq "all: clean-boot on top" "$(jq -r .ok <<<"$out")" true
diag "$img"
check_eq "all: then none of the four" "$(mine)" ""
"$NTMEND" -t "$img" undo >/dev/null 2>&1 && "$NTMEND" -t "$img" undo >/dev/null 2>&1
check_eq "all: undo twice" "$?" 0
tree "$img" "$T/all.tree1"
check "all: undo restores every file of the volume" cmp -s "$T/all.tree0" "$T/all.tree1"
rm -f "$img"

# pol-unblock-updates alone on the damaged file: the blockers go, the
# damaged end stays for pol-repair to judge.
img=$T/all2.img
"$NTMEND" -t "$img" fix pol-unblock-updates >/dev/null 2>&1
check_eq "all, unblock alone: exit status" "$?" 0
diag "$img"
check_eq "all, unblock alone: the damage remains, the blocking is gone" "$(mine)" \
    "grouppolicy-pol-corrupt third-party-services update-services-disabled"
files "$img" "$T/all2.after"
check "all, unblock alone: the file is the GPO cut as before (its damaged end kept)" \
    cmp -s -n "$(size "$T/all2.after/registry.pol")" "$T/all2.after/registry.pol" "$BASE"
check_eq "all, unblock alone: five entries (10+ bytes each) shorter" \
    "$(( $(size "$T/all.before/registry.pol") - $(size "$T/all2.after/registry.pol") > 50 ))" 1
check "all, unblock alone: still damaged (pol check)" test -z "$(valid "$T/all2.after/registry.pol")"
rm -f "$img"
