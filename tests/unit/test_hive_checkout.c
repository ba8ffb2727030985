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

#define CONFIG	"Windows/System32/config"

struct fx {
	char	*dir;
	char	*img;
	char	*mnt;
	int	 mounted;
	char	*src;		/* the hives as put on the volume */
};

static const char *
testdata(void)
{
	const char	*d = getenv("NTM_TESTDATA");

	return d != NULL ? d : "../shared/testdata";
}

static int NTM_PRINTF(1, 2)
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 st;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "# failed: %s\n", cmd);
	free(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Decompress testdata hives/NAME to src/AS. */
static void
fx_hive(struct fx *fx, const char *name, const char *as)
{
	assert_int_equal(sh("xz -dc '%s/hives/%s.xz' > '%s/%s'", testdata(),
	    name, fx->src, as), 0);
}

static int
fx_same(const char *a, const char *b)
{
	return sh("cmp -s '%s' '%s'", a, b) == 0;
}

static char *
fx_sha256(const char *file)
{
	char	*cmd, buf[128];
	FILE	*f;

	xasprintf(&cmd, "sha256sum '%s'", file);
	assert_non_null(f = popen(cmd, "r"));
	assert_non_null(fgets(buf, sizeof buf, f));
	pclose(f);
	free(cmd);
	buf[64] = '\0';
	return xstrdup(buf);
}

static int
teardown(void **state)
{
	struct fx	*fx = *state;

	if (fx == NULL)
		return 0;
	if (fx->mounted)
		sh("fusermount -u '%s' || umount '%s'", fx->mnt, fx->mnt);
	tmpdir_remove(fx->dir);
	free(fx->src);
	free(fx->mnt);
	free(fx->img);
	free(fx->dir);
	free(fx);
	return 0;
}

static int
setup(void **state)
{
	struct fx	*fx;

	*state = NULL;
	if (geteuid() != 0 || sh("command -v ntfs-3g mkntfs fusermount "
	    ">/dev/null") != 0) {
		fprintf(stderr, "# needs root, ntfs-3g and mkntfs\n");
		return 0;
	}
	fx = xcalloc(1, sizeof *fx);
	*state = fx;
	fx->dir = tmpdir_create("ntmend-test-co", NULL);
	assert_non_null(fx->dir);
	xasprintf(&fx->img, "%s/p.img", fx->dir);
	xasprintf(&fx->mnt, "%s/mnt", fx->dir);
	xasprintf(&fx->src, "%s/src", fx->dir);
	assert_int_equal(mkdir(fx->mnt, 0700), 0);
	assert_int_equal(mkdir(fx->src, 0700), 0);

	fx_hive(fx, "regipy_SYSTEM_B", "SYSTEM");
	fx_hive(fx, "regipy_SYSTEM_B.LOG1", "SYSTEM.LOG1");
	fx_hive(fx, "regipy_SYSTEM_B.LOG2", "SYSTEM.LOG2");
	fx_hive(fx, "regipy_SYSTEM", "SOFTWARE");
	fx_hive(fx, "regipy_SYSTEM_B.LOG1", "SOFTWARE.LOG1");
	fx_hive(fx, "regipy_corrupted_system_hive", "SAM");

	assert_int_equal(sh("truncate -s 64M '%s' && mkntfs -F -Q -q '%s' "
	    ">/dev/null 2>&1", fx->img, fx->img), 0);
	assert_int_equal(sh("ntfs-3g '%s' '%s'", fx->img, fx->mnt), 0);
	fx->mounted = 1;
	/* Windows writes the logs in upper case, the hive as it likes. */
	assert_int_equal(sh("mkdir -p '%s/%s' && cp '%s'/* '%s/%s/'",
	    fx->mnt, CONFIG, fx->src, fx->mnt, CONFIG), 0);
	assert_int_equal(sh("fusermount -u '%s'", fx->mnt), 0);
	fx->mounted = 0;
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
	if (!fx_same(copy, orig))
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
	before = fx_sha256(fx->img);
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

	after = fx_sha256(fx->img);
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
	before = fx_sha256(fx->img);
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
	after = fx_sha256(fx->img);
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
	char			*cause = NULL;

	SKIP_WITHOUT_FUSE(fx);
	assert_int_equal(sh("ntfs-3g -o ro '%s' '%s'", fx->img, fx->mnt), 0);
	fx->mounted = 1;
	memset(&w, 0, sizeof w);
	w.path = fx->mnt;
	w.is_dir = 1;
	if (vol_open(&w, VOL_RDONLY, &vol, NULL, &cause) != 0)
		fail_msg("vol_open %s: %s", fx->mnt, cause);
	if (hive_checkout(vol, "WINDOWS\\system32\\config\\system", &h,
	    &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(hive_log_state(h), HIVE_REPLAYED);
	assert_replayed(h);
	assert_copy(h, ".LOG1", fx, "SYSTEM.LOG1");
	assert_copy(h, ".LOG2", fx, "SYSTEM.LOG2");
	hive_close(h);
	vol_close(vol);
	assert_int_equal(sh("fusermount -u '%s'", fx->mnt), 0);
	fx->mounted = 0;
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
