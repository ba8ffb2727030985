/*
 * golden-private.h: inside the golden archive code (golden*.c). The index
 * of an archive's files, the limits every archive is held to, and the
 * helpers the files share. The public API is in packages.h.
 */
#ifndef NTM_GOLDEN_PRIVATE_H
#define NTM_GOLDEN_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "packages/packages.h"
#include "util/util.h"

struct archive;
struct archive_entry;

/*
 * Bounds for archives from unknown machines. A Windows 11 WinSxS holds
 * some 60k-100k files in 8-15 GB and its largest payloads (MRT.exe,
 * the Edge and Defender engines) are a few hundred MB; servicing\Packages
 * holds a few thousand .mum/.cat files. An archive past these bounds is
 * not a copy of servicing files, whatever its headers say.
 */
#define NTM_MAX_GOLDEN_ENTRIES	(1u << 21)
#define NTM_MAX_GOLDEN_FILE	((uint64_t)4 << 30)
#define NTM_MAX_GOLDEN_TOTAL	((uint64_t)64 << 30)
/* Win32 MAX_PATH-aware servicing paths stay far below 1024 bytes; the
 * depth is the volume layer's (ntfs/private.h). */
#define NTM_MAX_GOLDEN_PATH	1024
#define NTM_MAX_GOLDEN_DEPTH	64
/* A manifest line is one file: its security descriptor (at most 64 KiB,
 * the most a self-relative descriptor can address) dominates. */
#define NTM_MAX_GOLDEN_SD	65536
#define NTM_MAX_GOLDEN_LINE	(128 * 1024)
#define NTM_MAX_GOLDEN_MANIFEST	((uint64_t)512 << 20)

/* Reads and writes move this much at a time: large enough that
 * libarchive's and libntfs-3g's per-call costs vanish. */
#define GOLDEN_CHUNK		(1024 * 1024)
/* What apply writes is kept from the pre-pass when it is this small (a
 * re-apply after a few files went bad), sparing a second pass over the
 * archive; more is streamed from the archive again. Memory stays bounded
 * by this whatever the archive's size. */
#define GOLDEN_STASH		((uint64_t)32 << 20)

#define GOLDEN_NONE		UINT32_MAX

/* What the comparison with a target found for one file or directory. */
enum gstate {
	GS_UNKNOWN = 0,
	GS_SAME,
	GS_SIZE,		/* differs in size */
	GS_CONTENT,		/* same size, other SHA-256 */
	GS_MISSING,
	GS_UNREADABLE,		/* cannot be compared (WOF, EFS, I/O) */
	GS_CONFLICT		/* a directory where a file should be, ... */
};

/* One file or directory of the archive. */
struct gfile {
	char		*path;		/* on the volume, '\' separated */
	char		*key;		/* path folded for lookups */
	char		*detail;	/* what the comparison found, or NULL */
	uint8_t		*data;		/* its bytes kept by the pre-pass */
	uint64_t	 size;
	uint64_t	 tino;		/* the target's MFT record, if any */
	uint8_t		 fp[16];	/* its fingerprint (has_fp) */
	uint8_t		 sha[32];
	uint32_t	 attrs;		/* FILE_ATTRIBUTE_*, 0: not recorded */
	uint32_t	 sd;		/* index into golden->sds, or NONE */
	uint32_t	 link;		/* the file holding the data (itself
					   unless a hard link to another) */
	uint32_t	 entry;		/* ordinal of its own archive entry */
	uint32_t	 nlink;		/* names on the source volume */
	int64_t		 mtime;		/* seconds, for the tar header */
	unsigned	 is_dir:1;
	unsigned	 has_sha:1;
	unsigned	 seen:1;	/* met in the pre-pass */
	unsigned	 selected:1;	/* in the PATHs given */
	unsigned	 check:1;	/* apply writes its bytes */
	unsigned	 explicit_dir:1; /* a directory entry, not implied */
	unsigned	 op:1;		/* the plan writes it */
	unsigned	 has_fp:1;
	enum gstate	 state;
};

struct gsd {
	uint8_t		*buf;
	size_t		 len;
	uint32_t	 hash;
};

struct golden {
	char		*path;		/* the archive file */
	int		 fd;		/* held open: every pass reads the
					   same file */
	uint64_t	 archive_size;
	int		 manifest;	/* has ntmend's manifest */
	int		 checked;	/* the pre-pass ran over all of it */
	int		 selection;	/* golden_select chose paths */
	int		 stash;		/* the pre-pass keeps what apply
					   writes (see GOLDEN_STASH) */
	golden_hash_fn	 hash;		/* golden_set_hasher's, or NULL */
	void		*harg;
	struct golden_source src;
	struct gscan	*scan;		/* golden_check's pass, running */
	char		*mapping;	/* plain archives: what maps where */
	char		**roots;	/* captured paths (volume) */
	size_t		  nroots;
	int		  extras_scope;	/* roots can be searched for extras */

	struct gfile	*files;
	size_t		 nfiles;
	uint64_t	 total;		/* bytes of file data */
	uint32_t	*tab;		/* open addressing on gfile.key */
	size_t		 tabsize;

	struct gsd	*sds;		/* distinct descriptors */
	size_t		 nsds;
	uint32_t	*sdtab;
	size_t		 sdtabsize;

	/* golden_plan's results. */
	struct hcache	*cache;		/* NULL: every file is hashed */
	int		 planned;
	struct golden_counts counts;
	struct golden_item *items;	/* not the same, and extras */
	size_t		 nitems;
	char		**changes;
	size_t		 nchanges;
	char		**warnings;
	size_t		 nwarnings;
	struct golden_op *ops;
	size_t		 nops;
	uint32_t	*opfile;	/* the gfile of each op */
	uint32_t	*opsrc;		/* an earlier op whose file holds the
					   same bytes, or NONE: read the
					   archive */
	uint64_t	 need;		/* bytes apply writes */
	char		**strs;		/* strings the ops point to */
	size_t		  nstrs;
};

/* golden-cache.c: SHA-256s by file fingerprint (struct vol_stat), for
 * this boot. hcache_open never fails: without a place for the cache it is
 * empty and puts are dropped. hcache_close writes what was put (golden_free
 * calls it, once a command is through with the archive). */
struct hcache;
struct hcache *hcache_open(void);
int	 hcache_get(const struct hcache *, const uint8_t fp[16],
	     uint8_t sha[32]);
void	 hcache_put(struct hcache *, const uint8_t fp[16],
	     const uint8_t sha[32]);
/* Entries read from this boot's cache. */
size_t	 hcache_count(const struct hcache *);
void	 hcache_close(struct hcache *);

/* golden.c: the index. */
struct golden *golden_new(void);
/* The archive pass golden_check compares with the manifest, run in a
 * thread from when golden_open knows there is a manifest. */
/* follow: wait for the manifest, then keep the bytes the plan finds
 * differ as the archive is read (a re-apply). */
void	 golden_scan_start(struct golden *, int follow);
/* golden_plan compared files from .. to - 1 (all: that was the last);
 * a scan that follows keeps those not the same on the volume. */
void	 golden_scan_verdicts(struct golden *, size_t from, size_t to,
	     int all);
void	 golden_plan_clear(struct golden *);
void	 golden_add_warning(struct golden *, const char *, ...)
	     NTM_PRINTF(2, 3);
/* Fold a path for case-insensitive lookups as Windows compares names;
 * caller frees. */
char	*golden_fold(const char *);
/* Add a file or directory (path owned by the index afterwards); -1 and
 * cause if the path is there already (case-insensitively). */
int	 golden_index_add(struct golden *, char *path, struct gfile **,
	     char **cause);
struct gfile *golden_index_find(struct golden *, const char *path);
/* After paths were rewritten. */
void	 golden_index_rebuild(struct golden *);
/* Keep one copy of each distinct descriptor; returns its index. */
uint32_t golden_sd_add(struct golden *, const void *sd, size_t len);
/* Does a buffer look like a self-relative security descriptor? */
int	 golden_sd_valid(const void *, size_t);
void	 golden_progress_call(golden_progress_fn, void *, const char *phase,
	     size_t files, size_t nfiles, uint64_t bytes, uint64_t nbytes);
/* Lowercase hex of a SHA-256 into 65 bytes. */
void	 golden_hex(const uint8_t sha[32], char hex[65]);
int	 golden_unhex(const char *hex, uint8_t sha[32]);

/* golden-archive.c: reading archives, every entry checked. */
/* Check a path by the rules for archive names; the volume's form ('\\'
 * separated, "." and empty components gone), caller frees; NULL and
 * *why (static) when refused. */
char	*golden_path_check(const char *, const char **why);
/* A libarchive reader for ARCHIVE's file descriptor from its start, with
 * only the formats and filters a golden archive or a folder copy can be
 * (tar, zip, 7z, cab; gzip, bzip2, xz, zstd through their libraries,
 * never an external program). */
int	 garchive_open(struct golden *, struct archive **, char **cause);
void	 garchive_close(struct archive *);
/* Next header, checked: name (see golden-archive.c for the rules), type
 * and declared size. *name gets the entry's path normalized to '/'
 * components ("Packages/x.mum"), *link the hard link target normalized
 * likewise or NULL; both borrowed until the next call. Returns 1 for an
 * entry, 0 at the end, -1 and cause for an archive to refuse. */
struct gentry {
	char		*name;
	char		*link;
	int		 is_dir;
	int64_t		 size;		/* declared, -1 unknown */
	uint32_t	 ordinal;
};
int	 garchive_next(struct golden *, struct archive *, struct gentry *,
	     char **cause);
void	 gentry_clear(struct gentry *);
/* Read the current entry's data in order (sparse holes as zeros): up to
 * len bytes into buf, 0 at its end. The bytes read are counted against
 * the declared size and the limits; -1 and cause on damage. */
struct gdata {
	uint64_t	 pos;		/* bytes given so far */
	uint64_t	 hole;		/* zeros still to give before the
					   pending block */
	const uint8_t	*blk;		/* pending block from libarchive */
	size_t		 blklen;
	int		 eof;
};
ssize_t	 garchive_read(struct golden *, struct archive *,
	     const struct gentry *, struct gdata *, void *buf, size_t len,
	     char **cause);
/* Skip the rest of the current entry's data, still counting it. */
int	 garchive_skip(struct golden *, struct archive *,
	     const struct gentry *, struct gdata *, uint64_t *total,
	     char **cause);
/* The plain archive pre-pass: every entry checked and hashed, the index
 * built, the path prefix mapped onto the volume. first: the entry
 * already read by golden_open. */
int	 garchive_plain(struct golden *, struct archive *, struct gentry *,
	     golden_progress_fn, void *, char **cause);

/* golden-manifest.c */
/* Parse the manifest entry at the reader's current position. */
int	 gmanifest_read(struct golden *, struct archive *,
	     const struct gentry *, char **cause);
/* One line of the manifest for a file or directory; caller frees. */
char	*gmanifest_line(struct golden *, const struct gfile *);
char	*gmanifest_header(struct golden *);

#endif
