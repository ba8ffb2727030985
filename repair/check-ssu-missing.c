/*
 * check-ssu-missing.c: an update waiting to install needs a newer
 * servicing stack than the one installed (CASE.md: "the servicing stack
 * update was never installed").
 *
 * An update names the stack it needs in its update.mum:
 * <installerAssembly name="Microsoft-Windows-ServicingStack" version=V>;
 * combined SSU+LCU releases (Windows 10 since 2021) write the placeholder
 * 6.0.0.0, which asks for nothing. CBS refuses an update whose V is above
 * its own stack with 0x800f0823 CBS_E_NEW_SERVICING_STACK_REQUIRED and
 * logs "Package ... requires Servicing Stack vV but current Servicing
 * Stack is vX". The installed stack is the highest value name under
 * SOFTWARE's Component Based Servicing\Version. Looked at: the updates
 * Windows Update downloaded and expanded (SoftwareDistribution\Download\
 * <id>\update.mum), packages CBS holds mid-install or staged, and those
 * CBS.log lines, each judged against the stack installed now (a later
 * SSU makes an old line history).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define SSU_DOWNLOAD	"Windows\\SoftwareDistribution\\Download"

struct ssu_ctx {
	struct vol	*vol;
	const char	*installed;	/* NULL: unknown */
	char		*needed;	/* the highest version asked for */
	char		**evidence;
	size_t		  nevidence;
	size_t		  ndownloads;
};

static void
ssu_evidence(struct ssu_ctx *sc, char *line)
{
	sc->evidence = xreallocarray(sc->evidence, sc->nevidence + 1,
	    sizeof *sc->evidence);
	sc->evidence[sc->nevidence++] = line;
}

/* Does version need more than the installed stack (have, when the
 * installed one is unknown: the one the log line saw)? */
static int
ssu_needs(struct ssu_ctx *sc, const char *need, const char *have)
{
	const char	*cur = sc->installed != NULL ? sc->installed : have;

	if (need == NULL || cur == NULL ||
	    mum_version_cmp(need, MUM_SS_PLACEHOLDER) == 0 ||
	    mum_version_cmp(need, cur) <= 0)
		return 0;
	if (sc->needed == NULL || mum_version_cmp(need, sc->needed) > 0) {
		free(sc->needed);
		sc->needed = xstrdup(need);
	}
	return 1;
}

/* A manifest on the volume: does it ask for a newer stack? */
static void
ssu_manifest(struct ssu_ctx *sc, const char *path, const char *what)
{
	struct mum	*m;
	void		*buf;
	size_t		 len;
	char		*id;

	if (vol_file_read_all(sc->vol, path, NTM_MAX_MUM, &buf, &len,
	    NULL) != 0)
		return;
	if (mum_parse(buf, len, &m, NULL) == 0) {
		if (ssu_needs(sc, m->ss_required, NULL)) {
			id = mum_identity_string(&m->identity);
			ssu_evidence(sc, xprintf("%s: %s %s%s%s%s needs "
			    "servicing stack %s, installed %s", path, what, id,
			    m->package_id != NULL ? " (" : "",
			    m->package_id != NULL ? m->package_id : "",
			    m->package_id != NULL ? ")" : "", m->ss_required,
			    sc->installed));
			free(id);
		}
		mum_free(m);
	}
	free(buf);
}

static int
ssu_download_cb(const struct vol_dirent *de, void *arg)
{
	struct ssu_ctx	*sc = arg;
	char		*path;

	if (!de->is_dir)
		return 0;
	if (++sc->ndownloads > NTM_MAX_CBS_DOWNLOADS)
		return 1;
	path = xprintf(SSU_DOWNLOAD "\\%s\\update.mum", de->name);
	ssu_manifest(sc, path, "downloaded update");
	free(path);
	return 0;
}

/* The installed stack: the highest version named under CBS\Version. */
static char *
ssu_installed(struct hive *hv)
{
	hive_h		*h = hive_handle(hv);
	hive_node_h	 node;
	hive_value_h	*vals;
	char		*key, *best = NULL;
	size_t		 i;

	if (hive_key_lookup(hv, CBS_KEY "\\Version", &node, NULL) != 0)
		return NULL;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return NULL;
	for (i = 0; vals[i] != 0; i++) {
		if ((key = hivex_value_key(h, vals[i])) == NULL)
			continue;
		if (*key != '\0' && (best == NULL ||
		    mum_version_cmp(key, best) > 0)) {
			free(best);
			best = key;
		} else
			free(key);
	}
	free(vals);
	return best;
}

/*
 * Packages CBS holds but has not installed: mid-install (Staging, Install
 * Pending, Partially Installed) or, for cumulative updates, staged or
 * resolved for an install to come. Installed packages asked for their
 * stack when they went in, so they need not be read (15,000 .mum files
 * on a well-used PC).
 */
static void
ssu_pending_packages(struct ssu_ctx *sc, struct hive *hv)
{
	hive_h		*h = hive_handle(hv);
	hive_node_h	 node, *kids;
	hive_value_h	 v;
	hive_type	 t;
	size_t		 i, len;
	char		*name, *path, *data;
	uint32_t	 state;

	if (hive_key_lookup(hv, CBS_KEY "\\Packages", &node, NULL) != 0)
		return;
	if ((kids = hivex_node_children(h, node)) == NULL)
		return;
	for (i = 0; kids[i] != 0 && i < NTM_MAX_CBS_PACKAGES; i++) {
		if ((v = hivex_node_get_value(h, kids[i], "CurrentState")) ==
		    0 || hivex_value_type(h, v, &t, &len) != 0 ||
		    t != hive_t_REG_DWORD || len != 4)
			continue;
		if ((data = hivex_value_value(h, v, &t, &len)) == NULL)
			continue;
		state = le32dec(data);
		free(data);
		if ((name = hivex_node_name(h, kids[i])) == NULL)
			continue;
		if (cbs_state_is_pending(state) ||
		    ((state == CBS_STATE_STAGED ||
		    state == CBS_STATE_RESOLVED) &&
		    strncasecmp(name, "Package_for_RollupFix", 21) == 0)) {
			path = xprintf(CBS_PACKAGES_DIR "\\%s.mum", name);
			ssu_manifest(sc, path, cbs_state_name(state) != NULL ?
			    cbs_state_name(state) : "pending");
			free(path);
		}
		free(name);
	}
	free(kids);
}

static int
ssu_run(struct diag *d, const struct check *c, char **cause)
{
	const struct logscan		*s;
	const struct logscan_event	*e;
	struct ssu_ctx			 sc;
	struct hive			*sw;
	struct finding			*f;
	char				*installed = NULL;
	size_t				 i;

	memset(&sc, 0, sizeof sc);
	sc.vol = diag_vol(d);
	if ((sw = diag_hive(d, HIVE_SOFTWARE, NULL)) != NULL)
		installed = ssu_installed(sw);
	sc.installed = installed;
	if (installed != NULL) {
		if (vol_exists(sc.vol, SSU_DOWNLOAD))
			vol_list(sc.vol, SSU_DOWNLOAD, ssu_download_cb, &sc,
			    NULL);
		ssu_pending_packages(&sc, sw);
	}
	if ((s = logscan_shared(sc.vol, cause)) == NULL) {
		free(installed);
		for (i = 0; i < sc.nevidence; i++)
			free(sc.evidence[i]);
		free(sc.evidence);
		free(sc.needed);
		return -1;
	}
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		if (e->kind == LOGSCAN_EV_SSU_REQUIRED &&
		    ssu_needs(&sc, e->need, e->have))
			ssu_evidence(&sc, logscan_event_evidence(s, e));
	}
	if (sc.nevidence > 0) {
		f = diag_finding(d, c, SEV_ERROR, "stage", "the servicing "
		    "stack %s is too old: an update waiting to install needs "
		    "servicing stack %s or newer; install that servicing "
		    "stack update (SSU) first, then the cumulative update: "
		    "ntmend stage puts the SSU before the LCU",
		    installed != NULL ? installed : "installed",
		    sc.needed);
		for (i = 0; i < sc.nevidence; i++)
			finding_evidence(f, "%s", sc.evidence[i]);
		if (installed != NULL)
			finding_evidence(f, "installed servicing stack: "
			    "HKLM\\SOFTWARE\\%s\\Version\\%s", CBS_KEY,
			    installed);
	}
	for (i = 0; i < sc.nevidence; i++)
		free(sc.evidence[i]);
	free(sc.evidence);
	free(sc.needed);
	free(installed);
	return 0;
}

const struct check check_ssu_missing = {
	.id = "ssu-missing",
	.title = "Servicing stack update missing",
	.explanation = "An update can name the servicing stack it needs; "
	    "CBS refuses it with 0x800f0823 "
	    "(CBS_E_NEW_SERVICING_STACK_REQUIRED) until that servicing stack "
	    "update is installed first.",
	.run = ssu_run
};
