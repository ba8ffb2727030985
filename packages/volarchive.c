/*
 * volarchive.c: libarchive reading a file on the Windows volume in place
 * (a CbsPersist cab of Windows\Logs\CBS), through read, seek and skip
 * callbacks over vol_file_pread: nothing is copied out first.
 */

#include <sys/types.h>

#include <archive.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

static la_ssize_t
va_read(struct archive *a, void *arg, const void **bufp)
{
	struct vol_archive	*va = arg;
	ssize_t			 n;

	*bufp = va->buf;
	if (va->off >= va->size)
		return 0;
	if ((n = vol_file_pread(va->f, va->buf, NTM_MAX_LOG_CHUNK,
	    va->off)) < 0) {
		archive_set_error(a, errno, "read error at byte %llu",
		    (unsigned long long)va->off);
		return -1;
	}
	va->off += (uint64_t)n;
	return n;
}

static la_int64_t
va_seek(struct archive *a, void *arg, la_int64_t off, int whence)
{
	struct vol_archive	*va = arg;
	int64_t			 to;

	switch (whence) {
	case SEEK_SET:
		to = off;
		break;
	case SEEK_CUR:
		to = (int64_t)va->off + off;
		break;
	case SEEK_END:
		to = (int64_t)va->size + off;
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if (to < 0 || (uint64_t)to > va->size)
		return ARCHIVE_FATAL;
	va->off = (uint64_t)to;
	return to;
}

static la_int64_t
va_skip(struct archive *a, void *arg, la_int64_t n)
{
	struct vol_archive	*va = arg;

	if (n < 0)
		return 0;
	if ((uint64_t)n > va->size - va->off)
		n = (la_int64_t)(va->size - va->off);
	va->off += (uint64_t)n;
	return n;
}

int
vol_archive_open_cab(struct vol *vol, const char *path,
    struct vol_archive *va, char **cause)
{
	memset(va, 0, sizeof *va);
	if ((va->f = vol_file_open(vol, path, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	va->buf = xmalloc(NTM_MAX_LOG_CHUNK);
	va->size = vol_file_size(va->f);
	va->a = archive_read_new();
	archive_read_support_format_cab(va->a);
	archive_read_set_read_callback(va->a, va_read);
	archive_read_set_seek_callback(va->a, va_seek);
	archive_read_set_skip_callback(va->a, va_skip);
	archive_read_set_callback_data(va->a, va);
	if (archive_read_open1(va->a) != ARCHIVE_OK) {
		*cause = xprintf("%s: not a readable cabinet: %s", path,
		    archive_error_string(va->a));
		vol_archive_close(va);
		errno = EINVAL;		/* there, but not a cabinet */
		return -1;
	}
	return 0;
}

void
vol_archive_close(struct vol_archive *va)
{
	if (va->a != NULL)
		archive_read_free(va->a);
	free(va->buf);
	if (va->f != NULL)
		vol_file_close(va->f, NULL);
	memset(va, 0, sizeof *va);
}
