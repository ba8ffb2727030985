/*
 * dir.c: the mounted-directory backend. A Windows volume that something
 * else has mounted (ntfs-3g FUSE, the kernel's ntfs3, a share) is reached
 * with POSIX calls relative to an open descriptor of its root, so that no
 * name read from the volume can lead outside it: every component is
 * looked up in its parent with openat/fstatat, symbolic links (which is
 * how mounts show junctions) are never followed, and no path is ever
 * built with "..".
 *
 * Windows names are case-insensitive and Linux mounts mostly are not, so
 * each component is tried as spelled and then matched against the
 * directory's entries as NTFS's $UpCase table does (casefold_equal).
 */

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ntfs/private.h"
#include "util/util.h"

/*
 * ntfs-3g exposes what Windows keeps beside the data as extended
 * attributes: the security descriptor as stored (self-relative) and the
 * FILE_ATTRIBUTE_* word, big-endian so that a shell can read it.
 */
#define XATTR_NTFS_ACL		"system.ntfs_acl"
#define XATTR_NTFS_ATTRIB_BE	"system.ntfs_attrib_be"
#define XATTR_NTFS_REPARSE	"system.ntfs_reparse_data"

/* Security descriptors are at most 64 KiB: their length is a WORD in
 * every ACL header. */
#define NTM_MAX_SD		(64 * 1024)

/* The attribute bits a caller may set (the rest belong to NTFS). */
#define DIR_ATTRS_SETTABLE	(VOL_ATTR_READONLY | VOL_ATTR_HIDDEN | \
				 VOL_ATTR_SYSTEM | VOL_ATTR_ARCHIVE)

struct dir_vol {
	int		 rootfd;
	int		 mount_ro;	/* statvfs ST_RDONLY */
	int		 no_xattrs;	/* the mount has no NTFS xattrs */
};

struct dir_file {
	int		 fd;
};

/* A path resolved up to its last component. */
struct dir_loc {
	int		 dirfd;		/* the parent, open */
	char		*name;		/* real name of the last component, or
					   as asked when it does not exist */
	int		 exists;
	struct stat	 sb;		/* lstat of it when it exists */
};

static const struct vol_ops	dir_ops;

/*
 * The name of want in directory dirfd. As spelled when that exists and
 * real is 0 (the fast path: one lookup); otherwise the entry equal to it
 * ignoring case, preferring the exact spelling and, on a mount that is
 * itself case-insensitive, the entry with the inode that want reached.
 * Returns NULL with errno ENOENT when there is none.
 */
static char *
dir_find(struct dir_vol *dv, int dirfd, const char *want, int real,
    struct stat *sb)
{
	struct dirent	*de;
	DIR		*d;
	char		*best = NULL;
	int		 fd, error, have_ino;

	have_ino = fstatat(dirfd, want, sb, AT_SYMLINK_NOFOLLOW) == 0;
	if (have_ino && !real)
		return xstrdup(want);
	if (!have_ino && errno != ENOENT)
		return NULL;

	if ((fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) ==
	    -1)
		return NULL;
	if ((d = fdopendir(fd)) == NULL) {
		error = errno;
		close(fd);
		errno = error;
		return NULL;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (strcmp(de->d_name, want) == 0) {
			free(best);
			best = xstrdup(de->d_name);
			break;
		}
		if (!casefold_equal(de->d_name, want))
			continue;
		if (have_ino && de->d_ino != sb->st_ino)
			continue;
		/* Two names equal but for case (possible on a Linux
		 * filesystem, not on NTFS): take the same one every time. */
		if (best == NULL || strcmp(de->d_name, best) < 0) {
			free(best);
			best = xstrdup(de->d_name);
		}
	}
	error = errno;
	closedir(d);
	if (best == NULL && have_ino)
		return xstrdup(want);	/* listed under another name */
	if (best == NULL) {
		errno = error != 0 ? error : ENOENT;
		return NULL;
	}
	if (fstatat(dirfd, best, sb, AT_SYMLINK_NOFOLLOW) != 0) {
		free(best);
		return NULL;
	}
	return best;
}

static void
dir_loc_free(struct dir_loc *loc)
{
	if (loc->dirfd != -1)
		close(loc->dirfd);
	free(loc->name);
	loc->dirfd = -1;
	loc->name = NULL;
}

/* Set *cause for the first n components of a path and errno. */
static int
dir_error(char **cause, int error, const char *const *comp, size_t n,
    const char *what)
{
	char	*p = vol_path_join(comp, n);

	set_cause(cause, "%s: %s", n == 0 ? "\\" : p,
	    what != NULL ? what : strerror(error));
	free(p);
	errno = error;
	return -1;
}

/*
 * Walk to the parent of the last component and look the last one up.
 * Every directory on the way must exist; the last component may not
 * (loc->exists tells). The root itself is the name "." in the root.
 */
static int
dir_locate(struct vol *vol, const char *const *comp, size_t ncomp,
    struct dir_loc *loc, char **cause)
{
	struct dir_vol	*dv = vol->priv;
	struct stat	 sb;
	char		*name;
	size_t		 i;
	int		 fd, next, error;

	memset(loc, 0, sizeof *loc);
	loc->dirfd = -1;
	if ((fd = fcntl(dv->rootfd, F_DUPFD_CLOEXEC, 0)) == -1)
		return dir_error(cause, errno, comp, 0, NULL);
	if (ncomp == 0) {
		loc->dirfd = fd;
		loc->name = xstrdup(".");
		if (fstat(fd, &loc->sb) != 0)
			goto fail;
		loc->exists = 1;
		return 0;
	}
	for (i = 0; i + 1 < ncomp; i++) {
		if ((name = dir_find(dv, fd, comp[i], 0, &sb)) == NULL)
			goto fail_at;
		if (!S_ISDIR(sb.st_mode)) {
			free(name);
			close(fd);
			return dir_error(cause, ENOTDIR, comp, i + 1,
			    S_ISLNK(sb.st_mode) ? "a symbolic link (a "
			    "junction or reparse point), not followed" :
			    NULL);
		}
		next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		free(name);
		if (next == -1)
			goto fail_at;
		close(fd);
		fd = next;
	}
	loc->dirfd = fd;
	if ((loc->name = dir_find(dv, fd, comp[i], 0, &loc->sb)) != NULL) {
		loc->exists = 1;
		return 0;
	}
	if (errno != ENOENT) {
		error = errno;
		dir_loc_free(loc);
		return dir_error(cause, error, comp, ncomp, NULL);
	}
	loc->name = xstrdup(comp[i]);
	return 0;

fail_at:
	error = errno;
	close(fd);
	return dir_error(cause, error, comp, i + 1, NULL);

fail:
	error = errno;
	close(fd);
	free(loc->name);
	loc->name = NULL;
	loc->dirfd = -1;
	return dir_error(cause, error, comp, ncomp, NULL);
}

/* Like dir_locate, but the path must exist. */
static int
dir_locate_existing(struct vol *vol, const char *const *comp, size_t ncomp,
    struct dir_loc *loc, char **cause)
{
	if (dir_locate(vol, comp, ncomp, loc, cause) != 0)
		return -1;
	if (!loc->exists) {
		dir_loc_free(loc);
		return dir_error(cause, ENOENT, comp, ncomp, NULL);
	}
	return 0;
}

/* Open what loc names, without following a symbolic link. */
static int
dir_loc_open(struct dir_loc *loc, int flags, const char *const *comp,
    size_t ncomp, char **cause)
{
	int	fd;

	if (S_ISLNK(loc->sb.st_mode))
		return dir_error(cause, ELOOP, comp, ncomp, "a symbolic link "
		    "(a junction or reparse point), not followed");
	fd = openat(loc->dirfd, loc->name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		return dir_error(cause, errno, comp, ncomp, NULL);
	return fd;
}

/*
 * The public functions refuse writes to a read-only volume before they
 * reach a backend; this is the same refusal for callers inside the layer,
 * with the reason that applies to a directory.
 */
static int
dir_check_writable(struct vol *vol, const char *const *comp, size_t ncomp,
    char **cause)
{
	struct dir_vol	*dv = vol->priv;

	if (vol->writable)
		return 0;
	return dir_error(cause, EROFS, comp, ncomp, dv->mount_ro ?
	    "the volume is mounted read-only; remount it read-write "
	    "(mount -o remount,rw) to change it" :
	    "the volume was opened read-only; only commands that change "
	    "the volume open it for writing");
}

/*
 * A name that Windows cannot open through its Win32 API would be a file
 * nobody can repair or delete from Windows; ':' would also reach a named
 * data stream on an ntfs-3g mount instead of making a file.
 */
static int
dir_check_name(const char *const *comp, size_t ncomp, char **cause)
{
	const char	*name = comp[ncomp - 1];
	size_t		 len = strlen(name);
	const char	*p;

	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || strchr("<>:\"|?*", *p) != NULL)
			return dir_error(cause, EINVAL, comp, ncomp,
			    "Windows does not allow control characters or "
			    "any of < > : \" | ? * in a name");
	}
	if (len == 0 || name[len - 1] == ' ' || name[len - 1] == '.')
		return dir_error(cause, EINVAL, comp, ncomp, "Windows does "
		    "not allow a name that ends in a space or a dot");
	return 0;
}

/* FILE_ATTRIBUTE_* of an open file, from ntfs-3g's xattr; -1 if the
 * mount does not have it. */
static int
dir_attrs_get(struct dir_vol *dv, int fd, uint32_t *attrs)
{
	uint8_t	b[4];

	if (dv->no_xattrs)
		return -1;
	if (fgetxattr(fd, XATTR_NTFS_ATTRIB_BE, b, sizeof b) !=
	    (ssize_t)sizeof b) {
		if (errno == ENOTSUP || errno == ENODATA)
			dv->no_xattrs = 1;
		return -1;
	}
	*attrs = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	return 0;
}

static void
dir_close(struct vol *vol)
{
	struct dir_vol	*dv = vol->priv;

	if (dv == NULL)
		return;
	close(dv->rootfd);
	free(dv);
	vol->priv = NULL;
}

static int
dir_stat(struct vol *vol, const char *const *comp, size_t ncomp,
    struct vol_stat *st, char **cause)
{
	struct dir_vol	*dv = vol->priv;
	struct dir_loc	 loc;
	uint8_t		 rp[8];
	uint32_t	 attrs;
	int		 fd;

	if (dir_locate_existing(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	memset(st, 0, sizeof *st);
	st->is_dir = S_ISDIR(loc.sb.st_mode);
	st->size = S_ISREG(loc.sb.st_mode) ? (uint64_t)loc.sb.st_size : 0;
	st->nlink = (unsigned)loc.sb.st_nlink;
	st->ino = (uint64_t)loc.sb.st_ino;
	st->mtime = loc.sb.st_mtim;
	if (S_ISREG(loc.sb.st_mode)) {
		/* The kernel sets ctime on every write; nobody can set it. */
		int64_t	v[8] = { (int64_t)loc.sb.st_dev,
		    (int64_t)loc.sb.st_ino, (int64_t)loc.sb.st_size,
		    (int64_t)loc.sb.st_nlink, loc.sb.st_mtim.tv_sec,
		    loc.sb.st_mtim.tv_nsec, loc.sb.st_ctim.tv_sec,
		    loc.sb.st_ctim.tv_nsec };

		vol_fp_set(st, v, sizeof v);
	}

	if (S_ISLNK(loc.sb.st_mode)) {
		/* What a mount shows for a junction or symlink. */
		st->attrs = VOL_ATTR_REPARSE;
		goto out;
	}
	/* Opening a device node or FIFO can have effects of its own; NTFS
	 * has neither, so only files and directories carry its xattrs. */
	fd = -1;
	if (S_ISREG(loc.sb.st_mode) || S_ISDIR(loc.sb.st_mode))
		fd = openat(loc.dirfd, loc.name, O_RDONLY | O_NOFOLLOW |
		    O_NONBLOCK | O_CLOEXEC);
	if (fd == -1 || dir_attrs_get(dv, fd, &attrs) != 0) {
		/* Without ntfs-3g's xattrs only the kind is known. */
		attrs = st->is_dir ? VOL_ATTR_DIRECTORY : 0;
	}
	st->attrs = attrs;
	if (st->is_dir)
		st->attrs |= VOL_ATTR_DIRECTORY;
	if (fd != -1 && (attrs & VOL_ATTR_REPARSE) &&
	    fgetxattr(fd, XATTR_NTFS_REPARSE, rp, sizeof rp) >= 4) {
		st->reparse_tag = le32dec(rp);
		st->wof = st->reparse_tag == VOL_REPARSE_WOF;
	}
	if (fd != -1)
		close(fd);

out:
	dir_loc_free(&loc);
	return 0;
}

static int
dir_file_open(struct vol *vol, const char *const *comp, size_t ncomp,
    int flags, struct vol_file *f, char **cause)
{
	struct dir_loc	 loc;
	struct dir_file	*df;
	struct stat	 sb;
	int		 fd, rdwr = (flags & VOL_O_RDWR) != 0;

	if (rdwr && dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if (dir_locate_existing(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (S_ISDIR(loc.sb.st_mode)) {
		dir_loc_free(&loc);
		return dir_error(cause, EISDIR, comp, ncomp, "a directory, "
		    "not a file");
	}
	fd = dir_loc_open(&loc, rdwr ? O_RDWR : O_RDONLY, comp, ncomp, cause);
	dir_loc_free(&loc);
	if (fd == -1)
		return -1;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return dir_error(cause, EINVAL, comp, ncomp, "not a regular "
		    "file");
	}
	df = xmalloc(sizeof *df);
	df->fd = fd;
	f->priv = df;
	f->size = (uint64_t)sb.st_size;
	return 0;
}

static ssize_t
dir_file_pread(struct vol_file *f, void *buf, size_t len, uint64_t off)
{
	struct dir_file	*df = f->priv;
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = pread(df->fd, (uint8_t *)buf + done, len - done,
		    (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			return -1;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

static ssize_t
dir_file_pwrite(struct vol_file *f, const void *buf, size_t len,
    uint64_t off)
{
	struct dir_file	*df = f->priv;
	size_t		 done = 0;
	ssize_t		 n;

	if (!f->writable) {
		errno = EBADF;
		return -1;
	}
	while (done < len) {
		n = pwrite(df->fd, (const uint8_t *)buf + done, len - done,
		    (off_t)(off + done));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			break;
		}
		done += (size_t)n;
	}
	if (off + done > f->size)
		f->size = off + done;
	if (done == 0 && len > 0)
		return -1;
	return (ssize_t)done;
}

static int
dir_file_truncate(struct vol_file *f, uint64_t size)
{
	struct dir_file	*df = f->priv;

	if (!f->writable) {
		errno = EBADF;
		return -1;
	}
	if (ftruncate(df->fd, (off_t)size) != 0)
		return -1;
	f->size = size;
	return 0;
}

static int
dir_file_close(struct vol_file *f, char **cause)
{
	struct dir_file	*df = f->priv;
	int		 rc = 0, error = 0;

	if (df == NULL)
		return 0;
	/*
	 * A FUSE filesystem may report a failed write (a full volume) only
	 * when the data is flushed: fsync, then close, and say so.
	 */
	if (f->written) {
		if (futimens(df->fd, NULL) != 0 || fsync(df->fd) != 0) {
			error = errno;
			rc = -1;
		}
	}
	if (close(df->fd) != 0 && rc == 0) {
		error = errno;
		rc = -1;
	}
	free(df);
	f->priv = NULL;
	if (rc != 0) {
		set_cause(cause, "%s: writing a file failed: %s", f->vol->name,
		    strerror(error));
		errno = error;
	}
	return rc;
}

static int
dir_file_create(struct vol *vol, const char *const *comp, size_t ncomp,
    struct vol_file *f, char **cause)
{
	struct dir_loc	 loc;
	struct dir_file	*df;
	int		 fd;

	if (dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if (ncomp == 0)
		return dir_error(cause, EEXIST, comp, 0, "the volume root");
	if (dir_check_name(comp, ncomp, cause) != 0)
		return -1;
	if (dir_locate(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (loc.exists) {
		dir_loc_free(&loc);
		return dir_error(cause, EEXIST, comp, ncomp, "exists already");
	}
	/*
	 * The mode only matters on a mount that maps permissions; ntfs-3g
	 * without "permissions" gives the file the security descriptor its
	 * parent passes on, which is what Windows would do.
	 */
	fd = openat(loc.dirfd, loc.name, O_RDWR | O_CREAT | O_EXCL |
	    O_NOFOLLOW | O_CLOEXEC, 0666);
	if (fd == -1) {
		dir_loc_free(&loc);
		return dir_error(cause, errno, comp, ncomp, NULL);
	}
	dir_loc_free(&loc);
	df = xmalloc(sizeof *df);
	df->fd = fd;
	f->priv = df;
	f->size = 0;
	return 0;
}

static int
dir_list(struct vol *vol, const char *const *comp, size_t ncomp,
    vol_list_cb cb, void *arg, char **cause)
{
	struct dir_loc		 loc;
	struct vol_dirent	 ent;
	struct dirent		*de;
	struct stat		 sb;
	DIR			*d;
	int			 fd, dfd, rc = 0, error;

	if (dir_locate_existing(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (!S_ISDIR(loc.sb.st_mode)) {
		dir_loc_free(&loc);
		return dir_error(cause, ENOTDIR, comp, ncomp, NULL);
	}
	fd = dir_loc_open(&loc, O_RDONLY | O_DIRECTORY, comp, ncomp, cause);
	dir_loc_free(&loc);
	if (fd == -1)
		return -1;
	/* A second descriptor for fstatat: fdopendir owns the first. */
	if ((dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0)) == -1 ||
	    (d = fdopendir(fd)) == NULL) {
		error = errno;
		if (dfd != -1)
			close(dfd);
		close(fd);
		return dir_error(cause, error, comp, ncomp, NULL);
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL) {
			if (errno != 0) {
				dir_error(cause, errno, comp, ncomp, NULL);
				rc = -1;
			}
			break;
		}
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		memset(&ent, 0, sizeof ent);
		ent.name = de->d_name;
		ent.ino = (uint64_t)de->d_ino;
		if (de->d_type == DT_UNKNOWN) {
			if (fstatat(dfd, de->d_name, &sb,
			    AT_SYMLINK_NOFOLLOW) == 0)
				ent.is_dir = S_ISDIR(sb.st_mode);
		} else
			ent.is_dir = de->d_type == DT_DIR;
		if ((rc = cb(&ent, arg)) != 0)
			break;
	}
	error = errno;
	closedir(d);
	close(dfd);
	errno = error;
	return rc;
}

static char *
dir_canonical(struct vol *vol, const char *const *comp, size_t ncomp,
    char **cause)
{
	struct dir_vol	 *dv = vol->priv;
	struct stat	  sb;
	char		**real, *out = NULL;
	size_t		  i, n = 0;
	int		  fd, next, error;

	if ((fd = fcntl(dv->rootfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		dir_error(cause, errno, comp, 0, NULL);
		return NULL;
	}
	real = xcalloc(ncomp + 1, sizeof *real);
	for (i = 0; i < ncomp; i++) {
		if ((real[i] = dir_find(dv, fd, comp[i], 1, &sb)) == NULL) {
			dir_error(cause, errno, comp, i + 1, NULL);
			goto out;
		}
		n = i + 1;
		if (i + 1 == ncomp)
			break;
		next = openat(fd, real[i], O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (next == -1) {
			error = errno;
			dir_error(cause, error == ELOOP ? ENOTDIR : error,
			    comp, i + 1, NULL);
			goto out;
		}
		close(fd);
		fd = next;
	}
	out = vol_path_join((const char *const *)real, ncomp);

out:
	error = errno;
	close(fd);
	for (i = 0; i < n; i++)
		free(real[i]);
	free(real);
	errno = error;
	return out;
}

static int
dir_mkdir(struct vol *vol, const char *const *comp, size_t ncomp,
    char **cause)
{
	struct dir_loc	loc;
	int		error;

	if (dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if (ncomp == 0)
		return dir_error(cause, EEXIST, comp, 0, "the volume root");
	if (dir_check_name(comp, ncomp, cause) != 0)
		return -1;
	if (dir_locate(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (loc.exists) {
		dir_loc_free(&loc);
		return dir_error(cause, EEXIST, comp, ncomp, "exists already");
	}
	if (mkdirat(loc.dirfd, loc.name, 0777) != 0) {
		error = errno;
		dir_loc_free(&loc);
		return dir_error(cause, error, comp, ncomp, NULL);
	}
	dir_loc_free(&loc);
	return 0;
}

static int
dir_rename(struct vol *vol, const char *const *from, size_t nfrom,
    const char *const *to, size_t nto, char **cause)
{
	struct dir_loc	 lf, lt;
	struct stat	 pf, pt;
	int		 rc = -1, recase = 0, error;

	if (dir_check_writable(vol, to, nto, cause) != 0)
		return -1;
	if (nfrom == 0 || nto == 0)
		return dir_error(cause, EBUSY, from, nfrom, "the volume root "
		    "cannot be renamed or replaced");
	if (dir_check_name(to, nto, cause) != 0)
		return -1;
	if (dir_locate_existing(vol, from, nfrom, &lf, cause) != 0)
		return -1;
	if (dir_locate(vol, to, nto, &lt, cause) != 0) {
		dir_loc_free(&lf);
		return -1;
	}
	if (lt.exists) {
		/* The same name in another case ("a" to "A") is a rename
		 * of a file onto itself, which Windows allows; on a
		 * case-insensitive mount "A" already finds "a". */
		if (fstat(lf.dirfd, &pf) == 0 && fstat(lt.dirfd, &pt) == 0 &&
		    pf.st_dev == pt.st_dev && pf.st_ino == pt.st_ino &&
		    lf.sb.st_ino == lt.sb.st_ino &&
		    casefold_equal(lf.name, to[nto - 1]) &&
		    strcmp(lf.name, to[nto - 1]) != 0)
			recase = 1;
		else {
			dir_error(cause, EEXIST, to, nto, "exists already");
			goto out;
		}
	}
	if (recase) {
		if (renameat(lf.dirfd, lf.name, lt.dirfd, to[nto - 1]) != 0)
			goto fail;
	} else if (renameat2(lf.dirfd, lf.name, lt.dirfd, lt.name,
	    RENAME_NOREPLACE) != 0) {
		/* FUSE through libfuse 2 (ntfs-3g) knows no flags; the
		 * lookup above already found no such name. */
		if (errno != EINVAL && errno != ENOSYS && errno != ENOTSUP)
			goto fail;
		if (renameat(lf.dirfd, lf.name, lt.dirfd, lt.name) != 0)
			goto fail;
	}
	rc = 0;
	goto out;

fail:
	error = errno;
	dir_error(cause, error, from, nfrom, NULL);
out:
	error = errno;
	dir_loc_free(&lt);
	dir_loc_free(&lf);
	errno = error;
	return rc;
}

static int
dir_unlink(struct vol *vol, const char *const *comp, size_t ncomp,
    char **cause)
{
	struct dir_loc	loc;
	int		error, rc = 0;

	if (dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if (ncomp == 0)
		return dir_error(cause, EBUSY, comp, 0, "the volume root "
		    "cannot be deleted");
	if (dir_locate_existing(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (unlinkat(loc.dirfd, loc.name, S_ISDIR(loc.sb.st_mode) ?
	    AT_REMOVEDIR : 0) != 0) {
		error = errno;
		dir_error(cause, error, comp, ncomp, NULL);
		rc = -1;
	}
	error = errno;
	dir_loc_free(&loc);
	errno = error;
	return rc;
}

static int
dir_link(struct vol *vol, const char *const *from, size_t nfrom,
    const char *const *to, size_t nto, char **cause)
{
	struct dir_loc	lf, lt;
	int		rc = -1, error;

	if (dir_check_writable(vol, to, nto, cause) != 0)
		return -1;
	if (nto == 0)
		return dir_error(cause, EEXIST, to, 0, "the volume root");
	if (dir_check_name(to, nto, cause) != 0)
		return -1;
	if (dir_locate_existing(vol, from, nfrom, &lf, cause) != 0)
		return -1;
	if (S_ISDIR(lf.sb.st_mode)) {
		dir_loc_free(&lf);
		return dir_error(cause, EPERM, from, nfrom, "a directory: "
		    "only files have hard links");
	}
	if (dir_locate(vol, to, nto, &lt, cause) != 0) {
		dir_loc_free(&lf);
		return -1;
	}
	if (lt.exists)
		dir_error(cause, EEXIST, to, nto, "exists already");
	else if (linkat(lf.dirfd, lf.name, lt.dirfd, lt.name, 0) != 0)
		dir_error(cause, errno, to, nto, NULL);
	else
		rc = 0;
	error = errno;
	dir_loc_free(&lt);
	dir_loc_free(&lf);
	errno = error;
	return rc;
}

/* Open an existing file or directory for its xattrs. */
static int
dir_open_meta(struct vol *vol, const char *const *comp, size_t ncomp,
    char **cause)
{
	struct dir_loc	loc;
	int		fd;

	if (dir_locate_existing(vol, comp, ncomp, &loc, cause) != 0)
		return -1;
	if (!S_ISREG(loc.sb.st_mode) && !S_ISDIR(loc.sb.st_mode) &&
	    !S_ISLNK(loc.sb.st_mode)) {
		dir_loc_free(&loc);
		return dir_error(cause, EINVAL, comp, ncomp, "neither a file "
		    "nor a directory");
	}
	fd = dir_loc_open(&loc, O_RDONLY | O_NONBLOCK, comp, ncomp, cause);
	dir_loc_free(&loc);
	return fd;
}

static int
dir_xattr_error(struct vol *vol, int error, const char *attr,
    const char *const *comp, size_t ncomp, char **cause)
{
	char	*why;

	if (error != ENOTSUP && error != ENODATA)
		return dir_error(cause, error, comp, ncomp, NULL);
	why = xprintf("%s does not show NTFS metadata (no %s): mount the "
	    "volume with ntfs-3g, or give ntmend the partition device instead "
	    "of the directory", vol->name, attr);
	dir_error(cause, ENOTSUP, comp, ncomp, why);
	free(why);
	errno = ENOTSUP;
	return -1;
}

static int
dir_sd_get(struct vol *vol, const char *const *comp, size_t ncomp,
    void **sdp, size_t *lenp, char **cause)
{
	uint8_t	*sd = NULL;
	ssize_t	 n;
	int	 fd, error;

	if ((fd = dir_open_meta(vol, comp, ncomp, cause)) == -1)
		return -1;
	if ((n = fgetxattr(fd, XATTR_NTFS_ACL, NULL, 0)) == -1)
		goto fail;
	if (n == 0 || n > NTM_MAX_SD) {
		errno = EINVAL;
		dir_error(cause, EINVAL, comp, ncomp, "the security descriptor "
		    "has an impossible size");
		goto out;
	}
	sd = xmalloc((size_t)n);
	/* It may have changed between the two calls: ERANGE then. */
	if ((n = fgetxattr(fd, XATTR_NTFS_ACL, sd, (size_t)n)) == -1)
		goto fail;
	close(fd);
	*sdp = sd;
	*lenp = (size_t)n;
	return 0;

fail:
	error = errno;
	dir_xattr_error(vol, error, XATTR_NTFS_ACL, comp, ncomp, cause);
out:
	error = errno;
	free(sd);
	close(fd);
	errno = error;
	return -1;
}

static int
dir_sd_set(struct vol *vol, const char *const *comp, size_t ncomp,
    const void *sd, size_t len, char **cause)
{
	int	fd, error;

	if (dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if ((fd = dir_open_meta(vol, comp, ncomp, cause)) == -1)
		return -1;
	if (fsetxattr(fd, XATTR_NTFS_ACL, sd, len, 0) != 0) {
		error = errno;
		close(fd);
		return dir_xattr_error(vol, error, XATTR_NTFS_ACL, comp, ncomp,
		    cause);
	}
	close(fd);
	return 0;
}

static int
dir_attrs_set(struct vol *vol, const char *const *comp, size_t ncomp,
    uint32_t attrs, char **cause)
{
	uint8_t	b[4];
	uint32_t cur;
	int	fd, error;

	if (dir_check_writable(vol, comp, ncomp, cause) != 0)
		return -1;
	if (attrs & ~(uint32_t)DIR_ATTRS_SETTABLE)
		return dir_error(cause, EINVAL, comp, ncomp, "only the "
		    "read-only, hidden, system and archive attributes can be "
		    "set");
	if ((fd = dir_open_meta(vol, comp, ncomp, cause)) == -1)
		return -1;
	if (fgetxattr(fd, XATTR_NTFS_ATTRIB_BE, b, sizeof b) !=
	    (ssize_t)sizeof b)
		goto fail;
	cur = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3];
	cur = (cur & ~(uint32_t)DIR_ATTRS_SETTABLE) | attrs;
	b[0] = cur >> 24;
	b[1] = (cur >> 16) & 0xff;
	b[2] = (cur >> 8) & 0xff;
	b[3] = cur & 0xff;
	if (fsetxattr(fd, XATTR_NTFS_ATTRIB_BE, b, sizeof b, 0) != 0)
		goto fail;
	close(fd);
	return 0;

fail:
	error = errno;
	close(fd);
	return dir_xattr_error(vol, error, XATTR_NTFS_ATTRIB_BE, comp, ncomp,
	    cause);
}

static int
dir_sync(struct vol *vol, char **cause)
{
	struct dir_vol	*dv = vol->priv;

	if (syncfs(dv->rootfd) != 0)
		return set_cause(cause, "%s: sync: %s", vol->name,
		    strerror(errno));
	return 0;
}

static const struct vol_ops dir_ops = {
	.backend = "directory",
	.close = dir_close,
	.stat = dir_stat,
	.file_open = dir_file_open,
	.file_pread = dir_file_pread,
	.file_pwrite = dir_file_pwrite,
	.file_truncate = dir_file_truncate,
	.file_close = dir_file_close,
	.file_create = dir_file_create,
	.list = dir_list,
	.canonical = dir_canonical,
	.mkdir = dir_mkdir,
	.rename = dir_rename,
	.unlink = dir_unlink,
	.link = dir_link,
	.sd_get = dir_sd_get,
	.sd_set = dir_sd_set,
	.attrs_set = dir_attrs_set,
	.sync = dir_sync,
};

/* Delete hiberfil.sys: the operator chose to lose the saved session. */
static int
dir_discard_hiberfile(struct vol *vol, char **cause)
{
	const char	*comp[] = { "hiberfil.sys" };
	struct dir_loc	 loc;
	int		 error;

	if (dir_locate_existing(vol, comp, 1, &loc, cause) != 0)
		return -1;
	if (unlinkat(loc.dirfd, loc.name, 0) != 0) {
		error = errno;
		dir_loc_free(&loc);
		return dir_error(cause, error, comp, 1, NULL);
	}
	dir_loc_free(&loc);
	vol->state &= ~VOL_HIBERNATED;
	vol->hiber_sig[0] = '\0';
	return 0;
}

int
vol_dir_open(const struct vol_where *where, int flags, struct vol **vp,
    unsigned *state, char **cause)
{
	struct dir_vol	*dv;
	struct vol	*vol;
	struct statvfs	 sv;
	int		 fd, error;

	*vp = NULL;
	if (state != NULL)
		*state = 0;
	fd = open(where->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -1 || fstatvfs(fd, &sv) != 0) {
		error = errno;
		if (fd != -1)
			close(fd);
		set_cause(cause, "%s: %s: give the directory where the Windows "
		    "volume is mounted", where->path, strerror(error));
		errno = error;
		return -1;
	}

	dv = xcalloc(1, sizeof *dv);
	dv->rootfd = fd;
	dv->mount_ro = (sv.f_flag & ST_RDONLY) != 0;

	vol = xcalloc(1, sizeof *vol);
	vol->ops = &dir_ops;
	vol->priv = dv;
	vol->name = xstrdup(where->path);
	vol->label = xstrdup("");
	vol->total = (uint64_t)sv.f_blocks * sv.f_frsize;
	vol->free = (uint64_t)sv.f_bavail * sv.f_frsize;

	/* Whether the volume is dirty or BitLocker-backed cannot be seen
	 * through a mount: whatever mounted it had to deal with that. */
	vol_check_hiberfile(vol);
	if (!(flags & VOL_RDWR) || dv->mount_ro)
		vol->state |= VOL_READONLY;

	if (flags & VOL_RDWR) {
		if (dv->mount_ro) {
			set_cause(cause, "%s is mounted read-only: remount it "
			    "read-write (mount -o remount,rw %s) to change it",
			    where->path, where->path);
			errno = EROFS;
			goto refuse;
		}
		if ((vol->state & VOL_HIBERNATED) &&
		    !(flags & VOL_DISCARD_HIBERNATION)) {
			set_cause(cause, "%s is hibernated (hiberfil.sys "
			    "begins %s: hibernation or Fast Startup): boot "
			    "Windows and shut it down fully (shutdown /s /t 0), "
			    "or discard the saved session with "
			    "--remove-hiberfile", where->path, vol->hiber_sig);
			errno = EBUSY;
			goto refuse;
		}
		if ((vol->state & VOL_HIBERNATED) &&
		    dir_discard_hiberfile(vol, cause) != 0)
			goto refuse;
		vol->writable = 1;
	}
	if (state != NULL)
		*state = vol->state;
	*vp = vol;
	return 0;

refuse:
	error = errno;
	if (state != NULL)
		*state = vol->state;
	vol_close(vol);
	errno = error;
	return -1;
}
