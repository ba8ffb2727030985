/* tui.c: the terminal, the screen stack and the one event loop. */

#include <curses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tui/tui.h"
#include "tui/private.h"

/* Screens open at once: main menu, a tool, its sub-screens. */
#define NTM_TUI_DEPTH	16

struct tui_session tui_s;

static struct tui_screen	*stack[NTM_TUI_DEPTH];
static int			 depth;
static int			 colour;
static int			 active;	/* curses is on the terminal */
static char			*status_text;
static enum tui_color		 status_color;

int
tui_attr(enum tui_color c)
{
	if (colour) {
		switch (c) {
		case TUI_NORMAL:
			return A_NORMAL;
		case TUI_TITLE:
			return COLOR_PAIR(1) | A_BOLD;
		case TUI_SELECT:
			return A_REVERSE;
		case TUI_ERROR:
			return COLOR_PAIR(2) | A_BOLD;
		case TUI_WARN:
			return COLOR_PAIR(3) | A_BOLD;
		case TUI_GOOD:
			return COLOR_PAIR(4);
		case TUI_DIM:
			return COLOR_PAIR(5);
		case TUI_MARK:
			return COLOR_PAIR(6) | A_BOLD;
		}
	}
	switch (c) {
	case TUI_TITLE:
	case TUI_SELECT:
		return A_REVERSE;
	case TUI_ERROR:
	case TUI_WARN:
		return A_BOLD;
	case TUI_DIM:
		return A_DIM;
	case TUI_MARK:
		return A_BOLD | A_UNDERLINE;
	default:
		return A_NORMAL;
	}
}

/* Give the terminal back: on exit, on a signal, and before a crash's
 * report, so the technician's console is never left in raw mode. */
static struct sigaction	old_actions[NSIG];

static void
restore_terminal(void)
{
	if (active) {
		active = 0;
		endwin();
	}
}

static void
on_signal(int sig)
{
	tui_run_kill();
	restore_terminal();
	sigaction(sig, &old_actions[sig], NULL);
	raise(sig);
}

static void
catch_signals(void)
{
	static const int	 sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT,
	    SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct sigaction	 sa;
	size_t			 i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, &old_actions[sigs[i]]);
}

static void
start_curses(void)
{
	initscr();
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	set_escdelay(25);
	curs_set(0);
	if (has_colors() && start_color() == OK) {
		colour = 1;
		use_default_colors();
		init_pair(1, COLOR_WHITE, COLOR_BLUE);
		init_pair(2, COLOR_RED, -1);
		init_pair(3, COLOR_YELLOW, -1);
		init_pair(4, COLOR_GREEN, -1);
		init_pair(5, COLOR_CYAN, -1);
		init_pair(6, COLOR_BLACK, COLOR_YELLOW);
	}
	active = 1;
}

void
tui_shell(void)
{
	const char	*sh = getenv("SHELL");
	char		*cmd;

	def_prog_mode();
	endwin();
	printf("\nntmend: a shell on this system; 'exit' returns to the "
	    "menu.\n");
	if (tui_s.spec != NULL)
		printf("The Windows installation is %s (ntmend -t %s ...).\n",
		    tui_s.spec, tui_s.spec);
	fflush(stdout);
	xasprintf(&cmd, "%s -i", sh != NULL && *sh != '\0' ? sh : "/bin/sh");
	if (system(cmd) == -1)
		perror("ntmend: shell");
	free(cmd);
	reset_prog_mode();
	refresh();
}

void
tui_status(enum tui_color c, const char *fmt, ...)
{
	va_list	ap;

	free(status_text);
	va_start(ap, fmt);
	if (vasprintf(&status_text, fmt, ap) == -1)
		status_text = NULL;
	va_end(ap);
	status_color = c;
}

void
tui_push(const struct tui_screen *s)
{
	if (depth == NTM_TUI_DEPTH) {
		tui_status(TUI_ERROR, "too many screens open: Esc closes one");
		if (s->free != NULL) {
			struct tui_screen	copy = *s;

			copy.free(&copy);
		}
		return;
	}
	stack[depth] = xmalloc(sizeof *stack[depth]);
	*stack[depth] = *s;
	depth++;
}

static void
pop(void)
{
	struct tui_screen	*s = stack[--depth];

	if (s->free != NULL)
		s->free(s);
	free(s);
}

/* The header: which screen, and which PC the menu works on. */
static void
draw_bars(const struct tui_screen *s)
{
	char	*line, *left;
	int	 w = COLS;

	attrset(tui_attr(TUI_TITLE));
	mvhline(0, 0, ' ', w);
	xasprintf(&left, " ntmend | %s", s->title);
	tui_put(0, 0, w, left);
	line = tui_target_line();
	if (tui_width(left) + tui_width(line) + 3 < (size_t)w)
		tui_put(0, w - (int)tui_width(line) - 1, (int)tui_width(line),
		    line);
	free(left);
	free(line);
	mvhline(LINES - 1, 0, ' ', w);
	if (status_text != NULL) {
		attrset(tui_attr(TUI_TITLE) | tui_attr(status_color));
		tui_put(LINES - 1, 1, w - 1, status_text);
	} else {
		xasprintf(&line, "F1 help  %s%sEsc back  q quit",
		    s->keys != NULL ? s->keys : "",
		    s->keys != NULL ? "  " : "");
		tui_put(LINES - 1, 1, w - 1, line);
		free(line);
	}
	attrset(A_NORMAL);
}

void
tui_redraw(void)
{
	struct tui_screen	*s;

	if (depth == 0)
		return;
	s = stack[depth - 1];
	erase();
	if (LINES < 10 || COLS < 40) {
		tui_put(0, 0, COLS, "ntmend needs a terminal of at least "
		    "40x10: make this one larger.");
		refresh();
		return;
	}
	s->draw(s, 1, LINES - 2, COLS);
	draw_bars(s);
	refresh();
}

static const char help_common[] =
    "Keys everywhere:\n"
    "  Up/Down, PgUp/PgDn, Home/End   move in a list\n"
    "  Enter                          open, choose, apply\n"
    "  Esc                            back to the screen before\n"
    "  /  then n                      search in a list, next match\n"
    "  F1                             this help\n"
    "  q                              quit (asks when changes were made "
    "and no report saved)\n"
    "\n"
    "Nothing is written to the Windows volume until you confirm a "
    "change. Every change is journaled on the volume (ntmend\\journal) "
    "and can be undone from 'Journal and undo'.\n";

static void
show_help(const struct tui_screen *s)
{
	char	*text;

	xasprintf(&text, "%s%s%s", s->help != NULL ? s->help : "",
	    s->help != NULL ? "\n\n" : "", help_common);
	tui_view("Help", text, 0);
	free(text);
}

/* q: quit, asking only when work would be left undone. */
static int
may_quit(void)
{
	if (tui_s.changed && !tui_s.report_saved)
		return tui_confirm("Quit", "Changes were made to this PC and "
		    "no report was saved (Finish: save the report). Quit "
		    "anyway? The changes stay and can be undone later with "
		    "'ntmend undo'.");
	return 1;
}

static void
session_free(void)
{
	tui_target_close();
	free(tui_s.spec);
	free(tui_s.open_error);
	json_decref(tui_s.steps);
	json_decref(tui_s.findings_before);
	json_decref(tui_s.findings_last);
	free(status_text);
	status_text = NULL;
	memset(&tui_s, 0, sizeof tui_s);
}

int
tui_main(const char *target, int discard_hiber)
{
	struct tui_screen	*s;
	enum tui_key		 r;
	int			 ch;

	memset(&tui_s, 0, sizeof tui_s);
	tui_s.spec = target != NULL ? xstrdup(target) : NULL;
	tui_s.discard_hiber = discard_hiber;
	tui_s.steps = json_array();
	tui_s.started = time(NULL);
	if (tui_s.spec != NULL)
		tui_target_open();
	catch_signals();
	atexit(restore_terminal);
	start_curses();
	scr_main();
	scr_target();
	while (depth > 0) {
		tui_redraw();
		ch = getch();
		if (ch == KEY_RESIZE || ch == ERR)
			continue;
		free(status_text);
		status_text = NULL;
		s = stack[depth - 1];
		if (ch == KEY_F(1)) {
			show_help(s);
			continue;
		}
		r = s->key(s, ch);
		if (r == TUI_KEY_PASS && (ch == 27 || ch == KEY_LEFT))
			r = TUI_KEY_BACK;
		if (r == TUI_KEY_PASS && ch == 'q' && may_quit())
			break;
		if (r == TUI_KEY_BACK) {
			if (depth > 1)
				pop();
			else if (may_quit())
				break;
		}
	}
	while (depth > 0)
		pop();
	restore_terminal();
	session_free();
	return NTM_OK;
}

int
tui_target_open(void)
{
	char	*cause = NULL;

	tui_target_close();
	free(tui_s.open_error);
	tui_s.open_error = NULL;
	if (target_open(tui_s.spec, 0, &tui_s.t, &cause) != NTM_OK) {
		tui_s.open_error = cause;
		return -1;
	}
	tui_s.open = 1;
	if (tui_s.spec == NULL)
		tui_s.spec = xstrdup(tui_s.t.spec);
	if (identity_read(tui_s.t.vol, &tui_s.id, &cause) == 0)
		tui_s.have_id = 1;
	else
		free(cause);
	tui_s.generation++;
	return 0;
}

void
tui_target_close(void)
{
	tui_diag_free();
	if (tui_s.have_id)
		identity_free(&tui_s.id);
	tui_s.have_id = 0;
	if (tui_s.open)
		target_close(&tui_s.t);
	tui_s.open = 0;
}

char *
tui_target_line(void)
{
	const struct identity	*id = &tui_s.id;
	char			*v, *line;

	if (tui_s.spec == NULL)
		return xstrdup("no Windows installation chosen");
	if (!tui_s.open)
		return xprintf("%s: not open", tui_s.spec);
	if (!tui_s.have_id)
		return xprintf("%s: Windows not identified", tui_s.spec);
	v = id->build != 0 ? xprintf("%u.%u ", id->build, id->ubr) :
	    xstrdup("");
	line = xprintf("%s | %s%s%s | %s%s",
	    id->computer_name != NULL ? id->computer_name : "?",
	    id->product != NULL ? id->product : "Windows",
	    id->display_version != NULL ? " " : "",
	    id->display_version != NULL ? id->display_version : "",
	    v, id->arch != NULL ? id->arch : "?");
	free(v);
	return line;
}
