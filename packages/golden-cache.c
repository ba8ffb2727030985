/*
 * golden-cache.c: the SHA-256 of files ntmend hashed or wrote in this boot,
 * by their fingerprint (struct vol_stat). A re-apply compares most files
 * by size and fingerprint instead of reading and hashing them again: the
 * same fingerprint means no file system wrote the file since its hash was
 * taken, here or on the volume of a copied image. What it cannot see is a
 * change below the file system (a raw write to the disk, a failing
 * sector); `golden verify` and `golden apply --rehash` read every file.
 *
 * One file in a directory of ntmend's own, kept for this boot only: the
 * boot id is in its header, and /run, its usual place, is emptied at boot
 * anyway. It is a cache: whatever is wrong with it (missing, another
 * boot's, damaged, not ours) makes it empty, and saving it is best effort.
 *
 *	"NTMHASH1", the boot id (40 bytes, NUL-padded), the entry count (8,
 *	little-endian), then the entries sorted by fingerprint: the
 *	fingerprint (16), the SHA-256 (32).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packages/golden-private.h"
#include "util/util.h"

#define HC_MAGIC	"NTMHASH1"
#define HC_BOOT		40
#define HC_HEADER	(8 + HC_BOOT + 8)
#define HC_FP		16
#define HC_ENTRY	(HC_FP + 32)
/* Three times the files of a whole WinSxS (12 MiB of cache); past that,
 * what an earlier run put goes. */
#define HC_MAX		((size_t)1 << 18)
#define HC_NAME		"golden-hashes"

struct hc_entry {
	uint8_t		 fp[HC_FP];
	uint8_t		 sha[32];
	size_t		 order;		/* later puts win */
};

struct hcache {
	char		*dir;		/* NULL: no cache this run */
	char		 boot[HC_BOOT];
	struct hc_entry	*v;		/* loaded, sorted by fp */
	size_t		 n;
	struct hc_entry	*add;		/* put since */
	size_t		 nadd;
};

/* This boot's id, or -1. */
static int
hc_boot_id(char boot[HC_BOOT])
{
	FILE	*f;
	char	 line[64];

	memset(boot, 0, HC_BOOT);
	if ((f = fopen("/proc/sys/kernel/random/boot_id", "re")) == NULL)
		return -1;
	if (fgets(line, sizeof line, f) == NULL) {
		fclose(f);
		return -1;
	}
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	if (*line == '\0' || strlen(line) >= HC_BOOT)
		return -1;
	memcpy(boot, line, strlen(line));
	return 0;
}

/* A directory only this user can write, made if need be. */
static int
hc_own_dir(const char *dir)
{
	struct stat	sb;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) ||
	    sb.st_uid != geteuid() || (sb.st_mode & 077) != 0)
		return -1;
	return 0;
}

/* $NTMEND_CACHE_DIR, else /run/ntmend (the USB system runs as root), else
 * a directory of this user's under $TMPDIR. */
static char *
hc_dir(void)
{
	const char	*env = getenv("NTMEND_CACHE_DIR"), *tmp;
	char		*dir;

	if (env != NULL && *env != '\0')
		return hc_own_dir(env) == 0 ? xstrdup(env) : NULL;
	if (hc_own_dir("/run/ntmend") == 0)
		return xstrdup("/run/ntmend");
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	dir = xprintf("%s/ntmend-cache-%u", tmp, (unsigned)geteuid());
	if (hc_own_dir(dir) == 0)
		return dir;
	free(dir);
	return NULL;
}

static int
hc_cmp_fp(const void *a, const void *b)
{
	return memcmp(a, b, HC_FP);
}

/* By fingerprint, the latest put first. */
static int
hc_cmp_entry(const void *a, const void *b)
{
	const struct hc_entry	*x = a, *y = b;
	int			 c;

	if ((c = memcmp(x->fp, y->fp, HC_FP)) != 0)
		return c;
	return x->order < y->order ? 1 : x->order > y->order ? -1 : 0;
}

/* Read the cache file into hc->v; anything amiss leaves it empty. */
static void
hc_load(struct hcache *hc)
{
	struct stat	 sb;
	uint8_t		*buf = NULL, *p;
	uint64_t	 count;
	size_t		 i, off;
	ssize_t		 r;
	char		*path;
	int		 fd;

	path = xprintf("%s/%s", hc->dir, HC_NAME);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_uid != geteuid() || sb.st_size < HC_HEADER ||
	    (uint64_t)sb.st_size > HC_HEADER + (uint64_t)HC_MAX * HC_ENTRY)
		goto out;
	buf = xmalloc((size_t)sb.st_size);
	for (off = 0; off < (size_t)sb.st_size; off += (size_t)r) {
		r = pread(fd, buf + off, (size_t)sb.st_size - off, (off_t)off);
		if (r <= 0)
			goto out;
	}
	count = le64dec(buf + 8 + HC_BOOT);
	if (memcmp(buf, HC_MAGIC, 8) != 0 ||
	    memcmp(buf + 8, hc->boot, HC_BOOT) != 0 || count > HC_MAX ||
	    (uint64_t)sb.st_size != HC_HEADER + count * HC_ENTRY)
		goto out;
	hc->v = xreallocarray(NULL, count + 1, sizeof *hc->v);
	for (i = 0, p = buf + HC_HEADER; i < count; i++, p += HC_ENTRY) {
		memcpy(hc->v[i].fp, p, HC_FP);
		memcpy(hc->v[i].sha, p + HC_FP, 32);
		hc->v[i].order = 0;
		/* Lookups are a binary search: strictly in order, or none. */
		if (i > 0 && memcmp(hc->v[i - 1].fp, p, HC_FP) >= 0) {
			free(hc->v);
			hc->v = NULL;
			goto out;
		}
	}
	hc->n = count;
out:
	free(buf);
	close(fd);
}

struct hcache *
hcache_open(void)
{
	struct hcache	*hc;

	hc = xcalloc(1, sizeof *hc);
	if (hc_boot_id(hc->boot) != 0 || (hc->dir = hc_dir()) == NULL)
		return hc;
	hc_load(hc);
	return hc;
}

int
hcache_get(const struct hcache *hc, const uint8_t fp[16], uint8_t sha[32])
{
	const struct hc_entry	*e;

	if (hc == NULL || hc->n == 0)
		return -1;
	if ((e = bsearch(fp, hc->v, hc->n, sizeof *hc->v, hc_cmp_fp)) == NULL)
		return -1;
	memcpy(sha, e->sha, 32);
	return 0;
}

void
hcache_put(struct hcache *hc, const uint8_t fp[16], const uint8_t sha[32])
{
	struct hc_entry	*e;

	if (hc == NULL || hc->dir == NULL)
		return;
	if ((hc->nadd & (hc->nadd - 1)) == 0)
		hc->add = xreallocarray(hc->add, hc->nadd == 0 ? 64 :
		    hc->nadd * 2, sizeof *hc->add);
	e = &hc->add[hc->nadd];
	memcpy(e->fp, fp, HC_FP);
	memcpy(e->sha, sha, 32);
	e->order = ++hc->nadd;
}

/* Write what was loaded and what was put, through a temporary file and a
 * rename. */
static void
hc_save(struct hcache *hc)
{
	struct hc_entry	*all;
	uint8_t		*buf, *p;
	size_t		 n, i, keep, len, off, size;
	ssize_t		 r = 0;
	char		*tmp, *path;
	int		 fd;

	if (hc == NULL || hc->dir == NULL || hc->nadd == 0)
		return;
	/* Too many: the loaded ones go first, then the earliest puts. */
	keep = hc->n + hc->nadd <= HC_MAX ? hc->n : 0;
	n = keep + (hc->nadd <= HC_MAX ? hc->nadd : HC_MAX);
	all = xreallocarray(NULL, n + 1, sizeof *all);
	if (keep > 0)
		memcpy(all, hc->v, keep * sizeof *all);
	memcpy(all + keep, hc->add + (hc->nadd - (n - keep)),
	    (n - keep) * sizeof *all);
	qsort(all, n, sizeof *all, hc_cmp_entry);
	for (i = 0, len = 0; i < n; i++) {
		if (len > 0 && memcmp(all[len - 1].fp, all[i].fp, HC_FP) == 0)
			continue;
		all[len++] = all[i];
	}
	buf = xmalloc(HC_HEADER + len * HC_ENTRY);
	memcpy(buf, HC_MAGIC, 8);
	memcpy(buf + 8, hc->boot, HC_BOOT);
	le64enc(buf + 8 + HC_BOOT, len);
	for (i = 0, p = buf + HC_HEADER; i < len; i++, p += HC_ENTRY) {
		memcpy(p, all[i].fp, HC_FP);
		memcpy(p + HC_FP, all[i].sha, 32);
	}
	/* Not synced: a cache cut short by a crash is only refused. The
	 * directory is this user's alone (hc_own_dir). */
	tmp = xprintf("%s/%s.%ld", hc->dir, HC_NAME, (long)getpid());
	path = xprintf("%s/%s", hc->dir, HC_NAME);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd != -1) {
		for (off = 0, size = HC_HEADER + len * HC_ENTRY; off < size;
		    off += (size_t)r) {
			if ((r = write(fd, buf + off, size - off)) <= 0)
				break;
		}
		if (close(fd) != 0 || off < size || rename(tmp, path) != 0)
			unlink(tmp);
	}
	free(path);
	free(tmp);
	free(buf);
	free(all);
}

void
hcache_close(struct hcache *hc)
{
	if (hc == NULL)
		return;
	hc_save(hc);
	free(hc->dir);
	free(hc->v);
	free(hc->add);
	free(hc);
}
