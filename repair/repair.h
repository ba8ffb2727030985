/*
 * repair.h: the engine. Opens a Windows installation (a target), tells who
 * it is, and (in later parts) runs checks and fixes. Both faces, the
 * command line and the menu, call only this and the modules' read APIs.
 */
#ifndef NTM_REPAIR_H
#define NTM_REPAIR_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"

/* Graded results, after libarchive: exit codes map from them. */
enum ntm_status {
	NTM_OK = 0,		/* done, nothing found */
	NTM_WARN = 1,		/* findings remain, or partly done */
	NTM_USAGE = 2,		/* bad command line */
	NTM_UNSAFE = 3,		/* target cannot be opened safely */
	NTM_FAILED = 4		/* failed, changes rolled back */
};

/* identity.c: who the installation is, read from its SYSTEM and SOFTWARE
 * hives. Any field may be missing (NULL / 0) on a damaged system. */
struct identity {
	char		*product;	/* "Windows 10 Pro"; Windows 11 builds
					   still say "Windows 10" in the hive,
					   corrected here from the build */
	char		*edition;	/* EditionID: "Professional" */
	char		*display_version; /* "22H2" (or ReleaseId "1709") */
	uint32_t	 build;		/* CurrentBuild: 19045 */
	uint32_t	 ubr;		/* update build revision: 3803 */
	char		*arch;		/* "amd64", "x86", "arm64" */
	char		*computer_name;
	time_t		 install_date;	/* 0 if unknown */
	int		 control_set;	/* Select\Current, 0 if unknown */
	int		 fast_startup;	/* HiberbootEnabled: 1, 0, -1 unknown */
	char		**warnings;	/* dirty hives, unreadable values */
	size_t		 nwarnings;
};

/* Read the identity from an open volume. Fails only if neither hive can
 * be read; what is missing is listed in warnings. */
int	 identity_read(struct vol *, struct identity *, char **cause);
void	 identity_free(struct identity *);
/* "10.0.19045.3803" or "" if the build is unknown; caller frees. */
char	*identity_version(const struct identity *);

/* target.c: TARGET (DESIGN.md) to an open volume. */
struct target {
	char			*spec;		/* as given, or found */
	struct vol_where	 where;
	struct vol		*vol;
	unsigned		 state;		/* VOL_* */
};

#define TARGET_WRITE		0x1	/* a changing command */
#define TARGET_DISCARD_HIBER	0x2	/* operator chose to discard the
					   hibernated session */

/*
 * Open TARGET (NULL: the single Windows installation on this machine's
 * disks). Read-only unless TARGET_WRITE. Returns NTM_OK, NTM_UNSAFE (the
 * volume's state forbids it: BitLocker, hibernated for writing, ...;
 * *cause says which and what to do; t->state tells) or NTM_FAILED (not
 * found, not NTFS, several candidates).
 */
enum ntm_status target_open(const char *spec, int flags, struct target *t,
	     char **cause);
void	 target_close(struct target *);
/* regedit.c: offline registry edits, journaled together. */
struct journal;
struct regedit;
int	 regedit_begin(struct vol *, int force, struct regedit **);
void	 regedit_free(struct regedit *);
/* The hive checked out for writing (on first use); borrowed. */
struct hive *regedit_hive(struct regedit *, enum hive_id, char **cause);
/* "HKEY_LOCAL_MACHINE\SYSTEM", ...: how .reg files name a hive's root. */
const char *regedit_root(enum hive_id);
/* Set a value (creating missing keys); regpath as the command line takes
 * it ("HKLM\SYSTEM\CurrentControlSet\Services\wuauserv"). Setting a
 * value to what it is already changes nothing. */
int	 regedit_set(struct regedit *, const char *regpath, const char *name,
	     uint32_t type, const void *data, size_t len, char **cause);
/* Delete a value (name) or, with name NULL, a key and its subkeys. */
int	 regedit_delete(struct regedit *, const char *regpath,
	     const char *name, char **cause);
/* Apply a parsed .reg file (CurrentControlSet resolved; a key outside
 * the offline hives fails the whole import before anything changes). */
int	 regedit_import(struct regedit *, const struct reg_file *,
	     char **cause);
/* What changed, one line each ("set HKEY_...\Start = REG_DWORD 3, was
 * REG_DWORD 4"); borrowed. */
const char *const *regedit_changes(struct regedit *, size_t *n);
/* Write every changed hive back through the journal. */
int	 regedit_commit(struct regedit *, struct journal *, char **cause);
/* Command-line data to bytes: TYPE (sz, dword, hex(7), ...) and its
 * arguments; *data caller frees. */
int	 regedit_parse_data(const char *type, char *const *args, int nargs,
	     uint32_t *typep, uint8_t **data, size_t *len, char **cause);

/* Is the device or image write-protected (BLKROGET, or no write access),
 * so that no fix could be written whatever the volume's state? */
int	 target_path_readonly(const char *path);

/* scan.c: what is on the disks. */
struct scan_part {
	struct vol_part	 part;		/* borrowed from the disk */
	int		 is_windows;
	unsigned	 state;		/* VOL_* for NTFS/BitLocker parts */
	char		*hiber_sig;
	struct identity	 id;		/* when is_windows */
	char		*error;		/* why it could not be read */
};
struct scan_disk {
	struct vol_disk	 disk;
	struct scan_part *parts;	/* disk.nparts of them */
};
/* Probe each path (NULL, 0: this machine's disks). Disks that cannot be
 * probed are skipped with a line in *errors (caller frees each). */
int	 scan_disks(const char *const *paths, size_t npaths,
	     struct scan_disk **disks, size_t *ndisks, char ***errors,
	     size_t *nerrors);
void	 scan_free(struct scan_disk *, size_t);

/* hash.c: SHA-256 over the volume layer (the offline Get-FileHash). */
/* Hash one file; hex is 65 bytes. */
int	 hash_file(struct vol *, const char *path, char hex[65],
	     char **cause);

/*
 * journal.c: every change goes through a journal on the target volume,
 * ntmend\journal\<id>\: journal.jsonl, an append-only list of operations
 * (one JSON object a line), and the saved originals NNNN.bin / NNNN.sd.
 * An operation is written, with its original saved, before the change is
 * made, and marked done after; undo walks them backwards, restoring each
 * and marking it undone, so an interrupted undo or change can be undone
 * (again) safely. A torn last line (killed mid-append) is ignored.
 */
struct journal;

#define JOURNAL_DIR	"ntmend\\journal"

/* Start a journal for a changing command (its command line, for the
 * record). The volume must be open for writing. */
int	 journal_begin(struct vol *, const char *command, struct journal **,
	     char **cause);
/* The id ("20261124-014500-services-reset"); borrowed. */
const char *journal_id(struct journal *);
/* Journaled changes: each saves what it needs to undo, then changes. */
int	 journal_replace(struct journal *, const char *path, const void *buf,
	     size_t len, char **cause);
int	 journal_create(struct journal *, const char *path, const void *buf,
	     size_t len, char **cause);
int	 journal_mkdir_p(struct journal *, const char *path, char **cause);
int	 journal_rename(struct journal *, const char *from, const char *to,
	     char **cause);
int	 journal_delete(struct journal *, const char *path, char **cause);
/* Commit a hive checked out with HIVE_WRITE (hive_commit: written to the
 * private copy and read back) and put it over the hive at path on the
 * volume, in place, with the original journaled. */
int	 journal_hive(struct journal *, struct hive *, const char *path,
	     char **cause);
/* Number of changes made so far. */
size_t	 journal_count(struct journal *);
/* Finish: "committed". A journal with no change is removed. */
int	 journal_commit(struct journal *, char **cause);
/* Undo what this journal did so far (a failed command: exit 4). */
int	 journal_rollback(struct journal *, char **cause);
void	 journal_free(struct journal *);

struct journal_info {
	char		*id;
	char		*command;
	char		*started;	/* ISO 8601 UTC */
	char		*state;		/* "open" (interrupted), "committed",
					   "rolled-back", "undone" */
	size_t		 nops;		/* changes recorded */
	size_t		 nundone;
};
/* Journals on the volume, oldest first. */
int	 journal_list(struct vol *, struct journal_info **, size_t *n,
	     char **cause);
void	 journal_info_free(struct journal_info *, size_t n);
/* Roll back journals a killed or crashed command left open (newest
 * first), so the volume is as before that command; every changing
 * command does this first. *ids: what was rolled back, caller frees. */
int	 journal_recover(struct vol *, char ***ids, size_t *nids,
	     char **cause);
/* Undo a journal (NULL: the newest not yet undone). Restores every saved
 * original exactly; safe to re-run if interrupted. A fully undone journal
 * is removed from the volume (and ntmend\ with it when empty), so the
 * volume is as it was; *id gets the id undone (caller frees). */
int	 journal_undo(struct vol *, const char *id, char **undone_id,
	     char **cause);

#endif
