/*
 * golden-manifest.c: the manifest, the first entry of an archive golden
 * capture writes (GOLDEN_MANIFEST). JSON Lines: a header object, then one
 * object per directory and file in archive order:
 *
 *   {"schema":"ntmend.golden/1","source":{"product":...,"build":19045,
 *    "ubr":3803,"version":"10.0.19045.3803","architecture":"amd64",...},
 *    "captured":"2026-11-24T02:00:00Z","roots":["Windows\\servicing\\
 *    Packages",...],"files":N,"directories":M,"bytes":B}
 *   {"path":"Windows\\servicing\\Packages","type":"dir","attrs":16,
 *    "sd":"AQAEgBQAAAAk..."}
 *   {"path":"...\\x.mum","type":"file","size":3021,"sha256":"9f...",
 *    "attrs":32,"sd":"AQAEgBQ...","nlink":1}
 *   {"path":"Windows\\System32\\dot3gpui.dll","type":"file","size":...,
 *    "sha256":...,"link":"Windows\\WinSxS\\...\\dot3gpui.dll",...}
 *
 * One object a line, so a 100,000-file manifest is parsed a line at a
 * time (jansson has no streaming parser) and read with jq -c as it is.
 * "link" names the earlier file of the same MFT record, whose entry holds
 * the bytes; this one's entry is a tar hard link to it. "sd" is the
 * self-relative security descriptor as the volume stores it, base64.
 * Unknown keys are ignored, so later versions can add some.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "packages/golden-private.h"
#include "util/util.h"

static char *
b64_encode(const void *buf, size_t len)
{
	char	*out;

	out = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)out, buf, (int)len);
	return out;
}

/* Decode base64 (no line breaks); NULL when it is not base64. */
static uint8_t *
b64_decode(const char *s, size_t *lenp)
{
	uint8_t	*out;
	size_t	 len = strlen(s), pad = 0;
	int	 n;

	if (len == 0 || len % 4 != 0 || len > 4 * (NTM_MAX_GOLDEN_SD / 3 + 1))
		return NULL;
	if (s[len - 1] == '=')
		pad++;
	if (s[len - 2] == '=')
		pad++;
	out = xmalloc(len / 4 * 3 + 1);
	if ((n = EVP_DecodeBlock(out, (const unsigned char *)s, (int)len)) <
	    0 || (size_t)n < pad) {
		free(out);
		return NULL;
	}
	*lenp = (size_t)n - pad;
	return out;
}

static json_t *
jstr_or_null(const char *s)
{
	return s != NULL ? json_string(s) : json_null();
}

static char *
dump_line(json_t *o)
{
	char	*s, *line;

	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (s == NULL)
		fatal("out of memory writing a manifest line");
	line = xprintf("%s\n", s);
	free(s);
	return line;
}

char *
gmanifest_header(struct golden *g)
{
	const struct golden_source	*s = &g->src;
	json_t				*o, *src, *roots;
	struct tm			 tm;
	char				 iso[32], *v;
	size_t				 i, files = 0, dirs = 0;

	for (i = 0; i < g->nfiles; i++) {
		if (g->files[i].is_dir)
			dirs++;
		else
			files++;
	}
	gmtime_r(&s->captured, &tm);
	strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	v = s->build != 0 ? xprintf("10.0.%u.%u", s->build, s->ubr) : NULL;
	src = json_pack("{s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o}",
	    "product", jstr_or_null(s->product),
	    "edition", jstr_or_null(s->edition),
	    "display_version", jstr_or_null(s->display_version),
	    "build", (json_int_t)s->build, "ubr", (json_int_t)s->ubr,
	    "version", jstr_or_null(v),
	    "architecture", jstr_or_null(s->arch),
	    "computer_name", jstr_or_null(s->computer_name));
	free(v);
	roots = json_array();
	for (i = 0; i < g->nroots; i++)
		json_array_append_new(roots, json_string(g->roots[i]));
	o = json_pack("{s:s,s:o,s:s,s:o,s:I,s:I,s:I}", "schema",
	    GOLDEN_SCHEMA, "source", src, "captured", iso, "roots", roots,
	    "files", (json_int_t)files, "directories", (json_int_t)dirs,
	    "bytes", (json_int_t)g->total);
	return dump_line(o);
}

char *
gmanifest_line(struct golden *g, const struct gfile *f)
{
	json_t	*o;
	char	 hex[65], *sd;

	o = json_pack("{s:s,s:s}", "path", f->path, "type", f->is_dir ?
	    "dir" : "file");
	if (!f->is_dir) {
		golden_hex(f->sha, hex);
		json_object_set_new(o, "size", json_integer((json_int_t)
		    f->size));
		json_object_set_new(o, "sha256", json_string(hex));
	}
	json_object_set_new(o, "attrs", json_integer(f->attrs));
	if (f->sd != GOLDEN_NONE) {
		sd = b64_encode(g->sds[f->sd].buf, g->sds[f->sd].len);
		json_object_set_new(o, "sd", json_string(sd));
		free(sd);
	}
	if (!f->is_dir) {
		json_object_set_new(o, "nlink", json_integer(f->nlink));
		if (f->link != (uint32_t)(f - g->files))
			json_object_set_new(o, "link", json_string(
			    g->files[f->link].path));
	}
	return dump_line(o);
}

/* Parsing. */

struct mparse {
	struct golden	*g;
	size_t		 lineno;
	size_t		 want;		/* files + directories the header
					   promises */
	int		 header;
};

static int
mfail(struct mparse *m, char **cause, const char *what)
{
	return set_cause(cause, "%s: manifest line %zu %s; the archive is "
	    "refused", m->g->path, m->lineno, what);
}

/* A source string: shown by verify and in golden_check_source's cause,
 * so an escape sequence in a manifest from elsewhere must not reach the
 * terminal (utf8_show). */
static char *
mstrdup(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? utf8_show(s) : NULL;
}

static int
parse_header(struct mparse *m, json_t *o, char **cause)
{
	struct golden	*g = m->g;
	json_t		*src, *roots, *v;
	const char	*s, *why;
	struct tm	 tm;
	char		*path, *end;
	size_t		 i;

	s = json_string_value(json_object_get(o, "schema"));
	if (s == NULL || strncmp(s, "ntmend.golden/", 14) != 0)
		return mfail(m, cause, "is not an ntmend golden manifest");
	if (strcmp(s, GOLDEN_SCHEMA) != 0) {
		path = utf8_show(s);
		set_cause(cause, "%s: manifest schema %s is not %s: made by "
		    "another version of ntmend", g->path, path, GOLDEN_SCHEMA);
		free(path);
		return -1;
	}
	if (!json_is_object(src = json_object_get(o, "source")))
		return mfail(m, cause, "has no source");
	g->src.product = mstrdup(src, "product");
	g->src.edition = mstrdup(src, "edition");
	g->src.display_version = mstrdup(src, "display_version");
	g->src.arch = mstrdup(src, "architecture");
	g->src.computer_name = mstrdup(src, "computer_name");
	v = json_object_get(src, "build");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > UINT32_MAX)
		return mfail(m, cause, "has no source build");
	g->src.build = (uint32_t)json_integer_value(v);
	v = json_object_get(src, "ubr");
	if (json_is_integer(v) && json_integer_value(v) >= 0 &&
	    json_integer_value(v) <= UINT32_MAX)
		g->src.ubr = (uint32_t)json_integer_value(v);
	if ((s = json_string_value(json_object_get(o, "captured"))) != NULL) {
		memset(&tm, 0, sizeof tm);
		end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
		if (end != NULL && *end == '\0')
			g->src.captured = timegm(&tm);
	}
	if (!json_is_array(roots = json_object_get(o, "roots")) ||
	    json_array_size(roots) == 0 || json_array_size(roots) > 4096)
		return mfail(m, cause, "has no roots");
	for (i = 0; i < json_array_size(roots); i++) {
		s = json_string_value(json_array_get(roots, i));
		if (s == NULL || (path = golden_path_check(s, &why)) == NULL)
			return mfail(m, cause, "has a root that is not a path "
			    "ntmend writes to");
		if (*path == '\0') {
			free(path);
			return mfail(m, cause, "has the volume root as a "
			    "root");
		}
		g->roots = xreallocarray(g->roots, g->nroots + 1,
		    sizeof *g->roots);
		g->roots[g->nroots++] = path;
	}
	if (!json_is_integer(json_object_get(o, "files")) ||
	    !json_is_integer(json_object_get(o, "directories")))
		return mfail(m, cause, "has no file count");
	if (json_integer_value(json_object_get(o, "files")) < 0 ||
	    json_integer_value(json_object_get(o, "directories")) < 0 ||
	    json_integer_value(json_object_get(o, "files")) +
	    json_integer_value(json_object_get(o, "directories")) >
	    NTM_MAX_GOLDEN_ENTRIES)
		return mfail(m, cause, "promises more files than any copy of "
		    "servicing files has");
	m->want = (size_t)(json_integer_value(json_object_get(o, "files")) +
	    json_integer_value(json_object_get(o, "directories")));
	m->header = 1;
	return 0;
}

static int
parse_item(struct mparse *m, json_t *o, char **cause)
{
	struct golden	*g = m->g;
	struct gfile	*f, *t;
	const char	*s, *type, *why;
	json_t		*v;
	uint8_t		*sd;
	size_t		 sdlen;
	char		*path, *c = NULL;

	if ((s = json_string_value(json_object_get(o, "path"))) == NULL)
		return mfail(m, cause, "has no path");
	if ((path = golden_path_check(s, &why)) == NULL) {
		c = utf8_show(s);
		set_cause(cause, "%s: manifest line %zu: '%s' %s; the archive "
		    "is refused", g->path, m->lineno, c, why);
		free(c);
		return -1;
	}
	if (*path == '\0') {
		free(path);
		return mfail(m, cause, "names the volume root");
	}
	type = json_string_value(json_object_get(o, "type"));
	if (type == NULL || (strcmp(type, "file") != 0 &&
	    strcmp(type, "dir") != 0)) {
		free(path);
		return mfail(m, cause, "is neither a file nor a directory");
	}
	if (golden_index_add(g, path, &f, &c) != 0) {
		set_cause(cause, "%s: manifest line %zu: %s; the archive is "
		    "refused", g->path, m->lineno, c);
		free(c);
		return -1;
	}
	f->is_dir = strcmp(type, "dir") == 0;
	v = json_object_get(o, "attrs");
	if (v != NULL) {
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > UINT32_MAX)
			return mfail(m, cause, "has bad attributes");
		f->attrs = (uint32_t)json_integer_value(v);
	}
	if ((s = json_string_value(json_object_get(o, "sd"))) != NULL) {
		if ((sd = b64_decode(s, &sdlen)) == NULL)
			return mfail(m, cause, "has a security descriptor "
			    "that is not base64");
		if (!golden_sd_valid(sd, sdlen)) {
			free(sd);
			return mfail(m, cause, "has a security descriptor "
			    "that is not a self-relative one");
		}
		f->sd = golden_sd_add(g, sd, sdlen);
		free(sd);
	}
	if (f->is_dir)
		return 0;
	v = json_object_get(o, "size");
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > NTM_MAX_GOLDEN_FILE)
		return mfail(m, cause, "has no size or one larger than a "
		    "servicing file can be");
	f->size = (uint64_t)json_integer_value(v);
	if (golden_unhex(json_string_value(json_object_get(o, "sha256")),
	    f->sha) != 0)
		return mfail(m, cause, "has no SHA-256");
	f->has_sha = 1;
	v = json_object_get(o, "nlink");
	if (json_is_integer(v) && json_integer_value(v) > 0 &&
	    json_integer_value(v) < 65536)
		f->nlink = (uint32_t)json_integer_value(v);
	if ((s = json_string_value(json_object_get(o, "link"))) != NULL) {
		t = NULL;
		if ((path = golden_path_check(s, &why)) != NULL) {
			t = golden_index_find(g, path);
			free(path);
		}
		if (t == NULL || t == f || t->is_dir ||
		    t->link != (uint32_t)(t - g->files))
			return mfail(m, cause, "is a hard link to a file not "
			    "listed before it");
		if (t->size != f->size || memcmp(t->sha, f->sha, 32) != 0)
			return mfail(m, cause, "is a hard link with other "
			    "bytes than its file");
		f->link = (uint32_t)(t - g->files);
	} else {
		if ((g->total += f->size) > NTM_MAX_GOLDEN_TOTAL)
			return mfail(m, cause, "takes the archive past "
			    "64 GiB");
	}
	return 0;
}

static int
parse_line(struct mparse *m, char *line, size_t len, char **cause)
{
	json_error_t	 err;
	json_t		*o;
	int		 r;

	m->lineno++;
	if (len == 0)
		return mfail(m, cause, "is empty");
	if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err)) ==
	    NULL || !json_is_object(o)) {
		json_decref(o);
		return mfail(m, cause, "is not a JSON object");
	}
	if (!m->header)
		r = parse_header(m, o, cause);
	else if (m->g->nfiles >= m->want)
		r = mfail(m, cause, "is more than its header promises");
	else
		r = parse_item(m, o, cause);
	json_decref(o);
	return r;
}

int
gmanifest_read(struct golden *g, struct archive *a, const struct gentry *e,
    char **cause)
{
	struct mparse	 m;
	struct gdata	 d;
	struct gfile	*f, *p;
	uint8_t		*buf;
	char		*line, *nl, *start, *dir, *sep;
	size_t		 llen = 0, i, n;
	ssize_t		 got;
	int		 ret = -1;

	memset(&m, 0, sizeof m);
	memset(&d, 0, sizeof d);
	m.g = g;
	if (e->size < 0 || (uint64_t)e->size > NTM_MAX_GOLDEN_MANIFEST)
		return set_cause(cause, "%s: its manifest is larger than "
		    "%llu MiB; refused", g->path,
		    (unsigned long long)(NTM_MAX_GOLDEN_MANIFEST >> 20));
	buf = xmalloc(GOLDEN_CHUNK);
	line = xmalloc(NTM_MAX_GOLDEN_LINE);
	while ((got = garchive_read(g, a, e, &d, buf, GOLDEN_CHUNK,
	    cause)) > 0) {
		start = (char *)buf;
		n = (size_t)got;
		while (n > 0) {
			nl = memchr(start, '\n', n);
			i = nl != NULL ? (size_t)(nl - start) : n;
			if (llen + i > NTM_MAX_GOLDEN_LINE) {
				m.lineno++;
				mfail(&m, cause, "is too long");
				goto out;
			}
			memcpy(line + llen, start, i);
			llen += i;
			if (nl == NULL)
				break;
			if (parse_line(&m, line, llen, cause) != 0)
				goto out;
			llen = 0;
			start = nl + 1;
			n -= i + 1;
		}
	}
	if (got < 0)
		goto out;
	if (llen > 0 || !m.header || g->nfiles != m.want) {
		set_cause(cause, "%s: its manifest is cut short (%zu of %zu "
		    "entries); refused", g->path, g->nfiles, m.want);
		goto out;
	}
	/* A file cannot have files below it; a root must be listed. */
	for (i = 0; i < g->nfiles; i++) {
		f = &g->files[i];
		dir = xstrdup(f->path);
		while ((sep = strrchr(dir, '\\')) != NULL) {
			*sep = '\0';
			if ((p = golden_index_find(g, dir)) != NULL &&
			    !p->is_dir) {
				set_cause(cause, "%s: its manifest lists '%s' "
				    "below the file '%s'; refused", g->path,
				    f->path, p->path);
				free(dir);
				goto out;
			}
		}
		free(dir);
	}
	for (i = 0; i < g->nroots; i++) {
		if (golden_index_find(g, g->roots[i]) == NULL) {
			set_cause(cause, "%s: its manifest does not list its "
			    "root '%s'; refused", g->path, g->roots[i]);
			goto out;
		}
	}
	g->extras_scope = 1;
	ret = 0;
out:
	free(line);
	free(buf);
	return ret;
}
