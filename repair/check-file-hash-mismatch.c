/*
 * check-file-hash-mismatch.c: files of the target that differ from a
 * known-good archive (diagnose --golden ARCHIVE): CASE.md's wrong
 * System32\dot3gpui.dll, found in Windows by comparing Get-FileHash with
 * a good PC's. Comparing is golden.c's (size, then SHA-256 against the
 * archive's manifest); nothing is said without an archive.
 */

#include <stdlib.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

/* Evidence lines listed; the rest are counted (an archive of another
 * update level differs in thousands of files). */
#define FHM_MAX_EVIDENCE	50

static int
fhm_run(struct diag *d, const struct check *c, char **cause)
{
	const char			*archive = diag_options(d)->golden;
	const struct identity		*id = diag_identity(d);
	const struct golden_item	*it;
	const struct golden_counts	*gc;
	struct golden			*g = NULL;
	struct finding			*f = NULL;
	size_t				 n, i, shown = 0, nbad = 0;
	char				*why = NULL;
	int				 ret = -1;

	if (archive == NULL)
		return 0;
	if (golden_open(archive, NULL, NULL, &g, &why) != 0)
		goto refused;
	/* Comparing reads the target only: no pass over the archive. */
	golden_scan_stop(g);
	if (golden_check_source(g, id->build, id->arch, &why) != 0 ||
	    golden_select(g, NULL, 0, &why) != 0 ||
	    golden_plan(g, diag_vol(d), 0, NULL, NULL, &why) != 0) {
refused:
		set_cause(cause, "%s: %s", archive, why);
		goto out;
	}
	it = golden_items(g, &n);
	for (i = 0; i < n; i++) {
		if (it[i].state == GOLDEN_EXTRA)
			continue;
		nbad++;
		if (f == NULL)
			f = diag_finding(d, c, SEV_ERROR, "golden-apply", "-");
		if (shown++ < FHM_MAX_EVIDENCE)
			finding_evidence(f, "%s%s: %s%s%s", it[i].path,
			    it[i].is_dir ? "\\" : "",
			    golden_state_name(it[i].state),
			    it[i].detail != NULL ? ", " : "",
			    it[i].detail != NULL ? it[i].detail : "");
	}
	if (f != NULL) {
		if (shown > FHM_MAX_EVIDENCE)
			finding_evidence(f, "%zu more not listed",
			    shown - FHM_MAX_EVIDENCE);
		gc = golden_counts(g);
		free(f->summary);
		f->summary = xprintf("%zu of %zu files differ from the "
		    "known-good archive %s (%zu differ, %zu missing, %zu "
		    "unreadable): put them back with fix --golden %s "
		    "golden-apply", nbad, gc->files, archive, gc->differ,
		    gc->missing, gc->unreadable, archive);
	}
	ret = 0;
out:
	free(why);
	golden_free(g);
	return ret;
}

const struct check check_file_hash_mismatch = {
	.id = "file-hash-mismatch",
	.title = "Files differ from a known-good copy",
	.explanation = "System files whose bytes are not those of a healthy PC "
	    "of the same build (a wrong DLL copied in, a damaged manifest) "
	    "make servicing fail on them; only a known-good copy shows which "
	    "(diagnose --golden ARCHIVE, captured with 'ntmend golden "
	    "capture' on such a PC).",
	.run = fhm_run
};
