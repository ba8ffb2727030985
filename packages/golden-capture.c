/*
 * golden-capture.c: writing a golden archive from a healthy PC's volume.
 *
 * The manifest goes first so that apply knows every file's size and hash
 * before it reads any data; the hashes are therefore made in a pass of
 * their own, and the data is hashed again as it is archived so that a
 * file that changed in between fails the capture instead of making an
 * archive that contradicts itself. Both passes stream in GOLDEN_CHUNK
 * pieces; what grows with the file count is the index (path, size, hash,
 * descriptor number: about 200 bytes a file).
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "ntfs/ntfs.h"
#include "packages/golden-private.h"
#include "util/util.h"

/* MFT record -> the first file captured with it (hard-link groups). */
struct inomap {
	uint64_t	*ino;
	uint32_t	*idx;
	size_t		 size, n;
};

static uint32_t *
inomap_slot(struct inomap *m, uint64_t ino)
{
	size_t	j;

	for (j = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (m->size - 1);
	    m->idx[j] != GOLDEN_NONE && m->ino[j] != ino;
	    j = (j + 1) & (m->size - 1))
		;
	return &m->idx[j];
}

static uint32_t
inomap_get_or_put(struct inomap *m, uint64_t ino, uint32_t idx)
{
	struct inomap	 bigger;
	uint32_t	*slot;
	size_t		 i;

	if (2 * (m->n + 1) >= m->size) {
		bigger.size = m->size == 0 ? 256 : m->size * 2;
		bigger.n = 0;
		bigger.ino = xreallocarray(NULL, bigger.size, sizeof *m->ino);
		bigger.idx = xreallocarray(NULL, bigger.size, sizeof *m->idx);
		for (i = 0; i < bigger.size; i++)
			bigger.idx[i] = GOLDEN_NONE;
		for (i = 0; i < m->size; i++) {
			if (m->idx[i] == GOLDEN_NONE)
				continue;
			slot = inomap_slot(&bigger, m->ino[i]);
			bigger.ino[slot - bigger.idx] = m->ino[i];
			*slot = m->idx[i];
			bigger.n++;
		}
		free(m->ino);
		free(m->idx);
		*m = bigger;
	}
	slot = inomap_slot(m, ino);
	if (*slot != GOLDEN_NONE)
		return *slot;
	m->ino[slot - m->idx] = ino;
	*slot = idx;
	m->n++;
	return idx;
}

struct capture {
	struct golden			*g;
	struct vol			*vol;
	struct inomap			 inos;
	struct golden_capture_result	*res;
	golden_progress_fn		 progress;
	void				*arg;
	uint8_t				*buf;
	EVP_MD_CTX			*md;
};

static int	capture_path(struct capture *, const char *, char **);

static void
capture_warn(struct capture *c, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
capture_warn(struct capture *c, const char *fmt, ...)
{
	struct golden_capture_result	*r = c->res;
	va_list				 ap;

	r->warnings = xreallocarray(r->warnings, r->nwarnings + 1,
	    sizeof *r->warnings);
	va_start(ap, fmt);
	xvasprintf(&r->warnings[r->nwarnings++], fmt, ap);
	va_end(ap);
}

struct names {
	char		**v;
	size_t		  n;
};

static int
collect(const struct vol_dirent *de, void *arg)
{
	struct names	*l = arg;

	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n++] = xstrdup(de->name);
	return 0;
}

static int
add_item(struct capture *c, const char *path, const struct vol_stat *sb,
    struct gfile **fp, char **cause)
{
	struct gfile	*f;
	void		*sd;
	size_t		 sdlen;
	const char	*why;
	char		*checked;

	/* Names on a healthy volume can still be ones apply would refuse
	 * (a trailing dot made by a POSIX tool): refuse them here. */
	if ((checked = golden_path_check(path, &why)) == NULL)
		return set_cause(cause, "%s %s: it cannot be captured", path,
		    why);
	if (golden_index_add(c->g, checked, &f, cause) != 0)
		return -1;
	f->is_dir = sb->is_dir;
	f->attrs = sb->attrs & ~(uint32_t)VOL_ATTR_DIRECTORY;
	f->mtime = sb->mtime.tv_sec;
	f->nlink = sb->nlink;
	/* The directory backend may not expose descriptors: then apply
	 * gives new files the inherited one. */
	if (vol_sd_get(c->vol, path, &sd, &sdlen, NULL) == 0) {
		if (golden_sd_valid(sd, sdlen))
			f->sd = golden_sd_add(c->g, sd, sdlen);
		free(sd);
	}
	*fp = f;
	return 0;
}

static int
capture_dir(struct capture *c, const char *path, const struct vol_stat *sb,
    char **cause)
{
	struct names	 l = { NULL, 0 };
	struct gfile	*f;
	char		*child;
	size_t		 i;
	int		 ret = 0;

	if (add_item(c, path, sb, &f, cause) != 0)
		return -1;
	c->res->dirs++;
	/* Names first, then down: no directory stays open during the
	 * walk below it. */
	if (vol_list(c->vol, path, collect, &l, cause) != 0)
		ret = -1;
	for (i = 0; i < l.n; i++) {
		if (ret == 0) {
			child = xprintf("%s\\%s", path, l.v[i]);
			ret = capture_path(c, child, cause);
			free(child);
		}
		free(l.v[i]);
	}
	free(l.v);
	return ret;
}

static int
capture_path(struct capture *c, const char *path, char **cause)
{
	struct vol_stat	 sb;
	struct gfile	*f;
	uint32_t	 first;

	if (vol_stat(c->vol, path, &sb, cause) != 0)
		return -1;
	/* Junctions and symbolic links lead elsewhere on the volume (or
	 * off it): never followed, never stored. */
	if (sb.reparse_tag != 0 && !sb.wof) {
		capture_warn(c, "%s: a junction or symbolic link (reparse "
		    "tag 0x%08x), not captured", path, sb.reparse_tag);
		return 0;
	}
	if (sb.is_dir)
		return capture_dir(c, path, &sb, cause);
	if (sb.wof)
		return set_cause(cause, "%s is WOF-compressed (CompactOS): "
		    "ntmend cannot read its data; capture on a PC without "
		    "CompactOS or leave this path out", path);
	if (sb.size > NTM_MAX_GOLDEN_FILE)
		return set_cause(cause, "%s: %llu bytes, more than a servicing "
		    "file can be", path, (unsigned long long)sb.size);
	if (add_item(c, path, &sb, &f, cause) != 0)
		return -1;
	f->size = sb.size;
	first = inomap_get_or_put(&c->inos, sb.ino, (uint32_t)(f -
	    c->g->files));
	if (first != (uint32_t)(f - c->g->files)) {
		f->link = first;
		c->res->links++;
	} else {
		c->res->files++;
		c->res->bytes += sb.size;
		c->g->total += sb.size;
		if (c->g->total > NTM_MAX_GOLDEN_TOTAL)
			return set_cause(cause, "more than %llu GiB to capture",
			    (unsigned long long)(NTM_MAX_GOLDEN_TOTAL >> 30));
	}
	return 0;
}

/* Stream one file's data from the volume to out (or nowhere), hashing. */
static int
read_file(struct capture *c, struct gfile *f, struct archive *out,
    uint8_t sha[32], uint64_t *done, char **cause)
{
	struct vol_file	*vf;
	uint64_t	 off = 0;
	unsigned int	 dlen;
	ssize_t		 n;

	if ((vf = vol_file_open(c->vol, f->path, VOL_O_RDONLY, cause)) ==
	    NULL)
		return -1;
	if (vol_file_size(vf) != f->size) {
		vol_file_close(vf, NULL);
		return set_cause(cause, "%s changed size while it was "
		    "captured", f->path);
	}
	EVP_DigestInit_ex(c->md, EVP_sha256(), NULL);
	while (off < f->size) {
		n = vol_file_pread(vf, c->buf, GOLDEN_CHUNK, off);
		if (n <= 0) {
			vol_file_close(vf, NULL);
			return set_cause(cause, "%s: read failed at byte %llu",
			    f->path, (unsigned long long)off);
		}
		EVP_DigestUpdate(c->md, c->buf, (size_t)n);
		if (out != NULL && archive_write_data(out, c->buf,
		    (size_t)n) != n) {
			vol_file_close(vf, NULL);
			return set_cause(cause, "writing the archive failed: "
			    "%s", archive_error_string(out));
		}
		off += (uint64_t)n;
		*done += (uint64_t)n;
	}
	EVP_DigestFinal_ex(c->md, sha, &dlen);
	return vol_file_close(vf, cause);
}

/* The archive name: the volume path with '/'. Caller frees. */
static char *
aname(const char *path)
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
write_header(struct archive *out, struct archive_entry *ae, char **cause)
{
	if (archive_write_header(out, ae) != ARCHIVE_OK)
		return set_cause(cause, "writing the archive failed: %s",
		    archive_error_string(out));
	return 0;
}

static int
write_manifest(struct capture *c, struct archive *out, char **cause)
{
	struct archive_entry	*ae;
	char			*line;
	uint64_t		 size;
	size_t			 i;
	int			 pass, ret = 0;

	/* Its size goes in the tar header first: the lines are made twice
	 * rather than held, since there may be 100,000 of them. */
	for (pass = 0; pass < 2 && ret == 0; pass++) {
		line = gmanifest_header(c->g);
		size = strlen(line);
		if (pass == 1 && archive_write_data(out, line, strlen(line)) !=
		    (la_ssize_t)strlen(line))
			ret = set_cause(cause, "writing the archive failed: "
			    "%s", archive_error_string(out));
		free(line);
		for (i = 0; i < c->g->nfiles && ret == 0; i++) {
			line = gmanifest_line(c->g, &c->g->files[i]);
			size += strlen(line);
			if (pass == 1 && archive_write_data(out, line,
			    strlen(line)) != (la_ssize_t)strlen(line))
				ret = set_cause(cause, "writing the archive "
				    "failed: %s", archive_error_string(out));
			free(line);
		}
		if (pass == 0) {
			ae = archive_entry_new();
			archive_entry_set_pathname_utf8(ae, GOLDEN_MANIFEST);
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_size(ae, (la_int64_t)size);
			archive_entry_set_mtime(ae, c->g->src.captured, 0);
			ret = write_header(out, ae, cause);
			archive_entry_free(ae);
		}
	}
	return ret;
}

static int
write_entries(struct capture *c, struct archive *out, char **cause)
{
	struct golden		*g = c->g;
	struct archive_entry	*ae;
	struct gfile		*f;
	uint8_t			 sha[32];
	uint64_t		 done = 0;
	size_t			 i, nfiles = 0;
	char			*name, *target;
	int			 ret = 0;

	for (i = 0; i < g->nfiles && ret == 0; i++) {
		f = &g->files[i];
		ae = archive_entry_new();
		name = aname(f->path);
		archive_entry_set_pathname_utf8(ae, name);
		archive_entry_set_mtime(ae, f->mtime, 0);
		if (f->is_dir) {
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
			ret = write_header(out, ae, cause);
		} else if (f->link != i) {
			target = aname(g->files[f->link].path);
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, 0644);
			archive_entry_set_hardlink_utf8(ae, target);
			archive_entry_set_size(ae, 0);
			ret = write_header(out, ae, cause);
			free(target);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_perm(ae, (f->attrs &
			    VOL_ATTR_READONLY) ? 0444 : 0644);
			archive_entry_set_size(ae, (la_int64_t)f->size);
			if ((ret = write_header(out, ae, cause)) == 0 &&
			    (ret = read_file(c, f, out, sha, &done,
			    cause)) == 0 && memcmp(sha, f->sha, 32) != 0)
				ret = set_cause(cause, "%s changed while it was "
				    "captured; capture again", f->path);
			golden_progress_call(c->progress, c->arg, "archiving",
			    ++nfiles, c->res->files, done, g->total);
		}
		free(name);
		archive_entry_free(ae);
	}
	return ret;
}

void
golden_capture_result_free(struct golden_capture_result *r)
{
	size_t	i;

	for (i = 0; i < r->nwarnings; i++)
		free(r->warnings[i]);
	free(r->warnings);
	memset(r, 0, sizeof *r);
}

static char *
dupnull(const char *s)
{
	return s != NULL ? xstrdup(s) : NULL;
}

/* The paths to capture, as the volume spells them, with those below
 * another one given dropped. */
static int
capture_roots(struct capture *c, const char *const *paths, size_t npaths,
    char **cause)
{
	struct golden	*g = c->g;
	const char	*why, *path;
	char		*canon, *checked, *k1, *k2;
	size_t		 i, j, len;
	int		 drop;

	/* servicing\Packages always: it is what CBS checks first. */
	for (i = 0; i <= npaths; i++) {
		path = i == 0 ? GOLDEN_DEFAULT_PATH : paths[i - 1];
		if ((checked = golden_path_check(path, &why)) == NULL)
			return set_cause(cause, "%s %s", path, why);
		if (*checked == '\0') {
			free(checked);
			return set_cause(cause, "%s: the volume root cannot be "
			    "captured; give folders or files", path);
		}
		canon = vol_path_canonical(c->vol, checked, cause);
		free(checked);
		if (canon == NULL)
			return -1;
		g->roots = xreallocarray(g->roots, g->nroots + 1,
		    sizeof *g->roots);
		g->roots[g->nroots++] = canon;
	}
	for (i = 0; i < g->nroots; i++) {
		k1 = golden_fold(g->roots[i]);
		for (j = 0, drop = 0; j < g->nroots && !drop; j++) {
			if (j == i)
				continue;
			k2 = golden_fold(g->roots[j]);
			len = strlen(k2);
			drop = strncmp(k1, k2, len) == 0 && (k1[len] == '\\' ||
			    (k1[len] == '\0' && j < i));
			free(k2);
		}
		free(k1);
		if (drop) {
			free(g->roots[i]);
			memmove(&g->roots[i], &g->roots[i + 1],
			    (g->nroots - i - 1) * sizeof *g->roots);
			g->nroots--;
			i--;
		}
	}
	return 0;
}

int
golden_capture(struct vol *vol, const struct golden_source *src,
    const char *const *paths, size_t npaths, const char *outpath,
    golden_progress_fn progress, void *arg,
    struct golden_capture_result *res, char **cause)
{
	struct capture	 c;
	struct golden	*g;
	struct archive	*out = NULL;
	struct stat	 st;
	uint64_t	 done = 0;
	size_t		 i, n = 0;
	char		*tmp;
	int		 fd = -1, ret = -1;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	g = c.g = golden_new();
	c.vol = vol;
	c.res = res;
	c.progress = progress;
	c.arg = arg;
	c.buf = xmalloc(GOLDEN_CHUNK);
	if ((c.md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	g->manifest = 1;
	g->src.product = dupnull(src->product);
	g->src.edition = dupnull(src->edition);
	g->src.display_version = dupnull(src->display_version);
	g->src.arch = dupnull(src->arch);
	g->src.computer_name = dupnull(src->computer_name);
	g->src.build = src->build;
	g->src.ubr = src->ubr;
	g->src.captured = src->captured != 0 ? src->captured : time(NULL);
	tmp = xprintf("%s.partial", outpath);

	if (lstat(outpath, &st) == 0) {
		set_cause(cause, "%s exists; give a new name", outpath);
		goto out;
	}
	if (capture_roots(&c, paths, npaths, cause) != 0)
		goto out;
	for (i = 0; i < g->nroots; i++) {
		if (capture_path(&c, g->roots[i], cause) != 0)
			goto out;
	}
	/* Pass 1: the hashes the manifest needs. */
	for (i = 0; i < g->nfiles; i++) {
		if (g->files[i].is_dir || g->files[i].link != i)
			continue;
		if (read_file(&c, &g->files[i], NULL, g->files[i].sha, &done,
		    cause) != 0)
			goto out;
		g->files[i].has_sha = 1;
		golden_progress_call(progress, arg, "hashing", ++n, res->files,
		    done, g->total);
	}
	for (i = 0; i < g->nfiles; i++) {
		if (!g->files[i].is_dir && g->files[i].link != i) {
			memcpy(g->files[i].sha, g->files[g->files[i].link].sha,
			    32);
			g->files[i].has_sha = 1;
		}
	}

	/* Pass 2: the archive, under a temporary name until complete. */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) ==
	    -1) {
		set_cause(cause, "%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	if ((out = archive_write_new()) == NULL)
		fatal("out of memory for an archive writer");
	if (archive_write_set_format_pax_restricted(out) != ARCHIVE_OK ||
	    archive_write_add_filter_zstd(out) != ARCHIVE_OK) {
		/* ARCHIVE_WARN: libarchive would run the zstd program. */
		set_cause(cause, "this libarchive cannot write zstd itself: %s",
		    archive_error_string(out) != NULL ?
		    archive_error_string(out) : "no libzstd");
		goto out_unlink;
	}
	archive_write_set_bytes_in_last_block(out, 1);
	if (archive_write_open_fd(out, fd) != ARCHIVE_OK) {
		set_cause(cause, "%s: %s", tmp, archive_error_string(out));
		goto out_unlink;
	}
	if (write_manifest(&c, out, cause) != 0 ||
	    write_entries(&c, out, cause) != 0)
		goto out_unlink;
	if (archive_write_close(out) != ARCHIVE_OK) {
		set_cause(cause, "%s: %s", tmp, archive_error_string(out));
		goto out_unlink;
	}
	if (fsync(fd) != 0 || fstat(fd, &st) != 0 || close(fd) != 0) {
		fd = -1;
		set_cause(cause, "%s: %s", tmp, strerror(errno));
		goto out_unlink;
	}
	fd = -1;
	res->archive_bytes = (uint64_t)st.st_size;
	/* link(), not rename(): an archive made meanwhile under the final
	 * name is not overwritten. */
	if (link(tmp, outpath) != 0) {
		set_cause(cause, "%s: %s", outpath, strerror(errno));
		goto out_unlink;
	}
	unlink(tmp);
	ret = 0;
	goto out;
out_unlink:
	unlink(tmp);
out:
	if (out != NULL)
		archive_write_free(out);
	if (fd != -1)
		close(fd);
	free(tmp);
	free(c.inos.ino);
	free(c.inos.idx);
	free(c.buf);
	EVP_MD_CTX_free(c.md);
	golden_free(g);
	return ret;
}
