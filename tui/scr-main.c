/* scr-main.c: the main menu: the walk-through's steps, then the tools. */

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "tui/private.h"

static const struct item {
	const char	*label;
	void		(*open)(void);
	int		 needs_target;
} items[] = {
	{ "1  Windows installation: identity, volume state", scr_target, 0 },
	{ "2  Diagnose: why updates fail", scr_diagnose, 1 },
	{ "3  Fix: choose the repairs, see what changes, apply", scr_fixes,
	  1 },
	{ "4  Journal and undo", scr_journal, 1 },
	{ "5  Finish: save the report and logs, reboot, power off", scr_save,
	  0 },
	{ NULL, NULL, 0 },
	{ "Registry editor (SYSTEM, SOFTWARE, COMPONENTS, .DEFAULT)",
	  scr_registry, 1 },
	{ "Services", scr_services, 1 },
	{ "Group Policy (registry.pol)", scr_policy, 1 },
	{ "Packages (CBS inventory, manifests)", scr_packages, 1 },
	{ "Golden archive: verify, apply", scr_golden, 1 },
	{ "Next-boot queue (update packages, commands)", scr_queue, 1 },
	{ "Logs (CBS.log, DISM.log)", scr_logs, 1 },
	{ "Shell", tui_shell, 0 },
};
#define NITEMS	(sizeof items / sizeof items[0])

struct main_state {
	struct tui_list	 l;
	int		 h;
};

static const char main_help[] =
    "The main menu. Steps 1 to 5 take one PC from boot to ticket: pick the "
    "Windows installation, diagnose, fix, undo if needed, save the report "
    "to the USB stick. The tools below them open one part of the "
    "installation each.";

static void
main_build(struct main_state *st)
{
	size_t	i;

	tui_list_clear(&st->l);
	tui_list_heading(&st->l, "Repair, step by step");
	for (i = 0; i < NITEMS; i++) {
		if (items[i].label == NULL) {
			tui_list_heading(&st->l, "%s", "");
			tui_list_heading(&st->l, "Tools");
			continue;
		}
		tui_list_add(&st->l, TUI_NORMAL, "%s", items[i].label)->id = i;
	}
}

static void
main_draw(struct tui_screen *s, int y, int h, int w)
{
	struct main_state	*st = s->state;
	json_t			*f = tui_s.findings_last;
	char			*line;
	int			 rows = h - 3;

	st->h = rows;
	tui_list_draw(&st->l, y + 1, 2, rows, w - 4);
	if (!tui_s.open) {
		attrset(tui_attr(TUI_WARN));
		line = xprintf("Not open: %s", tui_s.open_error != NULL ?
		    tui_s.open_error : "choose the Windows installation (1)");
	} else if (f == NULL) {
		attrset(tui_attr(TUI_DIM));
		line = xstrdup("Not diagnosed yet: 2 runs every check "
		    "(read-only).");
	} else if (json_array_size(f) == 0) {
		attrset(tui_attr(TUI_GOOD));
		line = xstrdup("Last diagnosis: no findings.");
	} else {
		attrset(tui_attr(TUI_WARN));
		line = xprintf("Last diagnosis: %zu finding(s): 2 shows them, 3 fixes them.",
		    json_array_size(f));
	}
	tui_put(y + h - 1, 2, w - 4, line);
	attrset(A_NORMAL);
	free(line);
}

static enum tui_key
main_key(struct tui_screen *s, int key)
{
	struct main_state	*st = s->state;
	struct tui_row		*r;
	const struct item	*it;

	if (key == '\r' || key == '\n' || key == KEY_ENTER ||
	    key == KEY_RIGHT) {
		if ((r = tui_list_cur(&st->l)) == NULL)
			return TUI_KEY_DONE;
		it = &items[r->id];
		if (it->needs_target && !tui_s.open) {
			tui_status(TUI_WARN, "No Windows installation is open: "
			    "choose one first (1)");
			return TUI_KEY_DONE;
		}
		it->open();
		return TUI_KEY_DONE;
	}
	if (key >= '1' && key <= '5') {
		st->l.sel = (size_t)(key - '1') + 1;
		return main_key(s, '\r');
	}
	/* Esc here would be one Esc too many (or an unknown key's escape
	 * sequence on a vt100): only q leaves the menu. */
	if (key == 27 || key == KEY_LEFT) {
		tui_status(TUI_NORMAL, "this is the main menu: q quits");
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
main_free(struct tui_screen *s)
{
	struct main_state	*st = s->state;

	tui_list_clear(&st->l);
	free(st);
}

void
scr_main(void)
{
	struct tui_screen	 s;
	struct main_state	*st = xcalloc(1, sizeof *st);

	main_build(st);
	memset(&s, 0, sizeof s);
	s.title = "Main menu";
	s.keys = "Enter open  1-5 steps";
	s.help = main_help;
	s.state = st;
	s.draw = main_draw;
	s.key = main_key;
	s.free = main_free;
	tui_push(&s);
}
