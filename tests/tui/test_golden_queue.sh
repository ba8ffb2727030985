#!/bin/bash
# test_golden_queue: the menu's Golden archive and Next-boot queue
# screens, driven through tmux. Golden: an archive captured from a
# healthy mkfixture image is verified against a broken one (the differing
# files must be the ones 'ntmend golden verify' reports) and applied from
# the menu; the files' bytes are read back through a read-only ntfs-3g
# mount and compared with the healthy image's, and 'ntmend undo' must give
# back every file of the volume. Queue: packages built with gcab
# (stage-pkgs.sh) are added and removed from the menu; the queue is read
# back with 'ntmend stage ls --json' and SYSTEM\Setup with hivexget on a
# copied-out hive.
source "$(dirname "$0")/lib.sh"
source "$NTM_TOP/tests/integration/stage-pkgs.sh"

MKF=$NTM_TOOLS/mkfixture
good=$T/good.img
bad=$T/bad.img
if ! "$MKF" "$good" >"$T/mkf.log" 2>&1 || ! "$MKF" --fault \
    file-hash-mismatch --fault package-manifest-corrupt "$bad" \
    >"$T/mkf.log" 2>&1; then
	not_ok "mkfixture failed: $(tail -1 "$T/mkf.log")"
	exit 0
fi

# vol_list IMG OUT: "sha256 path" of every file of the Windows partition
# and every directory, read through a read-only mount.
vol_list() {
	local m=$T/vl
	t_mount "$1" "$m" $(t_part "$1" 3) || return 1
	(cd "$m" && find . -type f -print0 | LC_ALL=C sort -z |
	    xargs -0 -r sha256sum
	find . -type d | LC_ALL=C sort) >"$2"
	t_umount "$m"
	rm -f "$T"/part-*.img
}
vol_sha() { awk -v p="./$2" '$2 == p { print $1 }' "$1"; }

# fresh_server: the last menu's pane (it sleeps after ntmend exits) goes
# with its server, and the next menu gets a new one once it is gone.
fresh_server() {
	local i
	tui kill-server 2>/dev/null
	for ((i = 0; i < 50; i++)); do
		tui list-sessions >/dev/null 2>&1 || break
		sleep 0.1
	done
	sleep 0.3
}

# close TEXT: Escape, then wait until TEXT (a viewer's title) is gone, so
# that what is checked next is the screen under it.
close() {
	local i
	tui_keys Escape
	for ((i = 0; i < 300; i++)); do
		tui_screen | grep -qF -- "$1" || return 0
		sleep 0.1
	done
	not_ok "'$1' did not close"
}

# A large file on the healthy PC, so that the apply runs long enough for
# its progress to be seen (written through a read-write ntfs-3g mount of
# a copy of the partition, then put back).
t_vol_edit "$good" 3 "head -c 200M /dev/urandom >Windows/System32/big.bin"

"$NTMEND" -t "$good" golden capture "$T/g.tar.zst" \
    'Windows\System32\dot3gpui.dll' 'Windows\System32\big.bin' \
    >"$T/capture.log" 2>&1
check_eq "capture: exit status" "$?" 0
vol_list "$good" "$T/good.lst"
vol_list "$bad" "$T/before.lst"
bad_sum=$(sha256sum <"$bad")

# What the command line says differs, to be found on the menu's screen.
"$NTMEND" -t "$bad" --json golden verify "$T/g.tar.zst" >"$T/verify.json"
"$NTMEND" -t "$bad" golden verify "$T/g.tar.zst" >"$T/verify.txt"
summary=$(tail -1 "$T/verify.txt")
check_match "the command line finds differences" "$summary" \
    "[1-9][0-9]* differ, 1 missing"
mapfile -t differ < <(jq -r '.differ[].path, .missing[].path' "$T/verify.json")

# --- Golden: verify. ---
tui_start -s 200x50 -t "$bad"
tui_expect "golden: the menu starts" "Windows installation"
tui_keys Enter
tui_expect "golden: main menu" "Golden archive"
tui_keys / Golden Enter Enter
tui_expect "golden: the archive in the menu's folder is listed" "g.tar.zst"
tui_keys Enter
tui_expect "golden: verify's summary is the command's" "$summary" 60
for p in "${differ[@]}"; do
	tui_expect "golden: shows ${p##*\\}" "${p##*\\}" 5
	tui_expect "golden: under ${p%\\*}" "${p%\\*}" 5
done
tui_expect "golden: the source named" "10.0.19045.3803 amd64 from DESKTOP-"

# p: only some paths (verify and apply take them as PATH arguments).
tui_keys p
tui_expect "golden p: asks for paths" "separated by ';'"
tui_keys 'Windows\System32\dot3gpui.dll' Enter
tui_expect "golden p: shown" "Only      Windows\System32\dot3gpui.dll" 60
tui_expect "golden p: verify of that file only" \
    "1 files compared: 0 same, 1 differ, 0 missing" 60
tui_gone "golden p: the others left out" "big.bin"
tui_keys p
tui_expect "golden p: asks again" "separated by ';'"
tui_keys C-u Enter
tui_expect "golden p: all again" "$summary" 60
tui_gone "golden p: no restriction shown" "Only      "

# --- Golden: apply, dry run first, with its progress. ---
tui_keys a
# (The viewer's title, not the output: the running screen shows the
# output too, and a key pressed there would ask to cancel the command.)
tui_expect "golden apply: the dry run is shown" \
    "Golden apply: what would change (nothing written yet)" 60
tui_expect "golden apply: the dry run's changes" \
    "dry run, nothing written; the changes would be:"
tui_gone "golden apply: the dry run wrote nothing" "journal "
check_eq "golden apply: the image unchanged by the dry run" \
    "$(sha256sum <"$bad")" "$bad_sum"
close "(nothing written yet)"
tui_expect "golden apply: asks before writing" "Write these files"
( for ((i = 0; i < 300; i++)); do
	tui_screen
	echo ----
	sleep 0.03
done >"$T/frames.txt" ) &
frames=$!
tui_keys y
tui_expect "golden apply: done" "Golden apply: done" 120
tui_expect "golden apply: journaled" "(undo: ntmend undo"
kill "$frames" 2>/dev/null
wait "$frames" 2>/dev/null
check_match "golden apply: progress on the running screen" \
    "$(cat "$T/frames.txt")" "(checking|looking|writing): [0-9]+ of [0-9]+ files"
check_match "golden apply: a progress bar" "$(cat "$T/frames.txt")" \
    "^ \[[#.]{40,}\]"
close "Golden apply: done"
tui_expect "golden apply: verified again, nothing differs" \
    "nothing differs from the archive" 60
tui_expect "golden apply: counts after" " 0 differ, 0 missing"
tui_keys Escape q
tui_expect "golden: quitting asks (no report saved)" "Quit anyway"
tui_keys y
tui_end "golden"

vol_list "$bad" "$T/after.lst"
for f in Windows/System32/dot3gpui.dll Windows/System32/big.bin; do
	check_eq "golden apply: $f has the healthy PC's bytes" \
	    "$(vol_sha "$T/after.lst" "$f")" "$(vol_sha "$T/good.lst" "$f")"
done
for p in "${differ[@]}"; do
	f=${p//\\//}
	check_eq "golden apply: ${f##*/} as on the healthy PC" \
	    "$(vol_sha "$T/after.lst" "$f")" "$(vol_sha "$T/good.lst" "$f")"
done
"$NTMEND" -t "$bad" undo >"$T/undo.log" 2>&1
check_eq "golden: undo from the command line: exit status" "$?" 0
vol_list "$bad" "$T/undone.lst"
check "golden: undo gives back every file of the volume, byte for byte" \
    cmp -s "$T/before.lst" "$T/undone.lst"
check_eq "golden: undo: dot3gpui.dll's original sha256" \
    "$(vol_sha "$T/undone.lst" Windows/System32/dot3gpui.dll)" \
    "$(vol_sha "$T/before.lst" Windows/System32/dot3gpui.dll)"

# --- Golden: Esc while the apply runs stops it and rolls it back. ---
# (Should it finish before the cancel lands, the menu must say so and
# the change must stand.)
fresh_server
tui_start -t "$bad"
tui_expect "golden cancel: the menu starts" "Windows installation"
tui_keys Enter / Golden Enter Enter
tui_expect "golden cancel: the archive listed" "g.tar.zst"
tui_keys Enter
tui_expect "golden cancel: verified" "$summary" 60
tui_keys a
tui_expect "golden cancel: the dry run" \
    "Golden apply: what would change (nothing written yet)" 60
close "(nothing written yet)"
tui_expect "golden cancel: asks" "Write these files"
# Yes, then at once Esc and yes to "Stop this command?": the child is
# still reading the 200 MiB archive.
tui_keys y Escape y
if tui_wait "Golden apply: cancelled" 60; then
	ok "golden cancel: cancelled"
	tui_expect "golden cancel: rolled back" "Cancelled"
	close "Golden apply: cancelled"
	tui_expect "golden cancel: the list still shows what differs" \
	    "$summary"
	vol_list "$bad" "$T/cancelled.lst"
	check "golden cancel: every file of the volume as before" \
	    cmp -s "$T/before.lst" "$T/cancelled.lst"
else
	tui_expect "golden cancel: finished first, and says so" \
	    "It finished before it could be stopped: what it did stands"
	close "Golden apply: done"
	vol_list "$bad" "$T/cancelled.lst"
	check_eq "golden cancel: finished first: the change stands" \
	    "$(vol_sha "$T/cancelled.lst" Windows/System32/big.bin)" \
	    "$(vol_sha "$T/good.lst" Windows/System32/big.bin)"
fi
tui_keys Escape q
# (It asks only when a command ran to its end: a cancelled one changed
# nothing.)
tui_wait "Quit anyway" 3 && tui_keys y
tui_end "golden cancel"

# --- Golden: an archive of another build, refused as the command says. ---
fresh_server
w11=$T/w11.img
"$MKF" --layout bare --size 600 --build 22631 --display-version 23H2 \
    "$w11" >/dev/null 2>&1 || not_ok "mkfixture (22631)"
w11_sum=$(sha256sum <"$w11")
tui_start -t "$w11"
tui_expect "golden 22631: the menu starts" "Windows installation"
tui_keys Enter
tui_expect "golden 22631: main menu" "Golden archive"
tui_keys / Golden Enter Enter
tui_expect "golden 22631: the archive listed" "g.tar.zst"
tui_keys Enter
tui_expect "golden 22631: verify says apply refuses it" \
    "not this PC's build 22631 amd64: apply refuses it" 60
tui_keys a
tui_expect "golden 22631: the dry run refuses it" \
    "Golden apply: refused, nothing was changed" 60
tui_expect "golden 22631: the command's refusal, naming both builds" \
    "the archive is from build 19045 amd64"
close "Golden apply: refused"
tui_expect "golden 22631: --force offered" "Use this archive anyway (--force)?"
tui_keys n
# A refused command changed nothing: q quits without asking.
tui_keys Escape q
tui_end "golden 22631"
check_eq "golden 22631: the image unchanged" "$(sha256sum <"$w11")" \
    "$w11_sum"
rm -f "$good" "$w11" "$T/g.tar.zst"
fresh_server

# --- Queue. ---
img=$T/q.img
"$MKF" --layout mbr --size 300 --fault ssu-missing "$img" >/dev/null 2>&1 ||
    { not_ok "mkfixture (queue)"; exit 0; }
read -r qoff qsize < <(t_part "$img" 2)
setup_value() {	# setup_value NAME: SYSTEM\Setup's value, via hivexget
	t_mount "$img" "$T/qm" "$qoff" "$qsize" || return 1
	cp "$T/qm/Windows/System32/config/SYSTEM" "$T/SYSTEM.copy"
	t_umount "$T/qm"
	rm -f "$T/part-$qoff.img"
	hivexget "$T/SYSTEM.copy" Setup "$1"
}
# A cumulative update of the fixture's build family, and one that needs
# a servicing stack the fixture lacks (ssu-missing: refused).
sp_lcu "$T/Windows10.0-KB5033372-x64.cab" 19041 3803 0 amd64 KB5033372
sp_lcu "$T/Windows10.0-KB5034122-x64.cab" 19041 3930 3920 amd64 KB5034122
q_sum=$(sha256sum <"$img")

tui_start -t "$img"
tui_expect "queue: the menu starts" "Windows installation"
tui_keys Enter
tui_expect "queue: main menu" "Next-boot queue"
tui_keys / Next-boot Enter Enter
tui_expect "queue: empty at first" "empty: a adds"
tui_expect "queue: the servicing stack shown" "servicing stack 10.0.19041.3745"
tui_expect "queue: the runner idle" "idle: nothing runs"

# The one needing an SSU: refused as the command prints it.
tui_keys a
tui_expect "queue add: packages in the menu's folder listed" \
    "Windows10.0-KB5034122-x64.cab"
tui_keys Down Enter
tui_expect "queue add: the refusal says nothing changed" \
    "Queue: refused, nothing was changed" 60
tui_expect "queue add: SSU refusal as the command prints it" \
    "(KB5034122) needs"
tui_expect "queue add: SSU refusal names both stacks" \
    "servicing stack 10.0.19041.3920, the target has 10.0.19041.3745"
close "Queue: refused"
check_eq "queue add: the image unchanged by the refusal" \
    "$(sha256sum <"$img")" "$q_sum"

# The applicable one: dry run, confirm, queued.
tui_keys a
tui_expect "queue add: the list again" "Windows10.0-KB5033372-x64.cab"
tui_keys Enter
tui_expect "queue add: the dry run shown" \
    "Queue: what would change (nothing written yet)" 60
tui_expect "queue add: the dry run shows the step" "queued step 01 (lcu)"
close "(nothing written yet)"
tui_expect "queue add: asks" "Queue it?"
tui_keys y
tui_expect "queue add: done" "Queue: add a package: done" 60
tui_expect "queue add: journaled" "(undo: ntmend undo"
close "Queue: add a package: done"
tui_expect "queue: the step listed" "KB5033372"
tui_expect "queue: the runner armed" "armed: Windows runs the 1 step(s)"
out=$("$NTMEND" -t "$img" --json stage ls)
check_eq "queue add: stage ls shows it" \
    "$(jq -r '[.queue[] | "\(.id) \(.role) \(.kb)"] | join(",")' <<<"$out")" \
    "1 lcu KB5033372"
check_eq "queue add: SetupType read with hivexget" "$(setup_value SetupType)" 2

# A command.
tui_keys c
tui_expect "queue command: asks for the line" "cmd.exe command line"
tui_keys "DISM /Online /Cleanup-Image /RestoreHealth" Enter
tui_expect "queue command: asks" "Queue this command?"
tui_keys y
tui_expect "queue command: done" "Queue: add a command: done" 60
tui_expect "queue command: its step" "queued step 02 (command)"
close "Queue: add a command: done"
tui_expect "queue command: listed" "command queued  DISM /Online"
check_eq "queue command: stage ls shows it" "$("$NTMEND" -t "$img" --json \
    stage ls | jq -r '.queue[1].command')" \
    "DISM /Online /Cleanup-Image /RestoreHealth"

# Enter: a step in full.
tui_keys Home Enter
tui_expect "queue: a step in full" "It applies to this installation."
close "one step"

# Remove both from the menu.
tui_keys Home d
tui_expect "queue rm: asks" "Remove step 01"
tui_keys y
tui_expect "queue rm: done" "Queue: remove a step: done" 60
tui_expect "queue rm: its step" "removed step 01 (lcu)"
close "Queue: remove a step: done"
tui_gone "queue rm: the package is gone" "KB5033372"
check_eq "queue rm: stage ls without it" "$("$NTMEND" -t "$img" --json \
    stage ls | jq -r '[.queue[].id] | join(",")')" 2
tui_keys Home d
tui_expect "queue rm: the last step disarms" "It is the last step"
tui_keys y
tui_expect "queue rm: done (command)" "Queue: remove a step: done" 60
tui_expect "queue rm: its step (command)" "removed step 02 (command)"
close "Queue: remove a step: done"
tui_expect "queue rm: empty again" "empty: a adds"
check_eq "queue rm: stage ls empty" "$("$NTMEND" -t "$img" --json \
    stage ls | jq '.queue | length')" 0
check_eq "queue rm: SetupType back to 0 (hivexget)" \
    "$(setup_value SetupType)" 0

# 80x25 footer, then quit.
tui_expect "queue: keys in the footer" "a package  c command  d remove"
tui_keys Escape q
tui_expect "queue: quitting asks (no report saved)" "Quit anyway"
tui_keys y
tui_end "queue"

# --- Queue: the last boot's results, as Windows leaves them. ---
fresh_server
"$NTMEND" -t "$img" stage add "$T/Windows10.0-KB5033372-x64.cab" \
    --command "DISM /Online /Cleanup-Image /RestoreHealth" >/dev/null 2>&1
read -r gen p1 p2 < <("$NTMEND" -t "$img" --json stage ls |
    jq -r '"\(.generation) \(.queue[0].id) \(.queue[1].id)"')
p1=$(printf %02d "$p1")
p2=$(printf %02d "$p2")
# results.txt and a step's log as run.cmd writes them (cmd.exe's echo:
# CRLF, %DATE% %TIME%), through a read-write mount of the partition.
queue_results() {
	local d='01/10/2024  3:09:01.50'
	printf '%s\r\n' "attempt	$gen	1	$d" "start	$gen	1	$p1	$d" \
	    "end	$gen	1	$p1	0	$d" "start	$gen	1	$p2	$d" \
	    "end	$gen	1	$p2	-2146498529	$d" "finished	$gen	1	$d" \
	    "reset	$gen	1	0	0	$d" >ntmend/queue/results.txt
	mkdir -p ntmend/queue/state
	printf 'Error: 0x800f081f\r\n' >"ntmend/queue/state/$gen-$p2.log"
}
t_vol_edit "$img" 2 queue_results
tui_start -t "$img"
tui_expect "queue results: the menu starts" "Windows installation"
tui_keys Enter / Next-boot Enter Enter
tui_expect "queue results: the last boot" \
    "finished, 1 attempt(s) of 3; 1 step(s) failed; Setup put back"
tui_expect "queue results: the package ok" "$p1 lcu     ok      KB5033372"
tui_expect "queue results: the command failed" \
    "$p2 command FAILED  DISM /Online"
tui_keys End Enter
tui_expect "queue results: the failure named" \
    "result   0x800f081f (CBS_E_SOURCE_MISSING)"
tui_expect "queue results: its last line of output" \
    "output   Error: 0x800f081f"
close "one step"
tui_keys Escape q
tui_end "queue results"
