/*
 * testlib.h: what the unit tests share. Each test gets a fresh temp
 * directory (struct tl_dir, tl_setup/tl_teardown); testdata files
 * (../shared/testdata, read-only) are copied or decompressed into it;
 * files are read, written and hashed, hives opened and shell commands
 * run, any failure failing the test. Disk images are vol_images.h's,
 * which builds on this.
 *
 * Include after <cmocka.h>. Everything is static inline so that each test
 * program uses what it needs without unused-function warnings.
 */
#ifndef NTM_TESTS_TESTLIB_H
#define NTM_TESTS_TESTLIB_H

#include <sys/wait.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "util/util.h"

/* Output of a shell command a test reads back, at most: listings and hex
 * dumps of test hives and images, far smaller. */
#define TL_MAX_SH_OUT	(16 * 1024 * 1024)

/* The shared test data: $NTM_TESTDATA (tests/run sets it), else the
 * checkout's sibling. */
static inline const char *
tl_testdata(void)
{
	const char	*d = getenv("NTM_TESTDATA");

	return d != NULL && *d != '\0' ? d : "../shared/testdata";
}

/* A fresh temp directory named after the test program; fails the test
 * when none can be made. Caller frees (and removes it). */
static inline char *
tl_tmpdir(void)
{
	char	*prefix, *dir, *cause = NULL;

	prefix = xprintf("ntmend-%s", program_invocation_short_name);
	if ((dir = tmpdir_create(prefix, &cause)) == NULL)
		fail_msg("%s", cause);
	free(prefix);
	return dir;
}

/* The state of a test that needs only its own directory. */
struct tl_dir {
	char	*dir;
};

static inline int
tl_setup(void **state)
{
	struct tl_dir	*td = xcalloc(1, sizeof *td);

	td->dir = tl_tmpdir();
	*state = td;
	return 0;
}

static inline int
tl_teardown(void **state)
{
	struct tl_dir	*td = *state;

	tmpdir_remove(td->dir);
	free(td->dir);
	free(td);
	return 0;
}

/* dir/name; caller frees. */
static inline char *
tl_path(const char *dir, const char *name)
{
	return xprintf("%s/%s", dir, name);
}

/* A whole local file, at most max bytes; caller frees *buf. */
static inline void
tl_read(const char *path, size_t max, void **buf, size_t *len)
{
	char	*cause = NULL;

	if (file_read_all(path, max, buf, len, &cause) != 0)
		fail_msg("%s", cause);
}

static inline void
tl_write(const char *path, const void *buf, size_t len)
{
	char	*cause = NULL;

	if (file_write_all(path, buf, len, &cause) != 0)
		fail_msg("%s", cause);
}

/* Print a command's captured messages as TAP comments. */
static inline void
tl_sh_show(const char *path)
{
	char	*buf, *line, *next;
	size_t	 len;

	if (file_read_all(path, TL_MAX_SH_OUT, (void **)&buf, &len,
	    NULL) != 0)
		return;
	for (line = buf; line < buf + len && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		else
			next = line + strlen(line);
		fprintf(stderr, "# %s\n", line);
	}
	free(buf);
}

/*
 * Run a shell command. Its standard output goes to *out (caller frees)
 * or, with out NULL, where its standard error goes: to a log printed only
 * when the command fails, so that a broken tool shows why and a working
 * one stays quiet. Returns the exit status (128 when it did not exit).
 */
static inline int
tl_vsh_run(char **out, const char *fmt, va_list ap)
{
	const char	*base;
	char		*cmd, *log, *outpath = NULL, *full;
	size_t		 len;
	int		 fd, st;

	xvasprintf(&cmd, fmt, ap);
	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	log = xprintf("%s/ntmend-sh.XXXXXX", base);
	if ((fd = mkstemp(log)) == -1)
		fail_msg("mkstemp %s: %s", log, strerror(errno));
	close(fd);
	if (out != NULL) {
		*out = NULL;
		outpath = xprintf("%s.out", log);
		full = xprintf("( %s ) >'%s' 2>'%s'", cmd, outpath, log);
	} else
		full = xprintf("( %s ) >'%s' 2>&1", cmd, log);
	st = system(full);
	st = st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : 128;
	if (st != 0) {
		fprintf(stderr, "# command failed (%d): %s\n", st, cmd);
		if (outpath != NULL)
			tl_sh_show(outpath);
		tl_sh_show(log);
	} else if (outpath != NULL && file_read_all(outpath, TL_MAX_SH_OUT,
	    (void **)out, &len, NULL) != 0)
		st = 128;
	if (outpath != NULL)
		unlink(outpath);
	unlink(log);
	free(outpath);
	free(log);
	free(full);
	free(cmd);
	return st;
}

/* Run a shell command; its exit status. */
static inline int NTM_PRINTF(1, 2)
tl_sh_status(const char *fmt, ...)
{
	va_list	ap;
	int	st;

	va_start(ap, fmt);
	st = tl_vsh_run(NULL, fmt, ap);
	va_end(ap);
	return st;
}

/* Run a shell command that must succeed. */
#define tl_sh_ok(...)	assert_int_equal(tl_sh_status(__VA_ARGS__), 0)

/* Run a shell command that must succeed; its standard output, caller
 * frees. */
static inline char *
tl_vsh(const char *fmt, va_list ap)
{
	char	*out;
	int	 st;

	if ((st = tl_vsh_run(&out, fmt, ap)) != 0)
		fail_msg("command failed (%d), see above", st);
	return out;
}

static inline char * NTM_PRINTF(1, 2)
tl_sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*out;

	va_start(ap, fmt);
	out = tl_vsh(fmt, ap);
	va_end(ap);
	return out;
}

/*
 * Copy testdata hives/NAME into dir as AS (NULL: NAME without ".xz"),
 * decompressing NAME.xz when that is what testdata holds (or NAME ends in
 * .xz): testdata is read-only, and hivex must never open it for writing.
 * Returns the copy's path; caller frees.
 */
static inline char *
tl_hive(const char *dir, const char *name, const char *as)
{
	char	*src, *dst;
	size_t	 n = strlen(name);
	int	 xz = n > 3 && strcmp(name + n - 3, ".xz") == 0;

	if (xz)
		n -= 3;
	src = xprintf("%s/hives/%.*s", tl_testdata(), (int)n, name);
	if (as != NULL)
		dst = tl_path(dir, as);
	else
		dst = xprintf("%s/%.*s", dir, (int)n, name);
	if (!xz && access(src, R_OK) == 0)
		tl_sh_ok("cp '%s' '%s' && chmod u+w '%s'", src, dst, dst);
	else
		tl_sh_ok("xz -dc '%s.xz' > '%s'", src, dst);
	free(src);
	return dst;
}

/* tl_hive into dir, read whole (at most max bytes); caller frees *buf. */
static inline void
tl_hive_read(const char *dir, const char *name, size_t max, uint8_t **buf,
    size_t *len)
{
	char	*path = tl_hive(dir, name, NULL);

	tl_read(path, max, (void **)buf, len);
	free(path);
}

/* hive_open_file of a local file, which must open. */
static inline struct hive *
tl_hive_open(const char *path)
{
	struct hive	*h = NULL;
	char		*cause = NULL;

	if (hive_open_file(path, &h, &cause) != 0)
		fail_msg("hive_open_file %s: %s", path, cause);
	return h;
}

/* SHA-256 of a local file as 64 hex digits; caller frees. */
static inline char *
tl_sha256(const char *path)
{
	char	*out = tl_sh("sha256sum '%s'", path);

	assert_true(strlen(out) > 64);
	out[64] = '\0';
	return out;
}

#endif
