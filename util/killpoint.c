/*
 * killpoint.c: a test hook. With NTMEND_TEST_KILL_AT=NAME in the
 * environment the process kills itself (SIGKILL: no cleanup, no atexit) at
 * the point called NAME, so tests can prove that a change interrupted
 * there leaves every file old or new and that undo or a re-run recovers.
 * NAME:N waits for the point's Nth time. NTMEND_TEST_TERM_AT sends SIGTERM
 * instead (what the menu's Stop sends), once.
 */

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

/* Does spec ("NAME" or "NAME:N") name this point, this time? */
static int
kill_point_due(const char *spec, const char *name, unsigned long *seen)
{
	size_t		 len = strlen(name);
	unsigned long	 n = 1;

	if (spec == NULL || strncmp(spec, name, len) != 0)
		return 0;
	if (spec[len] == ':')
		n = strtoul(spec + len + 1, NULL, 10);
	else if (spec[len] != '\0')
		return 0;
	return ++*seen == n;
}

void
kill_point(const char *name)
{
	static unsigned long	kills, terms;

	if (kill_point_due(getenv("NTMEND_TEST_KILL_AT"), name, &kills))
		kill(getpid(), SIGKILL);
	if (kill_point_due(getenv("NTMEND_TEST_TERM_AT"), name, &terms))
		kill(getpid(), SIGTERM);
}
