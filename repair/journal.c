/* journal.c: every change recorded on the volume before it is made. */

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "hive/hive.h"
#include "repair/repair.h"
#include "util/util.h"

#define JOURNAL_LOG		"journal.jsonl"
#define JOURNAL_VERSION		1
/* A journal line is one small JSON object; a log larger than this is not
 * one ntmend wrote (golden apply of 20k files stays well under it). */
#define NTM_MAX_JOURNAL_LOG	(256u << 20)
/* Originals are copied in chunks so memory stays flat for large files. */
#define COPY_CHUNK		(1024 * 1024)
/* Journals with the same second and command get -2, -3, ... */
#define NTM_MAX_JOURNAL_SAME	100

struct journal {
	struct vol	*vol;
	char		*id;
	char		*dir;		/* ntmend\journal\<id> */
	size_t		 nops;		/* operations recorded */
	size_t		 nchanges;	/* of them completed */
	char		**made;		/* directories journal_batch made */
	size_t		  nmade;
	int		 deferred;	/* cancel_defer until it ends */
};

/* One operation as read back from a journal log. */
struct jop {
	size_t		 n;
	const char	*kind;
	const char	*path;
	const char	*to;
	const char	*blob;
	const char	*sd;
	const char	*sha256;
	json_int_t	 attrs;
	int		 done;
	int		 undone;
};

struct jlog {
	json_t		**lines;
	size_t		  nlines;
	struct jop	 *ops;
	size_t		  nops;
	const char	 *command;
	const char	 *started;
	const char	 *end;		/* "committed", "rolled-back", NULL */
};

static char *
jpath(struct journal *j, const char *name)
{
	return xprintf("%s\\%s", j->dir, name);
}

/* Append one record: the file is opened and closed around each line so
 * the new size reaches the MFT before the change the line announces. */
static int
jappend(struct vol *vol, const char *dir, json_t *rec, char **cause)
{
	struct vol_file	*f;
	char		*line, *path;
	size_t		 len;
	ssize_t		 n;
	int		 ret = -1;

	line = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (line == NULL)
		fatal("out of memory writing a journal record");
	len = strlen(line);
	line[len++] = '\n';	/* json_dumps leaves room: replace the NUL */
	path = xprintf("%s\\%s", dir, JOURNAL_LOG);
	if ((f = vol_file_open(vol, path, VOL_O_RDWR, cause)) == NULL)
		goto out;
	n = vol_file_pwrite(f, line, len, vol_file_size(f));
	if (n != (ssize_t)len) {
		set_cause(cause, "%s: cannot append to the journal", path);
		vol_file_close(f, NULL);
		goto out;
	}
	ret = vol_file_close(f, cause);
out:
	free(path);
	free(line);
	return ret;
}

static char *
sha256_hex(EVP_MD_CTX *md)
{
	uint8_t		digest[32];
	unsigned int	dlen;

	EVP_DigestFinal_ex(md, digest, &dlen);
	return hex_encode(digest, sizeof digest);
}

/*
 * A hive is written back by the pages that changed (a SYSTEM edit with its
 * logs replayed changes 450 of 3100): copying the original into the
 * journal compares it with the new bytes on the way and keeps the runs
 * that differ, [start, end) in runs[].
 */
#define JDIFF_PAGE	4096
struct jdiff {
	const uint8_t	*new;
	size_t		 len;
	uint64_t	(*runs)[2];
	size_t		 nruns;
};

static void
jdiff_add(struct jdiff *d, uint64_t start, uint64_t end)
{
	if (d->nruns > 0 && d->runs[d->nruns - 1][1] == start) {
		d->runs[d->nruns - 1][1] = end;
		return;
	}
	d->runs = xreallocarray(d->runs, d->nruns + 1, sizeof *d->runs);
	d->runs[d->nruns][0] = start;
	d->runs[d->nruns][1] = end;
	d->nruns++;
}

/* The old bytes buf of n at off against the new ones; pages past the new
 * end are cut off later, not written. */
static void
jdiff_chunk(struct jdiff *d, const uint8_t *buf, size_t n, uint64_t off)
{
	uint64_t	p, end;

	for (p = off; p < off + n && p < d->len; p = end) {
		end = p + JDIFF_PAGE < off + n ? p + JDIFF_PAGE : off + n;
		if (end > d->len)
			end = d->len;
		if (memcmp(buf + (p - off), d->new + p, (size_t)(end - p)) != 0)
			jdiff_add(d, p, end);
	}
}

/* Stream a file into another on the same volume (created, must not
 * exist); *sha (caller frees) gets the SHA-256 of what was copied; diff,
 * when not NULL, the runs where the source differs from diff->new. */
static int
copy_file(struct vol *vol, const char *src, const char *dst, int create,
    struct jdiff *diff, uint64_t *sizep, char **sha, char **cause)
{
	struct vol_file	*in, *out;
	EVP_MD_CTX	*md;
	uint8_t		*buf;
	uint64_t	 off = 0, size;
	ssize_t		 n;
	int		 ret = -1;

	if ((in = vol_file_open(vol, src, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	if (create)
		out = vol_file_create(vol, dst, cause);
	else
		out = vol_file_open(vol, dst, VOL_O_RDWR, cause);
	if (out == NULL) {
		vol_file_close(in, NULL);
		return -1;
	}
	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL has no SHA-256");
	buf = xmalloc(COPY_CHUNK);
	size = vol_file_size(in);
	while (off < size) {
		n = vol_file_pread(in, buf, COPY_CHUNK, off);
		if (n <= 0) {
			set_cause(cause, "%s: read failed at byte %llu", src,
			    (unsigned long long)off);
			goto out;
		}
		if (vol_file_pwrite(out, buf, (size_t)n, off) != n) {
			set_cause(cause, "%s: write failed at byte %llu", dst,
			    (unsigned long long)off);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		if (diff != NULL)
			jdiff_chunk(diff, buf, (size_t)n, off);
		off += (uint64_t)n;
	}
	if (diff != NULL && diff->len > size)
		jdiff_add(diff, size, diff->len);
	if (!create && vol_file_truncate(out, size) != 0) {
		set_cause(cause, "%s: cannot set its size", dst);
		goto out;
	}
	*sizep = size;
	*sha = sha256_hex(md);
	ret = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	vol_file_close(in, NULL);
	if (vol_file_close(out, ret == 0 ? cause : NULL) != 0)
		ret = -1;
	return ret;
}

static char *
buf_sha256(const void *buf, size_t len)
{
	EVP_MD_CTX	*md;
	char		*s;

	if ((md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL has no SHA-256");
	EVP_DigestUpdate(md, buf, len);
	s = sha256_hex(md);
	EVP_MD_CTX_free(md);
	return s;
}

static int
write_new(struct vol *vol, const char *path, const void *buf, size_t len,
    char **cause)
{
	struct vol_file	*f;

	if ((f = vol_file_create(vol, path, cause)) == NULL)
		return -1;
	if (len > 0 && vol_file_pwrite(f, buf, len, 0) != (ssize_t)len) {
		set_cause(cause, "%s: write failed", path);
		vol_file_close(f, NULL);
		return -1;
	}
	return vol_file_close(f, cause);
}

static int	jlist(struct vol *, int, struct journal_info **, size_t *,
		    char **);
static int	dir_names(struct vol *, const char *, char ***, size_t *,
		    char **);
static void	names_free(char **, size_t);

/* Is there a journal of this second made by another command than the
 * one base names ("<stamp>-<command>", maybe with -N after it)? */
static int
journal_second_taken(struct vol *vol, const char *stamp, const char *base)
{
	char	**names;
	size_t	  n, i, lb = strlen(base), ls = strlen(stamp);
	int	  taken = 0;

	if (dir_names(vol, JOURNAL_DIR, &names, &n, NULL) != 0)
		return 0;
	for (i = 0; i < n && !taken; i++) {
		if (strncmp(names[i], stamp, ls) != 0 || names[i][ls] != '-')
			continue;
		if (strncmp(names[i], base, lb) == 0 && (names[i][lb] == '\0' ||
		    (names[i][lb] == '-' && strspn(names[i] + lb + 1,
		    "0123456789") == strlen(names[i] + lb + 1))))
			continue;
		taken = 1;
	}
	names_free(names, n);
	return taken;
}

int
journal_begin(struct vol *vol, const char *command, struct journal **jp,
    char **cause)
{
	struct journal	*j;
	struct tm	 tm;
	time_t		 now;
	char		 stamp[32], iso[32], *base, *c;
	int		 i;

	cancel_defer();
	if (vol_mkdir_p(vol, JOURNAL_DIR, cause) != 0) {
		cancel_undefer(1);
		return -1;
	}
	/*
	 * Ids sort in time order: the stamp, then -N for the same command
	 * within one second. Two different commands in one second would
	 * sort by their names instead, and undo could take the older for
	 * the newest: the second one waits for the next second.
	 */
	for (;;) {
		now = time(NULL);
		gmtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
		/* The id names the command's first word, for people. */
		base = xprintf("%s-%.*s", stamp, (int)strcspn(command, " "),
		    command);
		for (c = base + strlen(stamp); *c != '\0'; c++) {
			if (!((*c >= 'a' && *c <= 'z') ||
			    (*c >= '0' && *c <= '9') || *c == '-'))
				*c = '_';
		}
		if (!journal_second_taken(vol, stamp, base))
			break;
		free(base);
		usleep(50 * 1000);
	}
	j = xcalloc(1, sizeof *j);
	j->vol = vol;
	j->deferred = 1;
	for (i = 1; i <= NTM_MAX_JOURNAL_SAME; i++) {
		j->id = i == 1 ? xstrdup(base) : xprintf("%s-%d", base, i);
		j->dir = xprintf("%s\\%s", JOURNAL_DIR, j->id);
		if (!vol_exists(vol, j->dir))
			break;
		free(j->id);
		free(j->dir);
		j->id = j->dir = NULL;
	}
	free(base);
	if (j->dir == NULL) {
		set_cause(cause, "too many journals named like this one");
		goto fail;
	}
	c = jpath(j, JOURNAL_LOG);
	if (vol_mkdir_p(vol, j->dir, cause) != 0 ||
	    write_new(vol, c, NULL, 0, cause) != 0) {
		free(c);
		goto fail;
	}
	free(c);
	if (jappend(vol, j->dir, json_pack("{s:i,s:s,s:s,s:s}", "journal",
	    JOURNAL_VERSION, "id", j->id, "command", command, "started", iso),
	    cause) != 0)
		goto fail;
	*jp = j;
	return 0;
fail:
	journal_free(j);
	return -1;
}

const char *
journal_id(struct journal *j)
{
	return j->id;
}

size_t
journal_count(struct journal *j)
{
	return j->nchanges;
}

/* Record an operation; rec gets "op": n first. */
static int
record(struct journal *j, json_t *rec, char **cause)
{
	json_t	*full;

	full = json_pack("{s:I}", "op", (json_int_t)j->nops);
	json_object_update(full, rec);
	json_decref(rec);
	return jappend(j->vol, j->dir, full, cause);
}

static int
mark_done(struct journal *j, char **cause)
{
	j->nchanges++;
	return jappend(j->vol, j->dir, json_pack("{s:I}", "done",
	    (json_int_t)j->nops), cause);
}

/* Save a file's bytes and security descriptor as blobs of op n (diff:
 * copy_file). */
static int
save_original(struct journal *j, const char *path, json_t *rec,
    struct jdiff *diff, char **cause)
{
	struct vol_stat	 sb;
	char		*blob, *sdblob, *bpath, *sha = NULL;
	void		*sd;
	size_t		 sdlen;
	uint64_t	 size;
	int		 ret = -1;

	if (vol_stat(j->vol, path, &sb, cause) != 0)
		return -1;
	if (sb.is_dir)
		return set_cause(cause, "%s is a directory", path);
	blob = xprintf("%04zu.bin", j->nops);
	sdblob = xprintf("%04zu.sd", j->nops);
	bpath = jpath(j, blob);
	if (copy_file(j->vol, path, bpath, 1, diff, &size, &sha, cause) != 0)
		goto out;
	json_object_set_new(rec, "blob", json_string(blob));
	json_object_set_new(rec, "size", json_integer((json_int_t)size));
	json_object_set_new(rec, "sha256", json_string(sha));
	json_object_set_new(rec, "attrs", json_integer(sb.attrs));
	/* A directory backend may not expose descriptors: then the file
	 * keeps its own, as an in-place restore does anyway. */
	if (vol_sd_get(j->vol, path, &sd, &sdlen, NULL) == 0) {
		free(bpath);
		bpath = jpath(j, sdblob);
		if (write_new(j->vol, bpath, sd, sdlen, cause) != 0) {
			free(sd);
			goto out;
		}
		free(sd);
		json_object_set_new(rec, "sd", json_string(sdblob));
	}
	ret = 0;
out:
	free(sha);
	free(bpath);
	free(sdblob);
	free(blob);
	return ret;
}

int
journal_replace(struct journal *j, const char *path, const void *buf,
    size_t len, char **cause)
{
	json_t	*rec;
	char	*sha;

	j->nops++;
	rec = json_pack("{s:s,s:s}", "kind", "replace", "path", path);
	if (save_original(j, path, rec, NULL, cause) != 0) {
		json_decref(rec);
		return -1;
	}
	sha = buf_sha256(buf, len);
	json_object_set_new(rec, "new_sha256", json_string(sha));
	free(sha);
	if (record(j, rec, cause) != 0)
		return -1;
	kill_point("replace-recorded");
	/* One write call: no step of ours can stop half-way through it. */
	if (vol_file_replace(j->vol, path, buf, len, cause) != 0)
		return -1;
	kill_point("replace-written");
	if (mark_done(j, cause) != 0)
		return -1;
	kill_point("replace-done");
	return 0;
}

/* Write the runs that differ over the file and set its new size: the
 * same MFT record and clusters, as vol_file_replace keeps them. */
static int
write_runs(struct vol *vol, const char *path, const struct jdiff *d,
    char **cause)
{
	struct vol_file	*f;
	uint64_t	 off;
	ssize_t		 n;
	size_t		 i;
	int		 e;

	if ((f = vol_file_open(vol, path, VOL_O_RDWR, cause)) == NULL)
		return -1;
	for (i = 0; i < d->nruns; i++) {
		for (off = d->runs[i][0]; off < d->runs[i][1]; off += (size_t)n) {
			n = vol_file_pwrite(f, d->new + off,
			    (size_t)(d->runs[i][1] - off), off);
			if (n <= 0) {
				if (n == 0)
					errno = EIO;
				set_cause(cause, "%s: cannot write: %s", path,
				    strerror(errno));
				goto fail;
			}
		}
	}
	if (vol_file_size(f) != d->len && vol_file_truncate(f, d->len) != 0) {
		set_cause(cause, "%s: cannot set the size to %zu: %s", path,
		    d->len, strerror(errno));
		goto fail;
	}
	return vol_file_close(f, cause);
fail:
	e = errno;
	vol_file_close(f, NULL);
	errno = e;
	return -1;
}

/*
 * journal_replace for a hive, cheaper where a hive is large: the original
 * is saved as for any file (undo puts back every byte, whatever Windows
 * wrote to the hive since), but only the pages that differ are written
 * over it, and no SHA-256 of the new bytes is recorded: nothing reads it
 * back, and hivex has just read them whole (hive_commit).
 */
int
journal_hive(struct journal *j, struct hive *h, const char *path,
    char **cause)
{
	struct jdiff	 d;
	json_t		*rec;
	const void	*buf;
	size_t		 len;
	int		 ret = -1;

	if (hive_commit(h, &buf, &len, cause) != 0)
		return -1;
	memset(&d, 0, sizeof d);
	d.new = buf;
	d.len = len;
	j->nops++;
	rec = json_pack("{s:s,s:s}", "kind", "replace", "path", path);
	if (save_original(j, path, rec, &d, cause) != 0) {
		json_decref(rec);
		goto out;
	}
	if (record(j, rec, cause) != 0)
		goto out;
	kill_point("replace-recorded");
	if (write_runs(j->vol, path, &d, cause) != 0)
		goto out;
	kill_point("replace-written");
	if (mark_done(j, cause) != 0)
		goto out;
	kill_point("replace-done");
	ret = 0;
out:
	free(d.runs);
	return ret;
}

int
journal_create(struct journal *j, const char *path, const void *buf,
    size_t len, char **cause)
{
	if (vol_exists(j->vol, path))
		return set_cause(cause, "%s exists already", path);
	j->nops++;
	if (record(j, json_pack("{s:s,s:s}", "kind", "create", "path", path),
	    cause) != 0)
		return -1;
	if (write_new(j->vol, path, buf, len, cause) != 0)
		return -1;
	return mark_done(j, cause);
}

int
journal_mkdir_p(struct journal *j, const char *path, char **cause)
{
	char	*partial, *p;
	int	 ret = 0;

	partial = xstrdup(path);
	/* Record each directory that does not exist yet, outermost first,
	 * so undo removes them innermost first. */
	for (p = partial; ret == 0; p++) {
		if (*p != '\\' && *p != '/' && *p != '\0')
			continue;
		if (p != partial) {
			char save = *p;

			*p = '\0';
			if (!vol_exists(j->vol, partial)) {
				j->nops++;
				if (record(j, json_pack("{s:s,s:s}", "kind",
				    "mkdir", "path", partial), cause) != 0 ||
				    vol_mkdir_p(j->vol, partial, cause) != 0 ||
				    mark_done(j, cause) != 0)
					ret = -1;
			}
			*p = save;
		}
		if (*p == '\0')
			break;
	}
	free(partial);
	return ret;
}

int
journal_rename(struct journal *j, const char *from, const char *to,
    char **cause)
{
	j->nops++;
	if (record(j, json_pack("{s:s,s:s,s:s}", "kind", "rename", "path",
	    from, "to", to), cause) != 0)
		return -1;
	if (vol_rename(j->vol, from, to, cause) != 0)
		return -1;
	return mark_done(j, cause);
}

int
journal_delete(struct journal *j, const char *path, char **cause)
{
	json_t	*rec;

	j->nops++;
	rec = json_pack("{s:s,s:s}", "kind", "delete", "path", path);
	if (save_original(j, path, rec, NULL, cause) != 0) {
		json_decref(rec);
		return -1;
	}
	if (record(j, rec, cause) != 0)
		return -1;
	if (vol_unlink(j->vol, path, cause) != 0)
		return -1;
	return mark_done(j, cause);
}

/*
 * Batches: golden apply changes thousands of files, and an append per
 * record and per "done" (an open and close of the log each, so the MFT
 * sees the new size before the change) would cost more than the changes.
 * A batch keeps the rule of the single operations: every record of the
 * batch, with the originals it needs saved, is on the volume before the
 * first change; then the changes; then their "done" lines, in one append
 * each. Undo does not need "done": it restores or removes whatever each
 * record names, made or not.
 */
static void
line_add(char **buf, size_t *len, json_t *rec)
{
	char	*s;
	size_t	 l;

	s = json_dumps(rec, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(rec);
	if (s == NULL)
		fatal("out of memory writing a journal record");
	l = strlen(s);
	*buf = xrealloc(*buf, *len + l + 1);
	memcpy(*buf + *len, s, l);
	(*buf)[*len + l] = '\n';
	*len += l + 1;
	free(s);
}

static int
jappend_lines(struct journal *j, const char *buf, size_t len, char **cause)
{
	struct vol_file	*f;
	char		*path;
	int		 ret = -1;

	path = jpath(j, JOURNAL_LOG);
	if ((f = vol_file_open(j->vol, path, VOL_O_RDWR, cause)) == NULL)
		goto out;
	if (vol_file_pwrite(f, buf, len, vol_file_size(f)) != (ssize_t)len) {
		set_cause(cause, "%s: cannot append to the journal", path);
		vol_file_close(f, NULL);
		goto out;
	}
	ret = vol_file_close(f, cause);
out:
	free(path);
	return ret;
}

/* The change is over (kept, or rolled back: act on a cancel now). */
static void
journal_undefer(struct journal *j, int act)
{
	if (!j->deferred)
		return;
	j->deferred = 0;
	cancel_undefer(act);
}

/* A cancel (cancel.c) stops a batch between files. */
static int
cancelled(char **cause)
{
	if (!cancel_pending())
		return 0;
	return set_cause(cause, "cancelled (Ctrl-C, or Stop in the menu): "
	    "what it changed is rolled back");
}

/* Stream op i's new bytes into its file: created, or the existing one
 * written over and cut to size (vol_file_replace's way: the same MFT
 * record, so every hard link shows them). */
static int
batch_write(struct journal *j, const struct journal_op *op, size_t i,
    journal_read_fn read, void *arg, char **cause)
{
	struct vol_file	*f;
	const void	*data;
	uint64_t	 off = 0;
	ssize_t		 n;

	if (op->kind == JOURNAL_CREATE)
		f = vol_file_create(j->vol, op->path, cause);
	else
		f = vol_file_open(j->vol, op->path, VOL_O_RDWR, cause);
	if (f == NULL)
		return -1;
	for (;;) {
		if (cancelled(cause) != 0)
			goto fail;
		if ((n = read(arg, i, &data, cause)) <= 0)
			break;
		if (off + (uint64_t)n > op->size) {
			set_cause(cause, "%s: more bytes than the %llu "
			    "announced", op->path,
			    (unsigned long long)op->size);
			goto fail;
		}
		if (vol_file_pwrite(f, data, (size_t)n, off) != n) {
			set_cause(cause, "%s: write failed at byte %llu",
			    op->path, (unsigned long long)off);
			goto fail;
		}
		off += (uint64_t)n;
	}
	if (n < 0)
		goto fail;
	if (off != op->size) {
		set_cause(cause, "%s: %llu bytes given, %llu announced",
		    op->path, (unsigned long long)off,
		    (unsigned long long)op->size);
		goto fail;
	}
	if (vol_file_size(f) != off && vol_file_truncate(f, off) != 0) {
		set_cause(cause, "%s: cannot set its size", op->path);
		goto fail;
	}
	return vol_file_close(f, cause);
fail:
	vol_file_close(f, NULL);
	return -1;
}

/*
 * What a file created in dir gets from libntfs-3g: the descriptor it
 * inherits and its attributes. The same for every file created there, so
 * read once per directory: setting a recorded descriptor that is the
 * inherited one anyway (the usual case, WinSxS files inherit theirs) or
 * attributes it has already costs a path walk and an index update per
 * file for nothing.
 */
struct batch_dir {
	char		*dir;
	void		*sd;		/* NULL: not readable here */
	size_t		 sdlen;
	uint32_t	 attrs;
};

static void
batch_dir_learn(struct journal *j, struct batch_dir *bd, const char *path)
{
	struct vol_stat	 sb;
	const char	*sep;
	size_t		 len;

	sep = strrchr(path, '\\');
	len = sep != NULL ? (size_t)(sep - path) : 0;
	if (bd->dir != NULL && strlen(bd->dir) == len &&
	    strncmp(bd->dir, path, len) == 0)
		return;
	free(bd->dir);
	free(bd->sd);
	bd->dir = xstrndup(path, len);
	if (vol_sd_get(j->vol, path, &bd->sd, &bd->sdlen, NULL) != 0)
		bd->sd = NULL;
	bd->attrs = vol_stat(j->vol, path, &sb, NULL) == 0 ? sb.attrs :
	    UINT32_MAX;
}

static int
batch_do(struct journal *j, const struct journal_op *op, size_t i,
    journal_read_fn read, void *arg, struct batch_dir *bd, char **cause)
{
	int	inherited = 0;

	switch (op->kind) {
	case JOURNAL_MKDIR:
		if (vol_mkdir_p(j->vol, op->path, cause) != 0)
			return -1;
		j->made = xreallocarray(j->made, j->nmade + 1,
		    sizeof *j->made);
		j->made[j->nmade++] = xstrdup(op->path);
		break;
	case JOURNAL_CREATE:
	case JOURNAL_REPLACE:
		if (batch_write(j, op, i, read, arg, cause) != 0)
			return -1;
		if (op->kind == JOURNAL_REPLACE)
			return 0;
		batch_dir_learn(j, bd, op->path);
		inherited = 1;
		break;
	case JOURNAL_LINK:
		return vol_link(j->vol, op->to, op->path, cause);
	}
	if (op->sd != NULL && !(inherited && bd->sd != NULL &&
	    bd->sdlen == op->sdlen && memcmp(bd->sd, op->sd, op->sdlen) ==
	    0) && vol_sd_set(j->vol, op->path, op->sd, op->sdlen, cause) != 0)
		return -1;
	if (op->attrs != 0 && !(inherited && bd->attrs == op->attrs) &&
	    vol_attrs_set(j->vol, op->path, op->attrs, cause) != 0)
		return -1;
	return 0;
}

/* Is path's parent a directory this journal made? Then path cannot
 * exist yet (only this process writes the volume), and looking it up is
 * a wasted walk. The last match is tried first: files come in order. */
static int
batch_new_parent(struct journal *j, const char *path)
{
	const char	*sep = strrchr(path, '\\');
	size_t		 len, k;

	if (sep == NULL)
		return 0;
	len = (size_t)(sep - path);
	for (k = j->nmade; k > 0; k--) {
		if (strlen(j->made[k - 1]) == len &&
		    strncmp(j->made[k - 1], path, len) == 0)
			return 1;
	}
	return 0;
}

int
journal_batch(struct journal *j, const struct journal_op *ops, size_t n,
    journal_read_fn read, void *arg, char **cause)
{
	static const char *const kinds[] = { "mkdir", "create", "replace",
	    "link" };
	const struct journal_op	*op;
	struct batch_dir	 bd = { NULL, NULL, 0, 0 };
	json_t			*rec, *full;
	char			*lines = NULL;
	size_t			 len = 0, i, first = j->nops + 1;
	int			 ret = -1;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++) {
		op = &ops[i];
		if (op->kind != JOURNAL_REPLACE && !batch_new_parent(j,
		    op->path) && vol_exists(j->vol, op->path)) {
			set_cause(cause, "%s exists already", op->path);
			goto out;
		}
		j->nops++;
		rec = json_pack("{s:s,s:s}", "kind", kinds[op->kind], "path",
		    op->path);
		if (op->kind == JOURNAL_LINK)
			json_object_set_new(rec, "to", json_string(op->to));
		if (op->kind == JOURNAL_REPLACE) {
			if (save_original(j, op->path, rec, NULL, cause) != 0) {
				json_decref(rec);
				goto out;
			}
			if (op->sha256 != NULL)
				json_object_set_new(rec, "new_sha256",
				    json_string(op->sha256));
		}
		full = json_pack("{s:I}", "op", (json_int_t)j->nops);
		json_object_update(full, rec);
		json_decref(rec);
		line_add(&lines, &len, full);
	}
	if (jappend_lines(j, lines, len, cause) != 0)
		goto out;
	kill_point("batch-recorded");
	free(lines);
	lines = NULL;
	len = 0;
	for (i = 0; i < n; i++) {
		if (cancelled(cause) != 0 ||
		    batch_do(j, &ops[i], i, read, arg, &bd, cause) != 0)
			goto out;
		j->nchanges++;
		line_add(&lines, &len, json_pack("{s:I}", "done",
		    (json_int_t)(first + i)));
		kill_point("batch-changed");
	}
	if (jappend_lines(j, lines, len, cause) != 0)
		goto out;
	kill_point("batch-done");
	ret = 0;
out:
	free(bd.dir);
	free(bd.sd);
	free(lines);
	return ret;
}

int
journal_recover(struct vol *vol, char ***ids, size_t *nids, char **cause)
{
	struct journal_info	*info;
	size_t			 n, i;
	char			*id;
	int			 ret = 0;

	*ids = NULL;
	*nids = 0;
	if (jlist(vol, 1, &info, &n, cause) != 0)
		return -1;
	/* Newest first, as undo wants; an interrupted journal is normally
	 * the newest anyway. */
	for (i = n; i-- > 0 && ret == 0; ) {
		if (strcmp(info[i].state, "open") != 0 &&
		    strcmp(info[i].state, "partly-undone") != 0 &&
		    strcmp(info[i].state, "undone") != 0)
			continue;
		if ((ret = journal_undo(vol, info[i].id, &id, cause)) == 0) {
			*ids = xreallocarray(*ids, *nids + 1, sizeof **ids);
			(*ids)[(*nids)++] = id;
		}
	}
	journal_info_free(info, n);
	return ret;
}

int
journal_commit(struct journal *j, char **cause)
{
	char	*undone = NULL;

	if (j->nchanges == 0) {
		if (journal_undo(j->vol, j->id, &undone, cause) != 0)
			return -1;
		free(undone);
	} else if (jappend(j->vol, j->dir, json_pack("{s:s}", "end",
	    "committed"), cause) != 0 || vol_sync(j->vol, cause) != 0)
		return -1;
	/* Done: a cancel that came too late is forgotten. */
	journal_undefer(j, 0);
	return 0;
}

int
journal_rollback(struct journal *j, char **cause)
{
	char	*undone = NULL;
	int	 ret;

	ret = journal_undo(j->vol, j->id, &undone, cause);
	free(undone);
	journal_undefer(j, 1);
	return ret;
}

void
journal_free(struct journal *j)
{
	if (j == NULL)
		return;
	journal_undefer(j, 1);
	while (j->nmade > 0)
		free(j->made[--j->nmade]);
	free(j->made);
	free(j->id);
	free(j->dir);
	free(j);
}

/* Reading journals back. */

static void
jlog_free(struct jlog *l)
{
	size_t	i;

	for (i = 0; i < l->nlines; i++)
		json_decref(l->lines[i]);
	free(l->lines);
	free(l->ops);
	memset(l, 0, sizeof *l);
}

/* Op n of a log: where it is in a log ntmend wrote (ops numbered from 1
 * in order), else searched for, so that 20,000 "done" lines cost 20,000
 * steps rather than 200 million. */
static struct jop *
jlog_op(struct jlog *l, json_int_t n)
{
	size_t	i;

	if (n >= 1 && (size_t)n <= l->nops && l->ops[n - 1].n == (size_t)n)
		return &l->ops[n - 1];
	for (i = 0; i < l->nops; i++) {
		if ((json_int_t)l->ops[i].n == n)
			return &l->ops[i];
	}
	return NULL;
}

static const char *
jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* Parse journal.jsonl; a torn last line (a kill mid-append) is ignored,
 * damage anywhere else is an error. */
static int
jlog_read(struct vol *vol, const char *dir, struct jlog *l, char **cause)
{
	char		*path, *buf, *line, *nl;
	size_t		 len, lineno = 0;
	json_t		*o;
	struct jop	*op;
	void		*vbuf;

	memset(l, 0, sizeof *l);
	path = xprintf("%s\\%s", dir, JOURNAL_LOG);
	if (vol_file_read_all(vol, path, NTM_MAX_JOURNAL_LOG, &vbuf, &len,
	    cause) != 0) {
		free(path);
		return -1;
	}
	buf = vbuf;
	for (line = buf; line < buf + len; line = nl + 1) {
		lineno++;
		if ((nl = memchr(line, '\n', (size_t)(buf + len - line))) ==
		    NULL)
			break;	/* torn last line */
		*nl = '\0';
		if ((o = json_loads(line, 0, NULL)) == NULL ||
		    !json_is_object(o)) {
			json_decref(o);
			set_cause(cause, "%s: line %zu is damaged", path,
			    lineno);
			goto fail;
		}
		l->lines = xreallocarray(l->lines, l->nlines + 1,
		    sizeof *l->lines);
		l->lines[l->nlines++] = o;
		if (json_object_get(o, "journal") != NULL) {
			l->command = jstr(o, "command");
			l->started = jstr(o, "started");
		} else if (json_object_get(o, "op") != NULL) {
			l->ops = xreallocarray(l->ops, l->nops + 1,
			    sizeof *l->ops);
			op = &l->ops[l->nops++];
			memset(op, 0, sizeof *op);
			op->n = (size_t)json_integer_value(
			    json_object_get(o, "op"));
			op->kind = jstr(o, "kind");
			op->path = jstr(o, "path");
			op->to = jstr(o, "to");
			op->blob = jstr(o, "blob");
			op->sd = jstr(o, "sd");
			op->sha256 = jstr(o, "sha256");
			op->attrs = json_integer_value(
			    json_object_get(o, "attrs"));
			if (op->kind == NULL || op->path == NULL) {
				set_cause(cause, "%s: line %zu is not a "
				    "journal operation", path, lineno);
				goto fail;
			}
		} else if ((op = jlog_op(l, json_integer_value(
		    json_object_get(o, "done")))) != NULL)
			op->done = 1;
		else if ((op = jlog_op(l, json_integer_value(
		    json_object_get(o, "undone")))) != NULL)
			op->undone = 1;
		else if (jstr(o, "end") != NULL)
			l->end = jstr(o, "end");
	}
	free(path);
	free(buf);
	return 0;
fail:
	free(path);
	free(buf);
	jlog_free(l);
	return -1;
}

static int
list_names(const struct vol_dirent *de, void *arg)
{
	struct { char **v; size_t n; } *names = arg;

	names->v = xreallocarray(names->v, names->n + 1, sizeof *names->v);
	names->v[names->n++] = xstrdup(de->name);
	return 0;
}

/*
 * Ids sort by time: the stamp is fixed-width, but the -N of journals made
 * in the same second is not ("...-reg-10" is newer than "...-reg-9"), so
 * runs of digits compare as numbers.
 */
static int
cmp_names(const void *a, const void *b)
{
	const char	*s = *(char *const *)a, *t = *(char *const *)b;
	size_t		 ls, lt;

	while (*s != '\0' && *t != '\0') {
		if (*s >= '0' && *s <= '9' && *t >= '0' && *t <= '9') {
			while (*s == '0' && s[1] >= '0' && s[1] <= '9')
				s++;
			while (*t == '0' && t[1] >= '0' && t[1] <= '9')
				t++;
			ls = strspn(s, "0123456789");
			lt = strspn(t, "0123456789");
			if (ls != lt)
				return ls < lt ? -1 : 1;
			if (strncmp(s, t, ls) != 0)
				return strncmp(s, t, ls);
			s += ls;
			t += lt;
			continue;
		}
		if (*s != *t)
			return (unsigned char)*s < (unsigned char)*t ? -1 : 1;
		s++;
		t++;
	}
	return *s == *t ? 0 : (*s == '\0' ? -1 : 1);
}

/* Sorted names of a directory's entries. */
static int
dir_names(struct vol *vol, const char *dir, char ***v, size_t *n,
    char **cause)
{
	struct { char **v; size_t n; } names = { NULL, 0 };

	if (vol_list(vol, dir, list_names, &names, cause) != 0) {
		while (names.n > 0)
			free(names.v[--names.n]);
		free(names.v);
		return -1;
	}
	/* An empty directory has no array: qsort's is declared nonnull. */
	if (names.n > 1)
		qsort(names.v, names.n, sizeof *names.v, cmp_names);
	*v = names.v;
	*n = names.n;
	return 0;
}

static void
names_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}

/*
 * Does the log end with its "end" record (*end, caller frees)? Then that
 * is its state: "undone" records are only ever appended after everything
 * else (and the journal removed once they are all there), so a log whose
 * last whole line is its end has none, and the lines before need not be
 * parsed. Recovery, which every changing command runs, asks only this of
 * journals that may hold 20,000 changes each.
 */
static int
jlog_ended(struct vol *vol, const char *dir, char **end)
{
	json_t		*o;
	char		*path, *buf, *nl, *start;
	size_t		 len;
	void		*vbuf;
	int		 ret = 0;

	path = xprintf("%s\\%s", dir, JOURNAL_LOG);
	if (vol_file_read_all(vol, path, NTM_MAX_JOURNAL_LOG, &vbuf, &len,
	    NULL) != 0) {
		free(path);
		return 0;
	}
	free(path);
	buf = vbuf;
	if ((nl = memrchr(buf, '\n', len)) != NULL) {
		start = memrchr(buf, '\n', (size_t)(nl - buf));
		start = start != NULL ? start + 1 : buf;
		o = json_loadb(start, (size_t)(nl - start), 0, NULL);
		if (json_is_object(o) && json_object_size(o) == 1 &&
		    jstr(o, "end") != NULL) {
			*end = xstrdup(jstr(o, "end"));
			ret = 1;
		}
		json_decref(o);
	}
	free(buf);
	return ret;
}

/* journal_list; quick: the state and id only of a journal that ended
 * (jlog_ended), the rest as journal_list has them. */
static int
jlist(struct vol *vol, int quick, struct journal_info **infop, size_t *np,
    char **cause)
{
	struct journal_info	*info = NULL, *ji;
	struct jlog		 l;
	char			**ids, *dir, *c = NULL, *end;
	size_t			  nids, i, k, n = 0;

	*infop = NULL;
	*np = 0;
	if (!vol_exists(vol, JOURNAL_DIR))
		return 0;
	if (dir_names(vol, JOURNAL_DIR, &ids, &nids, cause) != 0)
		return -1;
	for (i = 0; i < nids; i++) {
		info = xreallocarray(info, n + 1, sizeof *info);
		ji = &info[n++];
		memset(ji, 0, sizeof *ji);
		ji->id = xstrdup(ids[i]);
		dir = xprintf("%s\\%s", JOURNAL_DIR, ids[i]);
		if (quick && jlog_ended(vol, dir, &end)) {
			ji->command = xstrdup("");
			ji->started = xstrdup("");
			ji->state = end;
			free(dir);
			continue;
		}
		if (jlog_read(vol, dir, &l, &c) != 0) {
			ji->state = xprintf("damaged: %s", c);
			free(c);
			c = NULL;
			free(dir);
			continue;
		}
		free(dir);
		ji->command = xstrdup(l.command != NULL ? l.command : "");
		ji->started = xstrdup(l.started != NULL ? l.started : "");
		ji->nops = l.nops;
		for (k = 0; k < l.nops; k++)
			ji->nundone += l.ops[k].undone;
		/* Every change undone but the journal still there: undo was
		 * stopped before it removed the journal's files. The volume
		 * is already as before; what it says it is decides whether
		 * recovery must finish the removal. */
		if (ji->nops > 0 && ji->nundone == ji->nops)
			ji->state = xstrdup("undone");
		else if (ji->nundone > 0)
			ji->state = xstrdup("partly-undone");
		else
			ji->state = xstrdup(l.end != NULL ? l.end : "open");
		jlog_free(&l);
	}
	names_free(ids, nids);
	*infop = info;
	*np = n;
	return 0;
}

int
journal_list(struct vol *vol, struct journal_info **infop, size_t *np,
    char **cause)
{
	return jlist(vol, 0, infop, np, cause);
}

void
journal_info_free(struct journal_info *info, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		free(info[i].id);
		free(info[i].command);
		free(info[i].started);
		free(info[i].state);
	}
	free(info);
}

/* Put a saved original back: in place when the file exists (links and
 * descriptor stay), else recreated; then check the bytes. */
static int
restore(struct vol *vol, const char *dir, const struct jop *op,
    char **cause)
{
	char		*blob, *sdpath, *sha = NULL;
	void		*sd;
	size_t		 sdlen;
	uint64_t	 size;
	int		 exists, ret = -1;

	if (op->blob == NULL)
		return set_cause(cause, "journal operation %zu saved no "
		    "original", op->n);
	blob = xprintf("%s\\%s", dir, op->blob);
	exists = vol_exists(vol, op->path);
	if (copy_file(vol, blob, op->path, !exists, NULL, &size, &sha,
	    cause) != 0)
		goto out;
	if (op->sha256 != NULL && strcmp(sha, op->sha256) != 0) {
		set_cause(cause, "%s: the saved original does not match its "
		    "recorded SHA-256", op->path);
		goto out;
	}
	if (op->sd != NULL) {
		sdpath = xprintf("%s\\%s", dir, op->sd);
		if (vol_file_read_all(vol, sdpath, 1 << 20, &sd, &sdlen,
		    cause) != 0) {
			free(sdpath);
			goto out;
		}
		free(sdpath);
		if (vol_sd_set(vol, op->path, sd, sdlen, cause) != 0) {
			free(sd);
			goto out;
		}
		free(sd);
	}
	if (!exists && vol_attrs_set(vol, op->path, (uint32_t)op->attrs,
	    cause) != 0)
		goto out;
	ret = 0;
out:
	free(sha);
	free(blob);
	return ret;
}

static int
undo_op(struct vol *vol, const char *dir, const struct jop *op,
    char **cause)
{
	struct vol_stat	sb;

	if (strcmp(op->kind, "replace") == 0 ||
	    strcmp(op->kind, "delete") == 0)
		return restore(vol, dir, op, cause);
	if (strcmp(op->kind, "create") == 0 ||
	    strcmp(op->kind, "mkdir") == 0 ||
	    strcmp(op->kind, "link") == 0) {
		/* A name that cannot be read (a create killed before its
		 * MFT record was written) is there to remove all the same. */
		if (vol_stat(vol, op->path, &sb, NULL) != 0 &&
		    (errno == ENOENT || errno == ENOTDIR))
			return 0;
		return vol_unlink_made(vol, op->path, cause);
	}
	if (strcmp(op->kind, "rename") == 0) {
		/* Interrupted before or after the rename: either way the
		 * file must end up at its old name. */
		if (op->to != NULL && vol_exists(vol, op->to) &&
		    !vol_exists(vol, op->path))
			return vol_rename(vol, op->to, op->path, cause);
		return 0;
	}
	return set_cause(cause, "unknown journal operation '%s'", op->kind);
}

/* Remove a fully undone journal, and ntmend\journal, ntmend\ if empty. */
static int
remove_journal(struct vol *vol, const char *dir, char **cause)
{
	char	**names, *p;
	size_t	  n, i;
	int	  ret = 0;

	if (dir_names(vol, dir, &names, &n, cause) != 0)
		return -1;
	for (i = 0; i < n && ret == 0; i++) {
		p = xprintf("%s\\%s", dir, names[i]);
		ret = vol_unlink(vol, p, cause);
		free(p);
	}
	names_free(names, n);
	if (ret != 0 || vol_unlink(vol, dir, cause) != 0)
		return -1;
	if (dir_names(vol, JOURNAL_DIR, &names, &n, NULL) == 0) {
		names_free(names, n);
		if (n == 0 && vol_unlink(vol, JOURNAL_DIR, NULL) == 0 &&
		    dir_names(vol, "ntmend", &names, &n, NULL) == 0) {
			names_free(names, n);
			if (n == 0)
				vol_unlink(vol, "ntmend", NULL);
		}
	}
	return 0;
}

int
journal_undo(struct vol *vol, const char *id, char **undone_id,
    char **cause)
{
	struct journal_info	*info;
	struct jlog		 l;
	char			*dir;
	size_t			 n, i, newest = SIZE_MAX;
	int			 ret = -1;

	*undone_id = NULL;
	if (journal_list(vol, &info, &n, cause) != 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (strncmp(info[i].state, "damaged", 7) != 0)
			newest = i;
	}
	if (id == NULL) {
		if (newest == SIZE_MAX) {
			set_cause(cause, "no journal to undo on this volume");
			goto out;
		}
		id = info[newest].id;
	} else {
		for (i = 0; i < n && strcmp(info[i].id, id) != 0; i++)
			;
		if (i == n) {
			set_cause(cause, "no journal %s on this volume (ntmend "
			    "journal lists them)", id);
			goto out;
		}
		/* Undoing under a newer change would put back bytes the
		 * newer one then restores over: newest first. */
		if (newest != SIZE_MAX && i < newest) {
			set_cause(cause, "journal %s is newer than %s: undo "
			    "the newer journals first", info[newest].id, id);
			goto out;
		}
	}
	dir = xprintf("%s\\%s", JOURNAL_DIR, id);
	if (jlog_read(vol, dir, &l, cause) != 0) {
		free(dir);
		goto out;
	}
	for (i = l.nops; i > 0; i--) {
		if (l.ops[i - 1].undone)
			continue;
		if (undo_op(vol, dir, &l.ops[i - 1], cause) != 0 ||
		    jappend(vol, dir, json_pack("{s:I}", "undone",
		    (json_int_t)l.ops[i - 1].n), cause) != 0)
			goto out_log;
		kill_point("undo-op");
	}
	if (remove_journal(vol, dir, cause) != 0 || vol_sync(vol, cause) != 0)
		goto out_log;
	*undone_id = xstrdup(id);
	ret = 0;
out_log:
	jlog_free(&l);
	free(dir);
out:
	journal_info_free(info, n);
	return ret;
}
