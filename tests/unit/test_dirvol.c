/*
 * test_dirvol.c: the mounted-directory backend through the public volume
 * API. Trees are made with host calls in a fresh temp directory and every
 * outcome is checked back with host calls (stat, read, getfattr), not
 * with the layer under test.
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

#include "ntfs/ntfs.h"
#include "ntfs/private.h"
#include "util/util.h"

#include "vol_images.h"

/* Make a host file (and its directories) under root. */
static void
host_put(const char *root, const char *rel, const char *content)
{
	char	*path, *p;

	path = xprintf("%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	assert_int_equal(file_write_all(path, content, strlen(content), NULL),
	    0);
	free(path);
}

/* The host file's content, or NULL if it does not exist; caller frees. */
static char *
host_get(const char *root, const char *rel)
{
	char	*path, *buf;
	size_t	 len;

	path = xprintf("%s/%s", root, rel);
	if (file_read_all(path, 1 << 20, (void **)&buf, &len, NULL) != 0)
		buf = NULL;
	free(path);
	return buf;
}

static int
host_stat(const char *root, const char *rel, struct stat *sb)
{
	char	*path = xprintf("%s/%s", root, rel);
	int	 r;

	r = lstat(path, sb);
	free(path);
	return r;
}

static void
assert_host_content(const char *root, const char *rel, const char *want)
{
	char	*got = host_get(root, rel);

	if (got == NULL)
		fail_msg("%s: missing, wanted \"%s\"", rel, want);
	assert_string_equal(got, want);
	free(got);
}

static void
assert_host_missing(const char *root, const char *rel)
{
	struct stat	sb;

	if (host_stat(root, rel, &sb) == 0)
		fail_msg("%s exists, it should not", rel);
	assert_int_equal(errno, ENOENT);
}

static struct vol *
open_dir(const char *root, int flags, unsigned *state)
{
	struct vol_where	 w;
	struct vol		*vol;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = root;
	w.is_dir = 1;
	if (vol_open(&w, flags, &vol, state, &cause) != 0)
		fail_msg("vol_open %s: %s", root, cause);
	assert_non_null(vol);
	return vol;
}

static char *
make_tree(struct vt *vt)
{
	char	*root = vt_path(vt, "tree");

	assert_int_equal(mkdir(root, 0755), 0);
	host_put(root, "Windows/System32/config/SYSTEM", "regf system hive");
	return root;
}

/* "windows/SYSTEM32/config/system" reaches Windows\System32\config\SYSTEM
 * on a case-sensitive Linux filesystem. */
static void
test_dir_case_insensitive(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	struct stat	 hsb;
	unsigned	 st = 0;
	uint64_t	 total, free_bytes;
	void		*buf;
	size_t		 len;
	char		*root, *canon, *cause = NULL;

	root = make_tree(vt);
	vol = open_dir(root, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_READONLY);
	assert_int_equal(vol_state(vol), VOL_READONLY);
	assert_string_equal(vol_name(vol), root);
	assert_string_equal(vol_label(vol), "");
	assert_string_equal(vol_hiber_signature(vol), "");
	vol_space(vol, &total, &free_bytes);
	assert_true(total > 0 && free_bytes <= total);

	if (vol_file_read_all(vol, "windows/SYSTEM32/config/system", 1024,
	    &buf, &len, &cause) != 0)
		fail_msg("read: %s", cause);
	assert_int_equal(len, 16);
	assert_memory_equal(buf, "regf system hive", 16);
	free(buf);

	if (vol_stat(vol, "\\WINDOWS\\system32\\Config\\System", &sb,
	    &cause) != 0)
		fail_msg("stat: %s", cause);
	assert_int_equal(host_stat(root, "Windows/System32/config/SYSTEM",
	    &hsb), 0);
	assert_int_equal(sb.size, 16);
	assert_false(sb.is_dir);
	assert_int_equal(sb.ino, hsb.st_ino);
	assert_int_equal(sb.nlink, 1);
	assert_int_equal(vol_stat(vol, "windows/system32", &sb, NULL), 0);
	assert_true(sb.is_dir);
	assert_true(sb.attrs & VOL_ATTR_DIRECTORY);

	canon = vol_path_canonical(vol, "windows/system32/CONFIG/system",
	    &cause);
	if (canon == NULL)
		fail_msg("canonical: %s", cause);
	assert_string_equal(canon, "Windows\\System32\\config\\SYSTEM");
	free(canon);

	assert_int_equal(vol_is_windows(vol), 1);

	/* Missing and non-directory components fail with errno and a cause
	 * that names the path as far as it went. */
	assert_int_equal(vol_stat(vol, "Windows/Sys32/config", &sb, &cause),
	    -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "Sys32"));
	free(cause);
	cause = NULL;
	assert_int_equal(vol_stat(vol, "windows/system32/config/system/x",
	    &sb, NULL), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_false(vol_exists(vol, "Windows/System32/config/SYSTEM.LOG1"));
	assert_null(vol_file_open(vol, "windows/system32", VOL_O_RDONLY,
	    NULL));
	assert_int_equal(errno, EISDIR);

	vol_close(vol);
	free(root);
}

struct seen {
	char	*names[16];
	int	 is_dir[16];
	size_t	 n;
};

static int
collect(const struct vol_dirent *de, void *arg)
{
	struct seen	*s = arg;

	assert_true(s->n < 16);
	assert_string_not_equal(de->name, ".");
	assert_string_not_equal(de->name, "..");
	s->names[s->n] = xstrdup(de->name);
	s->is_dir[s->n] = de->is_dir;
	s->n++;
	return 0;
}

static int
seen_find(struct seen *s, const char *name)
{
	size_t	i;

	for (i = 0; i < s->n; i++) {
		if (strcmp(s->names[i], name) == 0)
			return (int)i;
	}
	return -1;
}

static int
stop_at_second(const struct vol_dirent *de, void *arg)
{
	int	*n = arg;

	return ++*n == 2 ? 42 : 0;
}

/* Names outside ASCII fold like Windows folds them; lists give them back
 * as stored. */
static void
test_dir_unicode(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct seen	 s;
	void		*buf;
	size_t		 len, i;
	char		*root, *canon, *cause = NULL;
	int		 k, n = 0;

	root = vt_path(vt, "tree");
	assert_int_equal(mkdir(root, 0755), 0);
	host_put(root, "\xc3\x9cn\xc3\xaf" "code.txt", "umlaut");	/* Ünïcode */
	/* 中文目录/文件.txt */
	host_put(root, "\xe4\xb8\xad\xe6\x96\x87\xe7\x9b\xae\xe5\xbd\x95/"
	    "\xe6\x96\x87\xe4\xbb\xb6.txt", "chinese");
	host_put(root, "\xce\xa9\xce\xbc\xce\xad\xce\xb3\xce\xb1", "greek");
	/* Ωμέγα */

	vol = open_dir(root, VOL_RDONLY, NULL);

	/* ünïcode.TXT */
	if (vol_file_read_all(vol, "\xc3\xbcn\xc3\x8f" "code.TXT", 64, &buf,
	    &len, &cause) != 0)
		fail_msg("read: %s", cause);
	assert_string_equal(buf, "umlaut");
	free(buf);
	canon = vol_path_canonical(vol, "\xc3\xbcN\xc3\xaf" "CODE.txt",
	    &cause);
	if (canon == NULL)
		fail_msg("canonical: %s", cause);
	assert_string_equal(canon, "\xc3\x9cn\xc3\xaf" "code.txt");
	free(canon);
	/* Unicode.txt: a different name, not a case of it. */
	assert_false(vol_exists(vol, "Unicode.txt"));

	if (vol_file_read_all(vol, "\xe4\xb8\xad\xe6\x96\x87\xe7\x9b\xae"
	    "\xe5\xbd\x95\\\xe6\x96\x87\xe4\xbb\xb6.TXT", 64, &buf, &len,
	    &cause) != 0)
		fail_msg("read: %s", cause);
	assert_string_equal(buf, "chinese");
	free(buf);

	/* ΩΜΈΓΑ */
	if (vol_file_read_all(vol, "\xce\xa9\xce\x9c\xce\x88\xce\x93\xce\x91",
	    64, &buf, &len, &cause) != 0)
		fail_msg("read: %s", cause);
	assert_string_equal(buf, "greek");
	free(buf);

	memset(&s, 0, sizeof s);
	if (vol_list(vol, "", collect, &s, &cause) != 0)
		fail_msg("list: %s", cause);
	assert_int_equal(s.n, 3);
	assert_true((k = seen_find(&s, "\xc3\x9cn\xc3\xaf" "code.txt")) >= 0);
	assert_false(s.is_dir[k]);
	assert_true((k = seen_find(&s, "\xe4\xb8\xad\xe6\x96\x87\xe7\x9b\xae"
	    "\xe5\xbd\x95")) >= 0);
	assert_true(s.is_dir[k]);
	for (i = 0; i < s.n; i++)
		free(s.names[i]);

	/* A callback's non-zero return stops the walk and is returned. */
	assert_int_equal(vol_list(vol, "/", stop_at_second, &n, NULL), 42);
	assert_int_equal(n, 2);
	assert_int_equal(vol_list(vol, "\xc3\x9cn\xc3\xaf" "code.txt", collect,
	    &s, NULL), -1);
	assert_int_equal(errno, ENOTDIR);

	vol_close(vol);
	free(root);
}

/* Replace in place: same inode, so the WinSxS hard link sees the new
 * bytes, both when the file grows and when it shrinks. */
static void
test_dir_replace_hardlink(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	struct stat	 before, after, lsb;
	char		*root, *a, *b, *cause = NULL;
	const char	*big = "new bytes, longer than the old ones";

	root = make_tree(vt);
	host_put(root, "Windows/System32/dot3gpui.dll", "old");
	host_put(root, "Windows/WinSxS/amd64_dot3gpui/keep", "");
	a = xprintf("%s/Windows/System32/dot3gpui.dll", root);
	b = xprintf("%s/Windows/WinSxS/amd64_dot3gpui/dot3gpui.dll", root);
	assert_int_equal(link(a, b), 0);
	assert_int_equal(stat(a, &before), 0);

	vol = open_dir(root, VOL_RDWR, NULL);
	assert_int_equal(vol_stat(vol, "windows/system32/DOT3GPUI.DLL", &sb,
	    NULL), 0);
	assert_int_equal(sb.nlink, 2);

	if (vol_file_replace(vol, "windows/system32/DOT3GPUI.DLL", big,
	    strlen(big), &cause) != 0)
		fail_msg("replace: %s", cause);
	assert_int_equal(stat(a, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_nlink, 2);
	assert_host_content(root,
	    "Windows/WinSxS/amd64_dot3gpui/dot3gpui.dll", big);
	assert_int_equal(stat(b, &lsb), 0);
	assert_int_equal(lsb.st_ino, before.st_ino);

	if (vol_file_replace(vol, "Windows/System32/dot3gpui.dll", "tiny", 4,
	    &cause) != 0)
		fail_msg("replace: %s", cause);
	assert_host_content(root,
	    "Windows/WinSxS/amd64_dot3gpui/dot3gpui.dll", "tiny");
	assert_int_equal(stat(a, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_size, 4);

	vol_close(vol);
	free(b);
	free(a);
	free(root);
}

static void
write_new(struct vol *vol, const char *path, const char *content)
{
	struct vol_file	*f;
	char		*cause = NULL;

	if ((f = vol_file_create(vol, path, &cause)) == NULL)
		fail_msg("create %s: %s", path, cause);
	assert_int_equal(vol_file_pwrite(f, content, strlen(content), 0),
	    (ssize_t)strlen(content));
	assert_int_equal(vol_file_size(f), strlen(content));
	if (vol_file_close(f, &cause) != 0)
		fail_msg("close %s: %s", path, cause);
}

static void
test_dir_create_rename_link_unlink(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct stat	 s1, s2;
	char		*root, *cause = NULL;

	root = make_tree(vt);
	vol = open_dir(root, VOL_RDWR, NULL);

	write_new(vol, "windows/New.txt", "fresh");
	assert_host_content(root, "Windows/New.txt", "fresh");
	assert_host_missing(root, "windows");	/* no second directory */

	/* Any case of an existing name is that name. */
	assert_null(vol_file_create(vol, "WINDOWS/NEW.TXT", &cause));
	assert_int_equal(errno, EEXIST);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_host_missing(root, "Windows/NEW.TXT");
	assert_host_content(root, "Windows/New.txt", "fresh");

	/* Names Windows could not open are refused. */
	assert_null(vol_file_create(vol, "Windows/a:b", NULL));
	assert_int_equal(errno, EINVAL);
	assert_null(vol_file_create(vol, "Windows/trailing.", NULL));
	assert_int_equal(errno, EINVAL);
	assert_host_missing(root, "Windows/a:b");
	assert_null(vol_file_create(vol, "Windows/NoSuchDir/x", NULL));
	assert_int_equal(errno, ENOENT);

	if (vol_mkdir_p(vol, "ntmend\\journal/1", &cause) != 0)
		fail_msg("mkdir_p: %s", cause);
	assert_int_equal(host_stat(root, "ntmend/journal/1", &s1), 0);
	assert_true(S_ISDIR(s1.st_mode));
	assert_int_equal(vol_mkdir_p(vol, "NTMEND/Journal", NULL), 0);
	assert_host_missing(root, "NTMEND");

	/* Rename into another directory. */
	if (vol_rename(vol, "WINDOWS/new.TXT", "ntmend/journal/Moved.txt",
	    &cause) != 0)
		fail_msg("rename: %s", cause);
	assert_host_missing(root, "Windows/New.txt");
	assert_host_content(root, "ntmend/journal/Moved.txt", "fresh");

	/* Onto an existing name: refused, both unchanged. */
	host_put(root, "ntmend/journal/other.txt", "other");
	assert_int_equal(vol_rename(vol, "ntmend/journal/moved.txt",
	    "NTMEND/JOURNAL/OTHER.TXT", &cause), -1);
	assert_int_equal(errno, EEXIST);
	free(cause);
	cause = NULL;
	assert_host_content(root, "ntmend/journal/Moved.txt", "fresh");
	assert_host_content(root, "ntmend/journal/other.txt", "other");

	/* Only the case changes. */
	if (vol_rename(vol, "ntmend/journal/moved.txt",
	    "ntmend/journal/MOVED.TXT", &cause) != 0)
		fail_msg("rename case: %s", cause);
	assert_host_missing(root, "ntmend/journal/Moved.txt");
	assert_host_content(root, "ntmend/journal/MOVED.TXT", "fresh");

	/* A hard link, then one name of it deleted. */
	if (vol_link(vol, "ntmend/journal/moved.txt", "Windows/Linked.txt",
	    &cause) != 0)
		fail_msg("link: %s", cause);
	assert_int_equal(host_stat(root, "ntmend/journal/MOVED.TXT", &s1), 0);
	assert_int_equal(host_stat(root, "Windows/Linked.txt", &s2), 0);
	assert_int_equal(s1.st_ino, s2.st_ino);
	assert_int_equal(s1.st_nlink, 2);
	assert_int_equal(vol_link(vol, "ntmend/journal/moved.txt",
	    "ntmend/journal/other.TXT", NULL), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(vol_link(vol, "ntmend", "Windows/dirlink", NULL), -1);
	assert_int_equal(errno, EPERM);

	if (vol_unlink(vol, "WINDOWS/LINKED.TXT", &cause) != 0)
		fail_msg("unlink: %s", cause);
	assert_host_missing(root, "Windows/Linked.txt");
	assert_int_equal(host_stat(root, "ntmend/journal/MOVED.TXT", &s1), 0);
	assert_int_equal(s1.st_nlink, 1);

	/* A directory goes only when empty. */
	assert_int_equal(vol_unlink(vol, "ntmend/journal", NULL), -1);
	assert_int_equal(errno, ENOTEMPTY);
	assert_int_equal(vol_unlink(vol, "ntmend/journal/1", NULL), 0);
	assert_host_missing(root, "ntmend/journal/1");
	assert_int_equal(vol_unlink(vol, "ntmend/journal/nothing", NULL), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(vol_sync(vol, NULL), 0);
	vol_close(vol);
	free(root);
}

/* A symbolic link (a junction as a mount shows it) is never followed,
 * so nothing outside the volume can be reached through it. */
static void
test_dir_symlink_not_followed(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*root, *outside, *lnk;

	root = make_tree(vt);
	outside = vt_path(vt, "outside");
	assert_int_equal(mkdir(outside, 0755), 0);
	host_put(outside, "secret.txt", "secret");
	lnk = xprintf("%s/Documents and Settings", root);
	assert_int_equal(symlink(outside, lnk), 0);

	vol = open_dir(root, VOL_RDWR, NULL);
	assert_int_equal(vol_stat(vol, "documents and settings", &sb, NULL),
	    0);
	assert_false(sb.is_dir);
	assert_true(sb.attrs & VOL_ATTR_REPARSE);
	assert_false(vol_exists(vol, "Documents and Settings/secret.txt"));
	assert_int_equal(errno, ENOTDIR);
	assert_null(vol_file_open(vol, "Documents and Settings", VOL_O_RDONLY,
	    NULL));
	assert_null(vol_file_create(vol, "Documents and Settings/new", NULL));
	assert_host_missing(outside, "new");
	vol_close(vol);

	free(lnk);
	free(outside);
	free(root);
}

/* Opened read-only, nothing can be changed and nothing is. */
static void
test_dir_readonly(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	char		*root, *cause = NULL, *listing;
	uint8_t		 sd[20];

	root = make_tree(vt);
	host_put(root, "Windows/System32/a.dll", "original");
	vol = open_dir(root, VOL_RDONLY, NULL);

	assert_int_equal(vol_file_replace(vol, "windows/system32/a.dll", "x",
	    1, &cause), -1);
	assert_int_equal(errno, EROFS);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	assert_null(vol_file_open(vol, "windows/system32/a.dll", VOL_O_RDWR,
	    &cause));
	assert_int_equal(errno, EROFS);
	free(cause);
	cause = NULL;
	assert_null(vol_file_create(vol, "Windows/new.txt", NULL));
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol_mkdir_p(vol, "ntmend/journal", NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol_rename(vol, "Windows/System32/a.dll",
	    "Windows/b.dll", NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol_link(vol, "Windows/System32/a.dll",
	    "Windows/b.dll", NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol_unlink(vol, "Windows/System32/a.dll", NULL), -1);
	assert_int_equal(errno, EROFS);
	memset(sd, 0, sizeof sd);
	assert_int_equal(vol_sd_set(vol, "Windows/System32/a.dll", sd,
	    sizeof sd, NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol_attrs_set(vol, "Windows/System32/a.dll",
	    VOL_ATTR_HIDDEN, NULL), -1);
	assert_int_equal(errno, EROFS);
	vol_close(vol);

	assert_host_content(root, "Windows/System32/a.dll", "original");
	listing = vt_sh_out(vt, "cd '%s' && find . | sort | tr '\\n' ' '",
	    root);
	assert_string_equal(listing, ". ./Windows ./Windows/System32 "
	    "./Windows/System32/a.dll ./Windows/System32/config "
	    "./Windows/System32/config/SYSTEM ");
	free(listing);
	free(root);
}

/*
 * The public functions refuse first; the backend refuses on its own too
 * (for callers inside the layer), with a cause that says why.
 */
static void
test_dir_backend_refuses(void **state)
{
	struct vt		*vt = *state;
	struct vol		*vol;
	struct vol_file		 f;
	const char		*file[] = { "windows", "system32", "A.DLL" };
	const char		*other[] = { "Windows", "b.dll" };
	const char		*dir[] = { "ntmend" };
	char			*root, *cause = NULL;
	uint8_t			 sd[20];

	root = make_tree(vt);
	host_put(root, "Windows/System32/a.dll", "original");
	vol = open_dir(root, VOL_RDONLY, NULL);
	memset(&f, 0, sizeof f);
	f.vol = vol;
	f.writable = 1;

	assert_int_equal(vol->ops->file_open(vol, file, 3, VOL_O_RDWR, &f,
	    &cause), -1);
	assert_int_equal(errno, EROFS);
	assert_non_null(strstr(cause, "read-only"));
	free(cause);
	cause = NULL;
	assert_int_equal(vol->ops->file_create(vol, other, 2, &f, NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol->ops->mkdir(vol, dir, 1, NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol->ops->rename(vol, file, 3, other, 2, NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol->ops->link(vol, file, 3, other, 2, NULL), -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol->ops->unlink(vol, file, 3, NULL), -1);
	assert_int_equal(errno, EROFS);
	memset(sd, 0, sizeof sd);
	assert_int_equal(vol->ops->sd_set(vol, file, 3, sd, sizeof sd, NULL),
	    -1);
	assert_int_equal(errno, EROFS);
	assert_int_equal(vol->ops->attrs_set(vol, file, 3, VOL_ATTR_HIDDEN,
	    NULL), -1);
	assert_int_equal(errno, EROFS);
	vol_close(vol);

	assert_host_content(root, "Windows/System32/a.dll", "original");
	assert_host_missing(root, "Windows/b.dll");
	assert_host_missing(root, "ntmend");
	free(root);
}

/* hiberfil.sys beginning "HIBR": hibernated; writing is refused unless
 * the operator discards the session, which deletes the file. */
static void
test_dir_hibernated(void **state)
{
	struct vt	*vt = *state;
	struct vol_where w;
	struct vol	*vol;
	unsigned	 st = 0;
	char		*root, *hib, *cause = NULL;

	root = make_tree(vt);
	host_put(root, "HiberFil.sys", "HIBR\1\2\3\4 saved session");

	vol = open_dir(root, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_HIBERNATED | VOL_READONLY);
	assert_string_equal(vol_hiber_signature(vol), "HIBR");
	vol_close(vol);

	memset(&w, 0, sizeof w);
	w.path = root;
	w.is_dir = 1;
	vol = (struct vol *)1;
	assert_int_equal(vol_open(&w, VOL_RDWR, &vol, &st, &cause), -1);
	assert_null(vol);
	assert_true(st & VOL_HIBERNATED);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "hibernated"));
	free(cause);
	cause = NULL;
	assert_host_content(root, "HiberFil.sys",
	    "HIBR\1\2\3\4 saved session");

	if (vol_open(&w, VOL_RDWR | VOL_DISCARD_HIBERNATION, &vol, &st,
	    &cause) != 0)
		fail_msg("vol_open: %s", cause);
	assert_int_equal(st, 0);
	assert_string_equal(vol_hiber_signature(vol), "");
	assert_host_missing(root, "HiberFil.sys");
	vol_close(vol);

	/* A hiberfil.sys of zeros is what a full shutdown leaves. */
	host_put(root, "hiberfil.sys", "");
	hib = xprintf("%s/hiberfil.sys", root);
	assert_int_equal(truncate(hib, 4096), 0);
	free(hib);
	vol = open_dir(root, VOL_RDWR, &st);
	assert_int_equal(st, 0);
	vol_close(vol);
	free(root);
}

/* The security descriptor on a real ntfs-3g mount is the bytes ntfs-3g
 * shows as system.ntfs_acl; set on another file, it reads back there. */
static void
test_dir_fuse_sd(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	void		*sd, *sd2;
	size_t		 len, len2;
	char		*img, *mnt, *hex, *want, *cause = NULL;
	unsigned	 st;

	img = vt_mkntfs(vt, "p.img", 32, "Windows");
	mnt = vt_fuse_mount(vt, img);
	host_put(mnt, "Windows/System32/config/SYSTEM", "regf");
	host_put(mnt, "Windows/other.txt", "other");

	vol = open_dir(mnt, VOL_RDWR, &st);
	assert_int_equal(st, 0);
	assert_int_equal(vol_is_windows(vol), 1);
	if (vol_sd_get(vol, "windows/system32/config/system", &sd, &len,
	    &cause) != 0)
		fail_msg("sd_get: %s", cause);
	hex = vt_sh_out(vt, "getfattr --absolute-names --only-values -e hex "
	    "-n system.ntfs_acl '%s/Windows/System32/config/SYSTEM' | "
	    "od -An -tx1 -v | tr -d ' \\n'", mnt);
	want = hex_encode(sd, len);
	assert_true(len >= 20);			/* a header at least */
	assert_int_equal(((uint8_t *)sd)[0], 1);	/* revision 1 */
	assert_string_equal(want, hex);
	free(want);
	free(hex);

	/* Directories have one too. */
	if (vol_sd_get(vol, "WINDOWS", &sd2, &len2, &cause) != 0)
		fail_msg("sd_get dir: %s", cause);
	free(sd2);

	if (vol_sd_set(vol, "Windows/OTHER.TXT", sd, len, &cause) != 0)
		fail_msg("sd_set: %s", cause);
	hex = vt_sh_out(vt, "getfattr --absolute-names --only-values "
	    "-n system.ntfs_acl '%s/Windows/other.txt' | od -An -tx1 -v | "
	    "tr -d ' \\n'", mnt);
	want = hex_encode(sd, len);
	assert_string_equal(want, hex);
	free(want);
	free(hex);
	free(sd);

	/* Attributes through system.ntfs_attrib_be. */
	assert_int_equal(vol_stat(vol, "windows/other.txt", &sb, NULL), 0);
	assert_int_equal(sb.attrs, VOL_ATTR_ARCHIVE);
	if (vol_attrs_set(vol, "windows/other.txt", VOL_ATTR_HIDDEN |
	    VOL_ATTR_SYSTEM, &cause) != 0)
		fail_msg("attrs_set: %s", cause);
	hex = vt_sh_out(vt, "getfattr --absolute-names --only-values "
	    "-n system.ntfs_attrib_be '%s/Windows/other.txt' | od -An -tx1 | "
	    "tr -d ' \\n'", mnt);
	assert_string_equal(hex, "00000006");
	free(hex);
	assert_int_equal(vol_stat(vol, "windows/other.txt", &sb, NULL), 0);
	assert_int_equal(sb.attrs, VOL_ATTR_HIDDEN | VOL_ATTR_SYSTEM);

	/* Case-insensitive lookups on a mount that is itself
	 * case-sensitive for these names. */
	hex = vol_path_canonical(vol, "WINDOWS/SYSTEM32", &cause);
	assert_string_equal(hex, "Windows\\System32");
	free(hex);
	vol_close(vol);

	vt_umount(vt);
	free(img);
}

/* A plain Linux directory has no NTFS metadata: ENOTSUP with a cause
 * that says what to do. */
static void
test_dir_no_xattrs(void **state)
{
	struct vt	*vt = *state;
	struct vol	*vol;
	void		*sd;
	size_t		 len;
	char		*root, *cause = NULL;

	root = make_tree(vt);
	vol = open_dir(root, VOL_RDWR, NULL);
	assert_int_equal(vol_sd_get(vol, "windows/system32/config/system",
	    &sd, &len, &cause), -1);
	assert_int_equal(errno, ENOTSUP);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "ntfs-3g"));
	free(cause);
	cause = NULL;
	assert_int_equal(vol_attrs_set(vol, "windows", VOL_ATTR_HIDDEN,
	    &cause), -1);
	assert_int_equal(errno, ENOTSUP);
	free(cause);
	vol_close(vol);
	free(root);
}

/* A read-only mount: opened for writing it is refused, opened for
 * reading it is read-only. */
static void
test_dir_readonly_mount(void **state)
{
	struct vt	*vt = *state;
	struct vol_where w;
	struct vol	*vol;
	unsigned	 st = 0;
	char		*img, *mnt, *cause = NULL;

	img = vt_mkntfs(vt, "p.img", 32, "Windows");
	vt->mnt = vt_path(vt, "mnt");
	vt_sh(vt, "mkdir -p '%s' && ntfs-3g -o ro '%s' '%s'", vt->mnt, img,
	    vt->mnt);
	mnt = vt->mnt;

	memset(&w, 0, sizeof w);
	w.path = mnt;
	w.is_dir = 1;
	assert_int_equal(vol_open(&w, VOL_RDWR, &vol, &st, &cause), -1);
	assert_int_equal(errno, EROFS);
	assert_true(st & VOL_READONLY);
	assert_non_null(strstr(cause, "read-only"));
	free(cause);

	vol = open_dir(mnt, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_READONLY);
	vol_close(vol);
	vt_umount(vt);
	free(img);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_case_insensitive,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_unicode, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_replace_hardlink,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dir_create_rename_link_unlink, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_symlink_not_followed,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_readonly, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_backend_refuses,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_hibernated, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_fuse_sd, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_no_xattrs, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_dir_readonly_mount,
		    vt_setup, vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
