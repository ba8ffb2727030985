/* file.c: reading files and directories by Windows path. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ntfs/private.h"
#include "util/util.h"

int
vol_stat(struct vol *vol, const char *path, struct vol_stat *sb,
    char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	memset(sb, 0, sizeof *sb);
	r = vol->ops->stat(vol, (const char *const *)comp, n, sb, cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

void
vol_fp_set(struct vol_stat *sb, const void *fields, size_t len)
{
	uint8_t		md[EVP_MAX_MD_SIZE];
	unsigned int	mdlen;

	if (EVP_Digest(fields, len, md, &mdlen, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL has no SHA-256");
	memcpy(sb->fp, md, sizeof sb->fp);
	sb->has_fp = 1;
}

int
vol_exists(struct vol *vol, const char *path)
{
	struct vol_stat	sb;

	return vol_stat(vol, path, &sb, NULL) == 0;
}

struct vol_file *
vol_file_open(struct vol *vol, const char *path, int flags, char **cause)
{
	struct vol_file	 *f;
	char		**comp;
	size_t		  n;
	int		  e;

	if ((flags & VOL_O_RDWR) && !vol->writable) {
		errno = EROFS;
		set_cause(cause, "%s: %s is open read-only", path, vol->name);
		return NULL;
	}
	if (vol_path_split(path, &comp, &n, cause) != 0)
		return NULL;
	f = xcalloc(1, sizeof *f);
	f->vol = vol;
	f->writable = (flags & VOL_O_RDWR) != 0;
	if (vol->ops->file_open(vol, (const char *const *)comp, n, flags, f,
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

ssize_t
vol_file_pread(struct vol_file *f, void *buf, size_t len, uint64_t off)
{
	return f->vol->ops->file_pread(f, buf, len, off);
}

uint64_t
vol_file_size(struct vol_file *f)
{
	return f->size;
}

int
vol_file_close(struct vol_file *f, char **cause)
{
	int	r, e;

	if (f == NULL)
		return 0;
	r = f->vol->ops->file_close(f, cause);
	e = errno;
	free(f);
	errno = e;
	return r;
}

int
vol_file_read_all(struct vol *vol, const char *path, size_t max,
    void **bufp, size_t *lenp, char **cause)
{
	struct vol_file	*f;
	uint8_t		*buf = NULL;
	size_t		 size, done = 0;
	ssize_t		 n;
	int		 e;

	if ((f = vol_file_open(vol, path, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	if (f->size > max) {
		set_cause(cause, "%s: %llu bytes, more than the %zu allowed",
		    path, (unsigned long long)f->size, max);
		errno = EFBIG;
		goto fail;
	}
	size = (size_t)f->size;
	buf = xmalloc(size + 1);
	while (done < size) {
		n = vol_file_pread(f, buf + done, size - done, done);
		if (n < 0) {
			set_cause(cause, "%s: cannot read: %s", path,
			    strerror(errno));
			goto fail;
		}
		if (n == 0) {
			errno = EIO;
			set_cause(cause, "%s: ends after %zu of %zu bytes",
			    path, done, size);
			goto fail;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	if (vol_file_close(f, cause) != 0) {
		f = NULL;
		goto fail;
	}
	*bufp = buf;
	*lenp = done;
	return 0;

fail:
	e = errno;
	free(buf);
	if (f != NULL)
		vol_file_close(f, NULL);
	errno = e;
	return -1;
}

int
vol_list(struct vol *vol, const char *path, vol_list_cb cb, void *arg,
    char **cause)
{
	char	**comp;
	size_t	  n;
	int	  r, e;

	if (vol_path_split(path, &comp, &n, cause) != 0)
		return -1;
	r = vol->ops->list(vol, (const char *const *)comp, n, cb, arg, cause);
	e = errno;
	free(comp);
	errno = e;
	return r;
}

char *
vol_path_canonical(struct vol *vol, const char *path, char **cause)
{
	char	**comp, *out;
	size_t	  n;
	int	  e;

	if (vol_path_split(path, &comp, &n, cause) != 0)
		return NULL;
	out = vol->ops->canonical(vol, (const char *const *)comp, n, cause);
	e = errno;
	free(comp);
	errno = e;
	return out;
}
