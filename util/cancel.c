/*
 * cancel.c: SIGINT and SIGTERM (Ctrl-C; Stop in the menu) while a change
 * is being made. Killed between two of libntfs-3g's writes, a volume is
 * left as a power cut leaves it: a directory entry whose MFT record was
 * not written yet, an index B+tree half split. Only chkdsk mends those,
 * and a journal's rollback cannot get past them. So from journal_begin
 * until the journal is committed or rolled back the signal only marks the
 * change cancelled: its batches look between files and fail, the command
 * rolls the journal back, and then the signal takes its course (a change
 * that got committed first stands, and the process goes on to report it).
 * Outside a change the signal acts at once, as it did without this.
 * SIGKILL and power cuts are the journal's recovery's to handle.
 */

#include <signal.h>
#include <string.h>

#include "util/util.h"

static volatile sig_atomic_t	deferring;	/* changes being made */
static volatile sig_atomic_t	pending;	/* the signal that came */

static void
cancel_handler(int sig)
{
	if (deferring == 0) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	pending = sig;
}

void
cancel_install(void)
{
	struct sigaction	sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = cancel_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void
cancel_defer(void)
{
	deferring++;
}

int
cancel_pending(void)
{
	return pending != 0;
}

void
cancel_undefer(int act)
{
	int	sig = pending;

	if (deferring > 0 && --deferring > 0)
		return;
	pending = 0;
	if (act && sig != 0) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}
