#!/bin/bash
# pol on disk images from mkfixture (healthy, grouppolicy-pol-corrupt,
# grouppolicy-blocks-updates) and on copies of testdata .pol files. What
# ntmend says is checked against an independent PReg walker (perl, below)
# and against the bytes of registry.pol read back through a read-only
# ntfs-3g mount; changes must be undone byte for byte.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
BASE=$NTM_TESTDATA/pol/nsa_Windows_A2A38432_Machine.pol	# mkfixture's
MPOL=Windows/System32/GroupPolicy/Machine/registry.pol
UPOL=Windows/System32/GroupPolicy/User/registry.pol

# preg_walk FILE: one line per entry, "offset key name type size hex" (tab
# separated), trusting nothing but the format; on damage a last line
# "damage ENTRIES ENTRY_OFFSET BLAMED_OFFSET" (the field the file ends in:
# a string's start, a fixed field's start, a missing delimiter, or the size
# field of data cut short).
preg_walk() {
	perl -e '
use strict;
binmode STDOUT, ":utf8";
local $/;
open my $f, "<:raw", $ARGV[0] or die "$ARGV[0]: $!\n";
my $b = <$f>;
my $len = length $b;
die "no PReg header\n" unless substr($b, 0, 8) eq "PReg\x01\0\0\0";
my ($o, $n, $blame) = (8, 0);
sub u16 { my $p = shift; $p + 2 <= $len ? unpack("v", substr($b, $p, 2)) : undef }
sub delim {
	my ($p, $c) = @_; my $u = u16($p);
	if (!defined $u || $u != ord $c) { $blame = $p; return 0 }
	1;
}
sub str {
	my $p = shift; my $s = "";
	for (my $q = $p; ; $q += 2) {
		my $u = u16($q);
		if (!defined $u) { $blame = $p; return }
		return ($s, $q + 2) if $u == 0;
		$s .= chr $u;
	}
}
while ($o < $len) {
	my $e = $o;
	delim($o, "[") or last;
	my ($k, $p) = str($o + 2); defined $k or last;
	delim($p, ";") or last;
	my ($nm, $q) = str($p + 2); defined $nm or last;
	delim($q, ";") or last;
	my $t = $q + 2; if ($t + 4 > $len) { $blame = $t; last }
	delim($t + 4, ";") or last;
	my $s = $t + 6; if ($s + 4 > $len) { $blame = $s; last }
	delim($s + 4, ";") or last;
	my $size = unpack "V", substr($b, $s, 4);
	my $d = $s + 6; if ($d + $size > $len) { $blame = $s; last }
	delim($d + $size, "]") or last;
	printf "%d\t%s\t%s\t%d\t%d\t%s\n", $e, $k, $nm,
	    unpack("V", substr($b, $t, 4)), $size,
	    unpack("H*", substr($b, $d, $size));
	$o = $d + $size + 2; $n++;
}
printf "damage\t%d\t%d\t%d\n", $n, $o, $blame if $o < $len;
' "$1"
}

# The same lines from ntmend's --json (on stdin).
json_walk() {
	jq -r '.entries[] | "\(.offset)\t\(.key)\t\(.value)\t\(.type_number)\t\(.size)\t\(.hex)"'
}

# pol_out IMAGE WINPATH OUT: copy a file out of the Windows partition
# through a read-only ntfs-3g mount; fails if it is not there.
pol_out() {
	local rc=0
	t_mount "$1" "$T/mnt" $(t_part "$1" 3) || return 1
	cp "$T/mnt/$2" "$3" 2>/dev/null || rc=1
	t_umount "$T/mnt"
	rm -f "$T"/part-*.img
	return $rc
}

# on_volume IMAGE WINPATH: does the path exist in the Windows partition?
on_volume() {
	local rc=1
	t_mount "$1" "$T/mnt" $(t_part "$1" 3) || return 2
	[ -e "$T/mnt/$2" ] && rc=0
	t_umount "$T/mnt"
	rm -f "$T"/part-*.img
	return $rc
}

mkimg() {	# OUT [--fault F]...
	local out=$1
	shift
	if ! "$MKF" "$@" "$out" >"$T/mkf.log" 2>&1; then
		not_ok "mkfixture $*: $(tail -1 "$T/mkf.log")"
		return 1
	fi
}

sha() { sha256sum <"$1" | cut -d' ' -f1; }

preg_walk "$BASE" >"$T/base.walk"
check_eq "walker: the fixture's GPO has 87 entries" "$(wc -l <"$T/base.walk")" 87

# --- healthy image ---------------------------------------------------------
img=$T/healthy.img
mkimg "$img" || exit 0
before=$(sha "$img")
out=$("$NTMEND" -t "$img" pol check)
check_eq "healthy: check exit 0" "$?" 0
check_match "healthy: one-line summary" "$out" \
    '^Windows.System32.GroupPolicy.Machine.registry\.pol on .*: valid, 87 entries \(15300 bytes\)$'
check_eq "healthy: summary is one line" "$(printf '%s\n' "$out" | wc -l)" 1
pol_out "$img" "$MPOL" "$T/healthy.pol"
check "healthy: registry.pol on the volume is the testdata GPO" cmp -s "$T/healthy.pol" "$BASE"
"$NTMEND" -t "$img" --json pol show >"$T/healthy.json"
check_eq "healthy: show --json exit 0" "$?" 0
check_eq "healthy: schema" "$(jq -r .schema "$T/healthy.json")" "ntmend.pol/1"
check_eq "healthy: show --json lists the testdata GPO's entries" \
    "$(json_walk <"$T/healthy.json")" "$(cat "$T/base.walk")"
check_eq "healthy: valid, nothing stops updates" \
    "$(jq -c '[.valid, .exists, .damage, (.blocks_updates | length)]' "$T/healthy.json")" \
    '[true,true,null,0]'
check_eq "healthy: a meaning for every entry" \
    "$(jq '[.entries[] | select(.meaning == "" or .meaning == null)] | length' "$T/healthy.json")" 0
out=$("$NTMEND" -t "$img" pol show)
check_eq "healthy: show exit 0" "$?" 0
check_match "healthy: show has the table" "$out" \
    'EnableICMPRedirect +REG_DWORD +0'
out=$("$NTMEND" -t "$img" pol show --user)
check_eq "healthy: no User registry.pol, exit 0" "$?" 0
check_match "healthy: missing User policy said plainly" "$out" \
    'no registry.pol at .*User.registry.pol.*no local User policy is set'
check_eq "healthy: check --user --json says it does not exist" \
    "$("$NTMEND" -t "$img" --json pol check --user | jq -c '[.exists, .entries]')" '[false,[]]'
out=$("$NTMEND" -t "$img" pol repair)
check_match "healthy: nothing to repair" "$out" '^nothing to repair: .* is valid \(87 entries\)'
check_eq "healthy: show/check/repair write nothing" "$(sha "$img")" "$before"

# set and del on the target, through the journal; undo gives the bytes back.
"$NTMEND" -t "$img" pol set 'HKLM\Software\Policies\Microsoft\Windows\WindowsUpdate\AU' \
    AUOptions dword 3 >"$T/out" 2>&1
check_eq "set: exit 0" "$?" 0
check_match "set: says what it did" "$(head -1 "$T/out")" \
    '^set Software.Policies.Microsoft.Windows.WindowsUpdate.AU;AUOptions = REG_DWORD 3 \(new entry\)$'
check_match "set: names its journal" "$(tail -1 "$T/out")" '^journal [0-9]{8}-[0-9]{6}-pol '
pol_out "$img" "$MPOL" "$T/set.pol"
preg_walk "$T/set.pol" >"$T/set.walk"
check_eq "set: the GPO's entries are untouched" "$(head -87 "$T/set.walk")" "$(cat "$T/base.walk")"
check_eq "set: one new entry at the end, as written" "$(tail -n +88 "$T/set.walk")" \
    "$(printf '15300\tSoftware\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU\tAUOptions\t4\t4\t03000000')"
"$NTMEND" -t "$img" pol del 'Software\Policies\Microsoft\Windows\WindowsUpdate\AU' NoSuchValue 2>"$T/err"
check_eq "del of a missing entry fails" "$?" 4
check_match "del: says there is no such entry" "$(cat "$T/err")" 'no entry .*NoSuchValue'
"$NTMEND" -t "$img" undo >/dev/null 2>"$T/err"
check_eq "set: undo exit 0" "$?" 0
pol_out "$img" "$MPOL" "$T/undone.pol"
check "set: undo restores registry.pol byte for byte" cmp -s "$T/undone.pol" "$BASE"

# --user: a new User registry.pol (and its folder's content) and undo.
"$NTMEND" -t "$img" pol set --user 'HKCU\Software\Policies\Microsoft\Windows\Explorer' \
    NoAutoplayfornonVolume dword 1 >/dev/null 2>&1
check_eq "set --user: exit 0" "$?" 0
pol_out "$img" "$UPOL" "$T/user.pol"
check_eq "set --user: a one-entry User registry.pol" "$(preg_walk "$T/user.pol")" \
    "$(printf '8\tSoftware\\Policies\\Microsoft\\Windows\\Explorer\tNoAutoplayfornonVolume\t4\t4\t01000000')"
"$NTMEND" -t "$img" pol set --user 'HKLM\Software\X' Y dword 1 2>"$T/err"
check_eq "set --user with an HKLM key: usage" "$?" 2
"$NTMEND" -t "$img" undo >/dev/null 2>"$T/err"
check_eq "set --user: undo exit 0" "$?" 0
on_volume "$img" "$UPOL"
check_eq "set --user: undo removes the file it created" "$?" 1
rm -f "$img"

# --- grouppolicy-pol-corrupt ---------------------------------------------
img=$T/corrupt.img
mkimg "$img" --fault grouppolicy-pol-corrupt || exit 0
pol_out "$img" "$MPOL" "$T/corrupt.pol"
preg_walk "$T/corrupt.pol" >"$T/corrupt.walk"
read -r _ nkept eoff blame <<<"$(grep '^damage' "$T/corrupt.walk")"
check_eq "corrupt: the fixture cut the last entry (walker)" "$nkept $eoff" \
    "86 $(sed -n 87p "$T/base.walk" | cut -f1)"
before=$(sha "$img")
out=$("$NTMEND" -t "$img" pol check)
check_eq "corrupt: check exit 1" "$?" 1
check_match "corrupt: check names the byte and the reason" "$out" \
    "damaged: offset $blame \\(0x$(printf %x "$blame")\\): [a-z]"
check_match "corrupt: check says what repair keeps" "$out" \
    '86 entries before the damage are valid'
"$NTMEND" -t "$img" --json pol check >"$T/corrupt.json"
check_eq "corrupt: check --json exit 1" "$?" 1
check_eq "corrupt: --json damage offset, entry and kept" \
    "$(jq -c '[.valid, .damage.offset, .damage.entry, .damage.entry_offset, .kept]' "$T/corrupt.json")" \
    "[false,$blame,86,$eoff,86]"
check_eq "corrupt: show --json lists the entries before the damage" \
    "$(json_walk <"$T/corrupt.json")" "$(head -86 "$T/base.walk")"
"$NTMEND" -t "$img" pol show >/dev/null 2>"$T/err"
check_eq "corrupt: show exit 1" "$?" 1
out=$("$NTMEND" -t "$img" --dry-run pol repair)
check_eq "corrupt: repair --dry-run exit 0" "$?" 0
check_match "corrupt: dry run tells what is kept" "$out" \
    "with the 86 valid entries before the damage \\(its first $eoff bytes"
check_match "corrupt: dry run tells what is dropped" "$out" \
    "dropped $(($(stat -c %s "$T/corrupt.pol") - eoff)) bytes from offset $eoff: entry 86"
check_eq "corrupt: --dry-run leaves the image unchanged" "$(sha "$img")" "$before"

out=$("$NTMEND" -t "$img" pol repair)
check_eq "corrupt: repair exit 0" "$?" 0
check_match "corrupt: repair names its journal" "$out" 'journal [0-9]{8}-[0-9]{6}-pol'
pol_out "$img" "$MPOL" "$T/repaired.pol"
check_eq "repaired: PReg header" "$(od -An -tx1 -N8 "$T/repaired.pol" | tr -d ' ')" \
    "5052656701000000"
check_eq "repaired: size is where the damaged entry began" \
    "$(stat -c %s "$T/repaired.pol")" "$eoff"
check "repaired: the corrupt file's valid prefix, byte for byte" \
    cmp -s "$T/repaired.pol" <(head -c "$eoff" "$T/corrupt.pol")
check_eq "repaired: the 86 entries, written back as they were" \
    "$(preg_walk "$T/repaired.pol")" "$(head -86 "$T/base.walk")"
"$NTMEND" pol check "$T/repaired.pol" >/dev/null
check_eq "repaired: pol check FILE on the copy passes" "$?" 0
out=$("$NTMEND" -t "$img" pol check)
check_eq "repaired: check on the image passes" "$?" 0
check_match "repaired: 86 entries" "$out" 'valid, 86 entries'
out=$("$NTMEND" -t "$img" pol repair)
check_match "repaired: a second repair has nothing to do" "$out" '^nothing to repair'
"$NTMEND" -t "$img" undo >/dev/null 2>"$T/err"
check_eq "corrupt: undo exit 0" "$?" 0
[ -s "$T/err" ] && printf '#   %s\n' "$(cat "$T/err")"
pol_out "$img" "$MPOL" "$T/undone.pol"
check "corrupt: undo restores the corrupt file byte for byte" \
    cmp -s "$T/undone.pol" "$T/corrupt.pol"
"$NTMEND" -t "$img" pol check >/dev/null
check_eq "corrupt: damaged again after undo" "$?" 1
"$NTMEND" -t "$img" pol set 'Software\X' Y dword 1 2>"$T/err"
check_eq "corrupt: set refuses a damaged file" "$?" 4
check_match "corrupt: and says to repair first" "$(cat "$T/err")" 'pol repair'
rm -f "$img"

# --- grouppolicy-blocks-updates (and both faults) -----------------------
img=$T/blocks.img
mkimg "$img" --fault grouppolicy-blocks-updates || exit 0
pol_out "$img" "$MPOL" "$T/blocks.pol"
preg_walk "$T/blocks.pol" >"$T/blocks.walk"
out=$("$NTMEND" -t "$img" pol check)
check_eq "blocks: a valid file, exit 0" "$?" 0
check_match "blocks: check says policies stop Windows Update" "$out" \
    'valid, 92 entries.*3 policies stop Windows Update'
"$NTMEND" -t "$img" --json pol show >"$T/blocks.json"
check_eq "blocks: show --json matches the walker" "$(json_walk <"$T/blocks.json")" \
    "$(cat "$T/blocks.walk")"
check_eq "blocks: which policies" "$(jq -c '[.blocks_updates[].id]' "$T/blocks.json")" \
    '["wu-access-removed","auto-update-disabled","intranet-server"]'
# The offsets named are those of the walker's entries of those names.
off_of() { awk -F'\t' -v n="$1" '$3 == n { print $1 }' "$T/blocks.walk"; }
check_eq "blocks: evidence offsets" "$(jq -c '[.blocks_updates[].offsets]' "$T/blocks.json")" \
    "[[$(off_of DisableWindowsUpdateAccess)],[$(off_of NoAutoUpdate)],[$(off_of UseWUServer),$(off_of WUServer),$(off_of WUStatusServer)]]"
check_match "blocks: evidence names the server" \
    "$(jq -r '.blocks_updates[2].evidence' "$T/blocks.json")" 'only from http://wsus01.contoso.local:8530'
check_eq "blocks: entries marked" \
    "$(jq -c '[.entries[] | select(.blocks_updates != null) | .value]' "$T/blocks.json")" \
    '["DisableWindowsUpdateAccess","WUServer","WUStatusServer","NoAutoUpdate","UseWUServer"]'
out=$("$NTMEND" -t "$img" pol show)
check_match "blocks: show marks them" "$out" \
    'NoAutoUpdate +REG_DWORD +1  \[stops Windows Update: auto-update-disabled\]'
# Removing them by hand (what pol-unblock-updates will do) leaves the GPO.
for v in DisableWindowsUpdateAccess WUServer WUStatusServer; do
	"$NTMEND" -t "$img" pol del 'Software\Policies\Microsoft\Windows\WindowsUpdate' $v >/dev/null
done
for v in NoAutoUpdate UseWUServer; do
	"$NTMEND" -t "$img" pol del 'Software\Policies\Microsoft\Windows\WindowsUpdate\AU' $v >/dev/null
done
pol_out "$img" "$MPOL" "$T/unblocked.pol"
check "blocks: deleting the five entries leaves exactly the GPO" cmp -s "$T/unblocked.pol" "$BASE"
rm -f "$img"

img=$T/both.img
mkimg "$img" --fault grouppolicy-pol-corrupt --fault grouppolicy-blocks-updates || exit 0
"$NTMEND" -t "$img" pol repair >/dev/null
check_eq "both faults: repair exit 0" "$?" 0
"$NTMEND" -t "$img" --json pol check >"$T/both.json"
check_eq "both faults: repaired, 91 entries, blocking ones kept" \
    "$(jq -c '[.valid, .kept, (.blocks_updates | length)]' "$T/both.json")" '[true,91,3]'
rm -f "$img"

# --- files on this machine (no target) ----------------------------------
cp "$BASE" "$T/h.pol" && chmod u+w "$T/h.pol"
out=$("$NTMEND" pol check "$T/h.pol")
check_eq "host: check without a target, exit 0" "$?" 0
check_match "host: summary" "$out" 'h\.pol: valid, 87 entries'
check_eq "host: show --json matches the walker" \
    "$("$NTMEND" --json pol show "$T/h.pol" | json_walk)" "$(cat "$T/base.walk")"
check_eq "host: --json has no target" "$("$NTMEND" --json pol show "$T/h.pol" | jq -c '[.target, .scope]')" \
    '[null,null]'
for f in "$NTM_TESTDATA"/pol/*.pol; do
	n=$(preg_walk "$f" | grep -vc '^damage')
	got=$("$NTMEND" --json pol check "$f" | jq '[.valid, .kept] | @csv' -r)
	[ "$got" = "true,$n" ] || not_ok "host: $(basename "$f"): got $got, walker says $n entries"
done
ok "host: every testdata .pol is valid with the walker's entry count"

# Cut a copy in its 40th entry: check, dry run, repair with FILE.bak.
cut_at=$(sed -n 40p "$T/base.walk" | cut -f1)
head -c $((cut_at + 7)) "$BASE" >"$T/cut.pol"
cp "$T/cut.pol" "$T/cut.orig"
out=$("$NTMEND" pol check "$T/cut.pol")
check_eq "host cut: check exit 1" "$?" 1
check_match "host cut: 39 entries valid" "$out" '39 entries before the damage are valid'
check_match "host cut: the hint names the file" "$out" "ntmend pol repair $T/cut.pol"
out=$("$NTMEND" -n pol repair "$T/cut.pol")
check_eq "host cut: dry run exit 0" "$?" 0
check "host cut: dry run leaves the file" cmp -s "$T/cut.pol" "$T/cut.orig"
check_eq "host cut: dry run makes no backup" "$(ls "$T" | grep -c 'cut\.pol\.')" 0
out=$("$NTMEND" pol repair "$T/cut.pol")
check_eq "host cut: repair exit 0" "$?" 0
check_match "host cut: says where the original is" "$out" "original kept as $T/cut.pol.bak"
check "host cut: FILE.bak is the damaged file" cmp -s "$T/cut.pol.bak" "$T/cut.orig"
check "host cut: FILE is the valid prefix" cmp -s "$T/cut.pol" <(head -c "$cut_at" "$BASE")
check_eq "host cut: no temp file left" "$(ls "$T" | grep -c ntmend-new)" 0

# set/del on a copy: del of what set added gives the original back.
"$NTMEND" pol set --file "$T/h.pol" 'Software\Policies\Microsoft\Windows\WindowsUpdate' \
    WUServer sz 'http://wsus.example:8530' >"$T/out"
check_eq "host set: exit 0" "$?" 0
check_eq "host set: the new entry, as the walker reads it" "$(preg_walk "$T/h.pol" | tail -1 | cut -f1-5)" \
    "$(printf '15300\tSoftware\\Policies\\Microsoft\\Windows\\WindowsUpdate\tWUServer\t1\t50')"
check "host set: FILE.bak is the original" cmp -s "$T/h.pol.bak" "$BASE"
cp "$T/h.pol" "$T/h.afterset"
"$NTMEND" pol del --file "$T/h.pol" 'HKLM\Software\Policies\Microsoft\Windows\WindowsUpdate' WUServer >"$T/out"
check_eq "host del: exit 0" "$?" 0
check "host del: back to the original bytes" cmp -s "$T/h.pol" "$BASE"
check "host del: the first backup is kept" cmp -s "$T/h.pol.bak" "$BASE"
check "host del: the second goes beside it" cmp -s "$T/h.pol.bak.1" "$T/h.afterset"
"$NTMEND" pol check "$T/nope.pol" 2>"$T/err"
check_eq "host: a missing FILE fails" "$?" 4
check_eq "host: one-line error" "$(wc -l <"$T/err")" 1
"$NTMEND" pol show --user "$T/h.pol" 2>/dev/null
check_eq "host: FILE and --user together: usage" "$?" 2
