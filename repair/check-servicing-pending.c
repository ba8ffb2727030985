/*
 * check-servicing-pending.c: a servicing transaction that waits for a
 * reboot which never completed it (CASE.md: a leftover WinSxS\Temp\
 * InFlight\...\sechost.dll). While pending.xml and its markers are there,
 * CBS refuses to start another transaction or stumbles over the half-moved
 * files, and every update fails.
 *
 * The CBS and component store markers (RebootPending, PackagesPending,
 * SessionsPending, packages in pending states, pending.xml, InFlight,
 * PendingXmlIdentifier, AdvancedInstallersNeedResolving) are what cbs.c's
 * inventory finds; this check adds SYSTEM's Session Manager
 * PendingFileRenameOperations(2). That list is shared by every installer
 * (drivers, antivirus, Office all queue renames there), so only its
 * entries that name the component store (a "\WinSxS\" path) are
 * servicing's: the others are normal and never make a finding alone.
 */

#include <stdlib.h>
#include <string.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define SP_SESSION_KEY	"CurrentControlSet\\Control\\Session Manager"

static const char *const sp_rename_values[] = {
	"PendingFileRenameOperations",
	"PendingFileRenameOperations2"
};

/*
 * A PendingFileRenameOperations entry: pairs of UTF-16LE strings, source
 * then destination, each ended by a NUL unit, an empty destination
 * meaning "delete at boot"; the list ends with one more NUL. A plain
 * REG_MULTI_SZ reader would stop at the first empty destination, so the
 * whole value is split here.
 */
static int
sp_is_servicing(const char *path)
{
	return strcasestr(path, "\\WinSxS\\") != NULL;
}

static void
sp_renames(struct finding **fp, struct diag *d, const struct check *c,
    struct hive *sys, size_t *nother, size_t *nmine)
{
	struct hive_value	 v;
	char			**s = NULL;
	size_t			 ns = 0, i, k, start;

	for (k = 0; k < sizeof sp_rename_values / sizeof sp_rename_values[0];
	    k++) {
		if (hive_value_get(sys, SP_SESSION_KEY, sp_rename_values[k],
		    &v, NULL) != 0)
			continue;
		ns = 0;
		for (start = i = 0; i + 1 < v.len; i += 2) {
			if (v.data[i] != 0 || v.data[i + 1] != 0)
				continue;
			s = xreallocarray(s, ns + 1, sizeof *s);
			s[ns++] = utf16le_to_utf8(v.data + start, i - start);
			start = i + 2;
		}
		/* The list's own terminator is one more empty string. */
		if (ns % 2 == 1 && *s[ns - 1] == '\0')
			free(s[--ns]);
		for (i = 0; i + 1 < ns; i += 2) {
			if (!sp_is_servicing(s[i]) &&
			    !sp_is_servicing(s[i + 1])) {
				(*nother)++;
				continue;
			}
			if (*fp == NULL)
				*fp = diag_finding(d, c, SEV_ERROR,
				    "servicing-revert-pending", "-");
			(*nmine)++;
			finding_evidence(*fp, "HKLM\\SYSTEM\\%s\\%s: %s %s%s",
			    SP_SESSION_KEY, sp_rename_values[k],
			    *s[i + 1] == '\0' ? "delete" : "rename", s[i],
			    *s[i + 1] == '\0' ? " at boot" : "");
			if (*s[i + 1] != '\0')
				finding_evidence(*fp, "  to %s", s[i + 1]);
		}
		for (i = 0; i < ns; i++)
			free(s[i]);
		hive_value_free(&v);
	}
	free(s);
}

static int
sp_run(struct diag *d, const struct check *c, char **cause)
{
	struct cbs_inventory	 inv;
	struct cbs_problem	*pr;
	struct finding		*f = NULL;
	struct hive		*sw, *comp, *sys;
	size_t			 npr, i, nmark = 0, nother = 0, nmine = 0;

	if ((sw = diag_hive(d, HIVE_SOFTWARE, cause)) == NULL)
		return -1;
	/* COMPONENTS is optional: a volume without it has no store
	 * transaction to wait for. */
	comp = diag_hive(d, HIVE_COMPONENTS, NULL);
	if (cbs_inventory_read_hives(diag_vol(d), sw, comp, 0, &inv,
	    cause) != 0)
		return -1;
	cbs_problems(&inv, &pr, &npr);
	for (i = 0; i < npr; i++) {
		if (strcmp(pr[i].finding, CBS_FINDING_PENDING) != 0)
			continue;
		if (f == NULL)
			f = diag_finding(d, c, SEV_ERROR,
			    "servicing-revert-pending", "-");
		finding_evidence(f, "%s: %s", pr[i].path, pr[i].detail);
		nmark++;
	}
	if (inv.markers_total > inv.nmarkers && f != NULL)
		finding_evidence(f, "%zu more markers not listed",
		    inv.markers_total - inv.nmarkers);
	cbs_problems_free(pr, npr);
	cbs_inventory_free(&inv);

	if ((sys = diag_hive(d, HIVE_SYSTEM, NULL)) != NULL)
		sp_renames(&f, d, c, sys, &nother, &nmine);
	if (f == NULL)
		return 0;
	if (nother > 0)
		finding_evidence(f, "%zu other pending rename%s (not the "
		    "component store's) %s for Windows to do at boot", nother,
		    nother == 1 ? "" : "s", nother == 1 ? "stays" : "stay");
	free(f->summary);
	if (nmark > 0)
		f->summary = xprintf("a servicing operation waits for a "
		    "reboot that never completed it (%zu marker%s%s): Windows "
		    "cannot install updates until it is finished or reverted",
		    nmark, nmark == 1 ? "" : "s", nmine > 0 ? ", component "
		    "store files to move at boot" : "");
	else
		f->summary = xprintf("%zu component store file operation%s "
		    "wait%s for a reboot in PendingFileRenameOperations, left "
		    "by a servicing operation that did not finish: Windows "
		    "cannot install updates until it is finished or reverted",
		    nmine, nmine == 1 ? "" : "s", nmine == 1 ? "s" : "");
	return 0;
}

const struct check check_servicing_pending = {
	.id = "servicing-pending",
	.title = "Servicing operation pending",
	.explanation = "An update that was interrupted before its reboot "
	    "leaves WinSxS\\pending.xml, half-moved files under "
	    "WinSxS\\Temp\\InFlight and markers in the COMPONENTS and "
	    "SOFTWARE hives; CBS then refuses new updates or fails on the "
	    "leftover files (0x8007000d, 0x80073712). DISM's "
	    "/RevertPendingActions is the way out inside Windows; "
	    "servicing-revert-pending does the same offline.",
	.run = sp_run
};
