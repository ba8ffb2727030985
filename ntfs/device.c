/*
 * device.c: libntfs-3g device operations for a byte range of a file or a
 * block device: the partition inside a disk image or a whole-disk device
 * ("disk.img@3"). libntfs-3g's own unix_io reaches only a whole file, and
 * a loop device would need root; this wrapper adds the partition offset to
 * every access and refuses anything outside [offset, offset + size).
 *
 * A device made without rdwr never writes: it opens the file O_RDONLY
 * whatever libntfs-3g asks for, and its write operations fail with EROFS,
 * because libntfs-3g tries to write on some read-only paths (logfile reset,
 * volume flags) and ntmend's diagnose promises not a byte.
 */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/device.h>

#include "ntfs/private.h"
#include "util/util.h"

struct vol_dev {
	char		*path;
	int		 fd;
	int		 rdwr;		/* writing allowed at all */
	int		 writable;	/* this open is read-write */
	uint64_t	 offset;	/* region in the file */
	uint64_t	 size;		/* asked for; 0: to the end */
	uint64_t	 len;		/* the region's length once open */
	uint64_t	 pos;		/* for seek/read/write */
};

static int
vol_dev_open(struct ntfs_device *dev, int flags)
{
	struct vol_dev	*d = dev->d_private;
	struct stat	 sb;
	struct flock	 fl;
	uint64_t	 total;
	int		 oflags, fd, e;

	if (NDevOpen(dev)) {
		errno = EBUSY;
		return -1;
	}
	d->writable = d->rdwr && (flags & O_ACCMODE) != O_RDONLY;
	oflags = (d->writable ? O_RDWR : O_RDONLY) | O_CLOEXEC;
	if ((fd = open(d->path, oflags)) == -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto fail;
	if (S_ISBLK(sb.st_mode)) {
		/*
		 * A block device the kernel has mounted must not be written
		 * behind its back: O_EXCL on a block device fails with EBUSY
		 * while it is mounted (open(2)).
		 */
		if (d->writable) {
			close(fd);
			if ((fd = open(d->path, oflags | O_EXCL)) == -1)
				return -1;
		}
		if (ioctl(fd, BLKGETSIZE64, &total) == -1)
			goto fail;
		NDevSetBlock(dev);
	} else if (S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	else {
		errno = ENODEV;
		goto fail;
	}
	if (d->offset > total ||
	    (d->size != 0 && d->size > total - d->offset)) {
		/* A truncated image: the partition table says more. */
		errno = ENXIO;
		goto fail;
	}
	d->len = d->size != 0 ? d->size : total - d->offset;

	/*
	 * Two writers on one volume corrupt it; take the same kind of lock
	 * ntfs-3g's unix_io takes, but per open file description so that a
	 * second open in this process does not drop it.
	 */
	memset(&fl, 0, sizeof fl);
	fl.l_type = d->writable ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(fd, F_OFD_SETLK, &fl) == -1) {
		if (errno == EACCES || errno == EAGAIN)
			errno = EBUSY;
		goto fail;
	}

	d->fd = fd;
	d->pos = 0;
	if (!d->writable)
		NDevSetReadOnly(dev);
	else
		NDevClearReadOnly(dev);
	NDevSetOpen(dev);
	return 0;

fail:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static int
vol_dev_close(struct ntfs_device *dev)
{
	struct vol_dev	*d = dev->d_private;
	int		 r = 0;

	if (!NDevOpen(dev)) {
		errno = EBADF;
		return -1;
	}
	if (d->writable && fsync(d->fd) == -1)
		r = -1;
	if (close(d->fd) == -1)
		r = -1;
	d->fd = -1;
	NDevClearOpen(dev);
	return r;
}

static s64
vol_dev_seek(struct ntfs_device *dev, s64 offset, int whence)
{
	struct vol_dev	*d = dev->d_private;
	int64_t		 base;

	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)d->pos;
		break;
	case SEEK_END:
		base = (int64_t)d->len;
		break;
	default:
		errno = EINVAL;
		return -1;
	}
	if (offset < -base || base + offset > (int64_t)d->len) {
		errno = EINVAL;
		return -1;
	}
	d->pos = (uint64_t)(base + offset);
	return (s64)d->pos;
}

/* Clamp [off, off + count) to the region; 0 at or past its end. */
static size_t
vol_dev_clamp(struct vol_dev *d, s64 count, s64 off)
{
	if (off < 0 || count < 0 || (uint64_t)off >= d->len)
		return 0;
	if ((uint64_t)count > d->len - (uint64_t)off)
		return (size_t)(d->len - (uint64_t)off);
	return (size_t)count;
}

static s64
vol_dev_pread(struct ntfs_device *dev, void *buf, s64 count, s64 off)
{
	struct vol_dev	*d = dev->d_private;
	size_t		 n, done = 0;
	ssize_t		 r;

	if (off < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	n = vol_dev_clamp(d, count, off);
	while (done < n) {
		r = pread(d->fd, (uint8_t *)buf + done, n - done,
		    (off_t)(d->offset + (uint64_t)off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return done > 0 ? (s64)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (s64)done;
}

static s64
vol_dev_pwrite(struct ntfs_device *dev, const void *buf, s64 count, s64 off)
{
	struct vol_dev	*d = dev->d_private;
	size_t		 n, done = 0;
	ssize_t		 r;

	if (!d->writable || NDevReadOnly(dev)) {
		errno = EROFS;
		return -1;
	}
	if (off < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	n = vol_dev_clamp(d, count, off);
	if (n == 0 && count > 0) {
		errno = ENOSPC;
		return -1;
	}
	while (done < n) {
		r = pwrite(d->fd, (const uint8_t *)buf + done, n - done,
		    (off_t)(d->offset + (uint64_t)off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return done > 0 ? (s64)done : -1;
		done += (size_t)r;
	}
	NDevSetDirty(dev);
	return (s64)done;
}

static s64
vol_dev_read(struct ntfs_device *dev, void *buf, s64 count)
{
	struct vol_dev	*d = dev->d_private;
	s64		 r;

	r = vol_dev_pread(dev, buf, count, (s64)d->pos);
	if (r > 0)
		d->pos += (uint64_t)r;
	return r;
}

static s64
vol_dev_write(struct ntfs_device *dev, const void *buf, s64 count)
{
	struct vol_dev	*d = dev->d_private;
	s64		 r;

	r = vol_dev_pwrite(dev, buf, count, (s64)d->pos);
	if (r > 0)
		d->pos += (uint64_t)r;
	return r;
}

static int
vol_dev_sync(struct ntfs_device *dev)
{
	struct vol_dev	*d = dev->d_private;

	if (!d->writable || !NDevDirty(dev))
		return 0;
	if (fsync(d->fd) == -1)
		return -1;
	NDevClearDirty(dev);
	return 0;
}

static int
vol_dev_stat(struct ntfs_device *dev, struct stat *sb)
{
	struct vol_dev	*d = dev->d_private;

	if (fstat(d->fd, sb) == -1)
		return -1;
	sb->st_size = (off_t)d->len;
	return 0;
}

static int
vol_dev_ioctl(struct ntfs_device *dev, unsigned long request, void *argp)
{
	struct vol_dev	*d = dev->d_private;

	/*
	 * Only what libntfs-3g asks to size the volume; anything else (a
	 * discard, a geometry) would reach the whole disk, not the
	 * partition.
	 */
	switch (request) {
	case BLKGETSIZE64:
		*(uint64_t *)argp = d->len;
		return 0;
	case BLKGETSIZE:
		*(unsigned long *)argp = (unsigned long)(d->len >> 9);
		return 0;
	case BLKSSZGET:
		if (NDevBlock(dev))
			return ioctl(d->fd, BLKSSZGET, argp);
		*(int *)argp = 512;
		return 0;
	case BLKBSZSET:
		return 0;
	}
	errno = ENOTTY;
	return -1;
}

static struct ntfs_device_operations vol_dev_ops = {
	.open = vol_dev_open,
	.close = vol_dev_close,
	.seek = vol_dev_seek,
	.read = vol_dev_read,
	.write = vol_dev_write,
	.pread = vol_dev_pread,
	.pwrite = vol_dev_pwrite,
	.sync = vol_dev_sync,
	.stat = vol_dev_stat,
	.ioctl = vol_dev_ioctl,
};

struct ntfs_device *
vol_device_new(const char *path, uint64_t offset, uint64_t size, int rdwr)
{
	struct ntfs_device	*dev;
	struct vol_dev		*d;

	d = xcalloc(1, sizeof *d);
	d->path = xstrdup(path);
	d->fd = -1;
	d->rdwr = rdwr;
	d->offset = offset;
	d->size = size;
	dev = ntfs_device_alloc(path, 0, &vol_dev_ops, d);
	if (dev == NULL)
		fatal("ntfs_device_alloc: %s", strerror(errno));
	return dev;
}

void
vol_device_free_data(void *data)
{
	struct vol_dev	*d = data;

	if (d == NULL)
		return;
	if (d->fd != -1)
		close(d->fd);
	free(d->path);
	free(d);
}

void
vol_device_free(struct ntfs_device *dev)
{
	void	*data;

	if (dev == NULL)
		return;
	if (NDevOpen(dev))
		vol_dev_close(dev);
	data = dev->d_private;
	ntfs_device_free(dev);
	vol_device_free_data(data);
}

int
vol_device_peek(struct ntfs_device *dev, void *buf, size_t len,
    uint64_t off)
{
	s64	r;
	int	e;

	if (vol_dev_open(dev, O_RDONLY) == -1)
		return -1;
	r = vol_dev_pread(dev, buf, (s64)len, (s64)off);
	e = errno;
	vol_dev_close(dev);
	errno = e;
	if (r < 0)
		return -1;
	return (int)r;
}
