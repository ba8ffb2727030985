/*
 * test_golden.c: golden archives (packages/golden*.c). Archives are made
 * here with libarchive's writer (tar, tar.gz, tar.zst, zip, 7z), some then
 * patched byte by byte where the writer will not lie (sizes, checksums);
 * the CABs are the real hostile ones of ../shared/testdata/cab.
 *
 * - the pre-pass: every hostile name, type and size is refused with a
 *   one-line cause naming the entry; every CAB is refused;
 * - folder copies: each path prefix maps where it belongs;
 * - the manifest: parsed, and every way of breaking it refused;
 * - the whole way on a real NTFS image (mkntfs): capture, damage, plan,
 *   apply through the journal (a hard link sees the new bytes, the MFT
 *   record stays), read back independently of golden.c, undo.
 */

#include <sys/stat.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "packages/golden-private.h"
#include "repair/repair.h"
#include "util/util.h"

struct gt {
	char	*dir;
	char	*testdata;
};

static int
gt_setup(void **state)
{
	struct gt	*t;
	const char	*td;
	char		*cause = NULL;

	t = xcalloc(1, sizeof *t);
	if ((t->dir = tmpdir_create("ntmend-test-golden", &cause)) == NULL)
		fail_msg("%s", cause);
	if ((td = getenv("NTM_TESTDATA")) == NULL || *td == '\0')
		td = "../shared/testdata";
	t->testdata = xstrdup(td);
	*state = t;
	return 0;
}

static int
gt_teardown(void **state)
{
	struct gt	*t = *state;

	tmpdir_remove(t->dir);
	free(t->dir);
	free(t->testdata);
	free(t);
	return 0;
}

/* An entry to write: type 'f' file, 'd' directory, 'l' symbolic link
 * (data: target), 'h' hard link (data: target), 'c' character device,
 * 'b' block device, 'p' FIFO. */
struct ent {
	const char	*name;
	int		 type;
	const char	*data;
	size_t		 len;		/* 0: strlen(data) */
};

#define F(n, d)	{ n, 'f', d, 0 }
#define D(n)	{ n, 'd', NULL, 0 }

/* Write an archive: format "pax", "ustar", "zip", "7z"; filter NULL,
 * "gzip", "zstd". Caller frees the path. */
static char *
mkarc(struct gt *t, const char *name, const char *format, const char *filter,
    const struct ent *e, size_t n)
{
	struct archive		*a;
	struct archive_entry	*ae;
	char			*path;
	size_t			 i, len;

	path = xprintf("%s/%s", t->dir, name);
	a = archive_write_new();
	if (strcmp(format, "pax") == 0)
		archive_write_set_format_pax_restricted(a);
	else if (strcmp(format, "ustar") == 0)
		archive_write_set_format_ustar(a);
	else if (strcmp(format, "zip") == 0)
		archive_write_set_format_zip(a);
	else
		archive_write_set_format_7zip(a);
	if (filter != NULL && strcmp(filter, "gzip") == 0)
		archive_write_add_filter_gzip(a);
	else if (filter != NULL)
		archive_write_add_filter_zstd(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (i = 0; i < n; i++) {
		ae = archive_entry_new();
		archive_entry_copy_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 1700000000, 0);
		len = e[i].data == NULL ? 0 : e[i].len != 0 ? e[i].len :
		    strlen(e[i].data);
		switch (e[i].type) {
		case 'f':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)len);
			break;
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_perm(ae, 0777);
			archive_entry_copy_symlink(ae, e[i].data);
			len = 0;
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_copy_hardlink(ae, e[i].data);
			archive_entry_set_size(ae, 0);
			len = 0;
			break;
		case 'c':
		case 'b':
			archive_entry_set_filetype(ae, e[i].type == 'c' ?
			    AE_IFCHR : AE_IFBLK);
			archive_entry_set_perm(ae, 0600);
			archive_entry_set_rdev(ae, 0x0103);
			len = 0;
			break;
		case 'p':
			archive_entry_set_filetype(ae, AE_IFIFO);
			archive_entry_set_perm(ae, 0600);
			len = 0;
			break;
		}
		if (archive_write_header(a, ae) != ARCHIVE_OK)
			fail_msg("writing %s: %s", e[i].name,
			    archive_error_string(a));
		if (len > 0)
			assert_int_equal(archive_write_data(a, e[i].data, len),
			    (la_ssize_t)len);
		archive_entry_free(ae);
	}
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return path;
}

static void
read_file(const char *path, uint8_t **buf, size_t *len)
{
	if (file_read_all(path, 1 << 28, (void **)buf, len, NULL) != 0)
		fail_msg("cannot read %s", path);
}

static void
write_file(const char *path, const void *buf, size_t len)
{
	char	*cause = NULL;

	if (file_write_all(path, buf, len, &cause) != 0)
		fail_msg("%s", cause);
}

/* Open must fail, with a one-line cause containing want. */
static void
refused(const char *path, const char *want, const char *what)
{
	struct golden	*g = NULL;
	char		*cause = NULL;

	if (golden_open(path, NULL, NULL, &g, &cause) == 0) {
		golden_free(g);
		fail_msg("%s: opened, should be refused (%s)", what, want);
	}
	assert_non_null(cause);
	if (strstr(cause, want) == NULL)
		fail_msg("%s: cause '%s' does not say '%s'", what, cause, want);
	if (strchr(cause, '\n') != NULL)
		fail_msg("%s: cause is more than one line: %s", what, cause);
	free(cause);
}

static struct golden *
opened(const char *path, const char *what)
{
	struct golden	*g = NULL;
	char		*cause = NULL;

	if (golden_open(path, NULL, NULL, &g, &cause) != 0)
		fail_msg("%s: refused: %s", what, cause);
	return g;
}

/* Folder copies: where each prefix lands, in every format. */
static void
test_plain_mapping(void **state)
{
	static const struct {
		const char	*prefix;
		const char	*root;
		const char	*mapping;
	} maps[] = {
		{ "Packages/", "Windows\\servicing\\Packages",
		  "'Packages/' onto Windows\\servicing\\Packages" },
		{ "servicing/Packages/", "Windows\\servicing\\Packages",
		  "'servicing/' onto Windows\\servicing" },
		{ "Windows/servicing/Packages/", "Windows\\servicing\\Packages",
		  "'Windows/' onto Windows" },
		{ "./backup-PC7/PACKAGES/", "Windows\\servicing\\PACKAGES",
		  "'backup-PC7/PACKAGES/' onto Windows\\servicing\\Packages" },
		{ "copy\\Packages\\", "Windows\\servicing\\Packages",
		  "'copy/Packages/' onto Windows\\servicing\\Packages" },
		{ "", "Windows\\servicing\\Packages",
		  "the archive's top folder (only .mum and .cat files)" },
		{ "pkgs/", "Windows\\servicing\\Packages",
		  "'pkgs/' (only .mum and .cat files) onto "
		  "Windows\\servicing\\Packages" },
	};
	static const char *const formats[][2] = { { "pax", NULL },
	    { "ustar", "gzip" }, { "pax", "zstd" }, { "zip", NULL },
	    { "7z", NULL } };
	struct gt	*t = *state;
	struct golden	*g;
	struct ent	 e[3];
	const char	*const *roots;
	char		*path, *names[3], *cause = NULL, *want;
	size_t		 m, f, n;

	for (m = 0; m < sizeof maps / sizeof maps[0]; m++) {
		names[0] = xprintf("%sA.mum", maps[m].prefix);
		names[1] = xprintf("%sA.cat", maps[m].prefix);
		names[2] = xprintf("%sB.mum", maps[m].prefix);
		e[0] = (struct ent)F(names[0], "<assembly/>");
		e[1] = (struct ent)F(names[1], "0\x82 cat");
		e[2] = (struct ent)F(names[2], "<assembly>b</assembly>");
		for (f = 0; f < sizeof formats / sizeof formats[0]; f++) {
			path = mkarc(t, "plain.arc", formats[f][0],
			    formats[f][1], e, 3);
			g = opened(path, maps[m].prefix);
			assert_null(golden_source_of(g));
			assert_non_null(golden_mapping(g));
			if (strstr(golden_mapping(g), maps[m].mapping) == NULL)
				fail_msg("%s (%s): mapping '%s', want '%s'",
				    maps[m].prefix, formats[f][0],
				    golden_mapping(g), maps[m].mapping);
			roots = golden_roots(g, &n);
			assert_int_equal(n, 1);
			assert_string_equal(roots[0], maps[m].root);
			/* The files are where the mapping says. */
			want = xprintf("%s\\B.mum", maps[m].root);
			if (golden_select(g, (const char *const *)&want, 1,
			    &cause) != 0)
				fail_msg("%s: %s", maps[m].prefix, cause);
			free(want);
			golden_free(g);
			unlink(path);
			free(path);
		}
		for (f = 0; f < 3; f++)
			free(names[f]);
	}
}

static void
test_plain_other_anchors(void **state)
{
	struct gt	*t = *state;
	struct golden	*g;
	const struct ent e[] = { D("x/"), D("x/WinSxS/"),
	    D("x/WinSxS/amd64_foo_31bf3856ad364e35_10.0.1.1_none_0123/"),
	    F("x/WinSxS/amd64_foo_31bf3856ad364e35_10.0.1.1_none_0123/f.dll",
	    "MZ"), { "x/WinSxS/amd64_foo_31bf3856ad364e35_10.0.1.1_none_0123/"
	    "g.dll", 'h', "x/WinSxS/amd64_foo_31bf3856ad364e35_10.0.1.1_none_"
	    "0123/f.dll", 0 } };
	const struct ent s32[] = { F("System32/dot3gpui.dll", "MZ..") };
	const char	*const *roots, *sel;
	char		*path, *cause = NULL;
	size_t		 n;

	path = mkarc(t, "sxs.tar", "pax", NULL, e, 5);
	g = opened(path, "WinSxS");
	assert_string_equal(golden_mapping(g),
	    "'x/WinSxS/' onto Windows\\WinSxS");
	roots = golden_roots(g, &n);
	assert_string_equal(roots[0], "Windows\\WinSxS");
	sel = "windows\\winsxs\\AMD64_foo_31bf3856ad364e35_10.0.1.1_none_0123"
	    "\\G.DLL";
	if (golden_select(g, &sel, 1, &cause) != 0)
		fail_msg("%s", cause);
	golden_free(g);
	free(path);

	path = mkarc(t, "s32.zip", "zip", NULL, s32, 1);
	g = opened(path, "System32");
	assert_string_equal(golden_mapping(g),
	    "'System32/' onto Windows\\System32");
	golden_free(g);
	free(path);
}

static void
test_plain_refused(void **state)
{
	struct gt	*t = *state;
	const struct ent nowhere[] = { F("hello.c", "x"), F("b.c", "y") };
	const struct ent mixed[] = { F("Packages/a.mum", "x"),
	    F("readme.txt", "y") };
	const struct ent mixed2[] = { F("copy/Packages/a.mum", "x"),
	    F("other/Packages/b.mum", "y") };
	const struct ent flatmix[] = { F("a.mum", "x"), F("sub/b.mum", "y") };
	const struct ent empty[] = { D("Packages/") };
	const struct ent mf[] = { F("Packages/a.mum", "x"),
	    F("ntmend-golden.jsonl", "{}\n") };
	char		*path;

	path = mkarc(t, "a.tar", "pax", NULL, nowhere, 2);
	refused(path, "cannot tell where 'hello.c' belongs", "no anchor");
	free(path);
	path = mkarc(t, "b.tar", "pax", NULL, mixed, 2);
	refused(path, "'readme.txt' is outside the folder 'Packages/'",
	    "mixed");
	free(path);
	path = mkarc(t, "c.zip", "zip", NULL, mixed2, 2);
	refused(path, "is outside the folder 'copy/Packages/'", "two copies");
	free(path);
	path = mkarc(t, "d.tar", "pax", NULL, flatmix, 2);
	refused(path, "cannot tell where", "flat in two folders");
	free(path);
	path = mkarc(t, "e.tar", "pax", NULL, empty, 1);
	refused(path, "holds no files", "no files");
	free(path);
	path = mkarc(t, "f.tar", "pax", NULL, mf, 2);
	refused(path, "manifest but not the first entry", "late manifest");
	free(path);
	path = xprintf("%s/empty", t->dir);
	write_file(path, "", 0);
	refused(path, "is empty", "empty file");
	free(path);
	path = xprintf("%s/junk", t->dir);
	write_file(path, "this is not an archive at all, just text\n", 41);
	refused(path, "cannot be read as an archive", "junk");
	free(path);
}

/* Every name rule, in tar and in zip. */
static void
test_hostile_names(void **state)
{
	static const struct {
		const char	*name;
		const char	*want;
	} bad[] = {
		{ "../evil.dll", "climbs out" },
		{ "Packages/../../Windows/System32/evil.dll", "climbs out" },
		{ "Packages\\..\\..\\evil.dll", "climbs out" },
		{ "/etc/passwd", "absolute path" },
		{ "\\\\server\\share\\x.mum", "absolute path" },
		{ "C:/Windows/System32/x.dll", "drive letter" },
		{ "C:x.mum", "drive letter" },
		{ "Packages/a<b.mum", "does not allow" },
		{ "Packages/a|b.mum", "does not allow" },
		{ "Packages/x.mum:stream", "does not allow" },
		{ "Packages/what?.mum", "does not allow" },
		{ "Packages/con", "device name" },
		{ "Packages/NUL.mum", "device name" },
		{ "Packages/com7.cat", "device name" },
		{ "Packages/Lpt1", "device name" },
		{ "Packages/trailing.", "dot or a space" },
		{ "Packages/trailing ", "dot or a space" },
		{ "Packages/ctl\001.mum", "control character" },
		{ "Packages/\xff\xfe.mum", "UTF-8" },
	};
	static const char *const formats[] = { "ustar", "zip" };
	struct gt	*t = *state;
	struct ent	 e[2];
	char		*path, *long_name, *deep, *what;
	size_t		 i, f, k;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		for (f = 0; f < 2; f++) {
			e[0] = (struct ent)F("Packages/ok.mum", "<a/>");
			e[1] = (struct ent)F(bad[i].name, "payload");
			path = mkarc(t, "h.arc", formats[f], NULL, e, 2);
			what = xprintf("%s in %s", bad[i].name, formats[f]);
			refused(path, bad[i].want, what);
			refused(path, "entry 2", what);
			free(what);
			unlink(path);
			free(path);
		}
	}
	/* 256 characters in one name; 65 levels. */
	long_name = xmalloc(300);
	memcpy(long_name, "Packages/", 9);
	memset(long_name + 9, 'a', 256);
	long_name[265] = '\0';
	e[0] = (struct ent)F(long_name, "x");
	path = mkarc(t, "long.tar", "pax", NULL, e, 1);
	refused(path, "longer than 255", "long name");
	free(path);
	free(long_name);
	deep = xstrdup("Packages");
	for (k = 0; k < 65; k++) {
		what = xprintf("%s/d", deep);
		free(deep);
		deep = what;
	}
	what = xprintf("%s/x.mum", deep);
	e[0] = (struct ent)F(what, "x");
	path = mkarc(t, "deep.tar", "pax", NULL, e, 1);
	refused(path, "64 levels", "deep");
	free(path);
	free(what);
	free(deep);
}

static void
test_hostile_types(void **state)
{
	static const struct {
		struct ent	 e;
		const char	*want;
	} bad[] = {
		{ { "Packages/link.mum", 'l', "ok.mum", 0 }, "symbolic link" },
		{ { "Packages/link.mum", 'l', "../../../etc/shadow", 0 },
		  "pointing outside the archive" },
		{ { "Packages/link.mum", 'l', "/etc/shadow", 0 },
		  "pointing outside the archive" },
		{ { "Packages/hard.mum", 'h', "../../etc/shadow", 0 },
		  "hard link pointing outside" },
		{ { "Packages/hard.mum", 'h', "/etc/shadow", 0 },
		  "hard link pointing outside" },
		{ { "Packages/hard.mum", 'h', "Packages/none.mum", 0 },
		  "not a file earlier in the archive" },
		{ { "Packages/hard.mum", 'h', "Packages", 0 },
		  "not a file earlier in the archive" },
		{ { "Packages/dev", 'c', NULL, 0 }, "device node" },
		{ { "Packages/blk", 'b', NULL, 0 }, "device node" },
		{ { "Packages/fifo", 'p', NULL, 0 }, "FIFO" },
		{ F("Packages/OK.MUM", "again"), "twice" },
		{ F("Packages/ok.mum", "again"), "twice" },
		{ F("Packages/ok.mum/below.mum", "x"), "which is a file" },
	};
	struct gt	*t = *state;
	struct ent	 e[3];
	char		*path;
	size_t		 i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e[0] = (struct ent)D("Packages/");
		e[1] = (struct ent)F("Packages/ok.mum", "<a/>");
		e[2] = bad[i].e;
		path = mkarc(t, "t.tar", "pax", NULL, e, 3);
		refused(path, bad[i].want, bad[i].e.name);
		unlink(path);
		free(path);
	}
	/* A file where a later entry has a folder. */
	e[0] = (struct ent)F("Packages/sub/a.mum", "x");
	e[1] = (struct ent)F("Packages/sub", "x");
	path = mkarc(t, "u.tar", "pax", NULL, e, 2);
	refused(path, "twice", "file over folder");
	free(path);
	/* A hard link to a later file. */
	e[0] = (struct ent){ "Packages/a.mum", 'h', "Packages/b.mum", 0 };
	e[1] = (struct ent)F("Packages/b.mum", "x");
	path = mkarc(t, "v.tar", "pax", NULL, e, 2);
	refused(path, "not a file earlier", "forward hard link");
	free(path);
}

/* The octal size field of the ustar header at off, and its checksum. */
static void
tar_set_size(uint8_t *h, uint64_t size)
{
	unsigned	sum = 0;
	size_t		i;

	snprintf((char *)h + 124, 12, "%011llo", (unsigned long long)size);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

static size_t
find(const uint8_t *buf, size_t len, const char *sig, size_t from)
{
	size_t	i, n = strlen(sig);

	for (i = from; i + n <= len; i++) {
		if (memcmp(buf + i, sig, n) == 0)
			return i;
	}
	fail_msg("signature %s not found", sig);
	return 0;
}

static void
test_sizes(void **state)
{
	struct gt	*t = *state;
	struct ent	 e[2];
	uint8_t		*buf, *data;
	size_t		 len, at;
	char		*path, *cut;

	data = xmalloc(100000);
	for (at = 0; at < 100000; at++)
		data[at] = (uint8_t)(at * 7 + at / 251);
	e[0] = (struct ent)F("Packages/a.mum", "<a/>");
	e[1] = (struct ent){ "Packages/big.cat", 'f', (char *)data, 100000 };

	/* Uncompressed tar: a header claiming more than the file has. */
	path = mkarc(t, "s.tar", "ustar", NULL, e, 2);
	read_file(path, &buf, &len);
	tar_set_size(buf + 1024, 50ull << 20);
	write_file(path, buf, len);
	refused(path, "more than the whole archive", "size > archive");
	/* ... and more than any servicing file. */
	tar_set_size(buf + 1024, 5ull << 30);
	write_file(path, buf, len);
	refused(path, "more than the 4 GiB", "size > bound");
	/* Less than it holds: the rest is read as a header. */
	tar_set_size(buf + 1024, 1000);
	write_file(path, buf, len);
	refused(path, "damaged", "size < data");
	free(buf);
	free(path);

	/* Cut short: in the data, and a compressed stream cut in half. */
	path = mkarc(t, "c.tar", "ustar", NULL, e, 2);
	read_file(path, &buf, &len);
	cut = xprintf("%s/cut.tar", t->dir);
	write_file(cut, buf, 1536 + 50000);
	refused(cut, "entry 2 'Packages/big.cat'", "truncated tar");
	free(buf);
	free(path);
	path = mkarc(t, "c.tar.zst", "pax", "zstd", e, 2);
	read_file(path, &buf, &len);
	write_file(cut, buf, len / 2);
	refused(cut, "refused", "truncated tar.zst");
	free(buf);
	free(path);
	path = mkarc(t, "c.zip", "zip", NULL, e, 2);
	read_file(path, &buf, &len);
	write_file(cut, buf, len / 2);
	refused(cut, "refused", "truncated zip");
	free(buf);
	free(path);

	/* zip: declared sizes (local header at 22, central at 24) that say
	 * little for much (a bomb), or much for little. */
	path = mkarc(t, "z.zip", "zip", NULL, e, 2);
	read_file(path, &buf, &len);
	at = find(buf, len, "PK\001\002", 0);
	at = find(buf, len, "PK\001\002", at + 4);	/* big.cat's */
	le32enc(buf + at + 24, 1000);
	write_file(cut, buf, len);
	refused(cut, "refused", "zip bomb");
	le32enc(buf + at + 24, 0xfffffff0u);
	write_file(cut, buf, len);
	refused(cut, "refused", "zip size > data");
	free(buf);
	free(path);
	free(cut);
	free(data);
}

/* Every CAB of testdata: truncated, CVE reproducers, traversal, and the
 * valid ones (a cabinet is not a folder copy of servicing files). */
static void
test_cabs(void **state)
{
	static const char *const dirs[] = { "cab/cabextract_bugs",
	    "cab/cabextract_cabs", "cab/libmspack_cabd" };
	struct gt	*t = *state;
	struct golden	*g;
	struct dirent	*de;
	DIR		*d;
	char		*dir, *path, *cause;
	size_t		 i, n = 0;

	for (i = 0; i < 3; i++) {
		dir = xprintf("%s/%s", t->testdata, dirs[i]);
		if ((d = opendir(dir)) == NULL)
			fail_msg("%s: %s", dir, strerror(errno));
		while ((de = readdir(d)) != NULL) {
			if (strstr(de->d_name, ".cab") == NULL)
				continue;
			path = xprintf("%s/%s", dir, de->d_name);
			cause = NULL;
			g = NULL;
			if (golden_open(path, NULL, NULL, &g, &cause) == 0)
				fail_msg("%s: accepted", path);
			assert_non_null(cause);
			if (strchr(cause, '\n') != NULL)
				fail_msg("%s: cause of several lines", path);
			if (strcmp(de->d_name, "dirwalk-vulns.cab") == 0 &&
			    strstr(cause, "absolute path") == NULL &&
			    strstr(cause, "climbs out") == NULL)
				fail_msg("%s: traversal not named: %s", path,
				    cause);
			free(cause);
			free(path);
			n++;
		}
		closedir(d);
		free(dir);
	}
	assert_true(n >= 70);
}

/* Manifest archives written by hand. */
struct mline {
	const char	*line;
};

static char *
mk_golden(struct gt *t, const char *name, const char *manifest,
    const struct ent *e, size_t n)
{
	struct ent	*all;
	char		*path;

	all = xcalloc(n + 1, sizeof *all);
	all[0] = (struct ent)F("ntmend-golden.jsonl", manifest);
	memcpy(all + 1, e, n * sizeof *e);
	path = mkarc(t, name, "pax", "zstd", all, n + 1);
	free(all);
	return path;
}

static char *
sha_hex(const char *s)
{
	uint8_t		d[32];
	unsigned int	dl;

	EVP_Digest(s, strlen(s), d, &dl, EVP_sha256(), NULL);
	return hex_encode(d, 32);
}

#define HDR	"{\"schema\":\"ntmend.golden/1\",\"source\":{\"product\":" \
		"\"Windows 10 Pro\",\"build\":19045,\"ubr\":3803,"	\
		"\"architecture\":\"amd64\",\"computer_name\":\"GOLD\"},"  \
		"\"captured\":\"2026-01-02T03:04:05Z\",\"roots\":"	\
		"[\"Windows\\\\servicing\\\\Packages\"],"

static void
test_manifest(void **state)
{
	struct gt			*t = *state;
	struct golden			*g;
	const struct golden_source	*src;
	struct ent			 e[4];
	char				*m, *path, *ha, *hb, *cause = NULL;
	/* SD: revision 1, self-relative, no owner/group/DACL: 20 bytes. */
	const char			*sd = "AQAAgAAAAAAAAAAAAAAAAAAAAAA=";

	ha = sha_hex("<a/>");
	hb = sha_hex("<b/>");
	e[0] = (struct ent)D("Windows/servicing/Packages/");
	e[1] = (struct ent)F("Windows/servicing/Packages/a.mum", "<a/>");
	e[2] = (struct ent)F("Windows/servicing/Packages/b.mum", "<b/>");
	e[3] = (struct ent){ "Windows/servicing/Packages/c.mum", 'h',
	    "Windows/servicing/Packages/b.mum", 0 };

	/* The good one. */
	m = xprintf(HDR "\"files\":3,\"directories\":1,\"bytes\":8}\n"
	    "{\"path\":\"Windows\\\\servicing\\\\Packages\",\"type\":\"dir\"}\n"
	    "{\"path\":\"Windows\\\\servicing\\\\Packages\\\\a.mum\",\"type\":"
	    "\"file\",\"size\":4,\"sha256\":\"%s\",\"attrs\":32,\"sd\":\"%s\"}\n"
	    "{\"path\":\"Windows\\\\servicing\\\\Packages\\\\b.mum\",\"type\":"
	    "\"file\",\"size\":4,\"sha256\":\"%s\",\"nlink\":2}\n"
	    "{\"path\":\"Windows\\\\servicing\\\\Packages\\\\c.mum\",\"type\":"
	    "\"file\",\"size\":4,\"sha256\":\"%s\",\"link\":\"Windows\\\\"
	    "servicing\\\\Packages\\\\b.mum\"}\n", ha, sd, hb, hb);
	path = mk_golden(t, "good.tar.zst", m, e, 4);
	g = opened(path, "good manifest");
	src = golden_source_of(g);
	assert_non_null(src);
	assert_int_equal(src->build, 19045);
	assert_int_equal(src->ubr, 3803);
	assert_string_equal(src->arch, "amd64");
	assert_string_equal(src->computer_name, "GOLD");
	assert_int_equal(src->captured, 1767323045);
	assert_null(golden_mapping(g));
	if (golden_check(g, NULL, NULL, &cause) != 0)
		fail_msg("check: %s", cause);
	assert_int_equal(golden_check_source(g, 19045, "AMD64", NULL), 0);
	assert_int_equal(golden_check_source(g, 22631, "amd64", &cause), -1);
	assert_non_null(strstr(cause, "build 19045 amd64"));
	assert_non_null(strstr(cause, "build 22631 amd64"));
	free(cause);
	cause = NULL;
	assert_int_equal(golden_check_source(g, 19045, "arm64", &cause), -1);
	assert_non_null(strstr(cause, "arm64"));
	free(cause);
	cause = NULL;
	assert_int_equal(golden_check_source(g, 0, NULL, &cause), -1);
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);

	/* The entries no longer what the manifest says. */
	path = mk_golden(t, "extra.tar.zst", m, (struct ent[]){ e[0], e[1],
	    e[2], e[3], F("Windows/servicing/Packages/z.mum", "z") }, 5);
	g = opened(path, "extra entry");
	assert_int_equal(golden_check(g, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "not in the archive's manifest"));
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);
	path = mk_golden(t, "short.tar.zst", m, e, 3);
	g = opened(path, "missing entry");
	assert_int_equal(golden_check(g, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "cut short"));
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);
	path = mk_golden(t, "order.tar.zst", m, (struct ent[]){ e[0], e[2],
	    e[1], e[3] }, 4);
	g = opened(path, "reordered");
	assert_int_equal(golden_check(g, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "order"));
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);
	path = mk_golden(t, "size.tar.zst", m, (struct ent[]){ e[0], e[1],
	    F("Windows/servicing/Packages/b.mum", "<bb/>"), e[3] }, 4);
	g = opened(path, "other size");
	assert_int_equal(golden_check(g, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "declares 5 bytes, its manifest 4"));
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);
	path = mk_golden(t, "hl.tar.zst", m, (struct ent[]){ e[0], e[1],
	    e[2], F("Windows/servicing/Packages/c.mum", "<b/>") }, 4);
	g = opened(path, "link as file");
	assert_int_equal(golden_check(g, NULL, NULL, &cause), -1);
	assert_non_null(strstr(cause, "not the hard link its manifest says"));
	free(cause);
	cause = NULL;
	golden_free(g);
	free(path);
	free(m);

	/* Broken manifests. */
	static const struct {
		const char	*body;
		const char	*want;
	} bad[] = {
		{ "{\"schema\":\"ntmend.golden/9\"}\n", "schema" },
		{ "{\"schema\":\"other\"}\n", "not an ntmend golden" },
		{ "not json\n", "not a JSON object" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "..\\\\x\",\"type\":\"file\",\"size\":1,\"sha256\":\"@A\"}\n",
		  "climbs out" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"C:\\\\x\","
		  "\"type\":\"file\",\"size\":1,\"sha256\":\"@A\"}\n",
		  "drive letter" },
		{ HDR "\"files\":2,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\"}\n"
		  "{\"path\":\"WINDOWS\\\\A\",\"type\":\"file\",\"size\":4,"
		  "\"sha256\":\"@A\"}\n", "twice" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\",\"link\":"
		  "\"Windows\\\\b\"}\n", "hard link to a file not listed" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"abc\"}\n",
		  "no SHA-256" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\",\"sd\":"
		  "\"!!!!\"}\n", "not base64" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\",\"sd\":"
		  "\"AgAAgAAAAAAAAAAAAAAAAAAAAAA=\"}\n", "not a self-relative" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":99999999999,\"sha256\":"
		  "\"@A\"}\n", "larger than a servicing file" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"link\"}\n", "neither a file" },
		{ HDR "\"files\":2,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\"}\n",
		  "cut short" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\"}\n"
		  "{\"path\":\"Windows\\\\b\",\"type\":\"dir\"}\n",
		  "more than its header" },
		{ HDR "\"files\":2,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\"}\n"
		  "{\"path\":\"Windows\\\\a\\\\b\",\"type\":\"file\",\"size\":4,"
		  "\"sha256\":\"@A\"}\n", "below the file" },
		{ HDR "\"files\":1,\"directories\":0}\n{\"path\":\"Windows\\\\"
		  "a\",\"type\":\"file\",\"size\":4,\"sha256\":\"@A\"}\n",
		  "does not list its root" },
	};
	size_t	i;
	char	*body, *p;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		body = xstrdup(bad[i].body);
		while ((p = strstr(body, "@A")) != NULL) {
			m = xprintf("%.*s%s%s", (int)(p - body), body, ha,
			    p + 2);
			free(body);
			body = m;
		}
		path = mk_golden(t, "bad.tar.zst", body, e, 0);
		refused(path, bad[i].want, bad[i].body);
		unlink(path);
		free(path);
		free(body);
	}
	free(ha);
	free(hb);
}

/*
 * The whole way on an NTFS image: a "good" tree is captured, then
 * damaged (a hard-linked DLL's bytes changed in place, a .mum emptied, a
 * .cat and a whole component directory deleted), planned, applied
 * through the journal and undone.
 */
struct vt {
	char		*img;
	struct vol	*vol;
};

static void
vt_open(struct vt *v, int rw)
{
	struct vol_where	 w;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = v->img;
	if (vol_open(&w, rw ? VOL_RDWR : VOL_RDONLY, &v->vol, NULL,
	    &cause) != 0)
		fail_msg("vol_open: %s", cause);
}

static void
vt_close(struct vt *v)
{
	vol_close(v->vol);
	v->vol = NULL;
}

static void
put(struct vol *vol, const char *path, const char *data)
{
	struct vol_file	*f;
	char		*cause = NULL, *dir, *sep;

	dir = xstrdup(path);
	if ((sep = strrchr(dir, '\\')) != NULL) {
		*sep = '\0';
		if (vol_mkdir_p(vol, dir, &cause) != 0)
			fail_msg("%s", cause);
	}
	free(dir);
	if ((f = vol_file_create(vol, path, &cause)) == NULL)
		fail_msg("%s", cause);
	assert_int_equal(vol_file_pwrite(f, data, strlen(data), 0),
	    (ssize_t)strlen(data));
	assert_int_equal(vol_file_close(f, NULL), 0);
}

static char *
get(struct vol *vol, const char *path)
{
	void	*buf;
	size_t	 len;
	char	*cause = NULL;

	if (vol_file_read_all(vol, path, 1 << 20, &buf, &len, &cause) != 0)
		fail_msg("%s", cause);
	return buf;
}

static int
wbatch(void *warg, const struct golden_op *ops, size_t n,
    golden_read_fn read, void *rarg, char **cause)
{
	struct journal_op	*jo;
	size_t			 i;
	int			 r;

	jo = xcalloc(n, sizeof *jo);
	for (i = 0; i < n; i++) {
		jo[i].kind = ops[i].kind == GOLDEN_OP_MKDIR ? JOURNAL_MKDIR :
		    ops[i].kind == GOLDEN_OP_CREATE ? JOURNAL_CREATE :
		    ops[i].kind == GOLDEN_OP_REPLACE ? JOURNAL_REPLACE :
		    JOURNAL_LINK;
		jo[i].path = ops[i].path;
		jo[i].to = ops[i].to;
		jo[i].size = ops[i].size;
		jo[i].sha256 = ops[i].sha256;
		jo[i].sd = ops[i].sd;
		jo[i].sdlen = ops[i].sdlen;
		jo[i].attrs = ops[i].attrs;
	}
	r = journal_batch(warg, jo, n, read, rarg, cause);
	free(jo);
	return r;
}

#define SXS	"Windows\\WinSxS\\amd64_x_31bf3856ad364e35_10.0.1.1_none_0"
#define SXS2	"Windows\\WinSxS\\amd64_y_31bf3856ad364e35_10.0.1.1_none_1"
#define PKG	"Windows\\servicing\\Packages"

static void
test_roundtrip(void **state)
{
	struct gt			*t = *state;
	struct vt			 v;
	struct golden			*g;
	struct golden_capture_result	 res;
	struct golden_source		 src;
	struct journal			*j;
	struct vol_stat			 a, b;
	const struct golden_counts	*c;
	const char *const		*ch;
	const char			*paths[] = { SXS, SXS2,
	    "Windows\\System32\\x.dll", "Windows\\System32\\y.dll" };
	char				*arc, *cause = NULL, *s, *id = NULL;
	void				*sd1, *sd2;
	size_t				 n, sdl1, sdl2;
	uint64_t			 ino;

	memset(&v, 0, sizeof v);
	v.img = xprintf("%s/v.img", t->dir);
	s = xprintf("truncate -s 64M '%s' && mkntfs -F -Q '%s' >/dev/null "
	    "2>&1", v.img, v.img);
	assert_int_equal(system(s), 0);
	free(s);
	vt_open(&v, 1);
	put(v.vol, PKG "\\A.mum", "<assembly>a</assembly>");
	put(v.vol, PKG "\\A.cat", "0\x82 catalog of a");
	put(v.vol, PKG "\\B.mum", "<assembly>b</assembly>");
	put(v.vol, SXS "\\x.dll", "MZ the good x");
	put(v.vol, SXS2 "\\y.dll", "MZ the good y");
	assert_int_equal(vol_mkdir_p(v.vol, "Windows\\System32", NULL), 0);
	assert_int_equal(vol_link(v.vol, SXS "\\x.dll",
	    "Windows\\System32\\x.dll", NULL), 0);
	assert_int_equal(vol_link(v.vol, SXS2 "\\y.dll",
	    "Windows\\System32\\y.dll", NULL), 0);
	vt_close(&v);

	/* Capture. */
	vt_open(&v, 0);
	memset(&src, 0, sizeof src);
	src.build = 19045;
	src.arch = (char *)"amd64";
	src.computer_name = (char *)"GOLD";
	arc = xprintf("%s/g.tar.zst", t->dir);
	if (golden_capture(v.vol, &src, paths, 4, arc, NULL, NULL, &res,
	    &cause) != 0)
		fail_msg("capture: %s", cause);
	assert_int_equal(res.files, 5);
	assert_int_equal(res.links, 2);
	golden_capture_result_free(&res);
	assert_int_equal(golden_capture(v.vol, &src, NULL, 0, arc, NULL, NULL,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "exists"));
	free(cause);
	cause = NULL;
	vt_close(&v);

	/* Damage: x.dll's bytes in place (both names), B.mum emptied,
	 * A.cat and SXS2 (and so System32\y.dll's other name) deleted. */
	vt_open(&v, 1);
	assert_int_equal(vol_file_replace(v.vol, "Windows\\System32\\x.dll",
	    "MZ a bad x!!", 12, NULL), 0);
	assert_int_equal(vol_file_replace(v.vol, PKG "\\B.mum", "", 0, NULL),
	    0);
	assert_int_equal(vol_unlink(v.vol, PKG "\\A.cat", NULL), 0);
	assert_int_equal(vol_unlink(v.vol, SXS2 "\\y.dll", NULL), 0);
	assert_int_equal(vol_unlink(v.vol, SXS2, NULL), 0);
	assert_int_equal(vol_unlink(v.vol, "Windows\\System32\\y.dll", NULL),
	    0);
	put(v.vol, PKG "\\extra.mum", "<assembly>extra</assembly>");
	assert_int_equal(vol_stat(v.vol, SXS "\\x.dll", &a, NULL), 0);
	ino = a.ino;
	assert_int_equal(vol_sd_get(v.vol, SXS "\\x.dll", &sd1, &sdl1, NULL),
	    0);

	/* Plan: what differs, is missing, is extra. */
	g = opened(arc, "captured");
	assert_int_equal(golden_check_source(g, 19045, "amd64", NULL), 0);
	assert_int_equal(golden_plan(g, v.vol, GOLDEN_EXTRAS, NULL, NULL,
	    &cause), 0);
	c = golden_counts(g);
	assert_int_equal(c->files, 7);
	assert_int_equal(c->differ, 3);		/* x.dll both names, B.mum */
	assert_int_equal(c->missing, 4);	/* A.cat, SXS2, y.dll x2 */
	assert_int_equal(c->extra, 1);
	ch = golden_changes(g, &n);
	/* mkdir SXS2; create A.cat; replace B.mum; replace x.dll once (and
	 * a note for its other name); create y.dll in SXS2; link the
	 * System32 name. */
	assert_int_equal(n, 7);
	assert_string_equal(ch[0], "created directory " SXS2);
	assert_string_equal(ch[5], "linked Windows\\System32\\y.dll to "
	    SXS2 "\\y.dll (a hard link, as on the source PC)");
	assert_non_null(strstr(ch[6], "Windows\\System32\\x.dll shows the "
	    "new bytes"));
	if (golden_check(g, NULL, NULL, &cause) != 0)
		fail_msg("check: %s", cause);

	/* Apply through the journal. */
	if (journal_begin(v.vol, "golden apply test", &j, &cause) != 0 ||
	    golden_apply(g, v.vol, wbatch, j, NULL, NULL, &cause) != 0 ||
	    journal_commit(j, &cause) != 0)
		fail_msg("apply: %s", cause);
	journal_free(j);
	golden_free(g);

	s = get(v.vol, "Windows\\System32\\x.dll");
	assert_string_equal(s, "MZ the good x");
	free(s);
	s = get(v.vol, SXS "\\x.dll");
	assert_string_equal(s, "MZ the good x");
	free(s);
	assert_int_equal(vol_stat(v.vol, "Windows\\System32\\x.dll", &a,
	    NULL), 0);
	assert_int_equal(a.ino, ino);		/* in place */
	assert_int_equal(a.nlink, 2);
	assert_int_equal(vol_sd_get(v.vol, SXS "\\x.dll", &sd2, &sdl2, NULL),
	    0);
	assert_int_equal(sdl1, sdl2);
	assert_memory_equal(sd1, sd2, sdl1);
	free(sd2);
	s = get(v.vol, PKG "\\B.mum");
	assert_string_equal(s, "<assembly>b</assembly>");
	free(s);
	s = get(v.vol, PKG "\\A.cat");
	assert_string_equal(s, "0\x82 catalog of a");
	free(s);
	assert_int_equal(vol_stat(v.vol, SXS2 "\\y.dll", &a, NULL), 0);
	assert_int_equal(vol_stat(v.vol, "Windows\\System32\\y.dll", &b, NULL),
	    0);
	assert_int_equal(a.ino, b.ino);		/* linked, as captured */
	s = get(v.vol, "Windows\\System32\\y.dll");
	assert_string_equal(s, "MZ the good y");
	free(s);
	vt_close(&v);

	/* Nothing left to do. */
	vt_open(&v, 0);
	g = opened(arc, "again");
	assert_int_equal(golden_plan(g, v.vol, GOLDEN_EXTRAS, NULL, NULL,
	    NULL), 0);
	c = golden_counts(g);
	assert_int_equal(c->differ + c->missing, 0);
	assert_int_equal(c->same, 7);
	golden_changes(g, &n);
	assert_int_equal(n, 0);
	golden_free(g);
	vt_close(&v);

	/* Undo: the damage is back, byte for byte. */
	vt_open(&v, 1);
	if (journal_undo(v.vol, NULL, &id, &cause) != 0)
		fail_msg("undo: %s", cause);
	free(id);
	s = get(v.vol, "Windows\\System32\\x.dll");
	assert_string_equal(s, "MZ a bad x!!");
	free(s);
	s = get(v.vol, PKG "\\B.mum");
	assert_string_equal(s, "");
	free(s);
	assert_false(vol_exists(v.vol, PKG "\\A.cat"));
	assert_false(vol_exists(v.vol, SXS2));
	assert_false(vol_exists(v.vol, "Windows\\System32\\y.dll"));
	assert_false(vol_exists(v.vol, "ntmend"));
	assert_int_equal(vol_stat(v.vol, SXS "\\x.dll", &a, NULL), 0);
	assert_int_equal(a.ino, ino);
	vt_close(&v);
	free(sd1);
	free(arc);
	free(v.img);
}

/* A PATH outside the archive, or climbing out, is refused. */
static void
test_select(void **state)
{
	struct gt	*t = *state;
	struct golden	*g;
	const struct ent e[] = { F("Packages/a.mum", "x"),
	    F("Packages/b.mum", "y") };
	const char	*p;
	char		*path, *cause = NULL;

	path = mkarc(t, "s.tar", "pax", NULL, e, 2);
	g = opened(path, "select");
	p = "Windows\\System32\\config\\SAM";
	assert_int_equal(golden_select(g, &p, 1, &cause), -1);
	assert_non_null(strstr(cause, "is not in the archive"));
	free(cause);
	cause = NULL;
	p = "Windows\\servicing\\Packages\\..\\..\\System32\\config\\SAM";
	assert_int_equal(golden_select(g, &p, 1, &cause), -1);
	assert_non_null(strstr(cause, "climbs out"));
	free(cause);
	cause = NULL;
	p = "C:\\Windows\\servicing\\Packages";
	assert_int_equal(golden_select(g, &p, 1, &cause), -1);
	free(cause);
	cause = NULL;
	p = "windows/SERVICING/packages";
	assert_int_equal(golden_select(g, &p, 1, &cause), 0);
	golden_free(g);
	free(path);
}

/* fp/sha test values: fp from n (big-endian, so the order is n's),
 * sha from n and a generation. */
static void
hc_val(uint32_t n, uint8_t gen, uint8_t fp[16], uint8_t sha[32])
{
	memset(fp, 0, 16);
	fp[12] = (uint8_t)(n >> 24);
	fp[13] = (uint8_t)(n >> 16);
	fp[14] = (uint8_t)(n >> 8);
	fp[15] = (uint8_t)n;
	memset(sha, gen, 32);
	memcpy(sha, fp + 12, 4);
}

/* The hash cache (golden-cache.c): what is put is there in the next run,
 * a fingerprint put again takes its new SHA-256, the file stays sorted
 * and bounded, and a damaged one is not used. */
static void
test_hash_cache(void **state)
{
	struct gt	*t = *state;
	struct hcache	*hc;
	uint8_t		 fp[16], sha[32], got[32], *buf;
	uint32_t	 i, found;
	size_t		 len;
	char		*dir, *file, *was;

	dir = xprintf("%s/cache", t->dir);
	file = xprintf("%s/golden-hashes", dir);
	was = getenv("NTMEND_CACHE_DIR");
	was = was != NULL ? xstrdup(was) : NULL;
	setenv("NTMEND_CACHE_DIR", dir, 1);

	hc = hcache_open();
	hc_val(7, 1, fp, sha);
	assert_int_equal(hcache_get(hc, fp, got), -1);
	for (i = 1000; i > 0; i--) {		/* out of order */
		hc_val(i, 1, fp, sha);
		hcache_put(hc, fp, sha);
	}
	hc_val(5, 1, fp, sha);
	hcache_put(hc, fp, sha);		/* twice in one run */
	hcache_close(hc);
	read_file(file, &buf, &len);
	assert_int_equal(len, 56 + 1000 * 48);
	assert_int_equal(le64dec(buf + 48), 1000);
	for (i = 1; i < 1000; i++)
		assert_true(memcmp(buf + 56 + (i - 1) * 48,
		    buf + 56 + i * 48, 16) < 0);
	free(buf);

	hc = hcache_open();
	for (i = 1; i <= 1000; i++) {
		hc_val(i, 1, fp, sha);
		assert_int_equal(hcache_get(hc, fp, got), 0);
		assert_memory_equal(got, sha, 32);
	}
	hc_val(500, 2, fp, sha);		/* read again, other bytes */
	hcache_put(hc, fp, sha);
	hc_val(2000, 2, fp, sha);
	hcache_put(hc, fp, sha);
	hcache_close(hc);
	hc = hcache_open();
	hc_val(500, 2, fp, sha);
	assert_int_equal(hcache_get(hc, fp, got), 0);
	assert_memory_equal(got, sha, 32);
	hc_val(2000, 2, fp, sha);
	assert_int_equal(hcache_get(hc, fp, got), 0);
	hc_val(499, 1, fp, sha);
	assert_int_equal(hcache_get(hc, fp, got), 0);
	assert_memory_equal(got, sha, 32);

	/* Bounded: 2^17 entries; what this run put is all kept, earlier
	 * ones go evenly. */
	for (i = 0; i < (1u << 17); i++) {
		hc_val(100000 + i, 3, fp, sha);
		hcache_put(hc, fp, sha);
	}
	hcache_close(hc);
	read_file(file, &buf, &len);
	assert_int_equal(len, 56 + (1u << 17) * 48);
	free(buf);
	hc = hcache_open();
	for (i = found = 0; i < (1u << 17); i++) {
		hc_val(100000 + i, 3, fp, sha);
		found += hcache_get(hc, fp, got) == 0;
	}
	assert_int_equal(found, 1u << 17);
	hcache_close(hc);

	/* Out of order on disk: not used. */
	read_file(file, &buf, &len);
	memcpy(buf + 56, buf + 56 + 48, 16);
	write_file(file, buf, len);
	free(buf);
	hc = hcache_open();
	hc_val(100005, 3, fp, sha);
	assert_int_equal(hcache_get(hc, fp, got), -1);
	hcache_close(hc);

	/* The cache tests/run gives the other tests, if any. */
	if (was != NULL)
		setenv("NTMEND_CACHE_DIR", was, 1);
	else
		unsetenv("NTMEND_CACHE_DIR");
	free(was);
	free(file);
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, gt_setup, gt_teardown)
		T(test_plain_mapping),
		T(test_plain_other_anchors),
		T(test_plain_refused),
		T(test_hostile_names),
		T(test_hostile_types),
		T(test_sizes),
		T(test_cabs),
		T(test_manifest),
		T(test_select),
		T(test_roundtrip),
		T(test_hash_cache),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
