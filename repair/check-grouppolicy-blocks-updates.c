/*
 * check-grouppolicy-blocks-updates.c: Windows Update policies that stop
 * updates, in the Machine registry.pol (what Group Policy applies at every
 * refresh) and in the SOFTWARE hive under Policies (what it applied last,
 * and what the update client reads). Which policies block, and why, is
 * policy.c's policy_wu_blocks; both places are judged by it
 * (policy_wu_hive gives it the hive's values as entries).
 */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

/* "HKLM\SOFTWARE\Policies\...\AU\NoAutoUpdate = REG_DWORD 1"; caller
 * frees. */
static char *
gpb_hive_value(const struct pol_entry *e)
{
	char	*t, *v, *s;

	t = pol_type_name(e->type);
	v = pol_entry_format(e);
	s = xprintf("HKLM\\SOFTWARE%s\\%s = %s %s", e->key + strlen(
	    "Software"), e->name, t, v);
	free(v);
	free(t);
	return s;
}

/* Add id to the list of distinct ones (static strings). */
static void
gpb_id_add(const struct policy_wu_block *b, const struct policy_wu_block
    **ids, size_t *n)
{
	size_t	i;

	for (i = 0; i < *n; i++) {
		if (strcmp(ids[i]->id, b->id) == 0)
			return;
	}
	ids[(*n)++] = b;
}

static int
gpb_run(struct diag *d, const struct check *c, char **cause)
{
	struct policy_file	 pf;
	struct policy_wu_block	*pb = NULL, *hb = NULL;
	const struct policy_wu_block **ids;
	struct finding		*f;
	struct hive		*h;
	struct pol		*hpol = NULL;
	size_t			 npb = 0, nhb = 0, nids = 0, i, k;
	char			*list = NULL, *t, *v;
	int			 serious = 0;

	if (policy_read(diag_vol(d), policy_path(POLICY_MACHINE), &pf,
	    cause) != 0)
		return -1;
	if (!pf.missing)
		policy_wu_blocks(pf.pol, &pb, &npb);
	/* No SOFTWARE hive is another check's matter; the file is still
	 * judged. */
	if ((h = diag_hive(d, HIVE_SOFTWARE, NULL)) != NULL &&
	    policy_wu_hive(h, &hpol, cause) != 0) {
		policy_wu_blocks_free(pb, npb);
		policy_file_free(&pf);
		return -1;
	}
	if (hpol != NULL)
		policy_wu_blocks(hpol, &hb, &nhb);
	if (npb + nhb == 0)
		goto out;

	ids = xcalloc(npb + nhb, sizeof *ids);
	for (i = 0; i < npb; i++)
		gpb_id_add(&pb[i], ids, &nids);
	for (i = 0; i < nhb; i++)
		gpb_id_add(&hb[i], ids, &nids);
	for (i = 0; i < nids; i++) {
		t = list == NULL ? xstrdup(ids[i]->id) : xprintf("%s, %s",
		    list, ids[i]->id);
		free(list);
		list = t;
		/* An intranet server alone is how managed PCs are meant to
		 * update: only a problem when that server fails them. */
		if (strcmp(ids[i]->id, "intranet-server") != 0)
			serious = 1;
	}
	f = diag_finding(d, c, serious ? SEV_ERROR : SEV_WARNING,
	    "pol-unblock-updates", "Group Policy stops Windows Update (%s)%s%s",
	    list, npb > 0 ? (nhb > 0 ? ": set in the Machine registry.pol "
	    "and applied in the SOFTWARE hive" : ": set in the Machine "
	    "registry.pol") : ": applied in the SOFTWARE hive",
	    pf.damaged && npb > 0 ? " (the file is damaged; these are among "
	    "the entries before the damage)" : "");
	for (i = 0; i < nids; i++)
		finding_evidence(f, "%s: %s", ids[i]->id, ids[i]->what);
	for (i = 0; i < npb; i++)
		finding_evidence(f, "%s: %s", pf.path, pb[i].evidence);
	for (i = 0; i < nhb; i++) {
		for (k = 0; k < hb[i].nentries; k++) {
			v = gpb_hive_value(&hpol->entries[hb[i].entries[k]]);
			finding_evidence(f, "%s (%s)", v, hb[i].id);
			free(v);
		}
	}
	free(list);
	free(ids);
out:
	policy_wu_blocks_free(hb, nhb);
	policy_wu_blocks_free(pb, npb);
	pol_free(hpol);
	policy_file_free(&pf);
	return 0;
}

const struct check check_grouppolicy_blocks_updates = {
	.id = "grouppolicy-blocks-updates",
	.title = "Group Policy blocks Windows Update",
	.explanation = "Policies under Software\\Policies\\Microsoft\\Windows\\"
	    "WindowsUpdate can turn off Windows Update, automatic updates, "
	    "or send the PC to an intranet update server only (one that is "
	    "gone or broken delivers nothing). Group Policy re-applies them "
	    "from registry.pol at every refresh, so both the file and the "
	    "applied values must go; a domain GPO would bring them back "
	    "from the server.",
	.run = gpb_run
};
