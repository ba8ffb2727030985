#!/bin/bash
# golden capture, verify and apply end to end on mkfixture images. Every
# outcome is read back through ntfs-3g FUSE mounts, not through ntmend:
# file bytes (sha256sum), inode numbers (ntfs-3g shows MFT record numbers,
# so two names with one inode are hard links of one record), and the image
# file itself for the cases that must change nothing.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
SXS=Windows/WinSxS

# vol_list IMG OUT: "sha256 inode links path" of every file of the Windows
# partition, and "inode type path" of every directory, sorted by path.
vol_list() {
	local m=$T/vl
	t_mount "$1" "$m" $(t_part "$1" 3) || return 1
	(cd "$m" && find . -type f -print0 | sort -z |
	    xargs -0 -r sha256sum | while read -r sum p; do
		printf '%s %s %s\n' "$sum" "$(stat -c '%i %h' "$p")" "$p"
	done
	find . -type d -printf 'dir %i %p\n' | sort -k3) >"$2"
	t_umount "$m"
	rm -f "$T"/part-*.img
}

# quiet COMMAND...: run it without its output (for check_status).
quiet() { "$@" >/dev/null 2>&1; }

# sha of one file on an image, through FUSE.
vol_sha() {
	awk -v p="./$2" '$4 == p { print $1 }' "$1"
}
vol_ino() {
	awk -v p="./$2" '$4 == p { print $2 }' "$1"
}

good=$T/good.img
bad0=$T/bad0.img
if ! "$MKF" "$good" >"$T/mkf.log" 2>&1 ||
    ! "$MKF" --fault package-manifest-corrupt --fault file-hash-mismatch \
    "$bad0" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture failed: $(tail -1 "$T/mkf.log")"
	exit 0
fi
t_mount "$good" "$T/gm" $(t_part "$good" 3)
dot3=$(cd "$T/gm/$SXS" && ls -d amd64_microsoft-windows-dot3gpui_*)
sechost=$(cd "$T/gm/$SXS" && ls -d amd64_microsoft-windows-sechost_*10.0.19041.3803*)
notepad=$(cd "$T/gm/$SXS" && ls -d amd64_microsoft-windows-notepad_*)
cat=$(cd "$T/gm/Windows/servicing/Packages" && ls *Foundation-Package*.cat)
# Folder copies as a technician makes them, from the healthy PC's files.
bsdtar --format zip -cf "$T/pk.zip" -C "$T/gm/Windows/servicing" Packages
bsdtar --format 7zip -cf "$T/pk.7z" -C "$T/gm/Windows" servicing/Packages
bsdtar -cf "$T/pk.tar" -C "$T/gm" Windows/servicing/Packages
(cd "$T/gm/Windows/servicing/Packages" && bsdtar --format zip -cf "$T/flat.zip" -- *)
t_umount "$T/gm"

# The healthy PC has what the broken one lacks: a package more, a
# component directory more, a fourth name of notepad.exe. (ntfs-3g cannot
# delete the names mkfixture writes, so the broken image is not the one
# that loses them.) The broken PC: besides the fixture's faults,
# sechost.dll's bytes changed in place, so under both its names.
newsxs=amd64_microsoft-windows-newcomp_31bf3856ad364e35_10.0.19041.3803_none_0123456789abcdef
newpkg=Package_for_KB5099999~31bf3856ad364e35~amd64~~19041.3803.1.1
check "add to the healthy image through ntfs-3g" t_vol_edit "$good" 3 \
    "ln Windows/System32/notepad.exe Windows/notepad2.exe &&
     cp 'Windows/servicing/Packages/$cat' 'Windows/servicing/Packages/$newpkg.cat' &&
     echo '<assembly/>' >'Windows/servicing/Packages/$newpkg.mum' &&
     mkdir $SXS/$newsxs && head -c 70000 /dev/urandom >$SXS/$newsxs/new.dll"
cp --sparse=always "$bad0" "$T/bad1.img"
check "damage the broken image through ntfs-3g" t_vol_edit "$T/bad1.img" 3 \
    "printf 'BROKEN' | dd of=Windows/System32/sechost.dll bs=1 seek=4096 conv=notrunc status=none"
vol_list "$good" "$T/good.lst"
cp --sparse=always "$T/bad1.img" "$T/bad.img"
bad=$T/bad.img
vol_list "$bad" "$T/before.lst"
check_eq "sechost.dll damaged under both names (one record)" \
    "$(vol_sha "$T/before.lst" "$SXS/$sechost/sechost.dll")" \
    "$(vol_sha "$T/before.lst" Windows/System32/sechost.dll)"

# Capture on the healthy PC.
gsum=$(sha256sum <"$good")
out=$("$NTMEND" -t "$good" --json golden capture "$T/g.tar.zst" \
    "Windows\\WinSxS\\$dot3" "Windows\\WinSxS\\$sechost" \
    "Windows\\WinSxS\\$notepad" "Windows\\WinSxS\\$newsxs" \
    'Windows\System32\dot3gpui.dll' 'Windows\System32\sechost.dll' \
    'Windows\System32\notepad.exe' 'Windows\notepad.exe' \
    'Windows\notepad2.exe')
check_eq "capture: exit status" "$?" 0
check_eq "capture: schema" "$(jq -r .schema <<<"$out")" ntmend.golden-capture/1
check_eq "capture: hard links stored as links" "$(jq .links <<<"$out")" 5
check_eq "capture: the source is not written" "$(sha256sum <"$good")" "$gsum"
check_eq "capture: refuses to overwrite" "$("$NTMEND" -t "$good" golden \
    capture "$T/g.tar.zst" 2>&1 >/dev/null | grep -c exists)" 1
check_eq "archive: manifest first" "$(bsdtar -tf "$T/g.tar.zst" | head -1)" \
    ntmend-golden.jsonl
bsdtar -xOf "$T/g.tar.zst" ntmend-golden.jsonl >"$T/manifest.jsonl"
check_eq "manifest: schema, build, architecture" \
    "$(head -1 "$T/manifest.jsonl" | jq -r '"\(.schema) \(.source.build) \(.source.architecture)"')" \
    "ntmend.golden/1 19045 amd64"
# Every file's SHA-256 in the manifest is the healthy image's, read by
# sha256sum through FUSE.
jq -r 'select(.type == "file") | "\(.sha256) \(.path)"' "$T/manifest.jsonl" |
    tr '\\' '/' >"$T/want.lst"
bad_sums=0
while read -r sum p; do
	[ "$(vol_sha "$T/good.lst" "$p")" = "$sum" ] || bad_sums=$((bad_sums + 1))
done <"$T/want.lst"
check_eq "manifest: every SHA-256 is the file's" "$bad_sums" 0
check_eq "manifest: files captured" "$(wc -l <"$T/want.lst")" \
    "$(jq '.files' <"$T/manifest.jsonl" | head -1)"
check_eq "manifest: System32\\sechost.dll is a link to the WinSxS one" \
    "$(jq -r 'select(.path == "Windows\\System32\\sechost.dll") | .link' "$T/manifest.jsonl")" \
    "Windows\\WinSxS\\$sechost\\sechost.dll"
check_match "manifest: descriptors recorded (base64)" \
    "$(jq -r 'select(.type == "file") | .sd' "$T/manifest.jsonl" | head -1)" '^AQ'

# verify before: what differs and what is missing; nothing written.
bsum=$(sha256sum <"$bad")
out=$("$NTMEND" -t "$bad" --json golden verify "$T/g.tar.zst")
check_eq "verify before: exit 1" "$?" 1
check_eq "verify before: differ" \
    "$(jq -r '[.differ[].path] | sort | join(" ")' <<<"$out" | tr '\\' '/')" \
    "$(printf '%s\n' "Windows/System32/dot3gpui.dll" "Windows/System32/sechost.dll" \
    "Windows/WinSxS/$sechost/sechost.dll" \
    Windows/servicing/Packages/Microsoft-Windows-Ethernet-Client-Intel-E1i68x64-FOD-Package~31bf3856ad364e35~amd64~~10.0.19041.3803.mum \
    Windows/servicing/Packages/Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~amd64~zh-CN~10.0.19041.1.mum |
    sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "verify before: missing" \
    "$(jq -r '[.missing[].path] | sort | join(" ")' <<<"$out" | tr '\\' '/')" \
    "$(printf '%s\n' Windows/notepad2.exe "Windows/servicing/Packages/$newpkg.cat" \
    "Windows/servicing/Packages/$newpkg.mum" "$SXS/$newsxs" "$SXS/$newsxs/new.dll" |
    sort | tr '\n' ' ' | sed 's/ $//')"
check_eq "verify before: no extra" "$(jq '.extra | length' <<<"$out")" 0
check_eq "verify: nothing written" "$(sha256sum <"$bad")" "$bsum"

# Dry run: the changes, and not a byte written.
out=$("$NTMEND" -t "$bad" golden apply --dry-run "$T/g.tar.zst" 2>"$T/err")
check_eq "dry run: exit status" "$?" 0
check_match "dry run: says so" "$out" "dry run, nothing written"
check_match "dry run: would link notepad2.exe" "$out" \
    "linked Windows.notepad2.exe to Windows.WinSxS.$notepad.notepad.exe"
check_match "dry run: would make the directory" "$out" \
    "created directory Windows.WinSxS.$newsxs"
check_match "dry run: warns about the link the target lacks" "$(cat "$T/err")" \
    "dot3gpui.dll are one file .hard links. on the source PC"
check_eq "dry run: image byte-identical" "$(sha256sum <"$bad")" "$bsum"

# Apply.
out=$("$NTMEND" -t "$bad" golden apply "$T/g.tar.zst" 2>"$T/err")
check_eq "apply: exit status" "$?" 0
check_match "apply: journaled" "$out" "journal .* \(undo: ntmend undo"
vol_list "$bad" "$T/after.lst"
bad_sums=0
while read -r sum p; do
	[ "$(vol_sha "$T/after.lst" "$p")" = "$sum" ] || {
		bad_sums=$((bad_sums + 1)); echo "# differs: $p"; }
done <"$T/want.lst"
check_eq "apply: every captured file byte-identical to the healthy PC's" "$bad_sums" 0
s1=$(vol_ino "$T/after.lst" "$SXS/$sechost/sechost.dll")
check_eq "apply: sechost.dll replaced in place (same MFT record)" "$s1" \
    "$(vol_ino "$T/before.lst" "$SXS/$sechost/sechost.dll")"
check_eq "apply: System32\\sechost.dll still a hard link of it" \
    "$(vol_ino "$T/after.lst" Windows/System32/sechost.dll)" "$s1"
check_eq "apply: the System32 name shows the new bytes" \
    "$(vol_sha "$T/after.lst" Windows/System32/sechost.dll)" \
    "$(vol_sha "$T/good.lst" "$SXS/$sechost/sechost.dll")"
check_eq "apply: dot3gpui.dll replaced in place" \
    "$(vol_ino "$T/after.lst" Windows/System32/dot3gpui.dll)" \
    "$(vol_ino "$T/before.lst" Windows/System32/dot3gpui.dll)"
n1=$(vol_ino "$T/after.lst" "$SXS/$notepad/notepad.exe")
check_eq "apply: Windows\\notepad2.exe restored as a hard link (4 names)" \
    "$(vol_ino "$T/after.lst" Windows/notepad2.exe) $(awk -v p="./Windows/notepad2.exe" '$4 == p { print $3 }' "$T/after.lst")" \
    "$n1 4"
check_eq "apply: missing package restored" \
    "$(vol_sha "$T/after.lst" "Windows/servicing/Packages/$newpkg.cat")" \
    "$(vol_sha "$T/good.lst" "Windows/servicing/Packages/$newpkg.cat")"
check_eq "apply: missing directory made" \
    "$(grep -c " ./$SXS/$newsxs\$" "$T/after.lst")" 1
# Nothing else changed: outside the archive's paths and ntmend\journal,
# the lists are equal.
jq -r .path "$T/manifest.jsonl" | tail -n +2 | tr '\\' '/' >"$T/paths"
outside() {	# LIST: its lines for paths not in the archive nor the journal
	awk 'NR == FNR { in_arc["./" $0] = 1; next }
	    { p = $1 == "dir" ? $3 : $4 }
	    !(p in in_arc) && p !~ /^\.\/ntmend/' "$T/paths" "$1"
}
outside "$T/before.lst" >"$T/b.out"
outside "$T/after.lst" >"$T/a.out"
check "apply: no byte outside the archive's paths changed" cmp -s "$T/b.out" "$T/a.out"
# The journal holds every replaced file's original bytes.
jid=$("$NTMEND" -t "$bad" --json journal | jq -r '.journals[-1].id')
t_mount "$bad" "$T/jm" $(t_part "$bad" 3)
jdir="$T/jm/ntmend/journal/$jid"
nrep=0
nok=0
while read -r p blob; do
	nrep=$((nrep + 1))
	[ "$(sha256sum <"$jdir/$blob" | cut -d' ' -f1)" = \
	    "$(vol_sha "$T/before.lst" "$p")" ] && nok=$((nok + 1))
done < <(jq -r 'select(.kind == "replace") | "\(.path) \(.blob)"' \
    "$jdir/journal.jsonl" | tr '\\' '/')
t_umount "$T/jm"
check_eq "journal: four files replaced, each original saved" "$nrep $nok" "4 4"

out=$("$NTMEND" -t "$bad" --json golden verify "$T/g.tar.zst")
check_eq "verify after: exit 0" "$?" 0
check_eq "verify after: nothing differs or is missing" \
    "$(jq '[.differ, .missing, .extra] | map(length) | add' <<<"$out")" 0
out=$("$NTMEND" -t "$bad" golden apply "$T/g.tar.zst" 2>/dev/null)
check_match "apply again: nothing to change" "$out" "nothing to change"

# Undo: every file of the volume as before, bytes and links.
check_status "undo: exit status" 0 quiet "$NTMEND" -t "$bad" undo
vol_list "$bad" "$T/undone.lst"
check "undo: the whole volume byte-identical, links too" cmp -s "$T/before.lst" "$T/undone.lst"

# Only the PATH given.
cp --sparse=always "$T/bad1.img" "$T/p.img"
check_status "apply one PATH" 0 quiet "$NTMEND" -t "$T/p.img" golden apply \
    "$T/g.tar.zst" 'windows\system32\DOT3GPUI.dll'
vol_list "$T/p.img" "$T/p.lst"
check_eq "apply one PATH: only that file changed" \
    "$(diff "$T/before.lst" "$T/p.lst" | grep '^>' | grep -v ' ./ntmend' | awk '{print $5}')" \
    ./Windows/System32/dot3gpui.dll
check_status "a PATH outside the archive: refused" 2 quiet "$NTMEND" -t "$T/p.img" \
    golden apply "$T/g.tar.zst" 'Windows\System32\config\SAM'
"$NTMEND" -t "$T/p.img" golden apply "$T/g.tar.zst" \
    'Windows\servicing\Packages\..\..\System32\config\SAM' 2>"$T/err"
check_eq "a PATH that climbs out: refused" "$?" 2
check_match "a PATH that climbs out: says so" "$(cat "$T/err")" "climbs out"

# Killed in the middle: the next changing command rolls it back.
cp --sparse=always "$T/bad1.img" "$T/k.img"
rc=$( (NTMEND_TEST_KILL_AT=batch-changed "$NTMEND" -t "$T/k.img" golden \
    apply "$T/g.tar.zst" >/dev/null 2>&1; echo $?) 2>/dev/null)
check_eq "killed after the first change" "$rc" 137
"$NTMEND" -t "$T/k.img" undo >/dev/null 2>&1
vol_list "$T/k.img" "$T/k.lst"
check "killed apply: rolled back to the byte" cmp -s "$T/before.lst" "$T/k.lst"

# An undo killed after its first restore: the log ends in an "undone"
# line, not in its end, so the journal is partly undone (recovery reads
# only the last line of a journal that ended) and the next command that
# changes the volume finishes the undo.
cp --sparse=always "$T/bad1.img" "$T/u.img"
check_status "undo killed: the apply first" 0 quiet "$NTMEND" -t "$T/u.img" \
    golden apply "$T/g.tar.zst"
jid=$("$NTMEND" -t "$T/u.img" --json journal | jq -r '.journals[-1].id')
rc=$( (NTMEND_TEST_KILL_AT=undo-op "$NTMEND" -t "$T/u.img" undo >/dev/null \
    2>&1; echo $?) 2>/dev/null)
check_eq "undo killed after its first restore" "$rc" 137
check_eq "undo killed: the journal is partly undone" \
    "$("$NTMEND" -t "$T/u.img" --json journal | jq -r '.journals[-1].state')" \
    partly-undone
out=$("$NTMEND" -t "$T/u.img" undo 2>"$T/err")
check_eq "undo killed: undo again finishes it" "$out" "undone: $jid"
check_match "undo killed: by recovery, as an interrupted change" \
    "$(cat "$T/err")" "rolled back $jid, a change that was interrupted"
vol_list "$T/u.img" "$T/u.lst"
check "undo killed: the whole volume as before, links too" cmp -s \
    "$T/before.lst" "$T/u.lst"

# The hash cache (golden-cache.c): a file ntmend hashed or wrote in this
# boot, with the same fingerprint since, is not read again by apply.
cache=$NTMEND_CACHE_DIR
c=$T/c.img
cp --sparse=always "$T/bad1.img" "$c"
check_status "cache: apply" 0 quiet "$NTMEND" -t "$c" golden apply "$T/g.tar.zst"
check "cache: kept for this boot, private" test "$(stat -c %a "$cache")" = 700 \
    -a -s "$cache/golden-hashes" -a "$(head -c 44 "$cache/golden-hashes" | tail -c 36)" \
    = "$(cat /proc/sys/kernel/random/boot_id)"
out=$("$NTMEND" -t "$c" golden apply "$T/g.tar.zst" 2>/dev/null)
check_match "cache: apply again: nothing to change" "$out" "nothing to change"
# put_right WHAT PATH [ARG...]: apply (with ARGs) replaces PATH in place,
# which then has the healthy PC's bytes.
put_right() {
	local what=$1 rel=$2
	shift 2
	out=$("$NTMEND" -t "$c" golden apply "$T/g.tar.zst" "$@" 2>/dev/null)
	check_match "cache: $what" "$out" "replaced ${rel//\//.} in place"
	vol_list "$c" "$T/c.lst"
	check_eq "cache: $what: the healthy PC's bytes" \
	    "$(vol_sha "$T/c.lst" "$rel")" "$(vol_sha "$T/good.lst" "$rel")"
}
# Written through a file system (ntfs-3g, the size kept): the fingerprint
# changed, so apply reads it again and puts it right.
check "cache: dot3gpui.dll written through ntfs-3g" t_vol_edit "$c" 3 \
    "printf 'FS-WRITE' | dd of=$SXS/$dot3/dot3gpui.dll bs=1 seek=100 conv=notrunc status=none"
put_right "a file written since is compared again" "$SXS/$dot3/dot3gpui.dll"
# Written below the file system (into new.dll's clusters in the image):
# what the cache cannot see, and what verify and --rehash are for.
new=$SXS/$newsxs/new.dll
bsdtar -xOf "$T/g.tar.zst" "$new" >"$T/new.dll"
head -c 4096 "$T/new.dll" >"$T/needle"
raw_patch() {	# IMAGE: 8 bytes of new.dll's first cluster overwritten
	/usr/bin/python3 - "$1" "$T/needle" <<'PY'
import mmap, sys
needle = open(sys.argv[2], 'rb').read()
with open(sys.argv[1], 'r+b') as f:
    m = mmap.mmap(f.fileno(), 0)
    at = m.find(needle)
    if at < 0 or m.find(needle, at + 1) >= 0:
        sys.exit(1)
    m[at + 100:at + 108] = b'RAWWRITE'
    m.flush()
PY
}
check "cache: new.dll overwritten in the image, not through NTFS" raw_patch "$c"
out=$("$NTMEND" -t "$c" golden apply "$T/g.tar.zst" 2>/dev/null)
check_match "cache: apply does not see a write below NTFS" "$out" "nothing to change"
out=$("$NTMEND" -t "$c" --json golden verify "$T/g.tar.zst")
check_eq "cache: verify reads every file and sees it" \
    "$(jq -r '.differ[].path' <<<"$out")" "${new//\//\\}"
put_right "apply --rehash sees it" "$new" --rehash
# Another boot's cache, one in a directory others can write, one cut
# short: not used, apply reads the file again.
check "cache: new.dll overwritten below NTFS again" raw_patch "$c"
check_status "cache: kept after --rehash" 0 test -s "$cache/golden-hashes"
printf '%-40s' 00000000-0000-0000-0000-000000000000 | tr ' ' '\0' |
    dd of="$cache/golden-hashes" bs=1 seek=8 conv=notrunc status=none
put_right "another boot's is not used" "$new"
check "cache: new.dll overwritten below NTFS a third time" raw_patch "$c"
mkdir -m 777 "$T/open"
NTMEND_CACHE_DIR=$T/open put_right "one others can write is not used" "$new"
check "cache: nor written" test ! -e "$T/open/golden-hashes"
check_status "cache: verify puts every file in" 0 quiet "$NTMEND" -t "$c" \
    golden verify "$T/g.tar.zst"
check "cache: new.dll overwritten below NTFS a fourth time" raw_patch "$c"
truncate -s 4000 "$cache/golden-hashes"
put_right "one cut short is not used" "$new"

# A re-apply keeps what it rewrites as it checks the archive (golden.c,
# the scan following the plan): bytes there that are not the manifest's
# refuse the archive before anything is written.
bsdtar -cf "$T/alt.tar" @"$T/g.tar.zst"
/usr/bin/python3 - "$T/alt.tar" "$T/needle" <<'PY'
import sys
b = bytearray(open(sys.argv[1], 'rb').read())
at = b.find(open(sys.argv[2], 'rb').read())
assert at > 0
b[at + 200] ^= 0xff
open(sys.argv[1], 'wb').write(bytes(b))
PY
check "cache: new.dll written through ntfs-3g" t_vol_edit "$c" 3 \
    "printf 'FS-WRITE' | dd of=$new bs=1 seek=100 conv=notrunc status=none"
vol_list "$c" "$T/c-before.lst"
# Warm: the scan keeps the bytes; cold (a cache not used), golden_check
# reads them in a pass of its own.
for how in warm cold; do
	dir=$cache
	[ "$how" = cold ] && dir=$T/open
	NTMEND_CACHE_DIR=$dir "$NTMEND" -t "$c" golden apply "$T/alt.tar" \
	    >/dev/null 2>"$T/err"
	check_eq "cache ($how): other bytes in the archive: refused" "$?" 4
	check_match "cache ($how): other bytes in the archive: named" \
	    "$(cat "$T/err")" "new.dll' does not match its manifest \(SHA-256\)"
	vol_list "$c" "$T/c-after.lst"
	check "cache ($how): other bytes in the archive: nothing written" \
	    cmp -s "$T/c-before.lst" "$T/c-after.lst"
done
put_right "the archive's own bytes then" "$new"

# Another build, another architecture: refused, naming both. mkfixture's
# --arch changes the packages, not the SYSTEM hive's PROCESSOR_ARCHITECTURE
# (ntmend's identity reads that), so the other architecture is the golden
# archive with its manifest saying x86, repacked in order with bsdtar.
"$MKF" --build 22631 "$T/other.img" >/dev/null 2>&1
"$NTMEND" -t "$T/other.img" golden capture "$T/w11.tar.zst" >/dev/null 2>&1
rm -f "$T/other.img"
mkdir "$T/rp"
bsdtar -xf "$T/g.tar.zst" -C "$T/rp"
jq -c 'if .schema then .source.architecture = "x86" else . end' \
    "$T/rp/ntmend-golden.jsonl" >"$T/m" && mv "$T/m" "$T/rp/ntmend-golden.jsonl"
(cd "$T/rp" && { echo ntmend-golden.jsonl; tail -n +2 ntmend-golden.jsonl |
    jq -r .path | tr '\\' '/'; } | bsdtar --zstd -n -cf "$T/x86.tar.zst" -T -)
for a in w11 x86; do
	cp --sparse=always "$bad0" "$T/o.img"
	osum=$(sha256sum <"$T/o.img")
	"$NTMEND" -t "$T/o.img" golden apply "$T/$a.tar.zst" >/dev/null 2>"$T/err"
	check_eq "$a: refused" "$?" 4
	case $a in
	w11) want="build 22631 amd64 .*build 19045 amd64" ;;
	x86) want="build 19045 x86 .*build 19045 amd64" ;;
	esac
	check_match "$a: names both" "$(cat "$T/err")" "$want"
	check_eq "$a: one line" "$(wc -l <"$T/err")" 1
	check_eq "$a: image byte-identical" "$(sha256sum <"$T/o.img")" "$osum"
	check_status "$a: --force applies it" 0 quiet "$NTMEND" -t "$T/o.img" \
	    --force golden apply "$T/$a.tar.zst"
	rm -f "$T/o.img"
done

# Folder copies: zip, 7z, tar, and the contents of Packages zipped.
for a in pk.zip pk.7z pk.tar flat.zip; do
	cp --sparse=always "$bad0" "$T/f.img"
	out=$("$NTMEND" -t "$T/f.img" golden apply "$T/$a" 2>&1)
	check_eq "$a: applied" "$?" 0
	case $a in
	pk.zip) want="'Packages/' onto Windows.servicing.Packages" ;;
	pk.7z) want="'servicing/' onto Windows.servicing" ;;
	pk.tar) want="'Windows/' onto Windows" ;;
	flat.zip) want="the archive's top folder .only .mum and .cat files. onto Windows.servicing.Packages" ;;
	esac
	check_match "$a: says what it mapped" "$out" "mapped $want"
	check_eq "$a: two manifests replaced" "$(grep -c '^replaced' <<<"$out")" 2
	vol_list "$T/f.img" "$T/f.lst"
	bad_sums=0
	while read -r sum p; do
		[ "$(vol_sha "$T/f.lst" "$p")" = "$sum" ] || bad_sums=$((bad_sums + 1))
	done < <(grep ' Windows/servicing/Packages/' "$T/want.lst" | grep -v "$newpkg")
	check_eq "$a: Packages byte-identical to the healthy PC's" "$bad_sums" 0
	check_status "$a: verify after: exit 0" 0 quiet "$NTMEND" -t "$T/f.img" \
	    golden verify "$T/$a"
	rm -f "$T/f.img"
done
# An extra file is reported by verify (and left alone by apply).
cp --sparse=always "$bad0" "$T/x.img"
t_vol_edit "$T/x.img" 3 "echo x >Windows/servicing/Packages/stray.mum"
out=$("$NTMEND" -t "$T/x.img" --json golden verify "$T/pk.zip")
check_eq "verify: extra file: exit 1" "$?" 1
check_eq "verify: extra file named" "$(jq -r '.extra[].path' <<<"$out")" \
    'Windows\servicing\Packages\stray.mum'
rm -f "$T/x.img"

# Hostile archives: refused with one line, the image not touched at all.
python3 - "$T" <<'EOF'
import io, sys, tarfile, zipfile
T = sys.argv[1]
def tar(name, entries, fmt=tarfile.PAX_FORMAT):
    with tarfile.open(f"{T}/{name}", "w", format=fmt) as t:
        for e in entries:
            ti = tarfile.TarInfo(e[0])
            kind = e[1]
            data = e[2] if len(e) > 2 else b""
            if kind == "f":
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
                continue
            ti.type = {"l": tarfile.SYMTYPE, "h": tarfile.LNKTYPE,
                       "c": tarfile.CHRTYPE, "b": tarfile.BLKTYPE,
                       "p": tarfile.FIFOTYPE, "d": tarfile.DIRTYPE}[kind]
            if kind in "lh":
                ti.linkname = data
            t.addfile(ti)
ok = ("Packages/ok.mum", "f", b"<assembly/>")
tar("dotdot.tar", [ok, ("../../evil.mum", "f", b"x")])
tar("dotdot2.tar", [ok, ("Packages/../../../Windows/System32/x.dll", "f", b"x")])
tar("absolute.tar", [ok, ("/etc/evil.mum", "f", b"x")])
tar("symlink.tar", [ok, ("Packages/l.mum", "l", "/etc/shadow")])
tar("hardlink.tar", [ok, ("Packages/h.mum", "h", "../../etc/shadow")])
tar("device.tar", [ok, ("Packages/dev", "c")])
tar("fifo.tar", [ok, ("Packages/fifo", "p")])
tar("con.tar", [ok, ("Packages/CON.mum", "f", b"x")])
tar("dup.tar", [ok, ("Packages/OK.MUM", "f", b"again")])
tar("stream.tar", [ok, ("Packages/a.mum:evil", "f", b"x")])
# A header declaring far more than the archive holds (uncompressed).
tar("bomb.tar", [ok, ("Packages/big.cat", "f", b"y" * 1000)], tarfile.USTAR_FORMAT)
b = bytearray(open(f"{T}/bomb.tar", "rb").read())
h = b[1024:1536]
h[124:136] = b"%011o\0" % (3 << 30)
h[148:156] = b"        "
h[148:156] = b"%06o\0 " % sum(h)
b[1024:1536] = h
open(f"{T}/bomb.tar", "wb").write(bytes(b))
with zipfile.ZipFile(f"{T}/dotdot.zip", "w") as z:
    z.writestr("Packages/ok.mum", b"<a/>")
    z.writestr("../../evil.mum", b"x")
with zipfile.ZipFile(f"{T}/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("Packages/ok.mum", b"<a/>")
    z.writestr("Packages/big.cat", b"\0" * 10000000)
b = bytearray(open(f"{T}/bomb.zip", "rb").read())
i = b.rfind(b"PK\x01\x02")
b[i + 24:i + 28] = (1000).to_bytes(4, "little")   # declares 1000 bytes
j = b.find(b"PK\x03\x04", 10)
b[j + 22:j + 26] = (1000).to_bytes(4, "little")
open(f"{T}/bomb.zip", "wb").write(bytes(b))
EOF
head -c $(($(stat -c %s "$T/g.tar.zst") / 2)) "$T/g.tar.zst" >"$T/cut.tar.zst"
cp --sparse=always "$bad0" "$T/h.img"
vol_list "$T/h.img" "$T/h-before.lst"
hsum=$(sha256sum <"$T/h.img")
nh=0
nbad=0
for a in "$T"/dotdot.tar "$T"/dotdot2.tar "$T"/absolute.tar "$T"/symlink.tar \
    "$T"/hardlink.tar "$T"/device.tar "$T"/fifo.tar "$T"/con.tar \
    "$T"/dup.tar "$T"/stream.tar "$T"/bomb.tar "$T"/dotdot.zip \
    "$T"/bomb.zip "$T"/cut.tar.zst "$NTM_TESTDATA"/cab/*/*.cab; do
	nh=$((nh + 1))
	"$NTMEND" -t "$T/h.img" golden apply "$a" >"$T/out" 2>"$T/err"
	rc=$?
	if [ "$rc" -ne 4 ] || [ "$(wc -l <"$T/err")" -ne 1 ] ||
	    ! grep -q refused "$T/err"; then
		nbad=$((nbad + 1))
		echo "# $a: exit $rc: $(head -c 300 "$T/err")"
	fi
done
check_eq "hostile archives ($nh): each refused with one line" "$nbad" 0
for a in dotdot dotdot2 absolute symlink hardlink device fifo con dup stream bomb; do
	"$NTMEND" -t "$T/h.img" golden apply "$T/$a.tar" 2>&1 | sed "s/^/$a: /"
done >"$T/causes"
check_match "hostile: '..' named" "$(grep '^dotdot:' "$T/causes")" "climbs out"
check_match "hostile: absolute named" "$(grep '^absolute:' "$T/causes")" "absolute path"
check_match "hostile: symlink named" "$(grep '^symlink:' "$T/causes")" "symbolic link pointing outside"
check_match "hostile: hard link named" "$(grep '^hardlink:' "$T/causes")" "hard link pointing outside"
check_match "hostile: device named" "$(grep '^device:' "$T/causes")" "device node"
check_match "hostile: FIFO named" "$(grep '^fifo:' "$T/causes")" "FIFO"
check_match "hostile: device name named" "$(grep '^con:' "$T/causes")" "device name"
check_match "hostile: duplicate named" "$(grep '^dup:' "$T/causes")" "twice"
check_match "hostile: size bomb named" "$(grep '^bomb:' "$T/causes")" "more than the whole archive"
"$NTMEND" -t "$T/h.img" golden verify "$T/dotdot.zip" 2>/dev/null
check_eq "hostile: verify refuses too" "$?" 4
check_eq "hostile: image byte-identical" "$(sha256sum <"$T/h.img")" "$hsum"
vol_list "$T/h.img" "$T/h-after.lst"
check "hostile: every file on the volume as before" cmp -s "$T/h-before.lst" "$T/h-after.lst"

# A name bomb: the captured archive, then 150,000 entries of 780-byte
# names (117 MB of names; the archive stays small compressed). The check
# reads the archive beside the manifest and keeps what it read: it must
# stop at what the manifest can list, not keep them all.
bsdtar -cf "$T/nb.tar" @"$T/g.tar.zst"
/usr/bin/python3 - "$T/nb.tar" <<'EOF'
import sys, tarfile
with tarfile.open(sys.argv[1], "a", format=tarfile.PAX_FORMAT) as t:
    pad = "/".join(c * 240 for c in "nop")
    for i in range(150000):
        ti = tarfile.TarInfo("Windows/servicing/Packages/%s/%08d" % (pad, i))
        ti.type = tarfile.DIRTYPE
        t.addfile(ti)
EOF
zstd -q -f "$T/nb.tar" -o "$T/nb.tar.zst"
rm -f "$T/nb.tar"
/usr/bin/time -f %M -o "$T/rss" "$NTMEND" -t "$T/h.img" golden apply \
    "$T/nb.tar.zst" >/dev/null 2>"$T/err"
check_eq "name bomb: refused" "$?" 4
check_match "name bomb: the first name not in the manifest" "$(cat "$T/err")" \
    "not in the archive's manifest"
check "name bomb: memory stays far below its 117 MB of names ($(tail -1 "$T/rss") KiB)" \
    test "$(tail -1 "$T/rss")" -lt 90000
rm -f "$T/nb.tar.zst"

# --- Progress inside a large file: the menu's bar moves while one big file
# is written, not only when it ends (the machine lines of
# NTMEND_PROGRESS_FD: PHASE FILES NFILES BYTES NBYTES). ---
cp --sparse=always "$good" "$T/big-src.img"
cp --sparse=always "$good" "$T/big-dst.img"	# big.bin is all that differs
t_vol_edit "$T/big-src.img" 3 "head -c 96M /dev/urandom >Windows/System32/big.bin"
"$NTMEND" -t "$T/big-src.img" golden capture "$T/big.tar.zst" \
    'Windows\System32\big.bin' >/dev/null 2>&1
check_eq "large file: captured" "$?" 0
NTMEND_PROGRESS_FD=3 "$NTMEND" -t "$T/big-dst.img" golden apply \
    "$T/big.tar.zst" >/dev/null 2>&1 3>"$T/progress"
check_eq "large file: applied" "$?" 0
check "large file: the bytes written move before the file is done" \
    awk -F'\t' '$1 == "writing" && $2 == 0 && $3 == 1 && $4 > 0 && $4 < $5 { n++ }
	END { exit !(n > 0) }' "$T/progress"
check "large file: written bytes never go back" \
    awk -F'\t' '$1 == "writing" { if ($4 < last) exit 1; last = $4 }' \
    "$T/progress"
rm -f "$T"/big-*.img

# --- An archive too large to keep in memory is read as it is applied (by
# a thread of its own when there are two CPUs, in turn on one): files of
# every size around the pieces it is read in (1 MiB), empty ones, a hard
# link, and more small files than the reader's ring holds pieces (512: the
# reader waits for the writer there, the race ThreadSanitizer caught); then the same archive with one byte of its last file changed in
# the uncompressed tar, which the check before writing does not see (it
# hashes only what it keeps): the apply fails at that file and is rolled
# back. ---
comp='Windows\WinSxS\amd64_bulk_31bf3856ad364e35_10.0.1.1_none_0'
cdir=$SXS/amd64_bulk_31bf3856ad364e35_10.0.1.1_none_0
cp --sparse=always "$good" "$T/bulk-src.img"
t_vol_edit "$T/bulk-src.img" 3 "mkdir -p $cdir && cd $cdir &&
	: >empty.dll && head -c 1 /dev/urandom >one.dll &&
	head -c 1048575 /dev/urandom >under.dll &&
	head -c 1048576 /dev/urandom >exact.dll &&
	head -c 1048577 /dev/urandom >over.dll &&
	for i in \$(seq 10 40); do
		head -c \$((i * 37 * 1024 + i)) /dev/urandom >f\$i.dll
	done &&
	ln f20.dll link.dll &&
	for i in \$(seq 1 700); do printf 'small %d' \$i >s\$i.dll; done &&
	{ head -c 3M /dev/urandom; printf NTMEND-MARK; head -c 1M /dev/urandom; } >zz.dll"
"$NTMEND" -t "$T/bulk-src.img" golden capture "$T/bulk.tar.zst" "$comp" \
    >/dev/null 2>"$T/err"
check_eq "large archive: captured" "$?" 0
vol_list "$T/bulk-src.img" "$T/bulk-src.lst"
grep " ./$cdir/" "$T/bulk-src.lst" | awk '{ print $1, $3, $4 }' >"$T/bulk-want"
check "large archive: more than apply keeps in memory (32 MiB)" \
    test "$(t_mount_do "$T/bulk-src.img" du -sm "$T/mnt/$cdir" | cut -f1)" -gt 32
for how in threaded one-cpu; do
	cp --sparse=always "$good" "$T/bulk-dst.img"
	pin=""
	[ "$how" = one-cpu ] && pin="taskset -c 0"
	$pin "$NTMEND" -t "$T/bulk-dst.img" golden apply "$T/bulk.tar.zst" \
	    >/dev/null 2>"$T/err"
	check_eq "large archive ($how): applied" "$?" 0
	vol_list "$T/bulk-dst.img" "$T/bulk-dst.lst"
	grep " ./$cdir/" "$T/bulk-dst.lst" | awk '{ print $1, $3, $4 }' \
	    >"$T/bulk-got"
	check "large archive ($how): every file's bytes and link count as captured" \
	    cmp -s "$T/bulk-want" "$T/bulk-got"
	check_eq "large archive ($how): the hard link is one file" \
	    "$(vol_ino "$T/bulk-dst.lst" "$cdir/link.dll")" \
	    "$(vol_ino "$T/bulk-dst.lst" "$cdir/f20.dll")"
done
bsdtar -cf "$T/bulk.tar" @"$T/bulk.tar.zst"
/usr/bin/python3 - "$T/bulk.tar" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"NTMEND-MARK")
assert i > 0 and b.find(b"NTMEND-MARK", i + 1) < 0
b[i] ^= 0x20
open(sys.argv[1], "wb").write(bytes(b))
EOF
for how in threaded one-cpu; do
	cp --sparse=always "$good" "$T/bulk-dst.img"
	vol_list "$T/bulk-dst.img" "$T/bulk-before.lst"
	pin=""
	[ "$how" = one-cpu ] && pin="taskset -c 0"
	$pin "$NTMEND" -t "$T/bulk-dst.img" golden apply "$T/bulk.tar" \
	    >/dev/null 2>"$T/err"
	check_eq "changed bytes ($how): the apply fails" "$?" 4
	check_match "changed bytes ($how): the file named" "$(cat "$T/err")" \
	    "zz.dll: the archive's bytes for it do not match its manifest"
	vol_list "$T/bulk-dst.img" "$T/bulk-after.lst"
	grep -v ' \./ntmend' "$T/bulk-after.lst" >"$T/bulk-after2.lst"
	check "changed bytes ($how): rolled back, every file as before" \
	    cmp -s "$T/bulk-before.lst" "$T/bulk-after2.lst"
done

# Stopped (SIGTERM, as the menu's Stop; SIGINT is Ctrl-C) while it writes
# (sent by the test hook after its first batch's tenth file): it stops
# between files, rolls its journal back and only then dies of the signal;
# every file as before.
cp --sparse=always "$good" "$T/bulk-dst.img"
vol_list "$T/bulk-dst.img" "$T/bulk-before.lst"
NTMEND_TEST_TERM_AT=batch-changed:10 "$NTMEND" -t "$T/bulk-dst.img" \
    golden apply "$T/bulk.tar.zst" >/dev/null 2>"$T/err"
rc=$?
check_eq "stopped: died of the signal after rolling back" "$rc" 143
check_match "stopped: says so" "$(cat "$T/err")" "cancelled .* rolled back"
vol_list "$T/bulk-dst.img" "$T/bulk-after.lst"
grep -v ' \./ntmend' "$T/bulk-after.lst" >"$T/bulk-after2.lst"
check "stopped: every file as before" \
    cmp -s "$T/bulk-before.lst" "$T/bulk-after2.lst"
check_eq "stopped: no journal left to recover" \
    "$("$NTMEND" -t "$T/bulk-dst.img" --json journal | jq '.journals | length')" \
    0

# Killed (SIGKILL) between a new file's directory entry and its MFT
# record's first write (the fifth name made: the journal's own come
# first): the entry points at a record without a name, which nothing can
# open. The next change's rollback removes the entry.
cp --sparse=always "$good" "$T/bulk-dst.img"
NTMEND_TEST_KILL_AT=create-named:5 "$NTMEND" -t "$T/bulk-dst.img" golden \
    apply "$T/bulk.tar.zst" >/dev/null 2>&1
check_eq "killed after a name: killed" "$?" 137
t_mount_do "$T/bulk-dst.img" ls "$T/mnt/$cdir" >"$T/ls" 2>&1
check_match "killed after a name: the name cannot be read" "$(cat "$T/ls")" \
    "Input/output error|No such file"
"$NTMEND" -t "$T/bulk-dst.img" reg set 'HKLM\SYSTEM\Select' Current dword 1 \
    >/dev/null 2>"$T/err"
check_match "killed after a name: the next change rolls it back" \
    "$(cat "$T/err")" "rolled back"
vol_list "$T/bulk-dst.img" "$T/bulk-after.lst"
check "killed after a name: the component directory is gone" \
    test -z "$(grep " ./$cdir" "$T/bulk-after.lst")"
rm -f "$T"/bulk-*.img "$T"/bulk.tar
