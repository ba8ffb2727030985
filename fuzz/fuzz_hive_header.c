/*
 * fuzz_hive_header.c: the registry base block, transaction log records and
 * value text, from arbitrary bytes.
 *
 * Checksums and Marvin32 hashes would stop almost every mutation at the
 * first check, so the input is repaired before parsing (base block
 * checksum, both hashes of each HvLE entry whose size fits) and the
 * fuzzer reaches the entry and page checks behind them. The input is
 * parsed as it is, too.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What checkout would see if the hashes were right. */
static void
fuzz_repair(uint8_t *p, size_t len)
{
	size_t		off = HIVE_HEADER_MIN, size;

	if (len >= HIVE_HEADER_MIN)
		le32enc(p + 508, hive_header_checksum(p));
	while (off <= len && len - off >= 40 && memcmp(p + off, "HvLE", 4) == 0) {
		size = le32dec(p + off + 4);
		if (size < 40 || size % 512 != 0 || size > len - off)
			break;
		le64enc(p + off + 24, hive_log_hash(p + off + 40, size - 40));
		le64enc(p + off + 32, hive_log_hash(p + off, 32));
		off += size;
	}
}

static void
fuzz_headers(const uint8_t *p, size_t len)
{
	struct hive_header	 hdr;
	struct hive_log_summary	 s;
	struct hive_log_entry	 e;

	if (hive_header_parse(p, len, &hdr, NULL) == 0) {
		(void)hive_header_is_dirty(&hdr);
		/* The log judged against its own header (as if it were the
		 * hive), which always belongs. */
		hdr.seq_secondary = 0;
		if (hive_log_scan(p, len, &hdr, &s, NULL) == 0)
			hive_log_summary_free(&s);
		hive_header_free(&hdr);
	}
	if (hive_log_scan(p, len, NULL, &s, NULL) == 0)
		hive_log_summary_free(&s);
	(void)hive_log_entry_parse(p, len, len > 512 ? 512 : len, &e);
}

static void
fuzz_value(const uint8_t *p, size_t len)
{
	static const uint32_t	 types[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
	    11, 12, 0xffff0011 };
	struct hive_value	 val;
	char			*s;

	if (len == 0)
		return;
	memset(&val, 0, sizeof val);
	val.type = types[p[0] % (sizeof types / sizeof types[0])];
	/* An exact-size copy, so ASan sees any read past the data. */
	val.len = len - 1;
	val.data = xmalloc(val.len);
	memcpy(val.data, p + 1, val.len);
	s = hive_value_format(&val);
	free(s);
	s = hive_type_name(val.type);
	free(s);
	free(val.data);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*copy;

	/* Exact-size copies throughout: reads past the end are caught. */
	copy = xmalloc(size);
	memcpy(copy, data, size);
	fuzz_headers(copy, size);
	fuzz_repair(copy, size);
	fuzz_headers(copy, size);
	free(copy);
	fuzz_value(data, size);
	return 0;
}
