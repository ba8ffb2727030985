/*
 * fix-servicing-revert-pending.c: the offline equivalent of DISM's
 * /Cleanup-Image /RevertPendingActions, for a servicing transaction that
 * waits for a reboot which never completes it.
 *
 * What Microsoft's recovery procedure for a stuck pending.xml does by hand
 * from WinRE, journaled: WinSxS\pending.xml renamed aside (not deleted);
 * WinSxS\Temp\InFlight, the transaction's half-moved files, renamed aside
 * and an empty InFlight left as Windows keeps it; in COMPONENTS the values
 * that point CBS at the transaction (PendingXmlIdentifier,
 * NextQueueEntryIndex, AdvancedInstallersNeedResolving) deleted; in
 * SOFTWARE CBS the RebootPending, RebootInProgress and PackagesPending
 * keys deleted and SessionsPending's counters set back to 0.
 *
 * PendingFileRenameOperations: the entries that name the component store
 * are dropped, the others kept. Performing the store's renames offline
 * would finish half of the transaction being reverted (the InFlight files
 * moved into WinSxS and System32 without the registry half), and "\??\C:"
 * paths name drive letters that only mean something in the running
 * Windows. Dropped, the boot does nothing with them; the list as it was is
 * in the fix's output and the SYSTEM hive's original in the journal, so
 * undo brings it back. Other installers' renames are theirs to finish.
 *
 * Packages CBS lists in a pending state are left: their state before the
 * transaction is not recorded anywhere offline, and CBS settles them at
 * its next operation once the transaction is gone.
 */

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define RP_WINSXS	"Windows\\WinSxS"
#define RP_PENDING_XML	RP_WINSXS "\\pending.xml"
#define RP_INFLIGHT	RP_WINSXS "\\Temp\\InFlight"
#define RP_CBS		"HKLM\\SOFTWARE\\" CBS_KEY
#define RP_COMPONENTS	"HKLM\\COMPONENTS"
#define RP_SESSION_KEY	"CurrentControlSet\\Control\\Session Manager"
#define RP_SESSION	"HKLM\\SYSTEM\\" RP_SESSION_KEY

static const char *const rp_cbs_keys[] = {
	"RebootPending",
	"RebootInProgress",
	"PackagesPending"
};
/* The values Microsoft's manual procedure deletes from COMPONENTS' root:
 * the transaction's id, its queue position, and the advanced installers
 * it left to run. */
static const char *const rp_components_values[] = {
	"PendingXmlIdentifier",
	"NextQueueEntryIndex",
	"AdvancedInstallersNeedResolving"
};
static const char *const rp_rename_values[] = {
	"PendingFileRenameOperations",
	"PendingFileRenameOperations2"
};

static int
rp_is_servicing(const char *path)
{
	return strcasestr(path, "\\WinSxS\\") != NULL;
}

/* Does the key (a path inside the hive) have the value? */
static int
rp_has_value(struct hive *h, const char *key, const char *name)
{
	struct hive_value	v;

	if (hive_value_get(h, key, name, &v, NULL) != 0)
		return 0;
	hive_value_free(&v);
	return 1;
}

/* SessionsPending's non-zero DWORD counters back to 0. */
static int
rp_sessions(struct fixctx *fx, struct hive *sw, char **cause)
{
	hive_h		*h = hive_handle(sw);
	hive_node_h	 node;
	hive_value_h	*vals;
	hive_type	 t;
	size_t		 len, i;
	char		*name, *data, *key;
	uint8_t		 zero[4] = { 0, 0, 0, 0 };
	int		 ret = 0;

	if (hive_key_lookup(sw, CBS_KEY "\\SessionsPending", &node,
	    NULL) != 0 || (vals = hivex_node_values(h, node)) == NULL)
		return 0;
	key = xstrdup(RP_CBS "\\SessionsPending");
	for (i = 0; ret == 0 && vals[i] != 0; i++) {
		if ((data = hivex_value_value(h, vals[i], &t, &len)) == NULL)
			continue;
		if (t == hive_t_REG_DWORD && len == 4 && le32dec(data) != 0 &&
		    (name = hivex_value_key(h, vals[i])) != NULL) {
			ret = regedit_set(fx->regedit, key, name,
			    HIVE_REG_DWORD, zero, 4, cause);
			free(name);
		}
		free(data);
	}
	free(key);
	free(vals);
	return ret;
}

/*
 * One PendingFileRenameOperations value: pairs of UTF-16LE strings
 * (source, destination; an empty destination deletes), each ended by a
 * NUL unit, the list by one more. The kept pairs' bytes are copied as
 * they were.
 */
static int
rp_renames(struct fixctx *fx, struct hive *sys, const char *name,
    char **cause)
{
	struct hive_value	 v;
	uint8_t			*out;
	size_t			 off[2], len[2], olen = 0, i, start, nstr = 0;
	size_t			 dropped = 0, kept = 0;
	char			*src, *dst;
	int			 ret = 0;

	if (hive_value_get(sys, RP_SESSION_KEY, name, &v, NULL) != 0)
		return 0;
	out = xmalloc(v.len + 2);
	for (start = i = 0; i + 1 < v.len; i += 2) {
		if (v.data[i] != 0 || v.data[i + 1] != 0)
			continue;
		off[nstr] = start;
		len[nstr] = i - start;
		start = i + 2;
		if (++nstr < 2)
			continue;
		nstr = 0;
		src = utf16le_to_utf8(v.data + off[0], len[0]);
		dst = utf16le_to_utf8(v.data + off[1], len[1]);
		if (rp_is_servicing(src) || rp_is_servicing(dst)) {
			fix_change(fx, "drop from %s\\%s: %s %s%s%s", RP_SESSION,
			    name, *dst == '\0' ? "delete" : "rename", src,
			    *dst == '\0' ? " at boot" : " to ", dst);
			dropped++;
		} else {
			memcpy(out + olen, v.data + off[0],
			    len[0] + len[1] + 4);
			olen += len[0] + len[1] + 4;
			kept++;
		}
		free(src);
		free(dst);
	}
	if (dropped > 0 && kept == 0)
		ret = regedit_delete(fx->regedit, RP_SESSION, name, cause);
	else if (dropped > 0) {
		out[olen++] = 0;	/* the list's end */
		out[olen++] = 0;
		ret = regedit_set(fx->regedit, RP_SESSION, name,
		    HIVE_REG_MULTI_SZ, out, olen, cause);
	}
	free(out);
	hive_value_free(&v);
	return ret;
}

static int
rp_apply(struct fixctx *fx, char **cause)
{
	struct cbs_inventory	 inv;
	struct hive		*sw, *comp = NULL, *sys;
	time_t			 now = time(NULL);
	char			*to, *key;
	hive_node_h		 node;
	size_t			 i, ninflight = 0;
	int			 ret = -1;

	/* What is pending, as the check saw it (cbs.c's markers). */
	if (cbs_inventory_read(fx->vol, 0, &inv, cause) != 0)
		return -1;

	if (vol_exists(fx->vol, RP_PENDING_XML)) {
		to = logscan_aside_path(fx->vol, RP_PENDING_XML, now);
		fix_change(fx, "rename %s to %s (the transaction is not "
		    "carried out at boot)", RP_PENDING_XML, to);
		ret = fx->journal == NULL ? 0 : journal_rename(fx->journal,
		    RP_PENDING_XML, to, cause);
		free(to);
		if (ret != 0)
			goto out;
	}
	for (i = 0; i < inv.nmarkers; i++) {
		if (inv.markers[i].kind == CBS_MARK_INFLIGHT)
			ninflight++;
	}
	if (ninflight > 0) {
		to = logscan_aside_path(fx->vol, RP_INFLIGHT, now);
		fix_change(fx, "rename %s to %s (%zu file%s of the unfinished "
		    "transaction) and create an empty %s", RP_INFLIGHT, to,
		    ninflight, ninflight == 1 ? "" : "s", RP_INFLIGHT);
		ret = 0;
		if (fx->journal != NULL &&
		    (journal_rename(fx->journal, RP_INFLIGHT, to, cause) != 0 ||
		    journal_mkdir_p(fx->journal, RP_INFLIGHT, cause) != 0))
			ret = -1;
		free(to);
		if (ret != 0)
			goto out;
	}
	ret = -1;

	if ((sw = regedit_hive(fx->regedit, HIVE_SOFTWARE, cause)) == NULL)
		goto out;
	for (i = 0; i < sizeof rp_cbs_keys / sizeof rp_cbs_keys[0]; i++) {
		key = xprintf(CBS_KEY "\\%s", rp_cbs_keys[i]);
		if (hive_key_lookup(sw, key, &node, NULL) == 0) {
			free(key);
			key = xprintf(RP_CBS "\\%s", rp_cbs_keys[i]);
			if (regedit_delete(fx->regedit, key, NULL,
			    cause) != 0) {
				free(key);
				goto out;
			}
		}
		free(key);
	}
	if (rp_sessions(fx, sw, cause) != 0)
		goto out;

	if (vol_exists(fx->vol, hive_volume_path(HIVE_COMPONENTS))) {
		if ((comp = regedit_hive(fx->regedit, HIVE_COMPONENTS,
		    cause)) == NULL)
			goto out;
		for (i = 0; i < sizeof rp_components_values /
		    sizeof rp_components_values[0]; i++) {
			if (rp_has_value(comp, "", rp_components_values[i]) &&
			    regedit_delete(fx->regedit, RP_COMPONENTS,
			    rp_components_values[i], cause) != 0)
				goto out;
		}
	}

	if ((sys = regedit_hive(fx->regedit, HIVE_SYSTEM, cause)) == NULL)
		goto out;
	for (i = 0; i < sizeof rp_rename_values / sizeof rp_rename_values[0];
	    i++) {
		if (rp_renames(fx, sys, rp_rename_values[i], cause) != 0)
			goto out;
	}

	for (i = 0; i < inv.nmarkers; i++) {
		if (inv.markers[i].kind == CBS_MARK_PACKAGE_STATE)
			fix_change(fx, "leave %s (%s): its state before the "
			    "transaction is not known offline; CBS settles it "
			    "at its next operation", inv.markers[i].where,
			    inv.markers[i].detail != NULL ?
			    inv.markers[i].detail : "pending");
	}
	ret = 0;
out:
	cbs_inventory_free(&inv);
	return ret;
}

const struct fix fix_servicing_revert_pending = {
	.id = "servicing-revert-pending",
	.title = "Revert the pending servicing operation",
	.explanation = "The offline DISM /RevertPendingActions: renames "
	    "WinSxS\\pending.xml and WinSxS\\Temp\\InFlight aside (not "
	    "deleted), deletes PendingXmlIdentifier, NextQueueEntryIndex and "
	    "AdvancedInstallersNeedResolving from COMPONENTS and the "
	    "RebootPending/PackagesPending keys of CBS, and drops the "
	    "component store's entries from PendingFileRenameOperations "
	    "(other programs' renames are kept). Windows then boots without "
	    "the half-done transaction and the update can be installed "
	    "again. Undo puts everything back.",
	.order = 30,
	.in_all = 1,
	.apply = rp_apply
};
