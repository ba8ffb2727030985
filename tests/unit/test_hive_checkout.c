/*
 * test_hive_checkout.c: hive_checkout from a real NTFS volume. A fresh
 * image per test (mkntfs) gets regipy's SYSTEM_B with its .LOG1/.LOG2, a
 * clean hive with a stray log and a damaged one under
 * Windows\System32\config through an ntfs-3g FUSE mount, which is
 * unmounted before the volume layer opens the image. Checked: the private
 * copies equal the files put there, byte for byte, and the image is the
 * same (SHA-256) after checking out.
 *
 * Needs root and ntfs-3g for the FUSE mount; skipped otherwise.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "util/util.h"

#include "vol_images.h"

#define CONFIG	"Windows/System32/config"

struct fx {
	struct vt	*vt;
	char		*img;		/* the NTFS volume */
	char		*src;		/* the hives as put on the volume */
};

/* Testdata hives/NAME, decompressed to src/AS. */
static void
fx_hive(struct fx *fx, const char *name, const char *as)
{
	free(tl_hive(fx->src, name, as));
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;
	void		*vt;

	if (fx == NULL)
		return 0;
	/* Unmounts what a failed test left mounted. */
	vt = fx->vt;
	vt_teardown(&vt);
	free(fx->src);
	free(fx->img);
	free(fx);
	return 0;
}

static int
setup(void **state)
{
	struct fx	*fx;
	void		*vt;
	char		*mnt;

	*state = NULL;
	if (geteuid() != 0 ||
	    tl_sh_status("command -v ntfs-3g mkntfs fusermount") != 0) {
		fprintf(stderr, "# needs root, ntfs-3g and mkntfs\n");
		return 0;
	}
	fx = xcalloc(1, sizeof *fx);
	*state = fx;
	vt_setup(&vt);
	fx->vt = vt;
	fx->src = vt_path(fx->vt, "src");
	assert_int_equal(mkdir(fx->src, 0700), 0);

	fx_hive(fx, "regipy_SYSTEM_B", "SYSTEM");
	fx_hive(fx, "regipy_SYSTEM_B.LOG1", "SYSTEM.LOG1");
	fx_hive(fx, "regipy_SYSTEM_B.LOG2", "SYSTEM.LOG2");
	fx_hive(fx, "regipy_SYSTEM", "SOFTWARE");
	fx_hive(fx, "regipy_SYSTEM_B.LOG1", "SOFTWARE.LOG1");
	fx_hive(fx, "regipy_corrupted_system_hive", "SAM");

	fx->img = vt_mkntfs(fx->vt, "p.img", 64, "Windows");
	mnt = vt_fuse_mount(fx->vt, fx->img);
	/* Windows writes the logs in upper case, the hive as it likes. */
	vt_sh(fx->vt, "mkdir -p '%s/%s' && cp '%s'/* '%s/%s/'", mnt, CONFIG,
	    fx->src, mnt, CONFIG);
	assert_int_equal(vt_umount(fx->vt), 0);
	return 0;
}

#define SKIP_WITHOUT_FUSE(fx) do {					\
	if ((fx) == NULL)						\
		skip();							\
} while (0)

static struct vol *
fx_vol(struct fx *fx)
{
	struct vol_where	 w;
	struct vol		*vol;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = fx->img;
	if (vol_open(&w, VOL_RDONLY, &vol, NULL, &cause) != 0)
		fail_msg("vol_open %s: %s", fx->img, cause);
	return vol;
}

/* SharedAccess\Epoch\Epoch is 0x1af in regipy_SYSTEM_B and 0x1b3 once
 * its logs are replayed (found by diffing both trees; see test_replay). */
static void
assert_replayed(struct hive *h)
{
	uint32_t	v;

	assert_int_equal(hive_value_dword(h,
	    "CurrentControlSet\\Services\\SharedAccess\\Epoch", "Epoch", &v,
	    NULL), 0);
	assert_int_equal(v, 0x1b3);
	assert_int_equal(hive_header(h)->seq_primary,
	    hive_header(h)->seq_secondary);
}

static void
assert_copy(struct hive *h, const char *suffix, struct fx *fx,
    const char *name)
{
	char	*copy, *orig;

	/* The private copies sit side by side: hive, hive.LOG1, ... */
	xasprintf(&copy, "%s%s", hive_file_path(h), suffix);
	xasprintf(&orig, "%s/%s", fx->src, name);
	if (tl_sh_status("cmp -s '%s' '%s'", copy, orig) != 0)
		fail_msg("%s differs from %s", copy, orig);
	free(copy);
	free(orig);
}

/* The dirty SYSTEM and its logs come off the volume intact, and the
 * volume is not touched. */
static void
test_checkout_dirty(void **state)
{
	struct fx	*fx = *state;
	struct vol	*vol;
	struct hive	*h;
	char		*before, *after, *s, *cause = NULL;

	SKIP_WITHOUT_FUSE(fx);
	before = tl_sha256(fx->img);
	vol = fx_vol(fx);
	if (hive_checkout(vol, hive_volume_path(HIVE_SYSTEM), &h, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(hive_name(h), "SYSTEM");
	/* Dirty with good logs: the private copy is replayed (so it is
	 * not the volume's bytes), the logs are copied as they are. */
	assert_int_equal(hive_log_state(h), HIVE_REPLAYED);
	assert_non_null(strstr(hive_warning(h), "24 log records"));
	assert_replayed(h);
	assert_copy(h, ".LOG1", fx, "SYSTEM.LOG1");
	assert_copy(h, ".LOG2", fx, "SYSTEM.LOG2");
	assert_int_equal(hive_value_string(h,
	    "CurrentControlSet\\Control\\ComputerName\\ComputerName",
	    "ComputerName", &s, NULL), 0);
	assert_string_equal(s, "DESKTOP-PM6C56D");
	free(s);
	hive_close(h);

	/* Any case, either separator: the volume compares as Windows. */
	if (hive_checkout(vol, "/windows/SYSTEM32/Config/system", &h,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(hive_log_state(h), HIVE_REPLAYED);
	assert_replayed(h);
	hive_close(h);
	vol_close(vol);

	after = tl_sha256(fx->img);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* A clean hive: its stray log is neither needed nor copied. */
static void
test_checkout_clean(void **state)
{
	struct fx	*fx = *state;
	struct vol	*vol;
	struct hive	*h;
	struct stat	 sb;
	char		*log, *cause = NULL;

	SKIP_WITHOUT_FUSE(fx);
	vol = fx_vol(fx);
	if (hive_checkout(vol, hive_volume_path(HIVE_SOFTWARE), &h,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(hive_log_state(h), HIVE_CLEAN);
	assert_null(hive_warning(h));
	assert_copy(h, "", fx, "SOFTWARE");
	xasprintf(&log, "%s.LOG1", hive_file_path(h));
	assert_int_equal(stat(log, &sb), -1);
	free(log);
	hive_close(h);
	vol_close(vol);
}

/* Refusals name the hive and say what to do. */
static void
test_checkout_refused(void **state)
{
	struct fx	*fx = *state;
	struct vol	*vol;
	struct hive	*h;
	char		*before, *after, *cause = NULL;

	SKIP_WITHOUT_FUSE(fx);
	before = tl_sha256(fx->img);
	vol = fx_vol(fx);
	assert_int_equal(hive_checkout(vol, hive_volume_path(HIVE_SAM), &h,
	    &cause), -1);
	assert_null(h);
	assert_non_null(strstr(cause, "SAM is damaged"));
	assert_non_null(strstr(cause, "RegBack"));
	free(cause);
	cause = NULL;

	assert_int_equal(hive_checkout(vol, hive_volume_path(HIVE_SECURITY),
	    &h, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;

	assert_int_equal(hive_checkout(vol, CONFIG "/SYSTEM.LOG2", &h,
	    &cause), -1);
	assert_non_null(strstr(cause, "SYSTEM.LOG2 is a transaction log"));
	free(cause);
	cause = NULL;

	assert_int_equal(hive_checkout(vol, CONFIG, &h, &cause), -1);
	assert_non_null(cause);
	free(cause);
	vol_close(vol);
	after = tl_sha256(fx->img);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

/* The same through a mounted directory (the second backend). */
static void
test_checkout_mounted(void **state)
{
	struct fx		*fx = *state;
	struct vol_where	 w;
	struct vol		*vol;
	struct hive		*h;
	char			*mnt, *cause = NULL;

	SKIP_WITHOUT_FUSE(fx);
	mnt = vt_fuse_mount_opts(fx->vt, fx->img, "-o ro");
	memset(&w, 0, sizeof w);
	w.path = mnt;
	w.is_dir = 1;
	if (vol_open(&w, VOL_RDONLY, &vol, NULL, &cause) != 0)
		fail_msg("vol_open %s: %s", mnt, cause);
	if (hive_checkout(vol, "WINDOWS\\system32\\config\\system", &h,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(hive_log_state(h), HIVE_REPLAYED);
	assert_replayed(h);
	assert_copy(h, ".LOG1", fx, "SYSTEM.LOG1");
	assert_copy(h, ".LOG2", fx, "SYSTEM.LOG2");
	hive_close(h);
	vol_close(vol);
	assert_int_equal(vt_umount(fx->vt), 0);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_checkout_dirty),
		T(test_checkout_clean),
		T(test_checkout_refused),
		T(test_checkout_mounted),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
