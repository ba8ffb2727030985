/* main.c: global options, then the command from the table. */

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "util/util.h"


void
cli_usage(FILE *f)
{
	const struct cmd_entry *const	*e;

	fprintf(f, "usage: ntmend [-t TARGET] [--json] [-n|--dry-run] [--yes] "
	    "[--remove-hiberfile] [--force] COMMAND [ARGS]\n\n"
	    "TARGET: a partition device, a whole-disk device or disk image "
	    "(the Windows\npartition is found; IMAGE@N picks partition N), or "
	    "a mounted directory.\nWithout -t: the one Windows installation on "
	    "this machine's disks.\n\ncommands:\n");
	for (e = cmd_table; *e != NULL; e++)
		fprintf(f, "  %-8s %-16s %s\n", (*e)->name, (*e)->usage,
		    (*e)->summary);
	fprintf(f, "\nexit status: 0 done, 1 findings remain or partly done, "
	    "2 usage,\n3 target cannot be opened safely, 4 failed (rolled "
	    "back)\n");
}

int
main(int argc, char **argv)
{
	int	st;

	setlocale(LC_ALL, "");
	cancel_install();
	st = cli_exec(argc, argv, NULL);
	fflush(stdout);
	return st;
}
