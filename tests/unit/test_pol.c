/*
 * test_pol.c: registry.pol (PReg) parse, salvage, write and edit, on the
 * real files in testdata/pol and on damaged copies of them.
 *
 * Where an outcome is predicted (entry counts, field offsets, the offset
 * a damage is blamed on), the prediction comes from this file's own
 * trusting walker (lay_build) or from counts taken with a separate script
 * when the files were added, never from pol.c.
 */

#include <sys/types.h>

#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

/* Read testdata/pol/NAME; caller frees. */
static uint8_t *
pol_file(const char *name, size_t *len)
{
	char	*path;
	void	*buf;

	path = xprintf("%s/pol/%s", tl_testdata(), name);
	tl_read(path, 1 << 24, &buf, len);
	free(path);
	return buf;
}

/* Entry counts of every file, taken with an independent script. */
static const struct {
	const char	*name;
	size_t		 entries;
} real_files[] = {
	{ "nsa_ActivClient_4700F508_Machine.pol", 4 },
	{ "nsa_Adobe_Reader_659E383E_Machine.pol", 25 },
	{ "nsa_AppLocker_16D29EA5_Machine.pol", 24 },
	{ "nsa_Chrome_403B3DA7_Machine.pol", 45 },
	{ "nsa_Internet_Explorer_32D5EEFD_Machine.pol", 134 },
	{ "nsa_Internet_Explorer_AF749E88_User.pol", 5 },
	{ "nsa_Office_0DFDDA81_Machine.pol", 159 },
	{ "nsa_Office_0DFDDA81_User.pol", 0 },
	{ "nsa_Office_20906CEB_Machine.pol", 160 },
	{ "nsa_Office_20906CEB_User.pol", 244 },
	{ "nsa_Windows_A2A38432_Machine.pol", 87 },
	{ "nsa_Windows_B30BE6B3_User.pol", 3 },
	{ "simeon_dod_OneDrive_for_Business_2016_User_User.pol", 1 },
	{ "simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol", 104 },
	{ "simeon_dod_Windows_10_User_User.pol", 4 },
	{ "simeon_dod_Windows_Defender_Machine.pol", 25 },
	{ "simeon_dod_Windows_Firewall_Machine.pol", 21 },
	{ "simeon_nsacyber_BitLocker_Machine.pol", 21 },
	{ "simeon_sos_Device_Guard_Machine.pol", 5 },
	{ "simeon_sos_Telemetry_and_Security_Machine.pol", 316 },
	{ "simeon_sos_Windows_Defender_Application_Control_Audit_Machine.pol",
	    2 },
};
#define NREAL (sizeof real_files / sizeof real_files[0])

/*
 * The layout of a valid file, found by a walker that trusts its input:
 * where each field starts and ends, what pol_parse must blame when the
 * file is cut inside it, and with which damage.
 */
struct lay_entry {
	size_t		 off, end;	/* '[' .. after ']' */
	size_t		 koff, klen;	/* key bytes without NUL */
	size_t		 noff, nlen;
	size_t		 toff, soff, doff;
	uint32_t	 type, size;
};
struct lay_field {
	size_t		 start, end;
	size_t		 blame;
	enum pol_damage	 damage;
};
struct lay {
	struct lay_entry *e;
	size_t		  n;
	struct lay_field *f;
	size_t		  nf;
};

static void
lay_field(struct lay *l, size_t start, size_t end, size_t blame,
    enum pol_damage d)
{
	l->f = xreallocarray(l->f, l->nf + 1, sizeof *l->f);
	l->f[l->nf].start = start;
	l->f[l->nf].end = end;
	l->f[l->nf].blame = blame;
	l->f[l->nf].damage = d;
	l->nf++;
}

static size_t
lay_string(const uint8_t *b, size_t len, size_t off)
{
	size_t	i;

	for (i = off; i + 2 <= len && (b[i] != 0 || b[i + 1] != 0); i += 2)
		/* nothing */;
	assert_true(i + 2 <= len);
	return i - off;
}

static void
lay_build(const uint8_t *b, size_t len, struct lay *l)
{
	struct lay_entry	*e;
	size_t			 o = 8;

	memset(l, 0, sizeof *l);
	assert_true(len >= 8);
	assert_memory_equal(b, "PReg\1\0\0\0", 8);
	lay_field(l, 0, 4, 0, POL_DAMAGE_SHORT);
	lay_field(l, 4, 8, 4, POL_DAMAGE_VERSION);
	while (o < len) {
		l->e = xreallocarray(l->e, l->n + 1, sizeof *l->e);
		e = &l->e[l->n++];
		e->off = o;
		assert_int_equal(le16dec(b + o), '[');
		/* Cut inside '[': one byte is left over. */
		lay_field(l, o, o + 2, o, POL_DAMAGE_TRAILING);
		e->koff = o + 2;
		e->klen = lay_string(b, len, e->koff);
		lay_field(l, e->koff, e->koff + e->klen + 2, e->koff,
		    POL_DAMAGE_KEY);
		o = e->koff + e->klen + 2;
		assert_int_equal(le16dec(b + o), ';');
		lay_field(l, o, o + 2, o, POL_DAMAGE_SEMI_KEY);
		e->noff = o + 2;
		e->nlen = lay_string(b, len, e->noff);
		lay_field(l, e->noff, e->noff + e->nlen + 2, e->noff,
		    POL_DAMAGE_NAME);
		o = e->noff + e->nlen + 2;
		assert_int_equal(le16dec(b + o), ';');
		lay_field(l, o, o + 2, o, POL_DAMAGE_SEMI_NAME);
		e->toff = o + 2;
		e->type = le32dec(b + e->toff);
		lay_field(l, e->toff, e->toff + 4, e->toff, POL_DAMAGE_TYPE);
		o = e->toff + 4;
		assert_int_equal(le16dec(b + o), ';');
		lay_field(l, o, o + 2, o, POL_DAMAGE_SEMI_TYPE);
		e->soff = o + 2;
		e->size = le32dec(b + e->soff);
		lay_field(l, e->soff, e->soff + 4, e->soff, POL_DAMAGE_SIZE);
		o = e->soff + 4;
		assert_int_equal(le16dec(b + o), ';');
		lay_field(l, o, o + 2, o, POL_DAMAGE_SEMI_SIZE);
		e->doff = o + 2;
		/* Cut inside the data: the size field is blamed. */
		lay_field(l, e->doff, e->doff + e->size, e->soff,
		    POL_DAMAGE_DATA);
		o = e->doff + e->size;
		assert_true(o + 2 <= len);
		assert_int_equal(le16dec(b + o), ']');
		lay_field(l, o, o + 2, o, POL_DAMAGE_CLOSE);
		e->end = o + 2;
		o = e->end;
	}
	assert_int_equal(o, len);
}

static void
lay_free(struct lay *l)
{
	free(l->e);
	free(l->f);
}

/* Bytes of the header and the first k entries of a laid-out file. */
static size_t
lay_prefix(const struct lay *l, size_t k)
{
	return k == 0 ? 8 : l->e[k - 1].end;
}

/* An entry of pol matches entry i of the layout of buf. */
static void
check_entry(const struct pol_entry *pe, const uint8_t *b,
    const struct lay_entry *le, const char *what, size_t i)
{
	char	*key, *name;

	key = utf16le_to_utf8(b + le->koff, le->klen);
	name = utf16le_to_utf8(b + le->noff, le->nlen);
	if (pe->off != le->off || strcmp(pe->key, key) != 0 ||
	    strcmp(pe->name, name) != 0 || pe->type != le->type ||
	    pe->size != le->size)
		fail_msg("%s entry %zu: got off %zu [%s;%s;%u;%u], expected "
		    "off %zu [%s;%s;%u;%u]", what, i, pe->off, pe->key,
		    pe->name, pe->type, pe->size, le->off, key, name,
		    le->type, le->size);
	assert_memory_equal(pe->data, b + le->doff, le->size);
	free(key);
	free(name);
}

/*
 * A damaged copy: strict parse blames (off, damage) with k entries
 * before it; salvage keeps exactly the first k entries of the original,
 * and what it writes is the original's first k entries byte for byte and
 * parses strictly.
 */
static void
check_damaged(const uint8_t *orig, const struct lay *l, const uint8_t *buf,
    size_t len, size_t off, enum pol_damage damage, size_t k,
    const char *what)
{
	struct pol		*pol = NULL, *again = NULL;
	struct pol_error	 err;
	uint8_t			*out;
	size_t			 outlen, i;

	if (pol_parse(buf, len, &pol, &err) == 0)
		fail_msg("%s: parsed, expected %s at %zu", what,
		    pol_damage_string(damage), off);
	assert_null(pol);
	if (err.off != off || err.damage != damage || err.entry != k)
		fail_msg("%s: got \"%s\" (entry %zu), expected offset %zu: %s "
		    "(entry %zu)", what, err.msg, err.entry, off,
		    pol_damage_string(damage), k);
	/* Checking without keeping gives the same answer. */
	assert_int_equal(pol_parse(buf, len, NULL, &err), -1);
	assert_int_equal(err.off, off);

	assert_int_equal(pol_salvage(buf, len, &pol, &err), 1);
	assert_int_equal(err.off, off);
	if (pol->nentries != k)
		fail_msg("%s: salvage kept %zu entries, expected %zu", what,
		    pol->nentries, k);
	for (i = 0; i < k; i++)
		check_entry(&pol->entries[i], orig, &l->e[i], what, i);
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, lay_prefix(l, k));
	assert_memory_equal(out, orig, outlen);
	assert_int_equal(pol_parse(out, outlen, &again, &err), 0);
	assert_int_equal(again->nentries, k);
	pol_free(again);
	pol_free(pol);
	free(out);
}

/* Every real file parses strictly, entry for entry as the independent
 * walker sees it, and writes back byte for byte (through a file). */
static void
test_pol_real_roundtrip(void **state)
{
	struct tl_dir		*pt = *state;
	struct pol		*pol, *salv;
	struct pol_error	 err;
	struct lay		 l;
	struct dirent		*de;
	DIR			*d;
	uint8_t			*buf, *out;
	void			*back;
	char			*dir, *path;
	size_t			 len, outlen, backlen, i, j, seen = 0;

	for (i = 0; i < NREAL; i++) {
		buf = pol_file(real_files[i].name, &len);
		lay_build(buf, len, &l);
		if (pol_parse(buf, len, &pol, &err) != 0)
			fail_msg("%s: %s", real_files[i].name, err.msg);
		assert_int_equal(err.damage, POL_OK);
		if (pol->nentries != real_files[i].entries ||
		    l.n != real_files[i].entries)
			fail_msg("%s: %zu entries (walker %zu), expected %zu",
			    real_files[i].name, pol->nentries, l.n,
			    real_files[i].entries);
		for (j = 0; j < l.n; j++)
			check_entry(&pol->entries[j], buf, &l.e[j],
			    real_files[i].name, j);
		assert_int_equal(pol_write_size(pol), len);
		out = pol_write(pol, &outlen);
		path = tl_path(pt->dir, real_files[i].name);
		tl_write(path, out, outlen);
		tl_read(path, 1 << 24, &back, &backlen);
		assert_int_equal(backlen, len);
		assert_memory_equal(back, buf, len);

		/* An intact file salvages to itself. */
		assert_int_equal(pol_salvage(buf, len, &salv, &err), 0);
		assert_int_equal(salv->nentries, pol->nentries);
		pol_free(salv);

		free(back);
		free(path);
		free(out);
		pol_free(pol);
		lay_free(&l);
		free(buf);
	}

	/* The table above covers every .pol in the folder. */
	dir = xprintf("%s/pol", tl_testdata());
	assert_non_null(d = opendir(dir));
	while ((de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len < 4 || strcmp(de->d_name + len - 4, ".pol") != 0)
			continue;
		for (i = 0; i < NREAL; i++)
			if (strcmp(real_files[i].name, de->d_name) == 0)
				break;
		if (i == NREAL)
			fail_msg("%s is not in real_files", de->d_name);
		seen++;
	}
	closedir(d);
	free(dir);
	assert_int_equal(seen, NREAL);
}

/* nsa_Office_0DFDDA81_User.pol is the header alone; so is a new pol. */
static void
test_pol_header_only(void **state)
{
	struct pol		*pol;
	struct pol_error	 err;
	uint8_t			*buf, *out;
	size_t			 len, outlen;

	buf = pol_file("nsa_Office_0DFDDA81_User.pol", &len);
	assert_int_equal(len, 8);
	assert_int_equal(pol_parse(buf, len, &pol, &err), 0);
	assert_int_equal(pol->nentries, 0);
	pol_free(pol);

	pol = pol_new();
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, 8);
	assert_memory_equal(out, buf, 8);
	free(out);
	pol_free(pol);
	free(buf);
}

/* Cut a real file at every byte offset. */
static void
truncate_all(const char *name)
{
	struct pol		*pol;
	struct pol_error	 err;
	struct lay		 l;
	uint8_t			*buf, *cut;
	size_t			 len, c, f, k;
	char			 what[160];

	buf = pol_file(name, &len);
	lay_build(buf, len, &l);
	for (c = 0; c < len; c++) {
		snprintf(what, sizeof what, "%s cut at %zu", name, c);
		/* Exact copy so ASan sees any read past the cut. */
		cut = xmalloc(c);
		memcpy(cut, buf, c);
		k = 0;
		while (k < l.n && l.e[k].end <= c)
			k++;
		if (c == lay_prefix(&l, k)) {
			/* A file cut at an entry boundary is complete. */
			if (pol_parse(cut, c, &pol, &err) != 0)
				fail_msg("%s: %s", what, err.msg);
			assert_int_equal(pol->nentries, k);
			pol_free(pol);
			free(cut);
			continue;
		}
		for (f = 0; f < l.nf; f++)
			if (l.f[f].start <= c && c < l.f[f].end)
				break;
		assert_true(f < l.nf);
		check_damaged(buf, &l, cut, c, l.f[f].blame, l.f[f].damage,
		    c < 8 ? 0 : k, what);
		free(cut);
	}
	lay_free(&l);
	free(buf);
}

static void
test_pol_truncate(void **state)
{
	truncate_all("nsa_Windows_B30BE6B3_User.pol");
	truncate_all("simeon_dod_OneDrive_for_Business_2016_User_User.pol");
	truncate_all("simeon_dod_Windows_10_User_User.pol");
	truncate_all("simeon_sos_Device_Guard_Machine.pol");
	truncate_all("nsa_Office_0DFDDA81_User.pol");
	/* MULTI_SZ and **del. entries. */
	truncate_all(
	    "simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol");
}

/* Replace every delimiter of every entry, one at a time. */
static void
flip_all(const char *name)
{
	struct lay		 l;
	struct lay_entry	*e;
	uint8_t			*buf, *bad;
	size_t			 len, k, d, at[6];
	char			 what[160];
	static const enum pol_damage dmg[6] = {
		POL_DAMAGE_OPEN, POL_DAMAGE_SEMI_KEY, POL_DAMAGE_SEMI_NAME,
		POL_DAMAGE_SEMI_TYPE, POL_DAMAGE_SEMI_SIZE, POL_DAMAGE_CLOSE
	};
	static const uint16_t repl[] = { 'X', 0, ']', '[' };
	size_t			 r;

	buf = pol_file(name, &len);
	lay_build(buf, len, &l);
	bad = xmalloc(len);
	for (k = 0; k < l.n; k++) {
		e = &l.e[k];
		at[0] = e->off;
		at[1] = e->koff + e->klen + 2;
		at[2] = e->noff + e->nlen + 2;
		at[3] = e->toff + 4;
		at[4] = e->soff + 4;
		at[5] = e->doff + e->size;
		for (d = 0; d < 6; d++) {
			for (r = 0; r < sizeof repl / sizeof repl[0]; r++) {
				if (le16dec(buf + at[d]) == repl[r])
					continue;
				/* A NUL for '[' is padding-like only when
				 * everything after it is NUL too. */
				memcpy(bad, buf, len);
				le16enc(bad + at[d], repl[r]);
				snprintf(what, sizeof what, "%s entry %zu "
				    "delimiter %zu -> 0x%04x", name, k, d,
				    repl[r]);
				check_damaged(buf, &l, bad, len, at[d], dmg[d],
				    k, what);
			}
		}
	}
	free(bad);
	lay_free(&l);
	free(buf);
}

static void
test_pol_flip_delimiters(void **state)
{
	flip_all("nsa_Windows_B30BE6B3_User.pol");
	flip_all("nsa_Windows_A2A38432_Machine.pol");
	flip_all("simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol");
}

/* Wrong sizes: too large for the file (the size field is blamed), or
 * pointing somewhere inside it (no ']' there). */
static void
sizes_all(const char *name)
{
	struct lay		 l;
	struct lay_entry	*e;
	uint8_t			*buf, *bad;
	size_t			 len, k, v, pos, left;
	uint32_t		 sizes[7];
	char			 what[160];

	buf = pol_file(name, &len);
	lay_build(buf, len, &l);
	bad = xmalloc(len);
	for (k = 0; k < l.n; k++) {
		e = &l.e[k];
		left = len - e->doff;
		sizes[0] = e->size + 2;
		sizes[1] = e->size + 1;
		sizes[2] = e->size == 0 ? 1 : e->size - 1;
		sizes[3] = 0xffffffff;
		sizes[4] = (uint32_t)left + 1;
		sizes[5] = (uint32_t)left;
		sizes[6] = 0x80000000;
		for (v = 0; v < 7; v++) {
			memcpy(bad, buf, len);
			le32enc(bad + e->soff, sizes[v]);
			snprintf(what, sizeof what, "%s entry %zu size %u -> "
			    "%u", name, k, e->size, sizes[v]);
			if (sizes[v] > left) {
				check_damaged(buf, &l, bad, len, e->soff,
				    POL_DAMAGE_DATA, k, what);
				continue;
			}
			pos = e->doff + sizes[v];
			/* Where ']' is expected now, there is none. */
			assert_true(pos + 2 > len ||
			    le16dec(bad + pos) != ']');
			check_damaged(buf, &l, bad, len, pos,
			    POL_DAMAGE_CLOSE, k, what);
		}
	}
	free(bad);
	lay_free(&l);
	free(buf);
}

static void
test_pol_bad_sizes(void **state)
{
	sizes_all("nsa_Windows_B30BE6B3_User.pol");
	sizes_all("simeon_sos_Windows_Defender_Application_Control_Audit_"
	    "Machine.pol");
	sizes_all("simeon_dod_Windows_10_Computer_Ansible_Fixes_Machine.pol");
}

/* A file built by hand, independently of pol_write. */
struct bld {
	uint8_t	*b;
	size_t	 len, alloc;
};

static void
bld_bytes(struct bld *b, const void *p, size_t n)
{
	if (b->len + n > b->alloc) {
		b->alloc = (b->len + n) * 2;
		b->b = xrealloc(b->b, b->alloc);
	}
	if (n != 0)
		memcpy(b->b + b->len, p, n);
	b->len += n;
}

static void
bld_u16(struct bld *b, uint16_t v)
{
	uint8_t	x[2];

	le16enc(x, v);
	bld_bytes(b, x, 2);
}

static void
bld_u32(struct bld *b, uint32_t v)
{
	uint8_t	x[4];

	le32enc(x, v);
	bld_bytes(b, x, 4);
}

/* ASCII as UTF-16LE with its NUL. */
static void
bld_str(struct bld *b, const char *s)
{
	for (; *s != '\0'; s++)
		bld_u16(b, (uint8_t)*s);
	bld_u16(b, 0);
}

static void
bld_header(struct bld *b)
{
	bld_bytes(b, "PReg\1\0\0\0", 8);
}

static void
bld_entry(struct bld *b, const char *key, const char *name, uint32_t type,
    const void *data, uint32_t size)
{
	bld_u16(b, '[');
	bld_str(b, key);
	bld_u16(b, ';');
	bld_str(b, name);
	bld_u16(b, ';');
	bld_u32(b, type);
	bld_u16(b, ';');
	bld_u32(b, size);
	bld_u16(b, ';');
	bld_bytes(b, data, size);
	bld_u16(b, ']');
}

static void
expect_damage(const uint8_t *buf, size_t len, enum pol_damage d, size_t off,
    size_t kept, const char *what)
{
	struct pol		*pol;
	struct pol_error	 err;
	uint8_t			*out;
	size_t			 outlen;

	if (pol_parse(buf, len, NULL, &err) == 0)
		fail_msg("%s: parsed", what);
	if (err.damage != d || err.off != off)
		fail_msg("%s: got \"%s\", expected offset %zu: %s", what,
		    err.msg, off, pol_damage_string(d));
	assert_int_equal(pol_salvage(buf, len, &pol, &err), 1);
	assert_int_equal(pol->nentries, kept);
	out = pol_write(pol, &outlen);
	assert_int_equal(pol_parse(out, outlen, NULL, &err), 0);
	free(out);
	pol_free(pol);
}

/* Unpaired surrogates in keys and names, in built and real files. */
static void
test_pol_bad_utf16(void **state)
{
	struct bld		 b = { NULL, 0, 0 };
	struct pol		*pol;
	struct pol_error	 err;
	struct lay		 l;
	uint8_t			*buf, *bad, *out, one[4] = { 1, 0, 0, 0 };
	size_t			 len, outlen, base, k;
	char			 what[128];

	/* Lone low surrogate in a key after one good entry. */
	bld_header(&b);
	bld_entry(&b, "Software\\Policies\\A", "V", HIVE_REG_DWORD, one, 4);
	base = b.len;
	bld_u16(&b, '[');
	bld_u16(&b, 'K');
	bld_u16(&b, 0xdc00);
	bld_u16(&b, 0);
	expect_damage(b.b, b.len, POL_DAMAGE_KEY_UTF16, base + 4, 1,
	    "lone low surrogate in key");

	/* High surrogate followed by a letter. */
	b.len = base;
	bld_u16(&b, '[');
	bld_u16(&b, 0xd83d);
	bld_u16(&b, 'A');
	bld_u16(&b, 0);
	expect_damage(b.b, b.len, POL_DAMAGE_KEY_UTF16, base + 2, 1,
	    "high surrogate then a letter in key");

	/* High surrogate just before the name's NUL. */
	b.len = base;
	bld_u16(&b, '[');
	bld_str(&b, "K");
	bld_u16(&b, ';');
	bld_u16(&b, 'N');
	bld_u16(&b, 0xdbff);
	bld_u16(&b, 0);
	bld_u16(&b, ';');
	expect_damage(b.b, b.len, POL_DAMAGE_NAME_UTF16, base + 10, 1,
	    "high surrogate before NUL in name");

	/* A file that ends inside a surrogate pair: unterminated. */
	b.len = base;
	bld_u16(&b, '[');
	bld_u16(&b, 0xd83d);
	expect_damage(b.b, b.len, POL_DAMAGE_KEY, base + 2, 1,
	    "file ends after a high surrogate");

	/* A real pair (U+1F600) is fine and survives the round trip. */
	b.len = base;
	bld_u16(&b, '[');
	bld_u16(&b, 'K');
	bld_u16(&b, 0xd83d);
	bld_u16(&b, 0xde00);
	bld_u16(&b, 0);
	bld_u16(&b, ';');
	bld_str(&b, "N");
	bld_u16(&b, ';');
	bld_u32(&b, HIVE_REG_DWORD);
	bld_u16(&b, ';');
	bld_u32(&b, 4);
	bld_u16(&b, ';');
	bld_bytes(&b, one, 4);
	bld_u16(&b, ']');
	if (pol_parse(b.b, b.len, &pol, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(pol->entries[1].key, "K\xf0\x9f\x98\x80");
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, b.len);
	assert_memory_equal(out, b.b, b.len);
	free(out);
	pol_free(pol);
	free(b.b);

	/* In a real file: the first letter of each entry's key and name
	 * becomes a lone surrogate. */
	buf = pol_file("nsa_Windows_A2A38432_Machine.pol", &len);
	lay_build(buf, len, &l);
	bad = xmalloc(len);
	for (k = 0; k < l.n; k += 7) {
		memcpy(bad, buf, len);
		le16enc(bad + l.e[k].koff + 2, 0xdfff);
		snprintf(what, sizeof what, "A2A38432 entry %zu key", k);
		check_damaged(buf, &l, bad, len, l.e[k].koff + 2,
		    POL_DAMAGE_KEY_UTF16, k, what);
		memcpy(bad, buf, len);
		le16enc(bad + l.e[k].noff, 0xd800);
		snprintf(what, sizeof what, "A2A38432 entry %zu name", k);
		check_damaged(buf, &l, bad, len, l.e[k].noff,
		    POL_DAMAGE_NAME_UTF16, k, what);
	}
	free(bad);
	lay_free(&l);
	free(buf);
}

/* Header damage and what may follow the last entry. */
static void
test_pol_header_trailing(void **state)
{
	struct pol		*pol;
	struct pol_error	 err;
	struct lay		 l;
	uint8_t			*buf, *big, *out;
	size_t			 len, n, outlen;
	const char		*name = "nsa_Windows_B30BE6B3_User.pol";

	buf = pol_file(name, &len);
	lay_build(buf, len, &l);
	big = xcalloc(1, len + 512);
	memcpy(big, buf, len);

	/* Signature and version. */
	big[3] = 'f';			/* "PRef" */
	check_damaged(buf, &l, big, len, 0, POL_DAMAGE_SIGNATURE, 0,
	    "signature PRef");
	big[3] = 'g';
	big[4] = 2;
	check_damaged(buf, &l, big, len, 4, POL_DAMAGE_VERSION, 0,
	    "version 2");
	big[4] = 1;
	big[7] = 1;			/* version 0x01000001 */
	check_damaged(buf, &l, big, len, 4, POL_DAMAGE_VERSION, 0,
	    "version 0x01000001");
	big[7] = 0;

	/* Trailing garbage: one byte, NUL padding, anything else. */
	check_damaged(buf, &l, big, len + 1, len, POL_DAMAGE_TRAILING, l.n,
	    "one NUL byte after the end");
	big[len] = 0x41;
	check_damaged(buf, &l, big, len + 1, len, POL_DAMAGE_TRAILING, l.n,
	    "one byte after the end");
	big[len] = 0;
	check_damaged(buf, &l, big, len + 512, len, POL_DAMAGE_TRAILING,
	    l.n, "512 NUL bytes after the end");
	big[len + 100] = 1;
	check_damaged(buf, &l, big, len + 512, len, POL_DAMAGE_OPEN, l.n,
	    "garbage after the end");

	/* What err says, in words. */
	assert_int_equal(pol_parse(big, len + 512, &pol, &err), -1);
	assert_string_equal(err.msg, "offset 610 (0x262): missing '[' at the "
	    "start of an entry (found 0x0000; entry 3)");
	/* And for a delimiter, what stands there instead. */
	memcpy(big, buf, len);
	le16enc(big + l.e[1].doff + l.e[1].size, 'X');
	assert_int_equal(pol_parse(big, len, NULL, &err), -1);
	assert_string_equal(err.msg, "offset 360 (0x168): missing ']' after "
	    "the data (found 0x0058; entry 1 at offset 188, size 4)");
	assert_int_equal(pol_parse(big, l.e[1].doff + l.e[1].size, NULL,
	    &err), -1);
	assert_string_equal(err.msg, "offset 360 (0x168): missing ']' after "
	    "the data (the file ends; entry 1 at offset 188, size 4)");
	memcpy(big, buf, len);
	memset(big + len, 0, 512);
	big[len + 100] = 1;

	/* Too short for a header: 0..7 bytes. */
	for (n = 0; n < 8; n++) {
		assert_int_equal(pol_parse(buf, n, NULL, &err), -1);
		assert_int_equal(err.damage, n < 4 ? POL_DAMAGE_SHORT :
		    POL_DAMAGE_VERSION);
		assert_int_equal(err.off, n < 4 ? 0 : 4);
		assert_int_equal(pol_salvage(buf, n, &pol, &err), 1);
		out = pol_write(pol, &outlen);
		assert_int_equal(outlen, 8);
		assert_memory_equal(out, "PReg\1\0\0\0", 8);
		free(out);
		pol_free(pol);
	}
	free(big);
	lay_free(&l);
	free(buf);
}

/* Named limits: at the limit parses, one over is damage; pol_set keeps
 * files within them. */
static void
test_pol_limits(void **state)
{
	struct bld		 b = { NULL, 0, 0 };
	struct pol		*pol;
	struct pol_error	 err;
	uint8_t			 one[4] = { 1, 0, 0, 0 };
	char			*key, *cause = NULL;
	size_t			 i, base;

	/* Key of NTM_MAX_POL_KEY units, then one more. */
	key = xmalloc(NTM_MAX_POL_KEY + 2);
	memset(key, 'k', NTM_MAX_POL_KEY + 1);
	key[NTM_MAX_POL_KEY] = '\0';
	bld_header(&b);
	bld_entry(&b, key, "n", HIVE_REG_DWORD, one, 4);
	assert_int_equal(pol_parse(b.b, b.len, &pol, &err), 0);
	assert_int_equal(strlen(pol->entries[0].key), NTM_MAX_POL_KEY);
	pol_free(pol);
	key[NTM_MAX_POL_KEY] = 'k';
	key[NTM_MAX_POL_KEY + 1] = '\0';
	b.len = 8;
	bld_entry(&b, key, "n", HIVE_REG_DWORD, one, 4);
	expect_damage(b.b, b.len, POL_DAMAGE_KEY_LONG, 10, 0, "long key");
	pol = pol_new();
	assert_int_equal(pol_set(pol, key, "n", HIVE_REG_DWORD, one, 4,
	    &cause), -1);
	assert_non_null(strstr(cause, "more than 32767"));
	free(cause);
	cause = NULL;
	pol_free(pol);

	/* Value name of NTM_MAX_POL_NAME units, then one more. */
	key[NTM_MAX_POL_NAME] = '\0';
	b.len = 8;
	bld_entry(&b, "K", key, HIVE_REG_DWORD, one, 4);
	assert_int_equal(pol_parse(b.b, b.len, NULL, &err), 0);
	key[NTM_MAX_POL_NAME] = 'k';
	key[NTM_MAX_POL_NAME + 1] = '\0';
	b.len = 8;
	bld_entry(&b, "K", key, HIVE_REG_DWORD, one, 4);
	expect_damage(b.b, b.len, POL_DAMAGE_NAME_LONG, 8 + 2 + 4 + 2, 0,
	    "long name");
	free(key);

	/* NTM_MAX_POL_ENTRIES entries, then one more. */
	b.len = 8;
	for (i = 0; i < NTM_MAX_POL_ENTRIES; i++)
		bld_entry(&b, "K", "n", HIVE_REG_DWORD, one, 4);
	assert_int_equal(pol_parse(b.b, b.len, &pol, &err), 0);
	assert_int_equal(pol->nentries, NTM_MAX_POL_ENTRIES);
	assert_int_equal(pol_set(pol, "K", "other", HIVE_REG_DWORD, one, 4,
	    &cause), -1);
	free(cause);
	cause = NULL;
	/* Replacing still works at the limit. */
	assert_int_equal(pol_set(pol, "k", "N", HIVE_REG_DWORD, one, 4,
	    &cause), 0);
	pol_free(pol);
	base = b.len;
	bld_entry(&b, "K", "n", HIVE_REG_DWORD, one, 4);
	expect_damage(b.b, b.len, POL_DAMAGE_TOO_MANY, base,
	    NTM_MAX_POL_ENTRIES, "one entry too many");

	/* A file over NTM_MAX_POL_SIZE. */
	free(b.b);
	b.b = NULL;
	b.len = b.alloc = 0;
	bld_header(&b);
	bld_entry(&b, "K", "small", HIVE_REG_DWORD, one, 4);
	base = b.len;
	bld_u16(&b, '[');
	bld_str(&b, "K");
	bld_u16(&b, ';');
	bld_str(&b, "big");
	bld_u16(&b, ';');
	bld_u32(&b, HIVE_REG_BINARY);
	bld_u16(&b, ';');
	bld_u32(&b, NTM_MAX_POL_SIZE);
	bld_u16(&b, ';');
	b.b = xrealloc(b.b, b.alloc = b.len + NTM_MAX_POL_SIZE + 2);
	memset(b.b + b.len, 0xab, NTM_MAX_POL_SIZE);
	b.len += NTM_MAX_POL_SIZE;
	bld_u16(&b, ']');
	expect_damage(b.b, b.len, POL_DAMAGE_TOO_BIG, base, 1, "too big");
	pol = pol_new();
	assert_int_equal(pol_set(pol, "K", "big", HIVE_REG_BINARY,
	    b.b + b.len - 2 - NTM_MAX_POL_SIZE, NTM_MAX_POL_SIZE, &cause),
	    -1);
	free(cause);
	pol_free(pol);
	free(b.b);
}

/* Find the entry with this key and name in a parsed real file. */
static const struct pol_entry *
entry_of(const struct pol *pol, const char *key, const char *name)
{
	ssize_t	i;

	if ((i = pol_find(pol, key, name)) == -1)
		fail_msg("no entry %s\\%s", key, name);
	return &pol->entries[i];
}

static void
check_describe(const struct pol_entry *e, enum pol_action action,
    const char *target, const char *text)
{
	const char	*t;
	char		*s;

	assert_int_equal(pol_entry_action(e, &t), action);
	assert_string_equal(t, target);
	s = pol_entry_describe(e);
	assert_string_equal(s, text);
	free(s);
}

/* Special value names as GPMC writes them and as documented. */
static void
test_pol_special(void **state)
{
	struct bld		 b = { NULL, 0, 0 };
	struct pol		*pol;
	struct pol_error	 err;
	const struct pol_entry	*e;
	uint8_t			*buf, one[4] = { 1, 0, 0, 0 };
	uint8_t			 zero[4] = { 0, 0, 0, 0 };
	size_t			 len;
	char			*s;
	static const uint8_t	 space[4] = { ' ', 0, 0, 0 };
	static const uint8_t	 dv[] = { 'a', 0, ';', 0, 'b', 0, 0, 0 };
	static const uint8_t	 dk[] = { 'N', 0, 'o', 0, 'R', 0, 'u', 0,
	    'n', 0, ';', 0, 'N', 0, 'o', 0, 'F', 0, 'i', 0, 'n', 0, 'd', 0,
	    0, 0 };
	static const uint8_t	 q[8] = { 0, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t	 bin[3] = { 0x01, 0xff, 0x2a };

	/* Real **del. and **delvals. entries (GPMC spelling). */
	buf = pol_file("nsa_Chrome_403B3DA7_Machine.pol", &len);
	assert_int_equal(pol_parse(buf, len, &pol, &err), 0);
	e = entry_of(pol, "Software\\Policies\\Google\\Chrome",
	    "**del.NetworkPredictionOptions");
	assert_int_equal(e->type, HIVE_REG_SZ);
	assert_int_equal(e->size, 4);
	check_describe(e, POL_ACTION_DEL, "NetworkPredictionOptions",
	    "deletes value NetworkPredictionOptions");
	e = &pol->entries[pol_find(pol,
	    "Software\\Policies\\Google\\Chrome\\ExtensionInstallWhitelist",
	    "**delvals.")];
	check_describe(e, POL_ACTION_DELVALS, "**delvals.",
	    "deletes all values of the key");
	pol_free(pol);
	free(buf);

	/* Plain values of each type seen in real files. */
	buf = pol_file("simeon_dod_Windows_10_Computer_Ansible_Fixes_"
	    "Machine.pol", &len);
	assert_int_equal(pol_parse(buf, len, &pol, &err), 0);
	e = entry_of(pol, "Software\\Policies\\Microsoft\\Windows\\"
	    "DataCollection", "AllowTelemetry");
	check_describe(e, POL_ACTION_SET, "AllowTelemetry",
	    "sets AllowTelemetry = 2 (REG_DWORD)");
	e = entry_of(pol, "Software\\Policies\\Microsoft\\Cryptography\\"
	    "Configuration\\SSL\\00010002", "EccCurves");
	check_describe(e, POL_ACTION_SET, "EccCurves",
	    "sets EccCurves = \"NistP384\", \"NistP256\" (REG_MULTI_SZ)");
	s = pol_entry_format(e);
	assert_string_equal(s, "NistP384\nNistP256");
	free(s);
	e = entry_of(pol, "Software\\Policies\\Microsoft\\Windows\\"
	    "PowerShell\\Transcription", "OutputDirectory");
	check_describe(e, POL_ACTION_SET, "OutputDirectory",
	    "sets OutputDirectory = \"C:\\ProgramData\\PS_Transcript\" "
	    "(REG_SZ)");
	/* Lookups ignore case: the file writes "wcmsvc". */
	e = entry_of(pol, "SOFTWARE\\Microsoft\\WcmSvc\\wifinetworkmanager\\"
	    "config", "autoconnectallowedoem");
	assert_string_equal(e->key,
	    "Software\\Microsoft\\wcmsvc\\wifinetworkmanager\\config");
	e = entry_of(pol, "Software\\Policies\\Microsoft\\Windows\\"
	    "PowerShell\\Transcription", "**DEL.EnableInvocationHeader");
	check_describe(e, POL_ACTION_DEL, "EnableInvocationHeader",
	    "deletes value EnableInvocationHeader");
	pol_free(pol);
	free(buf);

	/* The documented names, built. */
	bld_header(&b);
	bld_entry(&b, "K", "**DeleteValues", HIVE_REG_SZ, dv, sizeof dv);
	bld_entry(&b, "K", "**DeleteKeys ", HIVE_REG_SZ, dk, sizeof dk);
	bld_entry(&b, "K", "**SecureKey", HIVE_REG_DWORD, one, 4);
	bld_entry(&b, "K", "**SecureKey", HIVE_REG_DWORD, zero, 4);
	bld_entry(&b, "K", "**soft.NoAutoUpdate", HIVE_REG_DWORD, one, 4);
	bld_entry(&b, "K", "**DelVals", HIVE_REG_SZ, space, 4);
	bld_entry(&b, "K", "**frob", HIVE_REG_DWORD, one, 4);
	bld_entry(&b, "K", "", HIVE_REG_NONE, NULL, 0);
	bld_entry(&b, "K", "", HIVE_REG_SZ, space, 4);
	bld_entry(&b, "K", "Q", HIVE_REG_QWORD, q, 8);
	bld_entry(&b, "K", "B", HIVE_REG_BINARY, bin, 3);
	bld_entry(&b, "K", "W", HIVE_REG_DWORD, bin, 3);
	bld_entry(&b, "K", "E", HIVE_REG_DWORD_BIG_ENDIAN, one, 4);
	bld_entry(&b, "K", "X", 0x1234, bin, 2);
	bld_entry(&b, "K", "S", HIVE_REG_SZ, space, 3);
	bld_entry(&b, "K", "Z", HIVE_REG_EXPAND_SZ, NULL, 0);
	if (pol_parse(b.b, b.len, &pol, &err) != 0)
		fail_msg("%s", err.msg);
	assert_int_equal(pol->nentries, 16);
	check_describe(&pol->entries[0], POL_ACTION_DELETEVALUES,
	    "**DeleteValues", "deletes values a, b");
	check_describe(&pol->entries[1], POL_ACTION_DELETEKEYS,
	    "**DeleteKeys ", "deletes subkeys NoRun, NoFind");
	check_describe(&pol->entries[2], POL_ACTION_SECUREKEY, "**SecureKey",
	    "secures the key (administrators and SYSTEM full control, "
	    "users read)");
	check_describe(&pol->entries[3], POL_ACTION_SECUREKEY, "**SecureKey",
	    "resets the key's permissions to those of its parent");
	check_describe(&pol->entries[4], POL_ACTION_SOFT, "NoAutoUpdate",
	    "sets NoAutoUpdate = 1 (REG_DWORD) if it is not already set");
	check_describe(&pol->entries[5], POL_ACTION_DELVALS, "**DelVals",
	    "deletes all values of the key");
	check_describe(&pol->entries[6], POL_ACTION_SPECIAL, "**frob",
	    "unknown special value **frob (REG_DWORD, 4 bytes)");
	check_describe(&pol->entries[7], POL_ACTION_KEY, "",
	    "creates the key");
	check_describe(&pol->entries[8], POL_ACTION_SET, "",
	    "sets (default) = \" \" (REG_SZ)");
	check_describe(&pol->entries[9], POL_ACTION_SET, "Q",
	    "sets Q = 4294967296 (REG_QWORD)");
	check_describe(&pol->entries[10], POL_ACTION_SET, "B",
	    "sets B = 01 ff 2a (REG_BINARY)");
	/* A DWORD of the wrong size shows its bytes. */
	check_describe(&pol->entries[11], POL_ACTION_SET, "W",
	    "sets W = 01 ff 2a (REG_DWORD)");
	check_describe(&pol->entries[12], POL_ACTION_SET, "E",
	    "sets E = 16777216 (REG_DWORD_BIG_ENDIAN)");
	check_describe(&pol->entries[13], POL_ACTION_SET, "X",
	    "sets X = 01 ff (REG_UNKNOWN(0x1234))");
	/* Odd size: the last byte is not half a character. */
	s = pol_entry_format(&pol->entries[14]);
	assert_string_equal(s, " ");
	free(s);
	check_describe(&pol->entries[15], POL_ACTION_SET, "Z",
	    "sets Z = \"\" (REG_EXPAND_SZ)");
	pol_free(pol);
	free(b.b);
}

/* Rebuilding real files from scratch with pol_set gives their bytes. */
static void
test_pol_build_real(void **state)
{
	struct pol	*pol;
	uint8_t		*buf, *out;
	void		*data;
	size_t		 len, outlen, dlen;
	char		*cause = NULL;
	const char	*desk = "Software\\Policies\\Microsoft\\Windows\\"
	    "Control Panel\\Desktop";

	buf = pol_file("simeon_dod_OneDrive_for_Business_2016_User_User.pol",
	    &len);
	pol = pol_new();
	assert_int_equal(pol_data_encode(HIVE_REG_DWORD, "1", &data, &dlen,
	    &cause), 0);
	assert_int_equal(pol_set(pol, "SOFTWARE\\Policies\\Microsoft\\"
	    "OneDrive", "DisablePersonalSync", HIVE_REG_DWORD, data, dlen,
	    &cause), 0);
	free(data);
	assert_int_equal(pol->entries[0].off, POL_OFF_NONE);
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	free(out);
	pol_free(pol);
	free(buf);

	buf = pol_file("nsa_Windows_B30BE6B3_User.pol", &len);
	pol = pol_new();
	assert_int_equal(pol_data_encode(HIVE_REG_SZ, "1", &data, &dlen,
	    &cause), 0);
	assert_int_equal(dlen, 4);	/* "1" and its NUL, as Windows */
	assert_int_equal(pol_set(pol, desk, "ScreenSaverIsSecure",
	    HIVE_REG_SZ, data, dlen, &cause), 0);
	assert_int_equal(pol_set(pol, desk, "ScreenSaveActive",
	    HIVE_REG_SZ, data, dlen, &cause), 0);
	free(data);
	assert_int_equal(pol_data_encode(HIVE_REG_DWORD, "0x1", &data, &dlen,
	    &cause), 0);
	assert_int_equal(pol_set(pol, "Software\\Policies\\Microsoft\\"
	    "Windows\\CurrentVersion\\PushNotifications",
	    "NoToastApplicationNotificationOnLockScreen", HIVE_REG_DWORD,
	    data, dlen, &cause), 0);
	free(data);
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	free(out);
	pol_free(pol);
	free(buf);
}

/* Parse, write and parse again; returns the new parse. */
static struct pol *
reparse(const struct pol *pol, uint8_t **outp, size_t *outlenp)
{
	struct pol		*again;
	struct pol_error	 err;

	*outp = pol_write(pol, outlenp);
	if (pol_parse(*outp, *outlenp, &again, &err) != 0)
		fail_msg("written file: %s", err.msg);
	return again;
}

/* Set and delete, through written files. */
static void
test_pol_edit(void **state)
{
	struct pol		*pol, *again;
	struct pol_error	 err;
	const struct pol_entry	*e;
	uint8_t			*buf, *out, *out2;
	void			*data;
	size_t			 len, outlen, out2len, dlen, n;
	ssize_t			 at;
	char			*cause = NULL, *s;
	const char		*wu = "Software\\Policies\\Microsoft\\Windows\\"
	    "WindowsUpdate\\AU";

	buf = pol_file("nsa_Windows_A2A38432_Machine.pol", &len);
	assert_int_equal(pol_parse(buf, len, &pol, &err), 0);
	n = pol->nentries;

	/* Replace an existing value, named in another case: same place,
	 * the file's spelling kept, only the data changes. */
	at = pol_find(pol, "software\\policies\\microsoft\\windows\\"
	    "datacollection", "ALLOWTELEMETRY");
	assert_true(at >= 0);
	assert_int_equal(pol_data_encode(HIVE_REG_DWORD, "3", &data, &dlen,
	    &cause), 0);
	assert_int_equal(pol_set(pol, "SOFTWARE\\Policies\\Microsoft\\"
	    "Windows\\DataCollection", "allowtelemetry", HIVE_REG_DWORD, data,
	    dlen, &cause), 0);
	free(data);
	assert_int_equal(pol->nentries, n);
	again = reparse(pol, &out, &outlen);
	assert_int_equal(outlen, len);
	e = &again->entries[at];
	assert_string_equal(e->key,
	    "Software\\Policies\\Microsoft\\Windows\\DataCollection");
	assert_string_equal(e->name, "AllowTelemetry");
	assert_int_equal(le32dec(e->data), 3);
	/* Only the four data bytes differ: a DWORD entry ends with its
	 * data and ']' right before the next entry. */
	{
		size_t	doff = pol->entries[at + 1].off - 6;

		assert_memory_equal(out, buf, doff);
		assert_memory_equal(out + doff + 4, buf + doff + 4,
		    len - doff - 4);
		assert_int_equal(le32dec(out + doff), 3);
	}
	free(out);
	pol_free(again);

	/* Set it back: the original bytes. */
	assert_int_equal(pol_data_encode(HIVE_REG_DWORD, "1", &data, &dlen,
	    &cause), 0);
	assert_int_equal(pol_set(pol, "Software\\Policies\\Microsoft\\"
	    "Windows\\DataCollection", "AllowTelemetry", HIVE_REG_DWORD, data,
	    dlen, &cause), 0);
	free(data);
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	free(out);

	/* A new value is appended and reads back typed. */
	assert_int_equal(pol_data_encode(HIVE_REG_DWORD, "1", &data, &dlen,
	    &cause), 0);
	assert_int_equal(pol_set(pol, wu, "NoAutoUpdate", HIVE_REG_DWORD,
	    data, dlen, &cause), 0);
	free(data);
	assert_int_equal(pol->nentries, 88);
	again = reparse(pol, &out, &outlen);
	assert_int_equal(again->nentries, 88);
	e = &again->entries[87];
	assert_int_equal(e->off, len);
	assert_string_equal(e->key, wu);
	s = pol_entry_describe(e);
	assert_string_equal(s, "sets NoAutoUpdate = 1 (REG_DWORD)");
	free(s);
	/* The file is the original plus that entry. */
	assert_memory_equal(out, buf, len);
	free(out);
	pol_free(again);

	/* Deleting it gives the original back. */
	assert_int_equal(pol_delete(pol, wu, "noautoupdate"), 1);
	assert_int_equal(pol_delete(pol, wu, "noautoupdate"), 0);
	out = pol_write(pol, &outlen);
	assert_int_equal(outlen, len);
	assert_memory_equal(out, buf, len);
	free(out);

	/* Deleting a real entry: gone after the round trip, and the bytes
	 * are the original without it. */
	at = pol_find(pol, "Software\\Policies\\Microsoft\\Windows\\"
	    "DeliveryOptimization", "DODownloadMode");
	assert_true(at > 0 && (size_t)at + 1 < pol->nentries);
	{
		size_t	from = pol->entries[at].off;
		size_t	to = pol->entries[at + 1].off;

		assert_int_equal(pol_delete(pol, "Software\\Policies\\"
		    "Microsoft\\Windows\\DeliveryOptimization",
		    "DODownloadMode"), 1);
		again = reparse(pol, &out, &outlen);
		assert_int_equal(outlen, len - (to - from));
		assert_memory_equal(out, buf, from);
		assert_memory_equal(out + from, buf + to, len - to);
		assert_int_equal(pol_find(again, "Software\\Policies\\"
		    "Microsoft\\Windows\\DeliveryOptimization",
		    "DODownloadMode"), -1);
		assert_int_equal(again->nentries, 86);
		free(out);
		pol_free(again);
	}

	/* Special names are ordinary names for set and delete. */
	assert_int_equal(pol_delete(pol, "Software\\Policies\\Microsoft\\"
	    "Windows NT\\Terminal Services", "**del.fUseMailto"), 1);
	assert_int_equal(pol->nentries, 85);

	/* Bad input to pol_set. */
	assert_int_equal(pol_set(pol, "", "x", HIVE_REG_DWORD, "\1\0\0\0", 4,
	    &cause), -1);
	assert_string_equal(cause, "empty key");
	free(cause);
	cause = NULL;
	assert_int_equal(pol_set(pol, "K", "\xff", HIVE_REG_DWORD,
	    "\1\0\0\0", 4, &cause), -1);
	assert_string_equal(cause, "value name is not valid UTF-8");
	free(cause);
	cause = NULL;
	assert_int_equal(pol->nentries, 85);

	pol_free(pol);
	free(buf);

	/* Duplicates: find and set use the last (it takes effect); delete
	 * removes all. */
	pol = pol_new();
	assert_int_equal(pol_set(pol, "K", "A", HIVE_REG_DWORD, "\1\0\0\0", 4,
	    &cause), 0);
	assert_int_equal(pol_set(pol, "K", "**delvals.", HIVE_REG_SZ,
	    " \0\0\0", 4, &cause), 0);
	out = pol_write(pol, &outlen);
	out2 = xmalloc(outlen * 2);
	memcpy(out2, out, outlen);
	memcpy(out2 + outlen, out + 8, outlen - 8);	/* twice */
	out2len = 2 * outlen - 8;
	pol_free(pol);
	assert_int_equal(pol_parse(out2, out2len, &pol, &err), 0);
	assert_int_equal(pol->nentries, 4);
	assert_int_equal(pol_find(pol, "k", "a"), 2);
	assert_int_equal(pol_set(pol, "K", "A", HIVE_REG_DWORD, "\2\0\0\0", 4,
	    &cause), 0);
	assert_int_equal(le32dec(pol->entries[0].data), 1);
	assert_int_equal(le32dec(pol->entries[2].data), 2);
	assert_int_equal(pol_delete(pol, "K", "a"), 2);
	assert_int_equal(pol->nentries, 2);
	assert_string_equal(pol->entries[1].name, "**delvals.");
	pol_free(pol);
	free(out);
	free(out2);
}

/* Text to data for `pol set`, and back through pol_entry_format. */
static void
test_pol_encode(void **state)
{
	static const struct {
		uint32_t	 type;
		const char	*text;
		size_t		 len;
		const char	*bytes;
		const char	*shown;
	} ok[] = {
		{ HIVE_REG_DWORD, "4096", 4, "\0\20\0\0", "4096" },
		{ HIVE_REG_DWORD, "0xffffffff", 4, "\377\377\377\377",
		    "4294967295" },
		{ HIVE_REG_DWORD_BIG_ENDIAN, "1", 4, "\0\0\0\1", "1" },
		{ HIVE_REG_QWORD, "4294967296", 8, "\0\0\0\0\1\0\0\0",
		    "4294967296" },
		{ HIVE_REG_SZ, "Block", 12, "B\0l\0o\0c\0k\0\0\0", "Block" },
		{ HIVE_REG_EXPAND_SZ, "%SystemRoot%", 26,
		    "%\0S\0y\0s\0t\0e\0m\0R\0o\0o\0t\0%\0\0\0",
		    "%SystemRoot%" },
		{ HIVE_REG_SZ, "\xc3\xa9", 4, "\xe9\0\0\0", "\xc3\xa9" },
		{ HIVE_REG_MULTI_SZ, "NistP384\nNistP256", 38,
		    "N\0i\0s\0t\0P\0003\0008\0004\0\0\0"
		    "N\0i\0s\0t\0P\0002\0005\0006\0\0\0\0\0",
		    "NistP384\nNistP256" },
		{ HIVE_REG_MULTI_SZ, "", 2, "\0\0", "" },
		{ HIVE_REG_BINARY, "01 ff 2a", 3, "\1\377\52", "01 ff 2a" },
		{ HIVE_REG_BINARY, "01ff2a", 3, "\1\377\52", "01 ff 2a" },
		{ HIVE_REG_NONE, "", 0, "", "" },
	};
	static const struct {
		uint32_t	 type;
		const char	*text;
	} bad[] = {
		{ HIVE_REG_DWORD, "4294967296" },
		{ HIVE_REG_DWORD, "-1" },
		{ HIVE_REG_DWORD, "" },
		{ HIVE_REG_DWORD, "12abc" },
		{ HIVE_REG_QWORD, "x" },
		{ HIVE_REG_BINARY, "0g" },
		{ HIVE_REG_BINARY, "012" },
		{ HIVE_REG_SZ, "\xc3" },
	};
	struct pol_entry	 e;
	void			*data;
	char			*cause = NULL, *s;
	size_t			 i, len;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		if (pol_data_encode(ok[i].type, ok[i].text, &data, &len,
		    &cause) != 0)
			fail_msg("\"%s\": %s", ok[i].text, cause);
		assert_int_equal(len, ok[i].len);
		assert_memory_equal(data, ok[i].bytes, len);
		memset(&e, 0, sizeof e);
		e.key = e.name = (char *)"";
		e.type = ok[i].type;
		e.size = (uint32_t)len;
		e.data = data;
		s = pol_entry_format(&e);
		assert_string_equal(s, ok[i].shown);
		free(s);
		free(data);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		if (pol_data_encode(bad[i].type, bad[i].text, &data, &len,
		    &cause) == 0)
			fail_msg("\"%s\" encoded", bad[i].text);
		assert_non_null(cause);
		free(cause);
		cause = NULL;
	}
	s = pol_type_name(HIVE_REG_MULTI_SZ);
	assert_string_equal(s, "REG_MULTI_SZ");
	free(s);
	s = pol_type_name(99);
	assert_string_equal(s, "REG_UNKNOWN(0x63)");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_pol_real_roundtrip,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_header_only,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_truncate,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_flip_delimiters,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_bad_sizes,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_bad_utf16,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_header_trailing,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_limits,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_special,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_build_real,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_edit,
		    tl_setup, tl_teardown),
		cmocka_unit_test_setup_teardown(test_pol_encode,
		    tl_setup, tl_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
