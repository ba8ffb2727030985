/*
 * killpoint.c: a test hook. With NTMEND_TEST_KILL_AT=NAME in the
 * environment the process kills itself (SIGKILL: no cleanup, no atexit) at
 * the point called NAME, so tests can prove that a change interrupted
 * there leaves every file old or new and that undo or a re-run recovers.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

void
kill_point(const char *name)
{
	const char	*at;

	if ((at = getenv("NTMEND_TEST_KILL_AT")) != NULL &&
	    strcmp(at, name) == 0)
		kill(getpid(), SIGKILL);
}
