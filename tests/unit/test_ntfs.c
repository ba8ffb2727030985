/*
 * test_ntfs.c: the libntfs-3g backend of the volume layer on real NTFS
 * images, made by mkntfs in a fresh temp directory for each test and
 * filled through ntfs-3g's FUSE driver. What the layer did is read back
 * independently, never through the layer itself: through the FUSE driver
 * (bytes, inode numbers, which are MFT record numbers, and the raw
 * security descriptor in system.ntfs_acl), through ntfsinfo (the namespace
 * of each name in the MFT record and in the directory index), and with
 * sha256sum over the image (a read-only volume changes no byte).
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/mst.h>
#include <ntfs-3g/volume.h>

#include "ntfs/ntfs.h"
#include "ntfs/private.h"
#include "util/util.h"

#define MIB	(1024ULL * 1024)

struct nt {
	char	*dir;		/* fresh temp directory */
	char	*mnt;		/* FUSE mount point */
	int	 mounted;
};

/* Run a shell command with its output in a log printed on failure. */
static int NTM_PRINTF(2, 3)
nt_sh(struct nt *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *full, *log, *out;
	size_t	 len;
	int	 st;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	log = xprintf("%s/.sh.log", t->dir);
	full = xprintf("( %s ) >'%s' 2>&1", cmd, log);
	st = system(full);
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (st != 0) {
		fprintf(stderr, "# command exited %d: %s\n", st, cmd);
		if (file_read_all(log, 1 << 16, (void **)&out, &len,
		    NULL) == 0) {
			fprintf(stderr, "# %s\n", out);
			free(out);
		}
	}
	free(full);
	free(log);
	free(cmd);
	return st;
}

/* Run a command that must succeed; return its stdout (caller frees). */
static char * NTM_PRINTF(2, 3)
nt_out(struct nt *t, const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd, *full, *path, *out;
	size_t	 len;
	int	 st;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	path = xprintf("%s/.out", t->dir);
	full = xprintf("( %s ) >'%s' 2>/dev/null", cmd, path);
	st = system(full);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("command failed: %s", cmd);
	if (file_read_all(path, 64 << 20, (void **)&out, &len, NULL) != 0)
		fail_msg("no output from %s", cmd);
	free(full);
	free(path);
	free(cmd);
	return out;
}

static char *
nt_path(struct nt *t, const char *name)
{
	return xprintf("%s/%s", t->dir, name);
}

/* A fresh NTFS image of mb MiB; caller frees the path. */
static char *
nt_mkimg(struct nt *t, const char *name, unsigned mb)
{
	char	*img = nt_path(t, name);

	assert_int_equal(nt_sh(t, "truncate -s %uM '%s' && mkntfs -F -Q -L "
	    "Windows '%s'", mb, img, img), 0);
	return img;
}

static void
nt_mount(struct nt *t, const char *img, int rw)
{
	assert_false(t->mounted);
	assert_int_equal(nt_sh(t, "ntfs-3g -o %s '%s' '%s'", rw ? "rw" : "ro",
	    img, t->mnt), 0);
	t->mounted = 1;
}

static void
nt_umount(struct nt *t)
{
	if (!t->mounted)
		return;
	assert_int_equal(nt_sh(t, "fusermount -u '%s'", t->mnt), 0);
	t->mounted = 0;
}

/* A path under the FUSE mount point; caller frees. */
static char *
nt_m(struct nt *t, const char *rel)
{
	return xprintf("%s/%s", t->mnt, rel);
}

static uint64_t
nt_ino(struct nt *t, const char *rel)
{
	struct stat	 sb;
	char		*p = nt_m(t, rel);

	if (stat(p, &sb) != 0)
		fail_msg("stat %s: %s", p, strerror(errno));
	free(p);
	return (uint64_t)sb.st_ino;
}

static int
nt_mexists(struct nt *t, const char *rel)
{
	struct stat	 sb;
	char		*p = nt_m(t, rel);
	int		 r;

	r = lstat(p, &sb) == 0;
	free(p);
	return r;
}

/* Bytes of a file under the FUSE mount; caller frees. */
static char *
nt_mread(struct nt *t, const char *rel, size_t *lenp)
{
	char	*p = nt_m(t, rel), *buf, *cause = NULL;
	size_t	 len;

	if (file_read_all(p, 64 << 20, (void **)&buf, &len, &cause) != 0)
		fail_msg("%s", cause);
	free(p);
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

static void
nt_mwrite(struct nt *t, const char *rel, const void *buf, size_t len)
{
	char	*p = nt_m(t, rel), *cause = NULL;

	if (file_write_all(p, buf, len, &cause) != 0)
		fail_msg("%s", cause);
	free(p);
}

static char *
nt_sha(struct nt *t, const char *file)
{
	char	*out = nt_out(t, "sha256sum '%s'", file);

	out[64] = '\0';
	return out;
}

/* Hex of a FUSE extended attribute (getfattr -e hex), "" if none;
 * caller frees. */
static uint8_t *
nt_xattr(struct nt *t, const char *rel, const char *name, size_t *lenp)
{
	char	*out, *hex;
	uint8_t	*buf;
	size_t	 n, i;

	out = nt_out(t, "getfattr --only-values -e hex -n %s '%s/%s' | "
	    "od -An -tx1 -v | tr -d ' \\n'", name, t->mnt, rel);
	hex = out;
	n = strlen(hex) / 2;
	buf = xmalloc(n + 1);
	for (i = 0; i < n; i++) {
		unsigned	v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			fail_msg("bad hex from getfattr: %s", hex);
		buf[i] = (uint8_t)v;
	}
	free(out);
	*lenp = n;
	return buf;
}

static struct vol *
nt_open_at(const char *img, uint64_t off, uint64_t size, int index,
    int flags, unsigned *state)
{
	struct vol_where	 w;
	struct vol		*vol = NULL;
	unsigned		 st = 0;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = img;
	w.offset = off;
	w.size = size;
	w.index = index;
	if (vol_open(&w, flags, &vol, &st, &cause) != 0)
		fail_msg("vol_open %s: %s", img, cause);
	if (state != NULL)
		*state = st;
	return vol;
}

static struct vol *
nt_open(const char *img, int flags)
{
	return nt_open_at(img, 0, 0, 0, flags, NULL);
}

/* An open that must fail; returns the cause (caller frees). */
static char *
nt_open_fails(const char *img, uint64_t off, uint64_t size, int flags,
    unsigned *state)
{
	struct vol_where	 w;
	struct vol		*vol = NULL;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = img;
	w.offset = off;
	w.size = size;
	if (vol_open(&w, flags, &vol, state, &cause) == 0)
		fail_msg("vol_open %s succeeded", img);
	assert_null(vol);
	assert_non_null(cause);
	return cause;
}

static void
nt_write_file(struct vol *vol, const char *path, const void *buf, size_t len)
{
	struct vol_file	*f;
	char		*cause = NULL;

	if ((f = vol_file_create(vol, path, &cause)) == NULL)
		fail_msg("create %s: %s", path, cause);
	assert_int_equal(vol_file_pwrite(f, buf, len, 0), (ssize_t)len);
	if (vol_file_close(f, &cause) != 0)
		fail_msg("close %s: %s", path, cause);
}

static int
nt_contains(const char *hay, const char *needle)
{
	if (strstr(hay, needle) != NULL)
		return 1;
	fprintf(stderr, "# \"%s\" not in: %s\n", needle, hay);
	return 0;
}

/* The namespaces ntfsinfo shows for name in the MFT record of path and in
 * the index of its parent: "Win32 Win32" for a good name. */
static char *
nt_namespaces(struct nt *t, const char *img, const char *parent,
    const char *name)
{
	char	*rec, *idx, *out;

	rec = nt_out(t, "ntfsinfo -F '%s/%s' '%s' | grep -B3 "
	    "\"Filename:.*'%s'\" | sed -n 's/.*Namespace:[[:space:]]*//p'",
	    parent, name, img, name);
	idx = nt_out(t, "ntfsinfo -v -F '%s' '%s' | sed -n "
	    "'/INDEX_ROOT\\|INDEX_ALLOCATION\\|Dumping index block/,$p' | "
	    "grep -B1 \"Filename:.*'%s'\" | "
	    "sed -n 's/.*Namespace:[[:space:]]*//p'", parent[0] ? parent :
	    "/", img, name);
	rec[strcspn(rec, "\n")] = '\0';
	idx[strcspn(idx, "\n")] = '\0';
	out = xprintf("%s %s", rec, idx);
	free(rec);
	free(idx);
	return out;
}

/* Security descriptors: building and reading DACL entries. */

struct nt_sd {
	uint8_t	 b[512];
	size_t	 len;
};

static size_t
nt_sid(uint8_t *p, const char *s)
{
	unsigned long	 v[10] = { 0 };
	int		 n = 0, i;
	const char	*q = s + 2;	/* "S-" */
	char		*end;

	while (*q != '\0' && n < 10) {
		v[n++] = strtoul(q, &end, 10);
		q = *end == '-' ? end + 1 : end;
	}
	/* v[0] revision, v[1] authority, v[2..] sub-authorities */
	p[0] = (uint8_t)v[0];
	p[1] = (uint8_t)(n - 2);
	memset(p + 2, 0, 6);
	p[7] = (uint8_t)v[1];
	for (i = 2; i < n; i++)
		le32enc(p + 8 + 4 * (i - 2), (uint32_t)v[i]);
	return 8 + 4 * (size_t)(n - 2);
}

/* A self-relative descriptor: owner, group, and a DACL of aces given as
 * triples (flags, mask, sid). */
static void
nt_sd_build(struct nt_sd *sd, uint16_t control, const char *owner,
    const char *group, int naces, ...)
{
	va_list	 ap;
	size_t	 off = 20, acl, ace;
	int	 i;

	memset(sd, 0, sizeof *sd);
	sd->b[0] = 1;
	le16enc(sd->b + 2, control);
	le32enc(sd->b + 4, (uint32_t)off);
	off += nt_sid(sd->b + off, owner);
	le32enc(sd->b + 8, (uint32_t)off);
	off += nt_sid(sd->b + off, group);
	acl = off;
	le32enc(sd->b + 16, (uint32_t)acl);
	sd->b[acl] = 2;
	off += 8;
	va_start(ap, naces);
	for (i = 0; i < naces; i++) {
		unsigned	 flags = va_arg(ap, unsigned);
		uint32_t	 mask = va_arg(ap, uint32_t);
		const char	*sid = va_arg(ap, const char *);

		ace = off;
		sd->b[ace] = 0;		/* ACCESS_ALLOWED */
		sd->b[ace + 1] = (uint8_t)flags;
		le32enc(sd->b + ace + 4, mask);
		off += 8 + nt_sid(sd->b + ace + 8, sid);
		le16enc(sd->b + ace + 2, (uint16_t)(off - ace));
	}
	va_end(ap);
	le16enc(sd->b + acl + 2, (uint16_t)(off - acl));
	le16enc(sd->b + acl + 4, (uint16_t)naces);
	sd->len = off;
}

/* Find the DACL entry for sid; its flags and mask. */
static int
nt_sd_ace(const uint8_t *sd, size_t len, const char *sid, unsigned *flags,
    uint32_t *mask)
{
	uint8_t		 want[64];
	size_t		 wlen, acl, off, end;
	unsigned	 n, i, sz;

	wlen = nt_sid(want, sid);
	assert_true(len >= 20);
	acl = le32dec(sd + 16);
	if (acl == 0)
		return 0;
	assert_true(acl + 8 <= len);
	end = acl + le16dec(sd + acl + 2);
	assert_true(end <= len);
	n = le16dec(sd + acl + 4);
	off = acl + 8;
	for (i = 0; i < n; i++) {
		assert_true(off + 8 <= end);
		sz = le16dec(sd + off + 2);
		assert_true(sz >= 8 && off + sz <= end);
		if (sz - 8 == wlen && memcmp(sd + off + 8, want, wlen) == 0) {
			*flags = sd[off + 1];
			*mask = le32dec(sd + off + 4);
			return 1;
		}
		off += sz;
	}
	return 0;
}

static void
nt_set_acl(struct nt *t, const char *rel, const struct nt_sd *sd)
{
	char	*hex = hex_encode(sd->b, sd->len), *p = nt_m(t, rel);

	assert_int_equal(nt_sh(t, "setfattr -n system.ntfs_acl -v 0x%s '%s'",
	    hex, p), 0);
	free(p);
	free(hex);
}

static int
nt_setup(void **state)
{
	struct nt	*t = xcalloc(1, sizeof *t);
	char		*cause = NULL;

	if ((t->dir = tmpdir_create("ntmend-test-ntfs", &cause)) == NULL)
		fail_msg("%s", cause);
	t->mnt = nt_path(t, "mnt");
	if (mkdir(t->mnt, 0700) != 0)
		fail_msg("mkdir %s: %s", t->mnt, strerror(errno));
	*state = t;
	return 0;
}

static int
nt_teardown(void **state)
{
	struct nt	*t = *state;
	char		*cmd;

	if (t->mounted) {
		cmd = xprintf("fusermount -u '%s' 2>/dev/null", t->mnt);
		if (system(cmd) != 0)
			fprintf(stderr, "# could not unmount %s\n", t->mnt);
		free(cmd);
	}
	tmpdir_remove(t->dir);
	free(t->mnt);
	free(t->dir);
	free(t);
	return 0;
}

/* Tests. */

static void
test_path_split(void **state)
{
	char	**comp, *cause = NULL, *j;
	size_t	  n;

	(void)state;
	assert_int_equal(vol_path_split("\\Windows/System32\\\\config/./SYSTEM",
	    &comp, &n, &cause), 0);
	assert_int_equal(n, 4);
	assert_string_equal(comp[0], "Windows");
	assert_string_equal(comp[1], "System32");
	assert_string_equal(comp[2], "config");
	assert_string_equal(comp[3], "SYSTEM");
	j = vol_path_join((const char *const *)comp, n);
	assert_string_equal(j, "Windows\\System32\\config\\SYSTEM");
	free(j);
	free(comp);

	assert_int_equal(vol_path_split("", &comp, &n, &cause), 0);
	assert_int_equal(n, 0);
	j = vol_path_join((const char *const *)comp, n);
	assert_string_equal(j, "");
	free(j);
	free(comp);
	assert_int_equal(vol_path_split("/", &comp, &n, &cause), 0);
	assert_int_equal(n, 0);
	free(comp);

	/* Nothing may climb out of the volume root, however it is put. */
	errno = 0;
	assert_int_equal(vol_path_split("Windows\\..\\..\\etc", &comp, &n,
	    &cause), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(nt_contains(cause, ".."));
	free(cause);
	cause = NULL;
	assert_int_equal(vol_path_split("../x", &comp, &n, &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_path_split("a/..", &comp, &n, &cause), -1);
	free(cause);
	cause = NULL;
	/* "..." is a name (a valid one to NTFS), not a parent. */
	assert_int_equal(vol_path_split("a/.../b", &comp, &n, &cause), 0);
	assert_int_equal(n, 3);
	assert_string_equal(comp[1], "...");
	free(comp);
}

static void
test_dotdot_on_volume(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*img, *cause = NULL;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir -p '%s/Windows/System32'", t->mnt),
	    0);
	nt_umount(t);
	vol = nt_open(img, VOL_RDWR);
	assert_int_equal(vol_stat(vol, "Windows/System32/../..", &sb,
	    &cause), -1);
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_null(vol_file_create(vol, "Windows\\..\\escape.txt", &cause));
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_mkdir_p(vol, "..\\up", &cause), -1);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_stat(vol, "\\\\Windows//./System32", &sb,
	    &cause), 0);
	assert_true(sb.is_dir);
	vol_close(vol);
	free(img);
}

/*
 * A GPT disk image with the NTFS partition at 1 MiB and a second partition
 * after it: the offset device reads and writes the first only, and not a
 * byte outside it changes.
 */
static void
test_offset_gpt(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_file	*f;
	uint64_t	 start = 2048, sectors = 65536, off, size;
	char		*disk, *part, *copy, *cause = NULL, *s1, *s2, *a1, *a2;
	char		*buf, *got, *name;
	uint8_t		*big;
	size_t		 len, i;
	unsigned	 st;

	disk = nt_path(t, "disk.img");
	part = nt_path(t, "p.img");
	copy = nt_path(t, "copy.img");
	off = start * 512;
	size = sectors * 512;
	assert_int_equal(nt_sh(t, "truncate -s 64M '%s' && printf "
	    "'label: gpt\\nstart=%llu, size=%llu, type=EBD0A0A2-B9E5-4433-87C0-"
	    "68B6B72699C7\\nstart=%llu, size=8192, type=0FC63DAF-8483-4772-"
	    "8E79-3D69D8477DE4\\n' | sfdisk -q '%s'", disk,
	    (unsigned long long)start, (unsigned long long)sectors,
	    (unsigned long long)(start + sectors), disk), 0);
	/* Something recognisable in the second partition. */
	assert_int_equal(nt_sh(t, "yes ntmend-partition-2 | head -c 4M | dd "
	    "of='%s' bs=512 seek=%llu conv=notrunc status=none", disk,
	    (unsigned long long)(start + sectors)), 0);
	assert_int_equal(nt_sh(t, "truncate -s %llu '%s' && mkntfs -F -Q -L "
	    "Windows '%s'", (unsigned long long)size, part, part), 0);
	nt_mount(t, part, 1);
	assert_int_equal(nt_sh(t, "mkdir -p '%s/Windows/System32/config' && "
	    "printf 'regf-hive-bytes' > '%s/Windows/System32/config/SYSTEM'",
	    t->mnt, t->mnt), 0);
	nt_umount(t);
	assert_int_equal(nt_sh(t, "dd if='%s' of='%s' bs=512 seek=%llu "
	    "conv=notrunc status=none", part, disk,
	    (unsigned long long)start), 0);
	s1 = nt_out(t, "head -c %llu '%s' | sha256sum",
	    (unsigned long long)off, disk);
	a1 = nt_out(t, "tail -c +%llu '%s' | sha256sum",
	    (unsigned long long)(off + size + 1), disk);

	/* Read-only through the offset. */
	vol = nt_open_at(disk, off, size, 1, VOL_RDONLY, &st);
	name = xprintf("%s@1", disk);
	assert_string_equal(vol_name(vol), name);
	free(name);
	assert_string_equal(vol_label(vol), "Windows");
	assert_true(st & VOL_READONLY);
	if (vol_file_read_all(vol, "windows\\system32\\CONFIG\\system", 1024,
	    (void **)&buf, &len, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(len, 15);
	assert_memory_equal(buf, "regf-hive-bytes", 15);
	free(buf);
	vol_close(vol);

	/* Read-write: a replaced file and a new one spanning clusters. */
	vol = nt_open_at(disk, off, size, 1, VOL_RDWR, &st);
	if (vol_file_replace(vol, "Windows\\System32\\config\\SYSTEM",
	    "new hive", 8, &cause) != 0)
		fail_msg("%s", cause);
	if (vol_mkdir_p(vol, "Windows\\Temp", &cause) != 0)
		fail_msg("%s", cause);
	big = xmalloc(300000);
	for (i = 0; i < 300000; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	if ((f = vol_file_create(vol, "Windows\\Temp\\big.bin", &cause)) ==
	    NULL)
		fail_msg("%s", cause);
	assert_int_equal(vol_file_pwrite(f, big, 300000, 0), 300000);
	assert_int_equal(vol_file_close(f, &cause), 0);
	vol_close(vol);

	/* Nothing outside the partition changed. */
	s2 = nt_out(t, "head -c %llu '%s' | sha256sum",
	    (unsigned long long)off, disk);
	a2 = nt_out(t, "tail -c +%llu '%s' | sha256sum",
	    (unsigned long long)(off + size + 1), disk);
	assert_string_equal(s1, s2);
	assert_string_equal(a1, a2);

	/* The partition, cut out and mounted by ntfs-3g, has the bytes. */
	assert_int_equal(nt_sh(t, "dd if='%s' of='%s' bs=512 skip=%llu "
	    "count=%llu status=none", disk, copy, (unsigned long long)start,
	    (unsigned long long)sectors), 0);
	nt_mount(t, copy, 0);
	got = nt_mread(t, "Windows/System32/config/SYSTEM", &len);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "new hive", 8);
	free(got);
	got = nt_mread(t, "Windows/Temp/big.bin", &len);
	assert_int_equal(len, 300000);
	assert_memory_equal(got, big, 300000);
	free(got);
	nt_umount(t);

	/* A partition said to reach past the end of the image. */
	free(cause);
	cause = nt_open_fails(disk, off, 128 * MIB, VOL_RDONLY, &st);
	assert_true(nt_contains(cause, "past the end"));
	free(cause);

	free(big);
	free(s1);
	free(s2);
	free(a1);
	free(a2);
	free(copy);
	free(part);
	free(disk);
}

static void
test_lookup_case_unicode(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*img, *cause = NULL, *buf, *c;
	size_t		 len;
	uint64_t	 ino_hosts, ino_u, ino_zh;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Windows/System32/"
	    "drivers/etc 'Ünïcode' '中文目录' && printf '127.0.0.1 localhost' > "
	    "Windows/System32/drivers/etc/hosts && printf umlaut > "
	    "'Ünïcode/Ünïcode.txt' && printf zhong > '中文目录/文件.txt' && "
	    "setfattr -n system.ntfs_dos_name -v 'UNICOD~1.TXT' "
	    "'Ünïcode/Ünïcode.txt'", t->mnt), 0);
	ino_hosts = nt_ino(t, "Windows/System32/drivers/etc/hosts");
	ino_u = nt_ino(t, "Ünïcode/Ünïcode.txt");
	ino_zh = nt_ino(t, "中文目录/文件.txt");
	nt_umount(t);

	vol = nt_open(img, VOL_RDONLY);
	/* ASCII in any case. */
	assert_int_equal(vol_stat(vol, "WINDOWS\\system32\\DRIVERS\\Etc\\HOSTS",
	    &sb, &cause), 0);
	assert_int_equal(sb.ino, ino_hosts);
	assert_int_equal(sb.size, 19);
	/* Non-ASCII: $UpCase maps ü to Ü and ï to Ï. */
	assert_int_equal(vol_stat(vol, "üNÏCODE/ÜNÏCODE.TXT", &sb, &cause), 0);
	assert_int_equal(sb.ino, ino_u);
	/* The DOS alias finds the file, and is not a link of its own. */
	assert_int_equal(vol_stat(vol, "ünïcode\\unicod~1.txt", &sb, &cause),
	    0);
	assert_int_equal(sb.ino, ino_u);
	assert_int_equal(sb.nlink, 1);
	c = vol_path_canonical(vol, "ÜNÏCODE\\UNICOD~1.TXT", &cause);
	assert_non_null(c);
	assert_string_equal(c, "Ünïcode\\Ünïcode.txt");
	free(c);
	/* Chinese: no case, found as is. */
	if (vol_file_read_all(vol, "中文目录/文件.txt", 100, (void **)&buf, &len,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "zhong", 5);
	free(buf);
	assert_int_equal(vol_stat(vol, "中文目录\\文件.TXT", &sb, &cause), 0);
	assert_int_equal(sb.ino, ino_zh);
	/* The real case of every component. */
	c = vol_path_canonical(vol, "windows/SYSTEM32/drivers/ETC/hosts",
	    &cause);
	assert_non_null(c);
	assert_string_equal(c, "Windows\\System32\\drivers\\etc\\hosts");
	free(c);
	/* Missing names. */
	errno = 0;
	assert_int_equal(vol_stat(vol, "Windows\\System32\\nothere.dll", &sb,
	    &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_true(nt_contains(cause, "nothere.dll"));
	free(cause);
	cause = NULL;
	assert_false(vol_exists(vol, "Windows\\System32\\drivers\\etc\\hosts\\x"));
	assert_false(vol_exists(vol, "Unicode"));
	assert_true(vol_exists(vol, "ünïcode"));
	vol_close(vol);
	free(img);
}

struct nt_names {
	char		**names;
	uint64_t	 *inos;
	int		 *dirs;
	size_t		  n;
};

static int
nt_collect(const struct vol_dirent *de, void *arg)
{
	struct nt_names	*c = arg;

	c->names = xreallocarray(c->names, c->n + 1, sizeof *c->names);
	c->inos = xreallocarray(c->inos, c->n + 1, sizeof *c->inos);
	c->dirs = xreallocarray(c->dirs, c->n + 1, sizeof *c->dirs);
	c->names[c->n] = xstrdup(de->name);
	c->inos[c->n] = de->ino;
	c->dirs[c->n] = de->is_dir;
	c->n++;
	return 0;
}

static void
nt_names_free(struct nt_names *c)
{
	size_t	i;

	for (i = 0; i < c->n; i++)
		free(c->names[i]);
	free(c->names);
	free(c->inos);
	free(c->dirs);
	memset(c, 0, sizeof *c);
}

static ssize_t
nt_find(struct nt_names *c, const char *name)
{
	size_t	i;

	for (i = 0; i < c->n; i++) {
		if (strcmp(c->names[i], name) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static double
nt_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

#define NT_BIG	3000

static void
test_big_directory(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	struct nt_names	 c;
	char		*img, *cause = NULL, *ls, *line, *p, name[64], *buf;
	uint64_t	*inos;
	size_t		 len, i;
	unsigned long	 ino, k;
	double		 t0, t1;

	img = nt_mkimg(t, "p.img", 64);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir '%s/WinSxS' && cd '%s/WinSxS' && "
	    "for i in $(seq 1 %d); do printf \"$i\" > "
	    "\"amd64_Component.Name_$i.manifest\"; done", t->mnt, t->mnt,
	    NT_BIG), 0);
	inos = xcalloc(NT_BIG + 1, sizeof *inos);
	ls = nt_out(t, "ls -i '%s/WinSxS'", t->mnt);
	for (line = ls; (p = strsep(&line, "\n")) != NULL; ) {
		if (sscanf(p, "%lu amd64_Component.Name_%lu.manifest", &ino,
		    &k) == 2 && k >= 1 && k <= NT_BIG)
			inos[k] = ino;
	}
	free(ls);
	nt_umount(t);
	for (k = 1; k <= NT_BIG; k++)
		assert_true(inos[k] != 0);

	vol = nt_open(img, VOL_RDONLY);
	t0 = nt_now();
	for (k = 1; k <= NT_BIG; k++) {
		snprintf(name, sizeof name,
		    "winsxs\\AMD64_COMPONENT.NAME_%lu.MANIFEST", k);
		if (vol_file_read_all(vol, name, 64, (void **)&buf, &len,
		    &cause) != 0)
			fail_msg("%s", cause);
		assert_int_equal(strtoul(buf, NULL, 10), k);
		free(buf);
		assert_int_equal(vol_stat(vol, name, &sb, &cause), 0);
		assert_int_equal(sb.ino, inos[k]);
	}
	t1 = nt_now();
	fprintf(stderr, "# %d case-insensitive opens+reads+stats in %.3f s\n",
	    NT_BIG, t1 - t0);

	/* Misses: the first walks the directory, the rest are remembered. */
	t0 = nt_now();
	for (k = 0; k < 200; k++) {
		snprintf(name, sizeof name, "WinSxS\\missing_%lu.manifest", k);
		assert_false(vol_exists(vol, name));
	}
	t1 = nt_now();
	fprintf(stderr, "# 200 misses in %.3f s\n", t1 - t0);

	memset(&c, 0, sizeof c);
	assert_int_equal(vol_list(vol, "WINSXS", nt_collect, &c, &cause), 0);
	assert_int_equal(c.n, NT_BIG);
	for (k = 1; k <= NT_BIG; k++) {
		ssize_t	j;

		snprintf(name, sizeof name, "amd64_Component.Name_%lu.manifest",
		    k);
		j = nt_find(&c, name);
		assert_true(j >= 0);
		assert_int_equal(c.inos[j], inos[k]);
		assert_false(c.dirs[j]);
	}
	for (i = 0; i < c.n; i++)
		assert_true(strcmp(c.names[i], ".") && strcmp(c.names[i], ".."));
	nt_names_free(&c);
	vol_close(vol);
	free(inos);
	free(img);
}

static void
test_list_root(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct nt_names	 c;
	char		*img, *cause = NULL;
	ssize_t		 j;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir Windows 'Program Files' && "
	    "printf x > pagefile.sys && printf y > 'Long File Name.txt' && "
	    "setfattr -n system.ntfs_attrib_be -v 0x00000026 pagefile.sys && "
	    "setfattr -n system.ntfs_dos_name -v PROGRA~1 'Program Files' && "
	    "setfattr -n system.ntfs_dos_name -v LONGFI~1.TXT "
	    "'Long File Name.txt'", t->mnt), 0);
	nt_umount(t);

	vol = nt_open(img, VOL_RDONLY);
	memset(&c, 0, sizeof c);
	assert_int_equal(vol_list(vol, "\\", nt_collect, &c, &cause), 0);
	nt_mount(t, img, 0);
	assert_true((j = nt_find(&c, "Windows")) >= 0);
	assert_true(c.dirs[j]);
	assert_int_equal(c.inos[j], nt_ino(t, "Windows"));
	assert_true((j = nt_find(&c, "Program Files")) >= 0);
	assert_true(c.dirs[j]);
	assert_true((j = nt_find(&c, "pagefile.sys")) >= 0);	/* hidden */
	assert_false(c.dirs[j]);
	assert_int_equal(c.inos[j], nt_ino(t, "pagefile.sys"));
	assert_true(nt_find(&c, "Long File Name.txt") >= 0);
	/* No DOS aliases, no NTFS metafiles, no "." or "..". */
	assert_int_equal(nt_find(&c, "PROGRA~1"), -1);
	assert_int_equal(nt_find(&c, "LONGFI~1.TXT"), -1);
	assert_int_equal(nt_find(&c, "$MFT"), -1);
	assert_int_equal(nt_find(&c, "$Extend"), -1);
	assert_int_equal(nt_find(&c, "$UpCase"), -1);
	assert_int_equal(nt_find(&c, "."), -1);
	assert_int_equal(nt_find(&c, ".."), -1);
	assert_int_equal(c.n, 4);
	nt_umount(t);
	nt_names_free(&c);

	/* Listing a file is an error. */
	assert_int_equal(vol_list(vol, "pagefile.sys", nt_collect, &c, &cause),
	    -1);
	assert_int_equal(errno, ENOTDIR);
	free(cause);
	vol_close(vol);
	free(img);
}

static void
test_replace_keeps_inode_and_sd(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	struct nt_sd	 sd;
	char		*img, *cause = NULL, *got, *idx;
	uint8_t		*acl1, *acl2, *data;
	size_t		 l1, l2, len, i;
	uint64_t	 ino;
	struct stat	 msb;
	char		*p;

	img = nt_mkimg(t, "p.img", 64);
	nt_sd_build(&sd, 0x8404, "S-1-5-32-544", "S-1-5-18", 2,
	    0x10u, (uint32_t)0x1f01ff, "S-1-5-18",
	    0x10u, (uint32_t)0x1200a9, "S-1-5-32-545");
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Windows/System32 "
	    "Windows/WinSxS/amd64_x && printf old-bytes > "
	    "Windows/System32/dot3gpui.dll && ln Windows/System32/dot3gpui.dll "
	    "Windows/WinSxS/amd64_x/dot3gpui.dll && touch -d 2001-01-01 "
	    "Windows/System32/dot3gpui.dll", t->mnt), 0);
	nt_set_acl(t, "Windows/System32/dot3gpui.dll", &sd);
	ino = nt_ino(t, "Windows/System32/dot3gpui.dll");
	acl1 = nt_xattr(t, "Windows/System32/dot3gpui.dll", "system.ntfs_acl",
	    &l1);
	assert_int_equal(l1, sd.len);
	nt_umount(t);

	data = xmalloc(100000);
	for (i = 0; i < 100000; i++)
		data[i] = (uint8_t)(i % 253);
	vol = nt_open(img, VOL_RDWR);
	assert_int_equal(vol_stat(vol, "windows\\system32\\DOT3GPUI.DLL", &sb,
	    &cause), 0);
	assert_int_equal(sb.nlink, 2);
	if (vol_file_replace(vol, "windows\\system32\\DOT3GPUI.DLL", data,
	    100000, &cause) != 0)
		fail_msg("%s", cause);
	vol_close(vol);

	nt_mount(t, img, 0);
	assert_int_equal(nt_ino(t, "Windows/System32/dot3gpui.dll"), ino);
	assert_int_equal(nt_ino(t, "Windows/WinSxS/amd64_x/dot3gpui.dll"),
	    ino);
	got = nt_mread(t, "Windows/WinSxS/amd64_x/dot3gpui.dll", &len);
	assert_int_equal(len, 100000);
	assert_memory_equal(got, data, 100000);
	free(got);
	acl2 = nt_xattr(t, "Windows/System32/dot3gpui.dll", "system.ntfs_acl",
	    &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(acl1, acl2, l1);
	/* Written now, not in 2001. */
	p = nt_m(t, "Windows/System32/dot3gpui.dll");
	assert_int_equal(stat(p, &msb), 0);
	assert_true(msb.st_mtime > time(NULL) - 3600);
	free(p);
	nt_umount(t);
	/* Both directory entries carry the new size (what dir shows). */
	idx = nt_out(t, "ntfsinfo -v -F /Windows/System32 '%s' | grep -A12 "
	    "'FILE record number:[[:space:]]*%llu ' | grep 'Data Size'", img,
	    (unsigned long long)ino);
	assert_true(nt_contains(idx, "100000"));
	free(idx);
	idx = nt_out(t, "ntfsinfo -v -F /Windows/WinSxS/amd64_x '%s' | grep "
	    "-A12 'FILE record number:[[:space:]]*%llu ' | grep 'Data Size'",
	    img, (unsigned long long)ino);
	assert_true(nt_contains(idx, "100000"));
	free(idx);
	free(acl1);
	free(acl2);
	free(data);
	free(img);
}

static void
test_create_win32_inherited(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct nt_sd	 sd;
	char		*img, *cause = NULL, *ns, *got;
	uint8_t		*acl, *mine;
	size_t		 len, mlen;
	unsigned	 flags;
	uint32_t	 mask;

	img = nt_mkimg(t, "p.img", 32);
	/* Like C:\Windows: auto-inherited DACL; SYSTEM and Users pass on to
	 * files and folders, Administrators to folders only. */
	nt_sd_build(&sd, 0x8404, "S-1-5-32-544", "S-1-5-18", 3,
	    0x03u, (uint32_t)0x1f01ff, "S-1-5-18",
	    0x03u, (uint32_t)0x1200a9, "S-1-5-32-545",
	    0x02u, (uint32_t)0x1f01ff, "S-1-5-32-544");
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir '%s/Windows'", t->mnt), 0);
	nt_set_acl(t, "Windows", &sd);
	nt_umount(t);

	vol = nt_open(img, VOL_RDWR);
	nt_write_file(vol, "windows\\Setup Log.txt", "created", 7);
	if (vol_mkdir_p(vol, "WINDOWS\\Logs\\CBS", &cause) != 0)
		fail_msg("%s", cause);
	/* Names that exist, whatever their case, are not created again. */
	assert_null(vol_file_create(vol, "Windows\\SETUP LOG.TXT", &cause));
	assert_int_equal(errno, EEXIST);
	free(cause);
	cause = NULL;
	/* Names Win32 would not accept. */
	assert_null(vol_file_create(vol, "Windows\\a:b", &cause));
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_null(vol_file_create(vol, "Windows\\trailing.", &cause));
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_null(vol_file_create(vol, "Windows\\CON", &cause));
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_null(vol_file_create(vol, "Nowhere\\x.txt", &cause));
	assert_int_equal(errno, ENOENT);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_sd_get(vol, "Windows\\Setup Log.txt",
	    (void **)&mine, &mlen, &cause), 0);
	vol_close(vol);

	/* Win32 names, in the MFT record and in the directory index. */
	ns = nt_namespaces(t, img, "/Windows", "Setup Log.txt");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);
	ns = nt_namespaces(t, img, "/Windows", "Logs");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);
	ns = nt_namespaces(t, img, "/Windows/Logs", "CBS");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);

	nt_mount(t, img, 0);
	got = nt_mread(t, "Windows/Setup Log.txt", &len);
	assert_int_equal(len, 7);
	assert_memory_equal(got, "created", 7);
	free(got);
	/* The file inherited SYSTEM and Users, marked inherited, without
	 * the folder-only entry, and nothing for Everyone. */
	acl = nt_xattr(t, "Windows/Setup Log.txt", "system.ntfs_acl", &len);
	assert_int_equal(len, mlen);
	assert_memory_equal(acl, mine, len);
	assert_true(nt_sd_ace(acl, len, "S-1-5-18", &flags, &mask));
	assert_int_equal(flags, 0x10);
	assert_int_equal(mask, 0x1f01ff);
	assert_true(nt_sd_ace(acl, len, "S-1-5-32-545", &flags, &mask));
	assert_int_equal(flags, 0x10);
	assert_int_equal(mask, 0x1200a9);
	assert_false(nt_sd_ace(acl, len, "S-1-5-32-544", &flags, &mask));
	assert_false(nt_sd_ace(acl, len, "S-1-1-0", &flags, &mask));
	free(acl);
	/* The folder got the folder-only entry too, and passes them on. */
	acl = nt_xattr(t, "Windows/Logs", "system.ntfs_acl", &len);
	assert_true(nt_sd_ace(acl, len, "S-1-5-32-544", &flags, &mask));
	assert_true(flags & 0x10);
	assert_true(nt_sd_ace(acl, len, "S-1-5-18", &flags, &mask));
	assert_int_equal(flags & 0x13, 0x13);
	assert_false(nt_sd_ace(acl, len, "S-1-1-0", &flags, &mask));
	free(acl);
	acl = nt_xattr(t, "Windows/Logs/CBS", "system.ntfs_acl", &len);
	assert_true(nt_sd_ace(acl, len, "S-1-5-32-545", &flags, &mask));
	assert_true(flags & 0x10);
	free(acl);
	nt_umount(t);
	free(mine);
	free(img);
}

static void
test_mkdir_p(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	char		*img, *cause = NULL, *ns;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir -p '%s/Windows' && printf x > "
	    "'%s/Windows/afile'", t->mnt, t->mnt), 0);
	nt_umount(t);
	vol = nt_open(img, VOL_RDWR);
	if (vol_mkdir_p(vol, "windows\\SoftwareDistribution\\Download\\x1",
	    &cause) != 0)
		fail_msg("%s", cause);
	/* Existing directories, given in another case, are fine. */
	if (vol_mkdir_p(vol, "WINDOWS\\softwaredistribution", &cause) != 0)
		fail_msg("%s", cause);
	if (vol_mkdir_p(vol, "\\", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(vol_mkdir_p(vol, "Windows\\afile\\sub", &cause), -1);
	assert_int_equal(errno, ENOTDIR);
	free(cause);
	vol_close(vol);

	nt_mount(t, img, 0);
	assert_true(nt_mexists(t, "Windows/SoftwareDistribution/Download/x1"));
	assert_false(nt_mexists(t, "Windows/softwaredistribution"));
	assert_false(nt_mexists(t, "Windows/afile/sub"));
	nt_umount(t);
	ns = nt_namespaces(t, img, "/Windows/SoftwareDistribution",
	    "Download");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);
	free(img);
}

static void
test_rename(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_file	*f;
	char		*img, *cause = NULL, *got, *ns;
	uint64_t	 ino_f, ino_g, ino_sub;
	size_t		 len;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Dir1 Dir2 Sub/Inner && "
	    "printf fdata > Dir1/f.txt && printf gdata > Dir1/g.txt && "
	    "printf x > Sub/Inner/x.txt && printf y > Dir2/taken.txt",
	    t->mnt), 0);
	ino_f = nt_ino(t, "Dir1/f.txt");
	ino_g = nt_ino(t, "Dir1/g.txt");
	ino_sub = nt_ino(t, "Sub");
	nt_umount(t);

	vol = nt_open(img, VOL_RDWR);
	/* Across directories. */
	if (vol_rename(vol, "dir1\\F.TXT", "DIR2\\Moved File.txt", &cause) != 0)
		fail_msg("%s", cause);
	/* A change of case only. */
	if (vol_rename(vol, "Dir1\\g.txt", "Dir1\\G.TXT", &cause) != 0)
		fail_msg("%s", cause);
	/* A directory, with what is inside. */
	if (vol_rename(vol, "sub", "Dir2\\Sub2", &cause) != 0)
		fail_msg("%s", cause);
	/* An existing target, in any case. */
	assert_int_equal(vol_rename(vol, "Dir1\\G.TXT", "dir2\\TAKEN.TXT",
	    &cause), -1);
	assert_int_equal(errno, EEXIST);
	free(cause);
	cause = NULL;
	/* A directory into itself. */
	assert_int_equal(vol_rename(vol, "Dir2", "Dir2\\Sub2\\Inner\\Loop",
	    &cause), -1);
	assert_int_equal(errno, EINVAL);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_rename(vol, "Dir1\\nothere", "Dir1\\x", &cause),
	    -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
	cause = NULL;
	/* An open file stays where it is. */
	f = vol_file_open(vol, "Dir1\\G.TXT", VOL_O_RDONLY, &cause);
	assert_non_null(f);
	assert_int_equal(vol_rename(vol, "Dir1\\G.TXT", "Dir1\\H.TXT", &cause),
	    -1);
	assert_int_equal(errno, EBUSY);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_file_close(f, &cause), 0);
	vol_close(vol);

	ns = nt_namespaces(t, img, "/Dir2", "Moved File.txt");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);
	nt_mount(t, img, 0);
	assert_false(nt_mexists(t, "Dir1/f.txt"));
	assert_int_equal(nt_ino(t, "Dir2/Moved File.txt"), ino_f);
	got = nt_mread(t, "Dir2/Moved File.txt", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "fdata", 5);
	free(got);
	assert_false(nt_mexists(t, "Dir1/g.txt"));
	assert_int_equal(nt_ino(t, "Dir1/G.TXT"), ino_g);
	assert_false(nt_mexists(t, "Sub"));
	assert_int_equal(nt_ino(t, "Dir2/Sub2"), ino_sub);
	got = nt_mread(t, "Dir2/Sub2/Inner/x.txt", &len);
	assert_int_equal(len, 1);
	free(got);
	assert_true(nt_mexists(t, "Dir2/taken.txt"));
	assert_false(nt_mexists(t, "Dir2/Sub2/Inner/Loop"));
	assert_false(nt_mexists(t, "Dir1/H.TXT"));
	nt_umount(t);
	free(img);
}

/* Create a small file through the layer (Win32 name, inherited SD). */
static void
nt_create(struct vol *vol, const char *path, const char *data, size_t len)
{
	struct vol_file	*f;
	char		*cause = NULL;

	if ((f = vol_file_create(vol, path, &cause)) == NULL)
		fail_msg("%s: %s", path, cause);
	assert_int_equal(vol_file_pwrite(f, data, len, 0), (ssize_t)len);
	if (vol_file_close(f, &cause) != 0)
		fail_msg("%s: %s", path, cause);
}

static void
test_unlink(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*img, *cause = NULL, *got;
	size_t		 len;
	struct stat	 msb;
	char		*p;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Temp/InFlight/empty "
	    "Full && printf a > Temp/InFlight/sechost.dll && printf b > "
	    "Full/keep && printf linked > one.txt && ln one.txt Full/two.txt",
	    t->mnt), 0);
	nt_umount(t);

	vol = nt_open(img, VOL_RDWR);
	if (vol_unlink(vol, "temp\\inflight\\SECHOST.DLL", &cause) != 0)
		fail_msg("%s", cause);
	if (vol_unlink(vol, "Temp\\InFlight\\Empty", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(vol_unlink(vol, "full", &cause), -1);
	assert_int_equal(errno, ENOTEMPTY);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_unlink(vol, "Temp\\nothere", &cause), -1);
	assert_int_equal(errno, ENOENT);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_unlink(vol, "$MFT", &cause), -1);
	assert_int_equal(errno, EPERM);
	free(cause);
	cause = NULL;
	/* One name of two goes; the other keeps the bytes. */
	if (vol_unlink(vol, "ONE.TXT", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(vol_stat(vol, "Full\\two.txt", &sb, &cause), 0);
	assert_int_equal(sb.nlink, 1);
	assert_false(vol_exists(vol, "one.txt"));
	/* Names ntmend creates are Win32 without a DOS alias (as Windows
	 * makes them with 8.3 names off); libntfs-3g's ntfs_delete alone
	 * cannot remove those (it looks for the DOS half): undo once failed
	 * here. Files, a directory, and a renamed file. */
	if (vol_mkdir_p(vol, "Made\\Sub", &cause) != 0)
		fail_msg("%s", cause);
	nt_create(vol, "Made\\Sub\\new file.bin", "x", 1);
	nt_create(vol, "Made\\moved.bin", "y", 1);
	if (vol_rename(vol, "Made\\moved.bin", "Made\\Sub\\moved again.bin",
	    &cause) != 0)
		fail_msg("%s", cause);
	if (vol_unlink(vol, "made\\sub\\NEW FILE.BIN", &cause) != 0 ||
	    vol_unlink(vol, "Made\\Sub\\moved again.bin", &cause) != 0 ||
	    vol_unlink(vol, "Made\\Sub", &cause) != 0 ||
	    vol_unlink(vol, "Made", &cause) != 0)
		fail_msg("%s", cause);
	vol_close(vol);

	nt_mount(t, img, 0);
	assert_false(nt_mexists(t, "Made"));
	assert_false(nt_mexists(t, "Temp/InFlight/sechost.dll"));
	assert_false(nt_mexists(t, "Temp/InFlight/empty"));
	assert_true(nt_mexists(t, "Temp/InFlight"));
	assert_true(nt_mexists(t, "Full/keep"));
	assert_false(nt_mexists(t, "one.txt"));
	got = nt_mread(t, "Full/two.txt", &len);
	assert_int_equal(len, 6);
	assert_memory_equal(got, "linked", 6);
	free(got);
	p = nt_m(t, "Full/two.txt");
	assert_int_equal(stat(p, &msb), 0);
	assert_int_equal(msb.st_nlink, 1);
	free(p);
	nt_umount(t);
	free(img);
}

static void
test_link(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*img, *cause = NULL, *ns, *got, *p;
	uint64_t	 ino;
	size_t		 len;
	struct stat	 msb;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Windows/System32 "
	    "Windows/WinSxS/amd64_y && printf payload > "
	    "Windows/WinSxS/amd64_y/kernel.dll", t->mnt), 0);
	ino = nt_ino(t, "Windows/WinSxS/amd64_y/kernel.dll");
	nt_umount(t);

	vol = nt_open(img, VOL_RDWR);
	if (vol_link(vol, "windows\\winsxs\\AMD64_Y\\KERNEL.DLL",
	    "Windows\\System32\\Kernel.dll", &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(vol_stat(vol, "Windows\\System32\\kernel.dll", &sb,
	    &cause), 0);
	assert_int_equal(sb.ino, ino);
	assert_int_equal(sb.nlink, 2);
	assert_int_equal(vol_link(vol, "Windows\\System32\\Kernel.dll",
	    "Windows\\WinSxS\\amd64_y\\KERNEL.dll", &cause), -1);
	assert_int_equal(errno, EEXIST);
	free(cause);
	cause = NULL;
	assert_int_equal(vol_link(vol, "Windows\\System32", "Sys32", &cause),
	    -1);
	assert_int_equal(errno, EPERM);
	free(cause);
	cause = NULL;
	/* Writing through one name shows through the other. */
	if (vol_file_replace(vol, "Windows\\System32\\Kernel.dll", "patched",
	    7, &cause) != 0)
		fail_msg("%s", cause);
	vol_close(vol);

	ns = nt_namespaces(t, img, "/Windows/System32", "Kernel.dll");
	assert_string_equal(ns, "Win32 Win32");
	free(ns);
	nt_mount(t, img, 0);
	assert_int_equal(nt_ino(t, "Windows/System32/Kernel.dll"), ino);
	p = nt_m(t, "Windows/System32/Kernel.dll");
	assert_int_equal(stat(p, &msb), 0);
	assert_int_equal(msb.st_nlink, 2);
	free(p);
	got = nt_mread(t, "Windows/WinSxS/amd64_y/kernel.dll", &len);
	assert_int_equal(len, 7);
	assert_memory_equal(got, "patched", 7);
	free(got);
	nt_umount(t);
	free(img);
}

/* A second create of path under another case is refused: the name is
 * known to the lookup, whatever answered it. */
static void
nt_refused_twice(struct vol *vol, const char *path)
{
	char	*cause = NULL;

	assert_null(vol_file_create(vol, path, &cause));
	assert_int_equal(errno, EEXIST);
	free(cause);
}

/*
 * A directory's listing, kept for lookups once a name was missing there,
 * follows the changes made through the volume: a name created, linked or
 * renamed in is found at once in any case (a create of it again would
 * otherwise make a second entry), one renamed out or removed is gone and
 * can be made again, and ntfs-3g reads exactly those names afterwards.
 */
#define NT_KEPT	300

static void
test_names_kept_current(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	char		*img, *cause = NULL, name[64], other[64], *got, *p;
	size_t		 len;
	unsigned	 k;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir '%s/Comp' '%s/Other' && printf old "
	    "> '%s/Comp/Old.dll'", t->mnt, t->mnt, t->mnt), 0);
	nt_umount(t);

	vol = nt_open(img, VOL_RDWR);
	assert_false(vol_exists(vol, "Comp\\file1.dll"));
	for (k = 1; k <= NT_KEPT; k++) {
		snprintf(name, sizeof name, "Comp\\file%u.dll", k);
		nt_create(vol, name, name, strlen(name));
		snprintf(other, sizeof other, "COMP\\FILE%u.DLL", k);
		assert_true(vol_exists(vol, other));
		nt_refused_twice(vol, other);
		snprintf(other, sizeof other, "comp\\file%u.dll", k + 1);
		assert_false(vol_exists(vol, other));
	}
	if (vol_link(vol, "Comp\\Old.dll", "Comp\\Linked.dll", &cause) != 0)
		fail_msg("%s", cause);
	nt_refused_twice(vol, "comp\\LINKED.DLL");
	if (vol_rename(vol, "Comp\\file7.dll", "Other\\seven.dll",
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_false(vol_exists(vol, "Comp\\FILE7.DLL"));
	nt_refused_twice(vol, "OTHER\\Seven.dll");
	nt_create(vol, "Comp\\File7.dll", "again", 5);
	nt_refused_twice(vol, "Comp\\file7.DLL");
	if (vol_unlink(vol, "comp\\FILE9.DLL", &cause) != 0)
		fail_msg("%s", cause);
	assert_false(vol_exists(vol, "Comp\\file9.dll"));
	nt_create(vol, "Comp\\file9.dll", "nine", 4);
	nt_refused_twice(vol, "Comp\\FILE9.dll");
	if (vol_rename(vol, "Other\\seven.dll", "Comp\\Seven.dll",
	    &cause) != 0)
		fail_msg("%s", cause);
	nt_refused_twice(vol, "COMP\\SEVEN.DLL");
	assert_false(vol_exists(vol, "Other\\seven.dll"));
	vol_close(vol);

	nt_mount(t, img, 0);
	for (k = 1; k <= NT_KEPT; k++) {
		snprintf(name, sizeof name, "Comp/file%u.dll", k);
		if (k == 7) {
			assert_false(nt_mexists(t, name));
			continue;
		}
		got = nt_mread(t, name, &len);
		if (k == 9)
			snprintf(other, sizeof other, "nine");
		else
			snprintf(other, sizeof other, "Comp\\file%u.dll", k);
		assert_int_equal(len, strlen(other));
		assert_memory_equal(got, other, len);
		free(got);
	}
	got = nt_mread(t, "Comp/File7.dll", &len);
	assert_int_equal(len, 5);
	assert_memory_equal(got, "again", 5);
	free(got);
	got = nt_mread(t, "Comp/Seven.dll", &len);
	assert_int_equal(len, strlen("Comp\\file7.dll"));
	assert_memory_equal(got, "Comp\\file7.dll", len);
	free(got);
	assert_int_equal(nt_ino(t, "Comp/Linked.dll"), nt_ino(t,
	    "Comp/Old.dll"));
	/* file1..300 but file7, File7, Old, Linked, Seven; Other empty. */
	p = nt_out(t, "ls '%s/Comp' | wc -l; ls '%s/Other' | wc -l", t->mnt,
	    t->mnt);
	assert_string_equal(p, "303\n0\n");
	free(p);
	nt_umount(t);
	free(img);
}

static void
test_readonly_refuses_writes(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_file	*f;
	struct nt_names	 c;
	struct nt_sd	 sd;
	char		*img, *cause = NULL, *before, *after, *buf;
	void		*sdbuf;
	size_t		 len;
	unsigned	 st;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "cd '%s' && mkdir -p Windows/System32 && "
	    "printf content > Windows/System32/file.dll", t->mnt), 0);
	nt_umount(t);
	nt_sd_build(&sd, 0x8004, "S-1-5-32-544", "S-1-5-18", 1,
	    0x00u, (uint32_t)0x1f01ff, "S-1-5-18");
	before = nt_sha(t, img);

	vol = nt_open_at(img, 0, 0, 0, VOL_RDONLY, &st);
	assert_true(st & VOL_READONLY);
	assert_true(vol_state(vol) & VOL_READONLY);

#define NT_EROFS(call) do {						\
	errno = 0;							\
	assert_true((call) == -1);					\
	assert_int_equal(errno, EROFS);					\
	free(cause);							\
	cause = NULL;							\
} while (0)
#define NT_EROFS_NULL(call) do {					\
	errno = 0;							\
	assert_null(call);						\
	assert_int_equal(errno, EROFS);					\
	free(cause);							\
	cause = NULL;							\
} while (0)
	NT_EROFS_NULL(vol_file_open(vol, "Windows\\System32\\file.dll",
	    VOL_O_RDWR, &cause));
	NT_EROFS_NULL(vol_file_create(vol, "Windows\\new.txt", &cause));
	NT_EROFS(vol_file_replace(vol, "Windows\\System32\\file.dll", "x", 1,
	    &cause));
	NT_EROFS(vol_mkdir_p(vol, "Windows\\NewDir", &cause));
	NT_EROFS(vol_rename(vol, "Windows\\System32\\file.dll",
	    "Windows\\moved.dll", &cause));
	NT_EROFS(vol_unlink(vol, "Windows\\System32\\file.dll", &cause));
	NT_EROFS(vol_link(vol, "Windows\\System32\\file.dll",
	    "Windows\\link.dll", &cause));
	NT_EROFS(vol_sd_set(vol, "Windows\\System32\\file.dll", sd.b, sd.len,
	    &cause));
	NT_EROFS(vol_attrs_set(vol, "Windows\\System32\\file.dll",
	    VOL_ATTR_HIDDEN, &cause));
	f = vol_file_open(vol, "Windows\\System32\\file.dll", VOL_O_RDONLY,
	    &cause);
	assert_non_null(f);
	NT_EROFS(vol_file_pwrite(f, "x", 1, 0));
	NT_EROFS(vol_file_truncate(f, 0));
	assert_int_equal(vol_file_close(f, &cause), 0);

	/* Reading everything changes nothing either (no access times). */
	memset(&c, 0, sizeof c);
	assert_int_equal(vol_list(vol, "Windows\\System32", nt_collect, &c,
	    &cause), 0);
	nt_names_free(&c);
	assert_int_equal(vol_file_read_all(vol, "windows\\system32\\FILE.DLL",
	    100, (void **)&buf, &len, &cause), 0);
	free(buf);
	assert_int_equal(vol_sd_get(vol, "Windows\\System32\\file.dll", &sdbuf,
	    &len, &cause), 0);
	free(sdbuf);
	assert_int_equal(vol_sync(vol, &cause), 0);
	vol_close(vol);

	after = nt_sha(t, img);
	assert_string_equal(before, after);
	free(before);
	free(after);
	free(img);
}

static void
test_hibernated(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	char		*img, *cause, *before, *after, *d;
	uint8_t		 hdr[8192];
	unsigned	 st;

	img = nt_mkimg(t, "p.img", 32);
	memset(hdr, 0, sizeof hdr);
	memcpy(hdr, "HIBR", 4);
	nt_mount(t, img, 1);
	nt_mwrite(t, "hiberfil.sys", hdr, sizeof hdr);
	assert_int_equal(nt_sh(t, "mkdir '%s/Windows'", t->mnt), 0);
	nt_umount(t);
	before = nt_sha(t, img);

	/* Read-only works and says why writing would not. */
	vol = nt_open_at(img, 0, 0, 0, VOL_RDONLY, &st);
	assert_true(st & VOL_HIBERNATED);
	assert_true(vol_state(vol) & VOL_HIBERNATED);
	assert_string_equal(vol_hiber_signature(vol), "HIBR");
	d = vol_state_describe(vol_state(vol), vol_hiber_signature(vol));
	assert_true(nt_contains(d, "hibernated"));
	assert_true(nt_contains(d, "HIBR"));
	assert_true(nt_contains(d, "Fast Startup"));
	free(d);
	assert_true(vol_exists(vol, "Windows"));
	vol_close(vol);

	/* Read-write is refused, and the refusal writes nothing. */
	st = 0;
	cause = nt_open_fails(img, 0, 0, VOL_RDWR, &st);
	assert_true(st & VOL_HIBERNATED);
	assert_true(nt_contains(cause, "hibernated"));
	assert_true(nt_contains(cause, "shut it down fully"));
	free(cause);
	after = nt_sha(t, img);
	assert_string_equal(before, after);
	free(after);

	/* The operator's choice: discard the session. */
	vol = nt_open_at(img, 0, 0, 0, VOL_RDWR | VOL_DISCARD_HIBERNATION,
	    &st);
	assert_true(st & VOL_HIBERNATED);
	assert_false(vol_state(vol) & VOL_HIBERNATED);
	assert_string_equal(vol_hiber_signature(vol), "");
	nt_write_file(vol, "Windows\\after.txt", "ok", 2);
	vol_close(vol);
	nt_mount(t, img, 0);
	assert_false(nt_mexists(t, "hiberfil.sys"));
	assert_true(nt_mexists(t, "Windows/after.txt"));
	nt_umount(t);

	/* "wake" is a resume under way; a zeroed header is none at all. */
	nt_mount(t, img, 1);
	memcpy(hdr, "wake", 4);
	nt_mwrite(t, "hiberfil.sys", hdr, sizeof hdr);
	nt_umount(t);
	vol = nt_open_at(img, 0, 0, 0, VOL_RDONLY, &st);
	assert_true(st & VOL_HIBERNATED);
	assert_string_equal(vol_hiber_signature(vol), "wake");
	vol_close(vol);
	nt_mount(t, img, 1);
	memset(hdr, 0, 4);
	nt_mwrite(t, "hiberfil.sys", hdr, sizeof hdr);
	nt_umount(t);
	vol = nt_open_at(img, 0, 0, 0, VOL_RDWR, &st);
	assert_false(st & VOL_HIBERNATED);
	assert_string_equal(vol_hiber_signature(vol), "");
	vol_close(vol);
	free(before);
	free(img);
}

/* Set the NTFS dirty flag the way Windows does when it schedules chkdsk,
 * with libntfs-3g itself (not through the layer under test). */
static void
nt_set_dirty(const char *img)
{
	ntfs_volume	*nv;

	if ((nv = ntfs_mount(img, 0)) == NULL)
		fail_msg("ntfs_mount %s: %s", img, strerror(errno));
	assert_int_equal(ntfs_volume_write_flags(nv, nv->flags |
	    VOLUME_IS_DIRTY), 0);
	assert_int_equal(ntfs_umount(nv, FALSE), 0);
}

static void
test_dirty(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	char		*img, *cause, *before, *after, *info;
	unsigned	 st;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir '%s/Windows'", t->mnt), 0);
	nt_umount(t);
	info = nt_out(t, "ntfsinfo -m '%s' | grep 'Volume Flags'", img);
	assert_true(nt_contains(info, "0x0000"));
	free(info);
	nt_set_dirty(img);
	info = nt_out(t, "ntfsinfo -f -m '%s' | grep 'Volume Flags'", img);
	assert_true(nt_contains(info, "0x0001"));
	free(info);
	before = nt_sha(t, img);

	vol = nt_open_at(img, 0, 0, 0, VOL_RDONLY, &st);
	assert_true(st & VOL_DIRTY);
	vol_close(vol);
	st = 0;
	cause = nt_open_fails(img, 0, 0, VOL_RDWR, &st);
	assert_true(st & VOL_DIRTY);
	assert_true(nt_contains(cause, "dirty"));
	assert_true(nt_contains(cause, "chkdsk"));
	free(cause);
	after = nt_sha(t, img);
	assert_string_equal(before, after);
	free(after);

	vol = nt_open_at(img, 0, 0, 0, VOL_RDWR | VOL_ALLOW_DIRTY, &st);
	assert_true(st & VOL_DIRTY);
	nt_write_file(vol, "Windows\\x.txt", "x", 1);
	vol_close(vol);
	/* Still due for chkdsk: ntmend does not clear what Windows set. */
	info = nt_out(t, "ntfsinfo -f -m '%s' | grep 'Volume Flags'", img);
	assert_true(nt_contains(info, "0x0001"));
	free(info);
	nt_mount(t, img, 0);
	assert_true(nt_mexists(t, "Windows/x.txt"));
	nt_umount(t);
	free(before);
	free(img);
}

/*
 * Write a $LogFile restart page the way Windows leaves one: version
 * major.minor, one log client in use, and the "volume is clean" flag or
 * not (an unclean shutdown). With libntfs-3g itself, not the layer.
 */
static void
nt_set_logfile(const char *img, int major, int minor, int clean)
{
	ntfs_volume	*nv;
	ntfs_inode	*ni;
	ntfs_attr	*na;
	uint8_t		 page[4096];
	uint64_t	 fsize;
	unsigned	 bits = 0;
	size_t		 ra = 56, ca;

	/* RECOVER: a journal this helper made unclean before is reset. */
	if ((nv = ntfs_mount(img, NTFS_MNT_RECOVER)) == NULL)
		fail_msg("ntfs_mount %s: %s", img, strerror(errno));
	assert_non_null(ni = ntfs_inode_open(nv, FILE_LogFile));
	assert_non_null(na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0));
	for (fsize = (uint64_t)na->data_size; fsize != 0; fsize >>= 1)
		bits++;
	memset(page, 0, sizeof page);
	memcpy(page, "RSTR", 4);
	le16enc(page + 4, 32);			/* usa_ofs */
	le16enc(page + 6, 1 + sizeof page / 512);	/* usa_count */
	le32enc(page + 16, sizeof page);	/* system_page_size */
	le32enc(page + 20, sizeof page);	/* log_page_size */
	le16enc(page + 24, (uint16_t)ra);	/* restart_area_offset */
	le16enc(page + 26, (uint16_t)minor);
	le16enc(page + 28, (uint16_t)major);
	le16enc(page + 32, 1);			/* first update sequence */
	ca = 0x30;
	le64enc(page + ra, 0x1000);		/* current_lsn */
	le16enc(page + ra + 8, 1);		/* log_clients */
	le16enc(page + ra + 10, 0xffff);	/* client_free_list */
	le16enc(page + ra + 12, 0);		/* client_in_use_list */
	le16enc(page + ra + 14, clean ? 0x0002 : 0);
	le32enc(page + ra + 16, 67 - bits);	/* seq_number_bits */
	le16enc(page + ra + 20, (uint16_t)(ca + 160));
	le16enc(page + ra + 22, (uint16_t)ca);
	le64enc(page + ra + 24, (uint64_t)na->data_size);
	le16enc(page + ra + 36, 0x30);		/* log_record_header_length */
	le16enc(page + ra + 38, 0x40);		/* log_page_data_offset */
	le16enc(page + ra + ca + 16, 0xffff);	/* prev_client */
	le16enc(page + ra + ca + 18, 0xffff);	/* next_client */
	le32enc(page + ra + ca + 28, 8);	/* "NTFS" in UTF-16 */
	memcpy(page + ra + ca + 32, "N\0T\0F\0S\0", 8);
	assert_int_equal(ntfs_mst_pre_write_fixup((NTFS_RECORD *)page,
	    sizeof page), 0);
	assert_int_equal(ntfs_attr_pwrite(na, 0, sizeof page, page),
	    (s64)sizeof page);
	ntfs_attr_close(na);
	assert_int_equal(ntfs_inode_close(ni), 0);
	assert_int_equal(ntfs_umount(nv, FALSE), 0);
}

static void
test_logfile(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	char		*img, *cause, *before, *after, *d, *out;
	unsigned	 st;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir '%s/Windows'", t->mnt), 0);
	nt_umount(t);

	/* Windows went down with changes still in its journal. */
	nt_set_logfile(img, 1, 1, 0);
	/* ntfs-3g itself agrees that this volume is not clean (and falls
	 * back to read-only, the trap DESIGN.md warns about). */
	out = nt_out(t, "ntfs-3g -o rw,norecover '%s' '%s' 2>&1; touch "
	    "'%s/probe' 2>&1; fusermount -u '%s'", img, t->mnt, t->mnt,
	    t->mnt);
	assert_true(nt_contains(out, "unclean file system"));
	assert_true(nt_contains(out, "Read-only file system"));
	free(out);
	before = nt_sha(t, img);
	vol = nt_open_at(img, 0, 0, 0, VOL_RDONLY, &st);
	assert_true(st & VOL_LOGFILE_UNCLEAN);
	d = vol_state_describe(vol_state(vol), vol_hiber_signature(vol));
	assert_true(nt_contains(d, "$LogFile"));
	free(d);
	assert_true(vol_exists(vol, "Windows"));
	vol_close(vol);
	cause = nt_open_fails(img, 0, 0, VOL_RDWR | VOL_ALLOW_DIRTY |
	    VOL_DISCARD_HIBERNATION, &st);
	assert_true(st & VOL_LOGFILE_UNCLEAN);
	assert_true(nt_contains(cause, "did not shut down cleanly"));
	free(cause);
	after = nt_sha(t, img);
	assert_string_equal(before, after);
	free(after);
	free(before);

	/* Shut down cleanly: writable. */
	nt_set_logfile(img, 1, 1, 1);
	vol = nt_open_at(img, 0, 0, 0, VOL_RDWR, &st);
	assert_false(st & VOL_LOGFILE_UNCLEAN);
	nt_write_file(vol, "Windows\\x.txt", "x", 1);
	vol_close(vol);

	/* A version 2.0 restart page: metadata kept in the Fast Startup
	 * session, clean flag or not. */
	nt_set_logfile(img, 2, 0, 1);
	cause = nt_open_fails(img, 0, 0, VOL_RDWR, &st);
	assert_true(st & VOL_LOGFILE_UNCLEAN);
	free(cause);
	free(img);
}

static void
test_bitlocker(void **state)
{
	struct nt	*t = *state;
	char		*img, *disk, *cause;
	unsigned	 st;

	img = nt_path(t, "bl.img");
	assert_int_equal(nt_sh(t, "truncate -s 8M '%s' && printf "
	    "'\\353\\130\\220-FVE-FS-' | dd of='%s' conv=notrunc status=none",
	    img, img), 0);
	st = 0;
	cause = nt_open_fails(img, 0, 0, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_BITLOCKER);
	assert_true(nt_contains(cause, "BitLocker"));
	assert_true(nt_contains(cause, "cryptsetup bitlkOpen"));
	assert_true(nt_contains(cause, img));
	assert_true(nt_contains(cause, "/dev/mapper/"));
	free(cause);
	cause = nt_open_fails(img, 0, 0, VOL_RDWR, &st);
	assert_int_equal(st, VOL_BITLOCKER);
	free(cause);

	/* Inside a disk image: attach the partition first. */
	disk = nt_path(t, "disk.img");
	assert_int_equal(nt_sh(t, "truncate -s 16M '%s' && printf "
	    "'\\353\\130\\220-FVE-FS-' | dd of='%s' bs=1M seek=1 conv=notrunc "
	    "status=none", disk, disk), 0);
	cause = nt_open_fails(disk, MIB, 8 * MIB, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_BITLOCKER);
	assert_true(nt_contains(cause, "losetup"));
	assert_true(nt_contains(cause, "-o 1048576"));
	assert_true(nt_contains(cause, "cryptsetup bitlkOpen"));
	free(cause);
	free(disk);
	free(img);
}

static void
test_not_ntfs(void **state)
{
	struct nt	*t = *state;
	char		*img, *cause;
	unsigned	 st;

	img = nt_path(t, "garbage.img");
	assert_int_equal(nt_sh(t, "head -c 4M /dev/urandom > '%s'", img), 0);
	cause = nt_open_fails(img, 0, 0, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_NOT_NTFS);
	assert_true(nt_contains(cause, "not an NTFS"));
	free(cause);
	free(img);

	img = nt_path(t, "fat.img");
	assert_int_equal(nt_sh(t, "truncate -s 8M '%s' && mkfs.vfat '%s'",
	    img, img), 0);
	cause = nt_open_fails(img, 0, 0, VOL_RDWR, &st);
	assert_int_equal(st, VOL_NOT_NTFS);
	free(cause);
	free(img);

	img = nt_path(t, "tiny.img");
	assert_int_equal(nt_sh(t, "printf 'too short' > '%s'", img), 0);
	cause = nt_open_fails(img, 0, 0, VOL_RDONLY, &st);
	assert_int_equal(st, VOL_NOT_NTFS);
	free(cause);
	free(img);

	/* NTFS boot sector but nothing behind it: libntfs-3g says why. */
	img = nt_path(t, "broken.img");
	assert_int_equal(nt_sh(t, "truncate -s 32M '%s' && mkntfs -F -Q '%s' "
	    "&& dd if=/dev/zero of='%s' bs=1M seek=1 count=30 conv=notrunc "
	    "status=none", img, img, img), 0);
	cause = nt_open_fails(img, 0, 0, VOL_RDONLY, &st);
	assert_true(nt_contains(cause, "chkdsk"));
	free(cause);
	free(img);
}

static void
test_wof(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	char		*img, *cause = NULL;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	/* CompactOS: the data in a WofCompressedData stream, and (for real
	 * Windows files) an IO_REPARSE_TAG_WOF reparse point. */
	assert_int_equal(nt_sh(t, "cd '%s' && printf stub > stream.dll && "
	    "setfattr -n user.WofCompressedData -v compressed stream.dll && "
	    "printf stub > tagged.dll && setfattr -n system.ntfs_reparse_data "
	    "-v 0x170000801000000001000000020000000100000001000000 tagged.dll "
	    "&& printf plain > plain.dll", t->mnt), 0);
	nt_umount(t);

	vol = nt_open(img, VOL_RDONLY);
	assert_int_equal(vol_stat(vol, "stream.dll", &sb, &cause), 0);
	assert_true(sb.wof);
	assert_int_equal(vol_stat(vol, "tagged.dll", &sb, &cause), 0);
	assert_true(sb.wof);
	assert_int_equal(sb.reparse_tag, VOL_REPARSE_WOF);
	assert_true(sb.attrs & VOL_ATTR_REPARSE);
	assert_int_equal(vol_stat(vol, "plain.dll", &sb, &cause), 0);
	assert_false(sb.wof);
	assert_int_equal(sb.reparse_tag, 0);
	assert_null(vol_file_open(vol, "STREAM.DLL", VOL_O_RDONLY, &cause));
	assert_int_equal(errno, EOPNOTSUPP);
	assert_true(nt_contains(cause, "WOF-compressed"));
	assert_true(nt_contains(cause, "CompactOS"));
	free(cause);
	cause = NULL;
	assert_null(vol_file_open(vol, "tagged.dll", VOL_O_RDONLY, &cause));
	assert_int_equal(errno, EOPNOTSUPP);
	free(cause);
	vol_close(vol);
	free(img);
}

static void
test_sd_attrs_set(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_stat	 sb;
	struct nt_sd	 sd;
	char		*img, *cause = NULL;
	uint8_t		*got, *mine;
	size_t		 len, mlen;

	img = nt_mkimg(t, "p.img", 32);
	nt_mount(t, img, 1);
	assert_int_equal(nt_sh(t, "mkdir -p '%s/Windows/System32/GroupPolicy/"
	    "Machine' && printf PReg > "
	    "'%s/Windows/System32/GroupPolicy/Machine/Registry.pol'", t->mnt,
	    t->mnt), 0);
	nt_umount(t);
	nt_sd_build(&sd, 0x9404, "S-1-5-80-956008885-3418522649-1831038044-"
	    "1853292631-2271478464", "S-1-5-18", 2,
	    0x00u, (uint32_t)0x1f01ff, "S-1-5-18",
	    0x00u, (uint32_t)0x1200a9, "S-1-5-32-545");

	vol = nt_open(img, VOL_RDWR);
	if (vol_sd_set(vol, "windows\\system32\\grouppolicy\\machine\\"
	    "registry.pol", sd.b, sd.len, &cause) != 0)
		fail_msg("%s", cause);
	if (vol_attrs_set(vol, "Windows\\System32\\GroupPolicy",
	    VOL_ATTR_HIDDEN | VOL_ATTR_SYSTEM, &cause) != 0)
		fail_msg("%s", cause);
	if (vol_attrs_set(vol, "Windows\\System32\\GroupPolicy\\Machine\\"
	    "Registry.pol", VOL_ATTR_READONLY | VOL_ATTR_ARCHIVE, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(vol_stat(vol, "Windows\\System32\\GroupPolicy", &sb,
	    &cause), 0);
	assert_int_equal(sb.attrs & 0xff, VOL_ATTR_HIDDEN | VOL_ATTR_SYSTEM |
	    VOL_ATTR_DIRECTORY);
	assert_int_equal(vol_sd_get(vol, "Windows\\System32\\GroupPolicy\\"
	    "Machine\\Registry.pol", (void **)&mine, &mlen, &cause), 0);
	assert_int_equal(mlen, sd.len);
	assert_memory_equal(mine, sd.b, sd.len);
	/* A descriptor that is not one is refused. */
	assert_int_equal(vol_sd_set(vol, "Windows", "garbage", 7, &cause), -1);
	free(cause);
	vol_close(vol);

	nt_mount(t, img, 0);
	got = nt_xattr(t, "Windows/System32/GroupPolicy/Machine/Registry.pol",
	    "system.ntfs_acl", &len);
	assert_int_equal(len, sd.len);
	assert_memory_equal(got, sd.b, sd.len);
	free(got);
	got = nt_xattr(t, "Windows/System32/GroupPolicy", "system.ntfs_attrib",
	    &len);
	assert_int_equal(len, 4);
	assert_int_equal(le32dec(got) & 0xff, VOL_ATTR_HIDDEN |
	    VOL_ATTR_SYSTEM | VOL_ATTR_DIRECTORY);
	free(got);
	got = nt_xattr(t, "Windows/System32/GroupPolicy/Machine/Registry.pol",
	    "system.ntfs_attrib", &len);
	assert_int_equal(le32dec(got) & 0xff, VOL_ATTR_READONLY |
	    VOL_ATTR_ARCHIVE);
	free(got);
	nt_umount(t);
	free(mine);
	free(img);
}

static void
test_write_truncate(void **state)
{
	struct nt	*t = *state;
	struct vol	*vol;
	struct vol_file	*f;
	char		*img, *cause = NULL, *got;
	uint8_t		*model, chunk[65536];
	size_t		 len, size = 0, i, off, n;
	unsigned	 seed = 7;
	uint64_t	 before, after;

	img = nt_mkimg(t, "p.img", 64);
	model = xcalloc(1, 5 * MIB);
	vol = nt_open(img, VOL_RDWR);
	vol_space(vol, NULL, &before);
	if ((f = vol_file_create(vol, "data.bin", &cause)) == NULL)
		fail_msg("%s", cause);
	for (i = 0; i < 200; i++) {
		off = (size_t)(rand_r(&seed) % (3 * MIB));
		n = 1 + (size_t)(rand_r(&seed) % sizeof chunk);
		memset(chunk, (int)(i + 1), n);
		assert_int_equal(vol_file_pwrite(f, chunk, n, off),
		    (ssize_t)n);
		memcpy(model + off, chunk, n);
		if (off + n > size)
			size = off + n;
		assert_int_equal(vol_file_size(f), size);
	}
	/* Shorter, then longer again: the tail reads as zeros. */
	assert_int_equal(vol_file_truncate(f, 2 * MIB + 123), 0);
	memset(model + 2 * MIB + 123, 0, 5 * MIB - (2 * MIB + 123));
	assert_int_equal(vol_file_truncate(f, 4 * MIB), 0);
	size = 4 * MIB;
	assert_int_equal(vol_file_size(f), size);
	assert_int_equal(vol_file_close(f, &cause), 0);
	vol_space(vol, NULL, &after);
	assert_true(after < before);
	vol_close(vol);

	nt_mount(t, img, 0);
	got = nt_mread(t, "data.bin", &len);
	assert_int_equal(len, size);
	assert_memory_equal(got, model, size);
	free(got);
	nt_umount(t);
	free(model);
	free(img);
}

/*
 * The device's page cache (device.c): random small and large reads and
 * writes through the device operations of a partition at an odd offset,
 * over a region of more pages than the cache holds (so pages are dropped
 * and read again) whose end is not on a page boundary; every read
 * compared with a model, and the file read back without the device at
 * the end. Writes reach the file at once: a second descriptor sees each.
 */
static void
test_device_cache(void **state)
{
	struct nt		*t = *state;
	struct ntfs_device	*dev;
	const uint64_t		 off0 = 7 * 512;
	const size_t		 len = 24 * MIB + 1000;
	uint8_t			*model, *buf, *got;
	char			*path;
	size_t			 i, n, off;
	unsigned		 seed = 11;
	int			 fd;

	path = nt_path(t, "dev.img");
	model = xmalloc(len);
	for (i = 0; i < len; i++)
		model[i] = (uint8_t)(i * 31 + (i >> 12));
	assert_true((fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600)) != -1);
	buf = xcalloc(1, off0);
	assert_int_equal(pwrite(fd, buf, off0, 0), (ssize_t)off0);
	assert_int_equal(pwrite(fd, model, len, (off_t)off0), (ssize_t)len);
	free(buf);
	buf = xmalloc(512 * 1024);
	got = xmalloc(512 * 1024);

	dev = vol_device_new(path, off0, 0, 1);
	assert_int_equal(dev->d_ops->open(dev, O_RDWR), 0);
	for (i = 0; i < 30000; i++) {
		switch (rand_r(&seed) % 8) {
		case 0:		/* a large write */
			n = 4096 + (size_t)rand_r(&seed) % (300 * 1024);
			break;
		case 1:		/* a large read */
			n = 8193 + (size_t)rand_r(&seed) % (300 * 1024);
			break;
		default:	/* small, as libntfs-3g's metadata */
			n = 1 + (size_t)rand_r(&seed) % 6000;
			break;
		}
		off = (size_t)rand_r(&seed) % len;
		if (n > len - off)
			n = len - off;
		if (i % 2 == 0) {
			assert_int_equal(dev->d_ops->pread(dev, got, (s64)n,
			    (s64)off), (s64)n);
			assert_memory_equal(got, model + off, n);
			continue;
		}
		memset(buf, (int)(i & 0xff), n);
		assert_int_equal(dev->d_ops->pwrite(dev, buf, (s64)n,
		    (s64)off), (s64)n);
		memcpy(model + off, buf, n);
		/* At once on the file, not only in the cache. */
		assert_int_equal(pread(fd, got, n, (off_t)(off0 + off)),
		    (ssize_t)n);
		assert_memory_equal(got, buf, n);
	}
	/* The region ends where the file does: a read there is cut. */
	assert_int_equal(dev->d_ops->pread(dev, got, 4096, (s64)(len - 10)),
	    10);
	assert_memory_equal(got, model + len - 10, 10);
	assert_int_equal(dev->d_ops->close(dev), 0);
	vol_device_free(dev);

	free(got);
	got = xmalloc(len);
	assert_int_equal(pread(fd, got, len, (off_t)off0), (ssize_t)len);
	assert_memory_equal(got, model, len);
	close(fd);
	free(got);
	free(buf);
	free(model);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_split),
#define T(f) cmocka_unit_test_setup_teardown(f, nt_setup, nt_teardown)
		T(test_dotdot_on_volume),
		T(test_offset_gpt),
		T(test_lookup_case_unicode),
		T(test_big_directory),
		T(test_list_root),
		T(test_replace_keeps_inode_and_sd),
		T(test_create_win32_inherited),
		T(test_mkdir_p),
		T(test_rename),
		T(test_unlink),
		T(test_link),
		T(test_names_kept_current),
		T(test_readonly_refuses_writes),
		T(test_hibernated),
		T(test_dirty),
		T(test_logfile),
		T(test_bitlocker),
		T(test_not_ntfs),
		T(test_wof),
		T(test_sd_attrs_set),
		T(test_write_truncate),
		T(test_device_cache),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
