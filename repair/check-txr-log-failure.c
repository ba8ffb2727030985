/*
 * check-txr-log-failure.c: the registry's transaction logs
 * (Windows\System32\config\TxR: CLFS base logs .blf and their
 * .regtrans-ms containers) are damaged or cannot grow. CBS writes the
 * registry part of every update through them; when they fail, the install
 * stops with 0x80071ab1 ERROR_LOG_GROWTH_FAILED or 0x800719e4
 * ERROR_LOG_FULL (CASE.md's first sub-case).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "packages/packages.h"
#include "repair/repair.h"
#include "util/util.h"

#define TXR_DIR		"Windows\\System32\\config\\TxR"
#define TXR_MAX_FILES	256	/* a healthy TxR holds 7 files; the
				   rest are not looked at */

/*
 * A CLFS base log (.blf) begins with its control block and the block's
 * shadow copy, 1 KiB each, both starting with a log block header whose
 * first byte is the major version 0x15 (Windows Vista to 11; Ionescu,
 * "CLFS Internals"). A file whose header is gone, or cut off the 512-byte
 * sectors CLFS always writes, cannot be opened by the registry's
 * resource manager. Containers (.regtrans-ms) are preallocated in whole
 * sectors; an empty or odd-sized one is a failed growth.
 */
#define BLF_VERSION		0x15
#define BLF_SHADOW_OFF		0x400
#define BLF_MIN			0x800

struct txr_scan {
	struct vol	*vol;
	char		**damaged;	/* "name: why" */
	size_t		  ndamaged;
	size_t		  nfiles;
};

static void
txr_damaged(struct txr_scan *ts, const char *name, const char *fmt, ...)
    NTM_PRINTF(3, 4);

static void
txr_damaged(struct txr_scan *ts, const char *name, const char *fmt, ...)
{
	va_list	 ap;
	char	*why;

	va_start(ap, fmt);
	xvasprintf(&why, fmt, ap);
	va_end(ap);
	ts->damaged = xreallocarray(ts->damaged, ts->ndamaged + 1,
	    sizeof *ts->damaged);
	ts->damaged[ts->ndamaged++] = xprintf(TXR_DIR "\\%s: %s", name, why);
	free(why);
}

static int
txr_ends(const char *name, const char *ext)
{
	size_t	n = strlen(name), e = strlen(ext);

	return n > e && strcasecmp(name + n - e, ext) == 0;
}

static int
txr_cb(const struct vol_dirent *de, void *arg)
{
	struct txr_scan	*ts = arg;
	struct vol_stat	 st;
	struct vol_file	*f;
	uint8_t		 head[BLF_MIN];
	char		*path;
	ssize_t		 n;

	if (de->is_dir)
		return 0;
	if (++ts->nfiles > TXR_MAX_FILES)
		return 1;
	path = xprintf(TXR_DIR "\\%s", de->name);
	if (vol_stat(ts->vol, path, &st, NULL) != 0) {
		free(path);
		return 0;
	}
	if (txr_ends(de->name, ".regtrans-ms")) {
		if (st.size == 0 || st.size % 512 != 0)
			txr_damaged(ts, de->name, "container of %llu bytes, "
			    "not whole 512-byte sectors",
			    (unsigned long long)st.size);
	} else if (txr_ends(de->name, ".blf")) {
		if (st.size < BLF_MIN || st.size % 512 != 0)
			txr_damaged(ts, de->name, "base log of %llu bytes: "
			    "cut short", (unsigned long long)st.size);
		else if ((f = vol_file_open(ts->vol, path, VOL_O_RDONLY,
		    NULL)) != NULL) {
			n = vol_file_pread(f, head, sizeof head, 0);
			if (n == (ssize_t)sizeof head &&
			    (head[0] != BLF_VERSION ||
			    head[BLF_SHADOW_OFF] != BLF_VERSION))
				txr_damaged(ts, de->name, "base log's control "
				    "block %s", head[0] != BLF_VERSION &&
				    head[BLF_SHADOW_OFF] != BLF_VERSION ?
				    "and its shadow are gone" : "is damaged");
			vol_file_close(f, NULL);
		}
	}
	free(path);
	return 0;
}

/* Was the log line at time t (local, CBS) written before when? */
static int
txr_before(const char *t, time_t when, int32_t bias)
{
	time_t	u;

	if (when == 0)
		return 0;
	if ((u = logscan_time_utc(t, bias)) == (time_t)-1)
		return 1;	/* undated: cannot be shown to be newer */
	return u <= when;
}

static int
txr_run(struct diag *d, const struct check *c, char **cause)
{
	static const uint32_t		 codes[] = { 0x80071ab1, 0x800719e4 };
	const struct logscan		*s;
	const struct logscan_code	*code, *hits[2];
	struct txr_scan			 ts;
	struct finding			*f;
	time_t				 reset;
	int32_t				 bias;
	size_t				 i, j, nhits = 0;
	char				*ev;

	if ((s = logscan_shared(diag_vol(d), cause)) == NULL)
		return -1;
	memset(&ts, 0, sizeof ts);
	ts.vol = diag_vol(d);
	if (vol_exists(ts.vol, TXR_DIR))
		vol_list(ts.vol, TXR_DIR, txr_cb, &ts, NULL);

	/* Log lines from before a txr-reset tell of the logs it moved
	 * aside, not of the ones Windows made since. */
	reset = logscan_aside_time(ts.vol, TXR_DIR);
	if (logscan_time_bias(diag_hive(d, HIVE_SYSTEM, NULL), &bias) != 0)
		bias = LOGSCAN_BIAS_EARLIEST;
	for (i = 0; i < s->ncodes; i++) {
		code = &s->codes[i];
		for (j = 0; j < sizeof codes / sizeof codes[0]; j++) {
			if (code->hr == codes[j] && code->current > 0 &&
			    !txr_before(code->last.time, reset, bias))
				hits[nhits++] = code;
		}
	}
	if (nhits == 0 && ts.ndamaged == 0)
		return 0;

	/* Name the growth failure of the case first when it is there. */
	if (nhits == 2 && hits[1]->hr == 0x80071ab1) {
		code = hits[0];
		hits[0] = hits[1];
		hits[1] = code;
	}
	f = diag_finding(d, c, SEV_ERROR, "txr-reset", "the registry's "
	    "transaction logs (System32\\config\\TxR) %s: updates that write "
	    "the registry fail with 0x%08x %s; move them aside (Windows makes "
	    "new ones) and let chkdsk check the disk at the next boot (ntmend "
	    "fix chkdsk-schedule)", ts.ndamaged > 0 ? "are damaged" :
	    "could not grow", nhits > 0 ? hits[0]->hr : 0x80071ab1,
	    nhits > 0 && hits[0]->name != NULL ? hits[0]->name :
	    "ERROR_LOG_GROWTH_FAILED");
	for (i = 0; i < ts.ndamaged; i++) {
		finding_evidence(f, "%s", ts.damaged[i]);
		free(ts.damaged[i]);
	}
	free(ts.damaged);
	for (i = 0; i < nhits; i++) {
		ev = logscan_ref_evidence(s, &hits[i]->last);
		finding_evidence(f, "0x%08x %s: %llu line%s, the last %s",
		    hits[i]->hr, hits[i]->name != NULL ? hits[i]->name : "",
		    (unsigned long long)hits[i]->current,
		    hits[i]->current == 1 ? "" : "s", ev);
		free(ev);
	}
	if (s->last.id != NULL && s->last.outcome == LOGSCAN_FAILED)
		finding_evidence(f, "last servicing session %s%s%s: failed "
		    "with 0x%08x %s", s->last.id, s->last.package != NULL ?
		    ", " : "", s->last.package != NULL ? s->last.package : "",
		    s->last.hr, s->last.hr_name != NULL ? s->last.hr_name :
		    "");
	return 0;
}

const struct check check_txr_log_failure = {
	.id = "txr-log-failure",
	.title = "Registry transaction logs failing",
	.explanation = "CBS writes every update's registry changes through "
	    "the transaction logs in System32\\config\\TxR; when they are "
	    "damaged or full, installs stop with 0x80071ab1 "
	    "(ERROR_LOG_GROWTH_FAILED) or 0x800719e4 (ERROR_LOG_FULL), which "
	    "in Windows takes 'fsutil resource setautoreset true C:\\' and "
	    "chkdsk /r.",
	.run = txr_run
};
