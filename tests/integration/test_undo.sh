#!/bin/bash
# ntmend undo after a mix of changes: every file of the Windows partition
# byte-identical to before (the whole tree listed through a read-only
# ntfs-3g mount: kind, links, size, SHA-256, NTFS attributes and security
# descriptor of every name, nothing left out), ntmend\ gone; ntmend
# journal lists what was done; undo by id; an older journal cannot be
# undone under a newer one. The image has a partition table, so every
# write goes through the partition offset.
source "$(dirname "$0")/../lib.sh"

MKF=$NTM_TOOLS/mkfixture
img="$T/pc.img"
"$MKF" --size 256 "$img" >"$T/mkf.log" 2>&1 ||
    { not_ok "mkfixture failed: $(tail -1 "$T/mkf.log")"; exit 1; }
ntm() { "$NTMEND" -t "$img" "$@"; }

# same NAME A B: the listings are equal, or the first differences shown.
same() {
	if cmp -s "$2" "$3"; then ok "$1"; else
		not_ok "$1"
		diff "$2" "$3" | head -10 | sed 's/^/#   /'
	fi
}

t_tree_list "$img" "$T/before"
check "listing: the whole tree ($(wc -l <"$T/before") names)" test "$(wc -l <"$T/before")" -gt 100
check_match "listing: hard links seen (WinSxS <-> System32)" \
    "$(grep '^f 2 ' "$T/before" | head -1)" 'WinSxS|System32'
check_eq "listing: no ntmend\\ yet" "$(grep -c ' \./ntmend$' "$T/before")" 0

# A mix of changes on SYSTEM, SOFTWARE and DEFAULT.
cat >"$T/mix.reg" <<'EOF'
Windows Registry Editor Version 5.00

[HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Services\ntmtest]
"Start"=dword:00000002
"ImagePath"=hex(2):63,00,3a,00,5c,00,78,00,00,00

[HKEY_LOCAL_MACHINE\SOFTWARE\Contoso\Agent]
"Größe"="groß"

[-HKEY_LOCAL_MACHINE\SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update]

[HKEY_USERS\.DEFAULT\Control Panel\Desktop]
"Wallpaper"="C:\\Windows\\Web\\Wallpaper\\ntmend.jpg"
EOF
cmds=(
	"reg set HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuauserv Start dword 4"
	"reg del HKLM\\SYSTEM\\CurrentControlSet\\Services\\BITS"
	"reg set HKLM\\SOFTWARE\\ntmend-undo\\Neu Wert sz Ölmühle"
	"reg del HKLM\\SOFTWARE\\Microsoft\\Windows_NT\\CurrentVersion RegisteredOwner"
	"reg set HKU\\.DEFAULT\\Control_Panel\\International sLanguage sz DEU"
	"reg import $T/mix.reg"
)
n=0
for c in "${cmds[@]}"; do
	# Word splitting on purpose; "_" stands for a space inside a key.
	read -r -a argv <<<"$c"
	argv=("${argv[@]//_/ }")
	ntm "${argv[@]}" >"$T/out" 2>&1
	check_eq "change: $c" "$?" 0
	n=$((n + 1))
done
# Many journals in one second: ids get -2, -3, ... -10, which must still
# undo newest first.
for i in $(seq 1 11); do
	ntm reg set 'HKLM\SOFTWARE\ntmend-undo' Zähler dword "$i" >/dev/null 2>&1 || not_ok "quick change $i"
	n=$((n + 1))
done
t_tree_list "$img" "$T/mid"
ntm reg set 'HKLM\SYSTEM\Select' ntmend dword 1 >/dev/null 2>&1
check_eq "last change: exit 0" "$?" 0
n=$((n + 1))

# What the changes did, read independently.
t_tree_list "$img" "$T/after"
check "the changes changed the hives on the volume" \
    test "$(grep -c 'config/SYSTEM$\|config/SOFTWARE$\|config/DEFAULT$' <(diff "$T/before" "$T/after"))" -ge 6
check_match "the journal is on the volume" "$(grep ' \./ntmend/journal$' "$T/after")" directory

# ntmend journal: one committed journal per changing command, oldest first.
json=$(ntm --json journal)
check_eq "journal: one per command" "$(jq '.journals | length' <<<"$json")" "$n"
check_eq "journal: all committed" "$(jq -r '[.journals[].state] | unique | join(",")' <<<"$json")" committed
check_eq "journal: the import replaced three hives" \
    "$(jq '.journals[5].changes' <<<"$json")" 3
check_match "journal: records the command line" "$(jq -r '.journals[0].command' <<<"$json")" \
    '^reg set HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuauserv Start dword 4$'
check_eq "journal: order is the order of the commands" \
    "$(jq -r '.journals[6:17][].command' <<<"$json" | sed 's/.* dword //' | tr '\n' ' ')" \
    "1 2 3 4 5 6 7 8 9 10 11 "
text=$(ntm journal)
check_eq "journal text: one line each" "$(wc -l <<<"$text")" "$n"
check_match "journal text: id, state, count, command" "$(head -1 <<<"$text")" \
    '^[0-9]{8}-[0-9]{6}-reg(-[0-9]+)? +committed +1 change\(s\) +reg set '

# An older journal cannot be undone while a newer one stands.
oldest=$(jq -r '.journals[0].id' <<<"$json")
newest=$(jq -r '.journals[-1].id' <<<"$json")
ntm undo "$oldest" 2>"$T/err"
check_eq "undo of an older journal: refused" "$?" 4
check_match "undo of an older journal: says to undo the newer first" "$(cat "$T/err")" \
    "newer.*first"
ntm undo 20000101-000000-nothing 2>"$T/err"
check_eq "undo of an unknown id: refused" "$?" 4
t_tree_list "$img" "$T/refused"
same "refused undos change nothing" "$T/after" "$T/refused"

# Undo by id: the newest, back to exactly the tree before it.
ntm undo "$newest" >"$T/out" 2>&1
check_eq "undo by id: exit 0" "$?" 0
check_eq "undo by id: says which" "$(cat "$T/out")" "undone: $newest"
t_tree_list "$img" "$T/mid2"
same "undo by id: every file as before that command" "$T/mid" "$T/mid2"
check_eq "undo by id: the journal is gone" \
    "$(ntm --json journal | jq --arg id "$newest" '[.journals[] | select(.id == $id)] | length')" 0

# Undo the rest, newest first, until no journal is left.
left=$((n - 1)) rounds=0
while [ "$left" -gt 0 ] && [ "$rounds" -lt $((n + 2)) ]; do
	want=$(ntm --json journal | jq -r '.journals[-1].id')
	out=$(ntm undo 2>&1)
	rc=$?
	rounds=$((rounds + 1))
	if [ "$rc" -ne 0 ] || [ "$out" != "undone: $want" ]; then
		not_ok "undo round $rounds (exit $rc, wanted 'undone: $want'): $out"
		break
	fi
	left=$(ntm --json journal | jq '.journals | length')
done
check_eq "undo: every journal undone, newest first" "$rounds" $((n - 1))
check_match "journal: none left" "$(ntm journal)" "^no journals on [^ ]*pc\.img(@3)?$"
ntm undo 2>"$T/err"
check_eq "undo with nothing to undo: exit 4" "$?" 4
check_match "undo with nothing to undo: says so" "$(cat "$T/err")" 'no journal to undo'

t_tree_list "$img" "$T/end"
same "after undo: every file of the volume byte-identical, ntmend\\ gone" "$T/before" "$T/end"
check_eq "after undo: no ntmend\\ on the volume" "$(grep -c ' \./ntmend' "$T/end")" 0

# The same on the directory backend: the partition mounted read-write by
# ntfs-3g and given to ntmend as a directory. Listed through the same mount
# (ntmend reaches it with plain file calls, the listing with find).
"$MKF" --layout bare --size 256 "$T/rw.img" >"$T/mkf.log" 2>&1 ||
    { not_ok "mkfixture --layout bare failed: $(tail -1 "$T/mkf.log")"; exit 1; }
mkdir -p "$T/rw"
ntfs-3g "$T/rw.img" "$T/rw" && t_mounts+=("$T/rw")
dir_list() {
	(cd "$T/rw" && find . -print0 | LC_ALL=C sort -z | while IFS= read -r -d '' p; do
		if [ -f "$p" ]; then
			printf 'f %s %s %s\n' "$(stat -c %s "$p")" "$(sha256sum <"$p" | cut -c1-64)" "$p"
		else
			printf 'd - - %s\n' "$p"
		fi
	done) >"$1"
}
dir_list "$T/dir.before"
dn=0
for c in "reg set HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuauserv Start dword 4" \
    "reg import $T/mix.reg" "reg del HKLM\\SYSTEM\\CurrentControlSet\\Services\\BITS"; do
	read -r -a argv <<<"$c"
	"$NTMEND" -t "$T/rw" "${argv[@]}" >/dev/null 2>&1
	check_eq "directory: change: $c" "$?" 0
	dn=$((dn + 1))
done
check_eq "directory: journals" "$("$NTMEND" -t "$T/rw" --json journal | jq '.journals | length')" "$dn"
dir_list "$T/dir.mid"
check "directory: the changes are on the volume" test "$(grep -c 'config/SYSTEM$\|config/SOFTWARE$\|config/DEFAULT$' <(diff "$T/dir.before" "$T/dir.mid"))" -ge 6
for i in $(seq 1 "$dn"); do
	"$NTMEND" -t "$T/rw" undo >/dev/null 2>"$T/err"
	check_eq "directory: undo $i" "$?" 0
done
dir_list "$T/dir.end"
same "directory: after undo every file byte-identical, ntmend\\ gone" "$T/dir.before" "$T/dir.end"
t_umount "$T/rw"
