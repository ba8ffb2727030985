/*
 * check-update-services-disabled.c: the services Windows Update needs,
 * disabled or with keys the Service Control Manager cannot start (the
 * judging is services.c's services_check_update).
 */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

/* "WaaSMedicSvc, wuauserv" of the issues that match; caller frees. */
static char *
usd_names(const struct service_issue *is, size_t n, int disabled)
{
	char	*s = NULL, *t;
	size_t	 i;

	for (i = 0; i < n; i++) {
		if ((is[i].disabled != 0) != disabled)
			continue;
		if (s == NULL)
			s = xstrdup(is[i].name);
		else {
			t = xprintf("%s, %s", s, is[i].name);
			free(s);
			s = t;
		}
	}
	return s;
}

static int
usd_run(struct diag *d, const struct check *c, char **cause)
{
	struct service_issue	*is;
	struct finding		*f;
	struct hive		*h;
	char			*off, *broken;
	size_t			 n, i, j;

	if ((h = diag_hive(d, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	/* The build decides whether WaaSMedicSvc (1803+) and UsoSvc (1709+)
	 * must exist; unknown (0) holds neither's absence against it. */
	if (services_check_update(h, diag_identity(d)->build, &is, &n,
	    cause) != 0)
		return -1;
	if (n == 0)
		return 0;
	/* A disabled service that is also broken counts as disabled: Start
	 * is what the technician saw fail ("cannot be started"). */
	off = usd_names(is, n, 1);
	broken = usd_names(is, n, 0);
	f = diag_finding(d, c, SEV_ERROR, "services-reset", "%zu update "
	    "service%s cannot start: %s%s%s%s%s", n, n == 1 ? "" : "s",
	    off != NULL ? off : "", off != NULL ? " disabled" : "",
	    off != NULL && broken != NULL ? "; " : "",
	    broken != NULL ? broken : "", broken != NULL ?
	    " with a broken key" : "");
	for (i = 0; i < n; i++) {
		for (j = 0; j < is[i].nevidence; j++)
			finding_evidence(f, "%s", is[i].evidence[j]);
	}
	free(off);
	free(broken);
	service_issues_free(is, n);
	return 0;
}

const struct check check_update_services_disabled = {
	.id = "update-services-disabled",
	.title = "Update services disabled",
	.explanation = "Windows Update needs wuauserv, BITS, CryptSvc, "
	    "TrustedInstaller and msiserver (and UsoSvc, WaaSMedicSvc on "
	    "newer builds) able to start: a disabled one or a key without "
	    "its ImagePath, Type, account or ServiceDll makes scans, "
	    "downloads or installs fail. Automatic and manual are both "
	    "healthy. Offline, the key's permissions (WaaSMedicSvc's forbid "
	    "changing it inside Windows) do not stop the repair.",
	.run = usd_run
};
