/* cmd-fix.c: apply fixes, all in one journal; --all for the findings. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_fix_exec(struct cmd_ctx *);

const struct cmd_entry cmd_fix_entry = {
	.name = "fix",
	.usage = "FIX...|--all [--golden ARCHIVE]",
	.summary = "apply fixes (journaled; --dry-run shows the changes)",
	.exec = cmd_fix_exec
};

static int
fix_usage(void)
{
	const struct fix *const	*f;

	fprintf(stderr, "usage: ntmend [-t TARGET] [-n] [--force] fix "
	    "FIX...|--all [--golden ARCHIVE]\nfixes:\n");
	for (f = fix_table; *f != NULL; f++)
		fprintf(stderr, "  %-26s %s\n", (*f)->id, (*f)->title);
	return NTM_USAGE;
}

/* One fix's part of the output. */
struct fix_result {
	const struct fix	*fix;
	size_t			 first, count;	/* in the change list */
	char			*error;
};

static void
fix_take_regedit(struct fixctx *fx, size_t *seen)
{
	const char *const	*rc;
	size_t			 n;

	/* Registry edits are described by regedit: give them to the fix
	 * that made them, in order with its file changes. */
	rc = regedit_changes(fx->regedit, &n);
	for (; *seen < n; (*seen)++)
		fix_change(fx, "%s", rc[*seen]);
}

static void
fix_print(struct cmd_ctx *ctx, struct fixctx *fx, struct fix_result *res,
    size_t nres, const char *jid, int ok)
{
	json_t	*a, *c;
	size_t	 i, k;

	if (ctx->json) {
		a = json_array();
		for (i = 0; i < nres; i++) {
			c = json_array();
			for (k = 0; k < res[i].count; k++)
				json_array_append_new(c, json_string(
				    fx->changes[res[i].first + k]));
			json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:s?}",
			    "id", res[i].fix->id, "title", res[i].fix->title,
			    "changes", c, "error", res[i].error));
		}
		out_json("ntmend.fix/1", json_pack("{s:s,s:b,s:s?,s:b,s:o}",
		    "target", fx->target->spec, "dry_run", ctx->dry_run,
		    "journal", jid, "ok", ok, "fixes", a));
		return;
	}
	if (ctx->dry_run && nres > 0)
		printf("dry run, nothing written; the changes would be:\n");
	for (i = 0; i < nres; i++) {
		printf("%s: %s\n", res[i].fix->id, res[i].fix->title);
		for (k = 0; k < res[i].count; k++)
			printf("  %s\n", fx->changes[res[i].first + k]);
		if (res[i].count == 0 && res[i].error == NULL)
			printf("  nothing to change\n");
		if (res[i].error != NULL)
			printf("  FAILED: %s\n", res[i].error);
	}
	if (jid != NULL)
		printf("journal %s (undo: ntmend undo %s)\n", jid, jid);
	else if (!ok)
		printf("nothing was changed: every change of this command was "
		    "rolled back\n");
}

static int
cmd_fix_exec(struct cmd_ctx *ctx)
{
	struct target		 t;
	struct fixctx		 fx;
	struct diag		*d = NULL;
	struct diag_options	 opts;
	const struct fix	**fixes = NULL;
	const struct finding	*fs;
	struct fix_result	*res = NULL;
	struct identity		 id;
	struct out_progress	 progress;
	char			*cause = NULL, *line;
	const char		*jid = NULL;
	size_t			 nfixes = 0, nres = 0, seen = 0, i, n;
	int			 all = 0, st, ok = 1, have_id = 0;

	memset(&opts, 0, sizeof opts);
	for (i = 1; i < (size_t)ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(ctx->argv[i], "--golden") == 0 &&
		    i + 1 < (size_t)ctx->argc)
			opts.golden = ctx->argv[++i];
		else if (fix_find(ctx->argv[i]) != NULL) {
			fixes = xreallocarray(fixes, nfixes + 1,
			    sizeof *fixes);
			fixes[nfixes++] = fix_find(ctx->argv[i]);
		} else {
			out_error("fix: no fix '%s'", ctx->argv[i]);
			free(fixes);
			return fix_usage();
		}
	}
	if (all == (nfixes > 0)) {
		free(fixes);
		return fix_usage();
	}
	if ((st = cmd_target_open(ctx, ctx->dry_run ? 0 : TARGET_WRITE,
	    &t)) != NTM_OK) {
		free(fixes);
		return st;
	}
	if (all) {
		d = diag_new(&t, &opts);
		diag_run(d, NULL, 0, NULL, NULL);
		fs = diag_findings(d, &n);
		fix_for_findings(fs, n, &fixes, &nfixes);
		/* Without an archive golden-apply can only fail, and a failed
		 * fix rolls back the whole command: leave it out, say so. */
		for (i = 0; !opts.golden && i < nfixes; i++) {
			if (strcmp(fixes[i]->id, "golden-apply") != 0)
				continue;
			if (!ctx->json)
				printf("golden-apply left out: it needs a "
				    "known-good archive (fix --all --golden "
				    "ARCHIVE)\n");
			memmove(&fixes[i], &fixes[i + 1], (nfixes - i - 1) *
			    sizeof *fixes);
			nfixes--;
			i--;
		}
	}

	memset(&fx, 0, sizeof fx);
	fx.target = &t;
	fx.vol = t.vol;
	fx.force = ctx->force;
	fx.arg = opts.golden;
	out_progress_init(&progress, ctx);
	fx.progress = out_progress_cb;
	fx.progress_arg = &progress;
	if (identity_read(t.vol, &id, NULL) == 0) {
		fx.identity = &id;
		have_id = 1;
	}
	regedit_begin(t.vol, ctx->force, &fx.regedit);
	if (!ctx->dry_run && nfixes > 0) {
		line = xstrdup("fix");
		for (i = 1; i < (size_t)ctx->argc; i++) {
			char *tmp = xprintf("%s %s", line, ctx->argv[i]);

			free(line);
			line = tmp;
		}
		if (journal_begin(t.vol, line, &fx.journal, &cause) != 0) {
			out_error("%s", cause);
			free(cause);
			cause = NULL;
			ok = 0;
		}
		free(line);
	}
	res = xcalloc(nfixes + 1, sizeof *res);
	for (i = 0; ok && i < nfixes; i++) {
		res[nres].fix = fixes[i];
		res[nres].first = fx.nchanges;
		if (fixes[i]->apply(&fx, &cause) != 0) {
			res[nres].error = cause;
			cause = NULL;
			ok = 0;
		}
		fix_take_regedit(&fx, &seen);
		res[nres].count = fx.nchanges - res[nres].first;
		nres++;
	}
	out_progress_end(&progress);
	if (ok && fx.journal != NULL) {
		if (regedit_commit(fx.regedit, fx.journal, &cause) != 0 ||
		    journal_commit(fx.journal, &cause) != 0) {
			out_error("%s", cause);
			free(cause);
			cause = NULL;
			ok = 0;
		} else if (journal_count(fx.journal) > 0)
			jid = journal_id(fx.journal);
	}
	if (!ok && fx.journal != NULL &&
	    journal_rollback(fx.journal, &cause) != 0) {
		out_error("rolling back failed too: %s; run 'ntmend undo %s'",
		    cause, journal_id(fx.journal));
		free(cause);
	}
	if (all && nfixes == 0 && !ctx->json)
		printf("nothing to fix\n");
	fix_print(ctx, &fx, res, nres, jid, ok);

	for (i = 0; i < nres; i++)
		free(res[i].error);
	free(res);
	for (i = 0; i < fx.nchanges; i++)
		free(fx.changes[i]);
	free(fx.changes);
	regedit_free(fx.regedit);
	journal_free(fx.journal);
	if (have_id)
		identity_free(&id);
	diag_free(d);
	free(fixes);
	target_close(&t);
	return ok ? NTM_OK : NTM_FAILED;
}
