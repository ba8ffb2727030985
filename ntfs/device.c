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
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/fs.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/device.h>

#include "ntfs/private.h"
#include "util/util.h"

/*
 * libntfs-3g reads the same few blocks over and over: each file created
 * in a directory reads its index blocks and MFT records again, some 20
 * small reads a file (415,000 for the 20,000 of a golden apply, a tenth
 * of its time in system calls). Small reads are served from a cache of
 * the device's 4 KiB pages. Writes go to the device as before, at once
 * and in order (what is on the disk after a kill is what was written,
 * as without the cache), and update the pages they cover. Bounded
 * (8 MiB; a page not read for a while goes), and only what is read
 * takes memory.
 */
#define VDC_SHIFT	12
#define VDC_PAGE	((size_t)1 << VDC_SHIFT)
#define VDC_PAGES	2048
#define VDC_BUCKETS	8192		/* a power of two */
#define VDC_SMALL	(2 * VDC_PAGE)	/* larger reads go to the device */

struct vdc {
	uint8_t		*mem;		/* VDC_PAGES pages, mapped lazily */
	uint64_t	 pn[VDC_PAGES];	/* page number of each slot */
	int32_t		 next[VDC_PAGES];	/* hash chains */
	uint8_t		 ref[VDC_PAGES];	/* read since the hand passed */
	int32_t		 bucket[VDC_BUCKETS];
	uint32_t	 used, hand;
};

struct vol_dev {
	char		*path;
	int		 fd;
	int		 rdwr;		/* writing allowed at all */
	int		 writable;	/* this open is read-write */
	uint64_t	 offset;	/* region in the file */
	uint64_t	 size;		/* asked for; 0: to the end */
	uint64_t	 len;		/* the region's length once open */
	uint64_t	 pos;		/* for seek/read/write */
	/* The writeback starter (vol_dev_kick). */
	pthread_t	 kicker;
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 kicking;	/* the thread runs */
	int		 kick, stop;
	uint64_t	 unsent;	/* bytes written since the last kick */
	struct vdc	*cache;		/* or NULL */
};

/*
 * Writeback is started every VOL_DEV_KICK bytes written, so that the disk
 * works while ntmend does: otherwise the closing fsync of a golden apply
 * (a gigabyte) waits for all of it at once, some 0.4 s of an apply of
 * 2.5 s here. Started from a thread of its own, because starting it
 * blocks while the disk's queue is full. It only starts I/O: what is
 * durable is still what a sync made durable.
 */
#define VOL_DEV_KICK	((uint64_t)32 << 20)

static void *
vol_dev_kicker(void *arg)
{
	struct vol_dev	*d = arg;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->kick && !d->stop)
			pthread_cond_wait(&d->cond, &d->lock);
		if (d->stop)
			break;
		d->kick = 0;
		pthread_mutex_unlock(&d->lock);
		(void)sync_file_range(d->fd, 0, 0, SYNC_FILE_RANGE_WRITE);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

static void
vol_dev_kick(struct vol_dev *d, size_t n)
{
	if ((d->unsent += n) < VOL_DEV_KICK)
		return;
	d->unsent = 0;
	if (!d->kicking) {
		d->stop = d->kick = 0;
		if (pthread_create(&d->kicker, NULL, vol_dev_kicker, d) != 0)
			return;
		d->kicking = 1;
	}
	pthread_mutex_lock(&d->lock);
	d->kick = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
}

static void
vol_dev_kick_stop(struct vol_dev *d)
{
	if (!d->kicking)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = 1;
	pthread_cond_signal(&d->cond);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->kicker, NULL);
	d->kicking = 0;
	d->unsent = 0;
}

static struct vdc *
vdc_new(void)
{
	struct vdc	*c;

	c = xcalloc(1, sizeof *c);
	c->mem = mmap(NULL, VDC_PAGES * VDC_PAGE, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (c->mem == MAP_FAILED) {
		free(c);
		return NULL;
	}
	memset(c->bucket, 0xff, sizeof c->bucket);
	return c;
}

static void
vdc_free(struct vdc *c)
{
	if (c == NULL)
		return;
	munmap(c->mem, VDC_PAGES * VDC_PAGE);
	free(c);
}

static uint32_t
vdc_hash(uint64_t pn)
{
	return (uint32_t)((pn * 0x9e3779b97f4a7c15ull) >> 40) &
	    (VDC_BUCKETS - 1);
}

static int32_t
vdc_find(struct vdc *c, uint64_t pn)
{
	int32_t	i;

	for (i = c->bucket[vdc_hash(pn)]; i != -1; i = c->next[i]) {
		if (c->pn[i] == pn)
			return i;
	}
	return -1;
}

/* A slot for page pn, not in the cache yet: a free one, or the clock
 * hand's next page not read since it last passed. */
static int32_t
vdc_take(struct vdc *c, uint64_t pn)
{
	int32_t	 i, *pp;

	if (c->used < VDC_PAGES)
		i = (int32_t)c->used++;
	else {
		while (c->ref[c->hand]) {
			c->ref[c->hand] = 0;
			c->hand = (c->hand + 1) % VDC_PAGES;
		}
		i = (int32_t)c->hand;
		c->hand = (c->hand + 1) % VDC_PAGES;
		for (pp = &c->bucket[vdc_hash(c->pn[i])]; *pp != i;
		    pp = &c->next[*pp])
			;
		*pp = c->next[i];
	}
	c->pn[i] = pn;
	c->ref[i] = 1;
	c->next[i] = c->bucket[vdc_hash(pn)];
	c->bucket[vdc_hash(pn)] = i;
	return i;
}

static void
vdc_drop(struct vdc *c, int32_t i)
{
	int32_t	*pp;

	for (pp = &c->bucket[vdc_hash(c->pn[i])]; *pp != i;
	    pp = &c->next[*pp])
		;
	*pp = c->next[i];
	c->pn[i] = UINT64_MAX;
	c->next[i] = -1;
	c->ref[i] = 0;
}

static ssize_t vol_dev_read_at(struct vol_dev *, void *, size_t, uint64_t);

/* Page pn of the region, read from the device if not cached; NULL if it
 * cannot be read. Bytes past the region's end read as zeros. */
static const uint8_t *
vdc_page(struct vol_dev *d, uint64_t pn)
{
	struct vdc	*c = d->cache;
	uint64_t	 off = pn << VDC_SHIFT;
	uint8_t		*p;
	size_t		 want;
	ssize_t		 r;
	int32_t		 i;

	if ((i = vdc_find(c, pn)) != -1) {
		c->ref[i] = 1;
		return c->mem + (size_t)i * VDC_PAGE;
	}
	i = vdc_take(c, pn);
	p = c->mem + (size_t)i * VDC_PAGE;
	want = d->len - off < VDC_PAGE ? (size_t)(d->len - off) : VDC_PAGE;
	if ((r = vol_dev_read_at(d, p, want, off)) != (ssize_t)want) {
		vdc_drop(c, i);
		return NULL;
	}
	memset(p + want, 0, VDC_PAGE - want);
	return p;
}

/* Written bytes go into the pages they cover that are cached. */
static void
vdc_written(struct vdc *c, const uint8_t *buf, size_t n, uint64_t off)
{
	uint64_t	pn, end = off + n;
	size_t		at, len;
	int32_t		i;

	for (pn = off >> VDC_SHIFT; pn << VDC_SHIFT < end; pn++) {
		if ((i = vdc_find(c, pn)) == -1)
			continue;
		at = off > pn << VDC_SHIFT ? (size_t)(off - (pn << VDC_SHIFT)) :
		    0;
		len = (size_t)((end < (pn + 1) << VDC_SHIFT ? end :
		    (pn + 1) << VDC_SHIFT) - ((pn << VDC_SHIFT) + at));
		memcpy(c->mem + (size_t)i * VDC_PAGE + at,
		    buf + ((pn << VDC_SHIFT) + at - off), len);
	}
}

/* n bytes at off of the region from the device (already clamped). */
static ssize_t
vol_dev_read_at(struct vol_dev *d, void *buf, size_t n, uint64_t off)
{
	size_t	done = 0;
	ssize_t	r;

	while (done < n) {
		r = pread(d->fd, (uint8_t *)buf + done, n - done,
		    (off_t)(d->offset + off + done));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return done > 0 ? (ssize_t)done : -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

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
	d->cache = vdc_new();
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
	vol_dev_kick_stop(d);
	if (d->writable && fsync(d->fd) == -1)
		r = -1;
	if (close(d->fd) == -1)
		r = -1;
	d->fd = -1;
	vdc_free(d->cache);
	d->cache = NULL;
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
	const uint8_t	*page;
	uint64_t	 pos;
	size_t		 n, at, len, done = 0;

	if (off < 0 || count < 0) {
		errno = EINVAL;
		return -1;
	}
	n = vol_dev_clamp(d, count, off);
	if (d->cache == NULL || n > VDC_SMALL)
		return (s64)vol_dev_read_at(d, buf, n, (uint64_t)off);
	while (done < n) {
		pos = (uint64_t)off + done;
		if ((page = vdc_page(d, pos >> VDC_SHIFT)) == NULL)
			return (s64)vol_dev_read_at(d, buf, n, (uint64_t)off);
		at = (size_t)(pos & (VDC_PAGE - 1));
		len = VDC_PAGE - at < n - done ? VDC_PAGE - at : n - done;
		memcpy((uint8_t *)buf + done, page + at, len);
		done += len;
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
	if (d->cache != NULL)
		vdc_written(d->cache, buf, done, (uint64_t)off);
	vol_dev_kick(d, done);
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
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->cond, NULL);
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
	vol_dev_kick_stop(d);
	if (d->fd != -1)
		close(d->fd);
	vdc_free(d->cache);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->cond);
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
