/*
 * replay.c: transaction-log replay. A dirty hive (sequence numbers that
 * differ, or a base block that fails its checksum) lacks what Windows last
 * wrote; that is in its .LOG1/.LOG2 (Windows 8.1+, "HvLE" log entries) or
 * its .LOG (Windows XP to 8, a "DIRT" dirty vector and dirty pages). hivex
 * reads only the primary file, so the logs are applied here, in memory,
 * before hivex ever sees the hive.
 *
 * The rules are those of the public "Windows registry file format
 * specification" (Maxim Suhanov, github.com/msuhanov/regf), sections
 * "Format of transaction log files", "Dirty state of a hive" and "Multiple
 * transaction log files"; where it is silent, yarp (the same author's
 * parser, RegistryFile.py) decides. Entries are decoded and their Marvin32
 * hashes checked by hive_log_entry_parse (header.c).
 *
 * Windows applies what it can and drops the rest silently. ntmend does the
 * same only when asked (HIVE_REPLAY_FORCE): otherwise any sign that a log
 * held more than can be applied (a damaged entry, entries that do not
 * follow on, a dirty hive without a usable log) refuses the replay with a
 * cause that says what would be lost, and the hive is left untouched.
 */

#include <sys/stat.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "util/util.h"

/* Base block fields written here ("Base block"). */
#define REGF_SEQ1		4
#define REGF_SEQ2		8
#define REGF_TYPE		28
#define REGF_HBINS_SIZE		40
#define REGF_FLAGS		144	/* Windows 10: bit 0, KTM locked */
#define REGF_CHECKSUM		508

#define LOG_SECTOR		512	/* logs are written in 512-byte units */
#define HVLE_HEADER		40	/* signature .. Hash-2 */
#define HVLE_PAGE_REF		8
#define HBIN_ALIGN		4096	/* hive bins are whole 4 KiB blocks */
#define HBIN_HEADER		32
#define HBIN_TIMESTAMP		20	/* first bin: backup of the base
					   block's timestamp */
#define DIRT_PAGE		512	/* one dirty-vector bit per 512 bytes */

/* Hive bins data can grow only as far as a hive may be large. */
#define NTM_MAX_HBINS		(HIVE_MAX_SIZE - HIVE_BASE_BLOCK_SIZE)
/* Looking for entries newer than those applied hashes each "HvLE" found;
 * entries do not overlap, so a real log costs about its length once.
 * Overlapping forged entries could make that quadratic: stop at a few
 * times the length. */
#define NTM_MAX_SCAN_FACTOR	4
/* The clustering factor is sector size / 512: 8 for 4 KiB sectors, the
 * largest Windows formats NTFS on; anything above is not a real log. */
#define NTM_MAX_CLUSTERING	8

/* One log as found. */
struct replay_log {
	const struct hive_replay_log *in;
	const char		*name;
	struct hive_header	 hdr;
	int			 parsed;	/* hdr to free */
	int			 format;	/* HIVE_LOG_*, 0 unusable */
	int			 foreign;	/* another hive's log */
	char			*problem;	/* why it is not used */

	/* New format: the valid consecutive entries from the second
	 * sector on. */
	size_t			 nentries;
	uint32_t		 first, last;
	int			 applies;
};

/* An old-format log's dirty vector, once one is chosen. */
struct replay_dirt {
	size_t			 log;
	const uint8_t		*bitmap;
	size_t			 bits;		/* 512-byte pages of hbins */
	const uint8_t		*pages;
	size_t			 npages;
	uint32_t		*rank;		/* set bits before each byte */
	uint32_t		 hbins;
	size_t			 ndirty_end;	/* last dirty page + 1 */
	size_t			 good_end;	/* hbins offset where the walk
						   stopped (bits * 512: all) */
	size_t			 bad_bin;	/* where, if it stopped early */
};

/* What the logs hold that would not be applied. */
struct replay_loss {
	size_t			 entries;	/* valid entries, newer */
	uint32_t		 lo, hi;
	unsigned		 logs;		/* bit per log holding them */
	size_t			 damaged;	/* damaged entries, newer */
	size_t			 dmg_log;	/* the first of those */
	size_t			 dmg_off;
	uint32_t		 dmg_seq;
	const char		*dmg_why;
	size_t			 pages;		/* old format: dirty pages */
	int			 partner;	/* the other of .LOG1/.LOG2 is
						   missing or unreadable */
	size_t			 partner_log;
};

struct replay {
	const char		*name;
	uint8_t			*hive;
	size_t			 len;
	hive_replay_grow_fn	 grow;		/* NULL: realloc */
	void			*grow_arg;
	struct hive_header	 hdr;
	int			 base_ok;	/* checksum right */
	struct replay_log	 logs[HIVE_REPLAY_MAX_LOGS];
	size_t			 nlogs;
	size_t			 order[HIVE_REPLAY_MAX_LOGS];
	size_t			 norder;

	int			 format;	/* what will be applied */
	int			 any;		/* new: an entry applies */
	uint32_t		 last;		/* its sequence number */
	size_t			 from;		/* first log applied; the one
						   giving the base block when
						   the hive's is bad */
	struct replay_dirt	 dirt;
	struct replay_loss	 loss;
};

/*
 * Sequence numbers are 32-bit counters that may wrap; yarp's
 * is_starting_log takes a difference above 2^31 as a wrap, so compare them
 * as serial numbers.
 */
static int
replay_seq_cmp(uint32_t a, uint32_t b)
{
	uint32_t	d = a - b;

	if (d == 0)
		return 0;
	return d < 0x80000000u ? 1 : -1;
}

static size_t
replay_popcount8(unsigned b)
{
	size_t	n = 0;

	for (b &= 0xff; b != 0; b &= b - 1)
		n++;
	return n;
}

/* Why an entry that hive_log_entry_parse refused is bad, for the cause;
 * off + HVLE_HEADER <= len. */
static const char *
replay_entry_damage(const uint8_t *p, size_t len, size_t off)
{
	uint32_t	size = le32dec(p + off + 4), hbins;

	if (size < HVLE_HEADER || size % LOG_SECTOR != 0)
		return "its size field is invalid";
	if (size > len - off)
		return "it is cut off where the file ends";
	hbins = le32dec(p + off + 16);
	if (hbins == 0 || hbins % HBIN_ALIGN != 0)
		return "its hive bins data size is invalid";
	return "its hashes or page references do not check";
}

/*
 * Look at one log: its base block copy must be a valid one ("a transaction
 * log file is considered to be valid when it has an expected base block
 * ... and its primary sequence number is equal to its secondary sequence
 * number"); for the new format, follow its entries from the second sector
 * while each checks and carries the next sequence number, the first one
 * that of the log's base block (note 7 of "Log entries").
 */
static void
replay_log_examine(const struct replay *rp, struct replay_log *lg)
{
	const uint8_t		*p = lg->in->buf;
	size_t			 len = lg->in->len, off;
	struct hive_log_entry	 e;
	uint32_t		 expect;
	const char		*a, *b;
	char			*why = NULL, *name, *c;

	if (p == NULL || len == 0) {
		/* An empty .LOG beside .LOG1/.LOG2 is normal on Windows 8.1
		 * and later ("Multiple transaction log files"). */
		lg->problem = xstrdup(p == NULL ? "is missing" : "is empty");
		return;
	}
	if (hive_header_parse(p, len, &lg->hdr, &why) != 0) {
		lg->problem = xprintf("is not a transaction log (%s)", why);
		free(why);
		return;
	}
	lg->parsed = 1;
	if (!hive_header_is_log(&lg->hdr)) {
		lg->problem = xprintf("is not a transaction log (file type %u)",
		    lg->hdr.file_type);
		return;
	}
	if (!lg->hdr.checksum_ok) {
		lg->problem = xprintf("has a base block that fails its "
		    "checksum (0x%08x, computed 0x%08x)", lg->hdr.checksum,
		    lg->hdr.checksum_calc);
		return;
	}
	if (lg->hdr.seq_primary != lg->hdr.seq_secondary) {
		lg->problem = xprintf("was itself being written (sequence "
		    "numbers %u/%u)", lg->hdr.seq_primary,
		    lg->hdr.seq_secondary);
		return;
	}
	/*
	 * Windows pairs a hive and its logs by file name only and would
	 * apply another hive's log whose numbers happen to follow on; the
	 * base block copy names its hive (file name, RmId), and header.c
	 * decides whether that is this one. Only a valid hive base block
	 * can be compared. Not even a forced replay writes another hive's
	 * pages into this one.
	 */
	if (rp->base_ok && !hive_log_belongs(&lg->hdr, &rp->hdr)) {
		lg->foreign = 1;
		a = lg->hdr.file_name != NULL ? lg->hdr.file_name : "";
		b = rp->hdr.file_name != NULL ? rp->hdr.file_name : "";
		if (strcmp(a, b) != 0) {
			/* Untrusted text in a one-line cause. */
			name = xstrdup(a);
			for (c = name; *c != '\0'; c++) {
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			}
			lg->problem = xprintf("belongs to another hive (its "
			    "base block names \"%s\")", name);
			free(name);
		} else
			lg->problem = xstrdup("belongs to another hive (its "
			    "RmId differs)");
		return;
	}
	if (lg->hdr.file_type != HIVE_TYPE_LOG_NEW) {
		lg->format = HIVE_LOG_OLD;
		return;
	}

	/* The entries the checkout's scan hashed (lg->in->checked) lie at
	 * the same offsets: parsed again without hashing them twice. */
	off = LOG_SECTOR;
	expect = lg->hdr.seq_primary;
	while ((lg->nentries < lg->in->checked ?
	    hive_log_entry_reparse(p, len, off, &e) :
	    hive_log_entry_parse(p, len, off, &e)) == 0) {
		if (e.seq != expect || e.hbins_size > NTM_MAX_HBINS)
			break;
		if (lg->nentries == 0)
			lg->first = e.seq;
		lg->last = e.seq;
		lg->nentries++;
		off += e.size;
		expect++;
	}
	if (lg->nentries > 0) {
		lg->format = HIVE_LOG_NEW;
		return;
	}
	if (len < LOG_SECTOR + HVLE_HEADER ||
	    memcmp(p + LOG_SECTOR, "HvLE", 4) != 0)
		lg->problem = xstrdup("holds no log entries");
	else if (hive_log_entry_parse(p, len, LOG_SECTOR, &e) != 0)
		lg->problem = xprintf("has a damaged first entry (%s)",
		    replay_entry_damage(p, len, LOG_SECTOR));
	else if (e.seq != lg->hdr.seq_primary)
		lg->problem = xprintf("has a first entry (%u) that is not "
		    "the one its base block names (%u)", e.seq,
		    lg->hdr.seq_primary);
	else
		lg->problem = xstrdup("has an entry whose hive bins data "
		    "size is beyond 2 GiB");
}

/*
 * New format, the hive's base block valid: "both transaction log files are
 * used ..., the transaction log file with earlier log entries is used
 * first (if recovery stops when applying log entries from this transaction
 * log file, then recovery is resumed with the next transaction log file;
 * the first log entry of the next transaction log file is expected to have
 * a sequence number equal to N + 1". The first log used must start at or
 * after the hive's secondary sequence number (note 7); a later start is
 * normal: regipy's SYSTEM_B (Windows 10 1709) is at 1622/1621 and its logs
 * begin at 2107, yet its hive bins already hold values newer than entry
 * 2108 leaves them (test_replay.c): the primary was written past 1622
 * while its base block kept the old numbers.
 * Base block invalid: "only the transaction log file with latest log
 * entries is used", and its base block copy replaces the hive's.
 */
static void
replay_plan_new(struct replay *rp)
{
	struct replay_log	*lg;
	size_t			 i, j, t, best;

	rp->norder = 0;
	for (i = 0; i < rp->nlogs; i++) {
		if (rp->logs[i].format == HIVE_LOG_NEW)
			rp->order[rp->norder++] = i;
	}
	/* At most three logs: insertion sort by first entry. */
	for (i = 1; i < rp->norder; i++) {
		for (j = i; j > 0; j--) {
			if (replay_seq_cmp(rp->logs[rp->order[j]].first,
			    rp->logs[rp->order[j - 1]].first) >= 0)
				break;
			t = rp->order[j];
			rp->order[j] = rp->order[j - 1];
			rp->order[j - 1] = t;
		}
	}
	if (rp->norder == 0)
		return;

	if (!rp->base_ok) {
		best = rp->order[0];
		for (i = 1; i < rp->norder; i++) {
			lg = &rp->logs[rp->order[i]];
			if (replay_seq_cmp(lg->last, rp->logs[best].last) > 0)
				best = rp->order[i];
		}
		for (i = 0; i < rp->norder; i++) {
			lg = &rp->logs[rp->order[i]];
			if (rp->order[i] != best)
				lg->problem = xprintf("is older than %s, the "
				    "only log used when the base block is "
				    "bad", rp->logs[best].name);
		}
		rp->logs[best].applies = 1;
		rp->from = best;
		rp->any = 1;
		rp->last = rp->logs[best].last;
		rp->format = HIVE_LOG_NEW;
		return;
	}

	for (i = 0; i < rp->norder; i++) {
		lg = &rp->logs[rp->order[i]];
		if (!rp->any) {
			if (replay_seq_cmp(lg->first,
			    rp->hdr.seq_secondary) < 0) {
				lg->problem = xprintf("holds entries %u-%u, "
				    "older than the hive (%u)", lg->first,
				    lg->last, rp->hdr.seq_secondary);
				continue;
			}
		} else if (lg->first != rp->last + 1) {
			lg->problem = xprintf("holds entries %u-%u, which do "
			    "not follow entry %u", lg->first, lg->last,
			    rp->last);
			continue;
		}
		if (!rp->any)
			rp->from = rp->order[i];
		lg->applies = 1;
		rp->any = 1;
		rp->last = lg->last;
		rp->format = HIVE_LOG_NEW;
	}
}

/*
 * Everything in the new-format logs that will not be applied and is newer
 * than what will be: valid entries (old ones, already applied, are normal:
 * "a transaction log file may contain ... old (already applied) log
 * entries") and entries that begin with "HvLE" but do not check. Every
 * 512-byte boundary is looked at, so entries past a damaged one or past a
 * gap are found too. Without a reference (nothing applies and the hive's
 * base block is bad) every entry counts.
 */
static void
replay_scan_loss(struct replay *rp)
{
	struct replay_loss	*ls = &rp->loss;
	struct replay_log	*lg;
	struct hive_log_entry	 e;
	const uint8_t		*p;
	size_t			 i, len, off, usable = 0, budget, cost;
	size_t			 known, next;
	uint32_t		 ref = 0, seq, size;
	int			 have_ref = 1, r;

	/*
	 * Windows 8.1 and later write .LOG1 and .LOG2 in turn, and either may
	 * hold the earlier entries ("Multiple transaction log files"). A gap
	 * between the hive and its first log entry is normal (SYSTEM_B), so
	 * a lost partner shows only as a file that is missing or cannot be
	 * read: with one usable log beside such a one, what the other held
	 * (before or after the entries found) is gone. An empty file is a
	 * log never written (the .LOG kept for compatibility).
	 */
	if (rp->any) {
		for (i = 0; i < rp->nlogs; i++) {
			lg = &rp->logs[i];
			if (lg->format == HIVE_LOG_NEW)
				usable++;
			else if (lg->format == 0 && !ls->partner &&
			    (lg->in->buf == NULL || lg->in->len > 0)) {
				ls->partner = 1;
				ls->partner_log = i;
			}
		}
		if (usable != 1)
			ls->partner = 0;
	}

	if (rp->any)
		ref = rp->last;
	else if (rp->base_ok)
		ref = rp->hdr.seq_secondary - 1;
	else
		have_ref = 0;

	for (i = 0; i < rp->nlogs; i++) {
		if (rp->logs[i].format == HIVE_LOG_OLD || rp->logs[i].foreign)
			continue;
		p = rp->logs[i].in->buf;
		len = rp->logs[i].in->len;
		if (p == NULL)
			continue;
		off = LOG_SECTOR;
		budget = len / LOG_SECTOR * NTM_MAX_SCAN_FACTOR * LOG_SECTOR;
		/* The run of entries replay_log_examine checked, from the
		 * second sector on, is not hashed again. */
		known = rp->logs[i].format == HIVE_LOG_NEW ?
		    rp->logs[i].nentries : 0;
		next = LOG_SECTOR;
		while (len >= HVLE_HEADER && off <= len - HVLE_HEADER) {
			if (memcmp(p + off, "HvLE", 4) != 0) {
				off += LOG_SECTOR;
				continue;
			}
			size = le32dec(p + off + 4);
			cost = size <= len - off ? size : HVLE_HEADER;
			if (cost > budget) {
				/* Only a forged log makes this many
				 * overlapping entries; count it as damage. */
				if (ls->damaged++ == 0) {
					ls->dmg_log = i;
					ls->dmg_off = off;
					ls->dmg_seq = le32dec(p + off + 12);
					ls->dmg_why = "too many overlapping "
					    "entries to check";
				}
				break;
			}
			budget -= cost;
			/* An entry no newer than ref counts for nothing but
			 * where the next one starts: its header's hash makes
			 * its size trustworthy, without hashing the pages of
			 * every older generation (SYSTEM_B.LOG1 holds 30 such
			 * entries, 1.7 MB). Nothing newer lies inside it: a
			 * newer generation writes from the second sector on,
			 * over the header before any of its pages. */
			seq = le32dec(p + off + 12);
			if (known > 0 && off == next)
				r = hive_log_entry_reparse(p, len, off, &e);
			else if (have_ref && replay_seq_cmp(seq, ref) <= 0)
				r = hive_log_entry_parse_head(p, len, off, &e);
			else
				r = hive_log_entry_parse(p, len, off, &e);
			if (r == 0) {
				if (known > 0 && off == next) {
					known--;
					next = off + e.size;
				}
				if (!have_ref || replay_seq_cmp(e.seq, ref) > 0) {
					if (ls->entries == 0 ||
					    replay_seq_cmp(e.seq, ls->lo) < 0)
						ls->lo = e.seq;
					if (ls->entries == 0 ||
					    replay_seq_cmp(e.seq, ls->hi) > 0)
						ls->hi = e.seq;
					ls->entries++;
					ls->logs |= 1u << i;
				}
				off += e.size;
				continue;
			}
			if (!have_ref || replay_seq_cmp(seq, ref) > 0) {
				if (ls->damaged++ == 0) {
					ls->dmg_log = i;
					ls->dmg_off = off;
					ls->dmg_seq = seq;
					ls->dmg_why = replay_entry_damage(p, len,
					    off);
				}
			}
			off += LOG_SECTOR;
		}
	}
}

/* Old format: is the page dirty, and where is its copy in the log. */
static int
replay_dirt_isset(const struct replay_dirt *d, size_t page)
{
	return (d->bitmap[page / 8] >> (page % 8)) & 1;
}

static const uint8_t *
replay_dirt_page(const struct replay_dirt *d, size_t page)
{
	size_t	rank;

	rank = d->rank[page / 8] +
	    replay_popcount8(d->bitmap[page / 8] & ((1u << (page % 8)) - 1));
	return d->pages + rank * DIRT_PAGE;
}

/* A byte of the hive bins data as it would be with the log applied. */
static uint8_t
replay_dirt_byte(const struct replay *rp, const struct replay_dirt *d,
    size_t off)
{
	size_t	page = off / DIRT_PAGE;

	if (page < d->bits && replay_dirt_isset(d, page))
		return replay_dirt_page(d, page)[off % DIRT_PAGE];
	if (rp->len > HIVE_BASE_BLOCK_SIZE &&
	    off < rp->len - HIVE_BASE_BLOCK_SIZE)
		return rp->hive[HIVE_BASE_BLOCK_SIZE + off];
	return 0;
}

/*
 * Decode the dirty vector ("Dirty vector", "Dirty pages"): it starts in the
 * second sector (the first holds clustering factor x 512 bytes of the base
 * block), one bit per 512 bytes of hive bins data, and the pages follow
 * from the next sector boundary, one per set bit, without gaps.
 */
static int
replay_dirt_parse(struct replay *rp, size_t i, struct replay_dirt *d)
{
	struct replay_log	*lg = &rp->logs[i];
	const uint8_t		*p = lg->in->buf;
	size_t			 len = lg->in->len, sector, bytes, b, start;
	uint32_t		 cf = lg->hdr.clustering, n = 0;

	memset(d, 0, sizeof *d);
	d->log = i;
	if (cf == 0 || cf > NTM_MAX_CLUSTERING) {
		lg->problem = xprintf("has a clustering factor of %u", cf);
		return -1;
	}
	sector = (size_t)cf * LOG_SECTOR;
	d->hbins = lg->hdr.hbins_size;
	if (d->hbins == 0 || d->hbins % HBIN_ALIGN != 0 ||
	    d->hbins > NTM_MAX_HBINS) {
		lg->problem = xprintf("has an invalid hive bins data size "
		    "(%u)", d->hbins);
		return -1;
	}
	if (len < sector + 4 || memcmp(p + sector, "DIRT", 4) != 0) {
		lg->problem = xstrdup("has no dirty vector (DIRT)");
		return -1;
	}
	d->bits = d->hbins / DIRT_PAGE;
	bytes = d->bits / 8;
	if (bytes > len - sector - 4) {
		lg->problem = xstrdup("is cut off inside its dirty vector");
		return -1;
	}
	d->bitmap = p + sector + 4;
	d->rank = xreallocarray(NULL, bytes + 1, sizeof *d->rank);
	for (b = 0; b < bytes; b++) {
		d->rank[b] = n;
		n += (uint32_t)replay_popcount8(d->bitmap[b]);
		if (d->bitmap[b] != 0)
			d->ndirty_end = b * 8 + 8 -
			    (size_t)__builtin_clz((unsigned)d->bitmap[b] << 24);
	}
	d->rank[bytes] = n;
	d->npages = n;
	start = (sector + 4 + bytes + sector - 1) / sector * sector;
	if (start > len || d->npages > (len - start) / DIRT_PAGE) {
		lg->problem = xprintf("is cut off: it lists %zu dirty pages, "
		    "the file holds %zu", d->npages,
		    start > len ? 0 : (len - start) / DIRT_PAGE);
		free(d->rank);
		d->rank = NULL;
		return -1;
	}
	d->pages = p + start;
	return 0;
}

/*
 * "Contiguous dirty pages belonging to the same hive bin in a primary file
 * are processed together, and a dirty hive bin is verified for correctness
 * (its Signature must be correct, its Size must not be less than 4096
 * bytes, its Offset must match ...); recovery stops if a dirty hive bin is
 * invalid". The bins are walked as they will be once the pages are in; the
 * walk also needs every clean bin before the last dirty page to be sound,
 * since only a bin's size says where the next begins.
 */
static void
replay_dirt_walk(struct replay *rp, struct replay_dirt *d)
{
	uint8_t	h[12];
	size_t	off = 0, size, k, page;

	d->good_end = d->bits * DIRT_PAGE;
	while (off < d->hbins && off / DIRT_PAGE < d->ndirty_end) {
		if (d->hbins - off < HBIN_HEADER)
			goto bad;
		for (k = 0; k < sizeof h; k++)
			h[k] = replay_dirt_byte(rp, d, off + k);
		size = le32dec(h + 8);
		if (memcmp(h, "hbin", 4) != 0 || le32dec(h + 4) != off ||
		    size < HBIN_ALIGN || size > d->hbins - off)
			goto bad;
		off += size;
	}
	return;

bad:
	d->good_end = off;
	d->bad_bin = off;
	for (page = off / DIRT_PAGE; page < d->bits; page++) {
		if (replay_dirt_isset(d, page))
			rp->loss.pages++;
	}
}

/*
 * Old format ("Multiple transaction log files", old format): when a boot
 * loader recovers a hive, "the applicable transaction log file (i.e.
 * having a matching Last written timestamp in a valid backup copy of a base
 * block) is used in the recovery. The first transaction log file is tried
 * first." With a bad base block the first hive bin's timestamp stands in
 * for the hive's (note 3 of the old base block).
 */
static void
replay_plan_old(struct replay *rp)
{
	struct replay_log	*lg;
	uint64_t		 ts;
	size_t			 i;

	if (rp->base_ok)
		ts = rp->hdr.timestamp;
	else if (rp->len >= HIVE_BASE_BLOCK_SIZE + HBIN_HEADER)
		ts = le64dec(rp->hive + HIVE_BASE_BLOCK_SIZE + HBIN_TIMESTAMP);
	else
		return;

	for (i = 0; i < rp->nlogs; i++) {
		lg = &rp->logs[i];
		if (lg->format != HIVE_LOG_OLD)
			continue;
		if (lg->hdr.timestamp != ts) {
			lg->problem = xprintf("was written at another time "
			    "than the hive (timestamp 0x%016llx, hive "
			    "0x%016llx)", (unsigned long long)lg->hdr.timestamp,
			    (unsigned long long)ts);
			continue;
		}
		if (replay_dirt_parse(rp, i, &rp->dirt) != 0)
			continue;
		replay_dirt_walk(rp, &rp->dirt);
		rp->format = HIVE_LOG_OLD;
		lg->applies = 1;
		rp->from = i;
		return;
	}
}

/* Make the buffer at least need bytes, the new ones zero. A caller's
 * buffer was grown to its final size before (replay_need). */
static void
replay_grow(struct replay *rp, size_t need)
{
	if (need <= rp->len)
		return;
	if (rp->grow != NULL)
		fatal("replay: %s grows past its planned size", rp->name);
	rp->hive = xrealloc(rp->hive, need);
	memset(rp->hive + rp->len, 0, need - rp->len);
	rp->len = need;
}

/* A bad base block is replaced by a log's copy of its first sector, file
 * type set back to 0 (note 4 of the old base block; yarp zeroes the rest,
 * which has no meaning on disk). */
static void
replay_take_base(struct replay *rp, size_t i)
{
	replay_grow(rp, HIVE_BASE_BLOCK_SIZE);
	memcpy(rp->hive, rp->logs[i].in->buf, HIVE_HEADER_MIN);
	memset(rp->hive + HIVE_HEADER_MIN, 0,
	    HIVE_BASE_BLOCK_SIZE - HIVE_HEADER_MIN);
	le32enc(rp->hive + REGF_TYPE, HIVE_TYPE_PRIMARY);
}

/* The entry at off of an applied log: checked when the plan was made, so
 * the same bytes must parse again. */
static void
replay_entry(const struct replay_log *lg, size_t off,
    struct hive_log_entry *e)
{
	if (hive_log_entry_reparse(lg->in->buf, lg->in->len, off, e) != 0)
		fatal("replay: %s entry at %zu vanished", lg->name, off);
}

/* The size the applied logs leave the hive: the base block (taken from a
 * log when the hive's is bad), then the largest hive bins data size of an
 * applied entry, or the dirty vector's. */
static size_t
replay_need(const struct replay *rp)
{
	const struct replay_log	*lg;
	struct hive_log_entry	 e;
	size_t			 need = rp->len, i, k, j, off;

	if (!rp->base_ok && rp->format != 0 && need < HIVE_BASE_BLOCK_SIZE)
		need = HIVE_BASE_BLOCK_SIZE;
	if (rp->format == HIVE_LOG_OLD &&
	    need < HIVE_BASE_BLOCK_SIZE + (size_t)rp->dirt.hbins)
		need = HIVE_BASE_BLOCK_SIZE + (size_t)rp->dirt.hbins;
	if (rp->format != HIVE_LOG_NEW)
		return need;
	for (k = 0; k < rp->norder; k++) {
		i = rp->order[k];
		lg = &rp->logs[i];
		if (!lg->applies)
			continue;
		off = LOG_SECTOR;
		for (j = 0; j < lg->nentries; j++) {
			replay_entry(lg, off, &e);
			if (need < HIVE_BASE_BLOCK_SIZE + (size_t)e.hbins_size)
				need = HIVE_BASE_BLOCK_SIZE +
				    (size_t)e.hbins_size;
			off += e.size;
		}
	}
	return need;
}

static void
replay_apply_new(struct replay *rp, struct hive_replay_result *res,
    uint32_t *hbins)
{
	struct replay_log	*lg;
	struct hive_log_entry	 e;
	const uint8_t		*data;
	size_t			 i, k, j, n, off;
	uint32_t		 poff, psize, flags;

	if (!rp->base_ok)
		replay_take_base(rp, rp->from);
	for (k = 0; k < rp->norder; k++) {
		i = rp->order[k];
		lg = &rp->logs[i];
		if (!lg->applies)
			continue;
		off = LOG_SECTOR;
		for (j = 0; j < lg->nentries; j++) {
			replay_entry(lg, off, &e);
			/* Note 9: "A primary file is grown according to the
			 * Hive bins data size field of a log entry". */
			replay_grow(rp, HIVE_BASE_BLOCK_SIZE +
			    (size_t)e.hbins_size);
			/* Pages follow the references back to back; each
			 * lies inside e.hbins_size (hive_log_entry_parse). */
			data = e.pages;
			for (n = 0; n < e.npages; n++) {
				poff = le32dec(e.refs + n * HVLE_PAGE_REF);
				psize = le32dec(e.refs + n * HVLE_PAGE_REF + 4);
				memcpy(rp->hive + HIVE_BASE_BLOCK_SIZE + poff,
				    data, psize);
				data += psize;
			}
			/* Note 11: only bit 0 of the base block's flags
			 * travels in an entry. */
			flags = le32dec(rp->hive + REGF_FLAGS);
			flags = (flags & ~1u) | (e.flags & 1u);
			le32enc(rp->hive + REGF_FLAGS, flags);
			*hbins = e.hbins_size;
			if (res->log[i].entries == 0)
				res->log[i].seq_first = e.seq;
			res->log[i].seq_last = e.seq;
			res->log[i].entries++;
			res->log[i].pages += e.npages;
			off += e.size;
		}
		res->entries += res->log[i].entries;
		res->pages += res->log[i].pages;
	}
}

static void
replay_apply_old(struct replay *rp, struct hive_replay_result *res)
{
	struct replay_dirt	*d = &rp->dirt;
	size_t			 page, last;

	if (!rp->base_ok)
		replay_take_base(rp, d->log);
	replay_grow(rp, HIVE_BASE_BLOCK_SIZE + (size_t)d->hbins);
	/* Note 2 of "Dirty pages": file offset 4096 + 512 x bit position. */
	last = d->good_end / DIRT_PAGE;
	for (page = 0; page < d->bits && page < last; page++) {
		if (!replay_dirt_isset(d, page))
			continue;
		memcpy(rp->hive + HIVE_BASE_BLOCK_SIZE + page * DIRT_PAGE,
		    replay_dirt_page(d, page), DIRT_PAGE);
		res->log[d->log].pages++;
	}
	res->pages = res->log[d->log].pages;
}

/* Both sequence numbers equal, the base block's checksum right: Windows
 * treats the hive as clean and ignores the logs from now on. */
static void
replay_seal(struct replay *rp, uint32_t seq, int set_hbins, uint32_t hbins)
{
	le32enc(rp->hive + REGF_SEQ1, seq);
	le32enc(rp->hive + REGF_SEQ2, seq);
	if (set_hbins)
		le32enc(rp->hive + REGF_HBINS_SIZE, hbins);
	le32enc(rp->hive + REGF_CHECKSUM, hive_header_checksum(rp->hive));
}

/* "a-b" or "a" for a range of sequence numbers; caller frees. */
static char *
replay_range(uint32_t lo, uint32_t hi)
{
	if (lo == hi)
		return xprintf("%u", lo);
	return xprintf("%u-%u", lo, hi);
}

/* The names of the logs in mask, "A/B". */
static char *
replay_names(const struct replay *rp, unsigned mask)
{
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < rp->nlogs; i++) {
		if ((mask & (1u << i)) == 0)
			continue;
		xasprintf(&t, "%s%s%s", s == NULL ? "" : s, s == NULL ? "" : "/",
		    rp->logs[i].name);
		free(s);
		s = t;
	}
	return s == NULL ? xstrdup("") : s;
}

/* "SYSTEM.LOG1 holds ...; SYSTEM.LOG2 is missing" for the logs not used;
 * with present_only, only those that are there but unusable. */
static char *
replay_problems(const struct replay *rp, int present_only)
{
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < rp->nlogs; i++) {
		if (rp->logs[i].problem == NULL)
			continue;
		if (present_only && (rp->logs[i].in->buf == NULL ||
		    rp->logs[i].in->len == 0))
			continue;
		xasprintf(&t, "%s%s%s %s", s == NULL ? "" : s,
		    s == NULL ? "" : "; ", rp->logs[i].name,
		    rp->logs[i].problem);
		free(s);
		s = t;
	}
	return s;
}

/* The sequence-number state for messages. */
static char *
replay_state(const struct replay *rp)
{
	if (!rp->base_ok)
		return xprintf("its base block fails its checksum (0x%08x, "
		    "computed 0x%08x)", rp->hdr.checksum, rp->hdr.checksum_calc);
	return xprintf("sequence numbers %u/%u", rp->hdr.seq_primary,
	    rp->hdr.seq_secondary);
}

/* Append ";"-separated text to *s. */
static void
replay_add(char **s, const char *fmt, ...)
{
	va_list	 ap;
	char	*piece, *t;

	va_start(ap, fmt);
	xvasprintf(&piece, fmt, ap);
	va_end(ap);
	if (*s == NULL) {
		*s = piece;
		return;
	}
	xasprintf(&t, "%s; %s", *s, piece);
	free(*s);
	free(piece);
	*s = t;
}

/*
 * One line saying what would be lost, or NULL if nothing is: the hive is
 * dirty and nothing applies, or something newer than what applies is in
 * the logs (damaged or unconnected entries, old-format pages past a bad
 * hive bin), or one of .LOG1/.LOG2 is missing.
 */
static char *
replay_loss_text(struct replay *rp)
{
	struct replay_loss	*ls = &rp->loss;
	char			*what = NULL, *probs, *state, *range, *names;
	char			*out = NULL;
	size_t			 i;
	int			 present = 0;

	if (ls->damaged > 0) {
		replay_add(&what, "%s entry %u at offset 0x%zx is damaged "
		    "(%s)%s", rp->logs[ls->dmg_log].name, ls->dmg_seq,
		    ls->dmg_off, ls->dmg_why, ls->damaged > 1 ?
		    ", and more entries after it" : "");
	}
	if (ls->entries > 0) {
		range = replay_range(ls->lo, ls->hi);
		names = replay_names(rp, ls->logs);
		replay_add(&what, "%zu newer log %s (%s, in %s) cannot be "
		    "applied", ls->entries, ls->entries == 1 ? "entry" :
		    "entries", range, names);
		free(range);
		free(names);
	}
	if (ls->partner) {
		replay_add(&what, "%s %s, with whatever log entries it held",
		    rp->logs[ls->partner_log].name,
		    rp->logs[ls->partner_log].problem);
	}
	if (ls->pages > 0) {
		replay_add(&what, "%zu dirty pages of %s lie past an invalid "
		    "hive bin at 0x%zx", ls->pages,
		    rp->logs[rp->dirt.log].name, rp->dirt.bad_bin);
	}
	if (rp->format != 0 && what == NULL)
		return NULL;

	if (rp->format == 0) {
		for (i = 0; i < rp->nlogs; i++) {
			if (rp->logs[i].in->buf != NULL &&
			    rp->logs[i].in->len > 0)
				present = 1;
		}
		probs = replay_problems(rp, 0);
		state = replay_state(rp);
		xasprintf(&out, "%s is dirty (%s) and %s%s%s%s: what Windows "
		    "wrote to it last is lost%s%s", rp->name, state, present ?
		    "no transaction log continues it" : "has no transaction "
		    "log", probs != NULL ? " (" : "", probs != NULL ? probs :
		    "", probs != NULL ? ")" : "", what != NULL ? "; " : "",
		    what != NULL ? what : "");
		free(state);
	} else if (rp->format == HIVE_LOG_NEW && ls->partner &&
	    ls->entries == 0 && ls->damaged == 0) {
		probs = NULL;
		/* partner is set only beside a single usable log, and
		 * something applies: that one. */
		xasprintf(&out, "%s: %s %s: the log entries it held are lost "
		    "(only entries %u-%u of %s can be applied)", rp->name,
		    rp->logs[ls->partner_log].name,
		    rp->logs[ls->partner_log].problem,
		    rp->logs[rp->order[0]].first, rp->last,
		    rp->logs[rp->order[0]].name);
	} else if (rp->format == HIVE_LOG_NEW) {
		probs = replay_problems(rp, 1);
		xasprintf(&out, "%s: replay stops at sequence number %u, where "
		    "Windows stops too: %s; those changes are lost%s%s%s",
		    rp->name, rp->last, what, probs != NULL ? " (" : "",
		    probs != NULL ? probs : "", probs != NULL ? ")" : "");
	} else {
		probs = NULL;
		xasprintf(&out, "%s: replay of %s stops at hive bins offset "
		    "0x%zx, where Windows stops too: %s; those changes are "
		    "lost", rp->name, rp->logs[rp->dirt.log].name,
		    rp->dirt.good_end, what);
	}
	free(probs);
	free(what);
	return out;
}

int
hive_replay(const char *name, uint8_t **hive, size_t *len,
    const struct hive_replay_log *logs, size_t nlogs, int flags,
    struct hive_replay_result *res, char **cause)
{
	return hive_replay_into(name, hive, len, NULL, NULL, logs, nlogs,
	    flags, res, cause);
}

int
hive_replay_into(const char *name, uint8_t **hive, size_t *len,
    hive_replay_grow_fn grow, void *grow_arg,
    const struct hive_replay_log *logs, size_t nlogs, int flags,
    struct hive_replay_result *res, char **cause)
{
	struct replay		 rp;
	struct hive_header	 after;
	char			*lost = NULL, *why = NULL;
	uint32_t		 seq, hbins = 0;
	size_t			 i, need;
	int			 ret = -1, set_hbins = 0;

	memset(res, 0, sizeof *res);
	memset(&rp, 0, sizeof rp);
	rp.name = name != NULL ? name : "the hive";
	rp.hive = *hive;
	rp.len = *len;
	rp.grow = grow;
	rp.grow_arg = grow_arg;

	if (nlogs > HIVE_REPLAY_MAX_LOGS)
		return set_cause(cause, "%zu transaction logs, at most %d",
		    nlogs, HIVE_REPLAY_MAX_LOGS);
	if (rp.len > HIVE_MAX_SIZE)
		return set_cause(cause, "%s: %zu bytes, larger than a hive can "
		    "be", rp.name, rp.len);
	if (hive_header_parse(rp.hive, rp.len, &rp.hdr, &why) != 0) {
		set_cause(cause, "%s: %s", rp.name, why);
		free(why);
		return -1;
	}
	res->seq_primary = rp.hdr.seq_primary;
	res->seq_secondary = rp.hdr.seq_secondary;
	res->hbins_before = rp.hdr.hbins_size;
	if (rp.hdr.file_type != HIVE_TYPE_PRIMARY) {
		set_cause(cause, "%s: file type %u, not a hive (a transaction "
		    "log given as the hive?)", rp.name, rp.hdr.file_type);
		goto out;
	}
	if (!hive_header_is_dirty(&rp.hdr)) {
		/* "If a hive isn't dirty, but a transaction log file (new
		 * format) contains subsequent log entries, they are
		 * ignored." */
		res->clean = 1;
		res->seq = rp.hdr.seq_primary;
		res->hbins_after = rp.hdr.hbins_size;
		ret = 0;
		goto out;
	}
	res->dirty = 1;
	rp.base_ok = rp.hdr.checksum_ok;

	rp.nlogs = nlogs;
	for (i = 0; i < nlogs; i++) {
		rp.logs[i].in = &logs[i];
		rp.logs[i].name = logs[i].name != NULL ? logs[i].name : "log";
		replay_log_examine(&rp, &rp.logs[i]);
	}
	replay_plan_new(&rp);
	if (rp.format == 0)
		replay_plan_old(&rp);
	if (rp.format != HIVE_LOG_OLD)
		replay_scan_loss(&rp);

	lost = replay_loss_text(&rp);
	if (lost != NULL && (flags & HIVE_REPLAY_FORCE) == 0) {
		set_cause(cause, "%s", lost);
		goto out;
	}
	/* A caller's buffer grows once, before anything is written, so that
	 * a failure leaves the hive as it was. */
	if (grow != NULL && (need = replay_need(&rp)) > rp.len) {
		if (grow(grow_arg, &rp.hive, need) != 0) {
			set_cause(cause, "%s: cannot grow the hive to %zu "
			    "bytes: %s", rp.name, need, strerror(errno));
			*hive = rp.hive;
			goto out;
		}
		memset(rp.hive + rp.len, 0, need - rp.len);
		rp.len = need;
		*hive = rp.hive;
		*len = rp.len;
	}

	if (rp.format == HIVE_LOG_NEW) {
		replay_apply_new(&rp, res, &hbins);
		seq = rp.last;
		set_hbins = 1;
	} else if (rp.format == HIVE_LOG_OLD) {
		replay_apply_old(&rp, res);
		hbins = rp.dirt.hbins;
		set_hbins = 1;
		/* The write the hive's base block says began is now done;
		 * a base block taken from the log carries its own numbers
		 * (equal, or the log is not valid). */
		seq = rp.base_ok ? rp.hdr.seq_primary :
		    rp.logs[rp.dirt.log].hdr.seq_primary;
	} else {
		/* Forced with nothing to apply: the hive as it is, marked
		 * clean so that Windows does not replay stale logs over
		 * what is written to it later. */
		seq = rp.hdr.seq_primary;
	}
	replay_seal(&rp, seq, set_hbins, hbins);

	res->format = rp.format;
	res->base_recovered = !rp.base_ok && rp.format != 0;
	res->from = rp.from;
	res->seq = seq;
	res->hbins_after = le32dec(rp.hive + REGF_HBINS_SIZE);
	res->lost = lost;
	lost = NULL;
	if (hive_header_parse(rp.hive, rp.len, &after, NULL) == 0) {
		res->clean = !hive_header_is_dirty(&after);
		hive_header_free(&after);
	}
	*hive = rp.hive;
	*len = rp.len;
	ret = 0;

out:
	free(lost);
	for (i = 0; i < rp.nlogs; i++) {
		if (rp.logs[i].parsed)
			hive_header_free(&rp.logs[i].hdr);
		free(rp.logs[i].problem);
	}
	free(rp.dirt.rank);
	hive_header_free(&rp.hdr);
	return ret;
}

void
hive_replay_result_free(struct hive_replay_result *res)
{
	free(res->lost);
	res->lost = NULL;
}

/* The last component of a path, for messages. */
static const char *
replay_base_name(const char *path)
{
	const char	*s = strrchr(path, '/');

	return s != NULL ? s + 1 : path;
}

int
hive_replay_file(const char *name, const char *path,
    const char *const *logpaths, const char *const *lognames, size_t nlogs,
    int flags, struct hive_replay_result *res, char **cause)
{
	struct hive_replay_log	 logs[HIVE_REPLAY_MAX_LOGS];
	void			*bufs[HIVE_REPLAY_MAX_LOGS];
	size_t			 map[HIVE_REPLAY_MAX_LOGS];
	void			*buf;
	uint8_t			*hive = NULL;
	char			*tmp = NULL;
	size_t			 len, i, n = 0;
	struct stat		 sb;
	int			 ret = -1;

	memset(res, 0, sizeof *res);
	memset(bufs, 0, sizeof bufs);
	if (nlogs > HIVE_REPLAY_MAX_LOGS)
		return set_cause(cause, "%zu transaction logs, at most %d",
		    nlogs, HIVE_REPLAY_MAX_LOGS);
	if (name == NULL)
		name = replay_base_name(path);
	if (file_read_all(path, HIVE_MAX_SIZE, &buf, &len, cause) != 0)
		return -1;
	hive = buf;
	for (i = 0; i < nlogs; i++) {
		if (logpaths[i] == NULL)
			continue;
		map[n] = i;
		memset(&logs[n], 0, sizeof logs[n]);
		logs[n].name = lognames != NULL && lognames[i] != NULL ?
		    lognames[i] : replay_base_name(logpaths[i]);
		if (stat(logpaths[i], &sb) == -1 && errno == ENOENT) {
			n++;
			continue;
		}
		/* A log is never larger than the hive can be: each entry
		 * holds pages of at most 2 GiB of hive bins, and Windows
		 * starts the log over once it has reconciled. */
		if (file_read_all(logpaths[i], HIVE_MAX_SIZE, &bufs[n],
		    &logs[n].len, cause) != 0)
			goto out;
		logs[n].buf = bufs[n];
		n++;
	}

	if (hive_replay(name, &hive, &len, logs, n, flags, res, cause) != 0)
		goto out;
	/* Back to the caller's numbering; map[i] >= i, so going down never
	 * overwrites a slot still to be moved. */
	for (i = n; i-- > 0; ) {
		if (map[i] == i)
			continue;
		res->log[map[i]] = res->log[i];
		memset(&res->log[i], 0, sizeof res->log[i]);
	}
	if (res->from < n)
		res->from = map[res->from];
	if (res->dirty) {
		/* A private copy, but never leave it half written. */
		xasprintf(&tmp, "%s.replay", path);
		if (file_write_all(tmp, hive, len, cause) != 0)
			goto out;
		if (rename(tmp, path) == -1) {
			set_cause(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		free(tmp);
		tmp = NULL;
	}
	ret = 0;

out:
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	if (ret != 0)
		hive_replay_result_free(res);
	for (i = 0; i < n; i++)
		free(bufs[i]);
	free(hive);
	return ret;
}
