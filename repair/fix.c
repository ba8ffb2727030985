/* fix.c: the table of fixes and what they share. */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

extern const struct fix fix_services_reset;
extern const struct fix fix_pol_repair;
extern const struct fix fix_pol_unblock_updates;
extern const struct fix fix_servicing_revert_pending;
extern const struct fix fix_golden_apply;
extern const struct fix fix_txr_reset;
extern const struct fix fix_wu_cache_reset;
extern const struct fix fix_chkdsk_schedule;
extern const struct fix fix_clean_boot;

const struct fix *const fix_table[] = {
	&fix_services_reset,
	&fix_pol_repair,
	&fix_pol_unblock_updates,
	&fix_servicing_revert_pending,
	&fix_golden_apply,
	&fix_txr_reset,
	&fix_wu_cache_reset,
	&fix_chkdsk_schedule,
	&fix_clean_boot,
	NULL
};

const struct fix *
fix_find(const char *id)
{
	const struct fix *const	*f;

	for (f = fix_table; *f != NULL; f++) {
		if (strcmp((*f)->id, id) == 0)
			return *f;
	}
	return NULL;
}

void
fix_change(struct fixctx *fx, const char *fmt, ...)
{
	va_list	ap;

	fx->changes = xreallocarray(fx->changes, fx->nchanges + 1,
	    sizeof *fx->changes);
	va_start(ap, fmt);
	xvasprintf(&fx->changes[fx->nchanges++], fmt, ap);
	va_end(ap);
}

static int
fix_cmp(const void *a, const void *b)
{
	const struct fix	*fa = *(const struct fix *const *)a;
	const struct fix	*fb = *(const struct fix *const *)b;

	return fa->order - fb->order;
}

void
fix_for_findings(const struct finding *findings, size_t n,
    const struct fix ***fixesp, size_t *nfixesp)
{
	const struct fix	**fixes = NULL, *f;
	size_t			  nfixes = 0, i, j;

	for (i = 0; i < n; i++) {
		if (findings[i].fix == NULL ||
		    (f = fix_find(findings[i].fix)) == NULL || !f->in_all)
			continue;
		for (j = 0; j < nfixes && fixes[j] != f; j++)
			;
		if (j < nfixes)
			continue;
		fixes = xreallocarray(fixes, nfixes + 1, sizeof *fixes);
		fixes[nfixes++] = f;
	}
	if (nfixes > 1)
		qsort(fixes, nfixes, sizeof *fixes, fix_cmp);
	*fixesp = fixes;
	*nfixesp = nfixes;
}
