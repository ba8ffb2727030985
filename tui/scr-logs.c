/*
 * scr-logs.c: the servicing logs of the target: a list of them with their
 * sizes, a viewer with the failing lines in red, the summary of `ntmend
 * logs scan` with the line behind each finding, and `logs collect` into a
 * zip.
 *
 * A CBS.log runs to 50 MB and more, so the viewer keeps at most the last
 * LOG_KEEP bytes of a log (and says so), split into lines once, and wraps
 * only the lines on the screen: tui_view wraps a whole text on every
 * resize. The lines dropped from the front are still counted as the log
 * streams by, so line numbers are the file's, the ones `logs scan` gives.
 */

#include <archive.h>
#include <archive_entry.h>
#include <curses.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "packages/packages.h"
#include "tui/tui.h"
#include "tui/private.h"

#define LOG_KEEP	((size_t)8 << 20)	/* bytes of a log kept: the
						   last 8 MiB of CBS.log hold
						   a day or two of servicing,
						   the failure being looked
						   for */
#define LOG_CHUNK	((size_t)1 << 20)	/* bytes per read */
#define LOG_WU		"Windows\\WindowsUpdate.log"

/* A log's text: the kept bytes as lines. */
struct logtext {
	char		*buf;		/* raw, then the lines NUL-separated */
	size_t		 len;
	size_t		 cap;
	char		**lines;
	size_t		 n;
	uint64_t	 first;		/* the file's number of lines[0] */
	uint64_t	 total;		/* bytes of the log */
	uint64_t	 dropped;	/* of them not kept */
	uint64_t	 dropped_lines;
	int		 utf16;
	int		 sniffed;
	int		 at_line;	/* the last byte dropped ended a line */
	int		 cut;		/* lines over NTM_MAX_LOG_LINE */
};

/* The footer while something is read: a 50 MB log takes a moment. */
static void
logs_busy(const char *fmt, ...)
{
	va_list	 ap;
	char	*s;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	attrset(tui_attr(TUI_TITLE));
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, s);
	attrset(A_NORMAL);
	refresh();
	free(s);
}

/* "CBS.log" of "Windows\Logs\CBS\CBS.log". */
static const char *
logs_base(const char *path)
{
	const char	*b = strrchr(path, '\\');

	return b != NULL ? b + 1 : path;
}

/*
 * Error lines: what a technician looks for first. A failing HRESULT
 * (0x8..., 0xC... NTSTATUS) as a whole word, "fail", "corrupt", or
 * "error" other than ERROR_SUCCESS (ERROR_SUCCESS_REBOOT_REQUIRED is
 * CBS saying all went well). tests/tui/test_packages_logs.sh holds the
 * same rule as a Perl pattern.
 */
static int
logs_is_word(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z') || c == '_';
}

static int
logs_is_hex(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

static int
logs_error_line(const char *s)
{
	const char	*p;
	int		 i;

	if (strcasestr(s, "fail") != NULL || strcasestr(s, "corrupt") != NULL)
		return 1;
	for (p = s; (p = strcasestr(p, "error")) != NULL; p += 5) {
		if (strncasecmp(p + 5, "_success", 8) != 0)
			return 1;
	}
	for (p = s; (p = strchr(p, '0')) != NULL; p++) {
		if ((p > s && logs_is_word((unsigned char)p[-1])) ||
		    (p[1] != 'x' && p[1] != 'X') ||
		    strchr("89abcdefABCDEF", p[2]) == NULL || p[2] == '\0')
			continue;
		for (i = 2; i < 10 && logs_is_hex((unsigned char)p[i]); i++)
			;
		if (i == 10 && !logs_is_word((unsigned char)p[10]))
			return 1;
	}
	return 0;
}

static enum tui_color
logs_line_color(const char *s)
{
	if (logs_error_line(s))
		return TUI_ERROR;
	if (strcasestr(s, "warning") != NULL)
		return TUI_WARN;
	return TUI_NORMAL;
}

/* Reading a log into a logtext. */

static void
lt_free(struct logtext *lt)
{
	free(lt->buf);
	free(lt->lines);
	memset(lt, 0, sizeof *lt);
}

/* UTF-16LE (ReportingEvents.log, some setup logs) or bytes: from a BOM,
 * or from the NULs of ASCII text in UTF-16. */
static void
lt_sniff(struct logtext *lt)
{
	const uint8_t	*b = (const uint8_t *)lt->buf;

	if (lt->sniffed)
		return;
	lt->sniffed = 1;
	if (lt->len >= 2 && b[0] == 0xff && b[1] == 0xfe)
		lt->utf16 = 1;
	else if (lt->len >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 &&
	    b[3] == 0)
		lt->utf16 = 1;
}

static uint64_t
lt_count(const struct logtext *lt, size_t len)
{
	const char	*p = lt->buf, *end = lt->buf + len;
	uint64_t	 n = 0;
	size_t		 i;

	if (lt->utf16) {
		for (i = 0; i + 1 < len; i += 2)
			n += lt->buf[i] == '\n' && lt->buf[i + 1] == '\0';
		return n;
	}
	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* Forget the first k bytes, counting their lines. */
static void
lt_drop(struct logtext *lt, size_t k)
{
	lt_sniff(lt);
	if (lt->utf16)
		k &= ~(size_t)1;	/* the stream stays on a character */
	if (k == 0)
		return;
	lt->dropped_lines += lt_count(lt, k);
	lt->at_line = lt->utf16 ? lt->buf[k - 2] == '\n' &&
	    lt->buf[k - 1] == '\0' : lt->buf[k - 1] == '\n';
	memmove(lt->buf, lt->buf + k, lt->len - k);
	lt->len -= k;
	lt->dropped += k;
}

static void
lt_feed(struct logtext *lt, const void *p, size_t n)
{
	if (lt->len + n > lt->cap) {
		lt->cap = lt->len + n > lt->cap * 2 ? lt->len + n :
		    lt->cap * 2;
		lt->buf = xrealloc(lt->buf, lt->cap + 1);
	}
	memcpy(lt->buf + lt->len, p, n);
	lt->len += n;
	lt->total += n;
	/* Twice what is kept before moving: each byte moves at most once
	 * or twice whatever the log's size. */
	if (lt->len > 2 * LOG_KEEP)
		lt_drop(lt, lt->len - LOG_KEEP);
}

static void
lt_utf8_put(char **o, uint32_t cp)
{
	unsigned char	*p = (unsigned char *)*o;

	if (cp == 0)
		cp = ' ';
	if (cp < 0x80)
		*p++ = (unsigned char)cp;
	else if (cp < 0x800) {
		*p++ = (unsigned char)(0xc0 | cp >> 6);
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		*p++ = (unsigned char)(0xe0 | cp >> 12);
		*p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	} else {
		*p++ = (unsigned char)(0xf0 | cp >> 18);
		*p++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3f));
		*p++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3f));
		*p++ = (unsigned char)(0x80 | (cp & 0x3f));
	}
	*o = (char *)p;
}

/* UTF-16LE to UTF-8 (lone surrogates as U+FFFD). */
static void
lt_from_utf16(struct logtext *lt, size_t start)
{
	const uint8_t	*b = (const uint8_t *)lt->buf;
	char		*out, *o;
	size_t		 i;
	uint32_t	 u, v;

	o = out = xmalloc((lt->len - start) / 2 * 3 + 1);
	for (i = start; i + 1 < lt->len; i += 2) {
		u = (uint32_t)b[i] | (uint32_t)b[i + 1] << 8;
		if (u >= 0xd800 && u < 0xdc00 && i + 3 < lt->len) {
			v = (uint32_t)b[i + 2] | (uint32_t)b[i + 3] << 8;
			if (v >= 0xdc00 && v < 0xe000) {
				u = 0x10000 + ((u - 0xd800) << 10) +
				    (v - 0xdc00);
				i += 2;
			} else
				u = 0xfffd;
		} else if (u >= 0xd800 && u < 0xe000)
			u = 0xfffd;
		lt_utf8_put(&o, u);
	}
	free(lt->buf);
	lt->buf = out;
	lt->len = (size_t)(o - out);
	lt->cap = lt->len;
}

/* The kept bytes as lines: a first line cut by the drop is dropped too,
 * CRLF and LF end lines, NULs (a power loss leaves runs of them) are
 * spaces, and a line is shown up to NTM_MAX_LOG_LINE bytes. */
static void
lt_finish(struct logtext *lt)
{
	char	*p, *end, *nl;
	size_t	 start = 0, i, cap = 0;

	lt_sniff(lt);
	if (lt->len > LOG_KEEP)
		lt_drop(lt, lt->len - LOG_KEEP);
	/* The first line kept, unless the cut fell between two lines, is
	 * the end of one: not shown. */
	if (lt->dropped > 0 && !lt->at_line) {
		if (lt->utf16) {
			for (i = 0; i + 1 < lt->len; i += 2) {
				if (lt->buf[i] == '\n' &&
				    lt->buf[i + 1] == '\0') {
					start = i + 2;
					lt->dropped_lines++;
					break;
				}
			}
		} else if ((nl = memchr(lt->buf, '\n', lt->len)) != NULL) {
			start = (size_t)(nl - lt->buf) + 1;
			lt->dropped_lines++;
		}
		lt->dropped += start;
	} else if (lt->dropped > 0)
		;	/* no BOM in the middle */
	else if (lt->utf16 && lt->len >= 2 &&
	    (uint8_t)lt->buf[0] == 0xff && (uint8_t)lt->buf[1] == 0xfe)
		start = 2;
	else if (!lt->utf16 && lt->len >= 3 &&
	    memcmp(lt->buf, "\xef\xbb\xbf", 3) == 0)
		start = 3;
	if (lt->utf16)
		lt_from_utf16(lt, start);
	else if (start > 0) {
		memmove(lt->buf, lt->buf + start, lt->len - start);
		lt->len -= start;
	}
	if (lt->buf == NULL)
		lt->buf = xmalloc(1);
	lt->buf[lt->len] = '\0';
	for (i = 0; i < lt->len; i++) {
		if (lt->buf[i] == '\0')
			lt->buf[i] = ' ';
	}
	lt->first = lt->dropped_lines + 1;
	p = lt->buf;
	end = lt->buf + lt->len;
	while (p < end) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		*nl = '\0';
		if (nl > p && nl[-1] == '\r')
			nl[-1] = '\0';
		if (strlen(p) > NTM_MAX_LOG_LINE) {
			p[NTM_MAX_LOG_LINE] = '\0';
			lt->cut++;
		}
		if (lt->n == cap)
			lt->lines = xreallocarray(lt->lines, cap = cap * 2 + 1024,
			    sizeof *lt->lines);
		lt->lines[lt->n++] = p;
		p = nl + 1;
	}
}

static int
lt_read_file(struct logtext *lt, const char *path, char **cause)
{
	struct vol_file	*f;
	uint64_t	 off = 0, size;
	ssize_t		 n;
	char		*chunk;
	int		 ret = 0;

	if ((f = vol_file_open(tui_s.t.vol, path, VOL_O_RDONLY, cause)) ==
	    NULL)
		return -1;
	size = vol_file_size(f);
	chunk = xmalloc(LOG_CHUNK);
	while (off < size) {
		if (off % (8 * LOG_CHUNK) == 0 && size > LOG_KEEP)
			logs_busy("reading %s: %llu of %llu MiB...",
			    logs_base(path), (unsigned long long)(off >> 20),
			    (unsigned long long)(size >> 20));
		n = vol_file_pread(f, chunk, LOG_CHUNK, off);
		if (n <= 0) {
			*cause = xprintf("%s: read error at byte %llu: %s",
			    path, (unsigned long long)off, n < 0 ?
			    strerror(errno) : "unexpected end");
			ret = -1;
			break;
		}
		lt_feed(lt, chunk, (size_t)n);
		off += (uint64_t)n;
	}
	free(chunk);
	vol_file_close(f, NULL);
	return ret;
}

/* The log member of a cab (Windows puts one in each), or the one named;
 * *name gets its name. */
static int
lt_read_cab(struct logtext *lt, const char *path, const char *member,
    char **name, char **cause)
{
	struct archive		*a;
	struct archive_entry	*ae;
	struct vol_archive	 va;
	const void		*buf;
	size_t			 len;
	la_int64_t		 off;
	const char		*en;
	int			 r, ret = -1;

	if (vol_archive_open_cab(tui_s.t.vol, path, &va, cause) != 0)
		return -1;
	a = va.a;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		en = archive_entry_pathname(ae) != NULL ?
		    archive_entry_pathname(ae) : "?";
		if (archive_entry_filetype(ae) != AE_IFREG ||
		    (member != NULL && strcmp(en, member) != 0))
			continue;
		*name = xstrdup(en);
		while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
		    ARCHIVE_OK) {
			if (lt->total + len > NTM_MAX_LOG_CAB) {
				*cause = xprintf("%s: expands past %llu "
				    "bytes", path, (unsigned long long)
				    NTM_MAX_LOG_CAB);
				goto out;
			}
			if ((lt->total + len) >> 23 != lt->total >> 23)
				logs_busy("expanding %s: %llu MiB...",
				    logs_base(path), (unsigned long long)
				    ((lt->total + len) >> 20));
			lt_feed(lt, buf, len);
		}
		if (r != ARCHIVE_EOF) {
			*cause = xprintf("%s: %s", path,
			    archive_error_string(a));
			goto out;
		}
		ret = 0;
		goto out;
	}
	if (r == ARCHIVE_EOF)
		*cause = xprintf("%s: %s", path, member != NULL ?
		    "no such log in the cabinet" : "the cabinet holds no log");
	else
		*cause = xprintf("%s: %s", path, archive_error_string(a));
out:
	vol_archive_close(&va);
	return ret;
}

/* The viewer. */

struct view_state {
	struct logtext	 lt;
	char		*path;		/* "X.log" or "X.cab:member" */
	char		*title;
	char		*search;
	size_t		 tl, tr;	/* top: a line and its wrapped row */
	size_t		 cur;		/* the line a jump landed on, or
					   SIZE_MAX */
	size_t		 jump;		/* a line to show at the first draw
					   (wrapping needs its width), or
					   SIZE_MAX */
	size_t		 last;		/* the last line on the screen */
	int		 tw, th;	/* text area of the last draw */
};

static const char view_help[] =
    "A log of the Windows installation, read-only. Lines in red are "
    "failures: an error code such as 0x800f081f, or the words error, "
    "failed, corrupt. Yellow: warnings.\n\n"
    "Up/Down, PgUp/PgDn, Home/End move; e jumps to the next error line "
    "and E to the one before; / searches (n next, N before); : goes to a "
    "line number. The numbers on the left are the log's own line numbers, "
    "the ones the summary (s on the list of logs) and ntmend logs scan "
    "give.\n\n"
    "A log bigger than 8 MiB is shown from its last 8 MiB, the newest "
    "part: the line at the top says so. ntmend logs collect (c on the "
    "list) copies the whole logs to a zip.";

static size_t
view_rows(struct view_state *st, size_t i)
{
	char	**v;
	size_t	  n, k;

	n = tui_wrap(st->lt.lines[i], st->tw, &v);
	for (k = 0; k < n; k++)
		free(v[k]);
	free(v);
	return n;
}

static void
view_up(struct view_state *st, size_t *l, size_t *r, size_t k)
{
	while (k-- > 0) {
		if (*r > 0)
			(*r)--;
		else if (*l > 0) {
			(*l)--;
			*r = view_rows(st, *l) - 1;
		} else
			break;
	}
}

static void
view_down(struct view_state *st, size_t k)
{
	while (k-- > 0) {
		if (st->tr + 1 < view_rows(st, st->tl))
			st->tr++;
		else if (st->tl + 1 < st->lt.n) {
			st->tl++;
			st->tr = 0;
		} else
			break;
	}
}

/* No scrolling past the end: the last row stays at the bottom. */
static void
view_clamp(struct view_state *st)
{
	size_t	l, r;

	if (st->lt.n == 0) {
		st->tl = st->tr = 0;
		return;
	}
	if (st->tl >= st->lt.n)
		st->tl = st->lt.n - 1;
	if (st->tr >= (r = view_rows(st, st->tl)))
		st->tr = r - 1;
	l = st->lt.n - 1;
	r = view_rows(st, l) - 1;
	view_up(st, &l, &r, st->th > 1 ? (size_t)st->th - 1 : 0);
	if (st->tl > l || (st->tl == l && st->tr > r)) {
		st->tl = l;
		st->tr = r;
	}
}

static void
view_jump(struct view_state *st, size_t i)
{
	st->tl = i;
	st->tr = 0;
	st->cur = i;
	view_clamp(st);
}

static void
view_draw(struct tui_screen *s, int y, int h, int w)
{
	struct view_state	*st = s->state;
	struct logtext		*lt = &st->lt;
	char			**v, *line, *sz, *all, num[24];
	size_t			  li, k, nr, last;
	int			  row, gw;
	enum tui_color		  c;

	snprintf(num, sizeof num, "%llu",
	    (unsigned long long)(lt->first + (lt->n > 0 ? lt->n - 1 : 0)));
	gw = (int)strlen(num) + 1;
	st->tw = w - gw - 1 > 10 ? w - gw - 1 : 10;
	st->th = h - 1 > 1 ? h - 1 : 1;
	if (st->jump != SIZE_MAX) {
		view_jump(st, st->jump);
		st->jump = SIZE_MAX;
	}
	view_clamp(st);
	row = 0;
	last = st->tl;
	for (li = st->tl; li < lt->n && row < st->th; li++) {
		nr = tui_wrap(lt->lines[li], st->tw, &v);
		c = logs_line_color(lt->lines[li]);
		if (st->search != NULL && strcasestr(lt->lines[li], st->search))
			c = TUI_MARK;
		for (k = 0; k < nr; k++) {
			if (k >= (li == st->tl ? st->tr : 0) && row < st->th) {
				if (k == 0) {
					attrset(li == st->cur ?
					    tui_attr(TUI_SELECT) :
					    tui_attr(TUI_DIM));
					snprintf(num, sizeof num, "%*llu",
					    gw - 1, (unsigned long long)
					    (lt->first + li));
					tui_put(y + 1 + row, 0, gw, num);
				}
				attrset(li == st->cur ? tui_attr(TUI_SELECT) |
				    (tui_attr(c) & (int)A_BOLD) : tui_attr(c));
				tui_put(y + 1 + row, gw, st->tw, v[k]);
				row++;
				last = li;
			}
			free(v[k]);
		}
		free(v);
	}
	attrset(A_NORMAL);
	st->last = last;
	if (lt->n == 0)
		tui_put(y + 1, gw, st->tw, "(empty)");
	/* What is shown, and when the log was cut, that it was. */
	sz = out_size(lt->total);
	if (lt->dropped > 0) {
		all = out_size(lt->dropped);
		line = xprintf("%s  lines %llu-%llu of %llu  (%s: the first "
		    "%s not shown)", logs_base(st->path),
		    (unsigned long long)(lt->first + st->tl),
		    (unsigned long long)(lt->first + last),
		    (unsigned long long)(lt->first + lt->n - 1), sz, all);
		free(all);
		attrset(tui_attr(TUI_WARN));
	} else {
		line = xprintf("%s  lines %llu-%llu of %llu  (%s)",
		    logs_base(st->path), (unsigned long long)(lt->n > 0 ?
		    lt->first + st->tl : 0), (unsigned long long)(lt->n > 0 ?
		    lt->first + last : 0), (unsigned long long)lt->n, sz);
		attrset(tui_attr(TUI_DIM));
	}
	tui_put(y, 0, w, line);
	attrset(A_NORMAL);
	free(line);
	free(sz);
}

/* The next line (dir 1) or the one before (-1) from the cursor that is
 * an error line (search NULL) or holds search; wraps around. */
static void
view_find(struct view_state *st, int dir, const char *search)
{
	long	n = (long)st->lt.n, from, j, k;
	size_t	i;
	int	hit, wrapped;

	if (n == 0)
		return;
	/* From the line after the cursor, or when the view was moved by
	 * hand, from the top line down or the bottom one up (a log opens
	 * at its end: E finds the last error). */
	if (st->cur != SIZE_MAX)
		from = (long)st->cur + dir;
	else if (dir > 0)
		from = (long)st->tl + (st->tr == 0 ? 0 : 1);
	else
		from = (long)(st->last < st->lt.n ? st->last : st->lt.n - 1);
	for (k = 0; k < n; k++) {
		j = from + dir * k;
		wrapped = j < 0 || j >= n;
		i = (size_t)(((j % n) + n) % n);
		hit = search != NULL ? strcasestr(st->lt.lines[i], search) !=
		    NULL : logs_error_line(st->lt.lines[i]);
		if (!hit)
			continue;
		view_jump(st, i);
		if (search != NULL)
			tui_status(TUI_NORMAL, "line %llu: '%s'%s (n: next, "
			    "N: before)", (unsigned long long)(st->lt.first +
			    i), search, wrapped ? ", wrapped" : "");
		else
			tui_status(TUI_ERROR, "error line %llu%s (e: next, "
			    "E: before)", (unsigned long long)(st->lt.first +
			    i), wrapped ? ", wrapped" : "");
		return;
	}
	if (search != NULL)
		tui_status(TUI_WARN, "'%s' not found", search);
	else
		tui_status(TUI_GOOD, "no error line in %s",
		    logs_base(st->path));
}

static void
view_goto(struct view_state *st)
{
	char			*s, *end;
	unsigned long long	 v;
	struct logtext		*lt = &st->lt;

	s = tui_input("Go to line", "Line number:", NULL);
	if (s == NULL || *s == '\0') {
		free(s);
		return;
	}
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || lt->n == 0)
		tui_status(TUI_WARN, "not a line number: %s", s);
	else if (v < lt->first)
		tui_status(TUI_WARN, "line %llu is in the part of the log not "
		    "shown (lines from %llu on are)", v,
		    (unsigned long long)lt->first);
	else if (v - lt->first >= lt->n)
		tui_status(TUI_WARN, "the log has %llu lines",
		    (unsigned long long)(lt->first + lt->n - 1));
	else
		view_jump(st, (size_t)(v - lt->first));
	free(s);
}

static enum tui_key
view_key(struct tui_screen *s, int key)
{
	struct view_state	*st = s->state;
	size_t			 page = st->th > 1 ? (size_t)st->th - 1 : 1;
	char			*q;

	switch (key) {
	case KEY_UP:
	case 'k':
		view_up(st, &st->tl, &st->tr, 1);
		break;
	case KEY_DOWN:
	case 'j':
		view_down(st, 1);
		break;
	case KEY_PPAGE:
	case 'b':
		view_up(st, &st->tl, &st->tr, page);
		break;
	case KEY_NPAGE:
	case ' ':
		view_down(st, page);
		break;
	case KEY_HOME:
	case 'g':
		st->tl = st->tr = 0;
		break;
	case KEY_END:
	case 'G':
		st->tl = st->lt.n;
		break;
	case 'e':
		view_find(st, 1, NULL);
		return TUI_KEY_DONE;
	case 'E':
		view_find(st, -1, NULL);
		return TUI_KEY_DONE;
	case '/':
		q = tui_input("Search", "Find in this log:", st->search);
		if (q == NULL || *q == '\0') {
			free(q);
			return TUI_KEY_DONE;
		}
		free(st->search);
		st->search = q;
		view_find(st, 1, st->search);
		return TUI_KEY_DONE;
	case 'n':
	case 'N':
		if (st->search == NULL)
			tui_status(TUI_WARN, "/ searches first");
		else
			view_find(st, key == 'n' ? 1 : -1, st->search);
		return TUI_KEY_DONE;
	case ':':
		view_goto(st);
		return TUI_KEY_DONE;
	case 'q':
	case '\r':
	case '\n':
	case KEY_ENTER:
		return TUI_KEY_BACK;
	default:
		return TUI_KEY_PASS;
	}
	st->cur = SIZE_MAX;	/* moved by hand */
	view_clamp(st);
	return TUI_KEY_DONE;
}

static void
view_free(struct tui_screen *s)
{
	struct view_state	*st = s->state;

	lt_free(&st->lt);
	free(st->path);
	free(st->title);
	free(st->search);
	free(st);
}

/* Open the log at path ("X.cab:member" for a cab's log; a .cab alone is
 * its log) on line (0: the end, where the newest lines are). */
static void
view_open(const char *path, uint64_t line)
{
	struct tui_screen	 s;
	struct view_state	*st;
	char			*file, *member = NULL, *name = NULL, *colon;
	char			*cause = NULL;
	size_t			 len;
	int			 r;

	if (!tui_s.open) {
		tui_status(TUI_WARN, "No Windows installation is open");
		return;
	}
	file = xstrdup(path);
	if ((colon = strcasestr(file, ".cab:")) != NULL) {
		member = colon + 5;
		colon[4] = '\0';
	}
	st = xcalloc(1, sizeof *st);
	st->cur = st->jump = SIZE_MAX;
	logs_busy("reading %s...", logs_base(file));
	len = strlen(file);
	if (len > 4 && strcasecmp(file + len - 4, ".cab") == 0) {
		r = lt_read_cab(&st->lt, file, member, &name, &cause);
		st->path = xprintf("%s:%s", file, name != NULL ? name : "?");
	} else {
		r = lt_read_file(&st->lt, file, &cause);
		st->path = xstrdup(file);
	}
	free(name);
	free(file);
	if (r != 0 && st->lt.len == 0) {
		tui_status(TUI_ERROR, "%s", cause != NULL ? cause :
		    "cannot be read");
		free(cause);
		lt_free(&st->lt);
		free(st->path);
		free(st);
		return;
	}
	lt_finish(&st->lt);
	if (r != 0) {
		tui_status(TUI_ERROR, "%s (what could be read is shown)",
		    cause != NULL ? cause : "read error");
		free(cause);
	} else if (st->lt.dropped > 0)
		tui_status(TUI_WARN, "%s is large: its last %zu MiB are shown",
		    logs_base(st->path), LOG_KEEP >> 20);
	st->title = xprintf("Log %s", st->path);
	if (line == 0)
		st->tl = st->lt.n;
	else if (line >= st->lt.first && line - st->lt.first < st->lt.n)
		st->jump = (size_t)(line - st->lt.first);
	else {
		st->tl = st->lt.n;
		tui_status(TUI_WARN, "line %llu is in the part of the log not "
		    "shown", (unsigned long long)line);
	}
	memset(&s, 0, sizeof s);
	s.title = st->title;
	s.keys = "e next error  / search  : line";
	s.help = view_help;
	s.state = st;
	s.draw = view_draw;
	s.key = view_key;
	s.free = view_free;
	tui_push(&s);
}

/* The summary of `ntmend logs scan`. */

struct sum_ref {
	char		*log;
	uint64_t	 line;
};

struct sum_state {
	struct tui_list	 l;
	struct sum_ref	*refs;
	size_t		 nrefs;
	int		 h;
};

static const char sum_help[] =
    "What ntmend logs scan reads in the logs: the last servicing session "
    "(an update's install) and how it ended, dism.exe's last run, each "
    "failing error code (HRESULT) with its name and how often it "
    "appears, the packages and files failing lines name, and the lines "
    "that say what went wrong (store corruption, a missing repair "
    "source, a servicing stack too old). \"history\": nothing of it since "
    "the last successful install.\n\n"
    "Enter on a line with a log and line number opens that log there.";

static const char *
js(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static uint64_t
ji(json_t *o, const char *key)
{
	json_t	*v = json_object_get(o, key);

	return json_is_integer(v) ? (uint64_t)json_integer_value(v) : 0;
}

static const char *
jsd(json_t *o, const char *key, const char *dflt)
{
	const char	*s = js(o, key);

	return s != NULL ? s : dflt;
}

/* A row that opens log at line. */
static void
sum_ref_add(struct sum_state *st, enum tui_color c, const char *log,
    uint64_t line, const char *time, const char *text)
{
	st->refs = xreallocarray(st->refs, st->nrefs + 1, sizeof *st->refs);
	st->refs[st->nrefs].log = xstrdup(log);
	st->refs[st->nrefs].line = line;
	st->nrefs++;
	tui_list_add(&st->l, c, "    %s:%llu %s%s%s", logs_base(log),
	    (unsigned long long)line, time != NULL ? time : "",
	    time != NULL ? "  " : "", text != NULL ? text : "")->id =
	    st->nrefs;
}

static void
sum_names(struct sum_state *st, json_t *doc, const char *key,
    const char *heading)
{
	json_t	*a = json_object_get(doc, key), *o;
	size_t	 i;

	if (json_array_size(a) == 0)
		return;
	tui_list_heading(&st->l, "%s", heading);
	json_array_foreach(a, i, o) {
		tui_list_add(&st->l, ji(o, "current") > 0 ? TUI_ERROR : TUI_DIM,
		    "%5llu  %s%s%s%s", (unsigned long long)ji(o, "count"),
		    jsd(o, "name", "?"), js(o, "hresult") != NULL ? "  " : "",
		    jsd(o, "hresult", ""), ji(o, "current") == 0 ?
		    "  (history)" : "");
	}
}

static void
sum_build(struct sum_state *st, json_t *doc)
{
	json_t		*a, *o, *x;
	size_t		 i, nfound = 0;
	const char	*out;
	char		*sz;

	x = json_object_get(doc, "last_session");
	tui_list_heading(&st->l, "Last servicing session");
	if (json_is_object(x)) {
		out = jsd(x, "outcome", "?");
		tui_list_add(&st->l, TUI_NORMAL, "%s%s%s%s, %s%s%s",
		    jsd(x, "id", "?"), js(x, "client") != NULL ? " (" : "",
		    jsd(x, "client", ""), js(x, "client") != NULL ? ")" : "",
		    jsd(x, "started", "?"), js(x, "ended") != NULL ? " .. " :
		    "", jsd(x, "ended", ""));
		if (js(x, "package") != NULL)
			tui_list_add(&st->l, TUI_NORMAL, "package: %s",
			    js(x, "package"));
		tui_list_add(&st->l, strcmp(out, "succeeded") == 0 ? TUI_GOOD :
		    TUI_ERROR, "outcome: %s%s%s%s%s", out, js(x, "hresult") !=
		    NULL ? ", " : "", jsd(x, "hresult", ""),
		    js(x, "hresult_name") != NULL ? " " : "",
		    jsd(x, "hresult_name", ""));
	} else
		tui_list_add(&st->l, TUI_DIM, "none in the logs");
	o = json_object_get(doc, "sessions");
	tui_list_add(&st->l, TUI_DIM, "%llu session(s): %llu succeeded, %llu "
	    "failed, %llu unfinished; last success: %s",
	    (unsigned long long)ji(o, "count"),
	    (unsigned long long)ji(o, "succeeded"),
	    (unsigned long long)ji(o, "failed"),
	    (unsigned long long)ji(o, "unfinished"),
	    jsd(o, "last_success", "none"));

	x = json_object_get(doc, "last_dism");
	if (json_is_object(x)) {
		out = jsd(x, "outcome", "?");
		tui_list_heading(&st->l, "Last DISM run");
		tui_list_add(&st->l, TUI_NORMAL, "%s  %s", jsd(x, "time", ""),
		    jsd(x, "command", "?"));
		tui_list_add(&st->l, strcmp(out, "succeeded") == 0 ? TUI_GOOD :
		    TUI_ERROR, "outcome: %s%s%s%s%s", out, js(x, "hresult") !=
		    NULL ? ", " : "", jsd(x, "hresult", ""),
		    js(x, "hresult_name") != NULL ? " " : "",
		    jsd(x, "hresult_name", ""));
	}

	a = json_object_get(doc, "hresults");
	if (json_array_size(a) > 0)
		tui_list_heading(&st->l, "Error codes (HRESULT, lines, the "
		    "last one)");
	json_array_foreach(a, i, o) {
		x = json_object_get(o, "last");
		tui_list_add(&st->l, ji(o, "current") > 0 ? TUI_ERROR : TUI_DIM,
		    "%s %-36s %5llu%s", jsd(o, "hresult", "?"),
		    jsd(o, "name", "-"), (unsigned long long)ji(o, "count"),
		    ji(o, "current") == 0 ? "  (history)" : "");
		if (json_is_object(x) && js(x, "log") != NULL)
			sum_ref_add(st, TUI_NORMAL, js(x, "log"), ji(x, "line"),
			    NULL, js(x, "text"));
	}
	sum_names(st, doc, "packages", "Packages named by failing lines");
	sum_names(st, doc, "files", "Files named by failing lines");

	a = json_object_get(doc, "events");
	json_array_foreach(a, i, o) {
		if (strcmp(jsd(o, "kind", ""), "failure") == 0 ||
		    json_is_true(json_object_get(o, "stale")))
			continue;
		if (nfound++ == 0)
			tui_list_heading(&st->l, "What the logs say went "
			    "wrong");
		tui_list_add(&st->l, TUI_ERROR, "%s%s%s", jsd(o, "kind", "?"),
		    js(o, "hresult") != NULL ? "  " : "",
		    jsd(o, "hresult", ""));
		sum_ref_add(st, TUI_NORMAL, jsd(o, "log", "?"), ji(o, "line"),
		    js(o, "time"), js(o, "text"));
	}
	if (nfound == 0 && json_array_size(json_object_get(doc,
	    "hresults")) == 0) {
		tui_list_heading(&st->l, "%s", "");
		tui_list_add(&st->l, TUI_GOOD, "No failures logged.");
	}

	tui_list_heading(&st->l, "Logs read");
	a = json_object_get(doc, "logs");
	json_array_foreach(a, i, o) {
		if (!json_is_true(json_object_get(o, "present"))) {
			tui_list_add(&st->l, TUI_DIM, "%s  missing",
			    jsd(o, "path", "?"));
			continue;
		}
		sz = out_size(ji(o, "bytes"));
		tui_list_add(&st->l, js(o, "error") != NULL ? TUI_WARN :
		    TUI_NORMAL, "%s  %s, %llu lines, %s%s%s", jsd(o, "path",
		    "?"), sz, (unsigned long long)ji(o, "lines"),
		    jsd(o, "encoding", "?"), js(o, "error") != NULL ? ": " : "",
		    jsd(o, "error", ""));
		free(sz);
	}
}

static void
sum_draw(struct tui_screen *s, int y, int h, int w)
{
	struct sum_state	*st = s->state;

	st->h = h - 1;
	tui_list_draw(&st->l, y + 1, 1, st->h, w - 2);
}

static enum tui_key
sum_key(struct tui_screen *s, int key)
{
	struct sum_state	*st = s->state;
	struct tui_row		*r;

	if (key == '\r' || key == '\n' || key == KEY_ENTER ||
	    key == KEY_RIGHT) {
		if ((r = tui_list_cur(&st->l)) == NULL || r->id == 0 ||
		    r->id > st->nrefs)
			return TUI_KEY_DONE;
		view_open(st->refs[r->id - 1].log, st->refs[r->id - 1].line);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
sum_free(struct tui_screen *s)
{
	struct sum_state	*st = s->state;
	size_t			 i;

	tui_list_clear(&st->l);
	for (i = 0; i < st->nrefs; i++)
		free(st->refs[i].log);
	free(st->refs);
	free(st);
}

static void
sum_open(void)
{
	struct tui_screen	 s;
	struct sum_state	*st;
	json_t			*doc;
	char			*cause = NULL;

	logs_busy("reading the logs (ntmend logs scan)...");
	if ((doc = tui_jsonl(&cause, "logs", "scan", NULL)) == NULL) {
		tui_status(TUI_ERROR, "logs scan: %s", cause != NULL ? cause :
		    "no answer");
		free(cause);
		return;
	}
	st = xcalloc(1, sizeof *st);
	sum_build(st, doc);
	json_decref(doc);
	memset(&s, 0, sizeof s);
	s.title = "Logs: what they say (logs scan)";
	s.keys = "Enter open the line";
	s.help = sum_help;
	s.state = st;
	s.draw = sum_draw;
	s.key = sum_key;
	s.free = sum_free;
	tui_push(&s);
}

/* The list of logs. */

struct log_entry {
	char		*path;
	uint64_t	 size;
	int		 present;
};

struct logs_state {
	struct tui_list	 l;
	struct log_entry *e;
	size_t		 n;
	unsigned	 generation;
	int		 h;
};

static const char logs_help[] =
    "The servicing logs of the Windows installation: CBS.log (what "
    "Windows Update and DISM asked the servicing stack, and why it "
    "failed), the older CBS logs Windows rotated into CbsPersist_*.log "
    "and .cab files, dism.log, and WindowsUpdate.log and "
    "ReportingEvents.log where Windows left them.\n\n"
    "Enter opens one (errors in red, e jumps to the next). s shows what "
    "ntmend logs scan makes of them all: error codes with their names, "
    "the failing packages and files, how the last update ended, each with "
    "its log line. c copies them (with the hive states and a diagnosis) "
    "into a zip file for the ticket: nothing is written to the Windows "
    "volume. r lists the logs again.";

static void
logs_entry(struct logs_state *st, const char *path, int always)
{
	struct vol_stat	 vs;
	struct log_entry *e;

	if (vol_stat(tui_s.t.vol, path, &vs, NULL) != 0 || vs.is_dir) {
		if (!always)
			return;
		memset(&vs, 0, sizeof vs);
		vs.is_dir = 1;
	}
	st->e = xreallocarray(st->e, st->n + 1, sizeof *st->e);
	e = &st->e[st->n++];
	e->path = xstrdup(path);
	e->size = vs.size;
	e->present = !vs.is_dir;
}

static void
logs_load(struct logs_state *st)
{
	struct log_entry	*e;
	size_t			 i, n, sel = st->l.sel;
	char			*p, *sz, **names;

	for (i = 0; i < st->n; i++)
		free(st->e[i].path);
	free(st->e);
	st->e = NULL;
	st->n = 0;
	tui_list_clear(&st->l);
	st->generation = tui_s.generation;
	if (!tui_s.open) {
		tui_list_add(&st->l, TUI_WARN, "Not open: %s",
		    tui_s.open_error != NULL ? tui_s.open_error : "?")->id =
		    SIZE_MAX;
		return;
	}
	logs_entry(st, LOGSCAN_CBS_LOG, 1);
	/* Newest first. */
	n = logscan_persist_list(tui_s.t.vol, &names);
	for (i = n; i-- > 0;) {
		p = xprintf("%s\\%s", LOGSCAN_CBS_DIR, names[i]);
		logs_entry(st, p, 0);
		free(p);
		free(names[i]);
	}
	free(names);
	logs_entry(st, LOGSCAN_DISM_LOG, 1);
	logs_entry(st, LOG_WU, 0);
	logs_entry(st, LOGSCAN_WU_LOG, 0);
	tui_list_heading(&st->l, "%-54s %10s", "LOG", "SIZE");
	for (i = 0; i < st->n; i++) {
		e = &st->e[i];
		if (!e->present) {
			tui_list_add(&st->l, TUI_DIM, "%-54s %10s", e->path,
			    "missing")->id = i;
			continue;
		}
		sz = out_size(e->size);
		tui_list_add(&st->l, TUI_NORMAL, "%-54s %10s", e->path, sz)->id =
		    i;
		free(sz);
	}
	if (sel < st->l.n && sel > 0)
		st->l.sel = sel;
}

static void
logs_draw(struct tui_screen *s, int y, int h, int w)
{
	struct logs_state	*st = s->state;

	if (st->generation != tui_s.generation)
		logs_load(st);
	attrset(tui_attr(TUI_DIM));
	tui_put(y, 1, w - 2, "Enter view (errors in red)  s what the logs "
	    "say  c collect into a zip");
	attrset(A_NORMAL);
	st->h = h - 2;
	tui_list_draw(&st->l, y + 2, 1, st->h, w - 2);
}

/* c: every log, the hive states and a diagnosis into a zip on this
 * machine (the USB stick): `logs collect` never writes to the volume. */
static void
logs_zip(void)
{
	char		*path, *dflt, *cwd, stamp[32];
	const char	*host = tui_s.have_id && tui_s.id.computer_name !=
			    NULL ? tui_s.id.computer_name : "PC";
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 status;

	localtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
	cwd = getcwd(NULL, 0);
	dflt = xprintf("%s/ntmend-logs-%s-%s.zip", cwd != NULL ? cwd : ".",
	    host, stamp);
	free(cwd);
	path = tui_input("Collect the logs", "The zip file to write (on "
	    "this machine, e.g. the USB stick; it must not exist):", dflt);
	free(dflt);
	if (path == NULL || *path == '\0') {
		free(path);
		return;
	}
	status = tui_runl("Collect the logs", 0, NULL, "logs", "collect",
	    path, NULL);
	if (status == NTM_OK || status == NTM_WARN)
		tui_status(TUI_GOOD, "wrote %s", path);
	else if (status >= 0)
		tui_status(TUI_ERROR, "logs collect failed (exit status %d)",
		    status);
	free(path);
}

static enum tui_key
logs_key(struct tui_screen *s, int key)
{
	struct logs_state	*st = s->state;
	struct tui_row		*r;

	switch (key) {
	case '\r':
	case '\n':
	case KEY_ENTER:
	case KEY_RIGHT:
		if ((r = tui_list_cur(&st->l)) == NULL || r->id >= st->n)
			return TUI_KEY_DONE;
		if (!st->e[r->id].present) {
			tui_status(TUI_WARN, "%s is not on the volume",
			    st->e[r->id].path);
			return TUI_KEY_DONE;
		}
		view_open(st->e[r->id].path, 0);
		return TUI_KEY_DONE;
	case 's':
		sum_open();
		return TUI_KEY_DONE;
	case 'c':
		logs_zip();
		return TUI_KEY_DONE;
	case 'r':
		logs_load(st);
		return TUI_KEY_DONE;
	}
	return tui_list_key(&st->l, key, st->h);
}

static void
logs_free(struct tui_screen *s)
{
	struct logs_state	*st = s->state;
	size_t			 i;

	tui_list_clear(&st->l);
	for (i = 0; i < st->n; i++)
		free(st->e[i].path);
	free(st->e);
	free(st);
}

void
scr_logs(void)
{
	struct tui_screen	 s;
	struct logs_state	*st = xcalloc(1, sizeof *st);

	logs_load(st);
	memset(&s, 0, sizeof s);
	s.title = "Logs";
	s.keys = "Enter view  s summary  c collect";
	s.help = logs_help;
	s.state = st;
	s.draw = logs_draw;
	s.key = logs_key;
	s.free = logs_free;
	tui_push(&s);
}
