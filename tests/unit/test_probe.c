/*
 * test_probe.c: vol_disk_probe and vol_disks_list on real disk images.
 * Partition positions and types are checked against sfdisk's own dump of
 * the table (sfdisk -J), filesystem labels and ids against what mkfs was
 * told or what the boot sector holds.
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
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

#include "vol_images.h"

/* One partition of sfdisk -J. */
struct sf_part {
	int		 index;
	uint64_t	 start, size;	/* sectors */
	char		 type[64];
	char		 name[128];
};

/* Parse `sfdisk -J img`: label and partitions, numbered from their node
 * names (img1, img5: logical partitions start at 5). */
static size_t
sf_dump(struct vt *vt, const char *img, char *label, size_t labellen,
    struct sf_part *parts, size_t max)
{
	json_t		*root, *pt, *arr, *p;
	json_error_t	 err;
	const char	*node, *s;
	char		*out;
	size_t		 i, n;

	out = vt_sh_out(vt, "sfdisk -J '%s'", img);
	root = json_loads(out, 0, &err);
	if (root == NULL)
		fail_msg("sfdisk -J: %s: %s", err.text, out);
	free(out);
	pt = json_object_get(root, "partitiontable");
	assert_non_null(pt);
	snprintf(label, labellen, "%s",
	    json_string_value(json_object_get(pt, "label")));
	arr = json_object_get(pt, "partitions");
	n = json_array_size(arr);
	assert_true(n <= max);
	for (i = 0; i < n; i++) {
		p = json_array_get(arr, i);
		node = json_string_value(json_object_get(p, "node"));
		assert_non_null(node);
		assert_true(strncmp(node, img, strlen(img)) == 0);
		parts[i].index = atoi(node + strlen(img));
		parts[i].start = (uint64_t)json_integer_value(
		    json_object_get(p, "start"));
		parts[i].size = (uint64_t)json_integer_value(
		    json_object_get(p, "size"));
		s = json_string_value(json_object_get(p, "type"));
		snprintf(parts[i].type, sizeof parts[i].type, "%s",
		    s != NULL ? s : "");
		s = json_string_value(json_object_get(p, "name"));
		snprintf(parts[i].name, sizeof parts[i].name, "%s",
		    s != NULL ? s : "");
	}
	json_decref(root);
	return n;
}

/* The disk's partitions must be exactly sfdisk's, in its order. */
static void
check_against_sfdisk(struct vt *vt, const char *img, struct vol_disk *disk)
{
	struct sf_part	 sf[16];
	char		 label[16], *want;
	size_t		 n, i;

	n = sf_dump(vt, img, label, sizeof label, sf, 16);
	assert_string_equal(disk->pt_type, label);
	assert_int_equal(disk->nparts, n);
	for (i = 0; i < n; i++) {
		struct vol_part	*p = &disk->parts[i];

		assert_int_equal(p->index, sf[i].index);
		assert_int_equal(p->offset, sf[i].start * 512);
		assert_int_equal(p->size, sf[i].size * 512);
		assert_non_null(p->part_type);
		if (strcmp(label, "dos") == 0) {
			want = xprintf("0x%s", sf[i].type);
			assert_string_equal(p->part_type, want);
			free(want);
			assert_null(p->part_name);
		} else {
			if (strcasecmp(p->part_type, sf[i].type) != 0)
				fail_msg("partition %d type %s, sfdisk says "
				    "%s", p->index, p->part_type, sf[i].type);
			if (sf[i].name[0] == '\0')
				assert_null(p->part_name);
			else
				assert_string_equal(p->part_name, sf[i].name);
		}
	}
}

/* The NTFS volume serial at 0x48 of the boot sector, as blkid shows it. */
static char *
ntfs_serial(const char *img, uint64_t offset)
{
	uint8_t	 b[8];
	FILE	*f;

	assert_non_null(f = fopen(img, "r"));
	assert_int_equal(fseeko(f, (off_t)(offset + 0x48), SEEK_SET), 0);
	assert_int_equal(fread(b, sizeof b, 1, f), 1);
	fclose(f);
	return xprintf("%016llX", (unsigned long long)le64dec(b));
}

static void
check_fs(const char *img, const struct vol_part *p, const char *fstype,
    const char *label)
{
	char	*serial;

	if (fstype == NULL) {
		assert_null(p->fstype);
		assert_null(p->label);
		assert_null(p->uuid);
		return;
	}
	assert_non_null(p->fstype);
	assert_string_equal(p->fstype, fstype);
	if (label == NULL)
		assert_null(p->label);
	else {
		assert_non_null(p->label);
		assert_string_equal(p->label, label);
	}
	if (strcmp(fstype, "ntfs") == 0) {
		serial = ntfs_serial(img, p->offset);
		assert_non_null(p->uuid);
		assert_string_equal(p->uuid, serial);
		free(serial);
	}
}

/* A Windows 11 layout: ESP, MSR, Windows, WinRE. */
static void
test_probe_gpt(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *esp, *win, *re, *cause = NULL;

	img = vt_mkdisk(vt, "gpt.img", 150,
	    "label: gpt\n"
	    "start=1MiB, size=32MiB, type=" GUID_ESP
	    ", name=\"EFI system partition\"\n"
	    "size=16MiB, type=" GUID_MSR
	    ", name=\"Microsoft reserved partition\"\n"
	    "size=64MiB, type=" GUID_BASIC ", name=\"Basic data partition\"\n"
	    "size=32MiB, type=" GUID_WINRE "\n");
	esp = vt_mkvfat(vt, "esp", 32, "SYSTEM", "1234ABCD");
	win = vt_mkntfs(vt, "win", 64, "Windows");
	re = vt_mkntfs(vt, "re", 32, "Recovery");
	/* mkntfs seeds serials with the time: made in the same second, two
	 * volumes would share one and hide a probe at the wrong offset. */
	vt_ntfs_serial(re, 0x1111222233334444ULL);
	vt_place(vt, img, esp, 1 * MIB);
	vt_place(vt, img, win, 49 * MIB);
	vt_place(vt, img, re, 113 * MIB);

	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_string_equal(disk.path, img);
	assert_int_equal(disk.size, 150 * MIB);
	check_against_sfdisk(vt, img, &disk);
	assert_int_equal(disk.nparts, 4);
	check_fs(img, &disk.parts[0], "vfat", "SYSTEM");
	assert_string_equal(disk.parts[0].uuid, "1234-ABCD");
	check_fs(img, &disk.parts[1], NULL, NULL);
	check_fs(img, &disk.parts[2], "ntfs", "Windows");
	check_fs(img, &disk.parts[3], "ntfs", "Recovery");
	vol_disk_free(&disk);
	assert_null(disk.parts);

	free(re);
	free(win);
	free(esp);
	free(img);
}

/* A BIOS install: System Reserved, Windows, and WinRE as a logical
 * partition in an extended one. */
static void
test_probe_mbr(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *sr, *win, *re, *cause = NULL;

	img = vt_mkdisk(vt, "mbr.img", 100,
	    "label: dos\n"
	    "start=1MiB, size=16MiB, type=7, bootable\n"
	    "size=48MiB, type=7\n"
	    "size=35MiB, type=5\n"
	    "size=32MiB, type=27\n");
	sr = vt_mkntfs(vt, "sr", 16, "System Reserved");
	win = vt_mkntfs(vt, "win", 48, "Windows");
	re = vt_mkntfs(vt, "re", 32, "Recovery");
	vt_ntfs_serial(sr, 0x1111222233334444ULL);
	vt_ntfs_serial(re, 0x5555666677778888ULL);
	vt_place(vt, img, sr, 1 * MIB);
	vt_place(vt, img, win, 17 * MIB);
	vt_place(vt, img, re, 66 * MIB);	/* after the EBR, aligned */

	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	check_against_sfdisk(vt, img, &disk);
	assert_int_equal(disk.nparts, 4);
	assert_int_equal(disk.parts[3].index, 5);
	assert_int_equal(disk.parts[3].offset, 66 * MIB);
	check_fs(img, &disk.parts[0], "ntfs", "System Reserved");
	check_fs(img, &disk.parts[1], "ntfs", "Windows");
	check_fs(img, &disk.parts[2], NULL, NULL);
	check_fs(img, &disk.parts[3], "ntfs", "Recovery");
	vol_disk_free(&disk);

	free(re);
	free(win);
	free(sr);
	free(img);
}

/* A partition image (or /dev/sda3): the whole file is the filesystem. */
static void
test_probe_bare_ntfs(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *cause = NULL;

	img = vt_mkntfs(vt, "p.img", 64, "Windows");
	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_null(disk.pt_type);
	assert_int_equal(disk.nparts, 1);
	assert_int_equal(disk.parts[0].index, 0);
	assert_int_equal(disk.parts[0].offset, 0);
	assert_int_equal(disk.parts[0].size, 64 * MIB);
	assert_null(disk.parts[0].part_type);
	check_fs(img, &disk.parts[0], "ntfs", "Windows");
	vol_disk_free(&disk);
	free(img);
}

/* A wiped disk keeps its table: "gpt" with no partitions, not a
 * filesystem-less partition 0. */
static void
test_probe_empty_gpt(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *cause = NULL;

	img = vt_mkdisk(vt, "empty.img", 8, "label: gpt\n");
	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_non_null(disk.pt_type);
	assert_string_equal(disk.pt_type, "gpt");
	assert_int_equal(disk.nparts, 0);
	vol_disk_free(&disk);
	free(img);
}

/*
 * BitLocker: partition 1 as Windows writes it (found by libblkid's own
 * prober), partition 2 with a zero metadata offset (libblkid rejects it;
 * only the "-FVE-FS-" signature is left), partition 3 plain NTFS.
 */
static void
test_probe_bitlocker(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *bl, *bad, *win, *out, *cause = NULL;

	img = vt_mkdisk(vt, "bl.img", 60,
	    "label: gpt\n"
	    "start=1MiB, size=16MiB, type=" GUID_BASIC "\n"
	    "size=16MiB, type=" GUID_BASIC "\n"
	    "size=16MiB, type=" GUID_BASIC "\n");
	bl = vt_mkbitlocker(vt, "bl", 16, 1);
	bad = vt_mkbitlocker(vt, "bad", 16, 0);
	win = vt_mkntfs(vt, "win", 16, "Windows");
	vt_place(vt, img, bl, 1 * MIB);
	vt_place(vt, img, bad, 17 * MIB);
	vt_place(vt, img, win, 33 * MIB);

	/* The fixture covers both paths: blkid(8) knows only the first. */
	out = vt_sh_out(vt, "blkid -p -o value -s TYPE '%s'", bl);
	assert_string_equal(out, "BitLocker\n");
	free(out);
	out = vt_sh_out(vt, "blkid -p -o value -s TYPE '%s' || true", bad);
	assert_string_equal(out, "");
	free(out);
	out = vt_sh_out(vt, "blkid -p -o value -s PTTYPE '%s' || true", bad);
	assert_string_equal(out, "dos\n");	/* what is avoided below */
	free(out);

	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_int_equal(disk.nparts, 3);
	check_fs(img, &disk.parts[0], "BitLocker", NULL);
	check_fs(img, &disk.parts[1], "BitLocker", NULL);
	check_fs(img, &disk.parts[2], "ntfs", "Windows");
	vol_disk_free(&disk);

	/* On its own (/dev/sda3 of a locked disk) the boot sector, which ends
	 * in 55 AA with zeros where an MBR has its entries, is a BitLocker
	 * volume and not an empty dos partition table. */
	if (vol_disk_probe(bad, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_null(disk.pt_type);
	assert_int_equal(disk.nparts, 1);
	assert_int_equal(disk.parts[0].index, 0);
	check_fs(bad, &disk.parts[0], "BitLocker", NULL);
	vol_disk_free(&disk);

	free(win);
	free(bad);
	free(bl);
	free(img);
}

/*
 * A Windows partition on a disk that was a Linux RAID member: the md 0.90
 * superblock (magic a92b4efc, version 0.90) survives at the last 64 KiB
 * boundary but one, and libblkid then calls the partition a RAID member.
 */
static void
test_probe_stale_raid(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *win, *out, *cause = NULL;

	img = vt_mkdisk(vt, "raid.img", 40,
	    "label: gpt\nstart=1MiB, size=32MiB, type=" GUID_BASIC "\n");
	win = vt_mkntfs(vt, "win", 32, "Windows");
	vt_sh(vt, "printf '\\374\\116\\053\\251\\0\\0\\0\\0"
	    "\\132\\0\\0\\0' | dd of='%s' bs=64k seek=%d conv=notrunc "
	    "status=none", win, 32 * 16 - 1);
	out = vt_sh_out(vt, "blkid -p -o value -s TYPE '%s' || true", win);
	assert_string_equal(out, "linux_raid_member\n");
	free(out);
	vt_place(vt, img, win, 1 * MIB);

	if (vol_disk_probe(img, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_int_equal(disk.nparts, 1);
	assert_non_null(disk.parts[0].fstype);
	assert_string_equal(disk.parts[0].fstype, "ntfs");
	vol_disk_free(&disk);

	if (vol_disk_probe(win, &disk, &cause) != 0)
		fail_msg("vol_disk_probe: %s", cause);
	assert_null(disk.pt_type);
	assert_int_equal(disk.nparts, 1);
	assert_string_equal(disk.parts[0].fstype, "ntfs");
	vol_disk_free(&disk);
	free(win);
	free(img);
}

static void
test_probe_missing(void **state)
{
	struct vt	*vt = *state;
	struct vol_disk	 disk;
	char		*img, *cause = NULL;

	img = vt_path(vt, "nothing.img");
	assert_int_equal(vol_disk_probe(img, &disk, &cause), -1);
	assert_int_equal(errno, ENOENT);
	assert_non_null(cause);
	assert_non_null(strstr(cause, img));
	assert_null(disk.parts);
	free(cause);
	free(img);
}

/* The machine's disks: block devices with something in them, and a loop
 * device attached to an image among them. Reads /sys only. */
static void
test_disks_list(void **state)
{
	struct vt	 *vt = *state;
	struct stat	  sb;
	char		**paths, *img, *sys, *cause = NULL;
	unsigned long long sectors;
	FILE		 *f;
	size_t		  n, i;
	int		  found = 0;

	img = vt_mkntfs(vt, "loop.img", 16, "Windows");
	if (vt_loop(vt, img) != 0)
		fprintf(stderr, "# no loop devices here: listing only\n");

	if (vol_disks_list(&paths, &n, &cause) != 0)
		fail_msg("vol_disks_list: %s", cause);
	for (i = 0; i < n; i++) {
		if (stat(paths[i], &sb) != 0 || !S_ISBLK(sb.st_mode))
			fail_msg("%s is not a block device", paths[i]);
		assert_true(strncmp(paths[i], "/dev/ram", 8) != 0);
		assert_true(strncmp(paths[i], "/dev/zram", 9) != 0);
		/* Unattached loop devices (this machine has a few) and
		 * empty drives are left out. */
		sys = xprintf("/sys/block/%s/size", paths[i] + 5);
		assert_non_null(f = fopen(sys, "r"));
		assert_int_equal(fscanf(f, "%llu", &sectors), 1);
		fclose(f);
		if (sectors == 0)
			fail_msg("%s has size 0", paths[i]);
		free(sys);
		if (strncmp(paths[i], "/dev/loop", 9) == 0) {
			sys = xprintf("/sys/block/%s/loop/backing_file",
			    paths[i] + 5);
			if (access(sys, F_OK) != 0)
				fail_msg("%s is not attached", paths[i]);
			free(sys);
		}
		if (vt->loop != NULL && strcmp(paths[i], vt->loop) == 0)
			found = 1;
		if (i > 0)
			assert_true(strcmp(paths[i - 1], paths[i]) < 0);
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	if (vt->loop != NULL && !found)
		fail_msg("%s (attached to an image) not listed", vt->loop);
	free(img);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_gpt, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_mbr, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_bare_ntfs, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_empty_gpt, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_bitlocker, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_stale_raid,
		    vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(test_probe_missing, vt_setup,
		    vt_teardown),
		cmocka_unit_test_setup_teardown(test_disks_list, vt_setup,
		    vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
