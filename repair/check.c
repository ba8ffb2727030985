/* check.c: the table of checks, in the order diagnose runs and shows them. */

#include <string.h>

#include "repair/repair.h"

extern const struct check check_volume_bitlocker;
extern const struct check check_volume_hibernated;
extern const struct check check_volume_dirty;
extern const struct check check_hive_dirty;
extern const struct check check_update_services_disabled;
extern const struct check check_grouppolicy_pol_corrupt;
extern const struct check check_grouppolicy_blocks_updates;
extern const struct check check_servicing_pending;
extern const struct check check_package_manifest_corrupt;
extern const struct check check_store_corrupt;
extern const struct check check_ssu_missing;
extern const struct check check_txr_log_failure;
extern const struct check check_wu_cache;
extern const struct check check_third_party_services;
extern const struct check check_file_hash_mismatch;
extern const struct check check_recovery_partition_small;

const struct check *const check_table[] = {
	&check_volume_bitlocker,
	&check_volume_hibernated,
	&check_volume_dirty,
	&check_hive_dirty,
	&check_update_services_disabled,
	&check_grouppolicy_pol_corrupt,
	&check_grouppolicy_blocks_updates,
	&check_servicing_pending,
	&check_package_manifest_corrupt,
	&check_store_corrupt,
	&check_ssu_missing,
	&check_txr_log_failure,
	&check_wu_cache,
	&check_third_party_services,
	&check_file_hash_mismatch,
	&check_recovery_partition_small,
	NULL
};

const struct check *
check_find(const char *id)
{
	const struct check *const	*c;

	for (c = check_table; *c != NULL; c++) {
		if (strcmp((*c)->id, id) == 0)
			return *c;
	}
	return NULL;
}
