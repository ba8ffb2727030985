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

struct hash_out {
	json_t	*files;		/* --json: collected here */
	json_t	*errors;
};

static void
hash_print(const char *path, const char *hex, uint64_t size,
    const char *cause, void *arg)
{
	struct hash_out	*ho = arg;

	if (hex == NULL) {
		out_error("hash: %s", cause);
		if (ho->errors != NULL)
			json_array_append_new(ho->errors, json_pack(
			    "{s:s,s:s}", "path", path, "error", cause));
	} else if (ho->files != NULL)
		json_array_append_new(ho->files, json_pack("{s:s,s:s,s:I}",
		    "path", path, "sha256", hex, "size", (json_int_t)size));
	else
		printf("%s  %s\n", hex, path);
}

static int
cmd_hash_exec(struct cmd_ctx *ctx)
{
	struct hash_out	 ho = { NULL, NULL };
	struct target	 t;
	int		 st, failed;

	if (ctx->argc < 2)
		return cmd_usage(&cmd_hash_entry);
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (ctx->json) {
		ho.files = json_array();
		ho.errors = json_array();
	}
	failed = hash_walk(t.vol, (const char *const *)ctx->argv + 1,
	    (size_t)ctx->argc - 1, hash_print, &ho) != 0;
	if (ctx->json)
		out_json("ntmend.hash/1", json_pack("{s:s,s:o,s:o}", "target",
		    t.spec, "files", ho.files, "errors", ho.errors));
	target_close(&t);
	return failed ? NTM_WARN : NTM_OK;
}
