/* widget.c: lists, the text viewer and the dialogs every screen uses. */

#include <curses.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <wctype.h>

#include "tui/tui.h"
#include "tui/private.h"

/* Longest line a dialog asks for: a registry path or a file name. */
#define NTM_TUI_INPUT_MAX	1024

/* The next character of s: *wc and its bytes; invalid bytes are one '?'
 * each, control characters a space (a log's tabs, a hive's junk). */
static size_t
next_char(const char *s, wchar_t *wc)
{
	mbstate_t	st;
	size_t		n;

	memset(&st, 0, sizeof st);
	n = mbrtowc(wc, s, MB_CUR_MAX, &st);
	if (n == (size_t)-1 || n == (size_t)-2 || n == 0) {
		*wc = L'?';
		return 1;
	}
	if (iswcntrl((wint_t)*wc))
		*wc = L' ';
	return n;
}

static int
char_width(wchar_t wc)
{
	int	w = wcwidth(wc);

	return w < 0 ? 1 : w;
}

size_t
tui_width(const char *s)
{
	wchar_t	wc;
	size_t	w = 0;

	while (*s != '\0') {
		s += next_char(s, &wc);
		w += (size_t)char_width(wc);
	}
	return w;
}

int
tui_put(int y, int x, int w, const char *s)
{
	wchar_t	wc;
	int	used = 0, cw;

	move(y, x);
	while (*s != '\0') {
		s += next_char(s, &wc);
		cw = char_width(wc);
		if (used + cw > w)
			break;
		addnwstr(&wc, 1);
		used += cw;
	}
	return used;
}

/* Columns up to the next space or line end. */
static size_t
word_width(const char *s)
{
	wchar_t	wc;
	size_t	w = 0, n;

	while (*s != '\0' && *s != '\n') {
		n = next_char(s, &wc);
		if (wc == L' ')
			break;
		w += (size_t)char_width(wc);
		s += n;
	}
	return w;
}

size_t
tui_wrap(const char *text, int w, char ***lines)
{
	const char	*p = text, *start, *cut, *q;
	size_t		 n = 0, cap = 0;
	wchar_t		 wc;
	int		 used;

	*lines = NULL;
	if (w < 1)
		w = 1;
	do {
		start = p;
		cut = NULL;
		used = 0;
		for (q = p; *q != '\0' && *q != '\n';) {
			size_t	len = next_char(q, &wc);

			if (used + char_width(wc) > w)
				break;
			used += char_width(wc);
			q += len;
			if (wc == L' ')
				cut = q;
		}
		/* Break at the last space, unless the word that follows
		 * would not fit a line of its own either (a long path). */
		if (*q != '\0' && *q != '\n' && cut != NULL && cut > start &&
		    word_width(cut) <= (size_t)w)
			q = cut;
		if (n == cap)
			*lines = xreallocarray(*lines, cap = cap * 2 + 16,
			    sizeof **lines);
		(*lines)[n++] = xstrndup(start, (size_t)(q - start));
		p = q;
		if (*p == '\n')
			p++;
		else if (*p != '\0' && q == start)
			p += next_char(p, &wc);	/* a character wider than w */
	} while (*p != '\0');
	return n;
}

static void
free_lines(char **lines, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(lines[i]);
	free(lines);
}

void
tui_list_clear(struct tui_list *l)
{
	size_t	i;

	for (i = 0; i < l->n; i++)
		free(l->rows[i].text);
	free(l->rows);
	free(l->search);
	memset(l, 0, sizeof *l);
}

static struct tui_row *
list_addv(struct tui_list *l, enum tui_color c, const char *fmt, va_list ap)
{
	struct tui_row	*r;
	char		*text;

	xvasprintf(&text, fmt, ap);
	l->rows = xreallocarray(l->rows, l->n + 1, sizeof *l->rows);
	r = &l->rows[l->n++];
	memset(r, 0, sizeof *r);
	r->text = text;
	r->color = c;
	/* The cursor starts on the first row it may stand on. */
	if (l->sel < l->n - 1 && l->rows[l->sel].header)
		l->sel = l->n - 1;
	return r;
}

struct tui_row *
tui_list_add(struct tui_list *l, enum tui_color c, const char *fmt, ...)
{
	struct tui_row	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = list_addv(l, c, fmt, ap);
	va_end(ap);
	return r;
}

struct tui_row *
tui_list_heading(struct tui_list *l, const char *fmt, ...)
{
	struct tui_row	*r;
	va_list		 ap;

	va_start(ap, fmt);
	r = list_addv(l, TUI_NORMAL, fmt, ap);
	va_end(ap);
	r->header = 1;
	if (l->sel == l->n - 1)
		l->sel = l->n;	/* past it until a row comes */
	return r;
}

struct tui_row *
tui_list_cur(struct tui_list *l)
{
	if (l->sel >= l->n || l->rows[l->sel].header)
		return NULL;
	return &l->rows[l->sel];
}

void
tui_list_draw(struct tui_list *l, int y, int x, int h, int w)
{
	struct tui_row	*r;
	size_t		 i;
	int		 used, a;

	if (h < 1)
		return;
	if (l->sel >= l->n && l->n > 0)
		l->sel = l->n - 1;
	if (l->sel < l->top)
		l->top = l->sel;
	if (l->sel >= l->top + (size_t)h)
		l->top = l->sel - (size_t)h + 1;
	/* A heading just above the cursor stays in sight. */
	if (l->top > 0 && l->top == l->sel && l->rows[l->top - 1].header)
		l->top--;
	for (i = l->top; i < l->n && i < l->top + (size_t)h; i++) {
		r = &l->rows[i];
		a = r->header ? (int)(A_BOLD | A_UNDERLINE) : tui_attr(r->color);
		if (i == l->sel && !r->header)
			a = tui_attr(TUI_SELECT) | (a & A_BOLD);
		attrset(a);
		if (i == l->sel && !r->header)
			mvhline(y + (int)(i - l->top), x, ' ', w);
		used = 0;
		if (l->checkable && !r->header)
			used = tui_put(y + (int)(i - l->top), x, w,
			    r->marked ? "[x] " : "[ ] ");
		tui_put(y + (int)(i - l->top), x + used, w - used, r->text);
	}
	attrset(A_NORMAL);
	if (l->top > 0)
		mvaddstr(y, x + w - 1, "^");
	if (l->top + (size_t)h < l->n)
		mvaddstr(y + h - 1, x + w - 1, "v");
}

/* Move the cursor by delta rows, over headings. */
static void
list_move(struct tui_list *l, long delta)
{
	long	i = (long)l->sel, step = delta < 0 ? -1 : 1, last = i;

	if (l->n == 0)
		return;
	while (delta != 0) {
		i += step;
		if (i < 0 || i >= (long)l->n)
			break;
		if (!l->rows[i].header) {
			last = i;
			delta -= step;
		}
	}
	l->sel = (size_t)last;
}

static int
list_find(struct tui_list *l)
{
	size_t	i, k;

	for (k = 1; k <= l->n; k++) {
		i = (l->sel + k) % l->n;
		if (!l->rows[i].header &&
		    strcasestr(l->rows[i].text, l->search) != NULL) {
			l->sel = i;
			return 0;
		}
	}
	return -1;
}

enum tui_key
tui_list_key(struct tui_list *l, int key, int h)
{
	char	*s;

	switch (key) {
	case KEY_UP:
	case 'k':
		list_move(l, -1);
		break;
	case KEY_DOWN:
	case 'j':
		list_move(l, 1);
		break;
	case KEY_PPAGE:
		list_move(l, -(h > 1 ? h - 1 : 1));
		break;
	case KEY_NPAGE:
		list_move(l, h > 1 ? h - 1 : 1);
		break;
	case KEY_HOME:
		l->sel = 0;
		if (l->n > 0 && l->rows[0].header)
			list_move(l, 1);
		break;
	case KEY_END:
		l->sel = l->n > 0 ? l->n - 1 : 0;
		break;
	case '/':
		s = tui_input("Search", "Find in this list:", l->search);
		if (s == NULL || *s == '\0') {
			free(s);
			break;
		}
		free(l->search);
		l->search = s;
		/* FALLTHROUGH */
	case 'n':
		if (l->search == NULL)
			return TUI_KEY_PASS;
		if (list_find(l) != 0)
			tui_status(TUI_WARN, "'%s' not found", l->search);
		else
			tui_status(TUI_NORMAL, "found '%s' (n: next)",
			    l->search);
		break;
	case ' ':
		if (!l->checkable || tui_list_cur(l) == NULL)
			return TUI_KEY_PASS;
		tui_list_cur(l)->marked = !tui_list_cur(l)->marked;
		break;
	default:
		return TUI_KEY_PASS;
	}
	return TUI_KEY_DONE;
}

void
tui_panel(int y, int h, int w, const char *text)
{
	char	**lines;
	size_t	  n, i;

	if (h < 2)
		return;
	attrset(tui_attr(TUI_DIM));
	mvhline(y, 1, ACS_HLINE, w - 2);
	attrset(A_NORMAL);
	n = tui_wrap(text, w - 4, &lines);
	for (i = 0; i < n; i++) {
		if ((int)i < h - 1)
			tui_put(y + 1 + (int)i, 2, w - 4, lines[i]);
		free(lines[i]);
	}
	free(lines);
}

/* The colour of a log or output line: failures red, warnings yellow. */
static enum tui_color
line_color(const char *s)
{
	if (strcasestr(s, "error") != NULL || strcasestr(s, "fail") != NULL ||
	    strstr(s, "0x800") != NULL || strcasestr(s, "corrupt") != NULL)
		return TUI_ERROR;
	if (strcasestr(s, "warn") != NULL)
		return TUI_WARN;
	return TUI_NORMAL;
}

void
tui_view(const char *title, const char *text, int highlight)
{
	char		**lines = NULL, *search = NULL, *s, *hint;
	size_t		  n = 0, top = 0, i, k;
	int		  ch, h, w = -1;
	enum tui_color	  c;

	for (;;) {
		if (w != COLS) {
			free_lines(lines, n);
			w = COLS;
			n = tui_wrap(text, w - 2, &lines);
		}
		h = LINES - 2;
		if (h < 1)
			h = 1;
		if (n > (size_t)h && top > n - (size_t)h)
			top = n - (size_t)h;
		if (n <= (size_t)h)
			top = 0;
		erase();
		for (i = top; i < n && i < top + (size_t)h; i++) {
			c = highlight ? line_color(lines[i]) : TUI_NORMAL;
			if (search != NULL && strcasestr(lines[i], search))
				c = TUI_MARK;
			attrset(tui_attr(c));
			tui_put(1 + (int)(i - top), 1, w - 2, lines[i]);
		}
		attrset(tui_attr(TUI_TITLE));
		mvhline(0, 0, ' ', w);
		tui_put(0, 1, w - 1, title);
		mvhline(LINES - 1, 0, ' ', w);
		xasprintf(&hint, "lines %zu-%zu of %zu   Up/Down PgUp/PgDn  "
		    "/ search  Esc close", n == 0 ? 0 : top + 1,
		    top + (size_t)h < n ? top + (size_t)h : n, n);
		tui_put(LINES - 1, 1, w - 1, hint);
		free(hint);
		attrset(A_NORMAL);
		refresh();
		ch = getch();
		switch (ch) {
		case KEY_UP:
		case 'k':
			if (top > 0)
				top--;
			break;
		case KEY_DOWN:
		case 'j':
			top++;
			break;
		case KEY_PPAGE:
			top = top > (size_t)h ? top - (size_t)h : 0;
			break;
		case KEY_NPAGE:
		case ' ':
			top += (size_t)h;
			break;
		case KEY_HOME:
		case 'g':
			top = 0;
			break;
		case KEY_END:
		case 'G':
			top = n;
			break;
		case '/':
			s = tui_input("Search", "Find in this text:", search);
			if (s == NULL || *s == '\0') {
				free(s);
				break;
			}
			free(search);
			search = s;
			/* FALLTHROUGH */
		case 'n':
			if (search == NULL)
				break;
			for (k = 1; k <= n; k++) {
				if (strcasestr(lines[(top + k) % n], search)) {
					top = (top + k) % n;
					break;
				}
			}
			break;
		case 27:
		case '\r':
		case '\n':
		case KEY_ENTER:
		case 'q':
		case KEY_LEFT:
			free_lines(lines, n);
			free(search);
			return;
		}
	}
}

/* A box in the middle of the screen, over the screen under it, holding
 * the wrapped text and extra lines below it; caller deletes it. */
static WINDOW *
dialog_box(const char *title, const char *text, int extra, int *tw)
{
	char	**lines;
	size_t	  n, i;
	int	  w, h;
	WINDOW	 *win;

	tui_redraw();
	w = COLS - 4 < 70 ? COLS - 4 : 70;
	n = tui_wrap(text, w - 4, &lines);
	h = (int)n + extra + 3;
	if (h > LINES - 2)
		h = LINES - 2;
	win = newwin(h, w, (LINES - h) / 2, (COLS - w) / 2);
	keypad(win, TRUE);
	werase(win);
	box(win, 0, 0);
	for (i = 0; i < n && (int)i < h - 2 - extra; i++)
		mvwaddstr(win, 1 + (int)i, 2, lines[i]);
	wattrset(win, A_BOLD);
	mvwaddstr(win, 0, 2, " ");
	waddnstr(win, title, w - 6);
	waddstr(win, " ");
	wattrset(win, A_NORMAL);
	free_lines(lines, n);
	*tw = w;
	return win;
}

int
tui_confirm(const char *title, const char *question)
{
	WINDOW	*win;
	int	 ch, w, yes = 0;

	for (;;) {
		win = dialog_box(title, question, 1, &w);
		wmove(win, getmaxy(win) - 2, 2);
		wattrset(win, yes ? tui_attr(TUI_SELECT) : (int)A_NORMAL);
		waddstr(win, "[ Yes ]");
		wattrset(win, A_NORMAL);
		waddstr(win, "   ");
		wattrset(win, !yes ? tui_attr(TUI_SELECT) : (int)A_NORMAL);
		waddstr(win, "[ No ]");
		wattrset(win, A_NORMAL);
		waddstr(win, "   y/n");
		wrefresh(win);
		ch = wgetch(win);
		delwin(win);
		switch (ch) {
		case 'y':
		case 'Y':
			return 1;
		case 'n':
		case 'N':
		case 27:
			return 0;
		case KEY_LEFT:
		case KEY_RIGHT:
		case '\t':
			yes = !yes;
			break;
		case '\r':
		case '\n':
		case KEY_ENTER:
			return yes;
		}
	}
}

char *
tui_input(const char *title, const char *prompt, const char *initial)
{
	wchar_t		 buf[NTM_TUI_INPUT_MAX];
	size_t		 len = 0, off, i;
	WINDOW		*win;
	wint_t		 wc;
	int		 r, w, shown;
	char		*out;
	mbstate_t	 st;

	if (initial != NULL) {
		const char	*p = initial;

		memset(&st, 0, sizeof st);
		r = (int)mbsrtowcs(buf, &p, NTM_TUI_INPUT_MAX - 1, &st);
		len = r > 0 ? (size_t)r : 0;
	}
	curs_set(1);
	for (;;) {
		win = dialog_box(title, prompt, 1, &w);
		shown = w - 5;
		off = len > (size_t)shown ? len - (size_t)shown : 0;
		wmove(win, getmaxy(win) - 2, 2);
		wattrset(win, A_UNDERLINE);
		for (i = 0; (int)i < shown; i++)
			waddch(win, ' ');
		wmove(win, getmaxy(win) - 2, 2);
		waddnwstr(win, buf + off, (int)(len - off));
		wattrset(win, A_NORMAL);
		wrefresh(win);
		r = wget_wch(win, &wc);
		delwin(win);
		if (r == ERR)
			continue;
		if (r == KEY_CODE_YES) {
			if (wc == KEY_BACKSPACE && len > 0)
				len--;
			else if (wc == KEY_ENTER)
				break;
			continue;
		}
		if (wc == 27) {
			curs_set(0);
			return NULL;
		}
		if (wc == L'\r' || wc == L'\n')
			break;
		if ((wc == 127 || wc == 8) && len > 0)
			len--;
		else if (wc == 21)	/* ^U */
			len = 0;
		else if (iswprint(wc) && len < NTM_TUI_INPUT_MAX - 1)
			buf[len++] = (wchar_t)wc;
	}
	curs_set(0);
	buf[len] = L'\0';
	out = xmalloc(len * MB_CUR_MAX + 1);
	if (wcstombs(out, buf, len * MB_CUR_MAX + 1) == (size_t)-1)
		out[0] = '\0';
	return out;
}

int
tui_pick(const char *title, const char *const *items, size_t n,
    size_t initial)
{
	struct tui_list	 l;
	WINDOW		*win;
	size_t		 i;
	int		 ch, w, h, y, x, ret;

	memset(&l, 0, sizeof l);
	for (i = 0; i < n; i++)
		tui_list_add(&l, TUI_NORMAL, "%s", items[i]);
	l.sel = initial < n ? initial : 0;
	for (;;) {
		tui_redraw();
		w = COLS - 4 < 70 ? COLS - 4 : 70;
		h = (int)n + 2 < LINES - 2 ? (int)n + 2 : LINES - 2;
		y = (LINES - h) / 2;
		x = (COLS - w) / 2;
		win = newwin(h, w, y, x);
		werase(win);
		box(win, 0, 0);
		wmove(win, 0, 2);
		wattrset(win, A_BOLD);
		waddstr(win, " ");
		waddnstr(win, title, w - 6);
		waddstr(win, " ");
		wrefresh(win);
		delwin(win);
		tui_list_draw(&l, y + 1, x + 1, h - 2, w - 2);
		refresh();
		ch = getch();
		if (ch == 27) {
			ret = -1;
			break;
		}
		if (ch == '\r' || ch == '\n' || ch == KEY_ENTER) {
			ret = (int)l.sel;
			break;
		}
		tui_list_key(&l, ch, h - 2);
	}
	tui_list_clear(&l);
	return ret;
}
