/*
 * fix-pol-repair.c: a damaged Machine registry.pol rewritten with the
 * entries before the damage (policy.c plans the salvage and writes it);
 * the original bytes are saved in the journal, so undo puts them back.
 */

#include <stdlib.h>

#include "repair/repair.h"
#include "util/util.h"

static int
pol_repair_apply(struct fixctx *fx, char **cause)
{
	struct policy_file	 pf;
	struct policy_repair	 pr;
	size_t			 i;
	int			 ret = -1;

	if (policy_read(fx->vol, policy_path(POLICY_MACHINE), &pf,
	    cause) != 0)
		return -1;
	if (policy_repair_plan(&pf, &pr, cause) != 0)
		goto out;
	for (i = 0; i < pr.nchanges; i++)
		fix_change(fx, "%s", pr.changes[i]);
	/* A dry run only describes: nothing is written without a
	 * journal. */
	if (pr.nchanges > 0 && fx->journal != NULL &&
	    policy_commit(fx->journal, &pf, pr.buf, pr.len, cause) != 0)
		goto out;
	ret = 0;
out:
	policy_repair_free(&pr);
	policy_file_free(&pf);
	return ret;
}

const struct fix fix_pol_repair = {
	.id = "pol-repair",
	.title = "Salvage the damaged Machine registry.pol",
	.explanation = "Rewrites Windows\\System32\\GroupPolicy\\Machine\\"
	    "registry.pol with the valid entries before the damage (its "
	    "first bytes, unchanged) so Group Policy can apply it again; "
	    "what follows the damage is dropped. The original is saved in "
	    "the journal: undo restores it byte for byte.",
	.order = 50,
	.in_all = 1,
	.apply = pol_repair_apply
};
