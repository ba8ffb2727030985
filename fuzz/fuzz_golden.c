/*
 * fuzz_golden.c: a known-good archive as golden verify and apply open it
 * (an archive from another PC is untrusted input): golden_open on the
 * bytes written to a file, then golden_check and what can be asked of an
 * opened archive without a volume.
 *
 * Invariants checked on every input:
 * - an open either gives an archive or a cause, never both, and a cause
 *   is one line (refusals name the entry and the rule);
 * - golden_check likewise succeeds or gives a one-line cause;
 * - an archive with a manifest has a source and no mapping, a plain one
 *   a mapping and no source; the source's strings (printed by verify)
 *   have no control characters.
 */

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

/* A string from the archive that verify prints: no control characters. */
static void
check_shown(const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char			*fuzz_path;
	struct golden			*g = NULL;
	const struct golden_source	*src;
	const struct golden_counts	*c;
	const struct golden_item	*items;
	const char *const		*roots, *const *l;
	const char			*mapping;
	char				*cause = NULL;
	size_t				 i, n;
	int				 ok;

	fuzz_path = fuzz_file("golden", data, size);
	ok = golden_open(fuzz_path, NULL, NULL, &g, &cause) == 0;
	if (fuzz_refused(ok, g, cause, fuzz_path))
		return 0;

	src = golden_source_of(g);
	if (src != NULL) {
		check_shown(src->product);
		check_shown(src->edition);
		check_shown(src->display_version);
		check_shown(src->arch);
		check_shown(src->computer_name);
	}
	mapping = golden_mapping(g);
	if ((src == NULL) == (mapping == NULL))
		abort();
	roots = golden_roots(g, &n);
	for (i = 0; i < n; i++) {
		if (roots[i] == NULL)
			abort();
	}

	if (golden_check(g, NULL, NULL, &cause) != 0) {
		fuzz_check_cause(cause);
		free(cause);
		cause = NULL;
	} else if (cause != NULL)
		abort();

	/* Before a plan these are empty, but must be safe to ask. */
	items = golden_items(g, &n);
	for (i = 0; i < n; i++)
		(void)golden_state_name(items[i].state);
	c = golden_counts(g);
	(void)c;
	l = golden_changes(g, &n);
	(void)l;
	l = golden_warnings(g, &n);
	(void)l;
	(void)golden_need(g);

	/* A source check against a build and architecture: passes for a
	 * plain archive, refuses or accepts with a manifest. */
	if (golden_check_source(g, 19045, "amd64", &cause) != 0) {
		fuzz_check_cause(cause);
		free(cause);
		cause = NULL;
	}
	/* Select the first root, as verify does with a path given. */
	roots = golden_roots(g, &n);
	if (n > 0 && golden_select(g, roots, 1, &cause) != 0) {
		fuzz_check_cause(cause);
		free(cause);
	}
	golden_free(g);
	unlink(fuzz_path);
	return 0;
}
