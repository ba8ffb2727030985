/*
 * target.c: the TARGET argument (DESIGN.md) to a place where a volume
 * lives. The technician usually knows the disk, not the partition: a disk
 * (or an image of one) is searched for the partition that holds Windows,
 * and every refusal lists what is there so the next command can name it.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

/* The file whose presence makes a volume a Windows installation: every
 * boot loads the SYSTEM hive, so an install without it cannot start. */
#define WINDOWS_SYSTEM_HIVE	"Windows\\System32\\config\\SYSTEM"

int
vol_is_windows(struct vol *vol)
{
	struct vol_stat	sb;

	if (vol_stat(vol, WINDOWS_SYSTEM_HIVE, &sb, NULL) != 0)
		return 0;
	return !sb.is_dir;
}

void
vol_where_free(struct vol_where *where)
{
	/* vol_target_resolve always gives *where its own copy of the path. */
	free((void *)where->path);
	memset(where, 0, sizeof *where);
}

static char *
target_size(uint64_t size)
{
	if (size >= 10ULL << 30)
		return xprintf("%llu GiB", (unsigned long long)(size >> 30));
	if (size >= 10ULL << 20)
		return xprintf("%llu MiB", (unsigned long long)(size >> 20));
	return xprintf("%llu KiB", (unsigned long long)(size >> 10));
}

/* "3 ntfs "Windows" 64 MiB": one partition for a listing. */
static char *
target_part_describe(const struct vol_part *p)
{
	char	*size, *s;

	size = target_size(p->size);
	xasprintf(&s, "%d %s%s%s%s %s", p->index,
	    p->fstype != NULL ? p->fstype : "(no filesystem)",
	    p->label != NULL ? " \"" : "", p->label != NULL ? p->label : "",
	    p->label != NULL ? "\"" : "", size);
	free(size);
	return s;
}

/* All partitions, comma-separated. */
static char *
target_parts_list(const struct vol_disk *disk)
{
	char	*list = xstrdup(""), *p, *s;
	size_t	 i;

	for (i = 0; i < disk->nparts; i++) {
		p = target_part_describe(&disk->parts[i]);
		xasprintf(&s, "%s%s%s", list, i == 0 ? "" : ", ", p);
		free(p);
		free(list);
		list = s;
	}
	return list;
}

static int
target_is_bitlocker(const struct vol_part *p)
{
	return p->fstype != NULL && strcmp(p->fstype, "BitLocker") == 0;
}

/*
 * How to unlock partition p: cryptsetup needs a block device, which an
 * image file becomes with losetup -P. The kernel names partition N of
 * /dev/sda "sda3" but of /dev/nvme0n1 "nvme0n1p3" (the disk name ends in
 * a digit).
 */
static char *
target_bitlocker_hint(const struct vol_disk *disk, const struct vol_part *p,
    int is_blk)
{
	const char	*path = disk->path;
	size_t		 len = strlen(path);
	const char	*sep;

	if (!is_blk)
		return xprintf("partition %d is BitLocker-encrypted (locked) "
		    "and may hold Windows: attach the image with 'losetup -P "
		    "-f --show %s', unlock with 'cryptsetup bitlkOpen "
		    "/dev/loopXp%d win' and the recovery key, then use -t "
		    "/dev/mapper/win", p->index, path, p->index);
	sep = len > 0 && isdigit((unsigned char)path[len - 1]) ? "p" : "";
	return xprintf("partition %d is BitLocker-encrypted (locked) and may "
	    "hold Windows: unlock it with 'cryptsetup bitlkOpen %s%s%d win' "
	    "and the recovery key, then use -t /dev/mapper/win", p->index,
	    path, sep, p->index);
}

/* Hints for every locked partition, "" if none; caller frees. */
static char *
target_bitlocker_hints(const struct vol_disk *disk, int is_blk)
{
	char	*out = xstrdup(""), *h, *s;
	size_t	 i;

	for (i = 0; i < disk->nparts; i++) {
		if (!target_is_bitlocker(&disk->parts[i]))
			continue;
		h = target_bitlocker_hint(disk, &disk->parts[i], is_blk);
		xasprintf(&s, "%s; %s", out, h);
		free(h);
		free(out);
		out = s;
	}
	return out;
}

static void
target_where_part(struct vol_where *where, const char *path,
    const struct vol_part *p)
{
	where->path = xstrdup(path);
	where->offset = p->offset;
	where->size = p->size;
	where->index = p->index;
	where->is_dir = 0;
}

/*
 * Open each NTFS partition read-only and look for the SYSTEM hive. A
 * partition that does not open even read-only (a damaged $MFT: the very
 * machines ntmend is for) is not counted, but its error is shown when
 * nothing else is found, so that the technician can pick it by number.
 */
static int
target_find_windows(const struct vol_disk *disk, int is_blk,
    struct vol_where *where, char **cause)
{
	struct vol_where	 w;
	struct vol		*vol;
	const struct vol_part	*found = NULL;
	char			*list = xstrdup(""), *errs = xstrdup("");
	char			*parts, *hints, *d, *s, *why;
	size_t			 i, nfound = 0;
	unsigned		 state;
	int			 rc = -1;

	for (i = 0; i < disk->nparts; i++) {
		const struct vol_part	*p = &disk->parts[i];

		if (p->fstype == NULL || strcmp(p->fstype, "ntfs") != 0)
			continue;
		memset(&w, 0, sizeof w);
		w.path = disk->path;
		w.offset = p->offset;
		w.size = p->size;
		w.index = p->index;
		why = NULL;
		if (vol_open(&w, VOL_RDONLY, &vol, &state, &why) != 0) {
			xasprintf(&s, "%s; partition %d does not open: %s",
			    errs, p->index, why != NULL ? why : "unknown error");
			free(why);
			free(errs);
			errs = s;
			continue;
		}
		if (vol_is_windows(vol)) {
			found = p;
			nfound++;
			d = target_part_describe(p);
			xasprintf(&s, "%s%s%s@%d (%s)", list,
			    nfound == 1 ? "" : ", ", disk->path, p->index,
			    strchr(d, ' ') + 1);
			free(d);
			free(list);
			list = s;
		}
		vol_close(vol);
	}

	if (nfound == 1) {
		target_where_part(where, disk->path, found);
		rc = 0;
		goto out;
	}
	hints = target_bitlocker_hints(disk, is_blk);
	if (nfound == 0) {
		parts = target_parts_list(disk);
		set_cause(cause, "%s: no Windows installation found on it "
		    "(%s partitions: %s)%s%s; if one of them is Windows, name "
		    "it with -t %s@N", disk->path, disk->pt_type, parts, errs,
		    hints, disk->path);
		free(parts);
	} else
		set_cause(cause, "%s holds %zu Windows installations: %s%s; "
		    "pick one with -t %s@N", disk->path, nfound, list, hints,
		    disk->path);
	free(hints);

out:
	free(errs);
	free(list);
	return rc;
}

/* "disk.img@3" -> "disk.img" and 3, when the part after '@' is a number. */
static int
target_split_index(const char *target, char **path, int *index)
{
	const char	*at = strrchr(target, '@'), *p;
	long		 n;

	if (at == NULL || at == target || at[1] == '\0')
		return 0;
	for (p = at + 1; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p))
			return 0;
	}
	if (strlen(at + 1) > 9)
		return 0;
	n = strtol(at + 1, NULL, 10);
	*path = xstrndup(target, (size_t)(at - target));
	*index = (int)n;
	return 1;
}

int
vol_target_resolve(const char *target, struct vol_where *where,
    char **cause)
{
	struct vol_disk	 disk;
	struct stat	 sb;
	char		*path = NULL, *parts;
	const char	*why;
	size_t		 i;
	int		 index = -1, is_blk, error, rc = -1;

	memset(where, 0, sizeof *where);
	memset(&disk, 0, sizeof disk);

	/* A file may really be named "x@3": the whole name wins. */
	if (stat(target, &sb) != 0) {
		error = errno;
		if (!target_split_index(target, &path, &index)) {
			set_cause(cause, "%s: %s: give a partition device, a "
			    "disk or disk image (IMAGE@N for partition N) or "
			    "a mounted directory; 'ntmend scan' lists them",
			    target, strerror(error));
			errno = error;
			return -1;
		}
		if (stat(path, &sb) != 0) {
			error = errno;
			set_cause(cause, "%s: %s: give a disk or disk image "
			    "before the @", path, strerror(error));
			errno = error;
			goto fail;
		}
	} else
		path = xstrdup(target);

	if (S_ISDIR(sb.st_mode)) {
		if (index != -1) {
			set_cause(cause, "%s is a directory: @%d picks a "
			    "partition of a disk or disk image; give the "
			    "directory alone", path, index);
			errno = EINVAL;
			goto fail;
		}
		where->path = path;
		where->is_dir = 1;
		return 0;
	}
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode)) {
		set_cause(cause, "%s: not a block device, disk image or "
		    "directory: give one of those", path);
		errno = EINVAL;
		goto fail;
	}
	is_blk = S_ISBLK(sb.st_mode);

	if (vol_disk_probe(path, &disk, cause) != 0)
		goto fail;

	if (index != -1) {
		for (i = 0; i < disk.nparts; i++) {
			if (disk.parts[i].index == index)
				break;
		}
		if (i == disk.nparts) {
			parts = target_parts_list(&disk);
			if (disk.pt_type == NULL)
				set_cause(cause, "%s has no partition table "
				    "(it holds %s): give it without @%d",
				    path, parts, index);
			else
				set_cause(cause, "%s has no partition %d (its "
				    "%s partitions: %s): pick one with -t "
				    "%s@N", path, index, disk.pt_type,
				    parts[0] != '\0' ? parts : "none", path);
			free(parts);
			errno = ENOENT;
			goto fail;
		}
		target_where_part(where, path, &disk.parts[i]);
		rc = 0;
		goto out;
	}

	if (disk.pt_type != NULL) {
		if (disk.nparts == 0) {
			set_cause(cause, "%s: its %s partition table has no "
			    "partitions: it holds no Windows installation",
			    path, disk.pt_type);
			errno = ENOENT;
			goto fail;
		}
		if (target_find_windows(&disk, is_blk, where, cause) != 0) {
			errno = ENOENT;
			goto fail;
		}
		rc = 0;
		goto out;
	}

	/*
	 * No table: a partition device or an image of one. A filesystem that
	 * cannot be Windows' is refused here so that searching the machine's
	 * disks does not count a FAT-formatted USB stick; an unknown one or
	 * BitLocker goes on to vol_open, which says what it is.
	 */
	why = disk.parts[0].fstype;
	if (why != NULL && strcmp(why, "ntfs") != 0 &&
	    strcmp(why, "BitLocker") != 0) {
		set_cause(cause, "%s holds a %s filesystem, not NTFS: give the "
		    "Windows partition", path, why);
		errno = EINVAL;
		goto fail;
	}
	target_where_part(where, path, &disk.parts[0]);
	rc = 0;

out:
	free(path);
	vol_disk_free(&disk);
	return rc;

fail:
	error = errno;
	free(path);
	vol_disk_free(&disk);
	memset(where, 0, sizeof *where);
	errno = error;
	return -1;
}
