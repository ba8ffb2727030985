/*
 * fuzz_mum.c: the package manifest (.mum) parser and the manifest check
 * of the CBS inventory.
 *
 * Invariants checked on every input:
 * - a parse either gives a manifest or a cause, never both, and a cause
 *   is one line (what the package-manifest-corrupt finding prints);
 * - a manifest has the identity name and version it was accepted for,
 *   every update's members lie inside members[], ss_required points at
 *   an installerAssembly's version, lists stay within NTM_MAX_MUM_ITEMS;
 * - parsing is deterministic: the same bytes give the same identity;
 * - cbs_mum_check agrees with mum_parse, and finds a manifest checked
 *   against its own identity string consistent (never a mismatch);
 * - the catalog check accepts or refuses any prefix without reading past
 *   it.
 */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "packages/packages.h"
#include "util/util.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cause(const char *cause)
{
	if (cause == NULL || *cause == '\0' || strchr(cause, '\n') != NULL ||
	    strchr(cause, '\r') != NULL || strlen(cause) > 600)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mum	*m = NULL, *m2 = NULL;
	struct cbs_file	 f;
	char		*cause = NULL, *cause2 = NULL, *id, *id2, *r = NULL;
	size_t		 i, total;
	int		 ok, found;

	ok = mum_parse(data, size, &m, &cause) == 0;
	if (ok != (m != NULL) || ok == (cause != NULL))
		abort();
	memset(&f, 0, sizeof f);
	if (!ok) {
		check_cause(cause);
		cbs_mum_check(data, size, NULL, &f, NULL);
		if (f.status != CBS_FILE_MALFORMED &&
		    f.status != CBS_FILE_EMPTY)
			abort();
		check_cause(f.reason);
		free(f.reason);
		free(cause);
		goto cat;
	}

	if (m->identity.name == NULL || *m->identity.name == '\0' ||
	    m->identity.version == NULL || *m->identity.version == '\0')
		abort();
	total = 0;
	for (i = 0; i < m->nupdates; i++) {
		if (m->updates[i].first + m->updates[i].nmembers > m->nmembers ||
		    m->updates[i].first < total)
			abort();
		total = m->updates[i].first + m->updates[i].nmembers;
	}
	if (m->nupdates > NTM_MAX_MUM_ITEMS || m->nmembers > NTM_MAX_MUM_ITEMS ||
	    m->nparents > NTM_MAX_MUM_ITEMS || m->ninstallers >
	    NTM_MAX_MUM_ITEMS || m->ncapabilities > NTM_MAX_MUM_ITEMS ||
	    m->ndependencies > NTM_MAX_MUM_ITEMS)
		abort();
	if (m->ss_required != NULL) {
		found = 0;
		for (i = 0; i < m->ninstallers; i++)
			found |= m->installers[i].version == m->ss_required;
		if (!found)
			abort();
	}
	for (i = 0; i < m->nmembers; i++)
		(void)mum_member_kind_name(m->members[i].kind);
	id = mum_identity_string(&m->identity);
	if (mum_version_cmp(m->identity.version, m->identity.version) != 0)
		abort();

	if (mum_parse(data, size, &m2, &cause2) != 0)
		abort();
	id2 = mum_identity_string(&m2->identity);
	if (strcmp(id, id2) != 0)
		abort();
	free(id2);
	mum_free(m2);

	cbs_mum_check(data, size, id, &f, NULL);
	if (f.status != CBS_FILE_OK || f.reason != NULL)
		abort();
	free(id);
	mum_free(m);

cat:
	/* The same bytes as a catalog's head, at every length up to 19. */
	for (i = 0; i <= size && i <= 19; i++) {
		if (cbs_cat_check(data, i, size, &r) != 0) {
			check_cause(r);
			free(r);
			r = NULL;
		}
	}
	return 0;
}
