#!/bin/bash
# test_collect: `ntmend logs collect OUT.zip` on an mkfixture image with
# logs of every set (CBS with a CbsPersist file, DISM, WindowsUpdate ETL,
# setupapi, Panther with a subfolder and a non-ASCII name,
# ReportingEvents.log) put there through ntfs-3g. The zip is read with
# bsdtar and unzip, each entry compared byte for byte with the file read
# through a read-only ntfs-3g mount; the image must not change.
. "$(dirname "$0")/../lib.sh"

IMG=$T/pc.img
"$NTM_TOOLS/mkfixture" --layout mbr --size 300 --fault wu-cache \
    --fault hive-dirty "$IMG" >/dev/null || { not_ok "mkfixture"; exit 1; }
read -r OFF SIZE < <(t_part "$IMG" 2)

# What Windows would have left: written with ntfs-3g into a copy of the
# partition, copied back over it.
NAME_U='Überprüfung-日本語.log'
dd if="$IMG" of="$T/p.img" bs=1M iflag=skip_bytes,count_bytes skip="$OFF" \
    count="$SIZE" conv=sparse status=none
mkdir -p "$T/rw"
ntfs-3g "$T/p.img" "$T/rw" || { not_ok "ntfs-3g rw mount"; exit 1; }
W=$T/rw/Windows
mkdir -p "$W/Logs/WindowsUpdate" "$W/Panther/UnattendGC" "$W/INF"
head -c 3000000 /dev/urandom >"$W/Logs/CBS/CbsPersist_20240110031559.cab"
printf 'persisted\r\n' >"$W/Logs/CBS/CbsPersist_20240109120000.log"
head -c 70000 /dev/urandom >"$W/Logs/WindowsUpdate/WindowsUpdate.20240110.031559.123.1.etl"
printf 'ETL' >"$W/Logs/WindowsUpdate/notes.txt"
yes '>>>  [Device Install (Hardware initiated) - PCI\VEN_8086]' |
    head -c 200000 >"$W/INF/setupapi.dev.log"
printf 'app\r\n' >"$W/INF/setupapi.app.log"
printf 'not a log\r\n' >"$W/INF/machine.inf"
printf '2024-01-10 03:20:01, Info  CONX  setupact\r\n' >"$W/Panther/setupact.log"
printf 'gc\r\n' >"$W/Panther/UnattendGC/setupact.log"
printf 'umlaut\r\n' >"$W/Panther/$NAME_U"
fusermount -u "$T/rw"
dd if="$T/p.img" of="$IMG" bs=1M oflag=seek_bytes seek="$OFF" \
    conv=notrunc,sparse status=none
rm -f "$T/p.img"
before=$(sha256sum "$IMG" | cut -d' ' -f1)

ZIP=$T/stick/PC-01.zip
mkdir -p "$T/stick"
out=$("$NTMEND" -t "$IMG" logs collect "$ZIP" 2>&1)
check_status "logs collect exits 0" 0 test $? -eq 0
check_match "says what it wrote" "$out" "wrote .*PC-01.zip"
check_eq "image unchanged (read-only)" "$(sha256sum "$IMG" | cut -d' ' -f1)" \
    "$before"
check "no partial file left" test ! -e "$ZIP.partial"
out=$("$NTMEND" -t "$IMG" logs collect "$ZIP" 2>&1)
check_match "an existing zip is not overwritten" "$out" "exists"

want="Windows/INF/setupapi.app.log
Windows/INF/setupapi.dev.log
Windows/Logs/CBS/CBS.log
Windows/Logs/CBS/CbsPersist_20240109120000.log
Windows/Logs/CBS/CbsPersist_20240110031559.cab
Windows/Logs/DISM/dism.log
Windows/Logs/WindowsUpdate/WindowsUpdate.20240110.031559.123.1.etl
Windows/Panther/UnattendGC/setupact.log
Windows/Panther/setupact.log
Windows/Panther/$NAME_U
Windows/SoftwareDistribution/ReportingEvents.log
ntmend/collected.txt
ntmend/diagnose.json
ntmend/hives.json"
got=$(LANG=C.UTF-8 bsdtar -tf "$ZIP" | LC_ALL=C sort)
check_eq "entries (bsdtar -tf)" "$got" "$(printf '%s\n' "$want" | LC_ALL=C sort)"
if command -v unzip >/dev/null; then
	check "unzip -t: every entry's CRC" sh -c "unzip -tq '$ZIP' >/dev/null"
	check_match "unzip -v: deflated" "$(unzip -v "$ZIP")" \
	    "Defl:N .*CBS\.log"
fi
# General purpose bit 11 (UTF-8 names) set for the non-ASCII entry, as
# Explorer needs: read from the central directory.
flags=$(perl -0777 -ne 'while (/PK\x01\x02/g) {
    my $p = pos($_) - 4;
    my $f = unpack("v", substr($_, $p + 8, 2));
    my $name = substr($_, $p + 46, unpack("v", substr($_, $p + 28, 2)));
    print(($f & 0x800) ? "utf8 " : "ascii ", $name, "\n")
        if $name =~ /[^\x00-\x7f]/; }' "$ZIP")
check_match "UTF-8 flag on the non-ASCII name" "$flags" "^utf8 Windows/Panther/"

t_mount "$IMG" "$T/m" "$OFF" "$SIZE" || not_ok "mount"
bad=
mkdir -p "$T/x"
(cd "$T/x" && LANG=C.UTF-8 bsdtar -xf "$ZIP")
while IFS= read -r e; do
	case "$e" in ntmend/*) continue ;; esac
	cmp -s "$T/x/$e" "$T/m/$e" || bad="$bad $e"
done <<<"$want"
check_eq "every entry equals the file read through the mount" "$bad" ""
t_umount "$T/m"

check_eq "hives.json: SYSTEM dirty, replayed; SOFTWARE clean" \
    "$(jq -r '.hives[] | select(.name == "SYSTEM" or .name == "SOFTWARE") |
    "\(.name):\(.state):\(.hive.dirty):\(.hive.seq1)/\(.hive.seq2)"' \
    "$T/x/ntmend/hives.json" | paste -sd' ')" \
    "SYSTEM:replayed:true:2132/2131 SOFTWARE:clean:false:$(jq -r \
    '.hives[] | select(.name == "SOFTWARE") | "\(.hive.seq1)/\(.hive.seq2)"' \
    "$T/x/ntmend/hives.json")"
check_eq "hives.json: SYSTEM.LOG1 is a new-format log" \
    "$(jq -r '.hives[0].logs[0].file_type' "$T/x/ntmend/hives.json")" 6
check_eq "diagnose.json: the same findings as diagnose --json" \
    "$(jq -c '[.findings[].id]' "$T/x/ntmend/diagnose.json")" \
    "$("$NTMEND" -t "$IMG" diagnose --json | jq -c '[.findings[].id]')"
check_match "collected.txt lists the files" \
    "$(tr -d '\r' <"$T/x/ntmend/collected.txt")" \
    "Windows.Logs.CBS.CBS.log	[0-9]+	"
check_match "--json" "$("$NTMEND" -t "$IMG" logs collect "$T/stick/b.zip" \
    --json | jq -r '.files | length')" '^11$'
