/*
 * test_target.c: vol_target_resolve on disk images laid out as Windows
 * Setup lays out disks, and vol_is_windows. The Windows partition is
 * whichever NTFS volume got Windows\System32\config\SYSTEM (written
 * through an ntfs-3g mount of the filesystem file before it was copied
 * into the disk image).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

#include "vol_images.h"

/* Partition layout of the test disks: 1 MiB-aligned, 150 MiB. */
#define P1	(1 * MIB)	/* 32 MiB */
#define P2	(33 * MIB)	/* 16 MiB */
#define P3	(49 * MIB)	/* 64 MiB */
#define P4	(113 * MIB)	/* 32 MiB */

static const char gpt4[] =
    "label: gpt\n"
    "start=1MiB, size=32MiB, type=" GUID_ESP "\n"
    "size=16MiB, type=" GUID_MSR "\n"
    "size=64MiB, type=" GUID_BASIC "\n"
    "size=32MiB, type=" GUID_WINRE "\n";

/*
 * A disk: ESP (vfat), MSR, partition 3 and partition 4 as given:
 * "windows" (NTFS with the SYSTEM hive), "ntfs" (NTFS without it),
 * "bitlocker" (a locked volume's boot sector) or NULL (nothing).
 */
static char *
make_disk(struct vt *vt, const char *name, const char *p3, const char *p4)
{
	const char	*kind[2] = { p3, p4 };
	uint64_t	 off[2] = { P3, P4 };
	unsigned	 mib[2] = { 64, 32 };
	char		*img, *fs, *fsname;
	int		 i;

	img = vt_mkdisk(vt, name, 150, gpt4);
	fs = vt_mkvfat(vt, "esp", 32, "SYSTEM", "1234ABCD");
	vt_place(vt, img, fs, P1);
	free(fs);
	for (i = 0; i < 2; i++) {
		if (kind[i] == NULL)
			continue;
		fsname = xprintf("fs%d", i + 3);
		if (strcmp(kind[i], "bitlocker") == 0)
			fs = vt_mkbitlocker(vt, fsname, mib[i], 1);
		else {
			fs = vt_mkntfs(vt, fsname, mib[i], i == 0 ? "Windows" :
			    "Recovery");
			if (strcmp(kind[i], "windows") == 0)
				vt_put_windows(vt, fs);
		}
		vt_place(vt, img, fs, off[i]);
		unlink(fs);
		free(fs);
		free(fsname);
	}
	return img;
}

static void
assert_contains(const char *text, const char *want)
{
	if (text == NULL)
		fail_msg("no cause, wanted one containing \"%s\"", want);
	if (strstr(text, want) == NULL)
		fail_msg("\"%s\" does not contain \"%s\"", text, want);
}

static void
assert_one_line(const char *text)
{
	assert_non_null(text);
	assert_null(strchr(text, '\n'));
}

/* Open where it points and ask vol_is_windows. */
static int
where_is_windows(const struct vol_where *w)
{
	struct vol	*vol;
	char		*cause = NULL;
	int		 r;

	if (vol_open(w, VOL_RDONLY, &vol, NULL, &cause) != 0)
		fail_msg("vol_open: %s", cause);
	r = vol_is_windows(vol);
	vol_close(vol);
	return r;
}

/* The one Windows partition of a disk image is found by itself. */
static void
test_target_one_windows(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *cause = NULL;

	img = make_disk(vt, "disk.img", "windows", "ntfs");
	if (vol_target_resolve(img, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, img);
	assert_int_equal(w.index, 3);
	assert_int_equal(w.offset, P3);
	assert_int_equal(w.size, 64 * MIB);
	assert_false(w.is_dir);
	assert_int_equal(where_is_windows(&w), 1);
	vol_where_free(&w);
	assert_null(w.path);
	free(img);
}

/* IMAGE@N picks partition N, Windows or not; a number that is not there
 * is refused with the partitions that are. */
static void
test_target_at_n(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *spec, *cause = NULL;

	img = make_disk(vt, "disk.img", "windows", "ntfs");
	spec = xprintf("%s@4", img);
	if (vol_target_resolve(spec, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, img);
	assert_int_equal(w.index, 4);
	assert_int_equal(w.offset, P4);
	assert_int_equal(w.size, 32 * MIB);
	assert_int_equal(where_is_windows(&w), 0);
	vol_where_free(&w);
	free(spec);

	spec = xprintf("%s@9", img);
	assert_int_equal(vol_target_resolve(spec, &w, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_null(w.path);
	assert_one_line(cause);
	assert_contains(cause, "no partition 9");
	assert_contains(cause, "1 vfat \"SYSTEM\"");
	assert_contains(cause, "2 (no filesystem)");
	assert_contains(cause, "3 ntfs \"Windows\"");
	assert_contains(cause, "4 ntfs \"Recovery\"");
	assert_contains(cause, "@N");
	free(cause);
	cause = NULL;
	free(spec);

	spec = xprintf("%s@0", img);
	assert_int_equal(vol_target_resolve(spec, &w, &cause), -1);
	assert_contains(cause, "no partition 0");
	free(cause);
	free(spec);
	free(img);
}

/* Two Windows installations: refused, naming both and how to choose. */
static void
test_target_two_windows(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *want, *cause = NULL;

	img = make_disk(vt, "disk.img", "windows", "windows");
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_null(w.path);
	assert_one_line(cause);
	assert_contains(cause, "2 Windows installations");
	want = xprintf("%s@3 (ntfs \"Windows\"", img);
	assert_contains(cause, want);
	free(want);
	want = xprintf("%s@4 (ntfs \"Recovery\"", img);
	assert_contains(cause, want);
	free(want);
	want = xprintf("-t %s@N", img);
	assert_contains(cause, want);
	free(want);
	free(cause);
	free(img);
}

/* No Windows, but a locked BitLocker partition that may hold it: the
 * cause lists every partition and says how to unlock. */
static void
test_target_none_bitlocker(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *cause = NULL, *want;

	img = make_disk(vt, "disk.img", "bitlocker", "ntfs");
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_one_line(cause);
	assert_contains(cause, "no Windows installation");
	assert_contains(cause, "gpt partitions: 1 vfat \"SYSTEM\" 32 MiB, "
	    "2 (no filesystem) 16 MiB, 3 BitLocker 64 MiB, "
	    "4 ntfs \"Recovery\" 32 MiB");
	assert_contains(cause, "partition 3 is BitLocker-encrypted");
	want = xprintf("losetup -P -f --show %s", img);
	assert_contains(cause, want);
	free(want);
	assert_contains(cause, "cryptsetup bitlkOpen /dev/loopXp3");
	assert_contains(cause, "-t /dev/mapper/");
	free(cause);
	cause = NULL;

	/* Without BitLocker nothing is said about it. */
	free(img);
	img = make_disk(vt, "plain.img", "ntfs", NULL);
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_contains(cause, "no Windows installation");
	assert_contains(cause, "3 ntfs \"Windows\"");
	assert_null(strstr(cause, "BitLocker"));
	free(cause);
	free(img);
}

/* A block device: the partition to unlock is named as the kernel names
 * it (loop0 + 3 = loop0p3). */
static void
test_target_block_device(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *want, *cause = NULL;

	img = make_disk(vt, "disk.img", "bitlocker", "windows");
	if (vt_loop(vt, img) != 0) {
		free(img);
		skip();
	}

	/* Windows on 4 is found; BitLocker on 3 does not stop that. */
	if (vol_target_resolve(vt->loop, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, vt->loop);
	assert_int_equal(w.index, 4);
	assert_int_equal(w.offset, P4);
	vol_where_free(&w);

	free(img);
	img = make_disk(vt, "locked.img", "bitlocker", NULL);
	assert_int_equal(vt_loop(vt, img), 0);
	assert_int_equal(vol_target_resolve(vt->loop, &w, &cause), -1);
	want = xprintf("cryptsetup bitlkOpen %sp3 win", vt->loop);
	assert_contains(cause, want);
	free(want);
	free(cause);
	free(img);
}

/* A partition image or device: the whole of it, whatever it holds that
 * could be Windows'; a filesystem Windows cannot boot from is refused. */
static void
test_target_bare(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *cause = NULL;

	img = vt_mkntfs(vt, "part.img", 32, "Data");
	if (vol_target_resolve(img, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, img);
	assert_int_equal(w.index, 0);
	assert_int_equal(w.offset, 0);
	assert_false(w.is_dir);
	vol_where_free(&w);
	free(img);

	img = vt_mkbitlocker(vt, "locked.img", 16, 0);
	if (vol_target_resolve(img, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_int_equal(w.offset, 0);
	vol_where_free(&w);
	free(img);

	img = vt_mkvfat(vt, "stick.img", 16, "USB", "ABCD1234");
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_one_line(cause);
	assert_contains(cause, "vfat");
	assert_contains(cause, "not NTFS");
	free(cause);
	free(img);

	/* A name that really ends in @3 is a name, not partition 3. */
	img = vt_mkntfs(vt, "odd@3", 16, "Odd");
	if (vol_target_resolve(img, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, img);
	assert_int_equal(w.index, 0);
	vol_where_free(&w);
	free(img);
}

static void
test_target_dir(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*dir, *spec, *p, *cause = NULL;

	dir = vt_path(vt, "mnt");
	p = xprintf("%s/Windows/System32/config", dir);
	vt_sh(vt, "mkdir -p '%s' && : >'%s/SYSTEM'", p, p);
	free(p);
	if (vol_target_resolve(dir, &w, &cause) != 0)
		fail_msg("resolve: %s", cause);
	assert_string_equal(w.path, dir);
	assert_true(w.is_dir);
	assert_int_equal(w.offset, 0);
	assert_int_equal(where_is_windows(&w), 1);
	vol_where_free(&w);

	/* A directory named SYSTEM is not a hive. */
	p = xprintf("%s/Windows/System32/config/SYSTEM", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	free(p);
	assert_int_equal(vol_target_resolve(dir, &w, &cause), 0);
	assert_int_equal(where_is_windows(&w), 0);
	vol_where_free(&w);

	spec = xprintf("%s@2", dir);
	assert_int_equal(vol_target_resolve(spec, &w, &cause), -1);
	assert_contains(cause, "is a directory");
	free(cause);
	free(spec);
	free(dir);
}

static void
test_target_missing(void **state)
{
	struct vt		*vt = *state;
	struct vol_where	 w;
	char			*img, *spec, *cause = NULL;

	img = vt_path(vt, "missing.img");
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_one_line(cause);
	assert_contains(cause, img);
	assert_contains(cause, "ntmend scan");
	free(cause);
	cause = NULL;

	spec = xprintf("%s@2", img);
	assert_int_equal(vol_target_resolve(spec, &w, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_contains(cause, img);
	assert_null(strstr(cause, "@2:"));
	free(cause);
	free(spec);
	free(img);

	/* An empty table: nothing to pick. */
	img = vt_mkdisk(vt, "empty.img", 8, "label: gpt\n");
	assert_int_equal(vol_target_resolve(img, &w, &cause), -1);
	assert_contains(cause, "no partitions");
	free(cause);
	free(img);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_target_one_windows,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_at_n, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_two_windows,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_none_bitlocker,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_block_device,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_bare, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_dir, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_target_missing, vt_setup,
		    vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
