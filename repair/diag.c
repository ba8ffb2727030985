/* diag.c: the diagnosis context every check reads the target through. */

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

struct diag {
	struct target		*target;
	struct diag_options	 opts;
	struct hive		*hives[HIVE_COUNT];
	char			*hive_errors[HIVE_COUNT];
	int			 tried[HIVE_COUNT];
	struct identity		 id;
	int			 id_read;
	struct finding		*findings;
	size_t			 nfindings;
	char			**errors;
	size_t			  nerrors;
};

struct diag *
diag_new(struct target *t, const struct diag_options *opts)
{
	struct diag	*d;

	d = xcalloc(1, sizeof *d);
	d->target = t;
	if (opts != NULL)
		d->opts = *opts;
	return d;
}

void
diag_free(struct diag *d)
{
	size_t	i, j;

	if (d == NULL)
		return;
	for (i = 0; i < HIVE_COUNT; i++) {
		hive_close(d->hives[i]);
		free(d->hive_errors[i]);
	}
	if (d->id_read)
		identity_free(&d->id);
	for (i = 0; i < d->nfindings; i++) {
		free(d->findings[i].summary);
		for (j = 0; j < d->findings[i].nevidence; j++)
			free(d->findings[i].evidence[j]);
		free(d->findings[i].evidence);
	}
	free(d->findings);
	for (i = 0; i < d->nerrors; i++)
		free(d->errors[i]);
	free(d->errors);
	free(d);
}

struct target *
diag_target(struct diag *d)
{
	return d->target;
}

struct vol *
diag_vol(struct diag *d)
{
	return d->target->vol;
}

const struct diag_options *
diag_options(struct diag *d)
{
	return &d->opts;
}

struct hive *
diag_hive(struct diag *d, enum hive_id id, char **cause)
{
	if (!d->tried[id]) {
		d->tried[id] = 1;
		if (d->target->vol == NULL ||
		    !vol_exists(d->target->vol, hive_volume_path(id)))
			d->hive_errors[id] = xprintf("%s is missing",
			    hive_volume_path(id));
		else if (hive_checkout(d->target->vol, hive_volume_path(id),
		    &d->hives[id], &d->hive_errors[id]) != 0)
			d->hives[id] = NULL;
	}
	if (d->hives[id] == NULL && cause != NULL)
		*cause = xstrdup(d->hive_errors[id]);
	return d->hives[id];
}

const struct identity *
diag_identity(struct diag *d)
{
	char	*cause = NULL;

	if (!d->id_read) {
		d->id_read = 1;
		if (d->target->vol == NULL ||
		    identity_read(d->target->vol, &d->id, &cause) != 0) {
			free(cause);
			memset(&d->id, 0, sizeof d->id);
			d->id.fast_startup = -1;
		}
	}
	return &d->id;
}

struct finding *
diag_finding(struct diag *d, const struct check *c, enum severity sev,
    const char *fix, const char *fmt, ...)
{
	struct finding	*f;
	va_list		 ap;

	d->findings = xreallocarray(d->findings, d->nfindings + 1,
	    sizeof *d->findings);
	f = &d->findings[d->nfindings++];
	memset(f, 0, sizeof *f);
	f->check = c;
	f->severity = sev;
	f->fix = fix;
	va_start(ap, fmt);
	xvasprintf(&f->summary, fmt, ap);
	va_end(ap);
	return f;
}

void
finding_evidence(struct finding *f, const char *fmt, ...)
{
	va_list	ap;

	f->evidence = xreallocarray(f->evidence, f->nevidence + 1,
	    sizeof *f->evidence);
	va_start(ap, fmt);
	xvasprintf(&f->evidence[f->nevidence++], fmt, ap);
	va_end(ap);
}

const char *
severity_name(enum severity s)
{
	switch (s) {
	case SEV_INFO:
		return "info";
	case SEV_WARNING:
		return "warning";
	case SEV_ERROR:
		return "error";
	}
	return "unknown";
}

static int
diag_wanted(const struct check *c, const char *const *only, size_t n)
{
	size_t	i;

	if (n == 0)
		return 1;
	for (i = 0; i < n; i++) {
		if (strcmp(only[i], c->id) == 0)
			return 1;
	}
	return 0;
}

int
diag_run(struct diag *d, const char *const *only, size_t nonly,
    int (*progress)(const struct check *, size_t, size_t, void *),
    void *arg)
{
	const struct check *const	*c;
	size_t				 n = 0, i = 0;
	char				*cause;

	for (c = check_table; *c != NULL; c++)
		n += diag_wanted(*c, only, nonly);
	for (c = check_table; *c != NULL; c++) {
		if (!diag_wanted(*c, only, nonly))
			continue;
		if (progress != NULL && progress(*c, i, n, arg) != 0)
			return -1;
		i++;
		/* A volume that could not be opened (BitLocker) can still be
		 * judged by its state, and by nothing else. */
		if (d->target->vol == NULL &&
		    strncmp((*c)->id, "volume-", 7) != 0)
			continue;
		cause = NULL;
		if ((*c)->run(d, *c, &cause) != 0) {
			d->errors = xreallocarray(d->errors, d->nerrors + 1,
			    sizeof *d->errors);
			d->errors[d->nerrors++] = xprintf("%s: %s", (*c)->id,
			    cause != NULL ? cause : "failed");
			free(cause);
		}
	}
	return 0;
}

const struct finding *
diag_findings(struct diag *d, size_t *n)
{
	*n = d->nfindings;
	return d->findings;
}

const char *const *
diag_errors(struct diag *d, size_t *n)
{
	*n = d->nerrors;
	return (const char *const *)d->errors;
}
