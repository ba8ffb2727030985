/*
 * fix-services-reset.c: the update services back to Windows' defaults
 * where they are disabled or their keys broken (services.c's
 * services_reset decides what to write; regedit lists each change).
 */

#include <stdlib.h>

#include "repair/repair.h"
#include "util/util.h"

static int
services_reset_apply(struct fixctx *fx, char **cause)
{
	uint32_t	 build = 0;
	size_t		 n;
	char		*why = NULL;

	/* The build says which services this Windows has (WaaSMedicSvc
	 * since 1803): a key missing on an older build is not created. */
	if (fx->identity != NULL)
		build = fx->identity->build;
	else if (services_build(fx->vol, &build, &why) != 0) {
		free(why);	/* unknown: services_reset creates nothing */
		build = 0;
	}
	return services_reset(fx->regedit, fx->vol, build, &n, cause);
}

const struct fix fix_services_reset = {
	.id = "services-reset",
	.title = "Update services back to Windows' defaults",
	.explanation = "For each of wuauserv, BITS, WaaSMedicSvc, UsoSvc, "
	    "TrustedInstaller, CryptSvc and msiserver that is disabled or "
	    "broken: Start back to its default (manual, or automatic for "
	    "CryptSvc and UsoSvc) and every missing value it needs to start "
	    "(ImagePath, Type, account, ServiceDll) written back. Healthy "
	    "services are not touched. Offline, the keys' permissions do "
	    "not stand in the way.",
	.order = 40,
	.in_all = 1,
	.apply = services_reset_apply
};
