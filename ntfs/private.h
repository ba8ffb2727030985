/*
 * private.h: inside the volume layer. A struct vol is a backend (libntfs-3g
 * in ntfs3g.c, a mounted directory in dir.c) behind one operations table;
 * the public functions of ntfs.h dispatch through it and add what is
 * common (path parsing, mkdir -p, read-all, replace, state checks).
 */
#ifndef NTM_NTFS_PRIVATE_H
#define NTM_NTFS_PRIVATE_H

#include "ntfs/ntfs.h"

/* Bounds for untrusted volumes. */
#define NTM_MAX_PATH_DEPTH	64	/* deeper Windows paths do not occur
					   under MAX_PATH-aware servicing */
#define NTM_MAX_NAME_UTF8	(255 * 4 + 1)	/* 255 UTF-16 units */

/*
 * Who owns what: a backend's open allocates the struct vol (xcalloc) and
 * fills ops, name, label, state, hiber_sig, writable, total, free and
 * priv; ops->close releases priv only, and vol_close (volume.c) then frees
 * name, label and the struct. The public functions allocate each struct
 * vol_file and set vol and writable before ops->file_open or
 * ops->file_create, which fill size and priv; ops->file_close releases
 * priv only. The public functions refuse writes on a volume that is not
 * writable (EROFS) before calling the ops; ops->file_pwrite and
 * ops->file_truncate keep f->size current, and vol_file_pwrite and
 * vol_file_truncate set f->written.
 */
/* Set sb's fingerprint from a backend's fields (len bytes at fields). */
void	vol_fp_set(struct vol_stat *sb, const void *fields, size_t len);

struct vol_ops {
	const char	*backend;	/* "ntfs-3g", "directory" */
	void	(*close)(struct vol *);
	int	(*stat)(struct vol *, const char *const *comp, size_t ncomp,
		    struct vol_stat *, char **cause);
	int	(*file_open)(struct vol *, const char *const *comp,
		    size_t ncomp, int flags, struct vol_file *f,
		    char **cause);
	ssize_t	(*file_pread)(struct vol_file *, void *, size_t, uint64_t);
	ssize_t	(*file_pwrite)(struct vol_file *, const void *, size_t,
		    uint64_t);
	int	(*file_truncate)(struct vol_file *, uint64_t);
	int	(*file_close)(struct vol_file *, char **cause);
	/* Create a file (EEXIST if the name exists), open read-write. */
	int	(*file_create)(struct vol *, const char *const *comp,
		    size_t ncomp, struct vol_file *f, char **cause);
	int	(*list)(struct vol *, const char *const *comp, size_t ncomp,
		    vol_list_cb, void *, char **cause);
	char	*(*canonical)(struct vol *, const char *const *comp,
		    size_t ncomp, char **cause);
	/* Make one directory whose parent exists (EEXIST if it exists). */
	int	(*mkdir)(struct vol *, const char *const *comp, size_t ncomp,
		    char **cause);
	int	(*rename)(struct vol *, const char *const *from, size_t nfrom,
		    const char *const *to, size_t nto, char **cause);
	int	(*unlink)(struct vol *, const char *const *comp, size_t ncomp,
		    char **cause);
	int	(*link)(struct vol *, const char *const *from, size_t nfrom,
		    const char *const *to, size_t nto, char **cause);
	int	(*sd_get)(struct vol *, const char *const *comp, size_t ncomp,
		    void **sd, size_t *len, char **cause);
	int	(*sd_set)(struct vol *, const char *const *comp, size_t ncomp,
		    const void *sd, size_t len, char **cause);
	int	(*attrs_set)(struct vol *, const char *const *comp,
		    size_t ncomp, uint32_t attrs, char **cause);
	int	(*sync)(struct vol *, char **cause);
};

struct vol {
	const struct vol_ops	*ops;
	char			*name;		/* "disk.img@3" */
	char			*label;
	unsigned		 state;		/* VOL_* */
	char			 hiber_sig[5];	/* "" if no hiberfil.sys */
	int			 writable;	/* opened VOL_RDWR and allowed */
	int			 unlink_made;	/* vol_unlink_made is running */
	uint64_t		 total, free;
	void			*priv;		/* the backend's */
};

struct vol_file {
	struct vol		*vol;
	uint64_t		 size;
	int			 writable;
	int			 written;	/* set times on close */
	void			*priv;		/* the backend's */
};

/* path.c: "Windows\System32/config" -> {"Windows","System32","config"}.
 * Empty components and "." are dropped; ".." is refused (EINVAL), so no
 * path given to the layer can climb out of the volume root. The array and
 * its strings are one allocation: free(*comp). */
int	 vol_path_split(const char *path, char ***comp, size_t *ncomp,
	     char **cause);
/* Join components with '\' (as Windows shows paths); caller frees. */
char	*vol_path_join(const char *const *comp, size_t ncomp);

/* Backend entry points, called by vol_open (volume.c). */
int	 vol_ntfs3g_open(const struct vol_where *, int flags, struct vol **,
	     unsigned *state, char **cause);
int	 vol_dir_open(const struct vol_where *, int flags, struct vol **,
	     unsigned *state, char **cause);

/* volume.c: the hiberfil.sys signature check both backends use once the
 * volume is readable: fills vol->hiber_sig and sets VOL_HIBERNATED. */
void	 vol_check_hiberfile(struct vol *);

/* device.c: libntfs-3g device operations that reach only [offset,
 * offset + size) of a file or block device (size 0: to its end). Without
 * rdwr the device never opens for writing and every write fails EROFS. */
struct ntfs_device;
struct ntfs_device *vol_device_new(const char *path, uint64_t offset,
	     uint64_t size, int rdwr);
/* Free a device that is not mounted (never, or the mount failed). */
void	 vol_device_free(struct ntfs_device *);
/* Free the device's own data after ntfs_umount freed the device; pass
 * dev->d_private saved before unmounting. */
void	 vol_device_free_data(void *);
/* Read len bytes at off of an unmounted device (the boot sector before
 * mounting); returns the bytes read or -1 with errno. */
int	 vol_device_peek(struct ntfs_device *, void *buf, size_t len,
	     uint64_t off);

#endif
