/*
 * scr-packages.c: the CBS package inventory: every package under SOFTWARE
 * Component Based Servicing\Packages with its decoded CurrentState, the
 * servicing stack and latest cumulative update on top, and the packages
 * whose .mum or .cat in servicing\Packages is missing or damaged first,
 * in red, with why. Read in-process (cbs_inventory_read) from the
 * session's read-only target; the consistency check is the `packages
 * check` command, shown as it prints.
 */

#include <curses.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "packages/packages.h"
#include "tui/tui.h"
#include "tui/private.h"

/* Lines above the list: stack, cumulative update, counts, pending. */
#define PKG_TOP		4

struct pkg_state {
	struct tui_list		 l;
	struct cbs_inventory	 inv;
	int			 have;		/* inv was read */
	char			*error;		/* why not */
	unsigned		 generation;
	int			 h;
	int			 wstate;	/* column widths of the rows */
	int			 wversion;
	int			 wlang;		/* 0: every package neutral */
};

static const char pkg_help[] =
    "The packages Windows servicing (CBS) knows, from the SOFTWARE hive's "
    "Component Based Servicing\\Packages key, with each one's state: "
    "Installed, Staged (files ready, not installed), Install Pending "
    "(waits for a restart), Superseded, and the broken ones (Partially "
    "Installed, Installed Invalid ...).\n\n"
    "At the top: the servicing stack (the installer of updates) and the "
    "latest cumulative update.\n\n"
    "Packages in red first: their manifest (.mum) or catalog (.cat) in "
    "Windows\\servicing\\Packages is missing, empty or damaged, and the line "
    "below says why. Windows Update then fails with errors such as "
    "0x800f0831 or 0x8007000d; the fix is to put the files back (Golden "
    "archive, or Fix: package-manifest-corrupt).\n\n"
    "Enter shows a package's details. c runs the full consistency check "
    "(ntmend packages check): damaged files, unfinished operations, "
    "updates waiting for a newer servicing stack. r reads the inventory "
    "again. Nothing here changes the volume.";

/* A package's .mum or .cat is not as its state needs. */
static int
pkg_damaged(const struct cbs_package *p)
{
	return (p->mum.status != CBS_FILE_OK &&
	    p->mum.status != CBS_FILE_NOT_CHECKED) ||
	    (p->cat.status != CBS_FILE_OK &&
	    p->cat.status != CBS_FILE_NOT_CHECKED);
}

/*
 * The identity's fields: name~token~arch~language~version. A row shows
 * the name, the language in a column of its own (a language pack and its
 * neutral package have the same name) and the version; the token is
 * every Microsoft package's and the details show the whole identity.
 * *lang is "" when neutral. Caller frees the name.
 */
static char *
pkg_short(const char *name, char **lang)
{
	char	*s, *f[5], *p;
	size_t	 n = 0;

	s = xstrdup(name);
	for (p = s; n < 5; n++) {
		f[n] = p;
		if ((p = strchr(p, '~')) == NULL) {
			n++;
			break;
		}
		*p++ = '\0';
	}
	if (n != 5) {
		free(s);
		if (lang != NULL)
			*lang = xstrdup("");
		return xstrdup(name);
	}
	if (lang != NULL)
		*lang = xstrdup(f[3]);
	p = xstrdup(f[0]);
	free(s);
	return p;
}

static enum tui_color
pkg_color(const struct cbs_package *p)
{
	if (pkg_damaged(p))
		return TUI_ERROR;
	if (!p->has_state)
		return TUI_DIM;
	/* Waiting for a restart, broken (the negative "Invalid" states),
	 * or a value the chart does not know. */
	if (cbs_state_is_pending(p->state) || ((p->state & 0x80000000u) &&
	    p->state != CBS_STATE_DEFAULT) || cbs_state_name(p->state) ==
	    NULL)
		return TUI_WARN;
	return TUI_NORMAL;
}

static void
pkg_add(struct pkg_state *st, size_t i)
{
	const struct cbs_package	*p = &st->inv.pkgs[i];
	const struct cbs_file		*f;
	char				*state, *name, *lang;
	const char			*role = "";
	int				 k;

	state = cbs_package_state(p);
	name = pkg_short(p->name, &lang);
	if (p->role & CBS_ROLE_LCU)
		role = " [LCU]";
	else if (p->role & CBS_ROLE_SSU)
		role = " [SSU]";
	if (st->wlang > 0)
		tui_list_add(&st->l, pkg_color(p), "%-*s %-*s %-*s %s%s",
		    st->wstate, state, st->wversion, p->version, st->wlang,
		    lang, name, role)->id = i;
	else
		tui_list_add(&st->l, pkg_color(p), "%-*s %-*s %s%s",
		    st->wstate, state, st->wversion, p->version, name,
		    role)->id = i;
	free(lang);
	free(name);
	free(state);
	if (!pkg_damaged(p))
		return;
	/* Why, on a row of its own under it (Enter there opens the same
	 * package). */
	for (k = 0; k < 2; k++) {
		f = k == 0 ? &p->mum : &p->cat;
		if (f->status == CBS_FILE_OK ||
		    f->status == CBS_FILE_NOT_CHECKED)
			continue;
		tui_list_add(&st->l, TUI_ERROR, "    %s %s%s%s",
		    k == 0 ? "manifest (.mum)" : "catalog (.cat)",
		    cbs_file_status_name(f->status), f->reason != NULL ?
		    ": " : "", f->reason != NULL ? f->reason : "")->id = i;
	}
}

static void
pkg_load(struct pkg_state *st)
{
	const struct cbs_package	*p;
	char				*cause = NULL, *s;
	size_t				 i, ndamaged = 0;

	if (st->have)
		cbs_inventory_free(&st->inv);
	st->have = 0;
	free(st->error);
	st->error = NULL;
	tui_list_clear(&st->l);
	st->generation = tui_s.generation;
	if (!tui_s.open) {
		st->error = xstrdup(tui_s.open_error != NULL ?
		    tui_s.open_error : "no Windows installation is open");
		return;
	}
	/* 15,000 packages take a few seconds: say so. */
	attrset(tui_attr(TUI_TITLE));
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, "reading the package inventory...");
	attrset(A_NORMAL);
	refresh();
	if (cbs_inventory_read(tui_s.t.vol, 0, &st->inv, &cause) != 0) {
		st->error = cause != NULL ? cause : xstrdup("unreadable");
		return;
	}
	st->have = 1;
	st->wstate = (int)strlen("STATE");
	st->wversion = (int)strlen("VERSION");
	st->wlang = 0;
	for (i = 0; i < st->inv.npkgs; i++) {
		p = &st->inv.pkgs[i];
		ndamaged += pkg_damaged(p);
		s = cbs_package_state(p);
		if ((int)strlen(s) > st->wstate)
			st->wstate = (int)strlen(s);
		free(s);
		if ((int)strlen(p->version) > st->wversion)
			st->wversion = (int)strlen(p->version);
		free(pkg_short(p->name, &s));
		if ((int)strlen(s) > st->wlang)
			st->wlang = (int)strlen(s);
		free(s);
	}
	if (st->wlang > 0 && st->wlang < (int)strlen("LANG"))
		st->wlang = (int)strlen("LANG");
	if (ndamaged > 0) {
		tui_list_heading(&st->l, "Manifest or catalog missing or "
		    "damaged: %zu", ndamaged);
		for (i = 0; i < st->inv.npkgs; i++) {
			if (pkg_damaged(&st->inv.pkgs[i]))
				pkg_add(st, i);
		}
	}
	if (st->wlang > 0)
		tui_list_heading(&st->l, "%-*s %-*s %-*s %s", st->wstate,
		    "STATE", st->wversion, "VERSION", st->wlang, "LANG",
		    ndamaged > 0 ? "PACKAGE (the others)" : "PACKAGE");
	else
		tui_list_heading(&st->l, "%-*s %-*s %s", st->wstate, "STATE",
		    st->wversion, "VERSION", ndamaged > 0 ?
		    "PACKAGE (the others)" : "PACKAGE");
	for (i = 0; i < st->inv.npkgs; i++) {
		if (!pkg_damaged(&st->inv.pkgs[i]))
			pkg_add(st, i);
	}
	if (st->inv.npkgs == 0)
		tui_list_add(&st->l, TUI_DIM, "no packages registered")->id =
		    SIZE_MAX;
}

/* "KB5033372 Package_for_RollupFix 19041.3803.1.8 (Installed)". */
static char *
pkg_brief(const struct cbs_inventory *inv, ssize_t i)
{
	const struct cbs_package	*p;
	char				*s, *n, *r;

	if (i < 0)
		return xstrdup("none registered");
	p = &inv->pkgs[i];
	s = cbs_package_state(p);
	n = pkg_short(p->name, NULL);
	r = xprintf("%s%s%s %s (%s)", p->package_id != NULL ? p->package_id :
	    "", p->package_id != NULL ? " " : "", n, p->version, s);
	free(n);
	free(s);
	return r;
}

static void
pkg_draw(struct tui_screen *s, int y, int h, int w)
{
	struct pkg_state	*st = s->state;
	const struct cbs_inventory *inv = &st->inv;
	char			*line, *b;
	size_t			 i, ndamaged = 0;

	if (st->generation != tui_s.generation)
		pkg_load(st);
	if (!st->have) {
		attrset(tui_attr(TUI_ERROR));
		line = xprintf("The package inventory cannot be read: %s",
		    st->error);
		tui_put(y + 1, 2, w - 4, line);
		free(line);
		attrset(A_NORMAL);
		st->h = 0;
		return;
	}
	b = pkg_brief(inv, inv->ssu);
	line = xprintf("Servicing stack    %s, update %s", inv->ss_version !=
	    NULL ? inv->ss_version : "unknown", b);
	tui_put(y, 1, w - 2, line);
	free(line);
	free(b);
	b = pkg_brief(inv, inv->lcu);
	line = xprintf("Cumulative update  %s", b);
	tui_put(y + 1, 1, w - 2, line);
	free(line);
	free(b);
	for (i = 0; i < inv->npkgs; i++)
		ndamaged += pkg_damaged(&inv->pkgs[i]);
	attrset(tui_attr(ndamaged > 0 ? TUI_ERROR : TUI_GOOD));
	line = xprintf("Packages           %zu, %zu checked, %zu with a "
	    "missing or damaged manifest or catalog", inv->npkgs,
	    inv->nchecked, ndamaged);
	tui_put(y + 2, 1, w - 2, line);
	free(line);
	if (inv->nmarkers > 0) {
		attrset(tui_attr(TUI_WARN));
		line = xprintf("Pending            %zu signs of an unfinished "
		    "operation: c lists them", inv->markers_total);
	} else if (inv->nwarnings > 0) {
		attrset(tui_attr(TUI_WARN));
		line = xprintf("Warning            %s", inv->warnings[0]);
	} else {
		attrset(tui_attr(TUI_DIM));
		line = xstrdup("Pending            no unfinished operation");
	}
	tui_put(y + 3, 1, w - 2, line);
	free(line);
	attrset(A_NORMAL);
	st->h = h - PKG_TOP - 1;
	tui_list_draw(&st->l, y + PKG_TOP + 1, 1, st->h, w - 2);
}

static void
pkg_file_text(char **t, const char *what, const struct cbs_file *f)
{
	char	*d, *sz;

	if (f->status == CBS_FILE_NOT_CHECKED) {
		d = xprintf("%s%-18snot checked (its state needs none)\n", *t,
		    what);
		free(*t);
		*t = d;
		return;
	}
	sz = out_size(f->size);
	d = xprintf("%s%-18s%s\n%-18s%s (%s)%s%s\n", *t, what, f->path, "",
	    cbs_file_status_name(f->status), sz, f->reason != NULL ? ": " :
	    "", f->reason != NULL ? f->reason : "");
	free(sz);
	free(*t);
	*t = d;
}

static void
pkg_details(const struct cbs_package *p)
{
	char		*t, *d, *state, *time;
	const char	*hr;

	state = cbs_package_state(p);
	time = p->install_time != 0 ? out_time(p->install_time, 0) :
	    xstrdup("-");
	hr = p->has_last_error ? logscan_hresult_name(p->last_error) : NULL;
	t = xprintf("%-18s%s\n%-18s%s\n%-18s%s (CurrentState 0x%x)\n"
	    "%-18s%s\n%-18s%s\n%-18s%s\n\n",
	    "Package", p->name, "Version", p->version, "State", state,
	    p->has_state ? p->state : 0, "Type", p->release_type != NULL ?
	    p->release_type : "-", "Identifier", p->package_id != NULL ?
	    p->package_id : "-", "Role", p->role & CBS_ROLE_LCU ?
	    "latest cumulative update" : p->role & CBS_ROLE_SSU ?
	    "servicing stack update" : "-");
	d = xprintf("%s%-18s%s\n%-18s%s\n%-18s%s\n%-18s%s\n%-18s%s\n",
	    t, "Install time", time, "Install name", p->install_name != NULL ?
	    p->install_name : "-", "From", p->install_location != NULL ?
	    p->install_location : "-", "By", p->install_client != NULL ?
	    p->install_client : "-", "Visibility", !p->has_visibility ? "-" :
	    p->visibility == 1 ? "visible" : p->visibility == 2 ? "hidden" :
	    "other");
	free(t);
	t = d;
	if (p->has_last_error)
		d = xprintf("%s%-18s0x%08x%s%s\n", t, "Last error",
		    p->last_error, hr != NULL ? " " : "", hr != NULL ? hr : "");
	else
		d = xprintf("%s%-18s-\n", t, "Last error");
	free(t);
	t = d;
	if (p->ss_required != NULL) {
		d = xprintf("%s%-18s%s%s\n", t, "Needs stack", p->ss_required,
		    strcmp(p->ss_required, MUM_SS_PLACEHOLDER) == 0 ?
		    " (any)" : "");
		free(t);
		t = d;
	}
	d = xprintf("%s\n", t);
	free(t);
	t = d;
	pkg_file_text(&t, "Manifest (.mum)", &p->mum);
	pkg_file_text(&t, "Catalog (.cat)", &p->cat);
	tui_view(p->name, t, 1);
	free(t);
	free(time);
	free(state);
}

static enum tui_key
pkg_key(struct tui_screen *s, int key)
{
	struct pkg_state	*st = s->state;
	struct tui_row		*r;
	int			 status;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		if (!st->have || (r = tui_list_cur(&st->l)) == NULL ||
		    r->id >= st->inv.npkgs)
			return TUI_KEY_DONE;
		pkg_details(&st->inv.pkgs[r->id]);
		return TUI_KEY_DONE;
	case 'c':
		/* Read-only: the command opens the target as we do. */
		status = tui_runl("Package consistency check", 0, NULL,
		    "packages", "check", NULL);
		if (status == NTM_OK)
			tui_status(TUI_GOOD, "packages check: no problems");
		else if (status == NTM_WARN)
			tui_status(TUI_WARN, "packages check found problems "
			    "(Diagnose and Fix repair them)");
		else if (status >= 0)
			tui_status(TUI_ERROR, "packages check failed (exit "
			    "status %d)", status);
		return TUI_KEY_DONE;
	case 'r':
		pkg_load(st);
		return TUI_KEY_DONE;
	}
	if (!st->have)
		return TUI_KEY_PASS;
	return tui_list_key(&st->l, key, st->h);
}

static void
pkg_free(struct tui_screen *s)
{
	struct pkg_state	*st = s->state;

	tui_list_clear(&st->l);
	if (st->have)
		cbs_inventory_free(&st->inv);
	free(st->error);
	free(st);
}

void
scr_packages(void)
{
	struct tui_screen	 s;
	struct pkg_state	*st = xcalloc(1, sizeof *st);

	pkg_load(st);
	memset(&s, 0, sizeof s);
	s.title = "Packages";
	s.keys = "Enter details  / search  c check";
	s.help = pkg_help;
	s.state = st;
	s.draw = pkg_draw;
	s.key = pkg_key;
	s.free = pkg_free;
	tui_push(&s);
}
