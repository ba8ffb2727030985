/*
 * fuzz_reg.c: .reg files (hive/reg.c) from arbitrary bytes.
 *
 * What parses is applied to a private copy of hivex's images/minimal
 * (fuzzlib.h), under the root key of the file's first key line so that
 * the keys reach the hive, then the hive is exported and the export
 * parsed again. hivex reads the file into
 * memory when opened for writing and nothing is committed, so one temp
 * copy serves every input.
 *
 * Besides memory errors, reg.c's promises are checked: a failed parse
 * returns no file, every message is one line, the export of whatever was
 * applied is a .reg file reg_parse reads (unless a name holds a line
 * break, which the export refuses), and importing that export into a
 * fresh copy and exporting again gives the same bytes.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hive/hive.h"
#include "util/util.h"

#include "fuzzlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	*minimal_path;

/* Write the hive once, to a temp file removed at exit. */
static void
minimal_cleanup(void)
{
	if (minimal_path != NULL)
		unlink(minimal_path);
}

static const char *
minimal_file(void)
{
	uint8_t		*hive;
	const char	*tmp;
	char		*cause = NULL;
	int		 fd;

	if (minimal_path != NULL)
		return minimal_path;
	hive = xmalloc(FUZZ_MINIMAL_SIZE);
	fuzz_minimal(hive);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	minimal_path = xprintf("%s/fuzz_reg.XXXXXX", tmp);
	if ((fd = mkstemp(minimal_path)) == -1)
		fatal("mkstemp %s", minimal_path);
	close(fd);
	if (file_write_all(minimal_path, hive, FUZZ_MINIMAL_SIZE, &cause) != 0)
		fatal("%s", cause);
	free(hive);
	atexit(minimal_cleanup);
	return minimal_path;
}

/* Import an export into a fresh hive and export again: same bytes. */
static void
identity(const struct reg_file *rf, const char *root, const void *out,
    size_t olen)
{
	struct reg_apply_result	 res;
	hive_h			*h;
	char			*cause = NULL;
	void			*again;
	size_t			 alen;

	if ((h = hivex_open(minimal_file(), HIVEX_OPEN_WRITE)) == NULL)
		fatal("hivex_open %s", minimal_file());
	if (reg_apply(h, rf, root, &res, &cause) != 0) {
		fprintf(stderr, "export does not import: %s\n", cause);
		abort();
	}
	if (reg_export(h, root, "", &again, &alen, &cause) != 0) {
		fprintf(stderr, "import of the export does not export: %s\n",
		    cause);
		abort();
	}
	if (alen != olen || memcmp(again, out, olen) != 0) {
		fprintf(stderr, "export -> import -> export differs\n");
		abort();
	}
	free(again);
	reg_apply_result_free(&res);
	hivex_close(h);
}

static void
one_line(const char *s)
{
	if (s != NULL && strchr(s, '\n') != NULL) {
		fprintf(stderr, "message with a line break: %s\n", s);
		abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reg_apply_result	 res;
	struct reg_file		*rf = NULL, *again = NULL;
	hive_h			*h;
	char			*cause = NULL, *root;
	void			*out = NULL;
	size_t			 olen, i, n;

	if (reg_parse(data, size, &rf, &cause) != 0) {
		if (rf != NULL || cause == NULL)
			abort();
		one_line(cause);
		free(cause);
		return 0;
	}
	for (i = 0; i < rf->nwarnings; i++)
		one_line(rf->warnings[i]);
	if (rf->nops == 0)
		goto out;

	/* The first key's root: "HKCU\Foo" -> "HKCU". */
	n = strcspn(rf->ops[0].key, "\\");
	root = xstrndup(rf->ops[0].key, n);
	if ((h = hivex_open(minimal_file(), HIVEX_OPEN_WRITE)) == NULL)
		fatal("hivex_open %s", minimal_file());
	if (reg_apply(h, rf, root, &res, &cause) != 0) {
		one_line(cause);
		free(cause);
		cause = NULL;
	} else if (reg_export(h, root, "", &out, &olen, &cause) != 0) {
		one_line(cause);
		if (strstr(cause, "line break") == NULL) {
			fprintf(stderr, "export failed: %s\n", cause);
			abort();
		}
		free(cause);
		cause = NULL;
	} else {
		if (reg_parse(out, olen, &again, &cause) != 0) {
			fprintf(stderr, "export does not parse: %s\n", cause);
			abort();
		}
		identity(again, root, out, olen);
		reg_file_free(again);
		free(out);
	}
	for (i = 0; i < res.nwarnings; i++)
		one_line(res.warnings[i]);
	reg_apply_result_free(&res);
	hivex_close(h);
	free(root);

out:
	reg_file_free(rf);
	return 0;
}
