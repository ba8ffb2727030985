/* cmd.c: the command table and what every command shares. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_scan_entry,
	&cmd_info_entry,
	&cmd_hash_entry,
	&cmd_journal_entry,
	&cmd_undo_entry,
	NULL
};

const struct cmd_entry *
cmd_find(const char *name)
{
	const struct cmd_entry *const	*e;

	for (e = cmd_table; *e != NULL; e++) {
		if (strcmp((*e)->name, name) == 0)
			return *e;
	}
	return NULL;
}

int
cmd_usage(const struct cmd_entry *e)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [--json] %s%s%s\n",
	    e->name, *e->usage != '\0' ? " " : "", e->usage);
	return NTM_USAGE;
}

int
cmd_target_open(struct cmd_ctx *ctx, int flags, struct target *t)
{
	enum ntm_status	 st;
	char		*cause = NULL;

	if (ctx->discard_hiber)
		flags |= TARGET_DISCARD_HIBER;
	char		**ids;
	size_t		  nids, i;

	st = target_open(ctx->target, flags, t, &cause);
	if (st != NTM_OK) {
		out_error("%s", cause);
		free(cause);
		return st;
	}
	if (!(flags & TARGET_WRITE))
		return NTM_OK;
	/* A change that was killed half-way is rolled back before anything
	 * else is changed, so every command starts from a known volume. */
	if (journal_recover(t->vol, &ids, &nids, &cause) != 0) {
		out_error("an interrupted earlier change cannot be rolled "
		    "back: %s", cause);
		free(cause);
		target_close(t);
		return NTM_FAILED;
	}
	for (i = 0; i < nids; i++) {
		out_warning("rolled back %s, a change that was interrupted",
		    ids[i]);
		free(ids[i]);
	}
	free(ids);
	return NTM_OK;
}
