/* path.c: Windows paths on a volume split into components and back. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ntfs/private.h"
#include "util/util.h"

static int
vol_path_is_sep(char c)
{
	return c == '\\' || c == '/';
}

int
vol_path_split(const char *path, char ***compp, size_t *ncompp, char **cause)
{
	char		**comp, *copy, *p, *start;
	size_t		  n = 0, len, i;

	/*
	 * Count the most components there can be, then make the array and
	 * a copy of the path in one allocation so that the caller frees
	 * one pointer.
	 */
	len = strlen(path);
	for (i = 0; i < len; i++) {
		if (vol_path_is_sep(path[i]))
			n++;
	}
	n++;
	comp = xmalloc(n * sizeof *comp + len + 1);
	copy = (char *)(comp + n);
	memcpy(copy, path, len + 1);

	n = 0;
	p = copy;
	for (;;) {
		while (vol_path_is_sep(*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !vol_path_is_sep(*p))
			p++;
		if (*p != '\0')
			*p++ = '\0';
		if (strcmp(start, ".") == 0)
			continue;
		/* Nothing given to the layer may climb out of the root. */
		if (strcmp(start, "..") == 0) {
			free(comp);
			errno = EINVAL;
			return set_cause(cause, "%s: \"..\" is not allowed in "
			    "a path on the volume; give the path from the "
			    "volume root", path);
		}
		if (strlen(start) >= NTM_MAX_NAME_UTF8) {
			free(comp);
			errno = ENAMETOOLONG;
			return set_cause(cause, "%s: a name is longer than "
			    "NTFS allows (255 characters)", path);
		}
		if (n == NTM_MAX_PATH_DEPTH) {
			free(comp);
			errno = ENAMETOOLONG;
			return set_cause(cause, "%s: more than %d levels deep",
			    path, NTM_MAX_PATH_DEPTH);
		}
		comp[n++] = start;
	}
	*compp = comp;
	*ncompp = n;
	return 0;
}

char *
vol_path_join(const char *const *comp, size_t ncomp)
{
	char	*out;
	size_t	 len = 1, i, off = 0, l;

	for (i = 0; i < ncomp; i++)
		len += strlen(comp[i]) + 1;
	out = xmalloc(len);
	for (i = 0; i < ncomp; i++) {
		if (i > 0)
			out[off++] = '\\';
		l = strlen(comp[i]);
		memcpy(out + off, comp[i], l);
		off += l;
	}
	out[off] = '\0';
	return out;
}
