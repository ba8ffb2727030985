/*
 * ntfs.h: the volume layer. Finds disks and partitions (libblkid), opens a
 * Windows volume with libntfs-3g (a device, a partition inside a disk image
 * through an offset device, or a mounted directory behind the same
 * interface), tells the volume's state, and reads and writes files by
 * Windows path.
 *
 * Paths are Windows paths relative to the volume root, in UTF-8: both '\'
 * and '/' separate components, a leading separator is allowed, and lookups
 * are case-insensitive the way Windows does them (NTFS $UpCase).
 *
 * Errors: functions returning int give 0 or -1 and set *cause (caller
 * frees) when cause is not NULL; errno is preserved where it means
 * something (ENOENT for a missing path).
 */
#ifndef NTM_NTFS_H
#define NTM_NTFS_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* probe.c: disks and partitions. */
struct vol_part {
	int		 index;		/* partition number, 1-based; 0 = the
					   whole device holds the filesystem */
	uint64_t	 offset;	/* bytes from the start of the device */
	uint64_t	 size;		/* bytes */
	char		*fstype;	/* blkid TYPE ("ntfs", "vfat",
					   "BitLocker"), NULL if unknown */
	char		*label;		/* filesystem label or NULL */
	char		*uuid;		/* filesystem UUID / NTFS serial or NULL */
	char		*part_type;	/* GPT type GUID or MBR "0x7", or NULL */
	char		*part_name;	/* GPT partition name or NULL */
};

struct vol_disk {
	char		*path;		/* device or image file */
	uint64_t	 size;
	char		*pt_type;	/* "gpt", "dos", or NULL: no table */
	struct vol_part	*parts;
	size_t		 nparts;
};

/* Probe a device or image file: its partition table and each partition's
 * filesystem. A device without a table yields one part with index 0. */
int	 vol_disk_probe(const char *path, struct vol_disk *disk, char **cause);
void	 vol_disk_free(struct vol_disk *disk);
/* Whole disks of this machine (from /sys/block, without loop/ram/zram
 * devices that hold nothing); *paths is an array of /dev names, caller
 * frees each and the array. */
int	 vol_disks_list(char ***paths, size_t *n, char **cause);

/* volume.c: opening and state. */
struct vol;

#define VOL_RDONLY		0x0	/* the default: never writes */
#define VOL_RDWR		0x1	/* open for writing; refused with
					   exit-3 class errors when the state
					   makes writing unsafe */
#define VOL_DISCARD_HIBERNATION	0x2	/* with VOL_RDWR on a hibernated
					   volume: delete hiberfil.sys (the
					   saved session is lost; Windows
					   then boots fresh), the operator's
					   explicit choice */
#define VOL_ALLOW_DIRTY		0x4	/* with VOL_RDWR: write although the
					   NTFS dirty flag is set (chkdsk is
					   due); without it such a volume is
					   refused for writing */

/* Volume state flags, from vol_state(). */
#define VOL_HIBERNATED		0x01	/* hiberfil.sys begins hibr/HIBR/wake */
#define VOL_DIRTY		0x02	/* NTFS dirty flag set */
#define VOL_LOGFILE_UNCLEAN	0x04	/* $LogFile holds unreplayed records */
#define VOL_BITLOCKER		0x08	/* -FVE-FS- signature: locked */
#define VOL_READONLY		0x10	/* opened read-only (asked or forced) */
#define VOL_NOT_NTFS		0x20	/* no NTFS boot sector */

/* Where a volume lives. */
struct vol_where {
	const char	*path;		/* device, image file or directory */
	uint64_t	 offset;	/* partition start in bytes (0: all) */
	uint64_t	 size;		/* partition size (0: to the end) */
	int		 index;		/* partition number for messages, 0 */
	int		 is_dir;	/* path is a mounted directory */
};

/*
 * Open a volume. Refusals carry a one-line cause that says what to do:
 * BitLocker (locked: unlock with cryptsetup bitlkOpen and point ntmend at
 * the mapped device), not NTFS, and for VOL_RDWR a hibernated or unclean
 * volume (boot Windows and shut down fully, or discard the hibernation).
 * On refusal *state (if not NULL) still tells why (VOL_* flags). On
 * success *state is the state found when opening: VOL_HIBERNATED stays in
 * it when VOL_DISCARD_HIBERNATION then deleted hiberfil.sys, while
 * vol_state() tells the state now.
 */
int	 vol_open(const struct vol_where *where, int flags, struct vol **vp,
	     unsigned *state, char **cause);
void	 vol_close(struct vol *);
/* VOL_* state flags of an open volume. */
unsigned vol_state(struct vol *);
/* The first four bytes of hiberfil.sys ("HIBR", "wake", ...) or "" when
 * there is none; borrowed. */
const char *vol_hiber_signature(struct vol *);
/* Human name: "disk.img@3", "/dev/sda3", "/mnt/c"; borrowed. */
const char *vol_name(struct vol *);
/* NTFS label, "" if none; borrowed. */
const char *vol_label(struct vol *);
/* Total and free bytes. */
void	 vol_space(struct vol *, uint64_t *total, uint64_t *free);
/* One-line description of state flags ("hibernated (hiberfil.sys HIBR),
 * NTFS dirty"); caller frees. */
char	*vol_state_describe(unsigned state, const char *hiber_sig);

/* target.c: the TARGET argument of DESIGN.md. */
/*
 * Resolve TARGET: a directory (mounted volume), a partition device, a
 * whole-disk device or image with the Windows partition found (the one
 * holding Windows\System32\config\SYSTEM; several: fail listing them),
 * or IMAGE@N for partition N. Fills *where (strings borrowed from target
 * or owned by *where: free with vol_where_free).
 */
int	 vol_target_resolve(const char *target, struct vol_where *where,
	     char **cause);
void	 vol_where_free(struct vol_where *);
/* Does the open volume hold a Windows installation? */
int	 vol_is_windows(struct vol *);

/* file.c: reading. */
#define VOL_ATTR_READONLY	0x0001	/* FILE_ATTRIBUTE_* as Windows shows */
#define VOL_ATTR_HIDDEN		0x0002
#define VOL_ATTR_SYSTEM		0x0004
#define VOL_ATTR_DIRECTORY	0x0010
#define VOL_ATTR_ARCHIVE	0x0020
#define VOL_ATTR_SPARSE		0x0200
#define VOL_ATTR_REPARSE	0x0400
#define VOL_ATTR_COMPRESSED	0x0800

#define VOL_REPARSE_WOF		0x80000017u	/* IO_REPARSE_TAG_WOF */

struct vol_stat {
	uint64_t	 size;		/* bytes of the unnamed data stream */
	uint32_t	 attrs;		/* VOL_ATTR_* */
	unsigned	 nlink;		/* hard links (names in Win32 or POSIX
					   namespace; a DOS 8.3 alias is not
					   a link) */
	int		 is_dir;
	uint32_t	 reparse_tag;	/* 0 if none */
	int		 wof;		/* WOF-compressed (CompactOS): the data
					   is in a WofCompressedData stream */
	uint64_t	 ino;		/* MFT record number (st_ino for the
					   directory backend) */
	struct timespec	 mtime;
	/*
	 * A file's fingerprint: a hash of what a file system changes when it
	 * writes the file (NTFS: the MFT record's number, sequence number and
	 * LSN, the creation, change and MFT change times, attributes, USN,
	 * security id, data and allocated size, links; a directory: device,
	 * inode, size, links, mtime, ctime). The same fingerprint later in
	 * this boot means nobody wrote the file through a file system since,
	 * which hashcache.c builds on. has_fp 0: the backend has none.
	 */
	uint8_t		 fp[16];
	int		 has_fp;
};

int	 vol_stat(struct vol *, const char *path, struct vol_stat *,
	     char **cause);
/* Is there such a path (file or directory)? */
int	 vol_exists(struct vol *, const char *path);

struct vol_file;
#define VOL_O_RDONLY	0x0
#define VOL_O_RDWR	0x1

/* Open an existing file (not a directory). */
struct vol_file *vol_file_open(struct vol *, const char *path, int flags,
	     char **cause);
ssize_t	 vol_file_pread(struct vol_file *, void *buf, size_t len,
	     uint64_t off);
uint64_t vol_file_size(struct vol_file *);
/* Close; for a file written to, set its modification times to now. */
int	 vol_file_close(struct vol_file *, char **cause);
/* Read a whole file of at most max bytes; *buf is NUL-terminated for
 * convenience, caller frees. */
int	 vol_file_read_all(struct vol *, const char *path, size_t max,
	     void **buf, size_t *len, char **cause);

struct vol_dirent {
	const char	*name;		/* UTF-8, borrowed for the callback */
	int		 is_dir;
	uint64_t	 ino;
};
/* Call cb for each entry of a directory (no "." and ".."; each file once
 * under its long name, DOS 8.3 aliases skipped). cb returns 0 to go on,
 * anything else stops the walk and becomes the return value. */
typedef int (*vol_list_cb)(const struct vol_dirent *, void *arg);
int	 vol_list(struct vol *, const char *path, vol_list_cb cb, void *arg,
	     char **cause);
/* The path as stored on the volume, with each component's real case
 * ("windows/system32" -> "Windows\System32"); caller frees. */
char	*vol_path_canonical(struct vol *, const char *path, char **cause);

/* write.c: writing (volumes opened VOL_RDWR only; others fail EROFS). */
ssize_t	 vol_file_pwrite(struct vol_file *, const void *buf, size_t len,
	     uint64_t off);
int	 vol_file_truncate(struct vol_file *, uint64_t size);
/* Replace a file's contents in place: the same MFT record, so every hard
 * link sees the new bytes and the security descriptor stays. */
int	 vol_file_replace(struct vol *, const char *path, const void *buf,
	     size_t len, char **cause);
/* Create a new empty file with a Win32-namespace name and the security
 * descriptor the parent directory passes on by inheritance; fails EEXIST
 * if the name exists. The returned file is open read-write. */
struct vol_file *vol_file_create(struct vol *, const char *path,
	     char **cause);
/* Create directories along path as needed (Win32 names, inherited
 * security); an existing directory is fine. */
int	 vol_mkdir_p(struct vol *, const char *path, char **cause);
/* Rename or move within the volume; fails EEXIST if to exists. */
int	 vol_rename(struct vol *, const char *from, const char *to,
	     char **cause);
/* Delete a file or an empty directory (one name of a file). */
int	 vol_unlink(struct vol *, const char *path, char **cause);
/* vol_unlink of a name this process's journal made: also when its MFT
 * record cannot be read or does not name it back (a create killed before
 * the record was written), only the directory's entry is removed. Only
 * for names made: on another file that would orphan it. */
int	 vol_unlink_made(struct vol *, const char *path, char **cause);
/* Add a hard link newpath to the file at existing. */
int	 vol_link(struct vol *, const char *existing, const char *newpath,
	     char **cause);
/* Security descriptor (self-relative, as stored) of a file; caller frees. */
int	 vol_sd_get(struct vol *, const char *path, void **sd, size_t *len,
	     char **cause);
int	 vol_sd_set(struct vol *, const char *path, const void *sd,
	     size_t len, char **cause);
/* FILE_ATTRIBUTE_* bits (VOL_ATTR_READONLY|HIDDEN|SYSTEM|ARCHIVE). */
int	 vol_attrs_set(struct vol *, const char *path, uint32_t attrs,
	     char **cause);
/* Write everything out (done by vol_close too). */
int	 vol_sync(struct vol *, char **cause);

#endif
