/*
 * path.c: registry paths as people write them ("HKLM\SYSTEM\...") and the
 * files that hold each hive on the volume.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "util/util.h"

static const struct {
	const char	*name;		/* under HKLM, or .DEFAULT under HKU */
	const char	*file;
} hive_files[HIVE_COUNT] = {
	[HIVE_SYSTEM] =		{ "SYSTEM",
				  "Windows\\System32\\config\\SYSTEM" },
	[HIVE_SOFTWARE] =	{ "SOFTWARE",
				  "Windows\\System32\\config\\SOFTWARE" },
	[HIVE_COMPONENTS] =	{ "COMPONENTS",
				  "Windows\\System32\\config\\COMPONENTS" },
	[HIVE_DEFAULT] =	{ "DEFAULT",
				  "Windows\\System32\\config\\DEFAULT" },
	[HIVE_SAM] =		{ "SAM", "Windows\\System32\\config\\SAM" },
	[HIVE_SECURITY] =	{ "SECURITY",
				  "Windows\\System32\\config\\SECURITY" },
};

#define HIVE_PATH_HELP	"use HKLM\\SYSTEM, HKLM\\SOFTWARE, HKLM\\COMPONENTS, " \
	"HKLM\\SAM, HKLM\\SECURITY or HKU\\.DEFAULT"

const char *
hive_volume_path(enum hive_id id)
{
	if ((unsigned)id >= HIVE_COUNT)
		return NULL;
	return hive_files[id].file;
}

const char *
hive_id_name(enum hive_id id)
{
	if ((unsigned)id >= HIVE_COUNT)
		return NULL;
	return hive_files[id].name;
}

/* The next component of p (separated by '\' or '/', empty ones skipped):
 * *start and *len; returns the position after it. */
static const char *
hive_path_next(const char *p, const char **start, size_t *len)
{
	while (*p == '\\' || *p == '/')
		p++;
	*start = p;
	while (*p != '\0' && *p != '\\' && *p != '/')
		p++;
	*len = (size_t)(p - *start);
	return p;
}

static int
hive_comp_is(const char *s, size_t len, const char *name)
{
	return strlen(name) == len && strncasecmp(s, name, len) == 0;
}

int
hive_path_split(const char *regpath, enum hive_id *id, char **sub,
    char **cause)
{
	const char	*p, *root, *name, *c;
	size_t		 rlen, nlen, clen;
	char		*out, *o;
	int		 hku, i;

	p = hive_path_next(regpath, &root, &rlen);
	if (hive_comp_is(root, rlen, "HKLM") ||
	    hive_comp_is(root, rlen, "HKEY_LOCAL_MACHINE"))
		hku = 0;
	else if (hive_comp_is(root, rlen, "HKU") ||
	    hive_comp_is(root, rlen, "HKEY_USERS"))
		hku = 1;
	else
		return set_cause(cause, "%s: unknown registry root \"%.*s\": "
		    HIVE_PATH_HELP, regpath, (int)rlen, root);

	p = hive_path_next(p, &name, &nlen);
	if (nlen == 0)
		return set_cause(cause, "%s: no hive named: " HIVE_PATH_HELP,
		    regpath);
	i = -1;
	if (hku) {
		/* Only the .DEFAULT profile lives in config\; user profiles
		 * are each in their own NTUSER.DAT. */
		if (hive_comp_is(name, nlen, ".DEFAULT"))
			i = HIVE_DEFAULT;
	} else {
		for (i = 0; i < HIVE_COUNT; i++) {
			if (i != HIVE_DEFAULT &&
			    hive_comp_is(name, nlen, hive_files[i].name))
				break;
		}
		if (i == HIVE_COUNT)
			i = -1;
	}
	if (i == -1)
		return set_cause(cause, "%s: no hive %s\\%.*s offline: "
		    HIVE_PATH_HELP, regpath, hku ? "HKU" : "HKLM", (int)nlen,
		    name);

	/* The rest, '\' separated, without empty components. */
	out = o = xmalloc(strlen(p) + 1);
	for (;;) {
		p = hive_path_next(p, &c, &clen);
		if (clen == 0)
			break;
		if (o != out)
			*o++ = '\\';
		memcpy(o, c, clen);
		o += clen;
	}
	*o = '\0';
	*id = (enum hive_id)i;
	*sub = out;
	return 0;
}
