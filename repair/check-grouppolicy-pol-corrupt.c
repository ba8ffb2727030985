/*
 * check-grouppolicy-pol-corrupt.c: the Machine registry.pol fails the
 * strict PReg check (policy.c reads and judges it, hive/pol.c parses).
 */

#include <stdlib.h>

#include "repair/repair.h"
#include "util/util.h"

static int
gpc_run(struct diag *d, const struct check *c, char **cause)
{
	struct policy_file	 pf;
	struct finding		*f;
	size_t			 kept;

	if (policy_read(diag_vol(d), policy_path(POLICY_MACHINE), &pf,
	    cause) != 0)
		return -1;
	/* No file is no local policy: normal, nothing to judge. */
	if (pf.missing || !pf.damaged) {
		policy_file_free(&pf);
		return 0;
	}
	kept = pf.pol->nentries;
	f = diag_finding(d, c, SEV_ERROR, "pol-repair", "the local Group "
	    "Policy file %s is damaged (%zu bytes): Group Policy cannot apply "
	    "it", pf.path, pf.len);
	/* "offset 16036 (0x3ea4): key not terminated (entry 91 at offset
	 * 16034)": where, why, and which entry. */
	finding_evidence(f, "%s", pf.err.msg);
	if (kept == 0)
		finding_evidence(f, "no entry before the damage is valid");
	else
		finding_evidence(f, "%zu entr%s before the damage %s valid "
		    "(the file's first %zu bytes): pol-repair keeps %s", kept,
		    kept == 1 ? "y" : "ies", kept == 1 ? "is" : "are",
		    pf.err.entry_off, kept == 1 ? "it" : "them");
	policy_file_free(&pf);
	return 0;
}

const struct check check_grouppolicy_pol_corrupt = {
	.id = "grouppolicy-pol-corrupt",
	.title = "Group Policy registry.pol damaged",
	.explanation = "A registry.pol that does not parse stops Group "
	    "Policy processing on the PC (event 1096), and with it tools "
	    "configured through local policy, such as a company's update "
	    "client (CASE.md). Repair keeps the valid entries before the "
	    "damage; the original stays in the journal.",
	.run = gpc_run
};
