/*
 * casefold.c: names compared as Windows compares them.
 *
 * NTFS matches file names through the volume's $UpCase table and the
 * registry matches key and value names with RtlUpcaseUnicodeChar: both
 * upper-case each UTF-16 unit by Unicode's simple mapping (one unit to
 * one unit: "ß" stays "ß", never "SS") and compare the results. So:
 *
 * - U+0000..U+007F fold a-z here, whatever the locale.
 * - The rest of the BMP folds with towupper_l in C.UTF-8, glibc's simple
 *   uppercase mapping of all of Unicode: Latin-1 and Latin Extended
 *   (German and French installations have key and folder names with
 *   umlauts and accents: "Ä" and "ä" are one key), Greek, Cyrillic,
 *   Armenian, Georgian, Cherokee, Glagolitic, Coptic, letterlike forms
 *   (Roman numerals, circled letters) and the fullwidth forms. It is a
 *   superset of the Latin/Greek/Cyrillic/Armenian/fullwidth table that
 *   hive/reg.c carried, and what hive/key.c and ntfs/dir.c used.
 * - Characters outside the BMP never change case: Windows sees them as
 *   surrogate pairs, and no surrogate unit has an upper case.
 *
 * Without the C.UTF-8 locale (built into glibc since 2.35, shipped by the
 * rescue image) only ASCII folds.
 */

#include <locale.h>
#include <pthread.h>
#include <wctype.h>

#include "util/util.h"

/* A byte that starts no valid UTF-8 sequence: itself with this bit set,
 * so it matches only the same byte and sorts after every real unit. */
#define CASEFOLD_BAD		0x80000000u

static pthread_once_t	casefold_once = PTHREAD_ONCE_INIT;
static locale_t		casefold_loc;

static void
casefold_init(void)
{
	/* Made once and kept for the process, so the caller's own locale
	 * (often "C" on a rescue stick) does not matter. */
	casefold_loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
}

/* The next code point of UTF-8 (strict: no overlongs, no surrogates). */
static uint32_t
casefold_utf8_next(const char **sp)
{
	const uint8_t	*s = (const uint8_t *)*sp;
	uint32_t	 c, min;
	size_t		 n, i;

	if (s[0] < 0x80) {
		*sp += 1;
		return s[0];
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		c = s[0] & 0x1f;
		min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		c = s[0] & 0x0f;
		min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3;
		c = s[0] & 0x07;
		min = 0x10000;
	} else
		goto bad;
	/* A NUL ends the string and fails this test first. */
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			goto bad;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		goto bad;
	*sp += n + 1;
	return c;

bad:
	*sp += 1;
	return CASEFOLD_BAD | s[0];
}

/* UTF-16 units of a UTF-8 string, one at a time; 0 at its end. */
struct casefold_it {
	const char	*s;
	uint32_t	 low;		/* pending low surrogate, 0 if none */
};

static uint32_t
casefold_unit(struct casefold_it *it)
{
	uint32_t	c;

	if (it->low != 0) {
		c = it->low;
		it->low = 0;
		return c;
	}
	if (*it->s == '\0')
		return 0;
	c = casefold_utf8_next(&it->s);
	if (c >= 0x10000 && !(c & CASEFOLD_BAD)) {
		c -= 0x10000;
		it->low = 0xdc00 | (c & 0x3ff);
		return 0xd800 | c >> 10;
	}
	return c;
}

static uint32_t
casefold_upcase(uint32_t u)
{
	if (u < 0x80)
		return (u >= 'a' && u <= 'z') ? u - 'a' + 'A' : u;
	if (u > 0xffff || (u >= 0xd800 && u <= 0xdfff))
		return u;
	pthread_once(&casefold_once, casefold_init);
	if (casefold_loc == (locale_t)0)
		return u;
	return (uint32_t)towupper_l((wint_t)u, casefold_loc);
}

int
casefold_cmp(const char *a, const char *b)
{
	struct casefold_it	ia = { a, 0 }, ib = { b, 0 };
	uint32_t		ua, ub;

	for (;;) {
		ua = casefold_unit(&ia);
		ub = casefold_unit(&ib);
		if (ua == 0 || ub == 0)
			return (ua != 0) - (ub != 0);
		if (ua == ub)
			continue;
		ua = casefold_upcase(ua);
		ub = casefold_upcase(ub);
		if (ua != ub)
			return ua < ub ? -1 : 1;
	}
}

int
casefold_equal(const char *a, const char *b)
{
	return casefold_cmp(a, b) == 0;
}
