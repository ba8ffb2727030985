/*
 * key.c: keys by path, and the control set a SYSTEM hive boots from.
 *
 * "CurrentControlSet" does not exist in the file: Windows makes it a link
 * at boot to the ControlSet00N that Select\Current names, so offline it
 * is resolved here.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "util/util.h"

#define HIVE_CCS		"CurrentControlSet"
/* Select\Current picks ControlSet001..999: Windows names the sets with
 * three digits, so nothing above 999 can name an existing key. */
#define NTM_MAX_CONTROL_SET	999

/*
 * Names compare as Windows compares them: case-insensitively over all of
 * Unicode (the kernel upcases both sides with its table), not only ASCII
 * as hivex's strcasecmp does. hivex_special's "abcd_äöüß" is the same key
 * as "ABCD_ÄÖÜß" to Windows.
 */
int
hive_name_equal(const char *a, const char *b)
{
	return casefold_equal(a, b);
}

/* Does s hold anything but ASCII (where hivex's own compare falls
 * short)? */
static int
hive_is_ascii(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80)
			return 0;
	}
	return 1;
}

/* hivex_node_get_child, comparing names as Windows does. */
static hive_node_h
hive_child(hive_h *h, hive_node_h node, const char *name)
{
	hive_node_h	 child, *kids;
	size_t		 i;
	char		*kname;
	int		 err;

	/* hivex first: right for every ASCII name and most others. */
	errno = 0;
	child = hivex_node_get_child(h, node, name);
	if (child != 0 || errno != 0 || hive_is_ascii(name))
		return child;
	if ((kids = hivex_node_children(h, node)) == NULL)
		return 0;
	for (i = 0; kids[i] != 0; i++) {
		if ((kname = hivex_node_name(h, kids[i])) == NULL)
			continue;
		if (hive_name_equal(kname, name))
			child = kids[i];
		free(kname);
		if (child != 0)
			break;
	}
	err = errno;
	free(kids);
	errno = child != 0 ? 0 : err;
	return child;
}

/* Join path's components with '\', dropping empty ones (leading, trailing
 * or doubled separators, '/' accepted as well). */
static char *
hive_path_normalize(const char *path)
{
	char	*out = xmalloc(strlen(path) + 1), *o = out;
	int	 sep = 0;

	for (; *path != '\0'; path++) {
		if (*path == '\\' || *path == '/') {
			sep = (o != out);
			continue;
		}
		if (sep)
			*o++ = '\\';
		sep = 0;
		*o++ = *path;
	}
	*o = '\0';
	return out;
}

/* Walk normalized path from the root; on a missing component, *missing is
 * its index. errno is ENOENT for a missing key, else hivex's. */
static int
hive_walk(hive_h *h, const char *path, hive_node_h *node, size_t *depth,
    char **bad)
{
	hive_node_h	 cur, child;
	const char	*p = path, *end;
	char		*comp;
	int		 err;

	*depth = 0;
	*bad = NULL;
	errno = 0;
	if ((cur = hivex_root(h)) == 0) {
		if (errno == 0)
			errno = EINVAL;
		return -1;
	}
	while (*p != '\0') {
		end = strchr(p, '\\');
		if (end == NULL)
			end = p + strlen(p);
		comp = xstrndup(p, (size_t)(end - p));
		/* 0 both for "no such child" (errno 0) and for a damaged
		 * subkey list. */
		errno = 0;
		child = hive_child(h, cur, comp);
		err = errno;
		if (child == 0) {
			*bad = comp;
			errno = err != 0 ? err : ENOENT;
			return -1;
		}
		free(comp);
		cur = child;
		(*depth)++;
		p = *end == '\0' ? end : end + 1;
	}
	*node = cur;
	return 0;
}

/* Is the first component of normalized path "CurrentControlSet"? */
static int
hive_path_is_ccs(const char *path, const char **rest)
{
	size_t	n = strlen(HIVE_CCS);

	if (strncasecmp(path, HIVE_CCS, n) != 0 ||
	    (path[n] != '\0' && path[n] != '\\'))
		return 0;
	*rest = path + n;
	return 1;
}

int
hive_current_control_set(struct hive *hv, int *n, char **cause)
{
	struct hive_value	val;
	uint32_t		v;
	char			*why = NULL;

	if (hive_value_get(hv, "Select", "Current", &val, &why) != 0) {
		set_cause(cause, "%s has no usable Select\\Current (is it a "
		    "SYSTEM hive?): %s", hive_name(hv), why);
		free(why);
		return -1;
	}
	if (val.type != HIVE_REG_DWORD || val.len < 4) {
		set_cause(cause, "%s: Select\\Current is %zu bytes of type %u, "
		    "not a DWORD", hive_name(hv), val.len, val.type);
		hive_value_free(&val);
		return -1;
	}
	v = le32dec(val.data);
	hive_value_free(&val);
	if (v < 1 || v > NTM_MAX_CONTROL_SET)
		return set_cause(cause, "%s: Select\\Current is %u, not a "
		    "control set (1 to %d)", hive_name(hv), v,
		    NTM_MAX_CONTROL_SET);
	*n = (int)v;
	return 0;
}

char *
hive_path_resolve(struct hive *hv, const char *path, char **cause)
{
	hive_node_h	 node;
	const char	*rest;
	char		*norm, *out = NULL, *bad;
	size_t		 depth;
	int		 n;

	norm = hive_path_normalize(path);
	if (!hive_path_is_ccs(norm, &rest))
		return norm;
	/* A SYSTEM hive is one with a Select key, whatever its file is
	 * called (copies are often named SYSTEM.bak, SYSTEM_2, ...). */
	if (hive_walk(hive_handle(hv), "Select", &node, &depth, &bad) != 0) {
		free(bad);
		return norm;
	}
	if (hive_current_control_set(hv, &n, cause) == 0)
		xasprintf(&out, "ControlSet%03d%s", n, rest);
	free(norm);
	return out;
}

int
hive_key_lookup(struct hive *hv, const char *path, hive_node_h *node,
    char **cause)
{
	char		*full, *bad = NULL, *done;
	const char	*p;
	size_t		 depth, i;
	int		 err;

	if ((full = hive_path_resolve(hv, path, cause)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (hive_walk(hive_handle(hv), full, node, &depth, &bad) == 0) {
		free(full);
		return 0;
	}
	err = errno;

	/* The part that exists, to name where the walk stopped. */
	for (p = full, i = 0; i < depth; i++)
		p = strchr(p, '\\') + 1;
	done = xstrndup(full, p == full ? 0 : (size_t)(p - full - 1));
	if (bad == NULL)
		set_cause(cause, "%s: cannot read the root key: %s",
		    hive_name(hv), strerror(err));
	else if (err == ENOENT)
		set_cause(cause, "%s: no key %s (no \"%s\" under %s)",
		    hive_name(hv), full, bad, *done == '\0' ? "the root" :
		    done);
	else
		set_cause(cause, "%s: cannot read the subkeys of %s (the hive "
		    "is damaged there): %s", hive_name(hv), *done == '\0' ?
		    "the root" : done, strerror(err));
	free(done);
	free(bad);
	free(full);
	errno = err;
	return -1;
}
