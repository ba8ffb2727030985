/*
 * golden-plain.c: archives without ntmend's manifest, a zip, 7z or tar of
 * a folder copied from a working PC. Every entry is checked and hashed
 * (there is no manifest to compare with), then the folder is placed on
 * the volume by the first folder name Windows has in that place:
 *
 *   Windows\...      onto  Windows\...
 *   servicing\...    onto  Windows\servicing\...
 *   Packages\...     onto  Windows\servicing\Packages\...
 *   WinSxS\..., System32\..., SysWOW64\...  onto  Windows\<it>\...
 *
 * with any folders above that name dropped ("backup-PC7/Packages/x.mum"),
 * and an archive holding only .mum and .cat files in one folder (the
 * contents of Packages zipped) onto Windows\servicing\Packages. Every
 * entry must sit in the same place; an archive that mixes, or in which
 * no such name occurs, is refused rather than guessed at.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <archive.h>
#include <openssl/evp.h>

#include "packages/golden-private.h"
#include "util/util.h"

static const struct anchor {
	const char	*name;
	const char	*parent;	/* on the volume */
} anchors[] = {
	{ "Windows", "" },
	{ "servicing", "Windows" },
	{ "Packages", "Windows\\servicing" },
	{ "WinSxS", "Windows" },
	{ "System32", "Windows" },
	{ "SysWOW64", "Windows" },
	{ NULL, NULL }
};

/* Components of a normalized name ("a/b/c"), in place. */
static size_t
split(char *name, char **comp, size_t max)
{
	size_t	n = 0;
	char	*p;

	if (*name == '\0')
		return 0;
	comp[n++] = name;
	for (p = name; *p != '\0' && n < max; p++) {
		if (*p == '/') {
			*p = '\0';
			comp[n++] = p + 1;
		}
	}
	return n;
}

static const struct anchor *
anchor_of(const char *comp)
{
	const struct anchor	*an;

	for (an = anchors; an->name != NULL; an++) {
		if (strcasecmp(comp, an->name) == 0)
			return an;
	}
	return NULL;
}

/* "a/b/c" -> "a/b", "c" -> ""; caller frees. */
static char *
parent_of(const char *name)
{
	const char	*s = strrchr(name, '/');

	return s != NULL ? xstrndup(name, (size_t)(s - name)) : xstrdup("");
}

static int
is_manifest_file(const char *name)
{
	size_t	len = strlen(name);

	return len > 4 && (strcasecmp(name + len - 4, ".mum") == 0 ||
	    strcasecmp(name + len - 4, ".cat") == 0);
}

/* How archive names map onto the volume. */
struct pmap {
	char			*wrapper;	/* folders dropped, "a/b" or "" */
	size_t			 nwrap;		/* components of wrapper */
	const struct anchor	*anchor;	/* NULL: flat .mum/.cat */
	char			*aname;		/* the anchor as the archive
						   spells it */
};

static int
pmap_find(struct golden *g, struct pmap *pm, char **cause)
{
	char		*comp[NTM_MAX_GOLDEN_DEPTH + 1], *name, *dir;
	size_t		 i, k, n;
	struct gfile	*f, *first = NULL;

	memset(pm, 0, sizeof *pm);
	for (i = 0; i < g->nfiles && first == NULL; i++) {
		if (!g->files[i].is_dir)
			first = &g->files[i];
	}
	if (first == NULL)
		return set_cause(cause, "%s holds no files", g->path);
	name = xstrdup(first->path);
	n = split(name, comp, NTM_MAX_GOLDEN_DEPTH + 1);
	for (k = 0; k + 1 < n; k++) {
		if ((pm->anchor = anchor_of(comp[k])) != NULL)
			break;
	}
	if (pm->anchor != NULL) {
		pm->nwrap = k;
		pm->aname = xstrdup(comp[k]);
		dir = xstrdup(first->path);
		dir[k == 0 ? 0 : (size_t)(comp[k] - name) - 1] = '\0';
		pm->wrapper = dir;
		free(name);
		return 0;
	}
	free(name);
	/* The contents of Packages, zipped: .mum and .cat side by side. */
	dir = parent_of(first->path);
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		if (f->is_dir)
			continue;
		name = parent_of(f->path);
		k = strcasecmp(name, dir) == 0 && is_manifest_file(f->path);
		free(name);
		if (!k) {
			set_cause(cause, "%s: cannot tell where '%s' belongs on "
			    "the volume: a folder copy must hold a Windows, "
			    "servicing, Packages, WinSxS, System32 or SysWOW64 "
			    "folder (or only .mum and .cat files); refused",
			    g->path, f->path);
			free(dir);
			return -1;
		}
	}
	pm->wrapper = dir;
	pm->nwrap = *dir == '\0' ? 0 : 1;
	for (name = dir; *name != '\0'; name++)
		pm->nwrap += *name == '/';
	return 0;
}

/*
 * The volume path of an archive name; NULL for the folders above the
 * mapped one (dropped), and also with *bad set for a name elsewhere.
 */
static char *
pmap_apply(const struct pmap *pm, const char *aname, int is_dir, int *bad)
{
	char	*copy, *wcopy, *comp[NTM_MAX_GOLDEN_DEPTH + 1];
	char	*wcomp[NTM_MAX_GOLDEN_DEPTH + 1], *out, *p;
	size_t	 n, nw, i;

	*bad = 0;
	copy = xstrdup(aname);
	wcopy = xstrdup(pm->wrapper);
	n = split(copy, comp, NTM_MAX_GOLDEN_DEPTH + 1);
	nw = split(wcopy, wcomp, NTM_MAX_GOLDEN_DEPTH + 1);
	out = NULL;
	for (i = 0; i < n && i < nw; i++) {
		if (strcasecmp(comp[i], wcomp[i]) != 0)
			goto bad;
	}
	if (n <= nw) {
		/* The wrapper folders: dropped, except the one a flat
		 * archive's files are in, which is Packages. */
		if (!is_dir)
			goto bad;
		if (n == nw && pm->anchor == NULL)
			out = xstrdup("Windows\\servicing\\Packages");
		goto done;
	}
	if (pm->anchor != NULL) {
		if (strcasecmp(comp[nw], pm->anchor->name) != 0)
			goto bad;
		out = xstrdup(pm->anchor->parent);
	} else
		out = xstrdup("Windows\\servicing\\Packages");
	for (i = nw; i < n; i++) {
		p = xprintf("%s%s%s", out, *out != '\0' ? "\\" : "", comp[i]);
		free(out);
		out = p;
	}
	goto done;
bad:
	*bad = 1;
done:
	free(wcopy);
	free(copy);
	return out;
}

/* The deepest folder holding every file: what "extra" is looked for in. */
static char *
common_dir(struct golden *g)
{
	char	*common = NULL, *p;
	size_t	 i, k;

	for (i = 0; i < g->nfiles; i++) {
		if (g->files[i].is_dir && !g->files[i].explicit_dir)
			continue;
		if (common == NULL) {
			common = xstrdup(g->files[i].path);
			if (!g->files[i].is_dir &&
			    (p = strrchr(common, '\\')) != NULL)
				*p = '\0';
			continue;
		}
		for (k = 0; common[k] != '\0' && strncasecmp(common + k,
		    g->files[i].path + k, 1) == 0; k++)
			;
		if (common[k] == '\0' && (g->files[i].path[k] == '\\' ||
		    g->files[i].path[k] == '\0'))
			continue;
		while (k > 0 && common[k] != '\\')
			k--;
		common[k] = '\0';
	}
	return common != NULL ? common : xstrdup("");
}

static int
plain_map(struct golden *g, char **cause)
{
	struct pmap	 pm;
	struct gfile	*f;
	uint32_t	*newidx;
	char		**vps, *root, *show;
	size_t		 i, j, depth;
	int		 bad;

	if (pmap_find(g, &pm, cause) != 0)
		return -1;
	if (pm.anchor != NULL)
		show = xprintf("%s%s%s/", pm.wrapper, *pm.wrapper != '\0' ?
		    "/" : "", pm.aname);
	else if (*pm.wrapper != '\0')
		show = xprintf("%s/", pm.wrapper);
	else
		show = xstrdup("(the archive's top)");
	/* Every name mapped before the index is touched. */
	vps = xcalloc(g->nfiles + 1, sizeof *vps);
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		vps[i] = pmap_apply(&pm, f->path, f->is_dir, &bad);
		if (bad) {
			set_cause(cause, "%s: '%s' is outside the folder '%s' "
			    "the rest of the archive is in; pack one folder; "
			    "refused", g->path, f->path, show);
			while (i > 0)
				free(vps[--i]);
			free(vps);
			free(show);
			free(pm.wrapper);
			free(pm.aname);
			return -1;
		}
		if (vps[i] == NULL && f->link != (uint32_t)i)
			fatal("golden: a dropped folder is a link");
	}
	newidx = xreallocarray(NULL, g->nfiles, sizeof *newidx);
	for (i = j = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		free(f->path);
		free(f->key);
		if (vps[i] == NULL) {
			newidx[i] = GOLDEN_NONE;
			continue;
		}
		newidx[i] = (uint32_t)j;
		f->path = vps[i];
		f->key = golden_fold(vps[i]);
		g->files[j++] = *f;
	}
	free(vps);
	g->nfiles = j;
	for (i = 0; i < g->nfiles; i++)
		g->files[i].link = newidx[g->files[i].link];
	free(newidx);
	golden_index_rebuild(g);

	if (pm.anchor != NULL)
		g->mapping = xprintf("'%s' onto %s%s%s", show,
		    pm.anchor->parent, *pm.anchor->parent != '\0' ? "\\" : "",
		    pm.anchor->name);
	else if (*pm.wrapper != '\0')
		g->mapping = xprintf("'%s/' (only .mum and .cat files) onto "
		    "Windows\\servicing\\Packages", pm.wrapper);
	else
		g->mapping = xstrdup("the archive's top folder (only .mum and "
		    ".cat files) onto Windows\\servicing\\Packages");
	free(show);
	free(pm.wrapper);
	free(pm.aname);

	root = common_dir(g);
	for (depth = *root != '\0', i = 0; root[i] != '\0'; i++)
		depth += root[i] == '\\';
	/* "Windows" alone would make every other file of the installation
	 * an extra: extras are only looked for below that. */
	g->extras_scope = depth >= 2;
	g->roots = xcalloc(1, sizeof *g->roots);
	g->roots[0] = root;
	g->nroots = 1;
	return 0;
}

/* Folders implied by a name ("a/b/c": "a", "a/b") are indexed so that a
 * file cannot stand where another entry has a folder. */
static int
add_parents(struct golden *g, const char *name, char **cause)
{
	struct gfile	*f;
	char		*dir, *p;
	int		 ret = 0;

	dir = xstrdup(name);
	for (p = dir; ret == 0 && (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if ((f = golden_index_find(g, dir)) != NULL) {
			if (!f->is_dir)
				ret = set_cause(cause, "%s: '%s' is below '%s', "
				    "which is a file; refused", g->path, name,
				    f->path);
		} else if (golden_index_add(g, xstrdup(dir), &f, cause) == 0)
			f->is_dir = 1;
		else
			ret = -1;
		*p = '/';
	}
	free(dir);
	return ret;
}

int
garchive_plain(struct golden *g, struct archive *a, struct gentry *e,
    golden_progress_fn progress, void *arg, char **cause)
{
	struct gfile	*f, *t;
	struct gdata	 d;
	EVP_MD_CTX	*md;
	uint8_t		*buf;
	uint64_t	 total = 0;
	unsigned int	 dlen;
	size_t		 nfiles = 0;
	ssize_t		 n;
	char		*c = NULL;
	int		 r = 1, ret = -1;

	if ((md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	buf = xmalloc(GOLDEN_CHUNK);
	for (; r > 0; r = garchive_next(g, a, e, cause)) {
		if (*e->name == '\0')
			continue;	/* "./": the archive's top */
		if (strcasecmp(e->name, GOLDEN_MANIFEST) == 0) {
			set_cause(cause, "%s: entry %u is an ntmend manifest "
			    "but not the first entry: the archive was "
			    "altered; refused", g->path, e->ordinal);
			goto out;
		}
		if (add_parents(g, e->name, cause) != 0)
			goto out;
		if ((f = golden_index_find(g, e->name)) != NULL &&
		    e->is_dir && f->is_dir && !f->explicit_dir) {
			/* A folder listed after files inside it. */
			f->explicit_dir = 1;
			f->entry = e->ordinal;
			continue;
		}
		if (golden_index_add(g, xstrdup(e->name), &f, &c) != 0) {
			set_cause(cause, "%s: entry %u: %s; refused", g->path,
			    e->ordinal, c);
			free(c);
			goto out;
		}
		f->entry = e->ordinal;
		f->seen = 1;
		if (e->is_dir) {
			f->is_dir = f->explicit_dir = 1;
			continue;
		}
		if (e->link != NULL) {
			t = golden_index_find(g, e->link);
			if (t == NULL || t->is_dir || t == f) {
				set_cause(cause, "%s: entry %u '%s' is a hard "
				    "link to '%s', which is not a file earlier "
				    "in the archive; refused", g->path,
				    e->ordinal, e->name, e->link);
				goto out;
			}
			f->link = t->link;
			f->size = t->size;
			memcpy(f->sha, t->sha, 32);
			f->has_sha = 1;
			continue;
		}
		memset(&d, 0, sizeof d);
		EVP_DigestInit_ex(md, EVP_sha256(), NULL);
		while ((n = garchive_read(g, a, e, &d, buf, GOLDEN_CHUNK,
		    cause)) > 0) {
			EVP_DigestUpdate(md, buf, (size_t)n);
			if ((total += (uint64_t)n) > NTM_MAX_GOLDEN_TOTAL) {
				set_cause(cause, "%s: more than %llu GiB of "
				    "data; refused", g->path,
				    (unsigned long long)(NTM_MAX_GOLDEN_TOTAL >>
				    30));
				goto out;
			}
		}
		if (n < 0)
			goto out;
		EVP_DigestFinal_ex(md, f->sha, &dlen);
		f->has_sha = 1;
		f->size = d.pos;
		g->total += d.pos;
		golden_progress_call(progress, arg, "reading", ++nfiles, 0,
		    total, 0);
	}
	if (r < 0)
		goto out;
	if (plain_map(g, cause) != 0)
		goto out;
	g->checked = 1;
	ret = 0;
out:
	free(buf);
	EVP_MD_CTX_free(md);
	return ret;
}
