/* cmd-logs.c: the servicing logs of the target, read offline. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "packages/packages.h"

static int	cmd_logs_exec(struct cmd_ctx *);

const struct cmd_entry cmd_logs_entry = {
	.name = "logs",
	.usage = "scan|collect OUT",
	.summary = "scan CBS.log, its CbsPersist files, dism.log and "
	    "ReportingEvents.log: HRESULTs, failing packages and files, the "
	    "last servicing session",
	.exec = cmd_logs_exec
};

#define LOGS_SCHEMA	"ntmend.logs/1"
#define LOGS_SHOW	12	/* codes, names and events in the text output */

static char *
logs_hr(uint32_t hr)
{
	return xprintf("0x%08x", hr);
}

static json_t *
logs_ref_json(const struct logscan *s, const struct logscan_ref *r)
{
	return json_pack("{s:s,s:I,s:o,s:s}", "log", s->logs[r->log].path,
	    "line", (json_int_t)r->line, "time", out_jstr(*r->time != '\0' ?
	    r->time : NULL), "text", r->text != NULL ? r->text : "");
}

static json_t *
logs_names_json(const struct logscan_name *v, size_t n)
{
	json_t	*a;
	char	*hr;
	size_t	 i;

	a = json_array();
	for (i = 0; i < n; i++) {
		hr = v[i].hr != 0 ? logs_hr(v[i].hr) : NULL;
		json_array_append_new(a, json_pack("{s:s,s:I,s:I,s:o}", "name",
		    v[i].name, "count", (json_int_t)v[i].count, "current",
		    (json_int_t)v[i].current, "hresult", out_jstr(hr)));
		free(hr);
	}
	return a;
}

static json_t *
logs_session_json(const struct logscan_session *x)
{
	char	*hr;
	json_t	*o;

	if (x->id == NULL)
		return json_null();
	hr = x->hr != 0 ? logs_hr(x->hr) : NULL;
	o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:s,s:o,s:o}", "id", x->id,
	    "client", out_jstr(x->client), "package", out_jstr(x->package),
	    "started", out_jstr(*x->started != '\0' ? x->started : NULL),
	    "ended", out_jstr(*x->ended != '\0' ? x->ended : NULL),
	    "outcome", logscan_outcome_name(x->outcome), "hresult",
	    out_jstr(hr), "hresult_name", out_jstr(x->hr_name));
	free(hr);
	return o;
}

static json_t *
logs_json(struct target *t, const struct logscan *s)
{
	const struct logscan_log	*lg;
	const struct logscan_code	*c;
	const struct logscan_event	*e;
	json_t				*doc, *a, *o;
	char				*hr;
	size_t				 i;

	doc = json_object();
	json_object_set_new(doc, "target", json_string(t->spec));
	a = json_array();
	for (i = 0; i < s->nlogs; i++) {
		lg = &s->logs[i];
		json_array_append_new(a, json_pack("{s:s,s:s,s:b,s:I,s:I,s:I,"
		    "s:I,s:o,s:b,s:o,s:o,s:o}", "path", lg->path, "kind",
		    logscan_kind_name(lg->kind), "present", !lg->missing,
		    "bytes", (json_int_t)lg->size, "lines",
		    (json_int_t)lg->lines, "cut_lines", (json_int_t)lg->cut,
		    "unreadable_lines", (json_int_t)lg->unreadable, "encoding",
		    lg->missing ? json_null() : json_string(lg->encoding),
		    "crlf", lg->crlf, "first", out_jstr(*lg->first != '\0' ?
		    lg->first : NULL), "last", out_jstr(*lg->last != '\0' ?
		    lg->last : NULL), "error", lg->missing ? json_null() :
		    out_jstr(lg->error)));
	}
	json_object_set_new(doc, "logs", a);

	json_object_set_new(doc, "sessions", json_pack("{s:I,s:I,s:I,s:I,"
	    "s:o}", "count", (json_int_t)s->sessions, "succeeded",
	    (json_int_t)s->succeeded, "failed", (json_int_t)s->failed,
	    "unfinished", (json_int_t)s->unfinished, "last_success",
	    out_jstr(*s->last_ok != '\0' ? s->last_ok : NULL)));
	json_object_set_new(doc, "last_session", logs_session_json(&s->last));
	if (s->dism.command != NULL) {
		hr = s->dism.hr != 0 ? logs_hr(s->dism.hr) : NULL;
		o = json_pack("{s:s,s:o,s:s,s:o,s:o}", "command",
		    s->dism.command, "time", out_jstr(*s->dism.time != '\0' ?
		    s->dism.time : NULL), "outcome",
		    logscan_outcome_name(s->dism.outcome), "hresult",
		    out_jstr(hr), "hresult_name", out_jstr(s->dism.hr != 0 ?
		    logscan_hresult_name(s->dism.hr) : NULL));
		free(hr);
	} else
		o = json_null();
	json_object_set_new(doc, "last_dism", o);

	a = json_array();
	for (i = 0; i < s->ncodes; i++) {
		c = &s->codes[i];
		hr = logs_hr(c->hr);
		json_array_append_new(a, json_pack("{s:s,s:o,s:I,s:I,s:o,s:o}",
		    "hresult", hr, "name", out_jstr(c->name), "count",
		    (json_int_t)c->count, "current", (json_int_t)c->current,
		    "first", logs_ref_json(s, &c->first), "last",
		    logs_ref_json(s, &c->last)));
		free(hr);
	}
	json_object_set_new(doc, "hresults", a);
	json_object_set_new(doc, "packages", logs_names_json(s->packages,
	    s->npackages));
	json_object_set_new(doc, "files", logs_names_json(s->files,
	    s->nfiles));

	o = json_object();
	for (i = 0; i < LOGSCAN_EV_COUNT; i++)
		json_object_set_new(o, logscan_event_kind_name(i), json_pack(
		    "{s:I,s:I}", "count", (json_int_t)s->counts[i], "current",
		    (json_int_t)s->current[i]));
	json_object_set_new(doc, "counts", o);
	a = json_array();
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		hr = e->hr != 0 ? logs_hr(e->hr) : NULL;
		json_array_append_new(a, json_pack("{s:s,s:o,s:s,s:I,s:o,s:o,"
		    "s:o,s:o,s:o,s:o,s:s,s:b}", "kind",
		    logscan_event_kind_name(e->kind), "hresult", out_jstr(hr),
		    "log", s->logs[e->log].path, "line", (json_int_t)e->line,
		    "time", out_jstr(*e->time != '\0' ? e->time : NULL),
		    "session", out_jstr(e->session), "package",
		    out_jstr(e->package), "file", out_jstr(e->file),
		    "needs", out_jstr(e->need), "installed", out_jstr(e->have),
		    "text", e->text, "stale", e->stale));
		free(hr);
	}
	json_object_set_new(doc, "events", a);
	return doc;
}

/* "CBS.log" for "Windows\Logs\CBS\CBS.log": evidence lines stay short. */
static const char *
logs_base(const char *path)
{
	const char	*b = strrchr(path, '\\');

	return b != NULL ? b + 1 : path;
}

static void
logs_print_names(const char *what, const struct logscan_name *v, size_t n)
{
	size_t	i;

	if (n == 0)
		return;
	printf("\n%s named by failing lines:\n", what);
	for (i = 0; i < n && i < LOGS_SHOW; i++)
		printf("  %5llu  %s%s\n", (unsigned long long)v[i].count,
		    v[i].name, v[i].current == 0 ? "  (history)" : "");
	if (n > LOGS_SHOW)
		printf("  ... and %zu more (--json lists them all)\n",
		    n - LOGS_SHOW);
}

static void
logs_print(const struct logscan *s)
{
	const struct logscan_log	*lg;
	const struct logscan_code	*c;
	const struct logscan_event	*e;
	const struct logscan_session	*x = &s->last;
	size_t				 i, shown;

	printf("Logs:\n");
	for (i = 0; i < s->nlogs; i++) {
		lg = &s->logs[i];
		if (lg->missing) {
			printf("  %-52s missing\n", lg->path);
			continue;
		}
		printf("  %-52s %llu lines, %s%s", lg->path,
		    (unsigned long long)lg->lines, lg->encoding,
		    lg->crlf ? ", CRLF" : "");
		if (*lg->first != '\0')
			printf(", %s .. %s", lg->first, lg->last);
		if (lg->cut > 0)
			printf(", %llu cut at %d bytes",
			    (unsigned long long)lg->cut, NTM_MAX_LOG_LINE);
		if (lg->unreadable > 0)
			printf(", %llu unreadable",
			    (unsigned long long)lg->unreadable);
		printf("\n");
		if (lg->error != NULL)
			printf("    %s\n", lg->error);
	}

	printf("\nServicing sessions: %llu (%llu succeeded, %llu failed, "
	    "%llu unfinished)\n", (unsigned long long)s->sessions,
	    (unsigned long long)s->succeeded, (unsigned long long)s->failed,
	    (unsigned long long)s->unfinished);
	if (x->id != NULL) {
		printf("Last servicing session: %s", x->id);
		if (x->client != NULL)
			printf(" (%s)", x->client);
		printf(", %s%s%s\n", x->started, *x->ended != '\0' ? " .. " :
		    "", x->ended);
		if (x->package != NULL)
			printf("  package: %s\n", x->package);
		printf("  outcome: %s", logscan_outcome_name(x->outcome));
		if (x->hr != 0)
			printf(", 0x%08x %s", x->hr, x->hr_name != NULL ?
			    x->hr_name : "");
		printf("\n");
	}
	if (s->dism.command != NULL) {
		printf("Last DISM run: %s: %s", s->dism.time,
		    s->dism.command);
		printf(" -> %s", logscan_outcome_name(s->dism.outcome));
		if (s->dism.hr != 0)
			printf(" 0x%08x%s%s", s->dism.hr,
			    logscan_hresult_name(s->dism.hr) != NULL ? " " :
			    "", logscan_hresult_name(s->dism.hr) != NULL ?
			    logscan_hresult_name(s->dism.hr) : "");
		printf("\n");
	}

	if (s->ncodes > 0) {
		printf("\nHRESULTs (lines; \"history\": none since the last "
		    "success):\n");
		for (i = 0; i < s->ncodes; i++) {
			c = &s->codes[i];
			printf("  0x%08x %-40s %5llu%s\n", c->hr, c->name !=
			    NULL ? c->name : "-", (unsigned long long)c->count,
			    c->current == 0 ? "  (history)" : "");
			printf("             last: %s:%llu %s\n",
			    logs_base(s->logs[c->last.log].path),
			    (unsigned long long)c->last.line, c->last.time);
		}
	}
	logs_print_names("Packages", s->packages, s->npackages);
	logs_print_names("Files", s->files, s->nfiles);

	shown = 0;
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		if (e->kind == LOGSCAN_EV_FAILURE || e->stale)
			continue;
		if (shown++ == 0)
			printf("\nWhat the logs say went wrong:\n");
		printf("  %-15s %s:%llu %s\n    %s\n",
		    logscan_event_kind_name(e->kind), logs_base(
		    s->logs[e->log].path), (unsigned long long)e->line,
		    e->time, e->text);
	}
	if (shown == 0 && s->ncodes == 0)
		printf("\nNo failures logged.\n");
}

/* Failures still standing, for the exit status. */
static int
logs_current(const struct logscan *s)
{
	size_t	i;

	for (i = 0; i < s->ncodes; i++) {
		if (s->codes[i].current > 0)
			return 1;
	}
	for (i = 0; i < LOGSCAN_EV_COUNT; i++) {
		if (s->current[i] > 0)
			return 1;
	}
	return 0;
}

static int
cmd_logs_exec(struct cmd_ctx *ctx)
{
	struct target	 t;
	struct logscan	*s;
	char		*cause = NULL;
	int		 st;

	if (ctx->argc >= 2 && strcmp(ctx->argv[1], "collect") == 0)
		return logs_collect(ctx);
	if (ctx->argc != 2 || strcmp(ctx->argv[1], "scan") != 0)
		return cmd_usage(&cmd_logs_entry);
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (logscan_volume(t.vol, 0, &s, &cause) != 0) {
		out_error("%s: %s", vol_name(t.vol), cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	if (ctx->json)
		out_json(LOGS_SCHEMA, logs_json(&t, s));
	else
		logs_print(s);
	st = logs_current(s) ? NTM_WARN : NTM_OK;
	logscan_free(s);
	target_close(&t);
	return st;
}
