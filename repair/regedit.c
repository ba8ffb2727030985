/*
 * regedit.c: offline registry edits. Hives are checked out for writing on
 * first use, edited in their private copies (so a dry run is the same
 * work without the commit), and committed together into one journal.
 * Offline edits are not bound by key ACLs: that is how a service whose
 * key forbids changing Start (WaaSMedicSvc in CASE.md) gets repaired.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "repair/repair.h"
#include "util/util.h"

/* Registry paths as .reg files name each hive's root key. */
static const char *const regedit_roots[HIVE_COUNT] = {
	[HIVE_SYSTEM] = "HKEY_LOCAL_MACHINE\\SYSTEM",
	[HIVE_SOFTWARE] = "HKEY_LOCAL_MACHINE\\SOFTWARE",
	[HIVE_COMPONENTS] = "HKEY_LOCAL_MACHINE\\COMPONENTS",
	[HIVE_DEFAULT] = "HKEY_USERS\\.DEFAULT",
	[HIVE_SAM] = "HKEY_LOCAL_MACHINE\\SAM",
	[HIVE_SECURITY] = "HKEY_LOCAL_MACHINE\\SECURITY",
};

struct regedit {
	struct vol	*vol;
	int		 force;
	struct hive	*hives[HIVE_COUNT];
	int		 changed[HIVE_COUNT];
	char		**changes;
	size_t		  nchanges;
};

const char *
regedit_root(enum hive_id id)
{
	return id < HIVE_COUNT ? regedit_roots[id] : NULL;
}

int
regedit_begin(struct vol *vol, int force, struct regedit **rep)
{
	struct regedit	*re;

	re = xcalloc(1, sizeof *re);
	re->vol = vol;
	re->force = force;
	*rep = re;
	return 0;
}

void
regedit_free(struct regedit *re)
{
	size_t	i;

	if (re == NULL)
		return;
	for (i = 0; i < HIVE_COUNT; i++)
		hive_close(re->hives[i]);
	for (i = 0; i < re->nchanges; i++)
		free(re->changes[i]);
	free(re->changes);
	free(re);
}

struct hive *
regedit_hive(struct regedit *re, enum hive_id id, char **cause)
{
	int	flags = HIVE_WRITE;

	if (re->hives[id] != NULL)
		return re->hives[id];
	if (re->force)
		flags |= HIVE_FORCE;
	if (hive_checkout_flags(re->vol, hive_volume_path(id), flags,
	    &re->hives[id], cause) != 0)
		return NULL;
	return re->hives[id];
}

static void
regedit_note(struct regedit *re, enum hive_id id, const char *fmt, ...)
    NTM_PRINTF(3, 4);

static void
regedit_note(struct regedit *re, enum hive_id id, const char *fmt, ...)
{
	va_list		 ap;
	const char	*w;

	/* The first change to a dirty hive writes what its logs held (or,
	 * forced, loses it) too: say so with the changes, where a dry run
	 * and the journal's caller see it, not only on a read's stderr. */
	if (!re->changed[id] && (w = hive_warning(re->hives[id])) != NULL) {
		re->changes = xreallocarray(re->changes, re->nchanges + 1,
		    sizeof *re->changes);
		re->changes[re->nchanges++] = xstrdup(w);
	}
	re->changed[id] = 1;
	re->changes = xreallocarray(re->changes, re->nchanges + 1,
	    sizeof *re->changes);
	va_start(ap, fmt);
	xvasprintf(&re->changes[re->nchanges++], fmt, ap);
	va_end(ap);
}

const char *const *
regedit_changes(struct regedit *re, size_t *n)
{
	*n = re->nchanges;
	return (const char *const *)re->changes;
}

/* A registry path to its hive (checked out) and the key's full path as
 * a .reg file names it, CurrentControlSet resolved; caller frees *full. */
static struct hive *
regedit_locate(struct regedit *re, const char *regpath, enum hive_id *id,
    char **full, char **cause)
{
	struct hive	*h;
	char		*sub, *resolved;

	if (hive_path_split(regpath, id, &sub, cause) != 0)
		return NULL;
	if ((h = regedit_hive(re, *id, cause)) == NULL) {
		free(sub);
		return NULL;
	}
	resolved = hive_path_resolve(h, sub, cause);
	free(sub);
	if (resolved == NULL)
		return NULL;
	*full = *resolved != '\0' ? xprintf("%s\\%s", regedit_roots[*id],
	    resolved) : xstrdup(regedit_roots[*id]);
	free(resolved);
	return h;
}

/* The path inside the hive of a full path regedit_locate made. */
static const char *
regedit_sub(enum hive_id id, const char *full)
{
	const char	*sub = full + strlen(regedit_roots[id]);

	return *sub == '\\' ? sub + 1 : sub;
}

/* Apply a one-operation change through reg.c, which already knows how to
 * create parents and match names as Windows does. */
static int
regedit_apply_one(struct hive *h, enum hive_id id, enum reg_op_type type,
    const char *full, const char *name, uint32_t vtype, const void *data,
    size_t len, char **cause)
{
	struct reg_file		*rf;
	struct reg_apply_result	 res;
	int			 ret;

	rf = reg_file_new();
	reg_file_add(rf, type, full, name, vtype, data, len);
	ret = reg_apply(hive_handle(h), rf, regedit_roots[id], &res, cause);
	reg_apply_result_free(&res);
	reg_file_free(rf);
	return ret;
}

/* Data shown in a change line, in characters of its text. */
#define NTM_MAX_CHANGE_DATA	120

/* "REG_DWORD 4" for the change lines; caller frees. */
static char *
regedit_describe(uint32_t type, const void *data, size_t len)
{
	struct hive_value	 v;
	char			*s, *t, *out;
	size_t			 n;

	v.name = NULL;
	v.type = type;
	v.data = (uint8_t *)data;
	v.len = len;
	s = hive_value_format(&v);
	t = hive_type_name(type);
	/* A change line is one line: a 16 KB binary value printed whole
	 * buried every other line of the output. */
	if (strlen(s) > NTM_MAX_CHANGE_DATA) {
		n = NTM_MAX_CHANGE_DATA;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		xasprintf(&out, "%.*s... (%zu bytes)", (int)n, s, len);
		free(s);
		s = out;
	}
	out = xprintf("%s %s", t, s);
	free(s);
	free(t);
	return out;
}

int
regedit_set(struct regedit *re, const char *regpath, const char *name,
    uint32_t type, const void *data, size_t len, char **cause)
{
	struct hive_value	 old;
	struct hive		*h;
	enum hive_id		 id;
	char			*full, *now, *was = NULL;
	int			 ret = -1;

	if ((h = regedit_locate(re, regpath, &id, &full, cause)) == NULL)
		return -1;
	if (hive_value_get(h, regedit_sub(id, full), name, &old, NULL) == 0) {
		if (old.type == type && old.len == len &&
		    memcmp(old.data, data, len) == 0) {
			hive_value_free(&old);
			free(full);
			return 0;	/* already so: no change to journal */
		}
		was = regedit_describe(old.type, old.data, old.len);
		hive_value_free(&old);
	}
	if (regedit_apply_one(h, id, REG_OP_VALUE_SET, full, name, type, data,
	    len, cause) != 0)
		goto out;
	now = regedit_describe(type, data, len);
	regedit_note(re, id, "set %s\\%s = %s%s%s", full,
	    *name != '\0' ? name : "(default)", now, was != NULL ? ", was " :
	    " (new)", was != NULL ? was : "");
	free(now);
	ret = 0;
out:
	free(was);
	free(full);
	return ret;
}

int
regedit_delete(struct regedit *re, const char *regpath, const char *name,
    char **cause)
{
	struct hive_value	 old;
	struct hive		*h;
	hive_node_h		 node;
	enum hive_id		 id;
	const char		*sub;
	char			*full;
	int			 ret = -1;

	if ((h = regedit_locate(re, regpath, &id, &full, cause)) == NULL)
		return -1;
	sub = regedit_sub(id, full);
	if (name != NULL) {
		if (hive_value_get(h, sub, name, &old, NULL) != 0) {
			set_cause(cause, "%s has no value %s", full, name);
			goto out;
		}
		hive_value_free(&old);
		if (regedit_apply_one(h, id, REG_OP_VALUE_DELETE, full, name,
		    0, NULL, 0, cause) != 0)
			goto out;
		regedit_note(re, id, "deleted value %s\\%s", full,
		    *name != '\0' ? name : "(default)");
	} else {
		if (*sub == '\0') {
			set_cause(cause, "%s is a hive's root key: it cannot be "
			    "deleted", full);
			goto out;
		}
		if (hive_key_lookup(h, sub, &node, cause) != 0)
			goto out;
		if (regedit_apply_one(h, id, REG_OP_KEY_DELETE, full, NULL, 0,
		    NULL, 0, cause) != 0)
			goto out;
		regedit_note(re, id, "deleted key %s (with its subkeys)",
		    full);
	}
	ret = 0;
out:
	free(full);
	return ret;
}

int
regedit_import(struct regedit *re, const struct reg_file *rf, char **cause)
{
	struct reg_file		*per[HIVE_COUNT] = { NULL };
	struct reg_apply_result	 res;
	const struct reg_op	*op;
	struct hive		*h;
	enum hive_id		 id;
	char			*sub, *resolved, *full;
	size_t			 i, counts[HIVE_COUNT] = { 0 };
	int			 ret = -1;

	/* Split by hive and resolve CurrentControlSet first (a .reg file
	 * from a running PC names it; offline it is only a Select value),
	 * so nothing is applied when any key is out of reach. */
	for (i = 0; i < rf->nops; i++) {
		op = &rf->ops[i];
		if (hive_path_split(op->key, &id, &sub, cause) != 0) {
			char *c = *cause;

			xasprintf(cause, "line %zu: %s (offline, only "
			    "HKEY_LOCAL_MACHINE\\SYSTEM, SOFTWARE, COMPONENTS, "
			    "SAM, SECURITY and HKEY_USERS\\.DEFAULT exist)",
			    op->line, c);
			free(c);
			goto out;
		}
		if ((h = regedit_hive(re, id, cause)) == NULL ||
		    (resolved = hive_path_resolve(h, sub, cause)) == NULL) {
			free(sub);
			goto out;
		}
		free(sub);
		full = *resolved != '\0' ? xprintf("%s\\%s", regedit_roots[id],
		    resolved) : xstrdup(regedit_roots[id]);
		free(resolved);
		if (per[id] == NULL)
			per[id] = reg_file_new();
		reg_file_add(per[id], op->type, full, op->name, op->vtype,
		    op->data, op->len);
		free(full);
		counts[id]++;
	}
	for (id = 0; id < HIVE_COUNT; id++) {
		if (per[id] == NULL)
			continue;
		if (reg_apply(hive_handle(re->hives[id]), per[id],
		    regedit_roots[id], &res, cause) != 0) {
			reg_apply_result_free(&res);
			goto out;
		}
		regedit_note(re, id, "imported %zu operation(s) into %s: %zu "
		    "key(s) created, %zu deleted, %zu value(s) set, %zu "
		    "deleted", counts[id], regedit_roots[id], res.keys_created,
		    res.keys_deleted, res.values_set, res.values_deleted);
		reg_apply_result_free(&res);
	}
	ret = 0;
out:
	for (id = 0; id < HIVE_COUNT; id++)
		reg_file_free(per[id]);
	return ret;
}

int
regedit_commit(struct regedit *re, struct journal *j, char **cause)
{
	enum hive_id	id;

	for (id = 0; id < HIVE_COUNT; id++) {
		if (!re->changed[id])
			continue;
		if (journal_hive(j, re->hives[id], hive_volume_path(id),
		    cause) != 0)
			return -1;
	}
	return 0;
}

/* Value types by the names people type: REG_SZ, sz, dword, hex(7), 7. */
static const struct {
	const char	*name;
	uint32_t	 type;
} regedit_types[] = {
	{ "none", HIVE_REG_NONE },
	{ "sz", HIVE_REG_SZ },
	{ "expand_sz", HIVE_REG_EXPAND_SZ },
	{ "binary", HIVE_REG_BINARY },
	{ "dword", HIVE_REG_DWORD },
	{ "dword_big_endian", HIVE_REG_DWORD_BIG_ENDIAN },
	{ "link", HIVE_REG_LINK },
	{ "multi_sz", HIVE_REG_MULTI_SZ },
	{ "qword", HIVE_REG_QWORD },
};

/* *raw: the type was given as a number (hex(4), 4), so its data is hex
 * bytes as in a .reg file, whatever the type. */
static int
regedit_type(const char *s, uint32_t *type, int *raw)
{
	unsigned long	 n;
	size_t		 i;
	char		*end;

	*raw = 0;
	if (strncasecmp(s, "REG_", 4) == 0)
		s += 4;
	for (i = 0; i < sizeof regedit_types / sizeof regedit_types[0]; i++) {
		if (strcasecmp(s, regedit_types[i].name) == 0) {
			*type = regedit_types[i].type;
			return 0;
		}
	}
	*raw = 1;
	if (strncasecmp(s, "hex(", 4) == 0)
		s += 4;
	errno = 0;
	n = strtoul(s, &end, 16);
	if (errno != 0 || end == s || (*end != '\0' && strcmp(end, ")") != 0) ||
	    n > UINT32_MAX)
		return -1;
	*type = (uint32_t)n;
	return 0;
}

static int
regedit_hex(const char *s, uint8_t **data, size_t *len, char **cause)
{
	uint8_t	*out;
	size_t	 n = 0;
	int	 hi = -1, v;

	out = xmalloc(strlen(s) / 2 + 1);
	for (; *s != '\0'; s++) {
		if (*s == ',' || *s == ' ' || *s == ':')
			continue;
		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else {
			free(out);
			return set_cause(cause, "'%c' is not a hex digit", *s);
		}
		if (hi < 0)
			hi = v;
		else {
			out[n++] = (uint8_t)(hi << 4 | v);
			hi = -1;
		}
	}
	if (hi >= 0) {
		free(out);
		return set_cause(cause, "an odd number of hex digits");
	}
	*data = out;
	*len = n;
	return 0;
}

static int
regedit_number(const char *s, uint64_t max, uint64_t *v, char **cause)
{
	unsigned long long	 n;
	char			*end;

	/* Base 0 would read "010" as octal 8: decimal unless 0x. */
	errno = 0;
	n = strtoull(s, &end, strncasecmp(s, "0x", 2) == 0 ? 16 : 10);
	if (errno != 0 || end == s || *end != '\0' || *s == '-' || n > max)
		return set_cause(cause, "'%s' is not a number from 0 to %llu "
		    "(decimal, or hex with 0x)", s, (unsigned long long)max);
	*v = n;
	return 0;
}

int
regedit_parse_data(const char *typestr, char *const *args, int nargs,
    uint32_t *typep, uint8_t **data, size_t *len, char **cause)
{
	uint64_t	 v;
	uint8_t		*out, *u;
	size_t		 ulen, n = 0;
	uint32_t	 type;
	int		 i, raw;

	if (regedit_type(typestr, &type, &raw) != 0)
		return set_cause(cause, "unknown value type '%s' (sz, "
		    "expand_sz, multi_sz, dword, qword, binary, none, or "
		    "hex(N))", typestr);
	*typep = type;
	switch (raw ? HIVE_REG_BINARY : type) {
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
	case HIVE_REG_MULTI_SZ:
		if (nargs < 1 || (type != HIVE_REG_MULTI_SZ && nargs != 1))
			return set_cause(cause, "%s takes %s", typestr,
			    type == HIVE_REG_MULTI_SZ ? "one argument per "
			    "string" : "one string");
		out = NULL;
		/* Strings are stored in UTF-16LE with their NUL; a
		 * MULTI_SZ ends with one more. */
		for (i = 0; i < nargs; i++) {
			if ((u = utf8_to_utf16le(args[i], &ulen)) == NULL) {
				free(out);
				return set_cause(cause, "'%s' is not valid "
				    "UTF-8", args[i]);
			}
			out = xrealloc(out, n + ulen + 4);
			memcpy(out + n, u, ulen + 2);
			n += ulen + 2;
			free(u);
		}
		if (type == HIVE_REG_MULTI_SZ) {
			le16enc(out + n, 0);
			n += 2;
		}
		*data = out;
		*len = n;
		return 0;
	case HIVE_REG_DWORD:
	case HIVE_REG_DWORD_BIG_ENDIAN:
		if (nargs != 1 || regedit_number(args[0], UINT32_MAX, &v,
		    cause) != 0)
			return nargs != 1 ? set_cause(cause, "dword takes one "
			    "number") : -1;
		out = xmalloc(4);
		if (type == HIVE_REG_DWORD)
			le32enc(out, (uint32_t)v);
		else {
			out[0] = (uint8_t)(v >> 24);
			out[1] = (uint8_t)(v >> 16);
			out[2] = (uint8_t)(v >> 8);
			out[3] = (uint8_t)v;
		}
		*data = out;
		*len = 4;
		return 0;
	case HIVE_REG_QWORD:
		if (nargs != 1 || regedit_number(args[0], UINT64_MAX, &v,
		    cause) != 0)
			return nargs != 1 ? set_cause(cause, "qword takes one "
			    "number") : -1;
		out = xmalloc(8);
		le64enc(out, v);
		*data = out;
		*len = 8;
		return 0;
	default:
		if (nargs > 1)
			return set_cause(cause, "give the bytes as one hex "
			    "string (\"01,02,ff\")");
		if (nargs == 0) {
			*data = xmalloc(1);
			*len = 0;
			return 0;
		}
		return regedit_hex(args[0], data, len, cause);
	}
}
