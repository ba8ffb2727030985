/*
 * check-package-manifest-corrupt.c: packages CBS holds (installed, staged,
 * pending) whose manifest or catalog in Windows\servicing\Packages is
 * missing, empty or malformed (CASE.md: the corrupt Feature-on-Demand
 * manifests, e.g. Microsoft-Windows-Printing-PMCPPC-FoD-Package ... zh-CN,
 * and "not only one"). CBS reads every such .mum when it plans an update,
 * so one bad file fails them all with 0x8007000d ERROR_INVALID_DATA. The
 * judging (which states need files, what malformed means) is cbs.c's.
 */

#include <stdlib.h>
#include <string.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

static int
pmc_run(struct diag *d, const struct check *c, char **cause)
{
	struct cbs_inventory		 inv;
	struct cbs_problem		*pr;
	const struct cbs_package	*p;
	struct finding			*f = NULL;
	struct hive			*sw, *comp;
	const char			*state;
	size_t				 npr, i, nfiles = 0, npkgs = 0;
	ssize_t				 last = -1;

	if ((sw = diag_hive(d, HIVE_SOFTWARE, cause)) == NULL)
		return -1;
	comp = diag_hive(d, HIVE_COMPONENTS, NULL);
	if (cbs_inventory_read_hives(diag_vol(d), sw, comp, 0, &inv,
	    cause) != 0)
		return -1;
	cbs_problems(&inv, &pr, &npr);
	for (i = 0; i < npr; i++) {
		if (strcmp(pr[i].finding, CBS_FINDING_MANIFEST) != 0)
			continue;
		if (f == NULL)
			f = diag_finding(d, c, SEV_ERROR, "golden-apply", "-");
		/* The package once, then each of its bad files: a .mum and
		 * its .cat can both be wrong. */
		if (pr[i].pkg >= 0 && pr[i].pkg != last) {
			p = &inv.pkgs[pr[i].pkg];
			state = p->has_state ? cbs_state_name(p->state) : NULL;
			finding_evidence(f, "package %s (%s)", p->name,
			    state != NULL ? state : "state unknown");
			last = pr[i].pkg;
			npkgs++;
		}
		finding_evidence(f, "  %s: %s", pr[i].path, pr[i].detail);
		nfiles++;
	}
	cbs_problems_free(pr, npr);
	cbs_inventory_free(&inv);
	if (f == NULL)
		return 0;
	free(f->summary);
	f->summary = xprintf("%zu package%s CBS holds %s a missing or damaged "
	    "manifest or catalog in %s (%zu file%s): every update fails "
	    "reading %s; put back the files from a healthy PC of the same "
	    "build (ntmend golden capture there, then fix --golden ARCHIVE "
	    "golden-apply here)", npkgs, npkgs == 1 ? "" : "s",
	    npkgs == 1 ? "has" : "have", CBS_PACKAGES_DIR, nfiles,
	    nfiles == 1 ? "" : "s", npkgs == 1 ? "it" : "them");
	return 0;
}

const struct check check_package_manifest_corrupt = {
	.id = "package-manifest-corrupt",
	.title = "Package manifests damaged",
	.explanation = "CBS keeps each package's manifest (.mum) and catalog "
	    "(.cat) in Windows\\servicing\\Packages and reads them whenever "
	    "an update is planned: a missing, empty or malformed one for a "
	    "package it lists as installed fails every update with 0x8007000d "
	    "(ERROR_INVALID_DATA). The files cannot be rebuilt offline; they "
	    "come back from a known-good archive of the same build.",
	.run = pmc_run
};
