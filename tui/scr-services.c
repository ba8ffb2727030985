/*
 * scr-services.c: the services and drivers of the current control set,
 * read in-process from a read-only checkout of the SYSTEM hive
 * (services_list); the update services first, third-party ones on a
 * filter, a detail view per service. Changing a start type runs
 * 'services set NAME START', putting the update services back runs
 * 'services reset': both journaled by the command, never written here.
 */

#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tui/tui.h"
#include "tui/private.h"

/* Name column: the longest update service (TrustedInstaller) and most
 * vendor agents fit; longer names are cut with '~' (the detail view and
 * search have them whole). */
#define SVC_NAME_COLS	22

struct svc_state {
	struct tui_list		 l;
	int			 h;		/* list rows shown */

	int			 loaded;
	unsigned		 generation;	/* tui_s's when loaded */
	char			*error;		/* why nothing is listed */
	char			*warning;	/* the hive's, or NULL */
	struct service_list	 sl;
	struct service_issue	*issues;	/* update services that cannot
						   start */
	size_t			 nissues;
	size_t			 third;		/* third-party count */

	int			 third_only;	/* 't' */
	int			 detail;	/* showing one service */
	size_t			 cur;		/* its index in sl */
	int			 scroll;	/* of the detail view */
};

static const char svc_help[] =
    "The services and drivers Windows starts, as the SYSTEM hive's current "
    "control set lists them (read-only until you change one).\n\n"
    "U marks the services Windows Update needs (Windows Update, BITS, the "
    "Update Medic and Orchestrator, Windows Modules Installer, "
    "Cryptographic Services, Windows Installer). Red: disabled, or its "
    "key is broken so that it cannot start; r puts those back to "
    "Windows' defaults (you see the changes first).\n\n"
    "Vendor: Microsoft or third-party, judged by where the program lives "
    "(the detail view says why). Antivirus and management agents that "
    "start automatically are yellow: they often hold files open that "
    "updates need to replace. t shows only the third-party ones.\n\n"
    "Enter opens a service: its program, account, ServiceDll, group. s "
    "(or Enter in the detail) changes its start type:\n"
    "  boot, system  drivers only, loaded while Windows starts\n"
    "  auto          Automatic: starts with Windows\n"
    "  delayed       Automatic (Delayed Start): shortly after logon\n"
    "  demand        Manual: started when needed (most update services)\n"
    "  disabled      never starts\n\n"
    "Every change is journaled: 'Journal and undo' takes it back.";

static void
svc_unload(struct svc_state *st)
{
	if (st->loaded) {
		services_list_free(&st->sl);
		service_issues_free(st->issues, st->nissues);
	}
	st->issues = NULL;
	st->nissues = 0;
	st->third = 0;
	free(st->error);
	st->error = NULL;
	free(st->warning);
	st->warning = NULL;
	st->loaded = 0;
}

/* The issue (if any) found for an update service. */
static const struct service_issue *
svc_issue(struct svc_state *st, const char *name)
{
	size_t	i;

	for (i = 0; i < st->nissues; i++) {
		if (strcasecmp(st->issues[i].name, name) == 0)
			return &st->issues[i];
	}
	return NULL;
}

static void
svc_row(struct svc_state *st, size_t i)
{
	const struct service	*s = &st->sl.svcs[i];
	enum tui_color		 c = TUI_NORMAL;
	char			*start, name[SVC_NAME_COLS + 1];
	int			 update = s->known_name != NULL;

	if (strlen(s->name) > SVC_NAME_COLS) {
		memcpy(name, s->name, SVC_NAME_COLS - 1);
		name[SVC_NAME_COLS - 1] = '~';
		name[SVC_NAME_COLS] = '\0';
	} else
		snprintf(name, sizeof name, "%s", s->name);
	start = svc_issue(st, s->name) != NULL &&
	    s->start != SERVICE_DISABLED ? xstrdup("broken") :
	    service_start_name(s->start, s->delayed);
	if (update)
		c = svc_issue(st, s->name) != NULL ? TUI_ERROR : TUI_GOOD;
	else if (s->third_party && s->start == SERVICE_AUTO)
		c = TUI_WARN;
	tui_list_add(&st->l, c, "%s %-*s %-9s %-11s %s", update ? "U" : " ",
	    SVC_NAME_COLS, name, start, s->third_party ? "third-party" :
	    "Microsoft", service_display(s))->id = i;
	free(start);
}

/* The rows, keeping the cursor on the service it was on. */
static void
svc_build(struct svc_state *st, const char *keep)
{
	size_t	i, n;

	tui_list_clear(&st->l);
	if (!st->loaded)
		return;
	if (st->third_only) {
		tui_list_heading(&st->l, "Third-party services and drivers "
		    "(t: show all)");
		for (i = n = 0; i < st->sl.n; i++) {
			if (st->sl.svcs[i].third_party) {
				svc_row(st, i);
				n++;
			}
		}
		if (n == 0)
			tui_list_add(&st->l, TUI_DIM, "  none: every service "
			    "and driver is Microsoft's")->id = SIZE_MAX;
	} else {
		tui_list_heading(&st->l, "Services Windows Update needs");
		for (i = 0; i < st->sl.n; i++) {
			if (st->sl.svcs[i].known_name != NULL)
				svc_row(st, i);
		}
		tui_list_heading(&st->l, "All other services and drivers");
		for (i = 0; i < st->sl.n; i++) {
			if (st->sl.svcs[i].known_name == NULL)
				svc_row(st, i);
		}
	}
	if (keep == NULL)
		return;
	for (i = 0; i < st->l.n; i++) {
		if (!st->l.rows[i].header && st->l.rows[i].id < st->sl.n &&
		    strcasecmp(st->sl.svcs[st->l.rows[i].id].name, keep) ==
		    0) {
			st->l.sel = i;
			break;
		}
	}
}

/* Read the services from a read-only checkout of SYSTEM (again after a
 * change: the session's volume was closed and opened anew). */
static void
svc_load(struct svc_state *st)
{
	struct hive	*h = NULL;
	char		*cause = NULL, *keep = NULL;
	const char	*w;
	size_t		 i;

	if (st->loaded && st->detail && st->cur < st->sl.n)
		keep = xstrdup(st->sl.svcs[st->cur].name);
	else if (tui_list_cur(&st->l) != NULL &&
	    tui_list_cur(&st->l)->id < st->sl.n)
		keep = xstrdup(st->sl.svcs[tui_list_cur(&st->l)->id].name);
	svc_unload(st);
	st->generation = tui_s.generation;
	if (!tui_s.open) {
		st->error = xprintf("The Windows installation is not open: %s",
		    tui_s.open_error != NULL ? tui_s.open_error : "?");
		goto out;
	}
	attrset(tui_attr(TUI_TITLE));
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, "reading the SYSTEM hive...");
	attrset(A_NORMAL);
	refresh();
	if (hive_checkout(tui_s.t.vol, hive_volume_path(HIVE_SYSTEM), &h,
	    &cause) != 0 || services_list(h, &st->sl, &cause) != 0) {
		st->error = xprintf("The services cannot be read: %s", cause);
		free(cause);
		goto out;
	}
	st->loaded = 1;
	if ((w = hive_warning(h)) != NULL)
		st->warning = xstrdup(w);
	/* The same judgement as diagnose's update-services-disabled. */
	if (services_check_update(h, tui_s.have_id ? tui_s.id.build : 0,
	    &st->issues, &st->nissues, &cause) != 0) {
		free(st->warning);
		st->warning = xprintf("the update services could not be "
		    "checked: %s", cause);
		free(cause);
	}
	for (i = 0; i < st->sl.n; i++) {
		if (st->sl.svcs[i].third_party)
			st->third++;
	}
out:
	hive_close(h);
	svc_build(st, keep);
	st->cur = SIZE_MAX;
	if (keep != NULL && st->detail) {
		for (i = 0; st->loaded && i < st->sl.n; i++) {
			if (strcasecmp(st->sl.svcs[i].name, keep) == 0)
				st->cur = i;
		}
	}
	if (st->cur == SIZE_MAX)
		st->detail = 0;
	free(keep);
}

/* The selected service, or NULL. */
static const struct service *
svc_selected(struct svc_state *st)
{
	struct tui_row	*r;

	if (st->detail)
		return st->cur < st->sl.n ? &st->sl.svcs[st->cur] : NULL;
	if ((r = tui_list_cur(&st->l)) == NULL || r->id >= st->sl.n)
		return NULL;
	return &st->sl.svcs[r->id];
}

/* Where the detail view draws: its lines are numbered from 0 and shown
 * from the scroll on, in rows lines. */
struct svc_page {
	int	 y;		/* screen line of the first row */
	int	 rows;
	int	 scroll;
	int	 w;
	int	 line;		/* the next line's number */
};

/* One "label  value" field, the value wrapped under itself. */
static void
svc_field(struct svc_page *pg, const char *label, const char *value,
    enum tui_color c)
{
	char	**lines;
	size_t	  n, i;
	int	  lw = 16, at;

	n = tui_wrap(value != NULL ? value : "-", pg->w - lw, &lines);
	for (i = 0; i < n; i++) {
		at = pg->line++ - pg->scroll;
		if (at >= 0 && at < pg->rows) {
			if (i == 0) {
				attrset(A_BOLD);
				tui_put(pg->y + at, 2, lw, label);
			}
			attrset(tui_attr(c));
			tui_put(pg->y + at, 2 + lw, pg->w - lw, lines[i]);
		}
		free(lines[i]);
	}
	free(lines);
	attrset(A_NORMAL);
}

/* The detail view from st->scroll on; returns its length in lines. */
static int
svc_detail_page(struct svc_state *st, int y, int h, int w)
{
	const struct service		*s = &st->sl.svcs[st->cur];
	const struct service_issue	*is = svc_issue(st, s->name);
	struct svc_page			 pg;
	char				*start, *type, *t, *ev = NULL;
	size_t				 i;

	pg.y = y + 1;
	pg.rows = h - 1;
	pg.scroll = st->scroll;
	pg.w = w - 4;
	pg.line = 0;
	start = service_start_name(s->start, s->delayed);
	if (s->start != SERVICE_NONE) {
		t = xprintf("%s (Start = %u%s)", start, s->start, s->delayed ?
		    ", DelayedAutostart = 1" : "");
		free(start);
		start = t;
	}
	type = service_type_name(s->type);
	svc_field(&pg, "Name", s->name, TUI_NORMAL);
	svc_field(&pg, "Display name", service_display(s), TUI_NORMAL);
	if (s->display_name != NULL &&
	    strcmp(s->display_name, service_display(s)) != 0)
		svc_field(&pg, "  as stored", s->display_name, TUI_DIM);
	svc_field(&pg, "Start type", start, s->start == SERVICE_DISABLED &&
	    s->known_name != NULL ? TUI_ERROR : TUI_NORMAL);
	svc_field(&pg, "Type", type, TUI_NORMAL);
	svc_field(&pg, "Image path", s->image_path, TUI_NORMAL);
	svc_field(&pg, "Account", s->object_name, TUI_NORMAL);
	svc_field(&pg, "ServiceDll", s->service_dll, TUI_NORMAL);
	svc_field(&pg, "Group", s->group, TUI_NORMAL);
	t = xprintf("%s: %s", s->third_party ? "third-party" : "Microsoft",
	    s->vendor_evidence != NULL ? s->vendor_evidence : "?");
	svc_field(&pg, "Vendor", t, s->third_party ? TUI_WARN : TUI_NORMAL);
	free(t);
	if (s->known_name != NULL) {
		svc_field(&pg, "Update service", is == NULL ? "yes, and it "
		    "can start" : is->disabled ? "yes, and it is disabled: "
		    "Windows Update fails without it (r resets the update "
		    "services)" : "yes, and its key is broken: it cannot "
		    "start (r resets the update services)", is == NULL ?
		    TUI_GOOD : TUI_ERROR);
		for (i = 0; is != NULL && i < is->nevidence; i++) {
			t = xprintf("%s%s%s", ev != NULL ? ev : "", ev != NULL ?
			    "\n" : "", is->evidence[i]);
			free(ev);
			ev = t;
		}
		if (ev != NULL)
			svc_field(&pg, "Evidence", ev, TUI_ERROR);
		free(ev);
	}
	pg.line++;
	svc_field(&pg, "", "Enter or s: change the start type.  Up/Down: "
	    "scroll.  Esc: back to the list.", TUI_DIM);
	free(start);
	free(type);
	return pg.line;
}

static void
svc_draw_detail(struct svc_state *st, int y, int h, int w)
{
	int	lines, i;

	lines = svc_detail_page(st, y, h, w);
	/* Scrolled past the end (or the terminal grew): back within it,
	 * and drawn again so that no key is needed to see it. */
	if (st->scroll > 0 && lines - st->scroll < h - 1) {
		st->scroll = lines > h - 1 ? lines - (h - 1) : 0;
		for (i = y; i < y + h; i++) {
			move(i, 0);
			clrtoeol();
		}
		svc_detail_page(st, y, h, w);
	}
}

static void
svc_draw(struct tui_screen *s, int y, int h, int w)
{
	struct svc_state	*st = s->state;
	char			*line, *names = NULL, *t;
	int			 row = y;
	size_t			 i;

	if (!st->loaded || st->generation != tui_s.generation)
		svc_load(st);
	s->keys = st->detail ? "Enter/s start type" :
	    "Enter detail  s start  t third-party  r reset";
	if (st->error != NULL) {
		attrset(tui_attr(TUI_ERROR));
		tui_put(y + 1, 2, w - 4, st->error);
		attrset(A_NORMAL);
		return;
	}
	if (st->detail) {
		svc_draw_detail(st, y, h, w);
		return;
	}
	line = xprintf("%s: %zu services and drivers, %zu third-party%s",
	    st->sl.control_set, st->sl.n, st->third, st->third_only ?
	    " (only those shown)" : "");
	tui_put(row++, 2, w - 4, line);
	free(line);
	for (i = 0; i < st->nissues; i++) {
		t = xprintf("%s%s%s %s", names != NULL ? names : "",
		    names != NULL ? ", " : "", st->issues[i].name,
		    st->issues[i].disabled ? "disabled" :
		    st->issues[i].missing ? "missing" : "broken");
		free(names);
		names = t;
	}
	if (names != NULL) {
		attrset(tui_attr(TUI_ERROR));
		line = xprintf("Update services: %s", names);
		if (tui_width(line) + 16 <= (size_t)(w - 4)) {
			t = xprintf("%s (r resets them)", line);
			free(line);
			line = t;
		}
	} else {
		attrset(tui_attr(TUI_GOOD));
		line = xstrdup("Update services (U): none disabled or broken.");
	}
	tui_put(row++, 2, w - 4, line);
	free(line);
	free(names);
	if (st->warning != NULL) {
		attrset(tui_attr(TUI_WARN));
		line = xprintf("warning: %s", st->warning);
		tui_put(row++, 2, w - 4, line);
		free(line);
	}
	attrset(tui_attr(TUI_DIM));
	line = xprintf("  %-*s %-9s %-11s %s", SVC_NAME_COLS, "NAME", "START",
	    "VENDOR", "DISPLAY NAME");
	tui_put(row++, 2, w - 4, line);
	free(line);
	attrset(A_NORMAL);
	st->h = y + h - row;
	tui_list_draw(&st->l, row, 2, st->h, w - 4);
}

/* s: pick a start type and run 'services set'. */
static void
svc_set_start(struct svc_state *st)
{
	static const char *const names[] = { "boot", "system", "auto",
	    "delayed", "demand", "disabled" };
	static const char *const items[] = {
	    "boot      drivers: loaded by the boot loader",
	    "system    drivers: loaded while the kernel starts",
	    "auto      Automatic: starts with Windows",
	    "delayed   Automatic (Delayed Start): shortly after logon",
	    "demand    Manual: started when something needs it",
	    "disabled  Disabled: never starts",
	};
	const struct service	*s = svc_selected(st);
	char			*title, *q, *name, *cur;
	size_t			 first, initial;
	int			 pick;

	if (s == NULL)
		return;
	/* boot and system start only drivers: services_set refuses them
	 * for a service, so they are not offered. */
	first = SERVICE_IS_DRIVER(s->type) ? 0 : 2;
	cur = service_start_name(s->start, s->delayed);
	initial = 4;
	for (pick = 0; pick < 6; pick++) {
		if (strcmp(names[pick], cur) == 0)
			initial = (size_t)pick;
	}
	if (initial < first)
		initial = 4;
	title = xprintf("Start type of %s (now %s)", s->name, cur);
	pick = tui_pick(title, items + first, 6 - first, initial - first);
	free(title);
	if (pick < 0) {
		free(cur);
		return;
	}
	pick += (int)first;
	if (strcmp(names[pick], cur) == 0 && s->start != SERVICE_NONE) {
		tui_status(TUI_NORMAL, "%s is already %s", s->name, cur);
		free(cur);
		return;
	}
	q = xprintf("Change the start type of %s (%s) from %s to %s? The "
	    "change is journaled: undo takes it back.", s->name,
	    service_display(s), cur, names[pick]);
	free(cur);
	if (!tui_confirm("Change start type", q)) {
		free(q);
		return;
	}
	free(q);
	/* s points into the list, which the run makes stale. */
	name = xstrdup(s->name);
	tui_runl("Change start type", TUI_RUN_CHANGES, NULL, "services",
	    "set", name, names[pick], NULL);
	free(name);
}

/* r: show what 'services reset' would change, then run it. */
static void
svc_reset(void)
{
	char	*out = NULL;
	int	 r;

	r = tui_runl("Reset update services: checking", TUI_RUN_QUIET, &out,
	    "--dry-run", "services", "reset", NULL);
	if (r < 0)
		goto out;
	if (r > NTM_WARN) {
		tui_view("Reset update services: the check failed", out, 1);
		goto out;
	}
	if (strstr(out, "nothing to change") != NULL) {
		tui_status(TUI_GOOD, "The update services are all healthy: "
		    "nothing to reset");
		goto out;
	}
	tui_view("Reset update services: what would change (nothing is "
	    "written yet)", out, 1);
	if (tui_confirm("Reset update services", "Put the update services "
	    "shown back to Windows' defaults? The change is journaled: undo "
	    "takes it back."))
		tui_runl("Reset update services", TUI_RUN_CHANGES, NULL,
		    "services", "reset", NULL);
out:
	free(out);
}

static enum tui_key
svc_key(struct tui_screen *s, int key)
{
	struct svc_state	*st = s->state;
	struct tui_row		*r;

	if (st->error != NULL)
		return TUI_KEY_PASS;
	if (st->detail) {
		switch (key) {
		case '\r':
		case '\n':
		case KEY_ENTER:
		case 's':
			svc_set_start(st);
			return TUI_KEY_DONE;
		case 27:
		case KEY_LEFT:
			st->detail = 0;
			st->scroll = 0;
			return TUI_KEY_DONE;
		case KEY_UP:
		case 'k':
			if (st->scroll > 0)
				st->scroll--;
			return TUI_KEY_DONE;
		case KEY_DOWN:
		case 'j':
			st->scroll++;
			return TUI_KEY_DONE;
		case 'r':
			svc_reset();
			return TUI_KEY_DONE;
		}
		return TUI_KEY_PASS;
	}
	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		if ((r = tui_list_cur(&st->l)) == NULL || r->id >= st->sl.n)
			return TUI_KEY_DONE;
		st->cur = r->id;
		st->detail = 1;
		st->scroll = 0;
		return TUI_KEY_DONE;
	case 's':
		svc_set_start(st);
		return TUI_KEY_DONE;
	case 't':
		r = tui_list_cur(&st->l);
		st->third_only = !st->third_only;
		svc_build(st, r != NULL && r->id < st->sl.n ?
		    st->sl.svcs[r->id].name : NULL);
		tui_status(TUI_NORMAL, "%s", st->third_only ? "showing only "
		    "third-party services and drivers (t: all)" :
		    "showing all services and drivers");
		return TUI_KEY_DONE;
	case 'r':
		svc_reset();
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
svc_free(struct tui_screen *s)
{
	struct svc_state	*st = s->state;

	svc_unload(st);
	tui_list_clear(&st->l);
	free(st);
}

void
scr_services(void)
{
	struct tui_screen	 s;
	struct svc_state	*st = xcalloc(1, sizeof *st);

	st->cur = SIZE_MAX;
	memset(&s, 0, sizeof s);
	s.title = "Services";
	s.keys = "Enter detail  s start  t third-party  r reset";
	s.help = svc_help;
	s.state = st;
	s.draw = svc_draw;
	s.key = svc_key;
	s.free = svc_free;
	tui_push(&s);
}
