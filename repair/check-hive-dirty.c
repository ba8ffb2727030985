/* check-hive-dirty.c: hives whose newest changes are only in their logs. */

#include <stdlib.h>

#include "repair/repair.h"
#include "util/util.h"

static int
hive_dirty_run(struct diag *d, const struct check *c, char **cause)
{
	struct hive		*h;
	struct finding		*f;
	enum hive_id		 id;
	enum hive_log_state	 st;

	for (id = 0; id < HIVE_COUNT; id++) {
		if ((h = diag_hive(d, id, NULL)) == NULL)
			continue;
		if ((st = hive_log_state(h)) == HIVE_CLEAN)
			continue;
		/* Replayed: ntmend reads and writes it correctly; the
		 * finding is there so nobody deletes the .LOG files. */
		f = diag_finding(d, c, st == HIVE_REPLAYED ? SEV_INFO :
		    SEV_WARNING, NULL, st == HIVE_REPLAYED ? "the %s hive "
		    "was not fully written back by Windows; its transaction "
		    "logs hold the rest (ntmend replays them): do not delete "
		    "its .LOG1/.LOG2 files" : "the %s hive is dirty and its "
		    "logs cannot complete it: changing it would lose what "
		    "Windows last wrote (--force accepts that)",
		    hive_id_name(id));
		finding_evidence(f, "%s", hive_warning(h));
	}
	return 0;
}

const struct check check_hive_dirty = {
	.id = "hive-dirty",
	.title = "Registry hive not fully written",
	.explanation = "Windows writes hive changes to .LOG1/.LOG2 first; a "
	    "hive whose sequence numbers differ needs those logs, and "
	    "deleting them by hand loses settings.",
	.run = hive_dirty_run
};
