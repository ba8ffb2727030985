/*
 * scr-diagnose.c: step 2, every check of the engine run read-only on the
 * session's target with a progress bar (Esc stops it), the findings by
 * severity, each with its explanation, evidence and the fix that applies.
 */

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

struct diag_state {
	struct tui_list	 l;
	unsigned	 generation;	/* of the diagnosis shown */
	int		 h;
};

static const char diagnose_help[] =
    "Step 2: every check ntmend knows, read-only: nothing on the volume "
    "changes. Findings are grouped by how bad they are: 'stops updates' "
    "first, then 'may stop updates or the repair', then 'worth knowing'.\n\n"
    "Enter shows a finding: what is wrong, why it stops updates, the "
    "evidence (file, registry value, log line) and the fix. f goes to the "
    "fixes (step 3) with the recommended ones chosen; r runs the checks "
    "again.";

static int
diag_progress(const struct check *c, size_t i, size_t n, void *arg)
{
	char	*line;
	int	 w = COLS - 4, k, ch;

	erase();
	attrset(tui_attr(TUI_TITLE));
	mvhline(0, 0, ' ', COLS);
	tui_put(0, 1, COLS - 1, "Diagnosing (read-only)");
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, "Esc stops the diagnosis");
	attrset(A_NORMAL);
	line = xprintf("check %zu of %zu: %s", i + 1, n, c->title);
	tui_put(2, 2, w, line);
	free(line);
	mvaddch(4, 1, '[');
	for (k = 0; k < w; k++)
		addch(k < (int)((double)w * (double)i / (double)n) ? '#' : '.');
	addch(']');
	refresh();
	timeout(0);
	ch = getch();
	timeout(-1);
	if (ch == 27 && tui_confirm("Stop", "Stop the diagnosis? The "
	    "findings so far are not shown."))
		return 1;
	return 0;
}

int
tui_diagnose(void)
{
	const struct finding	*fs;
	struct diag		*d;
	size_t			 n;
	int			 ret = 0;

	if (!tui_s.open)
		return -1;
	d = diag_new(&tui_s.t, NULL);
	if (diag_run(d, NULL, 0, diag_progress, NULL) != 0) {
		diag_free(d);
		tui_status(TUI_WARN, "diagnosis stopped");
		return -1;
	}
	tui_diag_free();
	tui_s.diag = d;
	tui_s.diag_generation = tui_s.generation;
	fs = diag_findings(d, &n);
	json_decref(tui_s.findings_last);
	tui_s.findings_last = out_findings_json(fs, n);
	if (tui_s.findings_before == NULL)
		tui_s.findings_before = json_incref(tui_s.findings_last);
	return ret;
}

void
tui_diag_free(void)
{
	if (tui_s.diag != NULL)
		diag_free(tui_s.diag);
	tui_s.diag = NULL;
}

static const enum severity order[] = { SEV_ERROR, SEV_WARNING, SEV_INFO };
static const char *const order_names[] = { "Stops updates",
    "May stop updates or the repair", "Worth knowing" };

static void
diag_build(struct diag_state *st)
{
	const struct finding	*fs;
	const char *const	*errs;
	size_t			 n, ne, i, k, count;

	tui_list_clear(&st->l);
	st->generation = tui_s.diag_generation;
	if (tui_s.diag == NULL) {
		tui_list_add(&st->l, TUI_DIM, "not diagnosed (r runs the "
		    "checks)")->id = SIZE_MAX;
		return;
	}
	fs = diag_findings(tui_s.diag, &n);
	for (k = 0; k < 3; k++) {
		for (count = 0, i = 0; i < n; i++)
			count += fs[i].severity == order[k];
		if (count == 0)
			continue;
		tui_list_heading(&st->l, "%s (%zu)", order_names[k], count);
		for (i = 0; i < n; i++) {
			if (fs[i].severity != order[k])
				continue;
			tui_list_add(&st->l, order[k] == SEV_ERROR ? TUI_ERROR :
			    order[k] == SEV_WARNING ? TUI_WARN : TUI_NORMAL,
			    "%-26s %s", fs[i].check->id, fs[i].summary)->id = i;
		}
	}
	if (n == 0)
		tui_list_add(&st->l, TUI_GOOD, "No findings: nothing ntmend "
		    "checks stops updates on this installation.")->id =
		    SIZE_MAX;
	errs = diag_errors(tui_s.diag, &ne);
	if (ne > 0)
		tui_list_heading(&st->l, "Checks that could not run (%zu)", ne);
	for (i = 0; i < ne; i++)
		tui_list_add(&st->l, TUI_DIM, "%s", errs[i])->id = SIZE_MAX;
}

/* A finding in full, for the viewer. */
static char *
finding_text(const struct finding *f)
{
	const struct fix	*fx = f->fix != NULL ? fix_find(f->fix) : NULL;
	char			*t, *e;
	size_t			 i;

	t = xprintf("%s (%s, %s)\n\n%s\n\nWhy it matters: %s\n\nEvidence:\n",
	    f->check->title, f->check->id, severity_name(f->severity),
	    f->summary, f->check->explanation);
	for (i = 0; i < f->nevidence; i++) {
		e = xprintf("%s  %s\n", t, f->evidence[i]);
		free(t);
		t = e;
	}
	if (fx != NULL)
		e = xprintf("%s\nFix: %s (%s)\n%s\n\nStep 3 (Fix) applies it; "
		    "it is journaled and can be undone.", t, fx->id, fx->title,
		    fx->explanation);
	else
		e = xprintf("%s\nNo offline fix: %s", t, f->fix != NULL ?
		    f->fix : "the evidence above says what to do.");
	free(t);
	return e;
}

/* Under the list, the finding at the cursor: its summary in full (the
 * row is cut at the screen's width) and its fix. */
static void
diag_draw(struct tui_screen *s, int y, int h, int w)
{
	struct diag_state	*st = s->state;
	const struct finding	*fs, *f;
	struct tui_row		*r;
	char			*text;
	size_t			 n;
	int			 ph = h / 3, lh;

	if (st->generation != tui_s.diag_generation)
		diag_build(st);
	lh = (int)st->l.n < h - 1 - ph ? (int)st->l.n : h - 1 - ph;
	if (lh < 1)
		lh = 1;
	st->h = lh;
	tui_list_draw(&st->l, y + 1, 1, lh, w - 2);
	if ((r = tui_list_cur(&st->l)) == NULL || r->id == SIZE_MAX ||
	    tui_s.diag == NULL || h - lh - 2 < 2)
		return;
	fs = diag_findings(tui_s.diag, &n);
	f = &fs[r->id];
	text = xprintf("%s\nFix: %s", f->summary, f->fix != NULL ? f->fix :
	    "none offline (Enter says what to do)");
	tui_panel(y + lh + 1, h - lh - 1, w, text);
	free(text);
}

static enum tui_key
diag_key(struct tui_screen *s, int key)
{
	struct diag_state	*st = s->state;
	const struct finding	*fs;
	struct tui_row		*r;
	size_t			 n;
	char			*text;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		if ((r = tui_list_cur(&st->l)) == NULL || r->id == SIZE_MAX ||
		    tui_s.diag == NULL)
			return TUI_KEY_DONE;
		fs = diag_findings(tui_s.diag, &n);
		text = finding_text(&fs[r->id]);
		tui_view(fs[r->id].check->title, text, 0);
		free(text);
		return TUI_KEY_DONE;
	case 'r':
		tui_diagnose();
		diag_build(st);
		return TUI_KEY_DONE;
	case 'f':
		scr_fixes();
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
diag_screen_free(struct tui_screen *s)
{
	struct diag_state	*st = s->state;

	tui_list_clear(&st->l);
	free(st);
}

void
scr_diagnose(void)
{
	struct tui_screen	 s;
	struct diag_state	*st;

	/* A change since the last diagnosis makes it stale: run again. */
	if ((tui_s.diag == NULL || tui_s.diag_generation != tui_s.generation)
	    && tui_diagnose() != 0 && tui_s.diag == NULL)
		return;
	st = xcalloc(1, sizeof *st);
	diag_build(st);
	memset(&s, 0, sizeof s);
	s.title = "2 Diagnose";
	s.keys = "Enter details  f fix  r again";
	s.help = diagnose_help;
	s.state = st;
	s.draw = diag_draw;
	s.key = diag_key;
	s.free = diag_screen_free;
	tui_push(&s);
}
