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

#endif
