/*
 * test_policy.c: repair/policy.c, the engine of `ntmend pol`: reading and
 * judging registry.pol files, the salvage plan, edits, the policies that
 * stop Windows Update and their removal, and writing back (beside a
 * FILE.bak on this machine; through the journal on a volume).
 *
 * Every test works on copies of testdata/pol in a fresh temp directory.
 * Expected offsets and bytes come from this file's own walker (lay_walk)
 * and entry writer (put_entry), not from hive/pol.c or policy.c.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "repair/repair.h"
#include "util/util.h"

#define WU	"Software\\Policies\\Microsoft\\Windows\\WindowsUpdate"
#define AU	WU "\\AU"

/* The real GPO mkfixture's registry.pol is made from; 87 entries (counted
 * by test_pol.c's independent script). */
#define BASE_POL	"nsa_Windows_A2A38432_Machine.pol"
#define BASE_ENTRIES	87

struct pt {
	char	*dir;
};

static int
pt_setup(void **state)
{
	struct pt	*pt;
	char		*cause = NULL;

	pt = xcalloc(1, sizeof *pt);
	if ((pt->dir = tmpdir_create("ntmend-policy", &cause)) == NULL) {
		fprintf(stderr, "# %s\n", cause);
		free(cause);
		free(pt);
		return -1;
	}
	*state = pt;
	return 0;
}

static int
pt_teardown(void **state)
{
	struct pt	*pt = *state;

	tmpdir_remove(pt->dir);
	free(pt->dir);
	free(pt);
	return 0;
}

static const char *
testdata(void)
{
	const char	*s = getenv("NTM_TESTDATA");

	return s != NULL ? s : "../shared/testdata";
}

/* Read testdata/pol/NAME; caller frees. */
static uint8_t *
td_read(const char *name, size_t *len)
{
	char	*path, *cause = NULL;
	void	*buf;

	path = xprintf("%s/pol/%s", testdata(), name);
	if (file_read_all(path, 1 << 24, &buf, len, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	return buf;
}

/* Write bytes to DIR/NAME (a private copy); caller frees the path. */
static char *
tmp_put(struct pt *pt, const char *name, const void *buf, size_t len)
{
	char	*path, *cause = NULL;

	path = xprintf("%s/%s", pt->dir, name);
	if (file_write_all(path, buf, len, &cause) != 0)
		fail_msg("%s", cause);
	return path;
}

/* Read a host file; caller frees; NULL if missing. */
static uint8_t *
host_read(const char *path, size_t *len)
{
	void	*buf;

	if (file_read_all(path, 1 << 26, &buf, len, NULL) != 0)
		return NULL;
	return buf;
}

/*
 * A walker that trusts its input: the offset of every entry's '[' and the
 * end of the last one, for the valid files this test uses.
 */
static size_t
lay_walk(const uint8_t *b, size_t len, size_t *offs, size_t max)
{
	size_t	off = 8, n = 0;
	int	field;

	while (off < len && n < max) {
		offs[n++] = off;
		off += 2;
		for (field = 0; field < 2; field++) {
			while (b[off] != 0 || b[off + 1] != 0)
				off += 2;
			off += 4;	/* NUL and ';' */
		}
		off += 4 + 2;		/* type, ';' */
		off += 4 + 2 + (size_t)le32dec(b + off);	/* size, ';' */
		off += 2;		/* ']' */
	}
	return n;
}

/* Append one PReg entry, written here from the format's description. */
struct bld {
	uint8_t	*b;
	size_t	 len;
};

static void
bld_raw(struct bld *bl, const void *p, size_t n)
{
	bl->b = xrealloc(bl->b, bl->len + n + 1);
	memcpy(bl->b + bl->len, p, n);
	bl->len += n;
}

static void
bld_u16(struct bld *bl, uint16_t c)
{
	uint8_t	u[2] = { (uint8_t)c, (uint8_t)(c >> 8) };

	bld_raw(bl, u, 2);
}

static void
bld_str(struct bld *bl, const char *ascii)
{
	for (; *ascii != '\0'; ascii++)
		bld_u16(bl, (uint8_t)*ascii);
	bld_u16(bl, 0);
}

static void
put_entry(struct bld *bl, const char *key, const char *name, uint32_t type,
    const void *data, uint32_t size)
{
	uint8_t	u[4];

	bld_u16(bl, '[');
	bld_str(bl, key);
	bld_u16(bl, ';');
	bld_str(bl, name);
	bld_u16(bl, ';');
	le32enc(u, type);
	bld_raw(bl, u, 4);
	bld_u16(bl, ';');
	le32enc(u, size);
	bld_raw(bl, u, 4);
	bld_u16(bl, ';');
	bld_raw(bl, data, size);
	bld_u16(bl, ']');
}

static void
put_dword(struct bld *bl, const char *key, const char *name, uint32_t v)
{
	uint8_t	d[4];

	le32enc(d, v);
	put_entry(bl, key, name, 4, d, 4);
}

/* REG_SZ of ASCII text, with its NUL (as GPMC writes it). */
static void
put_sz(struct bld *bl, const char *key, const char *name, const char *s)
{
	struct bld	d = { NULL, 0 };

	bld_str(&d, s);
	put_entry(bl, key, name, 1, d.b, (uint32_t)d.len);
	free(d.b);
}

static void
bld_header(struct bld *bl)
{
	static const uint8_t	h[8] = { 'P', 'R', 'e', 'g', 1, 0, 0, 0 };

	bld_raw(bl, h, 8);
}

/* Parse bytes made here (must be valid); caller frees. */
static struct pol *
must_parse(const void *buf, size_t len)
{
	struct pol_error	 err;
	struct pol		*pol;

	if (pol_parse(buf, len, &pol, &err) != 0)
		fail_msg("test data does not parse: %s", err.msg);
	return pol;
}

/* Every real file reads as valid, with the count of test_pol.c's
 * independent script, and the entries where the walker finds them. */
static void
test_read_real(void **state)
{
	static const struct {
		const char	*name;
		size_t		 n;
	} files[] = {
		{ BASE_POL, BASE_ENTRIES },
		{ "nsa_Office_0DFDDA81_User.pol", 0 },
		{ "nsa_Chrome_403B3DA7_Machine.pol", 45 },
		{ "simeon_sos_Telemetry_and_Security_Machine.pol", 316 },
		{ "simeon_dod_Windows_10_User_User.pol", 4 },
	};
	struct pt		*pt = *state;
	struct policy_file	 pf;
	uint8_t			*raw;
	size_t			 len, i, k, offs[400], n;
	char			*path, *cause = NULL;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		raw = td_read(files[i].name, &len);
		path = tmp_put(pt, files[i].name, raw, len);
		if (policy_read_host(path, &pf, &cause) != 0)
			fail_msg("%s: %s", files[i].name, cause);
		assert_true(pf.host);
		assert_false(pf.missing);
		assert_false(pf.damaged);
		assert_int_equal(pf.len, len);
		assert_memory_equal(pf.buf, raw, len);
		assert_int_equal(pf.pol->nentries, files[i].n);
		n = lay_walk(raw, len, offs, 400);
		assert_int_equal(n, files[i].n);
		for (k = 0; k < n; k++)
			assert_int_equal(pf.pol->entries[k].off, offs[k]);
		policy_file_free(&pf);
		free(path);
		free(raw);
	}
}

/* A file named on the command line must exist and be a file. */
static void
test_read_host_errors(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	char			*path, *cause = NULL;

	path = xprintf("%s/none.pol", pt->dir);
	assert_int_equal(policy_read_host(path, &pf, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	assert_int_equal(policy_read_host(pt->dir, &pf, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
	free(path);
}

/*
 * The fixture's damage: the file cut in the middle of its last entry at
 * an even byte. Repair keeps the entries before it, and the new file is
 * the old one's first bytes up to that entry, byte for byte; the same for
 * a cut inside every other entry of the file.
 */
static void
test_repair_cuts(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	struct policy_repair	 pr;
	struct pol		*again;
	uint8_t			*raw;
	size_t			 len, offs[BASE_ENTRIES + 1], n, k, cut, end;
	char			*path, *cause = NULL, *want;

	raw = td_read(BASE_POL, &len);
	n = lay_walk(raw, len, offs, BASE_ENTRIES);
	assert_int_equal(n, BASE_ENTRIES);
	offs[n] = len;
	for (k = 0; k < n; k++) {
		end = offs[k + 1];
		/* As mkfixture cuts: half-way into the entry, even. */
		cut = offs[k] + ((end - offs[k]) / 2 & ~(size_t)1);
		path = tmp_put(pt, "cut.pol", raw, cut);
		if (policy_read_host(path, &pf, &cause) != 0)
			fail_msg("%s", cause);
		assert_true(pf.damaged);
		assert_int_equal(pf.err.entry, k);
		assert_int_equal(pf.err.entry_off, offs[k]);
		assert_int_equal(pf.pol->nentries, k);
		if (policy_repair_plan(&pf, &pr, &cause) != 0)
			fail_msg("entry %zu: %s", k, cause);
		assert_int_equal(pr.kept, k);
		assert_int_equal(pr.nchanges, 2);
		assert_int_equal(pr.drop_off, offs[k]);
		assert_int_equal(pr.drop_len, cut - offs[k]);
		/* The first entry: only the header is left. */
		assert_int_equal(pr.len, offs[k]);
		assert_memory_equal(pr.buf, raw, offs[k]);
		again = must_parse(pr.buf, pr.len);
		assert_int_equal(again->nentries, k);
		pol_free(again);
		want = xprintf("dropped %zu bytes from offset %zu: entry %zu ",
		    cut - offs[k], offs[k], k);
		if (strncmp(pr.changes[1], want, strlen(want)) != 0)
			fail_msg("got \"%s\", want it to start \"%s\"",
			    pr.changes[1], want);
		free(want);
		policy_repair_free(&pr);
		policy_file_free(&pf);
		free(path);
	}
	free(raw);
}

/* What the dropped entry was is named when its key and name survive. */
static void
test_repair_names_lost_entry(void **state)
{
	struct pt		*pt = *state;
	struct bld		 bl = { NULL, 0 };
	struct policy_file	 pf;
	struct policy_repair	 pr;
	char			*path, *cause = NULL;
	size_t			 first;

	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 0);
	first = bl.len;
	put_dword(&bl, AU, "AUOptions", 4);
	/* Cut inside the data: key and name are whole. */
	path = tmp_put(pt, "x.pol", bl.b, bl.len - 4);
	if (policy_read_host(path, &pf, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(pf.damaged);
	assert_int_equal(policy_repair_plan(&pf, &pr, &cause), 0);
	assert_int_equal(pr.kept, 1);
	assert_int_equal(pr.len, first);
	assert_non_null(strstr(pr.changes[1], AU ";AUOptions: size runs past "
	    "the end of the file"));
	policy_repair_free(&pr);
	policy_file_free(&pf);
	free(path);
	free(bl.b);
}

/* A broken header leaves an empty (header-only) file; trailing garbage
 * after complete entries keeps every entry. */
static void
test_repair_header_and_trailing(void **state)
{
	static const uint8_t	 header[8] = { 'P', 'R', 'e', 'g', 1, 0, 0, 0 };
	struct pt		*pt = *state;
	struct policy_file	 pf;
	struct policy_repair	 pr;
	uint8_t			*raw, *bad;
	size_t			 len;
	char			*path, *cause = NULL;

	raw = td_read(BASE_POL, &len);
	bad = xmalloc(len + 3);
	memcpy(bad, raw, len);
	bad[1] = 'X';			/* "PXeg" */
	path = tmp_put(pt, "sig.pol", bad, len);
	if (policy_read_host(path, &pf, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(pf.damaged);
	assert_int_equal(pf.err.damage, POL_DAMAGE_SIGNATURE);
	assert_int_equal(policy_repair_plan(&pf, &pr, &cause), 0);
	assert_int_equal(pr.kept, 0);
	assert_int_equal(pr.drop_off, 0);
	assert_int_equal(pr.drop_len, len);
	assert_int_equal(pr.len, 8);
	assert_memory_equal(pr.buf, header, 8);
	assert_non_null(strstr(pr.changes[0], "empty policy file"));
	policy_repair_free(&pr);
	policy_file_free(&pf);
	free(path);

	/* NUL padding after the last entry, as a cluster-sized copy. */
	memcpy(bad, raw, len);
	memset(bad + len, 0, 3);
	path = tmp_put(pt, "pad.pol", bad, len + 3);
	if (policy_read_host(path, &pf, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(pf.damaged);
	assert_int_equal(policy_repair_plan(&pf, &pr, &cause), 0);
	assert_int_equal(pr.kept, BASE_ENTRIES);
	assert_int_equal(pr.len, len);
	assert_memory_equal(pr.buf, raw, len);
	assert_non_null(strstr(pr.changes[1], "3 bytes of trailing garbage "
	    "from offset"));
	policy_repair_free(&pr);
	policy_file_free(&pf);
	free(path);
	free(bad);
	free(raw);
}

/* An intact file has nothing to repair. */
static void
test_repair_intact(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	struct policy_repair	 pr;
	uint8_t			*raw;
	size_t			 len;
	char			*path, *cause = NULL;

	raw = td_read(BASE_POL, &len);
	path = tmp_put(pt, "ok.pol", raw, len);
	assert_int_equal(policy_read_host(path, &pf, &cause), 0);
	assert_int_equal(policy_repair_plan(&pf, &pr, &cause), 0);
	assert_int_equal(pr.nchanges, 0);
	assert_null(pr.buf);
	policy_repair_free(&pr);
	policy_file_free(&pf);
	free(path);
	free(raw);
}

/* Changing a file on this machine keeps FILE.bak (then .bak.1: an earlier
 * backup is never overwritten) with the bytes read. */
static void
test_commit_host(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	uint8_t			*raw, *got;
	size_t			 len, glen;
	char			*path, *bak, *cause = NULL, *change, *want;
	void			*buf;
	size_t			 blen;
	uint8_t			 one[4] = { 1, 0, 0, 0 };

	raw = td_read(BASE_POL, &len);
	path = tmp_put(pt, "registry.pol", raw, len);
	assert_int_equal(policy_read_host(path, &pf, &cause), 0);
	assert_int_equal(policy_set(pf.pol, AU, "NoAutoUpdate", 4, one, 4,
	    &change, &cause), 0);
	free(change);
	buf = pol_write(pf.pol, &blen);
	if (policy_commit_host(&pf, buf, blen, &bak, &cause) != 0)
		fail_msg("%s", cause);
	want = xprintf("%s.bak", path);
	assert_string_equal(bak, want);
	free(want);
	got = host_read(bak, &glen);
	assert_non_null(got);
	assert_int_equal(glen, len);
	assert_memory_equal(got, raw, len);
	free(got);
	got = host_read(path, &glen);
	assert_int_equal(glen, blen);
	assert_memory_equal(got, buf, blen);
	free(got);
	free(bak);
	policy_file_free(&pf);

	/* Again: the first backup stays, the second goes to .bak.1. */
	assert_int_equal(policy_read_host(path, &pf, &cause), 0);
	assert_int_equal(policy_commit_host(&pf, raw, len, &bak, &cause), 0);
	want = xprintf("%s.bak.1", path);
	assert_string_equal(bak, want);
	free(want);
	got = host_read(bak, &glen);
	assert_int_equal(glen, blen);
	assert_memory_equal(got, buf, blen);
	free(got);
	free(bak);
	bak = xprintf("%s.bak", path);
	got = host_read(bak, &glen);
	assert_int_equal(glen, len);
	assert_memory_equal(got, raw, len);
	free(got);
	free(bak);
	got = host_read(path, &glen);
	assert_int_equal(glen, len);
	assert_memory_equal(got, raw, len);
	free(got);
	/* No temp file left beside it. */
	bak = xprintf("%s.ntmend-new", path);
	assert_int_equal(access(bak, F_OK), -1);
	free(bak);
	policy_file_free(&pf);
	free(buf);
	free(path);
	free(raw);
}

/* set: new, changed (in place), unchanged; del: present, absent. */
static void
test_set_delete(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	uint8_t			*raw, *w;
	uint8_t			 zero[4] = { 0 }, one[4] = { 1, 0, 0, 0 };
	size_t			 len, wlen;
	ssize_t			 at;
	char			*path, *cause = NULL, *change;

	raw = td_read(BASE_POL, &len);
	path = tmp_put(pt, "registry.pol", raw, len);
	assert_int_equal(policy_read_host(path, &pf, &cause), 0);

	assert_int_equal(policy_set(pf.pol, AU, "NoAutoUpdate", 4, one, 4,
	    &change, &cause), 0);
	assert_string_equal(change, "set " AU ";NoAutoUpdate = REG_DWORD 1 "
	    "(new entry)");
	free(change);
	assert_int_equal(pf.pol->nentries, BASE_ENTRIES + 1);
	assert_int_equal(policy_set(pf.pol, AU, "noautoupdate", 4, zero, 4,
	    &change, &cause), 0);
	assert_string_equal(change, "set " AU ";noautoupdate = REG_DWORD 0, "
	    "was REG_DWORD 1");
	free(change);
	assert_int_equal(pf.pol->nentries, BASE_ENTRIES + 1);
	assert_int_equal(policy_set(pf.pol, AU, "NoAutoUpdate", 4, zero, 4,
	    &change, &cause), 0);
	assert_null(change);

	/* The written file is the original plus exactly that entry. */
	w = pol_write(pf.pol, &wlen);
	assert_true(wlen > len);
	assert_memory_equal(w, raw, len);
	free(w);

	assert_int_equal(policy_delete(pf.pol, AU, "NoAutoUpdate", &change,
	    &cause), 0);
	assert_string_equal(change, "deleted " AU ";NoAutoUpdate (sets "
	    "NoAutoUpdate = 0 (REG_DWORD))");
	free(change);
	w = pol_write(pf.pol, &wlen);
	assert_int_equal(wlen, len);
	assert_memory_equal(w, raw, len);
	free(w);
	assert_int_equal(policy_delete(pf.pol, AU, "NoAutoUpdate", &change,
	    &cause), -1);
	assert_null(change);
	assert_non_null(strstr(cause, "no entry " AU ";NoAutoUpdate"));
	free(cause);
	cause = NULL;

	/* The default value, and a **del. entry set like any name. */
	assert_int_equal(policy_set(pf.pol, "Software\\Policies\\T", "", 1,
	    " \0\0", 4, &change, &cause), 0);
	assert_non_null(strstr(change, "T;(default) = REG_SZ"));
	free(change);
	at = pol_find(pf.pol, "Software\\Policies\\T", "");
	assert_int_equal(at, BASE_ENTRIES);
	policy_file_free(&pf);
	free(path);
	free(raw);
}

static void
test_key_normalize(void **state)
{
	char	*k, *cause = NULL;

	(void)state;
	k = policy_key_normalize("HKLM\\Software\\Policies\\X",
	    POLICY_MACHINE, &cause);
	assert_string_equal(k, "Software\\Policies\\X");
	free(k);
	k = policy_key_normalize("hkey_local_machine\\Software\\X", -1,
	    &cause);
	assert_string_equal(k, "Software\\X");
	free(k);
	k = policy_key_normalize("HKCU\\Software\\X", POLICY_USER, &cause);
	assert_string_equal(k, "Software\\X");
	free(k);
	k = policy_key_normalize("Software\\X", POLICY_USER, &cause);
	assert_string_equal(k, "Software\\X");
	free(k);
	assert_null(policy_key_normalize("HKCU\\Software\\X", POLICY_MACHINE,
	    &cause));
	assert_non_null(strstr(cause, "add --user"));
	free(cause);
	cause = NULL;
	assert_null(policy_key_normalize("HKLM\\", -1, &cause));
	assert_non_null(strstr(cause, "empty key"));
	free(cause);
}

/* Entries in effect after the whole file applies, special names too. */
static void
test_effective(void **state)
{
	struct bld	 bl;
	struct pol	*pol;

	(void)state;
	/* Later set wins. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_dword(&bl, AU, "NoAutoUpdate", 0);
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "noautoupdate"), 1);
	pol_free(pol);
	free(bl.b);

	/* **del.NAME, in any case of the prefix. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, AU, "**Del.NoAutoUpdate", " ");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), -1);
	pol_free(pol);
	free(bl.b);

	/* **delvals. of the key; a set after it counts again. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, AU, "**delvals.", " ");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), -1);
	pol_free(pol);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 2);
	pol_free(pol);
	free(bl.b);

	/* **delvals. of another key changes nothing. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, WU, "**delvals.", " ");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 0);
	pol_free(pol);
	free(bl.b);

	/* **DeleteValues names it in its list. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, AU, "**DeleteValues", "AUOptions; NoAutoUpdate;");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), -1);
	pol_free(pol);
	free(bl.b);
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, AU, "**DeleteValues", "NoAutoUpdateX;AUOptions");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 0);
	pol_free(pol);
	free(bl.b);

	/* **DeleteKeys at the parent naming AU; not its own key's values,
	 * not a sibling whose name only starts the same. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_dword(&bl, WU, "DisableWindowsUpdateAccess", 1);
	put_sz(&bl, WU, "**DeleteKeys", "AU");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), -1);
	assert_int_equal(policy_effective(pol, WU,
	    "DisableWindowsUpdateAccess"), 1);
	pol_free(pol);
	free(bl.b);
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, WU, "**DeleteKeys", "A");
	put_sz(&bl, "Software\\Policies\\Microsoft\\Windows", "**DeleteKeys",
	    "WindowsUpdat");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 0);
	pol_free(pol);
	put_sz(&bl, "Software\\Policies\\Microsoft\\Windows", "**DeleteKeys",
	    "Foo;WindowsUpdate");
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), -1);
	pol_free(pol);
	free(bl.b);

	/* **soft.NAME sets only what is not set. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "**soft.NoAutoUpdate", 1);
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 0);
	pol_free(pol);
	free(bl.b);
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 0);
	put_dword(&bl, AU, "**soft.NoAutoUpdate", 1);
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_effective(pol, AU, "NoAutoUpdate"), 0);
	pol_free(pol);
	free(bl.b);
}

/* The blocks found in a pol, as "id,id,..." in order; caller frees. */
static char *
block_ids(const struct pol *pol)
{
	struct policy_wu_block	*b;
	size_t			 n, i;
	char			*s = xstrdup(""), *t;

	policy_wu_blocks(pol, &b, &n);
	for (i = 0; i < n; i++) {
		t = xprintf("%s%s%s", s, i == 0 ? "" : ",", b[i].id);
		free(s);
		s = t;
	}
	policy_wu_blocks_free(b, n);
	return s;
}

/* The fixture's grouppolicy-blocks-updates entries in front of the GPO. */
static void
blocking_prefix(struct bld *bl)
{
	bld_header(bl);
	put_dword(bl, WU, "DisableWindowsUpdateAccess", 1);
	put_sz(bl, WU, "WUServer", "http://wsus01.contoso.local:8530");
	put_sz(bl, WU, "WUStatusServer", "http://wsus01.contoso.local:8530");
	put_dword(bl, AU, "NoAutoUpdate", 1);
	put_dword(bl, AU, "UseWUServer", 1);
}

static void
test_wu_blocks(void **state)
{
	struct policy_wu_block	*b;
	struct bld		 bl = { NULL, 0 };
	struct pol		*pol;
	uint8_t			*raw;
	size_t			 len, n, offs[5], i;
	char			*ids, *want;

	(void)state;
	blocking_prefix(&bl);
	lay_walk(bl.b, bl.len, offs, 5);
	raw = td_read(BASE_POL, &len);
	bld_raw(&bl, raw + 8, len - 8);
	pol = must_parse(bl.b, bl.len);
	assert_int_equal(policy_wu_blocks(pol, &b, &n), 1);
	assert_int_equal(n, 3);
	assert_string_equal(b[0].id, "wu-access-removed");
	want = xprintf(WU ";DisableWindowsUpdateAccess = REG_DWORD 1 (entry 0 "
	    "at offset %zu)", offs[0]);
	assert_string_equal(b[0].evidence, want);
	free(want);
	assert_int_equal(b[0].nentries, 1);
	assert_int_equal(b[0].entries[0], 0);
	assert_string_equal(b[1].id, "auto-update-disabled");
	assert_int_equal(b[1].entries[0], 3);
	assert_string_equal(b[2].id, "intranet-server");
	/* UseWUServer, WUServer, then WUStatusServer. */
	assert_int_equal(b[2].nentries, 3);
	assert_int_equal(b[2].entries[0], 4);
	assert_int_equal(b[2].entries[1], 1);
	assert_int_equal(b[2].entries[2], 2);
	want = xprintf(AU ";UseWUServer = REG_DWORD 1 (entry 4 at offset %zu) "
	    "with " WU ";WUServer = REG_SZ http://wsus01.contoso.local:8530 "
	    "(entry 1 at offset %zu): updates come only from "
	    "http://wsus01.contoso.local:8530", offs[4], offs[1]);
	assert_string_equal(b[2].evidence, want);
	free(want);
	for (i = 0; i < n; i++)
		assert_non_null(b[i].what);
	policy_wu_blocks_free(b, n);
	pol_free(pol);
	free(bl.b);

	/* The GPO itself, and a real baseline full of Windows Update
	 * deferral policies, stop nothing. */
	pol = must_parse(raw, len);
	assert_int_equal(policy_wu_blocks(pol, &b, &n), 0);
	assert_int_equal(n, 0);
	assert_null(b);
	pol_free(pol);
	free(raw);
	raw = td_read("simeon_sos_Telemetry_and_Security_Machine.pol", &len);
	pol = must_parse(raw, len);
	assert_true(policy_effective(pol, WU, "DeferFeatureUpdates") != -1);
	ids = block_ids(pol);
	assert_string_equal(ids, "");
	free(ids);
	pol_free(pol);
	free(raw);
}

/* One policy at a time: which values block and which do not. */
static void
test_wu_rules(void **state)
{
	static const struct {
		const char	*key, *name;
		uint32_t	 v;
		const char	*want;
	} dw[] = {
		{ WU, "DisableWindowsUpdateAccess", 1, "wu-access-removed" },
		{ WU, "DisableWindowsUpdateAccess", 0, "" },
		{ WU, "SetDisableUXWUAccess", 1, "wu-ux-removed" },
		{ WU, "SetDisableUXWUAccess", 0, "" },
		{ AU, "NoAutoUpdate", 1, "auto-update-disabled" },
		{ AU, "NoAutoUpdate", 0, "" },
		{ AU, "AUOptions", 1, "auto-update-option-disabled" },
		{ AU, "AUOptions", 2, "" },
		{ AU, "AUOptions", 4, "" },
		{ WU, "ExcludeWUDriversInQualityUpdate", 1, "" },
		{ WU, "DoNotConnectToWindowsUpdateInternetLocations", 1, "" },
		{ AU, "UseWUServer", 1, "" },	/* no WUServer here */
		{ WU, "NoAutoUpdate", 1, "" },	/* wrong key */
		{ "SOFTWARE\\POLICIES\\MICROSOFT\\WINDOWS\\WINDOWSUPDATE\\AU",
		    "noautoupdate", 1, "auto-update-disabled" },
	};
	struct bld	 bl;
	struct pol	*pol;
	size_t		 i;
	char		*ids;

	(void)state;
	for (i = 0; i < sizeof dw / sizeof dw[0]; i++) {
		memset(&bl, 0, sizeof bl);
		bld_header(&bl);
		put_dword(&bl, dw[i].key, dw[i].name, dw[i].v);
		pol = must_parse(bl.b, bl.len);
		ids = block_ids(pol);
		if (strcmp(ids, dw[i].want) != 0)
			fail_msg("%s;%s = %u: got \"%s\", want \"%s\"",
			    dw[i].key, dw[i].name, dw[i].v, ids, dw[i].want);
		free(ids);
		pol_free(pol);
		free(bl.b);
	}

	/* A string "1" is not what the client reads: not judged. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_sz(&bl, AU, "NoAutoUpdate", "1");
	pol = must_parse(bl.b, bl.len);
	ids = block_ids(pol);
	assert_string_equal(ids, "");
	free(ids);
	pol_free(pol);
	free(bl.b);

	/* UseWUServer with an empty WUServer: no server, not judged. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "UseWUServer", 1);
	put_sz(&bl, WU, "WUServer", "");
	pol = must_parse(bl.b, bl.len);
	ids = block_ids(pol);
	assert_string_equal(ids, "");
	free(ids);
	pol_free(pol);
	free(bl.b);

	/* Deleted later in the file: not in effect, not reported. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_sz(&bl, AU, "**del.NoAutoUpdate", " ");
	pol = must_parse(bl.b, bl.len);
	ids = block_ids(pol);
	assert_string_equal(ids, "");
	free(ids);
	pol_free(pol);
	free(bl.b);

	/* With a server, DoNotConnect... goes with the redirect. */
	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, WU, "DoNotConnectToWindowsUpdateInternetLocations", 1);
	put_sz(&bl, WU, "WUServer", "http://wsus");
	put_dword(&bl, AU, "UseWUServer", 1);
	pol = must_parse(bl.b, bl.len);
	ids = block_ids(pol);
	assert_string_equal(ids, "intranet-server");
	free(ids);
	{
		struct policy_wu_block	*b;
		size_t			 n;

		policy_wu_blocks(pol, &b, &n);
		assert_int_equal(b[0].nentries, 3);
		assert_int_equal(b[0].entries[2], 0);
		policy_wu_blocks_free(b, n);
	}
	pol_free(pol);
	free(bl.b);
}

/*
 * Unblocking the fixture's file removes exactly the entries put in front
 * of the GPO: what is written is the real GPO's file byte for byte. The
 * earlier, overridden and **soft. entries of the same names go too.
 */
static void
test_wu_unblock(void **state)
{
	struct bld	 bl = { NULL, 0 };
	struct pol	*pol;
	uint8_t		*raw, *w;
	size_t		 len, wlen, n, i, removed;
	char		**changes, *ids;

	(void)state;
	raw = td_read(BASE_POL, &len);
	blocking_prefix(&bl);
	bld_raw(&bl, raw + 8, len - 8);
	pol = must_parse(bl.b, bl.len);
	removed = policy_wu_unblock(pol, &changes, &n);
	assert_int_equal(removed, 5);
	assert_int_equal(n, 5);
	assert_string_equal(changes[0], "deleted " WU ";DisableWindowsUpdate"
	    "Access (sets DisableWindowsUpdateAccess = 1 (REG_DWORD)): "
	    "wu-access-removed");
	assert_non_null(strstr(changes[4], "WUStatusServer"));
	for (i = 0; i < n; i++)
		free(changes[i]);
	free(changes);
	w = pol_write(pol, &wlen);
	assert_int_equal(wlen, len);
	assert_memory_equal(w, raw, len);
	free(w);
	ids = block_ids(pol);
	assert_string_equal(ids, "");
	free(ids);
	/* Nothing left to do: no change. */
	assert_int_equal(policy_wu_unblock(pol, &changes, &n), 0);
	assert_int_equal(n, 0);
	free(changes);
	pol_free(pol);
	free(bl.b);

	memset(&bl, 0, sizeof bl);
	bld_header(&bl);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	put_dword(&bl, AU, "AUOptions", 3);
	put_dword(&bl, AU, "**soft.NoAutoUpdate", 1);
	put_dword(&bl, AU, "NoAutoUpdate", 1);
	pol = must_parse(bl.b, bl.len);
	removed = policy_wu_unblock(pol, &changes, &n);
	assert_int_equal(removed, 3);
	assert_int_equal(n, 1);
	free(changes[0]);
	free(changes);
	assert_int_equal(pol->nentries, 1);
	assert_string_equal(pol->entries[0].name, "AUOptions");
	pol_free(pol);
	free(bl.b);
	free(raw);
}

/* A directory as the volume (the mounted-directory backend). */
static struct vol *
dir_vol(struct pt *pt)
{
	struct vol_where	 w;
	struct vol		*vol;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = pt->dir;
	w.is_dir = 1;
	if (vol_open(&w, VOL_RDWR, &vol, NULL, &cause) != 0)
		fail_msg("vol_open %s: %s", pt->dir, cause);
	return vol;
}

static void
host_mkdirs(const char *root, const char *rel)
{
	char	*path, *p;

	path = xprintf("%s/%s", root, rel);
	for (p = path + strlen(root) + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = c;
		if (c == '\0')
			break;
	}
	free(path);
}

/*
 * On a volume: a missing file is "no policy"; repair goes through the
 * journal and undo gives back the damaged bytes exactly; set on a missing
 * file creates it (and its folder), and undo removes both.
 */
static void
test_volume_journal(void **state)
{
	struct pt		*pt = *state;
	struct policy_file	 pf;
	struct policy_repair	 pr;
	struct journal		*j;
	struct vol		*vol;
	uint8_t			*raw, *got, one[4] = { 1, 0, 0, 0 };
	size_t			 len, glen, cut;
	char			*cause = NULL, *path, *id, *change;
	void			*buf;

	host_mkdirs(pt->dir, "Windows/System32/GroupPolicy/Machine");
	vol = dir_vol(pt);
	if (policy_read(vol, POLICY_MACHINE_PATH, &pf, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(pf.missing);
	assert_false(pf.damaged);
	assert_int_equal(pf.pol->nentries, 0);
	policy_file_free(&pf);

	raw = td_read(BASE_POL, &len);
	cut = len - 41;
	path = xprintf("%s/Windows/System32/GroupPolicy/Machine/registry.pol",
	    pt->dir);
	assert_int_equal(file_write_all(path, raw, cut, NULL), 0);
	if (policy_read(vol, "windows/system32/grouppolicy/machine/"
	    "REGISTRY.POL", &pf, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(pf.damaged);
	assert_int_equal(policy_repair_plan(&pf, &pr, &cause), 0);
	if (journal_begin(vol, "pol repair", &j, &cause) != 0 ||
	    policy_commit(j, &pf, pr.buf, pr.len, &cause) != 0 ||
	    journal_commit(j, &cause) != 0)
		fail_msg("%s", cause);
	journal_free(j);
	got = host_read(path, &glen);
	assert_int_equal(glen, pr.len);
	assert_memory_equal(got, pr.buf, pr.len);
	free(got);
	policy_repair_free(&pr);
	policy_file_free(&pf);
	if (journal_undo(vol, NULL, &id, &cause) != 0)
		fail_msg("undo: %s", cause);
	free(id);
	got = host_read(path, &glen);
	assert_int_equal(glen, cut);
	assert_memory_equal(got, raw, cut);
	free(got);
	free(path);

	/* User policy: no file, no folder; set creates both. */
	path = xprintf("%s/Windows/System32/GroupPolicy/User", pt->dir);
	assert_int_equal(policy_read(vol, POLICY_USER_PATH, &pf, &cause), 0);
	assert_true(pf.missing);
	assert_int_equal(policy_set(pf.pol, "Software\\Policies\\X", "Y", 4,
	    one, 4, &change, &cause), 0);
	free(change);
	buf = pol_write(pf.pol, &glen);
	if (journal_begin(vol, "pol set", &j, &cause) != 0 ||
	    policy_commit(j, &pf, buf, glen, &cause) != 0 ||
	    journal_commit(j, &cause) != 0)
		fail_msg("%s", cause);
	journal_free(j);
	policy_file_free(&pf);
	assert_int_equal(policy_read(vol, POLICY_USER_PATH, &pf, &cause), 0);
	assert_false(pf.missing);
	assert_int_equal(pf.len, glen);
	assert_memory_equal(pf.buf, buf, glen);
	policy_file_free(&pf);
	if (journal_undo(vol, NULL, &id, &cause) != 0)
		fail_msg("undo: %s", cause);
	free(id);
	assert_int_equal(access(path, F_OK), -1);
	free(path);
	free(buf);
	vol_close(vol);
	free(raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_read_real, pt_setup,
		    pt_teardown),
		cmocka_unit_test_setup_teardown(test_read_host_errors,
		    pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_repair_cuts, pt_setup,
		    pt_teardown),
		cmocka_unit_test_setup_teardown(test_repair_names_lost_entry,
		    pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_repair_header_and_trailing, pt_setup, pt_teardown),
		cmocka_unit_test_setup_teardown(test_repair_intact, pt_setup,
		    pt_teardown),
		cmocka_unit_test_setup_teardown(test_commit_host, pt_setup,
		    pt_teardown),
		cmocka_unit_test_setup_teardown(test_set_delete, pt_setup,
		    pt_teardown),
		cmocka_unit_test(test_key_normalize),
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_wu_blocks),
		cmocka_unit_test(test_wu_rules),
		cmocka_unit_test(test_wu_unblock),
		cmocka_unit_test_setup_teardown(test_volume_journal, pt_setup,
		    pt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
