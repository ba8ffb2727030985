/*
 * collect.c: `logs collect`: what a support engineer asks for when an
 * update fails (CASE.md: collected by hand with a vendor tool on each of
 * 110 PCs), read offline and written to one zip on the stick.
 *
 * The zip is for Windows: deflate, names UTF-8 with the language encoding
 * flag (general purpose bit 11, APPNOTE 6.3.x, appendix D) so Explorer
 * shows non-ASCII names as they were, '/' separators. It is streamed: one
 * buffer of NTM_COLLECT_CHUNK bytes whatever the sizes (a CBS.log runs to
 * hundreds of MB, WindowsUpdate ETL folders to a few hundred files). The
 * volume is only read.
 */

#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

#define NTM_COLLECT_CHUNK	((size_t)1 << 20)

/* What is collected: a folder, the names wanted in it, how deep. */
static const struct collect_set {
	const char	*dir;
	const char	*patterns[3];
	int		 recursive;
} collect_sets[] = {
	/* CBS.log and the rotated CbsPersist_<time>.log/.cab */
	{ "Windows\\Logs\\CBS", { "*.log", "CbsPersist_*", NULL }, 0 },
	{ "Windows\\Logs\\DISM", { "*.log", NULL, NULL }, 0 },
	/* Windows 10 keeps Windows Update's log as ETW traces only;
	 * Get-WindowsUpdateLog turns them into text on a Windows PC. */
	{ "Windows\\Logs\\WindowsUpdate", { "*.etl", NULL, NULL }, 0 },
	{ "Windows\\INF", { "setupapi*.log", NULL, NULL }, 0 },
	/* setupact.log, setuperr.log, UnattendGC\, ... of upgrades */
	{ "Windows\\Panther", { "*", NULL, NULL }, 1 },
	{ "Windows\\SoftwareDistribution", { "ReportingEvents.log", NULL,
	    NULL }, 0 },
};

struct collect_walk {
	struct vol		*vol;
	const struct collect_set *set;
	const char		*dir;
	int			 depth;
	char			**files;
	size_t			 nfiles;
	char			**dirs;
	size_t			 ndirs;
	size_t			 skipped;
};

static int
collect_match(const struct collect_set *set, const char *name)
{
	size_t	i;

	for (i = 0; i < 3 && set->patterns[i] != NULL; i++) {
		if (fnmatch(set->patterns[i], name, FNM_CASEFOLD) == 0)
			return 1;
	}
	return 0;
}

static int
collect_list_cb(const struct vol_dirent *de, void *arg)
{
	struct collect_walk	*w = arg;
	char			*path;

	path = xprintf("%s\\%s", w->dir, de->name);
	if (de->is_dir) {
		if (w->set->recursive && w->depth < NTM_MAX_COLLECT_DEPTH) {
			w->dirs = xreallocarray(w->dirs, w->ndirs + 1,
			    sizeof *w->dirs);
			w->dirs[w->ndirs++] = path;
			return 0;
		}
	} else if (collect_match(w->set, de->name)) {
		if (w->nfiles < NTM_MAX_COLLECT_FILES) {
			w->files = xreallocarray(w->files, w->nfiles + 1,
			    sizeof *w->files);
			w->files[w->nfiles++] = path;
			return 0;
		}
		w->skipped++;
	}
	free(path);
	return 0;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every file of the sets present on the volume, each set in name order. */
static void
collect_walk(struct collect_walk *w, struct vol *vol)
{
	size_t	i, first, d;
	char	*dir;

	memset(w, 0, sizeof *w);
	w->vol = vol;
	for (i = 0; i < sizeof collect_sets / sizeof collect_sets[0]; i++) {
		w->set = &collect_sets[i];
		first = w->nfiles;
		w->ndirs = 0;
		w->dirs = NULL;
		if (!vol_exists(vol, w->set->dir))
			continue;
		w->dirs = xcalloc(1, sizeof *w->dirs);
		w->dirs[w->ndirs++] = xstrdup(w->set->dir);
		for (d = 0; d < w->ndirs; d++) {
			dir = w->dirs[d];
			w->dir = dir;
			w->depth = 0;
			for (const char *p = dir + strlen(w->set->dir); *p;
			    p++)
				w->depth += *p == '\\';
			vol_list(vol, dir, collect_list_cb, w, NULL);
		}
		for (d = 0; d < w->ndirs; d++)
			free(w->dirs[d]);
		free(w->dirs);
		w->dirs = NULL;
		if (w->nfiles - first > 1)
			qsort(w->files + first, w->nfiles - first,
			    sizeof *w->files, path_cmp);
	}
}

static char *
zip_name(const char *path)
{
	char	*s, *p;

	s = xstrdup(path);
	for (p = s; *p != '\0'; p++) {
		if (*p == '\\')
			*p = '/';
	}
	return s;
}

static int
zip_fail(struct archive *a, const char *what, char **cause)
{
	return set_cause(cause, "writing the zip (%s): %s", what,
	    archive_error_string(a) != NULL ? archive_error_string(a) :
	    "unknown error");
}

static int
zip_entry(struct archive *a, const char *name, uint64_t size, time_t mtime,
    char **cause)
{
	struct archive_entry	*e;
	int			 r;

	e = archive_entry_new();
	archive_entry_set_pathname_utf8(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, mtime, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	if (r != ARCHIVE_OK)
		return zip_fail(a, name, cause);
	return 0;
}

/* One file of the volume into the zip. A read error past the header
 * cannot shorten the entry: the rest is zeros and the error is kept. */
static int
zip_volume_file(struct archive *a, struct vol *vol, const char *path,
    uint8_t *buf, struct collect_file *cf, uint64_t *total, char **cause)
{
	struct vol_file	*f;
	struct vol_stat	 st;
	char		*name, *why = NULL;
	uint64_t	 off = 0;
	ssize_t		 r;
	size_t		 want;
	int		 ret = -1;

	cf->path = xstrdup(path);
	if (vol_stat(vol, path, &st, &why) != 0 ||
	    (f = vol_file_open(vol, path, VOL_O_RDONLY, &why)) == NULL) {
		cf->error = why != NULL ? why : xstrdup("cannot be read");
		return 0;
	}
	cf->size = vol_file_size(f);
	name = zip_name(path);
	if (zip_entry(a, name, cf->size, st.mtime.tv_sec, cause) != 0)
		goto out;
	while (off < cf->size) {
		want = cf->size - off < NTM_COLLECT_CHUNK ?
		    (size_t)(cf->size - off) : NTM_COLLECT_CHUNK;
		r = cf->error == NULL ? vol_file_pread(f, buf, want, off) : 0;
		if (r <= 0) {
			if (cf->error == NULL)
				cf->error = xprintf("read failed at byte %llu: "
				    "the rest is zeros in the zip",
				    (unsigned long long)off);
			memset(buf, 0, want);
			r = (ssize_t)want;
		}
		if (archive_write_data(a, buf, (size_t)r) != r) {
			zip_fail(a, name, cause);
			goto out;
		}
		off += (uint64_t)r;
		*total += (uint64_t)r;
	}
	ret = 0;
out:
	free(name);
	vol_file_close(f, NULL);
	return ret;
}

/* The list of what was taken, for whoever opens the zip. */
static char *
collect_listing(const struct collect_result *res, size_t *len)
{
	char	*s, *t;
	size_t	 i;

	s = xstrdup("ntmend logs collect: files taken from the volume "
	    "(path, bytes, error)\r\n");
	for (i = 0; i < res->nfiles; i++) {
		xasprintf(&t, "%s%s\t%llu\t%s\r\n", s, res->files[i].path,
		    (unsigned long long)res->files[i].size,
		    res->files[i].error != NULL ? res->files[i].error : "");
		free(s);
		s = t;
	}
	if (res->skipped > 0) {
		xasprintf(&t, "%s(%zu more files over the limit of %d not "
		    "taken)\r\n", s, res->skipped, NTM_MAX_COLLECT_FILES);
		free(s);
		s = t;
	}
	*len = strlen(s);
	return s;
}

int
collect_logs(struct vol *vol, const char *out,
    const struct collect_extra *extras, size_t nextra,
    struct collect_result *res, char **cause)
{
	struct collect_walk	 w;
	struct archive		*a = NULL;
	struct stat		 sb;
	uint8_t			*buf = NULL;
	char			*tmp, *listing;
	size_t			 i, len;
	time_t			 now = time(NULL);
	int			 fd = -1, ret = -1;

	memset(res, 0, sizeof *res);
	if (lstat(out, &sb) == 0)
		return set_cause(cause, "%s exists: give a new name", out);
	tmp = xprintf("%s.partial", out);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	    0644)) == -1) {
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return -1;
	}
	collect_walk(&w, vol);
	res->skipped = w.skipped;
	a = archive_write_new();
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_zip_set_compression_deflate(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:hdrcharset=UTF-8") !=
	    ARCHIVE_OK || archive_write_open_fd(a, fd) != ARCHIVE_OK) {
		zip_fail(a, "set-up", cause);
		goto out;
	}
	buf = xmalloc(NTM_COLLECT_CHUNK);
	res->files = xcalloc(w.nfiles + 1, sizeof *res->files);
	for (i = 0; i < w.nfiles; i++) {
		if (zip_volume_file(a, vol, w.files[i], buf,
		    &res->files[res->nfiles++], &res->bytes, cause) != 0)
			goto out;
	}
	for (i = 0; i < nextra; i++) {
		if (zip_entry(a, extras[i].name, extras[i].len, now,
		    cause) != 0)
			goto out;
		if (extras[i].len > 0 && archive_write_data(a, extras[i].buf,
		    extras[i].len) != (la_ssize_t)extras[i].len) {
			zip_fail(a, extras[i].name, cause);
			goto out;
		}
	}
	listing = collect_listing(res, &len);
	if (zip_entry(a, "ntmend/collected.txt", len, now, cause) != 0 ||
	    archive_write_data(a, listing, len) != (la_ssize_t)len) {
		if (*cause == NULL)
			zip_fail(a, "ntmend/collected.txt", cause);
		free(listing);
		goto out;
	}
	free(listing);
	if (archive_write_close(a) != ARCHIVE_OK) {
		zip_fail(a, "closing", cause);
		goto out;
	}
	if (fsync(fd) != 0 || close(fd) != 0) {
		fd = -1;
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (stat(tmp, &sb) == 0)
		res->zip_bytes = (uint64_t)sb.st_size;
	if (rename(tmp, out) != 0) {
		set_cause(cause, "%s: %s", out, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	if (a != NULL)
		archive_write_free(a);
	if (fd != -1)
		close(fd);
	if (ret != 0)
		unlink(tmp);
	free(tmp);
	free(buf);
	for (i = 0; i < w.nfiles; i++)
		free(w.files[i]);
	free(w.files);
	return ret;
}

void
collect_result_free(struct collect_result *res)
{
	size_t	i;

	for (i = 0; i < res->nfiles; i++) {
		free(res->files[i].path);
		free(res->files[i].error);
	}
	free(res->files);
	memset(res, 0, sizeof *res);
}

/* Header fields of a hive or log file (the first base block). */
static void
hive_file_read(struct vol *vol, const char *path, size_t want,
    struct collect_hive_file *hf)
{
	struct hive_header	 h;
	struct vol_file		*f;
	uint8_t			*buf;
	char			*why = NULL;
	ssize_t			 r;

	hf->path = xstrdup(path);
	if (!vol_exists(vol, path))
		return;
	hf->present = 1;
	if ((f = vol_file_open(vol, path, VOL_O_RDONLY, &why)) == NULL) {
		hf->error = why;
		return;
	}
	hf->size = vol_file_size(f);
	buf = xcalloc(1, want);
	r = vol_file_pread(f, buf, want, 0);
	vol_file_close(f, NULL);
	if (r < (ssize_t)HIVE_HEADER_MIN) {
		/* Windows leaves empty .LOG1/.LOG2 after a reorganisation. */
		if (hf->size > 0)
			hf->error = xprintf("only %zd bytes could be read", r);
		free(buf);
		return;
	}
	if (hive_header_parse(buf, (size_t)r, &h, &why) != 0) {
		hf->error = why;
		free(buf);
		return;
	}
	hf->has_header = 1;
	hf->seq1 = h.seq_primary;
	hf->seq2 = h.seq_secondary;
	hf->major = h.major;
	hf->minor = h.minor;
	hf->type = h.file_type;
	hf->hbins_size = h.hbins_size;
	hf->timestamp = h.timestamp;
	hf->checksum = h.checksum;
	hf->checksum_ok = h.checksum_ok;
	hf->dirty = hive_header_is_dirty(&h);
	hive_header_free(&h);
	free(buf);
}

static const char *
log_state_name(enum hive_log_state s)
{
	switch (s) {
	case HIVE_CLEAN:
		return "clean";
	case HIVE_DIRTY_LOGS:
		return "dirty-logs";
	case HIVE_DIRTY_NO_LOGS:
		return "dirty-no-logs";
	case HIVE_REPLAYED:
		return "replayed";
	}
	return "unknown";
}

void
collect_hive_states(struct vol *vol, struct collect_hive **hp, size_t *n)
{
	static const char *const suffix[2] = { ".LOG1", ".LOG2" };
	struct collect_hive	*hs;
	struct hive		*h;
	const char		*path;
	char			*lp, *why = NULL;
	int			 id, k;

	hs = xcalloc(HIVE_COUNT, sizeof *hs);
	for (id = 0; id < HIVE_COUNT; id++) {
		path = hive_volume_path((enum hive_id)id);
		hs[id].name = hive_id_name((enum hive_id)id);
		hive_file_read(vol, path, HIVE_BASE_BLOCK_SIZE, &hs[id].hive);
		for (k = 0; k < 2; k++) {
			lp = xprintf("%s%s", path, suffix[k]);
			hive_file_read(vol, lp, HIVE_HEADER_MIN,
			    &hs[id].logs[k]);
			free(lp);
		}
		if (!hs[id].hive.present) {
			hs[id].state = "missing";
			continue;
		}
		/* What a reader sees: the checkout replays a dirty hive's
		 * logs into its private copy, the volume untouched. */
		if (hive_checkout(vol, path, &h, &why) != 0) {
			hs[id].state = "unreadable";
			hs[id].warning = why;
			why = NULL;
			continue;
		}
		hs[id].state = log_state_name(hive_log_state(h));
		if (hive_warning(h) != NULL)
			hs[id].warning = xstrdup(hive_warning(h));
		hive_close(h);
	}
	*hp = hs;
	*n = HIVE_COUNT;
}

static void
hive_file_free(struct collect_hive_file *hf)
{
	free(hf->path);
	free(hf->error);
}

void
collect_hive_states_free(struct collect_hive *hs, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		hive_file_free(&hs[i].hive);
		hive_file_free(&hs[i].logs[0]);
		hive_file_free(&hs[i].logs[1]);
		free(hs[i].warning);
	}
	free(hs);
}
