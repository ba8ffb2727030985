/* cmd-journal.c: list the journals on the target; undo one. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_journal_exec(struct cmd_ctx *);
static int	cmd_undo_exec(struct cmd_ctx *);

const struct cmd_entry cmd_journal_entry = {
	.name = "journal",
	.usage = "",
	.summary = "list the journals of changes on the target",
	.exec = cmd_journal_exec
};

const struct cmd_entry cmd_undo_entry = {
	.name = "undo",
	.usage = "[JOURNAL]",
	.summary = "roll back a journal (default: the newest)",
	.exec = cmd_undo_exec
};

static int
cmd_journal_exec(struct cmd_ctx *ctx)
{
	struct target		 t;
	struct journal_info	*info;
	size_t			 n, i;
	json_t			*a;
	char			*cause = NULL;
	int			 st;

	if (ctx->argc != 1)
		return cmd_usage(&cmd_journal_entry);
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (journal_list(t.vol, &info, &n, &cause) != 0) {
		out_error("%s", cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	if (ctx->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_pack(
			    "{s:s,s:s?,s:s?,s:s,s:I,s:I}", "id", info[i].id,
			    "command", info[i].command, "started",
			    info[i].started, "state", info[i].state,
			    "changes", (json_int_t)info[i].nops,
			    "undone", (json_int_t)info[i].nundone));
		out_json("ntmend.journal/1", json_pack("{s:s,s:o}", "target",
		    t.spec, "journals", a));
	} else if (n == 0)
		printf("no journals on %s\n", vol_name(t.vol));
	else {
		for (i = 0; i < n; i++)
			printf("%-40s %-12s %4zu change(s)  %s\n", info[i].id,
			    info[i].state, info[i].nops,
			    info[i].command != NULL ? info[i].command : "");
	}
	journal_info_free(info, n);
	target_close(&t);
	return NTM_OK;
}

static int
cmd_undo_exec(struct cmd_ctx *ctx)
{
	struct target	 t;
	const char	*want = ctx->argc == 2 ? ctx->argv[1] : NULL;
	char		*cause = NULL, *id = NULL, **ids;
	size_t		 nids, i;
	int		 st, flags = TARGET_WRITE;

	if (ctx->argc > 2)
		return cmd_usage(&cmd_undo_entry);
	/*
	 * Not cmd_target_open: rolling back interrupted journals first is
	 * this command's own work, and when that rolls back the journal
	 * asked for (or, without an id, the newest), it is the undo. Left
	 * to cmd_target_open, undo after a crash recovered the volume and
	 * then failed: "no journal to undo".
	 */
	if (ctx->discard_hiber)
		flags |= TARGET_DISCARD_HIBER;
	if ((st = target_open(ctx->target, flags, &t, &cause)) != NTM_OK) {
		out_error("%s", cause);
		free(cause);
		return st;
	}
	if (journal_recover(t.vol, &ids, &nids, &cause) != 0) {
		out_error("undo: an interrupted change cannot be rolled back: "
		    "%s", cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	for (i = 0; i < nids; i++) {
		out_warning("rolled back %s, a change that was interrupted",
		    ids[i]);
		if (id == NULL && (want == NULL || strcmp(ids[i], want) == 0))
			id = ids[i];
		else
			free(ids[i]);
	}
	free(ids);
	if (id == NULL && journal_undo(t.vol, want, &id, &cause) != 0) {
		out_error("undo: %s", cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	if (ctx->json)
		out_json("ntmend.undo/1", json_pack("{s:s,s:s}", "target",
		    t.spec, "undone", id));
	else
		printf("undone: %s\n", id);
	free(id);
	target_close(&t);
	return NTM_OK;
}
