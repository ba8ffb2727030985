/*
 * check-store-corrupt.c: the component store (WinSxS) is damaged, as
 * CBS.log and dism.log tell it since the last successful install:
 * "CSI Payload Corrupt", hash mismatches CSI cannot repair,
 * STATUS_SXS_COMPONENT_STORE_CORRUPT, 0x80073712, and 0x8007000d /
 * 0x800f081f on lines that name the package or file concerned.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define STORE_EVIDENCE	6	/* log lines shown; the rest counted */

/* Codes that mean a damaged store on any line: the store itself says so. */
static int
store_code_always(uint32_t hr)
{
	return hr == 0x80073712 ||	/* ERROR_SXS_COMPONENT_STORE_CORRUPT */
	    hr == 0x800f0831 ||		/* CBS_E_STORE_CORRUPTION */
	    hr == 0xd015001a;		/* STATUS_SXS_COMPONENT_STORE_CORRUPT */
}

/*
 * Codes that mean it only with more said. 0x8007000d is also a healthy
 * CBS's answer to many a probe: it counts on a line naming the package
 * or file (the field case's "Failed to load package <FoD> [0x8007000d]").
 * 0x800f081f alone is "no source", which a PC that tried to turn on .NET
 * 3.5 without its media logs too: it counts as "Failed to find file:
 * <component>\<file>" (a source-missing event) or as the result of a
 * DISM /Cleanup-Image run, never for a feature that was asked for.
 */
static int
store_code_named(uint32_t hr)
{
	return hr == 0x8007000d;
}

static int
store_code_shown(uint32_t hr)
{
	return store_code_always(hr) || hr == 0x8007000d || hr == 0x800f081f;
}

/* CSI names a member file bare ("dot3gpui.dll") where CheckSUR gives its
 * component directory too: show the bare name only when no path ends in
 * it. */
static int
store_file_listed(const struct logscan *s, size_t k)
{
	const char	*name = s->files[k].name, *other, *b;
	size_t		 i;

	if (strchr(name, '\\') != NULL)
		return 0;
	for (i = 0; i < s->nfiles; i++) {
		other = s->files[i].name;
		if (i == k || s->files[i].current == 0 ||
		    (b = strrchr(other, '\\')) == NULL)
			continue;
		if (strcasecmp(b + 1, name) == 0)
			return 1;
	}
	return 0;
}

static int
store_corrupt_run(struct diag *d, const struct check *c, char **cause)
{
	const struct logscan		*s;
	const struct logscan_event	*e;
	const struct logscan_code	*code;
	struct finding			*f;
	char				*ev, **lines = NULL;
	const char			*what;
	size_t				 nlines = 0, i, shown, ncorrupt = 0;
	size_t				 nmissing = 0, nnamed = 0;
	int				 dism_failed;

	if ((s = logscan_shared(diag_vol(d), cause)) == NULL)
		return -1;
	/* The lines that say what is damaged are the evidence; failures
	 * that only carry a code are summed up per code below. */
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		if (e->stale)
			continue;
		if (e->kind == LOGSCAN_EV_STORE_CORRUPT)
			ncorrupt++;
		else if (e->kind == LOGSCAN_EV_SOURCE_MISSING)
			nmissing++;
		else {
			if (e->kind == LOGSCAN_EV_FAILURE &&
			    store_code_named(e->hr) && (e->package != NULL ||
			    e->file != NULL))
				nnamed++;
			continue;
		}
		lines = xreallocarray(lines, nlines + 1, sizeof *lines);
		lines[nlines++] = logscan_event_evidence(s, e);
	}
	for (i = 0; i < s->ncodes; i++) {
		if (s->codes[i].current > 0 && store_code_always(s->codes[i].hr))
			nnamed++;
	}
	/* DISM /RestoreHealth or /ScanHealth that found damage it could not
	 * repair without a source. */
	dism_failed = s->dism.command != NULL &&
	    strcasestr(s->dism.command, "/Cleanup-Image") != NULL &&
	    s->dism.outcome == LOGSCAN_FAILED &&
	    (s->dism.hr == 0x800f081f || store_code_always(s->dism.hr)) &&
	    (s->last_ok[0] == '\0' || strcmp(s->dism.time, s->last_ok) > 0);
	if (ncorrupt + nmissing + nnamed == 0 && !dism_failed) {
		free(lines);
		return 0;
	}

	what = ncorrupt > 0 ? "damaged files in the component store" :
	    "component store errors";
	f = diag_finding(d, c, SEV_ERROR, "golden-apply", "the component "
	    "store (WinSxS) is damaged: CBS.log reports %s%s%s; Windows "
	    "cannot install updates until the damaged files are replaced",
	    what, nmissing > 0 ? " and no source to repair them from" : "",
	    s->last.outcome == LOGSCAN_FAILED && s->last.hr != 0 ?
	    " (the last update failed with them)" : "");
	/* Newest first: what the technician meets at the end of CBS.log. */
	for (i = nlines, shown = 0; i > 0 && shown < STORE_EVIDENCE; i--,
	    shown++)
		finding_evidence(f, "%s", lines[i - 1]);
	if (nlines > shown)
		finding_evidence(f, "... and %zu more such lines (ntmend logs "
		    "scan lists them)", nlines - shown);
	/* Per code: how many lines and the last, which names the package or
	 * file when the line does. */
	for (i = 0; i < s->ncodes; i++) {
		code = &s->codes[i];
		if (code->current == 0 || !store_code_shown(code->hr))
			continue;
		ev = logscan_ref_evidence(s, &code->last);
		finding_evidence(f, "0x%08x %s: %llu line%s since the last "
		    "successful install, the last %s", code->hr,
		    code->name != NULL ? code->name : "",
		    (unsigned long long)code->current,
		    code->current == 1 ? "" : "s", ev);
		free(ev);
	}
	for (i = 0; i < s->nfiles; i++) {
		if (s->files[i].current > 0 && !store_file_listed(s, i))
			finding_evidence(f, "damaged or missing: %s",
			    s->files[i].name);
	}
	for (i = 0; i < s->npackages; i++) {
		if (s->packages[i].current > 0 &&
		    strchr(s->packages[i].name, '~') != NULL)
			finding_evidence(f, "package named: %s",
			    s->packages[i].name);
	}
	if (dism_failed)
		finding_evidence(f, "dism.log %s: %s failed with 0x%08x%s%s",
		    s->dism.time, s->dism.command, s->dism.hr,
		    logscan_hresult_name(s->dism.hr) != NULL ? " " : "",
		    logscan_hresult_name(s->dism.hr) != NULL ?
		    logscan_hresult_name(s->dism.hr) : "");
	finding_evidence(f, "replace the damaged files from a healthy PC of "
	    "the same build (ntmend fix golden-apply --golden ARCHIVE), then "
	    "stage 'DISM /Online /Cleanup-Image /RestoreHealth' for the next "
	    "boot (ntmend stage) so Windows verifies the whole store");
	for (i = 0; i < nlines; i++)
		free(lines[i]);
	free(lines);
	return 0;
}

const struct check check_store_corrupt = {
	.id = "store-corrupt",
	.title = "Component store damaged",
	.explanation = "Every update is built from the component store "
	    "(WinSxS): a file there that is corrupt or missing makes CBS stop "
	    "the install with 0x80073712, 0x8007000d or 0x800f081f, and DISM "
	    "/RestoreHealth cannot repair it without a source.",
	.run = store_corrupt_run
};
