/*
 * hive.h: the registry. A hive on the volume is checked out (with its
 * .LOG1/.LOG2) to a private temp directory and opened with hivex there;
 * the volume is never touched by reading.
 *
 * Key paths are relative to the hive root, '\' separated, compared
 * case-insensitively (hivex does). In a SYSTEM hive "CurrentControlSet"
 * as the first component means the set Select\Current names.
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
#define HIVE_REG_QWORD			11

/* header.c: the base block ("regf"), parsed from untrusted bytes. */
struct hive_header {
	uint32_t	 seq_primary;	/* offset 4 */
	uint32_t	 seq_secondary;	/* offset 8 */
	uint64_t	 timestamp;	/* FILETIME, offset 12 */
	uint32_t	 major, minor;	/* format version, offsets 20, 24 */
	uint32_t	 file_type;	/* 0 primary, 1/2 log (old), 6 log
					   (HvLE, Windows 8.1+) */
	uint32_t	 root_offset;	/* offset 36 */
	uint32_t	 hbins_size;	/* offset 40 */
	char		*file_name;	/* UTF-8 of the 64-byte name field at
					   48 (a path tail), caller frees */
	uint32_t	 checksum;	/* offset 508 */
	int		 checksum_ok;	/* XOR of the first 508 bytes matches */
};
#define HIVE_BASE_BLOCK_SIZE	4096

/* Parse the first 4096 bytes of a hive or log. */
int	 hive_header_parse(const void *buf, size_t len,
	     struct hive_header *hdr, char **cause);
void	 hive_header_free(struct hive_header *);
/* Sequence numbers differ: the hive has changes only in its logs. */
int	 hive_header_is_dirty(const struct hive_header *);

/* checkout.c */
struct hive;

/* Known hives and their files on the volume. */
enum hive_id {
	HIVE_SYSTEM,
	HIVE_SOFTWARE,
	HIVE_COMPONENTS,
	HIVE_DEFAULT,
	HIVE_SAM,
	HIVE_SECURITY,
	HIVE_COUNT
};
/* "Windows\System32\config\SYSTEM" etc.; borrowed. */
const char *hive_volume_path(enum hive_id);
/* "SYSTEM", "SOFTWARE", ...; borrowed. */
const char *hive_id_name(enum hive_id);

/* Dirty-state summary, set by checkout. */
enum hive_log_state {
	HIVE_CLEAN,		/* sequence numbers equal */
	HIVE_DIRTY_LOGS,	/* dirty, .LOG1/.LOG2 present: their records
				   are not in what is read */
	HIVE_DIRTY_NO_LOGS	/* dirty and no usable log: what Windows last
				   wrote may be lost */
};

#define HIVE_MAX_SIZE	((size_t)2 << 30)	/* a hive is at most 2 GiB
						   (hbin offsets are 32-bit
						   and Windows caps hives) */

/* Copy the hive at path on the volume (and its .LOG1/.LOG2 when present)
 * to a private temp directory and open the copy read-only. */
int	 hive_checkout(struct vol *, const char *path, struct hive **hp,
	     char **cause);
/* Open a hive file on the host (tests, files given by path) the same way:
 * it is copied first, so the original is never opened by hivex. */
int	 hive_open_file(const char *file, struct hive **hp, char **cause);
void	 hive_close(struct hive *);
hive_h	*hive_handle(struct hive *);		/* the hivex handle */
const struct hive_header *hive_header(struct hive *);
enum hive_log_state hive_log_state(struct hive *);
/* One line for a dirty hive: what the state means for what is read
 * ("SYSTEM is dirty (sequence 1622/1621): 2 log files hold changes not
 * shown"), NULL when clean; borrowed. */
const char *hive_warning(struct hive *);

/* key.c */
/* Look a key up; *node gets it. ENOENT-like failure when missing: returns
 * -1 with errno ENOENT and a cause naming the first missing component. */
int	 hive_key_lookup(struct hive *, const char *path, hive_node_h *node,
	     char **cause);
/* The control set number Select\Current names (1 for ControlSet001). */
int	 hive_current_control_set(struct hive *, int *n, char **cause);
/* "CurrentControlSet\Services" -> "ControlSet001\Services" in SYSTEM
 * hives, else a copy; caller frees. */
char	*hive_path_resolve(struct hive *, const char *path, char **cause);

/* value.c */
struct hive_value {
	char		*name;		/* UTF-8, "" for the default value */
	uint32_t	 type;		/* HIVE_REG_* or any other number */
	uint8_t		*data;		/* raw bytes as stored */
	size_t		 len;
};
void	 hive_value_free(struct hive_value *);
int	 hive_value_get(struct hive *, const char *key, const char *name,
	     struct hive_value *val, char **cause);
/* Typed getters; fail with a cause if missing or of another type. */
int	 hive_value_string(struct hive *, const char *key, const char *name,
	     char **s, char **cause);	/* SZ/EXPAND_SZ as UTF-8 */
int	 hive_value_dword(struct hive *, const char *key, const char *name,
	     uint32_t *v, char **cause);
/* Display text of any value: strings as UTF-8, MULTI_SZ joined with
 * "\n", DWORD/QWORD in decimal, others as hex bytes; caller frees. */
char	*hive_value_format(const struct hive_value *);
/* "REG_SZ", ..., "REG_UNKNOWN(0x1234)"; caller frees. */
char	*hive_type_name(uint32_t type);

/* path.c: registry paths as the command line writes them. */
/* Split "HKLM\SYSTEM\CurrentControlSet\Services" into the hive and the
 * path inside it ("CurrentControlSet\Services", caller frees). Accepts
 * HKLM / HKEY_LOCAL_MACHINE, HKU\.DEFAULT, any case, '\' or '/'. */
int	 hive_path_split(const char *regpath, enum hive_id *id, char **sub,
	     char **cause);

#endif
