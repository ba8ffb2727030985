/*
 * scr-fixes.c: step 3, the fixes for the findings preselected (as `fix
 * --all` picks them, never clean-boot), the others to choose; the dry run
 * shows exactly what will change, `ntmend fix ID...` applies them in one
 * journal, and a new diagnosis says what each one achieved.
 */

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "tui/tui.h"
#include "tui/private.h"

/* Fixes at most in one command line (fix_table is smaller). */
#define NTM_TUI_FIXES	32

struct fixes_state {
	struct tui_list	 l;
	char		*golden;	/* archive for golden-apply */
	int		 h;
};

static const char fixes_help[] =
    "Step 3: the repairs. Those for the findings of the last diagnosis "
    "are chosen ([x]); Space chooses or drops one, Enter explains it.\n\n"
    "v shows the dry run: every file and registry value the chosen fixes "
    "would change, with nothing written. a shows the same and asks before "
    "applying them. All of one apply go into one journal: 'Journal and "
    "undo' takes them back exactly.\n\n"
    "golden-apply needs a known-good archive from a healthy PC of the same "
    "build ('ntmend golden capture'); choosing it asks for the file. "
    "clean-boot (third-party services and Run entries off) is never "
    "chosen for you.";

/* Finding ids of the last diagnosis a fix answers, "" if none. */
static char *
fixes_for(const struct fix *f)
{
	const struct finding	*fs;
	size_t			 n, i;
	char			*s = xstrdup(""), *t;

	if (tui_s.diag == NULL)
		return s;
	fs = diag_findings(tui_s.diag, &n);
	for (i = 0; i < n; i++) {
		if (fs[i].fix == NULL || strcmp(fs[i].fix, f->id) != 0 ||
		    strstr(s, fs[i].check->id) != NULL)
			continue;
		t = xprintf("%s%s%s", s, *s != '\0' ? ", " : "",
		    fs[i].check->id);
		free(s);
		s = t;
	}
	return s;
}

static int
fix_order_cmp(const void *a, const void *b)
{
	const struct fix	*fa = *(const struct fix *const *)a;
	const struct fix	*fb = *(const struct fix *const *)b;

	return fa->order - fb->order;
}

static void
fixes_build(struct fixes_state *st)
{
	const struct fix	**all, **rec = NULL;
	const struct finding	*fs = NULL;
	size_t			  n = 0, nrec = 0, nall = 0, i, k, pass;
	char			 *why;
	struct tui_row		 *r;

	tui_list_clear(&st->l);
	st->l.checkable = 1;
	if (tui_s.diag != NULL)
		fs = diag_findings(tui_s.diag, &n);
	fix_for_findings(fs, n, &rec, &nrec);
	for (i = 0; fix_table[i] != NULL; i++)
		nall++;
	all = xreallocarray(NULL, nall, sizeof *all);
	memcpy(all, fix_table, nall * sizeof *all);
	qsort(all, nall, sizeof *all, fix_order_cmp);
	for (pass = 0; pass < 2; pass++) {
		if (pass == 0 && nrec > 0)
			tui_list_heading(&st->l, "For the findings");
		if (pass == 1)
			tui_list_heading(&st->l, nrec > 0 ? "Other fixes" :
			    "Fixes (no finding asks for one)");
		for (i = 0; i < nall; i++) {
			for (k = 0; k < nrec && rec[k] != all[i]; k++)
				;
			if ((k < nrec) != (pass == 0))
				continue;
			why = fixes_for(all[i]);
			r = tui_list_add(&st->l, pass == 0 ? TUI_NORMAL :
			    TUI_DIM, "%-25s %s%s%s%s", all[i]->id,
			    all[i]->title, *why != '\0' ? " (" : "", why,
			    *why != '\0' ? ")" : "");
			free(why);
			r->data = (void *)all[i];
			/* golden-apply waits for its archive. */
			r->marked = pass == 0 && (strcmp(all[i]->id,
			    "golden-apply") != 0 || st->golden != NULL);
		}
	}
	free(rec);
	free(all);
}

/* The command line for the chosen fixes (argv for tui_run); the number
 * of fixes, 0 when none is chosen. */
static size_t
fixes_argv(struct fixes_state *st, char **argv, int dry_run)
{
	size_t	i, n = 0, a = 0;

	argv[a++] = (char *)"fix";
	for (i = 0; i < st->l.n && n < NTM_TUI_FIXES; i++) {
		if (!st->l.rows[i].marked || st->l.rows[i].header)
			continue;
		argv[a++] = (char *)((const struct fix *)
		    st->l.rows[i].data)->id;
		n++;
	}
	if (st->golden != NULL) {
		argv[a++] = (char *)"--golden";
		argv[a++] = st->golden;
	}
	if (dry_run)
		argv[a++] = (char *)"--dry-run";
	argv[a] = NULL;
	return n;
}

/* What the apply achieved: the findings before and after. */
static void
fixes_result(json_t *before, int st)
{
	json_t		*after = tui_s.findings_last, *f, *g;
	size_t		 i, k;
	char		*text = xstrdup(""), *t;
	const char	*id;
	int		 still;

	json_array_foreach(before, i, f) {
		id = json_string_value(json_object_get(f, "id"));
		still = 0;
		json_array_foreach(after, k, g) {
			if (strcmp(json_string_value(json_object_get(g, "id")),
			    id) == 0)
				still = 1;
		}
		t = xprintf("%s%s %s\n", text, still ? "still found:" :
		    "fixed:      ", id);
		free(text);
		text = t;
	}
	json_array_foreach(after, k, g) {
		id = json_string_value(json_object_get(g, "id"));
		still = 0;
		json_array_foreach(before, i, f) {
			if (strcmp(json_string_value(json_object_get(f, "id")),
			    id) == 0)
				still = 1;
		}
		if (!still) {
			t = xprintf("%snew:         %s\n", text, id);
			free(text);
			text = t;
		}
	}
	t = xprintf("%s\n%s\n%s", st == NTM_OK || st == NTM_WARN ?
	    "The fixes were applied and the checks run again." :
	    "The fixes failed; nothing was changed (see the output).",
	    json_array_size(after) == 0 ? "No findings remain." :
	    "Findings that remain: Diagnose (2) shows them; some need "
	    "Windows itself (e.g. DISM after the next boot).", text);
	tui_view("3 Fix: result", t, 0);
	free(t);
	free(text);
}

static void
fixes_apply(struct fixes_state *st)
{
	char	*argv[NTM_TUI_FIXES + 6], *out = NULL, *q;
	json_t	*before;
	size_t	 n;
	int	 ret;

	if ((n = fixes_argv(st, argv, 1)) == 0) {
		tui_status(TUI_WARN, "no fix chosen (Space chooses one)");
		return;
	}
	ret = tui_run("3 Fix: what will change (dry run)", 0, argv, &out);
	free(out);
	if (ret > NTM_WARN)
		return;
	q = xprintf("Apply %zu fix(es) as shown? They go into one journal "
	    "that 'Journal and undo' can take back.", n);
	if (!tui_confirm("Apply", q)) {
		free(q);
		return;
	}
	free(q);
	fixes_argv(st, argv, 0);
	before = tui_s.findings_last != NULL ?
	    json_incref(tui_s.findings_last) : json_array();
	ret = tui_run("3 Fix: applying", TUI_RUN_CHANGES, argv, NULL);
	if (ret >= 0 && tui_diagnose() == 0)
		fixes_result(before, ret);
	json_decref(before);
	fixes_build(st);
}

/* Under the list, the fix at the cursor: its title in full and what it
 * does. */
static void
fixes_draw(struct tui_screen *s, int y, int h, int w)
{
	struct fixes_state	*st = s->state;
	struct tui_row		*r;
	const struct fix	*f;
	char			*text;
	int			 lh;

	lh = (int)st->l.n < h - 1 - h / 3 ? (int)st->l.n : h - 1 - h / 3;
	if (lh < 1)
		lh = 1;
	st->h = lh;
	tui_list_draw(&st->l, y + 1, 1, lh, w - 2);
	if ((r = tui_list_cur(&st->l)) == NULL || h - lh - 2 < 2)
		return;
	f = r->data;
	text = xprintf("%s: %s", f->title, f->explanation);
	tui_panel(y + lh + 1, h - lh - 1, w, text);
	free(text);
}

static enum tui_key
fixes_key(struct tui_screen *s, int key)
{
	struct fixes_state	*st = s->state;
	struct tui_row		*r = tui_list_cur(&st->l);
	const struct fix	*f = r != NULL ? r->data : NULL;
	char			*argv[NTM_TUI_FIXES + 6], *text, *why, *path;

	switch (key) {
	case ' ':
		if (f != NULL && !r->marked &&
		    strcmp(f->id, "golden-apply") == 0 && st->golden == NULL) {
			path = tui_input("golden-apply", "The known-good "
			    "archive (tar.zst from 'ntmend golden capture', "
			    "or a zip/7z/tar of a folder):", NULL);
			if (path == NULL || *path == '\0') {
				free(path);
				return TUI_KEY_DONE;
			}
			st->golden = path;
		}
		return tui_list_key(&st->l, key, st->h);
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		if (f == NULL)
			return TUI_KEY_DONE;
		why = fixes_for(f);
		text = xprintf("%s (%s)\n\n%s\n\n%s%s%s", f->title, f->id,
		    f->explanation, *why != '\0' ? "For: " : "No finding of "
		    "the last diagnosis asks for it.", why, f->in_all ? "" :
		    "\n\nNever chosen for you: choose it only when you mean "
		    "it.");
		tui_view(f->id, text, 0);
		free(text);
		free(why);
		return TUI_KEY_DONE;
	case 'v':
		if (fixes_argv(st, argv, 1) == 0)
			tui_status(TUI_WARN, "no fix chosen (Space chooses "
			    "one)");
		else
			tui_run("3 Fix: what will change (dry run)", 0, argv,
			    NULL);
		return TUI_KEY_DONE;
	case 'a':
		fixes_apply(st);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
fixes_free(struct tui_screen *s)
{
	struct fixes_state	*st = s->state;

	tui_list_clear(&st->l);
	free(st->golden);
	free(st);
}

void
scr_fixes(void)
{
	struct tui_screen	 s;
	struct fixes_state	*st;

	if ((tui_s.diag == NULL || tui_s.diag_generation != tui_s.generation)
	    && tui_diagnose() != 0)
		return;
	st = xcalloc(1, sizeof *st);
	fixes_build(st);
	memset(&s, 0, sizeof s);
	s.title = "3 Fix";
	s.keys = "Space choose  Enter explain  v dry run  a apply";
	s.help = fixes_help;
	s.state = st;
	s.draw = fixes_draw;
	s.key = fixes_key;
	s.free = fixes_free;
	tui_push(&s);
}
