/*
 * hiveedit.c: the hive edit of `reg set` without its journal, for
 * bench_hive.sh to time beside hivexsh -w:
 *   hiveedit HIVE KEY NAME DWORD
 * HIVE (a host file, its .LOG1/.LOG2 beside it) is checked out with its
 * logs replayed, NAME set to DWORD under KEY with hivex, committed,
 * re-opened and walked (hive_commit: the same calls as `reg set`), and the
 * committed bytes written over HIVE in place, as hivexsh writes its file
 * (no fsync). What `reg set` adds is the journal: the original's durable
 * copy with its SHA-256, and writing only the pages that changed.
 */

#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hivex.h>

#include "hive/hive.h"
#include "util/util.h"

static void
die(const char *what, const char *cause)
{
	fprintf(stderr, "hiveedit: %s: %s\n", what, cause);
	exit(1);
}

int
main(int argc, char **argv)
{
	struct hive	*hv;
	hive_set_value	 v;
	hive_node_h	 node;
	const uint8_t	*buf;
	const void	*p;
	uint8_t		 le[4];
	size_t		 len, off;
	ssize_t		 n;
	char		*cause = NULL;
	int		 fd;

	if (argc != 5) {
		fprintf(stderr, "usage: hiveedit HIVE KEY NAME DWORD\n");
		return 2;
	}
	if (hive_open_file_flags(argv[1], HIVE_WRITE, &hv, &cause) != 0)
		die(argv[1], cause);
	if (hive_key_lookup(hv, argv[2], &node, &cause) != 0)
		die(argv[2], cause);
	le32enc(le, (uint32_t)strtoul(argv[4], NULL, 0));
	v.key = argv[3];
	v.t = hive_t_REG_DWORD;
	v.len = sizeof le;
	v.value = (char *)le;
	if (hivex_node_set_value(hive_handle(hv), node, &v, 0) != 0)
		die(argv[3], strerror(errno));
	if (hive_commit(hv, &p, &len, &cause) != 0)
		die(argv[1], cause);
	buf = p;
	if ((fd = open(argv[1], O_WRONLY)) == -1)
		die(argv[1], strerror(errno));
	for (off = 0; off < len; off += (size_t)n) {
		if ((n = pwrite(fd, buf + off, len - off, (off_t)off)) <= 0)
			die(argv[1], n == 0 ? "short write" : strerror(errno));
	}
	if (ftruncate(fd, (off_t)len) != 0 || close(fd) != 0)
		die(argv[1], strerror(errno));
	hive_close(hv);
	return 0;
}
