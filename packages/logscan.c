/*
 * logscan.c: the servicing logs, read offline.
 *
 * CBS.log (and the CbsPersist_<time>.log / .cab files Windows rotates it
 * into), dism.log and Windows Update's ReportingEvents.log are streamed in
 * chunks through the volume layer: a real CBS.log runs to 50 MB and more,
 * and memory must stay flat whatever its size. Lines are split as they
 * arrive (CRLF or LF, UTF-8 with or without BOM, UTF-16LE with BOM), cut
 * at NTM_MAX_LOG_LINE, and each is looked at once. Nothing here fails on
 * what a line says: a line that is not understood is counted, never an
 * error.
 *
 * The CBS.log line layout (Windows Vista to 11):
 *   2024-01-10 03:05:24, Error                 CBS    Failed to ... \
 *       [HRESULT = 0x800f081f - CBS_E_SOURCE_MISSING]
 * the local time, the level padded to 22 columns, the component (CBS,
 * CSI, DISM, DPX, ...) padded to 7, then the text. CSI lines begin with a
 * sequence number ("0000013a (F) ..."). A CheckSUR summary (DISM
 * /ScanHealth, /RestoreHealth) is lines without a date: "(p)\tCSI Payload
 * Corrupt\t(n)\t\t<component>\\<file>", "(Fixed)" where it was repaired.
 * dism.log uses the same layout with "PID=... TID=..." in the text, and
 * dism.exe prints "HRESULT=800F081F" without 0x. ReportingEvents.log is
 * UTF-16LE, one tab-separated record a line: {id}, time, ?, "event
 * [NAME]", category, {update}, ?, error code in hex without 0x, client,
 * Success|Failure, phase, message.
 */

#include <sys/types.h>

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

/* HRESULTs servicing logs carry, with the names Windows' headers give
 * them (winerror.h, the CBS_E_ / PSFX_E_ codes of CBS.log itself,
 * wuerror.h). A code not here keeps the name the log line gives. */
static const struct {
	uint32_t	 hr;
	const char	*name;
} logscan_names[] = {
	{ 0x80004005, "E_FAIL" },
	{ 0x80070002, "ERROR_FILE_NOT_FOUND" },
	{ 0x80070003, "ERROR_PATH_NOT_FOUND" },
	{ 0x80070005, "E_ACCESSDENIED" },
	{ 0x8007000d, "ERROR_INVALID_DATA" },
	{ 0x8007001f, "ERROR_GEN_FAILURE" },
	{ 0x80070020, "ERROR_SHARING_VIOLATION" },
	{ 0x80070070, "ERROR_DISK_FULL" },
	{ 0x800700c1, "ERROR_BAD_EXE_FORMAT" },
	{ 0x80070422, "ERROR_SERVICE_DISABLED" },
	{ 0x80070490, "ERROR_NOT_FOUND" },
	{ 0x80070570, "ERROR_FILE_CORRUPT" },
	{ 0x800705b4, "ERROR_TIMEOUT" },
	{ 0x800706be, "RPC_S_CALL_FAILED" },
	{ 0x80070bc9, "ERROR_FAIL_REBOOT_REQUIRED" },
	{ 0x800719e4, "ERROR_LOG_FULL" },
	{ 0x80071a91, "ERROR_RM_NOT_ACTIVE" },
	{ 0x80071ab1, "ERROR_LOG_GROWTH_FAILED" },
	{ 0x80073701, "ERROR_SXS_ASSEMBLY_MISSING" },
	{ 0x80073712, "ERROR_SXS_COMPONENT_STORE_CORRUPT" },
	{ 0x8007371b, "ERROR_SXS_TRANSACTION_CLOSURE_INCOMPLETE" },
	{ 0x800b0100, "TRUST_E_NOSIGNATURE" },
	{ 0x800b0109, "CERT_E_UNTRUSTEDROOT" },
	{ 0x800f0805, "CBS_E_INVALID_PACKAGE" },
	{ 0x800f0806, "CBS_E_PENDING" },
	{ 0x800f080d, "CBS_E_MANIFEST_INVALID_ITEM" },
	{ 0x800f081e, "CBS_E_NOT_APPLICABLE" },
	{ 0x800f081f, "CBS_E_SOURCE_MISSING" },
	{ 0x800f0823, "CBS_E_NEW_SERVICING_STACK_REQUIRED" },
	{ 0x800f0831, "CBS_E_STORE_CORRUPTION" },
	{ 0x800f0900, "CBS_E_XML_PARSER_FAILURE" },
	{ 0x800f0902, "CBS_E_BUSY" },
	{ 0x800f0920, "CBS_E_HANG_DETECTED" },
	{ 0x800f0922, "CBS_E_INSTALLERS_FAILED" },
	{ 0x800f0982, "PSFX_E_MATCHING_COMPONENT_NOT_FOUND" },
	{ 0x800f0984, "PSFX_E_MATCHING_BINARY_MISSING" },
	{ 0x800f0986, "PSFX_E_APPLY_FORWARD_DELTA_FAILED" },
	{ 0x800f0988, "PSFX_E_INVALID_DELTA_COMBINATION" },
	{ 0x80240008, "WU_E_ITEMNOTFOUND" },
	{ 0x80240022, "WU_E_ALL_UPDATES_FAILED" },
	{ 0x80240034, "WU_E_DOWNLOAD_FAILED" },
	{ 0x80240438, "WU_E_PT_ENDPOINT_UNREACHABLE" },
	{ 0x80240439, "WU_E_PT_INVALID_FORMAT" },
	{ 0x8024200d, "WU_E_UH_NEEDANOTHERDOWNLOAD" },
	{ 0x80246007, "WU_E_DM_NOTDOWNLOADED" },
	/* CSI's "[gle=0xd015001a]": HRESULT_FROM_NT(0xc015001a). */
	{ 0xd015001a, "STATUS_SXS_COMPONENT_STORE_CORRUPT" },
};

/* ERROR_SUCCESS_REBOOT_REQUIRED as an HRESULT: the severity bit is set,
 * but CBS and Windows Update mean "installed, restart". */
#define HR_SUCCESS_REBOOT	0x80070bc2u

/* The public key token of every Microsoft package: what makes a word of a
 * line a package identity ("name~31bf3856ad364e35~amd64~~10.0..."). */
#define MS_TOKEN		"~31bf3856ad364e35~"

/* One CBS session as its lines tell it. */
struct ls_sess {
	char			*id;
	char			*client;
	char			*package;
	char			 started[20];
	char			 ended[20];
	uint32_t		 hr;		/* Exec or finalize failure, 0 */
	char			*hr_name;
	uint32_t		 first_fail;	/* first failing line in it */
	int			 exec;		/* installed or removed something */
	int			 exec_done;	/* an Exec completed S_OK */
	int			 done;		/* finalized */
	enum logscan_outcome	 outcome;
	size_t			 log;
};

struct logscan_private {
	/* The log being fed. */
	struct logscan_log	*log;
	size_t			 logi;
	enum logscan_kind	 kind;
	int			 sniffed;	/* encoding decided */
	uint8_t			 head[4];	/* bytes held to see a BOM */
	size_t			 nhead;
	int			 utf16;
	int			 odd;		/* a UTF-16 byte waiting: */
	uint8_t			 oddbyte;
	uint16_t		 hisur;		/* a high surrogate waiting */
	char			*line;		/* a line split by a chunk */
	size_t			 len;
	int			 cut;
	char			 time[20];	/* of the last dated line */
	uint64_t		 seq;		/* lines fed, all logs */

	/* CBS sessions open (not finalized). */
	struct ls_sess		 open[NTM_MAX_LOG_SESSIONS];
	size_t			 nopen;
	char			*lastid;	/* id of the last session
						   started */
	char			*exec_id;	/* the session executing: CBS
						   runs one Exec at a time, so
						   lines between "Exec:
						   Processing started" and
						   "complete" are its own */
	uint64_t		 ok_seq;	/* line of the last success */

	/* DISM: the command being run. */
	char			*dism_cmd;
	char			 dism_time[20];
	uint32_t		 dism_hr;

	/* Occurrences since the last success: per code and name, by
	 * domain (0 CBS and DISM, 1 Windows Update). */
	uint64_t		(*code_since)[2];
	uint64_t		(*pkg_since)[2];
	uint64_t		(*file_since)[2];
	uint64_t		 wu_ok_seq;

	/* Events kept: a ring of the newest per kind. */
	struct logscan_event	 ring[LOGSCAN_EV_COUNT][NTM_MAX_LOG_EVENTS];
	size_t			 nring[LOGSCAN_EV_COUNT];
	size_t			 ringpos[LOGSCAN_EV_COUNT];
	uint64_t		 ev_seq[LOGSCAN_EV_COUNT][NTM_MAX_LOG_EVENTS];

	uint8_t			*chunk;		/* read buffer */
};

/* What one line says, while it is looked at. */
struct ls_line {
	const char	*time;		/* 19 bytes or NULL */
	const char	*level;
	size_t		 levellen;
	const char	*comp;
	size_t		 complen;
	const char	*text;
	size_t		 textlen;
};

const char *
logscan_hresult_name(uint32_t hr)
{
	size_t	i;

	for (i = 0; i < sizeof logscan_names / sizeof logscan_names[0]; i++) {
		if (logscan_names[i].hr == hr)
			return logscan_names[i].name;
	}
	return NULL;
}

const char *
logscan_event_kind_name(enum logscan_event_kind k)
{
	switch (k) {
	case LOGSCAN_EV_FAILURE:
		return "failure";
	case LOGSCAN_EV_STORE_CORRUPT:
		return "store-corrupt";
	case LOGSCAN_EV_SOURCE_MISSING:
		return "source-missing";
	case LOGSCAN_EV_SSU_REQUIRED:
		return "ssu-required";
	case LOGSCAN_EV_DOWNLOAD:
		return "download-failed";
	case LOGSCAN_EV_WU_FAILURE:
		return "wu-failure";
	case LOGSCAN_EV_COUNT:
		break;
	}
	return "unknown";
}

const char *
logscan_outcome_name(enum logscan_outcome o)
{
	switch (o) {
	case LOGSCAN_NONE:
		return "none";
	case LOGSCAN_SUCCEEDED:
		return "succeeded";
	case LOGSCAN_FAILED:
		return "failed";
	case LOGSCAN_UNFINISHED:
		return "unfinished";
	}
	return "unknown";
}

const char *
logscan_kind_name(enum logscan_kind k)
{
	switch (k) {
	case LOGSCAN_CBS:
		return "cbs";
	case LOGSCAN_DISM:
		return "dism";
	case LOGSCAN_WU:
		return "windows-update";
	}
	return "unknown";
}

int
logscan_hr_failed(uint32_t hr)
{
	return (hr & 0x80000000u) != 0 && hr != HR_SUCCESS_REBOOT;
}

/* Helpers on (pointer, length) text: lines may hold anything. */

static int
ls_prefix(const char *p, size_t len, const char *pfx)
{
	size_t	n = strlen(pfx);

	return len >= n && memcmp(p, pfx, n) == 0;
}

static const char *
ls_find(const char *p, size_t len, const char *needle)
{
	return memmem(p, len, needle, strlen(needle));
}

static int
ls_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly 8 hex digits at p (no ninth): *v. */
static int
ls_hex8(const char *p, const char *end, uint32_t *v)
{
	uint32_t	x = 0;
	int		i, d;

	if (end - p < 8)
		return 0;
	for (i = 0; i < 8; i++) {
		if ((d = ls_hex((unsigned char)p[i])) < 0)
			return 0;
		x = x << 4 | (uint32_t)d;
	}
	if (end - p > 8 && ls_hex((unsigned char)p[8]) >= 0)
		return 0;
	*v = x;
	return 1;
}

/* Does the text just before p end with one of the words that introduce an
 * HRESULT in these logs? A bare 0x8... elsewhere may be flags or an
 * address ("flags = 0x80000000"), so context is required. */
static int
ls_hr_context(const char *start, const char *p)
{
	static const char *const ctx[] = {
		"hresult = ", "hresult=", "hr:", "hr=", "hr = ", "gle=",
		"status: ", "status = ", "status ", "error ", "error: ",
		"error code ", "error = ", "result: ", "result = ",
		"failed with ", "returned ", "code: "
	};
	size_t	i, n, have = (size_t)(p - start);

	for (i = 0; i < sizeof ctx / sizeof ctx[0]; i++) {
		n = strlen(ctx[i]);
		if (have >= n && strncasecmp(p - n, ctx[i], n) == 0)
			return 1;
	}
	return 0;
}

/*
 * The first HRESULT a line states, failing or not: "[HRESULT = 0x800f081f
 * - CBS_E_SOURCE_MISSING]", "(hr:0x800f081f)", "[gle=0x80071ab1]",
 * "status: 0x80070570", "error 0x80240439", "Operation result:
 * 0x800f081f", and with bare set (dism.log) dism.exe's
 * "HRESULT=800F081F". *name and *namelen get the
 * name the line gives after " - ", if any.
 */
static int
ls_hresult(const char *p, size_t len, int bare, uint32_t *hr,
    const char **name, size_t *namelen)
{
	const char	*end = p + len, *q = p, *x, *n;
	uint32_t	 v;

	*name = NULL;
	*namelen = 0;
	/* memchr for the 'x' is what keeps a 50 MB CBS.log quick: most
	 * lines have none or a few. */
	while ((x = memchr(q, 'x', (size_t)(end - q))) != NULL) {
		q = x + 1;
		if (x == p || x[-1] != '0')
			continue;
		x--;
		if (!ls_hex8(x + 2, end, &v) || !ls_hr_context(p, x))
			continue;
		*hr = v;
		n = x + 10;
		if (end - n > 3 && memcmp(n, " - ", 3) == 0) {
			n += 3;
			*name = n;
			while (n < end && (isalnum((unsigned char)*n) ||
			    *n == '_'))
				n++;
			*namelen = (size_t)(n - *name);
			if (*namelen == 0)
				*name = NULL;
		}
		return 1;
	}
	if (bare && (x = ls_find(p, len, "HRESULT=")) != NULL &&
	    ls_hex8(x + 8, end, &v)) {
		*hr = v;
		return 1;
	}
	return 0;
}

/* Evidence text: printable, tabs and runs of blanks as one space, invalid
 * UTF-8 as '?', at most NTM_MAX_LOG_TEXT bytes. Caller frees. */
static char *
ls_clean(const char *p, size_t len)
{
	char		*out, *o;
	const uint8_t	*s = (const uint8_t *)p, *end = s + len;
	size_t		 k, need;
	int		 blank = 1;

	o = out = xmalloc(NTM_MAX_LOG_TEXT + 1);
	while (s < end && (size_t)(o - out) < NTM_MAX_LOG_TEXT - 4) {
		if (*s == '\t' || *s == ' ') {
			if (!blank)
				*o++ = ' ';
			blank = 1;
			s++;
			continue;
		}
		blank = 0;
		if (*s < 0x20 || *s == 0x7f) {
			*o++ = '?';
			s++;
			continue;
		}
		if (*s < 0x80) {
			*o++ = (char)*s++;
			continue;
		}
		need = *s >= 0xf0 && *s < 0xf5 ? 3 : *s >= 0xe0 && *s < 0xf0 ?
		    2 : *s >= 0xc2 && *s < 0xe0 ? 1 : 0;
		for (k = 1; need != 0 && k <= need; k++) {
			if (s + k >= end || (s[k] & 0xc0) != 0x80)
				need = 0;
		}
		if (need == 0) {
			*o++ = '?';
			s++;
			continue;
		}
		memcpy(o, s, need + 1);
		o += need + 1;
		s += need + 1;
	}
	while (o > out && o[-1] == ' ')
		o--;
	*o = '\0';
	return out;
}

/* Characters of a package identity or a file path in a log line. */
static int
ls_namechar(int c, int path)
{
	if (isalnum(c) || c == '_' || c == '.' || c == '-' || c == '~')
		return 1;
	return path && (c == '\\' || c == ':' || c == '?' || c == '$' ||
	    c == '{' || c == '}' || c == '@' || c == '+' || c >= 0x80);
}

/* The first package identity the line names (Microsoft's token inside a
 * word); caller frees; NULL if none. */
static char *
ls_package(const char *p, size_t len)
{
	const char	*t, *a, *b, *end = p + len;

	if ((t = ls_find(p, len, MS_TOKEN)) == NULL)
		return NULL;
	for (a = t; a > p && ls_namechar((unsigned char)a[-1], 0); a--)
		;
	for (b = t + strlen(MS_TOKEN); b < end &&
	    ls_namechar((unsigned char)*b, 0); b++)
		;
	while (b > t && b[-1] == '.')
		b--;
	if (a == t)
		return NULL;
	return ls_clean(a, (size_t)(b - a));
}

/* A path or file name starting at p (stops at a blank, '[' or quote). */
static char *
ls_word(const char *p, const char *end)
{
	const char	*b;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (b = p; b < end && ls_namechar((unsigned char)*b, 1); b++)
		;
	while (b > p && (b[-1] == '.' || b[-1] == ':'))
		b--;
	if (b == p)
		return NULL;
	return ls_clean(p, (size_t)(b - p));
}

/* CSI quotes names as [l:12]'dot3gpui.dll' (or [l:24{12}]"..."). */
static char *
ls_quoted_member(const char *p, size_t len)
{
	const char	*end = p + len, *q, *a, *b;

	if ((q = ls_find(p, len, "[l:")) == NULL)
		return NULL;
	if ((q = memchr(q, ']', (size_t)(end - q))) == NULL || q + 1 >= end)
		return NULL;
	q++;
	if (*q != '\'' && *q != '"')
		return NULL;
	a = q + 1;
	if ((b = memchr(a, *q, (size_t)(end - a))) == NULL || b == a)
		return NULL;
	return ls_clean(a, (size_t)(b - a));
}

/* A version after a marker: "v10.0.19041.3920" -> "10.0.19041.3920". */
static char *
ls_version_after(const char *p, size_t len, const char *marker)
{
	const char	*v, *b, *end = p + len;

	if ((v = ls_find(p, len, marker)) == NULL)
		return NULL;
	v += strlen(marker);
	for (b = v; b < end && (isdigit((unsigned char)*b) || *b == '.'); b++)
		;
	while (b > v && b[-1] == '.')
		b--;
	if (b == v)
		return NULL;
	return xstrndup(v, (size_t)(b - v));
}

/*
 * Does the line being read count as current, i.e. after the last success
 * of its domain? CBS logs are read oldest first, so a later success resets
 * the counters (ls_success); dism.log is read after them and is judged by
 * its time against CBS's last success (both logs use the local clock).
 */
static int
ls_is_current(struct logscan *s)
{
	struct logscan_private	*ps = s->priv;

	if (ps->kind != LOGSCAN_DISM || s->last_ok[0] == '\0')
		return 1;
	return strcmp(ps->time, s->last_ok) > 0;
}

/* Counters per name (packages, files), case-insensitive as Windows names
 * are. Returns the index or -1 once NTM_MAX_LOG_NAMES are kept. */
static ssize_t
ls_name_add(struct logscan *s, struct logscan_name **v, size_t *n,
    uint64_t (**since)[2], const char *name, uint32_t hr, int domain)
{
	size_t	i;

	for (i = 0; i < *n; i++) {
		if (strcasecmp((*v)[i].name, name) == 0)
			break;
	}
	if (i == *n) {
		if (*n >= NTM_MAX_LOG_NAMES) {
			s->names_dropped++;
			return -1;
		}
		*v = xreallocarray(*v, *n + 1, sizeof **v);
		*since = xreallocarray(*since, *n + 1, sizeof **since);
		memset(&(*v)[i], 0, sizeof **v);
		memset(&(*since)[i], 0, sizeof **since);
		(*v)[i].name = xstrdup(name);
		(*n)++;
	}
	(*v)[i].count++;
	if (ls_is_current(s))
		(*since)[i][domain]++;
	if (hr != 0)
		(*v)[i].hr = hr;
	return (ssize_t)i;
}

static void
ls_ref_set(struct logscan_ref *r, struct logscan_private *ps,
    const struct ls_line *l)
{
	free(r->text);
	r->log = ps->logi;
	r->line = ps->log->lines;
	memcpy(r->time, ps->time, sizeof r->time);
	r->text = ls_clean(l->text, l->textlen);
}

static void
ls_code_add(struct logscan *s, const struct ls_line *l, uint32_t hr,
    const char *name, size_t namelen, int domain)
{
	struct logscan_private	*ps = s->priv;
	struct logscan_code	*c;
	const char		*known;
	size_t			 i;

	for (i = 0; i < s->ncodes; i++) {
		if (s->codes[i].hr == hr)
			break;
	}
	if (i == s->ncodes) {
		if (s->ncodes >= NTM_MAX_LOG_CODES) {
			s->codes_dropped++;
			return;
		}
		s->codes = xreallocarray(s->codes, s->ncodes + 1,
		    sizeof *s->codes);
		ps->code_since = xreallocarray(ps->code_since, s->ncodes + 1,
		    sizeof *ps->code_since);
		c = &s->codes[s->ncodes];
		memset(c, 0, sizeof *c);
		memset(&ps->code_since[s->ncodes], 0,
		    sizeof *ps->code_since);
		c->hr = hr;
		s->ncodes++;
		ls_ref_set(&c->first, ps, l);
	}
	c = &s->codes[i];
	if (c->name == NULL) {
		if ((known = logscan_hresult_name(hr)) != NULL)
			c->name = xstrdup(known);
		else if (name != NULL && namelen < 80)
			c->name = xstrndup(name, namelen);
	}
	c->count++;
	if (ls_is_current(s))
		ps->code_since[i][domain]++;
	ls_ref_set(&c->last, ps, l);
}

/* The CBS session a line belongs to: the one it names, else the one
 * executing, else the last one started; caller frees; NULL if none. */
static char *
ls_session_of(struct logscan_private *ps, const struct ls_line *l)
{
	const char	*a, *b, *end = l->text + l->textlen;

	if ((a = ls_find(l->text, l->textlen, "Session(Id): ")) != NULL) {
		a += 13;
		for (b = a; b < end && (isalnum((unsigned char)*b) ||
		    *b == '_'); b++)
			;
		if (b > a)
			return xstrndup(a, (size_t)(b - a));
	}
	if (ps->exec_id != NULL)
		return xstrdup(ps->exec_id);
	if (ps->lastid != NULL)
		return xstrdup(ps->lastid);
	return NULL;
}

static void
ls_event_clear(struct logscan_event *e)
{
	free(e->session);
	free(e->package);
	free(e->file);
	free(e->need);
	free(e->have);
	free(e->text);
	memset(e, 0, sizeof *e);
}

/* Keep an event (the newest NTM_MAX_LOG_EVENTS of each kind) and count
 * it; takes package, file, need and have. */
static void
ls_event(struct logscan *s, const struct ls_line *l,
    enum logscan_event_kind kind, uint32_t hr, char *package, char *file,
    char *need, char *have)
{
	struct logscan_private	*ps = s->priv;
	struct logscan_event	*e;
	size_t			 slot;
	int			 domain = kind == LOGSCAN_EV_WU_FAILURE;

	s->counts[kind]++;
	slot = ps->ringpos[kind];
	ps->ringpos[kind] = (slot + 1) % NTM_MAX_LOG_EVENTS;
	if (ps->nring[kind] < NTM_MAX_LOG_EVENTS)
		ps->nring[kind]++;
	e = &ps->ring[kind][slot];
	ls_event_clear(e);
	e->kind = kind;
	e->hr = hr;
	e->log = ps->logi;
	e->line = ps->log->lines;
	memcpy(e->time, ps->time, sizeof e->time);
	e->text = ls_clean(l->text, l->textlen);
	if (kind != LOGSCAN_EV_WU_FAILURE && ps->kind == LOGSCAN_CBS)
		e->session = ls_session_of(ps, l);
	e->package = package;
	e->file = file;
	e->need = need;
	e->have = have;
	ps->ev_seq[kind][slot] = ps->seq;
	if (package != NULL)
		ls_name_add(s, &s->packages, &s->npackages, &ps->pkg_since,
		    package, hr, domain);
	if (file != NULL)
		ls_name_add(s, &s->files, &s->nfiles, &ps->file_since, file,
		    hr, domain);
}

/* A success: what came before it in its domain is history. */
static void
ls_success(struct logscan *s, int domain)
{
	struct logscan_private	*ps = s->priv;
	size_t			 i;

	for (i = 0; i < s->ncodes; i++)
		ps->code_since[i][domain] = 0;
	for (i = 0; i < s->npackages; i++)
		ps->pkg_since[i][domain] = 0;
	for (i = 0; i < s->nfiles; i++)
		ps->file_since[i][domain] = 0;
	if (domain == 0) {
		ps->ok_seq = ps->seq;
		memcpy(s->last_ok, ps->time, sizeof s->last_ok);
	} else {
		ps->wu_ok_seq = ps->seq;
		memcpy(s->wu_last_ok, ps->time, sizeof s->wu_last_ok);
	}
}

/* Sessions. */

static void
ls_sess_free(struct ls_sess *x)
{
	free(x->id);
	free(x->client);
	free(x->package);
	free(x->hr_name);
	memset(x, 0, sizeof *x);
}

static void
ls_public_session(struct logscan *s, struct ls_sess *x)
{
	struct logscan_session	*p = &s->last;

	free(p->id);
	free(p->client);
	free(p->package);
	free(p->hr_name);
	p->id = xstrdup(x->id);
	p->client = x->client != NULL ? xstrdup(x->client) : NULL;
	p->package = x->package != NULL ? xstrdup(x->package) : NULL;
	p->hr_name = x->hr_name != NULL ? xstrdup(x->hr_name) : NULL;
	memcpy(p->started, x->started, sizeof p->started);
	memcpy(p->ended, x->ended, sizeof p->ended);
	p->hr = x->hr;
	p->outcome = x->outcome;
	p->log = x->log;
}

static void
ls_sess_fail(struct ls_sess *x, uint32_t hr, const char *name,
    size_t namelen)
{
	const char	*known;

	if (x->hr != 0)
		return;
	x->hr = hr;
	if ((known = logscan_hresult_name(hr)) != NULL)
		x->hr_name = xstrdup(known);
	else if (name != NULL && namelen < 80)
		x->hr_name = xstrndup(name, namelen);
}

/* A session leaves the open list: finalized, or never to be (a newer one
 * of the same id, the list full, the end of the logs). Only sessions that
 * installed or removed something, or failed, are "servicing sessions":
 * Windows Update opens many that only look. */
static void
ls_sess_close(struct logscan *s, size_t i, enum logscan_outcome how)
{
	struct logscan_private	*ps = s->priv;
	struct ls_sess		*x = &ps->open[i];

	/* Never finalized (the log ends, a newer session of the id): what
	 * its Exec said, else its first failing line, else unknown. */
	if (x->hr == 0 && how == LOGSCAN_UNFINISHED && !x->exec_done &&
	    x->first_fail != 0)
		ls_sess_fail(x, x->first_fail, NULL, 0);
	if (x->hr != 0)
		x->outcome = LOGSCAN_FAILED;
	else if (how == LOGSCAN_UNFINISHED && !x->exec_done)
		x->outcome = LOGSCAN_UNFINISHED;
	else
		x->outcome = LOGSCAN_SUCCEEDED;
	if (ps->exec_id != NULL && strcmp(ps->exec_id, x->id) == 0) {
		free(ps->exec_id);
		ps->exec_id = NULL;
	}
	if (x->outcome == LOGSCAN_FAILED)
		s->failed++;
	else if (x->outcome == LOGSCAN_UNFINISHED)
		s->unfinished++;
	else
		s->succeeded++;
	if ((x->exec || x->hr != 0) &&
	    (s->last.id == NULL || strcmp(s->last.started, x->started) <= 0))
		ls_public_session(s, x);
	ls_sess_free(x);
	ps->open[i] = ps->open[--ps->nopen];
	memset(&ps->open[ps->nopen], 0, sizeof ps->open[ps->nopen]);
}

static ssize_t
ls_sess_find(struct logscan_private *ps, const char *id, size_t len)
{
	size_t	i;

	for (i = 0; i < ps->nopen; i++) {
		if (strlen(ps->open[i].id) == len &&
		    memcmp(ps->open[i].id, id, len) == 0)
			return (ssize_t)i;
	}
	return -1;
}

static size_t
ls_sess_open(struct logscan *s, const char *id, size_t len)
{
	struct logscan_private	*ps = s->priv;
	struct ls_sess		*x;
	ssize_t			 i;

	if ((i = ls_sess_find(ps, id, len)) >= 0)
		ls_sess_close(s, (size_t)i, LOGSCAN_UNFINISHED);
	if (ps->nopen == NTM_MAX_LOG_SESSIONS)
		ls_sess_close(s, 0, LOGSCAN_UNFINISHED);
	x = &ps->open[ps->nopen++];
	x->id = ls_clean(id, len);
	memcpy(x->started, ps->time, sizeof x->started);
	x->log = ps->logi;
	s->sessions++;
	free(ps->lastid);
	ps->lastid = xstrdup(x->id);
	return ps->nopen - 1;
}

/* The session a line names after marker ("Session(Id): 3108..."), opened
 * if the log began after its start (rotated). -1 if none is named. */
static ssize_t
ls_sess_named(struct logscan *s, const char *p, size_t len,
    const char *marker)
{
	const char	*a, *b, *end = p + len;
	ssize_t		 i;

	if ((a = ls_find(p, len, marker)) == NULL)
		return -1;
	a += strlen(marker);
	while (a < end && *a == ' ')
		a++;
	for (b = a; b < end && (isalnum((unsigned char)*b) || *b == '_'); b++)
		;
	if (b == a)
		return -1;
	if ((i = ls_sess_find(s->priv, a, (size_t)(b - a))) < 0)
		i = (ssize_t)ls_sess_open(s, a, (size_t)(b - a));
	return i;
}


/* CBS lines about sessions: "Session: <id> initialized by client <c>",
 * "Exec: Processing started.  Client: ..., Session(Id): <id>, Package:
 * <p>", "Exec: Processing complete.  Session(Id): <id>, Package: <p>
 * [HRESULT = ...]" (Windows 10 also writes "Exec: Processing complete,
 * session(Corelation): <id>, Session(Id): <id>, ..."), "Session: <id>
 * finalized. Reboot required: no [HRESULT = ...]". */
static void
ls_cbs_session(struct logscan *s, const struct ls_line *l)
{
	struct logscan_private	*ps = s->priv;
	const char		*t = l->text, *end = t + l->textlen, *a, *b;
	const char		*name;
	size_t			 namelen;
	ssize_t			 i;
	uint32_t		 hr;
	struct ls_sess		*x;

	if (ls_prefix(t, l->textlen, "Session: ")) {
		a = t + 9;
		for (b = a; b < end && (isalnum((unsigned char)*b) ||
		    *b == '_'); b++)
			;
		if (b == a)
			return;
		if (ls_find(b, (size_t)(end - b), " initialized by client ")
		    != NULL) {
			i = (ssize_t)ls_sess_open(s, a, (size_t)(b - a));
			x = &ps->open[i];
			a = ls_find(b, (size_t)(end - b), "client ") + 7;
			for (b = a; b < end && *b != ',' && *b != ' '; b++)
				;
			if (b > a)
				x->client = ls_clean(a, (size_t)(b - a));
			return;
		}
		if (ls_find(b, (size_t)(end - b), " finalized") == NULL)
			return;
		if ((i = ls_sess_find(ps, a, (size_t)(b - a))) < 0)
			return;
		x = &ps->open[i];
		memcpy(x->ended, ps->time, sizeof x->ended);
		if (ls_hresult(t, l->textlen, 0, &hr, &name, &namelen) &&
		    logscan_hr_failed(hr))
			ls_sess_fail(x, hr, name, namelen);
		ls_sess_close(s, (size_t)i, LOGSCAN_SUCCEEDED);
		return;
	}
	if (!ls_prefix(t, l->textlen, "Exec: Processing "))
		return;
	if ((i = ls_sess_named(s, t, l->textlen, "Session(Id):")) < 0 &&
	    (i = ls_sess_named(s, t, l->textlen, "session(Corelation):")) < 0)
		return;
	x = &ps->open[i];
	x->exec = 1;
	if (ls_prefix(t, l->textlen, "Exec: Processing started")) {
		free(ps->exec_id);
		ps->exec_id = xstrdup(x->id);
	}
	if (x->package == NULL && (a = ls_find(t, l->textlen, "Package: ")) !=
	    NULL)
		x->package = ls_word(a + 9, end);
	if (!ls_prefix(t, l->textlen, "Exec: Processing complete"))
		return;
	if (ps->exec_id != NULL && strcmp(ps->exec_id, x->id) == 0) {
		free(ps->exec_id);
		ps->exec_id = NULL;
	}
	memcpy(x->ended, ps->time, sizeof x->ended);
	if (!ls_hresult(t, l->textlen, 0, &hr, &name, &namelen))
		return;
	if (logscan_hr_failed(hr))
		ls_sess_fail(x, hr, name, namelen);
	else if (x->hr == 0) {
		x->exec_done = 1;
		ls_success(s, 0);
	}
}

/* dism.log: the command of each dism.exe run and how it ended. */
static void
ls_dism_line(struct logscan *s, const struct ls_line *l, int failed,
    uint32_t hr)
{
	struct logscan_private	*ps = s->priv;
	const char		*a;

	if (ls_find(l->text, l->textlen, "<----- Starting Dism.exe session")
	    != NULL) {
		free(ps->dism_cmd);
		ps->dism_cmd = NULL;
		ps->dism_hr = 0;
		memcpy(ps->dism_time, ps->time, sizeof ps->dism_time);
		return;
	}
	if ((a = ls_find(l->text, l->textlen, "Executing command line: ")) !=
	    NULL) {
		free(ps->dism_cmd);
		a += 24;
		ps->dism_cmd = ls_clean(a, l->textlen - (size_t)(a - l->text));
		return;
	}
	if (failed && ps->dism_hr == 0)
		ps->dism_hr = hr;
	if (ls_find(l->text, l->textlen, "<----- Ending Dism.exe session") !=
	    NULL && ps->dism_cmd != NULL) {
		free(s->dism.command);
		s->dism.command = ps->dism_cmd;
		ps->dism_cmd = NULL;
		memcpy(s->dism.time, ps->dism_time, sizeof s->dism.time);
		s->dism.hr = ps->dism_hr;
		s->dism.outcome = ps->dism_hr != 0 ? LOGSCAN_FAILED :
		    LOGSCAN_SUCCEEDED;
	}
}

/* A CheckSUR line: "(p)\t<what>\t(n|w)\t[(Fixed)]\t<item>". */
static void
ls_checksur(struct logscan *s, const struct ls_line *l)
{
	const char	*t = l->text, *end = t + l->textlen, *item;
	char		*pkg = NULL, *file = NULL;
	int		 missing;

	if (ls_find(t, l->textlen, "(Fixed)") != NULL)
		return;
	if (ls_find(t, l->textlen, "Corrupt") == NULL &&
	    (ls_find(t, l->textlen, "Missing")) == NULL)
		return;
	missing = ls_find(t, l->textlen, "Missing") != NULL;
	/* The item is the last word. */
	for (item = end; item > t && item[-1] != '\t' && item[-1] != ' ';
	    item--)
		;
	if (item < end) {
		if (ls_find(item, (size_t)(end - item), MS_TOKEN) != NULL)
			pkg = ls_package(item, (size_t)(end - item));
		else
			file = ls_word(item, end);
	}
	ls_event(s, l, missing && ls_find(t, l->textlen, "Payload") != NULL ?
	    LOGSCAN_EV_SOURCE_MISSING : LOGSCAN_EV_STORE_CORRUPT, 0, pkg, file,
	    NULL, NULL);
}

/* Skip CSI's sequence number ("0000013a ", "00000001@2021/5/11:..."). */
static const char *
ls_csi_body(const char *t, size_t len)
{
	size_t	i;

	for (i = 0; i < 8 && i < len; i++) {
		if (ls_hex((unsigned char)t[i]) < 0)
			return t;
	}
	if (i == 8 && len > 9 && t[8] == ' ')
		return t + 9;
	return t;
}

/* A failing line inside a session: what it failed with if it never
 * says how it ended. */
static void
ls_sess_note_fail(struct logscan *s, uint32_t hr)
{
	struct logscan_private	*ps = s->priv;
	const char		*id = ps->exec_id != NULL ? ps->exec_id :
				    ps->lastid;
	ssize_t			 i;

	if (ps->kind != LOGSCAN_CBS || id == NULL ||
	    (i = ls_sess_find(ps, id, strlen(id))) < 0)
		return;
	if (ps->open[i].first_fail == 0)
		ps->open[i].first_fail = hr;
}

static void
ls_cbs_line(struct logscan *s, const struct ls_line *l)
{
	const char	*t = l->text, *end = t + l->textlen, *b, *name;
	size_t		 len = l->textlen, blen, namelen;
	uint32_t	 hr = 0;
	int		 has_hr, failed, dism = s->priv->kind == LOGSCAN_DISM;
	char		*pkg, *file;

	has_hr = ls_hresult(t, len, dism, &hr, &name, &namelen);
	failed = has_hr && logscan_hr_failed(hr);

	if (!dism && l->complen == 3 && memcmp(l->comp, "CBS", 3) == 0 &&
	    (ls_prefix(t, len, "Session: ") || ls_prefix(t, len, "Exec: ")))
		ls_cbs_session(s, l);
	if (dism)
		ls_dism_line(s, l, failed, hr);
	if (failed) {
		ls_code_add(s, l, hr, name, namelen, 0);
		ls_sess_note_fail(s, hr);
	}

	/* What a line is about, most specific first. */
	b = ls_csi_body(t, len);
	blen = (size_t)(end - b);
	if (ls_prefix(t, len, "(p)")) {
		ls_checksur(s, l);
		return;
	}
	if (ls_prefix(b, blen, "Hashes for file member") ||
	    ls_prefix(b, blen, "[SR] Cannot repair member file")) {
		ls_event(s, l, LOGSCAN_EV_STORE_CORRUPT, failed ? hr : 0,
		    ls_package(t, len), ls_quoted_member(t, len), NULL, NULL);
		return;
	}
	if (ls_prefix(b, blen, "(F) STATUS_SXS_COMPONENT_STORE_CORRUPT") ||
	    ls_prefix(b, blen, "(F) STATUS_SXS_CORRUPTION")) {
		ls_event(s, l, LOGSCAN_EV_STORE_CORRUPT, failed ? hr : 0,
		    ls_package(t, len), NULL, NULL, NULL);
		return;
	}
	if (ls_prefix(t, len, "Repair failed: Missing replacement payload")) {
		ls_event(s, l, LOGSCAN_EV_SOURCE_MISSING, 0, NULL, NULL, NULL,
		    NULL);
		return;
	}
	if (failed && hr == 0x800f0823 &&
	    ls_find(t, len, "requires Servicing Stack v") != NULL) {
		ls_event(s, l, LOGSCAN_EV_SSU_REQUIRED, hr, ls_package(t, len),
		    NULL, ls_version_after(t, len, "requires Servicing Stack v"),
		    ls_version_after(t, len, "current Servicing Stack is v"));
		return;
	}
	if (ls_prefix(t, len, "Failed to extract package from cabinet")) {
		b = memchr(t, ':', len);
		ls_event(s, l, LOGSCAN_EV_DOWNLOAD, failed ? hr : 0, NULL,
		    b != NULL ? ls_word(b + 1, end) : NULL, NULL, NULL);
		return;
	}
	if (ls_prefix(t, len, "WER: Generating failure report") &&
	    ls_find(t, len, "failure source: Download") != NULL) {
		ls_event(s, l, LOGSCAN_EV_DOWNLOAD, failed ? hr : 0,
		    ls_package(t, len), NULL, NULL, NULL);
		return;
	}
	if (!failed)
		return;
	file = NULL;
	if (ls_prefix(t, len, "Failed to find file: "))
		file = ls_word(t + 21, end);
	pkg = ls_package(t, len);
	ls_event(s, l, hr == 0x800f081f && file != NULL ?
	    LOGSCAN_EV_SOURCE_MISSING : LOGSCAN_EV_FAILURE, hr, pkg, file,
	    NULL, NULL);
}

/* ReportingEvents.log: one tab-separated record. */
static void
ls_wu_line(struct logscan *s, const char *p, size_t len)
{
	struct logscan_private	*ps = s->priv;
	const char		*f[12], *end = p + len, *q;
	size_t			 fl[12], n = 0;
	struct ls_line		 l;
	uint32_t		 hr = 0;
	char			*kb = NULL;

	for (q = p; n < 12; n++) {
		f[n] = q;
		if (n == 11 || (q = memchr(q, '\t', (size_t)(end - q))) == NULL) {
			fl[n] = (size_t)(end - f[n]);
			n++;
			break;
		}
		fl[n] = (size_t)(q - f[n]);
		q++;
	}
	if (n < 11 || fl[1] < 19)
		return;
	memcpy(ps->time, f[1], 19);
	ps->time[19] = '\0';
	if (ps->log->first[0] == '\0')
		memcpy(ps->log->first, ps->time, sizeof ps->time);
	memcpy(ps->log->last, ps->time, sizeof ps->time);
	memset(&l, 0, sizeof l);
	l.time = f[1];
	l.text = n > 11 ? f[11] : f[10];
	l.textlen = n > 11 ? fl[11] : fl[10];
	if (fl[9] == 7 && memcmp(f[9], "Success", 7) == 0) {
		if (fl[10] == 15 && memcmp(f[10], "Content Install", 15) == 0)
			ls_success(s, 1);
		return;
	}
	if (fl[9] != 7 || memcmp(f[9], "Failure", 7) != 0)
		return;
	if (!ls_hex8(f[7], f[7] + fl[7], &hr) || fl[7] != 8 ||
	    !logscan_hr_failed(hr)) {
		const char	*name;
		size_t		 namelen;

		if (!ls_hresult(l.text, l.textlen, 0, &hr, &name, &namelen))
			hr = 0;
	}
	if (hr != 0 && logscan_hr_failed(hr))
		ls_code_add(s, &l, hr, NULL, 0, 1);
	else
		hr = 0;
	if ((q = ls_find(l.text, l.textlen, "(KB")) != NULL)
		kb = ls_word(q + 1, end);
	if (kb != NULL && kb[strlen(kb) - 1] == ')')
		kb[strlen(kb) - 1] = '\0';
	ls_event(s, &l, LOGSCAN_EV_WU_FAILURE, hr, kb, NULL, NULL, NULL);
}

/* Split "2024-01-10 03:05:24, Info                  CBS    text". */
static int
ls_split(const char *p, size_t len, struct ls_line *l)
{
	static const char	 shape[] = "dddd-dd-dd dd:dd:dd,";
	const char		*q, *end = p + len;
	size_t			 i;

	memset(l, 0, sizeof *l);
	l->text = p;
	l->textlen = len;
	if (len < 21)
		return 0;
	for (i = 0; i < 20; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)p[i]) :
		    p[i] != shape[i])
			return 0;
	}
	l->time = p;
	q = p + 20;
	while (q < end && *q == ' ')
		q++;
	l->level = q;
	while (q < end && *q != ' ' && *q != '\t')
		q++;
	l->levellen = (size_t)(q - l->level);
	while (q < end && *q == ' ')
		q++;
	l->comp = q;
	while (q < end && *q != ' ' && *q != '\t')
		q++;
	l->complen = (size_t)(q - l->comp);
	while (q < end && *q == ' ')
		q++;
	l->text = q;
	l->textlen = (size_t)(end - q);
	return 1;
}

/*
 * Is there a control byte other than a tab? Eight bytes at a time (the
 * "has a byte less than n" test of Anderson's bit hacks), as every line
 * of a 50 MB log passes here; a word that may hold one is looked at byte
 * by byte, so tabs (CheckSUR, ReportingEvents) cost only that.
 */
static int
ls_has_control(const char *p, size_t len)
{
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 highs = 0x8080808080808080ULL;
	uint64_t	 w;
	size_t		 i = 0, k;

	for (; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		if (((w - ones * 0x20) & ~w & highs) == 0)
			continue;
		for (k = 0; k < 8; k++) {
			if ((unsigned char)p[i + k] < 0x20 && p[i + k] != '\t')
				return 1;
		}
	}
	for (; i < len; i++) {
		if ((unsigned char)p[i] < 0x20 && p[i] != '\t')
			return 1;
	}
	return 0;
}

/* One whole line (without its LF). */
static void
ls_line(struct logscan *s, const char *p, size_t len, int cut)
{
	struct logscan_private	*ps = s->priv;
	struct logscan_log	*lg = ps->log;
	struct ls_line		 l;

	ps->seq++;
	lg->lines++;
	if (len > 0 && p[len - 1] == '\r') {
		len--;
		lg->crlf = 1;
	}
	if (cut)
		lg->cut++;
	/* NUL runs (a power loss leaves zeroed clusters at the end of a log
	 * being written) and binary junk: counted, not parsed. */
	if (ls_has_control(p, len)) {
		lg->unreadable++;
		return;
	}
	if (len == 0)
		return;
	if (ps->kind == LOGSCAN_WU) {
		ls_wu_line(s, p, len);
		return;
	}
	if (ls_split(p, len, &l)) {
		memcpy(ps->time, l.time, 19);
		ps->time[19] = '\0';
		if (lg->first[0] == '\0')
			memcpy(lg->first, ps->time, sizeof ps->time);
		memcpy(lg->last, ps->time, sizeof ps->time);
	} else {
		/* A line without a date continues the one before (CheckSUR
		 * summaries, wrapped messages): it has that line's time. */
		while (l.textlen > 0 && (*l.text == ' ' || *l.text == '\t')) {
			l.text++;
			l.textlen--;
		}
	}
	ls_cbs_line(s, &l);
}

/* Append to the line being assembled, up to NTM_MAX_LOG_LINE. */
static void
ls_append(struct logscan_private *ps, const void *p, size_t n)
{
	size_t	room = NTM_MAX_LOG_LINE - ps->len;

	if (n > room) {
		n = room;
		ps->cut = 1;
	}
	memcpy(ps->line + ps->len, p, n);
	ps->len += n;
}

static void
ls_flush(struct logscan *s)
{
	struct logscan_private	*ps = s->priv;

	ls_line(s, ps->line, ps->len, ps->cut);
	ps->len = 0;
	ps->cut = 0;
}

static void
ls_feed_utf8(struct logscan *s, const uint8_t *p, size_t len)
{
	struct logscan_private	*ps = s->priv;
	const uint8_t		*end = p + len, *nl;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			ls_append(ps, p, (size_t)(end - p));
			return;
		}
		if (ps->len == 0 && !ps->cut &&
		    (size_t)(nl - p) <= NTM_MAX_LOG_LINE)
			ls_line(s, (const char *)p, (size_t)(nl - p), 0);
		else {
			ls_append(ps, p, (size_t)(nl - p));
			ls_flush(s);
		}
		p = nl + 1;
	}
}

/* One UTF-16 code point to UTF-8 in the line. */
static void
ls_put_cp(struct logscan_private *ps, uint32_t cp)
{
	uint8_t	b[4];
	size_t	n;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		n = 4;
	}
	ls_append(ps, b, n);
}

/*
 * UTF-16LE, decoded as it streams: util's utf16le_to_utf8 wants a whole
 * buffer and stops at a NUL unit, while here a unit, a byte or a
 * surrogate pair may be split by a chunk and NUL units are junk to count.
 * Unpaired surrogates become U+FFFD, as utf16.c does.
 */
static void
ls_feed_utf16(struct logscan *s, const uint8_t *p, size_t len)
{
	struct logscan_private	*ps = s->priv;
	const uint8_t		*end = p + len;
	uint16_t		 u;

	while (p < end) {
		if (!ps->odd) {
			ps->oddbyte = *p++;
			ps->odd = 1;
			continue;
		}
		ps->odd = 0;
		u = (uint16_t)(ps->oddbyte | *p++ << 8);
		if (ps->hisur != 0) {
			if (u >= 0xdc00 && u <= 0xdfff) {
				ls_put_cp(ps, 0x10000 + ((uint32_t)(ps->hisur -
				    0xd800) << 10) + (u - 0xdc00));
				ps->hisur = 0;
				continue;
			}
			ls_put_cp(ps, 0xfffd);
			ps->hisur = 0;
		}
		if (u >= 0xd800 && u <= 0xdbff)
			ps->hisur = u;
		else if (u >= 0xdc00 && u <= 0xdfff)
			ls_put_cp(ps, 0xfffd);
		else if (u == '\n')
			ls_flush(s);
		else
			ls_put_cp(ps, u);
	}
}

struct logscan *
logscan_new(void)
{
	struct logscan	*s;

	s = xcalloc(1, sizeof *s);
	s->priv = xcalloc(1, sizeof *s->priv);
	s->priv->line = xmalloc(NTM_MAX_LOG_LINE);
	return s;
}

void
logscan_begin(struct logscan *s, const char *path, enum logscan_kind kind)
{
	struct logscan_private	*ps = s->priv;
	struct logscan_log	*lg;

	s->logs = xreallocarray(s->logs, s->nlogs + 1, sizeof *s->logs);
	lg = &s->logs[s->nlogs];
	memset(lg, 0, sizeof *lg);
	lg->path = xstrdup(path);
	lg->kind = kind;
	lg->encoding = "UTF-8";
	ps->logi = s->nlogs++;
	ps->log = lg;
	ps->kind = kind;
	ps->sniffed = 0;
	ps->nhead = 0;
	ps->utf16 = 0;
	ps->odd = 0;
	ps->hisur = 0;
	ps->len = 0;
	ps->cut = 0;
	ps->time[0] = '\0';
}

/* The encoding from the first four bytes (however they were fed): a BOM,
 * else UTF-16LE when the first two units are ASCII (text written as
 * UTF-16 without a BOM), else UTF-8. */
static void
ls_sniff(struct logscan *s)
{
	struct logscan_private	*ps = s->priv;
	uint8_t			 h[4];
	size_t			 n = ps->nhead, skip = 0;

	memcpy(h, ps->head, n);
	ps->sniffed = 1;
	if (n >= 3 && h[0] == 0xef && h[1] == 0xbb && h[2] == 0xbf) {
		ps->log->encoding = "UTF-8 with BOM";
		skip = 3;
	} else if (n >= 2 && h[0] == 0xff && h[1] == 0xfe) {
		ps->log->encoding = "UTF-16LE with BOM";
		ps->utf16 = 1;
		skip = 2;
	} else if (n == 4 && h[0] != 0 && h[1] == 0 && h[2] != 0 &&
	    h[3] == 0) {
		ps->log->encoding = "UTF-16LE";
		ps->utf16 = 1;
	}
	ps->nhead = 0;
	if (ps->utf16)
		ls_feed_utf16(s, h + skip, n - skip);
	else
		ls_feed_utf8(s, h + skip, n - skip);
}

void
logscan_feed(struct logscan *s, const void *buf, size_t len)
{
	struct logscan_private	*ps = s->priv;
	const uint8_t		*p = buf;
	size_t			 take;

	if (ps->log == NULL)
		return;
	ps->log->size += len;
	if (!ps->sniffed) {
		take = sizeof ps->head - ps->nhead;
		if (take > len)
			take = len;
		memcpy(ps->head + ps->nhead, p, take);
		ps->nhead += take;
		p += take;
		len -= take;
		if (ps->nhead < sizeof ps->head)
			return;
		ls_sniff(s);
	}
	if (ps->utf16)
		ls_feed_utf16(s, p, len);
	else
		ls_feed_utf8(s, p, len);
}

void
logscan_end(struct logscan *s)
{
	struct logscan_private	*ps = s->priv;

	if (ps->log == NULL)
		return;
	if (!ps->sniffed && ps->nhead > 0)
		ls_sniff(s);
	if (ps->utf16 && ps->hisur != 0)
		ls_put_cp(ps, 0xfffd);
	if (ps->len > 0 || ps->cut)
		ls_flush(s);
	ps->log = NULL;
}

static int
ls_event_cmp(const void *a, const void *b)
{
	const struct logscan_event	*x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return 0;
}

void
logscan_finish(struct logscan *s)
{
	struct logscan_private	*ps = s->priv;
	struct logscan_event	*e;
	size_t			 k, i, j;

	if (ps->log != NULL)
		logscan_end(s);
	while (ps->nopen > 0)
		ls_sess_close(s, ps->nopen - 1, LOGSCAN_UNFINISHED);
	for (i = 0; i < s->ncodes; i++)
		s->codes[i].current = ps->code_since[i][0] +
		    ps->code_since[i][1];
	for (i = 0; i < s->npackages; i++)
		s->packages[i].current = ps->pkg_since[i][0] +
		    ps->pkg_since[i][1];
	for (i = 0; i < s->nfiles; i++)
		s->files[i].current = ps->file_since[i][0] +
		    ps->file_since[i][1];

	/* The events kept, oldest first, each judged against the last
	 * success of its domain. */
	for (k = 0; k < LOGSCAN_EV_COUNT; k++)
		s->nevents += ps->nring[k];
	s->events = xcalloc(s->nevents + 1, sizeof *s->events);
	for (k = 0, j = 0; k < LOGSCAN_EV_COUNT; k++) {
		for (i = 0; i < ps->nring[k]; i++, j++) {
			e = &s->events[j];
			*e = ps->ring[k][i];
			memset(&ps->ring[k][i], 0, sizeof ps->ring[k][i]);
			e->seq = ps->ev_seq[k][i];
			if (e->kind == LOGSCAN_EV_WU_FAILURE)
				e->stale = e->seq < ps->wu_ok_seq;
			else if (s->logs[e->log].kind == LOGSCAN_DISM)
				e->stale = s->last_ok[0] != '\0' &&
				    strcmp(e->time, s->last_ok) <= 0;
			else
				e->stale = e->seq < ps->ok_seq;
			if (!e->stale)
				s->current[k]++;
		}
		ps->nring[k] = 0;
	}
	qsort(s->events, s->nevents, sizeof *s->events, ls_event_cmp);
}

void
logscan_free(struct logscan *s)
{
	struct logscan_private	*ps;
	size_t			 i, k;

	if (s == NULL)
		return;
	ps = s->priv;
	for (i = 0; i < s->nlogs; i++) {
		free(s->logs[i].path);
		free(s->logs[i].error);
	}
	free(s->logs);
	for (i = 0; i < s->ncodes; i++) {
		free(s->codes[i].name);
		free(s->codes[i].first.text);
		free(s->codes[i].last.text);
	}
	free(s->codes);
	for (i = 0; i < s->npackages; i++)
		free(s->packages[i].name);
	free(s->packages);
	for (i = 0; i < s->nfiles; i++)
		free(s->files[i].name);
	free(s->files);
	for (i = 0; i < s->nevents; i++)
		ls_event_clear(&s->events[i]);
	free(s->events);
	free(s->last.id);
	free(s->last.client);
	free(s->last.package);
	free(s->last.hr_name);
	free(s->dism.command);
	if (ps != NULL) {
		for (k = 0; k < LOGSCAN_EV_COUNT; k++) {
			for (i = 0; i < NTM_MAX_LOG_EVENTS; i++)
				ls_event_clear(&ps->ring[k][i]);
		}
		for (i = 0; i < ps->nopen; i++)
			ls_sess_free(&ps->open[i]);
		free(ps->lastid);
		free(ps->exec_id);
		free(ps->dism_cmd);
		free(ps->code_since);
		free(ps->pkg_since);
		free(ps->file_since);
		free(ps->line);
		free(ps->chunk);
		free(ps);
	}
	free(s);
}

/* Reading from the volume. */

static void
ls_log_error(struct logscan *s, const char *path, enum logscan_kind kind,
    int missing, char *cause)
{
	struct logscan_log	*lg;

	logscan_begin(s, path, kind);
	lg = &s->logs[s->nlogs - 1];
	lg->missing = missing;
	lg->error = cause;
	logscan_end(s);
}

static void
ls_scan_file(struct logscan *s, struct vol *vol, const char *path,
    enum logscan_kind kind)
{
	struct logscan_private	*ps = s->priv;
	struct vol_file		*f;
	uint64_t		 off = 0, size;
	ssize_t			 n;
	char			*cause = NULL;

	if ((f = vol_file_open(vol, path, VOL_O_RDONLY, &cause)) == NULL) {
		ls_log_error(s, path, kind, errno == ENOENT, cause);
		return;
	}
	if (ps->chunk == NULL)
		ps->chunk = xmalloc(NTM_MAX_LOG_CHUNK);
	size = vol_file_size(f);
	logscan_begin(s, path, kind);
	while (off < size) {
		n = vol_file_pread(f, ps->chunk, NTM_MAX_LOG_CHUNK, off);
		if (n <= 0) {
			s->logs[s->nlogs - 1].error = xprintf("%s: read error "
			    "at byte %llu: %s", path, (unsigned long long)off,
			    n < 0 ? strerror(errno) : "unexpected end");
			break;
		}
		logscan_feed(s, ps->chunk, (size_t)n);
		off += (uint64_t)n;
	}
	logscan_end(s);
	vol_file_close(f, NULL);
}

/* Each .log inside a CbsPersist cab (Windows puts one in each). */
static void
ls_scan_cab(struct logscan *s, struct vol *vol, const char *path)
{
	struct archive		*a;
	struct archive_entry	*ae;
	struct vol_archive	 va;
	const void		*buf;
	size_t			 len;
	la_int64_t		 off;
	uint64_t		 total;
	char			*name, *cause = NULL;
	int			 r, nlogs = 0;

	if (vol_archive_open_cab(vol, path, &va, &cause) != 0) {
		ls_log_error(s, path, LOGSCAN_CBS, errno == ENOENT, cause);
		return;
	}
	a = va.a;
	while ((r = archive_read_next_header(a, &ae)) == ARCHIVE_OK) {
		if (archive_entry_filetype(ae) != AE_IFREG)
			continue;
		name = xprintf("%s:%s", path, archive_entry_pathname(ae) !=
		    NULL ? archive_entry_pathname(ae) : "?");
		logscan_begin(s, name, LOGSCAN_CBS);
		free(name);
		nlogs++;
		total = 0;
		while ((r = archive_read_data_block(a, &buf, &len, &off)) ==
		    ARCHIVE_OK) {
			if (total + len > NTM_MAX_LOG_CAB) {
				s->logs[s->nlogs - 1].error = xprintf("%s: "
				    "expands past %llu bytes; the rest is not "
				    "read", path,
				    (unsigned long long)NTM_MAX_LOG_CAB);
				break;
			}
			total += len;
			logscan_feed(s, buf, len);
		}
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF &&
		    s->logs[s->nlogs - 1].error == NULL)
			s->logs[s->nlogs - 1].error = xprintf("%s: %s", path,
			    archive_error_string(a));
		logscan_end(s);
		if (r != ARCHIVE_OK && r != ARCHIVE_EOF)
			break;
	}
	if (r != ARCHIVE_EOF && r != ARCHIVE_OK && nlogs == 0)
		ls_log_error(s, path, LOGSCAN_CBS, 0, xprintf("%s: %s", path,
		    archive_error_string(a)));
	vol_archive_close(&va);
}

struct ls_names {
	char	**v;
	size_t	  n;
};

/* CbsPersist_<yyyymmddhhmmss>.log and .cab: the rotated CBS.log. */
static int
ls_persist_cb(const struct vol_dirent *de, void *arg)
{
	struct ls_names	*ln = arg;
	size_t		 len = strlen(de->name);

	if (de->is_dir || strncasecmp(de->name, "CbsPersist_", 11) != 0 ||
	    len < 15 || (strcasecmp(de->name + len - 4, ".log") != 0 &&
	    strcasecmp(de->name + len - 4, ".cab") != 0))
		return 0;
	if (ln->n >= NTM_MAX_LOG_PERSIST)
		return 0;
	ln->v = xreallocarray(ln->v, ln->n + 1, sizeof *ln->v);
	ln->v[ln->n++] = xstrdup(de->name);
	return 0;
}

static int
ls_name_cmp(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

size_t
logscan_persist_list(struct vol *vol, char ***names)
{
	struct ls_names	ln;

	memset(&ln, 0, sizeof ln);
	vol_list(vol, LOGSCAN_CBS_DIR, ls_persist_cb, &ln, NULL);
	if (ln.n > 1)
		qsort(ln.v, ln.n, sizeof *ln.v, ls_name_cmp);
	*names = ln.v;
	return ln.n;
}

int
logscan_volume(struct vol *vol, int flags, struct logscan **sp,
    char **cause)
{
	struct logscan	*s;
	struct ls_names	 ln;
	size_t		 i, first = 0;
	char		*path;

	if (vol == NULL)
		return set_cause(cause, "no volume");
	s = logscan_new();
	ln.n = logscan_persist_list(vol, &ln.v);
	/* Oldest first, so that a success makes what came before history.
	 * Diagnosis reads only the newest rotated log: CBS rotates at about
	 * 50 MB, so the newest one and CBS.log hold the recent sessions. */
	if ((flags & LOGSCAN_RECENT) && ln.n > 0)
		first = ln.n - 1;
	for (i = 0; i < ln.n; i++) {
		if (i >= first) {
			path = xprintf(LOGSCAN_CBS_DIR "\\%s", ln.v[i]);
			if (strcasecmp(ln.v[i] + strlen(ln.v[i]) - 4, ".cab") ==
			    0)
				ls_scan_cab(s, vol, path);
			else
				ls_scan_file(s, vol, path, LOGSCAN_CBS);
			free(path);
		}
		free(ln.v[i]);
	}
	free(ln.v);
	ls_scan_file(s, vol, LOGSCAN_CBS_LOG, LOGSCAN_CBS);
	ls_scan_file(s, vol, LOGSCAN_DISM_LOG, LOGSCAN_DISM);
	ls_scan_file(s, vol, LOGSCAN_WU_LOG, LOGSCAN_WU);
	logscan_finish(s);
	*sp = s;
	return 0;
}

/*
 * The scan diagnosis shares. There is no slot for it in the diagnosis
 * context, so it is kept here, keyed by what the logs are on the volume:
 * the volume's name and each log's size, time and MFT record. A fix
 * between two diagnoses of one run (a plan) that moves
 * SoftwareDistribution aside changes the key, and the logs are read
 * again.
 */
static struct logscan	*ls_shared;
static char		*ls_shared_key;

static void
ls_key_add(char **key, struct vol *vol, const char *path)
{
	struct vol_stat	 st;
	char		*k;

	if (vol_stat(vol, path, &st, NULL) != 0)
		xasprintf(&k, "%s|%s:-", *key, path);
	else
		xasprintf(&k, "%s|%s:%llu:%llu:%lld.%09ld", *key, path,
		    (unsigned long long)st.size, (unsigned long long)st.ino,
		    (long long)st.mtime.tv_sec, (long)st.mtime.tv_nsec);
	free(*key);
	*key = k;
}

const struct logscan *
logscan_shared(struct vol *vol, char **cause)
{
	struct ls_names	 ln;
	struct logscan	*s;
	char		*key, *path;
	size_t		 i;

	if (vol == NULL) {
		set_cause(cause, "no volume");
		return NULL;
	}
	key = xstrdup(vol_name(vol));
	memset(&ln, 0, sizeof ln);
	vol_list(vol, LOGSCAN_CBS_DIR, ls_persist_cb, &ln, NULL);
	if (ln.n > 1)
		qsort(ln.v, ln.n, sizeof *ln.v, ls_name_cmp);
	for (i = 0; i < ln.n; i++) {
		/* Only the newest is read (LOGSCAN_RECENT), but a new one
		 * appearing changes which. */
		path = xprintf(LOGSCAN_CBS_DIR "\\%s", ln.v[i]);
		ls_key_add(&key, vol, path);
		free(path);
		free(ln.v[i]);
	}
	free(ln.v);
	ls_key_add(&key, vol, LOGSCAN_CBS_LOG);
	ls_key_add(&key, vol, LOGSCAN_DISM_LOG);
	ls_key_add(&key, vol, LOGSCAN_WU_LOG);
	if (ls_shared != NULL && strcmp(key, ls_shared_key) == 0) {
		free(key);
		return ls_shared;
	}
	if (logscan_volume(vol, LOGSCAN_RECENT, &s, cause) != 0) {
		free(key);
		return NULL;
	}
	logscan_free(ls_shared);
	free(ls_shared_key);
	ls_shared = s;
	ls_shared_key = key;
	return s;
}

struct ls_aside {
	const char	*base;
	size_t		 baselen;
	time_t		 newest;
};

static int
ls_aside_cb(const struct vol_dirent *de, void *arg)
{
	struct ls_aside	*a = arg;
	struct tm	 tm;
	const char	*p;
	char		*end;
	time_t		 t;
	size_t		 taglen = strlen(LOGSCAN_ASIDE_TAG);

	if (strncasecmp(de->name, a->base, a->baselen) != 0 ||
	    strncasecmp(de->name + a->baselen, LOGSCAN_ASIDE_TAG, taglen) != 0)
		return 0;
	p = de->name + a->baselen + taglen;
	memset(&tm, 0, sizeof tm);
	/* "20240110-031512", maybe "-2" after it (two fixes in a second). */
	if ((end = strptime(p, LOGSCAN_ASIDE_TIME, &tm)) == NULL ||
	    (*end != '\0' && *end != '-'))
		return 0;
	if ((t = timegm(&tm)) != (time_t)-1 && t > a->newest)
		a->newest = t;
	return 0;
}

time_t
logscan_aside_time(struct vol *vol, const char *path)
{
	struct ls_aside	 a;
	const char	*slash;
	char		*dir;

	slash = strrchr(path, '\\');
	if (slash == NULL)
		slash = strrchr(path, '/');
	dir = slash != NULL ? xstrndup(path, (size_t)(slash - path)) :
	    xstrdup("");
	a.base = slash != NULL ? slash + 1 : path;
	a.baselen = strlen(a.base);
	a.newest = 0;
	vol_list(vol, dir, ls_aside_cb, &a, NULL);
	free(dir);
	return a.newest;
}

time_t
logscan_time_utc(const char *t, int32_t bias)
{
	struct tm	 tm;
	char		*end;
	time_t		 u;

	memset(&tm, 0, sizeof tm);
	if (t == NULL || (end = strptime(t, "%Y-%m-%d %H:%M:%S", &tm)) ==
	    NULL || *end != '\0')
		return (time_t)-1;
	if ((u = timegm(&tm)) == (time_t)-1)
		return u;
	return u + (time_t)bias * 60;
}

static const char *
ls_base(const char *path)
{
	const char	*b = strrchr(path, '\\'), *c;

	/* "...\CbsPersist_x.cab:CbsPersist_x.log" keeps the cab's name. */
	if (b != NULL && (c = strchr(b, ':')) != NULL && c > b)
		return b + 1;
	return b != NULL ? b + 1 : path;
}

char *
logscan_ref_evidence(const struct logscan *s, const struct logscan_ref *r)
{
	return xprintf("%s:%llu%s%s: %s", ls_base(s->logs[r->log].path),
	    (unsigned long long)r->line, *r->time != '\0' ? " " : "",
	    r->time, r->text != NULL ? r->text : "");
}

char *
logscan_event_evidence(const struct logscan *s, const struct logscan_event *e)
{
	return xprintf("%s:%llu%s%s: %s", ls_base(s->logs[e->log].path),
	    (unsigned long long)e->line, *e->time != '\0' ? " " : "",
	    e->time, e->text);
}

int
logscan_time_bias(struct hive *system, int32_t *bias)
{
	static const char	 key[] = "CurrentControlSet\\Control\\"
				     "TimeZoneInformation";
	uint32_t		 v;

	if (system == NULL)
		return -1;
	/* ActiveTimeBias includes daylight saving as it was at shutdown;
	 * Bias is the standard one. */
	if (hive_value_dword(system, key, "ActiveTimeBias", &v, NULL) != 0 &&
	    hive_value_dword(system, key, "Bias", &v, NULL) != 0)
		return -1;
	*bias = (int32_t)v;
	if (*bias < -24 * 60 || *bias > 24 * 60)
		return -1;
	return 0;
}

char *
logscan_aside_path(struct vol *vol, const char *path, time_t now)
{
	struct tm	 tm;
	char		 stamp[32], *p;
	int		 n;

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, LOGSCAN_ASIDE_TIME, &tm);
	p = xprintf("%s" LOGSCAN_ASIDE_TAG "%s", path, stamp);
	/* Two resets within a second: "-2", "-3", ... */
	for (n = 2; vol != NULL && vol_exists(vol, p); n++) {
		free(p);
		p = xprintf("%s" LOGSCAN_ASIDE_TAG "%s-%d", path, stamp, n);
	}
	return p;
}
