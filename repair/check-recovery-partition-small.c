/*
 * check-recovery-partition-small.c: the disk's Windows Recovery
 * Environment partition has too little free space for a WinRE update
 * (CASE.md: 0x80240439 and "too little space in the recovery partition").
 *
 * Since June 2023 the monthly cumulative update also services WinRE. The
 * January 2024 WinRE update (KB5034441, Windows 10 21H2/22H2) needs 250 MB
 * free in the recovery partition and fails with 0x80070643 without it;
 * Microsoft's KB5028997 ("Instructions to manually resize your partition
 * to install the WinRE update") says to grow it by 250 MB (shrink the OS
 * partition, recreate the recovery partition, reagentc /enable). Recovery
 * partitions Windows 10 1507/1511 made (450 MB) and kept through upgrades
 * are the ones short of it. Resizing partitions offline is no repair to
 * do unattended, so this only explains.
 *
 * Only partitions that hold Recovery\WindowsRE\Winre.wim are judged:
 * leftovers of older installations that no longer hold WinRE are not
 * updated and need no room.
 */

#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repair/repair.h"
#include "util/util.h"

#define RPS_GPT_TYPE	"de94bba4-06d1-4d40-a16a-bfd50179d6ac"
#define RPS_MBR_TYPE	0x27
#define RPS_WIM		"Recovery\\WindowsRE\\Winre.wim"
/* KB5034441 / KB5028997: 250 MB; taken as MiB, the stricter reading. */
#define RPS_NEED	((uint64_t)250 << 20)

static int
rps_is_recovery(const struct vol_part *p)
{
	if (p->part_type == NULL)
		return 0;
	if (strcasecmp(p->part_type, RPS_GPT_TYPE) == 0)
		return 1;
	return strtoul(p->part_type, NULL, 0) == RPS_MBR_TYPE &&
	    strncasecmp(p->part_type, "0x", 2) == 0;
}

static int
rps_run(struct diag *d, const struct check *c, char **cause)
{
	const struct target	*t = diag_target(d);
	struct vol_disk		 disk;
	struct vol_where	 w;
	struct vol		*v;
	struct finding		*f;
	struct stat		 sb;
	uint64_t		 total, avail;
	size_t			 i;

	(void)cause;
	/* A mounted directory or a bare partition has no disk to look at:
	 * nothing to say, rather than a guess. */
	if (t->where.path == NULL || stat(t->where.path, &sb) != 0 ||
	    S_ISDIR(sb.st_mode))
		return 0;
	if (vol_disk_probe(t->where.path, &disk, NULL) != 0)
		return 0;
	for (i = 0; i < disk.nparts && disk.pt_type != NULL; i++) {
		if (!rps_is_recovery(&disk.parts[i]) ||
		    disk.parts[i].offset == t->where.offset)
			continue;
		memset(&w, 0, sizeof w);
		w.path = disk.path;
		w.offset = disk.parts[i].offset;
		w.size = disk.parts[i].size;
		if (vol_open(&w, VOL_RDONLY, &v, NULL, NULL) != 0)
			continue;	/* not NTFS: nothing ntmend can judge */
		if (!vol_exists(v, RPS_WIM)) {
			vol_close(v);
			continue;
		}
		vol_space(v, &total, &avail);
		vol_close(v);
		if (avail >= RPS_NEED)
			continue;
		f = diag_finding(d, c, SEV_WARNING, NULL, "the recovery "
		    "partition (partition %d, %llu MB) has %llu MB free; a "
		    "WinRE update needs 250 MB (KB5034441 fails with "
		    "0x80070643): grow it by 250 MB inside Windows as "
		    "Microsoft's KB5028997 describes (reagentc /disable, "
		    "shrink the Windows partition, recreate the recovery "
		    "partition, reagentc /enable)", disk.parts[i].index,
		    (unsigned long long)(disk.parts[i].size >> 20),
		    (unsigned long long)(avail >> 20));
		finding_evidence(f, "%s partition %d: type %s, %llu bytes, "
		    "%llu bytes free, holds %s", disk.path,
		    disk.parts[i].index, disk.parts[i].part_type,
		    (unsigned long long)disk.parts[i].size,
		    (unsigned long long)avail, RPS_WIM);
	}
	vol_disk_free(&disk);
	return 0;
}

const struct check check_recovery_partition_small = {
	.id = "recovery-partition-small",
	.title = "Recovery partition too small",
	.explanation = "Cumulative updates also update the Windows Recovery "
	    "Environment in its own partition; with less than 250 MB free "
	    "there the WinRE update (KB5034441 on Windows 10) fails with "
	    "0x80070643 and Windows Update keeps offering it. Growing the "
	    "partition means moving partitions: done inside Windows by hand "
	    "(Microsoft KB5028997), not by ntmend.",
	.run = rps_run
};
