/* target.c: from the TARGET argument (or nothing) to an open volume. */

#include <sys/ioctl.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

static int
where_is_windows(const struct vol_where *w)
{
	struct vol	*vol;
	int		 yes;

	if (vol_open(w, VOL_RDONLY, &vol, NULL, NULL) != 0)
		return 0;
	yes = vol_is_windows(vol);
	vol_close(vol);
	return yes;
}

/* Without -t: the one Windows installation on this machine's disks. */
static int
target_find(struct target *t, char **cause)
{
	char		**disks = NULL, *found = NULL, *list = NULL, *s;
	size_t		  ndisks = 0, nfound = 0, i;
	struct vol_where  w;

	if (vol_disks_list(&disks, &ndisks, cause) != 0)
		return -1;
	for (i = 0; i < ndisks; i++) {
		if (vol_target_resolve(disks[i], &w, NULL) != 0)
			continue;
		/* A disk without a table resolves to itself unchecked: an
		 * NTFS data disk is no Windows installation. */
		if (w.index == 0 && !where_is_windows(&w)) {
			vol_where_free(&w);
			continue;
		}
		s = w.index > 0 ? xprintf("%s@%d", disks[i], w.index) :
		    xstrdup(disks[i]);
		vol_where_free(&w);
		xasprintf(&list, "%s%s%s", list == NULL ? "" : list,
		    list == NULL ? "" : ", ", s);
		free(found);
		found = s;
		nfound++;
	}
	for (i = 0; i < ndisks; i++)
		free(disks[i]);
	free(disks);

	if (nfound == 1) {
		free(list);
		t->spec = found;
		return vol_target_resolve(found, &t->where, cause);
	}
	if (nfound == 0)
		set_cause(cause, "no Windows installation found on this "
		    "machine's %zu disk(s); run 'ntmend scan' to see them and "
		    "give one with -t", ndisks);
	else
		set_cause(cause, "%zu Windows installations found (%s); pick "
		    "one with -t", nfound, list);
	free(list);
	free(found);
	return -1;
}

static int
has_bitlocker(const char *spec)
{
	struct vol_disk	 disk;
	size_t		 i;
	int		 found = 0;

	if (vol_disk_probe(spec, &disk, NULL) != 0)
		return 0;
	for (i = 0; i < disk.nparts; i++) {
		if (disk.parts[i].fstype != NULL &&
		    strcmp(disk.parts[i].fstype, "BitLocker") == 0)
			found = 1;
	}
	vol_disk_free(&disk);
	return found;
}

enum ntm_status
target_open(const char *spec, int flags, struct target *t, char **cause)
{
	int	vflags = VOL_RDONLY;

	memset(t, 0, sizeof *t);
	if (spec == NULL) {
		if (target_find(t, cause) != 0)
			return NTM_FAILED;
	} else {
		t->spec = xstrdup(spec);
		if (vol_target_resolve(spec, &t->where, cause) != 0) {
			free(t->spec);
			t->spec = NULL;
			/* Windows may sit on a locked BitLocker partition:
			 * that is unsafe to open, not absent. */
			if (!has_bitlocker(spec))
				return NTM_FAILED;
			t->state = VOL_BITLOCKER;
			return NTM_UNSAFE;
		}
	}
	if (flags & TARGET_WRITE)
		vflags |= VOL_RDWR;
	if (flags & TARGET_DISCARD_HIBER)
		vflags |= VOL_DISCARD_HIBERNATION;
	if (vol_open(&t->where, vflags, &t->vol, &t->state, cause) != 0) {
		vol_where_free(&t->where);
		free(t->spec);
		t->spec = NULL;
		if (t->state & (VOL_BITLOCKER | VOL_HIBERNATED | VOL_DIRTY |
		    VOL_LOGFILE_UNCLEAN))
			return NTM_UNSAFE;
		return NTM_FAILED;
	}
	t->state = vol_state(t->vol);
	return NTM_OK;
}

void
target_close(struct target *t)
{
	if (t->vol != NULL)
		vol_close(t->vol);
	if (t->spec != NULL)
		vol_where_free(&t->where);
	free(t->spec);
	memset(t, 0, sizeof *t);
}

int
target_path_readonly(const char *path)
{
	struct stat	sb;
	int		fd, ro = 0;

	if (stat(path, &sb) != 0)
		return 0;
	if (S_ISDIR(sb.st_mode))
		return access(path, W_OK) != 0;
	/* A USB stick's write-protect switch shows only as BLKROGET. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	if (S_ISBLK(sb.st_mode) && ioctl(fd, BLKROGET, &ro) == 0 && ro)
		ro = 1;
	close(fd);
	return ro || access(path, W_OK) != 0;
}
