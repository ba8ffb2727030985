# tests/tui/lib.sh: drive the menu in a private tmux server, sourced by
# tests/tui/test_*.sh after nothing else (it sources tests/lib.sh).
#
#   tui_start [-s WxH] [-e VAR=VALUE]... ARGS...   ntmend ARGS in a new pane
#   tui_keys KEY...          tmux send-keys (Enter, Escape, Down, F1, text)
#   tui_screen               the pane's text now
#   tui_wait TEXT [SECONDS]  wait until TEXT (fixed string) is on screen
#   tui_expect NAME TEXT [SECONDS]   a check: TEXT shows up (screen printed
#                            on failure)
#   tui_gone NAME TEXT       a check: TEXT is not on screen
#   tui_end NAME             wait for ntmend to exit; a check that it ended
#                            with status 0 and no sanitizer report
#   tui_stop                 kill the server (and the menu in it)
# The server is private (tmux -L), killed on exit with the temp directory.
. "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The pane starts in $T: the binary's path must not be relative.
NTMEND=$(realpath "$NTMEND")
TUI_SOCK=ntmend-tui-$$
tui() { tmux -L "$TUI_SOCK" -f /dev/null "$@"; }
tui_cleanup() {
	tui kill-server 2>/dev/null
	t_cleanup
}
trap tui_cleanup EXIT

tui_start() {
	local size=80x25 envs=() cmd a
	while [ $# -gt 0 ]; do
		case $1 in
		-s) size=$2; shift 2 ;;
		-e) envs+=("$2"); shift 2 ;;
		*) break ;;
		esac
	done
	rm -f "$T/tui.exit" "$T/tui.err"
	cmd="cd '$T' && env TERM=screen LANG=C.UTF-8"
	for a in "${envs[@]}"; do cmd="$cmd '$a'"; done
	cmd="$cmd '$NTMEND'"
	for a in "$@"; do cmd="$cmd '$a'"; done
	cmd="$cmd 2>'$T/tui.err'; echo \$? >'$T/tui.exit'; sleep 600"
	# One menu a server: a new one for each start (tmux 3.3a crashed
	# starting a second session after resize-window in the first).
	tui_stop
	tui new-session -d -x "${size%x*}" -y "${size#*x}" "$cmd"
}

# tui_stop: end the server and the menu in it (SIGHUP), wait until gone.
tui_stop() {
	local i
	tui kill-server 2>/dev/null || return 0
	for ((i = 0; i < 50; i++)); do
		tui has-session 2>/dev/null || return 0
		sleep 0.1
	done
}

tui_keys() { tui send-keys "$@"; }
tui_screen() { tui capture-pane -p; }

tui_wait() {
	local text=$1 secs=${2:-30} i
	for ((i = 0; i < secs * 10; i++)); do
		tui_screen | grep -qF -- "$text" && return 0
		sleep 0.1
	done
	return 1
}

tui_expect() {
	if tui_wait "$2" "${3:-30}"; then ok "$1"; else
		not_ok "$1"
		echo "#   '$2' not on the screen:"
		tui_screen | sed 's/^/#   | /'
	fi
}

tui_gone() {
	if ! tui_screen | grep -qF -- "$2"; then ok "$1"; else
		not_ok "$1"
		echo "#   '$2' still on the screen:"
		tui_screen | sed 's/^/#   | /'
	fi
}

tui_end() {
	local i
	for ((i = 0; i < 300; i++)); do
		[ -s "$T/tui.exit" ] && break
		sleep 0.1
	done
	check_eq "$1: exit status" "$(cat "$T/tui.exit" 2>/dev/null)" 0
	if grep -qE 'Sanitizer|runtime error' "$T/tui.err" 2>/dev/null; then
		not_ok "$1: no sanitizer report"
		sed 's/^/#   /' "$T/tui.err" | head -40
	else
		ok "$1: no sanitizer report"
	fi
}
