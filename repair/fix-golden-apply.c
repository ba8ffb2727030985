/*
 * fix-golden-apply.c: servicing files put back from a known-good archive
 * (fix --golden ARCHIVE golden-apply), the way CASE.md's engineer copied
 * servicing\Packages and dot3gpui.dll from a PC that patched fine. The
 * archive is read, judged and applied by the same golden_* calls as
 * `ntmend golden apply`: refused whole if any entry breaks a rule or it
 * comes from another build, files replaced in place (hard links and
 * security descriptors survive), missing ones created, every write read
 * back and hashed; the changes go into this fix's journal.
 */

#include <stdlib.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

/* Room kept beyond what the apply needs, for MFT records, indexes and
 * the journal's own log (cmd-golden.c keeps the same). */
#define GA_MARGIN	((uint64_t)64 << 20)

/* golden_apply's batches as journal batches: the same changes, named
 * the journal's way (also what `ntmend golden apply` writes with). */
int
golden_journal_write(void *warg, const struct golden_op *ops, size_t n,
    golden_read_fn read, void *rarg, char **cause)
{
	struct journal		*j = warg;
	struct journal_op	*jo;
	size_t			 i;
	int			 ret;

	jo = xcalloc(n, sizeof *jo);
	for (i = 0; i < n; i++) {
		switch (ops[i].kind) {
		case GOLDEN_OP_MKDIR:
			jo[i].kind = JOURNAL_MKDIR;
			break;
		case GOLDEN_OP_CREATE:
			jo[i].kind = JOURNAL_CREATE;
			break;
		case GOLDEN_OP_REPLACE:
			jo[i].kind = JOURNAL_REPLACE;
			break;
		case GOLDEN_OP_LINK:
			jo[i].kind = JOURNAL_LINK;
			break;
		}
		jo[i].path = ops[i].path;
		jo[i].to = ops[i].to;
		jo[i].size = ops[i].size;
		jo[i].sha256 = ops[i].sha256;
		jo[i].sd = ops[i].sd;
		jo[i].sdlen = ops[i].sdlen;
		jo[i].attrs = ops[i].attrs;
	}
	ret = journal_batch(j, jo, n, read, rarg, cause);
	free(jo);
	return ret;
}

static int
ga_apply(struct fixctx *fx, char **cause)
{
	const struct golden_item	*it;
	const char *const		*lines;
	struct golden			*g = NULL;
	uint64_t			 total, avail;
	size_t				 n, i;
	char				*why = NULL;
	int				 ret = -1;

	if (fx->arg == NULL)
		return set_cause(cause, "golden-apply needs a known-good "
		    "archive: pass --golden ARCHIVE (capture one with 'ntmend "
		    "golden capture ARCHIVE' on a healthy PC of the same "
		    "build)");
	/* The archive is judged before anything on the target is read. */
	if (golden_open(fx->arg, fx->progress, fx->progress_arg, &g,
	    &why) != 0) {
		set_cause(cause, "%s: %s", fx->arg, why);
		goto out;
	}
	if (golden_check_source(g, fx->identity != NULL ?
	    fx->identity->build : 0, fx->identity != NULL ?
	    fx->identity->arch : NULL, &why) != 0) {
		if (!fx->force) {
			set_cause(cause, "%s: %s", fx->arg, why);
			goto out;
		}
		fix_change(fx, "use the archive anyway (--force): %s", why);
		free(why);
		why = NULL;
	}
	if (golden_select(g, NULL, 0, &why) != 0 ||
	    golden_plan(g, fx->vol, 0, fx->progress, fx->progress_arg,
	    &why) != 0 ||
	    golden_check(g, fx->progress, fx->progress_arg, &why) != 0) {
		set_cause(cause, "%s: %s", fx->arg, why);
		goto out;
	}
	it = golden_items(g, &n);
	for (i = 0; i < n; i++) {
		if (it[i].state == GOLDEN_UNREADABLE) {
			set_cause(cause, "%s: %s; nothing was changed (apply "
			    "the rest with 'ntmend golden apply %s PATH...')",
			    it[i].path, it[i].detail, fx->arg);
			goto out;
		}
	}
	vol_space(fx->vol, &total, &avail);
	if (golden_need(g) + GA_MARGIN > avail) {
		set_cause(cause, "the target has %llu bytes free and applying "
		    "%s needs %llu (new bytes and the journal's copies of the "
		    "files replaced) and some room", (unsigned long long)avail,
		    fx->arg, (unsigned long long)golden_need(g));
		goto out;
	}
	lines = golden_warnings(g, &n);
	for (i = 0; i < n; i++)
		fix_change(fx, "cannot: %s", lines[i]);
	lines = golden_changes(g, &n);
	for (i = 0; i < n; i++)
		fix_change(fx, "%s", lines[i]);
	/* A dry run only describes. */
	if (fx->journal != NULL && n > 0 && golden_apply(g, fx->vol,
	    golden_journal_write, fx->journal, fx->progress, fx->progress_arg,
	    &why) != 0) {
		set_cause(cause, "%s: %s", fx->arg, why);
		goto out;
	}
	ret = 0;
out:
	free(why);
	golden_free(g);
	return ret;
}

const struct fix fix_golden_apply = {
	.id = "golden-apply",
	.title = "Put servicing files back from a known-good archive",
	.explanation = "With --golden ARCHIVE (captured by 'ntmend golden "
	    "capture' on a healthy PC of the same build, or a zip/7z/tar of "
	    "a folder copied from one): every file of the archive that "
	    "differs on the target is replaced in place, every missing one "
	    "created, each checked by SHA-256 after writing. The archive is "
	    "checked whole first and refused if it is of another build. "
	    "Undo restores the replaced files byte for byte.",
	.order = 35,
	.in_all = 1,
	.apply = ga_apply
};
