/*
 * test_hive_header.c: base blocks and transaction logs parsed from real
 * files (regipy, DFIRArtifactMuseum, hivex test images) and from buffers
 * built here where no real file shows a case.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

/* Testdata hives/NAME, copied to the test's directory and read. */
static void
fx_read(struct tl_dir *fx, const char *name, uint8_t **buf, size_t *len)
{
	tl_hive_read(fx->dir, name, HIVE_MAX_SIZE, buf, len);
}

/* regipy SYSTEM (Windows 7 x86): the fields as xxd shows them. */
static void
test_system_header(void **state)
{
	struct hive_header	 hdr;
	uint8_t			*buf;
	size_t			 len;
	char			*cause = NULL;

	fx_read(*state, "regipy_SYSTEM", &buf, &len);
	assert_int_equal(hive_header_parse(buf, len, &hdr, &cause), 0);
	assert_int_equal(hdr.seq_primary, 0x369f);
	assert_int_equal(hdr.seq_secondary, 0x369f);
	assert_int_equal(hdr.timestamp, 0x01cd14bf127d2d9eULL);
	assert_int_equal(hdr.major, 1);
	assert_int_equal(hdr.minor, 5);
	assert_int_equal(hdr.file_type, HIVE_TYPE_PRIMARY);
	assert_int_equal(hdr.file_format, 1);
	assert_int_equal(hdr.root_offset, 0x20);
	assert_int_equal(hdr.hbins_size, 0xb39000);
	assert_int_equal(hdr.hbins_size + HIVE_BASE_BLOCK_SIZE, len);
	assert_int_equal(hdr.clustering, 1);
	assert_string_equal(hdr.file_name, "SYSTEM");
	assert_int_equal(hdr.checksum, 0x380a5a8f);
	assert_true(hdr.checksum_ok);
	assert_false(hive_header_is_dirty(&hdr));
	assert_false(hive_header_is_log(&hdr));
	hive_header_free(&hdr);
	free(buf);
}

/* The name field is a path tail, 32 UTF-16 units at most. */
static void
test_file_names(void **state)
{
	static const struct {
		const char	*file, *name;
	} t[] = {
		{ "dfir_Win10_BBI", "\\SystemRoot\\System32\\Config\\BBI" },
		{ "dfir_Win10_ELAM", "C:\\Windows\\system32\\Config\\Elam" },
		{ "hivex_special", "s\\Administrator\\Desktop\\minimal" },
		{ "regipy_ntuser_software_partial", "" },
	};
	struct hive_header	 hdr;
	uint8_t			*buf;
	size_t			 len, i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		fx_read(*state, t[i].file, &buf, &len);
		assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
		assert_string_equal(hdr.file_name, t[i].name);
		assert_true(hdr.checksum_ok);
		hive_header_free(&hdr);
		free(buf);
	}
}

/* Dirty: regipy SYSTEM_2 (8.1 era, 205/204) and SYSTEM_B (1622/1621). */
static void
test_dirty(void **state)
{
	struct hive_header	 hdr;
	uint8_t			*buf;
	size_t			 len;

	fx_read(*state, "regipy_SYSTEM_2", &buf, &len);
	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_int_equal(hdr.seq_primary, 205);
	assert_int_equal(hdr.seq_secondary, 204);
	assert_true(hdr.checksum_ok);
	assert_true(hive_header_is_dirty(&hdr));
	hive_header_free(&hdr);
	free(buf);

	fx_read(*state, "regipy_SYSTEM_B", &buf, &len);
	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_int_equal(hdr.seq_primary, 1622);
	assert_int_equal(hdr.seq_secondary, 1621);
	assert_true(hive_header_is_dirty(&hdr));
	hive_header_free(&hdr);
	free(buf);
}

/* A byte flipped in the first 508 bytes breaks the checksum and makes
 * the hive dirty; one beyond them (reserved area) does not. */
static void
test_checksum_flip(void **state)
{
	struct hive_header	 hdr;
	uint8_t			*buf;
	size_t			 len;

	fx_read(*state, "regipy_SYSTEM", &buf, &len);
	buf[300] ^= 0x40;
	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_false(hdr.checksum_ok);
	assert_int_equal(hdr.checksum, 0x380a5a8f);
	assert_int_equal(hdr.checksum_calc, 0x380a5a8f ^ (0x40u << 0));
	assert_true(hive_header_is_dirty(&hdr));
	hive_header_free(&hdr);

	buf[300] ^= 0x40;
	buf[2000] ^= 0xff;
	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_true(hdr.checksum_ok);
	hive_header_free(&hdr);
	free(buf);
}

/* A base block whose XOR is 0 or -1 stores 1 or -2. */
static void
test_checksum_special(void **state)
{
	uint8_t			buf[HIVE_BASE_BLOCK_SIZE];
	struct hive_header	hdr;
	uint32_t		sig = le32dec("regf");

	memset(buf, 0, sizeof buf);
	memcpy(buf, "regf", 4);
	/* "regf" ^ X = 0 */
	le32enc(buf + 4, sig);
	le32enc(buf + 508, 1);
	assert_int_equal(hive_header_checksum(buf), 1);
	assert_int_equal(hive_header_parse(buf, sizeof buf, &hdr, NULL), 0);
	assert_true(hdr.checksum_ok);
	hive_header_free(&hdr);
	le32enc(buf + 508, 0);
	assert_int_equal(hive_header_parse(buf, sizeof buf, &hdr, NULL), 0);
	assert_false(hdr.checksum_ok);
	hive_header_free(&hdr);

	/* "regf" ^ X = 0xffffffff */
	le32enc(buf + 4, ~sig);
	le32enc(buf + 508, 0xfffffffe);
	assert_int_equal(hive_header_checksum(buf), 0xfffffffe);
	assert_int_equal(hive_header_parse(buf, sizeof buf, &hdr, NULL), 0);
	assert_true(hdr.checksum_ok);
	hive_header_free(&hdr);
}

static void
test_not_a_header(void **state)
{
	uint8_t	 buf[HIVE_BASE_BLOCK_SIZE];
	struct hive_header hdr;
	char	*cause = NULL;

	memset(buf, 0, sizeof buf);
	memcpy(buf, "regf", 4);
	assert_int_equal(hive_header_parse(buf, HIVE_HEADER_MIN - 1, &hdr,
	    &cause), -1);
	assert_non_null(strstr(cause, "too short"));
	assert_null(hdr.file_name);
	free(cause);
	cause = NULL;

	memcpy(buf, "CREG", 4);	/* Windows 9x registry */
	assert_int_equal(hive_header_parse(buf, sizeof buf, &hdr, &cause), -1);
	assert_non_null(strstr(cause, "no regf signature"));
	free(cause);

	/* Exactly one sector parses: it is all a log stores. */
	memcpy(buf, "regf", 4);
	assert_int_equal(hive_header_parse(buf, HIVE_HEADER_MIN, &hdr, NULL),
	    0);
	hive_header_free(&hdr);
}

/* DFIRArtifactMuseum Win11 COMPONENTS.LOG2: a log (type 6), not a hive,
 * holding two HvLE entries 262 and 263. */
static void
test_components_log2(void **state)
{
	struct hive_header	 hive;
	struct hive_log_summary	 s;
	uint8_t			*buf;
	size_t			 len;
	char			*cause = NULL;

	fx_read(*state, "dfir_Win11_COMPONENTS.LOG2", &buf, &len);
	assert_int_equal(hive_header_parse(buf, len, &hive, NULL), 0);
	assert_int_equal(hive.file_type, HIVE_TYPE_LOG_NEW);
	assert_true(hive_header_is_log(&hive));
	assert_true(hive.checksum_ok);
	assert_non_null(strstr(hive.file_name, "COMPONENTS"));

	/* Against a hive at 262: both entries are newer. */
	hive.file_type = HIVE_TYPE_PRIMARY;
	hive.seq_primary = 263;
	hive.seq_secondary = 262;
	if (hive_log_scan(buf, len, &hive, &s, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(s.format, HIVE_LOG_NEW);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.seq_first, 262);
	assert_int_equal(s.seq_last, 263);
	assert_int_equal(s.newer, 2);
	assert_true(s.applies);
	hive_log_summary_free(&s);

	/* A hive already past them: nothing to apply. */
	hive.seq_primary = hive.seq_secondary = 264;
	assert_int_equal(hive_log_scan(buf, len, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.newer, 0);
	assert_false(s.applies);
	hive_log_summary_free(&s);
	hive_header_free(&hive);
	free(buf);
}

/* regipy SYSTEM_B (1709, at 1621) with its logs: LOG1 2107-2110, LOG2
 * 2111-2130, all newer than the hive. */
static void
test_system_b_logs(void **state)
{
	struct hive_header	 hive;
	struct hive_log_summary	 s;
	struct hive_log_entry	 e;
	uint8_t			*hb, *l1, *l2;
	size_t			 hlen, l1len, l2len;

	fx_read(*state, "regipy_SYSTEM_B", &hb, &hlen);
	fx_read(*state, "regipy_SYSTEM_B.LOG1", &l1, &l1len);
	fx_read(*state, "regipy_SYSTEM_B.LOG2", &l2, &l2len);
	assert_int_equal(hive_header_parse(hb, hlen, &hive, NULL), 0);

	assert_int_equal(hive_log_scan(l1, l1len, &hive, &s, NULL), 0);
	assert_int_equal(s.format, HIVE_LOG_NEW);
	assert_int_equal(s.hdr.seq_primary, 2107);
	assert_int_equal(s.entries, 4);
	assert_int_equal(s.seq_first, 2107);
	assert_int_equal(s.seq_last, 2110);
	assert_int_equal(s.newer, 4);
	assert_true(s.applies);
	hive_log_summary_free(&s);

	assert_int_equal(hive_log_scan(l2, l2len, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 20);
	assert_int_equal(s.seq_first, 2111);
	assert_int_equal(s.seq_last, 2130);
	assert_int_equal(s.newer, 20);
	hive_log_summary_free(&s);

	/* The first entry in detail (offsets from a hex dump). */
	assert_int_equal(hive_log_entry_parse(l1, l1len, 512, &e), 0);
	assert_int_equal(e.size, 15872);
	assert_int_equal(e.seq, 2107);
	assert_int_equal(e.hbins_size, 12398592);
	assert_int_equal(e.npages, 3);
	assert_ptr_equal(e.refs, l1 + 512 + 40);
	assert_ptr_equal(e.pages, l1 + 512 + 40 + 3 * 8);
	/* Where the records end (57344) there is no entry. */
	assert_int_equal(hive_log_entry_parse(l1, l1len, 57344, &e), -1);
	assert_int_equal(hive_log_entry_parse(l1, l1len, l1len + 512, &e),
	    -1);

	/* A flipped byte in the third entry's pages fails its Hash-1: the
	 * records end after the second. */
	l1[28672 + 1000] ^= 1;
	assert_int_equal(hive_log_scan(l1, l1len, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 2);
	assert_int_equal(s.seq_last, 2108);
	hive_log_summary_free(&s);
	l1[28672 + 1000] ^= 1;

	assert_false(s.damaged);
	/* A changed sequence number fails Hash-2. */
	l1[512 + 12] ^= 1;
	assert_int_equal(hive_log_scan(l1, l1len, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 0);
	assert_true(s.damaged);
	assert_false(s.applies);
	hive_log_summary_free(&s);
	l1[512 + 12] ^= 1;

	/* Cut off inside the last entry. */
	assert_int_equal(hive_log_scan(l1, 40960 + 8192, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 3);
	hive_log_summary_free(&s);

	hive_header_free(&hive);
	free(hb);
	free(l1);
	free(l2);
}

/* A log's base block is checked: a primary hive or a damaged copy is no
 * log. */
static void
test_log_refused(void **state)
{
	struct hive_log_summary	 s;
	uint8_t			*buf;
	size_t			 len;
	char			*cause = NULL;

	fx_read(*state, "hivex_minimal", &buf, &len);
	assert_int_equal(hive_log_scan(buf, len, NULL, &s, &cause), -1);
	assert_non_null(strstr(cause, "not a transaction log"));
	free(cause);
	cause = NULL;
	free(buf);

	fx_read(*state, "regipy_SYSTEM_B.LOG1", &buf, &len);
	buf[60] ^= 1;
	assert_int_equal(hive_log_scan(buf, len, NULL, &s, &cause), -1);
	assert_non_null(strstr(cause, "checksum"));
	free(cause);
	free(buf);
}

/* Old format (Windows XP to 8), after the specification: base block copy
 * (type 1), "DIRT" and a bitmap in the second sector, pages after it. No
 * real file of this kind is in testdata. */
static void
test_old_log(void **state)
{
	struct hive_header	 hive;
	struct hive_log_summary	 s;
	uint8_t			*log;
	size_t			 len = 512 + 512 + 8 * 512;

	log = xcalloc(1, len);
	memcpy(log, "regf", 4);
	le32enc(log + 4, 7);
	le32enc(log + 8, 7);
	le64enc(log + 12, 0x01d0000000000000ULL);
	le32enc(log + 20, 1);
	le32enc(log + 24, 3);
	le32enc(log + 28, HIVE_TYPE_LOG_OLD);
	le32enc(log + 32, 1);
	le32enc(log + 40, 8192);	/* 16 pages: a 2-byte bitmap */
	le32enc(log + 44, 1);
	memcpy(log + 512, "DIRT", 4);
	log[516] = 0x00;
	log[517] = 0xff;		/* pages 8-15 dirty */
	le32enc(log + 508, hive_header_checksum(log));

	memset(&hive, 0, sizeof hive);
	hive.seq_primary = 7;
	hive.seq_secondary = 6;
	hive.timestamp = 0x01d0000000000000ULL;
	assert_int_equal(hive_log_scan(log, len, &hive, &s, NULL), 0);
	assert_int_equal(s.format, HIVE_LOG_OLD);
	assert_int_equal(s.entries, 8);
	assert_int_equal(s.newer, 8);
	assert_true(s.applies);
	hive_log_summary_free(&s);

	/* Another write of the hive: the log does not apply. */
	hive.timestamp++;
	assert_int_equal(hive_log_scan(log, len, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 8);
	assert_false(s.applies);
	hive_log_summary_free(&s);
	hive.timestamp--;

	/* Pages missing from the end. */
	assert_int_equal(hive_log_scan(log, len - 512, &hive, &s, NULL), 0);
	assert_int_equal(s.entries, 0);
	assert_false(s.applies);
	hive_log_summary_free(&s);

	/* A log written only half-way (sequence numbers differ). */
	le32enc(log + 4, 8);
	le32enc(log + 508, hive_header_checksum(log));
	assert_int_equal(hive_log_scan(log, len, &hive, &s, NULL), 0);
	assert_false(s.applies);
	hive_log_summary_free(&s);
	free(log);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tl_setup, tl_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_system_header),
		T(test_file_names),
		T(test_dirty),
		T(test_checksum_flip),
		cmocka_unit_test(test_checksum_special),
		cmocka_unit_test(test_not_a_header),
		T(test_components_log2),
		T(test_system_b_logs),
		T(test_log_refused),
		cmocka_unit_test(test_old_log),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
