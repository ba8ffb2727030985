/*
 * fix-pol-unblock-updates.c: the Windows Update policies that stop
 * updates, removed from both places Windows has them: the Machine
 * registry.pol (through the journal) and the values Group Policy applied
 * under SOFTWARE\Policies (through regedit). Removing only one is not
 * enough: Group Policy re-applies the file at the next refresh, and the
 * update client reads the hive until then. Which entries block is
 * policy.c's policy_wu_blocks; policy_wu_unblock removes them from the
 * file.
 */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

/* The registry.pol part. A damaged file keeps its damaged part as it was
 * after the rewritten entries: dropping it is pol-repair's decision, not
 * this fix's (with both, pol-repair runs first and this finds the file
 * intact). */
static int
puu_file(struct fixctx *fx, char **cause)
{
	struct policy_file	 pf;
	struct policy_repair	 pr;
	char			**changes = NULL;
	uint8_t			*buf = NULL;
	size_t			 nchanges = 0, len, tail = 0, i;
	int			 ret = -1;

	memset(&pr, 0, sizeof pr);
	if (policy_read(fx->vol, policy_path(POLICY_MACHINE), &pf,
	    cause) != 0)
		return -1;
	if (pf.missing) {
		ret = 0;
		goto out;
	}
	/* Where the damage starts, planned on the entries as read. */
	if (pf.damaged) {
		if (policy_repair_plan(&pf, &pr, cause) != 0)
			goto out;
		tail = pr.drop_len;
	}
	if (policy_wu_unblock(pf.pol, &changes, &nchanges) == 0) {
		ret = 0;
		goto out;
	}
	buf = pol_write(pf.pol, &len);
	if (tail > 0) {
		buf = xrealloc(buf, len + tail);
		memcpy(buf + len, pf.buf + pr.drop_off, tail);
		len += tail;
	}
	for (i = 0; i < nchanges; i++)
		fix_change(fx, "%s: %s", pf.path, changes[i]);
	if (tail > 0)
		fix_change(fx, "%s: kept its damaged last %zu bytes as they "
		    "were after the rewritten entries (pol-repair drops "
		    "them)", pf.path, tail);
	if (fx->journal != NULL && policy_commit(fx->journal, &pf, buf, len,
	    cause) != 0)
		goto out;
	ret = 0;
out:
	for (i = 0; i < nchanges; i++)
		free(changes[i]);
	free(changes);
	free(buf);
	policy_repair_free(&pr);
	policy_file_free(&pf);
	return ret;
}

/* The hive part: each value of a block deleted through regedit (which
 * lists the change), from the copy being edited. */
static int
puu_hive(struct fixctx *fx, char **cause)
{
	struct policy_wu_block	*b = NULL;
	const struct pol_entry	*e;
	struct hive		*hv;
	struct pol		*pol;
	char			*regpath;
	size_t			 nb = 0, i, k;
	int			 ret = -1;

	if ((hv = regedit_hive(fx->regedit, HIVE_SOFTWARE, cause)) == NULL)
		return -1;
	if (policy_wu_hive(hv, &pol, cause) != 0)
		return -1;
	policy_wu_blocks(pol, &b, &nb);
	for (i = 0; i < nb; i++) {
		for (k = 0; k < b[i].nentries; k++) {
			e = &pol->entries[b[i].entries[k]];
			/* "Software\Policies\..." -> "HKLM\SOFTWARE\..." */
			regpath = xprintf("HKLM\\SOFTWARE%s",
			    e->key + strlen("Software"));
			if (regedit_delete(fx->regedit, regpath, e->name,
			    cause) != 0) {
				free(regpath);
				goto out;
			}
			free(regpath);
		}
	}
	ret = 0;
out:
	policy_wu_blocks_free(b, nb);
	pol_free(pol);
	return ret;
}

static int
pol_unblock_apply(struct fixctx *fx, char **cause)
{
	if (puu_file(fx, cause) != 0)
		return -1;
	return puu_hive(fx, cause);
}

const struct fix fix_pol_unblock_updates = {
	.id = "pol-unblock-updates",
	.title = "Remove the policies that block Windows Update",
	.explanation = "Deletes the Windows Update policies that stop "
	    "updates (access to Windows Update turned off, automatic "
	    "updates disabled, an intranet update server as the only "
	    "source) from the Machine registry.pol and the values Group "
	    "Policy applied from them under HKLM\\SOFTWARE\\Policies\\"
	    "Microsoft\\Windows\\WindowsUpdate, so neither brings them back. "
	    "Other policies stay. Undo restores the file and the hive.",
	.order = 55,
	.in_all = 1,
	.apply = pol_unblock_apply
};
