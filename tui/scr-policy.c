/*
 * scr-policy.c: the target's Group Policy registry.pol (Machine, or User
 * with u), read in-process (policy_read): the strict check's verdict at
 * the top, the entries under their keys with the special "**del." and
 * friends said as what they do, the ones that stop Windows Update marked.
 * Repairing, deleting an entry and removing the update blocks run 'pol
 * repair', 'pol del' and 'fix pol-unblock-updates': journaled by the
 * command, never written here.
 */

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/tui.h"
#include "tui/private.h"

/* Value-name column; longer names are cut with '~' (the entry's view has
 * them whole). 30 fits all but a few of the 316 names in the largest
 * real registry.pol in testdata. */
#define GP_NAME_COLS	30

struct gp_state {
	struct tui_list		 l;
	int			 h;

	int			 user;		/* the User file ('u') */
	int			 loaded;
	unsigned		 generation;
	char			*error;
	struct policy_file	 pf;
	struct policy_wu_block	*b;		/* Machine only */
	size_t			 nb;
	struct policy_repair	 pr;		/* what repair would do */
	int			 have_pr;
};

static const char gp_help[] =
    "Group Policy's registry.pol: the local policy Windows applies to the "
    "registry at every start (Machine: HKLM) and logon (User: HKCU). A "
    "broken file stops Group Policy, and with it Windows Update, with "
    "errors such as 0x8007000d; policies in it can also switch updates "
    "off on purpose.\n\n"
    "The top line is the file's check: intact, or the byte offset where "
    "it is damaged and why. r repairs it: the entries before the damage "
    "are kept and the rest is dropped (you see the change first; the "
    "original is kept in the journal).\n\n"
    "Entries are listed under their registry keys. Names beginning with "
    "** are instructions, shown as what they do (delete a value, delete "
    "all values of a key, ...). Entries marked ! stop Windows Update "
    "(updates turned off, Windows Update access removed, a WSUS server "
    "that is no longer there): w removes them all, from this file and "
    "from the SOFTWARE hive where Group Policy has already applied them.\n\n"
    "Enter shows an entry whole; d deletes it (every entry for that "
    "value). u switches between the Machine and the User file.\n\n"
    "Every change is journaled: 'Journal and undo' takes it back.";

static void
gp_unload(struct gp_state *st)
{
	if (st->loaded) {
		policy_file_free(&st->pf);
		policy_wu_blocks_free(st->b, st->nb);
	}
	if (st->have_pr)
		policy_repair_free(&st->pr);
	st->have_pr = 0;
	st->b = NULL;
	st->nb = 0;
	free(st->error);
	st->error = NULL;
	st->loaded = 0;
}

static const char *
gp_scope_word(struct gp_state *st)
{
	return st->user ? "User" : "Machine";
}

/* The block (if any) entry idx is part of. */
static const struct policy_wu_block *
gp_block(struct gp_state *st, size_t idx)
{
	size_t	i, k;

	for (i = 0; i < st->nb; i++) {
		for (k = 0; k < st->b[i].nentries; k++) {
			if (st->b[i].entries[k] == idx)
				return &st->b[i];
		}
	}
	return NULL;
}

static void
gp_row(struct gp_state *st, size_t i)
{
	const struct pol_entry	*e = &st->pf.pol->entries[i];
	const struct policy_wu_block *blk = gp_block(st, i);
	char			 name[GP_NAME_COLS + 1], *type, *data, *p;
	const char		*n = *e->name != '\0' ? e->name : "(default)";

	if (strlen(n) > GP_NAME_COLS) {
		memcpy(name, n, GP_NAME_COLS - 1);
		name[GP_NAME_COLS - 1] = '~';
		name[GP_NAME_COLS] = '\0';
	} else
		memcpy(name, n, strlen(n) + 1);
	type = hive_type_short(e->type);
	if (pol_entry_action(e, NULL) == POL_ACTION_SET) {
		data = pol_entry_format(e);
		for (p = data; *p != '\0'; p++) {
			if (*p == '\n')
				*p = '|';
		}
	} else {
		p = pol_entry_describe(e);
		data = xprintf("-> %s", p);
		free(p);
	}
	tui_list_add(&st->l, blk != NULL ? TUI_ERROR : TUI_NORMAL,
	    "%s %-*s %-9s %s", blk != NULL ? "!" : " ", GP_NAME_COLS, name,
	    type, data)->id = i;
	free(type);
	free(data);
}

static void
gp_build(struct gp_state *st, size_t sel, size_t top)
{
	const struct pol	*pol;
	size_t			 i;

	tui_list_clear(&st->l);
	if (!st->loaded)
		return;
	pol = st->pf.pol;
	for (i = 0; i < pol->nentries; i++) {
		if (i == 0 || strcmp(pol->entries[i - 1].key,
		    pol->entries[i].key) != 0)
			tui_list_heading(&st->l, "%s", pol->entries[i].key);
		gp_row(st, i);
	}
	if (st->pf.damaged && st->have_pr && st->pr.nchanges > 0)
		tui_list_add(&st->l, TUI_ERROR, "  damaged from byte %zu: %zu "
		    "byte%s that repair drops", st->pr.drop_off,
		    st->pr.drop_len, st->pr.drop_len == 1 ? "" : "s")->id =
		    SIZE_MAX;
	else if (pol->nentries == 0)
		tui_list_add(&st->l, TUI_DIM, "  no entries")->id = SIZE_MAX;
	if (sel >= st->l.n && st->l.n > 0)
		sel = st->l.n - 1;	/* the last entry was deleted */
	if (sel < st->l.n) {
		st->l.sel = sel;
		st->l.top = top;
		/* On a heading after a delete: the entry under it. */
		if (st->l.rows[sel].header && sel + 1 < st->l.n)
			st->l.sel = sel + 1;
	}
}

/* Read the file (again after a change: the volume was reopened). */
static void
gp_load(struct gp_state *st, int keep)
{
	size_t	 sel = keep ? st->l.sel : 0, top = keep ? st->l.top : 0;
	char	*cause = NULL;

	gp_unload(st);
	st->generation = tui_s.generation;
	if (!tui_s.open) {
		st->error = xprintf("The Windows installation is not open: %s",
		    tui_s.open_error != NULL ? tui_s.open_error : "?");
		goto out;
	}
	if (policy_read(tui_s.t.vol, policy_path(st->user ? POLICY_USER :
	    POLICY_MACHINE), &st->pf, &cause) != 0) {
		st->error = xprintf("The %s registry.pol cannot be read: %s",
		    gp_scope_word(st), cause);
		free(cause);
		goto out;
	}
	st->loaded = 1;
	/* Windows 10 ignores Windows Update settings in User policy
	 * (cmd-pol.c's pol_blocks): only the Machine file's count. */
	if (!st->user)
		policy_wu_blocks(st->pf.pol, &st->b, &st->nb);
	/* Only planned, to say what repair would keep and drop. */
	if (st->pf.damaged) {
		if (policy_repair_plan(&st->pf, &st->pr, &cause) == 0)
			st->have_pr = 1;
		else
			free(cause);
	}
out:
	gp_build(st, sel, top);
}

static void
gp_draw(struct tui_screen *s, int y, int h, int w)
{
	struct gp_state		*st = s->state;
	const struct policy_file	*pf = &st->pf;
	char				*line;
	int				 row = y;

	if (!st->loaded || st->generation != tui_s.generation)
		gp_load(st, 1);
	s->keys = st->user ?
	    "Enter view  u Machine  r repair  d delete" :
	    "Enter view  u User  r repair  d delete  w unblock";
	if (st->error != NULL) {
		attrset(tui_attr(TUI_ERROR));
		tui_put(y + 1, 2, w - 4, st->error);
		attrset(A_NORMAL);
		return;
	}
	line = xprintf("%s policy: %s", gp_scope_word(st), pf->path);
	attrset(A_BOLD);
	tui_put(row++, 2, w - 4, line);
	free(line);
	if (pf->missing) {
		attrset(tui_attr(TUI_DIM));
		line = xprintf("No registry.pol: no local %s policy is set "
		    "(that is normal).", gp_scope_word(st));
	} else if (pf->damaged) {
		attrset(tui_attr(TUI_ERROR));
		line = xprintf("Check: damaged at byte offset %zu (0x%zx): %s",
		    pf->err.off, pf->err.off,
		    pol_damage_string(pf->err.damage));
	} else {
		attrset(tui_attr(TUI_GOOD));
		line = xprintf("Check: intact, %zu entr%s, %zu bytes",
		    pf->pol->nentries, pf->pol->nentries == 1 ? "y" : "ies",
		    pf->len);
	}
	tui_put(row++, 2, w - 4, line);
	free(line);
	if (pf->damaged) {
		line = xprintf("  in entry %zu at offset %zu (r keeps the %zu "
		    "entr%s before it)", pf->err.entry,
		    pf->err.entry_off, pf->pol->nentries,
		    pf->pol->nentries == 1 ? "y" : "ies");
		tui_put(row++, 2, w - 4, line);
		free(line);
	}
	if (st->user) {
		attrset(tui_attr(TUI_DIM));
		line = xstrdup("Windows ignores Windows Update settings in "
		    "User policy.");
	} else if (st->nb > 0) {
		attrset(tui_attr(TUI_ERROR));
		line = xprintf("%zu polic%s here stop%s Windows Update "
		    "(marked !): w removes them", st->nb, st->nb == 1 ? "y" :
		    "ies", st->nb == 1 ? "s" : "");
	} else {
		attrset(tui_attr(TUI_GOOD));
		line = xstrdup("Nothing in this file stops Windows Update.");
	}
	tui_put(row++, 2, w - 4, line);
	free(line);
	attrset(tui_attr(TUI_DIM));
	line = xprintf("  %-*s %-9s %s", GP_NAME_COLS, "VALUE", "TYPE",
	    "DATA");
	tui_put(row++, 2, w - 4, line);
	free(line);
	attrset(A_NORMAL);
	st->h = y + h - row;
	tui_list_draw(&st->l, row, 2, st->h, w - 4);
}

/* The selected entry, or NULL. */
static const struct pol_entry *
gp_selected(struct gp_state *st, size_t *idx)
{
	struct tui_row	*r;

	if (st->error != NULL || (r = tui_list_cur(&st->l)) == NULL ||
	    r->id >= st->pf.pol->nentries)
		return NULL;
	if (idx != NULL)
		*idx = r->id;
	return &st->pf.pol->entries[r->id];
}

/* Enter: the entry whole. */
static void
gp_view(struct gp_state *st)
{
	const struct pol_entry		*e;
	const struct policy_wu_block	*blk;
	size_t				 i;
	ssize_t				 eff;
	char				*type, *data, *does, *t, *w;
	char				*more = NULL;

	if ((e = gp_selected(st, &i)) == NULL)
		return;
	type = pol_type_name(e->type);
	data = pol_entry_format(e);
	does = pol_entry_describe(e);
	if ((blk = gp_block(st, i)) != NULL)
		more = xprintf("\n\nStops Windows Update (%s): %s\n%s\n\nw "
		    "removes every policy that stops Windows Update.", blk->id,
		    blk->what, blk->evidence);
	if (pol_entry_action(e, NULL) == POL_ACTION_SET &&
	    (eff = policy_effective(st->pf.pol, e->key, e->name)) >= 0 &&
	    (size_t)eff != i) {
		w = pol_entry_describe(&st->pf.pol->entries[eff]);
		t = xprintf("%s\n\nA later entry (at byte offset %zu) decides "
		    "this value: it %s.", more != NULL ? more : "",
		    st->pf.pol->entries[eff].off, w);
		free(w);
		free(more);
		more = t;
	}
	t = xprintf("Key      %s\nValue    %s\nType     %s (%u), %u bytes\n"
	    "Does     %s\nAt       byte offset %zu of %s (entry %zu)\n\n"
	    "Data:\n%s%s\n\nd deletes this entry.", e->key, *e->name !=
	    '\0' ? e->name : "(default)", type, e->type, e->size, does,
	    e->off, st->pf.path, i, data, more != NULL ? more : "");
	tui_view("Group Policy entry", t, 0);
	free(t);
	free(more);
	free(type);
	free(data);
	free(does);
}

/* Run a change after showing its dry run and asking: argv without the
 * "--dry-run" that the first run gets. */
static void
gp_change(const char *title, char **argv, const char *question,
    const char *nothing)
{
	char	*dry[16], *out = NULL, *t;
	size_t	 i;
	int	 r;

	dry[0] = (char *)"--dry-run";
	for (i = 0; argv[i] != NULL && i < 14; i++)
		dry[i + 1] = argv[i];
	dry[i + 1] = NULL;
	t = xprintf("%s: checking", title);
	r = tui_run(t, TUI_RUN_QUIET, dry, &out);
	free(t);
	if (r < 0)
		goto out;
	if (r > NTM_WARN) {
		t = xprintf("%s: refused", title);
		tui_view(t, out, 1);
		free(t);
		goto out;
	}
	if (strstr(out, "nothing to change") != NULL ||
	    strstr(out, "nothing to repair") != NULL) {
		tui_status(TUI_GOOD, "%s", nothing);
		goto out;
	}
	t = xprintf("%s: what would change (nothing is written yet)", title);
	tui_view(t, out, 1);
	free(t);
	if (tui_confirm(title, question))
		tui_run(title, TUI_RUN_CHANGES, argv, NULL);
out:
	free(out);
}

static void
gp_repair(struct gp_state *st)
{
	char	*argv[] = { (char *)"pol", (char *)"repair",
	    st->user ? (char *)"--user" : NULL, NULL };

	if (st->pf.missing || !st->pf.damaged) {
		tui_status(TUI_GOOD, "The %s registry.pol is %s: nothing to "
		    "repair", gp_scope_word(st), st->pf.missing ? "not there" :
		    "intact");
		return;
	}
	gp_change("Repair registry.pol", argv, "Rewrite registry.pol with "
	    "the valid entries before the damage and drop the rest? The "
	    "original is kept in the journal: undo gives it back.",
	    "Nothing to repair");
}

static void
gp_delete(struct gp_state *st)
{
	const struct pol_entry	*e;
	char			*argv[8], *q, *does, *key, *name;
	size_t			 i, n = 0, k;

	if ((e = gp_selected(st, &i)) == NULL)
		return;
	if (st->pf.damaged) {
		tui_status(TUI_WARN, "registry.pol is damaged: repair it first "
		    "(r), then delete");
		return;
	}
	for (k = 0; k < st->pf.pol->nentries; k++) {
		if (strcasecmp(st->pf.pol->entries[k].key, e->key) == 0 &&
		    strcasecmp(st->pf.pol->entries[k].name, e->name) == 0)
			n++;
	}
	does = pol_entry_describe(e);
	q = xprintf("Delete this entry from the %s registry.pol?\n\n"
	    "Key:   %s\nValue: %s\nIt %s.%s%s\n\nThe change is journaled: "
	    "undo takes it back.", gp_scope_word(st), e->key, *e->name !=
	    '\0' ? e->name : "(default)", does, gp_block(st, i) != NULL ?
	    "\nIt stops Windows Update." : "", n > 1 ? "\nThe file has "
	    "several entries for this value: all go." : "");
	free(does);
	if (!tui_confirm("Delete policy entry", q)) {
		free(q);
		return;
	}
	free(q);
	/* The entry belongs to the list the run makes stale. */
	key = xstrdup(e->key);
	name = xstrdup(*e->name != '\0' ? e->name : "@");
	n = 0;
	argv[n++] = (char *)"pol";
	argv[n++] = (char *)"del";
	if (st->user)
		argv[n++] = (char *)"--user";
	argv[n++] = (char *)"--";	/* a value name may begin with '-' */
	argv[n++] = key;
	argv[n++] = name;
	argv[n] = NULL;
	tui_run("Delete policy entry", TUI_RUN_CHANGES, argv, NULL);
	free(key);
	free(name);
}

static void
gp_unblock(struct gp_state *st)
{
	char	*argv[] = { (char *)"fix", (char *)"pol-unblock-updates",
	    NULL };

	if (st->user) {
		tui_status(TUI_WARN, "Windows Update policies are Machine "
		    "policies: u switches to them");
		return;
	}
	gp_change("Unblock Windows Update", argv,
	    "Remove these policies from registry.pol and the SOFTWARE hive? "
	    "The change is journaled: undo takes it back.",
	    "Nothing stops Windows Update: nothing to remove");
}

static enum tui_key
gp_key(struct tui_screen *s, int key)
{
	struct gp_state	*st = s->state;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		gp_view(st);
		return TUI_KEY_DONE;
	case 'u':
		st->user = !st->user;
		gp_load(st, 0);
		tui_status(TUI_NORMAL, "the %s registry.pol", gp_scope_word(
		    st));
		return TUI_KEY_DONE;
	}
	if (st->error != NULL)
		return TUI_KEY_PASS;
	switch (key) {
	case 'r':
		gp_repair(st);
		return TUI_KEY_DONE;
	case 'd':
		gp_delete(st);
		return TUI_KEY_DONE;
	case 'w':
		gp_unblock(st);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
gp_free(struct tui_screen *s)
{
	struct gp_state	*st = s->state;

	gp_unload(st);
	tui_list_clear(&st->l);
	free(st);
}

void
scr_policy(void)
{
	struct tui_screen	 s;
	struct gp_state	*st = xcalloc(1, sizeof *st);

	memset(&s, 0, sizeof s);
	s.title = "Group Policy";
	s.keys = "Enter view  u User  r repair  d delete  w unblock";
	s.help = gp_help;
	s.state = st;
	s.draw = gp_draw;
	s.key = gp_key;
	s.free = gp_free;
	tui_push(&s);
}
