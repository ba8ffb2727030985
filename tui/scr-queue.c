/*
 * scr-queue.c: the next-boot queue, what 'stage ls' and 'stage status'
 * answer (the steps in the order Windows runs them, whether each applies,
 * the runner's state and the last boot's results), and changes to it
 * through 'stage add' and 'stage rm', journaled like every change.
 */

#include <sys/stat.h>

#include <curses.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

/* Where update packages are looked for: the folder the menu was started
 * in, and the USB stick's FAT partition as the ntmend system mounts it. */
static const char *const queue_dirs[] = { ".", "/stick" };

/* The package last added, offered again (the next one is often beside
 * it). */
static char	*queue_last;

struct queue_state {
	struct tui_list	 l;
	int		 h;
	json_t		*ls;		/* stage ls --json, or NULL */
	json_t		*status;	/* stage status --json, or NULL */
	char		*error;		/* why they could not be read */
	unsigned	 gen;		/* tui_s.generation they were read at */
};

static const char queue_help[] =
    "Next-boot queue: update packages (.msu, .cab) and commands that "
    "Windows runs at its next boot, before the logon screen, as SYSTEM "
    "(SYSTEM\\Setup SetupType 2 starts ntmend\\queue\\run.cmd). For a PC "
    "whose updates fail in Windows Update: the packages are installed "
    "with DISM by Windows itself, offline of Windows Update.\n\n"
    "The list is the order they run in: servicing stack updates (ssu) "
    "first, then other updates, cumulative updates (lcu), then the "
    "commands. Each package is checked against this installation: its "
    "build family, architecture, and the servicing stack it needs (a "
    "cumulative update needing a newer stack is refused unless its SSU "
    "is queued in the same step or before). A refusal is shown as "
    "ntmend prints it; nothing is written then.\n\n"
    "a adds a package: those in the folder the menu started in and on "
    "the stick (/stick) are listed, or type a path. What would be queued "
    "is shown first, then you confirm.\n"
    "c adds a command, a cmd.exe line such as DISM /Online "
    "/Cleanup-Image /RestoreHealth, run after the packages.\n"
    "d removes the step under the cursor; removing the last one disarms "
    "the runner.\n"
    "Enter shows a step in full, with its result after Windows ran it "
    "(exit code, its last line of output).\n\n"
    "After the boot the runner puts SYSTEM\\Setup back and restarts "
    "only when a package asks for it; start the stick again to see the "
    "results here. Every change is journaled: 'Journal and undo' takes "
    "it back (before Windows ran the queue).";

static const char *
jstr(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

/* The status answer's step with this id, or NULL. */
static json_t *
queue_result(struct queue_state *st, json_int_t id)
{
	json_t	*steps = json_object_get(st->status, "steps"), *v;
	size_t	 i;

	json_array_foreach(steps, i, v) {
		if (json_integer_value(json_object_get(v, "id")) == id)
			return v;
	}
	return NULL;
}

/* One word for a step: queued, ok, FAILED, or started (no exit code). */
static const char *
queue_word(json_t *res, enum tui_color *c)
{
	if (res == NULL || json_integer_value(json_object_get(res,
	    "attempts")) == 0) {
		*c = TUI_NORMAL;
		return "queued";
	}
	if (json_is_null(json_object_get(res, "exit_code"))) {
		*c = TUI_WARN;
		return "started";
	}
	if (json_is_true(json_object_get(res, "ok"))) {
		*c = TUI_GOOD;
		return "ok";
	}
	*c = TUI_ERROR;
	return "FAILED";
}

static void
queue_build(struct queue_state *st)
{
	json_t		*q = json_object_get(st->ls, "queue"), *v, *res;
	size_t		 i;
	const char	*word, *why;
	enum tui_color	 c;
	json_int_t	 id;

	tui_list_clear(&st->l);
	if (st->ls == NULL)
		return;
	tui_list_heading(&st->l, "The queue, in the order it runs");
	json_array_foreach(q, i, v) {
		id = json_integer_value(json_object_get(v, "id"));
		res = queue_result(st, id);
		word = queue_word(res, &c);
		why = jstr(v, "why_not", NULL);
		if (why != NULL || json_is_false(json_object_get(v,
		    "present")))
			c = TUI_ERROR;
		if (json_object_get(v, "command") != NULL)
			tui_list_add(&st->l, c, "%02lld %-7s %-7s %s",
			    (long long)id, "command", word,
			    jstr(v, "command", "?"))->data = v;
		else
			tui_list_add(&st->l, c, "%02lld %-7s %-7s %s  %s%s%s",
			    (long long)id, jstr(v, "role", "?"), word,
			    jstr(v, "kb", "(no KB)"), jstr(v, "file", "?"),
			    why != NULL ? ": does not apply: " : "",
			    why != NULL ? why : "")->data = v;
	}
	if (json_array_size(q) == 0)
		tui_list_add(&st->l, TUI_DIM, "empty: a adds an update package, "
		    "c a command");
}

/* Read the queue and the last boot's results (read-only commands). */
static void
queue_load(struct queue_state *st)
{
	char	*cause = NULL;

	json_decref(st->ls);
	json_decref(st->status);
	free(st->error);
	st->error = NULL;
	st->status = NULL;
	st->gen = tui_s.generation;
	if ((st->ls = tui_jsonl(&cause, "stage", "ls", NULL)) == NULL) {
		st->error = cause;
		cause = NULL;
	} else if ((st->status = tui_jsonl(&cause, "stage", "status",
	    NULL)) == NULL) {
		st->error = cause;
		cause = NULL;
	}
	queue_build(st);
}

/* The runner's state in words. */
static char *
queue_runner(struct queue_state *st, enum tui_color *c)
{
	const char	*r = jstr(st->ls, "runner", "?");
	size_t		 n = json_array_size(json_object_get(st->ls, "queue"));

	*c = TUI_NORMAL;
	if (strcmp(r, "armed") == 0) {
		*c = TUI_GOOD;
		return xprintf("armed: Windows runs the %zu step(s) at its "
		    "next boot", n);
	}
	if (strcmp(r, "other") == 0) {
		*c = TUI_WARN;
		return xprintf("SYSTEM\\Setup holds another command (SetupType "
		    "%lld, CmdLine '%s'): ntmend will not take it over",
		    json_integer_value(json_object_get(st->ls, "setup_type")),
		    jstr(st->ls, "cmdline", ""));
	}
	if (n > 0) {
		*c = TUI_WARN;
		return xstrdup("not armed: Windows will not run the queue "
		    "(it ran already, or SYSTEM\\Setup was reset)");
	}
	return xstrdup("idle: nothing runs at the next boot");
}

/* The last boot, from stage status. */
static char *
queue_last_run(struct queue_state *st, enum tui_color *c)
{
	json_t		*s = st->status;
	const char	*state = jstr(s, "state", "?");
	char		*line;

	json_t		*v;
	size_t		 i, failed = 0;

	*c = TUI_NORMAL;
	if (strcmp(state, "empty") == 0 || strcmp(state, "not-run") == 0)
		return xstrdup("not run yet");
	json_array_foreach(json_object_get(s, "steps"), i, v) {
		if (json_is_integer(json_object_get(v, "exit_code")) &&
		    !json_is_true(json_object_get(v, "ok")))
			failed++;
	}
	line = xprintf("%s, %lld attempt(s) of %lld; %zu step(s) failed%s%s",
	    state, json_integer_value(json_object_get(s, "attempts")),
	    json_integer_value(json_object_get(s, "max_attempts")), failed,
	    json_is_true(json_object_get(s, "setup_reset")) ? "; Setup put "
	    "back" : "; Setup NOT put back",
	    json_is_true(json_object_get(s, "restarted")) ? "; restarted to "
	    "finish installing" : "");
	*c = strcmp(state, "finished") == 0 && failed == 0 ? TUI_GOOD :
	    TUI_ERROR;
	return line;
}

static void
queue_draw(struct tui_screen *s, int y, int h, int w)
{
	struct queue_state	*st = s->state;
	enum tui_color		 c;
	char			*line;
	int			 row = y + 1;

	if (st->gen != tui_s.generation)
		queue_load(st);
	if (st->ls == NULL || st->error != NULL) {
		attrset(tui_attr(TUI_ERROR));
		line = xprintf("The queue cannot be read: %s", st->error !=
		    NULL ? st->error : "?");
		tui_put(row, 2, w - 4, line);
		free(line);
		attrset(A_NORMAL);
		if (st->ls == NULL)
			return;
		row++;
	}
	attrset(A_BOLD);
	tui_put(row, 2, 10, "Windows");
	attrset(A_NORMAL);
	line = xprintf("%s %s, servicing stack %s", jstr(st->ls, "version",
	    "(build unknown)"), jstr(st->ls, "arch", "?"), jstr(st->ls,
	    "servicing_stack", "unknown"));
	tui_put(row++, 12, w - 14, line);
	free(line);
	attrset(A_BOLD);
	tui_put(row, 2, 10, "Runner");
	line = queue_runner(st, &c);
	attrset(tui_attr(c));
	tui_put(row++, 12, w - 14, line);
	free(line);
	if (st->status != NULL) {
		attrset(A_BOLD);
		tui_put(row, 2, 10, "Last boot");
		line = queue_last_run(st, &c);
		attrset(tui_attr(c));
		tui_put(row++, 12, w - 14, line);
		free(line);
	}
	attrset(A_NORMAL);
	row++;
	st->h = y + h - row;
	tui_list_draw(&st->l, row, 2, st->h, w - 4);
}

/* Enter: one step in full, with what Windows made of it. */
static void
queue_show(struct queue_state *st, json_t *v)
{
	json_t		*res;
	char		*text, *t;
	const char	*why;

	res = queue_result(st, json_integer_value(json_object_get(v, "id")));
	if (json_object_get(v, "command") != NULL)
		text = xprintf("Step %02lld, number %lld in the run order: a "
		    "command, run by cmd.exe as SYSTEM after the packages\n\n"
		    "  %s\n",
		    json_integer_value(json_object_get(v, "id")),
		    json_integer_value(json_object_get(v, "order")),
		    jstr(v, "command", "?"));
	else {
		why = jstr(v, "why_not", NULL);
		text = xprintf("Step %02lld, number %lld in the run order: %s\n\n"
		    "Package        %s\n"
		    "KB             %s\n"
		    "Build          %lld, %s\n"
		    "Stack needed   %s\n"
		    "Stack provided %s\n"
		    "From           %s\n"
		    "On the volume  ntmend\\queue\\%s, %lld bytes%s\n"
		    "SHA-256        %s\n\n"
		    "%s%s\n",
		    json_integer_value(json_object_get(v, "id")),
		    json_integer_value(json_object_get(v, "order")),
		    jstr(v, "role", "?"), jstr(v, "identity", "?"),
		    jstr(v, "kb", "-"),
		    json_integer_value(json_object_get(v, "build")),
		    jstr(v, "arch", "?"), jstr(v, "ss_required", "-"),
		    jstr(v, "ss_provides", "-"), jstr(v, "source", "?"),
		    jstr(v, "file", "?"),
		    json_integer_value(json_object_get(v, "size")),
		    json_is_false(json_object_get(v, "present")) ?
		    " (MISSING: add it again)" : "", jstr(v, "sha256", "?"),
		    why == NULL ? "It applies to this installation." :
		    "It does not apply: ", why != NULL ? why : "");
	}
	if (res != NULL && json_integer_value(json_object_get(res,
	    "attempts")) > 0) {
		t = xprintf("%s\nAt the last boot (%lld attempt(s)):\n"
		    "  started  %s\n  finished %s\n  result   %s\n"
		    "  output   %s\n", text,
		    json_integer_value(json_object_get(res, "attempts")),
		    jstr(res, "started", "-"), jstr(res, "finished",
		    "- (interrupted: no exit code)"), jstr(res, "result",
		    "-"), jstr(res, "output", "-"));
		free(text);
		text = t;
	} else {
		t = xprintf("%s\nNot run yet.\n", text);
		free(text);
		text = t;
	}
	tui_view("Next-boot queue: one step", text, 1);
	free(text);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), k = strlen(suffix);

	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .msu and .cab files in queue_dirs, by name; caller frees. */
static size_t
queue_find(char ***out)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	char		**v = NULL, *path;
	size_t		 n = 0, i, first;

	for (i = 0; i < sizeof queue_dirs / sizeof queue_dirs[0]; i++) {
		if ((d = opendir(queue_dirs[i])) == NULL)
			continue;
		first = n;
		while ((de = readdir(d)) != NULL) {
			if (!has_suffix(de->d_name, ".msu") &&
			    !has_suffix(de->d_name, ".cab"))
				continue;
			path = strcmp(queue_dirs[i], ".") == 0 ?
			    xstrdup(de->d_name) : xprintf("%s/%s",
			    queue_dirs[i], de->d_name);
			if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
				free(path);
				continue;
			}
			v = xreallocarray(v, n + 1, sizeof *v);
			v[n++] = path;
		}
		closedir(d);
		qsort(v + first, n - first, sizeof *v, strp_cmp);
	}
	*out = v;
	return n;
}

/* a: a package, its dry run shown, confirmed, then queued. */
static void
queue_add_package(struct queue_state *st)
{
	char		**found, *path = NULL, *out = NULL;
	const char	**items;
	size_t		  n, i;
	int		  k, r;

	n = queue_find(&found);
	if (n > 0) {
		items = xreallocarray(NULL, n + 1, sizeof *items);
		for (i = 0; i < n; i++)
			items[i] = found[i];
		items[n] = "Another file: type its path";
		k = tui_pick("Queue an update package", items, n + 1, 0);
		free(items);
		if (k >= 0 && (size_t)k < n)
			path = xstrdup(found[k]);
		else if (k < 0)
			goto out;
	}
	if (path == NULL) {
		path = tui_input("Queue an update package", "The update's "
		    ".msu or .cab (from the Microsoft Update Catalog for this "
		    "Windows build); the stick is /stick:", queue_last);
		if (path == NULL || *path == '\0')
			goto out;
	}
	free(queue_last);
	queue_last = xstrdup(path);
	r = tui_runl("Queue: what would change", TUI_RUN_QUIET, &out,
	    "--dry-run", "stage", "add", path, NULL);
	if (r < 0)
		goto out;
	if (r != NTM_OK && r != NTM_WARN) {
		tui_view("Queue: refused, nothing was changed", out, 1);
		goto out;
	}
	if (strstr(out, "nothing to change") != NULL) {
		tui_view("Queue: nothing to change", out, 1);
		goto out;
	}
	tui_view("Queue: what would change (nothing written yet)", out, 1);
	if (!tui_confirm("Queue an update package", "Queue it? Windows "
	    "installs it at its next boot, before the logon screen."))
		goto out;
	tui_runl("Queue: add a package", TUI_RUN_CHANGES, NULL, "stage",
	    "add", path, NULL);
	queue_load(st);
out:
	free(out);
	free(path);
	for (i = 0; i < n; i++)
		free(found[i]);
	free(found);
}

/* c: a cmd.exe line run after the packages. */
static void
queue_add_command(struct queue_state *st)
{
	char	*line, *q;

	line = tui_input("Queue a command", "A cmd.exe command line Windows "
	    "runs as SYSTEM at its next boot, after the packages (e.g. DISM "
	    "/Online /Cleanup-Image /RestoreHealth):", NULL);
	if (line == NULL || *line == '\0') {
		free(line);
		return;
	}
	q = xprintf("Queue this command? It runs as SYSTEM at the next boot, "
	    "before the logon screen:\n\n%s", line);
	if (tui_confirm("Queue a command", q)) {
		tui_runl("Queue: add a command", TUI_RUN_CHANGES, NULL,
		    "stage", "add", "--command", line, NULL);
		queue_load(st);
	}
	free(q);
	free(line);
}

/* d: the step under the cursor out of the queue. */
static void
queue_remove(struct queue_state *st)
{
	struct tui_row	*r = tui_list_cur(&st->l);
	json_t		*v;
	char		*id, *q;

	if (r == NULL || (v = r->data) == NULL) {
		tui_status(TUI_WARN, "no step under the cursor");
		return;
	}
	id = xprintf("%02lld", json_integer_value(json_object_get(v, "id")));
	q = xprintf("Remove step %s from the queue?\n\n%s%s\n\n%s", id,
	    json_object_get(v, "command") != NULL ? "command: " : "",
	    json_object_get(v, "command") != NULL ? jstr(v, "command", "?") :
	    jstr(v, "identity", "?"), json_array_size(json_object_get(st->ls,
	    "queue")) == 1 ? "It is the last step: the runner is disarmed "
	    "(SYSTEM\\Setup put back)." : "The other steps stay queued.");
	if (tui_confirm("Remove a step", q)) {
		tui_runl("Queue: remove a step", TUI_RUN_CHANGES, NULL,
		    "stage", "rm", id, NULL);
		queue_load(st);
	}
	free(q);
	free(id);
}

static enum tui_key
queue_key(struct tui_screen *s, int key)
{
	struct queue_state	*st = s->state;
	struct tui_row		*r;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if ((r = tui_list_cur(&st->l)) != NULL && r->data != NULL)
			queue_show(st, r->data);
		return TUI_KEY_DONE;
	case 'a':
		queue_add_package(st);
		return TUI_KEY_DONE;
	case 'c':
		queue_add_command(st);
		return TUI_KEY_DONE;
	case 'd':
	case KEY_DC:
		queue_remove(st);
		return TUI_KEY_DONE;
	case 'r':
		queue_load(st);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
queue_free(struct tui_screen *s)
{
	struct queue_state	*st = s->state;

	tui_list_clear(&st->l);
	json_decref(st->ls);
	json_decref(st->status);
	free(st->error);
	free(st);
}

void
scr_queue(void)
{
	struct tui_screen	 s;
	struct queue_state	*st = xcalloc(1, sizeof *st);

	queue_load(st);
	memset(&s, 0, sizeof s);
	s.title = "Next-boot queue";
	s.keys = "a package  c command  d remove  Enter details";
	s.help = queue_help;
	s.state = st;
	s.draw = queue_draw;
	s.key = queue_key;
	s.free = queue_free;
	tui_push(&s);
}
