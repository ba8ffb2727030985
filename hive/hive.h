/*
 * hive.h: the registry. A hive on the volume is checked out (with its
 * .LOG1/.LOG2) to a private temp directory and opened with hivex there;
 * the volume is never touched by reading.
 *
 * Key paths are relative to the hive root, '\' separated ('/' accepted),
 * compared case-insensitively as Windows does (hive_name_equal). In a
 * SYSTEM hive "CurrentControlSet" as the first component means the set
 * Select\Current names.
 */
#ifndef NTM_HIVE_H
#define NTM_HIVE_H

#include <sys/types.h>

#include <hivex.h>
#include <stddef.h>
#include <stdint.h>

struct vol;

/* Value types (REG_*). */
#define HIVE_REG_NONE			0
#define HIVE_REG_SZ			1
#define HIVE_REG_EXPAND_SZ		2
#define HIVE_REG_BINARY			3
#define HIVE_REG_DWORD			4
#define HIVE_REG_DWORD_BIG_ENDIAN	5
#define HIVE_REG_LINK			6
#define HIVE_REG_MULTI_SZ		7
#define HIVE_REG_RESOURCE_LIST		8
#define HIVE_REG_FULL_RESOURCE_DESCRIPTOR 9
#define HIVE_REG_RESOURCE_REQUIREMENTS_LIST 10
#define HIVE_REG_QWORD			11

/* header.c: the base block ("regf") of a hive or log and the records a
 * log holds, parsed from untrusted bytes. */
struct hive_header {
	uint32_t	 seq_primary;	/* offset 4 */
	uint32_t	 seq_secondary;	/* offset 8 */
	uint64_t	 timestamp;	/* FILETIME, offset 12 */
	uint32_t	 major, minor;	/* format version, offsets 20, 24 */
	uint32_t	 file_type;	/* offset 28: HIVE_TYPE_* */
	uint32_t	 file_format;	/* offset 32: 1 (direct memory load) */
	uint32_t	 root_offset;	/* offset 36 */
	uint32_t	 hbins_size;	/* offset 40 */
	uint32_t	 clustering;	/* offset 44: sector size / 512 */
	char		*file_name;	/* UTF-8 of the 64-byte name field at
					   48 (a path tail), caller frees */
	uint8_t		 rm_id[16];	/* offset 112: the hive's resource
					   manager GUID (Vista+, else 0) */
	uint32_t	 checksum;	/* offset 508 */
	uint32_t	 checksum_calc;	/* what the first 508 bytes give */
	int		 checksum_ok;	/* checksum == checksum_calc */
};
#define HIVE_BASE_BLOCK_SIZE	4096
#define HIVE_HEADER_MIN		512	/* a log stores only the first sector
					   of the base block; every field
					   and the checksum are in it */

#define HIVE_TYPE_PRIMARY	0	/* a hive */
#define HIVE_TYPE_LOG_OLD	1	/* .LOG, Windows XP to 8 (DIRT) */
#define HIVE_TYPE_LOG_ALT	2	/* also an old log (HV_TYPE_LOG) */
#define HIVE_TYPE_LOG_NEW	6	/* .LOG1/.LOG2, Windows 8.1+ (HvLE) */

/* Parse at least the first HIVE_HEADER_MIN bytes of a hive or log: fails
 * only without the "regf" signature or when too short; the caller judges
 * the fields (file type, checksum_ok). Free with hive_header_free. */
int	 hive_header_parse(const void *buf, size_t len,
	     struct hive_header *hdr, char **cause);
void	 hive_header_free(struct hive_header *);
/* XOR-32 of the first 508 bytes as Windows stores it (0 -> 1, -1 -> -2);
 * buf holds at least 508 bytes. */
uint32_t hive_header_checksum(const void *buf);
/* Dirty as Windows judges it: sequence numbers differ or the checksum is
 * wrong; the hive has changes only in its logs. */
int	 hive_header_is_dirty(const struct hive_header *);
/* File type 1, 2 or 6. */
int	 hive_header_is_log(const struct hive_header *);

/* One new-format log entry ("HvLE"), checked: size, both Marvin32 hashes,
 * every page inside the hive bins data. Pointers borrow the buffer. */
struct hive_log_entry {
	size_t		 off;		/* in the log file */
	size_t		 size;		/* whole entry, a multiple of 512 */
	uint32_t	 flags;
	uint32_t	 seq;		/* the hive's sequence numbers after
					   applying it */
	uint32_t	 hbins_size;	/* hive bins data size then */
	uint32_t	 npages;
	const uint8_t	*refs;		/* npages x (offset, size) LE32 */
	const uint8_t	*pages;		/* the pages, back to back */
};
/* Parse the entry at off; -1 if there is no valid entry there (the end of
 * the log's records). */
int	 hive_log_entry_parse(const void *buf, size_t len, size_t off,
	     struct hive_log_entry *);
/* hive_log_entry_parse without the hashes, for an entry that passed it
 * before in the same unchanged buffer: the replay looks at each entry of
 * a log several times, and hashing them was most of its work. */
int	 hive_log_entry_reparse(const void *buf, size_t len, size_t off,
	     struct hive_log_entry *);
/* hive_log_entry_parse with only Hash-2 checked: the header (its size and
 * Hash-1 among it) is as written, the rest is not checked. Enough to step
 * over an entry older than anything that matters. */
int	 hive_log_entry_parse_head(const void *buf, size_t len, size_t off,
	     struct hive_log_entry *);
/* The Marvin32 hash (registry seed) log entries carry: Hash-1 over an
 * entry from its page references on, Hash-2 over its first 32 bytes. */
uint64_t hive_log_hash(const void *buf, size_t len);

#define HIVE_LOG_OLD		1	/* dirty vector and pages */
#define HIVE_LOG_NEW		2	/* HvLE entries */
/* What a transaction log holds for a hive. */
struct hive_log_summary {
	struct hive_header hdr;		/* the log's own base block copy */
	int		 format;	/* HIVE_LOG_OLD or HIVE_LOG_NEW */
	size_t		 entries;	/* new: valid consecutive entries
					   from the start; old: dirty pages */
	uint32_t	 seq_first;	/* new: sequence numbers of those */
	uint32_t	 seq_last;
	size_t		 newer;		/* entries (pages) the hive lacks:
					   new: seq >= the hive's secondary
					   sequence number; old: all, when
					   the timestamps match */
	int		 damaged;	/* new: a record begins the log but
					   fails its checks */
	int		 foreign;	/* the log's base block copy names
					   another hive (file name or RmId
					   differ): nothing in it applies */
	int		 applies;	/* newer > 0 */
};
/* Scan a whole log file against the hive's header (NULL: none). Fails
 * (with a cause) when buf is not an intact log: no regf, another file
 * type, or a base block that fails its checksum. */
int	 hive_log_scan(const void *buf, size_t len,
	     const struct hive_header *hive, struct hive_log_summary *,
	     char **cause);
void	 hive_log_summary_free(struct hive_log_summary *);
/* Does a log's base block copy (its header) name this hive: the same name
 * field, and the same RmId where both have one? hive_log_scan's foreign
 * is its negation. */
int	 hive_log_belongs(const struct hive_header *log,
	     const struct hive_header *hive);

/* checkout.c */
struct hive;

/* Known hives and their files on the volume (names: path.c). */
enum hive_id {
	HIVE_SYSTEM,
	HIVE_SOFTWARE,
	HIVE_COMPONENTS,
	HIVE_DEFAULT,
	HIVE_SAM,
	HIVE_SECURITY,
	HIVE_COUNT
};

/* Dirty-state summary, set by checkout. */
enum hive_log_state {
	HIVE_CLEAN,		/* not dirty: logs, if any, are ignored (as
				   Windows ignores them) */
	HIVE_DIRTY_LOGS,	/* dirty, and a log (.LOG1/.LOG2, or .LOG of
				   Windows XP to 8) holds records newer than
				   the hive: they are not in what is read */
	HIVE_DIRTY_NO_LOGS,	/* dirty and no log holds what is missing:
				   what Windows last wrote may be lost */
	HIVE_REPLAYED		/* dirty on the volume; its logs were
				   replayed into the private copy, so what
				   is read is what Windows would see */
};

#define HIVE_MAX_SIZE	((size_t)2 << 30)	/* a hive is at most 2 GiB
						   (hbin offsets are 32-bit
						   and Windows caps hives) */

/* Copy the hive at path on the volume (and its .LOG, .LOG1, .LOG2 when
 * present) to a private temp directory and open the copy read-only. The
 * volume is only read. Refuses a log given as the hive, and a hive hivex
 * cannot read (the cause says it is damaged and how to restore it). */
int	 hive_checkout(struct vol *, const char *path, struct hive **hp,
	     char **cause);
/* Open a hive file on the host (tests, files given by path) the same way,
 * logs beside it included: it is copied first, so the original is never
 * opened by hivex. */
int	 hive_open_file(const char *file, struct hive **hp, char **cause);

#define HIVE_WRITE	0x1	/* open the copy for hivex edits */
#define HIVE_FORCE	0x2	/* with HIVE_WRITE: accept a dirty hive
				   whose logs cannot be fully replayed
				   (what is lost goes in the warning) */
/*
 * Check out for writing (flags HIVE_WRITE, maybe HIVE_FORCE). A dirty hive
 * must replay completely first: otherwise writing it back would throw away
 * what its logs hold, so it is refused with a cause that says what would
 * be lost and that --force accepts the loss. The logs are read, not
 * copied beside the private copy: only the replay uses them.
 */
int	 hive_checkout_flags(struct vol *, const char *path, int flags,
	     struct hive **hp, char **cause);
int	 hive_open_file_flags(const char *file, int flags, struct hive **hp,
	     char **cause);

/* commit.c: the write path's middle. */
/*
 * Commit the hivex edits to the private copy, reopen the result with a
 * second hivex handle and walk every key and value (a hive hivex cannot
 * read back is never written anywhere), and give its bytes: *buf, mapped
 * from the private copy, valid until hive_close (hive_map_copy). The
 * volume is not touched: the caller journals the original and writes
 * these bytes over the hive in place.
 */
int	 hive_commit(struct hive *, const void **buf, size_t *len,
	     char **cause);
/* The private copy's bytes as they are now, mapped read-only; valid until
 * hive_close, which unmaps them (a later call maps the copy again). */
int	 hive_map_copy(struct hive *, const void **buf, size_t *len,
	     char **cause);
void	 hive_close(struct hive *);		/* NULL is fine */
hive_h	*hive_handle(struct hive *);		/* the hivex handle */
const struct hive_header *hive_header(struct hive *);
enum hive_log_state hive_log_state(struct hive *);
/* One line for a dirty hive: what the state means for what is read
 * ("SYSTEM is dirty (sequence numbers 1622/1621): changes in
 * SYSTEM.LOG1/SYSTEM.LOG2 are not shown ..."), NULL when clean;
 * borrowed. */
const char *hive_warning(struct hive *);
/* The file's name for messages ("SYSTEM"); borrowed. */
const char *hive_name(struct hive *);
/* The private copy hivex has open; borrowed until hive_close. */
const char *hive_file_path(struct hive *);

/* key.c */
/* Look a key up; *node gets it ("" is the root key). A first
 * component "CurrentControlSet" is resolved as hive_path_resolve does.
 * Names compare as hive_name_equal does.
 * When missing: -1 with errno ENOENT and a cause naming the first missing
 * component; other errnos mean the hive is damaged there. */
int	 hive_key_lookup(struct hive *, const char *path, hive_node_h *node,
	     char **cause);
/* Key and value names as Windows compares them: UTF-8, case-insensitive
 * over all of Unicode (simple upper-casing). */
int	 hive_name_equal(const char *, const char *);
/* The control set number Select\Current names (1 for ControlSet001),
 * 1..999. */
int	 hive_current_control_set(struct hive *, int *n, char **cause);
/* "CurrentControlSet\Services" -> "ControlSet001\Services" in SYSTEM
 * hives (those with a Select key), else a copy with '\' separators;
 * caller frees. NULL with a cause if Select\Current is unusable. */
char	*hive_path_resolve(struct hive *, const char *path, char **cause);

/* value.c */
struct hive_value {
	char		*name;		/* UTF-8, "" for the default value */
	uint32_t	 type;		/* HIVE_REG_* or any other number */
	uint8_t		*data;		/* raw bytes as stored */
	size_t		 len;
};
void	 hive_value_free(struct hive_value *);
/* Read a value of the key at key (a path as hive_key_lookup takes); name
 * "" or "@" is the default value; names compare case-insensitively. When
 * missing: -1 with errno ENOENT. Free with hive_value_free. */
int	 hive_value_get(struct hive *, const char *key, const char *name,
	     struct hive_value *val, char **cause);
/* Typed getters; fail with a cause if missing or of another type. */
int	 hive_value_string(struct hive *, const char *key, const char *name,
	     char **s, char **cause);	/* SZ/EXPAND_SZ as UTF-8, caller
					   frees */
int	 hive_value_dword(struct hive *, const char *key, const char *name,
	     uint32_t *v, char **cause);	/* DWORD, DWORD_BIG_ENDIAN */
/* Display text of any value: strings as UTF-8, MULTI_SZ joined with
 * "\n", DWORD/QWORD in decimal, others (and DWORD/QWORD of the wrong
 * size) as hex bytes "01 ff"; caller frees. */
char	*hive_value_format(const struct hive_value *);
/* "REG_SZ", ..., "REG_UNKNOWN(0x1234)"; caller frees. */
char	*hive_type_name(uint32_t type);
/* The same without its "REG_" ("DWORD"), for narrow columns. */
char	*hive_type_short(uint32_t type);

/* path.c: registry paths as the command line writes them. */
/* Split "HKLM\SYSTEM\CurrentControlSet\Services" into the hive and the
 * path inside it ("CurrentControlSet\Services", caller frees). Accepts
 * HKLM / HKEY_LOCAL_MACHINE, HKU\.DEFAULT, any case, '\' or '/'. */
int	 hive_path_split(const char *regpath, enum hive_id *id, char **sub,
	     char **cause);
/* "Windows\System32\config\SYSTEM" etc.; borrowed, NULL if unknown. */
const char *hive_volume_path(enum hive_id);
/* "SYSTEM", "SOFTWARE", ..., "DEFAULT"; borrowed, NULL if unknown. */
const char *hive_id_name(enum hive_id);

/* pol.c: Group Policy registry.pol (PReg). */
#define POL_SIGNATURE		0x67655250	/* "PReg" little-endian */
#define POL_VERSION		1
#define POL_HEADER_SIZE		8		/* signature, version */
#define POL_OFF_NONE		((size_t)-1)	/* entry made in memory */

/* Limits; a file over them is damaged for pol_parse and cut there by
 * pol_salvage, and pol_set refuses to exceed them, so whatever pol_write
 * produces parses again. */
#define NTM_MAX_POL_SIZE	(16 << 20)	/* bytes: the largest file in
						   testdata/pol is 56 KiB; a
						   GPO holding every ADMX
						   policy stays far below */
#define NTM_MAX_POL_ENTRIES	65536		/* 316 in the largest real
						   file; caps memory and
						   time on hostile input */
#define NTM_MAX_POL_KEY		32767		/* UTF-16 units: the longest
						   path the registry API
						   takes (UNICODE_STRING) */
#define NTM_MAX_POL_NAME	16383		/* UTF-16 units: the
						   registry's limit for a
						   value name */

/* One [key;valuename;type;size;data] entry. Strings are owned by the
 * entry (and so by the struct pol); change entries with pol_set and
 * pol_delete only. */
struct pol_entry {
	size_t		 off;		/* offset of its '[' in the parsed
					   file, POL_OFF_NONE if added */
	char		*key;		/* UTF-8, as written (case kept) */
	char		*name;		/* UTF-8, "" = the default value;
					   may be a special "**..." name */
	uint32_t	 type;		/* HIVE_REG_* or any other number */
	uint32_t	 size;		/* exactly as in the file */
	uint8_t		*data;		/* size raw bytes */
};

/* A whole file, entries in file order (Group Policy applies them in
 * order: a later entry overrides an earlier one). */
struct pol {
	struct pol_entry *entries;
	size_t		 nentries;
	size_t		 alloc;		/* private */
};

/* Why a file is damaged. */
enum pol_damage {
	POL_OK = 0,
	POL_DAMAGE_SHORT,		/* fewer than 4 bytes */
	POL_DAMAGE_SIGNATURE,		/* not "PReg" */
	POL_DAMAGE_VERSION,		/* not 1, or cut inside it */
	POL_DAMAGE_OPEN,		/* no '[' where an entry starts */
	POL_DAMAGE_KEY,			/* key not NUL-terminated */
	POL_DAMAGE_KEY_LONG,		/* key over NTM_MAX_POL_KEY */
	POL_DAMAGE_KEY_UTF16,		/* unpaired surrogate in the key */
	POL_DAMAGE_SEMI_KEY,		/* no ';' after the key */
	POL_DAMAGE_NAME,		/* value name not NUL-terminated */
	POL_DAMAGE_NAME_LONG,		/* over NTM_MAX_POL_NAME */
	POL_DAMAGE_NAME_UTF16,		/* unpaired surrogate in the name */
	POL_DAMAGE_SEMI_NAME,		/* no ';' after the value name */
	POL_DAMAGE_TYPE,		/* file ends inside the type */
	POL_DAMAGE_SEMI_TYPE,		/* no ';' after the type */
	POL_DAMAGE_SIZE,		/* file ends inside the size */
	POL_DAMAGE_SEMI_SIZE,		/* no ';' after the size */
	POL_DAMAGE_DATA,		/* size past the end of the file */
	POL_DAMAGE_CLOSE,		/* no ']' after the data */
	POL_DAMAGE_TRAILING,		/* a lone byte or NUL padding after
					   the last entry */
	POL_DAMAGE_TOO_MANY,		/* over NTM_MAX_POL_ENTRIES */
	POL_DAMAGE_TOO_BIG		/* over NTM_MAX_POL_SIZE */
};

/* Where and why parsing stopped. off is the byte to blame: the unit where
 * a delimiter was expected, the first unit of a string that is not
 * terminated (or too long), the bad surrogate, the field the file ends
 * in, or the size field of data that runs past the end. */
struct pol_error {
	enum pol_damage	 damage;
	size_t		 off;
	size_t		 entry;		/* index of the damaged entry
					   (= entries kept by salvage) */
	size_t		 entry_off;	/* where that entry starts */
	char		 msg[256];	/* "offset 1234 (0x4d2): missing ';'
					   after the value name (entry 5 at
					   offset 1100)" */
};

/* Strict parse for `pol check`: -1 at the first damage, with err (may be
 * NULL) filled and *pp NULL; pp may be NULL to only check. On success *pp
 * is the file (free with pol_free). buf is borrowed. */
int	 pol_parse(const void *buf, size_t len, struct pol **pp,
	     struct pol_error *err);
/* Salvage: *pp always gets a struct pol (caller frees) holding every
 * entry before the first damage, possibly none, so that pol_write makes a
 * valid file of it. Returns 0 if the file was intact, 1 if damaged (err,
 * which may be NULL, says where). */
int	 pol_salvage(const void *buf, size_t len, struct pol **pp,
	     struct pol_error *err);
/* The text of a damage code; static. */
const char *pol_damage_string(enum pol_damage);
/* An empty file (header only); caller frees with pol_free. */
struct pol *pol_new(void);
void	 pol_free(struct pol *);		/* NULL is fine */
/* The bytes of the file; *len gets their count; caller frees. Writing an
 * unchanged parse reproduces the file byte for byte. */
void	*pol_write(const struct pol *, size_t *len);
size_t	 pol_write_size(const struct pol *);

/* Index of the entry for key and value name (ASCII case-insensitive),
 * the last one when the file has several (the one that takes effect);
 * -1 if none. Special names are names: find "**del.X" to find that. */
ssize_t	 pol_find(const struct pol *, const char *key, const char *name);
/* Set key\name to type and size bytes of data (copied): replaces the
 * data of the entry pol_find gives, in place, else appends. Fails on an
 * empty key, invalid UTF-8, or beyond the NTM_MAX_POL_* limits. */
int	 pol_set(struct pol *, const char *key, const char *name,
	     uint32_t type, const void *data, size_t size, char **cause);
/* Remove every entry for key and name; returns how many. */
size_t	 pol_delete(struct pol *, const char *key, const char *name);

/* What an entry does when Group Policy applies it, from its value name
 * (prefixes compared case-insensitively, as written by GPMC: "**del.",
 * "**delvals."). */
enum pol_action {
	POL_ACTION_SET,			/* a plain value */
	POL_ACTION_KEY,			/* empty name, REG_NONE, no data:
					   only creates the key */
	POL_ACTION_SOFT,		/* **soft.NAME: set if not present */
	POL_ACTION_DEL,			/* **del.NAME: delete value NAME */
	POL_ACTION_DELVALS,		/* **delvals.: delete all values */
	POL_ACTION_DELETEVALUES,	/* **DeleteValues: data "a;b" */
	POL_ACTION_DELETEKEYS,		/* **DeleteKeys: data "k1;k2" */
	POL_ACTION_SECUREKEY,		/* **SecureKey: data 1 secures the
					   key's ACL, 0 resets it */
	POL_ACTION_SPECIAL		/* another "**" name: unknown */
};
/* *target (may be NULL) gets the value name the action is about, borrowed
 * from the entry: NAME for **del.NAME and **soft.NAME, else the whole
 * name. */
enum pol_action pol_entry_action(const struct pol_entry *,
	     const char **target);
/* One line in plain words: "sets NoAutoUpdate = 1 (REG_DWORD)", "deletes
 * value X", "deletes all values of the key"; caller frees. */
char	*pol_entry_describe(const struct pol_entry *);
/* The data as text: SZ/EXPAND_SZ as UTF-8, MULTI_SZ strings joined by
 * "\n", DWORD/DWORD_BIG_ENDIAN/QWORD in decimal, anything else (and
 * numbers of the wrong size) as hex bytes "01 ff"; caller frees. */
char	*pol_entry_format(const struct pol_entry *);
/* hive_type_name: a .pol entry's types are the registry's. */
char	*pol_type_name(uint32_t type);
/* The reverse of pol_entry_format for `pol set`: text to data bytes of a
 * type (strings get their NUL, MULTI_SZ one string per line, numbers in
 * decimal or 0x hex, other types hex bytes); *data caller frees. */
int	 pol_data_encode(uint32_t type, const char *text, void **data,
	     size_t *len, char **cause);

/* replay.c: transaction-log replay. */
#define HIVE_REPLAY_MAX_LOGS	3	/* .LOG1, .LOG2 and .LOG */
#define HIVE_REPLAY_FORCE	0x1	/* apply what Windows would even when
					   something in the logs is lost */

/* One transaction log as given to replay. */
struct hive_replay_log {
	const char	*name;		/* "SYSTEM.LOG1", for messages */
	const uint8_t	*buf;		/* NULL: missing, though it should be
					   there (one of .LOG1/.LOG2; leave
					   out a .LOG that is not); borrowed */
	size_t		 len;		/* 0: empty (normal for .LOG) */
	size_t		 checked;	/* its first entries from the second
					   sector that the caller found to
					   pass hive_log_entry_parse in these
					   same bytes (hive_log_scan's
					   entries): not hashed again */
};

/* What replay did. log[] is indexed as the logs given. */
struct hive_replay_result {
	int		 dirty;		/* the hive was dirty */
	int		 clean;		/* it is clean now (equal sequence
					   numbers, checksum right) */
	int		 format;	/* HIVE_LOG_NEW or HIVE_LOG_OLD
					   applied, 0 none */
	int		 base_recovered; /* the base block failed its checksum
					   and was taken from log[from] */
	size_t		 from;		/* the log that started the replay */
	uint32_t	 seq_primary;	/* the hive's numbers before */
	uint32_t	 seq_secondary;
	uint32_t	 seq;		/* both numbers after */
	uint32_t	 hbins_before, hbins_after;
	struct {
		size_t	 entries;	/* HvLE entries applied */
		size_t	 pages;		/* pages written (old: 512 bytes) */
		uint32_t seq_first, seq_last;	/* of those entries */
	} log[HIVE_REPLAY_MAX_LOGS];
	size_t		 entries, pages;	/* totals */
	char		*lost;		/* HIVE_REPLAY_FORCE only: what was
					   lost, one line; else NULL */
};

/*
 * Bring a dirty hive up to date from its logs, in memory, as Windows does
 * at boot: new-format entries in sequence order across the logs, or an old
 * dirty vector; then both sequence numbers equal, hive bins data size
 * updated and checksum recomputed, so hivex reads what Windows would and
 * Windows later ignores the logs. *hive is a malloc'd buffer of *len bytes
 * that may be reallocated (a hive grows with its logs). A clean hive is
 * left untouched (res->dirty 0). Refused (-1, hive untouched) when the
 * hive is dirty and anything would be lost: no usable log, logs that do
 * not continue the hive, a damaged or cut-off entry, entries that do not
 * follow on; the cause says what. HIVE_REPLAY_FORCE applies what can be
 * applied anyway and leaves the loss in res->lost. name (e.g. "SYSTEM")
 * is for messages. Free res with hive_replay_result_free.
 */
int	 hive_replay(const char *name, uint8_t **hive, size_t *len,
	     const struct hive_replay_log *logs, size_t nlogs, int flags,
	     struct hive_replay_result *res, char **cause);
/* A buffer the caller grows: make *hive at least need bytes (what is
 * new need not be zero) or fail (-1, errno set). */
typedef int (*hive_replay_grow_fn)(void *arg, uint8_t **hive, size_t need);
/* hive_replay on a buffer that is not malloc'd (a mapped file): grow is
 * used instead of realloc, at most once and before anything is written,
 * so when it fails the replay is refused with the hive's bytes untouched
 * (*hive follows a move grow made all the same). */
int	 hive_replay_into(const char *name, uint8_t **hive, size_t *len,
	     hive_replay_grow_fn grow, void *grow_arg,
	     const struct hive_replay_log *logs, size_t nlogs, int flags,
	     struct hive_replay_result *res, char **cause);
void	 hive_replay_result_free(struct hive_replay_result *);
/* The same on host files: the hive at path, rewritten (atomically) when it
 * was dirty and replay succeeded, and the logs at logpaths[i] named
 * lognames[i] in messages (NULL: the path's last component). A path with
 * no file is a missing log; a NULL path is not given at all (a .LOG that
 * is not there); res->log[] keeps the numbering of logpaths. */
int	 hive_replay_file(const char *name, const char *path,
	     const char *const *logpaths, const char *const *lognames,
	     size_t nlogs, int flags, struct hive_replay_result *res,
	     char **cause);

/* reg.c: .reg files (regedit import/export). */
/*
 * reg_parse reads a whole file into operations before anything is
 * applied, so a file with an error changes nothing. Text is UTF-8
 * whatever the file's encoding; key paths are kept as the file writes
 * them ("HKEY_LOCAL_MACHINE\SOFTWARE\Foo", "HKLM\SOFTWARE\Foo").
 */
#define NTM_MAX_REG_FILE	((size_t)1 << 30)	/* a regedit export of a
							   whole large SOFTWARE
							   hive is a few hundred
							   MB of UTF-16 */
#define NTM_MAX_REG_VALUE	((size_t)16 << 20)	/* data of one value;
							   the largest in the
							   testdata hives is
							   197444 bytes */
#define NTM_MAX_REG_LINE	((size_t)64 << 20)	/* one line of UTF-8: a
							   string cannot be
							   continued, so a line
							   holds a whole value */
#define NTM_MAX_REG_OPS		((size_t)8 << 20)	/* keys and values; a
							   full SYSTEM export
							   has about 100000 */
#define NTM_MAX_REG_WARNINGS	100			/* messages kept, the
							   rest only counted */

enum reg_op_type {
	REG_OP_KEY_CREATE,		/* [KEY] (also creates its parents) */
	REG_OP_KEY_DELETE,		/* [-KEY]: the key and its subtree */
	REG_OP_VALUE_SET,		/* "name"=data, @=data */
	REG_OP_VALUE_DELETE		/* "name"=-, @=- */
};

struct reg_op {
	enum reg_op_type type;
	const char	*key;		/* full path as written, UTF-8; owned
					   by the reg_file (keys[]) and shared
					   by the values of one key line */
	char		*name;		/* value name, UTF-8, "" for @; NULL
					   for key operations */
	uint32_t	 vtype;		/* HIVE_REG_* or any hex(N) type */
	uint8_t		*data;		/* bytes as they go into the hive:
					   strings UTF-16LE with their NUL */
	size_t		 len;
	size_t		 line;		/* 1-based line in the file */
};

enum reg_encoding {
	REG_ENC_UTF16LE,		/* FF FE BOM: what regedit saves */
	REG_ENC_UTF8_BOM,
	REG_ENC_UTF8,			/* no BOM (ASCII files too) */
	REG_ENC_ANSI			/* Windows-1252: REGEDIT4, or a file
					   that is not valid UTF-8 */
};

struct reg_file {
	int		 version;	/* 5 or 4 (REGEDIT4) */
	enum reg_encoding encoding;
	struct reg_op	*ops;		/* in file order */
	size_t		 nops;
	char		**keys;		/* key paths the ops point to */
	size_t		 nkeys;
	char		**warnings;	/* "line 12: ..." (lines skipped,
					   unknown escapes), the first
					   NTM_MAX_REG_WARNINGS */
	size_t		 nwarnings;
	size_t		 warnings_total;
};

/* Build operations in memory (the engine's edits reuse reg_apply): an
 * empty 5.00 file, and one operation appended (key and name copied; data
 * copied, strings already UTF-16LE with their NUL). */
struct reg_file *reg_file_new(void);
void	 reg_file_add(struct reg_file *, enum reg_op_type, const char *key,
	     const char *name, uint32_t vtype, const void *data, size_t len);
/* Parse a .reg file; errors name the line ("line 12: ..."). Free with
 * reg_file_free. */
int	 reg_parse(const void *buf, size_t len, struct reg_file **rfp,
	     char **cause);
void	 reg_file_free(struct reg_file *);	/* NULL is fine */
/* "UTF-16LE", ...; static. */
const char *reg_encoding_name(enum reg_encoding);

struct reg_apply_result {
	size_t		 keys_created;	/* parents included */
	size_t		 keys_deleted;	/* that existed */
	size_t		 values_set;
	size_t		 values_deleted; /* that existed */
	size_t		 skipped;	/* operations outside the root, and
					   [-KEY] of the root itself */
	char		**warnings;	/* why, per key line ("line 3: ...") */
	size_t		 nwarnings;
	size_t		 warnings_total;
};
/* Apply the operations under root ("HKEY_LOCAL_MACHINE\SOFTWARE" or
 * "HKLM\SOFTWARE"), which is the hive's root key, to a hivex handle
 * opened with HIVEX_OPEN_WRITE; missing parents are created, names match
 * case-insensitively as Windows matches them. On failure the handle may
 * hold part of the changes: do not commit it. Free res with
 * reg_apply_result_free (also after a failure). */
int	 reg_apply(hive_h *, const struct reg_file *, const char *root,
	     struct reg_apply_result *res, char **cause);
void	 reg_apply_result_free(struct reg_apply_result *);

/* Export the key at path below the hive's root ("" for the root itself,
 * '\' separated, any case) and its subtree as regedit does: UTF-16LE
 * with BOM, "Windows Registry Editor Version 5.00", CRLF; key lines
 * start with root ("HKEY_LOCAL_MACHINE\SYSTEM"). *buf is the file,
 * caller frees. Fails on names a .reg file cannot carry (NUL, line
 * breaks). */
int	 reg_export(hive_h *, const char *root, const char *path, void **buf,
	     size_t *len, char **cause);

#endif
