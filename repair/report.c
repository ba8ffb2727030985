/*
 * report.c: the report an unattended run leaves on the stick, one per PC
 * (<computer name>-<UTC time>.json and .txt), and the fleet summary that
 * reads a folder of them back.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repair/repair.h"
#include "util/util.h"

#define REPORT_SCHEMA		"ntmend.report/1"
/* A report holds each step's output (capped by the runner); anything
 * bigger in the folder is not one of ours. */
#define NTM_MAX_REPORT_SIZE	(16u << 20)
/* A stick for a fleet of a hundred PCs, with room for repeated runs. */
#define NTM_MAX_REPORTS		10000

/* FAT forbids these in names; computer names cannot hold most of them,
 * but a damaged hive can say anything. */
static char *
report_safe_name(const char *name)
{
	char	*s, *p;

	s = xstrdup(name != NULL && *name != '\0' ? name : "unknown-pc");
	for (p = s; *p != '\0'; p++) {
		if (strchr("\\/:*?\"<>|", *p) != NULL || (unsigned char)*p < 32)
			*p = '_';
	}
	return s;
}

static void
text_add(char **out, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
text_add(char **out, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, *t;

	va_start(ap, fmt);
	xvasprintf(&s, fmt, ap);
	va_end(ap);
	xasprintf(&t, "%s%s", *out, s);
	free(*out);
	free(s);
	*out = t;
}

static const char *
jget(json_t *o, const char *key)
{
	const char	*s = json_string_value(json_object_get(o, key));

	return s != NULL ? s : "";
}

static void
text_findings(char **out, const char *title, json_t *fs)
{
	json_t	*f, *e;
	size_t	 i, j;

	text_add(out, "\r\n%s: %zu\r\n", title, json_array_size(fs));
	json_array_foreach(fs, i, f) {
		text_add(out, "  [%s] %s: %s\r\n", jget(f, "severity"),
		    jget(f, "id"), jget(f, "summary"));
		json_array_foreach(json_object_get(f, "evidence"), j, e)
			text_add(out, "      evidence: %s\r\n",
			    json_string_value(e));
		if (json_is_string(json_object_get(f, "fix")))
			text_add(out, "      fix: %s\r\n", jget(f, "fix"));
	}
}

/* The .txt is for people opening it on Windows: CRLF lines. */
char *
report_text(json_t *doc)
{
	json_t	*w, *steps, *s, *j;
	char	*out = xstrdup("");
	size_t	 i;

	w = json_object_get(doc, "windows");
	text_add(&out, "ntmend report for %s\r\n", jget(doc, "pc"));
	text_add(&out, "Windows:  %s %s (%s) %s\r\n", jget(w, "product"),
	    jget(w, "display_version"), jget(w, "version"),
	    jget(w, "architecture"));
	text_add(&out, "Target:   %s\r\n", jget(doc, "target"));
	text_add(&out, "Plan:     %s\r\n", jget(doc, "plan"));
	text_add(&out, "Started:  %s\r\nFinished: %s\r\n", jget(doc, "started"),
	    jget(doc, "finished"));
	text_add(&out, "Result:   %s%s%s\r\n", jget(doc, "result"),
	    *jget(doc, "reason") != '\0' ? ": " : "", jget(doc, "reason"));
	text_findings(&out, "Findings before", json_object_get(doc,
	    "findings_before"));
	steps = json_object_get(doc, "steps");
	text_add(&out, "\r\nSteps: %zu\r\n", json_array_size(steps));
	json_array_foreach(steps, i, s) {
		text_add(&out, "  %s  -> exit %lld in %.1fs\r\n", jget(s, "line"),
		    (long long)json_integer_value(json_object_get(s, "exit")),
		    json_real_value(json_object_get(s, "seconds")));
	}
	j = json_object_get(doc, "journals");
	if (json_array_size(j) > 0) {
		text_add(&out, "\r\nJournals (undo with ntmend undo ID):\r\n");
		json_array_foreach(j, i, s)
			text_add(&out, "  %s\r\n", json_string_value(s));
	}
	text_findings(&out, "Findings after", json_object_get(doc,
	    "findings_after"));
	return out;
}

int
report_write(const char *dir, json_t *doc, char **jsonpath, char **cause)
{
	struct tm	 tm;
	time_t		 now;
	char		 stamp[32], *name, *base, *path, *text, *js;
	json_t		*first;
	int		 ret = -1;

	if (mkdir(dir, 0755) == -1 && errno != EEXIST)
		return set_cause(cause, "cannot create the report folder %s: "
		    "%s", dir, strerror(errno));
	json_object_set_new(doc, "schema", json_string(REPORT_SCHEMA));
	/* The schema first in the file, as in every document ntmend prints,
	 * so that a reader sees the version before anything else. */
	first = json_pack("{s:s}", "schema", REPORT_SCHEMA);
	json_object_update(first, doc);
	now = time(NULL);
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	name = report_safe_name(jget(doc, "pc"));
	base = xprintf("%s/%s-%s", dir, name, stamp);
	free(name);
	js = json_dumps(first, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(first);
	text = report_text(doc);
	path = xprintf("%s.json", base);
	if (file_write_all(path, js, strlen(js), cause) != 0)
		goto out;
	free(path);
	path = xprintf("%s.txt", base);
	if (file_write_all(path, text, strlen(text), cause) != 0)
		goto out;
	free(path);
	path = xprintf("%s.json", base);
	ret = 0;
out:
	if (ret == 0 && jsonpath != NULL)
		*jsonpath = path;
	else
		free(path);
	free(js);
	free(text);
	free(base);
	return ret;
}

static int
report_cmp(const void *a, const void *b)
{
	json_t	*ja = *(json_t *const *)a, *jb = *(json_t *const *)b;
	int	 c;

	c = strcmp(jget(ja, "pc"), jget(jb, "pc"));
	return c != 0 ? c : strcmp(jget(ja, "started"), jget(jb, "started"));
}

int
report_load_all(const char *dir, json_t **reportsp, char ***skipped,
    size_t *nskipped, char **cause)
{
	struct dirent	*de;
	DIR		*d;
	json_t		*all, **v = NULL, *doc;
	json_error_t	 jerr;
	char		*path;
	size_t		 n = 0, i, len;
	void		*buf;

	*skipped = NULL;
	*nskipped = 0;
	if ((d = opendir(dir)) == NULL)
		return set_cause(cause, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL && n < NTM_MAX_REPORTS) {
		len = strlen(de->d_name);
		if (len < 6 || strcasecmp(de->d_name + len - 5, ".json") != 0)
			continue;
		path = xprintf("%s/%s", dir, de->d_name);
		doc = NULL;
		if (file_read_all(path, NTM_MAX_REPORT_SIZE, &buf, &len,
		    NULL) == 0) {
			doc = json_loadb(buf, len, 0, &jerr);
			free(buf);
		}
		if (doc == NULL || strcmp(jget(doc, "schema"),
		    REPORT_SCHEMA) != 0) {
			json_decref(doc);
			*skipped = xreallocarray(*skipped, *nskipped + 1,
			    sizeof **skipped);
			(*skipped)[(*nskipped)++] = xstrdup(de->d_name);
			free(path);
			continue;
		}
		free(path);
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n++] = doc;
	}
	closedir(d);
	if (n > 1)
		qsort(v, n, sizeof *v, report_cmp);
	all = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(all, v[i]);
	free(v);
	*reportsp = all;
	return 0;
}
