/*
 * vol_images.h: disk images for the volume layer's tests (test_probe,
 * test_target, test_dirvol): each test gets a fresh temp directory, and
 * images are built there with the real tools (sfdisk, mkntfs, mkfs.vfat,
 * dd), each filesystem in its own file and then copied into place, the
 * way a technician's disk looks after Windows Setup.
 *
 * Include after <cmocka.h>. Everything is static inline so that each test
 * program uses what it needs without unused-function warnings. Temp
 * directories and shell commands are testlib.h's.
 */
#ifndef NTM_TESTS_VOL_IMAGES_H
#define NTM_TESTS_VOL_IMAGES_H

#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <linux/loop.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

#include "testlib.h"

#define MIB	(1024ULL * 1024)

/* GPT type GUIDs Windows Setup uses. */
#define GUID_ESP	"C12A7328-F81F-11D2-BA4B-00A0C93EC93B"
#define GUID_MSR	"E3C9E316-0B5C-4DB8-817D-F92DF00215AE"
#define GUID_BASIC	"EBD0A0A2-B9E5-4433-87C0-68B6B72699C7"
#define GUID_WINRE	"DE94BBA4-06D1-4D40-A16A-BFD50179D6AC"

struct vt {
	char	*dir;		/* fresh temp directory of this test */
	char	*mnt;		/* FUSE mount point to undo, or NULL */
	char	*loop;		/* loop device attached by vt_loop, or NULL */
	int	 loopfd;	/* held open: closing it detaches */
};

/* Shell commands are testlib.h's (quiet unless they fail); vt is the
 * test's, kept in the calls for the tests written with it. */
#define vt_sh_status(vt, ...)	((void)(vt), tl_sh_status(__VA_ARGS__))
#define vt_sh(vt, ...)		((void)(vt), tl_sh_ok(__VA_ARGS__))
#define vt_sh_out(vt, ...)	((void)(vt), tl_sh(__VA_ARGS__))

static inline char *
vt_path(struct vt *vt, const char *name)
{
	return tl_path(vt->dir, name);
}

static inline int
vt_setup(void **state)
{
	struct vt	*vt;

	vt = xcalloc(1, sizeof *vt);
	vt->dir = tl_tmpdir();
	vt->loopfd = -1;
	*state = vt;
	return 0;
}

/* Unmount what vt_fuse_mount mounted. Returns fusermount's exit status
 * (0: cleanly unmounted; otherwise it is lazily detached). */
static inline int
vt_umount(struct vt *vt)
{
	int	st;

	if (vt->mnt == NULL)
		return 0;
	if ((st = vt_sh_status(vt, "fusermount -u '%s'", vt->mnt)) != 0)
		vt_sh_status(vt, "umount -l '%s'", vt->mnt);
	free(vt->mnt);
	vt->mnt = NULL;
	return st;
}

static inline int
vt_teardown(void **state)
{
	struct vt	*vt = *state;

	vt_umount(vt);
	if (vt->loopfd != -1)
		close(vt->loopfd);
	free(vt->loop);
	tmpdir_remove(vt->dir);
	free(vt->dir);
	free(vt);
	return 0;
}

/*
 * Attach an image read-only to a free loop device (replacing one attached
 * before). The device is set to clear itself when its last descriptor
 * closes and the test holds that descriptor, so the kernel detaches it
 * even when the test program dies. Returns 0, or -1 when loop devices
 * cannot be used here (not root): the caller skips.
 */
static inline int
vt_loop(struct vt *vt, const char *img)
{
	struct loop_info64	 li;
	int			 ctl, n, lfd = -1, fd, tries;

	if (vt->loopfd != -1) {
		close(vt->loopfd);
		vt->loopfd = -1;
		free(vt->loop);
		vt->loop = NULL;
	}
	if ((ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC)) == -1)
		return -1;
	assert_true((fd = open(img, O_RDONLY | O_CLOEXEC)) != -1);
	/* Other tests may take the same free device between the two
	 * calls: EBUSY, try the next one. */
	for (tries = 0; tries < 16; tries++) {
		assert_true((n = ioctl(ctl, LOOP_CTL_GET_FREE)) >= 0);
		free(vt->loop);
		vt->loop = xprintf("/dev/loop%d", n);
		if ((lfd = open(vt->loop, O_RDONLY | O_CLOEXEC)) == -1)
			fail_msg("%s: %s", vt->loop, strerror(errno));
		if (ioctl(lfd, LOOP_SET_FD, fd) == 0)
			break;
		if (errno != EBUSY)
			fail_msg("LOOP_SET_FD %s: %s", vt->loop,
			    strerror(errno));
		close(lfd);
		lfd = -1;
	}
	assert_true(lfd != -1);
	close(fd);
	close(ctl);
	vt->loopfd = lfd;
	memset(&li, 0, sizeof li);
	li.lo_flags = LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR;
	snprintf((char *)li.lo_file_name, sizeof li.lo_file_name, "%s", img);
	if (ioctl(lfd, LOOP_SET_STATUS64, &li) != 0)
		fail_msg("LOOP_SET_STATUS64 %s: %s", vt->loop,
		    strerror(errno));
	return 0;
}

/* A file of mib MiB with an NTFS filesystem; returns its path. */
static inline char *
vt_mkntfs(struct vt *vt, const char *name, unsigned mib, const char *label)
{
	char	*p = vt_path(vt, name);

	vt_sh(vt, "truncate -s %uM '%s' && mkntfs -F -Q -L '%s' '%s'", mib, p,
	    label, p);
	return p;
}

/* Set the volume serial (boot sector 0x48, what blkid calls UUID). */
static inline void
vt_ntfs_serial(const char *path, uint64_t serial)
{
	uint8_t	 b[8];
	FILE	*f;

	le64enc(b, serial);
	assert_non_null(f = fopen(path, "r+"));
	assert_int_equal(fseek(f, 0x48, SEEK_SET), 0);
	assert_int_equal(fwrite(b, sizeof b, 1, f), 1);
	assert_int_equal(fclose(f), 0);
}

/* A file with a FAT filesystem (volume id given, as "1234ABCD"). */
static inline char *
vt_mkvfat(struct vt *vt, const char *name, unsigned mib, const char *label,
    const char *id)
{
	char	*p = vt_path(vt, name);

	vt_sh(vt, "truncate -s %uM '%s' && mkfs.vfat -n '%s' -i %s '%s'", mib,
	    p, label, id, p);
	return p;
}

/* Copy a filesystem file into an image at a MiB-aligned offset. */
static inline void
vt_place(struct vt *vt, const char *img, const char *fs, uint64_t offset)
{
	assert_int_equal(offset % MIB, 0);
	vt_sh(vt, "dd if='%s' of='%s' bs=1M seek=%llu conv=notrunc "
	    "status=none", fs, img, (unsigned long long)(offset / MIB));
}

/* An image of mib MiB partitioned by an sfdisk script. */
static inline char *
vt_mkdisk(struct vt *vt, const char *name, unsigned mib, const char *script)
{
	char	*p = vt_path(vt, name), *s = vt_path(vt, ".sfdisk");

	assert_int_equal(file_write_all(s, script, strlen(script), NULL), 0);
	vt_sh(vt, "truncate -s %uM '%s' && sfdisk -q '%s' <'%s'", mib, p, p,
	    s);
	unlink(s);
	free(s);
	return p;
}

/*
 * A BitLocker boot sector as Windows 7 and later write it: jump EB 58 90,
 * "-FVE-FS-", the BitLocker GUID at 160 and at 176 the offset of the
 * first FVE metadata block, which begins "-FVE-FS-" too. With full=0 the
 * metadata offset is zero: what a volume whose boot sector was partly
 * overwritten still shows, and libblkid's prober rejects.
 */
static inline char *
vt_mkbitlocker(struct vt *vt, const char *name, unsigned mib, int full)
{
	static const uint8_t guid[16] = {	/* 4967D63B-2E29-4AD8-... */
		0x3b, 0xd6, 0x67, 0x49, 0x29, 0x2e, 0xd8, 0x4a,
		0x83, 0x99, 0xf6, 0xa3, 0x39, 0xe3, 0xd0, 0x01
	};
	uint8_t	 bs[512], fve[64];
	char	*p = vt_path(vt, name);
	FILE	*f;

	memset(bs, 0, sizeof bs);
	memcpy(bs, "\xeb\x58\x90", 3);
	memcpy(bs + 3, "-FVE-FS-", 8);
	le16enc(bs + 11, 512);		/* bytes per sector */
	bs[13] = 8;			/* sectors per cluster */
	bs[21] = 0xf8;			/* media: fixed disk */
	if (full) {
		memcpy(bs + 71, "NO NAME    ", 11);
		memcpy(bs + 82, "FAT32   ", 8);
		memcpy(bs + 160, guid, sizeof guid);
		le64enc(bs + 176, 1 * MIB);
	}
	bs[510] = 0x55;
	bs[511] = 0xaa;

	memset(fve, 0, sizeof fve);
	memcpy(fve, "-FVE-FS-", 8);
	le16enc(fve + 8, 64);		/* block size */
	le16enc(fve + 10, 2);		/* version: Windows 7 and later */

	vt_sh(vt, "truncate -s %uM '%s'", mib, p);
	assert_non_null(f = fopen(p, "r+"));
	assert_int_equal(fwrite(bs, sizeof bs, 1, f), 1);
	if (full) {
		assert_int_equal(fseek(f, (long)MIB, SEEK_SET), 0);
		assert_int_equal(fwrite(fve, sizeof fve, 1, f), 1);
	}
	assert_int_equal(fclose(f), 0);
	return p;
}

/* Mount an NTFS filesystem file with ntfs-3g FUSE and its options ("-o
 * ro"); vt_teardown unmounts it whatever happens to the test. (ntfs-3g
 * ignores an offset= option: a partition inside a disk image needs a loop
 * device.) */
static inline char *
vt_fuse_mount_opts(struct vt *vt, const char *fs, const char *opts)
{
	assert_null(vt->mnt);
	vt->mnt = vt_path(vt, "mnt");
	vt_sh(vt, "mkdir -p '%s' && ntfs-3g %s '%s' '%s'", vt->mnt, opts, fs,
	    vt->mnt);
	return vt->mnt;
}

/* The same, read-write. */
static inline char *
vt_fuse_mount(struct vt *vt, const char *fs)
{
	return vt_fuse_mount_opts(vt, fs, "");
}

/* Put Windows\System32\config\SYSTEM (a few bytes: only its name
 * matters to target resolution) on an NTFS filesystem file. */
static inline void
vt_put_windows(struct vt *vt, const char *fs)
{
	char	*m = vt_fuse_mount(vt, fs);

	vt_sh(vt, "mkdir -p '%s/Windows/System32/config' && "
	    "printf regf >'%s/Windows/System32/config/SYSTEM'", m, m);
	vt_umount(vt);
}

#endif
