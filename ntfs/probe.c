/*
 * probe.c: disks, partitions and the filesystems on them, with libblkid.
 * Only reads: the technician's disks are probed before anyone has decided
 * what to repair.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <blkid/blkid.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

/*
 * A partition table has at most 128 entries (GPT's default array); dos
 * extended chains are walked by libblkid with its own loop limit. More
 * than this is a corrupt table, not a disk anyone installed Windows on.
 */
#define NTM_MAX_PARTS	256

/* BitLocker writes "-FVE-FS-" where NTFS has its OEM id "NTFS    ". */
#define BITLOCKER_SIG	"-FVE-FS-"
#define NTFS_SIG	"NTFS    "

/*
 * libblkid only accepts a BitLocker boot sector whose jump instruction
 * and FVE metadata offset look like Vista's, 7's or To Go's; a volume
 * whose metadata block is damaged or moved (or one from a build libblkid
 * does not know) still has the signature and still cannot be read
 * without the key, so it must not pass for an empty or unknown
 * partition.
 */
static int
probe_oem_id(int fd, uint64_t offset, const char *sig)
{
	char	buf[3 + 8];
	ssize_t	n;

	n = pread(fd, buf, sizeof buf, (off_t)offset);
	if (n != (ssize_t)sizeof buf)
		return 0;
	return memcmp(buf + 3, sig, 8) == 0;
}

/*
 * NTFS and FAT put a boot sector at byte 0 that ends in 55 AA, exactly
 * like an MBR; libblkid's dos prober rules out FAT boot sectors but not
 * NTFS or BitLocker ones, so a lone partition (/dev/sda3, a partition
 * image) could come out as an empty "dos" table.
 */
static int
probe_is_boot_sector_fs(const char *fstype)
{
	return strcmp(fstype, "ntfs") == 0 || strcmp(fstype, "vfat") == 0 ||
	    strcmp(fstype, "exfat") == 0 || strcmp(fstype, "BitLocker") == 0;
}

static char *
probe_value(blkid_probe pr, const char *name)
{
	const char	*v;

	if (blkid_probe_lookup_value(pr, name, &v, NULL) != 0 || *v == '\0')
		return NULL;
	return xstrdup(v);
}

static void
probe_part_fs_clear(struct vol_part *part)
{
	free(part->fstype);
	free(part->label);
	free(part->uuid);
	part->fstype = part->label = part->uuid = NULL;
}

/* Fill fstype, label and uuid of the filesystem at offset (size 0: to the
 * end). Nothing found is not an error: the fields stay NULL. */
static int
probe_fs(int fd, const char *path, struct vol_part *part, char **cause)
{
	blkid_probe	 pr;
	char		*usage;
	int		 rc, stale;

	if ((pr = blkid_new_probe()) == NULL)
		return set_cause(cause, "%s: cannot create a libblkid probe",
		    path);
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)part->offset,
	    (blkid_loff_t)part->size) != 0) {
		blkid_free_probe(pr);
		return set_cause(cause, "%s: cannot probe bytes %llu-%llu",
		    path, (unsigned long long)part->offset,
		    (unsigned long long)(part->offset + part->size));
	}
	blkid_probe_enable_partitions(pr, 0);
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_LABEL |
	    BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE);

	/*
	 * -2 is "ambivalent": two signatures. And a RAID superblock (md 0.90
	 * and 1.0 keep theirs at the end of the partition) wins over any
	 * filesystem. Both happen on a disk that was a Linux RAID member
	 * before Windows was installed on it: the old superblock survives
	 * at the end, while the boot sector at byte 0 is what Windows
	 * mounts, so its OEM id decides.
	 */
	rc = blkid_do_safeprobe(pr);
	if (rc == 0) {
		part->fstype = probe_value(pr, "TYPE");
		part->label = probe_value(pr, "LABEL");
		part->uuid = probe_value(pr, "UUID");
		usage = probe_value(pr, "USAGE");
		stale = usage != NULL && strcmp(usage, "raid") == 0;
		free(usage);
	} else
		stale = rc == -2;
	blkid_free_probe(pr);

	if (part->fstype == NULL && probe_oem_id(fd, part->offset,
	    BITLOCKER_SIG))
		part->fstype = xstrdup("BitLocker");
	else if (stale && probe_oem_id(fd, part->offset, NTFS_SIG)) {
		probe_part_fs_clear(part);
		part->fstype = xstrdup("ntfs");
	}
	return 0;
}

static void
probe_part_clear(struct vol_part *part)
{
	probe_part_fs_clear(part);
	free(part->part_type);
	free(part->part_name);
}

void
vol_disk_free(struct vol_disk *disk)
{
	size_t	i;

	if (disk == NULL)
		return;
	for (i = 0; i < disk->nparts; i++)
		probe_part_clear(&disk->parts[i]);
	free(disk->parts);
	free(disk->path);
	free(disk->pt_type);
	memset(disk, 0, sizeof *disk);
}

/* Read the partition table into disk->parts (positions only). */
static int
probe_table(blkid_probe pr, struct vol_disk *disk, char **cause)
{
	blkid_partlist	 ls;
	blkid_parttable	 tab;
	blkid_partition	 par;
	struct vol_part	*part;
	const char	*s;
	int		 i, n;

	if ((ls = blkid_probe_get_partitions(pr)) == NULL)
		return 0;	/* no table */
	if ((tab = blkid_partlist_get_table(ls)) == NULL)
		return 0;
	n = blkid_partlist_numof_partitions(ls);
	if (n < 0 || n > NTM_MAX_PARTS)
		return set_cause(cause, "%s: partition table with %d entries "
		    "(at most %d expected): the table is damaged",
		    disk->path, n, NTM_MAX_PARTS);
	disk->pt_type = xstrdup(blkid_parttable_get_type(tab));
	disk->parts = xcalloc((size_t)n + 1, sizeof *disk->parts);
	for (i = 0; i < n; i++) {
		if ((par = blkid_partlist_get_partition(ls, i)) == NULL)
			continue;
		part = &disk->parts[disk->nparts++];
		part->index = blkid_partition_get_partno(par);
		/* libblkid counts in 512-byte units whatever the sector
		 * size of the device. */
		part->offset = (uint64_t)blkid_partition_get_start(par) * 512;
		part->size = (uint64_t)blkid_partition_get_size(par) * 512;
		if ((s = blkid_partition_get_type_string(par)) != NULL)
			part->part_type = xstrdup(s);
		else
			xasprintf(&part->part_type, "0x%x",
			    (unsigned)blkid_partition_get_type(par));
		if ((s = blkid_partition_get_name(par)) != NULL && *s != '\0')
			part->part_name = xstrdup(s);
	}
	return 0;
}

int
vol_disk_probe(const char *path, struct vol_disk *disk, char **cause)
{
	blkid_probe	 pr = NULL;
	struct vol_part	 whole;
	blkid_loff_t	 size;
	size_t		 i;
	int		 fd, error;

	memset(disk, 0, sizeof *disk);
	memset(&whole, 0, sizeof whole);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		error = errno;
		set_cause(cause, "%s: %s", path, strerror(error));
		errno = error;
		return -1;
	}
	disk->path = xstrdup(path);

	if ((pr = blkid_new_probe()) == NULL ||
	    blkid_probe_set_device(pr, fd, 0, 0) != 0) {
		set_cause(cause, "%s: libblkid cannot probe it", path);
		goto fail;
	}
	if ((size = blkid_probe_get_size(pr)) <= 0) {
		set_cause(cause, "%s: empty (size 0): not a disk or image",
		    path);
		goto fail;
	}
	disk->size = (uint64_t)size;

	/* What is at byte 0 decides whether a table there is believable. */
	if (probe_fs(fd, path, &whole, cause) != 0)
		goto fail;
	if (whole.fstype == NULL || !probe_is_boot_sector_fs(whole.fstype)) {
		blkid_probe_enable_superblocks(pr, 0);
		blkid_probe_enable_partitions(pr, 1);
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);
		if (probe_table(pr, disk, cause) != 0)
			goto fail;
	}

	/*
	 * A table without partitions next to a filesystem at byte 0 is the
	 * filesystem's boot sector read as an MBR; without a filesystem it is
	 * a real, empty table (a wiped disk).
	 */
	if (disk->pt_type != NULL && disk->nparts == 0 && whole.fstype != NULL) {
		free(disk->pt_type);
		disk->pt_type = NULL;
	}
	if (disk->pt_type == NULL) {
		free(disk->parts);
		disk->parts = xcalloc(1, sizeof *disk->parts);
		whole.index = 0;
		whole.offset = 0;
		whole.size = disk->size;
		disk->parts[0] = whole;
		disk->nparts = 1;
		memset(&whole, 0, sizeof whole);
	} else {
		for (i = 0; i < disk->nparts; i++) {
			if (probe_fs(fd, path, &disk->parts[i], cause) != 0)
				goto fail;
		}
	}

	probe_part_clear(&whole);
	blkid_free_probe(pr);
	close(fd);
	return 0;

fail:
	probe_part_clear(&whole);
	if (pr != NULL)
		blkid_free_probe(pr);
	close(fd);
	vol_disk_free(disk);
	return -1;
}

/* Read a small sysfs attribute; "" if missing. */
static void
probe_sysfs_read(const char *dev, const char *attr, char *buf, size_t len)
{
	char	*path;
	ssize_t	 n;
	int	 fd;

	buf[0] = '\0';
	path = xprintf("/sys/block/%s/%s", dev, attr);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	free(path);
	if (fd == -1)
		return;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	while (n > 0 && isspace((unsigned char)buf[n - 1]))
		buf[--n] = '\0';
}

/* Is this /sys/block entry a disk that can hold something? */
static int
probe_sysfs_wanted(const char *dev)
{
	char	buf[64];

	if (strncmp(dev, "ram", 3) == 0 || strncmp(dev, "zram", 4) == 0)
		return 0;
	/* An unattached loop device exists only as a name. */
	if (strncmp(dev, "loop", 4) == 0) {
		probe_sysfs_read(dev, "loop/backing_file", buf, sizeof buf);
		if (buf[0] == '\0')
			return 0;
	}
	/* NVMe multipath hides the per-path devices behind one node. */
	probe_sysfs_read(dev, "hidden", buf, sizeof buf);
	if (strcmp(buf, "1") == 0)
		return 0;
	probe_sysfs_read(dev, "size", buf, sizeof buf);
	if (buf[0] == '\0' || strcmp(buf, "0") == 0)
		return 0;	/* empty card reader, no medium */
	return 1;
}

static int
probe_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
vol_disks_list(char ***pathsp, size_t *np, char **cause)
{
	DIR		 *d;
	struct dirent	 *de;
	char		**paths = NULL, *name, *p;
	size_t		  n = 0;

	*pathsp = NULL;
	*np = 0;
	if ((d = opendir("/sys/block")) == NULL)
		return set_cause(cause, "/sys/block: %s: mount sysfs "
		    "(mount -t sysfs sysfs /sys)", strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.' || !probe_sysfs_wanted(de->d_name))
			continue;
		/* sysfs spells '/' in device names as '!' (cciss!c0d0). */
		name = xprintf("/dev/%s", de->d_name);
		for (p = name + 5; *p != '\0'; p++) {
			if (*p == '!')
				*p = '/';
		}
		paths = xreallocarray(paths, n + 1, sizeof *paths);
		paths[n++] = name;
	}
	closedir(d);
	if (n > 1)
		qsort(paths, n, sizeof *paths, probe_cmp);
	*pathsp = paths;
	*np = n;
	return 0;
}
