/*
 * golden.c: an opened golden archive: its index of files (case-insensitive
 * like the volume), the source check, the selection of paths, and the
 * pre-pass that checks an archive with a manifest entry by entry.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <wctype.h>

#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>

#include "packages/golden-private.h"
#include "util/util.h"

static void	scan_ready(struct golden *);

void
golden_add_warning(struct golden *g, const char *fmt, ...)
{
	va_list	ap;

	g->warnings = xreallocarray(g->warnings, g->nwarnings + 1,
	    sizeof *g->warnings);
	va_start(ap, fmt);
	xvasprintf(&g->warnings[g->nwarnings++], fmt, ap);
	va_end(ap);
}

void
golden_progress_call(golden_progress_fn fn, void *arg, const char *phase,
    size_t files, size_t nfiles, uint64_t bytes, uint64_t nbytes)
{
	struct golden_progress	p;

	if (fn == NULL)
		return;
	p.phase = phase;
	p.files = files;
	p.nfiles = nfiles;
	p.bytes = bytes;
	p.nbytes = nbytes;
	fn(&p, arg);
}

void
golden_hex(const uint8_t sha[32], char hex[65])
{
	static const char	digits[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < 32; i++) {
		hex[2 * i] = digits[sha[i] >> 4];
		hex[2 * i + 1] = digits[sha[i] & 0xf];
	}
	hex[64] = '\0';
}

static int
unhex1(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
golden_unhex(const char *hex, uint8_t sha[32])
{
	size_t	i;
	int	hi, lo;

	if (hex == NULL || strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if ((hi = unhex1(hex[2 * i])) < 0 ||
		    (lo = unhex1(hex[2 * i + 1])) < 0)
			return -1;
		sha[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/*
 * Windows compares names through the volume's $UpCase table, which is
 * Unicode's simple uppercase mapping of the BMP. towupper in a UTF-8
 * locale is that mapping; the locale is made here so the process's own
 * (often "C" on a rescue stick) does not matter.
 */
static pthread_once_t	fold_once = PTHREAD_ONCE_INIT;
static locale_t		fold_loc;

static void
fold_locale(void)
{
	fold_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

char *
golden_fold(const char *s)
{
	const char	*p;
	char		*out, *q;
	uint8_t		*w;
	size_t		 len, i;
	uint16_t	 u;

	for (p = s; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p == '\0') {
		out = xstrdup(s);
		for (q = out; *q != '\0'; q++) {
			if (*q >= 'a' && *q <= 'z')
				*q -= 'a' - 'A';
			else if (*q == '/')
				*q = '\\';
		}
		return out;
	}
	/* The scan thread folds names too (scan_main). */
	pthread_once(&fold_once, fold_locale);
	if ((w = utf8_to_utf16le(s, &len)) == NULL)
		return xstrdup(s);
	for (i = 0; i + 1 < len; i += 2) {
		u = le16dec(w + i);
		if (u == '/')
			u = '\\';
		else if (fold_loc != (locale_t)0 &&
		    (u < 0xd800 || u > 0xdfff))
			u = (uint16_t)towupper_l(u, fold_loc);
		else if (u >= 'a' && u <= 'z')
			u -= 'a' - 'A';
		le16enc(w + i, u);
	}
	out = utf16le_to_utf8(w, len);
	free(w);
	return out;
}

static uint32_t
fnv1a(const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

static void
index_rehash(struct golden *g, size_t size)
{
	size_t		i, j;
	uint32_t	h;

	free(g->tab);
	g->tabsize = size;
	g->tab = xreallocarray(NULL, size, sizeof *g->tab);
	for (i = 0; i < size; i++)
		g->tab[i] = GOLDEN_NONE;
	for (i = 0; i < g->nfiles; i++) {
		h = fnv1a(g->files[i].key, strlen(g->files[i].key));
		for (j = h & (size - 1); g->tab[j] != GOLDEN_NONE;
		    j = (j + 1) & (size - 1))
			;
		g->tab[j] = (uint32_t)i;
	}
}

/* Rebuild the lookup table after paths were rewritten (plain archives
 * get their paths once the prefix is mapped). */
void
golden_index_rebuild(struct golden *g)
{
	size_t	size = 64;

	while (size < 2 * g->nfiles + 2)
		size *= 2;
	index_rehash(g, size);
}

static struct gfile *
index_lookup(struct golden *g, const char *key)
{
	size_t		j;
	uint32_t	h;

	if (g->tabsize == 0)
		return NULL;
	h = fnv1a(key, strlen(key));
	for (j = h & (g->tabsize - 1); g->tab[j] != GOLDEN_NONE;
	    j = (j + 1) & (g->tabsize - 1)) {
		if (strcmp(g->files[g->tab[j]].key, key) == 0)
			return &g->files[g->tab[j]];
	}
	return NULL;
}

struct gfile *
golden_index_find(struct golden *g, const char *path)
{
	struct gfile	*f;
	char		*key;

	key = golden_fold(path);
	f = index_lookup(g, key);
	free(key);
	return f;
}

int
golden_index_add(struct golden *g, char *path, struct gfile **fp,
    char **cause)
{
	struct gfile	*f;
	char		*key;
	size_t		 j;
	uint32_t	 h;

	key = golden_fold(path);
	if ((f = index_lookup(g, key)) != NULL) {
		set_cause(cause, "'%s' is there twice (as '%s'; Windows "
		    "names ignore case)", path, f->path);
		free(key);
		free(path);
		return -1;
	}
	if (g->nfiles >= NTM_MAX_GOLDEN_ENTRIES) {
		free(key);
		free(path);
		return set_cause(cause, "more than %u files and directories",
		    NTM_MAX_GOLDEN_ENTRIES);
	}
	if (2 * (g->nfiles + 1) >= g->tabsize)
		index_rehash(g, g->tabsize == 0 ? 64 : g->tabsize * 2);
	g->files = xreallocarray(g->files, g->nfiles + 1, sizeof *g->files);
	f = &g->files[g->nfiles];
	memset(f, 0, sizeof *f);
	f->path = path;
	f->key = key;
	f->sd = GOLDEN_NONE;
	f->link = (uint32_t)g->nfiles;
	f->entry = GOLDEN_NONE;
	h = fnv1a(key, strlen(key));
	for (j = h & (g->tabsize - 1); g->tab[j] != GOLDEN_NONE;
	    j = (j + 1) & (g->tabsize - 1))
		;
	g->tab[j] = (uint32_t)g->nfiles++;
	*fp = f;
	return 0;
}

uint32_t
golden_sd_add(struct golden *g, const void *sd, size_t len)
{
	size_t		 i, j, size;
	uint32_t	 h;

	h = fnv1a(sd, len);
	if (2 * (g->nsds + 1) >= g->sdtabsize) {
		size = g->sdtabsize == 0 ? 64 : g->sdtabsize * 2;
		free(g->sdtab);
		g->sdtab = xreallocarray(NULL, size, sizeof *g->sdtab);
		for (i = 0; i < size; i++)
			g->sdtab[i] = GOLDEN_NONE;
		g->sdtabsize = size;
		for (i = 0; i < g->nsds; i++) {
			for (j = g->sds[i].hash & (size - 1);
			    g->sdtab[j] != GOLDEN_NONE; j = (j + 1) &
			    (size - 1))
				;
			g->sdtab[j] = (uint32_t)i;
		}
	}
	for (j = h & (g->sdtabsize - 1); g->sdtab[j] != GOLDEN_NONE;
	    j = (j + 1) & (g->sdtabsize - 1)) {
		i = g->sdtab[j];
		if (g->sds[i].len == len && memcmp(g->sds[i].buf, sd, len) == 0)
			return (uint32_t)i;
	}
	g->sds = xreallocarray(g->sds, g->nsds + 1, sizeof *g->sds);
	g->sds[g->nsds].buf = xmalloc(len);
	memcpy(g->sds[g->nsds].buf, sd, len);
	g->sds[g->nsds].len = len;
	g->sds[g->nsds].hash = h;
	g->sdtab[j] = (uint32_t)g->nsds;
	return (uint32_t)g->nsds++;
}

/*
 * A self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6): revision 1, the
 * SE_SELF_RELATIVE control bit, and owner, group, SACL and DACL offsets
 * inside the buffer. libntfs-3g checks more when it stores one; this
 * keeps a manifest from handing it garbage at all.
 */
int
golden_sd_valid(const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint32_t	 off;
	size_t		 i;

	if (len < 20 || len > NTM_MAX_GOLDEN_SD || p[0] != 1)
		return 0;
	if ((le16dec(p + 2) & 0x8000) == 0)
		return 0;
	for (i = 4; i < 20; i += 4) {
		off = le32dec(p + i);
		if (off != 0 && (off < 20 || off >= len))
			return 0;
	}
	return 1;
}

static void
source_free(struct golden_source *s)
{
	free(s->product);
	free(s->edition);
	free(s->display_version);
	free(s->arch);
	free(s->computer_name);
	memset(s, 0, sizeof *s);
}

static void
plan_clear(struct golden *g)
{
	size_t	i;

	for (i = 0; i < g->nchanges; i++)
		free(g->changes[i]);
	free(g->changes);
	for (i = 0; i < g->nwarnings; i++)
		free(g->warnings[i]);
	free(g->warnings);
	for (i = 0; i < g->nitems; i++)
		if (g->items[i].state == GOLDEN_EXTRA)
			free((char *)g->items[i].path);
	free(g->items);
	free(g->ops);
	for (i = 0; i < g->nstrs; i++)
		free(g->strs[i]);
	free(g->strs);
	g->strs = NULL;
	g->nstrs = 0;
	free(g->opfile);
	free(g->opsrc);
	g->changes = g->warnings = NULL;
	g->nchanges = g->nwarnings = g->nitems = g->nops = 0;
	g->items = NULL;
	g->ops = NULL;
	g->opfile = g->opsrc = NULL;
	g->need = 0;
	g->planned = 0;
	memset(&g->counts, 0, sizeof g->counts);
	for (i = 0; i < g->nfiles; i++) {
		free(g->files[i].detail);
		g->files[i].detail = NULL;
		g->files[i].state = GS_UNKNOWN;
		g->files[i].check = 0;
		g->files[i].op = 0;
	}
}

void
golden_plan_clear(struct golden *g)
{
	plan_clear(g);
}

void
golden_free(struct golden *g)
{
	size_t	i;

	if (g == NULL)
		return;
	golden_scan_stop(g);
	plan_clear(g);
	hcache_close(g->cache);
	if (g->fd != -1)
		close(g->fd);
	free(g->path);
	source_free(&g->src);
	free(g->mapping);
	for (i = 0; i < g->nroots; i++)
		free(g->roots[i]);
	free(g->roots);
	for (i = 0; i < g->nfiles; i++) {
		free(g->files[i].path);
		free(g->files[i].key);
		free(g->files[i].data);
	}
	free(g->files);
	free(g->tab);
	for (i = 0; i < g->nsds; i++)
		free(g->sds[i].buf);
	free(g->sds);
	free(g->sdtab);
	free(g);
}

struct golden *
golden_new(void)
{
	struct golden	*g;

	g = xcalloc(1, sizeof *g);
	g->fd = -1;
	return g;
}

int
golden_open(const char *path, golden_progress_fn progress, void *arg,
    struct golden **gp, char **cause)
{
	struct golden	*g;
	struct archive	*a = NULL;
	struct gentry	 e;
	struct stat	 st;
	int		 r;

	memset(&e, 0, sizeof e);
	g = golden_new();
	g->path = xstrdup(path);
	if ((g->fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		set_cause(cause, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(g->fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		set_cause(cause, "%s is not a file", path);
		goto fail;
	}
	g->archive_size = (uint64_t)st.st_size;
	if (garchive_open(g, &a, cause) != 0)
		goto fail;
	if ((r = garchive_next(g, a, &e, cause)) < 0)
		goto fail;
	if (r == 0) {
		set_cause(cause, "%s holds no files", path);
		goto fail;
	}
	if (!e.is_dir && e.link == NULL && strcmp(e.name, GOLDEN_MANIFEST) ==
	    0) {
		g->manifest = 1;
		/* A re-apply: the cache has this boot's hashes. */
		g->cache = hcache_open();
		golden_scan_start(g, hcache_count(g->cache) > 0);
		if (gmanifest_read(g, a, &e, cause) != 0)
			goto fail;
		scan_ready(g);
	} else if (garchive_plain(g, a, &e, progress, arg, cause) != 0)
		goto fail;
	gentry_clear(&e);
	garchive_close(a);
	*gp = g;
	return 0;
fail:
	gentry_clear(&e);
	garchive_close(a);
	golden_free(g);
	return -1;
}

const struct golden_source *
golden_source_of(struct golden *g)
{
	return g->manifest ? &g->src : NULL;
}

const char *
golden_mapping(struct golden *g)
{
	return g->mapping;
}

const char *const *
golden_roots(struct golden *g, size_t *n)
{
	*n = g->nroots;
	return (const char *const *)g->roots;
}

int
golden_check_source(struct golden *g, uint32_t build, const char *arch,
    char **cause)
{
	const struct golden_source	*s = &g->src;

	if (!g->manifest)
		return 0;
	if (build == 0 || arch == NULL)
		return set_cause(cause, "the target's build or architecture "
		    "is unknown (its SOFTWARE or SYSTEM hive cannot be read), "
		    "so the archive (build %u %s) cannot be checked against "
		    "it; --force applies it anyway", s->build,
		    s->arch != NULL ? s->arch : "?");
	if (s->build != build || s->arch == NULL ||
	    strcasecmp(s->arch, arch) != 0)
		return set_cause(cause, "the archive is from build %u %s "
		    "(%s), the target is build %u %s: servicing files of "
		    "another build or architecture break it; capture on a PC "
		    "of the target's build, or --force", s->build,
		    s->arch != NULL ? s->arch : "(unknown architecture)",
		    s->computer_name != NULL ? s->computer_name : "?", build,
		    arch);
	return 0;
}

/* Is path (folded) equal to or below dir (folded)? */
static int
below(const char *key, const char *dkey)
{
	size_t	len = strlen(dkey);

	if (len == 0)
		return 1;
	return strncmp(key, dkey, len) == 0 && (key[len] == '\0' ||
	    key[len] == '\\');
}

int
golden_select(struct golden *g, const char *const *paths, size_t n,
    char **cause)
{
	const char	*why;
	char		*p, *key, *list;
	size_t		 i, k, hits;

	g->selection = n > 0;
	for (k = 0; k < g->nfiles; k++)
		g->files[k].selected = n == 0;
	for (i = 0; i < n; i++) {
		if ((p = golden_path_check(paths[i], &why)) == NULL)
			return set_cause(cause, "%s %s: give a path from the "
			    "volume root as the archive has it (Windows\\...)",
			    paths[i], why);
		if (*p == '\0') {
			free(p);
			return set_cause(cause, "%s: give a path inside the "
			    "archive, not the volume root", paths[i]);
		}
		key = golden_fold(p);
		for (k = hits = 0; k < g->nfiles; k++) {
			if (below(g->files[k].key, key)) {
				g->files[k].selected = 1;
				hits++;
			}
		}
		free(key);
		free(p);
		if (hits == 0) {
			list = xstrdup("");
			for (k = 0; k < g->nroots && k < 4; k++) {
				p = xprintf("%s%s%s", list, k > 0 ? ", " : "",
				    g->roots[k]);
				free(list);
				list = p;
			}
			set_cause(cause, "%s is not in the archive (it holds "
			    "%s%s)", paths[i], list, g->nroots > 4 ? ", ..." :
			    "");
			free(list);
			return -1;
		}
	}
	return 0;
}

static void
hash_ctx(EVP_MD_CTX **md)
{
	if ((*md = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestInit_ex(*md, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL has no SHA-256");
}

/*
 * The check before any write: every entry of an archive with a manifest
 * read (names, types, sizes against the limits, the data decompressed and
 * counted) and compared with the manifest, in its order. Decompressing is
 * the work (a tenth of a full apply), and it needs no manifest: a scan
 * thread that golden_open starts does it while the manifest is parsed and
 * the target planned, keeping each entry's header and data length;
 * golden_check compares them. Only the files a small apply writes are then
 * read again, kept in memory (GOLDEN_STASH), so that apply does not
 * decompress the archive a third time.
 *
 * A re-apply in the same boot (the hash cache has entries) writes little,
 * and reading the archive twice would be most of its time: there the scan
 * waits for the manifest and then follows the plan as it compares
 * (golden_scan_verdicts), keeping on the way the bytes of the files the
 * plan did not find the same; golden_check takes those, and reads only
 * what that missed (stash).
 */
struct gscan_entry {
	struct gentry	 e;
	uint64_t	 len;		/* data bytes it holds */
};

/* A file's bytes the scan kept. */
struct gscan_kept {
	uint32_t		 file;
	uint8_t			*data;
	uint8_t			 sha[32];
};

struct gscan {
	struct golden		*g;
	pthread_t		 thread;
	atomic_int		 stop;
	struct gscan_entry	*v;
	size_t			 n;
	char			*cause;	/* the scan stopped after v[n - 1] */

	/*
	 * Following the plan (follow set before the thread starts). Under
	 * mu, set by the main thread and broadcast on cv: ready (the
	 * manifest is parsed: the index, holder and verdict are there and
	 * only read from then on), decided (verdicts 0 .. decided - 1 are
	 * in), all (no more will come; last: the last file to keep), need
	 * (bytes of the files to keep so far). verdict[i] is written before
	 * decided passes i.
	 */
	int			 follow;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	int			 ready, all;
	size_t			 decided, last;
	uint64_t		 need;
	uint8_t			*holder;	/* per file: its entry holds
						   its bytes */
	uint8_t			*verdict;	/* per file: 1 keep */
	struct gscan_kept	*kept;
	size_t			 nkept;
};

/* Change what the scan waits on, and wake it. */
static void
scan_signal(struct gscan *s, void (*set)(struct gscan *, void *), void *arg)
{
	pthread_mutex_lock(&s->mu);
	set(s, arg);
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void
scan_kept_free(struct gscan *s)
{
	size_t	i;

	for (i = 0; i < s->nkept; i++)
		free(s->kept[i].data);
	free(s->kept);
	s->kept = NULL;
	s->nkept = 0;
}

/* Keep the bytes of file i? 1 yes, 0 no, -1 keep nothing more (stopped,
 * nothing later to keep), -2 and let go of what was kept (the plan found
 * more than a small apply writes). */
static int
scan_verdict(struct gscan *s, size_t i)
{
	int	v;

	pthread_mutex_lock(&s->mu);
	while (s->decided <= i && !s->all && !atomic_load(&s->stop))
		pthread_cond_wait(&s->cv, &s->mu);
	if (s->need > GOLDEN_STASH)
		v = -2;
	else if (atomic_load(&s->stop) || (s->all && i > s->last))
		v = -1;
	else
		v = s->decided > i && s->verdict[i];
	pthread_mutex_unlock(&s->mu);
	return v;
}

/* Does file i's own archive entry hold its bytes (not a directory, not
 * a further name of another file)? */
static int
holds_bytes(const struct golden *g, size_t i)
{
	return !g->files[i].is_dir && g->files[i].link == (uint32_t)i;
}

/* Entry e's data into buf (size + 1 bytes: a byte more than the manifest
 * says shows the entry is longer) and its SHA-256 into sha. */
static int
read_hashed(struct golden *g, struct archive *a, const struct gentry *e,
    struct gdata *d, uint8_t *buf, uint64_t size, EVP_MD_CTX *md,
    uint8_t sha[32], char **cause)
{
	unsigned int	dlen;
	ssize_t		n = 0;

	EVP_DigestInit_ex(md, EVP_sha256(), NULL);
	while (d->pos <= size && (n = garchive_read(g, a, e, d, buf + d->pos,
	    size + 1 - d->pos, cause)) > 0)
		EVP_DigestUpdate(md, buf + d->pos - n, (size_t)n);
	EVP_DigestFinal_ex(md, sha, &dlen);
	return n < 0 ? -1 : 0;
}

/* Keep entry e's data for file i, then skip (and count) whatever more it
 * holds: check_entry compares the length. */
static int
scan_keep(struct gscan *s, struct archive *a, const struct gentry *e,
    size_t i, struct gdata *d, uint64_t *total, EVP_MD_CTX *md)
{
	struct golden		*g = s->g;
	struct gscan_kept	*k;

	s->kept = xreallocarray(s->kept, s->nkept + 1, sizeof *s->kept);
	k = &s->kept[s->nkept++];
	k->file = (uint32_t)i;
	k->data = xmalloc(g->files[i].size + 1);
	if (read_hashed(g, a, e, d, k->data, g->files[i].size, md, k->sha,
	    &s->cause) != 0)
		return -1;
	*total += d->pos;
	return garchive_skip(g, a, e, d, total, &s->cause);
}

static void *
scan_main(void *arg)
{
	struct gscan	*s = arg;
	struct golden	*g = s->g;
	struct archive	*a = NULL;
	struct gentry	 e;
	struct gfile	*f;
	struct gdata	 d;
	EVP_MD_CTX	*md = NULL;
	uint64_t	 total = 0, kept = 0, budget;
	size_t		 i;
	int		 r, v, keep = 0;

	memset(&e, 0, sizeof e);
	if (s->follow) {
		pthread_mutex_lock(&s->mu);
		while (!s->ready && !s->all && !atomic_load(&s->stop))
			pthread_cond_wait(&s->cv, &s->mu);
		keep = s->ready;
		pthread_mutex_unlock(&s->mu);
		hash_ctx(&md);
	}
	if (garchive_open(g, &a, &s->cause) != 0)
		goto out;
	/* The manifest again: the same entry golden_open read. */
	if ((r = garchive_next(g, a, &e, &s->cause)) <= 0 ||
	    strcmp(e.name, GOLDEN_MANIFEST) != 0) {
		if (r >= 0)
			set_cause(&s->cause, "%s changed since it was opened",
			    g->path);
		goto out;
	}
	/*
	 * Every entry is a line of the manifest (some 12 bytes and more),
	 * which names it and what it links to: entries that would keep more
	 * than the manifest's bytes make an altered archive, stopped here
	 * before they take more memory than its manifest did (a small
	 * archive of many long, repeated names inflates to gigabytes).
	 */
	budget = (e.size > 0 ? (uint64_t)e.size : 0) + 4096;
	memset(&d, 0, sizeof d);
	if (garchive_skip(g, a, &e, &d, NULL, &s->cause) != 0)
		goto out;
	while (!atomic_load(&s->stop) && (r = garchive_next(g, a, &e,
	    &s->cause)) > 0) {
		kept += strlen(e.name) + (e.link != NULL ? strlen(e.link) : 0) +
		    12;
		if (kept > budget) {
			set_cause(&s->cause, "%s: entry %u '%s' and those "
			    "before it are more than its manifest lists: the "
			    "archive was altered; refused", g->path, e.ordinal,
			    e.name);
			break;
		}
		s->v = xreallocarray(s->v, s->n + 1, sizeof *s->v);
		s->v[s->n].e = e;
		memset(&e, 0, sizeof e);
		e.ordinal = s->v[s->n].e.ordinal;
		memset(&d, 0, sizeof d);
		/* What is not in the index the check refuses. */
		v = 0;
		if (keep && (f = golden_index_find(g,
		    s->v[s->n].e.name)) != NULL &&
		    s->holder[i = (size_t)(f - g->files)] &&
		    (v = scan_verdict(s, i)) < 0) {
			if (v == -2)
				scan_kept_free(s);
			keep = v = 0;
		}
		if (v == 1)
			r = scan_keep(s, a, &s->v[s->n].e, i, &d, &total, md);
		else
			r = garchive_skip(g, a, &s->v[s->n].e, &d, &total,
			    &s->cause);
		s->v[s->n++].len = d.pos;
		if (r != 0)
			break;
	}
out:
	gentry_clear(&e);
	garchive_close(a);
	EVP_MD_CTX_free(md);
	return NULL;
}

static struct gscan *
scan_new(struct golden *g)
{
	struct gscan	*s;

	s = xcalloc(1, sizeof *s);
	s->g = g;
	atomic_init(&s->stop, 0);
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	return s;
}

static void
scan_free(struct gscan *s)
{
	size_t	i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		gentry_clear(&s->v[i].e);
	free(s->v);
	free(s->cause);
	scan_kept_free(s);
	free(s->holder);
	free(s->verdict);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

void
golden_scan_start(struct golden *g, int follow)
{
	struct gscan	*s;

	s = scan_new(g);
	s->follow = follow;
	if (pthread_create(&s->thread, NULL, scan_main, s) != 0) {
		/* No thread: golden_check scans in its own time. */
		scan_free(s);
		return;
	}
	g->scan = s;
}

static void
set_ready(struct gscan *s, void *arg)
{
	(void)arg;
	s->ready = 1;
}

/* The manifest is parsed: what the scan needs to follow the plan. */
static void
scan_ready(struct golden *g)
{
	struct gscan	*s = g->scan;
	size_t		 i;

	if (s == NULL || !s->follow)
		return;
	/* The scan reads no field of a gfile the plan writes. */
	s->holder = xcalloc(g->nfiles + 1, 1);
	for (i = 0; i < g->nfiles; i++)
		s->holder[i] = holds_bytes(g, i);
	s->verdict = xcalloc(g->nfiles + 1, 1);
	scan_signal(s, set_ready, NULL);
}

struct verdicts {
	size_t		 to, last;
	uint64_t	 need;
	int		 all;
};

static void
set_verdicts(struct gscan *s, void *arg)
{
	struct verdicts	*v = arg;

	s->decided = v->to;
	s->need = v->need;
	s->last = v->last;
	s->all = v->all;
}

void
golden_scan_verdicts(struct golden *g, size_t from, size_t to, int all)
{
	struct gscan	*s = g->scan;
	struct verdicts	 v;
	struct gfile	*f;
	size_t		 i;

	/* Only this thread sets ready and all. */
	if (s == NULL || !s->ready || s->all)
		return;
	v.need = s->need;
	v.last = s->last;
	for (i = from; i < to; i++) {
		f = &g->files[i];
		/* What apply may write: not the same, not refused. */
		if (!s->holder[i] || !f->selected || f->state == GS_SAME ||
		    f->state == GS_UNREADABLE)
			continue;
		s->verdict[i] = 1;
		v.need += f->size;
		v.last = i;
	}
	v.to = to;
	v.all = all;
	scan_signal(s, set_verdicts, &v);
}

static void
set_all(struct gscan *s, void *arg)
{
	(void)arg;
	s->all = 1;
}

/* The scan, finished (in this thread if none ran); NULL once taken. */
static struct gscan *
scan_take(struct golden *g, int stop)
{
	struct gscan	*s = g->scan;

	g->scan = NULL;
	if (s == NULL) {
		if (stop)
			return NULL;
		s = scan_new(g);
		scan_main(s);
		return s;
	}
	/* No verdict comes after this: a scan waiting for one goes on. */
	if (stop)
		atomic_store(&s->stop, 1);
	scan_signal(s, set_all, NULL);
	pthread_join(s->thread, NULL);
	return s;
}

void
golden_scan_stop(struct golden *g)
{
	scan_free(scan_take(g, 1));
}

/* One entry against the manifest. */
static int
check_entry(struct golden *g, const struct gscan_entry *se, size_t *next,
    char **cause)
{
	const struct gentry	*e = &se->e;
	struct gfile		*f, *t;
	char			*path, *p;

	if (*e->name == '\0' && e->is_dir)
		return 0;
	path = xstrdup(e->name);
	for (p = path; *p != '\0'; p++) {
		if (*p == '/')
			*p = '\\';
	}
	f = golden_index_find(g, path);
	free(path);
	if (f == NULL)
		return set_cause(cause, "%s: entry %u '%s' is not in the "
		    "archive's manifest: the archive was altered; refused",
		    g->path, e->ordinal, e->name);
	if (f->seen)
		return set_cause(cause, "%s: entry %u '%s' is in the archive "
		    "twice; refused", g->path, e->ordinal, e->name);
	if (f->is_dir != e->is_dir || (e->link != NULL) !=
	    (f->link != (uint32_t)(f - g->files)))
		return set_cause(cause, "%s: entry %u '%s' is not the %s its "
		    "manifest says; refused", g->path, e->ordinal, e->name,
		    f->is_dir ? "directory" : f->link != (uint32_t)(f -
		    g->files) ? "hard link" : "file");
	/* Apply streams the archive once, in the manifest's order, which
	 * capture writes; another order is an altered archive. */
	if ((size_t)(f - g->files) < *next)
		return set_cause(cause, "%s: entry %u '%s' is out of its "
		    "manifest's order: the archive was altered; refused",
		    g->path, e->ordinal, e->name);
	*next = (size_t)(f - g->files) + 1;
	f->seen = 1;
	f->entry = e->ordinal;
	if (f->is_dir)
		return 0;
	if (e->link != NULL) {
		t = &g->files[f->link];
		path = golden_fold(e->link);
		if (strcmp(path, t->key) != 0 || !t->seen) {
			free(path);
			return set_cause(cause, "%s: entry %u '%s' is a hard "
			    "link to '%s', not to the earlier '%s' its "
			    "manifest names; refused", g->path, e->ordinal,
			    e->name, e->link, t->path);
		}
		free(path);
		return 0;
	}
	if (e->size >= 0 && (uint64_t)e->size != f->size)
		return set_cause(cause, "%s: entry %u '%s' declares %lld "
		    "bytes, its manifest %llu; refused", g->path, e->ordinal,
		    e->name, (long long)e->size, (unsigned long long)f->size);
	if (se->len != f->size)
		return set_cause(cause, "%s: entry %u '%s' does not match its "
		    "manifest (size): the archive is damaged; refused",
		    g->path, e->ordinal, e->name);
	return 0;
}

/* The bytes the scan kept of files apply writes, checked as stash checks
 * them (check_entry compared their lengths); the rest are let go. */
static int
take_kept(struct golden *g, struct gscan *s, char **cause)
{
	struct gscan_kept	*k;
	struct gfile		*f;
	size_t			 i;

	for (i = 0; i < s->nkept; i++) {
		k = &s->kept[i];
		f = &g->files[k->file];
		if (!f->check || f->data != NULL)
			continue;
		if (memcmp(k->sha, f->sha, 32) != 0)
			return set_cause(cause, "%s: entry %u '%s' does not "
			    "match its manifest (SHA-256): the archive is "
			    "damaged; refused", g->path, f->entry, f->path);
		f->data = k->data;
		k->data = NULL;
	}
	return 0;
}

/* Keep (and check) the bytes of the files a small apply writes that the
 * scan did not keep: one pass up to the last of them. */
static int
stash(struct golden *g, char **cause)
{
	struct archive	*a = NULL;
	struct gentry	 e;
	struct gdata	 d;
	struct gfile	*f;
	EVP_MD_CTX	*md;
	uint32_t	*want, last = 0;
	uint8_t		 sha[32];
	size_t		 i;
	int		 r, ret = -1;

	/* Entry ordinal -> the file to keep. */
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->check && holds_bytes(g, i) && f->data == NULL &&
		    f->entry > last)
			last = f->entry;
	}
	if (last == 0)
		return 0;
	want = xcalloc((size_t)last + 1, sizeof *want);
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->check && holds_bytes(g, i) && f->data == NULL)
			want[f->entry] = (uint32_t)i + 1;
	}
	memset(&e, 0, sizeof e);
	hash_ctx(&md);
	if (garchive_open(g, &a, cause) != 0)
		goto out;
	while (e.ordinal < last && (r = garchive_next(g, a, &e, cause)) > 0) {
		memset(&d, 0, sizeof d);
		if (want[e.ordinal] == 0) {
			if (garchive_skip(g, a, &e, &d, NULL, cause) != 0)
				goto out;
			continue;
		}
		f = &g->files[want[e.ordinal] - 1];
		f->data = xmalloc(f->size + 1);
		if (read_hashed(g, a, &e, &d, f->data, f->size, md, sha,
		    cause) != 0)
			goto out;
		if (d.pos != f->size || memcmp(sha, f->sha, 32) != 0) {
			set_cause(cause, "%s: entry %u '%s' does not match its "
			    "manifest (%s): the archive is damaged; refused",
			    g->path, e.ordinal, e.name, d.pos != f->size ?
			    "size" : "SHA-256");
			goto out;
		}
	}
	if (e.ordinal < last) {
		if (*cause == NULL)
			set_cause(cause, "%s changed since it was checked",
			    g->path);
		goto out;
	}
	ret = 0;
out:
	gentry_clear(&e);
	garchive_close(a);
	EVP_MD_CTX_free(md);
	free(want);
	return ret;
}

int
golden_check(struct golden *g, golden_progress_fn progress, void *arg,
    char **cause)
{
	struct gscan	*s;
	uint64_t	 total = 0, need = 0;
	size_t		 i, n = 0, next = 0, nfiles = 0;
	int		 ret = -1;

	if (!g->manifest || g->checked) {
		golden_scan_stop(g);
		return 0;
	}
	for (i = 0; i < g->nfiles; i++) {
		g->files[i].seen = 0;
		nfiles += !g->files[i].is_dir;
		if (g->files[i].check)
			need += g->files[i].size;
	}
	s = scan_take(g, 0);
	for (i = 0; i < s->n; i++) {
		if (check_entry(g, &s->v[i], &next, cause) != 0)
			goto out;
		if (!s->v[i].e.is_dir) {
			total += s->v[i].len;
			golden_progress_call(progress, arg, "checking", ++n,
			    nfiles, total, g->total);
		}
	}
	if (s->cause != NULL) {
		*cause = s->cause;
		s->cause = NULL;
		goto out;
	}
	for (i = 0; i < g->nfiles; i++) {
		if (!g->files[i].seen) {
			set_cause(cause, "%s ends before '%s', which its "
			    "manifest lists: the archive is cut short; "
			    "refused", g->path, g->files[i].path);
			goto out;
		}
	}
	g->stash = need <= GOLDEN_STASH;
	if (g->stash && need > 0 && (take_kept(g, s, cause) != 0 ||
	    stash(g, cause) != 0))
		goto out;
	g->checked = 1;
	ret = 0;
out:
	scan_free(s);
	return ret;
}
