#!/bin/bash
# ntmend reg on a disk image: every value type with non-ASCII names and
# data, deletions, get/ls output, .reg imports (testdata and generated:
# UTF-16LE with BOM and CRLF, UTF-8, REGEDIT4, deletions, continuations,
# CurrentControlSet, several hives in one journal), export -> import ->
# export identity, dry runs. Every outcome is read back without ntmend:
# the hives are copied out of a read-only ntfs-3g mount and read with
# hivexsh/hivexget; the expected bytes are written out here by hand or
# made with iconv.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
SW='HKLM\SOFTWARE\ntmend-test'

# The image's SYSTEM is regipy's SYSTEM (it has ControlSet001 and 002) with
# Select\Current = 2, so CurrentControlSet resolving to ControlSet001 by
# habit would show.
t_hive regipy_SYSTEM >/dev/null
printf 'cd Select\nsetval 1\nCurrent\ndword:2\ncommit\n' |
    hivexsh -w "$T/regipy_SYSTEM"
check_eq "setup: Select\\Current of the prepared SYSTEM" \
    "$(hivexget "$T/regipy_SYSTEM" Select Current)" 2
# A bare NTFS image (no partition table) of the smallest size keeps the
# many sha256 comparisons quick; the partition offset path has its own
# tests (test_undo writes through it).
fresh() {	# IMAGE: a new image of the same PC
	"$MKF" --layout bare --size 256 --system "$T/regipy_SYSTEM" "$1" \
	    >"$T/mkf.log" 2>&1 ||
	    { not_ok "mkfixture failed: $(tail -1 "$T/mkf.log")"; exit 1; }
}
img="$T/a.img"
fresh "$img"

ntm() { "$NTMEND" -t "$img" "$@"; }

# hives_out IMAGE DIR: the hives as they are on the image, through a
# read-only FUSE mount.
hives_out() {
	rm -rf "$2"
	mkdir -p "$2"
	t_mount "$1" "$T/mnt" || return 1
	cp "$T"/mnt/Windows/System32/config/{SYSTEM,SOFTWARE,DEFAULT,COMPONENTS} "$2"/
	t_umount "$T/mnt"
}

# lsval HIVE KEY: the key's values as hivexsh prints them, sorted; fails
# if the key is not there.
lsval() {
	printf 'cd %s\nlsval\n' "$2" | hivexsh "$1" | LC_ALL=C sort
	return "${PIPESTATUS[1]}"
}
haskey() { printf 'cd %s\n' "$2" | hivexsh "$1" 2>/dev/null; }
lskeys() { printf 'cd %s\nls\n' "$2" | hivexsh "$1" | LC_ALL=C sort; }

# u16 TEXT: UTF-16LE bytes of TEXT (printf escapes allowed) as hivexsh
# writes hex data, "61,00,...".
u16() { printf "$1" | iconv -f utf-8 -t utf-16le | od -An -tx1 -v | tr -s ' \n' ',' | sed 's/^,//; s/,$//'; }
njournals() { ntm --json journal | jq '.journals | length'; }

# --- reg set: every type, names and data in Chinese and with umlauts ---
K="$SW"'\Tëst\中文键'
HK='ntmend-test\Tëst\中文键'	# the same key as hivexsh names it
ntm reg set "$K" 'Grüße' sz 'Grüße 你好 Ölmühle' >"$T/out" 2>&1
check_eq "set sz: exit 0" "$?" 0
check_match "set sz: says what it set and that it is new" "$(cat "$T/out")" \
    'set HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-test\\Tëst\\中文键\\Grüße = REG_SZ Grüße 你好 Ölmühle \(new\)'
check_match "set sz: names the journal" "$(cat "$T/out")" '^journal [0-9]{8}-[0-9]{6}-reg'
ntm reg set "$K" '路径' expand_sz '%SystemRoot%\系统32' >/dev/null
ntm reg set "$K" 'Mehrfach' multi_sz 'ä' '中文' 'x y' >/dev/null
ntm reg set "$K" 'dw' dword 0xdeadbeef >/dev/null
ntm reg set "$K" 'dezimal' dword 42 >/dev/null
ntm reg set "$K" 'qw' qword 0x1122334455667788 >/dev/null
ntm reg set "$K" 'bin' binary '00,01,fe,ff' >/dev/null
ntm reg set "$K" 'nichts' none >/dev/null
ntm reg set "$K" 'roh' 'hex(7f)' 'aa,bb' >/dev/null
ntm reg set "$K" 'typ4' 'hex(4)' '01000000' >/dev/null
ntm reg set "$K" '@' sz 'Standardwert' >/dev/null
check_eq "set: one journal per change" "$(njournals)" 11

hives_out "$img" "$T/h1"
want=$(LC_ALL=C sort <<EOF
"@"="Standardwert"
"Grüße"="Grüße 你好 Ölmühle"
"路径"=str(2):"%SystemRoot%\\\\系统32"
"Mehrfach"=hex(7):$(u16 'ä\0中文\0x y\0\0')
"dw"=dword:deadbeef
"dezimal"=dword:0000002a
"qw"=hex(11):88,77,66,55,44,33,22,11
"bin"=hex(3):00,01,fe,ff
"nichts"=hex(0):
"roh"=hex(127):aa,bb
"typ4"=dword:00000001
EOF
)
check_eq "set: every type reads back with hivexsh" "$(lsval "$T/h1/SOFTWARE" "$HK")" "$want"
check_eq "set: hivexget reads the Chinese/umlaut string" \
    "$(hivexget "$T/h1/SOFTWARE" "$HK" 'Grüße')" 'Grüße 你好 Ölmühle'
check_eq "set: hivexget reads the expand_sz" \
    "$(hivexget "$T/h1/SOFTWARE" "$HK" '路径')" '%SystemRoot%\系统32'

# Setting what is already there is no change: no journal, no write.
before=$(sha256sum <"$img")
ntm reg set "$K" 'dw' dword 3735928559 >"$T/out" 2>&1
check_eq "set same value: exit 0" "$?" 0
check_eq "set same value: nothing to change" "$(cat "$T/out")" "nothing to change"
check_eq "set same value: image unchanged" "$(sha256sum <"$img")" "$before"
check_eq "set same value: no journal" "$(njournals)" 11

# Bad data is a usage error and writes nothing.
ntm reg set "$K" x dword 0x100000000 2>"$T/err"
check_eq "set dword too large: usage exit" "$?" 2
ntm reg set "$K" x binary 'zz' 2>"$T/err"
check_eq "set bad hex: usage exit" "$?" 2
check_match "set bad hex: says why" "$(cat "$T/err")" 'not a hex digit'
ntm reg set "$K" x wort abc 2>"$T/err"
check_eq "set unknown type: usage exit" "$?" 2
# hivex would write data above 16344 bytes as one cell, which Windows
# reads as a big-data record: refused, nothing written.
ntm reg set "$K" gross binary "$(head -c 20000 /dev/zero | od -An -tx1 -v | tr -d ' \n')" 2>"$T/err"
check_eq "set 20000-byte value: refused" "$?" 4
check_eq "refusals leave the image unchanged" "$(sha256sum <"$img")" "$before"

# --- reg get / ls, text and JSON, checked against hivexsh ---
check_eq "get sz" "$(ntm reg get "$K" 'Grüße')" 'Grüße 你好 Ölmühle'
check_eq "get dword: decimal" "$(ntm reg get "$K" dw)" 3735928559
check_eq "get multi_sz: one string a line" "$(ntm reg get "$K" Mehrfach)" \
    "$(printf 'ä\n中文\nx y')"
check_eq "get unknown type: hex" "$(ntm reg get "$K" roh)" 'aa bb'
check_eq "get @: the default value" "$(ntm reg get "$K" @)" Standardwert
# Names compare as Windows compares them: ü/Ü fold, ß has no capital.
check_eq "get: value name in other case (GRÜßE)" "$(ntm reg get "$K" 'GRÜßE')" 'Grüße 你好 Ölmühle'
check_eq "get: key path in other case" \
    "$(ntm reg get 'hklm\software\NTMEND-TEST\TËST\中文键' DW)" 3735928559
ntm reg get "$K" fehlt 2>"$T/err"
check_eq "get missing value: exit 4" "$?" 4
check_match "get missing value: says so" "$(cat "$T/err")" 'no value "fehlt"'

json=$(ntm --json reg get "$K" qw)
check_eq "get --json: schema" "$(jq -r .schema <<<"$json")" ntmend.reg/1
check_eq "get --json qword" "$(jq -c '.values[0] | [.name, .type, .type_number, .hex, .data]' <<<"$json")" \
    '["qw","REG_QWORD",11,"8877665544332211","1234605616436508552"]'
json=$(ntm --json reg get "$K")
# Each value's bytes in JSON against hivexsh's hex (dword/str lines
# turned into bytes here).
hexes=$(jq -r '.values[] | "\(.name)=\(.hex)"' <<<"$json" | LC_ALL=C sort)
want=$(LC_ALL=C sort <<EOF
=$(u16 'Standardwert\0' | tr -d ,)
Grüße=$(u16 'Grüße 你好 Ölmühle\0' | tr -d ,)
路径=$(u16 '%%SystemRoot%%\\系统32\0' | tr -d ,)
Mehrfach=$(u16 'ä\0中文\0x y\0\0' | tr -d ,)
dw=efbeadde
dezimal=2a000000
qw=8877665544332211
bin=0001feff
nichts=
roh=aabb
typ4=01000000
EOF
)
check_eq "get --json: every value's bytes" "$hexes" "$want"
check_eq "get --json: types" \
    "$(jq -r '.values[] | "\(.name) \(.type)"' <<<"$json" | LC_ALL=C sort | tr '\n' ' ')" \
    "$(printf '%s\n' ' REG_SZ' 'Grüße REG_SZ' '路径 REG_EXPAND_SZ' 'Mehrfach REG_MULTI_SZ' \
        'dw REG_DWORD' 'dezimal REG_DWORD' 'qw REG_QWORD' 'bin REG_BINARY' \
        'nichts REG_NONE' 'roh REG_UNKNOWN(0x7f)' 'typ4 REG_DWORD' | LC_ALL=C sort | tr '\n' ' ')"

ntm reg set "$SW"'\Tëst\Ünterschlüssel' a dword 1 >/dev/null
hives_out "$img" "$T/h1"
json=$(ntm --json reg ls "$SW"'\Tëst')
check_eq "ls --json: key" "$(jq -r .key <<<"$json")" 'HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-test\Tëst'
check_eq "ls --json: subkeys as hivexsh lists them" \
    "$(jq -r '.subkeys[]' <<<"$json" | LC_ALL=C sort)" "$(lskeys "$T/h1/SOFTWARE" 'ntmend-test\Tëst')"
json=$(ntm --json reg ls "$K")
check_eq "ls --json: value names as hivexsh lists them" \
    "$(jq -r '.values[].name | if . == "" then "@" else . end' <<<"$json" | LC_ALL=C sort)" \
    "$(lsval "$T/h1/SOFTWARE" "$HK" | sed 's/^"\([^"]*\)"=.*/\1/' | LC_ALL=C sort)"
text=$(ntm reg ls "$SW"'\Tëst')
check_eq "ls text: key then subkeys" "$text" \
    "$(printf '%s\n' 'HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-test\Tëst' '  Ünterschlüssel\' '  中文键\')"
text=$(ntm reg ls "$K")
check_match "ls text: a value line" "$text" '  dw +REG_DWORD +3735928559'
check_match "ls text: the default value" "$text" '  \(default\) +REG_SZ +Standardwert'
check_match "ls text: multi_sz on one line" "$text" 'Mehrfach +REG_MULTI_SZ +ä\|中文\|x y'
text=$(ntm reg ls 'HKLM\SYSTEM\CurrentControlSet\Services\wuauserv')
check_eq "ls: CurrentControlSet shown resolved (Select\\Current = 2)" \
    "$(head -1 <<<"$text")" 'HKEY_LOCAL_MACHINE\SYSTEM\ControlSet002\Services\wuauserv'
ntm reg ls 'HKCU\Software' 2>"$T/err"
check_eq "ls HKCU: usage exit" "$?" 2
check_match "ls HKCU: names the hives that exist offline" "$(cat "$T/err")" 'HKU\\\.DEFAULT'

# --- reg del: a value, then a whole tree ---
ntm reg set "$SW"'\Baum\Ast\Blatt' Farbe sz grün >/dev/null
ntm reg set "$SW"'\Baum\Zweig' n dword 7 >/dev/null
ntm reg set "$SW"'\Baum' Wurzel sz tief >/dev/null
ntm reg del "$K" bin >"$T/out"
check_eq "del value: exit 0" "$?" 0
check_match "del value: says so" "$(cat "$T/out")" 'deleted value .*中文键\\bin'
ntm reg del "$SW"'\Baum' >"$T/out"
check_eq "del key: exit 0" "$?" 0
check_match "del key: says so" "$(cat "$T/out")" 'deleted key HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-test\\Baum \(with its subkeys\)'
hives_out "$img" "$T/h2"
check_eq "del value: gone, the others stay" \
    "$(lsval "$T/h2/SOFTWARE" "$HK" | cut -d= -f1 | tr '\n' ' ')" \
    "$(lsval "$T/h1/SOFTWARE" "$HK" | grep -v '^"bin"=' | cut -d= -f1 | tr '\n' ' ')"
haskey "$T/h2/SOFTWARE" 'ntmend-test\Baum'
check_eq "del key: the tree is gone" "$?" 1
haskey "$T/h2/SOFTWARE" 'ntmend-test\Tëst\中文键'
check_eq "del key: its sibling stays" "$?" 0
before=$(sha256sum <"$img")
n=$(njournals)
ntm reg del "$K" fehlt 2>"$T/err"
check_eq "del missing value: exit 4" "$?" 4
check_match "del missing value: says so" "$(cat "$T/err")" 'has no value fehlt'
ntm reg del "$SW"'\Gibtsnicht' 2>"$T/err"
check_eq "del missing key: exit 4" "$?" 4
ntm reg del 'HKLM\SOFTWARE' 2>"$T/err"
check_eq "del hive root: refused" "$?" 4
check_match "del hive root: says why" "$(cat "$T/err")" "root key"
check_eq "failed deletions leave the image unchanged" "$(sha256sum <"$img")" "$before"
check_eq "failed deletions leave no journal" "$(njournals)" "$n"

# --- reg import: the testdata files are HKEY_CURRENT_USER exports ---
for f in "$NTM_TESTDATA"/reg/*.reg; do
	b=$(basename "$f")
	before=$(sha256sum <"$img")
	ntm reg import "$f" >"$T/out" 2>"$T/err"
	check_eq "$b: refused (HKCU is no offline hive)" "$?" 4
	check_match "$b: names the root and what exists offline" "$(cat "$T/err")" \
	    'HKEY_CURRENT_USER.*HKEY_USERS\\\.DEFAULT'
	check_eq "$b: one-line error" "$(wc -l <"$T/err")" 1
	check_eq "$b: image unchanged" "$(sha256sum <"$img")" "$before"
	# The same settings under HKU\.DEFAULT: every string and dword of
	# the file, read back with hivexget (a model of the file in awk).
	sed 's/HKEY_CURRENT_USER/HKEY_USERS\\.DEFAULT/' "$f" >"$T/default.reg"
	ntm reg import "$T/default.reg" >/dev/null 2>"$T/err"
	check_eq "$b under HKU\\.DEFAULT: imported" "$?" 0
	hives_out "$img" "$T/h3"
	awk -F'"' '
	    /^\[/ { k = substr($0, 2, length($0) - 2); sub(/^HKEY_USERS\\\.DEFAULT\\/, "", k); next }
	    /^"[^"\\]*"="[^"\\]*"\r?$/ { print k "\t" $2 "\t" $4; next }
	    /^"[^"\\]*"=dword:/ { split($0, a, "dword:"); sub(/\r$/, "", a[2]); print k "\t" $2 "\tdword:" a[2] }
	' "$T/default.reg" >"$T/model"
	bad=0 total=0
	while IFS=$'\t' read -r key name val; do
		total=$((total + 1))
		case $val in	# hivexget prints a dword as a signed number
		dword:*) val=$(( 16#${val#dword:} )); val=$(( val > 2147483647 ? val - 4294967296 : val ));;
		esac
		got=$(hivexget "$T/h3/DEFAULT" "$key" "$name" 2>&1)
		if [ "$got" != "$val" ]; then
			bad=$((bad + 1))
			[ "$bad" -le 3 ] && printf '# %s\\%s: got %s, want %s\n' "$key" "$name" "$got" "$val"
		fi
	done <"$T/model"
	check_eq "$b under HKU\\.DEFAULT: $total strings and dwords read back" "$bad" 0
	check "$b: the model is not empty" test "$total" -gt 10
done

# --- generated files ---
# sysccs HIVE: the current control set as hivexget reads Select\Current.
sysccs() { printf 'ControlSet%03d' "$(hivexget "$1" Select Current)"; }

# UTF-16LE with BOM and CRLF, as regedit saves: every hex type with
# continuations, @, parents that do not exist, CurrentControlSet, three
# hives in one file.
cat >"$T/g.txt" <<'EOF'
Windows Registry Editor Version 5.00

; comment line
[HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-import\Neu\Ünter\深\層]
@="Standardwert"
"Grüße"="你好, \"Welt\" \\ C:\\Pfad"
"exp"=hex(2):25,00,50,00,41,00,54,00,48,00,25,00,5c,00,e4,00,00,00
"multi"=hex(7):61,00,00,00,e4,00,00,00,\
  2d,4e,87,65,00,00,00,00
"q"=hex(b):01,02,03,04,05,06,07,08
"d"=dword:0000002a
"b"=hex:de,ad,\
  be,ef
"n"=hex(0):
"x"=hex(7f):01

[HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-import\Weg\Tief]
"a"="b"

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\ntmtest]
"Start"=dword:00000003
"ImagePath"=hex(2):63,00,3a,00,5c,00,78,00,2e,00,65,00,78,00,65,00,00,00

[HKEY_USERS\.DEFAULT\Control Panel\ntmend]
"Farbe"="grün"
EOF
sed 's/$/\r/' "$T/g.txt" | iconv -f utf-8 -t utf-16le | { printf '\xff\xfe'; cat; } >"$T/g16.reg"
check_eq "generated: UTF-16LE file starts FF FE" "$(head -c 2 "$T/g16.reg" | od -An -tx1 | tr -d ' ')" fffe
n=$(njournals)
ntm reg import "$T/g16.reg" >"$T/out" 2>"$T/err"
check_eq "UTF-16LE import: exit 0" "$?" 0
check_eq "UTF-16LE import: three hives, one journal" "$(njournals)" $((n + 1))
check_eq "UTF-16LE import: the journal replaced three hives" \
    "$(ntm --json journal | jq '.journals[-1].changes')" 3
check_match "UTF-16LE import: says what it did to SYSTEM" "$(cat "$T/out")" \
    'imported 3 operation\(s\) into HKEY_LOCAL_MACHINE\\SYSTEM: 1 key\(s\) created, 0 deleted, 2 value\(s\) set'
hives_out "$img" "$T/h4"
HI='ntmend-import\Neu\Ünter\深\層'
want=$(LC_ALL=C sort <<EOF
"@"="Standardwert"
"Grüße"="你好, \\"Welt\\" \\\\ C:\\\\Pfad"
"exp"=str(2):"%PATH%\\\\ä"
"multi"=hex(7):61,00,00,00,e4,00,00,00,2d,4e,87,65,00,00,00,00
"q"=hex(11):01,02,03,04,05,06,07,08
"d"=dword:0000002a
"b"=hex(3):de,ad,be,ef
"n"=hex(0):
"x"=hex(127):01
EOF
)
check_eq "UTF-16LE import: every value reads back" "$(lsval "$T/h4/SOFTWARE" "$HI")" "$want"
check_eq "UTF-16LE import: the escaped string" \
    "$(hivexget "$T/h4/SOFTWARE" "$HI" 'Grüße')" '你好, "Welt" \ C:\Pfad'
ccs=$(sysccs "$T/h4/SYSTEM")
check_eq "CurrentControlSet: the hive says ControlSet002" "$ccs" ControlSet002
check_eq "CurrentControlSet: the service landed in $ccs" \
    "$(lsval "$T/h4/SYSTEM" "$ccs"'\Services\ntmtest')" \
    "$(printf '%s\n' '"ImagePath"=str(2):"c:\\x.exe"' '"Start"=dword:00000003')"
haskey "$T/h4/SYSTEM" 'ControlSet001\Services\ntmtest'
check_eq "CurrentControlSet: not in ControlSet001" "$?" 1
haskey "$T/h4/SYSTEM" 'CurrentControlSet'
check_eq "CurrentControlSet: no such key made" "$?" 1
check_eq "HKU\\.DEFAULT: value in DEFAULT" \
    "$(hivexget "$T/h4/DEFAULT" 'Control Panel\ntmend' Farbe)" grün

# UTF-8 without BOM, LF, 5.00: deletions of what the last import made.
cat >"$T/del8.reg" <<'EOF'
Windows Registry Editor Version 5.00

[-HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-import\Weg]

[HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-import\Neu\Ünter\深\層]
"x"=-
"b"=-
"Ölzeug"="Überraschung"
EOF
ntm reg import "$T/del8.reg" >"$T/out" 2>"$T/err"
check_eq "UTF-8 import with deletions: exit 0" "$?" 0
hives_out "$img" "$T/h5"
haskey "$T/h5/SOFTWARE" 'ntmend-import\Weg'
check_eq "[-KEY]: the key and its subkey are gone" "$?" 1
check_eq '"x"=- and "b"=-: gone, the rest stays, the UTF-8 value added' \
    "$(lsval "$T/h5/SOFTWARE" "$HI" | cut -d= -f1 | tr '\n' ' ')" \
    "$(printf '%s\n' '"@"' '"Grüße"' '"exp"' '"multi"' '"q"' '"d"' '"n"' '"Ölzeug"' | LC_ALL=C sort | tr '\n' ' ')"
check_eq "UTF-8 import: the umlauts" "$(hivexget "$T/h5/SOFTWARE" "$HI" 'Ölzeug')" Überraschung
ntm reg import "$T/del8.reg" >"$T/out" 2>"$T/err"
check_eq "deleting what is gone again: exit 0" "$?" 0

# UTF-8 with a BOM.
printf '\xef\xbb\xbfWindows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-import\\BOM8]\r\n"ä"="ö"\r\n' >"$T/bom8.reg"
ntm reg import "$T/bom8.reg" >/dev/null 2>"$T/err"
check_eq "UTF-8 with BOM: exit 0" "$?" 0

# REGEDIT4: ANSI (Windows-1252), hex(2)/hex(7) data in ANSI bytes that
# regedit turns into UTF-16 with a NUL.
printf 'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-import\\Alt]\r\n"Gr\xfc\xdfe"="M\xfchle \x80"\r\n"e"=hex(2):25,50,41,\\\r\n  54,48,25,00\r\n"m"=hex(7):61,00,62,00,00\r\n"d"=dword:00000010\r\n@="def"\r\n' >"$T/r4.reg"
ntm reg import "$T/r4.reg" >/dev/null 2>"$T/err"
check_eq "REGEDIT4 import: exit 0" "$?" 0
hives_out "$img" "$T/h6"
check_eq "REGEDIT4: ANSI name and data (ü, ß, €) and hex(2)/hex(7) as UTF-16" \
    "$(lsval "$T/h6/SOFTWARE" 'ntmend-import\Alt')" \
    "$(LC_ALL=C sort <<EOF
"@"="def"
"Grüße"="Mühle €"
"e"=str(2):"%PATH%"
"m"=hex(7):$(u16 'a\0b\0\0')
"d"=dword:00000010
EOF
)"
check_eq "UTF-8 with BOM: read back" "$(hivexget "$T/h6/SOFTWARE" 'ntmend-import\BOM8' 'ä')" ö

# A file with an error applies nothing, even its good lines.
printf 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-import\\Gut]\n"a"=dword:1\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-import\\Schlecht]\n"b"=dword:zz\n' >"$T/bad.reg"
printf 'Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-import\\Gut]\n"a"=dword:1\n\n[HKEY_CURRENT_USER\\Software\\x]\n"b"=dword:1\n' >"$T/bad2.reg"
before=$(sha256sum <"$img")
n=$(njournals)
ntm reg import "$T/bad.reg" 2>"$T/err"
check_eq "bad dword: exit 4" "$?" 4
check_match "bad dword: names the line" "$(cat "$T/err")" 'line 7'
ntm reg import "$T/bad2.reg" 2>"$T/err"
check_eq "HKCU after a good key: exit 4" "$?" 4
check_match "HKCU after a good key: names the line" "$(cat "$T/err")" 'line 6'
check_eq "failed imports: image unchanged" "$(sha256sum <"$img")" "$before"
check_eq "failed imports: no journal" "$(njournals)" "$n"

# --- export -> import on a fresh image -> export: the same bytes ---
ntm reg export "$SW" "$T/e1-sw.reg" >/dev/null
check_eq "export: exit 0" "$?" 0
ntm reg export 'HKLM\SOFTWARE\ntmend-import' "$T/e1-imp.reg" >/dev/null
ntm reg export 'HKU\.DEFAULT\Control Panel\ntmend' "$T/e1-def.reg" >/dev/null
ntm reg export 'HKLM\SYSTEM\CurrentControlSet\Services\ntmtest' "$T/e1-sys.reg" >/dev/null
check_eq "export: UTF-16LE with BOM, 5.00 header, CRLF" \
    "$(head -c 82 "$T/e1-sw.reg" | od -An -tx1 -v | tr -d ' \n')" \
    "fffe$(printf 'Windows Registry Editor Version 5.00\r\n\r\n' | iconv -f utf-8 -t utf-16le | od -An -tx1 -v | tr -d ' \n')"
check_match "export of CurrentControlSet names the real set" \
    "$(iconv -f utf-16 -t utf-8 "$T/e1-sys.reg")" '\[HKEY_LOCAL_MACHINE\\SYSTEM\\ControlSet002\\[Ss]ervices\\ntmtest\]'
fresh "$T/b.img"
for e in sw imp def sys; do
	"$NTMEND" -t "$T/b.img" reg import "$T/e1-$e.reg" >/dev/null 2>"$T/err"
	check_eq "export -> import ($e) on a fresh image: exit 0" "$?" 0
done
"$NTMEND" -t "$T/b.img" reg export "$SW" "$T/e2-sw.reg" >/dev/null
"$NTMEND" -t "$T/b.img" reg export 'HKLM\SOFTWARE\ntmend-import' "$T/e2-imp.reg" >/dev/null
"$NTMEND" -t "$T/b.img" reg export 'HKU\.DEFAULT\Control Panel\ntmend' "$T/e2-def.reg" >/dev/null
"$NTMEND" -t "$T/b.img" reg export 'HKLM\SYSTEM\CurrentControlSet\Services\ntmtest' "$T/e2-sys.reg" >/dev/null
for e in sw imp def sys; do
	check "export -> import -> export ($e): identical bytes" cmp "$T/e1-$e.reg" "$T/e2-$e.reg"
done
hives_out "$T/b.img" "$T/h7"
check_eq "export -> import: values equal as hivexsh reads them" \
    "$(lsval "$T/h7/SOFTWARE" "$HK")" "$(lsval "$T/h2/SOFTWARE" "$HK")"
rm -f "$T/b.img"

# --- dry runs change nothing ---
before=$(sha256sum <"$img")
n=$(njournals)
ntm -n reg set "$K" dw dword 1 >"$T/out"
check_eq "dry-run set: exit 0" "$?" 0
check_eq "dry-run set: shows the change" "$(cat "$T/out")" \
    "$(printf '%s\n' 'dry run, nothing written; the changes would be:' \
        '  set HKEY_LOCAL_MACHINE\SOFTWARE\ntmend-test\Tëst\中文键\dw = REG_DWORD 1, was REG_DWORD 3735928559')"
ntm --dry-run reg del "$SW" >"$T/out"
check_eq "dry-run del: exit 0" "$?" 0
check_match "dry-run del: shows the change" "$(cat "$T/out")" 'deleted key HKEY_LOCAL_MACHINE\\SOFTWARE\\ntmend-test'
ntm --dry-run reg import "$T/g16.reg" >"$T/out"
check_eq "dry-run import: exit 0" "$?" 0
json=$(ntm --json -n reg set "$K" neu sz x)
check_eq "dry-run --json" "$(jq -c '[.dry_run, .journal, .ok, (.changes | length)]' <<<"$json")" '[true,null,true,1]'
check_eq "dry runs: image sha256 unchanged" "$(sha256sum <"$img")" "$before"
check_eq "dry runs: no journal" "$(njournals)" "$n"
hives_out "$img" "$T/h8"
check_eq "dry runs: the value is still the old one" \
    "$(lsval "$T/h8/SOFTWARE" "$HK" | grep '^"dw"=')" '"dw"=dword:deadbeef'
