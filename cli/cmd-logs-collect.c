/*
 * cmd-logs-collect.c: `logs collect OUT.zip` (the logs subcommand's other
 * half; cmd-logs.c has the table entry and `logs scan`): the servicing
 * logs, each hive's state and a diagnosis, in one zip for the ticket.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "packages/packages.h"

/* logs collect: the hive states as JSON (ntmend.hives/1). */
static json_t *
collect_hive_file_json(const struct collect_hive_file *f)
{
	json_t	*o;
	char	*cks;

	o = json_pack("{s:s,s:b}", "path", f->path, "present", f->present);
	if (f->present)
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
	if (f->has_header) {
		cks = xprintf("0x%08x", f->checksum);
		json_object_update_new(o, json_pack("{s:I,s:I,s:b,s:I,s:I,s:I,"
		    "s:I,s:I,s:s,s:b}", "seq1", (json_int_t)f->seq1, "seq2",
		    (json_int_t)f->seq2, "dirty", f->dirty, "major",
		    (json_int_t)f->major, "minor", (json_int_t)f->minor,
		    "file_type", (json_int_t)f->type, "hbins_size",
		    (json_int_t)f->hbins_size, "timestamp_filetime",
		    (json_int_t)f->timestamp, "checksum", cks, "checksum_ok",
		    f->checksum_ok));
		free(cks);
	}
	if (f->error != NULL)
		json_object_set_new(o, "error", json_string(f->error));
	return o;
}

static char *
collect_hives_json(struct vol *vol, size_t *len)
{
	struct collect_hive	*hs;
	json_t			*doc, *a;
	size_t			 n, i;
	char			*s;

	collect_hive_states(vol, &hs, &n);
	a = json_array();
	for (i = 0; i < n; i++) {
		json_array_append_new(a, json_pack("{s:s,s:s,s:o,s:[o,o],s:o}",
		    "name", hs[i].name, "state", hs[i].state, "hive",
		    collect_hive_file_json(&hs[i].hive), "logs",
		    collect_hive_file_json(&hs[i].logs[0]),
		    collect_hive_file_json(&hs[i].logs[1]), "warning",
		    out_jstr(hs[i].warning)));
	}
	collect_hive_states_free(hs, n);
	doc = json_pack("{s:s,s:o}", "schema", "ntmend.hives/1", "hives", a);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	*len = strlen(s);
	return s;
}

/* The same document `diagnose --json` prints. */
static char *
collect_diagnose_json(struct target *t, size_t *len)
{
	const struct finding	*fs;
	const char *const	*errs;
	struct diag_options	 opts;
	struct diag		*d;
	json_t			*doc, *ja;
	size_t			 n, nerrs, i;
	char			*s;

	memset(&opts, 0, sizeof opts);
	d = diag_new(t, &opts);
	diag_run(d, NULL, 0, NULL, NULL);
	fs = diag_findings(d, &n);
	errs = diag_errors(d, &nerrs);
	ja = json_array();
	for (i = 0; i < nerrs; i++)
		json_array_append_new(ja, json_string(errs[i]));
	doc = json_pack("{s:s,s:s,s:o,s:o,s:o}", "schema", "ntmend.diagnose/1",
	    "target", t->spec, "windows", out_identity_json(diag_identity(d)),
	    "findings", out_findings_json(fs, n), "errors", ja);
	diag_free(d);
	s = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(doc);
	*len = strlen(s);
	return s;
}

int
logs_collect(struct cmd_ctx *ctx)
{
	struct collect_extra	 extra[2];
	struct collect_result	 res;
	struct target		 t;
	json_t			*a;
	char			*cause = NULL, *hives, *diag, *sz;
	size_t			 hlen, dlen, i, errors = 0;
	int			 st;

	if (ctx->argc != 3)
		return cmd_usage(&cmd_logs_entry);
	/* Read-only: a target Windows left hibernated or dirty is collected
	 * as it is; its state is in the diagnosis. */
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	hives = collect_hives_json(t.vol, &hlen);
	diag = collect_diagnose_json(&t, &dlen);
	extra[0].name = "ntmend/hives.json";
	extra[0].buf = hives;
	extra[0].len = hlen;
	extra[1].name = "ntmend/diagnose.json";
	extra[1].buf = diag;
	extra[1].len = dlen;
	if (collect_logs(t.vol, ctx->argv[2], extra, 2, &res, &cause) != 0) {
		out_error("logs collect: %s", cause);
		free(cause);
		free(hives);
		free(diag);
		target_close(&t);
		return NTM_FAILED;
	}
	for (i = 0; i < res.nfiles; i++)
		errors += res.files[i].error != NULL;
	if (ctx->json) {
		a = json_array();
		for (i = 0; i < res.nfiles; i++)
			json_array_append_new(a, json_pack("{s:s,s:I,s:o}",
			    "path", res.files[i].path, "size",
			    (json_int_t)res.files[i].size, "error",
			    out_jstr(res.files[i].error)));
		out_json("ntmend.logs-collect/1", json_pack("{s:s,s:s,s:I,s:I,"
		    "s:o,s:[s,s,s],s:i}", "target", t.spec, "zip", ctx->argv[2],
		    "zip_bytes", (json_int_t)res.zip_bytes, "bytes",
		    (json_int_t)res.bytes, "files", a, "extras",
		    "ntmend/hives.json", "ntmend/diagnose.json",
		    "ntmend/collected.txt", "skipped", (int)res.skipped));
	} else {
		for (i = 0; i < res.nfiles; i++) {
			if (res.files[i].error != NULL)
				out_warning("%s: %s", res.files[i].path,
				    res.files[i].error);
		}
		sz = out_size(res.zip_bytes);
		printf("wrote %s (%s): %zu file(s) of the volume, %llu bytes, "
		    "with ntmend/hives.json, ntmend/diagnose.json and "
		    "ntmend/collected.txt\n", ctx->argv[2], sz, res.nfiles,
		    (unsigned long long)res.bytes);
		free(sz);
	}
	st = errors > 0 ? NTM_WARN : NTM_OK;
	collect_result_free(&res);
	free(hives);
	free(diag);
	target_close(&t);
	return st;
}
