/* cmd-hash.c: SHA-256 of files on the target, shaped like sha256sum. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_hash_exec(struct cmd_ctx *);

const struct cmd_entry cmd_hash_entry = {
	.name = "hash",
	.usage = "PATH...",
	.summary = "SHA-256 of files (a directory: every file below it)",
	.exec = cmd_hash_exec
};

struct hash_state {
	struct vol	*vol;
	json_t		*files;		/* --json: collected here */
	json_t		*errors;
	int		 failed;
};

struct name_list {
	char		**names;
	int		 *dirs;
	size_t		  n;
};

static int
collect(const struct vol_dirent *de, void *arg)
{
	struct name_list	*l = arg;

	l->names = xreallocarray(l->names, l->n + 1, sizeof *l->names);
	l->dirs = xreallocarray(l->dirs, l->n + 1, sizeof *l->dirs);
	l->names[l->n] = xstrdup(de->name);
	l->dirs[l->n++] = de->is_dir;
	return 0;
}

static void
hash_error(struct hash_state *hs, const char *path, const char *cause)
{
	hs->failed = 1;
	out_error("hash: %s", cause);
	if (hs->errors != NULL)
		json_array_append_new(hs->errors, json_pack("{s:s,s:s}",
		    "path", path, "error", cause));
}

static void hash_path(struct hash_state *, const char *);

/* Names are collected before descending so no directory stays open
 * across the walk below it. */
static void
hash_dir(struct hash_state *hs, const char *path)
{
	struct name_list	 l = { NULL, NULL, 0 };
	char			*cause = NULL, *child;
	size_t			 i;

	if (vol_list(hs->vol, path, collect, &l, &cause) != 0) {
		hash_error(hs, path, cause);
		free(cause);
		return;
	}
	for (i = 0; i < l.n; i++) {
		xasprintf(&child, "%s%s%s", path,
		    *path != '\0' ? "\\" : "", l.names[i]);
		if (l.dirs[i])
			hash_dir(hs, child);
		else
			hash_path(hs, child);
		free(child);
		free(l.names[i]);
	}
	free(l.names);
	free(l.dirs);
}

static void
hash_path(struct hash_state *hs, const char *path)
{
	struct vol_stat	 sb;
	char		 hex[65], *cause = NULL;

	if (vol_stat(hs->vol, path, &sb, &cause) != 0) {
		hash_error(hs, path, cause);
		free(cause);
		return;
	}
	if (sb.is_dir) {
		hash_dir(hs, path);
		return;
	}
	if (hash_file(hs->vol, path, hex, &cause) != 0) {
		hash_error(hs, path, cause);
		free(cause);
		return;
	}
	if (hs->files != NULL)
		json_array_append_new(hs->files, json_pack("{s:s,s:s,s:I}",
		    "path", path, "sha256", hex, "size", (json_int_t)sb.size));
	else
		printf("%s  %s\n", hex, path);
}

static int
cmd_hash_exec(struct cmd_ctx *ctx)
{
	struct hash_state	 hs;
	struct target		 t;
	json_t			*doc;
	int			 i, st;

	if (ctx->argc < 2)
		return cmd_usage(&cmd_hash_entry);
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	memset(&hs, 0, sizeof hs);
	hs.vol = t.vol;
	if (ctx->json) {
		hs.files = json_array();
		hs.errors = json_array();
	}
	for (i = 1; i < ctx->argc; i++)
		hash_path(&hs, ctx->argv[i]);
	if (ctx->json) {
		doc = json_pack("{s:s,s:o,s:o}", "target", t.spec,
		    "files", hs.files, "errors", hs.errors);
		out_json("ntmend.hash/1", doc);
	}
	target_close(&t);
	return hs.failed ? NTM_WARN : NTM_OK;
}
