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
/* Twice the files of a whole WinSxS (6 MiB); past that, some of what
 * earlier runs put goes. */
#define HC_MAX		((size_t)1 << 17)
#define HC_NAME		"golden-hashes"

struct hcache {
	char		*dir;		/* NULL: no cache this run */
	char		 boot[HC_BOOT];
	uint8_t		*file;		/* as read */
	const uint8_t	*v;		/* its entries, by fingerprint */
	size_t		 n;
	uint8_t		*add;		/* entries put since */
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

/* An entry: the fingerprint, then the SHA-256, as in the file. */
static int
hc_cmp(const void *a, const void *b)
{
	return memcmp(a, b, HC_FP);
}

/* Read the cache file into hc->v; anything amiss leaves it empty. */
static void
hc_load(struct hcache *hc)
{
	struct stat	 sb;
	uint8_t		*buf = NULL;
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
	/* Lookups are a binary search: strictly in order, or none. */
	for (i = 1; i < count; i++) {
		if (memcmp(buf + HC_HEADER + (i - 1) * HC_ENTRY,
		    buf + HC_HEADER + i * HC_ENTRY, HC_FP) >= 0)
			goto out;
	}
	hc->file = buf;
	hc->v = buf + HC_HEADER;
	hc->n = count;
	buf = NULL;
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
	const uint8_t	*e;

	if (hc == NULL || hc->n == 0)
		return -1;
	if ((e = bsearch(fp, hc->v, hc->n, HC_ENTRY, hc_cmp)) == NULL)
		return -1;
	memcpy(sha, e + HC_FP, 32);
	return 0;
}

size_t
hcache_count(const struct hcache *hc)
{
	return hc != NULL ? hc->n : 0;
}

void
hcache_put(struct hcache *hc, const uint8_t fp[16], const uint8_t sha[32])
{
	uint8_t	*e;

	if (hc == NULL || hc->dir == NULL || hc->nadd >= HC_MAX)
		return;
	/* Room doubles each time nadd reaches a power of two. */
	if ((hc->nadd & (hc->nadd - 1)) == 0)
		hc->add = xreallocarray(hc->add, hc->nadd == 0 ? 1 :
		    hc->nadd * 2, HC_ENTRY);
	e = hc->add + hc->nadd++ * HC_ENTRY;
	memcpy(e, fp, HC_FP);
	memcpy(e + HC_FP, sha, 32);
}

/*
 * What was loaded and what was put, merged in order (a fingerprint put
 * again takes the new SHA-256: the file was read again), written through
 * a temporary file and a rename. Over HC_MAX entries, loaded ones are
 * left out evenly.
 */
static void
hc_save(struct hcache *hc)
{
	uint8_t		 head[HC_HEADER], last[HC_FP];
	const uint8_t	*a, *b;
	size_t		 i, j, room, skip = 0, kept = 0;
	char		*tmp, *path;
	FILE		*f;
	int		 c, fd, ok;

	if (hc == NULL || hc->dir == NULL || hc->nadd == 0)
		return;
	/* A fingerprint put twice in one run was put with one SHA-256: the
	 * file was not written between (or it would have another). */
	qsort(hc->add, hc->nadd, HC_ENTRY, hc_cmp);
	room = HC_MAX - hc->nadd;
	if (hc->n > room)
		skip = hc->n - room;

	/* Not synced: a cache cut short by a crash is only refused. The
	 * directory is this user's alone (hc_own_dir). */
	tmp = xprintf("%s/%s.%ld", hc->dir, HC_NAME, (long)getpid());
	path = xprintf("%s/%s", hc->dir, HC_NAME);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
	    0600);
	if (fd == -1 || (f = fdopen(fd, "w")) == NULL) {
		if (fd != -1)
			close(fd);
		goto out;
	}
	memset(head, 0, sizeof head);
	fwrite(head, 1, sizeof head, f);	/* the count comes last */
	for (i = j = 0; i < hc->n || j < hc->nadd;) {
		a = i < hc->n ? hc->v + i * HC_ENTRY : NULL;
		b = j < hc->nadd ? hc->add + j * HC_ENTRY : NULL;
		c = a == NULL ? 1 : b == NULL ? -1 : memcmp(a, b, HC_FP);
		if (c == 0)		/* read again: the new one */
			i++;
		else if (c < 0) {
			/* When full, every (n / skip)th loaded one goes. */
			if (skip == 0 || i * skip / hc->n ==
			    (i + 1) * skip / hc->n) {
				fwrite(a, 1, HC_ENTRY, f);
				kept++;
			}
			i++;
		} else {
			if (kept == 0 || memcmp(last, b, HC_FP) != 0) {
				fwrite(b, 1, HC_ENTRY, f);
				memcpy(last, b, HC_FP);
				kept++;
			}
			j++;
		}
	}
	memcpy(head, HC_MAGIC, 8);
	memcpy(head + 8, hc->boot, HC_BOOT);
	le64enc(head + 8 + HC_BOOT, kept);
	ok = fseek(f, 0, SEEK_SET) == 0 &&
	    fwrite(head, 1, sizeof head, f) == sizeof head && !ferror(f);
	if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
		unlink(tmp);
out:
	free(path);
	free(tmp);
}

void
hcache_close(struct hcache *hc)
{
	if (hc == NULL)
		return;
	hc_save(hc);
	free(hc->dir);
	free(hc->file);
	free(hc->add);
	free(hc);
}
