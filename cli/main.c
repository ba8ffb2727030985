/* main.c: global options, then the command from the table. */

#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

#define NTM_VERSION	"0.1"

static void
usage(FILE *f)
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
	static const struct option	 longopts[] = {
		{ "target", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "yes", no_argument, NULL, 'y' },
		{ "remove-hiberfile", no_argument, NULL, 'H' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_ctx			 ctx;
	const struct cmd_entry		*e;
	int				 c;

	setlocale(LC_ALL, "");
	memset(&ctx, 0, sizeof ctx);
	/* '+': options end at the command name; the rest are its own. */
	while ((c = getopt_long(argc, argv, "+t:nhV", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			ctx.target = optarg;
			break;
		case 'j':
			ctx.json = 1;
			break;
		case 'n':
			ctx.dry_run = 1;
			break;
		case 'y':
			ctx.yes = 1;
			break;
		case 'H':
			ctx.discard_hiber = 1;
			break;
		case 'F':
			ctx.force = 1;
			break;
		case 'h':
			usage(stdout);
			return NTM_OK;
		case 'V':
			printf("ntmend %s\n", NTM_VERSION);
			return NTM_OK;
		default:
			usage(stderr);
			return NTM_USAGE;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc == 0) {
		usage(stderr);
		return NTM_USAGE;
	}
	if ((e = cmd_find(argv[0])) == NULL) {
		out_error("unknown command '%s' (ntmend --help lists them)",
		    argv[0]);
		return NTM_USAGE;
	}
	/* Options may also follow the command: "ntmend info --json". */
	ctx.argv = xcalloc((size_t)argc + 1, sizeof *ctx.argv);
	ctx.argv[ctx.argc++] = argv[0];
	for (c = 1; c < argc; c++) {
		if (strcmp(argv[c], "--json") == 0)
			ctx.json = 1;
		else if (strcmp(argv[c], "--dry-run") == 0)
			ctx.dry_run = 1;
		else if (strcmp(argv[c], "--yes") == 0)
			ctx.yes = 1;
		else if (strcmp(argv[c], "--force") == 0)
			ctx.force = 1;
		else
			ctx.argv[ctx.argc++] = argv[c];
	}
	c = e->exec(&ctx);
	free(ctx.argv);
	fflush(stdout);
	return c;
}
