/*
 * scr-registry.c: the registry browser and editor. The hives of the
 * read-only target are checked out once and kept while the screen is
 * open (a real SOFTWARE hive is 100 MB: one checkout per step would make
 * every Enter a wait); the tree is walked by hivex node handles, so key
 * names holding '/' (SOFTWARE\Classes\MIME\Database\Content Type\
 * application/pdf) can be browsed. Every change is an ntmend reg command
 * (set, del, import), after which the target was reopened and the hive is
 * checked out again.
 */

#include <sys/types.h>

#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "tui/tui.h"
#include "tui/private.h"

/* Value data the input dialog can hold (tui_input takes 1024
 * characters): longer values are changed with a .reg file. */
#define NTM_REG_EDIT_MAX	1000
/* Bytes of a binary value shown in its list row; the panel below the
 * list and reg get show more (FailureActions and the like are tens of
 * bytes, a DEFAULT hive's binary blobs tens of KB). */
#define NTM_REG_ROW_BYTES	256
/* Widest value name column: names longer than this are cut in the list
 * and shown whole in the panel. */
#define NTM_REG_NAME_COL	28

/* The hives the editor shows, as the command line names them. */
static const struct reg_root {
	enum hive_id	 id;
	const char	*name;
	const char	*what;
} roots[] = {
	{ HIVE_SYSTEM, "HKLM\\SYSTEM", "services, drivers, boot settings" },
	{ HIVE_SOFTWARE, "HKLM\\SOFTWARE", "programs, Windows Update, "
	  "servicing (CBS)" },
	{ HIVE_COMPONENTS, "HKLM\\COMPONENTS", "the component store's "
	  "index" },
	{ HIVE_DEFAULT, "HKU\\.DEFAULT", "the default user (system "
	  "accounts)" },
};
#define NROOTS	(sizeof roots / sizeof roots[0])

/* Row ids: a subkey's index, a value's index + ROW_VALUE, or these. */
#define ROW_VALUE	((size_t)1 << 30)
#define ROW_CCS		((size_t)SIZE_MAX - 1)	/* CurrentControlSet */
#define ROW_NONE	((size_t)SIZE_MAX)

/* A subkey of the key shown. */
struct reg_subkey {
	char		*name;
	hive_node_h	 node;
};

/* One key opened below a hive's root, and where the cursor stood in its
 * parent (given back when going up). */
struct reg_level {
	char		*name;
	hive_node_h	 node;
	size_t		 sel, top;
};

struct reg_state {
	struct tui_list	 l;
	int		 h;		/* list rows last drawn */
	unsigned	 gen;		/* tui_s.generation the hives are of */
	struct hive	*hives[NROOTS];
	int		 root;		/* index in roots[], -1: hive list */
	size_t		 root_sel;
	struct reg_level *path;
	size_t		 depth;
	hive_node_h	 node;		/* the key shown */
	struct reg_subkey *keys;	/* its subkeys, sorted */
	size_t		 nkeys;
	struct hive_value *vals;	/* its values, sorted */
	size_t		 nvals;
	int		 ccs;		/* SYSTEM's Select\Current, 0 if none */
	char		*want;		/* row to select after the next
					   reload (a value or key added) */
	int		 want_value;
};

static const char reg_help[] =
    "The registry of the Windows installation, read from its disk: "
    "nothing is written until you confirm a change.\n\n"
    "First the hives: HKLM\\SYSTEM (services, drivers), HKLM\\SOFTWARE, "
    "HKLM\\COMPONENTS (the component store) and HKU\\.DEFAULT. Enter "
    "opens a hive or a key; Esc or Left goes up. A key shows its subkeys "
    "first, then its values with their type and data; the panel at the "
    "bottom shows the value under the cursor in full. In SYSTEM, "
    "CurrentControlSet is the control set Windows boots with "
    "(Select\\Current). A hive Windows did not close cleanly (dirty) is "
    "shown with a warning above the list: what its logs hold is applied "
    "when they are intact ('ntmend diagnose' says more).\n\n"
    "Changes (each is journaled and can be undone from 'Journal and "
    "undo'):\n"
    "  Enter or e   edit the value under the cursor (numbers in decimal "
    "or 0x hex; MULTI_SZ strings separated by |; binary as hex bytes)\n"
    "  a            add a value to this key (name, type, data)\n"
    "  k            add a subkey\n"
    "  d            delete the value or the key (with everything under "
    "it) under the cursor\n"
    "  i            import a .reg file (as regedit exports it; "
    "HKEY_CURRENT_USER cannot be imported offline)\n\n"
    "Values larger than the edit line (over 1000 characters) are changed "
    "with a .reg file: export it with 'ntmend reg export', edit it on "
    "another PC, import it with i.";

static void
reg_vals_free(struct reg_state *st)
{
	size_t	i;

	for (i = 0; i < st->nkeys; i++)
		free(st->keys[i].name);
	free(st->keys);
	st->keys = NULL;
	st->nkeys = 0;
	for (i = 0; i < st->nvals; i++)
		hive_value_free(&st->vals[i]);
	free(st->vals);
	st->vals = NULL;
	st->nvals = 0;
}

static void
reg_path_truncate(struct reg_state *st, size_t depth)
{
	while (st->depth > depth)
		free(st->path[--st->depth].name);
}

static void
reg_hives_close(struct reg_state *st)
{
	size_t	i;

	for (i = 0; i < NROOTS; i++) {
		hive_close(st->hives[i]);
		st->hives[i] = NULL;
	}
}

/* A line in the footer right now, for waits the loop cannot show. */
static void
reg_busy(const char *msg)
{
	attrset(tui_attr(TUI_TITLE));
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, msg);
	attrset(A_NORMAL);
	refresh();
}

/* The hive of roots[i], checked out on first use. */
static struct hive *
reg_hive(struct reg_state *st, int i, char **cause)
{
	char	*msg;

	if (st->hives[i] != NULL)
		return st->hives[i];
	if (!tui_s.open) {
		*cause = xstrdup("the Windows installation is not open");
		return NULL;
	}
	msg = xprintf("reading %s ...", roots[i].name);
	reg_busy(msg);
	free(msg);
	if (hive_checkout(tui_s.t.vol, hive_volume_path(roots[i].id),
	    &st->hives[i], cause) != 0) {
		st->hives[i] = NULL;
		return NULL;
	}
	return st->hives[i];
}

static int
reg_cmp_name(const void *a, const void *b)
{
	const struct reg_subkey	*ka = a, *kb = b;

	return casefold_cmp(ka->name, kb->name);
}

/* Values as regedit lists them: the default first, then by name. */
static int
reg_cmp_value(const void *a, const void *b)
{
	const struct hive_value	*va = a, *vb = b;

	if (*va->name == '\0' || *vb->name == '\0')
		return (*vb->name == '\0') - (*va->name == '\0');
	return casefold_cmp(va->name, vb->name);
}

/* The key shown: its subkeys' names and its values. */
static int
reg_read_key(struct reg_state *st, char **cause)
{
	hive_h		*h = hive_handle(st->hives[st->root]);
	hive_node_h	*kids;
	hive_value_h	*vals;
	hive_type	 t;
	size_t		 i, n, len;
	char		*name;
	void		*data;

	reg_vals_free(st);
	errno = 0;
	if ((kids = hivex_node_children(h, st->node)) == NULL) {
		*cause = xprintf("subkeys unreadable: %s", strerror(errno));
		return -1;
	}
	for (n = 0; kids[n] != 0; n++)
		;
	st->keys = xreallocarray(NULL, n + 1, sizeof *st->keys);
	for (i = 0; i < n; i++) {
		if ((name = hivex_node_name(h, kids[i])) == NULL)
			continue;
		st->keys[st->nkeys].name = name;
		st->keys[st->nkeys++].node = kids[i];
	}
	free(kids);
	qsort(st->keys, st->nkeys, sizeof *st->keys, reg_cmp_name);
	errno = 0;
	if ((vals = hivex_node_values(h, st->node)) == NULL) {
		*cause = xprintf("values unreadable: %s", strerror(errno));
		return -1;
	}
	for (n = 0; vals[n] != 0; n++)
		;
	st->vals = xcalloc(n + 1, sizeof *st->vals);
	for (i = 0; i < n; i++) {
		if ((name = hivex_value_key(h, vals[i])) == NULL)
			continue;
		if ((data = hivex_value_value(h, vals[i], &t, &len)) == NULL) {
			free(name);
			continue;
		}
		st->vals[st->nvals].name = name;
		st->vals[st->nvals].type = (uint32_t)t;
		st->vals[st->nvals].data = data;
		st->vals[st->nvals].len = len;
		st->nvals++;
	}
	free(vals);
	qsort(st->vals, st->nvals, sizeof *st->vals, reg_cmp_value);
	return 0;
}

/* A value's data as text: numbers in hex and decimal, MULTI_SZ strings
 * joined with '|' (or one per line with multiline), bytes as hex (at
 * most max of them, 0: all); caller frees. */
static char *
reg_data_text(const struct hive_value *v, int multiline, size_t max)
{
	struct hive_value	 cut;
	const uint8_t		*d = v->data;
	uint32_t		 u;
	char			*s, *p, *r;

	if (v->len == 0)
		return xstrdup("(empty)");
	switch (v->type) {
	case HIVE_REG_DWORD:
	case HIVE_REG_DWORD_BIG_ENDIAN:
		if (v->len != 4)
			break;
		u = v->type == HIVE_REG_DWORD ? le32dec(d) :
		    (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		    (uint32_t)d[2] << 8 | d[3];
		return xprintf("0x%08" PRIx32 " (%" PRIu32 ")", u, u);
	case HIVE_REG_QWORD:
		if (v->len != 8)
			break;
		return xprintf("0x%016" PRIx64 " (%" PRIu64 ")", le64dec(d),
		    le64dec(d));
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
	case HIVE_REG_LINK:
		return hive_value_format(v);
	case HIVE_REG_MULTI_SZ:
		s = hive_value_format(v);
		if (!multiline) {
			for (p = s; *p != '\0'; p++) {
				if (*p == '\n')
					*p = '|';
			}
		}
		return s;
	}
	if (max == 0 || v->len <= max)
		return hive_value_format(v);
	/* hive_value_format of another type gives the bytes as hex. */
	cut = *v;
	cut.type = HIVE_REG_BINARY;
	cut.len = max;
	s = hive_value_format(&cut);
	r = xprintf("%s ... (%zu bytes)", s, v->len);
	free(s);
	return r;
}

/* s padded (or cut, with '~') to w columns; caller frees. */
static char *
reg_pad(const char *s, size_t w)
{
	size_t	 sw = tui_width(s), n;
	char	*out, *p;

	if (sw <= w) {
		out = xmalloc(strlen(s) + (w - sw) + 1);
		n = strlen(s);
		memcpy(out, s, n);
		memset(out + n, ' ', w - sw);
		out[n + w - sw] = '\0';
		return out;
	}
	/* Cut at a character boundary: drop bytes until it fits. */
	p = xstrdup(s);
	n = strlen(p);
	while (n > 0 && tui_width(p) > w - 1) {
		do
			n--;
		while (n > 0 && ((unsigned char)p[n] & 0xc0) == 0x80);
		p[n] = '\0';
	}
	out = xprintf("%s~", p);
	free(p);
	sw = tui_width(out);
	if (sw < w) {
		p = reg_pad(out, w);
		free(out);
		out = p;
	}
	return out;
}

/* "HKLM\SYSTEM\ControlSet001\Services": the key shown, as ntmend reg
 * takes it; caller frees. */
static char *
reg_key_path(struct reg_state *st, size_t depth)
{
	char	*p, *q;
	size_t	 i;

	p = xstrdup(roots[st->root].name);
	for (i = 0; i < depth && i < st->depth; i++) {
		q = xprintf("%s\\%s", p, st->path[i].name);
		free(p);
		p = q;
	}
	return p;
}

/* The path below the hive's root ("ControlSet001\Services"); caller
 * frees. */
static char *
reg_sub_path(struct reg_state *st)
{
	char	*p = xstrdup(""), *q;
	size_t	 i;

	for (i = 0; i < st->depth; i++) {
		q = xprintf("%s%s%s", p, i > 0 ? "\\" : "", st->path[i].name);
		free(p);
		p = q;
	}
	return p;
}

/* "HKEY_LOCAL_MACHINE\SYSTEM\ControlSet001\Services\": the key shown
 * as ntmend reg prints it, with a '\' to end; caller frees. */
static char *
reg_printed_path(struct reg_state *st)
{
	char	*sub = reg_sub_path(st), *p;

	p = xprintf("%s\\%s%s", regedit_root(roots[st->root].id), sub,
	    *sub != '\0' ? "\\" : "");
	free(sub);
	return p;
}

/* ntmend reg splits paths at '\' and '/': a key named with either (MIME
 * types under SOFTWARE\Classes) cannot be given to it. */
static int
reg_addressable(struct reg_state *st, const char *extra)
{
	size_t	i;

	for (i = 0; i < st->depth; i++) {
		if (strpbrk(st->path[i].name, "\\/") != NULL)
			goto refuse;
	}
	if (extra != NULL && strpbrk(extra, "\\/") != NULL)
		goto refuse;
	return 1;
refuse:
	tui_status(TUI_WARN, "ntmend reg cannot change a key whose name "
	    "holds '/' or '\\': use a .reg file (i)");
	return 0;
}

/* The cursor on a row, not a heading, when there is one. */
static void
reg_cursor(struct tui_list *l)
{
	size_t	i;

	if (l->sel < l->n && !l->rows[l->sel].header)
		return;
	for (i = l->sel < l->n ? l->sel : 0; i < l->n; i++) {
		if (!l->rows[i].header) {
			l->sel = i;
			return;
		}
	}
	for (i = 0; i < l->n; i++) {
		if (!l->rows[i].header) {
			l->sel = i;
			return;
		}
	}
}

/* The list for what is shown; the cursor goes to the row named keep
 * (a value when value is set), else stays where it was. */
static void
reg_build(struct reg_state *st, const char *keep, int value)
{
	struct hive_value	*v;
	struct vol_stat		 sb;
	struct tui_row		*r;
	size_t			 i, nw = 8, sel = st->l.sel, top = st->l.top;
	char			*name, *type, *data, *tpad, *cause = NULL;
	int			 found = 0;

	tui_list_clear(&st->l);
	if (st->root < 0) {
		tui_list_heading(&st->l, "Hives of this Windows installation");
		for (i = 0; i < NROOTS; i++) {
			if (!tui_s.open || vol_stat(tui_s.t.vol,
			    hive_volume_path(roots[i].id), &sb, &cause) != 0) {
				free(cause);
				cause = NULL;
				continue;
			}
			data = out_size(sb.size);
			name = reg_pad(roots[i].name, 18);
			tui_list_add(&st->l, TUI_NORMAL, "%s %10s  %s", name,
			    data, roots[i].what)->id = i;
			free(name);
			free(data);
		}
		if (st->l.n == 1)
			tui_list_add(&st->l, TUI_WARN, "no hives found in "
			    "Windows\\System32\\config")->id = ROW_NONE;
		st->l.sel = sel;
		st->l.top = top;
		reg_cursor(&st->l);
		return;
	}
	tui_list_heading(&st->l, "Subkeys (%zu)", st->nkeys);
	if (st->depth == 0 && st->ccs > 0)
		tui_list_add(&st->l, TUI_DIM, "CurrentControlSet\\  = "
		    "ControlSet%03d", st->ccs)->id = ROW_CCS;
	for (i = 0; i < st->nkeys; i++) {
		r = tui_list_add(&st->l, TUI_NORMAL, "%s\\", st->keys[i].name);
		r->id = i;
		if (keep != NULL && !value && !found &&
		    strcmp(keep, st->keys[i].name) == 0) {
			sel = st->l.n - 1;
			found = 1;
		}
	}
	for (i = 0; i < st->nvals; i++) {
		if (tui_width(st->vals[i].name) > nw)
			nw = tui_width(st->vals[i].name);
	}
	if (nw > NTM_REG_NAME_COL)
		nw = NTM_REG_NAME_COL;
	tui_list_heading(&st->l, "Values (%zu)", st->nvals);
	for (i = 0; i < st->nvals; i++) {
		v = &st->vals[i];
		name = reg_pad(*v->name != '\0' ? v->name : "(default)", nw);
		type = hive_type_short(v->type);
		tpad = reg_pad(type, 9);
		data = reg_data_text(v, 0, NTM_REG_ROW_BYTES);
		r = tui_list_add(&st->l, TUI_NORMAL, "%s  %s  %s", name, tpad,
		    data);
		r->id = ROW_VALUE + i;
		if (keep != NULL && value && !found &&
		    strcmp(keep, v->name) == 0) {
			sel = st->l.n - 1;
			found = 1;
		}
		free(name);
		free(type);
		free(tpad);
		free(data);
	}
	st->l.sel = sel;
	st->l.top = top;	/* the draw scrolls to the cursor */
	reg_cursor(&st->l);
}

/* The subkey of node named exactly name (hivex would fold case, and two
 * keys may differ only in case in a damaged hive), 0 if none. */
static hive_node_h
reg_child(hive_h *h, hive_node_h node, const char *name)
{
	hive_node_h	*kids, child = 0;
	size_t		 k;
	char		*n;

	if ((kids = hivex_node_children(h, node)) == NULL)
		return 0;
	for (k = 0; kids[k] != 0 && child == 0; k++) {
		if ((n = hivex_node_name(h, kids[k])) == NULL)
			continue;
		if (strcmp(n, name) == 0)
			child = kids[k];
		free(n);
	}
	free(kids);
	return child;
}

/* Walk the names in path[] from the hive's root again (after a change
 * the hive is a new copy): keys that went away are dropped. */
static int
reg_rewalk(struct reg_state *st, char **cause)
{
	struct hive	*hv;
	hive_h		*h;
	hive_node_h	 node;
	size_t		 i;
	char		*name;

	if ((hv = reg_hive(st, st->root, cause)) == NULL)
		return -1;
	h = hive_handle(hv);
	if ((node = hivex_root(h)) == 0) {
		*cause = xstrdup("its root key is unreadable");
		return -1;
	}
	st->ccs = 0;
	if (roots[st->root].id == HIVE_SYSTEM &&
	    hive_current_control_set(hv, &st->ccs, &name) != 0) {
		st->ccs = 0;
		free(name);
	}
	for (i = 0; i < st->depth; i++) {
		if ((st->path[i].node = reg_child(h, node,
		    st->path[i].name)) == 0)
			break;
		node = st->path[i].node;
	}
	if (i < st->depth) {
		tui_status(TUI_WARN, "%s no longer exists", st->path[i].name);
		reg_path_truncate(st, i);
	}
	st->node = node;
	return reg_read_key(st, cause);
}

/* Open roots[i]. */
static void
reg_open_root(struct reg_state *st, int i)
{
	char	*cause = NULL;

	st->root_sel = st->l.sel;
	st->root = i;
	reg_path_truncate(st, 0);
	if (reg_rewalk(st, &cause) != 0) {
		tui_status(TUI_ERROR, "%s: %s", roots[i].name, cause);
		free(cause);
		st->root = -1;
		reg_vals_free(st);
		reg_build(st, NULL, 0);
		return;
	}
	st->l.sel = 0;
	st->l.top = 0;
	reg_build(st, NULL, 0);
}

/* Open the subkey named name of the key shown (node: it, 0 to look it
 * up). */
static void
reg_open_key(struct reg_state *st, const char *name, hive_node_h node)
{
	hive_h		*h = hive_handle(st->hives[st->root]);
	char		*cause = NULL, *keep = xstrdup(name);

	if (node == 0 && (node = reg_child(h, st->node, keep)) == 0) {
		tui_status(TUI_ERROR, "%s: the key is unreadable", keep);
		free(keep);
		return;
	}
	st->path = xreallocarray(st->path, st->depth + 1, sizeof *st->path);
	st->path[st->depth].name = keep;
	st->path[st->depth].node = node;
	st->path[st->depth].sel = st->l.sel;
	st->path[st->depth].top = st->l.top;
	st->depth++;
	st->node = node;
	if (reg_read_key(st, &cause) != 0) {
		tui_status(TUI_ERROR, "%s: %s", keep, cause);
		free(cause);
	}
	st->l.sel = 0;
	st->l.top = 0;
	reg_build(st, NULL, 0);
}

/* Esc, Left: the parent key, the hive list, or out. */
static enum tui_key
reg_up(struct reg_state *st)
{
	char			*cause = NULL, *name;
	size_t			 sel, top;

	if (st->root < 0)
		return TUI_KEY_BACK;
	if (st->depth == 0) {
		st->root = -1;
		reg_vals_free(st);
		st->l.sel = st->root_sel;
		st->l.top = 0;
		reg_build(st, NULL, 0);
		return TUI_KEY_DONE;
	}
	/* The cursor back on the key we come from, found by name: the
	 * list may have changed since (a key added or deleted in it). */
	name = xstrdup(st->path[st->depth - 1].name);
	sel = st->path[st->depth - 1].sel;
	top = st->path[st->depth - 1].top;
	reg_path_truncate(st, st->depth - 1);
	st->node = st->depth > 0 ? st->path[st->depth - 1].node :
	    hivex_root(hive_handle(st->hives[st->root]));
	if (reg_read_key(st, &cause) != 0) {
		tui_status(TUI_ERROR, "%s", cause);
		free(cause);
	}
	st->l.sel = sel;
	st->l.top = top;
	reg_build(st, name, 0);
	free(name);
	return TUI_KEY_DONE;
}

/* After a change (or another screen's): the hives are new copies. */
static void
reg_sync(struct reg_state *st)
{
	struct tui_row	*r;
	char		*keep = NULL, *cause = NULL;
	int		 value = 0;

	if (st->gen == tui_s.generation)
		return;
	st->gen = tui_s.generation;
	if (st->want != NULL) {
		keep = st->want;
		value = st->want_value;
		st->want = NULL;
	} else if ((r = tui_list_cur(&st->l)) != NULL && st->root >= 0) {
		if (r->id < st->nkeys)
			keep = xstrdup(st->keys[r->id].name);
		else if (r->id >= ROW_VALUE && r->id - ROW_VALUE < st->nvals) {
			keep = xstrdup(st->vals[r->id - ROW_VALUE].name);
			value = 1;
		}
	}
	reg_hives_close(st);
	reg_vals_free(st);
	if (st->root >= 0 && reg_rewalk(st, &cause) != 0) {
		tui_status(TUI_ERROR, "%s: %s", roots[st->root].name, cause);
		free(cause);
		st->root = -1;
		reg_path_truncate(st, 0);
		reg_vals_free(st);
	}
	reg_build(st, keep, value);
	free(keep);
}

/* The panel under the list: the row under the cursor in full. */
static void
reg_draw_panel(struct reg_state *st, int y, int ph, int w)
{
	struct tui_row		*r = tui_list_cur(&st->l);
	struct hive_value	*v;
	hive_h			*h;
	hive_node_h		 node;
	char			*head = NULL, *text = NULL, **lines, *type;
	size_t			 n, i;
	int			 ly = y + 1;

	attrset(tui_attr(TUI_DIM));
	mvhline(y, 2, ACS_HLINE, w - 4);
	attrset(A_NORMAL);
	if (r == NULL || st->root < 0)
		return;
	if (r->id == ROW_CCS)
		head = xprintf("CurrentControlSet is ControlSet%03d "
		    "(Select\\Current): the set Windows boots with", st->ccs);
	else if (r->id < st->nkeys) {
		h = hive_handle(st->hives[st->root]);
		node = st->keys[r->id].node;
		head = xprintf("key %s: %zu subkey(s), %zu value(s)",
		    st->keys[r->id].name, hivex_node_nr_children(h, node),
		    hivex_node_nr_values(h, node));
		text = xstrdup("Enter opens it, d deletes it with everything "
		    "under it");
	} else if (r->id >= ROW_VALUE && r->id - ROW_VALUE < st->nvals) {
		v = &st->vals[r->id - ROW_VALUE];
		type = hive_type_name(v->type);
		head = xprintf("%s  %s, %zu bytes", *v->name != '\0' ?
		    v->name : "(default)", type, v->len);
		free(type);
		text = reg_data_text(v, 1, 0);
	}
	if (head != NULL) {
		attrset(A_BOLD);
		n = tui_wrap(head, w - 4, &lines);
		for (i = 0; i < n; i++) {
			if (ly < y + ph)
				tui_put(ly++, 2, w - 4, lines[i]);
			free(lines[i]);
		}
		free(lines);
		attrset(A_NORMAL);
	}
	if (text != NULL) {
		n = tui_wrap(text, w - 4, &lines);
		for (i = 0; i < n; i++) {
			if (ly < y + ph)
				tui_put(ly++, 2, w - 4, lines[i]);
			free(lines[i]);
		}
		free(lines);
	}
	free(head);
	free(text);
}

static void
reg_draw(struct tui_screen *s, int y, int h, int w)
{
	struct reg_state	*st = s->state;
	const char		*warn = NULL;
	char			*path, *shown, **lines;
	int			 ly, lh, ph = 0;
	size_t			 pw, n, i;

	reg_sync(st);
	if (!tui_s.open) {
		attrset(tui_attr(TUI_WARN));
		tui_put(y + 1, 2, w - 4, "The Windows installation is not "
		    "open: Esc, then 1 to choose it.");
		attrset(A_NORMAL);
		return;
	}
	path = st->root < 0 ? xstrdup("Registry") : reg_key_path(st,
	    st->depth);
	/* A deep path keeps its end in sight: the key shown. */
	shown = path;
	pw = tui_width(path);
	while (pw > (size_t)(w - 4) && *shown != '\0') {
		shown++;
		while (((unsigned char)*shown & 0xc0) == 0x80)
			shown++;
		pw = tui_width(shown) + 3;
	}
	attrset(A_BOLD);
	if (shown != path) {
		tui_put(y, 2, 3, "...");
		tui_put(y, 5, w - 7, shown);
	} else
		tui_put(y, 2, w - 4, path);
	attrset(A_NORMAL);
	free(path);
	ly = y + 1;
	/* A dirty hive: what is shown may lack what Windows last wrote.
	 * Two lines of it; F1 says the rest is in ntmend diagnose. */
	if (st->root >= 0 && st->hives[st->root] != NULL &&
	    (warn = hive_warning(st->hives[st->root])) != NULL) {
		attrset(tui_attr(TUI_WARN));
		n = tui_wrap(warn, w - 4, &lines);
		for (i = 0; i < n; i++) {
			if (i < 2 && h >= 14)
				tui_put(ly++, 2, w - 4, lines[i]);
			free(lines[i]);
		}
		free(lines);
		attrset(A_NORMAL);
	}
	if (st->root >= 0 && h >= 14)
		ph = h >= 20 ? 5 : 4;
	lh = y + h - ly - ph;
	st->h = lh;
	tui_list_draw(&st->l, ly, 2, lh, w - 4);
	if (ph > 0)
		reg_draw_panel(st, y + h - ph, ph, w);
}

/* Run an ntmend reg command changing the target; its result goes in
 * the footer, or in a viewer when it failed or several changes were
 * made (import). The footer has room for the change, not for the key's
 * path: the key shown (strip, in the .reg form the command prints) is
 * left out, or done replaces what it printed. */
static int
reg_run(const char *title, int show, char *const *argv, const char *strip,
    const char *done)
{
	char		*out = NULL, *line, *p, *j;
	const char	*last, *first;
	size_t		 n;
	int		 r;

	r = tui_run(title, TUI_RUN_CHANGES | (show ? 0 : TUI_RUN_QUIET),
	    argv, &out);
	if (!show && (r < 0 || r > NTM_WARN)) {
		line = xprintf("%s: %s", title, r < 0 ? "cancelled" :
		    "refused or failed, nothing changed");
		tui_view(line, *out != '\0' ? out : "(no output)", 1);
		free(line);
	} else if (!show) {
		/* "set ...\njournal ID (undo: ...)": the change itself. */
		/* What it printed before its journal line, after its
		 * warnings (a dirty hive's is on the screen already); a
		 * MULTI_SZ set prints one string a line. */
		last = strstr(out, "\njournal ");
		for (first = out; first != NULL; first = p) {
			if (strncmp(first, "set ", 4) == 0 ||
			    strncmp(first, "deleted ", 8) == 0 ||
			    strncmp(first, "imported ", 9) == 0)
				break;
			if ((p = strchr(first, '\n')) != NULL)
				p++;
		}
		if (first == NULL || (last != NULL && first > last))
			first = out;
		line = done != NULL ? xstrdup(done) : xstrndup(first,
		    last != NULL && last >= first ? (size_t)(last - first) :
		    strlen(first));
		for (p = line; *p != '\0'; p++) {
			if (*p == '\n')
				*p = '|';
		}
		if (strip != NULL && (p = strstr(line, strip)) != NULL) {
			n = strlen(strip);
			memmove(p, p + n, strlen(p + n) + 1);
		}
		j = NULL;
		if (last != NULL) {
			last += 9;
			j = xstrndup(last, strcspn(last, " \n"));
		}
		p = xprintf("%s%s%s%s", line, j != NULL ? " (journal " : "",
		    j != NULL ? j : "", j != NULL ? ")" : "");
		tui_status(TUI_GOOD, "%s", p);
		free(p);
		free(j);
		free(line);
	}
	free(out);
	return r;
}

/* Ask for a value's data until regedit_parse_data takes it. args gets
 * the command's DATA arguments (NULL-terminated, caller frees each and
 * it), *nargs their count. 0, or -1 when cancelled. */
static int
reg_ask_data(const char *title, const char *name, const char *type,
    uint32_t typenum, const char *initial, char ***argsp, int *nargsp,
    uint8_t **bytes, size_t *blen)
{
	const char	*what;
	char		*text, *prompt, *err = NULL, **args, *p, *q;
	uint32_t	 t;
	int		 nargs;

	switch (typenum) {
	case HIVE_REG_DWORD:
	case HIVE_REG_DWORD_BIG_ENDIAN:
	case HIVE_REG_QWORD:
		what = "a number, decimal or hex with 0x";
		break;
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
		what = "text";
		break;
	case HIVE_REG_MULTI_SZ:
		what = "strings separated by |";
		break;
	default:
		what = "hex bytes, e.g. 01 00 ff";
		break;
	}
	if (strncmp(type, "hex(", 4) == 0 && typenum != HIVE_REG_BINARY &&
	    typenum != HIVE_REG_NONE)
		what = "hex bytes as stored, e.g. 01 00 ff";
	text = xstrdup(initial);
	for (;;) {
		prompt = xprintf("%s%s%s (%s):", err != NULL ? err : "",
		    err != NULL ? "\n\n" : "", name, what);
		free(err);
		err = NULL;
		p = tui_input(title, prompt, text);
		free(prompt);
		if (p == NULL) {
			free(text);
			return -1;
		}
		free(text);
		text = p;
		/* MULTI_SZ: one argument per string. */
		args = xcalloc(strlen(text) + 2, sizeof *args);
		nargs = 0;
		if (strcmp(type, "multi_sz") == 0) {
			for (p = text; (q = strchr(p, '|')) != NULL; p = q + 1)
				args[nargs++] = xstrndup(p, (size_t)(q - p));
			args[nargs++] = xstrdup(p);
		} else if (*text != '\0' || strcmp(type, "sz") == 0 ||
		    strcmp(type, "expand_sz") == 0)
			args[nargs++] = xstrdup(text);
		if (nargs > 48)
			err = xstrdup("Too many strings for one command "
			    "(48 at most): use a .reg file.");
		else if (regedit_parse_data(type, args, nargs, &t, bytes,
		    blen, &err) == 0)
			break;
		while (nargs > 0)
			free(args[--nargs]);
		free(args);
	}
	free(text);
	*argsp = args;
	*nargsp = nargs;
	return 0;
}

/* Set name in the key shown to data asked for; cur: its value now, or
 * NULL for a new one. */
static void
reg_set(struct reg_state *st, const char *name, uint32_t typenum,
    const struct hive_value *cur)
{
	const char	*type;
	char		*typebuf = NULL, *initial, *key, *title, **args, *strip;
	char		*argv[64];
	uint8_t		*bytes = NULL;
	size_t		 blen, i;
	int		 nargs, n = 0;

	switch (typenum) {
	case HIVE_REG_SZ:
		type = "sz";
		break;
	case HIVE_REG_EXPAND_SZ:
		type = "expand_sz";
		break;
	case HIVE_REG_MULTI_SZ:
		type = "multi_sz";
		break;
	case HIVE_REG_DWORD:
		type = "dword";
		break;
	case HIVE_REG_DWORD_BIG_ENDIAN:
		type = "dword_big_endian";
		break;
	case HIVE_REG_QWORD:
		type = "qword";
		break;
	case HIVE_REG_BINARY:
		type = "binary";
		break;
	default:
		/* Bytes as stored, whatever the type says. */
		type = typebuf = xprintf("hex(%" PRIx32 ")", typenum);
		break;
	}
	if (cur == NULL)
		initial = xstrdup("");
	else if ((typenum == HIVE_REG_DWORD ||
	    typenum == HIVE_REG_DWORD_BIG_ENDIAN) && cur->len == 4) {
		initial = hive_value_format(cur);
	} else if (typenum == HIVE_REG_QWORD && cur->len == 8)
		initial = hive_value_format(cur);
	else if (typenum == HIVE_REG_SZ || typenum == HIVE_REG_EXPAND_SZ)
		initial = hive_value_format(cur);
	else if (typenum == HIVE_REG_MULTI_SZ) {
		initial = hive_value_format(cur);
		if (strchr(initial, '|') != NULL) {
			tui_status(TUI_WARN, "a string of %s holds '|': "
			    "change it with a .reg file (i)", name);
			free(initial);
			goto out;
		}
		for (i = 0; initial[i] != '\0'; i++) {
			if (initial[i] == '\n')
				initial[i] = '|';
		}
	} else {
		/* A number of the wrong size, binary, unknown types. */
		if (typebuf == NULL && (typenum == HIVE_REG_DWORD ||
		    typenum == HIVE_REG_DWORD_BIG_ENDIAN ||
		    typenum == HIVE_REG_QWORD))
			type = typebuf = xprintf("hex(%" PRIx32 ")", typenum);
		initial = hive_value_format(cur);
		if (cur->len == 0) {
			free(initial);
			initial = xstrdup("");
		}
	}
	if (strlen(initial) > NTM_REG_EDIT_MAX) {
		tui_status(TUI_WARN, "%s is too long to edit here (%zu "
		    "bytes): export the key, edit the .reg file, import it "
		    "(i)", name, cur != NULL ? cur->len : 0);
		free(initial);
		goto out;
	}
	title = xprintf("%s %s", cur != NULL ? "Edit" : "New value", *name !=
	    '\0' ? name : "(default)");
	if (reg_ask_data(title, *name != '\0' ? name : "(default)", type,
	    typenum, initial, &args, &nargs, &bytes, &blen) != 0) {
		free(title);
		free(initial);
		goto out;
	}
	free(initial);
	if (cur != NULL && cur->type == typenum && cur->len == blen &&
	    memcmp(cur->data, bytes, blen) == 0) {
		tui_status(TUI_NORMAL, "%s: unchanged", title);
	} else {
		key = reg_key_path(st, st->depth);
		argv[n++] = (char *)"reg";
		argv[n++] = (char *)"set";
		argv[n++] = key;
		argv[n++] = *name != '\0' ? (char *)name : (char *)"@";
		argv[n++] = (char *)type;
		for (i = 0; i < (size_t)nargs; i++)
			argv[n++] = args[i];
		argv[n] = NULL;
		strip = reg_printed_path(st);
		reg_run(title, 0, argv, strip, NULL);
		free(strip);
		free(key);
	}
	for (i = 0; i < (size_t)nargs; i++)
		free(args[i]);
	free(args);
	free(bytes);
	free(title);
out:
	free(typebuf);
}

/* Enter or e on a value. */
static void
reg_edit(struct reg_state *st, size_t i)
{
	struct hive_value	*v = &st->vals[i];

	if (!reg_addressable(st, NULL))
		return;
	if (strcmp(v->name, "@") == 0) {
		tui_status(TUI_WARN, "ntmend reg takes @ for the default "
		    "value: a value named '@' is changed with a .reg file");
		return;
	}
	reg_set(st, v->name, v->type, v);
}

/* a: a new value in the key shown. */
static void
reg_add_value(struct reg_state *st)
{
	static const char *const types[] = {
		"SZ          text",
		"EXPAND_SZ   text with %variables%",
		"MULTI_SZ    several strings",
		"DWORD       a 32-bit number",
		"QWORD       a 64-bit number",
		"BINARY      bytes",
	};
	static const uint32_t typenums[] = { HIVE_REG_SZ, HIVE_REG_EXPAND_SZ,
	    HIVE_REG_MULTI_SZ, HIVE_REG_DWORD, HIVE_REG_QWORD,
	    HIVE_REG_BINARY };
	char	*name;
	size_t	 i;
	int	 t;

	if (!reg_addressable(st, NULL))
		return;
	name = tui_input("New value", "Name of the new value (empty: the "
	    "key's default value):", NULL);
	if (name == NULL)
		return;
	if (strcmp(name, "@") == 0)
		*name = '\0';
	for (i = 0; i < st->nvals; i++) {
		if (hive_name_equal(st->vals[i].name, name)) {
			tui_status(TUI_WARN, "%s exists: Enter on it edits it",
			    *name != '\0' ? name : "(default)");
			free(name);
			return;
		}
	}
	t = tui_pick("Type", types, sizeof types / sizeof types[0], 3);
	if (t >= 0) {
		st->want = xstrdup(name);
		st->want_value = 1;
		reg_set(st, name, typenums[t], NULL);
		reg_sync(st);
	}
	free(name);
	/* Cancelled: nothing to select. */
	free(st->want);
	st->want = NULL;
}

/* d: delete the value or key under the cursor. */
static void
reg_delete(struct reg_state *st, struct tui_row *r)
{
	hive_h		*h = hive_handle(st->hives[st->root]);
	hive_node_h	 node;
	char		*key, *q, *sub, *strip, *argv[6];
	size_t		 nk = 0, nv = 0;
	int		 yes;

	if (r->id == ROW_CCS) {
		tui_status(TUI_WARN, "CurrentControlSet is only a name for "
		    "ControlSet%03d", st->ccs);
		return;
	}
	key = reg_key_path(st, st->depth);
	if (r->id < st->nkeys) {
		if (!reg_addressable(st, st->keys[r->id].name)) {
			free(key);
			return;
		}
		sub = xprintf("%s\\%s", key, st->keys[r->id].name);
		if ((node = st->keys[r->id].node) != 0) {
			nk = hivex_node_nr_children(h, node);
			nv = hivex_node_nr_values(h, node);
		}
		q = xprintf("Delete the key %s and everything under it (%zu "
		    "subkey(s), %zu value(s) directly in it)?", sub, nk, nv);
		yes = tui_confirm("Delete key", q);
		free(q);
		if (yes) {
			argv[0] = (char *)"reg";
			argv[1] = (char *)"del";
			argv[2] = sub;
			argv[3] = NULL;
			strip = reg_printed_path(st);
			reg_run("Delete key", 0, argv, strip, NULL);
			free(strip);
		}
		free(sub);
	} else if (r->id >= ROW_VALUE && r->id - ROW_VALUE < st->nvals) {
		const char	*name = st->vals[r->id - ROW_VALUE].name;

		if (!reg_addressable(st, NULL) || strcmp(name, "@") == 0) {
			free(key);
			return;
		}
		q = xprintf("Delete the value %s of %s?", *name != '\0' ?
		    name : "(default)", key);
		yes = tui_confirm("Delete value", q);
		free(q);
		if (yes) {
			argv[0] = (char *)"reg";
			argv[1] = (char *)"del";
			argv[2] = key;
			argv[3] = *name != '\0' ? (char *)name : (char *)"@";
			argv[4] = NULL;
			strip = reg_printed_path(st);
			reg_run("Delete value", 0, argv, strip, NULL);
			free(strip);
		}
	}
	free(key);
}

/* k: a new subkey. ntmend reg set needs a value to create a key, so a
 * .reg file holding the key line alone is imported. */
static void
reg_add_key(struct reg_state *st)
{
	const char	*tmp = getenv("TMPDIR");
	char		*name, *sub, *text, *path, *cause = NULL, *argv[4];
	char		*done;
	size_t		 i;
	int		 fd;

	name = tui_input("New key", "Name of the new subkey:", NULL);
	if (name == NULL)
		return;
	if (*name == '\0' || strpbrk(name, "\\/[]") != NULL) {
		tui_status(TUI_WARN, "a key name is not empty and holds no "
		    "\\ / [ ]");
		free(name);
		return;
	}
	for (i = 0; i < st->nkeys; i++) {
		if (hive_name_equal(st->keys[i].name, name)) {
			tui_status(TUI_WARN, "%s exists", st->keys[i].name);
			free(name);
			return;
		}
	}
	if (!reg_addressable(st, NULL)) {
		free(name);
		return;
	}
	sub = reg_sub_path(st);
	text = xprintf("\xef\xbb\xbfWindows Registry Editor Version 5.00\r\n"
	    "\r\n[%s%s%s\\%s]\r\n", regedit_root(roots[st->root].id),
	    *sub != '\0' ? "\\" : "", sub, name);
	path = xprintf("%s/ntmend-key.XXXXXX", tmp != NULL && *tmp != '\0' ?
	    tmp : "/tmp");
	if ((fd = mkstemp(path)) == -1) {
		tui_status(TUI_ERROR, "%s: %s", path, strerror(errno));
		goto out;
	}
	close(fd);
	if (file_write_all(path, text, strlen(text), &cause) != 0) {
		tui_status(TUI_ERROR, "%s", cause);
		free(cause);
	} else {
		argv[0] = (char *)"reg";
		argv[1] = (char *)"import";
		argv[2] = path;
		argv[3] = NULL;
		done = xprintf("created key %s", name);
		st->want = xstrdup(name);
		st->want_value = 0;
		reg_run("New key", 0, argv, NULL, done);
		free(done);
		reg_sync(st);
		free(st->want);
		st->want = NULL;
	}
	unlink(path);
out:
	free(path);
	free(text);
	free(sub);
	free(name);
}

/* i: import a .reg file, after saying what it holds. */
static void
reg_import(void)
{
	static char		*last;
	struct reg_file		*rf = NULL;
	void			*buf;
	size_t			 len, i, nk = 0, nv = 0, nd = 0;
	char			*path, *cause = NULL, *q, *argv[4];

	path = tui_input("Import", "Path of the .reg file (on this system, "
	    "e.g. the USB stick):", last);
	if (path == NULL || *path == '\0') {
		free(path);
		return;
	}
	free(last);
	last = xstrdup(path);
	if (file_read_all(path, NTM_MAX_REG_FILE, &buf, &len, &cause) != 0) {
		tui_status(TUI_ERROR, "%s", cause);
		goto out;
	}
	if (reg_parse(buf, len, &rf, &cause) != 0) {
		free(buf);
		tui_status(TUI_ERROR, "%s: %s", path, cause);
		goto out;
	}
	free(buf);
	for (i = 0; i < rf->nops; i++) {
		switch (rf->ops[i].type) {
		case REG_OP_KEY_CREATE:
			nk++;
			break;
		case REG_OP_VALUE_SET:
			nv++;
			break;
		default:
			nd++;
			break;
		}
	}
	q = xprintf("Import %s (%s, %zu key(s), %zu value(s) set, %zu "
	    "deletion(s)%s%s)?", path, reg_encoding_name(rf->encoding), nk,
	    nv, nd, rf->warnings_total > 0 ? "; warnings: " : "",
	    rf->warnings_total > 0 ? rf->warnings[0] : "");
	if (tui_confirm("Import .reg", q)) {
		argv[0] = (char *)"reg";
		argv[1] = (char *)"import";
		argv[2] = path;
		argv[3] = NULL;
		reg_run("Import .reg", 1, argv, NULL, NULL);
	}
	free(q);
out:
	free(cause);
	reg_file_free(rf);
	free(path);
}

static enum tui_key
reg_key(struct tui_screen *s, int key)
{
	struct reg_state	*st = s->state;
	struct tui_row		*r;
	char			 ccs[32];

	reg_sync(st);
	if (!tui_s.open)
		return TUI_KEY_PASS;
	r = tui_list_cur(&st->l);
	switch (key) {
	case 27:
	case KEY_LEFT:
	case KEY_BACKSPACE:
	case 127:
		return reg_up(st);
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
	case 'e':
		if (r == NULL || r->id == ROW_NONE)
			return TUI_KEY_DONE;
		if (st->root < 0) {
			if (key != 'e')
				reg_open_root(st, (int)r->id);
		} else if (r->id == ROW_CCS) {
			if (key != 'e') {
				snprintf(ccs, sizeof ccs, "ControlSet%03d",
				    st->ccs);
				reg_open_key(st, ccs, 0);
			}
		} else if (r->id < st->nkeys) {
			if (key != 'e')
				reg_open_key(st, st->keys[r->id].name,
				    st->keys[r->id].node);
		} else if (key != KEY_RIGHT)
			reg_edit(st, r->id - ROW_VALUE);
		break;
	case 'a':
		if (st->root >= 0)
			reg_add_value(st);
		break;
	case 'k':
		if (st->root >= 0)
			reg_add_key(st);
		break;
	case 'd':
	case KEY_DC:
		if (st->root >= 0 && r != NULL)
			reg_delete(st, r);
		break;
	case 'i':
		reg_import();
		break;
	default:
		return tui_list_key(&st->l, key, st->h);
	}
	reg_sync(st);
	return TUI_KEY_DONE;
}

static void
reg_free(struct tui_screen *s)
{
	struct reg_state	*st = s->state;

	reg_vals_free(st);
	reg_path_truncate(st, 0);
	free(st->path);
	reg_hives_close(st);
	tui_list_clear(&st->l);
	free(st->want);
	free(st);
}

void
scr_registry(void)
{
	struct tui_screen	 s;
	struct reg_state	*st = xcalloc(1, sizeof *st);

	st->root = -1;
	st->gen = tui_s.generation;
	reg_build(st, NULL, 0);
	memset(&s, 0, sizeof s);
	s.title = "Registry editor";
	s.keys = "Enter open/edit  a/k add value/key  d del  i import";
	s.help = reg_help;
	s.state = st;
	s.draw = reg_draw;
	s.key = reg_key;
	s.free = reg_free;
	tui_push(&s);
}
