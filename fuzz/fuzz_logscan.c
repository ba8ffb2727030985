/*
 * fuzz_logscan.c: the servicing log scanner's line splitter and parser.
 *
 * The first byte chooses the log kind (bits 0-1: CBS, DISM, Windows
 * Update) and a piece size (bits 2-7); the rest is the log. Invariants
 * checked on every input:
 * - feeding the bytes whole or in pieces gives the same lines, codes,
 *   events and sessions (a chunk boundary must never change a result);
 * - counts stay consistent: cut and unreadable lines at most all lines,
 *   current at most count, kept events within their limit, each event's
 *   text shorter than NTM_MAX_LOG_TEXT and free of control bytes;
 * - a CBS log fed after a second copy of itself, as a rotated and a
 *   current log, never loses what the first held.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packages/packages.h"
#include "util/util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static struct logscan *
fuzz_scan(enum logscan_kind kind, const uint8_t *p, size_t len, size_t piece)
{
	struct logscan	*s = logscan_new();
	size_t		 off, n;

	logscan_begin(s, "fuzz.log", kind);
	for (off = 0; off < len; off += n) {
		n = piece == 0 || len - off < piece ? len - off : piece;
		logscan_feed(s, p + off, n);
	}
	logscan_end(s);
	logscan_finish(s);
	return s;
}

static void
fuzz_same(const struct logscan *a, const struct logscan *b)
{
	size_t	i;

	if (a->logs[0].lines != b->logs[0].lines ||
	    a->logs[0].cut != b->logs[0].cut ||
	    a->logs[0].unreadable != b->logs[0].unreadable ||
	    a->logs[0].crlf != b->logs[0].crlf ||
	    strcmp(a->logs[0].encoding, b->logs[0].encoding) != 0 ||
	    a->ncodes != b->ncodes || a->nevents != b->nevents ||
	    a->npackages != b->npackages || a->nfiles != b->nfiles ||
	    a->sessions != b->sessions || a->failed != b->failed ||
	    a->succeeded != b->succeeded || a->unfinished != b->unfinished ||
	    strcmp(a->last_ok, b->last_ok) != 0 ||
	    (a->last.id == NULL) != (b->last.id == NULL) ||
	    a->last.hr != b->last.hr)
		abort();
	for (i = 0; i < a->ncodes; i++) {
		if (a->codes[i].hr != b->codes[i].hr ||
		    a->codes[i].count != b->codes[i].count ||
		    a->codes[i].current != b->codes[i].current ||
		    strcmp(a->codes[i].last.text, b->codes[i].last.text) != 0)
			abort();
	}
	for (i = 0; i < a->nevents; i++) {
		if (a->events[i].kind != b->events[i].kind ||
		    a->events[i].line != b->events[i].line ||
		    strcmp(a->events[i].text, b->events[i].text) != 0)
			abort();
	}
	for (i = 0; i < LOGSCAN_EV_COUNT; i++) {
		if (a->counts[i] != b->counts[i] ||
		    a->current[i] != b->current[i])
			abort();
	}
}

static void
fuzz_text_ok(const char *t)
{
	const unsigned char	*p;

	if (t == NULL || strlen(t) >= NTM_MAX_LOG_TEXT)
		abort();
	for (p = (const unsigned char *)t; *p != '\0'; p++) {
		if (*p < 0x20 || *p == 0x7f)
			abort();
	}
}

static void
fuzz_sane(const struct logscan *s)
{
	size_t	i, k;

	for (i = 0; i < s->nlogs; i++) {
		if (s->logs[i].cut > s->logs[i].lines ||
		    s->logs[i].unreadable > s->logs[i].lines)
			abort();
	}
	if (s->ncodes > NTM_MAX_LOG_CODES ||
	    s->npackages > NTM_MAX_LOG_NAMES || s->nfiles > NTM_MAX_LOG_NAMES ||
	    s->nevents > LOGSCAN_EV_COUNT * NTM_MAX_LOG_EVENTS)
		abort();
	for (i = 0; i < s->ncodes; i++) {
		if (s->codes[i].current > s->codes[i].count ||
		    !logscan_hr_failed(s->codes[i].hr))
			abort();
		fuzz_text_ok(s->codes[i].first.text);
		fuzz_text_ok(s->codes[i].last.text);
	}
	for (i = 0; i < s->nevents; i++) {
		fuzz_text_ok(s->events[i].text);
		if (s->events[i].log >= s->nlogs || (i > 0 &&
		    s->events[i].seq < s->events[i - 1].seq))
			abort();
		logscan_time_utc(s->events[i].time, 0);
	}
	for (k = 0; k < LOGSCAN_EV_COUNT; k++) {
		if (s->current[k] > s->counts[k])
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct logscan		*whole, *pieces, *two;
	enum logscan_kind	 kind;
	size_t			 piece, i;

	if (size < 1)
		return 0;
	kind = (enum logscan_kind)(data[0] & 3);
	if (kind > LOGSCAN_WU)
		kind = LOGSCAN_CBS;
	piece = (size_t)(data[0] >> 2) + 1;
	data++;
	size--;

	whole = fuzz_scan(kind, data, size, 0);
	pieces = fuzz_scan(kind, data, size, piece);
	fuzz_sane(whole);
	fuzz_same(whole, pieces);

	/* Rotated, then current: two logs of one domain. */
	two = logscan_new();
	for (i = 0; i < 2; i++) {
		logscan_begin(two, i == 0 ? "CbsPersist_1.log" : "CBS.log",
		    kind);
		logscan_feed(two, data, size);
		logscan_end(two);
	}
	logscan_finish(two);
	fuzz_sane(two);
	if (two->nlogs != 2 || two->logs[1].lines != whole->logs[0].lines)
		abort();
	for (i = 0; i < whole->ncodes && i < two->ncodes; i++) {
		if (two->codes[i].hr != whole->codes[i].hr ||
		    two->codes[i].count < whole->codes[i].count)
			abort();
	}
	logscan_free(two);
	logscan_free(pieces);
	logscan_free(whole);
	return 0;
}
