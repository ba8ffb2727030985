/*
 * check-wu-cache.c: Windows Update's cache (SoftwareDistribution: the
 * DataStore database and the downloads; System32\catroot2: the catalog
 * database) is there while updates fail in a way the cache causes:
 * ReportingEvents.log failures with a Windows Update agent code
 * (0x8024xxxx, CASE.md's 0x80240439), a corrupt download, or CBS unable to
 * expand a downloaded cabinet. A cache is always there; only the failures
 * make it a finding, so a healthy PC never shows it.
 */

#include <stdlib.h>
#include <string.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define WU_SD		"Windows\\SoftwareDistribution"
#define WU_CATROOT2	"Windows\\System32\\catroot2"
#define WU_EVIDENCE	6

/* Failures that clearing the cache cures: the agent's own codes (a
 * damaged DataStore or download: 0x80240439, 0x80246007, ...), a corrupt
 * file, and catalog trouble (catroot2). */
static int
wu_cache_code(uint32_t hr)
{
	return (hr & 0xffff0000u) == 0x80240000u ||
	    hr == 0x80070570 ||		/* ERROR_FILE_CORRUPT */
	    hr == 0x800b0100 ||		/* TRUST_E_NOSIGNATURE */
	    hr == 0x800b0109;		/* CERT_E_UNTRUSTEDROOT */
}

static int
wu_cache_run(struct diag *d, const struct check *c, char **cause)
{
	const struct logscan		*s;
	const struct logscan_event	*e;
	struct vol			*vol = diag_vol(d);
	struct finding			*f;
	int				 sd, cr2;
	int32_t				 bias;
	time_t				 reset, u;
	size_t				 i, nev = 0;
	char				**lines = NULL;

	sd = vol_exists(vol, WU_SD);
	cr2 = vol_exists(vol, WU_CATROOT2);
	if (!sd && !cr2)
		return 0;
	if ((s = logscan_shared(vol, cause)) == NULL)
		return -1;
	/* After wu-cache-reset, CBS.log still tells of the old cache. */
	reset = logscan_aside_time(vol, WU_SD);
	if (logscan_time_bias(diag_hive(d, HIVE_SYSTEM, NULL), &bias) != 0)
		bias = LOGSCAN_BIAS_EARLIEST;
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		if (e->stale)
			continue;
		if (e->kind == LOGSCAN_EV_WU_FAILURE) {
			if (!wu_cache_code(e->hr))
				continue;
			/* ReportingEvents.log writes UTC. */
			u = logscan_time_utc(e->time, 0);
		} else if (e->kind == LOGSCAN_EV_DOWNLOAD)
			u = logscan_time_utc(e->time, bias);
		else
			continue;
		if (reset != 0 && (u == (time_t)-1 || u <= reset))
			continue;
		lines = xreallocarray(lines, nev + 1, sizeof *lines);
		lines[nev++] = logscan_event_evidence(s, e);
	}
	if (nev == 0)
		return 0;

	f = diag_finding(d, c, SEV_ERROR, "wu-cache-reset", "Windows "
	    "Update's cache is damaged: downloads or installs failed in a way "
	    "a fresh %s%s%s cures; rename %s aside and Windows makes new ones",
	    sd ? "SoftwareDistribution" : "", sd && cr2 ? " and " : "",
	    cr2 ? "catroot2" : "", sd && cr2 ? "both" : "it");
	for (i = nev; i > 0 && nev - i < WU_EVIDENCE; i--)
		finding_evidence(f, "%s", lines[i - 1]);
	if (nev > WU_EVIDENCE)
		finding_evidence(f, "... and %zu more (ntmend logs scan)",
		    nev - WU_EVIDENCE);
	if (sd)
		finding_evidence(f, "present: " WU_SD);
	if (cr2)
		finding_evidence(f, "present: " WU_CATROOT2);
	for (i = 0; i < nev; i++)
		free(lines[i]);
	free(lines);
	return 0;
}

const struct check check_wu_cache = {
	.id = "wu-cache",
	.title = "Windows Update cache damaged",
	.explanation = "Windows Update keeps its database and downloads in "
	    "SoftwareDistribution and its catalog database in catroot2; once "
	    "either is damaged, downloads fail (0x80240439 in the field case) "
	    "or CBS rejects the downloaded files until both are cleared.",
	.run = wu_cache_run
};
