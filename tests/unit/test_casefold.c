/*
 * test_casefold.c: names compared and ordered as Windows does (registry
 * key and value names, NTFS file names). The program never calls
 * setlocale, so it runs in the "C" locale: folding must not depend on
 * the caller's locale.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "util/util.h"

static int
sign(int v)
{
	return (v > 0) - (v < 0);
}

/* a and b are (want 1) or are not (want 0) one name, both ways round,
 * and casefold_cmp agrees. */
static void
check_equal(const char *a, const char *b, int want)
{
	int	got, ab, ba;

	got = casefold_equal(a, b);
	if (got != want)
		fail_msg("casefold_equal(\"%s\", \"%s\") = %d, want %d", a, b,
		    got, want);
	got = casefold_equal(b, a);
	if (got != want)
		fail_msg("casefold_equal(\"%s\", \"%s\") = %d, want %d", b, a,
		    got, want);
	ab = casefold_cmp(a, b);
	ba = casefold_cmp(b, a);
	if ((ab == 0) != want || sign(ab) != -sign(ba))
		fail_msg("casefold_cmp(\"%s\", \"%s\") = %d and reversed %d "
		    "for names %s", a, b, ab, ba, want ? "equal" : "unequal");
}

/* casefold_cmp(a, b) has the sign want, and the opposite reversed. */
static void
check_order(const char *a, const char *b, int want)
{
	int	ab, ba;

	ab = casefold_cmp(a, b);
	ba = casefold_cmp(b, a);
	if (sign(ab) != want || sign(ba) != -want)
		fail_msg("casefold_cmp(\"%s\", \"%s\") = %d, reversed %d; want "
		    "sign %d", a, b, ab, ba, want);
}

static void
test_ascii(void **state)
{
	check_equal("Software", "SOFTWARE", 1);
	check_equal("CurrentControlSet", "currentcontrolset", 1);
	check_equal("", "", 1);
	check_equal("a", "b", 0);
	/* Only letters fold: [ \ ] ^ _ ` and { | } ~ are 0x20 apart too. */
	check_equal("[", "{", 0);
	check_equal("@", "`", 0);
	check_equal("\\", "|", 0);
}

static void
test_latin1(void **state)
{
	/* ü/Ü, ÿ/Ÿ (U+00FF/U+0178), µ/Μ (U+00B5/U+039C) */
	check_equal("gr\xc3\xbc" "n", "GR\xc3\x9cN", 1);
	check_equal("\xc3\xbf", "\xc5\xb8", 1);
	check_equal("\xc2\xb5", "\xce\x9c", 1);
	/* ß has no one-letter capital: Grüße is not GRÜSSE, nor ẞ. */
	check_equal("gr\xc3\xbc\xc3\x9f" "e", "GR\xc3\x9c\xc3\x9f" "E", 1);
	check_equal("gr\xc3\xbc\xc3\x9f" "e", "GR\xc3\x9cSSE", 0);
	check_equal("\xc3\x9f", "\xe1\xba\x9e", 0);
	/* ÷ and × sit where a lower and upper pair would. */
	check_equal("\xc3\xb7", "\xc3\x97", 0);
	/* Latin Extended-A: ı and ſ upper-case to ASCII I and S. */
	check_equal("\xc4\xb1", "I", 1);
	check_equal("\xc5\xbf", "s", 1);
	check_equal("\xc5\x82\xc3\xb3" "d\xc5\xba", "\xc5\x81\xc3\x93"
	    "D\xc5\xb9", 1);
	/* Latin Extended-B (folded by the old key.c and dir.c, not by
	 * reg.c): ǆ/Ǆ */
	check_equal("\xc7\x86", "\xc7\x84", 1);
}

static void
test_greek_cyrillic(void **state)
{
	/* σ/Σ, final ς/Σ, ά/Ά, ώ/Ώ */
	check_equal("\xcf\x83", "\xce\xa3", 1);
	check_equal("\xcf\x82", "\xce\xa3", 1);
	check_equal("\xce\xac", "\xce\x86", 1);
	check_equal("\xcf\x8e", "\xce\x8f", 1);
	check_equal("\xce\xb1", "\xce\xb2", 0);
	/* ж/Ж, ё/Ё, ѣ/Ѣ; Cyrillic а is not Latin A */
	check_equal("\xd0\xb6", "\xd0\x96", 1);
	check_equal("\xd1\x91", "\xd0\x81", 1);
	check_equal("\xd1\xa3", "\xd1\xa2", 1);
	check_equal("\xd0\xb0", "A", 0);
	/* Armenian ա/Ա */
	check_equal("\xd5\xa1", "\xd4\xb1", 1);
}

static void
test_fullwidth_and_symbols(void **state)
{
	/* Fullwidth ａ/Ａ, and neither is ASCII A. */
	check_equal("\xef\xbd\x81", "\xef\xbc\xa1", 1);
	check_equal("\xef\xbd\x81", "A", 0);
	/* Roman numeral ⅰ/Ⅰ and circled ⓐ/Ⓐ have case too. */
	check_equal("\xe2\x85\xb0", "\xe2\x85\xa0", 1);
	check_equal("\xe2\x93\x90", "\xe2\x92\xb6", 1);
	/* Outside the BMP Windows sees surrogate pairs, which have no case:
	 * Deseret 𐐨 is not 𐐀 to it, though Unicode pairs them. */
	check_equal("\xf0\x90\x90\xa8", "\xf0\x90\x90\x80", 0);
	check_equal("\xf0\x90\x90\x80", "\xf0\x90\x90\x80", 1);
	/* CJK has no case. */
	check_equal("\xe4\xb8\xad", "\xe4\xb8\xad", 1);
	check_equal("\xe4\xb8\xad", "\xe6\x96\x87", 0);
}

static void
test_invalid_utf8(void **state)
{
	/* A bad byte matches only the same byte; the rest still folds. */
	check_equal("a\xff", "A\xff", 1);
	check_equal("a\xff", "a\xfe", 0);
	check_equal("\xff", "\xef\xbf\xbd", 0);
	/* Cut short: a lead byte at the end, or before a non-continuation. */
	check_equal("\xc3", "\xc3", 1);
	check_equal("\xc3", "\xc3\xbc", 0);
	check_equal("x\xe2\x82", "X\xe2\x82", 1);
	check_equal("\xc3" "a", "\xc3" "A", 1);
	/* Overlong "/" and an encoded surrogate are bytes, not characters. */
	check_equal("\xc0\xaf", "/", 0);
	check_equal("\xed\xa0\x80", "\xed\xa0\x80", 1);
	check_equal("\xed\xa0\x80", "\xf0\x90\x80\x80", 0);
	/* A stray continuation byte is not the start of a character. */
	check_equal("\xbc", "\xc3\xbc", 0);
}

static void
test_lengths(void **state)
{
	check_equal("Select", "Selec", 0);
	check_equal("Sel", "SELECT", 0);
	check_equal("", "a", 0);
	check_equal("\xc3\xbc", "\xc3\x9cx", 0);
	check_order("", "a", -1);
	check_order("Sel", "SELECT", -1);
	check_order("select", "SEL", 1);
	check_order("\xc3\xbc", "\xc3\x9cx", -1);
}

static void
test_order(void **state)
{
	check_order("Select", "SELECT", 0);
	check_order("a", "B", -1);
	check_order("A", "b", -1);
	/* Windows sorts upper-cased: "_" (0x5f) comes after "a" (as "A",
	 * 0x41), though it comes before it byte for byte. */
	check_order("_", "a", 1);
	/* hivex placed "äb" after "Äc": Windows has it before. */
	check_order("\xc3\xa4" "b", "\xc3\x84" "c", -1);
	/* UTF-16 order, not code point order: 𐐀 (D801 DC00) before
	 * fullwidth Ａ (FF21), after U+D7FF. */
	check_order("\xf0\x90\x90\x80", "\xef\xbc\xa1", -1);
	check_order("\xf0\x90\x90\x80", "\xed\x9f\xbf", 1);
	/* A bad byte sorts after every character. */
	check_order("\xff", "\xef\xbf\xbf", 1);
	check_order("a\xfe", "A\xff", -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ascii),
		cmocka_unit_test(test_latin1),
		cmocka_unit_test(test_greek_cyrillic),
		cmocka_unit_test(test_fullwidth_and_symbols),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
