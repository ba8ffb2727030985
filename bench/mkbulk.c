/*
 * mkbulk.c: fill an NTFS image with a WinSxS-like tree for benchmarks:
 * N files spread over component directories of about 200 files each, with
 * sizes drawn like servicing payloads (mostly small, some large).
 *   mkbulk IMAGE NFILES [SEED]
 * IMAGE must be a freshly made NTFS filesystem (mkntfs).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

#define FILES_PER_DIR	200
#define MAX_FILE	(256 * 1024)

/* xorshift: deterministic content without libc's rand state. */
static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int
main(int argc, char **argv)
{
	struct vol_where	 w;
	struct vol		*vol;
	struct vol_file		*f;
	uint64_t		 seed, total = 0, *p;
	uint8_t			*buf;
	size_t			 n, i, j, size;
	char			*cause = NULL, *dir = NULL, *path;

	if (argc < 3) {
		fprintf(stderr, "usage: mkbulk IMAGE NFILES [SEED]\n");
		return 2;
	}
	n = strtoul(argv[2], NULL, 10);
	seed = argc > 3 ? strtoull(argv[3], NULL, 10) | 1 : 88172645463325252ULL;
	memset(&w, 0, sizeof w);
	w.path = argv[1];
	if (vol_open(&w, VOL_RDWR, &vol, NULL, &cause) != 0) {
		fprintf(stderr, "mkbulk: %s\n", cause);
		return 1;
	}
	buf = xmalloc(MAX_FILE);
	for (i = 0; i < n; i++) {
		if (i % FILES_PER_DIR == 0) {
			free(dir);
			xasprintf(&dir, "Windows\\WinSxS\\amd64_microsoft-windows-"
			    "component%05zu_31bf3856ad364e35_10.0.19041.%zu_none_"
			    "%016llx", i / FILES_PER_DIR, 1000 + i / FILES_PER_DIR,
			    (unsigned long long)next(&seed));
			if (vol_mkdir_p(vol, dir, &cause) != 0)
				goto fail;
		}
		/* Three in four files are small (under 16 KiB). */
		size = next(&seed) % 4 == 0 ? next(&seed) % MAX_FILE :
		    next(&seed) % 16384;
		for (j = 0; j + 8 <= size; j += 8) {
			p = (uint64_t *)(buf + j);
			*p = next(&seed);
		}
		xasprintf(&path, "%s\\file%05zu.dll", dir, i);
		if ((f = vol_file_create(vol, path, &cause)) == NULL) {
			free(path);
			goto fail;
		}
		if (vol_file_pwrite(f, buf, size, 0) != (ssize_t)size) {
			set_cause(&cause, "%s: write failed", path);
			free(path);
			vol_file_close(f, NULL);
			goto fail;
		}
		free(path);
		if (vol_file_close(f, &cause) != 0)
			goto fail;
		total += size;
	}
	free(dir);
	free(buf);
	if (vol_sync(vol, &cause) != 0)
		goto fail_closed;
	vol_close(vol);
	printf("%zu files, %llu bytes\n", n, (unsigned long long)total);
	return 0;

fail:
	free(dir);
	free(buf);
fail_closed:
	fprintf(stderr, "mkbulk: %s\n", cause);
	vol_close(vol);
	return 1;
}
