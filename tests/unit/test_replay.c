/*
 * test_replay.c: transaction-log replay (hive/replay.c) on real dirty hives
 * and logs (regipy's SYSTEM_B with its .LOG1/.LOG2 from Windows 10 1709,
 * regipy's SYSTEM_2, DFIRArtifactMuseum's Windows 11 COMPONENTS.LOG2),
 * damaged copies of them, and an old-format log built here from the
 * specification where no real one exists.
 *
 * The values checked were found by dumping every key and value of
 * SYSTEM_B with hivex before and after replay (a throwaway hivex walker,
 * then diff): 2472 keys and 3944 values appear, 96 values change, none
 * disappear. A few of them are hard-coded below.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hivex.h>

#include "hive/hive.h"
#include "util/util.h"

#include "testlib.h"

#define SYS_B_SEQ1	1622		/* regipy SYSTEM_B: dirty */
#define SYS_B_SEQ2	1621
#define SYS_B_HBINS	12398592
#define SYS_B_LAST	2130		/* last entry of SYSTEM_B.LOG2 */
#define SYS_B_HBINS_END	12591104	/* hive bins size it gives */

/* Keys and values of SYSTEM_B whose replayed content differs. */
#define CS			"ControlSet001\\"
#define KEY_EPOCH		CS "Services\\SharedAccess\\Epoch"
#define KEY_BAM			CS "Services\\bam\\UserSettings\\" \
				"S-1-5-21-2734969515-1644526556-1039763013-1001"
#define KEY_POWER		CS "Control\\Session Manager\\Power"
#define KEY_W32TIME		CS "Services\\W32Time\\SecureTimeLimits"
#define KEY_DISK		CS "Control\\Class\\" \
				"{4d36e967-e325-11ce-bfc1-08002be10318}\\0003"

/* Testdata hives/NAME, copied to the test's directory and read. */
static void
fx_read(struct tl_dir *fx, const char *name, uint8_t **buf, size_t *len)
{
	tl_hive_read(fx->dir, name, HIVE_MAX_SIZE, buf, len);
}

static void *
dup_buf(const void *p, size_t len)
{
	void	*q = xmalloc(len);

	memcpy(q, p, len);
	return q;
}

/* Write buf to dir/name and open it with hivex. */
static hive_h *
open_buf(struct tl_dir *fx, const char *name, const void *buf, size_t len)
{
	char	*path;
	hive_h	*h;

	path = tl_path(fx->dir, name);
	tl_write(path, buf, len);
	h = hivex_open(path, 0);
	if (h == NULL)
		fail_msg("hivex_open %s: %s", path, strerror(errno));
	free(path);
	return h;
}

/* Every key and value, read in full; hivex reports damage as NULL. */
struct walk {
	size_t	keys, values, errors;
};

static void
walk_node(hive_h *h, hive_node_h node, struct walk *w, int depth)
{
	hive_node_h	*kids;
	hive_value_h	*vals;
	hive_type	 t;
	size_t		 i, len;
	char		*name, *data;

	w->keys++;
	if (depth > 512) {
		w->errors++;
		return;
	}
	if ((name = hivex_node_name(h, node)) == NULL)
		w->errors++;
	free(name);
	if ((vals = hivex_node_values(h, node)) == NULL) {
		w->errors++;
	} else {
		for (i = 0; vals[i] != 0; i++) {
			w->values++;
			name = hivex_value_key(h, vals[i]);
			data = hivex_value_value(h, vals[i], &t, &len);
			if (name == NULL || data == NULL)
				w->errors++;
			free(name);
			free(data);
		}
		free(vals);
	}
	if ((kids = hivex_node_children(h, node)) == NULL) {
		w->errors++;
		return;
	}
	for (i = 0; kids[i] != 0; i++)
		walk_node(h, kids[i], w, depth + 1);
	free(kids);
}

static struct walk
walk_hive(hive_h *h)
{
	struct walk	w;

	memset(&w, 0, sizeof w);
	walk_node(h, hivex_root(h), &w, 0);
	return w;
}

/* The node at a '\'-separated path, 0 if missing. */
static hive_node_h
find_key(hive_h *h, const char *path)
{
	hive_node_h	 node = hivex_root(h);
	char		*copy = xstrdup(path), *s = copy, *part;

	while (node != 0 && (part = strsep(&s, "\\")) != NULL)
		node = hivex_node_get_child(h, node, part);
	free(copy);
	return node;
}

static hive_value_h
find_value(hive_h *h, const char *key, const char *name)
{
	hive_node_h	node = find_key(h, key);

	if (node == 0)
		return 0;
	return hivex_node_get_value(h, node, name);
}

static uint32_t
get_dword(hive_h *h, const char *key, const char *name)
{
	hive_value_h	v = find_value(h, key, name);

	if (v == 0)
		fail_msg("%s\\%s missing", key, name);
	return (uint32_t)hivex_value_dword(h, v);
}

static uint64_t
get_qword(hive_h *h, const char *key, const char *name)
{
	hive_value_h	v = find_value(h, key, name);

	if (v == 0)
		fail_msg("%s\\%s missing", key, name);
	return (uint64_t)hivex_value_qword(h, v);
}

/* Result of the header as written. */
static void
assert_clean_header(const uint8_t *buf, size_t len, uint32_t seq,
    uint32_t hbins)
{
	struct hive_header	hdr;

	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_int_equal(hdr.seq_primary, seq);
	assert_int_equal(hdr.seq_secondary, seq);
	assert_true(hdr.checksum_ok);
	assert_int_equal(hdr.checksum, hive_header_checksum(buf));
	assert_int_equal(hdr.hbins_size, hbins);
	assert_int_equal(hdr.file_type, HIVE_TYPE_PRIMARY);
	assert_false(hive_header_is_dirty(&hdr));
	assert_true(len >= HIVE_BASE_BLOCK_SIZE + (size_t)hbins);
	hive_header_free(&hdr);
}

/* SYSTEM_B and its two logs as buffers. */
struct sysb {
	uint8_t			*hive, *log1, *log2;
	size_t			 len, len1, len2;
	struct hive_replay_log	 logs[2];
};

static void
sysb_load(struct tl_dir *fx, struct sysb *b)
{
	memset(b, 0, sizeof *b);
	fx_read(fx, "regipy_SYSTEM_B", &b->hive, &b->len);
	fx_read(fx, "regipy_SYSTEM_B.LOG1", &b->log1, &b->len1);
	fx_read(fx, "regipy_SYSTEM_B.LOG2", &b->log2, &b->len2);
	b->logs[0].name = "SYSTEM.LOG1";
	b->logs[0].buf = b->log1;
	b->logs[0].len = b->len1;
	b->logs[1].name = "SYSTEM.LOG2";
	b->logs[1].buf = b->log2;
	b->logs[1].len = b->len2;
}

static void
sysb_free(struct sysb *b)
{
	free(b->hive);
	free(b->log1);
	free(b->log2);
}

/*
 * The whole replay through the file interface: 4 entries of LOG1
 * (2107-2110) then 20 of LOG2 (2111-2130), the hive grown from 12398592
 * to 12591104 bytes of hive bins by entries 2118 and 2121. hivex reads
 * every key of the result, and values the logs changed read differently
 * from the un-replayed hive.
 */
static void
test_system_b(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	char				*hive, *log1, *log2, *cause = NULL;
	const char			*paths[3], *names[3];
	uint8_t				*before, *after;
	size_t				 blen, alen;
	hive_h				*hb, *ha;
	struct walk			 wb, wa;
	hive_value_h			 v;
	char				*s;

	hive = tl_hive(fx->dir, "regipy_SYSTEM_B", NULL);
	log1 = tl_hive(fx->dir, "regipy_SYSTEM_B.LOG1", NULL);
	log2 = tl_hive(fx->dir, "regipy_SYSTEM_B.LOG2", NULL);
	if (file_read_all(hive, HIVE_MAX_SIZE, (void **)&before, &blen,
	    &cause) != 0)
		fail_msg("%s", cause);

	/* No .LOG beside them: not given (NULL), and results keep the
	 * numbering of the paths. */
	paths[0] = NULL;
	paths[1] = log1;
	paths[2] = log2;
	names[0] = "SYSTEM.LOG";
	names[1] = "SYSTEM.LOG1";
	names[2] = "SYSTEM.LOG2";
	if (hive_replay_file("SYSTEM", hive, paths, names, 3, 0, &res,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_true(res.dirty);
	assert_true(res.clean);
	assert_int_equal(res.format, HIVE_LOG_NEW);
	assert_false(res.base_recovered);
	assert_int_equal(res.from, 1);
	assert_int_equal(res.seq_primary, SYS_B_SEQ1);
	assert_int_equal(res.seq_secondary, SYS_B_SEQ2);
	assert_int_equal(res.seq, SYS_B_LAST);
	assert_int_equal(res.log[0].entries, 0);
	assert_int_equal(res.log[1].entries, 4);
	assert_int_equal(res.log[1].pages, 10);
	assert_int_equal(res.log[1].seq_first, 2107);
	assert_int_equal(res.log[1].seq_last, 2110);
	assert_int_equal(res.log[2].entries, 20);
	assert_int_equal(res.log[2].pages, 305);
	assert_int_equal(res.log[2].seq_first, 2111);
	assert_int_equal(res.log[2].seq_last, SYS_B_LAST);
	assert_int_equal(res.entries, 24);
	assert_int_equal(res.pages, 315);
	assert_int_equal(res.hbins_before, SYS_B_HBINS);
	assert_int_equal(res.hbins_after, SYS_B_HBINS_END);
	assert_null(res.lost);
	hive_replay_result_free(&res);

	if (file_read_all(hive, HIVE_MAX_SIZE, (void **)&after, &alen,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_clean_header(after, alen, SYS_B_LAST, SYS_B_HBINS_END);
	/* The file already had room past its hive bins: it did not grow. */
	assert_int_equal(alen, blen);
	/* Outside the base block the bytes differ only where pages went. */
	assert_memory_not_equal(before + HIVE_BASE_BLOCK_SIZE,
	    after + HIVE_BASE_BLOCK_SIZE, blen - HIVE_BASE_BLOCK_SIZE);

	/* hivex on the written file: the whole tree reads. */
	if ((ha = hivex_open(hive, 0)) == NULL)
		fail_msg("hivex_open: %s", strerror(errno));
	hb = open_buf(fx, "before", before, blen);
	wa = walk_hive(ha);
	wb = walk_hive(hb);
	assert_int_equal(wa.errors, 0);
	assert_int_equal(wb.errors, 0);
	/* Counted by the dump (root included). */
	assert_int_equal(wb.keys, 33123);
	assert_int_equal(wa.keys, 35595);
	assert_int_equal(wb.values, 74957);
	assert_int_equal(wa.values, 78901);

	/* DWORDs the logs changed. */
	assert_int_equal(get_dword(hb, KEY_EPOCH, "Epoch"), 0x1af);
	assert_int_equal(get_dword(ha, KEY_EPOCH, "Epoch"), 0x1b3);
	assert_int_equal(get_dword(hb, KEY_BAM, "SequenceNumber"), 0x65);
	assert_int_equal(get_dword(ha, KEY_BAM, "SequenceNumber"), 0x6b);
	assert_int_equal(get_dword(hb, KEY_POWER, "POSTTime"), 0);
	assert_int_equal(get_dword(ha, KEY_POWER, "POSTTime"), 0x2063);
	assert_int_equal(get_qword(hb, KEY_W32TIME, "SecureTimeEstimated"),
	    0x01d3cd7b3f377bdcULL);
	assert_int_equal(get_qword(ha, KEY_W32TIME, "SecureTimeEstimated"),
	    0x01d3cda5dbbdf1efULL);
	/* A disk driver's class key exists only in the logs. */
	assert_int_equal(find_key(hb, KEY_DISK), 0);
	v = find_value(ha, KEY_DISK, "DriverDesc");
	assert_int_not_equal(v, 0);
	s = hivex_value_string(ha, v);
	assert_string_equal(s, "Disk drive");
	free(s);

	hivex_close(ha);
	hivex_close(hb);
	free(before);
	free(after);
	free(hive);
	free(log1);
	free(log2);
}

/* Windows ignores the logs of a clean hive; so does replay. */
static void
test_clean_untouched(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	uint8_t				*hive, *copy, *p;
	size_t				 len, len0;
	char				*cause = NULL;

	sysb_load(fx, &b);
	fx_read(fx, "regipy_SYSTEM", &hive, &len);
	copy = dup_buf(hive, len);
	len0 = len;
	p = hive;
	if (hive_replay("SYSTEM", &hive, &len, b.logs, 2, 0, &res,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_false(res.dirty);
	assert_true(res.clean);
	assert_int_equal(res.format, 0);
	assert_int_equal(res.entries, 0);
	assert_int_equal(res.seq, 13983);
	assert_ptr_equal(hive, p);
	assert_int_equal(len, len0);
	assert_memory_equal(hive, copy, len);
	hive_replay_result_free(&res);
	free(copy);
	free(hive);
	sysb_free(&b);
}

/*
 * regipy's SYSTEM_2 is dirty (205/204) and comes without logs: refused,
 * the cause says the last write is lost. Forced, it is only marked clean.
 */
static void
test_no_logs(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct hive_replay_log		 missing[2];
	uint8_t				*hive, *copy;
	size_t				 len;
	char				*cause = NULL;
	hive_h				*h;
	struct walk			 w;

	fx_read(fx, "regipy_SYSTEM_2", &hive, &len);
	copy = dup_buf(hive, len);
	assert_int_equal(hive_replay("SYSTEM", &hive, &len, NULL, 0, 0, &res,
	    &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "SYSTEM is dirty (sequence numbers "
	    "205/204) and has no transaction log"));
	assert_non_null(strstr(cause, "what Windows wrote to it last is "
	    "lost"));
	assert_null(strchr(cause, '\n'));
	assert_memory_equal(hive, copy, len);
	free(cause);
	cause = NULL;

	/* Both of the pair given as missing: the same, naming them. */
	memset(missing, 0, sizeof missing);
	missing[0].name = "SYSTEM.LOG1";
	missing[1].name = "SYSTEM.LOG2";
	assert_int_equal(hive_replay("SYSTEM", &hive, &len, missing, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG1 is missing; SYSTEM.LOG2 is "
	    "missing"));
	assert_memory_equal(hive, copy, len);
	free(cause);
	cause = NULL;

	if (hive_replay("SYSTEM", &hive, &len, NULL, 0, HIVE_REPLAY_FORCE,
	    &res, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(res.dirty);
	assert_true(res.clean);
	assert_int_equal(res.format, 0);
	assert_int_equal(res.seq, 205);
	assert_non_null(res.lost);
	assert_non_null(strstr(res.lost, "has no transaction log"));
	assert_clean_header(hive, len, 205, 7630848);
	/* Only the base block changed. */
	assert_memory_equal(hive + HIVE_BASE_BLOCK_SIZE,
	    copy + HIVE_BASE_BLOCK_SIZE, len - HIVE_BASE_BLOCK_SIZE);
	h = open_buf(fx, "forced", hive, len);
	w = walk_hive(h);
	assert_int_equal(w.errors, 0);
	hivex_close(h);
	hive_replay_result_free(&res);
	free(copy);
	free(hive);
}

/*
 * One flipped byte in the pages of LOG1's third entry (2109, at 0x7000).
 * "If a log entry has a wrong value in the field Hash-1, Hash-2 ...,
 * recovery stops, only previous log entries (preceding a bogus one) are
 * applied" and LOG2, starting at 2111, does not follow 2108: Windows ends
 * at 2108 and drops 2109-2130 without a word. Replay refuses and says so;
 * forced, it does what Windows does. That state is worse than the
 * un-replayed hive here: the primary already held pages newer than 2108
 * (SecureTimeEstimated goes back in time), which is why ntmend does not
 * accept a partial replay silently.
 */
static void
test_flipped_byte(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	uint8_t				*copy;
	size_t				 len0;
	char				*cause = NULL;
	hive_h				*h;
	struct walk			 w;

	sysb_load(fx, &b);
	assert_memory_equal(b.log1 + 0x7000, "HvLE", 4);
	assert_int_equal(le32dec(b.log1 + 0x7000 + 12), 2109);
	b.log1[0x7000 + 56 + 1000] ^= 0x01;	/* inside its first page */
	copy = dup_buf(b.hive, b.len);
	len0 = b.len;

	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "replay stops at sequence number 2108"));
	assert_non_null(strstr(cause, "SYSTEM.LOG1 entry 2109 at offset "
	    "0x7000 is damaged"));
	assert_non_null(strstr(cause, "21 newer log entries (2110-2130, in "
	    "SYSTEM.LOG1/SYSTEM.LOG2) cannot be applied"));
	assert_null(strchr(cause, '\n'));
	assert_int_equal(b.len, len0);
	assert_memory_equal(b.hive, copy, len0);
	free(cause);
	cause = NULL;

	if (hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2,
	    HIVE_REPLAY_FORCE, &res, &cause) != 0)
		fail_msg("%s", cause);
	assert_true(res.clean);
	assert_int_equal(res.seq, 2108);
	assert_int_equal(res.log[0].entries, 2);
	assert_int_equal(res.log[0].pages, 5);
	assert_int_equal(res.log[1].entries, 0);
	assert_non_null(res.lost);
	assert_non_null(strstr(res.lost, "entry 2109"));
	assert_clean_header(b.hive, b.len, 2108, SYS_B_HBINS);
	h = open_buf(fx, "partial", b.hive, b.len);
	w = walk_hive(h);
	assert_int_equal(w.errors, 0);
	assert_int_equal(get_dword(h, KEY_EPOCH, "Epoch"), 0x1af);
	assert_int_equal(get_qword(h, KEY_W32TIME, "SecureTimeEstimated"),
	    0x01d3cd7a8c64acdcULL);
	hivex_close(h);
	hive_replay_result_free(&res);
	free(copy);
	sysb_free(&b);
}

/*
 * LOG2 cut off inside entry 2121 (at 0x1f4000), as a copy interrupted
 * mid-file leaves it. Forced, replay ends at 2120: the bam sequence number
 * there (0x66) lies between the hive's (0x65) and the last entry's (0x6b),
 * so the entries went in in order.
 */
static void
test_truncated_log(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	uint8_t				*copy;
	char				*cause = NULL;
	hive_h				*h;
	struct walk			 w;

	sysb_load(fx, &b);
	assert_int_equal(le32dec(b.log2 + 0x1f4000 + 12), 2121);
	b.logs[1].len = 0x1f4000 + 100000;
	copy = dup_buf(b.hive, b.len);

	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "replay stops at sequence number 2120"));
	assert_non_null(strstr(cause, "SYSTEM.LOG2 entry 2121 at offset "
	    "0x1f4000 is damaged (it is cut off where the file ends)"));
	assert_memory_equal(b.hive, copy, b.len);
	free(cause);
	cause = NULL;

	if (hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2,
	    HIVE_REPLAY_FORCE, &res, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(res.seq, 2120);
	assert_int_equal(res.entries, 14);
	assert_clean_header(b.hive, b.len, 2120, 12541952);
	h = open_buf(fx, "partial", b.hive, b.len);
	w = walk_hive(h);
	assert_int_equal(w.errors, 0);
	assert_int_equal(get_dword(h, KEY_BAM, "SequenceNumber"), 0x66);
	hivex_close(h);
	hive_replay_result_free(&res);

	/* Cut inside its base block: LOG2 is unreadable, and what it held
	 * is lost even though LOG1 alone would apply. */
	memcpy(b.hive, copy, b.len);
	b.logs[1].len = 300;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG2 is not a transaction log"));
	assert_non_null(strstr(cause, "the log entries it held are lost "
	    "(only entries 2107-2110 of SYSTEM.LOG1 can be applied)"));
	free(cause);
	free(copy);
	sysb_free(&b);
}

/* One of the pair missing: the gap to the hive is normal (SYSTEM_B's logs
 * start at 2107 for a hive at 1621), so only the missing file tells. */
static void
test_missing_partner(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	const char			*paths[2];
	char				*cause = NULL, *hive, *log1, *log2;
	uint8_t				*after;
	size_t				 alen;

	sysb_load(fx, &b);
	b.logs[0].buf = NULL;
	b.logs[0].len = 0;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_string_equal(cause, "SYSTEM: SYSTEM.LOG1 is missing: the log "
	    "entries it held are lost (only entries 2111-2130 of SYSTEM.LOG2 "
	    "can be applied)");
	free(cause);
	cause = NULL;

	/* The same through files: a path with no file is a missing log,
	 * and the hive file stays as it was. */
	hive = tl_hive(fx->dir, "regipy_SYSTEM_B", NULL);
	log2 = tl_hive(fx->dir, "regipy_SYSTEM_B.LOG2", NULL);
	xasprintf(&log1, "%s/SYSTEM.LOG1", fx->dir);
	paths[0] = log1;
	paths[1] = log2;
	assert_int_equal(hive_replay_file("SYSTEM", hive, paths, NULL, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG1 is missing"));
	free(cause);
	cause = NULL;
	if (file_read_all(hive, HIVE_MAX_SIZE, (void **)&after, &alen,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(alen, b.len);
	assert_memory_equal(after, b.hive, alen);
	free(after);
	free(hive);
	free(log1);
	free(log2);

	/* An empty file is a log never written: no objection. */
	b.logs[0].buf = b.log1;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), 0);
	assert_int_equal(res.seq, SYS_B_LAST);
	assert_int_equal(res.log[1].entries, 20);
	assert_int_equal(res.entries, 20);
	hive_replay_result_free(&res);
	sysb_free(&b);
}

/*
 * Logs that are not this hive's: DFIR's Windows 11 COMPONENTS.LOG2 names
 * another file; SYSTEM_B's own logs given to regipy's SYSTEM_2 (another
 * machine's SYSTEM, 205/204) would continue its numbers (2107 > 204) but
 * carry another RmId: Windows, pairing by file name only, would apply
 * them; replay refuses, and not even a forced one writes their pages.
 */
static void
test_other_hive_log(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct hive_replay_log		 log;
	struct sysb			 b;
	uint8_t				*hive, *copy, *buf;
	size_t				 len, blen;
	char				*cause = NULL;

	sysb_load(fx, &b);
	fx_read(fx, "dfir_Win11_COMPONENTS.LOG2", &buf, &blen);
	copy = dup_buf(b.hive, b.len);
	log.name = "SYSTEM.LOG2";
	log.buf = buf;
	log.len = blen;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, &log, 1, 0,
	    &res, &cause), -1);
	assert_string_equal(cause, "SYSTEM is dirty (sequence numbers "
	    "1622/1621) and no transaction log continues it (SYSTEM.LOG2 "
	    "belongs to another hive (its base block names "
	    "\"dows\\System32\\config\\COMPONENTS\")): what Windows wrote to "
	    "it last is lost");
	assert_memory_equal(b.hive, copy, b.len);
	free(cause);
	cause = NULL;

	fx_read(fx, "regipy_SYSTEM_2", &hive, &len);
	free(copy);
	copy = dup_buf(hive, len);
	assert_int_equal(hive_replay("SYSTEM", &hive, &len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG1 belongs to another hive "
	    "(its RmId differs); SYSTEM.LOG2 belongs to another hive (its "
	    "RmId differs)"));
	free(cause);
	cause = NULL;
	if (hive_replay("SYSTEM", &hive, &len, b.logs, 2, HIVE_REPLAY_FORCE,
	    &res, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(res.entries, 0);
	assert_int_equal(res.seq, 205);
	assert_memory_equal(hive + HIVE_BASE_BLOCK_SIZE,
	    copy + HIVE_BASE_BLOCK_SIZE, len - HIVE_BASE_BLOCK_SIZE);
	hive_replay_result_free(&res);

	/* And a log given as the hive is refused as such. */
	assert_int_equal(hive_replay("SYSTEM", &buf, &blen, NULL, 0, 0, &res,
	    &cause), -1);
	assert_non_null(strstr(cause, "file type 6, not a hive"));
	free(cause);
	free(copy);
	free(hive);
	free(buf);
	sysb_free(&b);
}

/* The hive's own logs, but all older than it: SYSTEM_B made to look as if
 * written up to 2999 (2999/2998, checksum fixed) has nothing to take from
 * entries 2107-2130. */
static void
test_logs_do_not_continue(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	char				*cause = NULL;

	sysb_load(fx, &b);
	le32enc(b.hive + 4, 2999);
	le32enc(b.hive + 8, 2998);
	le32enc(b.hive + 508, hive_header_checksum(b.hive));
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_string_equal(cause, "SYSTEM is dirty (sequence numbers "
	    "2999/2998) and no transaction log continues it (SYSTEM.LOG1 "
	    "holds entries 2107-2110, older than the hive (2998); SYSTEM.LOG2 "
	    "holds entries 2111-2130, older than the hive (2998)): what "
	    "Windows wrote to it last is lost");
	free(cause);
	sysb_free(&b);
}

/*
 * A base block that fails its checksum is dirty too; "only the transaction
 * log file with latest log entries is used in the recovery" and the base
 * block comes from it: LOG2 alone, 2111-2130.
 */
static void
test_bad_base_block(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	char				*cause = NULL;
	hive_h				*h;
	struct walk			 w;

	sysb_load(fx, &b);
	b.hive[0x40] ^= 0x55;		/* in the file name field */
	if (hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0, &res,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_true(res.base_recovered);
	assert_int_equal(res.from, 1);
	assert_int_equal(res.log[0].entries, 0);
	assert_int_equal(res.log[1].entries, 20);
	assert_int_equal(res.seq, SYS_B_LAST);
	assert_clean_header(b.hive, b.len, SYS_B_LAST, SYS_B_HBINS_END);
	/* The name field is the log's copy again. */
	assert_memory_equal(b.hive + 0x40, b.log2 + 0x40, 16);
	h = open_buf(fx, "rebased", b.hive, b.len);
	w = walk_hive(h);
	assert_int_equal(w.errors, 0);
	assert_int_equal(get_dword(h, KEY_EPOCH, "Epoch"), 0x1b3);
	hivex_close(h);
	hive_replay_result_free(&res);
	sysb_free(&b);
}

/*
 * Marvin32 written out from its definition (the spec's "Log entries": seed
 * 82 EF 4D 88 7A 4E 55 C5 as a little-endian 64-bit number), independent
 * of header.c's, to check the hashes stored in a real Windows 11 log.
 */
static uint32_t
rotl(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void
marvin_mix(uint32_t *lo, uint32_t *hi, uint32_t v)
{
	*lo += v;
	*hi ^= *lo;
	*lo = rotl(*lo, 20) + *hi;
	*hi = rotl(*hi, 9) ^ *lo;
	*lo = rotl(*lo, 27) + *hi;
	*hi = rotl(*hi, 19);
}

static uint64_t
marvin32(const uint8_t *p, size_t len)
{
	uint32_t	lo = 0x7a4e55c5, hi = 0x82ef4d88, last = 0x80;
	size_t		i;

	for (i = 0; i + 4 <= len; i += 4)
		marvin_mix(&lo, &hi, le32dec(p + i));
	switch (len - i) {
	case 3:
		last = (last << 8) | p[i + 2];
		/* FALLTHROUGH */
	case 2:
		last = (last << 8) | p[i + 1];
		/* FALLTHROUGH */
	case 1:
		last = (last << 8) | p[i];
	}
	marvin_mix(&lo, &hi, last);
	marvin_mix(&lo, &hi, 0);
	return (uint64_t)hi << 32 | lo;
}

/*
 * DFIRArtifactMuseum's Windows 11 COMPONENTS.LOG2 (no hive with it): two
 * entries, 262 (222 pages) and 263 (183 pages), both hashes of each as
 * stored; a byte changed in the pages or in the header breaks them.
 */
static void
test_components_log2(void **state)
{
	struct tl_dir		*fx = *state;
	struct hive_log_entry	 e;
	struct hive_header	 hdr;
	uint8_t			*buf;
	size_t			 len, off, n = 0, pages = 0, i, data;

	fx_read(fx, "dfir_Win11_COMPONENTS.LOG2", &buf, &len);
	assert_int_equal(hive_header_parse(buf, len, &hdr, NULL), 0);
	assert_int_equal(hdr.file_type, HIVE_TYPE_LOG_NEW);
	assert_true(hdr.checksum_ok);
	assert_int_equal(hdr.seq_primary, 262);
	hive_header_free(&hdr);

	for (off = 512; hive_log_entry_parse(buf, len, off, &e) == 0;
	    off += e.size) {
		assert_int_equal(e.seq, 262 + n);
		assert_int_equal(marvin32(buf + off + 40, e.size - 40),
		    le64dec(buf + off + 24));
		assert_int_equal(marvin32(buf + off, 32),
		    le64dec(buf + off + 32));
		/* Every page inside the hive bins data, and the entry
		 * padded so that it ends on a 4 KiB boundary of the file
		 * (so are all of SYSTEM_B's). */
		for (i = 0, data = 0; i < e.npages; i++) {
			assert_true(le32dec(e.refs + 8 * i) +
			    (uint64_t)le32dec(e.refs + 8 * i + 4) <=
			    e.hbins_size);
			data += le32dec(e.refs + 8 * i + 4);
		}
		assert_true(40 + 8 * (size_t)e.npages + data <= e.size);
		assert_true(e.size - (40 + 8 * (size_t)e.npages + data) <
		    4096);
		assert_int_equal((off + e.size) % 4096, 0);
		pages += e.npages;
		n++;
	}
	assert_int_equal(n, 2);
	assert_int_equal(pages, 222 + 183);
	assert_int_equal(off, 2920448);
	assert_memory_not_equal(buf + off, "HvLE", 4);

	/* The checks bite: the second entry's pages, then its flags. */
	buf[1536000 + 5000] ^= 0x80;
	assert_int_equal(hive_log_entry_parse(buf, len, 1536000, &e), -1);
	buf[1536000 + 5000] ^= 0x80;
	buf[1536000 + 8] ^= 0x01;
	assert_int_equal(hive_log_entry_parse(buf, len, 1536000, &e), -1);
	buf[1536000 + 8] ^= 0x01;
	assert_int_equal(hive_log_entry_parse(buf, len, 1536000, &e), 0);
	free(buf);
}

/*
 * The hashing the replay leaves out. `checked` (the entries a caller's
 * hive_log_scan hashed in the same bytes) is trusted for that many entries
 * and no more: with LOG1's third entry damaged and two declared checked,
 * the damage still stops the replay as in test_flipped_byte; declared for
 * every entry of intact logs, the replay is the same as without. After
 * LOG1's four entries lie an older generation's (2092-2102, 2035,
 * 1586-1603): damage in one of those changes nothing, in its pages or in
 * its header, while an entry newer than the replay's last one written
 * over another of them is still found past them.
 */
static void
test_hashing_skipped(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct sysb			 b;
	uint8_t				*copy;
	size_t				 len0;
	char				*cause = NULL;

	sysb_load(fx, &b);
	copy = dup_buf(b.hive, b.len);
	len0 = b.len;

	b.log1[0x7000 + 56 + 1000] ^= 0x01;
	b.logs[0].checked = 2;
	b.logs[1].checked = 20;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG1 entry 2109 at offset "
	    "0x7000 is damaged"));
	assert_memory_equal(b.hive, copy, b.len);
	free(cause);
	cause = NULL;
	b.log1[0x7000 + 56 + 1000] ^= 0x01;

	/* Older entries damaged: 2095's pages, 2100's sequence number. */
	assert_memory_equal(b.log1 + 0x3e000, "HvLE", 4);
	assert_int_equal(le32dec(b.log1 + 0x3e000 + 12), 2095);
	b.log1[0x3e000 + 56 + 2000] ^= 0x10;
	assert_int_equal(le32dec(b.log1 + 0x69000 + 12), 2100);
	b.log1[0x69000 + 12] ^= 0x02;
	b.logs[0].checked = 4;
	if (hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0, &res,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(res.seq, SYS_B_LAST);
	assert_int_equal(res.entries, 24);
	assert_null(res.lost);
	assert_clean_header(b.hive, b.len, SYS_B_LAST, SYS_B_HBINS_END);
	hive_replay_result_free(&res);

	/* 2097 made newer than 2130 (its header's hash made again) with a
	 * byte of its pages changed: a damaged newer entry, which only the
	 * hash of its pages shows, and the replay refuses. */
	free(b.hive);
	b.hive = dup_buf(copy, len0);
	b.len = len0;
	assert_int_equal(le32dec(b.log1 + 0x45000 + 12), 2097);
	le32enc(b.log1 + 0x45000 + 12, 2131);
	le64enc(b.log1 + 0x45000 + 32, marvin32(b.log1 + 0x45000, 32));
	b.log1[0x45000 + 56 + 3000] ^= 0x04;
	assert_int_equal(hive_replay("SYSTEM", &b.hive, &b.len, b.logs, 2, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG1 entry 2131 at offset "
	    "0x45000 is damaged"));
	free(cause);

	free(copy);
	sysb_free(&b);
}

/*
 * The old format (Windows XP to 8): no real .LOG of that kind is in
 * testdata, so this one is SYNTHETIC, built here from the spec's "Old
 * format" sections. It proves replay agrees with this reading of the spec,
 * not with Windows. The hive is hivex's minimal image; the "newer" state
 * is what hivex writes after adding a key and a value (a changed first
 * bin and a new second one), and the log carries the changed 4 KiB blocks
 * as 512-byte dirty pages.
 */
struct oldlog {
	uint8_t		*hive;		/* dirty primary */
	size_t		 len;
	uint8_t		*newer;		/* what the log brings */
	size_t		 newlen;
	uint8_t		*log;
	size_t		 loglen;
	uint32_t	 seq;
};

static void
oldlog_build(struct tl_dir *fx, struct oldlog *o)
{
	char			*path, *cause = NULL;
	hive_h			*h;
	hive_node_h		 node;
	hive_set_value		 val;
	uint8_t			 dw[4];
	uint32_t		 hb_old, hb_new, k, npages = 0;
	size_t			 bytes, start;

	memset(o, 0, sizeof *o);
	path = tl_hive(fx->dir, "hivex_minimal", NULL);
	if (file_read_all(path, HIVE_MAX_SIZE, (void **)&o->hive, &o->len,
	    &cause) != 0)
		fail_msg("%s", cause);
	if ((h = hivex_open(path, HIVEX_OPEN_WRITE)) == NULL)
		fail_msg("hivex_open: %s", strerror(errno));
	node = hivex_node_add_child(h, hivex_root(h), "replayed");
	assert_int_not_equal(node, 0);
	le32enc(dw, 0x12345678);
	val.key = (char *)"v";
	val.t = hive_t_REG_DWORD;
	val.len = 4;
	val.value = (char *)dw;
	assert_int_equal(hivex_node_set_value(h, node, &val, 0), 0);
	assert_int_equal(hivex_commit(h, NULL, 0), 0);
	hivex_close(h);
	if (file_read_all(path, HIVE_MAX_SIZE, (void **)&o->newer,
	    &o->newlen, &cause) != 0)
		fail_msg("%s", cause);
	free(path);

	hb_old = le32dec(o->hive + 40);
	hb_new = le32dec(o->newer + 40);
	assert_int_equal(hb_old, 4096);
	assert_int_equal(hb_new, 8192);		/* hivex added a bin */
	assert_int_equal(o->newlen, 4096 + (size_t)hb_new);

	/* The primary: a write began (sequence numbers N+1/N). */
	o->seq = le32dec(o->hive + 4);
	le32enc(o->hive + 4, o->seq + 1);
	le32enc(o->hive + 508, hive_header_checksum(o->hive));

	/* Log: the base block's first sector as it is in memory (file type
	 * 1, both numbers N+1, the primary's timestamp), "DIRT" at 512, one
	 * bit per 512 bytes, pages from the next 512 boundary. */
	bytes = hb_new / 4096;
	start = (512 + 4 + bytes + 511) / 512 * 512;
	o->loglen = start + (size_t)hb_new;	/* room for every page */
	o->log = xcalloc(1, o->loglen);
	memcpy(o->log, o->newer, 512);
	le32enc(o->log + 4, o->seq + 1);
	le32enc(o->log + 8, o->seq + 1);
	memcpy(o->log + 12, o->hive + 12, 8);
	le32enc(o->log + 28, HIVE_TYPE_LOG_OLD);
	le32enc(o->log + 508, hive_header_checksum(o->log));
	memcpy(o->log + 512, "DIRT", 4);
	for (k = 0; k < hb_new / 4096; k++) {
		if ((size_t)k * 4096 < hb_old && memcmp(o->hive + 4096 +
		    k * 4096, o->newer + 4096 + k * 4096, 4096) == 0)
			continue;
		/* "Windows tracks changes ... in 4096-byte blocks": 0xFF
		 * bytes in the bitmap. */
		o->log[512 + 4 + k] = 0xff;
		memcpy(o->log + start + (size_t)npages * 512,
		    o->newer + 4096 + (size_t)k * 4096, 4096);
		npages += 8;
	}
	assert_int_equal(npages, 16);		/* both blocks */
	o->loglen = start + (size_t)npages * 512;
}

static void
oldlog_free(struct oldlog *o)
{
	free(o->hive);
	free(o->newer);
	free(o->log);
}

static void
test_old_format(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct hive_replay_log		 log;
	struct oldlog			 o;
	char				*cause = NULL;
	hive_h				*h;
	hive_value_h			 v;

	oldlog_build(fx, &o);
	log.name = "minimal.LOG";
	log.buf = o.log;
	log.len = o.loglen;
	if (hive_replay("minimal", &o.hive, &o.len, &log, 1, 0, &res,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_true(res.clean);
	assert_int_equal(res.format, HIVE_LOG_OLD);
	assert_int_equal(res.log[0].pages, 16);
	assert_int_equal(res.seq, o.seq + 1);
	assert_int_equal(res.hbins_before, 4096);
	assert_int_equal(res.hbins_after, 8192);
	assert_null(res.lost);
	assert_clean_header(o.hive, o.len, o.seq + 1, 8192);
	assert_int_equal(o.len, o.newlen);
	assert_memory_equal(o.hive + 4096, o.newer + 4096, 8192);
	h = open_buf(fx, "replayed", o.hive, o.len);
	v = find_value(h, "replayed", "v");
	assert_int_not_equal(v, 0);
	assert_int_equal(hivex_value_dword(h, v), 0x12345678);
	hivex_close(h);
	hive_replay_result_free(&res);
	oldlog_free(&o);
}

/* The old format's refusals: a log of another write (timestamp), and a
 * dirty hive bin that is not one ("recovery stops if a dirty hive bin is
 * invalid"). Synthetic as above. */
static void
test_old_format_refused(void **state)
{
	struct tl_dir			*fx = *state;
	struct hive_replay_result	 res;
	struct hive_replay_log		 log;
	struct oldlog			 o;
	uint8_t				*copy;
	size_t				 start;
	char				*cause = NULL;

	oldlog_build(fx, &o);
	copy = dup_buf(o.hive, o.len);
	log.name = "minimal.LOG";
	log.buf = o.log;
	log.len = o.loglen;
	start = 1024;			/* 512 + 4 + 2 bitmap bytes, rounded */

	o.log[12] ^= 1;
	le32enc(o.log + 508, hive_header_checksum(o.log));
	assert_int_equal(hive_replay("minimal", &o.hive, &o.len, &log, 1, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "minimal.LOG was written at another "
	    "time than the hive"));
	free(cause);
	cause = NULL;
	o.log[12] ^= 1;
	le32enc(o.log + 508, hive_header_checksum(o.log));

	/* The second bin (new, hbins offset 0x1000) loses its signature:
	 * its 8 pages cannot go in; forced, the first bin's do. */
	assert_memory_equal(o.log + start + 4096, "hbin", 4);
	o.log[start + 4096] = 'X';
	assert_int_equal(hive_replay("minimal", &o.hive, &o.len, &log, 1, 0,
	    &res, &cause), -1);
	assert_string_equal(cause, "minimal: replay of minimal.LOG stops at "
	    "hive bins offset 0x1000, where Windows stops too: 8 dirty pages "
	    "of minimal.LOG lie past an invalid hive bin at 0x1000; those "
	    "changes are lost");
	assert_memory_equal(o.hive, copy, o.len);
	free(cause);
	cause = NULL;
	if (hive_replay("minimal", &o.hive, &o.len, &log, 1,
	    HIVE_REPLAY_FORCE, &res, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(res.log[0].pages, 8);
	assert_non_null(res.lost);
	assert_memory_equal(o.hive + 4096, o.newer + 4096, 4096);
	hive_replay_result_free(&res);

	/* A log whose dirty pages are not all there is not used. */
	memcpy(o.hive, copy, 4096);
	log.len = o.loglen - 512;
	assert_int_equal(hive_replay("minimal", &o.hive, &o.len, &log, 1, 0,
	    &res, &cause), -1);
	assert_non_null(strstr(cause, "minimal.LOG is cut off: it lists 16 "
	    "dirty pages, the file holds 15"));
	free(cause);
	free(copy);
	oldlog_free(&o);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tl_setup, tl_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_system_b),
		T(test_clean_untouched),
		T(test_no_logs),
		T(test_flipped_byte),
		T(test_truncated_log),
		T(test_missing_partner),
		T(test_other_hive_log),
		T(test_logs_do_not_continue),
		T(test_bad_base_block),
		T(test_components_log2),
		T(test_hashing_skipped),
		T(test_old_format),
		T(test_old_format_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
