/*
 * cmd-run.c: the unattended mode. Each line of a plan is an ntmend command
 * line run through the same table as the command line and the menu; the
 * run stops at the first failure and leaves one report per PC.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

/* A plan is a short text file a technician writes. */
#define NTM_MAX_PLAN		(1024 * 1024)
#define NTM_MAX_PLAN_WORDS	256
/* Each step's output kept in the report; the rest is cut with a note. */
#define NTM_MAX_STEP_OUTPUT	(64 * 1024)

static int	cmd_run_exec(struct cmd_ctx *);
static int	cmd_report_exec(struct cmd_ctx *);

const struct cmd_entry cmd_run_entry = {
	.name = "run",
	.usage = "PLAN [--report DIR]",
	.summary = "unattended: run each line of PLAN, write the report",
	.exec = cmd_run_exec
};

const struct cmd_entry cmd_report_entry = {
	.name = "report",
	.usage = "summarize DIR",
	.summary = "one fleet table (text and CSV) from a folder of reports",
	.exec = cmd_report_exec
};

/* Split a plan line into words: blanks separate, '...' and "..." group,
 * and backslashes are literal (Windows paths are full of them). */
static int
plan_words(char *line, char **words, int max, char **cause)
{
	char	*p = line, *out, q;
	int	 n = 0;

	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (n == max)
			return set_cause(cause, "more than %d words", max);
		words[n++] = out = p;
		while (*p != '\0' && *p != ' ' && *p != '\t') {
			if (*p == '\'' || *p == '"') {
				q = *p++;
				while (*p != '\0' && *p != q)
					*out++ = *p++;
				if (*p != q)
					return set_cause(cause, "unmatched %c",
					    q);
				p++;
			} else
				*out++ = *p++;
		}
		if (*p != '\0')
			p++;
		*out = '\0';
	}
	return n;
}

/* Run one line with stdout and stderr captured into *output. */
static int
plan_step(struct cmd_ctx *base, char **words, int n, char **output)
{
	char	 tmpl[] = "/tmp/ntmend-step.XXXXXX";
	char	*buf;
	int	 fd, out, err, st;
	ssize_t	 len;
	off_t	 size;

	if ((fd = mkstemp(tmpl)) == -1)
		fatal("cannot create a temp file: %s", strerror(errno));
	unlink(tmpl);
	fflush(stdout);
	fflush(stderr);
	out = dup(STDOUT_FILENO);
	err = dup(STDERR_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	st = cli_exec(n, words, base);
	fflush(stdout);
	fflush(stderr);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	close(out);
	close(err);

	size = lseek(fd, 0, SEEK_END);
	len = size > NTM_MAX_STEP_OUTPUT ? NTM_MAX_STEP_OUTPUT : size;
	buf = xmalloc((size_t)len + 64);
	len = pread(fd, buf, (size_t)len, 0);
	if (len < 0)
		len = 0;
	buf[len] = '\0';
	if (size > NTM_MAX_STEP_OUTPUT)
		strcat(buf, "\n[output cut]\n");
	close(fd);
	*output = buf;
	return st;
}

/* The last non-empty line of a step's output: its error, for the fleet
 * table; borrowed until the next call. */
static const char *
last_line(const char *out)
{
	static char	 line[512];
	const char	*end, *start;

	end = out + strlen(out);
	while (end > out && (end[-1] == '\n' || end[-1] == '\r'))
		end--;
	for (start = end; start > out && start[-1] != '\n'; start--)
		;
	snprintf(line, sizeof line, "%.*s", (int)(end - start), start);
	return line;
}

/* Who the PC is for the report's name and the fleet table: its computer
 * name, or for a volume nothing can be read from (BitLocker) the disk it
 * is on, so the row still tells the technician which PC it was. */
static char *
run_pc_name(json_t *windows, const char *target)
{
	const char	*name, *base;

	name = json_string_value(json_object_get(windows, "computer_name"));
	if (name != NULL && *name != '\0')
		return xstrdup(name);
	if (target == NULL)
		return xstrdup("unknown-pc");
	base = strrchr(target, '/');
	return xprintf("unknown-%s", base != NULL ? base + 1 : target);
}

static double
now_seconds(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *
utc_now(void)
{
	return out_time(time(NULL), 1);
}

/* Findings and identity of the target as it is now (read-only). */
static int
run_diagnose(struct cmd_ctx *ctx, json_t **findings, json_t **windows,
    size_t *serious, unsigned *state, char **cause)
{
	const struct finding	*fs;
	struct target		 t;
	struct diag		*d;
	size_t			 n;
	int			 st;

	st = target_open(ctx->target, 0, &t, cause);
	*state = t.state;
	if (st != NTM_OK && !(st == NTM_UNSAFE && (t.state & VOL_BITLOCKER)))
		return st;
	/* A locked volume is diagnosed by its state: the refusal's words
	 * become the volume-bitlocker finding, not an error. */
	free(*cause);
	*cause = NULL;
	d = diag_new(&t, NULL);
	diag_run(d, NULL, 0, NULL, NULL);
	fs = diag_findings(d, &n);
	*findings = out_findings_json(fs, n);
	*serious = out_findings_count(fs, n);
	if (windows != NULL)
		*windows = out_identity_json(diag_identity(d));
	diag_free(d);
	target_close(&t);
	return NTM_OK;
}

/* Journal ids on the target now (empty if it cannot be opened). */
static json_t *
run_journals(struct cmd_ctx *ctx)
{
	struct journal_info	*info;
	struct target		 t;
	json_t			*a;
	size_t			 n, i;

	a = json_array();
	if (target_open(ctx->target, 0, &t, NULL) != NTM_OK)
		return a;
	if (journal_list(t.vol, &info, &n, NULL) == 0) {
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(info[i].id));
		journal_info_free(info, n);
	}
	target_close(&t);
	return a;
}

static int
json_has(json_t *a, const char *s)
{
	json_t	*v;
	size_t	 i;

	json_array_foreach(a, i, v) {
		if (strcmp(json_string_value(v), s) == 0)
			return 1;
	}
	return 0;
}

static int
cmd_run_exec(struct cmd_ctx *ctx)
{
	struct cmd_ctx	 base;
	json_t		*doc, *steps, *before = NULL, *after = NULL;
	json_t		*windows = NULL, *jb, *ja, *made, *v;
	const char	*plan = NULL, *dir = ".", *result;
	char		*text, *line, *next, *cause = NULL, *output, *path;
	char		*words[NTM_MAX_PLAN_WORDS + 1], *reason = NULL;
	size_t		 len, lineno = 0, serious = 0, i;
	unsigned	 state = 0;
	void		*buf;
	double		 t0;
	int		 n, st, failed = 0, ran = 0;

	for (n = 1; n < ctx->argc; n++) {
		if (strcmp(ctx->argv[n], "--report") == 0 &&
		    n + 1 < ctx->argc)
			dir = ctx->argv[++n];
		else if (plan == NULL)
			plan = ctx->argv[n];
		else
			return cmd_usage(&cmd_run_entry);
	}
	if (plan == NULL)
		return cmd_usage(&cmd_run_entry);
	if (file_read_all(plan, NTM_MAX_PLAN, &buf, &len, &cause) != 0) {
		out_error("run: %s", cause);
		free(cause);
		return NTM_FAILED;
	}
	text = buf;

	doc = json_object();
	json_object_set_new(doc, "plan", json_string(plan));
	json_object_set_new(doc, "target", out_jstr(ctx->target));
	json_object_set_new(doc, "started", json_string(line = utc_now()));
	free(line);
	steps = json_array();

	/* Before: who the PC is and what is wrong. A target that cannot be
	 * opened still gets a report: the fleet table must show it. */
	st = run_diagnose(ctx, &before, &windows, &serious, &state, &cause);
	if (st != NTM_OK) {
		reason = cause;
		cause = NULL;
		failed = 1;
		result = "failed";
		before = json_array();
		windows = json_object();
		goto report;
	}
	jb = run_journals(ctx);

	base = *ctx;
	base.json = 0;
	base.argc = 0;
	base.argv = NULL;
	for (line = text; line != NULL && !failed; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		while (*line == ' ' || *line == '\t')
			line++;
		if (*line == '\0' || *line == '#')
			continue;
		v = json_pack("{s:i,s:s}", "line_number", (int)lineno, "line",
		    line);
		if (!ctx->json)
			printf("[%zu] ntmend %s\n", lineno, line);
		words[0] = (char *)"ntmend";
		n = plan_words(line, words + 1, NTM_MAX_PLAN_WORDS, &cause);
		if (n > 0 && strcmp(words[1], "run") == 0)
			n = set_cause(&cause, "a plan cannot run a plan");
		if (n < 0) {
			reason = xprintf("%s line %zu: %s", plan, lineno, cause);
			free(cause);
			cause = NULL;
			json_object_set_new(v, "exit", json_integer(NTM_USAGE));
			json_object_set_new(v, "seconds", json_real(0));
			json_array_append_new(steps, v);
			failed = 1;
			break;
		}
		t0 = now_seconds();
		st = plan_step(&base, words, n + 1, &output);
		json_object_set_new(v, "exit", json_integer(st));
		json_object_set_new(v, "seconds", json_real(now_seconds() - t0));
		json_object_set_new(v, "output", json_string(output));
		if (!ctx->json)
			fputs(output, stdout);
		free(output);
		json_array_append_new(steps, v);
		ran++;
		/* 1 is "findings remain", the normal answer of diagnose;
		 * usage errors, unsafe targets and failures stop the plan. */
		if (st >= NTM_USAGE) {
			reason = xprintf("line %zu (%s) failed with exit "
			    "status %d: %s", lineno, json_string_value(
			    json_object_get(v, "line")), st, last_line(
			    json_string_value(json_object_get(v, "output"))));
			failed = 1;
		}
	}

	ja = run_journals(ctx);
	made = json_array();
	json_array_foreach(ja, i, v) {
		if (!json_has(jb, json_string_value(v)))
			json_array_append(made, v);
	}
	json_decref(ja);
	json_decref(jb);
	json_object_set_new(doc, "journals", made);
	if (run_diagnose(ctx, &after, NULL, &serious, &state, &cause) != 0) {
		free(cause);
		cause = NULL;
		after = json_array();
	}
	if (failed)
		result = "failed";
	else if (serious > 0) {
		result = "attention";
		reason = xprintf("%zu finding(s) remain", serious);
	} else
		result = "fixed";

report:
	json_object_set_new(doc, "pc", json_string(line =
	    run_pc_name(windows, ctx->target)));
	free(line);
	json_object_set_new(doc, "windows", windows);
	json_object_set_new(doc, "steps", steps);
	json_object_set_new(doc, "findings_before", before);
	json_object_set_new(doc, "findings_after", after != NULL ? after :
	    json_array());
	if (json_object_get(doc, "journals") == NULL)
		json_object_set_new(doc, "journals", json_array());
	json_object_set_new(doc, "result", json_string(result));
	json_object_set_new(doc, "reason", out_jstr(reason));
	json_object_set_new(doc, "finished", json_string(line = utc_now()));
	free(line);
	if (report_write(dir, doc, &path, &cause) != 0) {
		out_error("run: the report cannot be written: %s", cause);
		free(cause);
		failed = 1;
	} else if (ctx->json)
		out_json("ntmend.run/1", json_pack("{s:s,s:s,s:s?,s:i}",
		    "report", path, "result", result, "reason", reason,
		    "steps", ran));
	else
		printf("result: %s%s%s\nreport: %s\n", result,
		    reason != NULL ? ": " : "", reason != NULL ? reason : "",
		    path);
	if (reason != NULL && failed && !ctx->json)
		out_error("%s", reason);
	free(path);
	json_decref(doc);
	free(reason);
	free(text);
	if (state & (VOL_BITLOCKER | VOL_HIBERNATED) && strcmp(result,
	    "failed") == 0 && ran == 0)
		return NTM_UNSAFE;
	if (failed)
		return NTM_FAILED;
	return serious > 0 ? NTM_WARN : NTM_OK;
}

/* ids of a report's findings, "a b c", for the table; caller frees. */
static char *
finding_ids(json_t *fs, int serious_only)
{
	json_t	*f;
	char	*s = xstrdup(""), *t;
	size_t	 i;

	json_array_foreach(fs, i, f) {
		if (serious_only && strcmp(json_string_value(json_object_get(f,
		    "severity")), "info") == 0)
			continue;
		t = xprintf("%s%s%s", s, *s != '\0' ? " " : "",
		    json_string_value(json_object_get(f, "id")));
		free(s);
		s = t;
	}
	return s;
}

/* A JSON array of strings joined with blanks; caller frees. */
static char *
finding_ids_of(json_t *strings)
{
	json_t	*v;
	char	*s = xstrdup(""), *t;
	size_t	 i;

	json_array_foreach(strings, i, v) {
		t = xprintf("%s%s%s", s, *s != '\0' ? " " : "",
		    json_string_value(v));
		free(s);
		s = t;
	}
	return s;
}

static const char *
js(json_t *o, const char *k)
{
	const char	*s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "";
}

/* CSV fields as RFC 4180 wants them: quoted, quotes doubled. */
static void
csv_field(FILE *f, const char *s, int last)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputs(last ? "\"\r\n" : "\",", f);
}

static int
cmd_report_exec(struct cmd_ctx *ctx)
{
	json_t		*reports, *r, *w, *latest, *rows;
	char		**skipped, *cause = NULL, *csvpath, *b, *a, *j;
	size_t		 nskipped, i, nfixed = 0, nattn = 0, nfail = 0;
	FILE		*csv;
	const char	*dir, *name;

	if (ctx->argc != 3 || strcmp(ctx->argv[1], "summarize") != 0)
		return cmd_usage(&cmd_report_entry);
	dir = ctx->argv[2];
	if (report_load_all(dir, &reports, &skipped, &nskipped, &cause) != 0) {
		out_error("report: %s", cause);
		free(cause);
		return NTM_FAILED;
	}
	/* Per PC, the latest run decides (reports are sorted by computer,
	 * then time): a PC fixed on its second run is fixed. */
	latest = json_object();
	json_array_foreach(reports, i, r) {
		name = js(r, "pc");
		json_object_set(latest, *name != '\0' ? name : "unknown-pc",
		    r);
	}
	csvpath = xprintf("%s/fleet-summary.csv", dir);
	if ((csv = fopen(csvpath, "w")) == NULL) {
		out_error("report: %s: %s", csvpath, strerror(errno));
		free(csvpath);
		json_decref(latest);
		json_decref(reports);
		return NTM_FAILED;
	}
	fputs("computer,product,version,result,reason,findings_before,"
	    "findings_after,journals,finished\r\n", csv);
	rows = json_array();
	if (!ctx->json)
		printf("%-18s %-10s %-18s %s\n", "COMPUTER", "RESULT",
		    "VERSION", "FINDINGS BEFORE -> AFTER / REASON");
	json_object_foreach(latest, name, r) {
		w = json_object_get(r, "windows");
		b = finding_ids(json_object_get(r, "findings_before"), 1);
		a = finding_ids(json_object_get(r, "findings_after"), 1);
		if (strcmp(js(r, "result"), "fixed") == 0)
			nfixed++;
		else if (strcmp(js(r, "result"), "attention") == 0)
			nattn++;
		else
			nfail++;
		csv_field(csv, name, 0);
		csv_field(csv, js(w, "product"), 0);
		csv_field(csv, js(w, "version"), 0);
		csv_field(csv, js(r, "result"), 0);
		csv_field(csv, js(r, "reason"), 0);
		csv_field(csv, b, 0);
		csv_field(csv, a, 0);
		j = finding_ids_of(json_object_get(r, "journals"));
		csv_field(csv, j, 0);
		free(j);
		csv_field(csv, js(r, "finished"), 1);
		if (ctx->json)
			json_array_append_new(rows, json_pack("{s:s,s:s,s:s,"
			    "s:s,s:s,s:s,s:s}", "computer", name, "version",
			    js(w, "version"), "result", js(r, "result"),
			    "reason", js(r, "reason"), "findings_before", b,
			    "findings_after", a, "finished",
			    js(r, "finished")));
		else
			printf("%-18s %-10s %-18s %s -> %s%s%s\n", name,
			    js(r, "result"), js(w, "version"), *b != '\0' ?
			    b : "none", *a != '\0' ? a : "none",
			    *js(r, "reason") != '\0' ? " / " : "",
			    js(r, "reason"));
		free(b);
		free(a);
	}
	fclose(csv);
	if (ctx->json)
		out_json("ntmend.fleet/1", json_pack("{s:s,s:i,s:i,s:i,s:o}",
		    "csv", csvpath, "fixed", (int)nfixed, "attention",
		    (int)nattn, "failed", (int)nfail, "pcs", rows));
	else {
		json_decref(rows);
		printf("%zu PC(s): %zu fixed, %zu need attention, %zu failed\n"
		    "CSV: %s\n", nfixed + nattn + nfail, nfixed, nattn, nfail,
		    csvpath);
	}
	for (i = 0; i < nskipped; i++) {
		if (!ctx->json)
			out_warning("%s/%s is not an ntmend report: skipped",
			    dir, skipped[i]);
		free(skipped[i]);
	}
	free(skipped);
	free(csvpath);
	json_decref(latest);
	json_decref(reports);
	return nattn + nfail > 0 ? NTM_WARN : NTM_OK;
}
