#!/bin/bash
# diagnose and fix for the servicing findings (servicing-pending,
# package-manifest-corrupt, recovery-partition-small, file-hash-mismatch)
# on mkfixture images: healthy ones (gpt, bare, and one from every real
# SYSTEM hive in testdata) give none of them; each fault image gives
# exactly its own; servicing-revert-pending and golden-apply (with an
# archive captured from a healthy image of the same seed) remove the
# finding; what they wrote is read back independently (files through a
# read-only ntfs-3g mount, hive values with hivexget on hives copied out
# of it); undo gives back every file of the volume byte for byte; dry runs
# leave the image's bytes alone.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
MINE='["servicing-pending","package-manifest-corrupt","recovery-partition-small","file-hash-mismatch"]'
CFG=Windows/System32/config
CBS='Microsoft\Windows\CurrentVersion\Component Based Servicing'
SM='Control\Session Manager'

mkimg() {
	local name=$1
	shift
	if ! "$MKF" --size 300 "$@" "$T/$name.img" >"$T/mkf.log" 2>&1; then
		not_ok "mkfixture $name: $(tail -1 "$T/mkf.log")"
		return 1
	fi
}

# diag IMG [ARGS...]: diagnose --json into $T/diag.json.
diag() {
	local img=$1
	shift
	"$NTMEND" -t "$img" --json diagnose "$@" >"$T/diag.json" 2>"$T/diag.err"
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
errors() { jq -r '.errors | join("; ")' <"$T/diag.json"; }

# Every directory and file of the mounted volume, files with size and
# SHA-256 ("f SIZE SHA256 PATH"), each tool run once over all files.
tree_list() {
	(cd "$T/mnt" && {
		find . -type d -printf 'd %p\n'
		find . -type f -print0 | LC_ALL=C sort -z >"$T/files0"
		paste -d' ' <(xargs -0 stat -c %s <"$T/files0") \
		    <(xargs -0 sha256sum <"$T/files0" | cut -c1-64) \
		    <(tr '\0' '\n' <"$T/files0") | sed 's/^/f /'
	} | LC_ALL=C sort) >"$1"
}
tree() { t_mount_do "$1" tree_list "$2"; }
hives_cp() {
	mkdir -p "$1" && cp "$T/mnt/$CFG/SYSTEM" "$T/mnt/$CFG/SOFTWARE" \
	    "$T/mnt/$CFG/COMPONENTS" "$1"
}
hives() { t_mount_do "$1" hives_cp "$2"; }
sha() { sha256sum <"$1" | cut -c1-64; }
ccs() { printf 'ControlSet%03d' "$(hivexget "$1" Select Current)"; }
# has_key HIVE KEY: does the key exist (hivexget lists it)?
has_key() { hivexget "$1" "$2" >/dev/null 2>&1 && echo yes || echo no; }
has_value() { hivexget "$1" "$2" "$3" >/dev/null 2>&1 && echo yes || echo no; }

# undo_same IMG BEFORE NAME: undo the newest journal; the volume's tree
# is BEFORE again.
undo_same() {
	check_status "$3: undo" 0 "$NTMEND" -t "$1" undo >"$T/undo.out"
	tree "$1" "$T/after.tree"
	check "$3: undo gives back every file byte for byte" \
	    cmp -s "$2" "$T/after.tree"
	diff "$2" "$T/after.tree" | head -5 | sed 's/^/#   /'
}

# dry_same IMG NAME FIX ARGS...: --dry-run changes no byte of the image.
dry_same() {
	local img=$1 name=$2 h
	shift 2
	h=$(sha "$img")
	"$NTMEND" -t "$img" -n fix "$@" >"$T/dry.out" 2>&1
	check_eq "$name: --dry-run changes nothing" "$(sha "$img")" "$h"
}

# --- healthy images: none of the four --------------------------------------
mkimg healthy || exit 1
diag "$T/healthy.img"
check_eq "healthy: no check failed" "$(errors)" ""
check_eq "healthy: none of the servicing findings" "$(mine)" ""
mkimg bare --layout bare || exit 1
diag "$T/bare.img"
check_eq "bare: no check failed" "$(errors)" ""
check_eq "bare (no disk to look at): none of the servicing findings" "$(mine)" ""
rm -f "$T/bare.img"
# A mounted directory has no disk either.
t_mount "$T/healthy.img" "$T/dmnt" $(t_part "$T/healthy.img" 3)
diag "$T/dmnt"
check_eq "directory target: none of the servicing findings" "$(mine)" ""
t_umount "$T/dmnt"
rm -f "$T"/part-*.img
# The WinRE partition of a healthy image really has room (df through a
# mount, not ntmend).
t_mount_part_do "$T/healthy.img" 4 df -B1 --output=avail "$T/mnt" >"$T/df"
check_match "healthy: WinRE partition has 250 MiB free or more (df)" \
    "$(tail -1 "$T/df")" '^ *([3-9][0-9]{8}|2[6-9][0-9]{7}|[0-9]{10,})$'

for h in regipy_SYSTEM regipy_SYSTEM_2 regipy_SYSTEM_B; do
	hv=$(t_hive "$h")
	[ -f "$NTM_TESTDATA/hives/$h.LOG1.xz" ] && t_hive "$h.LOG1" >/dev/null
	[ -f "$NTM_TESTDATA/hives/$h.LOG2.xz" ] && t_hive "$h.LOG2" >/dev/null
	mkimg "$h" --system "$hv" || continue
	diag "$T/$h.img"
	check_eq "$h: no check failed" "$(errors)" ""
	check_eq "$h: none of the servicing findings" "$(mine)" ""
	rm -f "$T/$h.img" "$T/$h" "$T/$h".LOG*
done

# Archives from the healthy image (same seed as every fault image):
# servicing\Packages (the default), and that plus System32\dot3gpui.dll.
"$NTMEND" -t "$T/healthy.img" golden capture "$T/gold.tar.zst" \
    'Windows\System32\dot3gpui.dll' >/dev/null 2>"$T/cap.err"
check "golden capture from the healthy image" test -s "$T/gold.tar.zst"
diag "$T/healthy.img" --golden "$T/gold.tar.zst"
check_eq "healthy with its own archive: no file-hash-mismatch" "$(mine)" ""
tree "$T/healthy.img" "$T/healthy.tree"

# --- servicing-pending ------------------------------------------------------
img=$T/sp.img
mkimg sp --fault servicing-pending || exit 1
diag "$img"
check_eq "servicing-pending: exactly its finding" "$(mine)" "servicing-pending"
check_eq "servicing-pending: severity" "$(finding servicing-pending severity)" error
check_eq "servicing-pending: its fix" "$(finding servicing-pending fix)" servicing-revert-pending
ev=$(evidence servicing-pending)
for want in 'Windows\\WinSxS\\pending\.xml' \
    'Windows\\WinSxS\\Temp\\InFlight\\[0-9a-f]{32}\\amd64_microsoft-windows-sechost_.*_sechost\.dll' \
    'COMPONENTS\\PendingXmlIdentifier: .*[0-9a-f]{32}' \
    'Component Based Servicing\\RebootPending' \
    'Component Based Servicing\\PackagesPending' \
    'Session Manager\\PendingFileRenameOperations: delete .*InFlight'; do
	check_match "servicing-pending: evidence names $want" "$ev" "$want"
done
tree "$img" "$T/before.tree"
# The pending.xml and InFlight file as they are, to find them aside.
pxml=$(awk '$4 == "./Windows/WinSxS/pending.xml" { print $3 }' "$T/before.tree")
infl=$(grep -E '^f .* \./Windows/WinSxS/Temp/InFlight/[0-9a-f]{32}/' "$T/before.tree" | head -1)
check_match "servicing-pending: pending.xml and the InFlight file are there (mount)" "$pxml $infl" '^[0-9a-f]{64} f '
dry_same "$img" servicing-pending servicing-revert-pending
check_status "servicing-pending: fix" 0 "$NTMEND" -t "$img" fix servicing-revert-pending >"$T/fix.out" 2>&1
check_match "servicing-pending: the fix lists the dropped rename" "$(cat "$T/fix.out")" \
    'drop from .*PendingFileRenameOperations: delete .*InFlight'
diag "$img"
check_eq "servicing-pending: gone after the fix" "$(mine)" ""
check_eq "servicing-pending: no check failed after" "$(errors)" ""
tree "$img" "$T/fixed.tree"
check_eq "servicing-pending: no pending.xml (mount)" \
    "$(grep -c ' \./Windows/WinSxS/pending\.xml$' "$T/fixed.tree")" 0
check_eq "servicing-pending: pending.xml renamed aside, bytes kept (mount)" \
    "$(awk '$4 ~ /^\.\/Windows\/WinSxS\/pending\.xml\.ntmend-/ { print $3 }' "$T/fixed.tree")" "$pxml"
check_eq "servicing-pending: InFlight is there and empty (mount)" \
    "$(grep -c '\./Windows/WinSxS/Temp/InFlight/' "$T/fixed.tree") $(grep -c '^d \./Windows/WinSxS/Temp/InFlight$' "$T/fixed.tree")" "0 1"
inflsha=$(awk '{ print $3 }' <<<"$infl")
check_match "servicing-pending: the InFlight file moved aside, bytes kept (mount)" \
    "$(grep -F "$inflsha" "$T/fixed.tree")" '\./Windows/WinSxS/Temp/InFlight\.ntmend-[0-9-]+/[0-9a-f]{32}/amd64_microsoft-windows-sechost_'
hives "$img" "$T/sp.hives"
check_eq "servicing-pending: RebootPending, PackagesPending gone (hivexget)" \
    "$(has_key "$T/sp.hives/SOFTWARE" "$CBS\\RebootPending") $(has_key "$T/sp.hives/SOFTWARE" "$CBS\\PackagesPending")" "no no"
check_eq "servicing-pending: CBS\\Packages kept (hivexget)" \
    "$(has_key "$T/sp.hives/SOFTWARE" "$CBS\\Packages")" yes
for v in PendingXmlIdentifier NextQueueEntryIndex AdvancedInstallersNeedResolving; do
	check_eq "servicing-pending: COMPONENTS $v gone (hivexget)" \
	    "$(has_value "$T/sp.hives/COMPONENTS" '\' "$v")" no
done
check_eq "servicing-pending: COMPONENTS ServicingStackVersions kept (hivexget)" \
    "$(has_key "$T/sp.hives/COMPONENTS" ServicingStackVersions)" yes
cs=$(ccs "$T/sp.hives/SYSTEM")
check_eq "servicing-pending: PendingFileRenameOperations gone (hivexget)" \
    "$(has_value "$T/sp.hives/SYSTEM" "$cs\\$SM" PendingFileRenameOperations)" no
check_eq "servicing-pending: Session Manager kept (hivexget)" \
    "$(has_key "$T/sp.hives/SYSTEM" "$cs\\$SM")" yes
undo_same "$img" "$T/before.tree" servicing-pending
hives "$img" "$T/sp.undone"
check_eq "servicing-pending: undo: PendingFileRenameOperations back (hivexget)" \
    "$(has_value "$T/sp.undone/SYSTEM" "$cs\\$SM" PendingFileRenameOperations)" yes
rm -rf "$img" "$T/sp.hives" "$T/sp.undone"

# --- PendingFileRenameOperations: other programs' renames are theirs ----
# u16 STRING: its UTF-16LE bytes and a NUL unit, as "5c,00,...,00,00,".
u16() {
	printf '%s' "$1" | iconv -t UTF-16LE | od -An -v -tx1 | tr -s ' \n' ','
	printf '00,00,'
}
PFRO_KEY='HKLM\SYSTEM\CurrentControlSet\Control\Session Manager'
other=$(u16 '\??\C:\Program Files\Contoso\epsagent.new')$(u16 '!\??\C:\Program Files\Contoso\epsagent.exe')
sxs=$(u16 '\??\C:\Windows\WinSxS\Temp\InFlight\0123\x.dll')$(u16 '')
img=$T/pfro.img
cp "$T/healthy.img" "$img"
"$NTMEND" -t "$img" reg set "$PFRO_KEY" PendingFileRenameOperations 'hex(7)' \
    "${other#,}00,00" >/dev/null 2>&1
diag "$img"
check_eq "a third-party rename alone is no servicing-pending" "$(mine)" ""
"$NTMEND" -t "$img" reg set "$PFRO_KEY" PendingFileRenameOperations 'hex(7)' \
    "${sxs#,}${other#,}00,00" >/dev/null 2>&1
diag "$img"
check_eq "a component store rename is servicing-pending" "$(mine)" "servicing-pending"
check_match "its evidence: the store's entry" "$(evidence servicing-pending)" \
    'PendingFileRenameOperations: delete \\\?\?\\C:\\Windows\\WinSxS\\Temp\\InFlight\\0123\\x\.dll at boot'
check_match "its evidence: the other program's counted, not listed" \
    "$(evidence servicing-pending)" '^1 other pending rename .* stays'
check_eq "its evidence: nothing of Contoso's" "$(evidence servicing-pending | grep -c Contoso)" 0
tree "$img" "$T/before.tree"
check_status "PendingFileRenameOperations: fix" 0 "$NTMEND" -t "$img" fix servicing-revert-pending >"$T/fix.out" 2>&1
diag "$img"
check_eq "PendingFileRenameOperations: gone after the fix" "$(mine)" ""
hives "$img" "$T/pf.hives"
check_eq "PendingFileRenameOperations: only the other program's pair kept (hivexget)" \
    "$(hivexget "$T/pf.hives/SYSTEM" "$(ccs "$T/pf.hives/SYSTEM")\\$SM" PendingFileRenameOperations)" \
    "$(printf '%s\n' '\??\C:\Program Files\Contoso\epsagent.new' '!\??\C:\Program Files\Contoso\epsagent.exe')"
undo_same "$img" "$T/before.tree" PendingFileRenameOperations
rm -rf "$img" "$T/pf.hives"

# --- package-manifest-corrupt ------------------------------------------------
img=$T/pmc.img
mkimg pmc --fault package-manifest-corrupt || exit 1
diag "$img"
check_eq "package-manifest-corrupt: exactly its finding" "$(mine)" "package-manifest-corrupt"
check_eq "package-manifest-corrupt: its fix" "$(finding package-manifest-corrupt fix)" golden-apply
ev=$(evidence package-manifest-corrupt)
check_match "package-manifest-corrupt: the zh-CN FoD .mum is malformed" "$ev" \
    'Packages\\Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10\.0\.19041\.1\.mum: malformed'
check_match "package-manifest-corrupt: the Ethernet FoD .mum is empty" "$ev" \
    'Packages\\Microsoft-Windows-Ethernet-Client-Intel-E1i68x64-FOD-Package~[^:]*\.mum: empty'
check_eq "package-manifest-corrupt: only those two files" "$(grep -c '\.\(mum\|cat\): ' <<<"$ev")" 2
# Without an archive the fix fails, says what to pass, changes no file
# (the journal it began is rolled back: NTFS metadata moves, files not).
tree "$img" "$T/before.tree"
"$NTMEND" -t "$img" fix golden-apply >"$T/fix.out" 2>&1
check_eq "golden-apply without --golden: exit 4" "$?" 4
check_match "golden-apply without --golden: says to pass --golden and capture one" \
    "$(cat "$T/fix.out")" 'pass --golden ARCHIVE.*golden capture'
tree "$img" "$T/after.tree"
check "golden-apply without --golden: every file as before" \
    cmp -s "$T/before.tree" "$T/after.tree"
dry_same "$img" package-manifest-corrupt --golden "$T/gold.tar.zst" golden-apply
check_status "package-manifest-corrupt: fix --all --golden" 0 \
    "$NTMEND" -t "$img" fix --all --golden "$T/gold.tar.zst" >"$T/fix.out" 2>&1
check_match "package-manifest-corrupt: --all chose golden-apply" "$(cat "$T/fix.out")" '^golden-apply:'
diag "$img"
check_eq "package-manifest-corrupt: gone after the fix" "$(mine)" ""
tree "$img" "$T/fixed.tree"
for m in 'Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10.0.19041.1.mum' \
    'Microsoft-Windows-Ethernet-Client-Intel-E1i68x64-FOD-Package~31bf3856ad364e35~amd64~~10.0.19041.3803.mum'; do
	want=$(grep -F " ./Windows/servicing/Packages/$m" "$T/healthy.tree" | cut -d' ' -f2-3)
	got=$(grep -F " ./Windows/servicing/Packages/$m" "$T/fixed.tree" | cut -d' ' -f2-3)
	check_eq "package-manifest-corrupt: $m has the healthy PC's bytes (mount)" "$got" "$want"
done
check_eq "package-manifest-corrupt: servicing\\Packages now as the healthy one's (mount)" \
    "$(grep ' \./Windows/servicing/Packages/' "$T/fixed.tree")" \
    "$(grep ' \./Windows/servicing/Packages/' "$T/healthy.tree")"
undo_same "$img" "$T/before.tree" package-manifest-corrupt
rm -f "$img"

# --- file-hash-mismatch ---------------------------------------------------
img=$T/fhm.img
mkimg fhm --fault file-hash-mismatch || exit 1
diag "$img"
check_eq "file-hash-mismatch: nothing without --golden" "$(mine)" ""
diag "$img" --golden "$T/gold.tar.zst"
check_eq "file-hash-mismatch: exactly its finding with --golden" "$(mine)" "file-hash-mismatch"
check_eq "file-hash-mismatch: its fix" "$(finding file-hash-mismatch fix)" golden-apply
check_match "file-hash-mismatch: evidence names dot3gpui.dll" \
    "$(evidence file-hash-mismatch)" '^Windows\\System32\\dot3gpui\.dll: differs'
check_eq "file-hash-mismatch: only that file" "$(evidence file-hash-mismatch | wc -l)" 1
tree "$img" "$T/before.tree"
dot=' ./Windows/System32/dot3gpui.dll'
check "file-hash-mismatch: dot3gpui.dll differs from the healthy one (mount)" \
    test "$(grep -F "$dot" "$T/before.tree")" != "$(grep -F "$dot" "$T/healthy.tree")"
dry_same "$img" file-hash-mismatch --golden "$T/gold.tar.zst" golden-apply
check_status "file-hash-mismatch: fix --golden golden-apply" 0 \
    "$NTMEND" -t "$img" fix --golden "$T/gold.tar.zst" golden-apply >"$T/fix.out" 2>&1
diag "$img" --golden "$T/gold.tar.zst"
check_eq "file-hash-mismatch: gone after the fix" "$(mine)" ""
tree "$img" "$T/fixed.tree"
check_eq "file-hash-mismatch: dot3gpui.dll has the healthy bytes (mount)" \
    "$(grep -F "$dot" "$T/fixed.tree")" "$(grep -F "$dot" "$T/healthy.tree")"
sxs=$(grep -E ' \./Windows/WinSxS/amd64_[^/]*dot3gpui[^/]*/dot3gpui\.dll$' "$T/fixed.tree" | cut -d' ' -f3)
check_eq "file-hash-mismatch: and the WinSxS copy's (mount)" \
    "$(grep -F "$dot" "$T/fixed.tree" | cut -d' ' -f3)" "$sxs"
undo_same "$img" "$T/before.tree" file-hash-mismatch
rm -f "$img"

# --- recovery-partition-small ------------------------------------------------
img=$T/rps.img
mkimg rps --fault recovery-partition-small || exit 1
diag "$img"
check_eq "recovery-partition-small: exactly its finding" "$(mine)" "recovery-partition-small"
check_eq "recovery-partition-small: a warning" "$(finding recovery-partition-small severity)" warning
check_eq "recovery-partition-small: no automatic fix" "$(finding recovery-partition-small fix)" null
check_match "recovery-partition-small: evidence: partition 4, WinRE type, Winre.wim" \
    "$(evidence recovery-partition-small)" 'partition 4: type de94bba4-06d1-4d40-a16a-bfd50179d6ac, .* bytes free, holds Recovery\\WindowsRE\\Winre\.wim'
free_ntm=$(evidence recovery-partition-small | sed -n 's/.*, \([0-9]*\) bytes free.*/\1/p')
t_mount_part_do "$img" 4 df -B1 --output=avail "$T/mnt" >"$T/df"
free_df=$(tail -1 "$T/df" | tr -d ' ')
check_match "recovery-partition-small: df agrees it is under 250 MiB ($free_df)" \
    "$([ "$free_df" -lt $((250 << 20)) ] && echo under)" under
check_eq "recovery-partition-small: ntmend's free bytes are df's" "$free_ntm" "$free_df"
rm -f "$img"

rm -f "$T/healthy.img"
