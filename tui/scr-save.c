/*
 * scr-save.c: step 5, the ticket: the session's report (the same JSON and
 * text as an unattended plan's, so `report summarize` puts menu and plan
 * runs in one fleet table), the logs archive, then reboot or power off.
 */

#include <sys/stat.h>

#include <curses.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

/* On the ntmend USB system (image/init is PID 1): its version file, the
 * stick's reports folder, and the signals its init takes to reboot
 * (TERM) or power off (USR2), as busybox's reboot and poweroff send. */
#define SAVE_LIVE_MARK	"/etc/ntmend/version"
#define SAVE_STICK_DIR	"/stick/reports"

struct save_state {
	struct tui_list	 l;
	char		*dir;		/* where reports and logs go */
	int		 h;
};

enum save_item {
	SAVE_REPORT,
	SAVE_LOGS,
	SAVE_REBOOT,
	SAVE_POWEROFF,
	SAVE_QUIT
};

static const char save_help[] =
    "Step 5: the ticket. The report holds who the PC is, the findings "
    "before and after, every command the menu ran with its journal and "
    "output: the same files an unattended plan writes "
    "(<computer>-<UTC time>.json and .txt), so 'ntmend report summarize' "
    "lists menu and plan runs together. The logs archive is "
    "'ntmend logs collect': CBS, DISM and Windows Update logs, hive "
    "states and the diagnosis in one zip.\n\n"
    "On the ntmend USB stick both go to the stick's reports folder. "
    "Reboot and power off are offered there; elsewhere, quit and shut "
    "down as usual.";

static int
save_live(void)
{
	return access(SAVE_LIVE_MARK, F_OK) == 0;
}

static void
save_build(struct save_state *st)
{
	tui_list_clear(&st->l);
	tui_list_heading(&st->l, "Reports and logs go to %s", st->dir);
	tui_list_add(&st->l, tui_s.report_saved ? TUI_GOOD : TUI_NORMAL,
	    "Save the report%s", tui_s.report_saved ? " (saved)" : "")->id =
	    SAVE_REPORT;
	tui_list_add(&st->l, TUI_NORMAL, "Save the logs archive (zip)")->id =
	    SAVE_LOGS;
	tui_list_add(&st->l, TUI_NORMAL, "Change the folder (d)")->id =
	    SIZE_MAX;
	tui_list_heading(&st->l, "%s", "");
	if (save_live()) {
		tui_list_add(&st->l, TUI_NORMAL, "Reboot the PC")->id =
		    SAVE_REBOOT;
		tui_list_add(&st->l, TUI_NORMAL, "Power off")->id =
		    SAVE_POWEROFF;
	}
	tui_list_add(&st->l, TUI_NORMAL, "Quit the menu")->id = SAVE_QUIT;
}

static char *
pc_name(void)
{
	const char	*base;

	if (tui_s.have_id && tui_s.id.computer_name != NULL)
		return xstrdup(tui_s.id.computer_name);
	base = tui_s.spec != NULL ? strrchr(tui_s.spec, '/') : NULL;
	return xprintf("unknown-%s", base != NULL ? base + 1 :
	    tui_s.spec != NULL ? tui_s.spec : "pc");
}

/* The session as a plan's report document (cmd-run.c). */
static int
save_report(struct save_state *st)
{
	const struct finding	*fs;
	json_t			*doc, *journals, *step, *v;
	char			*path = NULL, *cause = NULL, *s;
	size_t			 n, serious = 0, i;
	int			 ret;

	if (!tui_s.open) {
		tui_status(TUI_ERROR, "no Windows installation is open");
		return -1;
	}
	/* The findings after are those of the volume now. */
	if ((tui_s.diag == NULL || tui_s.diag_generation != tui_s.generation)
	    && tui_diagnose() != 0)
		return -1;
	fs = diag_findings(tui_s.diag, &n);
	serious = out_findings_count(fs, n);
	journals = json_array();
	json_array_foreach(tui_s.steps, i, step) {
		if (json_is_string(v = json_object_get(step, "journal")))
			json_array_append(journals, v);
	}
	doc = json_object();
	json_object_set_new(doc, "plan", json_string("(menu)"));
	json_object_set_new(doc, "target", json_string(tui_s.spec));
	json_object_set_new(doc, "started", json_string(s =
	    out_time(tui_s.started, 1)));
	free(s);
	json_object_set_new(doc, "pc", json_string(s = pc_name()));
	free(s);
	json_object_set_new(doc, "windows", out_identity_json(&tui_s.id));
	json_object_set(doc, "steps", tui_s.steps);
	json_object_set(doc, "findings_before", tui_s.findings_before);
	json_object_set(doc, "findings_after", tui_s.findings_last);
	json_object_set_new(doc, "journals", journals);
	json_object_set_new(doc, "result", json_string(serious > 0 ?
	    "attention" : "fixed"));
	s = serious > 0 ? xprintf("%zu finding(s) remain", serious) : NULL;
	json_object_set_new(doc, "reason", out_jstr(s));
	free(s);
	json_object_set_new(doc, "finished", json_string(s =
	    out_time(time(NULL), 1)));
	free(s);
	ret = report_write(st->dir, doc, &path, &cause);
	json_decref(doc);
	if (ret != 0) {
		tui_status(TUI_ERROR, "the report cannot be written: %s",
		    cause);
		free(cause);
		return -1;
	}
	tui_s.report_saved = 1;
	tui_status(TUI_GOOD, "report saved: %s", path);
	free(path);
	return 0;
}

static void
save_logs(struct save_state *st)
{
	char	*name, *path, *t;

	name = pc_name();
	t = out_time(time(NULL), 1);
	t[strcspn(t, "Z")] = '\0';
	path = xprintf("%s/%s-logs-%s.zip", st->dir, name, t);
	free(t);
	free(name);
	mkdir(st->dir, 0755);
	tui_runl("5 Logs archive", 0, NULL, "logs", "collect", path, NULL);
	free(path);
}

/* Hand the PC back to the USB system's init: it reboots or powers off. */
static void
save_power(int sig)
{
	if (tui_s.changed && !tui_s.report_saved && !tui_confirm("Report",
	    "No report was saved for the changes made. Go on without one?"))
		return;
	if (!tui_confirm(sig == SIGTERM ? "Reboot" : "Power off",
	    sig == SIGTERM ? "Reboot the PC now?" : "Power the PC off now?"))
		return;
	endwin();
	sync();
	kill(1, sig);
	for (;;)
		pause();
}

static void
save_draw(struct tui_screen *s, int y, int h, int w)
{
	struct save_state	*st = s->state;

	st->h = h - 1;
	tui_list_draw(&st->l, y + 1, 1, h - 1, w - 2);
}

static enum tui_key
save_key(struct tui_screen *s, int key)
{
	struct save_state	*st = s->state;
	struct tui_row		*r = tui_list_cur(&st->l);
	char			*d;
	size_t			 sel;

	if (key == 'd' || (r != NULL && r->id == SIZE_MAX && (key == '\r' ||
	    key == '\n' || key == KEY_ENTER))) {
		d = tui_input("Folder", "Where reports and logs go:", st->dir);
		if (d != NULL && *d != '\0') {
			free(st->dir);
			st->dir = d;
			save_build(st);
		} else
			free(d);
		return TUI_KEY_DONE;
	}
	if (key != '\r' && key != '\n' && key != KEY_ENTER)
		return tui_list_key(&st->l, key, st->h);
	if (r == NULL)
		return TUI_KEY_DONE;
	switch (r->id) {
	case SAVE_REPORT:
		save_report(st);
		break;
	case SAVE_LOGS:
		save_logs(st);
		break;
	case SAVE_REBOOT:
		save_power(SIGTERM);
		break;
	case SAVE_POWEROFF:
		save_power(SIGUSR2);
		break;
	case SAVE_QUIT:
		ungetch('q');	/* the loop's quit, which asks if need be */
		break;
	}
	sel = st->l.sel;
	save_build(st);
	st->l.sel = sel;
	return TUI_KEY_DONE;
}

static void
save_free(struct tui_screen *s)
{
	struct save_state	*st = s->state;

	tui_list_clear(&st->l);
	free(st->dir);
	free(st);
}

void
scr_save(void)
{
	struct tui_screen	 s;
	struct save_state	*st = xcalloc(1, sizeof *st);
	const char		*dir = getenv("NTMEND_REPORTS");

	if (dir != NULL && *dir != '\0')
		st->dir = xstrdup(dir);
	else if (save_live() && access("/stick", W_OK) == 0)
		st->dir = xstrdup(SAVE_STICK_DIR);
	else
		st->dir = xstrdup("ntmend-reports");
	save_build(st);
	memset(&s, 0, sizeof s);
	s.title = "5 Finish";
	s.keys = "Enter do  d folder";
	s.help = save_help;
	s.state = st;
	s.draw = save_draw;
	s.key = save_key;
	s.free = save_free;
	tui_push(&s);
}
