/*
 * fuzz_reg.c: .reg files (hive/reg.c) from arbitrary bytes.
 *
 * What parses is applied to a private copy of hivex's images/minimal
 * (libguestfs/hivex, LGPL; its non-zero bytes below), under the root key
 * of the file's first key line so that the keys reach the hive, then the
 * hive is exported and the export parsed again. hivex reads the file into
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

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define MINIMAL_SIZE	8192
static const struct {
	size_t		 off, len;
	const char	*bytes;
} minimal_runs[] = {
	{ 0, 97,
	    "\x72\x65\x67\x66\x00\x01\x00\x00\x00\x01\x00\x00"
	    "\xe0\x88\xd0\x9d\x0d\xa4\xca\x01\x01\x00\x00\x00"
	    "\x05\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00"
	    "\x20\x00\x00\x00\x00\x10\x00\x00\x01\x00\x00\x00"
	    "\x5c\x00\x3f\x00\x3f\x00\x5c\x00\x55\x00\x4e\x00"
	    "\x43\x00\x5c\x00\x74\x00\x72\x00\x69\x00\x63\x00"
	    "\x6b\x00\x5c\x00\x74\x00\x6d\x00\x70\x00\x5c\x00"
	    "\x44\x00\x45\x00\x46\x00\x41\x00\x55\x00\x4c\x00"
	    "\x54" },
	{ 508, 4,
	    "\xbf\x59\x38\xfa" },
	{ 4096, 10,
	    "\x68\x62\x69\x6e\x00\x00\x00\x00\x00\x10" },
	{ 4116, 34,
	    "\xe0\x88\xd0\x9d\x0d\xa4\xca\x01\x00\x00\x00\x00"
	    "\xa0\xff\xff\xff\x6e\x6b\x2c\x00\x20\x27\x42\x99"
	    "\x0d\xa4\xca\x01\x00\x00\x00\x00\xc0\x07" },
	{ 4160, 24,
	    "\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\x00\x00"
	    "\xff\xff\xff\xff\x80\x00\x00\x00\xff\xff\xff\xff" },
	{ 4204, 334,
	    "\x0c\x00\x00\x00\x24\x24\x24\x50\x52\x4f\x54\x4f"
	    "\x2e\x48\x49\x56\x00\x00\x00\x00\xc8\xfe\xff\xff"
	    "\x73\x6b\x00\x00\x80\x00\x00\x00\x80\x00\x00\x00"
	    "\x01\x00\x00\x00\x1c\x01\x00\x00\x01\x00\x04\x94"
	    "\x00\x01\x00\x00\x10\x01\x00\x00\x00\x00\x00\x00"
	    "\x14\x00\x00\x00\x02\x00\xec\x00\x0a\x00\x00\x00"
	    "\x00\x00\x18\x00\x19\x00\x02\x00\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x21\x02\x00\x00"
	    "\x00\x0a\x18\x00\x00\x00\x00\x80\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x21\x02\x00\x00"
	    "\x00\x00\x18\x00\x19\x00\x02\x00\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x23\x02\x00\x00"
	    "\x00\x0a\x18\x00\x00\x00\x00\x80\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x23\x02\x00\x00"
	    "\x00\x00\x18\x00\x3f\x00\x0f\x00\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x20\x02\x00\x00"
	    "\x00\x0a\x18\x00\x00\x00\x00\x10\x01\x02\x00\x00"
	    "\x00\x00\x00\x05\x20\x00\x00\x00\x20\x02\x00\x00"
	    "\x00\x00\x14\x00\x3f\x00\x0f\x00\x01\x01\x00\x00"
	    "\x00\x00\x00\x05\x12\x00\x00\x00\x00\x0a\x14\x00"
	    "\x00\x00\x00\x10\x01\x01\x00\x00\x00\x00\x00\x05"
	    "\x12\x00\x00\x00\x00\x00\x18\x00\x3f\x00\x0f\x00"
	    "\x01\x02\x00\x00\x00\x00\x00\x05\x20\x00\x00\x00"
	    "\x20\x02\x00\x00\x00\x0a\x14\x00\x00\x00\x00\x10"
	    "\x01\x01\x00\x00\x00\x00\x00\x03\x00\x00\x00\x00"
	    "\x01\x02\x00\x00\x00\x00\x00\x05\x20\x00\x00\x00"
	    "\x20\x02\x00\x00\x01\x01\x00\x00\x00\x00\x00\x05"
	    "\x12\x00\x00\x00\x00\x00\x00\x00\x48\x0e" },
};

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
	size_t		 i;
	int		 fd;

	if (minimal_path != NULL)
		return minimal_path;
	hive = xcalloc(1, MINIMAL_SIZE);
	for (i = 0; i < sizeof minimal_runs / sizeof minimal_runs[0]; i++)
		memcpy(hive + minimal_runs[i].off, minimal_runs[i].bytes,
		    minimal_runs[i].len);
	if ((tmp = getenv("TMPDIR")) == NULL || *tmp == '\0')
		tmp = "/tmp";
	minimal_path = xprintf("%s/fuzz_reg.XXXXXX", tmp);
	if ((fd = mkstemp(minimal_path)) == -1)
		fatal("mkstemp %s", minimal_path);
	close(fd);
	if (file_write_all(minimal_path, hive, MINIMAL_SIZE, &cause) != 0)
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
