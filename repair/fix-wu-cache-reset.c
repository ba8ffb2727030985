/*
 * fix-wu-cache-reset.c: Windows Update's cache renamed aside, the offline
 * form of Microsoft's "reset Windows Update components" (stop wuauserv,
 * bits and cryptsvc, rename SoftwareDistribution and catroot2, start them
 * again): Windows\SoftwareDistribution and Windows\System32\catroot2
 * become <name>.ntmend-<UTC time> siblings, renamed and not deleted, each
 * rename journaled. Nothing runs offline, so no service needs stopping;
 * at the next boot Windows Update and the Cryptographic service create
 * both folders anew and download again.
 */

#include <stdlib.h>
#include <time.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

static const char *const wu_cache_dirs[] = {
	"Windows\\SoftwareDistribution",
	"Windows\\System32\\catroot2",
};

static int
wu_cache_reset_apply(struct fixctx *fx, char **cause)
{
	time_t	 now = time(NULL);
	char	*to;
	size_t	 i;
	int	 r;

	for (i = 0; i < sizeof wu_cache_dirs / sizeof wu_cache_dirs[0]; i++) {
		if (!vol_exists(fx->vol, wu_cache_dirs[i]))
			continue;
		to = logscan_aside_path(fx->vol, wu_cache_dirs[i], now);
		fix_change(fx, "rename %s to %s (Windows makes a new one)",
		    wu_cache_dirs[i], to);
		r = fx->journal == NULL ? 0 : journal_rename(fx->journal,
		    wu_cache_dirs[i], to, cause);
		free(to);
		if (r != 0)
			return -1;
	}
	return 0;
}

const struct fix fix_wu_cache_reset = {
	.id = "wu-cache-reset",
	.title = "Reset the Windows Update cache",
	.explanation = "Renames Windows\\SoftwareDistribution (the update "
	    "database and downloads) and Windows\\System32\\catroot2 (the "
	    "catalog database) to <name>.ntmend-<time>, not deleting them; "
	    "Windows creates both again at the next boot and downloads the "
	    "updates afresh. Undo renames them back.",
	.order = 60,
	.in_all = 1,
	.apply = wu_cache_reset_apply
};
