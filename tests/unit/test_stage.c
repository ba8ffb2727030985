/*
 * test_stage: the next-boot queue's parts on their own: build families
 * and applicability, the queue file, the runner's text, the runner's
 * results read back, exit codes named, and stage_expand on cabinets made
 * with gcab (an .msu with an SSU and an LCU; hostile and cut ones) and on
 * every testdata cabinet.
 */

#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <glob.h>

#include <cmocka.h>

#include "packages/packages.h"
#include "util/util.h"

static char	*dir;

static void
sh(const char *fmt, ...)
{
	va_list	 ap;
	char	*cmd;
	int	 rc;

	va_start(ap, fmt);
	xvasprintf(&cmd, fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fail_msg("command failed (%d): %s", rc, cmd);
	free(cmd);
}

static const char *
testdata(void)
{
	const char	*t = getenv("NTM_TESTDATA");

	return t != NULL ? t : "../shared/testdata";
}

static int
setup(void **state)
{
	dir = tmpdir_create("ntmend-test-stage", NULL);
	return dir == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	tmpdir_remove(dir);
	free(dir);
	return 0;
}

/* Packages as tests/integration/stage-pkgs.sh makes them. */
static void
make_packages(void)
{
	sh("cd '%s' && T='%s' && . \"${NTM_TOP:-.}/tests/integration/"
	    "stage-pkgs.sh\" && sp_ssu \"$T/SSU-19041.3920-x64.cab\" 19041 3920 "
	    "amd64 && sp_lcu \"$T/Windows10.0-KB5034122-x64.cab\" 19041 3930 "
	    "3920 amd64 KB5034122 && sp_msu \"$T/kb5034122.msu\" "
	    "Windows10.0-KB5034122-x64 \"$T/SSU-19041.3920-x64.cab\" "
	    "\"$T/Windows10.0-KB5034122-x64.cab\" && sp_lcu \"$T/w11.cab\" "
	    "22621 3007 0 amd64 KB5034123 >/dev/null", dir, dir);
}

static void
test_families(void **state)
{
	const char	*name;

	assert_int_equal(stage_build_family(19045, &name), 19041);
	assert_string_equal(name, "Windows 10 2004-22H2, builds 19041-19045");
	assert_int_equal(stage_build_family(19041, NULL), 19041);
	assert_int_equal(stage_build_family(22631, NULL), 22621);
	assert_int_equal(stage_build_family(22621, NULL), 22621);
	assert_int_equal(stage_build_family(22000, NULL), 22000);
	assert_int_equal(stage_build_family(26200, NULL), 26100);
	assert_int_equal(stage_build_family(17763, NULL), 17763);
	assert_int_equal(stage_build_family(12345, &name), 12345);
	assert_null(name);
}

static void
test_expand_msu(void **state)
{
	struct stage_expand	*x;
	struct stage_package	*p;
	const char *const	*notes;
	const char		*files[1];
	char			*path, *cause = NULL;
	size_t			 n;

	make_packages();
	path = xprintf("%s/kb5034122.msu", dir);
	files[0] = path;
	if (stage_expand(files, 1, &x, &cause) != 0)
		fail_msg("stage_expand: %s", cause);
	p = stage_expand_packages(x, &n);
	assert_int_equal(n, 2);
	assert_string_equal(p[0].member, "SSU-19041.3920-x64.cab");
	assert_int_equal(p[0].role, STAGE_SSU);
	assert_string_equal(p[0].ss_provides, "10.0.19041.3920");
	assert_int_equal(p[0].build, 19041);
	assert_int_equal(p[1].role, STAGE_LCU);
	assert_string_equal(p[1].kb, "KB5034122");
	assert_string_equal(p[1].mum->ss_required, "10.0.19041.3920");
	assert_string_equal(p[1].identity, "Package_for_RollupFix~"
	    "31bf3856ad364e35~amd64~~19041.3930.1.7");
	assert_int_equal(strlen(p[1].sha256), 64);
	notes = stage_expand_notes(x, &n);
	assert_int_equal(n, 1);
	assert_non_null(strstr(notes[0], "WSUSSCAN.cab"));

	/* Applicability: the family, the architecture, both named. */
	assert_int_equal(stage_applies(&p[1], 19045, "amd64", NULL), 0);
	assert_int_equal(stage_applies(&p[1], 22631, "amd64", &cause), -1);
	assert_non_null(strstr(cause, "is for build 19041"));
	assert_non_null(strstr(cause, "the target is build 22631"));
	free(cause);
	assert_int_equal(stage_applies(&p[1], 19045, "arm64", &cause), -1);
	assert_non_null(strstr(cause, "is for amd64, the target is arm64"));
	free(cause);
	stage_expand_free(x);
	free(path);
}

static void
test_expand_refused(void **state)
{
	struct stage_expand	*x;
	const char		*files[1];
	char			*path, *cause = NULL;
	glob_t			 g;
	size_t			 i;

	make_packages();
	/* Cut short: the header's cbCabinet beyond the end. */
	sh("head -c 30000 '%s/kb5034122.msu' >'%s/cut.msu'", dir, dir);
	path = xprintf("%s/cut.msu", dir);
	files[0] = path;
	assert_int_equal(stage_expand(files, 1, &x, &cause), -1);
	assert_null(x);
	assert_non_null(strstr(cause, "is cut short"));
	free(cause);
	free(path);
	/* Not a package: a cabinet of plain files. */
	sh("cd '%s' && echo x >a.txt && gcab -c plain.cab a.txt", dir);
	path = xprintf("%s/plain.cab", dir);
	files[0] = path;
	assert_int_equal(stage_expand(files, 1, &x, &cause), -1);
	assert_non_null(strstr(cause, "not an update package"));
	free(cause);
	free(path);
	/* Every testdata cabinet: refused, with a cause, no crash. */
	path = xprintf("%s/cab/*/*.cab", testdata());
	assert_int_equal(glob(path, 0, NULL, &g), 0);
	assert_true(g.gl_pathc > 50);
	for (i = 0; i < g.gl_pathc; i++) {
		files[0] = g.gl_pathv[i];
		cause = NULL;
		if (stage_expand(files, 1, &x, &cause) == 0)
			fail_msg("%s accepted", g.gl_pathv[i]);
		assert_non_null(cause);
		assert_null(strchr(cause, '\n'));
		free(cause);
	}
	globfree(&g);
	free(path);
}

static void
test_queue_roundtrip(void **state)
{
	struct stage_queue	 q, r;
	struct stage_entry	*e;
	char			*text, *text2, *cause = NULL;
	size_t			 len, len2;

	memset(&q, 0, sizeof q);
	q.gen = 4;
	q.next_id = 7;
	stage_queue_add_command(&q, "DISM /Online /Cleanup-Image "
	    "/RestoreHealth");
	q.entries = xreallocarray(q.entries, q.n + 2, sizeof *q.entries);
	e = &q.entries[q.n++];
	memset(e, 0, sizeof *e);
	e->id = q.next_id++;
	e->role = STAGE_LCU;
	e->file = xstrdup("08-Windows10.0-KB5034122-x64.cab");
	e->size = 1234;
	memset(e->sha256, 'a', 64);
	e->identity = xstrdup("Package_for_RollupFix~31bf3856ad364e35~amd64~~"
	    "19041.3930.1.7");
	e->arch = xstrdup("amd64");
	e->build = 19041;
	e->ss_required = xstrdup("10.0.19041.3920");
	e->source = xstrdup("D:\\x.msu");
	e = &q.entries[q.n++];
	memset(e, 0, sizeof *e);
	e->id = q.next_id++;
	e->role = STAGE_SSU;
	e->file = xstrdup("09-SSU-19041.3920-x64.cab");
	memset(e->sha256, 'b', 64);
	e->ss_provides = xstrdup("10.0.19041.3920");
	stage_queue_sort(&q);
	assert_int_equal(q.entries[0].role, STAGE_SSU);
	assert_int_equal(q.entries[1].role, STAGE_LCU);
	assert_int_equal(q.entries[2].role, STAGE_COMMAND);
	text = stage_queue_format(&q, &len);
	if (stage_queue_parse(text, len, &r, &cause) != 0)
		fail_msg("parse: %s", cause);
	assert_int_equal(r.gen, 4);
	assert_int_equal(r.next_id, 10);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.entries[1].ss_required, "10.0.19041.3920");
	assert_null(r.entries[1].kb);
	text2 = stage_queue_format(&r, &len2);
	assert_string_equal(text, text2);
	assert_int_equal(stage_queue_remove(&r, 7), 0);
	assert_int_equal(stage_queue_remove(&r, 7), -1);
	assert_int_equal(r.n, 2);
	free(text2);
	stage_queue_free(&r);
	/* A line that is not ntmend's, or a file name cmd.exe would read,
	 * refuses the whole file. */
	assert_int_equal(stage_queue_parse("gen\t1\nbogus\t1\n", 14, &r,
	    &cause), -1);
	assert_non_null(strstr(cause, "line 2"));
	free(cause);
	free(text);
	text = xstrdup("package\t1\tlcu\ta&b.cab\t1\taaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\t-\t-\t-\t0\t-\t-\t-\n");
	assert_int_equal(stage_queue_parse(text, strlen(text), &r, NULL), -1);
	free(text);
	stage_queue_free(&q);
}

static void
test_commands(void **state)
{
	assert_int_equal(stage_command_check("DISM /Online /Cleanup-Image "
	    "/RestoreHealth", NULL), 0);
	assert_int_equal(stage_command_check("sfc /scannow & echo \"a b\"",
	    NULL), 0);
	assert_int_equal(stage_command_check("a\r\nb", NULL), -1);
	assert_int_equal(stage_command_check("echo \"x", NULL), -1);
	assert_int_equal(stage_command_check("   ", NULL), -1);
}

static void
test_runner(void **state)
{
	struct stage_queue	 q;
	char			*r, *a, *b, *c, *reset, *giveup;
	size_t			 len;

	memset(&q, 0, sizeof q);
	q.gen = 3;
	q.next_id = 1;
	stage_queue_add_command(&q, "DISM /Online /Cleanup-Image "
	    "/RestoreHealth");
	q.entries = xreallocarray(q.entries, 2, sizeof *q.entries);
	memset(&q.entries[1], 0, sizeof q.entries[1]);
	q.entries[1].id = q.next_id++;
	q.entries[1].role = STAGE_SSU;
	q.entries[1].file = xstrdup("02-SSU.cab");
	q.n = 2;
	stage_queue_sort(&q);
	r = stage_runner(&q, &len);
	assert_int_equal(strlen(r), len);
	assert_memory_equal(r, "@echo off\r\n", 11);
	assert_null(strstr(r, "\n\n"));
	assert_non_null(strstr(r, "set \"GEN=3\"\r\n"));
	a = strstr(r, "/PackagePath:\"%Q%02-SSU.cab\" /NoRestart /Quiet <nul");
	b = strstr(r, "cmd.exe /d /s /c \"DISM /Online /Cleanup-Image "
	    "/RestoreHealth\" <nul");
	c = strstr(r, "if %N% GTR 3 goto giveup");
	giveup = strstr(r, ":giveup\r\n");
	reset = strstr(r, ":reset\r\n");
	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	assert_non_null(reset);
	/* Attempts are counted first; the SSU before the command; every
	 * way out goes through :reset, which puts both values back. */
	assert_true(c < a && a < b && b < giveup && giveup < reset);
	assert_non_null(strstr(reset, "SetupType /t REG_DWORD /d 0 /f"));
	assert_non_null(strstr(reset, "CmdLine /t REG_SZ /d \"\" /f"));
	/* Nothing leaves before :reset. */
	assert_true(strstr(r, "exit /b") > reset);
	assert_null(strstr(r, "goto :eof"));
	free(r);
	stage_queue_free(&q);
}

static void
test_results(void **state)
{
	struct stage_results	 res;
	const char		*text =
	    "attempt\t1\t1\tTue 01/09/2024 10:00:00.00\r\n"
	    "attempt\t2\t1\t01/10/2024  3:07:44.12\r\n"
	    "start\t2\t1\t01\t01/10/2024  3:07:45.00\r\n"
	    "end\t2\t1\t01\t0\t01/10/2024  3:09:01.50\r\n"
	    "start\t2\t1\t02\t01/10/2024  3:09:02.00\r\n"
	    "attempt\t2\t2\t01/10/2024  3:20:10.00\r\n"
	    "start\t2\t2\t02\t01/10/2024  3:20:11.00\r\n"
	    "end\t2\t2\t02\t-2146498525\t01/10/2024  3:30:00.00\r\n"
	    "finished\t2\t2\t01/10/2024  3:30:01.00\r\n"
	    "reset\t2\t2\t0\t0\t01/10/2024  3:30:02.00\r\n"
	    "garbage line\r\n";

	assert_int_equal(stage_results_parse(text, strlen(text), 2, &res,
	    NULL), 0);
	assert_int_equal(res.attempts, 2);
	assert_int_equal(res.finished, 1);
	assert_int_equal(res.gave_up, 0);
	assert_int_equal(res.reset, 1);
	assert_int_equal(res.reset_rc, 0);
	assert_int_equal(res.other_gens, 1);
	assert_int_equal(res.bad_lines, 1);
	assert_int_equal(res.nsteps, 2);
	assert_int_equal(res.steps[1].id, 2);
	assert_int_equal(res.steps[1].attempts, 2);
	assert_int_equal(res.steps[1].rc, -2146498525);
	assert_string_equal(res.last_time, "01/10/2024  3:30:02.00");
	stage_results_free(&res);
}

static void
test_exit_names(void **state)
{
	char	*s;

	s = stage_exit_describe(0);
	assert_string_equal(s, "0 (success)");
	free(s);
	s = stage_exit_describe(3010);
	assert_string_equal(s, "3010 (ERROR_SUCCESS_REBOOT_REQUIRED)");
	free(s);
	s = stage_exit_describe(-2146498529);
	assert_string_equal(s, "0x800f081f (CBS_E_SOURCE_MISSING)");
	free(s);
	s = stage_exit_describe(-2146498525);
	assert_string_equal(s, "0x800f0823 (CBS_E_NEW_SERVICING_STACK_"
	    "REQUIRED)");
	free(s);
	s = stage_exit_describe(87);
	assert_string_equal(s, "87 (ERROR_INVALID_PARAMETER)");
	free(s);
	assert_true(stage_exit_ok(3010));
	assert_false(stage_exit_ok(-2146498529));
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_families),
		cmocka_unit_test_setup_teardown(test_expand_msu, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_expand_refused, setup,
		    teardown),
		cmocka_unit_test(test_queue_roundtrip),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_runner),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_exit_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
