/*
 * fix-txr-reset.c: the registry's transaction logs moved aside.
 *
 * Everything in Windows\System32\config\TxR (the CLFS base logs .blf and
 * their .regtrans-ms containers) goes into a dated folder beside it,
 * TxR.ntmend-<UTC time>: renamed, not deleted, each rename journaled.
 * With TxR empty, the registry's resource manager starts fresh logs at
 * the next boot, which is what Microsoft's fix for 0x80071a91/0x80071ab1
 * does by deleting them, and what CASE.md's 'fsutil resource setautoreset
 * true C:\' asks Windows to do at the next start. The hives themselves
 * are untouched.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define TXR_DIR		"Windows\\System32\\config\\TxR"
#define TXR_MAX_MOVE	4096	/* a healthy TxR has 7 entries; a damaged
				   one with more is still moved whole up to
				   this, and refused past it */

struct txr_list {
	char	**names;
	size_t	  n;
};

static int
txr_list_cb(const struct vol_dirent *de, void *arg)
{
	struct txr_list	*tl = arg;

	if (tl->n >= TXR_MAX_MOVE)
		return 1;
	tl->names = xreallocarray(tl->names, tl->n + 1, sizeof *tl->names);
	tl->names[tl->n++] = xstrdup(de->name);
	return 0;
}

static int
txr_reset_apply(struct fixctx *fx, char **cause)
{
	struct txr_list	 tl;
	char		*aside = NULL, *from, *to;
	size_t		 i;
	int		 ret = -1;

	if (!vol_exists(fx->vol, TXR_DIR))
		return 0;
	memset(&tl, 0, sizeof tl);
	/* Names first: the directory is not changed while it is listed. */
	if (vol_list(fx->vol, TXR_DIR, txr_list_cb, &tl, cause) < 0)
		goto out;
	if (tl.n >= TXR_MAX_MOVE) {
		set_cause(cause, "%s holds more than %d entries: not a "
		    "registry transaction log folder ntmend moves blindly",
		    TXR_DIR, TXR_MAX_MOVE);
		goto out;
	}
	if (tl.n == 0) {
		ret = 0;
		goto out;
	}
	aside = logscan_aside_path(fx->vol, TXR_DIR, time(NULL));
	fix_change(fx, "create folder %s", aside);
	for (i = 0; i < tl.n; i++)
		fix_change(fx, "move %s\\%s into it", TXR_DIR, tl.names[i]);
	fix_change(fx, "leave %s empty: Windows creates new transaction logs "
	    "at the next boot", TXR_DIR);
	if (fx->journal == NULL) {
		ret = 0;
		goto out;
	}
	if (journal_mkdir_p(fx->journal, aside, cause) != 0)
		goto out;
	for (i = 0; i < tl.n; i++) {
		from = xprintf(TXR_DIR "\\%s", tl.names[i]);
		to = xprintf("%s\\%s", aside, tl.names[i]);
		ret = journal_rename(fx->journal, from, to, cause);
		free(to);
		free(from);
		if (ret != 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < tl.n; i++)
		free(tl.names[i]);
	free(tl.names);
	free(aside);
	return ret;
}

const struct fix fix_txr_reset = {
	.id = "txr-reset",
	.title = "Move the registry transaction logs aside",
	.explanation = "Moves every file of Windows\\System32\\config\\TxR "
	    "(the registry's transaction logs) into a dated folder beside it, "
	    "TxR.ntmend-<time>, renamed and not deleted; Windows creates new "
	    "logs at the next boot, as 'fsutil resource setautoreset true C:\\' "
	    "would make it. Undo moves them back.",
	.order = 20,
	.in_all = 1,
	.apply = txr_reset_apply
};
