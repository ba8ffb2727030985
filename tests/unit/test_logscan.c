/*
 * test_logscan.c: the servicing log scanner on log text written from the
 * public format (Microsoft's CBS.log and dism.log excerpts in its
 * "fix Windows Update corruption" article, CheckSUR summaries,
 * ReportingEvents.log records): UTF-8 with BOM and CRLF, UTF-16LE with
 * BOM, lines over the limit, several and interleaved sessions, junk. Every
 * text is also fed in pieces of 1, 2, 3, 7, 64 and 4096 bytes, which must
 * give the same result as feeding it whole. Volume scans run on the
 * directory backend, CbsPersist cabinets made with gcab.
 */

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

#define BOM8	"\xef\xbb\xbf"

/* The session that installed December's LCU, then January's that fails
 * on a damaged store while an UpdateAgentLCU detection session opens and
 * closes in between (interleaved). */
static const char *const cbs_store[] = {
	"2024-01-09 22:10:01, Info                  CBS    TI: --- "
	    "Initializing Trusted Installer ---",
	"2024-01-09 22:10:01, Info                  CBS    Loaded Servicing "
	    "Stack v10.0.19041.3745 with Core: C:\\Windows\\winsxs\\amd64_"
	    "microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.3745"
	    "_none_7e5b2a4c5a1a6c1e\\cbscore.dll",
	"2024-01-09 22:10:02, Info                  CSI    00000001@2024/1/9:"
	    "22:10:02.180 WcpInitialize: wcp.dll version 0.0.0.6 (bld "
	    "10.0.19041.3745)",
	"2024-01-09 22:10:02, Info                  CBS    Session: "
	    "31075042_2410293015 initialized by client WindowsUpdateAgent, "
	    "external staging directory: (null), external registry directory: "
	    "(null)",
	"2024-01-09 22:10:03, Info                  CBS    Failed to internally "
	    "open package. [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]",
	"2024-01-09 22:10:04, Info                  CBS    Exec: Processing "
	    "started.  Client: WindowsUpdateAgent, Session(Id): "
	    "31075042_2410293015, Package: Package_for_RollupFix~"
	    "31bf3856ad364e35~amd64~~19041.3803.1.8",
	"2024-01-09 22:13:35, Info                  CBS    Exec: Processing "
	    "complete.  Session(Id): 31075042_2410293015, Package: Package_for_"
	    "RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.8 [HRESULT = "
	    "0x00000000 - S_OK]",
	"2024-01-09 22:13:35, Info                  CBS    Session: "
	    "31075042_2410293015 finalized. Reboot required: yes [HRESULT = "
	    "0x00000000 - S_OK]",
	"2024-01-10 03:05:12, Info                  CBS    Session: "
	    "31080551_1037281930 initialized by client WindowsUpdateAgent, "
	    "external staging directory: (null), external registry directory: "
	    "(null)",
	"2024-01-10 03:05:13, Info                  CBS    Session: "
	    "31080552_1040000001 initialized by client UpdateAgentLCU, external "
	    "staging directory: (null), external registry directory: (null)",
	"2024-01-10 03:05:14, Info                  CBS    Exec: Processing "
	    "started.  Client: WindowsUpdateAgent, Session(Id): "
	    "31080551_1037281930, Package: Package_for_RollupFix~"
	    "31bf3856ad364e35~amd64~~19041.3930.1.7",
	"2024-01-10 03:05:15, Info                  CBS    Session: "
	    "31080552_1040000001 finalized. Reboot required: no [HRESULT = "
	    "0x00000000 - S_OK]",
	"2024-01-10 03:07:52, Info                  CSI    00000124 Hashes for "
	    "file member [l:12]'dot3gpui.dll' do not match.",
	"2024-01-10 03:07:52, Info                  CSI    00000125 [SR] Cannot "
	    "repair member file [l:12]'dot3gpui.dll' of Microsoft-Windows-"
	    "Dot3gpui, version 10.0.19041.1, arch amd64, nonSxS, pkt {l:8 "
	    "b:31bf3856ad364e35} in the store, hash mismatch",
	"2024-01-10 03:07:53, Info                  CBS    (p)\tCSI Payload "
	    "Corrupt\t(n)\t\t\tamd64_microsoft-windows-dot3gpui_31bf3856ad364e35"
	    "_10.0.19041.1_none_e18c301e137c51da\\dot3gpui.dll",
	"2024-01-10 03:07:53, Info                  CBS    Repair failed: "
	    "Missing replacement payload.",
	"2024-01-10 03:07:54, Info                  CBS    Failed to find "
	    "file: amd64_microsoft-windows-sechost_31bf3856ad364e35_10.0.19041."
	    "3930_none_8b98d0c4cfecd668\\sechost.dll [HRESULT = 0x800f081f - "
	    "CBS_E_SOURCE_MISSING]",
	"2024-01-10 03:07:54, Error                 CSI    00000126 (F) "
	    "STATUS_SXS_COMPONENT_STORE_CORRUPT #2871045# from "
	    "CCSDirectTransaction::OperateEnding at index 0 of 1 operations, "
	    "disposition 2[gle=0xd015001a]",
	"2024-01-10 03:07:54, Info                  CBS    Failed to execute "
	    "execution chain. [HRESULT = 0x80073712 - "
	    "ERROR_SXS_COMPONENT_STORE_CORRUPT]",
	"2024-01-10 03:07:55, Info                  CBS    Failed to load "
	    "package Microsoft-Windows-Printing-PMCPPC-FoD-Package~"
	    "31bf3856ad364e35~amd64~zh-CN~10.0.19041.1 [HRESULT = 0x8007000d - "
	    "ERROR_INVALID_DATA]",
	"2024-01-10 03:08:42, Info                  CBS    Exec: Processing "
	    "complete.  Session(Id): 31080551_1037281930, Package: Package_for_"
	    "RollupFix~31bf3856ad364e35~amd64~~19041.3930.1.7 [HRESULT = "
	    "0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]",
	"2024-01-10 03:08:42, Info                  CBS    Session: "
	    "31080551_1037281930 finalized. Reboot required: no [HRESULT = "
	    "0x00000000 - S_OK]",
	NULL
};

/* Lines joined with eol; caller frees. */
static char *
join(const char *const *lines, const char *head, const char *eol,
    size_t *len)
{
	char	*s = xstrdup(head), *t;
	size_t	 i;

	for (i = 0; lines[i] != NULL; i++) {
		xasprintf(&t, "%s%s%s", s, lines[i], eol);
		free(s);
		s = t;
	}
	*len = strlen(s);
	return s;
}

static void
feed(struct logscan *s, const char *name, enum logscan_kind kind,
    const void *buf, size_t len, size_t piece)
{
	const uint8_t	*p = buf;
	size_t		 off, n;

	logscan_begin(s, name, kind);
	for (off = 0; off < len; off += n) {
		n = piece == 0 || len - off < piece ? len - off : piece;
		logscan_feed(s, p + off, n);
	}
	logscan_end(s);
}

static struct logscan *
scan_one(const char *name, enum logscan_kind kind, const void *buf,
    size_t len, size_t piece)
{
	struct logscan	*s = logscan_new();

	feed(s, name, kind, buf, len, piece);
	logscan_finish(s);
	return s;
}

static const struct logscan_code *
code_of(const struct logscan *s, uint32_t hr)
{
	size_t	i;

	for (i = 0; i < s->ncodes; i++) {
		if (s->codes[i].hr == hr)
			return &s->codes[i];
	}
	fail_msg("no HRESULT 0x%08x in the scan (%zu codes)", hr, s->ncodes);
	return NULL;
}

static const struct logscan_name *
name_of(const struct logscan_name *v, size_t n, const char *name)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		if (strcmp(v[i].name, name) == 0)
			return &v[i];
	}
	fail_msg("no name '%s' among %zu", name, n);
	return NULL;
}

/* Everything a scan found, as one string, to compare feeds. */
static char *
digest(const struct logscan *s)
{
	char	*d = xstrdup(""), *t;
	size_t	 i;

#define ADD(...) do {							\
	xasprintf(&t, __VA_ARGS__);					\
	d = xrealloc(d, strlen(d) + strlen(t) + 2);			\
	strcat(d, t);							\
	strcat(d, "\n");						\
	free(t);							\
} while (0)
	for (i = 0; i < s->nlogs; i++)
		ADD("log %s %s %llu %llu %llu %d %s %s", s->logs[i].path,
		    s->logs[i].encoding, (unsigned long long)s->logs[i].lines,
		    (unsigned long long)s->logs[i].cut,
		    (unsigned long long)s->logs[i].unreadable, s->logs[i].crlf,
		    s->logs[i].first, s->logs[i].last);
	for (i = 0; i < s->ncodes; i++)
		ADD("code %08x %s %llu %llu %llu %s", s->codes[i].hr,
		    s->codes[i].name != NULL ? s->codes[i].name : "-",
		    (unsigned long long)s->codes[i].count,
		    (unsigned long long)s->codes[i].current,
		    (unsigned long long)s->codes[i].last.line,
		    s->codes[i].last.text);
	for (i = 0; i < s->npackages; i++)
		ADD("pkg %s %llu", s->packages[i].name,
		    (unsigned long long)s->packages[i].count);
	for (i = 0; i < s->nfiles; i++)
		ADD("file %s %llu", s->files[i].name,
		    (unsigned long long)s->files[i].count);
	for (i = 0; i < s->nevents; i++)
		ADD("ev %d %08x %llu %s %s %s %s %d", s->events[i].kind,
		    s->events[i].hr, (unsigned long long)s->events[i].line,
		    s->events[i].time, s->events[i].session != NULL ?
		    s->events[i].session : "-", s->events[i].package != NULL ?
		    s->events[i].package : "-", s->events[i].text,
		    s->events[i].stale);
	ADD("last %s %s %d %08x %s %s", s->last.id != NULL ? s->last.id : "-",
	    s->last.package != NULL ? s->last.package : "-", s->last.outcome,
	    s->last.hr, s->last.started, s->last.ended);
	ADD("sessions %llu %llu %llu %llu %s",
	    (unsigned long long)s->sessions,
	    (unsigned long long)s->succeeded, (unsigned long long)s->failed,
	    (unsigned long long)s->unfinished, s->last_ok);
#undef ADD
	return d;
}

/* The same result whatever the pieces the bytes come in. */
static void
assert_piece_independent(const char *name, enum logscan_kind kind,
    const void *buf, size_t len)
{
	static const size_t	 pieces[] = { 1, 2, 3, 7, 64, 4096 };
	struct logscan		*s;
	char			*whole, *other;
	size_t			 i;

	s = scan_one(name, kind, buf, len, 0);
	whole = digest(s);
	logscan_free(s);
	for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
		s = scan_one(name, kind, buf, len, pieces[i]);
		other = digest(s);
		if (strcmp(whole, other) != 0)
			fail_msg("fed in %zu-byte pieces:\n%s\nwhole:\n%s",
			    pieces[i], other, whole);
		free(other);
		logscan_free(s);
	}
	free(whole);
}

static void
test_cbs_store_corrupt(void **state)
{
	const struct logscan_code	*c;
	const struct logscan_event	*e;
	struct logscan			*s;
	size_t				 len, i, nstale = 0;
	char				*text;

	text = join(cbs_store, BOM8, "\r\n", &len);
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);

	assert_int_equal(s->nlogs, 1);
	assert_string_equal(s->logs[0].encoding, "UTF-8 with BOM");
	assert_int_equal(s->logs[0].crlf, 1);
	assert_int_equal(s->logs[0].lines, 22);
	assert_int_equal(s->logs[0].cut, 0);
	assert_int_equal(s->logs[0].unreadable, 0);
	assert_string_equal(s->logs[0].first, "2024-01-09 22:10:01");
	assert_string_equal(s->logs[0].last, "2024-01-10 03:08:42");

	/* First appearance order; the probe failure before December's
	 * success is history. */
	assert_int_equal(s->ncodes, 5);
	assert_int_equal(s->codes[0].hr, 0x800f0805);
	assert_int_equal(s->codes[0].count, 1);
	assert_int_equal(s->codes[0].current, 0);
	assert_string_equal(s->codes[0].name, "CBS_E_INVALID_PACKAGE");
	assert_int_equal(s->codes[1].hr, 0x800f081f);
	assert_int_equal(s->codes[2].hr, 0xd015001a);
	assert_string_equal(s->codes[2].name,
	    "STATUS_SXS_COMPONENT_STORE_CORRUPT");
	assert_int_equal(s->codes[3].hr, 0x80073712);
	assert_int_equal(s->codes[4].hr, 0x8007000d);
	c = code_of(s, 0x80073712);
	assert_string_equal(c->name, "ERROR_SXS_COMPONENT_STORE_CORRUPT");
	assert_int_equal(c->count, 2);
	assert_int_equal(c->current, 2);
	assert_int_equal(c->first.line, 19);
	assert_int_equal(c->last.line, 21);
	assert_string_equal(c->last.time, "2024-01-10 03:08:42");
	c = code_of(s, 0x8007000d);
	assert_string_equal(c->name, "ERROR_INVALID_DATA");
	assert_int_equal(c->current, 1);

	assert_int_equal(s->counts[LOGSCAN_EV_STORE_CORRUPT], 4);
	assert_int_equal(s->counts[LOGSCAN_EV_SOURCE_MISSING], 2);
	assert_int_equal(s->counts[LOGSCAN_EV_FAILURE], 4);
	assert_int_equal(s->current[LOGSCAN_EV_FAILURE], 3);
	assert_int_equal(s->counts[LOGSCAN_EV_SSU_REQUIRED], 0);
	assert_int_equal(s->counts[LOGSCAN_EV_DOWNLOAD], 0);
	assert_int_equal(s->nevents, 10);
	for (i = 0; i < s->nevents; i++) {
		e = &s->events[i];
		nstale += e->stale;
		/* Failures between Exec started and complete belong to the
		 * session executing, not the detection session opened
		 * after it. */
		if (e->line >= 13)
			assert_string_equal(e->session, "31080551_1037281930");
	}
	assert_int_equal(nstale, 1);
	assert_int_equal(s->events[0].line, 5);
	assert_int_equal(s->events[0].stale, 1);
	assert_string_equal(s->events[0].session, "31075042_2410293015");

	assert_int_equal(name_of(s->files, s->nfiles, "dot3gpui.dll")->count,
	    2);
	assert_int_equal(name_of(s->files, s->nfiles, "amd64_microsoft-"
	    "windows-dot3gpui_31bf3856ad364e35_10.0.19041.1_none_"
	    "e18c301e137c51da\\dot3gpui.dll")->count, 1);
	assert_int_equal(name_of(s->files, s->nfiles, "amd64_microsoft-"
	    "windows-sechost_31bf3856ad364e35_10.0.19041.3930_none_"
	    "8b98d0c4cfecd668\\sechost.dll")->hr, 0x800f081f);
	assert_int_equal(s->nfiles, 3);
	assert_int_equal(name_of(s->packages, s->npackages,
	    "Microsoft-Windows-Printing-PMCPPC-FoD-Package~31bf3856ad364e35~"
	    "amd64~zh-CN~10.0.19041.1")->hr, 0x8007000d);
	assert_int_equal(name_of(s->packages, s->npackages,
	    "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3930.1.7")->hr,
	    0x80073712);
	assert_int_equal(s->npackages, 2);

	assert_int_equal(s->sessions, 3);
	assert_int_equal(s->succeeded, 2);
	assert_int_equal(s->failed, 1);
	assert_int_equal(s->unfinished, 0);
	assert_string_equal(s->last_ok, "2024-01-09 22:13:35");
	assert_string_equal(s->last.id, "31080551_1037281930");
	assert_string_equal(s->last.client, "WindowsUpdateAgent");
	assert_string_equal(s->last.package,
	    "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3930.1.7");
	assert_int_equal(s->last.outcome, LOGSCAN_FAILED);
	assert_int_equal(s->last.hr, 0x80073712);
	assert_string_equal(s->last.hr_name,
	    "ERROR_SXS_COMPONENT_STORE_CORRUPT");
	assert_string_equal(s->last.started, "2024-01-10 03:05:12");
	assert_string_equal(s->last.ended, "2024-01-10 03:08:42");
	logscan_free(s);

	assert_piece_independent("CBS.log", LOGSCAN_CBS, text, len);
	free(text);
}

/* A failing month, then a successful one: the failure is history. */
static void
test_cbs_success_makes_history(void **state)
{
	static const char *const lines[] = {
		"2023-11-15 09:00:00, Info                  CBS    Session: "
		    "30000001_100 initialized by client WindowsUpdateAgent, "
		    "external staging directory: (null)",
		"2023-11-15 09:00:01, Info                  CBS    Exec: "
		    "Processing started.  Client: WindowsUpdateAgent, "
		    "Session(Id): 30000001_100, Package: Package_for_RollupFix~"
		    "31bf3856ad364e35~amd64~~19041.3693.1.11",
		"2023-11-15 09:03:10, Error                 CSI    0000013b (F) "
		    "HRESULT_FROM_WIN32(ERROR_LOG_GROWTH_FAILED) #2871412# from "
		    "Windows::Rtl::SystemImplementation::DirectRegistryProvider::"
		    "SysCreateKey(...)[gle=0x80071ab1]",
		"2023-11-15 09:03:11, Info                  CBS    Exec: "
		    "Processing complete.  Session(Id): 30000001_100, Package: "
		    "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3693."
		    "1.11 [HRESULT = 0x80071ab1 - ERROR_LOG_GROWTH_FAILED]",
		"2023-11-15 09:03:11, Info                  CBS    Session: "
		    "30000001_100 finalized. Reboot required: no [HRESULT = "
		    "0x80071ab1 - ERROR_LOG_GROWTH_FAILED]",
		"2023-12-13 10:02:12, Info                  CBS    Session: "
		    "31075042_2410293015 initialized by client "
		    "WindowsUpdateAgent, external staging directory: (null)",
		"2023-12-13 10:02:14, Info                  CBS    Exec: "
		    "Processing started.  Client: WindowsUpdateAgent, "
		    "Session(Id): 31075042_2410293015, Package: Package_for_"
		    "RollupFix~31bf3856ad364e35~amd64~~19041.3803.1.8",
		"2023-12-13 10:05:41, Info                  CBS    Exec: "
		    "Processing complete.  Session(Id): 31075042_2410293015, "
		    "Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~"
		    "19041.3803.1.8 [HRESULT = 0x00000000 - S_OK]",
		"2023-12-13 10:05:41, Info                  CBS    Session: "
		    "31075042_2410293015 finalized. Reboot required: yes "
		    "[HRESULT = 0x00000000 - S_OK]",
		NULL
	};
	const struct logscan_code	*c;
	struct logscan			*s;
	size_t				 len, i;
	char				*text;

	text = join(lines, "", "\n", &len);
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);
	assert_string_equal(s->logs[0].encoding, "UTF-8");
	assert_int_equal(s->logs[0].crlf, 0);
	assert_int_equal(s->logs[0].lines, 9);
	c = code_of(s, 0x80071ab1);
	assert_string_equal(c->name, "ERROR_LOG_GROWTH_FAILED");
	assert_int_equal(c->count, 3);
	assert_int_equal(c->current, 0);
	assert_int_equal(s->ncodes, 1);
	for (i = 0; i < s->nevents; i++)
		assert_int_equal(s->events[i].stale, 1);
	assert_int_equal(s->current[LOGSCAN_EV_FAILURE], 0);
	assert_int_equal(s->counts[LOGSCAN_EV_FAILURE], 3);
	assert_string_equal(s->last_ok, "2023-12-13 10:05:41");
	assert_string_equal(s->last.id, "31075042_2410293015");
	assert_int_equal(s->last.outcome, LOGSCAN_SUCCEEDED);
	assert_int_equal(s->last.hr, 0);
	assert_int_equal(s->succeeded, 1);
	assert_int_equal(s->failed, 1);
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, text, len);
	free(text);
}

/* The log begins inside a session (rotated): Exec lines still open it;
 * a session never finalized is unfinished. */
static void
test_cbs_unfinished(void **state)
{
	static const char *const lines[] = {
		"2024-02-01 08:00:01, Info                  CBS    Exec: "
		    "Processing started.  Client: DISM Package Manager Provider, "
		    "Session(Id): 31090001_200, Package: Microsoft-Windows-"
		    "NetFx3-OnDemand-Package~31bf3856ad364e35~amd64~~"
		    "10.0.19041.1",
		"2024-02-01 08:00:09, Error                 CBS    Failed to "
		    "resolve package [HRESULT = 0x800f081f - "
		    "CBS_E_SOURCE_MISSING]",
		"2024-02-01 08:00:09, Info                  CBS    Package "
		    "\"Package_for_RollupFix~31bf3856ad364e35~amd64~~19041."
		    "3930.1.7\" requires Servicing Stack v10.0.19041.3920 but "
		    "current Servicing Stack is v10.0.19041.3745. [HRESULT = "
		    "0x800f0823 - CBS_E_NEW_SERVICING_STACK_REQUIRED]",
		NULL
	};
	const struct logscan_event	*e = NULL;
	struct logscan			*s;
	size_t				 len, i;
	char				*text;

	text = join(lines, "", "\r\n", &len);
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);
	assert_int_equal(s->sessions, 1);
	assert_int_equal(s->unfinished, 0);
	assert_int_equal(s->failed, 1);
	assert_string_equal(s->last.id, "31090001_200");
	assert_null(s->last.client);
	assert_string_equal(s->last.package, "Microsoft-Windows-NetFx3-"
	    "OnDemand-Package~31bf3856ad364e35~amd64~~10.0.19041.1");
	assert_int_equal(s->last.outcome, LOGSCAN_FAILED);
	assert_int_equal(s->last.hr, 0x800f081f);
	assert_string_equal(s->last.ended, "");
	for (i = 0; i < s->nevents; i++) {
		if (s->events[i].kind == LOGSCAN_EV_SSU_REQUIRED)
			e = &s->events[i];
	}
	assert_non_null(e);
	assert_string_equal(e->need, "10.0.19041.3920");
	assert_string_equal(e->have, "10.0.19041.3745");
	assert_string_equal(e->package,
	    "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.3930.1.7");
	assert_int_equal(e->hr, 0x800f0823);
	assert_int_equal(e->line, 3);
	assert_string_equal(code_of(s, 0x800f0823)->name,
	    "CBS_E_NEW_SERVICING_STACK_REQUIRED");
	logscan_free(s);

	/* Without a Session(Id) or finalize at all: unfinished. */
	text[0] = '\0';
	free(text);
	text = xstrdup("2024-02-02 08:00:01, Info                  CBS    "
	    "Session: 31090002_300 initialized by client WindowsUpdateAgent, "
	    "external staging directory: (null)\r\n2024-02-02 08:00:02, Info"
	    "                  CBS    Exec: Processing started.  Client: "
	    "WindowsUpdateAgent, Session(Id): 31090002_300, Package: "
	    "Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.0\r\n");
	s = scan_one("CBS.log", LOGSCAN_CBS, text, strlen(text), 0);
	assert_int_equal(s->unfinished, 1);
	assert_int_equal(s->last.outcome, LOGSCAN_UNFINISHED);
	assert_string_equal(s->last.package,
	    "Package_for_KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.0");
	logscan_free(s);
	free(text);
}

/* ReportingEvents.log as Windows Update writes it: UTF-16LE with BOM,
 * CRLF, tab-separated; the title of a Chinese PC's update (and a
 * character outside the BMP, a surrogate pair). */
static void
test_reporting_events_utf16(void **state)
{
	static const char *const lines[] = {
		"{6AC1B3A5-0F2E-4C43-9F3B-2E5B3C1D4A11}\t2023-12-20 02:00:04:"
		    "001+0000\t1\t182 [AGENT_INSTALLING_FAILED]\t101\t{3F7A8E9B-"
		    "1111-4222-8333-944455566677}\t200\t80246007\t"
		    "UpdateOrchestrator\tFailure\tContent Download\tDownload "
		    "Failure: Windows failed to download (KB5033372).",
		"{7BD2C4B6-1A3F-4D54-8A4C-3F6C4D2E5B22}\t2024-01-08 02:11:09:"
		    "120+0000\t1\t162 [AGENT_DOWNLOAD_SUCCEEDED]\t101\t{3F7A8E9B-"
		    "1111-4222-8333-944455566677}\t200\t0\tUpdateOrchestrator\t"
		    "Success\tContent Download\tDownload succeeded.",
		"{8CE3D5C7-2B4A-4E65-9B5D-4A7D5E3F6C33}\t2024-01-08 02:30:44:"
		    "512+0000\t1\t183 [AGENT_INSTALLING_SUCCEEDED]\t101\t{3F7A8E9B"
		    "-1111-4222-8333-944455566677}\t200\t0\tUpdateOrchestrator\t"
		    "Success\tContent Install\tInstallation Successful: Windows "
		    "successfully installed the following update: 2023-12 "
		    "Cumulative Update for Windows 10 Version 22H2 for x64-based "
		    "Systems (KB5033372)",
		"{9DF4E6D8-3C5B-4F76-AC6E-5B8E6F4A7D44}\t2024-01-10 03:15:22:"
		    "512+0000\t1\t182 [AGENT_INSTALLING_FAILED]\t101\t{4A8B9FAC-"
		    "2222-4333-9444-A55566677788}\t200\t80240439\t"
		    "UpdateOrchestrator\tFailure\tContent Install\tInstallation "
		    "Failure: Windows failed to install the following update "
		    "with error 0x80240439: 2024-01 \xe7\xb4\xaf\xe7\xa7\xaf"
		    "\xe6\x9b\xb4\xe6\x96\xb0 \xf0\x9d\x84\x9e for Windows 10 "
		    "Version 22H2 for x64-based Systems (KB5034122).",
		NULL
	};
	const struct logscan_code	*c;
	const struct logscan_event	*e;
	struct logscan			*s;
	uint8_t				*buf;
	void				*u;
	size_t				 len, ulen;
	char				*text;

	text = join(lines, "", "\r\n", &len);
	u = utf8_to_utf16le(text, &ulen);
	assert_non_null(u);
	buf = xmalloc(ulen + 2);
	buf[0] = 0xff;
	buf[1] = 0xfe;
	memcpy(buf + 2, u, ulen);
	free(u);
	ulen += 2;

	s = scan_one("ReportingEvents.log", LOGSCAN_WU, buf, ulen, 0);
	assert_string_equal(s->logs[0].encoding, "UTF-16LE with BOM");
	assert_int_equal(s->logs[0].lines, 4);
	assert_int_equal(s->logs[0].crlf, 1);
	assert_string_equal(s->logs[0].first, "2023-12-20 02:00:04");
	assert_string_equal(s->logs[0].last, "2024-01-10 03:15:22");
	assert_string_equal(s->wu_last_ok, "2024-01-08 02:30:44");
	assert_int_equal(s->ncodes, 2);
	c = code_of(s, 0x80246007);
	assert_string_equal(c->name, "WU_E_DM_NOTDOWNLOADED");
	assert_int_equal(c->current, 0);
	c = code_of(s, 0x80240439);
	assert_string_equal(c->name, "WU_E_PT_INVALID_FORMAT");
	assert_int_equal(c->count, 1);
	assert_int_equal(c->current, 1);
	assert_int_equal(s->counts[LOGSCAN_EV_WU_FAILURE], 2);
	assert_int_equal(s->current[LOGSCAN_EV_WU_FAILURE], 1);
	assert_int_equal(s->nevents, 2);
	e = &s->events[1];
	assert_int_equal(e->kind, LOGSCAN_EV_WU_FAILURE);
	assert_int_equal(e->hr, 0x80240439);
	assert_int_equal(e->line, 4);
	assert_string_equal(e->time, "2024-01-10 03:15:22");
	assert_string_equal(e->package, "KB5034122");
	assert_int_equal(e->stale, 0);
	assert_non_null(strstr(e->text, "2024-01 \xe7\xb4\xaf\xe7\xa7\xaf"
	    "\xe6\x9b\xb4\xe6\x96\xb0 \xf0\x9d\x84\x9e for Windows 10"));
	assert_int_equal(s->events[0].stale, 1);
	assert_string_equal(s->events[0].package, "KB5033372");
	assert_int_equal(name_of(s->packages, s->npackages,
	    "KB5034122")->current, 1);
	logscan_free(s);

	assert_piece_independent("ReportingEvents.log", LOGSCAN_WU, buf,
	    ulen);
	free(buf);
	free(text);
}

/* Lines over NTM_MAX_LOG_LINE are cut: what is in their first bytes
 * counts, the rest is gone, the next line is whole. */
static void
test_long_lines(void **state)
{
	struct logscan	*s;
	char		*text, *big, *mid;
	size_t		 len;

	big = xmalloc(20001);
	memset(big, 'x', 20000);
	big[20000] = '\0';
	mid = xmalloc(9001);
	memset(mid, 'y', 9000);
	mid[9000] = '\0';
	xasprintf(&text,
	    "2024-01-10 03:00:00, Info                  CBS    %s [HRESULT = "
	    "0x80070005 - E_ACCESSDENIED]\r\n"
	    "2024-01-10 03:00:01, Info                  CBS    Failed to "
	    "open the registry key [HRESULT = 0x80070005 - E_ACCESSDENIED] %s"
	    "\r\n"
	    "2024-01-10 03:00:02, Error                 CBS    Failed to "
	    "perform operation.  [HRESULT = 0x80071ab1 - "
	    "ERROR_LOG_GROWTH_FAILED]\r\n", big, mid);
	len = strlen(text);
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);
	assert_int_equal(s->logs[0].lines, 3);
	assert_int_equal(s->logs[0].cut, 2);
	assert_int_equal(s->ncodes, 2);
	assert_int_equal(code_of(s, 0x80070005)->count, 1);
	assert_int_equal(code_of(s, 0x80070005)->last.line, 2);
	assert_true(strlen(code_of(s, 0x80070005)->last.text) <
	    NTM_MAX_LOG_TEXT);
	assert_int_equal(code_of(s, 0x80071ab1)->last.line, 3);
	assert_string_equal(code_of(s, 0x80071ab1)->last.text, "Failed to "
	    "perform operation. [HRESULT = 0x80071ab1 - "
	    "ERROR_LOG_GROWTH_FAILED]");
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, text, len);
	free(text);
	free(mid);
	free(big);
}

/* Junk never fails a scan and never makes a code. */
static void
test_junk(void **state)
{
	const struct logscan_code	*c;
	struct logscan			*s;
	char				*text, *nul;
	size_t				 len, n;

	nul = xcalloc(1, 5000);
	text = xmalloc(8000);
	n = 0;
#define PUT(str) do { memcpy(text + n, str, strlen(str)); n += strlen(str); \
} while (0)
	PUT("2024-01-10 03:00:00, Info                  CBS    flags = "
	    "0x80000000, mask 0x80070005, @0x26e25fdd30\r\n");
	memcpy(text + n, nul, 5000);	/* a power loss: zeroed clusters */
	n += 5000;
	PUT("\r\n");
	PUT("\x01\x02\xff\xfe\x7f binary\r\n");
	PUT("2024-01-10 03:00:01, Info                  CBS    Exec: "
	    "Processing complete.  Session(Id): 999_1, Package: Package_for_"
	    "KB5034441~31bf3856ad364e35~amd64~~19041.3920.1.0 [HRESULT = "
	    "0x80070bc2 - ERROR_SUCCESS_REBOOT_REQUIRED]\r\n");
	PUT("2024-01-10 03:00:02, Error                 CBS    Failed to "
	    "\xc3\x28 open [HRESULT = 0x80070005 - E_ACCESSDENIED]\r\n");
	PUT("2024-01-1 broken date, Error [HRESULT = 0x00000000 - S_OK]\r\n");
	PUT("Checking System Update Readiness.\r\n");
	PUT("no end of line at the end of the file");
#undef PUT
	len = n;
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);
	assert_int_equal(s->logs[0].lines, 8);
	assert_int_equal(s->logs[0].unreadable, 2);
	assert_int_equal(s->logs[0].cut, 0);
	assert_int_equal(s->ncodes, 1);
	c = code_of(s, 0x80070005);
	assert_int_equal(c->count, 1);
	assert_int_equal(c->current, 1);
	assert_int_equal(c->last.line, 5);
	assert_string_equal(c->last.text, "Failed to ?( open [HRESULT = "
	    "0x80070005 - E_ACCESSDENIED]");
	/* 0x80070bc2 is "installed, restart": a success. */
	assert_string_equal(s->last.id, "999_1");
	assert_int_equal(s->last.outcome, LOGSCAN_SUCCEEDED);
	assert_string_equal(s->last_ok, "2024-01-10 03:00:01");
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, text, len);

	/* All of it as UTF-16 without a BOM is still lines. */
	s = scan_one("CBS.log", LOGSCAN_CBS, "A\0B\0\n\0C\0", 8, 0);
	assert_string_equal(s->logs[0].encoding, "UTF-16LE");
	assert_int_equal(s->logs[0].lines, 2);
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, "A\0B\0\n\0C\0", 8);
	/* Decided by the fourth byte, however the first ones come (a
	 * fuzzer's find: one byte at a time once read it as UTF-16). */
	s = scan_one("CBS.log", LOGSCAN_CBS, "A\0B\xbb\nC", 6, 1);
	assert_string_equal(s->logs[0].encoding, "UTF-8");
	assert_int_equal(s->logs[0].lines, 2);
	assert_int_equal(s->logs[0].unreadable, 1);
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, "A\0B\xbb\nC", 6);
	s = scan_one("empty", LOGSCAN_CBS, "", 0, 0);
	assert_int_equal(s->logs[0].lines, 0);
	logscan_free(s);
	free(text);
	free(nul);
}

/* dism.log after the CBS logs: judged by time against CBS's last
 * success; dism.exe's HRESULT=800F081F without 0x. */
static void
test_dism(void **state)
{
	static const char *const dism[] = {
		"2024-01-05 10:00:00, Info                  DISM   DISM.EXE: "
		    "<----- Starting Dism.exe session ----->",
		"2024-01-05 10:00:00, Info                  DISM   DISM.EXE: "
		    "Executing command line: dism.exe /Online /Cleanup-Image "
		    "/ScanHealth",
		"2024-01-05 10:05:00, Error                 DISM   DISM DISM "
		    "Package Manager: PID=6212 TID=7420 Failed processing "
		    "package changes with session options - CDISMPackageManager"
		    "::ProcessChangesWithOptions(hr:0x800f081f)",
		"2024-01-05 10:05:00, Info                  DISM   DISM.EXE: "
		    "<----- Ending Dism.exe session ----->",
		"2024-01-10 04:02:44, Info                  DISM   PID=6212 "
		    "TID=7420 Scratch directory set to 'C:\\Windows\\TEMP\\'. - "
		    "CDISMManager::put_ScratchDir",
		"2024-01-10 04:02:44, Info                  DISM   DISM.EXE: "
		    "<----- Starting Dism.exe session ----->",
		"2024-01-10 04:02:44, Info                  DISM   DISM.EXE: "
		    "Executing command line: dism.exe /Online /Cleanup-Image "
		    "/RestoreHealth",
		"2024-01-10 04:16:16, Error                 DISM   DISM.EXE: "
		    "Failed to restore the image health. HRESULT=800F081F",
		"2024-01-10 04:16:20, Info                  DISM   DISM.EXE: "
		    "<----- Ending Dism.exe session ----->",
		NULL
	};
	const struct logscan_code	*c;
	struct logscan			*s;
	char				*cbs, *text;
	size_t				 clen, len;

	cbs = join(cbs_store, BOM8, "\r\n", &clen);
	text = join(dism, "", "\r\n", &len);
	s = logscan_new();
	feed(s, "CBS.log", LOGSCAN_CBS, cbs, clen, 100);
	feed(s, "dism.log", LOGSCAN_DISM, text, len, 5);
	logscan_finish(s);
	c = code_of(s, 0x800f081f);
	assert_int_equal(c->count, 3);	/* one CBS, two dism */
	assert_int_equal(c->current, 2); /* CBS's and January's dism */
	assert_int_equal(c->last.log, 1);
	assert_int_equal(c->last.line, 8);
	assert_string_equal(s->dism.command,
	    "dism.exe /Online /Cleanup-Image /RestoreHealth");
	assert_string_equal(s->dism.time, "2024-01-10 04:02:44");
	assert_int_equal(s->dism.outcome, LOGSCAN_FAILED);
	assert_int_equal(s->dism.hr, 0x800f081f);
	assert_int_equal(s->logs[1].lines, 9);
	logscan_free(s);
	free(text);
	free(cbs);
}

/* A CheckSUR summary: undated lines that continue the dated one. */
static void
test_checksur(void **state)
{
	static const char *const lines[] = {
		"2024-01-10 05:00:00, Info                  CBS    Checking "
		    "System Update Readiness.",
		"(p)\tCSI Payload Corrupt\t\t\t(n)\t    \tamd64_microsoft-"
		    "windows-a..modernappmanagement_31bf3856ad364e35_10.0.19041."
		    "3636_none_23b3b3ece690d77b\\EnterpriseModernAppMgmtCSP.dll",
		"\t(p)\tCBS MUM Missing\t\t\t\t(n)\t\t\tMicrosoft-Windows-"
		    "Client-Features-Package~31bf3856ad364e35~amd64~~10.0.19041."
		    "4291",
		"\t(p)\tCSI Manifest Corrupt\t\t(w)\t(Fixed)\twow64_microsoft-"
		    "windows-audio-mmecore-acm_31bf3856ad364e35_10.0.19041.1_"
		    "none_a12b40f4b4c7b751",
		"    (p)\tCSI Manifest Corrupt\t    (n)\t\t\twow64_microsoft-"
		    "windows-audio-volumecontrol_31bf3856ad364e35_10.0.19041."
		    "3636_none_4514b27cf12f35d5",
		"Summary:",
		"Operation: Detect and Repair ",
		"Operation result: 0x800f081f",
		"Total Detected Corruption:\t4",
		NULL
	};
	struct logscan	*s;
	size_t		 len, i;
	char		*text;

	text = join(lines, "", "\r\n", &len);
	s = scan_one("CBS.log", LOGSCAN_CBS, text, len, 0);
	assert_int_equal(s->counts[LOGSCAN_EV_STORE_CORRUPT], 3);
	assert_int_equal(s->nevents, 4);
	for (i = 0; i < 3; i++)
		assert_string_equal(s->events[i].time, "2024-01-10 05:00:00");
	assert_int_equal(s->events[0].line, 2);
	assert_string_equal(s->events[0].file, "amd64_microsoft-windows-a.."
	    "modernappmanagement_31bf3856ad364e35_10.0.19041.3636_none_"
	    "23b3b3ece690d77b\\EnterpriseModernAppMgmtCSP.dll");
	assert_string_equal(s->events[1].package, "Microsoft-Windows-Client-"
	    "Features-Package~31bf3856ad364e35~amd64~~10.0.19041.4291");
	assert_int_equal(s->events[2].line, 5);
	assert_string_equal(s->events[2].file, "wow64_microsoft-windows-"
	    "audio-volumecontrol_31bf3856ad364e35_10.0.19041.3636_none_"
	    "4514b27cf12f35d5");
	assert_int_equal(s->events[3].kind, LOGSCAN_EV_FAILURE);
	assert_int_equal(s->events[3].hr, 0x800f081f);
	assert_int_equal(code_of(s, 0x800f081f)->count, 1);
	logscan_free(s);
	assert_piece_independent("CBS.log", LOGSCAN_CBS, text, len);
	free(text);
}

static void
test_names(void **state)
{
	assert_string_equal(logscan_hresult_name(0x80073712),
	    "ERROR_SXS_COMPONENT_STORE_CORRUPT");
	assert_string_equal(logscan_hresult_name(0x8007000d),
	    "ERROR_INVALID_DATA");
	assert_string_equal(logscan_hresult_name(0x800f081f),
	    "CBS_E_SOURCE_MISSING");
	assert_string_equal(logscan_hresult_name(0x800f0823),
	    "CBS_E_NEW_SERVICING_STACK_REQUIRED");
	assert_string_equal(logscan_hresult_name(0x80071ab1),
	    "ERROR_LOG_GROWTH_FAILED");
	assert_string_equal(logscan_hresult_name(0x800719e4),
	    "ERROR_LOG_FULL");
	assert_string_equal(logscan_hresult_name(0x80240439),
	    "WU_E_PT_INVALID_FORMAT");
	assert_string_equal(logscan_hresult_name(0x800f0922),
	    "CBS_E_INSTALLERS_FAILED");
	assert_string_equal(logscan_hresult_name(0x80070005),
	    "E_ACCESSDENIED");
	assert_null(logscan_hresult_name(0x80041234));
	assert_true(logscan_hr_failed(0x80073712));
	assert_false(logscan_hr_failed(0x80070bc2));
	assert_false(logscan_hr_failed(0));

	/* Local time to UTC: a PC at UTC+1 has ActiveTimeBias -60. */
	assert_int_equal(logscan_time_utc("2024-01-10 03:07:44", -60),
	    1704856064 - 3600);
	assert_int_equal(logscan_time_utc("2024-01-10 03:07:44", 0),
	    1704856064);
	assert_int_equal(logscan_time_utc("2024-01-10", 0), -1);
	assert_int_equal(logscan_time_utc("", 0), -1);
}

/* Volume scans on the directory backend. */

static void
put(const char *root, const char *rel, const void *buf, size_t len)
{
	char	*path, *p;

	path = xprintf("%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			fail_msg("mkdir %s: %s", path, strerror(errno));
		*p = '/';
	}
	assert_int_equal(file_write_all(path, buf, len, NULL), 0);
	free(path);
}

static struct vol *
open_dir(const char *root)
{
	struct vol_where	 w;
	struct vol		*vol;
	unsigned		 st;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = root;
	w.is_dir = 1;
	if (vol_open(&w, VOL_RDONLY, &vol, &st, &cause) != 0)
		fail_msg("vol_open %s: %s", root, cause);
	return vol;
}

static const char cab_log[] =
    "2023-12-14 23:59:00, Info                  CBS    Failed to extract "
    "package from cabinet: \\\\?\\C:\\Windows\\SoftwareDistribution\\"
    "Download\\0f2c\\Windows10.0-KB5033372-x64.cab [HRESULT = 0x80070570 - "
    "ERROR_FILE_CORRUPT]\r\n";

static const char cbs_now[] =
    "2024-01-10 03:08:41, Error                 CBS    Failed to perform "
    "operation.  [HRESULT = 0x80071ab1 - ERROR_LOG_GROWTH_FAILED]\n";
static const char persist_old[] =
    "2023-11-30 23:00:00, Error                 CSI    0000013a (F) "
    "HRESULT_FROM_WIN32(ERROR_LOG_FULL) #2871411# from Windows::Rtl::"
    "SystemImplementation::DirectRegistryProvider::SysSetValue(...)"
    "[gle=0x800719e4]\n";
static const char cbs_later[] =
    "2024-01-11 10:00:00, Error                 CBS    Failed [HRESULT = "
    "0x80070005 - E_ACCESSDENIED]\n";

static void
test_volume(void **state)
{
	const struct logscan	*sh, *sh2;
	struct logscan		*s;
	struct vol		*vol;
	char			*root, *cmd, *cause = NULL, *p;
	time_t			 t;

	root = tmpdir_create("ntmend-logscan", &cause);
	assert_non_null(root);
	put(root, "Windows/Logs/CBS/CBS.log", cbs_now, strlen(cbs_now));
	put(root, "Windows/Logs/CBS/CbsPersist_20231201000000.log", persist_old,
	    strlen(persist_old));
	put(root, "Windows/Logs/CBS/CbsPersist_20231215000000.log", cab_log,
	    strlen(cab_log));
	/* Windows compresses a rotated log into a cab of the same name. */
	cmd = xprintf("cd %s/Windows/Logs/CBS && gcab -cz "
	    "CbsPersist_20231215000000.cab CbsPersist_20231215000000.log "
	    ">/dev/null 2>&1 && rm CbsPersist_20231215000000.log", root);
	/* gcab is what the fixture builder needs too. */
	if (system(cmd) != 0)
		fail_msg("gcab could not make a cab: %s", cmd);
	free(cmd);
	put(root, "Windows/System32/config/TxR.ntmend-20240110-031512/x", "",
	    0);
	put(root, "Windows/System32/config/TxR.ntmend-20240111-000000-2/x", "",
	    0);
	put(root, "Windows/System32/config/TxR.ntmend-garbage/x", "", 0);
	put(root, "Windows/System32/config/TxR/x", "", 0);
	vol = open_dir(root);

	assert_int_equal(logscan_volume(vol, 0, &s, &cause), 0);
	assert_int_equal(s->nlogs, 5);
	assert_string_equal(s->logs[0].path,
	    "Windows\\Logs\\CBS\\CbsPersist_20231201000000.log");
	assert_string_equal(s->logs[1].path, "Windows\\Logs\\CBS\\"
	    "CbsPersist_20231215000000.cab:CbsPersist_20231215000000.log");
	assert_null(s->logs[1].error);
	assert_int_equal(s->logs[1].lines, 1);
	assert_int_equal(s->logs[1].size, strlen(cab_log));
	assert_string_equal(s->logs[2].path, LOGSCAN_CBS_LOG);
	assert_int_equal(s->logs[3].missing, 1);
	assert_string_equal(s->logs[3].path, LOGSCAN_DISM_LOG);
	assert_int_equal(s->logs[4].missing, 1);
	assert_int_equal(s->ncodes, 3);
	assert_int_equal(s->codes[0].hr, 0x800719e4);
	assert_int_equal(s->codes[1].hr, 0x80070570);
	assert_int_equal(code_of(s, 0x80071ab1)->last.log, 2);
	assert_int_equal(s->counts[LOGSCAN_EV_DOWNLOAD], 1);
	assert_int_equal(s->events[1].kind, LOGSCAN_EV_DOWNLOAD);
	assert_string_equal(s->events[1].file, "\\\\?\\C:\\Windows\\"
	    "SoftwareDistribution\\Download\\0f2c\\Windows10.0-"
	    "KB5033372-x64.cab");
	logscan_free(s);

	/* Diagnosis reads the newest rotated log only. */
	assert_int_equal(logscan_volume(vol, LOGSCAN_RECENT, &s, &cause), 0);
	assert_int_equal(s->nlogs, 4);
	assert_int_equal(s->ncodes, 2);
	assert_int_equal(s->codes[0].hr, 0x80070570);
	assert_int_equal(s->codes[s->ncodes - 1].hr, 0x80071ab1);
	logscan_free(s);

	/* Shared while the logs are the same files. */
	sh = logscan_shared(vol, &cause);
	assert_non_null(sh);
	assert_ptr_equal(logscan_shared(vol, &cause), sh);
	vol_close(vol);
	p = xprintf("%s/Windows/Logs/CBS/CBS.log", root);
	assert_int_equal(file_write_all(p, cbs_later, strlen(cbs_later), NULL),
	    0);
	free(p);
	vol = open_dir(root);
	sh2 = logscan_shared(vol, &cause);
	assert_non_null(sh2);
	assert_int_equal(sh2->codes[sh2->ncodes - 1].hr, 0x80070005);

	/* Moved aside: the newest well-named sibling counts. */
	t = logscan_aside_time(vol, "Windows\\System32\\config\\TxR");
	assert_int_equal(t, 1704931200);	/* 2024-01-11 00:00:00 UTC */
	assert_int_equal(logscan_aside_time(vol, "Windows\\System32\\config\\"
	    "SAM"), 0);
	p = logscan_aside_path(vol, "Windows\\System32\\config\\TxR",
	    1704856512);			/* 2024-01-10 03:15:12 UTC */
	assert_string_equal(p, "Windows\\System32\\config\\TxR.ntmend-"
	    "20240110-031512-2");
	free(p);
	p = logscan_aside_path(NULL, "Windows\\SoftwareDistribution",
	    1704856512);
	assert_string_equal(p, "Windows\\SoftwareDistribution.ntmend-"
	    "20240110-031512");
	free(p);
	vol_close(vol);
	tmpdir_remove(root);
	free(root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cbs_store_corrupt),
		cmocka_unit_test(test_cbs_success_makes_history),
		cmocka_unit_test(test_cbs_unfinished),
		cmocka_unit_test(test_reporting_events_utf16),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_junk),
		cmocka_unit_test(test_dism),
		cmocka_unit_test(test_checksur),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_volume),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
