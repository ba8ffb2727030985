/* cmd-diagnose.c: every check, read-only; findings with evidence and fix. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_diagnose_exec(struct cmd_ctx *);

const struct cmd_entry cmd_diagnose_entry = {
	.name = "diagnose",
	.usage = "[--golden ARCHIVE] [CHECK...]",
	.summary = "run every check; findings with evidence and the fix",
	.exec = cmd_diagnose_exec
};

json_t *
out_findings_json(const struct finding *fs, size_t n)
{
	json_t	*a, *ev;
	size_t	 i, j;

	a = json_array();
	for (i = 0; i < n; i++) {
		ev = json_array();
		for (j = 0; j < fs[i].nevidence; j++)
			json_array_append_new(ev, json_string(fs[i].evidence[j]));
		json_array_append_new(a, json_pack("{s:s,s:s,s:s,s:s,s:o,s:s,"
		    "s:s?}", "id", fs[i].check->id, "title", fs[i].check->title,
		    "severity", severity_name(fs[i].severity), "summary",
		    fs[i].summary, "evidence", ev, "explanation",
		    fs[i].check->explanation, "fix", fs[i].fix));
	}
	return a;
}

void
out_findings_print(const struct finding *fs, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		printf("\n%-8s %s: %s\n", severity_name(fs[i].severity),
		    fs[i].check->id, fs[i].check->title);
		printf("         %s\n", fs[i].summary);
		for (j = 0; j < fs[i].nevidence; j++)
			printf("         evidence: %s\n", fs[i].evidence[j]);
		printf("         why: %s\n", fs[i].check->explanation);
		/* A finding may name a command rather than a fix (ssu-missing:
		 * the SSU goes into the next-boot queue with stage add). */
		if (fs[i].fix == NULL)
			printf("         fix: none offline\n");
		else if (fix_find(fs[i].fix) != NULL)
			printf("         fix: ntmend fix %s\n", fs[i].fix);
		else
			printf("         fix: ntmend %s (see the evidence)\n",
			    fs[i].fix);
	}
}

size_t
out_findings_count(const struct finding *fs, size_t n)
{
	size_t	i, count = 0;

	/* Information (a replayed hive) does not keep the exit status at
	 * "findings remain": nothing needs doing. */
	for (i = 0; i < n; i++)
		count += fs[i].severity != SEV_INFO;
	return count;
}

static int
cmd_diagnose_exec(struct cmd_ctx *ctx)
{
	struct diag_options	 opts;
	const struct finding	*fs;
	const struct identity	*id;
	const char *const	*errs;
	struct target		 t;
	struct diag		*d;
	json_t			*ja;
	char			*v, *cause = NULL;
	const char		**only = NULL;
	size_t			 n, nerrs, nonly = 0, i, serious;
	int			 st;

	memset(&opts, 0, sizeof opts);
	for (i = 1; i < (size_t)ctx->argc; i++) {
		if (strcmp(ctx->argv[i], "--golden") == 0 &&
		    i + 1 < (size_t)ctx->argc)
			opts.golden = ctx->argv[++i];
		else if (check_find(ctx->argv[i]) != NULL) {
			only = xreallocarray(only, nonly + 1, sizeof *only);
			only[nonly++] = ctx->argv[i];
		} else {
			out_error("diagnose: no check '%s'", ctx->argv[i]);
			free(only);
			return cmd_usage(&cmd_diagnose_entry);
		}
	}
	st = target_open(ctx->target, 0, &t, &cause);
	if (st != NTM_OK && !(st == NTM_UNSAFE && (t.state & VOL_BITLOCKER))) {
		out_error("%s", cause);
		free(cause);
		free(only);
		return st;
	}
	/* A locked volume is still diagnosed: its state is the finding. */
	free(cause);
	d = diag_new(&t, &opts);
	diag_run(d, only, nonly, NULL, NULL);
	fs = diag_findings(d, &n);
	errs = diag_errors(d, &nerrs);
	id = diag_identity(d);
	if (ctx->json) {
		ja = json_array();
		for (i = 0; i < nerrs; i++)
			json_array_append_new(ja, json_string(errs[i]));
		out_json("ntmend.diagnose/1", json_pack("{s:s?,s:o,s:o,s:o}",
		    "target", t.spec != NULL ? t.spec : ctx->target, "windows",
		    out_identity_json(id), "findings", out_findings_json(fs, n),
		    "errors", ja));
	} else {
		v = identity_version(id);
		printf("Diagnosis of %s (%s%s%s) on %s\n",
		    id->computer_name != NULL ? id->computer_name : "?",
		    id->product != NULL ? id->product : "Windows",
		    *v != '\0' ? ", " : "", v, t.vol != NULL ?
		    vol_name(t.vol) : ctx->target);
		free(v);
		out_findings_print(fs, n);
		for (i = 0; i < nerrs; i++)
			printf("\ncould not check %s\n", errs[i]);
		serious = out_findings_count(fs, n);
		if (n == 0)
			printf("\nNo problems found.\n");
		else
			printf("\n%zu finding(s), %zu needing attention. "
			    "Apply every fix that applies: ntmend fix --all\n",
			    n, serious);
	}
	serious = out_findings_count(fs, n);
	st = (t.state & VOL_BITLOCKER) ? NTM_UNSAFE : (serious > 0 ||
	    nerrs > 0 ? NTM_WARN : NTM_OK);
	diag_free(d);
	target_close(&t);
	free(only);
	return st;
}
