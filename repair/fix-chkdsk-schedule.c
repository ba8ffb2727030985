/*
 * fix-chkdsk-schedule.c: autochk checks the Windows volume at the next
 * boot, before Windows mounts it.
 *
 * There are two ways to ask for that offline, and this takes BootExecute:
 * "autocheck autochk /r \??\C:" added to SYSTEM\CurrentControlSet\Control
 * \Session Manager\BootExecute before the default "autocheck autochk *",
 * the entry chkdsk itself wrote when it scheduled a check of a volume in
 * use (Windows NT to XP: /p for chkdsk /f, /r for chkdsk /r).
 *  - It asks for /r, what CASE.md's engineer ran for 0x80071ab1: bad
 *    sectors too. The NTFS dirty bit only gets autochk's /f-level check.
 *  - The dirty bit would lock ntmend out: a dirty volume is refused for
 *    writing (ntfs/ntfs3g.c; ntfs-3g refuses it too), so no later fix and
 *    not even the undo of this one could run until Windows had booted,
 *    and volume-dirty would stay a finding whose fix is this one.
 *  - A value edit goes through regedit and the journal as every hive edit
 *    does: undo restores the hive byte for byte; no new journal operation
 *    is needed.
 *  - autochk clears its own /p or /r entry after a check that completes,
 *    so it runs once. Should it not (a check that cannot finish), 'ntmend
 *    undo' or removing the line stops it.
 * The drive letter is the one SOFTWARE's SystemRoot names ("C:\WINDOWS"),
 * C: when it cannot be read (the Windows volume almost always is C:).
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "repair/repair.h"
#include "util/util.h"

#define SM_KEY		"CurrentControlSet\\Control\\Session Manager"
#define SM_REGPATH	"HKLM\\SYSTEM\\" SM_KEY
#define AUTOCHK_ALL	"autocheck autochk *"
#define NTM_MAX_BOOTEXECUTE 256	/* strings kept; Windows has one or two,
				   defragmenters and AV add a few */

struct multi_sz {
	char	**s;
	size_t	  n;
};

static void
multi_sz_free(struct multi_sz *m)
{
	size_t	i;

	for (i = 0; i < m->n; i++)
		free(m->s[i]);
	free(m->s);
	memset(m, 0, sizeof *m);
}

static void
multi_sz_add(struct multi_sz *m, size_t at, char *s)
{
	m->s = xreallocarray(m->s, m->n + 1, sizeof *m->s);
	memmove(m->s + at + 1, m->s + at, (m->n - at) * sizeof *m->s);
	m->s[at] = s;
	m->n++;
}

/* REG_MULTI_SZ (or a lone REG_SZ/EXPAND_SZ): UTF-16LE strings, each
 * NUL-terminated, an empty one at the end. Empty strings in between are
 * dropped, as the registry editor does. */
static void
multi_sz_parse(const struct hive_value *v, struct multi_sz *m)
{
	const uint8_t	*p = v->data;
	size_t		 len = v->len & ~(size_t)1, i, start = 0;

	memset(m, 0, sizeof *m);
	for (i = 0; i + 2 <= len && m->n < NTM_MAX_BOOTEXECUTE; i += 2) {
		if (p[i] != 0 || p[i + 1] != 0)
			continue;
		if (i > start)
			multi_sz_add(m, m->n, utf16le_to_utf8(p + start,
			    i - start));
		start = i + 2;
	}
	if (len > start && m->n < NTM_MAX_BOOTEXECUTE)
		multi_sz_add(m, m->n, utf16le_to_utf8(p + start, len - start));
}

static uint8_t *
multi_sz_encode(const struct multi_sz *m, size_t *lenp)
{
	uint8_t	*out = NULL, *u;
	size_t	 len = 0, ulen, i;

	for (i = 0; i < m->n; i++) {
		if ((u = utf8_to_utf16le(m->s[i], &ulen)) == NULL)
			continue;
		out = xrealloc(out, len + ulen + 2);
		memcpy(out + len, u, ulen + 2);
		len += ulen + 2;
		free(u);
	}
	out = xrealloc(out, len + 2);
	out[len] = out[len + 1] = 0;
	*lenp = len + 2;
	return out;
}

/* The Windows volume's letter from SOFTWARE's SystemRoot. */
static char
chkdsk_letter(struct fixctx *fx)
{
	struct hive	*sw;
	char		*root = NULL, letter = 'C';

	if ((sw = regedit_hive(fx->regedit, HIVE_SOFTWARE, NULL)) != NULL &&
	    hive_value_string(sw, "Microsoft\\Windows NT\\CurrentVersion",
	    "SystemRoot", &root, NULL) == 0 && isalpha((unsigned char)root[0])
	    && root[1] == ':')
		letter = (char)toupper((unsigned char)root[0]);
	free(root);
	return letter;
}

/* Does an entry already have autochk check this volume? */
static int
chkdsk_scheduled(const struct multi_sz *m, const char *vol)
{
	size_t	i, vl = strlen(vol), sl;

	for (i = 0; i < m->n; i++) {
		sl = strlen(m->s[i]);
		if (strncasecmp(m->s[i], "autocheck autochk ", 18) == 0 &&
		    sl >= vl && strcasecmp(m->s[i] + sl - vl, vol) == 0)
			return 1;
	}
	return 0;
}

static int
chkdsk_schedule_apply(struct fixctx *fx, char **cause)
{
	struct hive		*sys;
	struct hive_value	 v;
	struct multi_sz		 m;
	char			 vol[8], *entry;
	uint8_t			*data;
	size_t			 len, at;
	int			 ret;

	if ((sys = regedit_hive(fx->regedit, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	memset(&m, 0, sizeof m);
	if (hive_value_get(sys, SM_KEY, "BootExecute", &v, NULL) == 0) {
		multi_sz_parse(&v, &m);
		hive_value_free(&v);
	}
	snprintf(vol, sizeof vol, "\\??\\%c:", chkdsk_letter(fx));
	if (chkdsk_scheduled(&m, vol)) {
		multi_sz_free(&m);
		return 0;
	}
	/* Before "autocheck autochk *", so the requested check comes first;
	 * with no default entry (a damaged value), the default is put back
	 * too, as Windows' own value has it. */
	for (at = 0; at < m.n; at++) {
		if (strcasecmp(m.s[at], AUTOCHK_ALL) == 0)
			break;
	}
	if (at == m.n)
		multi_sz_add(&m, m.n, xstrdup(AUTOCHK_ALL));
	entry = xprintf("autocheck autochk /r %s", vol);
	multi_sz_add(&m, at, entry);
	data = multi_sz_encode(&m, &len);
	fix_change(fx, "schedule 'chkdsk /r' of %c: for the next boot: "
	    "autochk runs before Windows mounts the volume and removes its "
	    "BootExecute entry when done", vol[4]);
	ret = regedit_set(fx->regedit, SM_REGPATH, "BootExecute",
	    HIVE_REG_MULTI_SZ, data, len, cause);
	free(data);
	multi_sz_free(&m);
	return ret;
}

const struct fix fix_chkdsk_schedule = {
	.id = "chkdsk-schedule",
	.title = "Check the disk at the next boot (chkdsk /r)",
	.explanation = "Adds 'autocheck autochk /r \\??\\C:' to BootExecute in "
	    "SYSTEM\\CurrentControlSet\\Control\\Session Manager, as chkdsk "
	    "does when it schedules a check of a volume in use: autochk "
	    "checks the volume and its bad sectors before Windows starts, then "
	    "removes the entry. Chosen over the NTFS dirty bit because /r "
	    "checks more than the /f a dirty bit gets, and a dirty volume "
	    "cannot be written by ntmend (no later fix, no undo) until Windows "
	    "has booted; the registry edit is journaled and undone like any "
	    "other.",
	.order = 85,
	.in_all = 1,
	.apply = chkdsk_schedule_apply
};
