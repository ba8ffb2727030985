/*
 * scr-golden.c: a golden archive (files from a PC of the same build that
 * patches fine) compared with this installation, and applied. Both are
 * the golden command run as a child: verify for its --json answer, with
 * its progress shown while it hashes, and apply after its dry run was
 * shown and confirmed, journaled like every change.
 */

#include <sys/stat.h>

#include <curses.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

/* PATHs a command line from this screen may carry: tui_run takes 64
 * arguments, and the rest are the command's own (-n golden apply A). */
#define NTM_GOLDEN_PATHS	56

/* Where archives are looked for: the folder the menu was started in,
 * and the USB stick's FAT partition as the ntmend system mounts it. */
static const char *const gold_dirs[] = { ".", "/stick" };

/* What the verify's item lists are called in its JSON, and on screen. */
static const struct {
	const char	*key;
	const char	*label;
	enum tui_color	 color;
	const char	*apply;
} gold_kinds[] = {
	{ "differ", "differs", TUI_WARN, "apply writes the archive's bytes "
	  "over it in place (its other names, hard links, and its security "
	  "descriptor stay); the volume's copy is saved in the journal "
	  "first" },
	{ "missing", "missing", TUI_WARN, "apply creates it with the "
	  "attributes and security descriptor the archive records" },
	{ "extra", "extra", TUI_DIM, "on the volume under a captured folder "
	  "but not in the archive: apply leaves it alone" },
	{ "unreadable", "unreadable", TUI_ERROR, "it could not be read: "
	  "apply refuses while it is among the paths; leave it out with p "
	  "(only these paths) or marks" },
};
#define NKINDS	(sizeof gold_kinds / sizeof gold_kinds[0])

/* The archive last chosen, kept for the next time the screen opens. */
static char	*gold_archive;

struct gold_item {
	const char	*path;		/* borrowed from the verify's JSON */
	const char	*detail;
	size_t		 kind;		/* gold_kinds[] */
	int		 is_dir;
};

struct gold_state {
	struct tui_list	 l;
	int		 h;
	char		**found;	/* archives in gold_dirs */
	size_t		 nfound;
	char		**paths;	/* p: only these */
	size_t		 npaths;
	json_t		*result;	/* the last verify, or NULL */
	struct gold_item *items;
	size_t		 nitems;
	unsigned	 gen;		/* tui_s.generation it was made at */
	int		 width;		/* the rows' text was made for it */
};

static const char gold_help[] =
    "Golden archive: files of a PC of the same Windows build that "
    "installs updates fine (servicing\\Packages manifests, System32 and "
    "WinSxS files), compared with this installation and copied over "
    "what differs.\n\n"
    "Make one on a healthy PC, booted from the stick: ntmend -t DISK "
    "golden capture /stick/gold-19045.tar.zst 'Windows\\System32\\"
    "dot3gpui.dll' (servicing\\Packages is always taken). A zip, 7z or "
    "tar of a folder copied from a working PC works too.\n\n"
    "o chooses the archive (those in the folder the menu started in and "
    "on the stick, /stick, are listed), and it is verified at once: "
    "read-only, every file compared by size and SHA-256. The list shows "
    "what differs, is missing, or is extra (on this PC under a captured "
    "folder, not in the archive), folder by folder. Enter shows one in "
    "full. v verifies again.\n\n"
    "a applies: first what would change is shown (nothing written), "
    "then, if you confirm, the files are written. Each replaced file is "
    "saved in the journal first, so 'Journal and undo' puts it back. "
    "Esc while it runs stops it and rolls back what it wrote.\n\n"
    "Only some files: Space marks rows, or p takes paths (Windows paths "
    "as in the list, folders too, separated by ';'); verify and apply "
    "then work on those only. An archive of another build or "
    "architecture is refused, naming both.";

static void
strv_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int
has_suffix(const char *s, const char *suffix)
{
	size_t	n = strlen(s), k = strlen(suffix);

	return n > k && strcasecmp(s + n - k, suffix) == 0;
}

static int
is_archive_name(const char *name)
{
	static const char *const suffixes[] = { ".tar.zst", ".tar.gz",
	    ".tar.xz", ".tar.bz2", ".tgz", ".tar", ".zip", ".7z" };
	size_t	i;

	for (i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
		if (has_suffix(name, suffixes[i]))
			return 1;
	}
	return 0;
}

static int
strp_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The archives in gold_dirs, by name. */
static void
gold_find(struct gold_state *st)
{
	struct dirent	*de;
	struct stat	 sb;
	DIR		*d;
	size_t		 i, first;
	char		*path;

	strv_free(st->found, st->nfound);
	st->found = NULL;
	st->nfound = 0;
	for (i = 0; i < sizeof gold_dirs / sizeof gold_dirs[0]; i++) {
		if ((d = opendir(gold_dirs[i])) == NULL)
			continue;
		first = st->nfound;
		while ((de = readdir(d)) != NULL) {
			if (!is_archive_name(de->d_name))
				continue;
			path = strcmp(gold_dirs[i], ".") == 0 ?
			    xstrdup(de->d_name) : xprintf("%s/%s",
			    gold_dirs[i], de->d_name);
			if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
				free(path);
				continue;
			}
			st->found = xreallocarray(st->found, st->nfound + 1,
			    sizeof *st->found);
			st->found[st->nfound++] = path;
		}
		closedir(d);
		qsort(st->found + first, st->nfound - first,
		    sizeof *st->found, strp_cmp);
	}
}

/* A string member of a JSON object, or dflt. */
static const char *
jstr(json_t *o, const char *key, const char *dflt)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : dflt;
}

static int
item_cmp(const void *a, const void *b)
{
	const struct gold_item	*x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* The list: archives to choose from before a verify, else what the
 * verify found, under a heading per folder. */
static void
gold_build(struct gold_state *st)
{
	const struct gold_item	*it;
	const char			*slash, *prev = NULL;
	json_t				*w, *v;
	struct stat			 sb;
	size_t				 i, dlen = 0, plen = 0;
	char				*size;

	tui_list_clear(&st->l);
	if (st->result == NULL) {
		st->l.checkable = 0;
		tui_list_heading(&st->l, "Archives found here and on the "
		    "stick (/stick): Enter verifies one");
		for (i = 0; i < st->nfound; i++) {
			size = stat(st->found[i], &sb) == 0 ?
			    out_size((uint64_t)sb.st_size) : xstrdup("?");
			tui_list_add(&st->l, TUI_NORMAL, "%s  (%s)",
			    st->found[i], size)->id = i;
			free(size);
		}
		if (st->nfound == 0)
			tui_list_add(&st->l, TUI_DIM, "none: o asks for the "
			    "archive's path")->id = SIZE_MAX;
		return;
	}
	st->l.checkable = st->nitems > 0;
	w = json_object_get(st->result, "warnings");
	if (json_array_size(w) > 0) {
		tui_list_heading(&st->l, "Warnings");
		json_array_foreach(w, i, v)
			tui_list_add(&st->l, TUI_WARN, "%s",
			    json_string_value(v) != NULL ?
			    json_string_value(v) : "?")->id = SIZE_MAX;
	}
	for (i = 0; i < st->nitems; i++) {
		it = &st->items[i];
		slash = strrchr(it->path, '\\');
		dlen = slash != NULL ? (size_t)(slash - it->path) : 0;
		if (prev == NULL || dlen != plen ||
		    strncmp(prev, it->path, dlen) != 0) {
			if (dlen > 0)
				tui_list_heading(&st->l, "%.*s", (int)dlen,
				    it->path);
			else
				tui_list_heading(&st->l, "The volume's root");
			prev = it->path;
			plen = dlen;
		}
		tui_list_add(&st->l, gold_kinds[it->kind].color, "%s",
		    "")->data = (void *)it;
	}
	st->width = 0;		/* the rows' text is made by gold_rows */
	if (st->nitems == 0)
		tui_list_add(&st->l, TUI_GOOD, "Every file is as in the "
		    "archive.")->id = SIZE_MAX;
}

/* s in at most w columns, its middle left out ("Microsoft-Wi...3803.mum"):
 * the end of a package's name tells .mum from .cat and one version from
 * the next. Caller frees. */
static char *
gold_middle(const char *s, size_t w)
{
	size_t	n = strlen(s), head, tail;

	if (tui_width(s) <= w || w < 8)
		return xstrdup(s);
	head = (w - 3) / 2;
	tail = w - 3 - head;
	/* Whole UTF-8 characters: no continuation byte starts a part. */
	while (head > 0 && ((unsigned char)s[head] & 0xc0) == 0x80)
		head--;
	if (tail > n)
		tail = n;
	while (tail > 0 && ((unsigned char)s[n - tail] & 0xc0) == 0x80)
		tail--;
	return xprintf("%.*s...%s", (int)head, s, s + n - tail);
}

/* The verify's rows for w columns: the state, the name (shortened in
 * the middle when it does not fit) and what differs, as far as it goes. */
static void
gold_rows(struct gold_state *st, int w)
{
	const struct gold_item	*it;
	const char		*name;
	struct tui_row		*r;
	size_t			 i, room;
	char			*full, *shown;

	if (st->width == w)
		return;
	st->width = w;
	/* The list's check box and the state column go first. */
	room = w > 4 + 11 + 8 ? (size_t)w - 4 - 11 : 8;
	for (i = 0; i < st->l.n; i++) {
		r = &st->l.rows[i];
		if ((it = r->data) == NULL)
			continue;
		name = strrchr(it->path, '\\');
		name = name != NULL ? name + 1 : it->path;
		full = xprintf("%s%s", name, it->is_dir ? "\\" : "");
		shown = gold_middle(full, room);
		free(r->text);
		r->text = xprintf("%-10s %s%s%s", gold_kinds[it->kind].label,
		    shown, it->detail != NULL ? ": " : "", it->detail != NULL ?
		    it->detail : "");
		free(shown);
		free(full);
	}
}

/* The verify's JSON document in what the command printed (errors and
 * warnings may come before it: stderr shares the pipe). */
static json_t *
gold_parse(const char *out, const char *schema)
{
	const char	*p;
	char		*start;
	json_t		*doc;
	json_error_t	 err;

	start = xprintf("{\n  \"schema\": \"%s\"", schema);
	p = strstr(out, start);
	free(start);
	if (p == NULL)
		return NULL;
	doc = json_loads(p, JSON_DISABLE_EOF_CHECK, &err);
	if (doc != NULL && !json_is_object(doc)) {
		json_decref(doc);
		doc = NULL;
	}
	return doc;
}

/* Take in a verify's answer: its items, sorted by path. */
static void
gold_take(struct gold_state *st, json_t *doc)
{
	json_t		*a, *v;
	size_t		 k, i;
	const char	*path, *type;

	json_decref(st->result);
	free(st->items);
	st->items = NULL;
	st->nitems = 0;
	st->result = doc;
	st->gen = tui_s.generation;
	for (k = 0; k < NKINDS; k++) {
		a = json_object_get(doc, gold_kinds[k].key);
		json_array_foreach(a, i, v) {
			path = json_string_value(json_object_get(v, "path"));
			type = json_string_value(json_object_get(v, "type"));
			if (path == NULL)
				continue;
			st->items = xreallocarray(st->items, st->nitems + 1,
			    sizeof *st->items);
			st->items[st->nitems].path = path;
			st->items[st->nitems].detail = json_string_value(
			    json_object_get(v, "detail"));
			st->items[st->nitems].kind = k;
			st->items[st->nitems].is_dir = type != NULL &&
			    strcmp(type, "dir") == 0;
			st->nitems++;
		}
	}
	if (st->nitems > 0)
		qsort(st->items, st->nitems, sizeof *st->items, item_cmp);
}

/* The paths a command works on: p's, and for apply the marked rows
 * (what is extra is not the archive's, so a mark on it is left out).
 * Verify leaves the marks out: its answer would hold only the marked
 * rows and lose the marks, and an apply after it would take everything. */
static size_t
gold_paths(struct gold_state *st, int marks, char **argv, size_t n,
    size_t max)
{
	const struct gold_item	*it;
	size_t				 i;

	for (i = 0; i < st->npaths && n < max; i++)
		argv[n++] = st->paths[i];
	for (i = 0; marks && i < st->l.n && n < max; i++) {
		it = st->l.rows[i].data;
		if (st->result != NULL && st->l.rows[i].marked && it != NULL &&
		    strcmp(gold_kinds[it->kind].key, "extra") != 0)
			argv[n++] = (char *)it->path;
	}
	return n;
}

/* golden verify, for its --json answer; the list shows it. */
static void
gold_verify(struct gold_state *st)
{
	char	*argv[NTM_GOLDEN_PATHS + 8], *out = NULL;
	size_t	 n = 0;
	int	 r;
	json_t	*doc;

	argv[n++] = (char *)"--json";
	argv[n++] = (char *)"golden";
	argv[n++] = (char *)"verify";
	argv[n++] = gold_archive;
	n = gold_paths(st, 0, argv, n, NTM_GOLDEN_PATHS + 4);
	argv[n] = NULL;
	r = tui_run("Golden archive: verify (read-only)", TUI_RUN_QUIET, argv,
	    &out);
	if (r < 0) {
		tui_status(TUI_WARN, "verify cancelled");
		free(out);
		return;
	}
	if ((doc = gold_parse(out, "ntmend.golden-verify/1")) == NULL) {
		tui_view("Golden archive: verify failed", *out != '\0' ? out :
		    "(no output)", 1);
		free(out);
		return;
	}
	free(out);
	gold_take(st, doc);
	gold_build(st);
	if (st->nitems == 0)
		tui_status(TUI_GOOD, "verified: nothing differs from the "
		    "archive");
	else
		tui_status(TUI_WARN, "verified: %zu file(s) or folder(s) not "
		    "as in the archive (a applies it)", st->nitems);
}

/* o: which archive; verifies it. Returns 0 when one was chosen. */
static int
gold_choose(struct gold_state *st, const char *path)
{
	const char	**items;
	char		 *s;
	size_t		  i;
	int		  k = -1;

	if (path == NULL && st->nfound > 0) {
		items = xreallocarray(NULL, st->nfound + 1, sizeof *items);
		for (i = 0; i < st->nfound; i++)
			items[i] = st->found[i];
		items[i] = "Another archive: type its path";
		k = tui_pick("Golden archive", items, st->nfound + 1, 0);
		free(items);
		if (k < 0)
			return -1;
		if ((size_t)k < st->nfound)
			path = st->found[k];
	}
	if (path != NULL)
		s = xstrdup(path);
	else {
		s = tui_input("Golden archive", "The archive's path (.tar.zst "
		    "from golden capture, or a .zip, .7z or .tar of a "
		    "folder copy); the stick is /stick:", gold_archive);
		if (s == NULL || *s == '\0') {
			free(s);
			return -1;
		}
	}
	free(gold_archive);
	gold_archive = s;
	json_decref(st->result);
	st->result = NULL;
	free(st->items);
	st->items = NULL;
	st->nitems = 0;
	gold_verify(st);
	return 0;
}

/* p: only these paths (';' between them); empty: all of the archive. */
static void
gold_set_paths(struct gold_state *st)
{
	char	*init = NULL, *s, *tok, *p, *e, *last;
	size_t	 i;

	for (i = 0; i < st->npaths; i++) {
		s = xprintf("%s%s%s", init != NULL ? init : "", init != NULL ?
		    ";" : "", st->paths[i]);
		free(init);
		init = s;
	}
	s = tui_input("Only these paths", "Windows paths in the archive, "
	    "files or folders, separated by ';' (e.g. Windows\\System32\\"
	    "dot3gpui.dll); empty: everything the archive holds:", init);
	free(init);
	if (s == NULL)
		return;
	strv_free(st->paths, st->npaths);
	st->paths = NULL;
	st->npaths = 0;
	for (tok = strtok_r(s, ";", &last); tok != NULL;
	    tok = strtok_r(NULL, ";", &last)) {
		for (p = tok; *p == ' '; p++)
			;
		for (e = p + strlen(p); e > p && e[-1] == ' '; e--)
			;
		if (e == p || st->npaths == NTM_GOLDEN_PATHS)
			continue;
		st->paths = xreallocarray(st->paths, st->npaths + 1,
		    sizeof *st->paths);
		st->paths[st->npaths++] = xstrndup(p, (size_t)(e - p));
	}
	free(s);
	if (gold_archive != NULL)
		gold_verify(st);
}

/* a: the dry run shown, then confirmed, then the change. */
static void
gold_apply(struct gold_state *st)
{
	char	*argv[NTM_GOLDEN_PATHS + 9], *out = NULL;
	size_t	 n, first;
	int	 r, force = 0;

	if (gold_archive == NULL && gold_choose(st, NULL) != 0)
		return;
again:
	n = 0;
	argv[n++] = (char *)"--dry-run";
	first = n;
	if (force)
		argv[n++] = (char *)"--force";
	argv[n++] = (char *)"golden";
	argv[n++] = (char *)"apply";
	argv[n++] = gold_archive;
	n = gold_paths(st, 1, argv, n, NTM_GOLDEN_PATHS + 4);
	argv[n] = NULL;
	r = tui_run("Golden apply: what would change", TUI_RUN_QUIET, argv,
	    &out);
	if (r < 0) {
		tui_status(TUI_WARN, "cancelled: nothing was changed");
		goto out;
	}
	if (r != NTM_OK && r != NTM_WARN) {
		tui_view("Golden apply: refused, nothing was changed", out, 1);
		/* Another build or architecture: the command's --force, only
		 * when the technician asks for it knowing what it means. */
		if (!force && strstr(out, "the archive is from build") !=
		    NULL && tui_confirm("Golden apply: another build",
		    "Use this archive anyway (--force)? Its files come from "
		    "another build or architecture: they may not fit this "
		    "Windows, and are checked against nothing but the "
		    "archive. The dry run is shown first.")) {
			force = 1;
			free(out);
			out = NULL;
			goto again;
		}
		goto out;
	}
	if (strstr(out, "\nnothing to change") != NULL ||
	    strncmp(out, "nothing to change", 17) == 0) {
		tui_status(TUI_GOOD, "nothing differs from the archive: "
		    "nothing to apply");
		goto out;
	}
	tui_view("Golden apply: what would change (nothing written yet)",
	    out, 1);
	if (!tui_confirm("Golden apply", "Write these files to the Windows "
	    "volume? Each file replaced is saved in the journal first: "
	    "'Journal and undo' puts it back."))
		goto out;
	r = tui_run("Golden apply", TUI_RUN_CHANGES, argv + first, NULL);
	/* What the volume has now: verify again. A refused or failed
	 * apply changed nothing (its journal was rolled back), so the list
	 * still holds. */
	if (r == NTM_OK || r == NTM_WARN)
		gold_verify(st);
	else
		st->gen = tui_s.generation;
out:
	free(out);
}

static void
gold_draw(struct tui_screen *s, int y, int h, int w)
{
	struct gold_state	*st = s->state;
	json_t			*r = st->result, *src;
	const char		*str;
	char			*line, *only = NULL, *t, *when;
	size_t			 i, nmarked = 0;
	int			 row = y + 1, left;

	attrset(A_BOLD);
	tui_put(row, 2, 10, "Archive");
	attrset(gold_archive != NULL ? (int)A_NORMAL : tui_attr(TUI_DIM));
	tui_put(row++, 12, w - 14, gold_archive != NULL ? gold_archive :
	    "none chosen: o chooses one");
	if (r != NULL) {
		src = json_object_get(r, "source");
		if ((str = json_string_value(json_object_get(r, "mapping")))
		    != NULL)
			line = xprintf("a folder copy (no manifest): %s", str);
		else if (json_is_object(src)) {
			/* The build first: it is what has to match. */
			when = xstrdup(jstr(src, "captured", "?"));
			if (strlen(when) >= 16 && when[10] == 'T') {
				when[10] = ' ';
				strcpy(when + 16, " UTC");
			}
			line = xprintf("%s %s from %s, %s (%s%s%s)",
			    jstr(src, "version", "?"),
			    jstr(src, "architecture", "?"),
			    jstr(src, "computer_name", "?"), when,
			    jstr(src, "product", "Windows"),
			    jstr(src, "display_version", NULL) != NULL ? " " :
			    "", jstr(src, "display_version", ""));
			free(when);
		}
		else
			line = xstrdup("?");
		attrset(A_BOLD);
		tui_put(row, 2, 10, "From");
		attrset(A_NORMAL);
		tui_put(row++, 12, w - 14, line);
		free(line);
		/* verify --json only compares; apply refuses another build
		 * or architecture, so say so before the technician tries. */
		if (json_is_object(src) && tui_s.have_id && (json_integer_value(
		    json_object_get(src, "build")) != tui_s.id.build ||
		    tui_s.id.arch == NULL || strcasecmp(jstr(src,
		    "architecture", ""), tui_s.id.arch) != 0)) {
			line = xprintf("not this PC's build %u %s: apply "
			    "refuses it",
			    tui_s.id.build, tui_s.id.arch != NULL ?
			    tui_s.id.arch : "?");
			attrset(tui_attr(TUI_ERROR));
			tui_put(row++, 12, w - 14, line);
			free(line);
		}
	}
	for (i = 0; i < st->l.n; i++)
		nmarked += st->l.rows[i].marked;
	for (i = 0; i < st->npaths; i++) {
		t = xprintf("%s%s%s", only != NULL ? only : "", only != NULL ?
		    "; " : "", st->paths[i]);
		free(only);
		only = t;
	}
	if (nmarked > 0) {
		t = xprintf("%s%s%zu marked row(s)", only != NULL ? only : "",
		    only != NULL ? "; " : "", nmarked);
		free(only);
		only = t;
	}
	if (only != NULL) {
		attrset(A_BOLD);
		tui_put(row, 2, 10, "Only");
		attrset(tui_attr(TUI_WARN));
		tui_put(row++, 12, w - 14, only);
		free(only);
	}
	if (r != NULL) {
		line = xprintf("%lld files compared: %lld same, %zu differ, "
		    "%zu missing, %zu extra, %zu unreadable%s",
		    json_integer_value(json_object_get(r, "files")),
		    json_integer_value(json_object_get(r, "same")),
		    json_array_size(json_object_get(r, "differ")),
		    json_array_size(json_object_get(r, "missing")),
		    json_array_size(json_object_get(r, "extra")),
		    json_array_size(json_object_get(r, "unreadable")),
		    st->gen != tui_s.generation ? " (before the last change: "
		    "v verifies again)" : "");
		attrset(tui_attr(st->nitems == 0 ? TUI_GOOD : TUI_WARN));
		tui_put(row++, 2, w - 4, line);
		free(line);
	}
	attrset(A_NORMAL);
	row++;
	left = y + h - row;
	st->h = left;
	gold_rows(st, w - 4);
	tui_list_draw(&st->l, row, 2, left, w - 4);
}

/* Enter on a row of the verify: all of it, and what apply does. */
static void
gold_show(const struct gold_item *it)
{
	char	*text;

	text = xprintf("%s%s\n\n%s%s%s\n\n%s.", it->path, it->is_dir ? "\\" :
	    "", gold_kinds[it->kind].label, it->detail != NULL ? ": " : "",
	    it->detail != NULL ? it->detail : "", gold_kinds[it->kind].apply);
	tui_view("Golden archive: one file", text, 0);
	free(text);
}

static enum tui_key
gold_key(struct tui_screen *s, int key)
{
	struct gold_state	*st = s->state;
	struct tui_row		*row;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
		if ((row = tui_list_cur(&st->l)) == NULL)
			return TUI_KEY_DONE;
		if (st->result == NULL) {
			if (row->id < st->nfound)
				gold_choose(st, st->found[row->id]);
			else
				gold_choose(st, NULL);
		} else if (row->data != NULL)
			gold_show(row->data);
		return TUI_KEY_DONE;
	case 'o':
		gold_find(st);
		gold_choose(st, NULL);
		return TUI_KEY_DONE;
	case 'v':
		if (gold_archive == NULL)
			gold_choose(st, NULL);
		else
			gold_verify(st);
		return TUI_KEY_DONE;
	case 'a':
		gold_apply(st);
		return TUI_KEY_DONE;
	case 'p':
		gold_set_paths(st);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
gold_free(struct tui_screen *s)
{
	struct gold_state	*st = s->state;

	tui_list_clear(&st->l);
	strv_free(st->found, st->nfound);
	strv_free(st->paths, st->npaths);
	free(st->items);
	json_decref(st->result);
	free(st);
}

void
scr_golden(void)
{
	struct tui_screen	 s;
	struct gold_state	*st = xcalloc(1, sizeof *st);

	gold_find(st);
	gold_build(st);
	memset(&s, 0, sizeof s);
	s.title = "Golden archive";
	s.keys = "o archive  v verify  a apply  p paths  Space mark";
	s.help = gold_help;
	s.state = st;
	s.draw = gold_draw;
	s.key = gold_key;
	s.free = gold_free;
	tui_push(&s);
}
