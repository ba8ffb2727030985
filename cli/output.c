/* output.c: text and JSON output shared by the commands. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"

void
out_error(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("ntmend: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void
out_warning(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	fputs("ntmend: warning: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

void
out_json(const char *schema, json_t *doc)
{
	json_t	*out;

	/* The schema field first, so a reader sees the version at once. */
	out = json_object();
	json_object_set_new(out, "schema", json_string(schema));
	json_object_update(out, doc);
	json_decref(doc);
	json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(out);
}

json_t *
out_jstr(const char *s)
{
	return s == NULL ? json_null() : json_string(s);
}

char *
out_size(uint64_t bytes)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double	v = (double)bytes;
	size_t	u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		return xprintf("%llu B", (unsigned long long)bytes);
	return xprintf("%.1f %s", v, units[u]);
}

char *
out_time(time_t t, int iso)
{
	struct tm	tm;
	char		buf[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof buf, iso ? "%Y-%m-%dT%H:%M:%SZ" :
	    "%Y-%m-%d %H:%M UTC", &tm);
	return xstrdup(buf);
}

static const struct {
	unsigned	 flag;
	const char	*name;
} state_names[] = {
	{ VOL_BITLOCKER, "bitlocker" },
	{ VOL_HIBERNATED, "hibernated" },
	{ VOL_DIRTY, "dirty" },
	{ VOL_LOGFILE_UNCLEAN, "logfile-unclean" },
	{ VOL_NOT_NTFS, "not-ntfs" },
	/* VOL_READONLY is how ntmend opened it, not a state of the volume:
	 * "read-only" comes from the device (out_state_json's caller). */
};

json_t *
out_state_json(unsigned state)
{
	json_t	*a;
	size_t	 i;

	a = json_array();
	for (i = 0; i < sizeof state_names / sizeof state_names[0]; i++) {
		if (state & state_names[i].flag)
			json_array_append_new(a,
			    json_string(state_names[i].name));
	}
	return a;
}

json_t *
out_identity_json(const struct identity *id)
{
	json_t	*o, *w;
	char	*s;
	size_t	 i;

	o = json_object();
	json_object_set_new(o, "product", out_jstr(id->product));
	json_object_set_new(o, "edition", out_jstr(id->edition));
	json_object_set_new(o, "display_version",
	    out_jstr(id->display_version));
	json_object_set_new(o, "build", id->build != 0 ?
	    json_integer(id->build) : json_null());
	json_object_set_new(o, "ubr", id->build != 0 ?
	    json_integer(id->ubr) : json_null());
	s = identity_version(id);
	json_object_set_new(o, "version", out_jstr(*s != '\0' ? s : NULL));
	free(s);
	json_object_set_new(o, "architecture", out_jstr(id->arch));
	json_object_set_new(o, "computer_name", out_jstr(id->computer_name));
	if (id->install_date != 0) {
		s = out_time(id->install_date, 1);
		json_object_set_new(o, "install_date", json_string(s));
		free(s);
	} else
		json_object_set_new(o, "install_date", json_null());
	json_object_set_new(o, "current_control_set", id->control_set != 0 ?
	    json_integer(id->control_set) : json_null());
	json_object_set_new(o, "fast_startup", id->fast_startup < 0 ?
	    json_null() : json_boolean(id->fast_startup));
	w = json_array();
	for (i = 0; i < id->nwarnings; i++)
		json_array_append_new(w, json_string(id->warnings[i]));
	json_object_set_new(o, "warnings", w);
	return o;
}

char *
out_state_advice(unsigned state, const char *hiber_sig)
{
	if (state & VOL_BITLOCKER)
		return xstrdup("BitLocker-locked: unlock it with 'cryptsetup "
		    "bitlkOpen DEVICE win' and the 48-digit recovery key, "
		    "then run ntmend -t /dev/mapper/win");
	if (state & VOL_HIBERNATED)
		return xprintf("hibernated (hiberfil.sys begins %s: Windows "
		    "was hibernated or shut down with Fast Startup): ntmend "
		    "reads it, but commands that change it refuse (exit 3); "
		    "boot Windows and shut down fully (Shift + Shut down), or "
		    "discard the saved session with --remove-hiberfile",
		    hiber_sig != NULL && *hiber_sig != '\0' ? hiber_sig :
		    "a hibernation signature");
	if (state & VOL_LOGFILE_UNCLEAN)
		return xstrdup("not shut down cleanly ($LogFile holds "
		    "unfinished changes): commands that change it refuse "
		    "(exit 3); boot Windows and shut down fully, or run "
		    "chkdsk /f");
	if (state & VOL_DIRTY)
		return xstrdup("marked dirty (chkdsk is due): commands that "
		    "change it refuse (exit 3) until chkdsk /f has run");
	return NULL;
}

/*
 * Progress: a line on a terminal a few times a second, or, when the menu
 * runs the command (NTMEND_PROGRESS_FD names a pipe), one machine line a
 * tenth of a second: "PHASE\tFILES\tNFILES\tBYTES\tNBYTES\n".
 */
void
out_progress_init(struct out_progress *pr, const struct cmd_ctx *ctx)
{
	const char	*fd = getenv("NTMEND_PROGRESS_FD");

	memset(pr, 0, sizeof *pr);
	pr->fd = -1;
	if (fd != NULL && *fd != '\0')
		pr->fd = atoi(fd);
	pr->on = pr->fd >= 0 || (!ctx->json && isatty(STDERR_FILENO));
}

void
out_progress_cb(const struct golden_progress *p, void *arg)
{
	struct out_progress	*pr = arg;
	struct timespec		 now;
	char			*done, *total;

	if (!pr->on)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - pr->last.tv_sec) * 1000 + (now.tv_nsec -
	    pr->last.tv_nsec) / 1000000 < (pr->fd >= 0 ? 100 : 200))
		return;
	pr->last = now;
	if (pr->fd >= 0) {
		dprintf(pr->fd, "%s\t%zu\t%zu\t%llu\t%llu\n", p->phase,
		    p->files, p->nfiles, (unsigned long long)p->bytes,
		    (unsigned long long)p->nbytes);
		return;
	}
	done = out_size(p->bytes);
	total = p->nbytes != 0 ? out_size(p->nbytes) : xstrdup("?");
	if (p->nfiles != 0)
		fprintf(stderr, "\r%s: %zu/%zu files, %s of %s   ", p->phase,
		    p->files, p->nfiles, done, total);
	else
		fprintf(stderr, "\r%s: %zu files, %s   ", p->phase, p->files,
		    done);
	free(done);
	free(total);
	pr->shown = 1;
}

void
out_progress_end(struct out_progress *pr)
{
	if (pr->shown)
		fprintf(stderr, "\r%60s\r", "");
	pr->shown = 0;
}
