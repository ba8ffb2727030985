/*
 * scr-journal.c: step 4, the journals on the volume (every change ntmend
 * made, from this menu, a plan or the command line), and undo: `ntmend
 * undo ID` restores each saved original exactly.
 */

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "tui/private.h"

struct journal_state {
	struct tui_list		 l;
	struct journal_info	*info;
	size_t			 n;
	unsigned		 generation;
	int			 h;
};

static const char journal_help[] =
    "Step 4: every change ntmend made on this volume is in a journal "
    "(ntmend\\journal on the volume) with the original bytes of each file "
    "and registry hive it changed. Newest first.\n\n"
    "u (or Enter) undoes the chosen journal: every original comes back "
    "exactly, and the journal itself is removed, so the volume is as it "
    "was before. Undo the newest first when several touched the same "
    "files. An interrupted undo can simply be run again.";

static void
journal_build(struct journal_state *st)
{
	char	*cause = NULL;
	size_t	 i;

	tui_list_clear(&st->l);
	journal_info_free(st->info, st->n);
	st->info = NULL;
	st->n = 0;
	st->generation = tui_s.generation;
	if (!tui_s.open || journal_list(tui_s.t.vol, &st->info, &st->n,
	    &cause) != 0) {
		tui_list_add(&st->l, TUI_ERROR, "the journals cannot be read: "
		    "%s", cause != NULL ? cause : "no target")->id = SIZE_MAX;
		free(cause);
		return;
	}
	if (st->n == 0) {
		tui_list_add(&st->l, TUI_DIM, "No journals: ntmend has not "
		    "changed this volume (or every change was undone).")->id =
		    SIZE_MAX;
		return;
	}
	for (i = st->n; i-- > 0;) {
		tui_list_add(&st->l, strcmp(st->info[i].state, "committed") ==
		    0 ? TUI_NORMAL : TUI_WARN, "%-22s %-10s %2zu change(s)  %s",
		    st->info[i].id, st->info[i].state, st->info[i].nops,
		    st->info[i].command)->id = i;
	}
}

static void
journal_draw(struct tui_screen *s, int y, int h, int w)
{
	struct journal_state	*st = s->state;

	if (st->generation != tui_s.generation)
		journal_build(st);
	st->h = h - 1;
	tui_list_draw(&st->l, y + 1, 1, h - 1, w - 2);
}

static enum tui_key
journal_key(struct tui_screen *s, int key)
{
	struct journal_state	*st = s->state;
	struct tui_row		*r = tui_list_cur(&st->l);
	const struct journal_info *ji;
	char			*q;

	if (key != 'u' && key != '\r' && key != '\n' && key != KEY_ENTER)
		return tui_list_key(&st->l, key, st->h);
	if (r == NULL || r->id == SIZE_MAX)
		return TUI_KEY_DONE;
	ji = &st->info[r->id];
	q = xprintf("Undo %s (%s, %zu change(s), %s)? Every original it "
	    "saved is put back exactly.", ji->id, ji->command, ji->nops,
	    ji->state);
	if (tui_confirm("Undo", q))
		tui_runl("4 Undo", TUI_RUN_CHANGES, NULL, "undo", ji->id,
		    NULL);
	free(q);
	journal_build(st);
	return TUI_KEY_DONE;
}

static void
journal_screen_free(struct tui_screen *s)
{
	struct journal_state	*st = s->state;

	tui_list_clear(&st->l);
	journal_info_free(st->info, st->n);
	free(st);
}

void
scr_journal(void)
{
	struct tui_screen	 s;
	struct journal_state	*st = xcalloc(1, sizeof *st);

	journal_build(st);
	memset(&s, 0, sizeof s);
	s.title = "4 Journal and undo";
	s.keys = "u undo";
	s.help = journal_help;
	s.state = st;
	s.draw = journal_draw;
	s.key = journal_key;
	s.free = journal_screen_free;
	tui_push(&s);
}
