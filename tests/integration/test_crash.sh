#!/bin/bash
# A hive change killed (SIGKILL) at each of the journal's kill points
# leaves the hive on the volume exactly old or exactly new, and both ways
# back work: 'ntmend undo' (every file as before, ntmend\ gone) and simply
# running the same command again (the interrupted change rolled back with
# a warning, then the new bytes). Dirty hives: missing or damaged logs are
# refused for writing with what would be lost, --force writes and says what
# was lost; good logs are replayed into what is written back. Bytes are
# read through read-only ntfs-3g mounts, values with hivexget.
source "$(dirname "$0")/../lib.sh"
# A killed ntmend cannot remove its private hive copies: keep them in $T.
export TMPDIR=$T

MKF=$NTM_TOOLS/mkfixture
CFG=Windows/System32/config

mkimg() {	# OUT [mkfixture options]: a bare NTFS image (no table)
	local out=$1
	shift
	"$MKF" --layout bare --size 256 "$@" "$out" >"$T/mkf.log" 2>&1 ||
	    { not_ok "mkfixture $* failed: $(tail -1 "$T/mkf.log")"; exit 1; }
}
copy() { cp --sparse=always "$1" "$2"; }

# file_sha IMAGE PATH: SHA-256 and size of a file on the image.
file_sha() {
	t_mount "$1" "$T/mnt" || return 1
	printf '%s %s\n' "$(sha256sum <"$T/mnt/$2" | cut -c1-64)" "$(stat -c %s "$T/mnt/$2")"
	t_umount "$T/mnt"
}
# file_out IMAGE PATH DEST: copy a file off the image.
file_out() {
	t_mount "$1" "$T/mnt" || return 1
	cp "$T/mnt/$2" "$3"
	t_umount "$T/mnt"
}
# tree_list IMAGE OUT: every name with kind, size and SHA-256.
tree_list() {
	t_mount "$1" "$T/mnt" || return 1
	(cd "$T/mnt" && find . -print0 | LC_ALL=C sort -z |
	    while IFS= read -r -d '' p; do
		if [ -f "$p" ]; then
			printf 'f %s %s %s\n' "$(stat -c %s "$p")" "$(sha256sum <"$p" | cut -c1-64)" "$p"
		else
			printf 'd - - %s\n' "$p"
		fi
	    done) >"$2"
	t_umount "$T/mnt"
}
seqs() { od -An -tu4 -j4 -N8 "$1" | awk '{print $1 "/" $2}'; }
njournals() { "$NTMEND" -t "$1" --json journal | jq '.journals | length'; }

# Read-write mounts (to damage logs, and to build volumes without ntmend)
# happen here; lib.sh unmounts what is left on exit.
mkdir -p "$T/rw"
t_mounts+=("$T/rw")

mkimg "$T/base.img"
tree_list "$T/base.img" "$T/base.list"

# Two changes: one that keeps the hive's size (SYSTEM, 12 MB) and one that
# makes hivex append a bin (SOFTWARE grows), so a size written late would
# show.
big=$(head -c 16000 /dev/urandom | od -An -tx1 -v | tr -d ' \n')
changes=(
	"SYSTEM|reg|set|HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuauserv|Start|dword|4"
	"SOFTWARE|reg|set|HKLM\\SOFTWARE\\ntmend-crash|Groß|binary|$big"
)
for c in "${changes[@]}"; do
	IFS='|' read -r -a argv <<<"$c"
	hive=${argv[0]}
	argv=("${argv[@]:1}")
	old=$(file_sha "$T/base.img" "$CFG/$hive")
	copy "$T/base.img" "$T/new.img"
	"$NTMEND" -t "$T/new.img" "${argv[@]}" >/dev/null 2>&1
	check_eq "$hive: the change without a kill works" "$?" 0
	new=$(file_sha "$T/new.img" "$CFG/$hive")
	check "$hive: old and new bytes differ" test "$old" != "$new"
	[ "$hive" = SOFTWARE ] && check "SOFTWARE: the change grows the hive" \
	    test "${new#* }" -gt "${old#* }"
	rm -f "$T/new.img"

	for kp in replace-recorded replace-written replace-done; do
		copy "$T/base.img" "$T/k.img"
		NTMEND_TEST_KILL_AT=$kp "$NTMEND" -t "$T/k.img" "${argv[@]}" >/dev/null 2>&1
		check_eq "$hive killed at $kp: SIGKILL (137)" "$?" 137
		got=$(file_sha "$T/k.img" "$CFG/$hive")
		case $got in
		"$old") state=old ;;
		"$new") state=new ;;
		*) state="torn ($got)" ;;
		esac
		# Recorded: the original is saved, nothing written yet;
		# written and done: the new bytes are in place.
		[ "$kp" = replace-recorded ] && want=old || want=new
		check_eq "$hive killed at $kp: hive is exactly $want" "$state" "$want"
		json=$("$NTMEND" -t "$T/k.img" --json journal)
		check_eq "$hive killed at $kp: one journal, interrupted" \
		    "$(jq -c '[.journals[] | [.state, .changes]]' <<<"$json")" '[["open",1]]'
		id=$(jq -r '.journals[0].id' <<<"$json")
		copy "$T/k.img" "$T/k2.img"

		# (a) undo: everything as before, the journal gone.
		out=$("$NTMEND" -t "$T/k.img" undo 2>"$T/err")
		check_eq "$hive killed at $kp, undo: exit 0" "$?" 0
		check_eq "$hive killed at $kp, undo: says which" "$out" "undone: $id"
		check_match "$hive killed at $kp, undo: says it was interrupted" \
		    "$(cat "$T/err")" "rolled back $id, a change that was interrupted"
		tree_list "$T/k.img" "$T/k.list"
		if cmp -s "$T/base.list" "$T/k.list"; then
			ok "$hive killed at $kp, undo: every file as before, ntmend\\ gone"
		else
			not_ok "$hive killed at $kp, undo: every file as before, ntmend\\ gone"
			diff "$T/base.list" "$T/k.list" | head -6 | sed 's/^/#   /'
		fi

		# (b) the same command again: rolled back, then done.
		"$NTMEND" -t "$T/k2.img" "${argv[@]}" >"$T/out" 2>"$T/err"
		check_eq "$hive killed at $kp, re-run: exit 0" "$?" 0
		check_match "$hive killed at $kp, re-run: warns of the rollback" \
		    "$(cat "$T/err")" "rolled back $id, a change that was interrupted"
		check_eq "$hive killed at $kp, re-run: new bytes" \
		    "$(file_sha "$T/k2.img" "$CFG/$hive")" "$new"
		check_eq "$hive killed at $kp, re-run: one committed journal" \
		    "$("$NTMEND" -t "$T/k2.img" --json journal | jq -c '[.journals[].state]')" '["committed"]'
		rm -f "$T/k.img" "$T/k2.img"
	done
done
rm -f "$T/base.img"

# --- dirty hives ---
set_k() { "$NTMEND" -t "$1" "${@:2}" reg set 'HKLM\SYSTEM\Select' ntmend dword 7; }

# mkfixture's hive-dirty: the last ShutdownTime is only in SYSTEM.LOG1.
mkimg "$T/dirty.img" --fault hive-dirty
file_out "$T/dirty.img" "$CFG/SYSTEM" "$T/dirty.SYSTEM"
ccs=$(printf 'ControlSet%03d' "$(hivexget "$T/dirty.SYSTEM" Select Current)")
shutdown_key="$ccs\\Control\\Windows"
st_log='00 0f 23 c8 ea 43 da 01'	# FILETIME 2024-01-10 17:31:02
st_hive=$(hivexget "$T/dirty.SYSTEM" "$shutdown_key" ShutdownTime | od -An -tx1 | sed 's/^ //')
check "hive-dirty: the hive is dirty" test "$(seqs "$T/dirty.SYSTEM" | cut -d/ -f1)" != "$(seqs "$T/dirty.SYSTEM" | cut -d/ -f2)"
check "hive-dirty: the hive's ShutdownTime is not the log's" test "$st_hive" != "$st_log"

# Good logs: written back replayed, no --force needed.
copy "$T/dirty.img" "$T/d.img"
logs_before=$(file_sha "$T/d.img" "$CFG/SYSTEM.LOG1")
set_k "$T/d.img" >"$T/out" 2>"$T/err"
check_eq "dirty, good logs: written" "$?" 0
check_match "dirty, good logs: says the replay goes into the hive" "$(cat "$T/out")" \
    'SYSTEM is dirty on the volume .*replayed.*a change writes them into the hive on the volume'
file_out "$T/d.img" "$CFG/SYSTEM" "$T/d.SYSTEM"
check_eq "dirty, good logs: sequence numbers equal" "$(seqs "$T/d.SYSTEM" | awk -F/ '{print ($1 == $2)}')" 1
check_eq "dirty, good logs: the log's ShutdownTime is in the hive" \
    "$(hivexget "$T/d.SYSTEM" "$shutdown_key" ShutdownTime | od -An -tx1 | sed 's/^ //')" "$st_log"
check_eq "dirty, good logs: and the change" "$(hivexget "$T/d.SYSTEM" Select ntmend)" 7
check_eq "dirty, good logs: the logs are left as they were" \
    "$(file_sha "$T/d.img" "$CFG/SYSTEM.LOG1")" "$logs_before"

# Damaged or emptied log: refused with what would be lost; --force writes
# and says what was lost.
for damage in damaged emptied; do
	copy "$T/dirty.img" "$T/d.img"
	ntfs-3g "$T/d.img" "$T/rw"
	if [ "$damage" = damaged ]; then
		# Inside the HvLE entry at 512: its hashes no longer check.
		printf 'XXXXXXXXXXXXXXXX' | dd of="$T/rw/$CFG/SYSTEM.LOG1" bs=1 seek=600 conv=notrunc status=none
	else
		truncate -s 0 "$T/rw/$CFG/SYSTEM.LOG1"
	fi
	t_umount "$T/rw"
	before=$(sha256sum <"$T/d.img")
	set_k "$T/d.img" >"$T/out" 2>"$T/err"
	check_eq "dirty, log $damage: refused" "$?" 4
	check_match "dirty, log $damage: says it cannot be changed safely and what is lost" \
	    "$(cat "$T/err")" 'SYSTEM cannot be changed safely: SYSTEM is dirty .*lost.*--force'
	[ "$damage" = damaged ] && check_match "dirty, log $damage: names the damaged log" \
	    "$(cat "$T/err")" 'SYSTEM.LOG1 has a damaged first record'
	check_eq "dirty, log $damage: one-line error" "$(wc -l <"$T/err")" 1
	check_eq "dirty, log $damage: image unchanged" "$(sha256sum <"$T/d.img")" "$before"
	check_eq "dirty, log $damage: no journal" "$(njournals "$T/d.img")" 0
	"$NTMEND" -t "$T/d.img" --dry-run --force reg set 'HKLM\SYSTEM\Select' ntmend dword 7 >"$T/out" 2>&1
	check_match "dirty, log $damage: a forced dry run says what would be lost" \
	    "$(cat "$T/out")" 'forced.*this is lost: .*a change writes the hive without it'
	check_eq "dirty, log $damage: the dry run writes nothing" "$(sha256sum <"$T/d.img")" "$before"
	set_k "$T/d.img" --force >"$T/out" 2>"$T/err"
	check_eq "dirty, log $damage, --force: written" "$?" 0
	check_match "dirty, log $damage, --force: says what was lost" "$(cat "$T/out")" \
	    'SYSTEM is dirty on the volume \(sequence numbers [0-9]+/[0-9]+\): forced, .*this is lost: .*what Windows wrote to it last is lost'
	file_out "$T/d.img" "$CFG/SYSTEM" "$T/d.SYSTEM"
	check_eq "dirty, log $damage, --force: sequence numbers equal" \
	    "$(seqs "$T/d.SYSTEM" | awk -F/ '{print ($1 == $2)}')" 1
	check_eq "dirty, log $damage, --force: the change is there" "$(hivexget "$T/d.SYSTEM" Select ntmend)" 7
	check_eq "dirty, log $damage, --force: the log's ShutdownTime is lost, as said" \
	    "$(hivexget "$T/d.SYSTEM" "$shutdown_key" ShutdownTime | od -An -tx1 | sed 's/^ //')" "$st_hive"
done
rm -f "$T/dirty.img" "$T/d.img"

# regipy's SYSTEM_B with its real logs (Windows 10 1709), on a volume made
# with mkntfs and filled through ntfs-3g (no ntmend code involved), with
# both logs, one, none, or a damaged one. Epoch is 0x1af in the hive and
# 0x1b3 after its 24 log entries.
t_hive regipy_SYSTEM_B >/dev/null
t_hive regipy_SYSTEM_B.LOG1 >/dev/null
t_hive regipy_SYSTEM_B.LOG2 >/dev/null
epoch='ControlSet001\Services\SharedAccess\Epoch'
check_eq "SYSTEM_B: Epoch before replay" "$(hivexget "$T/regipy_SYSTEM_B" "$epoch" Epoch)" 431
handmade() {	# OUT LOGS...: a volume holding SYSTEM_B and the logs named
	local out=$1 l
	shift
	truncate -s 64M "$out"
	mkntfs -F -Q -L Windows "$out" >/dev/null 2>&1 || return 1
	ntfs-3g "$out" "$T/rw" || return 1
	mkdir -p "$T/rw/$CFG"
	cp "$T/regipy_SYSTEM_B" "$T/rw/$CFG/SYSTEM"
	for l in "$@"; do
		cp "$T/regipy_SYSTEM_B.$l" "$T/rw/$CFG/SYSTEM.$l"
	done
	t_umount "$T/rw"
}
handmade "$T/h.img" LOG1 LOG2
set_k "$T/h.img" >"$T/out" 2>"$T/err"
check_eq "SYSTEM_B with both logs: written" "$?" 0
check_match "SYSTEM_B with both logs: 24 records replayed" "$(cat "$T/out")" '24 log records'
file_out "$T/h.img" "$CFG/SYSTEM" "$T/h.SYSTEM"
check_eq "SYSTEM_B with both logs: sequence numbers equal" "$(seqs "$T/h.SYSTEM" | awk -F/ '{print ($1 == $2)}')" 1
check_eq "SYSTEM_B with both logs: Epoch from the logs (0x1b3)" "$(hivexget "$T/h.SYSTEM" "$epoch" Epoch)" 435
check_eq "SYSTEM_B with both logs: the change" "$(hivexget "$T/h.SYSTEM" Select ntmend)" 7

for case in none LOG1 LOG2 damaged; do
	case $case in
	none) handmade "$T/h.img" ;;
	LOG1) handmade "$T/h.img" LOG1 ;;		# LOG2 missing
	LOG2) handmade "$T/h.img" LOG2 ;;		# LOG1 missing
	damaged)
		handmade "$T/h.img" LOG1 LOG2
		ntfs-3g "$T/h.img" "$T/rw"
		# Garbage over an entry in the middle of LOG2.
		head -c 8192 /dev/zero | tr '\0' '\377' |
		    dd of="$T/rw/$CFG/SYSTEM.LOG2" bs=4096 seek=256 conv=notrunc status=none
		t_umount "$T/rw"
		;;
	esac
	before=$(sha256sum <"$T/h.img")
	set_k "$T/h.img" >"$T/out" 2>"$T/err"
	check_eq "SYSTEM_B, logs: $case: refused" "$?" 4
	check_match "SYSTEM_B, logs: $case: says what would be lost" "$(cat "$T/err")" \
	    'SYSTEM cannot be changed safely: .*lost.*--force writes it anyway'
	case $case in
	LOG1) check_match "SYSTEM_B, LOG2 missing: named" "$(cat "$T/err")" 'SYSTEM.LOG2 is missing' ;;
	LOG2) check_match "SYSTEM_B, LOG1 missing: named" "$(cat "$T/err")" 'SYSTEM.LOG1 is missing' ;;
	esac
	check_eq "SYSTEM_B, logs: $case: image unchanged" "$(sha256sum <"$T/h.img")" "$before"
	set_k "$T/h.img" --force >"$T/out" 2>"$T/err"
	check_eq "SYSTEM_B, logs: $case, --force: written" "$?" 0
	check_match "SYSTEM_B, logs: $case, --force: says what was lost" "$(cat "$T/out")" \
	    'forced, [0-9]+ log records .*this is lost: '
	file_out "$T/h.img" "$CFG/SYSTEM" "$T/h.SYSTEM"
	check_eq "SYSTEM_B, logs: $case, --force: sequence numbers equal" \
	    "$(seqs "$T/h.SYSTEM" | awk -F/ '{print ($1 == $2)}')" 1
	check_eq "SYSTEM_B, logs: $case, --force: the change" "$(hivexget "$T/h.SYSTEM" Select ntmend)" 7
	[ "$case" = none ] && check_eq "SYSTEM_B, no logs, --force: Epoch as the hive had it" \
	    "$(hivexget "$T/h.SYSTEM" "$epoch" Epoch)" 431
	rm -f "$T/h.img"
done
