/*
 * reg.c: .reg files as regedit writes and reads them.
 *
 * Import is two steps: reg_parse turns the whole file into a list of
 * operations (or fails naming a line, having applied nothing), then
 * reg_apply writes the operations under one root key into a hivex handle.
 * reg_export writes a subtree as regedit's own export does, byte for byte
 * (UTF-16LE with BOM, CRLF, its escapes and its hex line wrapping), so
 * that export -> import -> export is the identity.
 *
 * The grammar follows what Windows accepts, as Wine's regedit and reg.exe
 * tests record it (they pass on Windows): blanks around '=', ';' comments
 * after data, "dword:" with 1 to 8 digits, hex bytes continued by a '\'
 * that follows a comma, comment and blank lines inside a continuation.
 * Where Windows silently ignores a malformed value line, ntmend refuses
 * the file instead: a repair that half applies a settings file is worse
 * than one that says which line is wrong.
 */

#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "util/util.h"

/* Windows' own limits (Registry element size limits, MSDN): a key name
 * is at most 255 characters, a value name 16383, a tree 512 levels. */
#define NTM_MAX_REG_KEY_NAME	255
#define NTM_MAX_REG_VALUE_NAME	16383
#define NTM_MAX_REG_DEPTH	512
/* A full key path is an NT object name, a UNICODE_STRING: at most 32767
 * UTF-16 units. */
#define NTM_MAX_REG_PATH	32767
/* hivex (1.3.23) writes a value's data as one cell whatever its size, but
 * Windows reads data above 16344 bytes in a version 1.4+ hive (every hive
 * of Windows XP and later) as a big-data "db" record: larger data written
 * by hivex would be garbage to Windows. The regipy SYSTEM hive in
 * testdata holds 8 such values (AppCompatCache: 197444 bytes). */
#define NTM_MAX_REG_CELL_DATA	16344

#define REG_HEADER5	"Windows Registry Editor Version 5.00"
#define REG_HEADER4	"REGEDIT4"

#define REG_NITEMS(a)	(sizeof (a) / sizeof (a)[0])

/* Growable byte buffer. */
struct rbuf {
	uint8_t		*b;
	size_t		 len;
	size_t		 cap;
};

static void
rbuf_need(struct rbuf *rb, size_t more)
{
	size_t	cap;

	if (more <= rb->cap - rb->len)
		return;
	cap = rb->cap == 0 ? 256 : rb->cap;
	while (cap - rb->len < more) {
		if (cap > SIZE_MAX / 2)
			fatal("rbuf_need: %zu bytes", rb->len);
		cap *= 2;
	}
	rb->b = xrealloc(rb->b, cap);
	rb->cap = cap;
}

static void
rbuf_add(struct rbuf *rb, const void *p, size_t n)
{
	if (n == 0)
		return;
	rbuf_need(rb, n);
	memcpy(rb->b + rb->len, p, n);
	rb->len += n;
}

static void
rbuf_byte(struct rbuf *rb, uint8_t c)
{
	rbuf_need(rb, 1);
	rb->b[rb->len++] = c;
}

/* Append a code point as UTF-8. */
static void
rbuf_utf8(struct rbuf *rb, uint32_t cp)
{
	uint8_t	out[4];
	size_t	n;

	if (cp < 0x80) {
		out[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		out[0] = (uint8_t)(0xc0 | cp >> 6);
		out[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		out[0] = (uint8_t)(0xe0 | cp >> 12);
		out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		out[0] = (uint8_t)(0xf0 | cp >> 18);
		out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
		out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
		out[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	rbuf_add(rb, out, n);
}

static void
rbuf_u16(struct rbuf *rb, uint16_t u)
{
	rbuf_need(rb, 2);
	le16enc(rb->b + rb->len, u);
	rb->len += 2;
}

/* Append an ASCII string as UTF-16LE. */
static void
rbuf_u16_ascii(struct rbuf *rb, const char *s)
{
	while (*s != '\0')
		rbuf_u16(rb, (uint8_t)*s++);
}

/* Return the contents as a NUL-terminated string; the buffer is reset. */
static char *
rbuf_string(struct rbuf *rb)
{
	char	*s;

	rbuf_byte(rb, '\0');
	s = (char *)rb->b;
	memset(rb, 0, sizeof *rb);
	return s;
}

/* Decode one strict UTF-8 sequence (n bytes available): its length, or 0
 * if invalid, overlong, a surrogate or cut short. */
static size_t
reg_utf8_get(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t		len, i;
	uint32_t	min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		*cp = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		*cp = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		*cp = s[0] & 0x07;
		min = 0x10000;
	} else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* UTF-16 units of a UTF-8 string, one at a time (bad bytes: U+FFFD). */
struct reg_u16it {
	const uint8_t	*s;
	const uint8_t	*end;
	uint16_t	 low;		/* pending low surrogate, 0 if none */
};

static void
reg_u16it_init(struct reg_u16it *it, const char *s, size_t len)
{
	it->s = (const uint8_t *)s;
	it->end = it->s + len;
	it->low = 0;
}

static int
reg_u16it_next(struct reg_u16it *it)
{
	uint32_t	cp;
	size_t		n;
	int		u;

	if (it->low != 0) {
		u = it->low;
		it->low = 0;
		return u;
	}
	if (it->s >= it->end)
		return -1;
	if ((n = reg_utf8_get(it->s, (size_t)(it->end - it->s), &cp)) == 0) {
		cp = 0xfffd;
		n = 1;
	}
	it->s += n;
	if (cp >= 0x10000) {
		cp -= 0x10000;
		it->low = (uint16_t)(0xdc00 | (cp & 0x3ff));
		return (int)(0xd800 | (cp >> 10));
	}
	return (int)cp;
}

/* Number of UTF-16 units of len bytes of UTF-8. */
static size_t
reg_units(const char *s, size_t len)
{
	struct reg_u16it	it;
	size_t			n = 0;

	reg_u16it_init(&it, s, len);
	while (reg_u16it_next(&it) != -1)
		n++;
	return n;
}

static int
reg_is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((uint8_t)*s >= 0x80)
			return 0;
	}
	return 1;
}

/*
 * A piece of file text for a message: at most max bytes, cut at a UTF-8
 * boundary, control characters shown as '?' so a hostile file cannot
 * drive the terminal. Caller frees.
 */
static char *
reg_excerpt_max(const char *s, size_t len, size_t max)
{
	struct rbuf	rb = { 0 };
	size_t		i = 0, n;
	uint32_t	cp;

	while (i < len) {
		if (rb.len >= max) {
			rbuf_add(&rb, "...", 3);
			break;
		}
		n = reg_utf8_get((const uint8_t *)s + i, len - i, &cp);
		if (n == 0 || cp < 0x20 || cp == 0x7f) {
			rbuf_byte(&rb, '?');
			i += n == 0 ? 1 : n;
			continue;
		}
		rbuf_add(&rb, s + i, n);
		i += n;
	}
	return rbuf_string(&rb);
}

static char *
reg_excerpt(const char *s, size_t len)
{
	return reg_excerpt_max(s, len, 48);
}

/* A key path for a message (they can be long, but the tail matters). */
static char *
reg_key_excerpt(const char *s)
{
	return reg_excerpt_max(s, strlen(s), 240);
}

/* Keep the first NTM_MAX_REG_WARNINGS messages, count all. */
static void reg_warn(char ***list, size_t *n, size_t *total, const char *fmt,
    ...) NTM_PRINTF(4, 5);

static void
reg_warn(char ***list, size_t *n, size_t *total, const char *fmt, ...)
{
	va_list	ap;

	(*total)++;
	if (*n >= NTM_MAX_REG_WARNINGS)
		return;
	*list = xreallocarray(*list, *n + 1, sizeof **list);
	va_start(ap, fmt);
	xvasprintf(&(*list)[*n], fmt, ap);
	va_end(ap);
	(*n)++;
}

static void
reg_strings_free(char **list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

/* Root keys as .reg files name them; the abbreviations are reg.exe's. */
static const struct {
	const char	*name;
	const char	*abbrev;
} reg_roots[] = {
	{ "HKEY_LOCAL_MACHINE", "HKLM" },
	{ "HKEY_CURRENT_USER", "HKCU" },
	{ "HKEY_CLASSES_ROOT", "HKCR" },
	{ "HKEY_USERS", "HKU" },
	{ "HKEY_CURRENT_CONFIG", "HKCC" },
};

static void
reg_comps_free(char **comps, size_t n)
{
	reg_strings_free(comps, n);
}

/*
 * Split a key path at '\' into components. Empty components are
 * dropped: regedit opens "[HKEY_CURRENT_USER\Foo\]" and "Foo\\" as Foo
 * (RegCreateKeyEx does). With has_root, the first component must be a
 * root key and becomes its long name; without, the path may be empty. Bounded by NTM_MAX_REG_PATH and
 * NTM_MAX_REG_DEPTH; each component by NTM_MAX_REG_KEY_NAME.
 */
static int
reg_key_split(const char *path, int has_root, char ***compsp, size_t *np,
    char **cause)
{
	char		**comps = NULL, *ex;
	const char	 *p, *q;
	size_t		  n = 0, i;

	*compsp = NULL;
	*np = 0;
	if (reg_units(path, strlen(path)) > NTM_MAX_REG_PATH)
		return set_cause(cause, "key path longer than %d characters",
		    NTM_MAX_REG_PATH);
	for (p = path; *p != '\0'; p = q) {
		if ((q = strchr(p, '\\')) == NULL)
			q = p + strlen(p);
		if (q != p) {
			if (reg_units(p, (size_t)(q - p)) >
			    NTM_MAX_REG_KEY_NAME) {
				ex = reg_excerpt(p, (size_t)(q - p));
				set_cause(cause, "key name \"%s\" is longer "
				    "than %d characters", ex,
				    NTM_MAX_REG_KEY_NAME);
				free(ex);
				goto fail;
			}
			if (n > NTM_MAX_REG_DEPTH) {
				set_cause(cause, "key path deeper than %d "
				    "levels", NTM_MAX_REG_DEPTH);
				goto fail;
			}
			comps = xreallocarray(comps, n + 1, sizeof *comps);
			comps[n++] = xstrndup(p, (size_t)(q - p));
		}
		if (*q == '\\')
			q++;
	}
	if (!has_root) {
		*compsp = comps;
		*np = n;
		return 0;
	}
	if (n == 0) {
		set_cause(cause, "empty key path");
		goto fail;
	}
	for (i = 0; i < REG_NITEMS(reg_roots); i++) {
		if (strcasecmp(comps[0], reg_roots[i].name) == 0 ||
		    strcasecmp(comps[0], reg_roots[i].abbrev) == 0)
			break;
	}
	if (i == REG_NITEMS(reg_roots)) {
		ex = reg_excerpt(comps[0], strlen(comps[0]));
		set_cause(cause, "unknown root key \"%s\" (HKEY_LOCAL_MACHINE, "
		    "HKEY_CURRENT_USER, HKEY_CLASSES_ROOT, HKEY_USERS, "
		    "HKEY_CURRENT_CONFIG or HKLM, HKCU, HKCR, HKU, HKCC)", ex);
		free(ex);
		goto fail;
	}
	free(comps[0]);
	comps[0] = xstrdup(reg_roots[i].name);
	*compsp = comps;
	*np = n;
	return 0;

fail:
	reg_comps_free(comps, n);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Parsing. */

struct reg_parser {
	struct reg_file	*rf;
	char		*text;		/* the file as UTF-8, NUL-free */
	size_t		 textlen;
	const char	*pos;		/* next line */
	const char	*end;
	size_t		 lineno;	/* line last returned, 1-based */
	size_t		 opscap;
	size_t		 keyscap;
	const char	*key;		/* current key line, NULL before one */
	int		 key_deleted;	/* it was [-KEY] */
};

static void
reg_parse_warn(struct reg_parser *p, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
reg_parse_warn(struct reg_parser *p, const char *fmt, ...)
{
	struct reg_file	*rf = p->rf;
	va_list		 ap;
	char		*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	reg_warn(&rf->warnings, &rf->nwarnings, &rf->warnings_total, "%s", s);
	free(s);
}

/*
 * Windows-1252, what regedit's ANSI files are on Western installations
 * (REGEDIT4 exports, Notepad's "ANSI"); 0x80-0x9f differ from Latin-1.
 * The five unassigned bytes map to the C1 controls, as MultiByteToWideChar
 * does.
 */
static const uint16_t reg_cp1252[32] = {
	0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0x008d, 0x017d, 0x008f,
	0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178
};

static uint32_t
reg_cp1252_get(uint8_t c)
{
	if (c >= 0x80 && c < 0xa0)
		return reg_cp1252[c - 0x80];
	return c;
}

/* Does the text start, after blanks, with the REGEDIT4 header? */
static int
reg_is_regedit4(const uint8_t *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		len--;
	}
	return len >= strlen(REG_HEADER4) &&
	    memcmp(s, REG_HEADER4, strlen(REG_HEADER4)) == 0;
}

/* Count a line break at b[i] (CRLF, LF or a lone CR) for messages. */
static size_t
reg_line_step(const uint8_t *b, size_t i, size_t len)
{
	if (b[i] == '\n')
		return 1;
	if (b[i] == '\r' && (i + 1 >= len || b[i + 1] != '\n'))
		return 1;
	return 0;
}

static int
reg_decode_utf16(struct reg_parser *p, const uint8_t *b, size_t len,
    struct rbuf *out, char **cause)
{
	size_t		i, line = 1, lone = 0;
	uint32_t	u, lo;

	if (len % 2 != 0)
		return set_cause(cause, "UTF-16 file with an odd number of "
		    "bytes (cut short?)");
	/* Some editors leave NUL padding at the end. */
	while (len >= 2 && b[len - 2] == 0 && b[len - 1] == 0)
		len -= 2;
	for (i = 0; i < len; i += 2) {
		u = le16dec(b + i);
		if (u == 0)
			return set_cause(cause, "line %zu: NUL character", line);
		if (u == '\n' || (u == '\r' &&
		    (i + 2 >= len || le16dec(b + i + 2) != '\n')))
			line++;
		if (u >= 0xd800 && u <= 0xdbff && i + 2 < len) {
			lo = le16dec(b + i + 2);
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (lo - 0xdc00);
				i += 2;
			}
		}
		if (u >= 0xd800 && u <= 0xdfff) {
			if (lone++ == 0)
				reg_parse_warn(p, "line %zu: unpaired UTF-16 "
				    "surrogate replaced by U+FFFD", line);
			u = 0xfffd;
		}
		rbuf_utf8(out, u);
	}
	return 0;
}

static int
reg_decode_utf8(const uint8_t *b, size_t len, struct rbuf *out, char **cause)
{
	size_t		i = 0, n, line = 1;
	uint32_t	cp;

	while (i < len) {
		if (b[i] == 0)
			return set_cause(cause, "line %zu: NUL character", line);
		if ((n = reg_utf8_get(b + i, len - i, &cp)) == 0)
			return set_cause(cause, "line %zu: invalid UTF-8", line);
		line += reg_line_step(b, i, len);
		i += n;
	}
	rbuf_add(out, b, len);
	return 0;
}

static int
reg_valid_utf8(const uint8_t *b, size_t len)
{
	size_t		i = 0, n;
	uint32_t	cp;

	while (i < len) {
		if ((n = reg_utf8_get(b + i, len - i, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

/*
 * Turn the file into UTF-8 text. regedit saves UTF-16LE with a BOM
 * ("Windows Registry Editor Version 5.00") or ANSI (REGEDIT4); people
 * also hand over UTF-8 files from other editors. A file without BOM is
 * read as UTF-8 when it is valid UTF-8 and as Windows-1252 otherwise
 * (Notepad's "ANSI" with a 5.00 header); REGEDIT4 files are always ANSI.
 */
static int
reg_decode(struct reg_parser *p, const uint8_t *b, size_t len, char **cause)
{
	struct reg_file	*rf = p->rf;
	struct rbuf	 out = { 0 };
	size_t		 i, line;

	if (len >= 2 && b[0] == 0xfe && b[1] == 0xff) {
		set_cause(cause, "UTF-16 big-endian file: regedit reads only "
		    "UTF-16LE");
		goto fail;
	}
	if (len >= 2 && b[0] == 0xff && b[1] == 0xfe) {
		rf->encoding = REG_ENC_UTF16LE;
		if (reg_decode_utf16(p, b + 2, len - 2, &out, cause) != 0)
			goto fail;
	} else if (len >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf) {
		rf->encoding = REG_ENC_UTF8_BOM;
		while (len > 3 && b[len - 1] == 0)
			len--;
		if (reg_decode_utf8(b + 3, len - 3, &out, cause) != 0)
			goto fail;
	} else {
		if (len >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 &&
		    b[3] == 0) {
			set_cause(cause, "UTF-16 file without a byte order "
			    "mark: regedit needs the FF FE BOM");
			goto fail;
		}
		while (len > 0 && b[len - 1] == 0)
			len--;
		for (i = 0, line = 1; i < len; i++) {
			if (b[i] == 0) {
				set_cause(cause, "line %zu: NUL character",
				    line);
				goto fail;
			}
			line += reg_line_step(b, i, len);
		}
		if (!reg_is_regedit4(b, len) && reg_valid_utf8(b, len)) {
			rf->encoding = REG_ENC_UTF8;
			rbuf_add(&out, b, len);
		} else {
			rf->encoding = REG_ENC_ANSI;
			for (i = 0; i < len; i++)
				rbuf_utf8(&out, reg_cp1252_get(b[i]));
		}
	}
	p->textlen = out.len;
	p->text = rbuf_string(&out);
	return 0;

fail:
	free(out.b);
	return -1;
}

static const char *
reg_skip_blanks(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *
reg_trim_blanks(const char *s, const char *e)
{
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return e;
}

static int
reg_is_xdigit(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
reg_xdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return c - 'A' + 10;
}

/* The next physical line: 1 and [*s, *e), 0 at the end, -1 if too long. */
static int
reg_next_line(struct reg_parser *p, const char **s, const char **e,
    char **cause)
{
	const char	*q;

	if (p->pos >= p->end)
		return 0;
	p->lineno++;
	for (q = p->pos; q < p->end && *q != '\n' && *q != '\r'; q++)
		/* nothing */;
	if ((size_t)(q - p->pos) > NTM_MAX_REG_LINE)
		return set_cause(cause, "line %zu: longer than %zu bytes",
		    p->lineno, (size_t)NTM_MAX_REG_LINE);
	*s = p->pos;
	*e = q;
	if (q < p->end) {
		if (*q == '\r' && q + 1 < p->end && q[1] == '\n')
			q += 2;
		else
			q++;
	}
	p->pos = q;
	return 1;
}

/* The header is the first line, after blanks; Windows compares it
 * exactly ("WINDOWS REGISTRY EDITOR VERSION 5.00" is refused). */
static int
reg_header(struct reg_parser *p, char **cause)
{
	const char	*s, *e, *t;
	char		*ex;
	size_t		 n;
	int		 r;

	if ((r = reg_next_line(p, &s, &e, cause)) <= 0) {
		if (r == 0)
			set_cause(cause, "empty file: not a .reg file");
		return -1;
	}
	/* A second BOM, from tools that add one to a file that had one. */
	if (e - s >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	s = reg_skip_blanks(s, e);
	e = reg_trim_blanks(s, e);
	n = (size_t)(e - s);
	if (n == strlen(REG_HEADER5) && memcmp(s, REG_HEADER5, n) == 0) {
		p->rf->version = 5;
		return 0;
	}
	if (n == strlen(REG_HEADER4) && memcmp(s, REG_HEADER4, n) == 0) {
		p->rf->version = 4;
		return 0;
	}
	t = "REGEDIT";
	if (n == strlen(t) && memcmp(s, t, n) == 0)
		return set_cause(cause, "line 1: Windows 3.1 REGEDIT files "
		    "are not supported");
	ex = reg_excerpt(s, n);
	set_cause(cause, "line 1: not a .reg file: \"%s\" is neither \""
	    REG_HEADER5 "\" nor \"" REG_HEADER4 "\"", ex);
	free(ex);
	return -1;
}

static struct reg_op *
reg_op_add(struct reg_parser *p, enum reg_op_type type, char **cause)
{
	struct reg_file	*rf = p->rf;
	struct reg_op	*op;

	if (rf->nops >= NTM_MAX_REG_OPS) {
		set_cause(cause, "line %zu: more than %zu keys and values",
		    p->lineno, (size_t)NTM_MAX_REG_OPS);
		return NULL;
	}
	if (rf->nops == p->opscap) {
		p->opscap = p->opscap == 0 ? 64 : p->opscap * 2;
		rf->ops = xreallocarray(rf->ops, p->opscap, sizeof *rf->ops);
	}
	op = &rf->ops[rf->nops++];
	memset(op, 0, sizeof *op);
	op->type = type;
	op->key = p->key;
	op->line = p->lineno;
	return op;
}

/* "[KEY]" or "[-KEY]"; s is just after the '['. */
static int
reg_parse_key(struct reg_parser *p, const char *s, const char *e,
    char **cause)
{
	struct reg_file	 *rf = p->rf;
	const char	 *close = NULL, *q;
	char		**comps, *key, *why = NULL;
	size_t		  n;
	int		  del = 0;

	/* The name ends at the last ']' (key names may hold ']'). */
	for (q = s; q < e; q++) {
		if (*q == ']')
			close = q;
	}
	if (close == NULL)
		return set_cause(cause, "line %zu: key name without a "
		    "closing ]", p->lineno);
	q = reg_skip_blanks(close + 1, e);
	if (q < e && *q != ';')
		reg_parse_warn(p, "line %zu: text after ] ignored", p->lineno);
	if (s < close && *s == '-') {
		del = 1;
		s++;
	}
	if (s == close)
		return set_cause(cause, "line %zu: empty key name", p->lineno);
	/* regedit ignores "[ HKEY_...]" and then writes the values that
	 * follow into the previous key: refuse rather than guess. */
	if (*s == ' ' || *s == '\t')
		return set_cause(cause, "line %zu: blank before the key name "
		    "(regedit ignores such a key line)", p->lineno);
	key = xstrndup(s, (size_t)(close - s));
	if (reg_key_split(key, 1, &comps, &n, &why) != 0) {
		set_cause(cause, "line %zu: %s", p->lineno, why);
		free(why);
		free(key);
		return -1;
	}
	reg_comps_free(comps, n);
	if (del && n == 1) {
		why = reg_excerpt(key, strlen(key));
		set_cause(cause, "line %zu: [-%s] would delete a root key",
		    p->lineno, why);
		free(why);
		free(key);
		return -1;
	}
	if (rf->nkeys == p->keyscap) {
		p->keyscap = p->keyscap == 0 ? 16 : p->keyscap * 2;
		rf->keys = xreallocarray(rf->keys, p->keyscap,
		    sizeof *rf->keys);
	}
	rf->keys[rf->nkeys++] = key;
	p->key = key;
	p->key_deleted = del;
	if (reg_op_add(p, del ? REG_OP_KEY_DELETE : REG_OP_KEY_CREATE,
	    cause) == NULL)
		return -1;
	return 0;
}

/*
 * A quoted string, s just after the opening quote: regedit's escapes
 * \\ and \", and \n, \r as Wine's regedit reads them (Windows never
 * writes them: reg_export uses hex(1) for such strings). Another
 * character after '\' stands for itself, the backslash dropped as
 * regedit does, with a warning: hand-written files often hold
 * "C:\Program Files" where "C:\\Program Files" was meant. *rest gets
 * the position after the closing quote; out gets UTF-8.
 */
static int
reg_unescape(struct reg_parser *p, const char *s, const char *e,
    const char **rest, struct rbuf *out, char **cause)
{
	int	warned = 0;

	while (s < e && *s != '"') {
		if (*s != '\\') {
			rbuf_byte(out, (uint8_t)*s++);
			continue;
		}
		if (++s == e)
			break;
		switch (*s) {
		case '\\':
		case '"':
			rbuf_byte(out, (uint8_t)*s);
			break;
		case 'n':
			rbuf_byte(out, '\n');
			break;
		case 'r':
			rbuf_byte(out, '\r');
			break;
		case '0':
			return set_cause(cause, "line %zu: \\0 in a string "
			    "(regedit refuses it)", p->lineno);
		default:
			if (!warned++)
				reg_parse_warn(p, "line %zu: unknown escape "
				    "\\%c: the backslash is dropped, as regedit "
				    "does (write \\\\ for a backslash)",
				    p->lineno, *s >= 0x20 && *s < 0x7f ? *s :
				    '?');
			rbuf_byte(out, (uint8_t)*s);
			break;
		}
		s++;
	}
	if (s == e)
		return set_cause(cause, "line %zu: string without a closing "
		    "quote", p->lineno);
	if (out->len > NTM_MAX_REG_VALUE)
		return set_cause(cause, "line %zu: string longer than %zu "
		    "bytes", p->lineno, (size_t)NTM_MAX_REG_VALUE);
	*rest = s + 1;
	return 0;
}

/* Nothing but blanks and a ';' comment may follow data. */
static int
reg_data_end(struct reg_parser *p, const char *s, const char *e,
    char **cause)
{
	char	*ex;

	s = reg_skip_blanks(s, e);
	if (s == e || *s == ';')
		return 0;
	ex = reg_excerpt(s, (size_t)(e - s));
	set_cause(cause, "line %zu: unexpected \"%s\" after the data",
	    p->lineno, ex);
	free(ex);
	return -1;
}

/*
 * Comma-separated hex bytes, continued onto the next line by a '\' at an
 * item start (first thing, or after a comma): "hex:11,22,\" then
 * "  33". Blank and ';' lines inside a continuation are skipped; the end
 * of the file ends the value; a trailing comma is allowed. This is what
 * Windows accepts (Wine's reg.exe tests); anything else is an error.
 */
static int
reg_parse_hex(struct reg_parser *p, const char *s, const char *e,
    struct rbuf *data, char **cause)
{
	const char	*t;
	size_t		 first = p->lineno, digits;
	int		 r, v;

	for (;;) {
		s = reg_skip_blanks(s, e);
		if (s == e || *s == ';')
			return 0;
		if (*s == '\\') {
			if (reg_data_end(p, s + 1, e, cause) != 0)
				return -1;
			for (;;) {
				if ((r = reg_next_line(p, &s, &e, cause)) < 0)
					return -1;
				if (r == 0)
					return 0;
				s = reg_skip_blanks(s, e);
				if (s < e && *s != ';')
					break;
			}
			if (!reg_is_xdigit(*s))
				return set_cause(cause, "line %zu: the value "
				    "of line %zu continues here, but the line "
				    "does not start with a hex byte",
				    p->lineno, first);
			continue;
		}
		for (t = s, digits = 0, v = 0; t < e && reg_is_xdigit(*t);
		    t++) {
			v = v * 16 + reg_xdigit(*t);
			if (++digits > 2)
				return set_cause(cause, "line %zu: hex byte "
				    "with more than two digits", p->lineno);
		}
		if (digits == 0)
			return set_cause(cause, "line %zu: hex byte expected",
			    p->lineno);
		if (data->len >= NTM_MAX_REG_VALUE)
			return set_cause(cause, "line %zu: value of line %zu "
			    "longer than %zu bytes", p->lineno, first,
			    (size_t)NTM_MAX_REG_VALUE);
		rbuf_byte(data, (uint8_t)v);
		s = reg_skip_blanks(t, e);
		if (s == e || *s == ';')
			return 0;
		if (*s != ',')
			return set_cause(cause, "line %zu: comma expected "
			    "after a hex byte", p->lineno);
		s++;
	}
}

/*
 * REGEDIT4 files are ANSI throughout, hex(1), hex(2) and hex(7) data
 * included: regedit passes them to RegSetValueExA, which converts them
 * to UTF-16 and NUL-terminates them (Wine's tests: "Line" becomes
 * "Line\0").
 */
static void
reg_ansi_to_utf16(struct rbuf *data)
{
	struct rbuf	out = { 0 };
	size_t		i;

	for (i = 0; i < data->len; i++)
		rbuf_u16(&out, (uint16_t)reg_cp1252_get(data->b[i]));
	if (data->len > 0 && data->b[data->len - 1] != 0)
		rbuf_u16(&out, 0);
	free(data->b);
	*data = out;
}

/* "name"=data or @=data. */
static int
reg_parse_value(struct reg_parser *p, const char *s, const char *e,
    char **cause)
{
	struct reg_op	*op;
	struct rbuf	 name = { 0 }, data = { 0 }, str = { 0 };
	char		*ex, *nm = NULL;
	uint8_t		*u16;
	uint32_t	 type = HIVE_REG_SZ, v;
	size_t		 line = p->lineno, ulen, digits;
	int		 del = 0;

	if (p->key == NULL) {
		set_cause(cause, "line %zu: value before any [key] line", line);
		goto fail;
	}
	if (p->key_deleted) {
		set_cause(cause, "line %zu: value under a [-key] line, which "
		    "deletes the key (regedit ignores it)", line);
		goto fail;
	}
	if (*s == '@')
		s++;
	else if (reg_unescape(p, s + 1, e, &s, &name, cause) != 0)
		goto fail;
	nm = rbuf_string(&name);
	if (reg_units(nm, strlen(nm)) > NTM_MAX_REG_VALUE_NAME) {
		set_cause(cause, "line %zu: value name longer than %d "
		    "characters", line, NTM_MAX_REG_VALUE_NAME);
		goto fail;
	}
	s = reg_skip_blanks(s, e);
	if (s == e || *s != '=') {
		set_cause(cause, "line %zu: '=' expected after the value name",
		    line);
		goto fail;
	}
	s = reg_skip_blanks(s + 1, e);
	e = reg_trim_blanks(s, e);
	if (s == e) {
		set_cause(cause, "line %zu: no data after '='", line);
		goto fail;
	}
	if (*s == '-') {
		if (reg_data_end(p, s + 1, e, cause) != 0)
			goto fail;
		del = 1;
	} else if (*s == '"') {
		if (reg_unescape(p, s + 1, e, &s, &str, cause) != 0)
			goto fail;
		if (reg_data_end(p, s, e, cause) != 0)
			goto fail;
		ex = rbuf_string(&str);
		u16 = utf8_to_utf16le(ex, &ulen);
		free(ex);
		if (u16 == NULL) {
			set_cause(cause, "line %zu: invalid UTF-8 in a string",
			    line);
			goto fail;
		}
		rbuf_add(&data, u16, ulen + 2);
		free(u16);
	} else if ((size_t)(e - s) >= 6 && memcmp(s, "dword:", 6) == 0) {
		s = reg_skip_blanks(s + 6, e);
		for (v = 0, digits = 0; s < e && reg_is_xdigit(*s); s++) {
			v = v << 4 | (uint32_t)reg_xdigit(*s);
			digits++;
		}
		if (digits == 0 || digits > 8) {
			set_cause(cause, "line %zu: dword needs 1 to 8 hex "
			    "digits", line);
			goto fail;
		}
		if (reg_data_end(p, s, e, cause) != 0)
			goto fail;
		type = HIVE_REG_DWORD;
		rbuf_need(&data, 4);
		le32enc(data.b, v);
		data.len = 4;
	} else if ((size_t)(e - s) >= 4 && memcmp(s, "hex", 3) == 0 &&
	    (s[3] == ':' || s[3] == '(')) {
		type = HIVE_REG_BINARY;
		if (s[3] == '(') {
			for (s += 4, v = 0, digits = 0;
			    s < e && reg_is_xdigit(*s); s++) {
				v = v << 4 | (uint32_t)reg_xdigit(*s);
				digits++;
			}
			if (digits == 0 || digits > 8 || e - s < 2 ||
			    s[0] != ')' || s[1] != ':') {
				set_cause(cause, "line %zu: hex(TYPE): needs "
				    "1 to 8 hex digits", line);
				goto fail;
			}
			type = v;
			s += 2;
		} else
			s += 4;
		if (reg_parse_hex(p, s, e, &data, cause) != 0)
			goto fail;
		if (p->rf->version == 4 && (type == HIVE_REG_SZ ||
		    type == HIVE_REG_EXPAND_SZ || type == HIVE_REG_MULTI_SZ))
			reg_ansi_to_utf16(&data);
	} else {
		ex = reg_excerpt(s, (size_t)(e - s));
		set_cause(cause, "line %zu: unknown data \"%s\" (expected "
		    "\"string\", dword:, hex: or hex(TYPE):, or - to delete)",
		    line, ex);
		free(ex);
		goto fail;
	}
	if (data.len > NTM_MAX_REG_VALUE) {
		set_cause(cause, "line %zu: value longer than %zu bytes", line,
		    (size_t)NTM_MAX_REG_VALUE);
		goto fail;
	}

	if ((op = reg_op_add(p, del ? REG_OP_VALUE_DELETE : REG_OP_VALUE_SET,
	    cause)) == NULL)
		goto fail;
	op->line = line;
	op->name = nm;
	if (!del) {
		op->vtype = type;
		op->len = data.len;
		op->data = data.len > 0 ? data.b : xmalloc(1);
		if (data.len == 0)
			free(data.b);
	} else
		free(data.b);
	return 0;

fail:
	free(nm);
	free(name.b);
	free(data.b);
	free(str.b);
	return -1;
}

static int
reg_parse_line(struct reg_parser *p, const char *s, const char *e,
    char **cause)
{
	char	*ex;

	s = reg_skip_blanks(s, e);
	if (s == e || *s == ';')
		return 0;
	if (*s == '[')
		return reg_parse_key(p, s + 1, e, cause);
	if (*s == '@' || *s == '"')
		return reg_parse_value(p, s, e, cause);
	/* Windows skips such lines too; k-meleon's settings file has
	 * "#~" lines. */
	ex = reg_excerpt(s, (size_t)(e - s));
	reg_parse_warn(p, "line %zu: not a key, value or comment, skipped: "
	    "\"%s\"", p->lineno, ex);
	free(ex);
	return 0;
}

int
reg_parse(const void *buf, size_t len, struct reg_file **rfp, char **cause)
{
	struct reg_parser	 p;
	struct reg_file		*rf;
	const char		*s, *e;
	int			 r;

	*rfp = NULL;
	memset(&p, 0, sizeof p);
	rf = xcalloc(1, sizeof *rf);
	p.rf = rf;
	if (len > NTM_MAX_REG_FILE) {
		set_cause(cause, ".reg file of %zu bytes, more than the %zu "
		    "allowed", len, (size_t)NTM_MAX_REG_FILE);
		goto fail;
	}
	if (reg_decode(&p, buf, len, cause) != 0)
		goto fail;
	p.pos = p.text;
	p.end = p.text + p.textlen;
	if (reg_header(&p, cause) != 0)
		goto fail;
	while ((r = reg_next_line(&p, &s, &e, cause)) != 0) {
		if (r < 0 || reg_parse_line(&p, s, e, cause) != 0)
			goto fail;
	}
	free(p.text);
	*rfp = rf;
	return 0;

fail:
	free(p.text);
	reg_file_free(rf);
	return -1;
}

void
reg_file_free(struct reg_file *rf)
{
	size_t	i;

	if (rf == NULL)
		return;
	for (i = 0; i < rf->nops; i++) {
		free(rf->ops[i].name);
		free(rf->ops[i].data);
	}
	free(rf->ops);
	reg_strings_free(rf->keys, rf->nkeys);
	reg_strings_free(rf->warnings, rf->nwarnings);
	free(rf);
}

struct reg_file *
reg_file_new(void)
{
	struct reg_file	*rf;

	rf = xcalloc(1, sizeof *rf);
	rf->version = 5;
	rf->encoding = REG_ENC_UTF8;
	return rf;
}

void
reg_file_add(struct reg_file *rf, enum reg_op_type type, const char *key,
    const char *name, uint32_t vtype, const void *data, size_t len)
{
	struct reg_op	*op;

	/* reg_apply tells keys apart by pointer, as the parser shares one
	 * string among the values under a key line. */
	if (rf->nkeys == 0 || strcmp(rf->keys[rf->nkeys - 1], key) != 0) {
		rf->keys = xreallocarray(rf->keys, rf->nkeys + 1,
		    sizeof *rf->keys);
		rf->keys[rf->nkeys++] = xstrdup(key);
	}
	rf->ops = xreallocarray(rf->ops, rf->nops + 1, sizeof *rf->ops);
	op = &rf->ops[rf->nops++];
	memset(op, 0, sizeof *op);
	op->type = type;
	op->key = rf->keys[rf->nkeys - 1];
	op->name = name != NULL ? xstrdup(name) : NULL;
	op->vtype = vtype;
	if (len > 0) {
		op->data = xmalloc(len);
		memcpy(op->data, data, len);
	}
	op->len = len;
	op->line = rf->nops;
}

const char *
reg_encoding_name(enum reg_encoding enc)
{
	switch (enc) {
	case REG_ENC_UTF16LE:
		return "UTF-16LE";
	case REG_ENC_UTF8_BOM:
		return "UTF-8 with BOM";
	case REG_ENC_UTF8:
		return "UTF-8";
	case REG_ENC_ANSI:
		return "Windows-1252";
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Applying. */

static const char *
reg_errno(int e)
{
	return e != 0 ? strerror(e) : "hivex failed";
}

/*
 * The key path last resolved and its nodes: a regedit export lists a
 * parent just before its children, so each key is found from the path
 * before rather than from the root.
 */
struct reg_cursor {
	hive_h		 *h;
	hive_node_h	  root;
	char		**comps;	/* copies */
	hive_node_h	 *nodes;	/* nodes[i] is comps[0..i] */
	size_t		  n;
	size_t		  cap;
	size_t		  created;
};

static void
reg_cursor_truncate(struct reg_cursor *c, size_t n)
{
	while (c->n > n)
		free(c->comps[--c->n]);
}

static void
reg_cursor_push(struct reg_cursor *c, const char *name, hive_node_h node)
{
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 16 : c->cap * 2;
		c->comps = xreallocarray(c->comps, c->cap, sizeof *c->comps);
		c->nodes = xreallocarray(c->nodes, c->cap, sizeof *c->nodes);
	}
	c->comps[c->n] = xstrdup(name);
	c->nodes[c->n++] = node;
}

static void
reg_cursor_free(struct reg_cursor *c)
{
	reg_cursor_truncate(c, 0);
	free(c->comps);
	free(c->nodes);
}

/*
 * The child of parent called name as Windows matches names; *child is 0
 * when there is none. hivex_node_get_child folds ASCII letters only, so
 * a non-ASCII name ("SCHLÜSSEL" for "Schlüssel") is looked for again
 * with Windows' folding.
 */
static int
reg_child_find(hive_h *h, hive_node_h parent, const char *name,
    hive_node_h *child, char **cause)
{
	hive_node_h	*kids;
	char		*kname;
	size_t		 i;
	int		 e;

	errno = 0;
	if ((*child = hivex_node_get_child(h, parent, name)) != 0)
		return 0;
	if (errno != 0)
		return set_cause(cause, "cannot read the subkeys: %s",
		    strerror(errno));
	if (reg_is_ascii(name))
		return 0;
	errno = 0;
	if ((kids = hivex_node_children(h, parent)) == NULL)
		return set_cause(cause, "cannot read the subkeys: %s",
		    reg_errno(errno));
	for (i = 0; kids[i] != 0; i++) {
		errno = 0;
		if ((kname = hivex_node_name(h, kids[i])) == NULL) {
			e = errno;
			free(kids);
			return set_cause(cause, "cannot read a subkey name: %s",
			    reg_errno(e));
		}
		if (casefold_cmp(kname, name) == 0) {
			*child = kids[i];
			free(kname);
			break;
		}
		free(kname);
	}
	free(kids);
	return 0;
}

/*
 * hivex (1.3.23) puts a new subkey where an ASCII-folding byte comparison
 * of UTF-8 says; Windows keeps subkey lists sorted by upper-cased UTF-16
 * and binary-searches them. The two disagree for non-ASCII names that
 * differ in case ("äb" lands after "Äc"), and a misplaced key is one
 * Windows cannot find, and "Windows will corrupt the hive itself when it
 * modifies or saves it" (hivex's write.c). Refuse what Windows could not
 * read rather than write it.
 */
static int
reg_child_check_order(hive_h *h, hive_node_h parent, hive_node_h child,
    const char *name, char **cause)
{
	hive_node_h	*kids;
	char		*other = NULL, *ex;
	size_t		 i;
	int		 bad = 0, rc = -1;

	errno = 0;
	if ((kids = hivex_node_children(h, parent)) == NULL)
		return set_cause(cause, "cannot read the subkeys: %s",
		    reg_errno(errno));
	for (i = 0; kids[i] != 0 && kids[i] != child; i++)
		/* nothing */;
	if (kids[i] == 0) {
		set_cause(cause, "new key \"%s\" missing from its parent", name);
		goto out;
	}
	if (i > 0) {
		errno = 0;
		if ((other = hivex_node_name(h, kids[i - 1])) == NULL)
			goto name_fail;
		bad = casefold_cmp(other, name) >= 0;
	}
	if (!bad && kids[i + 1] != 0) {
		free(other);
		errno = 0;
		if ((other = hivex_node_name(h, kids[i + 1])) == NULL)
			goto name_fail;
		bad = casefold_cmp(name, other) >= 0;
	}
	if (bad) {
		ex = reg_key_excerpt(other);
		set_cause(cause, "hivex placed the new key \"%s\" out of "
		    "Windows' sort order (next to \"%s\"): Windows would not "
		    "find it", name, ex);
		free(ex);
		goto out;
	}
	rc = 0;
	goto out;

name_fail:
	set_cause(cause, "cannot read a subkey name: %s", reg_errno(errno));
out:
	free(other);
	free(kids);
	return rc;
}

/* Find (and with create, make) the key at comps[0..n) below the root;
 * *node is 0 when it is missing and create is not set. */
static int
reg_resolve(struct reg_cursor *c, char **comps, size_t n, int create,
    hive_node_h *node, char **cause)
{
	hive_node_h	cur, child;
	size_t		p = 0, i;

	while (p < c->n && p < n && casefold_cmp(c->comps[p], comps[p]) == 0)
		p++;
	reg_cursor_truncate(c, p);
	cur = p == 0 ? c->root : c->nodes[p - 1];
	for (i = p; i < n; i++) {
		if (reg_child_find(c->h, cur, comps[i], &child, cause) != 0)
			return -1;
		if (child == 0) {
			if (!create) {
				*node = 0;
				return 0;
			}
			errno = 0;
			child = hivex_node_add_child(c->h, cur, comps[i]);
			if (child == 0)
				return set_cause(cause, "cannot create key "
				    "\"%s\": %s", comps[i], reg_errno(errno));
			c->created++;
			if (reg_child_check_order(c->h, cur, child, comps[i],
			    cause) != 0)
				return -1;
		}
		reg_cursor_push(c, comps[i], child);
		cur = child;
	}
	*node = cur;
	return 0;
}

/*
 * Apply a run of value operations on one key in one write: the key's
 * values are read, changed in memory and written back together, because
 * hivex can only replace all values of a key at once (hivex_node_set_value
 * does the same for one value, so a key set value by value would be
 * rewritten n times). A set replaces the value whose name matches as
 * Windows matches it and keeps that value's place and spelling, as
 * RegSetValueEx does; new values go at the end.
 */
static int
reg_values_apply(hive_h *h, hive_node_h node, const struct reg_op *ops,
    size_t nops, struct reg_apply_result *res, char **cause)
{
	hive_value_h	*vals;
	hive_set_value	*set = NULL;
	hive_type	 t;
	char		*ex;
	size_t		 n = 0, i, k;
	int		 changed = 0, rc = -1;

	errno = 0;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return set_cause(cause, "cannot read the values: %s",
		    reg_errno(errno));
	for (i = 0; vals[i] != 0; i++)
		/* nothing */;
	set = xcalloc(i + nops + 1, sizeof *set);
	for (i = 0; vals[i] != 0; i++) {
		errno = 0;
		if ((set[n].key = hivex_value_key(h, vals[i])) == NULL) {
			set_cause(cause, "cannot read a value name: %s",
			    reg_errno(errno));
			goto out;
		}
		n++;
		/* A name with a NUL would come back cut at the NUL. */
		if (hivex_value_key_len(h, vals[i]) != strlen(set[n - 1].key)) {
			ex = reg_key_excerpt(set[n - 1].key);
			set_cause(cause, "value \"%s\" has a NUL in its name: "
			    "rewriting the key would rename it", ex);
			free(ex);
			goto out;
		}
		errno = 0;
		set[n - 1].value = hivex_value_value(h, vals[i], &t,
		    &set[n - 1].len);
		if (set[n - 1].value == NULL) {
			ex = reg_key_excerpt(set[n - 1].key);
			set_cause(cause, "cannot read value \"%s\": %s", ex,
			    reg_errno(errno));
			free(ex);
			goto out;
		}
		set[n - 1].t = t;
	}

	for (i = 0; i < nops; i++) {
		for (k = 0; k < n; k++) {
			if (casefold_cmp(set[k].key, ops[i].name) == 0)
				break;
		}
		if (ops[i].type == REG_OP_VALUE_SET) {
			if (k == n)
				set[n++].key = xstrdup(ops[i].name);
			else
				free(set[k].value);
			set[k].t = (hive_type)ops[i].vtype;
			set[k].len = ops[i].len;
			set[k].value = xmalloc(ops[i].len + 1);
			if (ops[i].len > 0)
				memcpy(set[k].value, ops[i].data, ops[i].len);
			res->values_set++;
			changed = 1;
		} else if (k < n) {
			free(set[k].key);
			free(set[k].value);
			memmove(&set[k], &set[k + 1], (n - k - 1) * sizeof *set);
			n--;
			res->values_deleted++;
			changed = 1;
		}
	}
	if (!changed) {
		rc = 0;
		goto out;
	}
	/* The values kept are written again too. */
	for (k = 0; k < n; k++) {
		if (set[k].len > NTM_MAX_REG_CELL_DATA) {
			ex = reg_key_excerpt(set[k].key);
			set_cause(cause, "value \"%s\" holds %zu bytes: hivex "
			    "would rewrite it in a form Windows cannot read "
			    "(more than %d bytes)", ex, set[k].len,
			    NTM_MAX_REG_CELL_DATA);
			free(ex);
			goto out;
		}
	}
	errno = 0;
	if (hivex_node_set_values(h, node, n, set, 0) != 0) {
		set_cause(cause, "cannot write the values: %s",
		    reg_errno(errno));
		goto out;
	}
	rc = 0;

out:
	for (k = 0; k < n; k++) {
		free(set[k].key);
		free(set[k].value);
	}
	free(set);
	free(vals);
	return rc;
}

/*
 * Where an operation's key lies: *in if it is the root or below it, then
 * comps + nr is the path inside the hive; *above if the key is the root
 * or one of its ancestors (deleting it would delete the hive's root).
 */
static int
reg_key_place(const char *key, char **rcomps, size_t nr, char ***comps,
    size_t *n, int *in, int *above, char **cause)
{
	size_t	i, m;

	*in = *above = 0;
	if (key == NULL)
		return set_cause(cause, "operation without a key");
	if (reg_key_split(key, 1, comps, n, cause) != 0)
		return -1;
	m = *n < nr ? *n : nr;
	for (i = 0; i < m; i++) {
		if (casefold_cmp((*comps)[i], rcomps[i]) != 0)
			return 0;
	}
	*in = *n >= nr;
	*above = *n <= nr;
	return 0;
}

int
reg_apply(hive_h *h, const struct reg_file *rf, const char *root,
    struct reg_apply_result *res, char **cause)
{
	struct reg_cursor	 c;
	const struct reg_op	*op;
	const char		*lastkey = NULL;
	char			**rcomps = NULL, **kcomps = NULL, *why = NULL;
	char			*ex = NULL, *rex = NULL;
	size_t			 nr = 0, nk = 0, i, j;
	hive_node_h		 node;
	int			 in = 0, above = 0, rc = -1;

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.h = h;
	if (reg_key_split(root, 1, &rcomps, &nr, &why) != 0) {
		ex = reg_key_excerpt(root);
		set_cause(cause, "root %s: %s", ex, why);
		goto out;
	}
	errno = 0;
	if ((c.root = hivex_root(h)) == 0) {
		set_cause(cause, "the hive has no root key: %s",
		    reg_errno(errno));
		goto out;
	}
	rex = reg_key_excerpt(root);

	/* First everything that can be checked without writing, so that
	 * these failures leave the hive as it was. */
	for (i = 0; i < rf->nops; i++) {
		op = &rf->ops[i];
		if (op->key != lastkey || i == 0) {
			reg_comps_free(kcomps, nk);
			kcomps = NULL;
			nk = 0;
			if (reg_key_place(op->key, rcomps, nr, &kcomps, &nk,
			    &in, &above, &why) != 0) {
				set_cause(cause, "line %zu: %s", op->line, why);
				goto out;
			}
			lastkey = op->key;
			free(ex);
			ex = reg_key_excerpt(op->key);
			if (!in)
				reg_warn(&res->warnings, &res->nwarnings,
				    &res->warnings_total, "line %zu: %s is "
				    "outside %s: skipped", op->line, ex, rex);
			else if (above && op->type == REG_OP_KEY_DELETE)
				reg_warn(&res->warnings, &res->nwarnings,
				    &res->warnings_total, "line %zu: [-%s] "
				    "would delete the hive's root key: "
				    "skipped", op->line, ex);
		}
		if (!in || (above && op->type == REG_OP_KEY_DELETE)) {
			res->skipped++;
			continue;
		}
		if (op->type != REG_OP_VALUE_SET &&
		    op->type != REG_OP_VALUE_DELETE)
			continue;
		if (op->name == NULL || !reg_valid_utf8((const uint8_t *)
		    op->name, strlen(op->name)) ||
		    (op->len > 0 && op->data == NULL)) {
			set_cause(cause, "line %zu: bad value operation",
			    op->line);
			goto out;
		}
		if (op->type == REG_OP_VALUE_SET &&
		    op->len > NTM_MAX_REG_CELL_DATA) {
			free(why);
			why = reg_key_excerpt(op->name);
			set_cause(cause, "line %zu: value \"%s\" holds %zu "
			    "bytes: hivex cannot write more than %d bytes in a "
			    "form Windows reads", op->line, why, op->len,
			    NTM_MAX_REG_CELL_DATA);
			goto out;
		}
	}

	lastkey = NULL;
	for (i = 0; i < rf->nops; i = j) {
		op = &rf->ops[i];
		j = i + 1;
		if (op->key != lastkey || i == 0) {
			reg_comps_free(kcomps, nk);
			kcomps = NULL;
			nk = 0;
			if (reg_key_place(op->key, rcomps, nr, &kcomps, &nk,
			    &in, &above, &why) != 0) {
				set_cause(cause, "line %zu: %s", op->line, why);
				goto out;
			}
			lastkey = op->key;
			free(ex);
			ex = reg_key_excerpt(op->key);
		}
		if (!in)
			continue;
		switch (op->type) {
		case REG_OP_KEY_CREATE:
			if (reg_resolve(&c, kcomps + nr, nk - nr, 1, &node,
			    &why) != 0)
				goto fail_op;
			break;
		case REG_OP_KEY_DELETE:
			if (above)
				break;
			if (reg_resolve(&c, kcomps + nr, nk - nr, 0, &node,
			    &why) != 0)
				goto fail_op;
			if (node == 0)
				break;
			reg_cursor_truncate(&c, 0);
			errno = 0;
			if (hivex_node_delete_child(h, node) != 0) {
				xasprintf(&why, "cannot delete the key: %s",
				    reg_errno(errno));
				goto fail_op;
			}
			res->keys_deleted++;
			break;
		case REG_OP_VALUE_SET:
		case REG_OP_VALUE_DELETE:
			while (j < rf->nops && rf->ops[j].key == op->key &&
			    (rf->ops[j].type == REG_OP_VALUE_SET ||
			    rf->ops[j].type == REG_OP_VALUE_DELETE))
				j++;
			if (reg_resolve(&c, kcomps + nr, nk - nr, 1, &node,
			    &why) != 0)
				goto fail_op;
			if (reg_values_apply(h, node, op, j - i, res,
			    &why) != 0)
				goto fail_op;
			break;
		}
	}
	rc = 0;
	goto out;

fail_op:
	set_cause(cause, "line %zu: %s: %s", op->line, ex, why);
out:
	res->keys_created = c.created;
	reg_cursor_free(&c);
	reg_comps_free(rcomps, nr);
	reg_comps_free(kcomps, nk);
	free(why);
	free(ex);
	free(rex);
	return rc;
}

void
reg_apply_result_free(struct reg_apply_result *res)
{
	if (res == NULL)
		return;
	reg_strings_free(res->warnings, res->nwarnings);
	res->warnings = NULL;
	res->nwarnings = 0;
}

/* ------------------------------------------------------------------ */
/* Exporting. */

struct reg_export {
	hive_h		*h;
	struct rbuf	 out;		/* the file, UTF-16LE */
	struct rbuf	 path;		/* key being written, UTF-8, no NUL */
};

static void
reg_out_crlf(struct rbuf *out)
{
	rbuf_u16(out, '\r');
	rbuf_u16(out, '\n');
}

/* UTF-8 text as UTF-16LE; with esc, '\' and '"' escaped as regedit does
 * in value names and strings. Returns the units written. */
static size_t
reg_out_text(struct rbuf *out, const char *s, size_t len, int esc)
{
	struct reg_u16it	it;
	size_t			n = 0;
	int			u;

	reg_u16it_init(&it, s, len);
	while ((u = reg_u16it_next(&it)) != -1) {
		if (esc && (u == '\\' || u == '"')) {
			rbuf_u16(out, '\\');
			n++;
		}
		rbuf_u16(out, (uint16_t)u);
		n++;
	}
	return n;
}

static int
reg_has_newline(const char *s)
{
	return strchr(s, '\r') != NULL || strchr(s, '\n') != NULL;
}

/*
 * regedit writes REG_SZ data as "text". That reads back as the same
 * bytes only for whole UTF-16 with one NUL, at the end, no CR or LF
 * (regedit would write them raw and break the line) and no unpaired
 * surrogate; anything else is written as hex(1), which regedit reads
 * back exactly.
 */
static int
reg_sz_printable(const uint8_t *d, size_t len)
{
	size_t		i, n;
	uint16_t	u, lo;

	if (len < 2 || len % 2 != 0 || le16dec(d + len - 2) != 0)
		return 0;
	n = len / 2 - 1;
	for (i = 0; i < n; i++) {
		u = le16dec(d + 2 * i);
		if (u == 0 || u == '\r' || u == '\n')
			return 0;
		if (u >= 0xd800 && u <= 0xdbff) {
			if (i + 1 >= n)
				return 0;
			lo = le16dec(d + 2 * (i + 1));
			if (lo < 0xdc00 || lo > 0xdfff)
				return 0;
			i++;
		} else if (u >= 0xdc00 && u <= 0xdfff)
			return 0;
	}
	return 1;
}

/*
 * regedit's hex layout: "xx," per byte, and when the line reaches 77
 * characters (counted in UTF-16 units from the start of the value name)
 * a '\', CRLF and two spaces; the last byte has no comma and never
 * wraps alone. So a line holds at most 80 characters: 25 bytes on
 * continuation lines, and "ShellState"=hex: takes 20 before wrapping
 * (Windows' own export of that value).
 */
static void
reg_out_hex(struct rbuf *out, size_t col, const uint8_t *d, size_t len)
{
	static const char	hexd[] = "0123456789abcdef";
	size_t			i;

	for (i = 0; i < len; i++) {
		rbuf_u16(out, (uint8_t)hexd[d[i] >> 4]);
		rbuf_u16(out, (uint8_t)hexd[d[i] & 0xf]);
		if (i == len - 1)
			break;
		rbuf_u16(out, ',');
		col += 3;
		if (col >= 77) {
			rbuf_u16(out, '\\');
			reg_out_crlf(out);
			rbuf_u16_ascii(out, "  ");
			col = 2;
		}
	}
}

static int
reg_export_value(struct reg_export *x, hive_value_h v, char **cause)
{
	struct rbuf	*out = &x->out;
	hive_type	 t;
	char		*name, *data = NULL, *ex, prefix[32];
	size_t		 len, col, i;
	uint16_t	 u;
	int		 rc = -1;

	errno = 0;
	if ((name = hivex_value_key(x->h, v)) == NULL)
		return set_cause(cause, "cannot read a value name: %s",
		    reg_errno(errno));
	if (hivex_value_key_len(x->h, v) != strlen(name) ||
	    reg_has_newline(name)) {
		ex = reg_key_excerpt(name);
		set_cause(cause, "value \"%s\": its name holds a NUL or a line "
		    "break, which a .reg file cannot carry", ex);
		free(ex);
		goto out;
	}
	errno = 0;
	if ((data = hivex_value_value(x->h, v, &t, &len)) == NULL) {
		ex = reg_key_excerpt(name);
		set_cause(cause, "cannot read value \"%s\": %s", ex,
		    reg_errno(errno));
		free(ex);
		goto out;
	}

	if (*name == '\0') {
		rbuf_u16_ascii(out, "@=");
		col = 2;
	} else {
		rbuf_u16(out, '"');
		col = 1 + reg_out_text(out, name, strlen(name), 1);
		rbuf_u16_ascii(out, "\"=");
		col += 2;
	}
	if ((uint32_t)t == HIVE_REG_SZ &&
	    reg_sz_printable((uint8_t *)data, len)) {
		rbuf_u16(out, '"');
		for (i = 0; i + 2 < len; i += 2) {
			u = le16dec(data + i);
			if (u == '\\' || u == '"')
				rbuf_u16(out, '\\');
			rbuf_u16(out, u);
		}
		rbuf_u16(out, '"');
	} else if ((uint32_t)t == HIVE_REG_DWORD && len == 4) {
		snprintf(prefix, sizeof prefix, "dword:%08x",
		    le32dec(data));
		rbuf_u16_ascii(out, prefix);
	} else {
		if ((uint32_t)t == HIVE_REG_BINARY)
			snprintf(prefix, sizeof prefix, "hex:");
		else
			snprintf(prefix, sizeof prefix, "hex(%x):",
			    (uint32_t)t);
		rbuf_u16_ascii(out, prefix);
		reg_out_hex(out, col + strlen(prefix), (uint8_t *)data, len);
	}
	reg_out_crlf(out);
	rc = 0;

out:
	free(data);
	free(name);
	return rc;
}

static int
reg_export_key(struct reg_export *x, hive_node_h node, size_t depth,
    char **cause)
{
	hive_value_h	*vals = NULL;
	hive_node_h	*kids = NULL;
	char		*name = NULL, *ex, *inner;
	size_t		 i, plen;
	int		 rc = -1;

	if (depth > NTM_MAX_REG_DEPTH)
		return set_cause(cause, "keys nested deeper than %d levels "
		    "(a loop in a damaged hive?)", NTM_MAX_REG_DEPTH);
	if (x->out.len > NTM_MAX_REG_FILE)
		return set_cause(cause, "export larger than %zu bytes, which "
		    "could not be imported again", (size_t)NTM_MAX_REG_FILE);

	reg_out_crlf(&x->out);
	rbuf_u16(&x->out, '[');
	reg_out_text(&x->out, (char *)x->path.b, x->path.len, 0);
	rbuf_u16(&x->out, ']');
	reg_out_crlf(&x->out);

	errno = 0;
	if ((vals = hivex_node_values(x->h, node)) == NULL) {
		set_cause(cause, "cannot read the values: %s",
		    reg_errno(errno));
		goto out;
	}
	for (i = 0; vals[i] != 0; i++) {
		if (reg_export_value(x, vals[i], cause) != 0)
			goto out;
	}

	errno = 0;
	if ((kids = hivex_node_children(x->h, node)) == NULL) {
		set_cause(cause, "cannot read the subkeys: %s",
		    reg_errno(errno));
		goto out;
	}
	plen = x->path.len;
	for (i = 0; kids[i] != 0; i++) {
		errno = 0;
		if ((name = hivex_node_name(x->h, kids[i])) == NULL) {
			set_cause(cause, "cannot read a subkey name: %s",
			    reg_errno(errno));
			goto out;
		}
		if (*name == '\0' || strchr(name, '\\') != NULL ||
		    reg_has_newline(name) ||
		    hivex_node_name_len(x->h, kids[i]) != strlen(name)) {
			ex = reg_key_excerpt(name);
			set_cause(cause, "subkey \"%s\": its name is empty or "
			    "holds a backslash, NUL or line break, which a "
			    ".reg file cannot carry", ex);
			free(ex);
			goto out;
		}
		rbuf_byte(&x->path, '\\');
		rbuf_add(&x->path, name, strlen(name));
		free(name);
		name = NULL;
		if (reg_export_key(x, kids[i], depth + 1, cause) != 0)
			goto out;
		x->path.len = plen;
	}
	rc = 0;

out:
	if (rc != 0 && cause != NULL && *cause != NULL &&
	    strncmp(*cause, "[", 1) != 0) {
		/* Name the key once, at the innermost level. */
		rbuf_byte(&x->path, '\0');
		x->path.len--;
		ex = reg_key_excerpt((char *)x->path.b);
		inner = *cause;
		xasprintf(cause, "[%s]: %s", ex, inner);
		free(inner);
		free(ex);
	}
	free(name);
	free(kids);
	free(vals);
	return rc;
}

int
reg_export(hive_h *h, const char *root, const char *path, void **bufp,
    size_t *lenp, char **cause)
{
	struct reg_export	  x;
	char			**rcomps = NULL, **pcomps = NULL, *name = NULL;
	char			 *why = NULL, *ex;
	size_t			  nr = 0, np = 0, i;
	hive_node_h		  node, child;
	int			  rc = -1;

	*bufp = NULL;
	*lenp = 0;
	memset(&x, 0, sizeof x);
	x.h = h;
	if (reg_key_split(root, 1, &rcomps, &nr, &why) != 0 ||
	    reg_key_split(path, 0, &pcomps, &np, &why) != 0) {
		set_cause(cause, "%s", why);
		goto out;
	}
	errno = 0;
	if ((node = hivex_root(h)) == 0) {
		set_cause(cause, "the hive has no root key: %s",
		    reg_errno(errno));
		goto out;
	}
	for (i = 0; i < nr; i++) {
		if (i > 0)
			rbuf_byte(&x.path, '\\');
		rbuf_add(&x.path, rcomps[i], strlen(rcomps[i]));
	}
	/* The path is written with the hive's own spelling of each name. */
	for (i = 0; i < np; i++) {
		if (reg_child_find(h, node, pcomps[i], &child, &why) != 0) {
			set_cause(cause, "%s", why);
			goto out;
		}
		if (child == 0) {
			ex = reg_key_excerpt(path);
			errno = ENOENT;
			set_cause(cause, "%s: no such key (\"%s\" is missing)",
			    ex, pcomps[i]);
			free(ex);
			goto out;
		}
		errno = 0;
		if ((name = hivex_node_name(h, child)) == NULL) {
			set_cause(cause, "cannot read a key name: %s",
			    reg_errno(errno));
			goto out;
		}
		rbuf_byte(&x.path, '\\');
		rbuf_add(&x.path, name, strlen(name));
		free(name);
		name = NULL;
		node = child;
	}

	rbuf_u16(&x.out, 0xfeff);
	rbuf_u16_ascii(&x.out, REG_HEADER5);
	reg_out_crlf(&x.out);
	if (reg_export_key(&x, node, 0, cause) != 0)
		goto out;
	reg_out_crlf(&x.out);
	*bufp = x.out.b;
	*lenp = x.out.len;
	x.out.b = NULL;
	rc = 0;

out:
	free(x.out.b);
	free(x.path.b);
	free(name);
	free(why);
	reg_comps_free(rcomps, nr);
	reg_comps_free(pcomps, np);
	return rc;
}
