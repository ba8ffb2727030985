#!/bin/bash
# The menu's frame: a terminal without colours (vt100), F1 help, '/'
# search, resizes (smaller, too small, larger), q without pending work,
# the terminal given back after SIGTERM; step 1's guidance on a
# hibernated and a BitLocker-locked volume; nothing written by any of it.
source "$(dirname "$0")/lib.sh"

MKF=$NTM_TOOLS/mkfixture
img="$T/pc.img"
"$MKF" "$img" >"$T/mkf.log" 2>&1 || { not_ok "mkfixture: $(tail -1 "$T/mkf.log")"; exit 1; }
sum0=$(sha256sum <"$img")

# No colours: TERM=vt100 still draws every screen.
tui_start -e TERM=vt100 -e SHELL=/bin/sh -t "$img"
tui_expect "vt100: step 1" "Computer name"
tui_keys Enter
tui_expect "vt100: main menu" "Repair, step by step"
tui_keys F1
tui_expect "F1: help for the screen" "Steps 1 to 5 take one PC from boot to ticket"
tui_expect "F1: the keys" "search in a list, next match"
tui_keys Escape
tui_expect "help closed" "Repair, step by step"
tui_keys / G o l d e n Enter
tui_expect "search finds the item" "found 'Golden'"
tui_keys n
tui_expect "n: the next match" "found 'Golden'"
# Esc on the main menu does not quit; the shell escape, and back.
tui_keys Escape
tui_expect "Esc on the main menu stays" "this is the main menu: q quits"
tui_keys / C-u S h e l l Enter Enter
tui_expect "shell: says how to come back" "'exit' returns to the menu"
tui_keys -l 'echo HELLO-$((6*7))'
tui_keys Enter
tui_expect "shell: runs commands" "HELLO-42"
tui_keys -l 'exit'
tui_keys Enter
tui_expect "shell: exit comes back to the menu" "Repair, step by step"
tui_keys q
tui_end "vt100: q without changes quits at once"

# Resizes: the screen follows each size; a too-small one says so.
tui_start -t "$img"
tui_expect "colours: step 1" "Computer name"
tui_keys Enter
tui_expect "80x25: the footer" "F1 help"
tui resize-window -x 50 -y 14
tui_expect "50x14: redrawn" "Repair, step by step"
check_eq "50x14: lines fit" "$(tui_screen | awk 'length > 50' | wc -l)" 0
tui resize-window -x 30 -y 8
tui_expect "30x8: asks for a larger terminal" "needs a terminal"
tui resize-window -x 120 -y 40
tui_expect "120x40: the last item in sight" "Shell"
tui_expect "120x40: the target in the header" \
    "$("$NTMEND" -t "$img" --json info | jq -r .windows.computer_name) |"
tui resize-window -x 80 -y 25
tui_expect "80x25 again" "Repair, step by step"
# SIGTERM: the terminal comes back in its normal mode.
tui_stop
tui new-session -d -x 80 -y 25 "cd '$T' && env TERM=screen LANG=C.UTF-8 \
    '$NTMEND' -t '$img' 2>'$T/tui.err'; echo \$? >'$T/tui.exit'; \
    stty -a >'$T/stty'; sleep 600"
tui_expect "started again" "Computer name"
pkill -TERM -xf "$NTMEND -t $img"
for i in $(seq 50); do [ -s "$T/stty" ] && break; sleep 0.1; done
check_eq "SIGTERM: exit status 143" "$(cat "$T/tui.exit")" 143
check_match "SIGTERM: echo and line editing back" "$(cat "$T/stty")" \
    "([^-]|^)icanon.*([^-]|^)echo "
# A crash (SIGSEGV): the terminal comes back before the crash report.
tui_stop
rm -f "$T/stty" "$T/tui.exit"
tui new-session -d -x 80 -y 25 "cd '$T' && env TERM=screen LANG=C.UTF-8 \
    '$NTMEND' -t '$img' 2>'$T/tui.err'; echo \$? >'$T/tui.exit'; \
    stty -a >'$T/stty'; sleep 600"
tui_expect "started a third time" "Computer name"
pkill -SEGV -xf "$NTMEND -t $img"
for i in $(seq 100); do [ -s "$T/stty" ] && break; sleep 0.1; done
check_match "SIGSEGV: the program died of it" "$(cat "$T/tui.exit")" \
    '^(139|1|134)$'
check_match "SIGSEGV: echo and line editing back" "$(cat "$T/stty")" \
    "([^-]|^)icanon.*([^-]|^)echo "
tui_stop
check_eq "nothing written" "$(sha256sum <"$img")" "$sum0"

# Step 1 on volumes ntmend must not change.
"$MKF" --fault volume-hibernated "$T/hib.img" >/dev/null 2>&1
sum0=$(sha256sum <"$T/hib.img")
tui_start -t "$T/hib.img"
tui_expect "hibernated: said" "hibernated"
tui_expect "hibernated: what to do" "Shift + Shut down"
tui_keys h
tui_expect "hibernated: first question" "Continue?"
tui_keys y
tui_expect "hibernated: asked again" "Really discard"
tui_keys n
tui_gone "hibernated: no means no" "will be discarded"
tui_keys h y y
tui_expect "hibernated: two yeses" "will be discarded by the first change"
tui_keys q
tui_end "hibernated: quit"
check_eq "hibernated: nothing written" "$(sha256sum <"$T/hib.img")" "$sum0"

"$MKF" --fault volume-bitlocker "$T/bl.img" >/dev/null 2>&1
tui_start -t "$T/bl.img"
tui_expect "BitLocker: said" "BitLocker"
tui_expect "BitLocker: the key can be entered" "b: enter the BitLocker recovery key"
tui_keys Enter
tui_expect "BitLocker: main menu" "Not open:"
tui_keys 2
tui_expect "BitLocker: diagnose needs an open volume" "choose one first"
tui_keys q
tui_end "BitLocker: quit"
