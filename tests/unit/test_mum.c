/*
 * test_mum.c: the package manifest (.mum) parser, on the real manifests
 * in testdata/mum (as published and as Windows writes them: BOM, CRLF),
 * on every truncation of them, and on hostile input: empty, zeros, not
 * XML, entity bombs, external entities, deep nesting, oversized lists.
 *
 * Expected identity fields were read from the files with xmllint (XPath
 * on /assembly/assemblyIdentity and /assembly/package), not taken from
 * mum.c's output.
 */

#include <sys/types.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "packages/packages.h"
#include "util/util.h"

static const char *
testdata(void)
{
	const char	*s = getenv("NTM_TESTDATA");

	return s != NULL ? s : "../shared/testdata";
}

/* Read testdata/mum/NAME; caller frees. */
static uint8_t *
mum_file(const char *name, size_t *len)
{
	char	*path, *cause = NULL;
	void	*buf;

	path = xprintf("%s/mum/%s", testdata(), name);
	if (file_read_all(path, 1 << 20, &buf, len, &cause) != 0)
		fail_msg("%s", cause);
	free(path);
	return buf;
}

/* What xmllint shows for each file (NULL: attribute absent). */
struct expect {
	const char	*file;
	const char	*name, *version, *arch, *language, *token;
	const char	*build_type;
	const char	*package_id, *release_type, *restart;
	size_t		 nupdates, nparents, ncaps;
	const char	*parent_disposition, *parent_integrate, *parent_name;
	const char	*first_member;	/* update 0's first member */
	enum mum_member_kind first_kind;
	const char	*cap;		/* first capability */
	int		 custom_info;
};

#define TOKEN	"31bf3856ad364e35"

static const struct expect expects[] = {
	{ "UFCase_pkg_cap.mum.xml",
	  "Microsoft-Windows-LanguageFeatures-Fonts-Jpan-Package",
	  "10.0.22621.2359", "amd64", "neutral", TOKEN, "release",
	  "KB777778", "OnDemand Pack", NULL, 1, 0, 1, NULL, NULL, NULL,
	  "Microsoft-Windows-LanguageFeatures-Fonts-Jpan-Deployment",
	  MUM_MEMBER_COMPONENT, "Language.Fonts.Jpan", 0 },
	{ "UFCase_pkg_comp.mum.xml",
	  "Microsoft-Windows-Security-SPP-Component-SKU-Professional-License-"
	  "Package", "10.0.22621.2359", "amd64", "neutral", TOKEN, "release",
	  "Microsoft-Windows-Security-SPP-Component-SKU-Professional-License-"
	  "Package", "Feature Pack", NULL, 1, 0, 0, NULL, NULL, NULL,
	  "Microsoft-Windows-Security-SPP-Component-SKU-Professional-License-"
	  "Deployment", MUM_MEMBER_COMPONENT, NULL, 0 },
	{ "UFCase_pkg_cusinfo.mum.xml", "Microsoft-Windows-SenseClient-Package",
	  "10.0.22621.2359", "amd64", "neutral", TOKEN, "release",
	  "Microsoft-Windows-SenseClient", "Feature Pack", NULL, 1, 0, 0,
	  NULL, NULL, NULL, "Microsoft-Windows-SenseClient-Deployment",
	  MUM_MEMBER_COMPONENT, NULL, 1 },
	{ "UFCase_pkg_driver.mum.xml",
	  "Microsoft-Windows-Ethernet-Client-Intel-E1i68x64-FOD-Package",
	  "10.0.22621.2359", "amd64", "neutral", TOKEN, "release",
	  "KB777778", "OnDemand Pack", NULL, 1, 1, 1, "detect", "separate",
	  "Microsoft-Windows-Client-Features-Package", "dual_net1ic64.inf",
	  MUM_MEMBER_DRIVER, "Microsoft.Windows.Ethernet.Client.Intel."
	  "E1i68x64", 1 },
	{ "UFCase_pkg_extended.mum.xml",
	  "Microsoft-Windows-PowerShell-ISE-FOD-Package", "10.0.22621.1",
	  "amd64", "zh-CN", TOKEN, "release",
	  "Microsoft-Windows-PowerShell-ISE-FOD-zh-CN", "OnDemand Pack", NULL,
	  1, 0, 1, NULL, NULL, NULL,
	  "Microsoft-Windows-PowerShell-ISE-FOD-Deployment-LanguagePack",
	  MUM_MEMBER_COMPONENT, "Microsoft.Windows.PowerShell.ISE", 1 },
	{ "UFCase_pkg_langpack.mum.xml",
	  "Microsoft-Windows-SearchEngine-Client-Package", "10.0.22621.1485",
	  "amd64", "zh-CN", TOKEN, "release",
	  "Microsoft-Windows-SearchEngine-Client-zh-CN", "Language Pack", NULL,
	  3, 1, 0, "detect", NULL,
	  "Microsoft-Windows-SearchEngine-Client-Package",
	  "Microsoft-Windows-SearchEngine-Client-Package-onecoreuap-Package",
	  MUM_MEMBER_PACKAGE, NULL, 0 },
	{ "UFCase_pkg_parent.mum.xml",
	  "Microsoft-Windows-SearchEngine-Client-Package", "10.0.22621.2359",
	  "amd64", "neutral", TOKEN, "release",
	  "Microsoft-Windows-SearchEngine-Client", "Feature Pack", "required",
	  3, 1, 0, NULL, "delegate", "Microsoft-Windows-Foundation-Package",
	  "Microsoft-Windows-SearchEngine-Client-Package-onecoreuap-Package",
	  MUM_MEMBER_PACKAGE, NULL, 0 },
};
#define NEXPECTS	(sizeof expects / sizeof expects[0])

static void
assert_str(const char *what, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what,
		    got ? got : "(null)", want ? want : "(null)");
}

static void
check_expect(const struct expect *e, const struct mum *m)
{
	assert_str("name", m->identity.name, e->name);
	assert_str("version", m->identity.version, e->version);
	assert_str("arch", m->identity.arch, e->arch);
	assert_str("language", m->identity.language, e->language);
	assert_str("token", m->identity.token, e->token);
	assert_str("buildType", m->identity.build_type, e->build_type);
	assert_str("identifier", m->package_id, e->package_id);
	assert_str("releaseType", m->release_type, e->release_type);
	assert_str("restart", m->restart, e->restart);
	assert_int_equal(m->nupdates, e->nupdates);
	assert_int_equal(m->nparents, e->nparents);
	assert_int_equal(m->ncapabilities, e->ncaps);
	assert_int_equal(m->custom_info, e->custom_info);
	assert_int_equal(m->dropped, 0);
	assert_null(m->ss_required);
	if (e->nparents > 0) {
		assert_int_equal(m->parents[0].nids, 1);
		assert_str("parent disposition", m->parents[0].disposition,
		    e->parent_disposition);
		assert_str("parent integrate", m->parents[0].integrate,
		    e->parent_integrate);
		assert_str("parent name", m->parents[0].ids[0].name,
		    e->parent_name);
	}
	assert_true(m->nupdates > 0);
	assert_int_equal(m->updates[0].first, 0);
	assert_true(m->updates[0].nmembers > 0);
	assert_str("first member", m->members[0].id.name, e->first_member);
	assert_int_equal(m->members[0].kind, e->first_kind);
	if (e->cap != NULL)
		assert_str("capability", m->capabilities[0], e->cap);
}

/* As Windows writes them: UTF-8 BOM and CRLF. */
static uint8_t *
windows_form(const uint8_t *buf, size_t len, size_t *outlen)
{
	uint8_t	*out = xmalloc(len * 2 + 3);
	size_t	 i, n = 0;

	memcpy(out, "\xef\xbb\xbf", 3);
	n = 3;
	for (i = 0; i < len; i++) {
		if (buf[i] == '\n')
			out[n++] = '\r';
		out[n++] = buf[i];
	}
	*outlen = n;
	return out;
}

static void
test_mum_real(void **state)
{
	const struct expect	*e;
	struct mum		*m;
	uint8_t			*buf, *win;
	size_t			 len, wlen, i;
	char			*cause = NULL, *id, *want;

	for (i = 0; i < NEXPECTS; i++) {
		e = &expects[i];
		buf = mum_file(e->file, &len);
		if (mum_parse(buf, len, &m, &cause) != 0)
			fail_msg("%s: %s", e->file, cause);
		check_expect(e, m);
		id = mum_identity_string(&m->identity);
		want = xprintf("%s~%s~%s~%s~%s", e->name, e->token, e->arch,
		    strcmp(e->language, "neutral") == 0 ? "" : e->language,
		    e->version);
		assert_string_equal(id, want);
		free(want);
		free(id);
		mum_free(m);

		win = windows_form(buf, len, &wlen);
		if (mum_parse(win, wlen, &m, &cause) != 0)
			fail_msg("%s (BOM, CRLF): %s", e->file, cause);
		check_expect(e, m);
		mum_free(m);
		free(win);
		free(buf);
	}
}

/* The driver package's update and the parent package's selectable and
 * applicable dispositions, member kinds in order. */
static void
test_mum_updates(void **state)
{
	struct mum	*m;
	uint8_t		*buf;
	size_t		 len;
	char		*cause = NULL;

	buf = mum_file("UFCase_pkg_parent.mum.xml", &len);
	if (mum_parse(buf, len, &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(m->updates[0].name, "SearchEngine-Client-Package");
	assert_true(m->updates[0].selectable);
	assert_string_equal(m->updates[0].disposition, "staged");
	assert_string_equal(m->updates[1].disposition, "detect");
	assert_false(m->updates[1].selectable);
	assert_int_equal(m->nmembers, 3);
	assert_int_equal(m->updates[2].first, 2);
	assert_string_equal(m->members[2].id.name,
	    "Microsoft-Windows-SearchEngine-Client-Package-shell-Package");
	assert_string_equal(m->members[2].id.version, "10.0.22621.2359");
	/* The nested <update name=...> inside detectUpdate is not one. */
	assert_int_equal(m->nupdates, 3);
	mum_free(m);
	free(buf);

	buf = mum_file("UFCase_pkg_driver.mum.xml", &len);
	if (mum_parse(buf, len, &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(m->updates[0].restart, "required");
	assert_string_equal(m->parents[0].build_compare, "GE");
	assert_string_equal(m->parents[0].revision_compare, "GE");
	assert_string_equal(m->display_name,
	    "Intel E1i68x64 Ethernet Networking Driver");
	mum_free(m);
	free(buf);
}

/* An LCU update.mum as the fixture's and Microsoft's: the servicing stack
 * it needs, a Windows 7 style updateComponent, a parent with three
 * identities (Windows 8.1 language packs), a dependency. */
static const char lcu[] =
    "<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n"
    "<assembly xmlns=\"urn:schemas-microsoft-com:asm.v3\" "
    "manifestVersion=\"1.0\" creationTimeStamp=\"2024-01-05T19:02:37Z\">\r\n"
    "<assemblyIdentity name=\"Package_for_RollupFix\" "
    "version=\"19041.3930.1.7\" processorArchitecture=\"amd64\" "
    "language=\"neutral\" publicKeyToken=\"31bf3856ad364e35\"/>\r\n"
    "<package identifier=\"KB5034122\" releaseType=\"Security Update\" "
    "restart=\"possible\" permanence=\"removable\" selfUpdate=\"true\" "
    "applicabilityEvaluation=\"deep\">\r\n"
    "<parent buildCompare=\"EQ\" integrate=\"separate\" "
    "disposition=\"detect\">\r\n"
    "<assemblyIdentity name=\"A-Package\" version=\"6.3.9600.16384\"/>\r\n"
    "<assemblyIdentity name=\"B-Package\" version=\"6.3.9600.16384\"/>\r\n"
    "<assemblyIdentity name=\"C-Package\" version=\"6.3.9600.16384\"/>\r\n"
    "</parent>\r\n"
    "<installerAssembly name=\"Microsoft-Windows-ServicingStack\" "
    "version=\"10.0.19041.3920\" language=\"neutral\" "
    "processorArchitecture=\"amd64\" versionScope=\"nonSxS\" "
    "publicKeyToken=\"31bf3856ad364e35\"/>\r\n"
    "<dependency><dependentAssembly><assemblyIdentity name=\"Dep\" "
    "version=\"1.0.0.0\"/></dependentAssembly></dependency>\r\n"
    "<update name=\"5034122-1_neutral_GDR\">\r\n"
    "<applicable disposition=\"staged\"><updateComponent "
    "elevate=\"distribution\"><assemblyIdentity "
    "name=\"Microsoft-Windows-Sechost\" version=\"10.0.19041.3930\"/>"
    "</updateComponent></applicable>\r\n"
    "<component><assemblyIdentity name=\"Microsoft-Windows-Sechost\" "
    "version=\"10.0.19041.3930\"/></component>\r\n"
    "</update>\r\n</package>\r\n</assembly>\r\n";

static void
test_mum_installer(void **state)
{
	struct mum	*m;
	char		*cause = NULL, *s;

	if (mum_parse(lcu, sizeof lcu - 1, &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(m->ss_required, "10.0.19041.3920");
	assert_int_equal(m->ninstallers, 1);
	assert_string_equal(m->package_id, "KB5034122");
	assert_string_equal(m->release_type, "Security Update");
	assert_string_equal(m->permanence, "removable");
	assert_string_equal(m->self_update, "true");
	assert_string_equal(m->applicability_evaluation, "deep");
	assert_string_equal(m->created, "2024-01-05T19:02:37Z");
	assert_int_equal(m->nparents, 1);
	assert_int_equal(m->parents[0].nids, 3);
	assert_string_equal(m->parents[0].ids[2].name, "C-Package");
	assert_string_equal(m->parents[0].build_compare, "EQ");
	assert_int_equal(m->ndependencies, 1);
	assert_string_equal(m->dependencies[0].name, "Dep");
	assert_int_equal(m->nupdates, 1);
	assert_int_equal(m->updates[0].nmembers, 2);
	assert_string_equal(m->updates[0].disposition, "staged");
	assert_int_equal(m->members[0].kind, MUM_MEMBER_UPDATE_COMPONENT);
	assert_int_equal(m->members[1].kind, MUM_MEMBER_COMPONENT);
	assert_string_equal(mum_member_kind_name(m->members[0].kind),
	    "updateComponent");
	s = mum_identity_string(&m->identity);
	assert_string_equal(s, "Package_for_RollupFix~31bf3856ad364e35~amd64~~"
	    "19041.3930.1.7");
	free(s);
	mum_free(m);
}

/* Offset just past the root's end tag: every shorter prefix is cut. */
static size_t
root_end(const uint8_t *buf, size_t len)
{
	const char	*tag = "</assembly>";
	size_t		 i, n = strlen(tag);

	for (i = len; i >= n; i--) {
		if (memcmp(buf + i - n, tag, n) == 0)
			return i;
	}
	fail_msg("no </assembly>");
	return 0;
}

/* Offset just past the XML declaration "<?xml ...?>". */
static size_t
decl_end(const uint8_t *buf, size_t len)
{
	size_t	i;

	for (i = 0; i + 1 < len; i++) {
		if (buf[i] == '?' && buf[i + 1] == '>')
			return i + 2;
	}
	fail_msg("no XML declaration");
	return 0;
}

static void
assert_one_line(const char *cause)
{
	assert_non_null(cause);
	assert_true(*cause != '\0');
	if (strchr(cause, '\n') != NULL || strchr(cause, '\r') != NULL ||
	    strlen(cause) > 400)
		fail_msg("not one short line: \"%s\"", cause);
}

/* Every truncation of every real manifest (as published and as Windows
 * writes it) is refused with one line; a cut that leaves an open element
 * says "cut short". The field case's FoD manifest was cut in half. */
static void
test_mum_truncate(void **state)
{
	struct mum	*m;
	uint8_t		*buf, *win, *cut;
	size_t		 len, wlen, i, k, end, decl;
	char		*cause;
	clock_t		 t0;

	t0 = clock();
	for (i = 0; i < NEXPECTS; i++) {
		buf = mum_file(expects[i].file, &len);
		win = windows_form(buf, len, &wlen);
		for (k = 0; k < 2; k++) {
			uint8_t	*b = k == 0 ? buf : win;
			size_t	 l = k == 0 ? len : wlen;

			end = root_end(b, l);
			decl = decl_end(b, l);
			for (size_t off = 0; off < end; off++) {
				/* A copy of exactly off bytes, so ASan sees
				 * any read past the end. */
				cut = xmalloc(off > 0 ? off : 1);
				memcpy(cut, b, off);
				cause = NULL;
				if (mum_parse(cut, off, &m, &cause) == 0)
					fail_msg("%s cut at %zu parsed",
					    expects[i].file, off);
				assert_null(m);
				assert_one_line(cause);
				/* Past the XML declaration a cut is named a
				 * cut (inside it, libxml2's words about the
				 * declaration). */
				if (off >= decl && strncmp(cause,
				    "cut short: ", 11) != 0)
					fail_msg("%s cut at %zu: \"%s\"",
					    expects[i].file, off, cause);
				if (off == 0)
					assert_string_equal(cause,
					    "empty (0 bytes)");
				free(cause);
				free(cut);
			}
			/* What follows the root (CRLF) may go. */
			cut = xmalloc(end);
			memcpy(cut, b, end);
			if (mum_parse(cut, end, &m, &cause) != 0)
				fail_msg("%s up to </assembly>: %s",
				    expects[i].file, cause);
			mum_free(m);
			free(cut);
		}
		free(win);
		free(buf);
	}
	/* About 30,000 parses: fast, or a cut makes libxml2 work hard. */
	if ((double)(clock() - t0) / CLOCKS_PER_SEC > 20)
		fail_msg("truncations took %.1f s",
		    (double)(clock() - t0) / CLOCKS_PER_SEC);
}

static void
expect_refused(const void *buf, size_t len, const char *prefix)
{
	struct mum	*m = NULL;
	char		*cause = NULL;

	if (mum_parse(buf, len, &m, &cause) == 0)
		fail_msg("parsed, wanted \"%s...\"", prefix);
	assert_null(m);
	assert_one_line(cause);
	if (strncmp(cause, prefix, strlen(prefix)) != 0)
		fail_msg("cause \"%s\", wanted \"%s...\"", cause, prefix);
	free(cause);
}

static void
test_mum_not_xml(void **state)
{
	static const uint8_t	pe[] = { 'M', 'Z', 0x90, 0, 3, 0, 0, 0, 4, 0,
	    0, 0, 0xff, 0xff };
	uint8_t			*zeros, *tail, *buf;
	size_t			 len;
	char			*cause = NULL;
	struct mum		*m;

	expect_refused("", 0, "empty (0 bytes)");
	zeros = xcalloc(1, 4096);
	expect_refused(zeros, 4096, "4096 bytes, all zero");
	free(zeros);

	/* A real manifest whose last clusters were never written. */
	buf = mum_file("UFCase_pkg_comp.mum.xml", &len);
	tail = xcalloc(1, len + 512);
	memcpy(tail, buf, len / 2);
	expect_refused(tail, len + 512, "");
	if (mum_parse(tail, len + 512, &m, &cause) == 0)
		fail_msg("zero tail parsed");
	if (strstr(cause, "zero from byte") == NULL)
		fail_msg("cause \"%s\"", cause);
	free(cause);
	free(tail);
	free(buf);

	expect_refused(pe, sizeof pe, "not XML: begins with bytes 4d 5a 90 00 "
	    "03 00 00 00 ...");
	expect_refused("  \r\n\t ", 6, "6 bytes of white space, no XML");
	expect_refused("\xef\xbb\xbf" "PK\x03\x04", 7,
	    "not XML: begins with bytes 50 4b 03 04");
	expect_refused("{\"assembly\": 1}", 15, "not XML");
	expect_refused("<html><body>404</body></html>", 29,
	    "the root element is <html>, not <assembly>");
	/* UTF-16 text that is not XML still goes to libxml2 and fails. */
	expect_refused("\xff\xfe<\0a\0", 6, "");
}

static void
test_mum_structure(void **state)
{
	struct mum	*m;
	char		*cause = NULL, *deep, *p;
	const char	*s;
	size_t		 i;

	expect_refused("<assembly/>", 11, "no <assemblyIdentity>");
	s = "<assembly><assemblyIdentity version=\"1\"/><package/></assembly>";
	expect_refused(s, strlen(s), "<assemblyIdentity> has no name");
	s = "<assembly><assemblyIdentity name=\"a\"/><package/></assembly>";
	expect_refused(s, strlen(s), "<assemblyIdentity> has no version");
	s = "<assembly><assemblyIdentity name=\"a\" version=\"1\"/></assembly>";
	expect_refused(s, strlen(s), "no <package> element");
	s = "<assembly><assemblyIdentity name=\"a\" version=\"1\"/><package>"
	    "</assembly>";
	expect_refused(s, strlen(s), "malformed XML at line 1: Opening and "
	    "ending tag mismatch");
	s = "<assembly><assemblyIdentity name=\"a\" version=\"1\"/><package/>"
	    "</assembly><assembly/>";
	expect_refused(s, strlen(s), "malformed XML at line 1: Extra content");

	/* The first identity is the package's. */
	s = "<a:assembly xmlns:a=\"urn:schemas-microsoft-com:asm.v3\">"
	    "<a:assemblyIdentity name=\"first\" version=\"1\"/>"
	    "<a:assemblyIdentity name=\"second\" version=\"2\"/>"
	    "<a:package identifier=\"x\"/></a:assembly>";
	if (mum_parse(s, strlen(s), &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(m->identity.name, "first");
	mum_free(m);

	/* Nesting: NTM_MAX_MUM_DEPTH elements are fine, one more is not. */
	for (i = NTM_MAX_MUM_DEPTH; i <= NTM_MAX_MUM_DEPTH + 1; i++) {
		size_t	k, n = i - 1;	/* below the root */

		deep = xmalloc(64 + n * 20);
		p = deep + sprintf(deep, "<assembly><assemblyIdentity "
		    "name=\"a\" version=\"1\"/><package/>");
		for (k = 0; k < n; k++)
			p += sprintf(p, "<x>");
		for (k = 0; k < n; k++)
			p += sprintf(p, "</x>");
		p += sprintf(p, "</assembly>");
		if (i > NTM_MAX_MUM_DEPTH) {
			expect_refused(deep, (size_t)(p - deep),
			    "elements nested over");
		} else {
			if (mum_parse(deep, (size_t)(p - deep), &m,
			    &cause) != 0)
				fail_msg("%zu deep: %s", i, cause);
			mum_free(m);
		}
		free(deep);
	}
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Billion laughs, quadratic blowup, external entities and DTDs: refused
 * at the DOCTYPE, before any entity is declared, in microseconds. */
static void
test_mum_entities(void **state)
{
	struct timespec	 t0;
	char		*bomb, *p, *cause = NULL;
	struct mum	*m;
	const char	*s;
	size_t		 i, k;

	bomb = xmalloc(8192);
	p = bomb + sprintf(bomb, "<?xml version=\"1.0\"?>\n<!DOCTYPE "
	    "assembly [\n<!ENTITY lol0 \"lol\">\n");
	for (i = 1; i < 10; i++) {
		p += sprintf(p, "<!ENTITY lol%zu \"", i);
		for (k = 0; k < 10; k++)
			p += sprintf(p, "&lol%zu;", i - 1);
		p += sprintf(p, "\">\n");
	}
	p += sprintf(p, "]>\n<assembly><assemblyIdentity name=\"&lol9;\" "
	    "version=\"1\"/><package>&lol9;</package></assembly>\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(bomb, (size_t)(p - bomb), "has a document type "
	    "declaration (<!DOCTYPE>)");
	if (elapsed(&t0) > 0.5)
		fail_msg("billion laughs took %.3f s", elapsed(&t0));

	/* The same bomb after a broken XML declaration: libxml2 is past its
	 * first error (SAX off) when it reaches the DOCTYPE, and still no
	 * entity may be expanded. */
	bomb[19] = (char)0x95;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(bomb, (size_t)(p - bomb), "malformed XML at line 1");
	if (elapsed(&t0) > 0.5)
		fail_msg("bomb after an error took %.3f s", elapsed(&t0));
	free(bomb);

	/* Quadratic blowup: one big entity referenced many times. */
	bomb = xmalloc(300000);
	p = bomb + sprintf(bomb, "<!DOCTYPE assembly [<!ENTITY a \"");
	memset(p, 'a', 100000);
	p += 100000;
	p += sprintf(p, "\">]><assembly>");
	for (i = 0; i < 10000; i++)
		p += sprintf(p, "&a;");
	p += sprintf(p, "</assembly>");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	expect_refused(bomb, (size_t)(p - bomb), "has a document type");
	if (elapsed(&t0) > 0.5)
		fail_msg("quadratic blowup took %.3f s", elapsed(&t0));
	free(bomb);

	/* External entities (XXE), an external DTD, a parameter entity. */
	s = "<?xml version=\"1.0\"?>\n<!DOCTYPE assembly [<!ENTITY xxe SYSTEM "
	    "\"file:///etc/passwd\">]>\n<assembly><assemblyIdentity "
	    "name=\"&xxe;\" version=\"1\"/><package>&xxe;</package>"
	    "</assembly>";
	if (mum_parse(s, strlen(s), &m, &cause) == 0)
		fail_msg("XXE parsed");
	assert_null(strstr(cause, "root:"));
	assert_non_null(strstr(cause, "DOCTYPE"));
	free(cause);
	s = "<!DOCTYPE assembly SYSTEM \"http://127.0.0.1:9/x.dtd\">"
	    "<assembly/>";
	expect_refused(s, strlen(s), "has a document type declaration");
	s = "<!DOCTYPE assembly [<!ENTITY % pe SYSTEM \"file:///etc/passwd\">"
	    "%pe;]><assembly/>";
	expect_refused(s, strlen(s), "has a document type declaration");

	/* Without a DTD an entity is simply undefined. */
	s = "<assembly><assemblyIdentity name=\"a\" version=\"1\"/><package>"
	    "&xxe;</package></assembly>";
	expect_refused(s, strlen(s), "malformed XML at line 1: Entity 'xxe' "
	    "not defined");
	/* The predefined five and character references are fine. */
	s = "<assembly><assemblyIdentity name=\"a&amp;b&#x41;\" "
	    "version=\"1\"/><package identifier=\"&lt;&gt;&quot;&apos;\"/>"
	    "</assembly>";
	if (mum_parse(s, strlen(s), &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_string_equal(m->package_id, "<>\"'");
	mum_free(m);
}

/* A manifest over the size limit is refused before it is read. */
static void
test_mum_limits(void **state)
{
	struct mum	*m;
	char		*buf, *p, *cause = NULL;
	size_t		 i, n = NTM_MAX_MUM_ITEMS + 5;

	expect_refused("<", NTM_MAX_MUM + 1, "67108865 bytes, over the 64 MiB");

	buf = xmalloc(200 + n * 40);
	p = buf + sprintf(buf, "<assembly><assemblyIdentity name=\"a\" "
	    "version=\"1\"/><package>");
	for (i = 0; i < n; i++)
		p += sprintf(p, "<update name=\"u%zu\"/>", i);
	p += sprintf(p, "</package></assembly>");
	if (mum_parse(buf, (size_t)(p - buf), &m, &cause) != 0)
		fail_msg("%s", cause);
	assert_int_equal(m->nupdates, NTM_MAX_MUM_ITEMS);
	assert_int_equal(m->dropped, 5);
	assert_string_equal(m->updates[NTM_MAX_MUM_ITEMS - 1].name, "u65535");
	mum_free(m);
	free(buf);
}

static void
test_mum_versions(void **state)
{
	struct mum_identity	id;
	char			*s;

	assert_true(mum_version_cmp("10.0.19041.3745", "10.0.19041.3920") < 0);
	assert_true(mum_version_cmp("10.0.19041.3920", "10.0.19041.3745") > 0);
	assert_true(mum_version_cmp("10.0.19041.10000", "10.0.19041.9999") >
	    0);
	assert_int_equal(mum_version_cmp("10.0", "10.0.0.0"), 0);
	assert_int_equal(mum_version_cmp("10.0.019041.1", "10.0.19041.1"), 0);
	assert_true(mum_version_cmp(MUM_SS_PLACEHOLDER, "10.0.19041.1") < 0);
	assert_true(mum_version_cmp("19041.3930.1.7", "19041.3803.1.8") > 0);
	assert_true(mum_version_cmp("1.2.x", "1.2.3") > 0);
	assert_true(mum_version_cmp(NULL, "1") < 0);
	assert_int_equal(mum_version_cmp(
	    "99999999999999999999999999.1", "99999999999999999999999999.1"),
	    0);
	assert_true(mum_version_cmp("99999999999999999999999999",
	    "99999999999999999999999998") > 0);

	memset(&id, 0, sizeof id);
	id.name = (char *)"Microsoft-Windows-Printing-PMCPPC-FoD-Package";
	id.token = (char *)TOKEN;
	id.arch = (char *)"amd64";
	id.language = (char *)"zh-CN";
	id.version = (char *)"10.0.19041.1";
	s = mum_identity_string(&id);
	assert_string_equal(s, "Microsoft-Windows-Printing-PMCPPC-FoD-Package~"
	    "31bf3856ad364e35~amd64~zh-CN~10.0.19041.1");
	free(s);
	id.language = (char *)"Neutral";
	s = mum_identity_string(&id);
	assert_string_equal(s, "Microsoft-Windows-Printing-PMCPPC-FoD-Package~"
	    "31bf3856ad364e35~amd64~~10.0.19041.1");
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mum_real),
		cmocka_unit_test(test_mum_updates),
		cmocka_unit_test(test_mum_installer),
		cmocka_unit_test(test_mum_truncate),
		cmocka_unit_test(test_mum_not_xml),
		cmocka_unit_test(test_mum_structure),
		cmocka_unit_test(test_mum_entities),
		cmocka_unit_test(test_mum_limits),
		cmocka_unit_test(test_mum_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
