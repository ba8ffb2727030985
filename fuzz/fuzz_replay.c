/*
 * fuzz_replay.c: transaction-log replay (hive/replay.c) from arbitrary
 * logs against a small valid dirty hive, and from arbitrary hives against
 * small valid logs.
 *
 * The first input byte chooses: bit 0 HIVE_REPLAY_FORCE; bit 1 repair the
 * input's base block checksums and the Marvin32 hashes of its chained
 * HvLE entries first (mutations would otherwise stop at the first check
 * and never reach page references, growth or the hive-bin walk of old
 * logs); bit 4 spoil the built-in hive's base block checksum (the path
 * where the base block comes from a log); bits 2-3 the mode:
 *   0  the rest is one log for the built-in hive;
 *   1  two logs (split at the little-endian 16-bit number in bytes 1-2)
 *      plus one given as missing;
 *   2  the rest is a hive, given the built-in new and old logs, then
 *      the old one alone;
 *   3  a hive and a log, split as in mode 1.
 * The built-in hive is hivex's images/minimal (fuzzlib.h), made dirty
 * (sequence numbers 0x101/0x100).
 * The built-in logs are made from it at start: a new-format log whose two
 * entries rewrite its bin and grow it by a second one, and an old-format
 * log carrying the bin as 8 dirty pages.
 *
 * Besides memory errors, replay's promises are checked: refused means the
 * hive is untouched, success on a dirty hive means a clean one, and every
 * message is one line. Each replay is made again with the logs' `checked`
 * set as the checkout sets it (hive_log_scan's entries): the outcome must
 * be the same, byte for byte.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

#include "fuzzlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Replay grows a hive to what the logs declare, up to HIVE_MAX_SIZE (2
 * GiB), which is more than libFuzzer's memory limit. Inputs declaring more
 * than this are skipped: the same code runs with smaller numbers.
 */
#define FUZZ_MAX_HBINS	((uint32_t)1 << 20)

static uint8_t	 fuzz_hive[FUZZ_MINIMAL_SIZE];
static uint8_t	*fuzz_newlog, *fuzz_oldlog;
static size_t	 fuzz_newlen, fuzz_oldlen;

/* Both hashes of the entry at off (whose size is already set). */
static void
fuzz_hash_entry(uint8_t *e)
{
	uint32_t	size = le32dec(e + 4);

	le64enc(e + 24, hive_log_hash(e + 40, size - 40));
	le64enc(e + 32, hive_log_hash(e, 32));
}

/* A log's first sector: the hive's base block as a log of type t. */
static void
fuzz_log_base(uint8_t *log, uint32_t type, uint32_t seq)
{
	memcpy(log, fuzz_hive, 512);
	le32enc(log + 4, seq);
	le32enc(log + 8, seq);
	le32enc(log + 28, type);
	le32enc(log + 508, hive_header_checksum(log));
}

static void
fuzz_init(void)
{
	uint8_t		*e;

	fuzz_minimal(fuzz_hive);
	/* Dirty: a write (0x101) began and did not finish. */
	le32enc(fuzz_hive + 4, 0x101);
	le32enc(fuzz_hive + 508, hive_header_checksum(fuzz_hive));

	/* New format: entry 0x101 rewrites the bin (root key timestamp
	 * changed); entry 0x102 adds a second, empty bin (one free cell). */
	fuzz_newlen = 512 + 8192 + 8192;
	fuzz_newlog = xcalloc(1, fuzz_newlen);
	fuzz_log_base(fuzz_newlog, HIVE_TYPE_LOG_NEW, 0x101);
	e = fuzz_newlog + 512;
	memcpy(e, "HvLE", 4);
	le32enc(e + 4, 8192);
	le32enc(e + 8, 0);
	le32enc(e + 12, 0x101);
	le32enc(e + 16, 4096);
	le32enc(e + 20, 1);
	le32enc(e + 40, 0);
	le32enc(e + 44, 4096);
	memcpy(e + 48, fuzz_hive + 4096, 4096);
	e[48 + 0x2c] ^= 0x55;
	fuzz_hash_entry(e);
	e += 8192;
	memcpy(e, "HvLE", 4);
	le32enc(e + 4, 8192);
	le32enc(e + 12, 0x102);
	le32enc(e + 16, 8192);
	le32enc(e + 20, 1);
	le32enc(e + 40, 4096);
	le32enc(e + 44, 4096);
	memcpy(e + 48, "hbin", 4);
	le32enc(e + 48 + 4, 4096);
	le32enc(e + 48 + 8, 4096);
	le32enc(e + 48 + 32, 4096 - 32);
	fuzz_hash_entry(e);

	/* Old format: the bin as 8 dirty pages after a one-byte vector. */
	fuzz_oldlen = 512 + 512 + 4096;
	fuzz_oldlog = xcalloc(1, fuzz_oldlen);
	fuzz_log_base(fuzz_oldlog, HIVE_TYPE_LOG_OLD, 0x101);
	memcpy(fuzz_oldlog + 512, "DIRT", 4);
	fuzz_oldlog[516] = 0xff;
	memcpy(fuzz_oldlog + 1024, fuzz_hive + 4096, 4096);
}

/* What the input would be with its checks right. */
static void
fuzz_repair(uint8_t *p, size_t len)
{
	size_t		off = 512, size;

	if (len >= 512)
		le32enc(p + 508, hive_header_checksum(p));
	while (len >= 40 && off <= len - 40 &&
	    memcmp(p + off, "HvLE", 4) == 0) {
		size = le32dec(p + off + 4);
		if (size < 40 || size % 512 != 0 || size > len - off)
			break;
		fuzz_hash_entry(p + off);
		off += size;
	}
}

/* Would replay of this log grow the hive past FUZZ_MAX_HBINS? */
static int
fuzz_too_big(const uint8_t *p, size_t len)
{
	size_t	off;

	if (len >= 512 && le32dec(p + 40) > FUZZ_MAX_HBINS)
		return 1;
	for (off = 512; len >= 40 && off <= len - 40; off += 512) {
		if (memcmp(p + off, "HvLE", 4) == 0 &&
		    le32dec(p + off + 16) > FUZZ_MAX_HBINS)
			return 1;
	}
	return 0;
}

static void
fuzz_check_line(const char *s)
{
	if (s != NULL && strchr(s, '\n') != NULL)
		abort();
}

/* What one replay gave. */
struct fuzz_outcome {
	int		 ret;
	uint8_t		*buf;
	size_t		 len;
	char		*cause;
	uint32_t	 seq;
};

/* The logs' `checked` as hive_replay_mem sets it from the checkout's
 * hive_log_scan of each against the hive's header. */
static void
fuzz_set_checked(const uint8_t *hive, size_t hlen,
    struct hive_replay_log *logs, size_t nlogs)
{
	struct hive_log_summary	 sum;
	struct hive_header	 hdr;
	int			 have;
	size_t			 i;

	have = hive_header_parse(hive, hlen, &hdr, NULL) == 0;
	for (i = 0; i < nlogs; i++) {
		logs[i].checked = 0;
		if (logs[i].buf == NULL || logs[i].len == 0 ||
		    hive_log_scan(logs[i].buf, logs[i].len, have ? &hdr : NULL,
		    &sum, NULL) != 0)
			continue;
		if (sum.format == HIVE_LOG_NEW)
			logs[i].checked = sum.entries;
		hive_log_summary_free(&sum);
	}
	if (have)
		hive_header_free(&hdr);
}

static void
fuzz_replay(const uint8_t *hive, size_t hlen, struct hive_replay_log *logs,
    size_t nlogs, int flags)
{
	struct hive_replay_result	 res, res2;
	struct hive_header		 hdr;
	struct fuzz_outcome		 o;
	uint8_t				*buf;
	size_t				 len = hlen, i;
	char				*cause = NULL;
	int				 ret;

	for (i = 0; i < nlogs; i++) {
		if (logs[i].buf != NULL && fuzz_too_big(logs[i].buf,
		    logs[i].len))
			return;
	}
	/* The same replay told what the checkout's scan hashed. */
	fuzz_set_checked(hive, hlen, logs, nlogs);
	o.buf = xmalloc(hlen == 0 ? 1 : hlen);
	memcpy(o.buf, hive, hlen);
	o.len = hlen;
	o.cause = NULL;
	o.ret = hive_replay("fuzz", &o.buf, &o.len, logs, nlogs, flags, &res2,
	    &o.cause);
	o.seq = o.ret == 0 ? res2.seq : 0;
	hive_replay_result_free(&res2);
	for (i = 0; i < nlogs; i++)
		logs[i].checked = 0;

	/* An exact-size heap copy, so ASan sees any access past it. */
	buf = xmalloc(hlen == 0 ? 1 : hlen);
	memcpy(buf, hive, hlen);
	ret = hive_replay("fuzz", &buf, &len, logs, nlogs, flags, &res, &cause);
	if (ret != o.ret || len != o.len || memcmp(buf, o.buf, len) != 0 ||
	    (ret == 0 && res.seq != o.seq) ||
	    (ret != 0 && (cause == NULL || o.cause == NULL ||
	    strcmp(cause, o.cause) != 0)))
		abort();
	free(o.buf);
	free(o.cause);
	if (ret != 0) {
		if (cause == NULL || len != hlen || memcmp(buf, hive, hlen) != 0)
			abort();
		fuzz_check_line(cause);
		free(cause);
	} else if (!res.dirty) {
		if (len != hlen || memcmp(buf, hive, hlen) != 0)
			abort();
	} else {
		if (hive_header_parse(buf, len, &hdr, NULL) != 0)
			abort();
		if (hive_header_is_dirty(&hdr) || !res.clean)
			abort();
		if (hdr.seq_primary != res.seq)
			abort();
		hive_header_free(&hdr);
		if (res.lost != NULL && (flags & HIVE_REPLAY_FORCE) == 0)
			abort();
		fuzz_check_line(res.lost);
	}
	hive_replay_result_free(&res);
	free(buf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int			 ready;
	struct hive_replay_log		 logs[3];
	uint8_t				*in, hive[FUZZ_MINIMAL_SIZE];
	size_t				 len, split;
	int				 ctl, flags;

	if (!ready) {
		fuzz_init();
		ready = 1;
	}
	if (size < 3)
		return 0;
	ctl = data[0];
	flags = (ctl & 1) ? HIVE_REPLAY_FORCE : 0;
	split = le16dec(data + 1);
	len = size - 1;
	in = xmalloc(len);
	memcpy(in, data + 1, len);
	memset(logs, 0, sizeof logs);
	logs[0].name = "fuzz.LOG1";
	logs[1].name = "fuzz.LOG2";
	logs[2].name = "fuzz.LOG";
	memcpy(hive, fuzz_hive, sizeof hive);
	if (ctl & 16)
		hive[508] ^= 1;

	switch ((ctl >> 2) & 3) {
	case 0:
		if (ctl & 2)
			fuzz_repair(in, len);
		logs[0].buf = in;
		logs[0].len = len;
		fuzz_replay(hive, sizeof hive, logs, 1, flags);
		break;
	case 1:
		len -= 2;
		split = split > len ? len : split;
		if (ctl & 2) {
			fuzz_repair(in + 2, split);
			fuzz_repair(in + 2 + split, len - split);
		}
		logs[0].buf = in + 2;
		logs[0].len = split;
		logs[1].buf = in + 2 + split;
		logs[1].len = len - split;
		fuzz_replay(hive, sizeof hive, logs, 3, flags);
		break;
	case 2:
		if (ctl & 2)
			fuzz_repair(in, len);
		logs[0].buf = fuzz_newlog;
		logs[0].len = fuzz_newlen;
		logs[1].name = "fuzz.LOG";
		logs[1].buf = fuzz_oldlog;
		logs[1].len = fuzz_oldlen;
		fuzz_replay(in, len, logs, 2, flags);
		fuzz_replay(in, len, logs + 1, 1, flags);
		break;
	case 3:
		len -= 2;
		split = split > len ? len : split;
		if (ctl & 2) {
			fuzz_repair(in + 2, split);
			fuzz_repair(in + 2 + split, len - split);
		}
		logs[0].buf = in + 2 + split;
		logs[0].len = len - split;
		fuzz_replay(in + 2, split, logs, 1, flags);
		break;
	}
	free(in);
	return 0;
}
