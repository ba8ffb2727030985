/*
 * golden-archive.c: reading archives that come from unknown machines.
 *
 * Every entry is checked before anything is written anywhere (libarchive's
 * own ARCHIVE_EXTRACT_SECURE_* flags are off by default and only guard
 * extraction to a POSIX tree, which ntmend does not do). Refused, with a
 * one-line cause naming the entry:
 *
 * - names that climb out or start elsewhere: "..", an absolute path, a
 *   drive letter or UNC prefix ("C:", "\\server");
 * - names Windows cannot have: control characters, < > : " | ? *, a
 *   component ending in a dot or a space, the device names (CON, PRN,
 *   AUX, NUL, COM1-9, LPT1-9, also with an extension), a component over
 *   255 UTF-16 units, text that is not UTF-8, more than 64 levels;
 * - the same name twice, compared as Windows compares names (case-
 *   insensitive), which on NTFS would write one file twice;
 * - symbolic links (Windows servicing files are never links, and a link
 *   followed by a later write is how extraction escapes its folder), hard
 *   links to anything but an earlier file of the archive, device nodes,
 *   FIFOs, sockets, encrypted entries;
 * - sizes: a file over NTM_MAX_GOLDEN_FILE, files adding up to more than
 *   NTM_MAX_GOLDEN_TOTAL, more than NTM_MAX_GOLDEN_ENTRIES entries, an
 *   uncompressed tar entry declaring more bytes than the whole archive,
 *   and any entry whose data is not exactly as long as its header says
 *   (a size bomb declares little and inflates to much; a forged header
 *   declares much);
 * - damage: anything libarchive reports, warnings included (truncated
 *   archives, bad checksums, CAB folders pointing past the end).
 *
 * The archive file is opened once and every pass reads that same open
 * file through these callbacks, so a name swapped on the stick between
 * the check and the write is not read.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "packages/golden-private.h"
#include "util/util.h"

/* The reading side of one pass over the archive file. */
struct gio {
	int		 fd;
	uint64_t	 off;
	uint64_t	 size;
	uint8_t		*buf;
};

static ssize_t
gio_read(struct archive *a, void *arg, const void **bufp)
{
	struct gio	*io = arg;
	ssize_t		 n;

	n = pread(io->fd, io->buf, GOLDEN_CHUNK, (off_t)io->off);
	if (n < 0) {
		archive_set_error(a, errno, "cannot read the archive: %s",
		    strerror(errno));
		return -1;
	}
	io->off += (uint64_t)n;
	*bufp = io->buf;
	return n;
}

static la_int64_t
gio_skip(struct archive *a, void *arg, la_int64_t request)
{
	struct gio	*io = arg;
	uint64_t	 left = io->off < io->size ? io->size - io->off : 0;

	if (request < 0)
		return 0;
	if ((uint64_t)request > left)
		request = (la_int64_t)left;
	io->off += (uint64_t)request;
	return request;
}

static la_int64_t
gio_seek(struct archive *a, void *arg, la_int64_t offset, int whence)
{
	struct gio	*io = arg;
	int64_t		 base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)io->off;
		break;
	case SEEK_END:
		base = (int64_t)io->size;
		break;
	default:
		return ARCHIVE_FATAL;
	}
	if (offset < -base || base + offset > (int64_t)io->size) {
		archive_set_error(a, EINVAL, "seek outside the archive");
		return ARCHIVE_FATAL;
	}
	io->off = (uint64_t)(base + offset);
	return (la_int64_t)io->off;
}

static int
gio_close(struct archive *a, void *arg)
{
	struct gio	*io = arg;

	free(io->buf);
	free(io);
	return ARCHIVE_OK;
}

/* Is the library behind a filter linked in? Without it libarchive falls
 * back to running an external program, which ntmend never does. */
static void
garchive_filters(struct archive *a)
{
	if (archive_zlib_version() != NULL)
		archive_read_support_filter_gzip(a);
	if (archive_bzlib_version() != NULL)
		archive_read_support_filter_bzip2(a);
	if (archive_liblzma_version() != NULL) {
		archive_read_support_filter_xz(a);
		archive_read_support_filter_lzma(a);
	}
	if (archive_libzstd_version() != NULL)
		archive_read_support_filter_zstd(a);
}

/* libarchive's message for a cause: one line (some end in a newline, and
 * some quote names from the archive), control characters shown as '?'.
 * Written into buf, which is returned. */
static const char *
garchive_error(struct archive *a, const char *dflt, char *buf, size_t len)
{
	const char	*msg;
	char		*p;

	if ((msg = archive_error_string(a)) == NULL)
		msg = dflt;
	snprintf(buf, len, "%s", msg);
	for (p = buf + strlen(buf); p > buf && (p[-1] == '\n' ||
	    p[-1] == '\r' || p[-1] == ' '); p--)
		p[-1] = '\0';
	for (p = buf; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return buf;
}

int
garchive_open(struct golden *g, struct archive **ap, char **cause)
{
	struct archive	*a;
	struct gio	*io;
	char		 ebuf[256];

	if (g->archive_size == 0)
		return set_cause(cause, "%s is empty", g->path);
	a = archive_read_new();
	if (a == NULL)
		fatal("out of memory for an archive reader");
	/* Only what a golden archive or a folder copy can be; CAB too so
	 * an update package given by mistake gets a reason, not a format
	 * error. */
	archive_read_support_format_tar(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_7zip(a);
	archive_read_support_format_cab(a);
	garchive_filters(a);
	io = xcalloc(1, sizeof *io);
	io->fd = g->fd;
	io->size = g->archive_size;
	io->buf = xmalloc(GOLDEN_CHUNK);
	archive_read_set_callback_data(a, io);
	archive_read_set_read_callback(a, gio_read);
	archive_read_set_skip_callback(a, gio_skip);
	archive_read_set_seek_callback(a, gio_seek);
	archive_read_set_close_callback(a, gio_close);
	if (archive_read_open1(a) != ARCHIVE_OK) {
		set_cause(cause, "%s cannot be read as an archive (tar, zip, "
		    "7z, cab; gzip, bzip2, xz or zstd compressed): %s; "
		    "refused",
		    g->path, garchive_error(a, "unknown format", ebuf,
		    sizeof ebuf));
		archive_read_free(a);
		return -1;
	}
	*ap = a;
	return 0;
}

void
garchive_close(struct archive *a)
{
	if (a != NULL)
		archive_read_free(a);
}

void
gentry_clear(struct gentry *e)
{
	free(e->name);
	free(e->link);
	e->name = e->link = NULL;
}

static int
is_reserved(const char *comp)
{
	static const char *const dev[] = { "CON", "PRN", "AUX", "NUL",
	    "CONIN$", "CONOUT$", NULL };
	char		 base[16];
	size_t		 len, i;

	/* "nul.txt" is the device too; so is "nul .txt". */
	len = strcspn(comp, ".");
	while (len > 0 && comp[len - 1] == ' ')
		len--;
	if (len == 0 || len >= sizeof base)
		return 0;
	for (i = 0; i < len; i++) {
		base[i] = comp[i];
		if (base[i] >= 'a' && base[i] <= 'z')
			base[i] -= 'a' - 'A';
	}
	base[len] = '\0';
	for (i = 0; dev[i] != NULL; i++) {
		if (strcmp(base, dev[i]) == 0)
			return 1;
	}
	return len == 4 && (strncmp(base, "COM", 3) == 0 ||
	    strncmp(base, "LPT", 3) == 0) && base[3] >= '1' && base[3] <= '9';
}

/*
 * Check a name from an archive (or a manifest) and normalize it to
 * components joined by '/' ("./Packages\\x.mum" -> "Packages/x.mum");
 * '\' separates too, as Windows zip tools write it. An empty result (the
 * archive's own top, "./") is returned as "". *why is a static reason.
 */
static char *
gname_normalize(const char *raw, const char **why)
{
	const char	*p, *start;
	char		*out, *comp;
	size_t		 len, clen, depth = 0, olen = 0, u16;
	void		*w;

	if (raw == NULL || *raw == '\0') {
		*why = "has no name";
		return NULL;
	}
	len = strlen(raw);
	if (len > NTM_MAX_GOLDEN_PATH) {
		*why = "has a name longer than 1024 bytes";
		return NULL;
	}
	if ((w = utf8_to_utf16le(raw, &u16)) == NULL) {
		*why = "has a name that is not UTF-8 text";
		return NULL;
	}
	free(w);
	if (raw[0] == '/' || raw[0] == '\\') {
		*why = "is an absolute path";
		return NULL;
	}
	if (((raw[0] >= 'A' && raw[0] <= 'Z') || (raw[0] >= 'a' &&
	    raw[0] <= 'z')) && raw[1] == ':') {
		*why = "starts with a drive letter";
		return NULL;
	}
	out = xmalloc(len + 1);
	for (p = raw; *p != '\0'; ) {
		while (*p == '/' || *p == '\\')
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && *p != '/' && *p != '\\')
			p++;
		clen = (size_t)(p - start);
		if (clen == 1 && start[0] == '.')
			continue;
		if (clen == 2 && start[0] == '.' && start[1] == '.') {
			*why = "climbs out of its folder ('..')";
			goto fail;
		}
		comp = xstrndup(start, clen);
		*why = NULL;
		if (strpbrk(comp, "<>:\"|?*") != NULL)
			*why = "has a character Windows does not allow in "
			    "names (< > : \" | ? *)";
		else if (comp[clen - 1] == '.' || comp[clen - 1] == ' ')
			*why = "has a name ending in a dot or a space, which "
			    "Windows cannot open";
		else if (is_reserved(comp))
			*why = "has a device name (CON, NUL, COM1, ...) "
			    "Windows reserves";
		else if ((w = utf8_to_utf16le(comp, &u16)) != NULL) {
			free(w);
			if (u16 / 2 > 255)
				*why = "has a name longer than 255 characters";
		}
		for (size_t i = 0; *why == NULL && i < clen; i++) {
			if ((unsigned char)comp[i] < 0x20 || comp[i] == 0x7f)
				*why = "has a control character in its name";
		}
		free(comp);
		if (*why != NULL)
			goto fail;
		if (++depth > NTM_MAX_GOLDEN_DEPTH) {
			*why = "is more than 64 levels deep";
			goto fail;
		}
		if (olen > 0)
			out[olen++] = '/';
		memcpy(out + olen, start, clen);
		olen += clen;
	}
	out[olen] = '\0';
	return out;
fail:
	free(out);
	return NULL;
}

/* The manifest's paths pass the same rules; '\' joined for the volume. */
char *
golden_path_check(const char *raw, const char **why)
{
	char	*s, *p;

	if ((s = gname_normalize(raw, why)) == NULL)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (*p == '/')
			*p = '\\';
	}
	return s;
}

static int
entry_refuse(struct golden *g, const struct gentry *e, const char *name,
    char **cause, const char *fmt, ...) NTM_PRINTF(5, 6);

static int
entry_refuse(struct golden *g, const struct gentry *e, const char *name,
    char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*why, *show;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	show = utf8_show(name);
	set_cause(cause, "%s: entry %u '%s' %s; the archive is refused and "
	    "nothing was written", g->path, e->ordinal, show, why);
	free(show);
	free(why);
	return -1;
}

int
garchive_next(struct golden *g, struct archive *a, struct gentry *e,
    char **cause)
{
	struct archive_entry	*ae;
	const char		*name, *link, *why;
	char			 ebuf[256];
	unsigned		 type;
	int			 r;

	gentry_clear(e);
	r = archive_read_next_header(a, &ae);
	if (r == ARCHIVE_EOF)
		return 0;
	e->ordinal++;
	if (r != ARCHIVE_OK) {
		/* Warnings too: a checksum that does not match or a name
		 * that cannot be converted is damage or forgery here. */
		return set_cause(cause, "%s is damaged or cut short (at entry "
		    "%u: %s); the archive is refused and nothing was "
		    "written", g->path, e->ordinal, garchive_error(a,
		    "unreadable header", ebuf, sizeof ebuf));
	}
	if (e->ordinal > NTM_MAX_GOLDEN_ENTRIES)
		return set_cause(cause, "%s has more than %u entries, more "
		    "than any copy of servicing files; refused",
		    g->path, NTM_MAX_GOLDEN_ENTRIES);
	if ((name = archive_entry_pathname_utf8(ae)) == NULL)
		name = archive_entry_pathname(ae);
	if ((e->name = gname_normalize(name, &why)) == NULL)
		return entry_refuse(g, e, name, cause, "%s", why);
	if (archive_entry_is_encrypted(ae))
		return entry_refuse(g, e, name, cause, "is encrypted");
	type = archive_entry_filetype(ae);
	if ((link = archive_entry_hardlink_utf8(ae)) == NULL)
		link = archive_entry_hardlink(ae);
	if (type == AE_IFLNK) {
		if ((link = archive_entry_symlink_utf8(ae)) == NULL)
			link = archive_entry_symlink(ae);
		if (link == NULL || (why = NULL, free(gname_normalize(link,
		    &why)), why != NULL))
			return entry_refuse(g, e, name, cause, "is a symbolic "
			    "link pointing outside the archive");
		return entry_refuse(g, e, name, cause, "is a symbolic link; "
		    "servicing files are never links");
	}
	if (link != NULL) {
		if ((e->link = gname_normalize(link, &why)) == NULL ||
		    *e->link == '\0')
			return entry_refuse(g, e, name, cause, "is a hard link "
			    "pointing outside the archive");
		e->is_dir = 0;
		e->size = 0;
		return 1;
	}
	switch (type) {
	case AE_IFREG:
		break;
	case AE_IFDIR:
		e->is_dir = 1;
		e->size = 0;
		return 1;
	case AE_IFCHR:
	case AE_IFBLK:
		return entry_refuse(g, e, name, cause, "is a device node");
	case AE_IFIFO:
		return entry_refuse(g, e, name, cause, "is a FIFO");
	case AE_IFSOCK:
		return entry_refuse(g, e, name, cause, "is a socket");
	default:
		return entry_refuse(g, e, name, cause, "is not a file or a "
		    "directory (type 0%o)", type);
	}
	if (*e->name == '\0')
		return entry_refuse(g, e, name, cause, "is a file without a "
		    "name");
	e->is_dir = 0;
	e->size = archive_entry_size_is_set(ae) ? archive_entry_size(ae) :
	    -1;
	if (e->size < -1 || (e->size >= 0 &&
	    (uint64_t)e->size > NTM_MAX_GOLDEN_FILE))
		return entry_refuse(g, e, name, cause, "declares %lld bytes, "
		    "more than the %llu GiB a servicing file can have",
		    (long long)e->size,
		    (unsigned long long)(NTM_MAX_GOLDEN_FILE >> 30));
	/* Uncompressed, a tar holds its data: a header claiming more than
	 * the file has is forged or the archive is cut short. */
	if (e->size > 0 && archive_filter_code(a, 0) == ARCHIVE_FILTER_NONE &&
	    archive_format(a) != 0 &&
	    (archive_format(a) & ARCHIVE_FORMAT_BASE_MASK) ==
	    ARCHIVE_FORMAT_TAR && (uint64_t)e->size > g->archive_size)
		return entry_refuse(g, e, name, cause, "declares %lld bytes, "
		    "more than the whole archive (%llu bytes)",
		    (long long)e->size,
		    (unsigned long long)g->archive_size);
	return 1;
}

/* libarchive gives a sparse entry's data as blocks at offsets, and at
 * its end the offset of its end: the gaps are zeros. */
static int
gdata_block(struct golden *g, struct archive *a, const struct gentry *e,
    struct gdata *d, char **cause)
{
	const void	*blk;
	size_t		 n;
	la_int64_t	 off;
	uint64_t	 at = d->pos + d->hole + d->blklen;
	char		 ebuf[256];
	int		 r;

	r = archive_read_data_block(a, &blk, &n, &off);
	if (r == ARCHIVE_EOF) {
		d->eof = 1;
		n = 0;
	} else if (r != ARCHIVE_OK)
		return entry_refuse(g, e, e->name, cause, "cannot be read: %s",
		    garchive_error(a, "damaged data", ebuf, sizeof ebuf));
	if (off < 0 || (uint64_t)off < at) {
		if (d->eof)
			off = (la_int64_t)at;
		else
			return entry_refuse(g, e, e->name, cause, "has data "
			    "blocks out of order");
	}
	if ((uint64_t)off + n > NTM_MAX_GOLDEN_FILE ||
	    (e->size >= 0 && (uint64_t)off + n > (uint64_t)e->size))
		return entry_refuse(g, e, e->name, cause, "holds more bytes "
		    "than it declares (%lld): a size bomb or forged",
		    (long long)e->size);
	d->hole += (uint64_t)off - at;
	d->blk = blk;
	d->blklen = n;
	return 0;
}

static int
gdata_end(struct golden *g, const struct gentry *e, struct gdata *d,
    char **cause)
{
	if (e->size >= 0 && d->pos != (uint64_t)e->size)
		return entry_refuse(g, e, e->name, cause, "declares %lld "
		    "bytes but holds %llu: cut short or forged",
		    (long long)e->size, (unsigned long long)d->pos);
	return 0;
}

ssize_t
garchive_read(struct golden *g, struct archive *a, const struct gentry *e,
    struct gdata *d, void *buf, size_t len, char **cause)
{
	size_t	n;

	while (d->hole == 0 && d->blklen == 0) {
		if (d->eof)
			return gdata_end(g, e, d, cause);
		if (gdata_block(g, a, e, d, cause) != 0)
			return -1;
	}
	if (d->hole > 0) {
		n = d->hole < len ? (size_t)d->hole : len;
		memset(buf, 0, n);
		d->hole -= n;
	} else {
		n = d->blklen < len ? d->blklen : len;
		memcpy(buf, d->blk, n);
		d->blk += n;
		d->blklen -= n;
	}
	d->pos += n;
	return (ssize_t)n;
}

int
garchive_skip(struct golden *g, struct archive *a, const struct gentry *e,
    struct gdata *d, uint64_t *total, char **cause)
{
	uint64_t	n;

	/* Blocks are looked at, not copied: skipping costs what
	 * decompressing costs and no more. */
	for (;;) {
		n = d->hole + d->blklen;
		d->pos += n;
		d->hole = d->blklen = 0;
		if (total != NULL) {
			*total += n;
			if (*total > NTM_MAX_GOLDEN_TOTAL)
				return entry_refuse(g, e, e->name, cause,
				    "takes the archive past %llu GiB of data",
				    (unsigned long long)
				    (NTM_MAX_GOLDEN_TOTAL >> 30));
		}
		if (d->eof)
			return gdata_end(g, e, d, cause);
		if (gdata_block(g, a, e, d, cause) != 0)
			return -1;
	}
}
