/*
 * write.c: changing files and directories by Windows path. Every entry
 * point refuses a volume that is not open for writing with EROFS before
 * the backend is asked, so a read-only volume cannot be written through
 * this layer whatever the backend does.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/private.h"
#include "util/util.h"

static int
vol_check_writable(struct vol *vol, const char *path, char **cause)
{
	if (vol->writable)
		return 0;
	errno = EROFS;
	return set_cause(cause, "%s: %s is open read-only; nothing was "
	    "changed", path, vol->name);
}

ssize_t
vol_file_pwrite(struct vol_file *f, const void *buf, size_t len,
    uint64_t off)
{
	ssize_t	n;

	if (!f->vol->writable || !f->writable) {
		errno = EROFS;
		return -1;
	}
	n = f->vol->ops->file_pwrite(f, buf, len, off);
	if (n > 0)
		f->written = 1;
	return n;
}

int
vol_file_truncate(struct vol_file *f, uint64_t size)
{
	if (!f->vol->writable || !f->writable) {
		errno = EROFS;
		return -1;
	}
	if (f->vol->ops->file_truncate(f, size) != 0)
		return -1;
	f->written = 1;
	return 0;
}

int
vol_file_replace(struct vol *vol, const char *path, const void *buf,
    size_t len, char **cause)
{
	struct vol_file	*f;
	const uint8_t	*p = buf;
	size_t		 done = 0;
	ssize_t		 n;
	int		 e;

	if (vol_check_writable(vol, path, cause) != 0)
		return -1;
	if ((f = vol_file_open(vol, path, VOL_O_RDWR, cause)) == NULL)
		return -1;
	/*
	 * Write over the old bytes first and cut the tail after: the file
	 * keeps its MFT record (hard links, security descriptor) and, where
	 * the sizes match, its clusters.
	 */
	while (done < len) {
		n = vol_file_pwrite(f, p + done, len - done, done);
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			set_cause(cause, "%s: cannot write: %s", path,
			    strerror(errno));
			goto fail;
		}
		done += (size_t)n;
	}
	if (f->size != len && vol_file_truncate(f, len) != 0) {
		set_cause(cause, "%s: cannot set the size to %zu: %s", path,
		    len, strerror(errno));
		goto fail;
	}
	return vol_file_close(f, cause);

fail:
	e = errno;
	vol_file_close(f, NULL);
	errno = e;
	return -1;
}

struct vol_file *
vol_file_create(struct vol *vol, const char *path, char **cause)
{
	struct vol_file	 *f;
	char		**comp;
	size_t		  n;
	int		  e;

	if (vol_check_writable(vol, path, cause) != 0)
		return NULL;
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return NULL;
	if (n == 0) {
		free(comp);
		errno = EEXIST;
		set_cause(cause, "%s: the root directory exists", path);
		return NULL;
	}
	f = xcalloc(1, sizeof *f);
	f->vol = vol;
	f->writable = 1;
	if (vol->ops->file_create(vol, (const char *const *)comp, n, f,
	    cause) != 0) {
		e = errno;
		free(f);
		free(comp);
		errno = e;
		return NULL;
	}
	free(comp);
	return f;
}

int
vol_mkdir_p(struct vol *vol, const char *path, char **cause)
{
	struct vol_stat	  sb;
	char		**comp, *sub;
	size_t		  n, i;
	int		  e;

	if (vol_check_writable(vol, path, cause) != 0)
		return -1;
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	for (i = 1; i <= n; i++) {
		memset(&sb, 0, sizeof sb);
		if (vol->ops->stat(vol, (const char *const *)comp, i, &sb,
		    NULL) == 0) {
			if (sb.is_dir)
				continue;
			sub = vol_path_join((const char *const *)comp, i);
			set_cause(cause, "%s: %s exists and is not a "
			    "directory", path, sub);
			free(sub);
			errno = ENOTDIR;
			goto fail;
		}
		if (errno != ENOENT) {
			sub = vol_path_join((const char *const *)comp, i);
			set_cause(cause, "%s: cannot look up %s: %s", path,
			    sub, strerror(errno));
			free(sub);
			goto fail;
		}
		if (vol->ops->mkdir(vol, (const char *const *)comp, i,
		    cause) != 0 && errno != EEXIST)
			goto fail;
	}
	free(comp);
	return 0;

fail:
	e = errno;
	free(comp);
	errno = e;
	return -1;
}

/* Split two paths and run a backend operation on them. */
static int
vol_two_paths(struct vol *vol, const char *from, const char *to,
    int (*op)(struct vol *, const char *const *, size_t,
    const char *const *, size_t, char **), char **cause)
{
	char	**cf = NULL, **ct = NULL;
	size_t	  nf, nt;
	int	  r = -1, e;

	if (vol_check_writable(vol, from, cause) != 0)
		return -1;
	if (vol_path_split(from, &cf, &nf, cause) != 0)
		return -1;
	if (vol_path_split(to, &ct, &nt, cause) != 0)
		goto out;
	if (nf == 0 || nt == 0) {
		errno = EINVAL;
		set_cause(cause, "%s -> %s: the root directory cannot be "
		    "renamed or linked", from, to);
		goto out;
	}
	r = op(vol, (const char *const *)cf, nf, (const char *const *)ct, nt,
	    cause);
out:
	e = errno;
	free(ct);
	free(cf);
	errno = e;
	return r;
}

int
vol_rename(struct vol *vol, const char *from, const char *to, char **cause)
{
	return vol_two_paths(vol, from, to, vol->ops->rename, cause);
}

int
vol_link(struct vol *vol, const char *existing, const char *newpath,
    char **cause)
{
	return vol_two_paths(vol, existing, newpath, vol->ops->link, cause);
}

int
vol_unlink(struct vol *vol, const char *path, char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_check_writable(vol, path, cause) != 0)
		return -1;
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	if (n == 0) {
		free(comp);
		errno = EINVAL;
		return set_cause(cause, "%s: the root directory cannot be "
		    "deleted", path);
	}
	r = vol->ops->unlink(vol, (const char *const *)comp, n, cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

int
vol_unlink_made(struct vol *vol, const char *path, char **cause)
{
	int	r, e;

	vol->unlink_made = 1;
	r = vol_unlink(vol, path, cause);
	e = errno;
	vol->unlink_made = 0;
	errno = e;
	return r;
}

int
vol_sd_get(struct vol *vol, const char *path, void **sd, size_t *len,
    char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	r = vol->ops->sd_get(vol, (const char *const *)comp, n, sd, len,
	    cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

int
vol_sd_set(struct vol *vol, const char *path, const void *sd, size_t len,
    char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_check_writable(vol, path, cause) != 0)
		return -1;
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	r = vol->ops->sd_set(vol, (const char *const *)comp, n, sd, len,
	    cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

int
vol_attrs_set(struct vol *vol, const char *path, uint32_t attrs,
    char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_check_writable(vol, path, cause) != 0)
		return -1;
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	r = vol->ops->attrs_set(vol, (const char *const *)comp, n, attrs,
	    cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

int
vol_sync(struct vol *vol, char **cause)
{
	if (!vol->writable)
		return 0;
	return vol->ops->sync(vol, cause);
}
