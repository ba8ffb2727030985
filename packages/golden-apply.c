/*
 * golden-apply.c: an archive against a volume. golden_plan compares (size
 * first, SHA-256 only when the sizes agree) and works out the changes;
 * golden_apply makes them through the caller's journal, streaming each
 * file's bytes from the archive in one pass, and reads every written file
 * back.
 *
 * Hard links: Windows keeps one MFT record for WinSxS\<component>\x.dll
 * and System32\x.dll. Replacing in place writes the record once, and
 * every name of it shows the new bytes; a name missing on the target is
 * linked to a name of its group the target has right, as on the source.
 * A group the source has linked and the target has as separate files is
 * put right file by file and reported: relinking would change which
 * record (and descriptor) the System32 name has.
 */

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <archive.h>
#include <openssl/evp.h>

#include "ntfs/ntfs.h"
#include "packages/golden-private.h"
#include "util/util.h"

/* Changes handed to the journal at a time: each batch costs two appends
 * to its log, so 20,000 files cost 80 rather than 40,000. */
#define GOLDEN_BATCH	512
/* Files compared between two wake-ups of a scan that follows the plan. */
#define GOLDEN_VERDICTS	256

static int
vol_hash(struct vol *vol, const char *path, uint8_t *buf, EVP_MD_CTX *md,
    uint8_t sha[32], uint64_t *sizep, char **cause)
{
	struct vol_file	*f;
	uint64_t	 off = 0, size;
	unsigned int	 dlen;
	ssize_t		 n;

	if ((f = vol_file_open(vol, path, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	size = vol_file_size(f);
	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (off < size) {
		n = vol_file_pread(f, buf, GOLDEN_CHUNK, off);
		if (n <= 0) {
			vol_file_close(f, NULL);
			return set_cause(cause, "%s: read failed at byte %llu",
			    path, (unsigned long long)off);
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, sha, &dlen);
	if (sizep != NULL)
		*sizep = size;
	return vol_file_close(f, cause);
}

/* A set of folded paths: directories known to exist or planned. */
struct dset {
	char	**v;
	size_t	  size, n;
};

static uint32_t
dhash(const char *s)
{
	uint32_t	h = 2166136261u;

	while (*s != '\0') {
		h ^= (uint8_t)*s++;
		h *= 16777619u;
	}
	return h;
}

static int
dset_has(struct dset *d, const char *key)
{
	size_t	j;

	if (d->size == 0)
		return 0;
	for (j = dhash(key) & (d->size - 1); d->v[j] != NULL;
	    j = (j + 1) & (d->size - 1)) {
		if (strcmp(d->v[j], key) == 0)
			return 1;
	}
	return 0;
}

static void
dset_put(struct dset *d, const char *key)
{
	struct dset	bigger;
	size_t		i, j;

	if (2 * (d->n + 1) >= d->size) {
		bigger.size = d->size == 0 ? 64 : d->size * 2;
		bigger.n = d->n;
		bigger.v = xcalloc(bigger.size, sizeof *bigger.v);
		for (i = 0; i < d->size; i++) {
			if (d->v[i] == NULL)
				continue;
			for (j = dhash(d->v[i]) & (bigger.size - 1);
			    bigger.v[j] != NULL; j = (j + 1) &
			    (bigger.size - 1))
				;
			bigger.v[j] = d->v[i];
		}
		free(d->v);
		*d = bigger;
	}
	for (j = dhash(key) & (d->size - 1); d->v[j] != NULL;
	    j = (j + 1) & (d->size - 1))
		;
	d->v[j] = xstrdup(key);
	d->n++;
}

static void
dset_free(struct dset *d)
{
	size_t	i;

	for (i = 0; i < d->size; i++)
		free(d->v[i]);
	free(d->v);
}

/* MFT record -> first selected file found there. */
struct tmap {
	uint64_t	*ino;
	uint32_t	*idx;
	size_t		 size;
};

static uint32_t *
tmap_slot(struct tmap *m, uint64_t ino)
{
	size_t	j;

	for (j = (size_t)(ino * 0x9e3779b97f4a7c15ull) & (m->size - 1);
	    m->idx[j] != GOLDEN_NONE && m->ino[j] != ino;
	    j = (j + 1) & (m->size - 1))
		;
	m->ino[j] = ino;
	return &m->idx[j];
}

struct plan {
	struct golden	*g;
	struct vol	*vol;
	struct dset	 dirs;		/* exist or planned */
	struct tmap	 tinos;
	uint32_t	*next;		/* hard-link group members */
	uint8_t		*buf;
	EVP_MD_CTX	*md;
	int		 lookup;	/* take hashes from g->cache */
};

static char *
keep(struct golden *g, char *s)
{
	g->strs = xreallocarray(g->strs, g->nstrs + 1, sizeof *g->strs);
	g->strs[g->nstrs++] = s;
	return s;
}

static struct golden_op *
add_op(struct golden *g, enum golden_op_kind kind, const char *path,
    uint32_t file)
{
	struct golden_op	*op;

	g->ops = xreallocarray(g->ops, g->nops + 1, sizeof *g->ops);
	g->opfile = xreallocarray(g->opfile, g->nops + 1,
	    sizeof *g->opfile);
	op = &g->ops[g->nops];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	op->path = path;
	g->opfile[g->nops++] = file;
	return op;
}

static void
add_item(struct golden *g, const char *path, enum golden_state state,
    const char *detail, int is_dir)
{
	struct golden_item	*it;

	g->items = xreallocarray(g->items, g->nitems + 1, sizeof *g->items);
	it = &g->items[g->nitems++];
	/* The index's path, borrowed; an extra's is its own. */
	it->path = state == GOLDEN_EXTRA ? xstrdup(path) : path;
	it->state = state;
	it->detail = detail;
	it->is_dir = is_dir;
}

/* A file's state from the SHA-256 of what the volume has. */
static void
content_state(struct gfile *f, const uint8_t sha[32])
{
	char	hex[65];

	if (memcmp(sha, f->sha, 32) != 0) {
		f->state = GS_CONTENT;
		golden_hex(sha, hex);
		f->detail = xprintf("content differs (SHA-256 %.16s... on the "
		    "volume)", hex);
	} else
		f->state = GS_SAME;
}

/* Compare one selected file or directory with the volume by what stat
 * tells; a file of the archive's size is left GS_UNKNOWN for hashing. */
static void
compare(struct plan *p, struct gfile *f)
{
	struct vol_stat	 sb;
	uint8_t		 sha[32];
	char		*cause = NULL;

	if (vol_stat(p->vol, f->path, &sb, &cause) != 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			f->state = GS_MISSING;
			free(cause);
		} else {
			f->state = GS_UNREADABLE;
			f->detail = cause;
		}
		return;
	}
	f->tino = sb.ino;
	f->has_fp = 0;
	if (f->is_dir) {
		if (sb.is_dir)
			f->state = GS_SAME;
		else {
			f->state = GS_CONFLICT;
			f->detail = xstrdup("a file on the volume, a directory "
			    "in the archive");
		}
		return;
	}
	if (sb.is_dir) {
		f->state = GS_CONFLICT;
		f->detail = xstrdup("a directory on the volume, a file in the "
		    "archive");
	} else if (sb.wof) {
		f->state = GS_UNREADABLE;
		f->detail = xstrdup("WOF-compressed (CompactOS) on the volume: "
		    "ntmend cannot read or replace it");
	} else if (sb.size != f->size) {
		f->state = GS_SIZE;
		f->detail = xprintf("size %llu on the volume, %llu in the "
		    "archive", (unsigned long long)sb.size,
		    (unsigned long long)f->size);
	} else if (sb.has_fp) {
		f->has_fp = 1;
		memcpy(f->fp, sb.fp, sizeof f->fp);
		if (p->lookup && f->has_sha &&
		    hcache_get(p->g->cache, f->fp, sha) == 0)
			content_state(f, sha);
	}
}

/* The hash of one file came (or its cause): compare it. */
struct hashing {
	struct plan		*p;
	uint32_t		*idx;		/* gfile of each path */
	size_t			 n;
	uint64_t		 bytes, nbytes;
	size_t			 done;
	golden_progress_fn	 progress;
	void			*arg;
};

static void
hashed(void *arg, size_t i, const uint8_t *sha, const char *cause)
{
	struct hashing	*h = arg;
	struct gfile	*f;

	if (i >= h->n)
		return;
	f = &h->p->g->files[h->idx[i]];
	if (sha == NULL) {
		f->state = GS_UNREADABLE;
		f->detail = xstrdup(cause != NULL ? cause : "cannot be read");
	} else {
		content_state(f, sha);
		if (f->has_fp)
			hcache_put(h->p->g->cache, f->fp, sha);
	}
	h->bytes += f->size;
	golden_progress_call(h->progress, h->arg, "comparing", ++h->done,
	    h->n, h->bytes, h->nbytes);
}

/* Without a hasher from the caller: one file after another. */
static int
hash_each(void *harg, struct vol *vol, const char *const *paths, size_t n,
    golden_hash_cb cb, void *cbarg)
{
	struct plan	*p = harg;
	uint8_t		 sha[32];
	char		*cause;
	size_t		 i;
	int		 ret = 0;

	for (i = 0; i < n; i++) {
		cause = NULL;
		if (vol_hash(vol, paths[i], p->buf, p->md, sha, NULL,
		    &cause) != 0) {
			cb(cbarg, i, NULL, cause);
			ret = -1;
		} else
			cb(cbarg, i, sha, NULL);
		free(cause);
	}
	return ret;
}

/*
 * One CPU to run on (taskset, a cgroup): a hasher's second thread can only
 * take turns with the first, and each turn is a context switch (two per
 * small file).
 */
static int
one_cpu(void)
{
	cpu_set_t	set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 0;
	return CPU_COUNT(&set) == 1;
}

/* Every file whose size matches is hashed, in archive order, in one go:
 * a caller's hasher can then read ahead and hash in another thread (not
 * on one CPU, where reading and hashing in turn costs less). */
static void
compare_contents(struct plan *p, golden_hash_fn hash, void *harg,
    golden_progress_fn progress, void *arg)
{
	struct golden	 *g = p->g;
	struct hashing	  h;
	const char	**paths;
	size_t		  i;

	memset(&h, 0, sizeof h);
	h.p = p;
	h.progress = progress;
	h.arg = arg;
	h.idx = xreallocarray(NULL, g->nfiles + 1, sizeof *h.idx);
	paths = xreallocarray(NULL, g->nfiles + 1, sizeof *paths);
	for (i = 0; i < g->nfiles; i++) {
		if (!g->files[i].selected || g->files[i].is_dir ||
		    g->files[i].state != GS_UNKNOWN)
			continue;
		h.idx[h.n] = (uint32_t)i;
		paths[h.n++] = g->files[i].path;
		h.nbytes += g->files[i].size;
	}
	if (h.n > 0) {
		if (hash == NULL || one_cpu())
			hash_each(p, p->vol, paths, h.n, hashed, &h);
		else
			hash(harg, p->vol, paths, h.n, hashed, &h);
	}
	/* A hasher that skipped some: they cannot be compared. */
	for (i = 0; i < h.n; i++) {
		if (g->files[h.idx[i]].state == GS_UNKNOWN) {
			g->files[h.idx[i]].state = GS_UNREADABLE;
			g->files[h.idx[i]].detail = xstrdup("was not hashed");
		}
	}
	free(paths);
	free(h.idx);
}

/* Directories above path that are missing, created outermost first. */
static void
plan_parents(struct plan *p, const char *path, int self)
{
	struct golden		*g = p->g;
	struct golden_op	*op;
	struct gfile		*d;
	char			*dir, *key, *s;
	size_t			 i, len;

	dir = xstrdup(path);
	len = strlen(dir);
	for (i = 0; i <= len; i++) {
		if (dir[i] != '\\' && dir[i] != '\0')
			continue;
		if (dir[i] == '\0' && !self)
			break;
		dir[i] = '\0';
		key = golden_fold(dir);
		if (!dset_has(&p->dirs, key)) {
			dset_put(&p->dirs, key);
			if (!vol_exists(p->vol, dir)) {
				d = golden_index_find(g, dir);
				s = keep(g, xstrdup(dir));
				op = add_op(g, GOLDEN_OP_MKDIR, s, d != NULL ?
				    (uint32_t)(d - g->files) : GOLDEN_NONE);
				if (d != NULL && d->sd != GOLDEN_NONE) {
					op->sd = g->sds[d->sd].buf;
					op->sdlen = g->sds[d->sd].len;
				}
				if (d != NULL)
					op->attrs = d->attrs;
			}
		}
		free(key);
		if (i < len)
			dir[i] = '\\';
	}
	free(dir);
}

/* The member of f's hard-link group a missing f can be linked to: one
 * the target has right or that apply writes first. */
static struct gfile *
link_candidate(struct plan *p, struct gfile *f)
{
	struct golden	*g = p->g;
	struct gfile	*m;
	uint32_t	 i;

	for (i = f->link; i != GOLDEN_NONE; i = p->next[i]) {
		m = &g->files[i];
		if (m == f || !m->selected)
			continue;
		if (m->state == GS_SAME || m->op)
			return m;
	}
	return NULL;
}

struct fop {
	uint32_t	 data;		/* the file whose entry holds the
					   bytes */
	int		 phase;		/* 0 write, 1 link */
	uint32_t	 file;
	enum golden_op_kind kind;
	struct gfile	*to;
};

static int
fop_cmp(const void *a, const void *b)
{
	const struct fop	*x = a, *y = b;

	if (x->data != y->data)
		return x->data < y->data ? -1 : 1;
	if (x->phase != y->phase)
		return x->phase - y->phase;
	return x->file < y->file ? -1 : x->file > y->file;
}

static void
plan_ops(struct plan *p)
{
	struct golden		*g = p->g;
	struct gfile		*f, *t;
	struct golden_op	*op;
	struct fop		*fops = NULL;
	uint32_t		*slot, *lastop;
	size_t			 nf = 0, i, k, nmk, nnotes = 0;
	char			 hex[65];
	char			*s, **notes = NULL;

	/* Directories first: those the archive has, then those the files
	 * need; change lines are kept in g->strs meanwhile. */
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->selected && f->is_dir && f->state == GS_MISSING)
			plan_parents(p, f->path, 1);
	}
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->selected && !f->is_dir && f->state == GS_MISSING)
			plan_parents(p, f->path, 0);
	}
	nmk = g->nops;

	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!f->selected || f->is_dir)
			continue;
		if (f->state == GS_SIZE || f->state == GS_CONTENT) {
			slot = tmap_slot(&p->tinos, f->tino);
			t = *slot != GOLDEN_NONE ? &g->files[*slot] : f;
			if (t != f) {
				/* Another name of this record came first. */
				if (t->op) {
					notes = xreallocarray(notes, nnotes + 1,
					    sizeof *notes);
					notes[nnotes++] = xprintf("%s shows the "
					    "new bytes: it is a hard link of %s",
					    f->path, t->path);
				}
				continue;
			}
			f->op = 1;
		} else if (f->state == GS_MISSING) {
			if ((t = link_candidate(p, f)) == NULL)
				f->op = 1;
			else {
				fops = xreallocarray(fops, nf + 1,
				    sizeof *fops);
				fops[nf++] = (struct fop){ f->link, 1, (uint32_t)i,
				    GOLDEN_OP_LINK, t };
				continue;
			}
		} else
			continue;
		fops = xreallocarray(fops, nf + 1, sizeof *fops);
		fops[nf++] = (struct fop){ f->link, 0, (uint32_t)i,
		    f->state == GS_MISSING ? GOLDEN_OP_CREATE :
		    GOLDEN_OP_REPLACE, NULL };
	}
	if (nf > 0)
		qsort(fops, nf, sizeof *fops, fop_cmp);

	/* The journal's order is the archive's: one pass streams it. */
	lastop = xreallocarray(NULL, g->nfiles, sizeof *lastop);
	for (i = 0; i < g->nfiles; i++)
		lastop[i] = GOLDEN_NONE;
	g->opsrc = xreallocarray(NULL, nmk + nf + 1, sizeof *g->opsrc);
	for (i = 0; i < nmk; i++)
		g->opsrc[i] = GOLDEN_NONE;
	for (k = 0; k < nf; k++) {
		f = &g->files[fops[k].file];
		op = add_op(g, fops[k].kind, f->path, fops[k].file);
		g->opsrc[g->nops - 1] = GOLDEN_NONE;
		if (fops[k].kind == GOLDEN_OP_LINK) {
			op->to = fops[k].to->path;
			continue;
		}
		t = &g->files[fops[k].data];
		t->check = 1;
		op->size = f->size;
		golden_hex(f->sha, hex);
		op->sha256 = keep(g, xstrdup(hex));
		if (fops[k].kind == GOLDEN_OP_CREATE) {
			if (f->sd != GOLDEN_NONE) {
				op->sd = g->sds[f->sd].buf;
				op->sdlen = g->sds[f->sd].len;
			}
			op->attrs = f->attrs;
			g->need += f->size;
		} else
			g->need += 2 * f->size;
		/* A second file from the same entry copies the first. */
		g->opsrc[g->nops - 1] = lastop[fops[k].data];
		lastop[fops[k].data] = (uint32_t)(g->nops - 1);
	}
	free(lastop);
	free(fops);

	/* The change lines, in the order of the changes. */
	for (i = 0; i < g->nops; i++) {
		op = &g->ops[i];
		f = g->opfile[i] != GOLDEN_NONE ? &g->files[g->opfile[i]] :
		    NULL;
		switch (op->kind) {
		case GOLDEN_OP_MKDIR:
			s = xprintf("created directory %s", op->path);
			break;
		case GOLDEN_OP_CREATE:
			s = xprintf("created %s (%llu bytes)", op->path,
			    (unsigned long long)op->size);
			break;
		case GOLDEN_OP_REPLACE:
			s = xprintf("replaced %s in place (%s)", op->path,
			    f->state == GS_SIZE ? f->detail :
			    "content differs");
			break;
		default:
			s = xprintf("linked %s to %s (a hard link, as on the "
			    "source PC)", op->path, op->to);
			break;
		}
		g->changes = xreallocarray(g->changes, g->nchanges + 1,
		    sizeof *g->changes);
		g->changes[g->nchanges++] = s;
	}
	/* Hard-link notes go last. */
	for (i = 0; i < nnotes; i++) {
		g->changes = xreallocarray(g->changes, g->nchanges + 1,
		    sizeof *g->changes);
		g->changes[g->nchanges++] = notes[i];
	}
	free(notes);
}

/* Groups the source has linked and the target has not. */
static void
plan_link_warnings(struct plan *p)
{
	struct golden	*g = p->g;
	struct gfile	*f, *m, *first;
	uint32_t	 i, j;

	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->is_dir || f->link != i || p->next[i] == GOLDEN_NONE)
			continue;
		first = NULL;
		for (j = i; j != GOLDEN_NONE; j = p->next[j]) {
			m = &g->files[j];
			if (!m->selected || m->state == GS_MISSING ||
			    m->state == GS_UNREADABLE || m->tino == 0)
				continue;
			if (first == NULL)
				first = m;
			else if (m->tino != first->tino)
				golden_add_warning(g, "%s and %s are one file "
				    "(hard links) on the source PC but separate "
				    "files on the target: their bytes are put "
				    "right, the link is not restored", first->path,
				    m->path);
		}
	}
}

/* Two names of one record on the target that the archive wants to hold
 * different bytes cannot both be right. */
static void
plan_conflicts(struct plan *p)
{
	struct golden	*g = p->g;
	struct gfile	*f, *t;
	uint32_t	*slot;
	size_t		 i;

	p->tinos.size = 64;
	while (p->tinos.size < 2 * g->nfiles + 2)
		p->tinos.size *= 2;
	p->tinos.ino = xcalloc(p->tinos.size, sizeof *p->tinos.ino);
	p->tinos.idx = xreallocarray(NULL, p->tinos.size,
	    sizeof *p->tinos.idx);
	for (i = 0; i < p->tinos.size; i++)
		p->tinos.idx[i] = GOLDEN_NONE;
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!f->selected || f->is_dir || f->tino == 0 ||
		    (f->state != GS_SAME && f->state != GS_SIZE &&
		    f->state != GS_CONTENT))
			continue;
		slot = tmap_slot(&p->tinos, f->tino);
		if (*slot == GOLDEN_NONE) {
			*slot = (uint32_t)i;
			continue;
		}
		t = &g->files[*slot];
		if (memcmp(t->sha, f->sha, 32) != 0) {
			f->state = GS_CONFLICT;
			free(f->detail);
			f->detail = xprintf("one file with %s on the volume "
			    "(hard links), but the archive has other bytes for "
			    "each; apply one of them by its path", t->path);
		}
	}
}

struct extras {
	struct plan	*p;
	char		*dir;
	struct {
		char	*name;
		int	 is_dir;
	}		*v;
	size_t		 n;
};

static int
extras_collect(const struct vol_dirent *de, void *arg)
{
	struct extras	*x = arg;

	x->v = xreallocarray(x->v, x->n + 1, sizeof *x->v);
	x->v[x->n].name = xstrdup(de->name);
	x->v[x->n++].is_dir = de->is_dir;
	return 0;
}

static void
extras_walk(struct plan *p, const char *dir)
{
	struct golden	*g = p->g;
	struct extras	 x;
	struct gfile	*f;
	char		*path;
	size_t		 i;

	memset(&x, 0, sizeof x);
	x.p = p;
	if (vol_list(p->vol, dir, extras_collect, &x, NULL) != 0)
		x.n = 0;
	for (i = 0; i < x.n; i++) {
		path = xprintf("%s\\%s", dir, x.v[i].name);
		f = golden_index_find(g, path);
		if (f == NULL) {
			add_item(g, path, GOLDEN_EXTRA, NULL, x.v[i].is_dir);
			g->counts.extra++;
		} else if (x.v[i].is_dir && f->is_dir)
			extras_walk(p, path);
		free(path);
		free(x.v[i].name);
	}
	free(x.v);
}

static void
plan_extras(struct plan *p)
{
	struct golden	*g = p->g;
	struct gfile	*f;
	size_t		 i;

	if (!g->extras_scope)
		return;
	/* Below each captured directory; with PATHs given, below those
	 * that are directories of the archive. */
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!f->is_dir || !f->selected || f->state != GS_SAME)
			continue;
		if (g->selection) {
			/* The outermost selected directory only. */
			char *up = xstrdup(f->path), *sep;
			struct gfile *u;
			int outer = 1;

			while (outer && (sep = strrchr(up, '\\')) != NULL) {
				*sep = '\0';
				u = golden_index_find(g, up);
				outer = u == NULL || !u->selected;
			}
			free(up);
			if (!outer)
				continue;
		} else {
			size_t	k;

			for (k = 0; k < g->nroots; k++) {
				if (strcasecmp(g->roots[k], f->path) == 0)
					break;
			}
			if (k == g->nroots)
				continue;
		}
		extras_walk(p, f->path);
	}
}

void
golden_set_hasher(struct golden *g, golden_hash_fn hash, void *harg)
{
	g->hash = hash;
	g->harg = harg;
}

int
golden_plan(struct golden *g, struct vol *vol, int flags,
    golden_progress_fn progress, void *arg, char **cause)
{
	struct plan	 p;
	struct gfile	*f;
	size_t		 i, n = 0, from;
	uint32_t	*last;

	golden_plan_clear(g);
	memset(&p, 0, sizeof p);
	p.g = g;
	p.vol = vol;
	p.buf = xmalloc(GOLDEN_CHUNK);
	if ((p.md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	if (g->cache == NULL)
		g->cache = hcache_open();
	p.lookup = !(flags & GOLDEN_REHASH);
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!g->selection)
			f->selected = 1;
		if (!f->selected)
			continue;
		if (f->is_dir)
			g->counts.dirs++;
		else
			g->counts.files++;
	}
	for (i = 0, from = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->selected) {
			compare(&p, f);
			if (!f->is_dir)
				golden_progress_call(progress, arg, "looking",
				    ++n, g->counts.files, 0, 0);
		}
		/* The archive's scan follows (golden.c). */
		if (i + 1 - from == GOLDEN_VERDICTS) {
			golden_scan_verdicts(g, from, i + 1, 0);
			from = i + 1;
		}
	}
	golden_scan_verdicts(g, from, g->nfiles, 1);
	compare_contents(&p, g->hash, g->harg, progress, arg);
	/* Hard-link groups, first member first. */
	p.next = xreallocarray(NULL, g->nfiles + 1, sizeof *p.next);
	last = xreallocarray(NULL, g->nfiles + 1, sizeof *last);
	for (i = 0; i < g->nfiles; i++)
		p.next[i] = last[i] = GOLDEN_NONE;
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->is_dir || f->link == i)
			continue;
		if (last[f->link] == GOLDEN_NONE)
			p.next[f->link] = (uint32_t)i;
		else
			p.next[last[f->link]] = (uint32_t)i;
		last[f->link] = (uint32_t)i;
	}
	free(last);
	plan_conflicts(&p);
	plan_link_warnings(&p);

	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (!f->selected)
			continue;
		switch (f->state) {
		case GS_SAME:
			if (!f->is_dir)
				g->counts.same++;
			break;
		case GS_SIZE:
		case GS_CONTENT:
			g->counts.differ++;
			add_item(g, f->path, GOLDEN_DIFFERS, f->detail,
			    f->is_dir);
			break;
		case GS_MISSING:
			g->counts.missing++;
			add_item(g, f->path, GOLDEN_MISSING, NULL, f->is_dir);
			break;
		default:
			g->counts.unreadable++;
			add_item(g, f->path, GOLDEN_UNREADABLE, f->detail,
			    f->is_dir);
			break;
		}
	}
	if (flags & GOLDEN_EXTRAS)
		plan_extras(&p);
	/* Directories the volume has count as existing for the plan. */
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->selected && f->is_dir && f->state == GS_SAME)
			dset_put(&p.dirs, f->key);
	}
	plan_ops(&p);
	g->planned = 1;

	free(p.next);
	free(p.tinos.ino);
	free(p.tinos.idx);
	dset_free(&p.dirs);
	free(p.buf);
	EVP_MD_CTX_free(p.md);
	(void)cause;
	return 0;
}

const char *
golden_state_name(enum golden_state s)
{
	switch (s) {
	case GOLDEN_DIFFERS:
		return "differs";
	case GOLDEN_MISSING:
		return "missing";
	case GOLDEN_EXTRA:
		return "extra";
	case GOLDEN_UNREADABLE:
		return "unreadable";
	}
	return "?";
}

const struct golden_item *
golden_items(struct golden *g, size_t *n)
{
	*n = g->nitems;
	return g->items;
}

const struct golden_counts *
golden_counts(struct golden *g)
{
	return &g->counts;
}

const char *const *
golden_changes(struct golden *g, size_t *n)
{
	*n = g->nchanges;
	return (const char *const *)g->changes;
}

const char *const *
golden_warnings(struct golden *g, size_t *n)
{
	*n = g->nwarnings;
	return (const char *const *)g->warnings;
}

uint64_t
golden_need(struct golden *g)
{
	return g->need;
}

/*
 * Applying: one pass over the archive, in the order of the ops. Each
 * file's bytes are hashed as they are handed to the journal and checked
 * against the manifest (or the plain archive's pre-pass) when the last
 * one is given: bytes that changed since the check, or an entry damaged
 * where the pre-pass did not hash it, fail the apply and the journal
 * rolls everything back.
 *
 * Reading the archive (decompressing, hashing) is as much work as writing
 * the volume, so given a second CPU a reader thread does it: it runs
 * ahead through the ops that take their bytes from the archive, putting
 * pieces (a file's bytes, up to 1 MiB at a time) one after the other
 * into a ring, while the journal writes the pieces before them. A piece's
 * bytes are read over again once the journal asks for the next piece (it
 * has written this one). The ring holds some hundreds of small files, so
 * that the reader can run ahead through a stretch of small files (where
 * creating them is the work) and the writer through a large one (where
 * hashing is). Handing over is a store and a spin (a small file is read
 * in microseconds); the reader sleeps when the ring is full for a while.
 * On one CPU the same reader runs a piece at a time when the journal asks
 * for one. Only the reader touches the archive; only the journal's side
 * touches the volume (libntfs-3g is not thread-safe).
 */

#define RING_BYTES	((size_t)8 << 20)
#define RING_PIECES	512
/* Spins before a wait sleeps or yields: some 100 us. */
#define RING_SPINS	5000

struct piece {
	size_t		 at;		/* in the ring */
	size_t		 n;		/* 0: the end of op's bytes */
	size_t		 op;
	char		*cause;		/* or the read failed */
};

struct gapply {
	struct golden		*g;
	struct vol		*vol;
	size_t			 base;		/* first op of the batch */
	size_t			 cur;		/* op being read */
	struct vol_file		*src;		/* or copying from here */
	uint64_t		 off;		/* in src or the kept bytes */
	uint8_t			*srcbuf;
	EVP_MD_CTX		*md;		/* of a copy from src */
	int			 held;		/* a piece is being written */
	uint64_t		 bytes;
	uint64_t		 total;		/* the ops' new bytes */
	size_t			 files;
	golden_progress_fn	 progress;
	void			*arg;

	/* The reader's; the ring is shared. */
	struct archive		*a;		/* opened when first needed */
	struct gentry		 e;
	struct gdata		 d;
	int			 have;		/* e's data not consumed */
	size_t			 rop;		/* op the reader is at */
	int			 rin;		/* rop's bytes begun */
	atomic_int		 rdone;		/* no more pieces */
	EVP_MD_CTX		*rmd;
	size_t			 rat;		/* where the next piece goes */
	uint8_t			*ring;
	size_t			 ringsize;
	struct piece		 pieces[RING_PIECES];
	atomic_ulong		 made, taken;	/* pieces */
	atomic_int		 stop;
	int			 threaded;
	pthread_t		 thread;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;
	int			 sleeping, wake;	/* under lock */
};

/* Does op k take its bytes from the archive (not kept, not copied)? */
static int
from_archive(struct golden *g, size_t k)
{
	struct gfile	*f;

	if (g->ops[k].kind != GOLDEN_OP_CREATE &&
	    g->ops[k].kind != GOLDEN_OP_REPLACE)
		return 0;
	f = &g->files[g->opfile[k]];
	return g->files[f->link].data == NULL && g->opsrc[k] == GOLDEN_NONE;
}

static int
apply_seek(struct gapply *st, uint32_t want, char **cause)
{
	struct golden	*g = st->g;
	int		 r;

	if (st->a == NULL && garchive_open(g, &st->a, cause) != 0)
		return -1;
	for (;;) {
		if (st->have && st->e.ordinal == want)
			return 0;
		if (st->have && st->e.ordinal > want)
			break;
		if (st->have && garchive_skip(g, st->a, &st->e, &st->d, NULL,
		    cause) != 0)
			return -1;
		st->have = 0;
		if ((r = garchive_next(g, st->a, &st->e, cause)) < 0)
			return -1;
		if (r == 0)
			break;
		st->have = 1;
		memset(&st->d, 0, sizeof st->d);
	}
	return set_cause(cause, "%s: entry %u was passed or is missing: the "
	    "archive changed since it was checked", g->path, want);
}

/* Are the bytes hashed into md the ones the archive promised for op k? */
static int
check_sha(struct golden *g, EVP_MD_CTX *md, size_t k, char **cause)
{
	struct gfile	*f = &g->files[g->files[g->opfile[k]].link];
	uint8_t		 sha[32];
	unsigned int	 dlen;

	EVP_DigestFinal_ex(md, sha, &dlen);
	if (memcmp(sha, f->sha, 32) != 0)
		return set_cause(cause, "%s: the archive's bytes for it do not "
		    "match %s (SHA-256): the archive is damaged or changed "
		    "while it was applied", g->ops[k].path, g->manifest ?
		    "its manifest" : "what was checked");
	return 0;
}

/* Where in the ring len bytes can go, or -1 while the pieces not yet
 * written hold it. Pieces go one after the other, starting over at the
 * ring's start when one would not fit before its end; the bytes in use
 * never fill the ring whole, so a piece starting where the last one ended
 * means none are in use. */
static ssize_t
ring_room(struct gapply *st, size_t len)
{
	unsigned long	 made = atomic_load(&st->made);
	unsigned long	 taken = atomic_load_explicit(&st->taken,
	    memory_order_acquire);
	size_t		 first, at = st->rat;

	if (made - taken >= RING_PIECES)
		return -1;
	first = st->pieces[taken % RING_PIECES].at;
	if (made == taken || at == first)
		return at + len <= st->ringsize ? (ssize_t)at : 0;
	if (at > first) {
		if (at + len <= st->ringsize)
			return (ssize_t)at;
		at = 0;
	}
	return at + len < first ? (ssize_t)at : -1;
}

/* The reader: the next piece of the archive's bytes into the ring, if
 * there is room; 0 if there was not. */
static int
reader_step(struct gapply *st)
{
	struct golden	*g = st->g;
	unsigned long	 made = atomic_load(&st->made);
	struct piece	*pc = &st->pieces[made % RING_PIECES];
	struct gfile	*f;
	size_t		 len;
	ssize_t		 n, at;

	/* Every piece taken: pc may be the one being written. */
	if (made - atomic_load_explicit(&st->taken, memory_order_acquire) >=
	    RING_PIECES)
		return 0;
	pc->n = 0;
	pc->cause = NULL;
	if (!st->rin) {
		while (st->rop < g->nops && !from_archive(g, st->rop))
			st->rop++;
		if (st->rop == g->nops) {
			st->rdone = 1;
			return 1;
		}
		if (apply_seek(st, g->files[g->files[g->opfile[st->rop]].link].
		    entry, &pc->cause) != 0) {
			pc->at = st->rat;
			goto post;
		}
		EVP_DigestInit_ex(st->rmd, EVP_sha256(), NULL);
		st->rin = 1;
	}
	/* What is left of the file (one byte more at its end, to see it
	 * end), at most a chunk. */
	f = &g->files[g->files[g->opfile[st->rop]].link];
	len = f->size - st->d.pos;
	len = len == 0 ? 1 : len < GOLDEN_CHUNK ? len : GOLDEN_CHUNK;
	if ((at = ring_room(st, len)) < 0)
		return 0;
	pc->at = (size_t)at;
	if (!st->have)
		n = 0;
	else if ((n = garchive_read(g, st->a, &st->e, &st->d, st->ring +
	    pc->at, len, &pc->cause)) == 0)
		st->have = 0;
	if (n > 0) {
		EVP_DigestUpdate(st->rmd, st->ring + pc->at, (size_t)n);
		pc->n = (size_t)n;
		st->rat = pc->at + (size_t)n;
	} else if (n == 0)
		check_sha(g, st->rmd, st->rop, &pc->cause);
post:
	pc->op = st->rop;
	if (pc->cause != NULL)
		st->rdone = 1;
	else if (pc->n == 0) {
		st->rop++;
		st->rin = 0;
	}
	atomic_store_explicit(&st->made, made + 1, memory_order_release);
	return 1;
}

static void *
reader_main(void *arg)
{
	struct gapply	*st = arg;
	int		 i = 0;

	while (!st->rdone && !atomic_load(&st->stop)) {
		if (reader_step(st)) {
			i = 0;
			continue;
		}
		/* The ring is full: the journal is writing what it holds. */
		if (++i < RING_SPINS) {
			__builtin_ia32_pause();
			continue;
		}
		pthread_mutex_lock(&st->lock);
		st->sleeping = 1;
		while (!st->wake && !atomic_load(&st->stop))
			pthread_cond_wait(&st->cond, &st->lock);
		st->sleeping = 0;
		st->wake = 0;
		pthread_mutex_unlock(&st->lock);
		i = 0;
	}
	return NULL;
}

static void
reader_wake(struct gapply *st)
{
	if (!st->threaded)
		return;
	pthread_mutex_lock(&st->lock);
	st->wake = 1;
	if (st->sleeping)
		pthread_cond_signal(&st->cond);
	pthread_mutex_unlock(&st->lock);
}

/* The piece the journal was given last is written: its slot is free. */
static void
piece_release(struct gapply *st)
{
	if (!st->held)
		return;
	st->held = 0;
	atomic_store_explicit(&st->taken, atomic_load(&st->taken) + 1,
	    memory_order_release);
	reader_wake(st);
}

/* The next piece, for op k. */
static struct piece *
piece_next(struct gapply *st, size_t k, char **cause)
{
	unsigned long	 taken = atomic_load(&st->taken);
	struct piece	*pc;
	int		 i = 0;

	if (!st->threaded && atomic_load(&st->made) == taken && !st->rdone)
		(void)reader_step(st);	/* the ring is empty: room */
	while (atomic_load_explicit(&st->made, memory_order_acquire) ==
	    taken) {
		if (!st->threaded || (st->rdone && atomic_load(&st->made) ==
		    taken)) {
			set_cause(cause, "%s: no bytes for %s", st->g->path,
			    st->g->ops[k].path);
			return NULL;
		}
		if (++i < RING_SPINS)
			__builtin_ia32_pause();
		else
			sched_yield();
	}
	pc = &st->pieces[taken % RING_PIECES];
	st->held = 1;
	if (pc->cause != NULL) {
		*cause = pc->cause;
		pc->cause = NULL;
		return NULL;
	}
	if (pc->op != k) {
		set_cause(cause, "%s: the archive's bytes came for %s, not %s",
		    st->g->path, st->g->ops[pc->op].path, st->g->ops[k].path);
		return NULL;
	}
	return pc;
}

static void
reader_start(struct gapply *st)
{
	if ((st->rmd = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	atomic_init(&st->made, 0);
	atomic_init(&st->taken, 0);
	atomic_init(&st->stop, 0);
	atomic_init(&st->rdone, 0);
	pthread_mutex_init(&st->lock, NULL);
	pthread_cond_init(&st->cond, NULL);
	/* On one CPU a piece at a time: room for one chunk. */
	st->ringsize = one_cpu() ? GOLDEN_CHUNK : RING_BYTES;
	st->ring = xmalloc(st->ringsize);
	if (st->ringsize > GOLDEN_CHUNK)
		st->threaded = pthread_create(&st->thread, NULL, reader_main,
		    st) == 0;
}

static void
reader_stop(struct gapply *st)
{
	size_t	i;

	if (st->threaded) {
		atomic_store(&st->stop, 1);
		pthread_mutex_lock(&st->lock);
		pthread_cond_signal(&st->cond);
		pthread_mutex_unlock(&st->lock);
		pthread_join(st->thread, NULL);
	}
	pthread_mutex_destroy(&st->lock);
	pthread_cond_destroy(&st->cond);
	free(st->ring);
	for (i = 0; i < RING_PIECES; i++)
		free(st->pieces[i].cause);
	gentry_clear(&st->e);
	garchive_close(st->a);
	EVP_MD_CTX_free(st->rmd);
}

/* Op k's bytes are all given. */
static void
apply_done(struct gapply *st, size_t k)
{
	st->bytes += st->g->ops[k].size;
	golden_progress_call(st->progress, st->arg, "writing", ++st->files,
	    st->g->nops, st->bytes, st->total);
}

static ssize_t
apply_read(void *arg, size_t i, const void **data, char **cause)
{
	struct gapply		*st = arg;
	struct golden		*g = st->g;
	struct gfile		*f, *d;
	struct piece		*pc;
	size_t			 k = st->base + i;
	ssize_t			 n;

	piece_release(st);
	f = &g->files[g->opfile[k]];
	d = &g->files[f->link];
	if (k != st->cur) {
		if (st->src != NULL)
			vol_file_close(st->src, NULL);
		st->src = NULL;
		st->cur = k;
		st->off = 0;
		if (d->data == NULL && g->opsrc[k] != GOLDEN_NONE) {
			st->src = vol_file_open(st->vol,
			    g->ops[g->opsrc[k]].path, VOL_O_RDONLY, cause);
			if (st->src == NULL)
				return -1;
			EVP_DigestInit_ex(st->md, EVP_sha256(), NULL);
		}
	}
	if (d->data != NULL) {
		/* Kept and hashed by the pre-pass. */
		n = d->size - st->off < GOLDEN_CHUNK ?
		    (ssize_t)(d->size - st->off) : GOLDEN_CHUNK;
		*data = d->data + st->off;
		st->off += (uint64_t)n;
		if (n == 0)
			apply_done(st, k);
		return n;
	}
	if (st->src != NULL) {
		/* A copy of a file the volume has right. */
		if (st->off >= vol_file_size(st->src))
			n = 0;
		else if ((n = vol_file_pread(st->src, st->srcbuf,
		    GOLDEN_CHUNK, st->off)) <= 0)
			return set_cause(cause, "%s: read failed",
			    g->ops[g->opsrc[k]].path);
		if (n == 0) {
			if (check_sha(g, st->md, k, cause) != 0)
				return -1;
			apply_done(st, k);
			return 0;
		}
		EVP_DigestUpdate(st->md, st->srcbuf, (size_t)n);
		*data = st->srcbuf;
	} else {
		if ((pc = piece_next(st, k, cause)) == NULL)
			return -1;
		if ((n = (ssize_t)pc->n) == 0) {
			apply_done(st, k);
			return 0;
		}
		*data = st->ring + pc->at;
	}
	st->off += (uint64_t)n;
	/* A large file moves the bar as it is written, not only at its end
	 * (the callback shows a few lines a second at most). */
	golden_progress_call(st->progress, st->arg, "writing", st->files,
	    g->nops, st->bytes + st->off, st->total);
	return n;
}

/* A link made must name the file it was made to. */
static int
apply_links(struct gapply *st, size_t from, size_t n, char **cause)
{
	struct golden		*g = st->g;
	const struct golden_op	*op;
	struct vol_stat		 a, b;
	size_t			 k;

	for (k = from; k < from + n; k++) {
		op = &g->ops[k];
		if (op->kind != GOLDEN_OP_LINK)
			continue;
		if (vol_stat(st->vol, op->path, &a, cause) != 0 ||
		    vol_stat(st->vol, op->to, &b, cause) != 0)
			return -1;
		if (a.ino != b.ino)
			return set_cause(cause, "%s: linked, but it is not the "
			    "file %s", op->path, op->to);
	}
	return 0;
}

/*
 * What apply wrote has the bytes the archive promised (each was hashed as
 * it was written): into the cache with the fingerprints the files have
 * now, so the next plan of this boot does not read them again. Should the
 * journal roll this back, the rollback changes the fingerprints again.
 */
static void
remember_written(struct golden *g, struct vol *vol)
{
	const struct golden_op	*op;
	const struct gfile	*f;
	struct vol_stat		 sb;
	size_t			 i;

	for (i = 0; i < g->nops; i++) {
		op = &g->ops[i];
		f = &g->files[g->opfile[i]];
		if ((op->kind != GOLDEN_OP_CREATE &&
		    op->kind != GOLDEN_OP_REPLACE) || !f->has_sha)
			continue;
		if (vol_stat(vol, op->path, &sb, NULL) == 0 && sb.has_fp &&
		    sb.size == f->size)
			hcache_put(g->cache, sb.fp, f->sha);
	}
}

int
golden_apply(struct golden *g, struct vol *vol, golden_write_fn write,
    void *warg, golden_progress_fn progress, void *arg, char **cause)
{
	struct gapply	 st;
	size_t		 i, n;
	int		 ret = -1;

	if (!g->planned || !g->checked)
		return set_cause(cause, "golden_apply before the archive was "
		    "planned and checked");
	for (i = 0; i < g->nitems; i++) {
		if (g->items[i].state == GOLDEN_UNREADABLE)
			return set_cause(cause, "%s: %s; nothing was changed",
			    g->items[i].path, g->items[i].detail);
	}
	memset(&st, 0, sizeof st);
	st.g = g;
	st.vol = vol;
	st.cur = SIZE_MAX;
	st.progress = progress;
	st.arg = arg;
	/* The bar counts new bytes (need adds the originals the journal
	 * keeps, for the free-space check). */
	for (i = 0; i < g->nops; i++)
		st.total += g->ops[i].size;
	if ((st.md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	st.srcbuf = xmalloc(GOLDEN_CHUNK);
	reader_start(&st);
	for (i = 0; i < g->nops; i += n) {
		n = g->nops - i < GOLDEN_BATCH ? g->nops - i : GOLDEN_BATCH;
		st.base = i;
		st.cur = SIZE_MAX;
		if (write(warg, g->ops + i, n, apply_read, &st, cause) != 0)
			goto out;
		piece_release(&st);
		if (st.src != NULL)
			vol_file_close(st.src, NULL);
		st.src = NULL;
		if (apply_links(&st, i, n, cause) != 0)
			goto out;
	}
	remember_written(g, vol);
	ret = 0;
out:
	reader_stop(&st);
	if (st.src != NULL)
		vol_file_close(st.src, NULL);
	free(st.srcbuf);
	EVP_MD_CTX_free(st.md);
	return ret;
}
