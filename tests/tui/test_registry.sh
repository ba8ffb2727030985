#!/bin/bash
# test_registry: the menu's registry editor on a mkfixture image. Browse
# HKLM\SYSTEM to wuauserv and read its values against hivexget, search,
# follow a resize, then change the registry from the menu (edit a DWORD,
# add a value with non-ASCII name and data, add a key, import a UTF-16
# .reg file, delete a value) and read every change back with hivexget on
# the SYSTEM hive copied out of a read-only ntfs-3g mount; undo from the
# command line gives back the image byte for byte.
source "$(dirname "$0")/lib.sh"

MKF=$NTM_TOOLS/mkfixture

# on_screen_re NAME REGEX: a line of the screen matches (extended).
on_screen_re() {
	local i
	for ((i = 0; i < 100; i++)); do
		tui_screen | grep -Eq -- "$2" && { ok "$1"; return; }
		sleep 0.1
	done
	not_ok "$1"
	echo "#   no line matches '$2':"
	tui_screen | sed 's/^/#   | /'
}

# The widest line of the screen, in columns.
widest() { tui_screen | LC_ALL=C.UTF-8 wc -L; }

# find TEXT: '/' search in the list (the dialog offers the last search:
# ^U clears it).
find() {
	tui_keys /
	tui_keys C-u
	tui_keys -l "$1"
	tui_keys Enter
}

img="$T/reg.img"
if ! "$MKF" --fault update-services-disabled "$img" >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture update-services-disabled: $(tail -1 "$T/mkf.log")"
	exit 1
fi
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/before" || { not_ok "mount the fixture"; exit 1; }
cs=$(printf 'ControlSet%03d' "$(hivexget "$T/before" Select Current)")
wu="$cs\\Services\\wuauserv"
start0=$(hivexget "$T/before" "$wu" Start)
check_eq "fixture: wuauserv disabled" "$start0" 4

tui_start -t "$img"
tui_expect "step 1 shown" "Enter: continue"
tui_keys Enter
tui_expect "main menu" "Registry editor"
find Registry
tui_keys Enter
tui_expect "hive list" "HKLM\\SOFTWARE"
for h in 'HKLM\SYSTEM' 'HKLM\COMPONENTS' 'HKU\.DEFAULT'; do
	tui_expect "hive list: $h" "$h"
done

# SYSTEM: CurrentControlSet named, then the set itself by search.
tui_keys Enter
tui_expect "SYSTEM opened" "Subkeys ("
tui_expect "CurrentControlSet shown" "CurrentControlSet\\  = $cs"
find "$cs"
tui_keys Enter
tui_expect "control set opened" "HKLM\\SYSTEM\\$cs"
find 'Services\'
tui_keys Enter
tui_expect "Services opened" "HKLM\\SYSTEM\\$cs\\Services"
find 'wuauserv\'
tui_expect "search finds wuauserv" "found 'wuauserv\\'"
tui_keys Enter
tui_expect "wuauserv opened" "HKLM\\SYSTEM\\$cs\\Services\\wuauserv"

# Its values as hivexget reads them.
on_screen_re "Start as hivexget reads it" \
    "Start +DWORD +0x0*$(printf %x "$start0") \\($start0\\)"
type0=$(hivexget "$T/before" "$wu" Type)
ec0=$(hivexget "$T/before" "$wu" ErrorControl)
on_screen_re "ErrorControl as hivexget reads it" \
    "ErrorControl +DWORD +0x0*$(printf %x "$ec0") \\($ec0\\)"
tui_expect "ObjectName as hivexget reads it" \
    "SZ         $(hivexget "$T/before" "$wu" ObjectName)"
tui_expect "ImagePath as hivexget reads it" \
    "EXPAND_SZ  $(hivexget "$T/before" "$wu" ImagePath)"
tui_expect "DependOnService" \
    "MULTI_SZ   $(hivexget "$T/before" "$wu" DependOnService)"
tui_expect "subkeys first" "Parameters\\"

# The panel shows the value under the cursor whole.
find FailureActions
tui_expect "panel: FailureActions" "FailureActions  REG_BINARY, 44 bytes"

# Resize: the long row and the panel follow the width, the list the
# height (Type, the last value, is below the fold in 80x25).
check_eq "80x25: no line wider than 80" "$(( $(widest) <= 80 ))" 1
tui_gone "80x25: Type below the fold" \
    "$(printf '0x%08x (%d)' "$type0" "$type0")"
tui resize-window -x 100 -y 30
on_screen_re "100x30: Type in sight" \
    "Type +DWORD +0x0*$(printf %x "$type0") \\($type0\\)"
check_eq "100x30: footer on line 30" \
    "$(tui_screen | sed -n 30p | grep -cE 'F1 help|found')" 1
check_match "100x30: lines wider than 80" "$(widest)" '^(8[1-9]|9[0-9]|100)$'
tui resize-window -x 80 -y 25
tui_keys Down
tui_expect "80x25 again: footer" "F1 help"
check_eq "80x25 again: footer on line 25" \
    "$(tui_screen | sed -n 25p | grep -c 'F1 help')" 1
check_eq "80x25 again: no line wider than 80" "$(( $(widest) <= 80 ))" 1

# Edit Start 4 -> 3 (0x3: hex is accepted).
find Start
tui_keys e
tui_expect "edit dialog" "Edit Start"
tui_keys C-u
tui_keys -l 0x3
tui_keys Enter
tui_expect "edit: result in the footer" \
    "set Start = REG_DWORD 3, was REG_DWORD 4"
on_screen_re "edit: list reloaded" "Start +DWORD +0x00000003 \\(3\\)"

# A new value, non-ASCII name and data.
tui_keys a
tui_expect "new value: name asked" "Name of the new value"
tui_keys -l 'Grüße'
tui_keys Enter
tui_expect "new value: type asked" "EXPAND_SZ"
tui_keys Home Enter
tui_expect "new value: data asked" "Grüße (text)"
tui_keys -l 'Ünïcödé ✓ 日本'
tui_keys Enter
on_screen_re "new value listed in UTF-8" "Grüße +SZ +Ünïcödé ✓ 日本"

# A new key, then a .reg import into it.
tui_keys k
tui_expect "new key: name asked" "Name of the new subkey"
tui_keys -l 'Neuer Schlüssel'
tui_keys Enter
tui_expect "new key: result in the footer" "created key Neuer Schlüssel"
tui_expect "new key: listed, under the cursor" \
    "key Neuer Schlüssel: 0 subkey(s), 0 value(s)"
key='HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\wuauserv'
printf 'Windows Registry Editor Version 5.00\r\n\r\n[%s\\%s]\r\n%s\r\n%s\r\n' \
    "$key" 'Neuer Schlüssel' '"Wert"="aus der .reg"' '"Zahl"=dword:0000002a' |
    iconv -f UTF-8 -t UTF-16LE | { printf '\xff\xfe'; cat; } >"$T/imp.reg"
tui_keys i
tui_expect "import: path asked" "Path of the .reg file"
tui_keys -l "$T/imp.reg"
tui_keys Enter
tui_expect "import: summary before" "(UTF-16LE, 1 key(s), 2"
tui_keys y
tui_expect "import: result shown" "2 value(s) set"
tui_keys Escape
find 'Schlüssel\'
tui_keys Enter
tui_expect "imported key opened" "wuauserv\\Neuer Schlüssel"
on_screen_re "imported DWORD" "Zahl +DWORD +0x0000002a \\(42\\)"
tui_keys Escape

# Delete a value, answering the confirmation.
find ServiceSidType
tui_keys d
tui_expect "delete: asks" "Delete the value ServiceSidType"
tui_keys y
tui_expect "delete: done" "deleted value ServiceSidType"
if tui_screen | grep -Eq 'ServiceSidType +DWORD'; then
	not_ok "delete: gone from the list"
else
	ok "delete: gone from the list"
fi

# Read back, independently, while the menu still has the target open.
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/after" || not_ok "mount after the changes"
check_eq "hivexget: Start 3" "$(hivexget "$T/after" "$wu" Start)" 3
check_eq "hivexget: Grüße" "$(hivexget "$T/after" "$wu" 'Grüße')" \
    'Ünïcödé ✓ 日本'
check_eq "hivexget: imported Wert" \
    "$(hivexget "$T/after" "$wu\\Neuer Schlüssel" Wert)" "aus der .reg"
check_eq "hivexget: imported Zahl" \
    "$(hivexget "$T/after" "$wu\\Neuer Schlüssel" Zahl)" 42
check_eq "hivexget: ServiceSidType deleted" \
    "$(hivexget "$T/after" "$wu" ServiceSidType 2>/dev/null; echo "rc=$?")" \
    "rc=1"
check_eq "hivexget: Type untouched" "$(hivexget "$T/after" "$wu" Type)" \
    "$type0"

# q asks (changes, no report saved); then the menu ends cleanly.
tui_keys q
tui_expect "quit asks" "Quit anyway?"
tui_keys y
tui_end "menu"

# Five journals (edit, value, key, import, delete), newest first. Undo
# gives every file its bytes back and removes the journal folder; the
# image's own bytes differ (NTFS metadata: MFT records, $LogFile, times).
n=0
while [ "$n" -lt 5 ] && "$NTMEND" -t "$img" undo >>"$T/undo.log" 2>&1; do
	n=$((n + 1))
done
check_eq "undo: five changes undone" "$n" 5
undo_more() { "$NTMEND" -t "$img" undo >>"$T/undo.log" 2>&1; }
check_status "undo: nothing left to undo" 4 undo_more
t_copy_out "$img" Windows/System32/config/SYSTEM "$T/undone" || not_ok "mount after undo"
check_eq "undo: SYSTEM byte for byte" "$(sha256sum <"$T/undone")" \
    "$(sha256sum <"$T/before")"
t_mount "$img" "$T/mnt" $(t_part "$img" 3) || not_ok "mount after undo"
check_eq "undo: no journal folder left" "$(ls "$T/mnt" | grep -ic '^ntmend$')" 0
t_umount "$T/mnt"
rm -f "$T"/part-*.img
