/*
 * checkout.c: a hive is read from a private copy. The file (and, when the
 * hive is dirty, its transaction logs) is copied from the volume or the
 * host into a temp directory, the state of the logs is judged, and hivex
 * opens the copy read-only. The source is only ever read.
 *
 * The steps are separate so that log replay (hive/replay.c, to come) can
 * slot in between judging the logs and opening the copy with hivex.
 */

#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "util/util.h"

/* Copy in 1 MiB reads: large enough that a 100 MiB SOFTWARE hive on a USB
 * stick is a hundred reads, small enough to never matter for memory. */
#define NTM_HIVE_COPY_CHUNK	((size_t)1 << 20)

/*
 * The logs beside a hive ("Multiple transaction log files"): Windows 8.1
 * and later write .LOG1 and .LOG2 (applied in that order) and may keep an
 * empty .LOG for compatibility; Windows XP to 8 write only .LOG.
 */
static const char *const hive_log_suffixes[] = { ".LOG1", ".LOG2", ".LOG" };
#define NTM_HIVE_LOGS	(sizeof hive_log_suffixes / sizeof hive_log_suffixes[0])

/* Where RegBack keeps copies (empty files by default since Windows 10
 * 1803, so the advice names restore points too). */
#define HIVE_RESTORE_ADVICE \
	"restore it from Windows\\System32\\config\\RegBack (if that copy is " \
	"not empty) or from a System Restore point"

struct hive_log {
	char			*name;		/* "SYSTEM.LOG1" */
	uint8_t			*data;		/* its bytes, NULL if not read */
	uint64_t		 size;
	char			*problem;	/* why it cannot be used */
	int			 usual;		/* the problem is only that the
					   hive already has its records */
	int			 scanned;	/* sum is valid */
	struct hive_log_summary	 sum;
};

struct hive {
	char			*name;		/* "SYSTEM" */
	char			*dir;		/* private temp directory */
	char			*path;		/* dir/hive: what hivex opens */
	struct hive_header	 hdr;
	struct hive_log		 logs[NTM_HIVE_LOGS];
	enum hive_log_state	 state;
	char			*warning;
	int			 flags;		/* HIVE_WRITE, HIVE_FORCE */
	void			*map;		/* hive_map_copy */
	size_t			 maplen;
	hive_h			*h;
};

/* Files come from the volume (vol set) or from the host. */
struct hive_src {
	struct vol		*vol;
};

typedef ssize_t (*hive_pread_fn)(void *, void *, size_t, uint64_t);

static ssize_t
hive_host_pread(void *arg, void *buf, size_t len, uint64_t off)
{
	int	fd = *(int *)arg;
	ssize_t	n;

	do
		n = pread(fd, buf, len, (off_t)off);
	while (n == -1 && errno == EINTR);
	return n;
}

static ssize_t
hive_vol_pread(void *arg, void *buf, size_t len, uint64_t off)
{
	return vol_file_pread(arg, buf, len, off);
}

static int
hive_write_all(int fd, const uint8_t *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Stream size bytes from a reader into a new local file (to, or none when
 * NULL) and, with keep not NULL, into memory too (*keep, caller frees):
 * the logs, which the scan and the replay read. A hive is only streamed
 * through one reused buffer: the replay writes into the copy in place
 * (hive_replay_mem), and the hive's bytes in a fresh buffer of their own
 * cost a quarter of an edit in page faults.
 */
static int
hive_copy_stream(hive_pread_fn rd, void *arg, uint64_t size,
    const char *what, const char *to, uint8_t **keep, char **cause)
{
	uint8_t		*buf, *mem = NULL, *dst;
	uint64_t	 off = 0;
	size_t		 want;
	ssize_t		 n;
	int		 fd = -1, ret = -1;

	if (to != NULL && (fd = open(to, O_WRONLY | O_CREAT | O_EXCL |
	    O_CLOEXEC, 0600)) == -1)
		return set_cause(cause, "%s: %s", to, strerror(errno));
	if (keep != NULL)
		mem = xmalloc((size_t)size + 1);
	buf = xmalloc(NTM_HIVE_COPY_CHUNK);
	while (off < size) {
		want = size - off < NTM_HIVE_COPY_CHUNK ?
		    (size_t)(size - off) : NTM_HIVE_COPY_CHUNK;
		dst = mem != NULL ? mem + off : buf;
		if ((n = rd(arg, dst, want, off)) < 0) {
			set_cause(cause, "cannot read %s at offset %llu: %s",
			    what, (unsigned long long)off, strerror(errno));
			goto fail;
		}
		if (n == 0) {
			set_cause(cause, "cannot read %s: it ends at %llu "
			    "bytes, not %llu", what, (unsigned long long)off,
			    (unsigned long long)size);
			goto fail;
		}
		if (fd != -1 && hive_write_all(fd, dst, (size_t)n) != 0) {
			set_cause(cause, "cannot write %s: %s", to,
			    strerror(errno));
			goto fail;
		}
		off += (uint64_t)n;
	}
	ret = 0;

fail:
	free(buf);
	if (fd != -1 && close(fd) == -1 && ret == 0)
		ret = set_cause(cause, "cannot write %s: %s", to,
		    strerror(errno));
	if (ret != 0) {
		if (fd != -1)
			unlink(to);
		free(mem);
		mem = NULL;
	}
	if (keep != NULL)
		*keep = mem;
	else
		free(mem);
	return ret;
}

/* Is there a file (not a directory) at path? */
static int
hive_src_exists(struct hive_src *src, const char *path)
{
	struct vol_stat	vst;
	struct stat	sb;

	if (src->vol != NULL)
		return vol_stat(src->vol, path, &vst, NULL) == 0 && !vst.is_dir;
	return stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode);
}

/* Copy one file of at most HIVE_MAX_SIZE bytes to a local file and/or
 * memory (hive_copy_stream); *size gets its size. */
static int
hive_src_copy(struct hive_src *src, const char *from, const char *to,
    uint8_t **keep, uint64_t *size, char **cause)
{
	struct vol_file	*f;
	struct stat	 sb;
	int		 fd, ret;

	if (src->vol != NULL) {
		if ((f = vol_file_open(src->vol, from, VOL_O_RDONLY, cause)) ==
		    NULL)
			return -1;
		*size = vol_file_size(f);
		if (*size > HIVE_MAX_SIZE)
			ret = set_cause(cause, "%s: %llu bytes, more than a "
			    "hive can be", from, (unsigned long long)*size);
		else
			ret = hive_copy_stream(hive_vol_pread, f, *size, from,
			    to, keep, cause);
		vol_file_close(f, NULL);
		return ret;
	}

	if ((fd = open(from, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", from, strerror(errno));
	if (fstat(fd, &sb) == -1)
		ret = set_cause(cause, "%s: %s", from, strerror(errno));
	else if (!S_ISREG(sb.st_mode))
		ret = set_cause(cause, "%s: not a regular file", from);
	else if ((uint64_t)sb.st_size > HIVE_MAX_SIZE)
		ret = set_cause(cause, "%s: %lld bytes, more than a hive can "
		    "be", from, (long long)sb.st_size);
	else {
		*size = (uint64_t)sb.st_size;
		ret = hive_copy_stream(hive_host_pread, &fd, *size, from, to,
		    keep, cause);
	}
	close(fd);
	return ret;
}

/* The last component of a volume or host path. */
static char *
hive_base_name(const char *path)
{
	const char	*end = path + strlen(path), *p;

	while (end > path && (end[-1] == '\\' || end[-1] == '/'))
		end--;
	for (p = end; p > path && p[-1] != '\\' && p[-1] != '/'; p--)
		;
	return xstrndup(p, (size_t)(end - p));
}

/* Read the base block of the copy and refuse what is not a hive. */
static int
hive_read_header(struct hive *hv, char **cause)
{
	uint8_t		 buf[HIVE_BASE_BLOCK_SIZE];
	ssize_t		 n;
	size_t		 got = 0;
	char		*why = NULL;
	int		 fd;

	if ((fd = open(hv->path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", hv->path, strerror(errno));
	while (got < sizeof buf) {
		n = hive_host_pread(&fd, buf + got, sizeof buf - got, got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);

	if (hive_header_parse(buf, got, &hv->hdr, &why) != 0) {
		set_cause(cause, "%s is not a registry hive: %s", hv->name,
		    why);
		free(why);
		return -1;
	}
	if (hive_header_is_log(&hv->hdr))
		return set_cause(cause, "%s is a transaction log (file type "
		    "%u), not a hive: open the hive it belongs to", hv->name,
		    hv->hdr.file_type);
	if (hv->hdr.file_type != HIVE_TYPE_PRIMARY)
		return set_cause(cause, "%s has file type %u, not a hive "
		    "(0)", hv->name, hv->hdr.file_type);
	if (got < sizeof buf)
		return set_cause(cause, "%s is cut off: %zu bytes, not even "
		    "its 4096-byte base block: " HIVE_RESTORE_ADVICE,
		    hv->name, got);
	/* hivex refuses other major versions too; say it plainly. */
	if (hv->hdr.major != 1)
		return set_cause(cause, "%s has registry format %u.%u, not "
		    "1.x", hv->name, hv->hdr.major, hv->hdr.minor);
	return 0;
}

/* Where the log with suffix sfx is at the source, or NULL if none. */
static char *
hive_find_log(struct hive_src *src, const char *from, const char *sfx)
{
	char	*path, *p;

	xasprintf(&path, "%s%s", from, sfx);
	if (hive_src_exists(src, path))
		return path;
	/* The volume compares names as Windows does; a host copy may have
	 * come through tools that lowercased them. */
	if (src->vol == NULL) {
		for (p = path + strlen(from); *p != '\0'; p++) {
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
		}
		if (hive_src_exists(src, path))
			return path;
	}
	free(path);
	return NULL;
}

/* Judge a copied log against the hive; sets lg->problem when it holds
 * nothing for it. */
static void
hive_scan_log(struct hive *hv, struct hive_log *lg)
{
	char	*cause = NULL;

	if (hive_log_scan(lg->data, (size_t)lg->size, &hv->hdr, &lg->sum,
	    &cause) != 0) {
		xasprintf(&lg->problem, "is not a usable log (%s)", cause);
		free(cause);
		return;
	}
	lg->scanned = 1;
	if (lg->sum.foreign)
		xasprintf(&lg->problem, "belongs to another hive (its header "
		    "names \"%s\")", lg->sum.hdr.file_name);
	else if (lg->sum.damaged)
		lg->problem = xstrdup("has a damaged first record");
	else if (!lg->sum.applies) {
		lg->problem = xstrdup(lg->sum.format == HIVE_LOG_OLD ?
		    "does not belong to this version of the hive or holds no "
		    "pages" : "holds no records newer than the hive");
		/* A log whose records the hive already has is normal. */
		lg->usual = 1;
	}

}

/* Copy the logs beside the hive (hive.h promises the copies beside the
 * hive's) keeping their bytes, which the scan and the replay use rather
 * than reading the copies back, and judge what each holds for it.
 * Checked out for writing, the bytes are only kept: the copies would be
 * read by nobody (the replayed hive goes back, the logs stay as they
 * are), and writing them cost a third of a SYSTEM hive edit's copying. */
static void
hive_copy_logs(struct hive *hv, struct hive_src *src, const char *from)
{
	struct hive_log	*lg;
	size_t		 i;
	char		*lfrom, *to, *cause = NULL;

	for (i = 0; i < NTM_HIVE_LOGS; i++) {
		lg = &hv->logs[i];
		xasprintf(&lg->name, "%s%s", hv->name, hive_log_suffixes[i]);
		if ((lfrom = hive_find_log(src, from,
		    hive_log_suffixes[i])) == NULL)
			continue;
		if ((hv->flags & HIVE_WRITE) == 0)
			xasprintf(&to, "%s/hive%s", hv->dir,
			    hive_log_suffixes[i]);
		else
			to = NULL;
		if (hive_src_copy(src, lfrom, to, &lg->data,
		    &lg->size, &cause) != 0) {
			xasprintf(&lg->problem, "cannot be read (%s)", cause);
			free(cause);
			cause = NULL;
		} else if (lg->size != 0) {
			/* Windows 8.1+ keeps an empty .LOG beside .LOG1 and
			 * .LOG2: not a log, nothing to say. */
			hive_scan_log(hv, lg);
		}
		free(to);
		free(lfrom);
	}
}

/* Append "NAME PROBLEM" to a "; "-separated list. */
static void
hive_note(char **list, const struct hive_log *lg)
{
	char	*tmp;

	xasprintf(&tmp, "%s%s%s %s", *list == NULL ? "" : *list,
	    *list == NULL ? "" : "; ", lg->name, lg->problem);
	free(*list);
	*list = tmp;
}

/* Decide the state and the one-line warning from the header and logs. */
static void
hive_judge(struct hive *hv)
{
	struct hive_log	*lg;
	char		*names = NULL, *notes = NULL, *serious = NULL;
	char		*tmp, *seq;
	size_t		 i, records = 0;
	int		 old = 0;

	if (!hive_header_is_dirty(&hv->hdr)) {
		hv->state = HIVE_CLEAN;
		return;
	}
	xasprintf(&seq, "sequence numbers %u/%u%s", hv->hdr.seq_primary,
	    hv->hdr.seq_secondary, hv->hdr.checksum_ok ? "" :
	    ", base block checksum wrong");

	for (i = 0; i < NTM_HIVE_LOGS; i++) {
		lg = &hv->logs[i];
		if (lg->scanned && lg->sum.applies) {
			xasprintf(&tmp, "%s%s%s", names == NULL ? "" : names,
			    names == NULL ? "" : "/", lg->name);
			free(names);
			names = tmp;
			records += lg->sum.newer;
			old |= lg->sum.format == HIVE_LOG_OLD;
		} else if (lg->problem != NULL) {
			hive_note(&notes, lg);
			if (!lg->usual)
				hive_note(&serious, lg);
		}
	}

	/* One line either way; a log that cannot be used is named even
	 * beside one that can, so nobody thinks it was read. */
	if (names != NULL) {
		hv->state = HIVE_DIRTY_LOGS;
		xasprintf(&hv->warning, "%s is dirty (%s): changes in %s "
		    "(%zu %s) are not shown; do not delete the .LOG "
		    "files%s%s", hv->name, seq,
		    names, records, old ? "dirty pages" : "log records",
		    serious == NULL ? "" : "; ",
		    serious == NULL ? "" : serious);
	} else {
		hv->state = HIVE_DIRTY_NO_LOGS;
		xasprintf(&hv->warning, "%s is dirty (%s) and no transaction "
		    "log holds the missing changes: what Windows last wrote "
		    "to it may be lost%s%s%s", hv->name, seq,
		    notes == NULL ? "" : " (", notes == NULL ? "" : notes,
		    notes == NULL ? "" : ")");
	}
	free(names);
	free(notes);
	free(serious);
	free(seq);
}

/*
 * When hivex refuses the copy, find the first hive bin that is wrong so the
 * cause can say where the damage is (regipy's corrupted_system_hive has
 * garbage where its 26th bin should start, at 0x1a000).
 */
static char *
hive_find_damage(struct hive *hv)
{
	uint8_t		 bin[32];
	struct stat	 sb;
	uint64_t	 off, end, size;
	char		*what = NULL;
	int		 fd;

	if (!hv->hdr.checksum_ok)
		return xprintf("its base block fails its checksum (0x%08x, "
		    "computed 0x%08x)", hv->hdr.checksum,
		    hv->hdr.checksum_calc);
	if ((fd = open(hv->path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if (fstat(fd, &sb) == -1)
		goto out;
	end = HIVE_BASE_BLOCK_SIZE + (uint64_t)hv->hdr.hbins_size;
	if (end > (uint64_t)sb.st_size) {
		what = xprintf("the file ends at %lld bytes but its header "
		    "says %llu", (long long)sb.st_size,
		    (unsigned long long)end);
		goto out;
	}
	for (off = HIVE_BASE_BLOCK_SIZE; off < end; off += size) {
		if (hive_host_pread(&fd, bin, sizeof bin, off) !=
		    (ssize_t)sizeof bin || memcmp(bin, "hbin", 4) != 0) {
			what = xprintf("no hive bin where one should start, "
			    "at offset 0x%llx", (unsigned long long)off);
			break;
		}
		size = le32dec(bin + 8);
		if (le32dec(bin + 4) != off - HIVE_BASE_BLOCK_SIZE ||
		    size == 0 || size % HIVE_BASE_BLOCK_SIZE != 0 ||
		    size > end - off) {
			what = xprintf("the hive bin at offset 0x%llx is "
			    "inconsistent", (unsigned long long)off);
			break;
		}
	}

out:
	close(fd);
	return what;
}

/* The private copy, mapped for the replay to write into. */
struct hive_replay_map {
	int		 fd;
	uint8_t		*p;
	size_t		 len;
};

/* hive_replay_grow_fn: the blocks first (a write into a hole of a mapped
 * file on a full disk is a SIGBUS, not an error), then the mapping. */
static int
hive_replay_grow(void *arg, uint8_t **hive, size_t need)
{
	struct hive_replay_map	*m = arg;
	void			*p;
	int			 e;

	if ((e = posix_fallocate(m->fd, 0, (off_t)need)) != 0) {
		errno = e;
		return -1;
	}
	if ((p = mremap(m->p, m->len, need, MREMAP_MAYMOVE)) == MAP_FAILED) {
		e = errno;
		if (ftruncate(m->fd, (off_t)m->len) == -1)
			e = errno;
		errno = e;
		return -1;
	}
	m->p = p;
	m->len = need;
	*hive = p;
	return 0;
}

/*
 * hive_replay_file on the private copy, without its costs: the copy is
 * mapped and the replay writes the pages the logs hold into it where it
 * lies (reading a 13 MB SYSTEM into a buffer of its own and writing it
 * all back out was a quarter of an edit's work), and nothing is synced (a
 * private copy need not be durable). A refused replay writes nothing. The
 * logs are already in memory.
 */
static int
hive_replay_mem(struct hive *hv, struct hive_replay_result *res,
    char **cause)
{
	struct hive_replay_log	 logs[NTM_HIVE_LOGS];
	struct hive_replay_map	 m;
	struct stat		 sb;
	uint8_t			*hive;
	size_t			 len, i, n = 0;
	int			 new_logs, ret = -1;

	memset(res, 0, sizeof *res);
	m.p = NULL;
	if ((m.fd = open(hv->path, O_RDWR | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", hv->path, strerror(errno));
	/* hive_read_header saw a whole base block: never 0 bytes. */
	if (fstat(m.fd, &sb) == -1 || (m.p = mmap(NULL, (size_t)sb.st_size,
	    PROT_READ | PROT_WRITE, MAP_SHARED, m.fd, 0)) == MAP_FAILED) {
		m.p = NULL;
		set_cause(cause, "%s: %s", hv->path, strerror(errno));
		goto out;
	}
	m.len = (size_t)sb.st_size;
	/* .LOG1/.LOG2 come as a pair (a missing partner is a lost log);
	 * a .LOG is given only when it is there, and Windows XP to 8 hives
	 * have only a .LOG. A log that could not be copied is missing. */
	new_logs = hv->logs[0].data != NULL || hv->logs[1].data != NULL;
	for (i = 0; i < NTM_HIVE_LOGS; i++) {
		if (hv->logs[i].data == NULL && !(i < 2 && new_logs))
			continue;
		memset(&logs[n], 0, sizeof logs[n]);
		logs[n].name = hv->logs[i].name;
		logs[n].buf = hv->logs[i].data;
		logs[n].len = (size_t)hv->logs[i].size;
		if (hv->logs[i].scanned &&
		    hv->logs[i].sum.format == HIVE_LOG_NEW)
			logs[n].checked = hv->logs[i].sum.entries;
		n++;
	}
	hive = m.p;
	len = m.len;
	ret = hive_replay_into(hv->name, &hive, &len, hive_replay_grow, &m,
	    logs, n, (hv->flags & HIVE_FORCE) ? HIVE_REPLAY_FORCE : 0, res,
	    cause);
out:
	if (m.p != NULL)
		munmap(m.p, m.len);
	close(m.fd);
	return ret;
}

/*
 * Replay the logs into the private copy so reads see what Windows would
 * see after its own recovery at boot. The volume is not touched: writing
 * the recovered hive back is the write path's decision. When replay
 * refuses (something would be lost), the copy stays as it was and the
 * warning says why.
 */
static void
hive_replay_copy(struct hive *hv)
{
	struct hive_replay_result	 res;
	char				*cause = NULL, *tmp, *seq;

	xasprintf(&seq, "sequence numbers %u/%u", hv->hdr.seq_primary,
	    hv->hdr.seq_secondary);
	if (hive_replay_mem(hv, &res, &cause) != 0) {
		xasprintf(&tmp, "%s; replay refused: %s", hv->warning, cause);
		free(hv->warning);
		hv->warning = tmp;
		free(cause);
		goto out;
	}
	hive_header_free(&hv->hdr);
	if (hive_read_header(hv, &cause) != 0) {
		/* The replayed copy was checked before it was written. */
		fatal("replayed hive unreadable: %s", cause);
	}
	hv->state = HIVE_REPLAYED;
	free(hv->warning);
	/* Checked out for writing, the replayed copy is what goes back to
	 * the volume: "unchanged" would only hold until the commit. A forced
	 * replay is not current: say what is missing instead. */
	if (res.lost == NULL)
		xasprintf(&hv->warning, "%s is dirty on the volume (%s): %zu "
		    "log %s from its transaction logs were replayed into "
		    "ntmend's copy, so what is shown is current; %s",
		    hv->name, seq, res.format == HIVE_LOG_OLD ? res.pages :
		    res.entries, res.format == HIVE_LOG_OLD ? "pages" :
		    "records", (hv->flags & HIVE_WRITE) ? "a change writes "
		    "them into the hive on the volume" : "the volume is "
		    "unchanged");
	else
		xasprintf(&hv->warning, "%s is dirty on the volume (%s): "
		    "forced, %zu log %s from its transaction logs were "
		    "replayed into ntmend's copy and this is lost: %s%s",
		    hv->name, seq, res.format == HIVE_LOG_OLD ? res.pages :
		    res.entries, res.format == HIVE_LOG_OLD ? "pages" :
		    "records", res.lost, (hv->flags & HIVE_WRITE) ?
		    "; a change writes the hive without it" : "");
	hive_replay_result_free(&res);
out:
	free(seq);
}

/* Everything after the copy of the hive itself. */
static int
hive_finish(struct hive *hv, struct hive_src *src, const char *from,
    char **cause)
{
	size_t	 i;
	char	*where;
	int	 err;

	if (hive_read_header(hv, cause) != 0)
		return -1;
	/* Windows ignores the logs of a clean hive ("Dirty state of a
	 * hive"), so only a dirty one needs them copied. */
	if (hive_header_is_dirty(&hv->hdr))
		hive_copy_logs(hv, src, from);
	hive_judge(hv);

	/* Forced writing replays even a hive whose logs are all unusable:
	 * that at least makes the sequence numbers agree. */
	if (hv->state == HIVE_DIRTY_LOGS || (hv->state == HIVE_DIRTY_NO_LOGS &&
	    (hv->flags & HIVE_FORCE)))
		hive_replay_copy(hv);
	/* Nothing reads the logs' bytes after the replay: their memory goes
	 * to hivex's copy of the hive (hive_malloc_keep). */
	for (i = 0; i < NTM_HIVE_LOGS; i++) {
		free(hv->logs[i].data);
		hv->logs[i].data = NULL;
	}
	if ((hv->flags & HIVE_WRITE) && !(hv->flags & HIVE_FORCE) &&
	    (hv->state == HIVE_DIRTY_LOGS || hv->state == HIVE_DIRTY_NO_LOGS))
		return set_cause(cause, "%s cannot be changed safely: %s; "
		    "--force writes it anyway and that is lost", hv->name,
		    hv->warning);

	errno = 0;
	if ((hv->h = hivex_open(hv->path, (hv->flags & HIVE_WRITE) ?
	    HIVEX_OPEN_WRITE : 0)) == NULL) {
		err = errno;
		where = hive_find_damage(hv);
		set_cause(cause, "%s is damaged and cannot be read (%s%s%s)%s: "
		    HIVE_RESTORE_ADVICE, hv->name,
		    where != NULL ? where : "", where != NULL ? "; hivex: " :
		    "hivex: ", strerror(err),
		    hv->state == HIVE_DIRTY_LOGS ? "; its logs hold newer "
		    "changes" : "");
		free(where);
		return -1;
	}
	return 0;
}

/* Make the handle and its temp directory. */
static struct hive *
hive_new(const char *from, char **cause)
{
	struct hive	*hv;

	hv = xcalloc(1, sizeof *hv);
	hv->name = hive_base_name(from);
	if (*hv->name == '\0') {
		set_cause(cause, "%s: not a file name", from);
		hive_close(hv);
		return NULL;
	}
	if ((hv->dir = tmpdir_create("ntmend-hive", cause)) == NULL) {
		hive_close(hv);
		return NULL;
	}
	xasprintf(&hv->path, "%s/hive", hv->dir);
	return hv;
}

/*
 * Checking out and editing a hive allocates and frees buffers of its size
 * in turn: the copy being replayed and the logs, then hivex's own
 * (hivex_open reads the whole file into one). glibc maps each from the
 * kernel and unmaps it when freed, so each paid its page faults afresh:
 * 6 ms of a 50 ms SYSTEM edit. Kept in the heap (up to 32 MiB a buffer,
 * the most glibc allows the setting), hivex's buffer takes the pages the
 * replay left. Process-wide, and only when memory goes back to the kernel
 * changes; the write path is the one that needs it.
 */
static void
hive_malloc_keep(void)
{
	static int	done;

	if (done)
		return;
	done = 1;
	mallopt(M_MMAP_THRESHOLD, 32 << 20);
	mallopt(M_TRIM_THRESHOLD, 64 << 20);
}

/* Transparent huge pages, and the most of the heap they are asked for: a
 * hive's size, the logs and slack, under the mmap threshold above. */
#define NTM_HUGE_PAGE		((uintptr_t)2 << 20)
#define NTM_HUGE_HEAP_MAX	((size_t)30 << 20)

/*
 * Even kept, those pages were faulted in once each, 4 KiB at a time: a
 * SYSTEM edit took 5,000 page faults, a fifth of its time. The heap a
 * hive's buffers will come from is asked for in transparent huge pages
 * (what glibc's malloc.hugetlb tunable does, which only the environment
 * at start can set): allocated, advised, freed back to the heap untouched,
 * so the logs and hivex's copy then fault it in 2 MiB at a time. Where
 * the kernel has no huge pages to give, nothing changes.
 */
static void
hive_heap_huge(uint64_t size)
{
	uintptr_t	start, end;
	size_t		want;
	void		*p;

	want = size < NTM_HUGE_HEAP_MAX - 2 * NTM_HUGE_PAGE ?
	    (size_t)size + 2 * NTM_HUGE_PAGE : NTM_HUGE_HEAP_MAX;
	if ((p = malloc(want)) == NULL)
		return;
	start = ((uintptr_t)p + NTM_HUGE_PAGE - 1) & ~(NTM_HUGE_PAGE - 1);
	end = ((uintptr_t)p + want) & ~(NTM_HUGE_PAGE - 1);
	if (end > start)
		(void)madvise((void *)start, end - start, MADV_HUGEPAGE);
	free(p);
}

static int
hive_open_src(struct hive_src *src, const char *from, int flags,
    struct hive **hp, char **cause)
{
	struct hive	*hv;
	uint64_t	 size;

	*hp = NULL;
	if (flags & HIVE_WRITE)
		hive_malloc_keep();
	if ((hv = hive_new(from, cause)) == NULL)
		return -1;
	hv->flags = flags;
	if (hive_src_copy(src, from, hv->path, NULL, &size, cause) != 0)
		goto fail;
	if (flags & HIVE_WRITE)
		hive_heap_huge(size);
	if (hive_finish(hv, src, from, cause) != 0)
		goto fail;
	*hp = hv;
	return 0;

fail:
	hive_close(hv);
	return -1;
}

int
hive_checkout(struct vol *vol, const char *path, struct hive **hp,
    char **cause)
{
	return hive_checkout_flags(vol, path, 0, hp, cause);
}

int
hive_checkout_flags(struct vol *vol, const char *path, int flags,
    struct hive **hp, char **cause)
{
	struct hive_src	src = { .vol = vol };

	return hive_open_src(&src, path, flags, hp, cause);
}

int
hive_open_file(const char *file, struct hive **hp, char **cause)
{
	return hive_open_file_flags(file, 0, hp, cause);
}

int
hive_open_file_flags(const char *file, int flags, struct hive **hp,
    char **cause)
{
	struct hive_src	src = { .vol = NULL };

	return hive_open_src(&src, file, flags, hp, cause);
}

void
hive_close(struct hive *hv)
{
	size_t	i;

	if (hv == NULL)
		return;
	if (hv->h != NULL)
		hivex_close(hv->h);
	if (hv->map != NULL)
		munmap(hv->map, hv->maplen);
	for (i = 0; i < NTM_HIVE_LOGS; i++) {
		free(hv->logs[i].name);
		free(hv->logs[i].data);
		free(hv->logs[i].problem);
		if (hv->logs[i].scanned)
			hive_log_summary_free(&hv->logs[i].sum);
	}
	if (hv->dir != NULL)
		tmpdir_remove(hv->dir);
	hive_header_free(&hv->hdr);
	free(hv->warning);
	free(hv->path);
	free(hv->dir);
	free(hv->name);
	free(hv);
}

hive_h *
hive_handle(struct hive *hv)
{
	return hv->h;
}

const struct hive_header *
hive_header(struct hive *hv)
{
	return &hv->hdr;
}

enum hive_log_state
hive_log_state(struct hive *hv)
{
	return hv->state;
}

const char *
hive_warning(struct hive *hv)
{
	return hv->warning;
}

const char *
hive_name(struct hive *hv)
{
	return hv->name;
}

const char *
hive_file_path(struct hive *hv)
{
	return hv->path;
}

int
hive_map_copy(struct hive *hv, const void **buf, size_t *len, char **cause)
{
	struct stat	 sb;
	void		*p;
	int		 fd, ret = -1;

	if (hv->map != NULL) {
		munmap(hv->map, hv->maplen);
		hv->map = NULL;
	}
	if ((fd = open(hv->path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", hv->path, strerror(errno));
	if (fstat(fd, &sb) == -1) {
		set_cause(cause, "%s: %s", hv->path, strerror(errno));
		goto out;
	}
	if (sb.st_size < HIVE_BASE_BLOCK_SIZE ||
	    (uint64_t)sb.st_size > HIVE_MAX_SIZE) {
		set_cause(cause, "%s: the copy has %lld bytes", hv->name,
		    (long long)sb.st_size);
		goto out;
	}
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		set_cause(cause, "%s: %s", hv->path, strerror(errno));
		goto out;
	}
	hv->map = p;
	hv->maplen = (size_t)sb.st_size;
	*buf = p;
	*len = hv->maplen;
	ret = 0;
out:
	close(fd);
	return ret;
}
