/* cmd.c: the command table and what every command shares. */

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"

const struct cmd_entry *const cmd_table[] = {
	&cmd_scan_entry,
	&cmd_info_entry,
	&cmd_diagnose_entry,
	&cmd_fix_entry,
	&cmd_run_entry,
	&cmd_report_entry,
	&cmd_hash_entry,
	&cmd_logs_entry,
	&cmd_reg_entry,
	&cmd_pol_entry,
	&cmd_services_entry,
	&cmd_packages_entry,
	&cmd_golden_entry,
	&cmd_stage_entry,
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

/* The command line, for the journal's record. */
static char *
cmd_line(struct cmd_ctx *ctx)
{
	char	*line, *tmp;
	int	 i;

	line = xstrdup(ctx->argv[0]);
	for (i = 1; i < ctx->argc; i++) {
		xasprintf(&tmp, "%s %s", line, ctx->argv[i]);
		free(line);
		line = tmp;
	}
	return line;
}

int
cmd_commit(struct cmd_ctx *ctx, struct target *t, cmd_apply_fn apply,
    void *arg, const char *const *changes, size_t n)
{
	struct journal	*j = NULL;
	json_t		*a;
	char		*cause = NULL, *line;
	size_t		 i;
	int		 st = NTM_OK;

	if (n > 0 && !ctx->dry_run) {
		line = cmd_line(ctx);
		if (journal_begin(t->vol, line, &j, &cause) != 0 ||
		    apply(arg, j, &cause) != 0 ||
		    journal_commit(j, &cause) != 0) {
			out_error("%s", cause);
			free(cause);
			cause = NULL;
			if (j != NULL && journal_rollback(j, &cause) != 0) {
				out_error("rolling back failed too: %s; run "
				    "'ntmend undo %s'", cause, journal_id(j));
				free(cause);
			}
			st = NTM_FAILED;
		}
		free(line);
	}
	if (ctx->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(changes[i]));
		out_json("ntmend.change/1", json_pack("{s:s,s:b,s:s?,s:o,s:b}",
		    "target", t->spec, "dry_run", ctx->dry_run, "journal",
		    j != NULL && st == NTM_OK ? journal_id(j) : NULL,
		    "changes", a, "ok", st == NTM_OK));
	} else if (st == NTM_OK) {
		/* The lines are in the past tense ("deleted key ..."): a
		 * dry run says once that none of them happened. */
		if (n == 0)
			printf("nothing to change\n");
		else if (ctx->dry_run)
			printf("dry run, nothing written; the changes would "
			    "be:\n");
		for (i = 0; i < n; i++)
			printf("%s%s\n", ctx->dry_run ? "  " : "", changes[i]);
		if (j != NULL)
			printf("journal %s (undo: ntmend undo %s)\n",
			    journal_id(j), journal_id(j));
	}
	journal_free(j);
	return st;
}

int
cli_exec(int argc, char **argv, const struct cmd_ctx *base)
{
	static const struct option	 longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "remove-hiberfile", no_argument, NULL, 'H' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_ctx			 ctx;
	const struct cmd_entry		*e;
	int				 c;

	if (base != NULL)
		ctx = *base;
	else
		memset(&ctx, 0, sizeof ctx);
	ctx.argc = 0;
	ctx.argv = NULL;
	/* '+': options end at the command name; the rest are its own.
	 * optind 0 restarts getopt, as a plan runs one line after another. */
	optind = 0;
	while ((c = getopt_long(argc, argv, "+t:nhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			ctx.target = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'n':
			ctx.dry_run = 1;
			break;
		case 'y':
			ctx.yes = 1;
			break;
		case 'H':
			ctx.discard_hiber = 1;
			break;
		case 'F':
			ctx.force = 1;
			break;
		case 'h':
			cli_usage(stdout);
			return NTM_OK;
		case 'V':
			printf("ntmend %s\n", NTM_VERSION);
			return NTM_OK;
		default:
			cli_usage(stderr);
			return NTM_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		/* No command on a terminal: the walk-through menu. */
		if (base == NULL && isatty(STDIN_FILENO) &&
		    isatty(STDOUT_FILENO))
			return tui_main(ctx.target, ctx.discard_hiber);
		cli_usage(stderr);
		return NTM_USAGE;
	}
	if ((e = cmd_find(argv[0])) == NULL) {
		out_error("unknown command '%s' (ntmend --help lists them)",
		    argv[0]);
		return NTM_USAGE;
	}
	/* Options may also follow the command: "ntmend info --json". */
	ctx.argv = xcalloc((size_t)argc + 1, sizeof *ctx.argv);
	ctx.argv[ctx.argc++] = argv[0];
	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			ctx.json = 1;
		else if (strcmp(argv[c], "--dry-run") == 0)
			ctx.dry_run = 1;
		else if (strcmp(argv[c], "--yes") == 0)
			ctx.yes = 1;
		else if (strcmp(argv[c], "--force") == 0)
			ctx.force = 1;
		else
			ctx.argv[ctx.argc++] = argv[c];
	}
	c = e->exec(&ctx);
	free(ctx.argv);
	return c;
}
