/*
 * stage.c: the next-boot queue. What applies to the target, the queue
 * kept on the volume (STAGE_QUEUE), the runner script Windows starts
 * before the logon screen, and reading what the runner recorded.
 *
 * The mechanism: Winlogon looks at HKLM\SYSTEM\Setup before it shows the
 * logon screen. With SetupType 1 it runs CmdLine and restarts; with 2 it
 * runs CmdLine as SYSTEM and then goes on to the logon screen; 0 is a
 * normal boot (TechNet "SetupType and CmdLine at HKEY_LOCAL_MACHINE\System
 * \Setup", 2010; KB939857 for the Vista setup hook it comes from).
 * Windows does not look at the exit code and does not put the values back
 * for a CmdLine set by hand: the offline password-reset recipes and MDT's
 * SetupComplete scripts all end with "reg add HKLM\SYSTEM\Setup /v
 * SetupType /d 0" and "/v CmdLine /d """ themselves. A runner that forgot
 * would run at every boot, so ours puts both back on every path out.
 */

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

const char *
stage_role_name(enum stage_role r)
{
	switch (r) {
	case STAGE_SSU:
		return "ssu";
	case STAGE_UPDATE:
		return "update";
	case STAGE_LCU:
		return "lcu";
	case STAGE_COMMAND:
		return "command";
	}
	return "unknown";
}

static int
stage_role_parse(const char *s, enum stage_role *r)
{
	enum stage_role	i;

	for (i = STAGE_SSU; i <= STAGE_COMMAND; i++) {
		if (strcmp(s, stage_role_name(i)) == 0) {
			*r = i;
			return 0;
		}
	}
	return -1;
}

/*
 * Builds that take the same cumulative updates. Windows 10 2004 to 22H2
 * (19041-19045) and Windows 11 22H2/23H2 (22621/22631) are one code base
 * each, switched by an enablement package: their LCUs carry the base
 * build (Package_for_RollupFix ~19041.3930.1.7 installs on 19045). So do
 * 1903/1909 and Windows 11 24H2/25H2.
 */
static const struct stage_family {
	uint32_t	 base, first, last;
	const char	*name;
} stage_families[] = {
	{ 10240, 10240, 10240, "Windows 10 1507" },
	{ 14393, 14393, 14393, "Windows 10 1607 / Server 2016" },
	{ 15063, 15063, 15063, "Windows 10 1703" },
	{ 16299, 16299, 16299, "Windows 10 1709" },
	{ 17134, 17134, 17134, "Windows 10 1803" },
	{ 17763, 17763, 17763, "Windows 10 1809 / Server 2019" },
	{ 18362, 18362, 18363, "Windows 10 1903-1909, builds 18362-18363" },
	{ 19041, 19041, 19045, "Windows 10 2004-22H2, builds 19041-19045" },
	{ 20348, 20348, 20348, "Windows Server 2022" },
	{ 22000, 22000, 22000, "Windows 11 21H2" },
	{ 22621, 22621, 22631, "Windows 11 22H2-23H2, builds 22621-22631" },
	{ 26100, 26100, 26200, "Windows 11 24H2-25H2, builds 26100-26200" },
};

uint32_t
stage_build_family(uint32_t build, const char **name)
{
	size_t	i;

	for (i = 0; i < sizeof stage_families / sizeof stage_families[0];
	    i++) {
		if (build >= stage_families[i].first &&
		    build <= stage_families[i].last) {
			if (name != NULL)
				*name = stage_families[i].name;
			return stage_families[i].base;
		}
	}
	if (name != NULL)
		*name = NULL;
	return build;
}

static char *
build_describe(uint32_t build)
{
	const char	*name;

	stage_build_family(build, &name);
	if (name == NULL)
		return xprintf("build %u", build);
	return xprintf("build %u (%s)", build, name);
}

int
stage_applies(const struct stage_package *p, uint32_t build,
    const char *arch, char **cause)
{
	const char	*parch = p->mum->identity.arch;
	char		*pb, *tb;
	int		 ret;

	if (parch != NULL && strcasecmp(parch, "neutral") != 0) {
		if (arch == NULL)
			return set_cause(cause, "%s is for %s and the target's "
			    "architecture is unknown (no PROCESSOR_"
			    "ARCHITECTURE in SYSTEM); --force if sure",
			    p->name, parch);
		if (strcasecmp(parch, arch) != 0)
			return set_cause(cause, "%s is for %s, the target is %s:"
			    " get the %s package of this update", p->name,
			    parch, arch, arch);
	}
	if (p->build == 0)
		return set_cause(cause, "%s: its version %s names no build, so "
		    "whether it applies cannot be told; --force if sure",
		    p->name, p->mum->identity.version);
	if (build == 0)
		return set_cause(cause, "%s is for build %u and the target's "
		    "build is unknown (no CurrentBuild in SOFTWARE); --force "
		    "if sure", p->name, p->build);
	if (stage_build_family(p->build, NULL) == stage_build_family(build,
	    NULL))
		return 0;
	pb = build_describe(p->build);
	tb = build_describe(build);
	ret = set_cause(cause, "%s (%s %s) is for %s, the target is %s: get "
	    "the update made for build %u", p->name, p->mum->identity.name,
	    p->mum->identity.version, pb, tb, stage_build_family(build, NULL));
	free(pb);
	free(tb);
	return ret;
}

int
stage_installed_stack(struct vol *vol, char **version, char **cause)
{
	struct hive	*h;
	hive_node_h	 node;
	hive_value_h	*vals;
	hive_h		*hx;
	char		*key, *best = NULL;
	size_t		 i;

	*version = NULL;
	if (hive_checkout(vol, hive_volume_path(HIVE_SOFTWARE), &h,
	    cause) != 0)
		return -1;
	/* CBS\Version: one value per installed stack, named by its version,
	 * data its WinSxS folder; the highest is the one in use (cbs.c). */
	if (hive_key_lookup(h, CBS_KEY "\\Version", &node, cause) != 0) {
		hive_close(h);
		return -1;
	}
	hx = hive_handle(h);
	if ((vals = hivex_node_values(hx, node)) != NULL) {
		for (i = 0; vals[i] != 0; i++) {
			if ((key = hivex_value_key(hx, vals[i])) == NULL)
				continue;
			if (*key != '\0' && isdigit((unsigned char)*key) &&
			    (best == NULL || mum_version_cmp(key, best) > 0)) {
				free(best);
				best = key;
			} else
				free(key);
		}
		free(vals);
	}
	hive_close(h);
	if (best == NULL)
		return set_cause(cause, "SOFTWARE %s\\Version names no "
		    "servicing stack", CBS_KEY);
	*version = best;
	return 0;
}

/* queue.txt: "#" comments, then tab-separated records. */

static const char *
field_out(const char *s)
{
	return s != NULL && *s != '\0' ? s : "-";
}

static char *
field_in(const char *s)
{
	return strcmp(s, "-") == 0 ? NULL : xstrdup(s);
}

/* Tabs and line ends would break a record: a host path with them (only
 * ever shown) gets '?'. */
static char *
field_clean(const char *s)
{
	char	*c, *p;

	if (s == NULL)
		return NULL;
	c = xstrdup(s);
	for (p = c; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20)
			*p = '?';
	}
	return c;
}

static void
entry_free(struct stage_entry *e)
{
	free(e->file);
	free(e->identity);
	free(e->kb);
	free(e->arch);
	free(e->ss_required);
	free(e->ss_provides);
	free(e->source);
	free(e->command);
	memset(e, 0, sizeof *e);
}

void
stage_queue_free(struct stage_queue *q)
{
	size_t	i;

	for (i = 0; i < q->n; i++)
		entry_free(&q->entries[i]);
	free(q->entries);
	memset(q, 0, sizeof *q);
}

#define QUEUE_FIELDS	13

int
stage_queue_parse(const void *buf, size_t len, struct stage_queue *q,
    char **cause)
{
	struct stage_entry	*e;
	char			*text, *line, *next, *f[QUEUE_FIELDS], *p;
	unsigned long		 u;
	size_t			 nf, lineno = 0;

	memset(q, 0, sizeof *q);
	q->next_id = 1;
	if (len > NTM_MAX_STAGE_TEXT)
		return set_cause(cause, "%s is larger than %zu bytes",
		    STAGE_QUEUE, NTM_MAX_STAGE_TEXT);
	text = xstrndup(buf, len);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		for (nf = 0, p = line; nf < QUEUE_FIELDS; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) == NULL) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (strcmp(f[0], "gen") == 0 && nf == 2)
			q->gen = (unsigned)strtoul(f[1], NULL, 10);
		else if (strcmp(f[0], "next") == 0 && nf == 2)
			q->next_id = (unsigned)strtoul(f[1], NULL, 10);
		else if ((strcmp(f[0], "package") == 0 && nf == QUEUE_FIELDS) ||
		    (strcmp(f[0], "command") == 0 && nf == 3)) {
			if (q->n >= NTM_MAX_STAGE_QUEUE)
				goto bad;
			q->entries = xreallocarray(q->entries, q->n + 1,
			    sizeof *q->entries);
			e = &q->entries[q->n++];
			memset(e, 0, sizeof *e);
			u = strtoul(f[1], &p, 10);
			if (*p != '\0' || u == 0 || u > 999999)
				goto bad;
			e->id = (unsigned)u;
			if (*f[0] == 'c') {
				e->role = STAGE_COMMAND;
				e->command = xstrdup(f[2]);
				if (stage_command_check(e->command, NULL) != 0)
					goto bad;
				continue;
			}
			if (stage_role_parse(f[2], &e->role) != 0 ||
			    e->role == STAGE_COMMAND || strlen(f[5]) != 64)
				goto bad;
			e->file = xstrdup(f[3]);
			/* The runner quotes it on a cmd.exe line: only the
			 * characters stage-cab.c's names are made of. */
			if (strspn(e->file, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefg"
			    "hijklmnopqrstuvwxyz0123456789._-") !=
			    strlen(e->file) || *e->file == '.')
				goto bad;
			e->size = strtoull(f[4], NULL, 10);
			memcpy(e->sha256, f[5], 65);
			e->identity = field_in(f[6]);
			e->kb = field_in(f[7]);
			e->arch = field_in(f[8]);
			e->build = (uint32_t)strtoul(f[9], NULL, 10);
			e->ss_required = field_in(f[10]);
			e->ss_provides = field_in(f[11]);
			e->source = field_in(f[12]);
			if (e->id >= q->next_id)
				q->next_id = e->id + 1;
		} else
			goto bad;
	}
	free(text);
	stage_queue_sort(q);
	return 0;
bad:
	free(text);
	stage_queue_free(q);
	return set_cause(cause, "%s: line %zu is not understood (the file "
	    "was edited or damaged); 'ntmend undo' the stage journal or "
	    "delete the ntmend\\queue folder", STAGE_QUEUE, lineno);
}

int
stage_queue_read(struct vol *vol, struct stage_queue *q, char **cause)
{
	void	*buf;
	size_t	 len;
	int	 ret;

	memset(q, 0, sizeof *q);
	q->next_id = 1;
	if (!vol_exists(vol, STAGE_QUEUE))
		return 0;
	if (vol_file_read_all(vol, STAGE_QUEUE, NTM_MAX_STAGE_TEXT, &buf, &len,
	    cause) != 0)
		return -1;
	ret = stage_queue_parse(buf, len, q, cause);
	free(buf);
	return ret;
}

char *
stage_queue_format(const struct stage_queue *q, size_t *len)
{
	const struct stage_entry	*e;
	char				*s, *t, *src;
	size_t				 i;

	xasprintf(&s, "# ntmend next-boot queue, in run order: written by "
	    "ntmend, shown by 'ntmend stage ls'\ngen\t%u\nnext\t%u\n", q->gen,
	    q->next_id);
	for (i = 0; i < q->n; i++) {
		e = &q->entries[i];
		if (e->role == STAGE_COMMAND)
			xasprintf(&t, "%scommand\t%u\t%s\n", s, e->id,
			    e->command);
		else {
			src = field_clean(e->source);
			xasprintf(&t, "%spackage\t%u\t%s\t%s\t%llu\t%s\t%s\t%s"
			    "\t%s\t%u\t%s\t%s\t%s\n", s, e->id,
			    stage_role_name(e->role), e->file,
			    (unsigned long long)e->size, e->sha256,
			    field_out(e->identity), field_out(e->kb),
			    field_out(e->arch), e->build,
			    field_out(e->ss_required), field_out(e->ss_provides),
			    field_out(src));
			free(src);
		}
		free(s);
		s = t;
	}
	*len = strlen(s);
	return s;
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct stage_entry	*x = a, *y = b;

	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void
stage_queue_sort(struct stage_queue *q)
{
	if (q->n > 1)
		qsort(q->entries, q->n, sizeof *q->entries, entry_cmp);
}

static struct stage_entry *
queue_new_entry(struct stage_queue *q)
{
	struct stage_entry	*e;

	q->entries = xreallocarray(q->entries, q->n + 1, sizeof *q->entries);
	e = &q->entries[q->n++];
	memset(e, 0, sizeof *e);
	e->id = q->next_id++;
	return e;
}

struct stage_entry *
stage_queue_add_package(struct stage_queue *q, const struct stage_package *p)
{
	struct stage_entry	*e;
	const char		*req = p->mum->ss_required;
	char			*src;

	e = queue_new_entry(q);
	e->role = p->role;
	e->file = xprintf("%02u-%s", e->id, p->name);
	e->size = p->size;
	memcpy(e->sha256, p->sha256, sizeof e->sha256);
	e->identity = field_clean(p->identity);
	e->kb = field_clean(p->kb);
	e->arch = field_clean(p->mum->identity.arch);
	e->build = p->build;
	if (req != NULL && strcmp(req, MUM_SS_PLACEHOLDER) != 0)
		e->ss_required = field_clean(req);
	e->ss_provides = field_clean(p->ss_provides);
	src = xprintf("%s%s%s", p->source, p->member != NULL ? ":" : "",
	    p->member != NULL ? p->member : "");
	e->source = field_clean(src);
	free(src);
	return e;
}

struct stage_entry *
stage_queue_add_command(struct stage_queue *q, const char *command)
{
	struct stage_entry	*e;

	e = queue_new_entry(q);
	e->role = STAGE_COMMAND;
	e->command = xstrdup(command);
	return e;
}

int
stage_queue_remove(struct stage_queue *q, unsigned id)
{
	size_t	i;

	for (i = 0; i < q->n; i++) {
		if (q->entries[i].id == id)
			break;
	}
	if (i == q->n)
		return -1;
	entry_free(&q->entries[i]);
	memmove(&q->entries[i], &q->entries[i + 1], (q->n - i - 1) *
	    sizeof *q->entries);
	q->n--;
	return 0;
}

int
stage_command_check(const char *c, char **cause)
{
	const char	*p;
	size_t		 quotes = 0;

	if (strlen(c) > NTM_MAX_STAGE_COMMAND)
		return set_cause(cause, "the command is longer than %d bytes",
		    NTM_MAX_STAGE_COMMAND);
	if (c[strspn(c, " ")] == '\0')
		return set_cause(cause, "the command is empty");
	for (p = c; *p != '\0'; p++) {
		/* A line end would start a second runner line of its own. */
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return set_cause(cause, "the command has a control "
			    "character (a line end or tab); give one line");
		quotes += *p == '"';
	}
	/* An odd quote would leave the runner's redirections inside a
	 * quoted string. */
	if (quotes % 2 != 0)
		return set_cause(cause, "the command's double quotes are not "
		    "paired");
	return 0;
}

/* Text safe on a "rem" line. */
static char *
rem_text(const char *s)
{
	char	*c, *p;

	c = xstrdup(s != NULL ? s : "-");
	for (p = c; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && strchr(" ._~-", *p) == NULL)
			*p = '_';
	}
	return c;
}

struct runner {
	char	*s;
	size_t	 len;
};

static void runner_line(struct runner *, const char *, ...)
	     NTM_PRINTF(2, 3);

/* Append a line with CRLF: cmd.exe reads LF-only batch files, but labels
 * and goto misbehave in them across 512-byte boundaries. */
static void
runner_line(struct runner *r, const char *fmt, ...)
{
	va_list	 ap;
	char	*line;
	size_t	 n;

	va_start(ap, fmt);
	xvasprintf(&line, fmt, ap);
	va_end(ap);
	n = strlen(line);
	r->s = xrealloc(r->s, r->len + n + 3);
	memcpy(r->s + r->len, line, n);
	r->len += n;
	memcpy(r->s + r->len, "\r\n", 3);
	r->len += 2;
	free(line);
}

/*
 * The runner. Every path ends at :reset; nothing before it can leave the
 * script early (a queued command runs in a child cmd.exe, so its "exit"
 * or "goto" stays there). Steps:
 * - attempts: state\attempts-<gen>.txt counts the boots that started
 *   this generation; over STAGE_MAX_ATTEMPTS it goes straight to reset
 *   (a DISM that hangs or crashes the PC is not retried for ever).
 * - each step once per generation: state\<gen>-<id>.done holds its exit
 *   code, so a run cut short (power lost) goes on after the last step
 *   that finished; the step it was in runs again.
 * - DISM runs with /NoRestart and stdin from nul: without them it asks
 *   "Restart Windows? (Y/N)" and waits for a key nobody can press
 *   before logon.
 * - every start and exit code, with %DATE% %TIME% (local, in the
 *   locale's format), is appended to results.txt, tab-separated.
 * - reset: SetupType 0 and CmdLine "" with reg.exe, their exit codes
 *   recorded; then a restart only when a step returned 3010
 *   (ERROR_SUCCESS_REBOOT_REQUIRED: the LCU finishes installing during
 *   the restart), else Windows goes on to the logon screen.
 */
char *
stage_runner(const struct stage_queue *q, size_t *len)
{
	const struct stage_entry	*e;
	struct runner			 r = { NULL, 0 };
	char				*what;
	size_t				 i;

	runner_line(&r, "@echo off");
	runner_line(&r, "rem ntmend next-boot runner, queue generation "
	    "%u: do not edit, 'ntmend stage' rewrites it.", q->gen);
	runner_line(&r, "rem Windows starts it as SYSTEM before the "
	    "logon screen (HKLM\\SYSTEM\\Setup SetupType=2, CmdLine). Each "
	    "step runs once;");
	runner_line(&r, "rem results.txt gets every start and exit "
	    "code; after %d unfinished boots it gives up; SetupType and",
	    STAGE_MAX_ATTEMPTS);
	runner_line(&r, "rem CmdLine are always put back, and Windows "
	    "restarts only if a package asked for it (3010).");
	runner_line(&r, "setlocal EnableExtensions "
	    "DisableDelayedExpansion");
	runner_line(&r, "set \"Q=%%~dp0\"");
	runner_line(&r, "set \"GEN=%u\"", q->gen);
	runner_line(&r, "set \"DISM=%%SystemRoot%%\\System32\\Dism.exe\"");
	runner_line(&r, "set \"REBOOT=0\"");
	runner_line(&r, "if not exist \"%%Q%%state\\\" mkdir "
	    "\"%%Q%%state\"");
	runner_line(&r, "set \"N=0\"");
	runner_line(&r, "if exist \"%%Q%%state\\attempts-%%GEN%%.txt\" "
	    "set /p N=<\"%%Q%%state\\attempts-%%GEN%%.txt\"");
	runner_line(&r, "set /a N=N+1");
	runner_line(&r, ">\"%%Q%%state\\attempts-%%GEN%%.txt\" echo "
	    "%%N%%");
	runner_line(&r, ">>\"%%Q%%results.txt\" echo attempt\t%%GEN%%\t"
	    "%%N%%\t%%DATE%% %%TIME%%");
	runner_line(&r, "if %%N%% GTR %d goto giveup",
	    STAGE_MAX_ATTEMPTS);
	for (i = 0; i < q->n; i++) {
		e = &q->entries[i];
		what = rem_text(e->role == STAGE_COMMAND ? "queued command" :
		    e->identity);
		runner_line(&r, "rem %zu. step %02u, %s: %s", i + 1, e->id,
		    stage_role_name(e->role), what);
		free(what);
		runner_line(&r, "if exist \"%%Q%%state\\%%GEN%%-%02u.done\""
		    " goto done%02u", e->id, e->id);
		runner_line(&r, ">>\"%%Q%%results.txt\" echo start\t"
		    "%%GEN%%\t%%N%%\t%02u\t%%DATE%% %%TIME%%", e->id);
		if (e->role == STAGE_COMMAND)
			runner_line(&r, "cmd.exe /d /s /c \"%s\" <nul "
			    ">\"%%Q%%state\\%%GEN%%-%02u.log\" 2>&1", e->command,
			    e->id);
		else
			runner_line(&r, "\"%%DISM%%\" /Online /Add-Package "
			    "/PackagePath:\"%%Q%%%s\" /NoRestart /Quiet <nul "
			    ">\"%%Q%%state\\%%GEN%%-%02u.log\" 2>&1", e->file,
			    e->id);
		runner_line(&r, "set \"RC=%%ERRORLEVEL%%\"");
		runner_line(&r, ">>\"%%Q%%results.txt\" echo end\t%%GEN%%\t"
		    "%%N%%\t%02u\t%%RC%%\t%%DATE%% %%TIME%%", e->id);
		runner_line(&r, ">\"%%Q%%state\\%%GEN%%-%02u.done\" echo "
		    "%%RC%%", e->id);
		runner_line(&r, "if \"%%RC%%\"==\"3010\" set \"REBOOT=1\"");
		runner_line(&r, ":done%02u", e->id);
	}
	runner_line(&r, ">>\"%%Q%%results.txt\" echo finished\t%%GEN%%\t"
	    "%%N%%\t%%DATE%% %%TIME%%");
	runner_line(&r, "goto reset");
	runner_line(&r, ":giveup");
	runner_line(&r, ">>\"%%Q%%results.txt\" echo gave-up\t%%GEN%%\t"
	    "%%N%%\t%%DATE%% %%TIME%%");
	runner_line(&r, ":reset");
	runner_line(&r, "\"%%SystemRoot%%\\System32\\reg.exe\" add "
	    "\"HKLM\\SYSTEM\\Setup\" /v SetupType /t REG_DWORD /d 0 /f >nul "
	    "2>&1");
	runner_line(&r, "set \"R1=%%ERRORLEVEL%%\"");
	runner_line(&r, "\"%%SystemRoot%%\\System32\\reg.exe\" add "
	    "\"HKLM\\SYSTEM\\Setup\" /v CmdLine /t REG_SZ /d \"\" /f >nul "
	    "2>&1");
	runner_line(&r, "set \"R2=%%ERRORLEVEL%%\"");
	runner_line(&r, ">>\"%%Q%%results.txt\" echo reset\t%%GEN%%\t"
	    "%%N%%\t%%R1%%\t%%R2%%\t%%DATE%% %%TIME%%");
	runner_line(&r, "if not \"%%REBOOT%%\"==\"1\" exit /b 0");
	runner_line(&r, ">>\"%%Q%%results.txt\" echo restart\t%%GEN%%\t"
	    "%%N%%\t%%DATE%% %%TIME%%");
	runner_line(&r, "\"%%SystemRoot%%\\System32\\shutdown.exe\" /r "
	    "/t 10 /c \"ntmend: restarting to finish installing updates\"");
	runner_line(&r, "exit /b 0");
	*len = r.len;
	return r.s;
}

static struct stage_step_result *
results_step(struct stage_results *res, unsigned id)
{
	struct stage_step_result	*s;
	size_t				 i;

	for (i = 0; i < res->nsteps; i++) {
		if (res->steps[i].id == id)
			return &res->steps[i];
	}
	if (res->nsteps >= NTM_MAX_STAGE_QUEUE * 4)
		return NULL;
	res->steps = xreallocarray(res->steps, res->nsteps + 1,
	    sizeof *res->steps);
	s = &res->steps[res->nsteps++];
	memset(s, 0, sizeof *s);
	s->id = id;
	return s;
}

static int
parse_int32(const char *s, int32_t *v)
{
	long long	 n;
	char		*end;

	errno = 0;
	n = strtoll(s, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || n < INT32_MIN ||
	    n > INT32_MAX)
		return -1;
	*v = (int32_t)n;
	return 0;
}

/* One line of the generation asked for: "attempt G N TIME", "start G N
 * ID TIME", "end G N ID RC TIME", "finished|gave-up|restart G N TIME",
 * "reset G N RC1 RC2 TIME". */
static int
results_line(struct stage_results *res, char **f, size_t nf)
{
	struct stage_step_result	*s;
	unsigned long			 a;
	int32_t				 r1, r2;

	a = strtoul(f[2], NULL, 10);
	if (strcmp(f[0], "attempt") == 0 && nf == 4) {
		if (a > res->attempts && a < 1000000)
			res->attempts = (unsigned)a;
	} else if ((strcmp(f[0], "start") == 0 && nf == 5) ||
	    (strcmp(f[0], "end") == 0 && nf == 6)) {
		if ((s = results_step(res, (unsigned)strtoul(f[3], NULL,
		    10))) == NULL)
			return -1;
		if (*f[0] == 's') {
			s->attempts++;
			free(s->started);
			s->started = xstrdup(f[4]);
		} else {
			if (parse_int32(f[4], &s->rc) != 0)
				return -1;
			s->ended = 1;
			free(s->finished);
			s->finished = xstrdup(f[5]);
		}
	} else if (strcmp(f[0], "finished") == 0 && nf == 4)
		res->finished = 1;
	else if (strcmp(f[0], "gave-up") == 0 && nf == 4)
		res->gave_up = 1;
	else if (strcmp(f[0], "restart") == 0 && nf == 4)
		res->restarted = 1;
	else if (strcmp(f[0], "reset") == 0 && nf == 6) {
		if (parse_int32(f[3], &r1) != 0 || parse_int32(f[4], &r2) != 0)
			return -1;
		res->reset = 1;
		res->reset_rc = r1 != 0 ? r1 : r2;
	} else
		return -1;
	return 0;
}

int
stage_results_parse(const void *buf, size_t len, unsigned gen,
    struct stage_results *res, char **cause)
{
	char		*text, *line, *next, *f[8], *p;
	const char	*when;
	size_t		 nf;

	memset(res, 0, sizeof *res);
	res->gen = gen;
	if (len > NTM_MAX_STAGE_TEXT)
		return set_cause(cause, "%s is larger than %zu bytes",
		    STAGE_RESULTS, NTM_MAX_STAGE_TEXT);
	text = xstrndup(buf, len);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line[strcspn(line, "\r")] = '\0';
		if (*line == '\0')
			continue;
		for (nf = 0, p = line; nf < 8; nf++) {
			f[nf] = p;
			if ((p = strchr(p, '\t')) == NULL) {
				nf++;
				break;
			}
			*p++ = '\0';
		}
		if (nf < 4) {
			res->bad_lines++;
			continue;
		}
		if ((unsigned)strtoul(f[1], NULL, 10) != gen) {
			res->other_gens++;
			continue;
		}
		when = f[nf - 1];
		if (results_line(res, f, nf) != 0) {
			res->bad_lines++;
			continue;
		}
		free(res->last_time);
		res->last_time = xstrdup(when);
	}
	free(text);
	return 0;
}

void
stage_results_free(struct stage_results *res)
{
	size_t	i;

	for (i = 0; i < res->nsteps; i++) {
		free(res->steps[i].started);
		free(res->steps[i].finished);
	}
	free(res->steps);
	free(res->last_time);
	memset(res, 0, sizeof *res);
}

int
stage_exit_ok(int32_t rc)
{
	return rc == 0 || rc == 3010 || rc == 1641;
}

/* Exit codes DISM and cmd.exe give as Win32 errors (not HRESULTs). */
static const struct {
	int32_t		 rc;
	const char	*name;
} stage_win32[] = {
	{ 2, "ERROR_FILE_NOT_FOUND" },
	{ 3, "ERROR_PATH_NOT_FOUND" },
	{ 5, "ERROR_ACCESS_DENIED" },
	{ 50, "ERROR_NOT_SUPPORTED" },
	{ 87, "ERROR_INVALID_PARAMETER" },
	{ 112, "ERROR_DISK_FULL" },
	{ 740, "ERROR_ELEVATION_REQUIRED" },
	{ 1460, "ERROR_TIMEOUT" },
	{ 1641, "ERROR_SUCCESS_REBOOT_INITIATED" },
	{ 3010, "ERROR_SUCCESS_REBOOT_REQUIRED" },
	{ 9009, "command not found (cmd.exe)" },
};

char *
stage_exit_describe(int32_t rc)
{
	const char	*name = NULL;
	size_t		 i;

	if (rc == 0)
		return xstrdup("0 (success)");
	for (i = 0; i < sizeof stage_win32 / sizeof stage_win32[0]; i++) {
		if (stage_win32[i].rc == rc)
			return xprintf("%d (%s)", rc, stage_win32[i].name);
	}
	if (rc < 0) {
		/* DISM exits with the HRESULT; %ERRORLEVEL% shows it signed. */
		name = logscan_hresult_name((uint32_t)rc);
		return xprintf("0x%08x (%s)", (uint32_t)rc, name != NULL ? name :
		    "unknown HRESULT");
	}
	if (rc < 0x10000)
		name = logscan_hresult_name(0x80070000u | (uint32_t)rc);
	return xprintf("%d (%s)", rc, name != NULL ? name : "error");
}
