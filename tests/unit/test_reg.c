/*
 * test_reg.c: .reg import and export (hive/reg.c) on copies of the
 * testdata hives.
 *
 * Imports are committed with hivex to a new file and read back twice,
 * independently of reg.c: with a fresh hivex handle (type and bytes of
 * every value the file sets) and with the hivexsh command-line tool
 * ("lsval", compared with text written by hand here). Export is checked
 * against regedit's byte layout written out by hand, and by the identity
 * export -> import -> export on generated files, on the hivex_special
 * names and on a real subtree of the regipy SYSTEM hive.
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <glob.h>
#include <iconv.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <hivex.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

static struct reg_file *
parse_ok(const void *buf, size_t len)
{
	struct reg_file	*rf;
	char		*cause = NULL;

	if (reg_parse(buf, len, &rf, &cause) != 0)
		fail_msg("reg_parse: %s", cause);
	assert_non_null(rf);
	return rf;
}

static struct reg_file *
parse_str(const char *text)
{
	return parse_ok(text, strlen(text));
}

/* Parse text, apply it under root to a fresh copy of hivex_minimal and
 * commit to dir/out. */
static void
import_to(struct tl_dir *rt, const void *buf, size_t len, const char *root,
    const char *base, const char *out, struct reg_apply_result *resp)
{
	struct reg_apply_result	 res;
	struct reg_file		*rf;
	hive_h			*h;
	char			*src, *dst, *cause = NULL;

	rf = parse_ok(buf, len);
	src = base != NULL ? tl_path(rt->dir, base) :
	    tl_hive(rt->dir, "hivex_minimal", NULL);
	if ((h = hivex_open(src, HIVEX_OPEN_WRITE)) == NULL)
		fail_msg("hivex_open %s: %s", src, strerror(errno));
	if (reg_apply(h, rf, root, &res, &cause) != 0)
		fail_msg("reg_apply: %s", cause);
	dst = tl_path(rt->dir, out);
	if (hivex_commit(h, dst, 0) != 0)
		fail_msg("hivex_commit %s: %s", dst, strerror(errno));
	hivex_close(h);
	if (resp != NULL)
		*resp = res;
	else
		reg_apply_result_free(&res);
	reg_file_free(rf);
	free(src);
	free(dst);
}

/* Look a key up by '\' path below the root with a fresh handle, matching
 * names exactly (what was written is what must be there). */
static hive_node_h
key_find(hive_h *h, const char *path)
{
	hive_node_h	 node = hivex_root(h), *kids;
	char		*copy = xstrdup(path), *p, *comp, *name;
	size_t		 i;

	for (p = copy; (comp = strsep(&p, "\\")) != NULL; ) {
		if (*comp == '\0')
			continue;
		kids = hivex_node_children(h, node);
		assert_non_null(kids);
		for (i = 0; kids[i] != 0; i++) {
			name = hivex_node_name(h, kids[i]);
			if (strcmp(name, comp) == 0) {
				free(name);
				break;
			}
			free(name);
		}
		node = kids[i];
		free(kids);
		if (node == 0)
			break;
	}
	free(copy);
	return node;
}

/* The value name of a key (exact spelling), its type and bytes. */
static int
value_get(hive_h *h, hive_node_h node, const char *name, hive_type *t,
    char **data, size_t *len)
{
	hive_value_h	*vals;
	char		*key;
	size_t		 i;
	int		 found = 0;

	vals = hivex_node_values(h, node);
	assert_non_null(vals);
	for (i = 0; vals[i] != 0 && !found; i++) {
		key = hivex_value_key(h, vals[i]);
		if (strcmp(key, name) == 0) {
			*data = hivex_value_value(h, vals[i], t, len);
			assert_non_null(*data);
			found = 1;
		}
		free(key);
	}
	free(vals);
	return found;
}

static void
check_value(hive_h *h, const char *path, const char *name, uint32_t type,
    const void *data, size_t len)
{
	hive_node_h	 node;
	hive_type	 t;
	char		*got, *hex1, *hex2;
	size_t		 glen;

	if ((node = key_find(h, path)) == 0)
		fail_msg("key %s missing", path);
	if (!value_get(h, node, name, &t, &got, &glen))
		fail_msg("value %s\\\"%s\" missing", path, name);
	if ((uint32_t)t != type || glen != len || memcmp(got, data, len) != 0) {
		hex1 = hex_encode(got, glen);
		hex2 = hex_encode(data, len);
		fail_msg("%s\\\"%s\": type %u len %zu %s, expected type %u "
		    "len %zu %s", path, name, (unsigned)t, glen, hex1, type,
		    len, hex2);
	}
	free(got);
}

static void
check_no_value(hive_h *h, const char *path, const char *name)
{
	hive_node_h	 node;
	hive_type	 t;
	char		*got;
	size_t		 glen;

	if ((node = key_find(h, path)) == 0)
		fail_msg("key %s missing", path);
	if (value_get(h, node, name, &t, &got, &glen)) {
		free(got);
		fail_msg("value %s\\\"%s\" still there", path, name);
	}
}

/*
 * After import, every value the file leaves set is in the hive with its
 * type and bytes. What the file leaves is worked out here on a plain
 * list, independently of reg.c: sets replace, "x"=- and [-KEY] remove,
 * names compare case-insensitively (ASCII, enough for the files used).
 */
struct mval {
	char		*key;		/* below the root, "" for the root */
	char		*name;
	uint32_t	 type;
	const uint8_t	*data;
	size_t		 len;
};

static char *
model_key(const char *key)
{
	static const char *const roots[][2] = {
		{ "HKLM", "HKEY_LOCAL_MACHINE" }, { "HKCU", "HKEY_CURRENT_USER" },
		{ "HKCR", "HKEY_CLASSES_ROOT" }, { "HKU", "HKEY_USERS" },
		{ "HKCC", "HKEY_CURRENT_CONFIG" }
	};
	char	*copy = xstrdup(key), *p, *comp, *out = xstrdup("");
	char	*tmp;
	size_t	 i;
	int	 first = 1;

	for (p = copy; (comp = strsep(&p, "\\")) != NULL; ) {
		if (*comp == '\0')
			continue;
		for (i = 0; first && i < 5; i++) {
			if (strcasecmp(comp, roots[i][0]) == 0)
				comp = (char *)roots[i][1];
		}
		tmp = xprintf("%s%s%s", out, first ? "" : "\\", comp);
		free(out);
		out = tmp;
		first = 0;
	}
	free(copy);
	return out;
}

static hive_node_h
key_find_ci(hive_h *h, const char *path)
{
	hive_node_h	 node = hivex_root(h);
	char		*copy = xstrdup(path), *p, *comp;

	for (p = copy; node != 0 && (comp = strsep(&p, "\\")) != NULL; ) {
		if (*comp != '\0')
			node = hivex_node_get_child(h, node, comp);
	}
	free(copy);
	return node;
}

static void
check_all_values(const char *hive, const struct reg_file *rf,
    const char *root)
{
	const struct reg_op	*op;
	struct mval		*m = NULL;
	hive_value_h		*vals;
	hive_node_h		 node;
	hive_type		 t;
	hive_h			*h;
	char			*nk, *rel, *key, *got;
	size_t			 n = 0, i, k, rl = strlen(root), glen, kl;
	int			 found;

	for (i = 0; i < rf->nops; i++) {
		op = &rf->ops[i];
		nk = model_key(op->key);
		if (strncasecmp(nk, root, rl) != 0 ||
		    (nk[rl] != '\0' && nk[rl] != '\\')) {
			free(nk);
			continue;
		}
		rel = nk + rl + (nk[rl] == '\\');
		kl = strlen(rel);
		for (k = 0; k < n; k++) {
			if (op->type == REG_OP_KEY_DELETE && *rel != '\0' &&
			    strncasecmp(m[k].key, rel, kl) == 0 &&
			    (m[k].key[kl] == '\0' || m[k].key[kl] == '\\'))
				break;
			if (op->name != NULL && strcasecmp(m[k].key, rel) == 0 &&
			    strcasecmp(m[k].name, op->name) == 0)
				break;
		}
		if (op->type == REG_OP_KEY_DELETE) {
			while (k < n) {
				if (strncasecmp(m[k].key, rel, kl) == 0 &&
				    (m[k].key[kl] == '\0' ||
				    m[k].key[kl] == '\\')) {
					free(m[k].key);
					free(m[k].name);
					m[k] = m[--n];
				} else
					k++;
			}
		} else if (op->type == REG_OP_VALUE_DELETE && k < n) {
			free(m[k].key);
			free(m[k].name);
			m[k] = m[--n];
		} else if (op->type == REG_OP_VALUE_SET) {
			if (k == n) {
				m = xreallocarray(m, n + 1, sizeof *m);
				m[n].key = xstrdup(rel);
				m[n++].name = xstrdup(op->name);
			}
			m[k].type = op->vtype;
			m[k].data = op->data;
			m[k].len = op->len;
		}
		free(nk);
	}
	assert_true(n > 0);

	if ((h = hivex_open(hive, 0)) == NULL)
		fail_msg("hivex_open %s: %s", hive, strerror(errno));
	for (k = 0; k < n; k++) {
		if ((node = key_find_ci(h, m[k].key)) == 0)
			fail_msg("key %s missing", m[k].key);
		vals = hivex_node_values(h, node);
		assert_non_null(vals);
		for (i = 0, found = 0; vals[i] != 0 && !found; i++) {
			key = hivex_value_key(h, vals[i]);
			if (strcasecmp(key, m[k].name) == 0) {
				found = 1;
				got = hivex_value_value(h, vals[i], &t, &glen);
				if ((uint32_t)t != m[k].type || glen != m[k].len ||
				    memcmp(got, m[k].data, glen) != 0)
					fail_msg("%s\\\"%s\": type %u len %zu, "
					    "expected type %u len %zu", m[k].key,
					    key, (unsigned)t, glen, m[k].type,
					    m[k].len);
				free(got);
			}
			free(key);
		}
		free(vals);
		if (!found)
			fail_msg("value %s\\\"%s\" missing", m[k].key,
			    m[k].name);
		free(m[k].key);
		free(m[k].name);
	}
	free(m);
	hivex_close(h);
}

/* hivexsh's own listing of a key's values (another program reading the
 * committed file). It prints strings with \\ and \" escaped. */
static char *
hivexsh_lsval(const char *hive, const char *path)
{
	char	*script, *text, *out;

	script = xprintf("%s.hivexsh", hive);
	text = xprintf("cd %s\nlsval\n", path);
	tl_write(script, text, strlen(text));
	out = tl_sh("hivexsh -f '%s' '%s'", script, hive);
	free(text);
	free(script);
	return out;
}

/* Recode with iconv(3), for files in other encodings. */
static void *
recode(const char *to, const char *from, const char *s, size_t len,
    size_t *outlen)
{
	iconv_t	 cd;
	char	*out, *in = (char *)s, *o;
	size_t	 inleft = len, outleft = len * 4 + 16;

	if ((cd = iconv_open(to, from)) == (iconv_t)-1)
		fail_msg("iconv_open %s: %s", to, strerror(errno));
	out = o = xmalloc(outleft);
	if (iconv(cd, &in, &inleft, &o, &outleft) == (size_t)-1)
		fail_msg("iconv to %s: %s", to, strerror(errno));
	iconv_close(cd);
	*outlen = (size_t)(o - out);
	return out;
}

/* text with "\n" -> "\r\n" */
static char *
crlf(const char *text)
{
	size_t	 n = 0, i;
	char	*out;

	for (i = 0; text[i] != '\0'; i++)
		n += text[i] == '\n' ? 2 : 1;
	out = xmalloc(n + 1);
	for (i = 0, n = 0; text[i] != '\0'; i++) {
		if (text[i] == '\n')
			out[n++] = '\r';
		out[n++] = text[i];
	}
	out[n] = '\0';
	return out;
}

/* UTF-16LE with BOM and CRLF, as regedit saves. */
static void *
utf16_file(const char *text, size_t *len)
{
	char	*c = crlf(text);
	uint8_t	*u, *out;
	size_t	 n;

	u = recode("UTF-16LE", "UTF-8", c, strlen(c), &n);
	out = xmalloc(n + 2);
	out[0] = 0xff;
	out[1] = 0xfe;
	memcpy(out + 2, u, n);
	*len = n + 2;
	free(u);
	free(c);
	return out;
}

/* Walk two subtrees: same names in the same order, same values. */
static void
tree_equal(hive_h *ha, hive_node_h a, hive_h *hb, hive_node_h b,
    const char *where)
{
	hive_node_h	*ka, *kb;
	hive_value_h	*va, *vb;
	hive_type	 ta, tb;
	char		*na, *nb, *da, *db, *sub;
	size_t		 i, la, lb;

	va = hivex_node_values(ha, a);
	vb = hivex_node_values(hb, b);
	assert_non_null(va);
	assert_non_null(vb);
	for (i = 0; va[i] != 0 && vb[i] != 0; i++) {
		na = hivex_value_key(ha, va[i]);
		nb = hivex_value_key(hb, vb[i]);
		if (strcmp(na, nb) != 0)
			fail_msg("%s: value %zu is \"%s\" and \"%s\"", where,
			    i, na, nb);
		da = hivex_value_value(ha, va[i], &ta, &la);
		db = hivex_value_value(hb, vb[i], &tb, &lb);
		if (ta != tb || la != lb || memcmp(da, db, la) != 0)
			fail_msg("%s: value \"%s\" differs (type %d/%d, len "
			    "%zu/%zu)", where, na, ta, tb, la, lb);
		free(na);
		free(nb);
		free(da);
		free(db);
	}
	if (va[i] != 0 || vb[i] != 0)
		fail_msg("%s: different numbers of values", where);
	free(va);
	free(vb);

	ka = hivex_node_children(ha, a);
	kb = hivex_node_children(hb, b);
	for (i = 0; ka[i] != 0 && kb[i] != 0; i++) {
		na = hivex_node_name(ha, ka[i]);
		nb = hivex_node_name(hb, kb[i]);
		if (strcmp(na, nb) != 0)
			fail_msg("%s: subkey %zu is \"%s\" and \"%s\"", where,
			    i, na, nb);
		sub = xprintf("%s\\%s", where, na);
		tree_equal(ha, ka[i], hb, kb[i], sub);
		free(sub);
		free(na);
		free(nb);
	}
	if (ka[i] != 0 || kb[i] != 0)
		fail_msg("%s: different numbers of subkeys", where);
	free(ka);
	free(kb);
}

static void
hives_equal(const char *fa, const char *pa, const char *fb, const char *pb)
{
	hive_h		*ha, *hb;
	hive_node_h	 a, b;

	ha = hivex_open(fa, 0);
	hb = hivex_open(fb, 0);
	assert_non_null(ha);
	assert_non_null(hb);
	a = key_find(ha, pa);
	b = key_find(hb, pb);
	assert_true(a != 0);
	assert_true(b != 0);
	tree_equal(ha, a, hb, b, pa);
	hivex_close(ha);
	hivex_close(hb);
}

static void
export_ok(const char *hive, const char *root, const char *path, void **buf,
    size_t *len)
{
	hive_h	*h;
	char	*cause = NULL;

	if ((h = hivex_open(hive, 0)) == NULL)
		fail_msg("hivex_open %s: %s", hive, strerror(errno));
	if (reg_export(h, root, path, buf, len, &cause) != 0)
		fail_msg("reg_export %s: %s", path, cause);
	hivex_close(h);
}

static void
assert_bytes_equal(const void *a, size_t alen, const void *b, size_t blen)
{
	const uint8_t	*pa = a, *pb = b;
	size_t		 i;

	for (i = 0; i < alen && i < blen && pa[i] == pb[i]; i++)
		/* nothing */;
	if (i != alen || i != blen)
		fail_msg("differ at byte %zu (lengths %zu, %zu)", i, alen,
		    blen);
}

/* ------------------------------------------------------------------ */

/*
 * Every .reg file in testdata parses, and imports (under each root key it
 * names, into its own copy of hivex_minimal) with every value it leaves
 * set read back.
 */
static void
test_reg_testdata(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	struct reg_file		*rf;
	glob_t			 g;
	void			*buf;
	size_t			 len, i, j, k, nroots;
	char			*pattern, *roots[8], *hive, *name;

	pattern = xprintf("%s/reg/*.reg", tl_testdata());
	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 0);
	for (i = 0; i < g.gl_pathc; i++) {
		tl_read(g.gl_pathv[i], NTM_MAX_REG_FILE, &buf, &len);
		rf = parse_ok(buf, len);
		nroots = 0;
		for (j = 0; j < rf->nops; j++) {
			name = model_key(rf->ops[j].key);
			name[strcspn(name, "\\")] = '\0';
			for (k = 0; k < nroots; k++) {
				if (strcmp(roots[k], name) == 0)
					break;
			}
			if (k == nroots && nroots < 8)
				roots[nroots++] = name;
			else
				free(name);
		}
		assert_true(nroots > 0);
		for (k = 0; k < nroots; k++) {
			name = xprintf("td%zu-%zu", i, k);
			import_to(rt, buf, len, roots[k], NULL, name, &res);
			reg_apply_result_free(&res);
			hive = tl_path(rt->dir, name);
			check_all_values(hive, rf, roots[k]);
			free(hive);
			free(name);
			free(roots[k]);
		}
		reg_file_free(rf);
		free(buf);
	}
	globfree(&g);
	free(pattern);
}

/* The real regedit export in testdata: every value read back. */
static void
test_reg_putty(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	struct reg_file		*rf;
	const struct reg_op	*op;
	void			*buf;
	size_t			 len, i, keys = 0, values = 0, lines = 0;
	char			*path, *hive, *ls, *p;

	path = xprintf("%s/reg/ascii_regedit_export_putty-solarized.reg",
	    tl_testdata());
	tl_read(path, NTM_MAX_REG_FILE, &buf, &len);
	rf = parse_ok(buf, len);
	assert_int_equal(rf->version, 5);
	assert_int_equal(rf->encoding, REG_ENC_UTF8);
	assert_int_equal(rf->nwarnings, 0);
	/* One op per key line and per value line of the file. */
	for (p = buf; p != NULL && *p != '\0'; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (*p == '[')
			lines++;
		else if (*p == '"')
			values++;
	}
	for (i = 0; i < rf->nops; i++) {
		op = &rf->ops[i];
		if (op->type == REG_OP_KEY_CREATE)
			keys++;
		else
			assert_int_equal(op->type, REG_OP_VALUE_SET);
	}
	assert_int_equal(keys, lines);
	assert_int_equal(rf->nops - keys, values);
	op = &rf->ops[3];
	assert_string_equal(op->key, "HKEY_CURRENT_USER\\Software\\SimonTatham"
	    "\\PuTTY\\Sessions\\Default%20Settings");
	assert_string_equal(op->name, "Present");
	assert_int_equal(op->vtype, HIVE_REG_DWORD);
	assert_int_equal(op->line, 8);

	import_to(rt, buf, len, "HKEY_CURRENT_USER", NULL, "putty", &res);
	assert_int_equal(res.skipped, 0);
	assert_int_equal(res.values_set, values);
	/* Software, SimonTatham, PuTTY, Sessions and the three sessions. */
	assert_int_equal(res.keys_created, 7);
	reg_apply_result_free(&res);
	hive = tl_path(rt->dir, "putty");
	check_all_values(hive, rf, "HKEY_CURRENT_USER");

	ls = hivexsh_lsval(hive, "\\Software\\SimonTatham\\PuTTY\\Sessions\\"
	    "Default%20Settings");
	assert_non_null(strstr(ls, "\"LogFileClash\"=dword:ffffffff\n"));
	assert_non_null(strstr(ls, "\"ProxyTelnetCommand\"=\"connect "
	    "%host %port\\\\n\"\n"));
	assert_non_null(strstr(ls, "\"TerminalType\"=\"xterm\"\n"));
	free(ls);

	free(hive);
	free(path);
	free(buf);
	reg_file_free(rf);
}

/*
 * One settings file in every encoding regedit and editors produce: the
 * operations and what lands in the hive are the same. hex(2) and hex(7)
 * hold UTF-16LE in the 5.00 files and ANSI in the REGEDIT4 one.
 */
static const char enc_body5[] =
    "\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ümlaut Schlüssel]\n"
    "\"Größe\"=\"Äpfel und Öl €\"\n"
    "\"Pfad\"=\"C:\\\\Programme\\\\Ä\"\n"
    "\"Zitat\"=\"er sagte \\\"ja\\\"\"\n"
    "@=\"Standard\"\n"
    "\"Zahl\"=dword:0000002a\n"
    "\"Exp\"=hex(2):25,00,50,00,41,00,54,00,48,00,25,00,c4,00,00,00\n"
    "\"Multi\"=hex(7):61,00,00,00,e9,00,00,00,00,00\n"
    "\"S1\"=hex(1):41,00,00,00\n"
    "\"E2\"=hex(2):41,00,42,00,00,00\n";
static const char enc_body4[] =
    "\n"
    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ümlaut Schlüssel]\n"
    "\"Größe\"=\"Äpfel und Öl €\"\n"
    "\"Pfad\"=\"C:\\\\Programme\\\\Ä\"\n"
    "\"Zitat\"=\"er sagte \\\"ja\\\"\"\n"
    "@=\"Standard\"\n"
    "\"Zahl\"=dword:0000002a\n"
    "\"Exp\"=hex(2):25,50,41,54,48,25,c4,00\n"
    "\"Multi\"=hex(7):61,00,e9,00,00\n"
    "\"S1\"=hex(1):41,00\n"
    "\"E2\"=hex(2):41,42\n";

static void
ops_equal(const struct reg_file *a, const struct reg_file *b)
{
	size_t	i;

	assert_int_equal(a->nops, b->nops);
	for (i = 0; i < a->nops; i++) {
		assert_int_equal(a->ops[i].type, b->ops[i].type);
		assert_string_equal(a->ops[i].key, b->ops[i].key);
		assert_int_equal(a->ops[i].line, b->ops[i].line);
		if (a->ops[i].name == NULL) {
			assert_null(b->ops[i].name);
			continue;
		}
		assert_string_equal(a->ops[i].name, b->ops[i].name);
		assert_int_equal(a->ops[i].vtype, b->ops[i].vtype);
		assert_int_equal(a->ops[i].len, b->ops[i].len);
		assert_memory_equal(a->ops[i].data, b->ops[i].data,
		    a->ops[i].len);
	}
}

static void
test_reg_encodings(void **state)
{
	struct tl_dir	*rt = *state;
	struct reg_file	*rf[5];
	char		*text5, *text4, *c, *hive, *ls;
	void		*buf[5];
	size_t		 len[5], i;
	hive_h		*h;
	static const enum reg_encoding want[5] = {
		REG_ENC_UTF16LE, REG_ENC_UTF8_BOM, REG_ENC_UTF8, REG_ENC_ANSI,
		REG_ENC_ANSI
	};
	static const uint8_t expsz[] = {
		'%', 0, 'P', 0, 'A', 0, 'T', 0, 'H', 0, '%', 0, 0xc4, 0, 0, 0
	};
	static const uint8_t multi[] = { 'a', 0, 0, 0, 0xe9, 0, 0, 0, 0, 0 };
	static const uint8_t dw[] = { 0x2a, 0, 0, 0 };
	uint8_t		*u;
	size_t		 ulen;

	text5 = xprintf("Windows Registry Editor Version 5.00\n%s", enc_body5);
	text4 = xprintf("REGEDIT4\n%s", enc_body4);

	buf[0] = utf16_file(text5, &len[0]);
	c = crlf(text5);
	buf[1] = xprintf("\xef\xbb\xbf%s", c);
	len[1] = strlen(buf[1]);
	free(c);
	buf[2] = xstrdup(text5);
	len[2] = strlen(text5);
	c = crlf(text4);
	buf[3] = recode("WINDOWS-1252", "UTF-8", c, strlen(c), &len[3]);
	free(c);
	/* The ANSI file really is one byte per character. */
	assert_non_null(memchr(buf[3], 0xdc, len[3]));	/* Ü */
	assert_non_null(memchr(buf[3], 0x80, len[3]));	/* € */
	/* Notepad's "ANSI" with a 5.00 header: not UTF-8, so Windows-1252;
	 * hex(2) and hex(7) stay UTF-16 as the header says. */
	c = crlf(text5);
	buf[4] = recode("WINDOWS-1252", "UTF-8", c, strlen(c), &len[4]);
	free(c);

	for (i = 0; i < 5; i++) {
		rf[i] = parse_ok(buf[i], len[i]);
		assert_int_equal(rf[i]->encoding, want[i]);
		assert_int_equal(rf[i]->version, i == 3 ? 4 : 5);
		if (i > 0)
			ops_equal(rf[0], rf[i]);
	}
	assert_int_equal(rf[0]->nops, 10);
	assert_string_equal(rf[0]->ops[2].name, "Pfad");
	u = utf8_to_utf16le("C:\\Programme\\Ä", &ulen);
	assert_int_equal(rf[0]->ops[2].len, ulen + 2);
	assert_memory_equal(rf[0]->ops[2].data, u, ulen + 2);
	free(u);
	assert_string_equal(rf[0]->ops[4].name, "");

	for (i = 0; i < 5; i++) {
		c = xprintf("enc%zu", i);
		import_to(rt, buf[i], len[i], "HKLM\\SOFTWARE", NULL, c, NULL);
		hive = tl_path(rt->dir, c);
		check_all_values(hive, rf[i], "HKEY_LOCAL_MACHINE\\SOFTWARE");
		h = hivex_open(hive, 0);
		assert_non_null(h);
		check_value(h, "Ümlaut Schlüssel", "Exp", HIVE_REG_EXPAND_SZ,
		    expsz, sizeof expsz);
		check_value(h, "Ümlaut Schlüssel", "Multi", HIVE_REG_MULTI_SZ,
		    multi, sizeof multi);
		check_value(h, "Ümlaut Schlüssel", "Zahl", HIVE_REG_DWORD,
		    dw, sizeof dw);
		hivex_close(h);
		ls = hivexsh_lsval(hive, "Ümlaut Schlüssel");
		assert_string_equal(ls,
		    "\"Größe\"=\"Äpfel und Öl €\"\n"
		    "\"Pfad\"=\"C:\\\\Programme\\\\Ä\"\n"
		    "\"Zitat\"=\"er sagte \\\"ja\\\"\"\n"
		    "\"@\"=\"Standard\"\n"
		    "\"Zahl\"=dword:0000002a\n"
		    "\"Exp\"=str(2):\"%PATH%Ä\"\n"
		    "\"Multi\"=hex(7):61,00,00,00,e9,00,00,00,00,00\n"
		    "\"S1\"=\"A\"\n"
		    "\"E2\"=str(2):\"AB\"\n");
		free(ls);
		free(hive);
		free(c);
	}
	for (i = 0; i < 5; i++) {
		reg_file_free(rf[i]);
		free(buf[i]);
	}
	free(text5);
	free(text4);
}

/* Names and data in Chinese and with the TM sign, from UTF-16 and UTF-8
 * files. */
static void
test_reg_unicode_names(void **state)
{
	struct tl_dir	*rt = *state;
	struct reg_file	*rf;
	void		*buf;
	size_t		 len, ulen;
	char		*hive, *ls;
	uint8_t		*u;
	hive_h		*h;
	static const char text[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\中文键\\子键™]\n"
	    "\"名称\"=\"值 ™ 𝄞\"\n"
	    "\"symbols $£₤₧€\"=dword:00000007\n";

	buf = utf16_file(text, &len);
	rf = parse_ok(buf, len);
	import_to(rt, buf, len, "HKEY_LOCAL_MACHINE\\SOFTWARE", NULL, "zh",
	    NULL);
	hive = tl_path(rt->dir, "zh");
	check_all_values(hive, rf, "HKEY_LOCAL_MACHINE\\SOFTWARE");
	h = hivex_open(hive, 0);
	u = utf8_to_utf16le("值 ™ 𝄞", &ulen);
	check_value(h, "中文键\\子键™", "名称", HIVE_REG_SZ, u, ulen + 2);
	free(u);
	hivex_close(h);
	ls = hivexsh_lsval(hive, "中文键\\子键™");
	assert_string_equal(ls, "\"名称\"=\"值 ™ 𝄞\"\n"
	    "\"symbols $£₤₧€\"=dword:00000007\n");
	free(ls);
	free(hive);
	reg_file_free(rf);
	free(buf);

	/* The same from UTF-8 without BOM gives the same operations. */
	rf = parse_str(text);
	assert_int_equal(rf->nops, 3);
	assert_string_equal(rf->ops[0].key,
	    "HKEY_LOCAL_MACHINE\\SOFTWARE\\中文键\\子键™");
	reg_file_free(rf);
}

/* Every hex(N), continuation lines as regedit writes them and as Windows
 * accepts them, comments and blank lines inside, @ defaults. */
static void
test_reg_hex_types(void **state)
{
	struct tl_dir	*rt = *state;
	struct reg_file	*rf;
	char		*hive, *ls;
	hive_h		*h;
	size_t		 i;
	static const char text[] =
	    "Windows Registry Editor Version 5.00\r\n"
	    "\r\n"
	    "; a comment\r\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Types]\r\n"
	    "@=hex(1):41,00,00,00\r\n"
	    "\"t0\"=hex(0):01\r\n"
	    "\"t1\"=hex(1):41,00\r\n"
	    "\"t2\"=hex(2):25,00,41,00,25,00,00,00\r\n"
	    "\"t3\"=hex(3):ff\r\n"
	    "\"bin\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,11,12,\\\r\n"
	    "  13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f\r\n"
	    "\"t4\"=hex(4):78,56,34,12\r\n"
	    "\"t5\"=hex(5):12,34,56,78\r\n"
	    "\"t6\"=hex(6):5c,00\r\n"
	    "\"t7\"=hex(7):61,00,00,00,\\\r\n"
	    "\r\n"
	    "  ; inside the value\r\n"
	    "  62,00,00,00,00,00\r\n"
	    "\"t8\"=hex(8):08\r\n"
	    "\"t9\"=hex(9):09\r\n"
	    "\"ta\"=hex(a):0a\r\n"
	    "\"tb\"=hex(b):01,02,03,04,05,06,07,08\r\n"
	    "\"big\"=hex(ffff0012):aa , bb,\t\\ ; spaces, tab, comment\r\n"
	    "   c\r\n"
	    "\"empty\"=hex:\r\n"
	    "\"emptyn\"=hex(0):\r\n"
	    "\"trail\"=hex:01,02, ; trailing comma ends it\r\n"
	    "\"short\"=dword:1\r\n"
	    "\"spaced\"  =  dword:  00000010 ; blanks and a comment\r\n";

	rf = parse_str(text);
	assert_int_equal(rf->nwarnings, 0);
	/* Lines are those of the value's first line. */
	for (i = 0; i < rf->nops; i++) {
		if (rf->ops[i].name != NULL &&
		    strcmp(rf->ops[i].name, "t8") == 0)
			assert_int_equal(rf->ops[i].line, 19);
	}
	import_to(rt, text, strlen(text), "HKEY_LOCAL_MACHINE\\SOFTWARE", NULL,
	    "types", NULL);
	hive = tl_path(rt->dir, "types");
	check_all_values(hive, rf, "HKEY_LOCAL_MACHINE\\SOFTWARE");
	h = hivex_open(hive, 0);
	check_value(h, "Types", "", 1, "A\0\0", 4);
	check_value(h, "Types", "t0", 0, "\x01", 1);
	check_value(h, "Types", "t7", 7, "a\0\0\0b\0\0\0\0\0", 10);
	check_value(h, "Types", "big", 0xffff0012, "\xaa\xbb\x0c", 3);
	check_value(h, "Types", "empty", 3, "", 0);
	check_value(h, "Types", "emptyn", 0, "", 0);
	check_value(h, "Types", "trail", 3, "\x01\x02", 2);
	check_value(h, "Types", "short", 4, "\x01\0\0\0", 4);
	check_value(h, "Types", "spaced", 4, "\x10\0\0\0", 4);
	hivex_close(h);
	ls = hivexsh_lsval(hive, "Types");
	assert_string_equal(ls,
	    "\"@\"=\"A\"\n"
	    "\"t0\"=hex(0):01\n"
	    "\"t1\"=\"A\"\n"
	    "\"t2\"=str(2):\"%A%\"\n"
	    "\"t3\"=hex(3):ff\n"
	    "\"bin\"=hex(3):00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,"
	    "10,11,12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f\n"
	    "\"t4\"=dword:12345678\n"
	    "\"t5\"=dword:12345678\n"
	    "\"t6\"=str(6):\"\\\\\"\n"
	    "\"t7\"=hex(7):61,00,00,00,62,00,00,00,00,00\n"
	    "\"t8\"=hex(8):08\n"
	    "\"t9\"=hex(9):09\n"
	    "\"ta\"=hex(10):0a\n"
	    "\"tb\"=hex(11):01,02,03,04,05,06,07,08\n"
	    "\"big\"=hex(4294901778):aa,bb,0c\n"
	    "\"empty\"=hex(3):\n"
	    "\"emptyn\"=hex(0):\n"
	    "\"trail\"=hex(3):01,02\n"
	    "\"short\"=dword:00000001\n"
	    "\"spaced\"=dword:00000010\n");
	free(ls);
	free(hive);
	reg_file_free(rf);
}

/* [-KEY], "x"=-, @=-, parents created, and what is left alone. */
static void
test_reg_deletions(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	char			*hive;
	hive_h			*h;
	static const char setup[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C\\D]\n"
	    "\"deep\"=\"x\"\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B]\n"
	    "@=\"default\"\n"
	    "\"keep\"=dword:00000001\n"
	    "\"gone\"=dword:00000002\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\Sibling]\n"
	    "\"s\"=\"stay\"\n";
	static const char change[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B\\C]\n\n"
	    "[-HKEY_LOCAL_MACHINE\\SOFTWARE\\Never\\There]\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\B]\n"
	    "\"gone\"=-\n"
	    "@= - ; the default value too\n"
	    "\"missing\"=-\n";

	import_to(rt, setup, strlen(setup), "HKLM\\SOFTWARE", NULL, "setup",
	    &res);
	/* A, B, C, D and Sibling. */
	assert_int_equal(res.keys_created, 5);
	assert_int_equal(res.values_set, 5);
	reg_apply_result_free(&res);

	import_to(rt, change, strlen(change), "HKLM\\SOFTWARE", "setup",
	    "changed", &res);
	assert_int_equal(res.keys_deleted, 1);
	assert_int_equal(res.values_deleted, 2);
	assert_int_equal(res.keys_created, 0);
	assert_int_equal(res.skipped, 0);
	reg_apply_result_free(&res);

	hive = tl_path(rt->dir, "changed");
	h = hivex_open(hive, 0);
	assert_non_null(h);
	assert_true(key_find(h, "A\\B") != 0);
	assert_true(key_find(h, "A\\B\\C") == 0);
	assert_int_equal(hivex_node_nr_children(h, key_find(h, "A\\B")), 0);
	check_no_value(h, "A\\B", "gone");
	check_no_value(h, "A\\B", "");
	check_value(h, "A\\B", "keep", HIVE_REG_DWORD, "\x01\0\0\0", 4);
	check_value(h, "A\\Sibling", "s", HIVE_REG_SZ, "s\0t\0a\0y\0\0", 10);
	hivex_close(h);
	free(hive);
}

/*
 * Names match as Windows matches them: "FOO" is Foo, "SCHLÜSSEL" is
 * Schlüssel; a value set under another spelling keeps its place and the
 * hive's spelling, as RegSetValueEx does.
 */
static void
test_reg_case(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	char			*hive, *ls;
	hive_h			*h;
	static const char setup[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Foo\\Schlüssel]\n"
	    "\"Name\"=\"old\"\n"
	    "\"Größe\"=dword:00000001\n"
	    "\"Last\"=dword:00000002\n";
	static const char change[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[hkey_local_machine\\software\\FOO\\SCHLÜSSEL]\n"
	    "\"NAME\"=\"new\"\n"
	    "\"GRÖßE\"=dword:00000009\n"
	    "[HKLM\\SOFTWARE\\foo\\schlüssel\\Neu]\n";

	import_to(rt, setup, strlen(setup), "HKLM\\SOFTWARE", NULL, "setup",
	    NULL);
	import_to(rt, change, strlen(change), "HKLM\\SOFTWARE", "setup",
	    "changed", &res);
	assert_int_equal(res.keys_created, 1);
	reg_apply_result_free(&res);
	hive = tl_path(rt->dir, "changed");
	h = hivex_open(hive, 0);
	assert_int_equal(hivex_node_nr_children(h, hivex_root(h)), 1);
	assert_int_equal(hivex_node_nr_children(h, key_find(h, "Foo")), 1);
	hivex_close(h);
	ls = hivexsh_lsval(hive, "Foo\\Schlüssel");
	assert_string_equal(ls,
	    "\"Name\"=\"new\"\n"
	    "\"Größe\"=dword:00000009\n"
	    "\"Last\"=dword:00000002\n");
	free(ls);
	free(hive);
}

/* Operations outside the root are skipped and reported by line; so is
 * deleting the root itself. */
static void
test_reg_outside_root(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	char			*hive;
	hive_h			*h;
	static const char text[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_CURRENT_USER\\Software\\Other]\n"
	    "\"x\"=\"y\"\n"
	    "\"z\"=\"y\"\n\n"
	    "[HKEY_LOCAL_MACHINE\\SYSTEM\\Nope]\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWAREX]\n\n"
	    "[-HKEY_LOCAL_MACHINE\\SOFTWARE]\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE]\n"
	    "\"at root\"=dword:00000001\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Yes]\n";

	import_to(rt, text, strlen(text), "HKEY_LOCAL_MACHINE\\SOFTWARE", NULL,
	    "out", &res);
	assert_int_equal(res.skipped, 6);
	assert_int_equal(res.warnings_total, 4);
	assert_string_equal(res.warnings[0], "line 3: HKEY_CURRENT_USER\\"
	    "Software\\Other is outside HKEY_LOCAL_MACHINE\\SOFTWARE: skipped");
	assert_string_equal(res.warnings[1], "line 7: HKEY_LOCAL_MACHINE\\"
	    "SYSTEM\\Nope is outside HKEY_LOCAL_MACHINE\\SOFTWARE: skipped");
	assert_string_equal(res.warnings[2], "line 9: HKEY_LOCAL_MACHINE\\"
	    "SOFTWAREX is outside HKEY_LOCAL_MACHINE\\SOFTWARE: skipped");
	assert_string_equal(res.warnings[3], "line 11: [-HKEY_LOCAL_MACHINE"
	    "\\SOFTWARE] would delete the hive's root key: skipped");
	assert_int_equal(res.keys_created, 1);
	assert_int_equal(res.values_set, 1);
	reg_apply_result_free(&res);
	hive = tl_path(rt->dir, "out");
	h = hivex_open(hive, 0);
	assert_int_equal(hivex_node_nr_children(h, hivex_root(h)), 1);
	assert_true(key_find(h, "Yes") != 0);
	check_value(h, "", "at root", HIVE_REG_DWORD, "\x01\0\0\0", 4);
	hivex_close(h);
	free(hive);
}

/* Each malformed file fails naming its line, and nothing is returned to
 * apply. */
static void
test_reg_malformed(void **state)
{
#define T(s)	s, sizeof (s) - 1
	static const struct {
		const char	*text;
		size_t		 len;
		const char	*cause;
	} bad[] = {
		{ T(""), "empty file: not a .reg file" },
		{ T("\nWindows Registry Editor Version 5.00\n"), "line 1: not a "
		  ".reg file" },
		{ T("WINDOWS REGISTRY EDITOR VERSION 5.00\n"), "line 1: not a "
		  ".reg file" },
		{ T("REGEDIT\n"), "line 1: Windows 3.1" },
		{ T("REGEDIT4\n\n\"a\"=\"b\"\n"), "line 3: value before any "
		  "[key]" },
		{ T("REGEDIT4\n[HKEY_CURRENT_USER\\A\n"), "line 2: key name "
		  "without a closing ]" },
		{ T("REGEDIT4\n[HKEY_CURRENT_USERS\\A]\n"), "line 2: unknown root "
		  "key \"HKEY_CURRENT_USERS\"" },
		{ T("REGEDIT4\n[ HKEY_CURRENT_USER\\A]\n"), "line 2: blank before "
		  "the key name" },
		{ T("REGEDIT4\n[-HKEY_CURRENT_USER]\n"), "line 2: [-HKEY_CURRENT_"
		  "USER] would delete a root key" },
		{ T("REGEDIT4\n[-HKCU\\A]\n\"a\"=\"b\"\n"), "line 3: value under "
		  "a [-key] line" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=\"b\n"), "line 3: string without "
		  "a closing quote" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a=\"b\"\n"), "line 3: '=' expected" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=\"b\"#c\n"), "line 3: unexpected "
		  "\"#c\" after the data" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=\"b\\0\"\n"), "line 3: \\0 in a "
		  "string" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=\n"), "line 3: no data after '='" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=dword:123456789\n"), "line 3: "
		  "dword needs 1 to 8 hex digits" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=dword:hello\n"), "line 3: dword "
		  "needs 1 to 8 hex digits" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=dword:1234 5678\n"), "line 3: "
		  "unexpected \"5678\" after the data" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=DWORD:1\n"), "line 3: unknown data "
		  "\"DWORD:1\"" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex(0x2):00\n"), "line 3: "
		  "hex(TYPE): needs 1 to 8 hex digits" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex(100000000):00\n"), "line 3: "
		  "hex(TYPE): needs" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,22,,33\n"), "line 3: hex "
		  "byte expected" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,100\n"), "line 3: hex byte "
		  "with more than two digits" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,22\\\n  33\n"), "line 3: "
		  "comma expected after a hex byte" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,22,\\\n\n  ,33\n"),
		  "line 5: the value of line 3 continues here" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,\\\n#x\n  33\n"),
		  "line 4: the value of line 3 continues here" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=hex:11,\\ x\n  33\n"),
		  "line 3: unexpected \"x\" after the data" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\"=\"b\"\n\"c\"=foo\n"), "line 4: "
		  "unknown data \"foo\"" },
		{ T("REGEDIT4\n[HKCU\\A]\n\"a\0\"=\"b\"\n"), "line 3: NUL "
		  "character" },
		{ T("\xfe\xff\0R"), "UTF-16 big-endian" },
		{ T("R\0E\0G\0E\0D\0I\0T\0" "4\0"), "UTF-16 file without a byte "
		  "order mark" },
		{ T("\xef\xbb\xbfREGEDIT4\n[HKCU\\A]\n\"\xff\"=\"b\"\n"), "line 3: "
		  "invalid UTF-8" },
	};
	struct reg_file	*rf;
	char		*cause;
	size_t		 i, len;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		len = bad[i].len;
		rf = (struct reg_file *)1;
		cause = NULL;
		if (reg_parse(bad[i].text, len, &rf, &cause) == 0)
			fail_msg("case %zu parsed", i);
		assert_null(rf);
		assert_non_null(cause);
		if (strncmp(cause, bad[i].cause, strlen(bad[i].cause)) != 0)
			fail_msg("case %zu: \"%s\", expected \"%s...\"", i,
			    cause, bad[i].cause);
		assert_null(strchr(cause, '\n'));
		free(cause);
	}
#undef T
}

/* Windows' limits on names and depth, and a lone surrogate in a
 * UTF-16 file (shown as U+FFFD, with a warning). */
static void
test_reg_limits(void **state)
{
	struct reg_file	*rf;
	struct rbuf {
		char	*s;
		size_t	 len;
	} b;
	char		*cause = NULL, *name;
	size_t		 i;
	static const uint8_t lone[] = {
		0xff, 0xfe, 'R', 0, 'E', 0, 'G', 0, 'E', 0, 'D', 0, 'I', 0,
		'T', 0, '4', 0, '\n', 0, '[', 0, 'H', 0, 'K', 0, 'C', 0,
		'U', 0, '\\', 0, 'A', 0, ']', 0, '\n', 0, '"', 0, 'a', 0,
		'"', 0, '=', 0, '"', 0, 0x00, 0xd8, '"', 0, '\n', 0
	};

	(void)state;
	name = xmalloc(300);
	memset(name, 'k', 256);
	name[256] = '\0';
	b.s = xprintf("REGEDIT4\n[HKCU\\%s]\n", name);
	assert_int_equal(reg_parse(b.s, strlen(b.s), &rf, &cause), -1);
	assert_string_equal(cause, "line 2: key name \"kkkkkkkkkkkkkkkkkkkkkkkkk"
	    "kkkkkkkkkkkkkkkkkkkkkkk...\" is longer than 255 characters");
	free(cause);
	free(b.s);
	/* 255 is fine. */
	name[255] = '\0';
	b.s = xprintf("REGEDIT4\n[HKCU\\%s]\n", name);
	rf = parse_ok(b.s, strlen(b.s));
	reg_file_free(rf);
	free(b.s);
	free(name);

	b.s = xmalloc(4096);
	b.len = (size_t)sprintf(b.s, "REGEDIT4\n[HKCU");
	for (i = 0; i < 513; i++)
		b.len += (size_t)sprintf(b.s + b.len, "\\k");
	b.len += (size_t)sprintf(b.s + b.len, "]\n");
	cause = NULL;
	assert_int_equal(reg_parse(b.s, b.len, &rf, &cause), -1);
	assert_string_equal(cause, "line 2: key path deeper than 512 levels");
	free(cause);
	free(b.s);

	name = xmalloc(16400);
	memset(name, 'v', 16384);
	name[16384] = '\0';
	b.s = xprintf("REGEDIT4\n[HKCU\\A]\n\"%s\"=dword:1\n", name);
	cause = NULL;
	assert_int_equal(reg_parse(b.s, strlen(b.s), &rf, &cause), -1);
	assert_string_equal(cause, "line 3: value name longer than 16383 "
	    "characters");
	free(cause);
	free(b.s);
	free(name);

	rf = parse_ok(lone, sizeof lone);
	assert_int_equal(rf->nwarnings, 1);
	assert_string_equal(rf->warnings[0], "line 3: unpaired UTF-16 "
	    "surrogate replaced by U+FFFD");
	assert_int_equal(rf->ops[1].len, 4);
	assert_memory_equal(rf->ops[1].data, "\xfd\xff\0\0", 4);
	reg_file_free(rf);
}

/* A file whose last line is wrong changes nothing: the parse fails
 * before any apply. A value hivex cannot write for Windows is refused
 * before the first change, so the handle is untouched. */
static void
test_reg_nothing_applied(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	struct reg_file		*rf;
	hive_h			*h;
	char			*cause = NULL, *src, *dst, *orig, *text;
	size_t			 i, len;
	static const char bad[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Good]\n"
	    "\"a\"=dword:00000001\n"
	    "\"b\"=dword:0000000g\n";

	assert_int_equal(reg_parse(bad, strlen(bad), &rf, &cause), -1);
	assert_string_equal(cause, "line 5: unexpected \"g\" after the data");
	free(cause);
	cause = NULL;

	/* 20000 bytes of hex: more than hivex writes readably. */
	text = xmalloc(200000);
	len = (size_t)sprintf(text, "REGEDIT4\n[HKLM\\SOFTWARE\\New]\n"
	    "\"ok\"=dword:00000001\n\"big\"=hex:00");
	for (i = 1; i < 20000; i++)
		len += (size_t)sprintf(text + len, ",%02zx", i & 0xff);
	text[len++] = '\n';
	rf = parse_ok(text, len);
	orig = xprintf("%s/hives/hivex_minimal", tl_testdata());
	src = tl_hive(rt->dir, "hivex_minimal", NULL);
	h = hivex_open(src, HIVEX_OPEN_WRITE);
	assert_int_equal(reg_apply(h, rf, "HKLM\\SOFTWARE", &res, &cause), -1);
	assert_non_null(strstr(cause, "line 4: value \"big\" holds 20000 "
	    "bytes"));
	free(cause);
	reg_apply_result_free(&res);
	dst = tl_path(rt->dir, "after");
	assert_int_equal(hivex_commit(h, dst, 0), 0);
	hivex_close(h);
	hives_equal(orig, "", dst, "");
	free(orig);
	free(src);
	free(dst);
	free(text);
	reg_file_free(rf);
}

/* Junk lines (k-meleon's "#~" settings lines) are skipped with a
 * warning naming the line; unknown escapes warn and drop the '\'. */
static void
test_reg_junk_lines(void **state)
{
	struct reg_file	*rf;
	static const char text[] =
	    "REGEDIT4\n"
	    "#~ k-meleon prefs dump\n"
	    "[HKEY_CURRENT_USER\\Software\\K-Meleon]\n"
	    "#~\"kmeleon.general.homePage\"\n"
	    "\"Path\"=\"C:\\Programme\\K-Meleon\"\n"
	    "plain words\x1b[31m\n";

	(void)state;
	rf = parse_str(text);
	assert_int_equal(rf->nops, 2);
	assert_int_equal(rf->warnings_total, 4);
	assert_string_equal(rf->warnings[0], "line 2: not a key, value or "
	    "comment, skipped: \"#~ k-meleon prefs dump\"");
	assert_string_equal(rf->warnings[1], "line 4: not a key, value or "
	    "comment, skipped: \"#~\"kmeleon.general.homePage\"\"");
	assert_string_equal(rf->warnings[2], "line 5: unknown escape \\P: "
	    "the backslash is dropped, as regedit does (write \\\\ for a "
	    "backslash)");
	/* Control characters of the file never reach the terminal. */
	assert_string_equal(rf->warnings[3], "line 6: not a key, value or "
	    "comment, skipped: \"plain words?[31m\"");
	assert_int_equal(rf->ops[1].len, 2 * strlen("C:ProgrammeK-Meleon") + 2);
	reg_file_free(rf);
}

/*
 * Export byte for byte as regedit writes it: BOM, header, a blank line
 * before each key, escapes, dword:, hex wrapped at 77 columns with
 * "\", CRLF and two spaces (20 bytes after "ShellState"=hex: as in
 * Windows' own export of that value, then 25 per line; "abc" reaches
 * column 76 and takes one byte more), strings regedit could not read
 * back as hex(1), a final blank line.
 */
static void
test_reg_export_format(void **state)
{
	struct tl_dir	*rt = *state;
	const char	*text;
	char		*hive, *want;
	void		*out, *wbuf;
	size_t		 olen, wlen;
	static const char in[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex]\n"
	    "@=\"def \\\"q\\\" \\\\ back\"\n"
	    "\"ShellState\"=hex:24,00,00,00,1c,08,00,00,00,00,00,00,00,00,"
	    "00,00,00,00,00,00,01,00,00,00,13,00,00,00,00,00,00,00,6b,00,00,"
	    "00\n"
	    "\"A very long value name that is longer than the line itself, "
	    "really long\"=hex:01,02,03\n"
	    "\"d\"=dword:deadbeef\n"
	    "\"nonul\"=hex(1):41,00\n"
	    "\"nl\"=hex(1):41,00,0a,00,00,00\n"
	    "\"dw3\"=hex(4):01,02,03\n"
	    "\"q\\\"uote\\\\\"=hex(b):01,00,00,00,00,00,00,00\n"
	    "\"e\"=hex(2):25,00,00,00\n"
	    "\"exact\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,"
	    "10,11,12,13,14,15,16,17,18,19,1a,1b,1c\n"
	    "\"abc\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,"
	    "11,12,13,14,15,16,17\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex\\Empty]\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex\\Sub]\n"
	    "\"™\"=\"Ä\"\n";

	import_to(rt, in, strlen(in), "HKLM\\SOFTWARE", NULL, "ex", NULL);
	hive = tl_path(rt->dir, "ex");
	export_ok(hive, "HKLM\\SOFTWARE", "ex", &out, &olen);
	text =
	    "Windows Registry Editor Version 5.00\n"
	    "\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex]\n"
	    "@=\"def \\\"q\\\" \\\\ back\"\n"
	    "\"ShellState\"=hex:24,00,00,00,1c,08,00,00,00,00,00,00,00,00,00,"
	    "00,00,00,00,00,\\\n"
	    "  01,00,00,00,13,00,00,00,00,00,00,00,6b,00,00,00\n"
	    "\"A very long value name that is longer than the line itself, "
	    "really long\"=hex:01,\\\n"
	    "  02,03\n"
	    "\"d\"=dword:deadbeef\n"
	    "\"nonul\"=hex(1):41,00\n"
	    "\"nl\"=hex(1):41,00,0a,00,00,00\n"
	    "\"dw3\"=hex(4):01,02,03\n"
	    "\"q\\\"uote\\\\\"=hex(b):01,00,00,00,00,00,00,00\n"
	    "\"e\"=hex(2):25,00,00,00\n"
	    "\"exact\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,"
	    "10,11,12,13,14,15,\\\n"
	    "  16,17,18,19,1a,1b,1c\n"
	    "\"abc\"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,"
	    "11,12,13,14,15,16,\\\n"
	    "  17\n"
	    "\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex\\Empty]\n"
	    "\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Ex\\Sub]\n"
	    "\"™\"=\"Ä\"\n"
	    "\n";
	wbuf = utf16_file(text, &wlen);
	if (olen != wlen || memcmp(out, wbuf, wlen) != 0) {
		want = recode("UTF-8", "UTF-16LE", out, olen, &wlen);
		fail_msg("export differs:\n%.*s", (int)wlen, want);
	}
	free(wbuf);
	free(out);
	free(hive);
}

/* export -> import into a fresh hive -> export: the same bytes, and
 * the same keys and values in the same order. */
static void
identity(struct tl_dir *rt, const char *hive, const char *root,
    const char *path, const char *name)
{
	struct reg_apply_result	 res;
	void			*a, *b;
	size_t			 alen, blen;
	char			*copy, *file;

	export_ok(hive, root, path, &a, &alen);
	file = xprintf("%s/%s.reg", rt->dir, name);
	tl_write(file, a, alen);
	import_to(rt, a, alen, root, NULL, name, &res);
	assert_int_equal(res.skipped, 0);
	reg_apply_result_free(&res);
	copy = tl_path(rt->dir, name);
	export_ok(copy, root, path, &b, &blen);
	assert_bytes_equal(a, alen, b, blen);
	hives_equal(hive, path, copy, path);
	free(a);
	free(b);
	free(copy);
	free(file);
}

static void
test_reg_identity_generated(void **state)
{
	struct tl_dir	*rt = *state;
	char		*hive, *text, *text2;
	const char	*want;
	void		*buf;
	size_t		 len;
	static const char in[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_USERS\\.DEFAULT\\Control Panel\\Größe]\n"
	    "@=\"\"\n"
	    "\"empty string\"=\"\"\n"
	    "\"tab\tin\"=\"a\tb\"\n"
	    "\"semi;colon\"=\"x;y # z\"\n"
	    "\"multi\"=hex(7):61,00,62,00,00,00,63,00,00,00,00,00\n"
	    "\"odd\"=hex(1):41,00,42\n"
	    "\"lone\"=hex(1):00,d8,00,00\n"
	    "\"nul inside\"=hex(1):41,00,00,00,42,00,00,00\n"
	    "\"huge type\"=hex(ffffffff):01\n\n"
	    "[HKEY_USERS\\.DEFAULT\\Control Panel\\Größe\\中文]\n"
	    "\"名\"=dword:00000000\n\n"
	    "[HKEY_USERS\\.DEFAULT\\Control Panel\\Größe\\key]with]brackets]\n"
	    "\"v\"=dword:00000001\n";

	text = xstrdup(in);
	import_to(rt, text, strlen(text), "HKU\\.DEFAULT", NULL, "gen", NULL);
	hive = tl_path(rt->dir, "gen");
	identity(rt, hive, "HKEY_USERS\\.DEFAULT", "Control Panel", "gen2");
	identity(rt, hive, "HKEY_USERS\\.DEFAULT", "", "gen3");

	/* The path is found in any case, and written as the hive spells
	 * it. */
	export_ok(hive, "HKU\\.DEFAULT", "CONTROL PANEL\\GRÖßE\\", &buf,
	    &len);
	text2 = recode("UTF-8", "UTF-16LE", (char *)buf + 2, len - 2, &len);
	want = "Windows Registry Editor Version 5.00\r\n\r\n"
	    "[HKEY_USERS\\.DEFAULT\\Control Panel\\Größe]\r\n";
	assert_true(len > strlen(want));
	assert_memory_equal(text2, want, strlen(want));
	free(text2);
	free(buf);
	free(text);
	free(hive);
}

/* The special names of hivex's test hive (umlauts, the TM sign, a key
 * and value with a NUL in the name). */
static void
test_reg_identity_special(void **state)
{
	struct tl_dir	*rt = *state;
	char		*hive, *cause = NULL;
	void		*buf;
	size_t		 len;
	hive_h		*h;

	hive = tl_hive(rt->dir, "hivex_special", NULL);
	identity(rt, hive, "HKLM\\SOFTWARE", "abcd_äöüß", "sp1");
	identity(rt, hive, "HKLM\\SOFTWARE", "weird™", "sp2");
	/* "zero\0key" cannot be written to a .reg file: say so rather than
	 * export "zero". */
	h = hivex_open(hive, 0);
	assert_int_equal(reg_export(h, "HKLM\\SOFTWARE", "", &buf, &len,
	    &cause), -1);
	assert_non_null(strstr(cause, "\"zero\": its name is empty or holds a "
	    "backslash, NUL or line break"));
	free(cause);
	cause = NULL;
	assert_int_equal(reg_export(h, "HKLM\\SOFTWARE", "nonesuch", &buf,
	    &len, &cause), -1);
	assert_string_equal(cause, "nonesuch: no such key (\"nonesuch\" is "
	    "missing)");
	free(cause);
	hivex_close(h);
	free(hive);
}

/* A real subtree of a real SYSTEM hive, re-imported into hivex_minimal. */
static void
test_reg_identity_system(void **state)
{
	struct tl_dir	*rt = *state;
	struct reg_file	*rf;
	char		*hive;
	void		*buf;
	size_t		 len, i, values = 0;

	hive = tl_hive(rt->dir, "regipy_SYSTEM.xz", NULL);
	/* The hive spells it "services". */
	identity(rt, hive, "HKEY_LOCAL_MACHINE\\SYSTEM",
	    "ControlSet001\\services\\Tcpip", "tcpip");
	export_ok(hive, "HKLM\\SYSTEM", "ControlSet001\\Services\\Tcpip",
	    &buf, &len);
	rf = parse_ok(buf, len);
	assert_int_equal(rf->encoding, REG_ENC_UTF16LE);
	for (i = 0; i < rf->nops; i++)
		values += rf->ops[i].type == REG_OP_VALUE_SET;
	/* Not a trivial subtree. */
	assert_true(rf->nops > 50);
	assert_true(values > 30);
	reg_file_free(rf);
	free(buf);
	identity(rt, hive, "HKEY_LOCAL_MACHINE\\SYSTEM",
	    "ControlSet001\\Control\\Session Manager\\Environment", "env");
	free(hive);
}

/*
 * hivex inserts a subkey where its own comparison says, which for names
 * differing only in the case of non-ASCII letters is not where Windows
 * looks for it ("äb" must come before "Äc"). reg_apply refuses such a
 * change instead of writing a hive Windows would misread.
 */
static void
test_reg_hivex_order(void **state)
{
	struct tl_dir		*rt = *state;
	struct reg_apply_result	 res;
	struct reg_file		*rf;
	hive_h			*h;
	char			*src, *cause = NULL;
	static const char text[] =
	    "Windows Registry Editor Version 5.00\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\P\\Äc]\n\n"
	    "[HKEY_LOCAL_MACHINE\\SOFTWARE\\P\\äb]\n";

	rf = parse_str(text);
	src = tl_hive(rt->dir, "hivex_minimal", NULL);
	h = hivex_open(src, HIVEX_OPEN_WRITE);
	assert_int_equal(reg_apply(h, rf, "HKLM\\SOFTWARE", &res, &cause), -1);
	assert_string_equal(cause, "line 5: HKEY_LOCAL_MACHINE\\SOFTWARE\\P"
	    "\\äb: hivex placed the new key \"äb\" out of Windows' sort order "
	    "(next to \"Äc\"): Windows would not find it");
	free(cause);
	reg_apply_result_free(&res);
	hivex_close(h);
	reg_file_free(rf);
	free(src);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tl_setup, tl_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_reg_testdata),
		T(test_reg_putty),
		T(test_reg_encodings),
		T(test_reg_unicode_names),
		T(test_reg_hex_types),
		T(test_reg_deletions),
		T(test_reg_case),
		T(test_reg_outside_root),
		T(test_reg_malformed),
		T(test_reg_limits),
		T(test_reg_nothing_applied),
		T(test_reg_junk_lines),
		T(test_reg_export_format),
		T(test_reg_identity_generated),
		T(test_reg_identity_special),
		T(test_reg_identity_system),
		T(test_reg_hivex_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
