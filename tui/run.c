/*
 * run.c: the menu's changes are ntmend commands, run through the command
 * table (cli_exec) in a child process, exactly as typed on the command
 * line or in a plan: the menu holds no repair logic, every change is
 * journaled by the command, and a cancelled command is stopped the way a
 * killed one is (its open journal rolled back, as every changing command
 * does first: journal_recover).
 */

#include <sys/types.h>
#include <sys/wait.h>

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"
#include "tui/private.h"

/* Arguments a menu command line may have (reg set ... hex(7) ...). */
#define NTM_TUI_ARGS	64

static volatile pid_t	child = -1;

void
tui_run_kill(void)
{
	if (child > 0)
		kill(child, SIGTERM);
}

struct progress {
	char		 phase[32];
	unsigned long long files, nfiles, bytes, nbytes;
	int		 seen;
};

/* The last complete line of what came from the progress pipe. */
static void
progress_parse(struct progress *p, char *buf, size_t *len)
{
	char	*end, *start;

	buf[*len] = '\0';
	end = strrchr(buf, '\n');
	if (end == NULL)
		return;
	*end = '\0';
	start = strrchr(buf, '\n');
	start = start == NULL ? buf : start + 1;
	if (sscanf(start, "%31[^\t]\t%llu\t%llu\t%llu\t%llu", p->phase,
	    &p->files, &p->nfiles, &p->bytes, &p->nbytes) == 5)
		p->seen = 1;
	*len = strlen(end + 1);
	memmove(buf, end + 1, *len);
}

static void
draw_running(const char *title, const char *line, const struct progress *p,
    const char *out, time_t started)
{
	char		**lines, *s, *a, *b;
	size_t		  n, i, first;
	long		  el = (long)(time(NULL) - started), left = -1;
	double		  frac = -1;
	int		  y, w = COLS, bar;

	erase();
	attrset(tui_attr(TUI_TITLE));
	mvhline(0, 0, ' ', w);
	tui_put(0, 1, w - 1, title);
	mvhline(LINES - 1, 0, ' ', w);
	tui_put(LINES - 1, 1, w - 1, "running... Esc cancels (the change "
	    "is rolled back)");
	attrset(A_BOLD);
	tui_put(1, 1, w - 2, line);
	attrset(A_NORMAL);
	y = 2;
	if (p->seen) {
		if (p->nbytes > 0)
			frac = (double)p->bytes / (double)p->nbytes;
		else if (p->nfiles > 0)
			frac = (double)p->files / (double)p->nfiles;
		if (frac > 1)
			frac = 1;
		if (frac > 0.01 && el > 1)
			left = (long)((double)el / frac - (double)el);
		a = out_size(p->bytes);
		b = p->nbytes > 0 ? out_size(p->nbytes) : xstrdup("?");
		if (p->nfiles > 0)
			s = xprintf("%s: %llu of %llu files, %s of %s, %ld s",
			    p->phase, p->files, p->nfiles, a, b, el);
		else
			s = xprintf("%s: %llu files, %s, %ld s", p->phase,
			    p->files, a, el);
		free(a);
		free(b);
		if (left >= 0) {
			a = xprintf("%s, about %ld s left", s, left);
			free(s);
			s = a;
		}
		tui_put(y++, 1, w - 2, s);
		free(s);
		bar = w - 4;
		if (frac >= 0 && bar > 0) {
			mvaddch(y, 1, '[');
			for (i = 0; (int)i < bar; i++)
				addch((int)i < (int)(frac * bar) ? '#' : '.');
			addch(']');
		}
		y++;
	} else {
		s = xprintf("%ld s", el);
		tui_put(y++, 1, w - 2, s);
		free(s);
	}
	y++;
	n = tui_wrap(out, w - 2, &lines);
	first = n > (size_t)(LINES - 1 - y) ? n - (size_t)(LINES - 1 - y) : 0;
	for (i = 0; i < n; i++) {
		if (i >= first)
			tui_put(y++, 1, w - 2, lines[i]);
		free(lines[i]);
	}
	free(lines);
	refresh();
}

/* After a cancel: roll back what the killed command left open. */
static char *
recover(void)
{
	struct target	 t;
	char		*cause = NULL, **ids, *msg;
	size_t		 nids, i;
	int		 flags = TARGET_WRITE;

	if (tui_s.discard_hiber)
		flags |= TARGET_DISCARD_HIBER;
	if (target_open(tui_s.spec, flags, &t, &cause) != NTM_OK) {
		msg = xprintf("Cancelled. The target could not be opened to "
		    "roll back: %s. The next change rolls it back.", cause);
		free(cause);
		return msg;
	}
	if (journal_recover(t.vol, &ids, &nids, &cause) != 0) {
		msg = xprintf("Cancelled. Rolling back failed: %s", cause);
		free(cause);
	} else if (nids == 0) {
		/* Before it changed anything, or it rolled its change back
		 * itself (cancel.c). */
		msg = xstrdup("Cancelled: nothing it changed is left on the "
		    "volume.");
	} else {
		msg = xstrdup("Cancelled. Rolled back:");
		for (i = 0; i < nids; i++) {
			char	*m = xprintf("%s %s", msg, ids[i]);

			free(msg);
			msg = m;
			free(ids[i]);
		}
		free(ids);
	}
	target_close(&t);
	return msg;
}

/* The journal id a changing command printed ("journal ID (undo: ..."). */
static char *
journal_of(const char *out)
{
	const char	*p;
	size_t		 n;

	for (p = out; (p = strstr(p, "journal ")) != NULL; p++) {
		if (p != out && p[-1] != '\n')
			continue;
		p += 8;
		n = strcspn(p, " \n");
		if (n > 0 && strncmp(p + n, " (undo", 6) == 0)
			return xstrndup(p, n);
	}
	return NULL;
}

/* The session report's step, shaped like a plan's (cmd-run.c). */
static void
record_step(const char *line, int st, const char *out, double seconds)
{
	char	*j = journal_of(out);

	json_array_append_new(tui_s.steps, json_pack("{s:s,s:i,s:f,s:s,s:s?}",
	    "line", line, "exit", st < 0 ? NTM_FAILED : st, "seconds",
	    seconds, "output", st < 0 ? "cancelled" : out, "journal", j));
	free(j);
	/* A refused or failed command changed nothing (rolled back). */
	if (st >= 0 && st <= NTM_WARN) {
		tui_s.changed = 1;
		tui_s.report_saved = 0;
	}
}

/* ntmend's command line for cli_exec: the session's target (and its
 * choice to discard hibernation when hiber is set), --json when json is,
 * then argv; args holds NTM_TUI_ARGS + 6. Returns the count. */
static size_t
run_args(char **args, int json, int hiber, char *const *argv)
{
	size_t	n = 0, i;

	args[n++] = (char *)"ntmend";
	if (json)
		args[n++] = (char *)"--json";
	if (tui_s.spec != NULL) {
		args[n++] = (char *)"-t";
		args[n++] = tui_s.spec;
	}
	if (hiber && tui_s.discard_hiber)
		args[n++] = (char *)"--remove-hiberfile";
	for (i = 0; argv[i] != NULL && i < NTM_TUI_ARGS; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return n;
}

/*
 * Run args through the command table in a child: stdin from /dev/null,
 * stdout to out, stderr to err, and prog (or -1) named to the command in
 * NTMEND_PROGRESS_FD. A cancel's SIGTERM can reach the child before it
 * has dropped the menu's handlers (a loaded machine may not run it for a
 * while): that handler would endwin() on the menu's terminal, so SIGINT
 * and SIGTERM are held across the fork until the child has its own.
 */
static pid_t
run_spawn(char **args, size_t nargs, int out, int err, int prog)
{
	sigset_t	 block, oldmask;
	pid_t		 pid;
	char		*fdstr;
	int		 fd, st;

	fflush(stdout);
	fflush(stderr);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &oldmask);
	if ((pid = fork()) == -1)
		fatal("fork: %s", strerror(errno));
	if (pid != 0) {
		sigprocmask(SIG_SETMASK, &oldmask, NULL);
		return pid;
	}
	/* A Stop while it changes the volume stops it between files, its
	 * journal rolled back (cancel.c); otherwise at once. */
	cancel_install();
	sigprocmask(SIG_SETMASK, &oldmask, NULL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0)
		dup2(fd, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(err, STDERR_FILENO);
	if (prog >= 0) {
		xasprintf(&fdstr, "%d", prog);
		setenv("NTMEND_PROGRESS_FD", fdstr, 1);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	st = cli_exec((int)nargs, args, NULL);
	fflush(NULL);
	_exit(st);
}

/* A NULL-terminated list of arguments into argv (NTM_TUI_ARGS + 1). */
static void
run_vargs(char **argv, va_list ap)
{
	size_t	n = 0;

	while (n < NTM_TUI_ARGS && (argv[n] = va_arg(ap, char *)) != NULL)
		n++;
	argv[n] = NULL;
}

int
tui_run(const char *title, int flags, char *const *argv, char **output)
{
	char		*args[NTM_TUI_ARGS + 6], *line, *cmdline, *out = NULL;
	char		*msg;
	char		 pbuf[4096], *tmp;
	size_t		 nargs = 0, len = 0, cap = 0, plen = 0, i;
	int		 opipe[2], ppipe[2], st = -1, status, cancelled = 0;
	struct pollfd	 pfd[3];
	struct progress	 prog;
	time_t		 started = time(NULL);
	ssize_t		 r;
	pid_t		 pid;

	nargs = run_args(args, 0, 1, argv);
	line = xstrdup(argv[0]);
	for (i = 1; argv[i] != NULL && i < NTM_TUI_ARGS; i++) {
		msg = xprintf("%s %s", line, argv[i]);
		free(line);
		line = msg;
	}
	cmdline = xprintf("ntmend %s", line);
	memset(&prog, 0, sizeof prog);
	if (flags & TUI_RUN_CHANGES)
		tui_target_close();
	if (pipe(opipe) != 0 || pipe(ppipe) != 0)
		fatal("pipe: %s", strerror(errno));
	pid = run_spawn(args, nargs, opipe[1], opipe[1], ppipe[1]);
	child = pid;
	close(opipe[1]);
	close(ppipe[1]);
	pfd[0].fd = opipe[0];
	pfd[1].fd = ppipe[0];
	pfd[2].fd = STDIN_FILENO;
	timeout(0);
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
		draw_running(title, cmdline, &prog, out != NULL ? out : "",
		    started);
		for (i = 0; i < 3; i++)
			pfd[i].events = POLLIN;
		if (poll(pfd, 3, 500) < 0 && errno != EINTR)
			break;
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLIN | POLLHUP))) {
			if (cap - len < 4097)
				out = xrealloc(out, cap = cap * 2 + 8192);
			r = read(pfd[0].fd, out + len, cap - len - 1);
			if (r <= 0) {
				close(pfd[0].fd);
				pfd[0].fd = -1;
			} else
				len += (size_t)r;
			out[len] = '\0';
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & (POLLIN | POLLHUP))) {
			r = read(pfd[1].fd, pbuf + plen,
			    sizeof pbuf - plen - 1);
			if (r <= 0) {
				close(pfd[1].fd);
				pfd[1].fd = -1;
			} else {
				plen += (size_t)r;
				progress_parse(&prog, pbuf, &plen);
				if (plen == sizeof pbuf - 1)
					plen = 0;
			}
		}
		if ((pfd[2].revents & POLLIN) && getch() == 27 && !cancelled) {
			timeout(-1);
			if (tui_confirm("Cancel", "Stop this command? What it "
			    "changed so far is rolled back from its journal."))
			{
				cancelled = 1;
				kill(pid, SIGTERM);
			}
			timeout(0);
		}
	}
	timeout(-1);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	child = -1;
	if (out == NULL)
		out = xstrdup("");
	/* It may have finished while "Stop this command?" was on the
	 * screen (a SIGTERM kills it: an exit is its own): then its change
	 * is committed and journaled, and its status is the answer. */
	if (cancelled && WIFEXITED(status)) {
		cancelled = 0;
		tmp = xprintf("%s%sIt finished before it could be stopped%s",
		    out, *out != '\0' ? "\n" : "", (flags & TUI_RUN_CHANGES) &&
		    WEXITSTATUS(status) <= NTM_WARN ? ": what it did stands "
		    "('Journal and undo' takes it back)." : ".");
		free(out);
		out = tmp;
	}
	if (cancelled) {
		msg = (flags & TUI_RUN_CHANGES) ? recover() :
		    xstrdup("Cancelled.");
		tmp = xprintf("%s%s%s", out, *out != '\0' ? "\n" : "", msg);
		free(out);
		out = tmp;
		free(msg);
	} else if (WIFEXITED(status))
		st = WEXITSTATUS(status);
	else
		st = NTM_FAILED;
	if (flags & TUI_RUN_CHANGES) {
		record_step(line, st, out, difftime(time(NULL), started));
		tui_target_open();
	}
	free(line);
	free(cmdline);
	if (!(flags & TUI_RUN_QUIET)) {
		msg = xprintf("%s: %s", title, st < 0 ? "cancelled" :
		    st == NTM_OK ? "done" : st == NTM_WARN ? "done, with "
		    "warnings or findings left (exit 1)" : st == NTM_USAGE ?
		    "refused (exit 2)" : st == NTM_UNSAFE ? "refused: the "
		    "volume is not safe to change (exit 3)" : "failed, "
		    "nothing changed (exit 4)");
		tui_view(msg, *out != '\0' ? out : "(no output)", 1);
		free(msg);
	}
	if (output != NULL)
		*output = out;
	else
		free(out);
	return st;
}

int
tui_runl(const char *title, int flags, char **output, ...)
{
	char	*argv[NTM_TUI_ARGS + 1];
	va_list	 ap;

	va_start(ap, output);
	run_vargs(argv, ap);
	va_end(ap);
	return tui_run(title, flags, argv, output);
}

/* Read all of fd into a string; caller frees. */
static char *
slurp(int fd)
{
	char	*buf = NULL;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (cap - len < 4097)
			buf = xrealloc(buf, cap = cap * 2 + 8192);
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	return buf;
}

json_t *
tui_json(char *const *argv, char **cause)
{
	char		*args[NTM_TUI_ARGS + 6], *out, *err, *nl;
	size_t		 nargs;
	int		 opipe[2], epipe[2], status;
	json_t		*doc;
	json_error_t	 jerr;
	pid_t		 pid;

	nargs = run_args(args, 1, 0, argv);
	attrset(tui_attr(TUI_TITLE));
	mvhline(LINES - 1, 0, ' ', COLS);
	tui_put(LINES - 1, 1, COLS - 1, "reading...");
	attrset(A_NORMAL);
	refresh();
	if (pipe(opipe) != 0 || pipe(epipe) != 0)
		fatal("pipe: %s", strerror(errno));
	pid = run_spawn(args, nargs, opipe[1], epipe[1], -1);
	close(opipe[1]);
	close(epipe[1]);
	/* stdout to its end, then stderr: the child could block only on
	 * more than a pipe's 64 KiB of errors, which no command prints. */
	out = slurp(opipe[0]);
	err = slurp(epipe[0]);
	close(opipe[0]);
	close(epipe[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	doc = json_loads(out, 0, &jerr);
	if (doc == NULL) {
		if ((nl = strchr(err, '\n')) != NULL)
			*nl = '\0';
		*cause = xstrdup(*err != '\0' ? err : "no answer (not JSON)");
	}
	free(out);
	free(err);
	return doc;
}

json_t *
tui_jsonl(char **cause, ...)
{
	char	*argv[NTM_TUI_ARGS + 1];
	va_list	 ap;

	va_start(ap, cause);
	run_vargs(argv, ap);
	va_end(ap);
	return tui_json(argv, cause);
}
