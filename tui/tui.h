/*
 * tui.h: the walk-through menu (ncursesw). One event loop owns the
 * terminal (tui.c); each screen is init/draw/key like ncdu's browser.c and
 * help.c; dialogs (widget.c) are modal and redraw the screen under them.
 * Reading (lists, the registry tree, findings) calls the engine directly
 * on a read-only target; every change runs an ntmend command through the
 * same command table as the command line and plans (run.c), so the menu
 * has no repair logic of its own and every change is journaled.
 */
#ifndef NTM_TUI_H
#define NTM_TUI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "repair/repair.h"

/* Colours where the terminal has them; bold/reverse/underline otherwise
 * (the USB system's 80x25 console may be run with TERM=vt100). */
enum tui_color {
	TUI_NORMAL,
	TUI_TITLE,		/* header and footer bars */
	TUI_SELECT,		/* the list's cursor */
	TUI_ERROR,		/* findings that stop updates, failures */
	TUI_WARN,
	TUI_GOOD,		/* done, healthy */
	TUI_DIM,		/* hints, disabled rows */
	TUI_MARK		/* search matches, highlighted log lines */
};
int	 tui_attr(enum tui_color);

/* What a screen's key() did with a key. */
enum tui_key {
	TUI_KEY_DONE,		/* handled */
	TUI_KEY_BACK,		/* close this screen */
	TUI_KEY_PASS		/* not this screen's key */
};

/* A screen: draw(y0, h, w) paints the body between header and footer. */
struct tui_screen {
	const char	*title;
	const char	*keys;		/* footer hint, e.g. "Enter open" */
	const char	*help;		/* F1 text, may hold newlines */
	void		*state;
	void		(*draw)(struct tui_screen *, int y, int h, int w);
	enum tui_key	(*key)(struct tui_screen *, int key);
	void		(*free)(struct tui_screen *);
};

/* tui.c */
/* The menu: returns the exit status (NTM_*). target NULL: find it. */
int	 tui_main(const char *target, int discard_hiber);
/* Push a screen (the loop owns it from now on, and frees it when it is
 * closed); screen is copied. */
void	 tui_push(const struct tui_screen *);
/* Paint every line of the terminal again: the top screen, its bars. */
void	 tui_redraw(void);
/* One line in the footer until the next key (a result, a refusal). */
void	 tui_status(enum tui_color, const char *fmt, ...) NTM_PRINTF(2, 3);
/* A shell on the terminal (the screen comes back when it exits). */
void	 tui_shell(void);

/* The session: the target, read-only, shared by every screen. */
struct tui_session {
	char		*spec;		/* TARGET as given or picked */
	int		 discard_hiber;
	struct target	 t;
	int		 open;		/* t is open */
	struct identity	 id;		/* when open */
	int		 have_id;
	char		*open_error;	/* why it is not open */
	unsigned	 generation;	/* bumped after each change: screens
					   that keep hive copies reload */
	struct diag	*diag;		/* the last diagnosis, or NULL */
	unsigned	 diag_generation;
	time_t		 started;	/* when the menu started (report) */
	json_t		*steps;		/* commands run (the report's steps) */
	json_t		*findings_before; /* first diagnosis, or NULL */
	json_t		*findings_last;	/* latest diagnosis, or NULL */
	int		 changed;	/* changes made since the report was
					   last saved */
	int		 report_saved;
};
extern struct tui_session tui_s;
/* Open the session's target read-only (again); 0 or -1 with
 * tui_s.open_error set. */
int	 tui_target_open(void);
void	 tui_target_close(void);
/* "DESKTOP-1 · Windows 10 Pro 22H2 (10.0.19045.3803) · amd64" */
char	*tui_target_line(void);

/* widget.c: a list with a cursor, search and optional check marks. */
struct tui_row {
	char		*text;
	enum tui_color	 color;
	int		 marked;	/* [x] when the list is checkable */
	int		 header;	/* a heading: the cursor skips it */
	void		*data;		/* the screen's, not freed */
	size_t		 id;		/* the screen's */
};
struct tui_list {
	struct tui_row	*rows;
	size_t		 n;
	size_t		 sel;
	size_t		 top;
	int		 checkable;
	char		*search;	/* last '/' search, or NULL */
};
void	 tui_list_clear(struct tui_list *);
struct tui_row *tui_list_add(struct tui_list *, enum tui_color,
	     const char *fmt, ...) NTM_PRINTF(3, 4);
struct tui_row *tui_list_heading(struct tui_list *, const char *fmt, ...)
	     NTM_PRINTF(2, 3);
/* The row under the cursor, NULL when empty. */
struct tui_row *tui_list_cur(struct tui_list *);
void	 tui_list_draw(struct tui_list *, int y, int x, int h, int w);
/* Arrows, PgUp/PgDn, Home/End, '/' search and 'n' next, space to mark
 * when checkable: TUI_KEY_DONE, else TUI_KEY_PASS. h: the rows shown. */
enum tui_key tui_list_key(struct tui_list *, int key, int h);

/* Dialogs. Each returns when answered; they follow resizes. */
/* Text in a scrollable viewer (Esc/Enter/q close it); lines matching a
 * highlight (error/warn) are coloured when color is set. */
void	 tui_view(const char *title, const char *text, int highlight);
/* Yes (1) or no (0); Esc is no. */
int	 tui_confirm(const char *title, const char *question);
/* A line of text; NULL when cancelled, else caller frees. */
char	*tui_input(const char *title, const char *prompt, const char *initial);
/* Pick one of n items; -1 when cancelled. */
int	 tui_pick(const char *title, const char *const *items, size_t n,
	     size_t initial);

/* run.c: run an ntmend command line (argv without "ntmend" and -t) as a
 * child, showing its output and progress, Esc cancelling it. With
 * TUI_RUN_CHANGES the session's target is closed while it runs, an
 * interrupted journal is rolled back on cancel, and the run is recorded
 * as a step of the session's report. *output (may be NULL) gets what it
 * printed, caller frees. Returns its exit status (NTM_*), or -1 if it
 * was cancelled. */
#define TUI_RUN_CHANGES	0x1	/* may change the volume */
#define TUI_RUN_QUIET	0x2	/* no result viewer at the end */
int	 tui_run(const char *title, int flags, char *const *argv,
	     char **output);
/* The same, the arguments as a NULL-terminated list. */
int	 tui_runl(const char *title, int flags, char **output, ...);

/* A read-only command's --json answer (argv as for tui_run), run the
 * same way without showing it; NULL with *cause (its first error line)
 * when it printed no JSON. A command that has findings or refusals to
 * report still answers JSON with exit status 1. */
json_t	*tui_json(char *const *argv, char **cause);
json_t	*tui_jsonl(char **cause, ...);

/* scr-diagnose.c: run every check with a progress bar (Esc stops it):
 * tui_s.diag and the findings JSON are replaced; -1 if stopped or there
 * is no open target. */
int	 tui_diagnose(void);
void	 tui_diag_free(void);

/* Screens (scr-*.c): each pushes itself. */
void	 scr_main(void);
void	 scr_target(void);
void	 scr_diagnose(void);
void	 scr_fixes(void);
void	 scr_journal(void);
void	 scr_save(void);
void	 scr_registry(void);
void	 scr_services(void);
void	 scr_policy(void);
void	 scr_packages(void);
void	 scr_golden(void);
void	 scr_queue(void);
void	 scr_logs(void);

#endif
