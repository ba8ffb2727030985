/*
 * fuzz_msu.c: the update-package reader of stage add (stage_expand):
 * an .msu or .cab from a download is untrusted input. The bytes are
 * written to a file (stage_expand takes paths) and opened as stage add
 * opens it: cabinet header and every entry judged, an .msu's inner .cab
 * files expanded into a temp directory, update.mum parsed.
 *
 * Invariants checked on every input:
 * - an expand either gives packages or a cause, never both, and a cause
 *   is one line naming the file;
 * - every package has a file, a name of [A-Za-z0-9._-], a manifest and
 *   its identity, a SHA-256 of 64 hex digits;
 * - stage_expand_free removes the temp directory (LeakSanitizer and the
 *   files left in TMPDIR would show it).
 */

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "packages/packages.h"
#include "util/util.h"
#include "fuzzlib.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char			*fuzz_path;
	struct stage_expand		*x = NULL;
	struct stage_package		*p;
	const char *const		*notes;
	const char			*paths[1], *s;
	char				*cause = NULL;
	size_t				 i, n;
	int				 ok;

	fuzz_path = fuzz_file("msu", data, size);
	paths[0] = fuzz_path;
	ok = stage_expand(paths, 1, &x, &cause) == 0;
	if (fuzz_refused(ok, x, cause, fuzz_path))
		return 0;

	p = stage_expand_packages(x, &n);
	for (i = 0; i < n; i++) {
		if (p[i].file == NULL || p[i].name == NULL ||
		    *p[i].name == '\0' || p[i].mum == NULL ||
		    p[i].identity == NULL || strlen(p[i].sha256) != 64)
			abort();
		for (s = p[i].name; *s != '\0'; s++) {
			if (!isalnum((unsigned char)*s) && *s != '.' &&
			    *s != '_' && *s != '-')
				abort();
		}
		(void)stage_role_name(p[i].role);
		(void)stage_applies(&p[i], 19045, "amd64", &cause);
		free(cause);
		cause = NULL;
	}
	notes = stage_expand_notes(x, &n);
	for (i = 0; i < n; i++) {
		if (notes[i] == NULL)
			abort();
	}
	stage_expand_free(x);
	unlink(fuzz_path);
	return 0;
}
