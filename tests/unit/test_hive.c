/*
 * test_hive.c: reading real hives through hive_open_file: dirty states and
 * their warnings, refusals, keys, CurrentControlSet, values (compared with
 * hivexget's independent read), value text and registry paths.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hivex.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

/* hivexget's reading of a value, trailing newlines cut. */
static char *
hivexget(const char *file, const char *key, const char *name)
{
	char	*out;
	size_t	 n;

	out = tl_sh("hivexget '%s' '%s' '%s'", file, key, name);
	n = strlen(out);
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	return out;
}

/* Flip bits of one byte of a file in place. */
static void
fx_poke(const char *file, off_t off, uint8_t xor)
{
	uint8_t	b;
	int	fd;

	assert_true((fd = open(file, O_RDWR)) != -1);
	assert_int_equal(pread(fd, &b, 1, off), 1);
	b ^= xor;
	assert_int_equal(pwrite(fd, &b, 1, off), 1);
	close(fd);
}

/* Rewrite a hive's sequence numbers and fix its checksum. */
static void
fx_set_seq(const char *file, uint32_t seq1, uint32_t seq2)
{
	uint8_t	b[HIVE_BASE_BLOCK_SIZE];
	int	fd;

	assert_true((fd = open(file, O_RDWR)) != -1);
	assert_int_equal(pread(fd, b, sizeof b, 0), sizeof b);
	le32enc(b + 4, seq1);
	le32enc(b + 8, seq2);
	le32enc(b + 508, hive_header_checksum(b));
	assert_int_equal(pwrite(fd, b, sizeof b, 0), sizeof b);
	close(fd);
}

static void
assert_string_value(struct hive *h, const char *key, const char *name,
    const char *want)
{
	char	*s = NULL, *cause = NULL;

	if (hive_value_string(h, key, name, &s, &cause) != 0)
		fail_msg("%s\\%s: %s", key, name, cause);
	assert_string_equal(s, want);
	free(s);
}

/* regipy SYSTEM, Windows 7 x86, clean. */
static void
test_system(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path, *before, *after, *copy, *s, *cause = NULL;
	int		 n;

	path = tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM");
	before = tl_sha256(path);
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_CLEAN);
	assert_null(hive_warning(h));
	assert_string_equal(hive_name(h), "SYSTEM");
	assert_int_equal(hive_header(h)->seq_primary, 0x369f);
	/* hivex reads a private copy, not the file given. */
	assert_string_not_equal(hive_file_path(h), path);
	copy = tl_sha256(hive_file_path(h));
	assert_string_equal(copy, before);
	free(copy);

	assert_int_equal(hive_current_control_set(h, &n, &cause), 0);
	assert_int_equal(n, 1);
	assert_string_value(h,
	    "ControlSet001\\Control\\ComputerName\\ComputerName",
	    "ComputerName", "WKS-WIN732BITA");
	assert_string_value(h,
	    "CurrentControlSet\\Control\\Session Manager\\Environment",
	    "PROCESSOR_ARCHITECTURE", "x86");

	s = hivexget(path, "\\ControlSet001\\Control\\ComputerName"
	    "\\ComputerName", "ComputerName");
	assert_string_equal(s, "WKS-WIN732BITA");
	free(s);

	hive_close(h);
	after = tl_sha256(path);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(path);
}

/* Values of several types, read by us and by hivexget. */
static void
test_values_vs_hivexget(void **state)
{
	static const struct {
		const char	*key, *name;
	} t[] = {
		{ "ControlSet001\\Control\\Session Manager\\Environment",
		  "PROCESSOR_ARCHITECTURE" },
		{ "ControlSet001\\Control\\Session Manager\\Environment",
		  "Path" },				/* EXPAND_SZ */
		{ "ControlSet001\\Control\\Session Manager",
		  "CriticalSectionTimeout" },		/* DWORD */
		{ "ControlSet001\\Control\\Session Manager",
		  "BootExecute" },			/* MULTI_SZ */
		{ "ControlSet001\\Control\\Session Manager",
		  "ObjectDirectories" },		/* MULTI_SZ, 2 */
		{ "ControlSet001\\Control", "WaitToKillServiceTimeout" },
		{ "Select", "LastKnownGood" },
	};
	struct tl_dir		*fx = *state;
	struct hive		*h;
	struct hive_value	 val;
	char			*path, *mine, *theirs, *k, *cause = NULL;
	size_t			 i;

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	h = tl_hive_open(path);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		if (hive_value_get(h, t[i].key, t[i].name, &val, &cause) != 0)
			fail_msg("%s", cause);
		mine = hive_value_format(&val);
		xasprintf(&k, "\\%s", t[i].key);
		theirs = hivexget(path, k, t[i].name);
		assert_string_equal(mine, theirs);
		free(k);
		free(mine);
		free(theirs);
		hive_value_free(&val);
	}
	hive_close(h);
	free(path);
}

/* regipy SYSTEM_2: dirty, no logs anywhere. */
static void
test_dirty_no_logs(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	const char	*w;
	char		*path;

	path = tl_hive(fx->dir, "regipy_SYSTEM_2", "SYSTEM");
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_NO_LOGS);
	assert_non_null(w = hive_warning(h));
	assert_non_null(strstr(w, "SYSTEM is dirty"));
	assert_non_null(strstr(w, "205/204"));
	assert_non_null(strstr(w, "may be lost"));
	assert_null(strchr(w, '\n'));
	/* What the file holds is still read. */
	assert_string_value(h,
	    "CurrentControlSet\\Control\\ComputerName\\ComputerName",
	    "ComputerName", "SENSEI");
	hive_close(h);
	free(path);
}

/* regipy SYSTEM_B (Windows 10 1709, 1622/1621) with SYSTEM.LOG1/LOG2. */
static void
test_dirty_logs(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	const char	*w;
	char		*path, *l1, *l2;

	path = tl_hive(fx->dir, "regipy_SYSTEM_B", "SYSTEM");
	l1 = tl_hive(fx->dir, "regipy_SYSTEM_B.LOG1", "SYSTEM.LOG1");
	l2 = tl_hive(fx->dir, "regipy_SYSTEM_B.LOG2", "SYSTEM.LOG2");
	h = tl_hive_open(path);
	/* Good logs are replayed into the copy: reads see what Windows
	 * would (Epoch is 0x1af before replay, 0x1b3 after). */
	assert_int_equal(hive_log_state(h), HIVE_REPLAYED);
	assert_non_null(w = hive_warning(h));
	assert_non_null(strstr(w, "SYSTEM is dirty on the volume (sequence "
	    "numbers 1622/1621)"));
	assert_non_null(strstr(w, "24 log records"));
	assert_non_null(strstr(w, "the volume is unchanged"));
	assert_null(strchr(w, '\n'));
	assert_string_value(h,
	    "CurrentControlSet\\Control\\ComputerName\\ComputerName",
	    "ComputerName", "DESKTOP-PM6C56D");
	{
		uint32_t v;

		assert_int_equal(hive_value_dword(h, "CurrentControlSet\\"
		    "Services\\SharedAccess\\Epoch", "Epoch", &v, NULL), 0);
		assert_int_equal(v, 0x1b3);
	}
	hive_close(h);

	/* Only LOG2 holds valid records once LOG1's first entry is
	 * damaged (byte in its page data, caught by Hash-1). */
	fx_poke(l1, 2000, 0xff);
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_LOGS);
	w = hive_warning(h);
	assert_non_null(strstr(w, "changes in SYSTEM.LOG2 (20 log records)"));
	assert_non_null(strstr(w, "; SYSTEM.LOG1 has a damaged first "
	    "record"));
	/* Replaying LOG2 alone would skip LOG1's records: refused, so the
	 * copy stays as the volume has it and the warning says why. */
	assert_non_null(strstr(w, "replay refused"));
	hive_close(h);

	/* Without the logs: nothing holds the changes. */
	unlink(l1);
	unlink(l2);
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_NO_LOGS);
	hive_close(h);

	/* The hive's own logs, but the hive is past their records. */
	free(tl_hive(fx->dir, "regipy_SYSTEM_B.LOG1", "SYSTEM.LOG1"));
	fx_set_seq(path, 3000, 2999);
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_NO_LOGS);
	w = hive_warning(h);
	assert_non_null(strstr(w, "3000/2999"));
	assert_non_null(strstr(w, "SYSTEM.LOG1 holds no records newer than "
	    "the hive"));
	hive_close(h);
	free(l1);
	free(l2);
	free(path);
}

/* A log beside a hive that is not its own: DFIR's Win11 COMPONENTS.LOG2
 * (records 262-263) beside regipy's SYSTEM_2 (at 204) would pass on
 * sequence numbers alone. */
static void
test_foreign_log(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	const char	*w;
	char		*path, *log;

	path = tl_hive(fx->dir, "regipy_SYSTEM_2", "SYSTEM");
	free(tl_hive(fx->dir, "dfir_Win11_COMPONENTS.LOG2", "SYSTEM.LOG2"));
	/* An empty .LOG (Windows 8.1+ keeps one) is no log at all. */
	log = tl_path(fx->dir, "SYSTEM.LOG");
	assert_int_equal(file_write_all(log, "", 0, NULL), 0);
	free(log);
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_NO_LOGS);
	w = hive_warning(h);
	assert_non_null(strstr(w, "(SYSTEM.LOG2 belongs to another hive (its "
	    "header names \"dows\\System32\\config\\COMPONENTS\"))"));
	assert_null(strstr(w, "SYSTEM.LOG "));
	hive_close(h);
	free(path);
}

/* Host copies made by tools that lowercase names (system.log1). */
static void
test_lowercase_logs(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path;

	path = tl_hive(fx->dir, "regipy_SYSTEM_B", "SYSTEM");
	free(tl_hive(fx->dir, "regipy_SYSTEM_B.LOG1", "SYSTEM.log1"));
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_LOGS);
	assert_non_null(strstr(hive_warning(h), "changes in SYSTEM.LOG1 "));
	hive_close(h);
	free(path);
}

/* A clean hive ignores its logs, as Windows does. */
static void
test_clean_with_logs(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path;

	path = tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM");
	free(tl_hive(fx->dir, "regipy_SYSTEM_B.LOG1", "SYSTEM.LOG1"));
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_CLEAN);
	assert_null(hive_warning(h));
	hive_close(h);
	free(path);
}

/* regipy's corrupted_system_hive: hivex refuses it; the cause says it is
 * damaged, where, and what to do. */
static void
test_corrupted(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h = (struct hive *)1;
	char		*path, *cause = NULL;

	path = tl_hive(fx->dir, "regipy_corrupted_system_hive", "SYSTEM");
	assert_int_equal(hive_open_file(path, &h, &cause), -1);
	assert_null(h);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "SYSTEM is damaged"));
	assert_non_null(strstr(cause, "0x1a000"));
	assert_non_null(strstr(cause, "RegBack"));
	assert_null(strchr(cause, '\n'));
	free(cause);
	free(path);
}

/* A base block that fails its checksum: hivex refuses, we say why. */
static void
test_bad_checksum(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path, *cause = NULL;

	path = tl_hive(fx->dir, "hivex_minimal", "DEFAULT");
	fx_poke(path, 100, 0x58);
	assert_int_equal(hive_open_file(path, &h, &cause), -1);
	assert_non_null(strstr(cause, "DEFAULT is damaged"));
	assert_non_null(strstr(cause, "fails its checksum"));
	free(cause);
	free(path);
}

/* Files that are not hives. */
static void
test_not_hives(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path, *cause = NULL;

	path = tl_hive(fx->dir, "dfir_Win11_COMPONENTS.LOG2",
	    "COMPONENTS.LOG2");
	assert_int_equal(hive_open_file(path, &h, &cause), -1);
	assert_non_null(strstr(cause, "COMPONENTS.LOG2 is a transaction log "
	    "(file type 6), not a hive"));
	free(cause);
	cause = NULL;
	free(path);

	xasprintf(&path, "%s/empty", fx->dir);
	assert_int_equal(file_write_all(path, "", 0, NULL), 0);
	assert_int_equal(hive_open_file(path, &h, &cause), -1);
	assert_non_null(strstr(cause, "empty is not a registry hive"));
	free(cause);
	cause = NULL;
	free(path);

	xasprintf(&path, "%s/missing", fx->dir);
	assert_int_equal(hive_open_file(path, &h, &cause), -1);
	assert_non_null(strstr(cause, "No such file"));
	free(cause);
	cause = NULL;
	free(path);

	assert_int_equal(hive_open_file(fx->dir, &h, &cause), -1);
	assert_non_null(strstr(cause, "not a regular file"));
	free(cause);
}

/* hive_close removes the private copy. */
static void
test_close_removes_copy(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	struct stat	 sb;
	char		*path, *copy;

	path = tl_hive(fx->dir, "hivex_minimal", NULL);
	h = tl_hive_open(path);
	copy = xstrdup(hive_file_path(h));
	assert_int_equal(stat(copy, &sb), 0);
	hive_close(h);
	assert_int_equal(stat(copy, &sb), -1);
	assert_int_equal(errno, ENOENT);
	*strrchr(copy, '/') = '\0';
	assert_int_equal(stat(copy, &sb), -1);
	hive_close(NULL);
	free(copy);
	free(path);
}

/* hivex's "special" image: key and value names with umlauts, TM and
 * currency signs come out as UTF-8. */
static void
test_special_names(void **state)
{
	static const char *const want[] = {
		"abcd_\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f",	/* abcd_äöüß */
		"weird\xe2\x84\xa2",				/* weird™ */
		"zero",
	};
	struct tl_dir		*fx = *state;
	struct hive		*h;
	struct hive_value	 val;
	hive_node_h		 node, b, *children;
	char			*path, *name, *cause = NULL;
	size_t			 i;
	uint32_t		 v;

	path = tl_hive(fx->dir, "hivex_special", NULL);
	h = tl_hive_open(path);
	assert_non_null(children = hivex_node_children(hive_handle(h),
	    hivex_root(hive_handle(h))));
	for (i = 0; i < 3; i++) {
		assert_true(children[i] != 0);
		name = hivex_node_name(hive_handle(h), children[i]);
		/* "zero\0key": hivex stops at the NUL */
		assert_string_equal(name, want[i]);
		free(name);
	}
	assert_true(children[3] == 0);
	free(children);

	if (hive_key_lookup(h, want[0], &node, &cause) != 0)
		fail_msg("%s", cause);
	if (hive_value_get(h, want[0], want[0], &val, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(val.name, want[0]);
	assert_int_equal(val.type, HIVE_REG_DWORD);
	hive_value_free(&val);

	/* "symbols $£₤₧€" in weird™ */
	if (hive_value_dword(h, want[1], "symbols $\xc2\xa3\xe2\x82\xa4"
	    "\xe2\x82\xa7\xe2\x82\xac", &v, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(v, 0);
	/* Case-insensitive beyond ASCII, as Windows: "ABCD_ÄÖÜß" (hivex
	 * alone would not find it). */
	assert_int_equal(hive_key_lookup(h, "ABCD_\xc3\x84\xc3\x96\xc3\x9c"
	    "\xc3\x9f", &b, NULL), 0);
	assert_true(b == node);
	assert_true(hivex_node_get_child(hive_handle(h),
	    hivex_root(hive_handle(h)), "ABCD_\xc3\x84\xc3\x96\xc3\x9c"
	    "\xc3\x9f") == 0);
	if (hive_value_dword(h, "abcd_\xc3\xa4\xc3\xb6\xc3\xbc\xc3\x9f",
	    "ABCD_\xc3\x84\xc3\x96\xc3\x9c\xc3\x9f", &v, &cause) != 0)
		fail_msg("%s", cause);
	/* Different letters still differ. */
	errno = 0;
	assert_int_equal(hive_key_lookup(h, "abcd_\xc3\xa4\xc3\xb6\xc3\xbc"
	    "s", &b, NULL), -1);
	assert_int_equal(errno, ENOENT);
	hive_close(h);
	free(path);
}

/* Lookups: separators, case, missing components. */
static void
test_key_lookup(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	hive_node_h	 a, b, root;
	char		*path, *cause = NULL;

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	h = tl_hive_open(path);
	assert_int_equal(hive_key_lookup(h, "", &root, NULL), 0);
	assert_true(root == hivex_root(hive_handle(h)));
	assert_int_equal(hive_key_lookup(h, "\\", &b, NULL), 0);
	assert_true(b == root);

	assert_int_equal(hive_key_lookup(h,
	    "ControlSet001\\Control\\ComputerName", &a, NULL), 0);
	assert_int_equal(hive_key_lookup(h,
	    "/controlset001//CONTROL/computername/", &b, NULL), 0);
	assert_true(a == b);
	assert_int_equal(hive_key_lookup(h,
	    "currentcontrolset\\Control\\ComputerName", &b, NULL), 0);
	assert_true(a == b);

	errno = 0;
	assert_int_equal(hive_key_lookup(h,
	    "ControlSet001\\Control\\NoSuchKey\\Deeper", &b, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "\"NoSuchKey\" under "
	    "ControlSet001\\Control"));
	free(cause);
	cause = NULL;

	assert_int_equal(hive_key_lookup(h, "Nope", &b, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "\"Nope\" under the root"));
	free(cause);
	hive_close(h);
	free(path);
}

static void
test_path_resolve(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path, *s;

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	h = tl_hive_open(path);
	s = hive_path_resolve(h, "CurrentControlSet\\Services", NULL);
	assert_string_equal(s, "ControlSet001\\Services");
	free(s);
	s = hive_path_resolve(h, "/currentcontrolset", NULL);
	assert_string_equal(s, "ControlSet001");
	free(s);
	s = hive_path_resolve(h, "CurrentControlSetX\\A", NULL);
	assert_string_equal(s, "CurrentControlSetX\\A");
	free(s);
	s = hive_path_resolve(h, "Select/", NULL);
	assert_string_equal(s, "Select");
	free(s);
	hive_close(h);
	free(path);

	/* DEFAULT has no Select key: nothing to resolve. */
	path = tl_hive(fx->dir, "dfir_Win10_DEFAULT", "DEFAULT");
	h = tl_hive_open(path);
	s = hive_path_resolve(h, "CurrentControlSet\\Services", NULL);
	assert_string_equal(s, "CurrentControlSet\\Services");
	free(s);
	assert_int_equal(hive_current_control_set(h, &(int){ 0 }, NULL), -1);
	hive_close(h);
	free(path);
}

/* Select\Current out of bounds, written with hivex into a copy. */
static void
test_control_set_bounds(void **state)
{
	static const uint32_t	 bad[] = { 0, 1000, 0xffffffff };
	struct tl_dir		*fx = *state;
	struct hive		*h;
	hive_h			*w;
	hive_node_h		 sel;
	hive_set_value		 sv;
	char			*path, *cause = NULL, data[4];
	size_t			 i;
	int			 n;

	path = tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM");
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_non_null(w = hivex_open(path, HIVEX_OPEN_WRITE));
		sel = hivex_node_get_child(w, hivex_root(w), "Select");
		assert_true(sel != 0);
		le32enc(data, bad[i]);
		sv.key = (char *)"Current";
		sv.t = hive_t_REG_DWORD;
		sv.len = 4;
		sv.value = data;
		assert_int_equal(hivex_node_set_value(w, sel, &sv, 0), 0);
		assert_int_equal(hivex_commit(w, NULL, 0), 0);
		assert_int_equal(hivex_close(w), 0);

		h = tl_hive_open(path);
		assert_int_equal(hive_current_control_set(h, &n, &cause), -1);
		assert_non_null(strstr(cause, "not a control set"));
		free(cause);
		cause = NULL;
		assert_null(hive_path_resolve(h, "CurrentControlSet", &cause));
		free(cause);
		cause = NULL;
		assert_int_equal(hive_key_lookup(h, "CurrentControlSet\\x",
		    &sel, NULL), -1);
		hive_close(h);
	}
	free(path);
}

/* Default values, "@", case-insensitive names, missing values. */
static void
test_value_get(void **state)
{
	struct tl_dir		*fx = *state;
	struct hive		*h;
	struct hive_value	 val;
	char			*path, *s, *cause = NULL;
	uint32_t		 v;
	const char		*cls = "CurrentControlSet\\Control\\Class\\"
				    "{25DBCE51-6C8F-4A72-8A6D-B54C2B4FC835}";

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	h = tl_hive_open(path);
	assert_int_equal(hive_value_string(h, cls, "", &s, NULL), 0);
	assert_string_equal(s, "Mobile devices");
	free(s);
	assert_int_equal(hive_value_string(h, cls, "@", &s, NULL), 0);
	assert_string_equal(s, "Mobile devices");
	free(s);
	assert_int_equal(hive_value_get(h, cls, "@", &val, NULL), 0);
	assert_string_equal(val.name, "");
	assert_int_equal(val.type, HIVE_REG_SZ);
	hive_value_free(&val);

	/* The stored name keeps its case. */
	assert_int_equal(hive_value_get(h, "select", "CURRENT", &val, NULL),
	    0);
	assert_string_equal(val.name, "Current");
	assert_int_equal(val.len, 4);
	hive_value_free(&val);
	assert_int_equal(hive_value_dword(h, "SELECT", "current", &v, NULL),
	    0);
	assert_int_equal(v, 1);

	errno = 0;
	assert_int_equal(hive_value_get(h, "Select", "Nope", &val, &cause),
	    -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(strstr(cause, "no value \"Nope\" in Select"));
	assert_null(val.data);
	free(cause);
	cause = NULL;

	assert_int_equal(hive_value_get(h, "Select\\Nope", "x", &val, &cause),
	    -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
	cause = NULL;

	/* Typed getters refuse other types. */
	assert_int_equal(hive_value_dword(h,
	    "ControlSet001\\Control\\ComputerName\\ComputerName",
	    "ComputerName", &v, &cause), -1);
	assert_non_null(strstr(cause, "REG_SZ"));
	free(cause);
	cause = NULL;
	assert_int_equal(hive_value_string(h, "Select", "Current", &s,
	    &cause), -1);
	assert_non_null(strstr(cause, "is REG_DWORD, not a string"));
	free(cause);
	hive_close(h);
	free(path);
}

/* hivex's rlenvalue image: data of lengths around the inline limit. */
static void
test_rlenvalue(void **state)
{
	struct tl_dir		*fx = *state;
	struct hive		*h;
	struct hive_value	 val;
	char			*path, *s;

	path = tl_hive(fx->dir, "hivex_rlenvalue_test_hive", NULL);
	h = tl_hive_open(path);
	assert_int_equal(hive_value_get(h, "ModerateValueParent", "3Bytes",
	    &val, NULL), 0);
	assert_int_equal(val.type, HIVE_REG_BINARY);
	s = hive_value_format(&val);
	assert_string_equal(s, "30 31 32");
	free(s);
	hive_value_free(&val);
	assert_int_equal(hive_value_get(h, "ModerateValueParent", "33Bytes",
	    &val, NULL), 0);
	assert_int_equal(val.len, 33);
	assert_memory_equal(val.data, "0123456789ABCDEF0123456789ABCDEF0",
	    33);
	hive_value_free(&val);
	hive_close(h);
	free(path);
}

/* The Windows 10 DEFAULT hive: UTF-16 strings, and value types Windows
 * does not define shown as bytes. */
static void
test_default_hive(void **state)
{
	struct tl_dir	*fx = *state;
	struct hive	*h;
	char		*path, *s, *theirs;

	path = tl_hive(fx->dir, "dfir_Win10_DEFAULT", "DEFAULT");
	h = tl_hive_open(path);
	assert_int_equal(hive_log_state(h), HIVE_DIRTY_NO_LOGS);
	assert_int_equal(hive_value_string(h, "Control Panel\\International",
	    "sShortDate", &s, NULL), 0);
	theirs = hivexget(path, "\\Control Panel\\International",
	    "sShortDate");
	assert_string_equal(s, theirs);
	free(s);
	free(theirs);
	hive_close(h);
	free(path);
}

static void
check_format(uint32_t type, const void *data, size_t len, const char *want)
{
	struct hive_value	 val;
	char			*s;

	val.name = NULL;
	val.type = type;
	val.data = (uint8_t *)(uintptr_t)data;
	val.len = len;
	s = hive_value_format(&val);
	assert_string_equal(s, want);
	free(s);
}

/* Value text from bytes, including the broken shapes real hives hold. */
static void
test_value_format(void **state)
{
	/* "Grüße" and "中文" in UTF-16LE */
	static const uint8_t gruesse[] = { 'G', 0, 'r', 0, 0xfc, 0, 0xdf, 0,
	    'e', 0, 0, 0 };
	static const uint8_t zh[] = { 0x2d, 0x4e, 0x87, 0x65, 0, 0 };
	static const uint8_t odd[] = { 'a', 0, 'b', 0, 'c' };
	static const uint8_t multi[] = { 'a', 0, 0, 0, 'b', 0, 'c', 0, 0, 0,
	    0, 0 };
	static const uint8_t multi_open[] = { 'a', 0, 0, 0, 'b', 0 };
	static const uint8_t multi_after[] = { 'a', 0, 0, 0, 0, 0, 'x', 0 };
	static const uint8_t dw[] = { 0x00, 0x8d, 0x27, 0x00 };
	static const uint8_t qw[] = { 1, 0, 0, 0, 1, 0, 0, 0 };
	static const uint8_t bin[] = { 0x01, 0x02, 0xff };
	static const uint8_t surrogate[] = { 0x3d, 0xd8, 0x00, 0xde, 0, 0 };

	check_format(HIVE_REG_SZ, gruesse, sizeof gruesse,
	    "Gr\xc3\xbc\xc3\x9f" "e");
	check_format(HIVE_REG_SZ, zh, sizeof zh, "\xe4\xb8\xad\xe6\x96\x87");
	check_format(HIVE_REG_SZ, surrogate, sizeof surrogate,
	    "\xf0\x9f\x98\x80");
	/* no terminator, an odd byte: dropped */
	check_format(HIVE_REG_EXPAND_SZ, odd, sizeof odd, "ab");
	check_format(HIVE_REG_SZ, "", 0, "");
	check_format(HIVE_REG_SZ, odd, 1, "");
	check_format(HIVE_REG_MULTI_SZ, multi, sizeof multi, "a\nbc");
	check_format(HIVE_REG_MULTI_SZ, multi_open, sizeof multi_open,
	    "a\nb");
	check_format(HIVE_REG_MULTI_SZ, multi_after, sizeof multi_after, "a");
	check_format(HIVE_REG_MULTI_SZ, "\0\0", 2, "");
	check_format(HIVE_REG_MULTI_SZ, "", 0, "");
	check_format(HIVE_REG_DWORD, dw, 4, "2592000");
	check_format(HIVE_REG_DWORD_BIG_ENDIAN, dw, 4, "9250560");
	check_format(HIVE_REG_DWORD, dw, 3, "00 8d 27");
	check_format(HIVE_REG_QWORD, qw, 8, "4294967297");
	check_format(HIVE_REG_QWORD, qw, 4, "01 00 00 00");
	check_format(HIVE_REG_BINARY, bin, 3, "01 02 ff");
	check_format(HIVE_REG_NONE, "", 0, "");
	check_format(HIVE_REG_RESOURCE_LIST, bin, 1, "01");
	check_format(0xffff0011, bin, 2, "01 02");
}

static void
test_name_equal(void **state)
{
	assert_true(hive_name_equal("Select", "SELECT"));
	assert_true(hive_name_equal("", ""));
	assert_false(hive_name_equal("Select", "Selec"));
	assert_false(hive_name_equal("Sel", "Select"));
	/* Grüße / GRÜSSE are not one name: ß has no one-letter capital. */
	assert_true(hive_name_equal("gr\xc3\xbc\xc3\x9f" "e",
	    "GR\xc3\x9c\xc3\x9f" "E"));
	assert_false(hive_name_equal("gr\xc3\xbc\xc3\x9f" "e", "GR\xc3\x9cSSE"));
	/* Greek and Cyrillic: σ/Σ, ж/Ж */
	assert_true(hive_name_equal("\xcf\x83", "\xce\xa3"));
	assert_true(hive_name_equal("\xd0\xb6", "\xd0\x96"));
	/* Broken UTF-8 matches only itself. */
	assert_true(hive_name_equal("a\xff", "A\xff"));
	assert_false(hive_name_equal("a\xff", "a\xfe"));
}

static void
test_type_names(void **state)
{
	static const struct {
		uint32_t	 type;
		const char	*name;
	} t[] = {
		{ 0, "REG_NONE" }, { 1, "REG_SZ" }, { 2, "REG_EXPAND_SZ" },
		{ 3, "REG_BINARY" }, { 4, "REG_DWORD" },
		{ 5, "REG_DWORD_BIG_ENDIAN" }, { 6, "REG_LINK" },
		{ 7, "REG_MULTI_SZ" }, { 8, "REG_RESOURCE_LIST" },
		{ 9, "REG_FULL_RESOURCE_DESCRIPTOR" },
		{ 10, "REG_RESOURCE_REQUIREMENTS_LIST" }, { 11, "REG_QWORD" },
		{ 12, "REG_UNKNOWN(0xc)" },
		{ 0xffff0011, "REG_UNKNOWN(0xffff0011)" },
	};
	size_t	 i;
	char	*s;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		s = hive_type_name(t[i].type);
		assert_string_equal(s, t[i].name);
		free(s);
	}
}

static void
test_path_split(void **state)
{
	static const struct {
		const char	*in;
		enum hive_id	 id;
		const char	*sub;
	} ok[] = {
		{ "HKLM\\SYSTEM\\CurrentControlSet\\Services", HIVE_SYSTEM,
		  "CurrentControlSet\\Services" },
		{ "hklm/software/Microsoft/", HIVE_SOFTWARE, "Microsoft" },
		{ "HKEY_LOCAL_MACHINE\\COMPONENTS", HIVE_COMPONENTS, "" },
		{ "HKLM\\SAM\\SAM\\Domains", HIVE_SAM, "SAM\\Domains" },
		{ "Hklm\\Security\\\\Policy", HIVE_SECURITY, "Policy" },
		{ "HKU\\.DEFAULT\\Control Panel", HIVE_DEFAULT,
		  "Control Panel" },
		{ "\\HKEY_USERS/.default", HIVE_DEFAULT, "" },
	};
	static const struct {
		const char	*in, *cause;
	} bad[] = {
		{ "HKCU\\Software", "unknown registry root \"HKCU\"" },
		{ "HKLM", "no hive named" },
		{ "HKLM\\", "no hive named" },
		{ "HKLM\\HARDWARE", "no hive HKLM\\HARDWARE offline" },
		{ "HKLM\\DEFAULT", "no hive HKLM\\DEFAULT" },
		{ "HKU\\S-1-5-18", "no hive HKU\\S-1-5-18" },
		{ "", "unknown registry root" },
		{ "SYSTEM\\Select", "unknown registry root \"SYSTEM\"" },
	};
	enum hive_id	 id;
	char		*sub, *cause;
	size_t		 i;

	for (i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		cause = NULL;
		if (hive_path_split(ok[i].in, &id, &sub, &cause) != 0)
			fail_msg("%s: %s", ok[i].in, cause);
		assert_int_equal(id, ok[i].id);
		assert_string_equal(sub, ok[i].sub);
		free(sub);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cause = NULL;
		assert_int_equal(hive_path_split(bad[i].in, &id, &sub, &cause),
		    -1);
		if (strstr(cause, bad[i].cause) == NULL)
			fail_msg("%s: %s", bad[i].in, cause);
		assert_non_null(strstr(cause, "HKU\\.DEFAULT"));
		free(cause);
	}

	assert_string_equal(hive_volume_path(HIVE_SYSTEM),
	    "Windows\\System32\\config\\SYSTEM");
	assert_string_equal(hive_volume_path(HIVE_DEFAULT),
	    "Windows\\System32\\config\\DEFAULT");
	assert_string_equal(hive_volume_path(HIVE_SECURITY),
	    "Windows\\System32\\config\\SECURITY");
	assert_string_equal(hive_id_name(HIVE_COMPONENTS), "COMPONENTS");
	assert_string_equal(hive_id_name(HIVE_SAM), "SAM");
	assert_null(hive_id_name(HIVE_COUNT));
	assert_null(hive_volume_path((enum hive_id)-1));
}

/*
 * wuauserv's Start set to 4 and committed: hive_commit reads the result
 * back whole. With BITS's ImagePath damaged first (a data length of LEN,
 * past its cell: hivex_open does not look at values, and hivex_commit
 * writes the damage through), the commit is refused and names the key.
 * With LIST, BITS's subkey list is made to point at its own key cell
 * instead, and its cell to count SUBKEYS subkeys (hivex reads the list
 * only when there are any).
 */
#define NK_NR_SUBKEYS	0x18	/* in a key's cell */
#define NK_SUBKEY_LIST	0x20

static int
commit_edit(const char *path, uint32_t len, int list, uint32_t subkeys,
    char **cause)
{
	struct hive	*hv;
	hive_h		*h;
	hive_node_h	 node;
	hive_value_h	 v;
	hive_set_value	 sv;
	const void	*buf;
	size_t		 n;
	uint8_t		 le[4];
	int		 fd, ret;

	if (len != 0 || list) {
		assert_non_null(h = hivex_open(path, 0));
		node = hivex_node_get_child(h, hivex_root(h), "ControlSet001");
		node = hivex_node_get_child(h, node, "Services");
		node = hivex_node_get_child(h, node, "BITS");
		assert_true(node != 0);
		assert_true((v = hivex_node_get_value(h, node, "ImagePath")) != 0);
		hivex_close(h);
		assert_true((fd = open(path, O_RDWR)) != -1);
		if (len != 0) {
			/* A vk cell: size, "vk", name length, then the data
			 * length. */
			le32enc(le, len);
			assert_int_equal(pwrite(fd, le, 4, (off_t)v + 8), 4);
		} else {
			/* Offsets in cells count from the first bin. */
			le32enc(le, (uint32_t)node - 0x1000);
			assert_int_equal(pwrite(fd, le, 4,
			    (off_t)node + NK_SUBKEY_LIST), 4);
			le32enc(le, subkeys);
			assert_int_equal(pwrite(fd, le, 4,
			    (off_t)node + NK_NR_SUBKEYS), 4);
		}
		close(fd);
	}
	if (hive_open_file_flags(path, HIVE_WRITE, &hv, cause) != 0)
		return -1;
	assert_int_equal(hive_key_lookup(hv, "ControlSet001\\Services\\wuauserv",
	    &node, cause), 0);
	le32enc(le, 4);
	sv.key = (char *)"Start";
	sv.t = hive_t_REG_DWORD;
	sv.len = sizeof le;
	sv.value = (char *)le;
	assert_int_equal(hivex_node_set_value(hive_handle(hv), node, &sv, 0), 0);
	ret = hive_commit(hv, &buf, &n, cause);
	hive_close(hv);
	return ret;
}

static void
test_commit_reads_back(void **state)
{
	struct tl_dir	*fx = *state;
	char		*path, *cause = NULL;
	uint32_t	 lens[] = { 0x2000, 0x100000 };
	size_t		 i;

	path = tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM");
	if (commit_edit(path, 0, 0, 0, &cause) != 0)
		fail_msg("the undamaged hive: %s", cause);
	/* 0x2000: one cell's worth, checked on the mapped bytes; 0x100000:
	 * big data, checked by hivex_value_value. */
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		free(tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM"));
		assert_int_equal(commit_edit(path, lens[i], 0, 0, &cause), -1);
		assert_non_null(strstr(cause, "does not read back"));
		assert_non_null(strstr(cause, "BITS: a value cannot be read"));
		assert_non_null(strstr(cause, "nothing was written"));
		free(cause);
		cause = NULL;
	}

	/* A subkey list that is a key cell: refused while BITS counts its
	 * three subkeys; counting none, hivex reads no list, so neither does
	 * the read-back, and the edit goes through. */
	free(tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM"));
	assert_int_equal(commit_edit(path, 0, 1, 3, &cause), -1);
	assert_non_null(strstr(cause, "does not read back"));
	assert_non_null(strstr(cause, "BITS: subkeys cannot be read"));
	free(cause);
	cause = NULL;
	free(tl_hive(fx->dir, "regipy_SYSTEM", "SYSTEM"));
	if (commit_edit(path, 0, 1, 0, &cause) != 0)
		fail_msg("BITS counting no subkeys: %s", cause);
	free(path);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tl_setup, tl_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_system),
		T(test_values_vs_hivexget),
		T(test_dirty_no_logs),
		T(test_dirty_logs),
		T(test_foreign_log),
		T(test_lowercase_logs),
		T(test_clean_with_logs),
		T(test_corrupted),
		T(test_bad_checksum),
		T(test_not_hives),
		T(test_close_removes_copy),
		T(test_special_names),
		T(test_key_lookup),
		T(test_path_resolve),
		T(test_control_set_bounds),
		T(test_value_get),
		T(test_rlenvalue),
		T(test_default_hive),
		T(test_commit_reads_back),
		cmocka_unit_test(test_value_format),
		cmocka_unit_test(test_name_equal),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_path_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
