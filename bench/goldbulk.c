/*
 * goldbulk.c: volumes for bench_golden.sh.
 *   goldbulk fill IMAGE NFILES MIB [SEED]
 *	N files of about MIB MiB in all under Windows\WinSxS, in component
 *	directories of 200 files, sizes drawn like servicing payloads (three
 *	in four under 16 KiB, the rest up to what makes the total), bytes
 *	that compress about 2:1 like DLLs do.
 *   goldbulk touch IMAGE PERCENT [SEED]
 *	Change the first bytes of PERCENT % of those files in place (same
 *	size: apply has to hash them to see it).
 * IMAGE holds the NTFS filesystem from its first byte (mkfixture
 * --layout bare), so the volume layer opens it at offset 0.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

#define FILES_PER_DIR	200
#define SMALL_MAX	16384

static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static char *
dir_name(size_t i)
{
	return xprintf("Windows\\WinSxS\\amd64_bench-component%05zu_"
	    "31bf3856ad364e35_10.0.19041.%zu_none_%016zx", i / FILES_PER_DIR,
	    1000 + i / FILES_PER_DIR, (size_t)0x5eed0000 + i / FILES_PER_DIR);
}

static int
fill(struct vol *vol, size_t n, uint64_t mib, uint64_t seed, char **cause)
{
	struct vol_file	*f;
	uint64_t	 total = 0, avg, large_max, w;
	uint8_t		*buf;
	size_t		 i, j, size;
	char		*dir = NULL, *path;

	/* Three in four small (mean SMALL_MAX / 2); the large ones'
	 * uniform maximum makes the mean what the total needs. */
	avg = (mib << 20) / n;
	large_max = avg > SMALL_MAX * 3 / 8 ? 2 * (4 * avg - 3 * SMALL_MAX /
	    2) : SMALL_MAX;
	buf = xmalloc(large_max + 8);
	for (i = 0; i < n; i++) {
		if (i % FILES_PER_DIR == 0) {
			free(dir);
			dir = dir_name(i);
			if (vol_mkdir_p(vol, dir, cause) != 0)
				return -1;
		}
		size = next(&seed) % 4 == 0 ? next(&seed) % large_max :
		    next(&seed) % SMALL_MAX;
		/* Each 4 KiB: 2 KiB of noise, 2 KiB of a repeated word. */
		for (j = 0; j < size; j += 8) {
			w = (j & 2048) ? 0x00000000c3c3c3c3ull : next(&seed);
			memcpy(buf + j, &w, 8);
		}
		xasprintf(&path, "%s\\file%05zu.dll", dir, i);
		if ((f = vol_file_create(vol, path, cause)) == NULL) {
			free(path);
			return -1;
		}
		if (vol_file_pwrite(f, buf, size, 0) != (ssize_t)size) {
			vol_file_close(f, NULL);
			set_cause(cause, "%s: write failed", path);
			free(path);
			return -1;
		}
		free(path);
		if (vol_file_close(f, cause) != 0)
			return -1;
		total += size;
	}
	free(dir);
	free(buf);
	printf("%zu files, %llu bytes\n", n, (unsigned long long)total);
	return 0;
}

static int
touch(struct vol *vol, unsigned pct, uint64_t seed, char **cause)
{
	struct vol_stat	 sb;
	struct vol_file	*f;
	uint64_t	 w;
	size_t		 i, n = 0, step = 100 / (pct != 0 ? pct : 1);
	char		*dir, *path;

	for (i = next(&seed) % step;; i += step) {
		dir = dir_name(i);
		path = xprintf("%s\\file%05zu.dll", dir, i);
		free(dir);
		if (vol_stat(vol, path, &sb, NULL) != 0) {
			free(path);
			break;
		}
		if (sb.size >= 8) {
			if ((f = vol_file_open(vol, path, VOL_O_RDWR,
			    cause)) == NULL) {
				free(path);
				return -1;
			}
			w = next(&seed);
			if (vol_file_pwrite(f, &w, 8, 0) != 8 ||
			    vol_file_close(f, cause) != 0) {
				free(path);
				return -1;
			}
			n++;
		}
		free(path);
	}
	printf("%zu files changed\n", n);
	return 0;
}

int
main(int argc, char **argv)
{
	struct vol_where	 w;
	struct vol		*vol;
	uint64_t		 seed = 88172645463325252ULL;
	char			*cause = NULL;
	int			 r;

	if (argc < 4 || (strcmp(argv[1], "fill") == 0 && argc < 5) ||
	    (strcmp(argv[1], "fill") != 0 &&
	    strcmp(argv[1], "touch") != 0)) {
		fprintf(stderr, "usage: goldbulk fill IMAGE NFILES MIB [SEED]\n"
		    "       goldbulk touch IMAGE PERCENT [SEED]\n");
		return 2;
	}
	if (argc > (strcmp(argv[1], "fill") == 0 ? 5 : 4))
		seed = strtoull(argv[argc - 1], NULL, 10) | 1;
	memset(&w, 0, sizeof w);
	w.path = argv[2];
	if (vol_open(&w, VOL_RDWR, &vol, NULL, &cause) != 0) {
		fprintf(stderr, "goldbulk: %s\n", cause);
		return 1;
	}
	if (strcmp(argv[1], "fill") == 0)
		r = fill(vol, strtoul(argv[3], NULL, 10), strtoull(argv[4],
		    NULL, 10), seed, &cause);
	else
		r = touch(vol, (unsigned)strtoul(argv[3], NULL, 10), seed,
		    &cause);
	if (r != 0) {
		fprintf(stderr, "goldbulk: %s\n", cause);
		vol_close(vol);
		return 1;
	}
	vol_close(vol);
	return 0;
}
