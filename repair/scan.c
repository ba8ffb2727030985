/* scan.c: disks, partitions, filesystems and Windows installations. */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

static void
scan_part(const char *path, struct vol_part *vp, struct scan_part *sp)
{
	struct vol_where	 w;
	struct vol		*vol;
	char			*cause = NULL;

	sp->part = *vp;
	if (vp->fstype == NULL)
		return;
	if (strcmp(vp->fstype, "BitLocker") == 0) {
		sp->state = VOL_BITLOCKER;
		return;
	}
	if (strcmp(vp->fstype, "ntfs") != 0)
		return;
	memset(&w, 0, sizeof w);
	w.path = path;
	w.offset = vp->offset;
	w.size = vp->size;
	w.index = vp->index;
	if (vol_open(&w, VOL_RDONLY, &vol, &sp->state, &cause) != 0) {
		sp->error = cause;
		return;
	}
	sp->state = vol_state(vol);
	if (vol_hiber_signature(vol)[0] != '\0')
		sp->hiber_sig = xstrdup(vol_hiber_signature(vol));
	if (vol_is_windows(vol)) {
		sp->is_windows = 1;
		if (identity_read(vol, &sp->id, &cause) != 0)
			sp->error = cause;
	}
	vol_close(vol);
}

static void
add_error(char ***errors, size_t *nerrors, char *e)
{
	*errors = xreallocarray(*errors, *nerrors + 1, sizeof **errors);
	(*errors)[(*nerrors)++] = e;
}

int
scan_disks(const char *const *paths, size_t npaths, struct scan_disk **disksp,
    size_t *ndisksp, char ***errors, size_t *nerrors)
{
	struct scan_disk	*disks = NULL, *d;
	char			**own = NULL, *cause = NULL;
	size_t			  nown = 0, n = 0, i, j;

	*errors = NULL;
	*nerrors = 0;
	if (paths == NULL) {
		if (vol_disks_list(&own, &nown, &cause) != 0) {
			add_error(errors, nerrors, cause);
			nown = 0;
		}
		paths = (const char *const *)own;
		npaths = nown;
	}
	for (i = 0; i < npaths; i++) {
		disks = xreallocarray(disks, n + 1, sizeof *disks);
		d = &disks[n];
		memset(d, 0, sizeof *d);
		if (vol_disk_probe(paths[i], &d->disk, &cause) != 0) {
			add_error(errors, nerrors, cause);
			continue;
		}
		d->parts = xcalloc(d->disk.nparts, sizeof *d->parts);
		for (j = 0; j < d->disk.nparts; j++)
			scan_part(paths[i], &d->disk.parts[j], &d->parts[j]);
		n++;
	}
	for (i = 0; i < nown; i++)
		free(own[i]);
	free(own);
	*disksp = disks;
	*ndisksp = n;
	return 0;
}

void
scan_free(struct scan_disk *disks, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < disks[i].disk.nparts; j++) {
			identity_free(&disks[i].parts[j].id);
			free(disks[i].parts[j].hiber_sig);
			free(disks[i].parts[j].error);
		}
		free(disks[i].parts);
		vol_disk_free(&disks[i].disk);
	}
	free(disks);
}
