/*
 * header.c: the base block ("regf") of hives and transaction logs, and the
 * records a log holds, decoded from untrusted bytes.
 *
 * Layout and rules from the public "Windows registry file format
 * specification" (Maxim Suhanov, github.com/msuhanov/regf): "Base block",
 * "Format of transaction log files", "Dirty state of a hive".
 */

#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

/* Base block fields (offsets in bytes). */
#define REGF_SEQ1		4
#define REGF_SEQ2		8
#define REGF_TIMESTAMP		12
#define REGF_MAJOR		20
#define REGF_MINOR		24
#define REGF_TYPE		28
#define REGF_FORMAT		32
#define REGF_ROOT		36
#define REGF_HBINS_SIZE		40
#define REGF_CLUSTERING		44
#define REGF_NAME		48
#define REGF_NAME_LEN		64
#define REGF_RMID		112
#define REGF_CHECKSUM		508

/* Log records. */
#define LOG_SECTOR		512	/* a log's base block copy fills the
					   first sector; records start at the
					   second ("Log entries" / "Dirty
					   vector") */
#define HVLE_HEADER		40	/* signature .. Hash-2 */
#define HVLE_PAGE_REF		8	/* offset + size */
#define HBIN_ALIGN		4096	/* hive bins data grows in 4 KiB */
#define DIRT_PAGE		512	/* one bitmap bit per 512 bytes */

/*
 * The seed Windows uses for both hashes of a log entry, as the
 * specification prints it (82 EF 4D 88 7A 4E 55 C5) read as one 64-bit
 * number: the low half starts the first register. Checked against
 * regipy's SYSTEM_B.LOG1/LOG2 and DFIRArtifactMuseum's Win11
 * COMPONENTS.LOG2, whose 26 entries all verify.
 */
#define MARVIN32_SEED		0x82ef4d887a4e55c5ULL

static uint32_t
hive_rotl32(uint32_t v, int n)
{
	return (v << n) | (v >> (32 - n));
}

static void
hive_marvin32_block(uint32_t *lo, uint32_t *hi)
{
	*hi ^= *lo;
	*lo = hive_rotl32(*lo, 20);
	*lo += *hi;
	*hi = hive_rotl32(*hi, 9);
	*hi ^= *lo;
	*lo = hive_rotl32(*lo, 27);
	*lo += *hi;
	*hi = hive_rotl32(*hi, 19);
}

/* Marvin32 as the registry uses it: both 32-bit halves, high one first. */
uint64_t
hive_log_hash(const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint32_t	lo = (uint32_t)MARVIN32_SEED;
	uint32_t	hi = (uint32_t)(MARVIN32_SEED >> 32);
	uint32_t	final = 0x80;
	size_t		i, rest;

	for (i = 0; i + 4 <= len; i += 4) {
		lo += le32dec(p + i);
		hive_marvin32_block(&lo, &hi);
	}
	/* The 0-3 bytes left, then a 0x80 end marker, as one last word. */
	rest = len - i;
	final <<= 8 * rest;
	while (rest-- > 0)
		final |= (uint32_t)p[i + rest] << (8 * rest);
	lo += final;
	hive_marvin32_block(&lo, &hi);
	hive_marvin32_block(&lo, &hi);
	return (uint64_t)hi << 32 | lo;
}

uint32_t
hive_header_checksum(const void *buf)
{
	const uint8_t	*p = buf;
	uint32_t	 sum = 0;
	size_t		 i;

	for (i = 0; i < REGF_CHECKSUM; i += 4)
		sum ^= le32dec(p + i);
	/*
	 * Windows never stores 0 or -1 here (HvpHeaderCheckSum in the
	 * Windows Research Kernel maps them to 1 and -2), so neither value
	 * can be mistaken for a blank or erased sector.
	 */
	if (sum == 0xffffffffu)
		sum = 0xfffffffeu;
	else if (sum == 0)
		sum = 1;
	return sum;
}

int
hive_header_parse(const void *buf, size_t len, struct hive_header *hdr,
    char **cause)
{
	const uint8_t	*p = buf;

	memset(hdr, 0, sizeof *hdr);
	if (len < HIVE_HEADER_MIN)
		return set_cause(cause, "%zu bytes, too short for a registry "
		    "base block (%d)", len, HIVE_HEADER_MIN);
	if (memcmp(p, "regf", 4) != 0)
		return set_cause(cause, "not a registry hive or log (no regf "
		    "signature)");

	hdr->seq_primary = le32dec(p + REGF_SEQ1);
	hdr->seq_secondary = le32dec(p + REGF_SEQ2);
	hdr->timestamp = le64dec(p + REGF_TIMESTAMP);
	hdr->major = le32dec(p + REGF_MAJOR);
	hdr->minor = le32dec(p + REGF_MINOR);
	hdr->file_type = le32dec(p + REGF_TYPE);
	hdr->file_format = le32dec(p + REGF_FORMAT);
	hdr->root_offset = le32dec(p + REGF_ROOT);
	hdr->hbins_size = le32dec(p + REGF_HBINS_SIZE);
	hdr->clustering = le32dec(p + REGF_CLUSTERING);
	/* A path tail for debugging, not always NUL-terminated (the hivex
	 * minimal image fills it with "\??\UNC\trick\tmp\DEFAULT"). */
	hdr->file_name = utf16le_to_utf8(p + REGF_NAME, REGF_NAME_LEN);
	memcpy(hdr->rm_id, p + REGF_RMID, sizeof hdr->rm_id);
	hdr->checksum = le32dec(p + REGF_CHECKSUM);
	hdr->checksum_calc = hive_header_checksum(p);
	hdr->checksum_ok = hdr->checksum == hdr->checksum_calc;
	return 0;
}

void
hive_header_free(struct hive_header *hdr)
{
	free(hdr->file_name);
	hdr->file_name = NULL;
}

int
hive_header_is_dirty(const struct hive_header *hdr)
{
	/* "Dirty state of a hive": either sequence numbers that differ (a
	 * write began and never finished) or a base block that fails its
	 * checksum (it was being written itself). */
	return hdr->seq_primary != hdr->seq_secondary || !hdr->checksum_ok;
}

int
hive_header_is_log(const struct hive_header *hdr)
{
	return hdr->file_type == HIVE_TYPE_LOG_OLD ||
	    hdr->file_type == HIVE_TYPE_LOG_ALT ||
	    hdr->file_type == HIVE_TYPE_LOG_NEW;
}

/* Which of an entry's hashes hive_log_entry_decode checks. */
#define HVLE_HASH_HEAD		0x1	/* Hash-2: the header */
#define HVLE_HASH_DATA		0x2	/* Hash-1: the rest */

static int
hive_log_entry_decode(const void *buf, size_t len, size_t off,
    struct hive_log_entry *e, int hashes)
{
	const uint8_t	*p = buf, *ent;
	size_t		 size, refs, i, data;
	uint32_t	 psize, poff;

	memset(e, 0, sizeof *e);
	if (off > len || len - off < HVLE_HEADER)
		return -1;
	ent = p + off;
	if (memcmp(ent, "HvLE", 4) != 0)
		return -1;
	size = le32dec(ent + 4);
	/* Entries sit at 512-byte boundaries and are whole sectors. */
	if (size < HVLE_HEADER || size % LOG_SECTOR != 0 || size > len - off)
		return -1;
	e->off = off;
	e->size = size;
	e->flags = le32dec(ent + 8);
	e->seq = le32dec(ent + 12);
	e->hbins_size = le32dec(ent + 16);
	e->npages = le32dec(ent + 20);
	if (e->hbins_size == 0 || e->hbins_size % HBIN_ALIGN != 0)
		return -1;
	if (e->npages > (size - HVLE_HEADER) / HVLE_PAGE_REF)
		return -1;
	refs = (size_t)e->npages * HVLE_PAGE_REF;

	/* Hash-2 covers the first 32 bytes (Hash-1 included), Hash-1 all
	 * from the page references to the end of the entry. */
	if ((hashes & HVLE_HASH_HEAD) &&
	    hive_log_hash(ent, 32) != le64dec(ent + 32))
		return -1;
	if ((hashes & HVLE_HASH_DATA) &&
	    hive_log_hash(ent + HVLE_HEADER, size - HVLE_HEADER) !=
	    le64dec(ent + 24))
		return -1;

	/* The pages follow the references without gaps; each must land
	 * inside the hive bins data the entry declares. */
	data = size - HVLE_HEADER - refs;
	for (i = 0; i < e->npages; i++) {
		poff = le32dec(ent + HVLE_HEADER + i * HVLE_PAGE_REF);
		psize = le32dec(ent + HVLE_HEADER + i * HVLE_PAGE_REF + 4);
		if (psize == 0 || psize > data)
			return -1;
		if (poff > e->hbins_size || psize > e->hbins_size - poff)
			return -1;
		data -= psize;
	}
	e->refs = ent + HVLE_HEADER;
	e->pages = ent + HVLE_HEADER + refs;
	return 0;
}

int
hive_log_entry_parse(const void *buf, size_t len, size_t off,
    struct hive_log_entry *e)
{
	return hive_log_entry_decode(buf, len, off, e,
	    HVLE_HASH_HEAD | HVLE_HASH_DATA);
}

int
hive_log_entry_reparse(const void *buf, size_t len, size_t off,
    struct hive_log_entry *e)
{
	return hive_log_entry_decode(buf, len, off, e, 0);
}

int
hive_log_entry_parse_head(const void *buf, size_t len, size_t off,
    struct hive_log_entry *e)
{
	return hive_log_entry_decode(buf, len, off, e, HVLE_HASH_HEAD);
}

/* New format (Windows 8.1 and later): HvLE entries from the second
 * sector on, followed by whatever an earlier generation left behind. */
static void
hive_log_scan_new(const uint8_t *p, size_t len, const struct hive_header *hive,
    struct hive_log_summary *s)
{
	struct hive_log_entry	e;
	size_t			off = LOG_SECTOR;

	while (hive_log_entry_parse(p, len, off, &e) == 0) {
		/* "If a log entry with a sequence number N is not followed
		 * by a log entry with a sequence number N + 1, recovery
		 * stops": later entries are leftovers. */
		if (s->entries > 0 && e.seq != s->seq_last + 1)
			break;
		if (s->entries == 0)
			s->seq_first = e.seq;
		s->seq_last = e.seq;
		s->entries++;
		/* Entries from the hive's secondary sequence number on are
		 * what the hive lacks. Windows 10 1709's SYSTEM_B (regipy)
		 * is at 1621 while its logs start at 2107: the "missing log
		 * entries" case of a partial reconcile, still newer data. */
		if (hive != NULL && e.seq >= hive->seq_secondary)
			s->newer++;
		off += e.size;
	}
	/* Records stop where the hashes fail, which after the last good one
	 * is normal (a previous generation's tail); at the very first one
	 * it means the log was damaged. */
	if (s->entries == 0 && len >= LOG_SECTOR + 4 &&
	    memcmp(p + LOG_SECTOR, "HvLE", 4) == 0)
		s->damaged = 1;
}

static size_t
hive_popcount8(uint8_t b)
{
	size_t	n = 0;

	for (; b != 0; b &= (uint8_t)(b - 1))
		n++;
	return n;
}

/* Old format (Windows XP to 8): "DIRT", a bitmap of 512-byte pages of the
 * hive bins data, then those pages whole. */
static void
hive_log_scan_old(const uint8_t *p, size_t len, const struct hive_header *hive,
    struct hive_log_summary *s)
{
	const struct hive_header *log = &s->hdr;
	size_t		 dirt, bits, bytes, i, pages = 0, first;
	uint32_t	 cf = log->clustering;

	/* The dirty vector starts in the second sector of the disk the log
	 * was written to; clustering factor = sector size / 512, 1 or 8 in
	 * practice. */
	if (cf == 0 || cf > 8)
		cf = 1;
	dirt = (size_t)cf * LOG_SECTOR;
	if (dirt > len || len - dirt < 4 || memcmp(p + dirt, "DIRT", 4) != 0)
		return;
	bits = log->hbins_size / DIRT_PAGE;
	bytes = (bits + 7) / 8;
	if (bytes > len - dirt - 4)
		return;
	for (i = 0; i < bytes; i++)
		pages += hive_popcount8(p[dirt + 4 + i]);
	/* Pages begin in the sector after the vector. */
	first = dirt + 4 + bytes;
	first = (first + LOG_SECTOR - 1) / LOG_SECTOR * LOG_SECTOR;
	if (first > len || pages > (len - first) / DIRT_PAGE)
		return;
	s->entries = pages;
	/* "A transaction log is valid when its primary sequence number is
	 * equal to its secondary sequence number"; "it can be applied when
	 * its Last written timestamp equals the primary file's". */
	if (log->seq_primary == log->seq_secondary && hive != NULL &&
	    log->timestamp == hive->timestamp)
		s->newer = pages;
}

static int
hive_guid_is_zero(const uint8_t *g)
{
	size_t	i;

	for (i = 0; i < 16; i++) {
		if (g[i] != 0)
			return 0;
	}
	return 1;
}

/*
 * Does the log's base block copy describe this hive? Windows pairs them by
 * file name and never checks; copies of hives moved around by hand do
 * not always keep their own logs. The copy carries the hive's name field
 * and, since Vista, its RmId GUID, which differs from hive to hive (regipy
 * SYSTEM_B and its .LOG1/.LOG2 share one; DFIR's Win11 COMPONENTS.LOG2
 * has another), so a stray log is not counted as the hive's changes.
 */
int
hive_log_belongs(const struct hive_header *log, const struct hive_header *hive)
{
	const char	*a = log->file_name, *b = hive->file_name;

	if (strcmp(a != NULL ? a : "", b != NULL ? b : "") != 0)
		return 0;
	if (hive_guid_is_zero(log->rm_id) || hive_guid_is_zero(hive->rm_id))
		return 1;
	return memcmp(log->rm_id, hive->rm_id, sizeof log->rm_id) == 0;
}

int
hive_log_scan(const void *buf, size_t len, const struct hive_header *hive,
    struct hive_log_summary *s, char **cause)
{
	const uint8_t	*p = buf;
	char		*why = NULL;

	memset(s, 0, sizeof *s);
	if (hive_header_parse(buf, len, &s->hdr, &why) != 0) {
		set_cause(cause, "%s", why);
		free(why);
		return -1;
	}
	if (!hive_header_is_log(&s->hdr)) {
		set_cause(cause, "file type %u, not a transaction log",
		    s->hdr.file_type);
		goto fail;
	}
	/* The base block copy is written with the records; a wrong checksum
	 * means the log itself was cut off mid-write. */
	if (!s->hdr.checksum_ok) {
		set_cause(cause, "the log's base block fails its checksum "
		    "(0x%08x, computed 0x%08x)", s->hdr.checksum,
		    s->hdr.checksum_calc);
		goto fail;
	}
	if (s->hdr.file_type == HIVE_TYPE_LOG_NEW) {
		s->format = HIVE_LOG_NEW;
		hive_log_scan_new(p, len, hive, s);
	} else {
		s->format = HIVE_LOG_OLD;
		hive_log_scan_old(p, len, hive, s);
	}
	if (hive != NULL && !hive_log_belongs(&s->hdr, hive)) {
		s->foreign = 1;
		s->newer = 0;
	}
	s->applies = s->newer > 0;
	return 0;

fail:
	hive_header_free(&s->hdr);
	memset(s, 0, sizeof *s);
	return -1;
}

void
hive_log_summary_free(struct hive_log_summary *s)
{
	hive_header_free(&s->hdr);
}
