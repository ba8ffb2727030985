/*
 * check-third-party-services.c: services of other vendors that start with
 * Windows, what CASE.md's clean boot disabled. Microsoft or not is
 * services.c's judgement (service->third_party); this file only picks the
 * ones a clean boot is about.
 */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

/*
 * What msconfig's Services tab lists and its clean boot disables: Win32
 * services (Type 0x10/0x20, maybe 0x100 interactive) that start
 * automatically (Start 2, delayed or not). Drivers are not in that list
 * and are left alone: a third-party storage or filter driver with boot
 * start (SYSTEM_2's VBoxGuest, SYSTEM_B's nvpciflt) can be what makes the
 * disk bootable. Per-user service instances (0x80) are copies of
 * Windows' own templates. fix-clean-boot.c applies the same rule.
 */
static int
tps_wanted(const struct service *s)
{
	return s->third_party && s->start == SERVICE_AUTO &&
	    s->type != SERVICE_NONE && (s->type & 0x30) != 0 &&
	    (s->type & 0x80) == 0;
}

static int
tps_run(struct diag *d, const struct check *c, char **cause)
{
	struct service_list	 sl;
	const struct service	*s;
	struct finding		*f = NULL;
	struct hive		*h;
	char			*names = NULL, *t, *start;
	size_t			 i, n = 0;

	if ((h = diag_hive(d, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	if (services_list(h, &sl, cause) != 0)
		return -1;
	for (i = 0; i < sl.n; i++) {
		if (!tps_wanted(&sl.svcs[i]))
			continue;
		s = &sl.svcs[i];
		t = names == NULL ? xstrdup(s->name) : xprintf("%s, %s",
		    names, s->name);
		free(names);
		names = t;
		n++;
	}
	if (n == 0) {
		services_list_free(&sl);
		return 0;
	}
	/*
	 * Information, not a warning: an agent may interfere with an update
	 * (CASE.md's last resort) but usually does not, and clean-boot is
	 * never part of fix --all, so a warning would keep every PC with an
	 * antivirus at "findings remain" for good.
	 */
	f = diag_finding(d, c, SEV_INFO, "clean-boot", "%zu non-Microsoft "
	    "service%s start%s with Windows: %s", n, n == 1 ? "" : "s",
	    n == 1 ? "s" : "", names);
	free(names);
	for (i = 0; i < sl.n; i++) {
		if (!tps_wanted(&sl.svcs[i]))
			continue;
		s = &sl.svcs[i];
		start = service_start_name(s->start, s->delayed);
		finding_evidence(f, "HKLM\\SYSTEM\\%s\\Services\\%s (%s): "
		    "Start = 2 (%s), ImagePath %s: %s", sl.control_set,
		    s->name, service_display(s), start, s->image_path !=
		    NULL ? s->image_path : "(none)", s->vendor_evidence !=
		    NULL ? s->vendor_evidence : "not Microsoft's");
		free(start);
	}
	services_list_free(&sl);
	return 0;
}

const struct check check_third_party_services = {
	.id = "third-party-services",
	.title = "Non-Microsoft services start with Windows",
	.explanation = "Security and management agents hook into file, "
	    "registry and network access and can block or break an update "
	    "while it installs. When updates keep failing after every other "
	    "repair, a clean boot (only Microsoft's services, no startup "
	    "programs) tells whether one of them is the cause; undo brings "
	    "them back.",
	.run = tps_run
};
