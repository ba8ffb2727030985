/*
 * policy.c: Group Policy registry.pol files for the `pol` command, the
 * menu and the checks: read one from the target or from this machine,
 * judge it strictly, plan a salvage, edit entries, find the policies that
 * stop Windows Update, and write the result back through the journal (or,
 * for a file on this machine, next to a FILE.bak). The PReg format itself
 * is hive/pol.c's; nothing here prints.
 *
 * A missing registry.pol is normal: Windows writes one only when a local
 * policy is set (CASE.md's PCs had one because the company's update client
 * is configured through it).
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "hive/hive.h"
#include "repair/repair.h"
#include "util/util.h"

/*
 * Largest file read at all. Anything between NTM_MAX_POL_SIZE and this is
 * read and judged damaged ("file too large"), so that repair can still
 * keep its first entries; a file beyond it is not a registry.pol that
 * went wrong but something else put in its place.
 */
#define NTM_MAX_POL_READ	((size_t)64 << 20)

/* FILE.bak, FILE.bak.1, ...: an earlier backup is never overwritten, so
 * the bytes from before the first change stay somewhere. */
#define NTM_MAX_POL_BACKUPS	100

const char *
policy_path(enum policy_scope scope)
{
	return scope == POLICY_USER ? POLICY_USER_PATH : POLICY_MACHINE_PATH;
}

/* Judge bytes just read: strict parse, else salvage what comes before
 * the damage (what repair keeps and what show lists). */
static void
policy_judge(struct policy_file *pf)
{
	struct pol	*pol;

	if (pol_parse(pf->buf, pf->len, &pol, &pf->err) == 0) {
		pf->pol = pol;
		return;
	}
	pf->damaged = 1;
	pol_salvage(pf->buf, pf->len, &pf->pol, &pf->err);
}

int
policy_read(struct vol *vol, const char *path, struct policy_file *pf,
    char **cause)
{
	struct vol_stat	 st;
	void		*buf;
	size_t		 len;

	memset(pf, 0, sizeof *pf);
	pf->path = xstrdup(path);
	if (!vol_exists(vol, path)) {
		pf->missing = 1;
		pf->pol = pol_new();
		return 0;
	}
	if (vol_stat(vol, path, &st, cause) != 0)
		goto fail;
	if (st.is_dir) {
		set_cause(cause, "%s is a folder, not a file: move it aside "
		    "(Windows expects a registry.pol file there)", path);
		goto fail;
	}
	if (st.size > NTM_MAX_POL_READ) {
		set_cause(cause, "%s is %llu bytes, far more than any "
		    "registry.pol (at most %d): it is not a policy file; move "
		    "it aside", path, (unsigned long long)st.size,
		    NTM_MAX_POL_SIZE);
		goto fail;
	}
	if (vol_file_read_all(vol, path, NTM_MAX_POL_READ, &buf, &len,
	    cause) != 0)
		goto fail;
	pf->buf = buf;
	pf->len = len;
	policy_judge(pf);
	return 0;

fail:
	policy_file_free(pf);
	return -1;
}

int
policy_read_host(const char *file, struct policy_file *pf, char **cause)
{
	struct stat	 sb;
	void		*buf;
	size_t		 len;

	memset(pf, 0, sizeof *pf);
	pf->path = xstrdup(file);
	pf->host = 1;
	/* A file named on the command line must be there: unlike the
	 * target's, its absence is a mistake, not "no policy". */
	if (stat(file, &sb) != 0) {
		set_cause(cause, "%s: %s", file, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(sb.st_mode)) {
		set_cause(cause, "%s is not a regular file", file);
		goto fail;
	}
	if ((uint64_t)sb.st_size > NTM_MAX_POL_READ) {
		set_cause(cause, "%s is %llu bytes, far more than any "
		    "registry.pol (at most %d): it is not a policy file", file,
		    (unsigned long long)sb.st_size, NTM_MAX_POL_SIZE);
		goto fail;
	}
	if (file_read_all(file, NTM_MAX_POL_READ, &buf, &len, cause) != 0)
		goto fail;
	pf->buf = buf;
	pf->len = len;
	policy_judge(pf);
	return 0;

fail:
	policy_file_free(pf);
	return -1;
}

void
policy_file_free(struct policy_file *pf)
{
	if (pf == NULL)
		return;
	free(pf->path);
	free(pf->buf);
	pol_free(pf->pol);
	memset(pf, 0, sizeof *pf);
}

/* Where the damaged part starts: the whole file when the header itself is
 * broken, else the damaged entry (salvage keeps everything before it). */
static size_t
policy_drop_offset(const struct policy_file *pf)
{
	switch (pf->err.damage) {
	case POL_DAMAGE_SHORT:
	case POL_DAMAGE_SIGNATURE:
	case POL_DAMAGE_VERSION:
		return 0;
	default:
		return pf->err.entry_off;
	}
}

/* The UTF-16LE string at off, if it ends inside the buffer; NULL
 * otherwise; caller frees. At most max units are looked at. */
static char *
policy_peek_string(const uint8_t *buf, size_t len, size_t off, size_t max,
    size_t *end)
{
	size_t	i;

	for (i = off; i + 1 < len && (i - off) / 2 < max; i += 2) {
		if (buf[i] == 0 && buf[i + 1] == 0) {
			*end = i + 2;
			return utf16le_to_utf8(buf + off, i - off);
		}
	}
	return NULL;
}

/*
 * What can still be read of the damaged entry, for the technician to know
 * which setting is lost: its key and value name when they are intact
 * ("Software\Policies\...;NoAutoUpdate"), else NULL. Caller frees.
 */
static char *
policy_damaged_entry(const struct policy_file *pf)
{
	const uint8_t	*b = pf->buf;
	size_t		 off = pf->err.entry_off, end;
	char		*key, *name, *s;

	if (policy_drop_offset(pf) == 0 || pf->err.damage ==
	    POL_DAMAGE_TRAILING || off + 2 > pf->len || b[off] != '[' ||
	    b[off + 1] != 0)
		return NULL;
	key = policy_peek_string(b, pf->len, off + 2, NTM_MAX_POL_KEY, &end);
	if (key == NULL)
		return NULL;
	if (*key == '\0' || end + 2 > pf->len || b[end] != ';' ||
	    b[end + 1] != 0 || (name = policy_peek_string(b, pf->len,
	    end + 2, NTM_MAX_POL_NAME, &end)) == NULL)
		return key;
	s = xprintf("%s;%s", key, *name != '\0' ? name : "(default)");
	free(key);
	free(name);
	return s;
}

int
policy_repair_plan(const struct policy_file *pf, struct policy_repair *pr,
    char **cause)
{
	char		*what;
	size_t		 drop;

	memset(pr, 0, sizeof *pr);
	if (pf->missing || !pf->damaged)
		return 0;
	drop = policy_drop_offset(pf);
	pr->kept = pf->pol->nentries;
	pr->drop_off = drop;
	pr->drop_len = pf->len - drop;
	pr->buf = pol_write(pf->pol, &pr->len);

	/*
	 * With an intact header, the salvaged entries written back are the
	 * damaged file's first bytes exactly (pol_write reproduces what it
	 * parsed): say so, and refuse if it ever were not, since then the
	 * "kept" entries would not be the technician's.
	 */
	if (drop != 0 && (pr->len != drop || memcmp(pr->buf, pf->buf,
	    drop) != 0)) {
		policy_repair_free(pr);
		return set_cause(cause, "%s: the entries before the damage do "
		    "not write back as they were; not repairing (report this "
		    "file)", pf->path);
	}
	if (pr->kept == 0)
		xasprintf(&pr->changes[0], "rewrote %s as an empty policy "
		    "file (header only, %zu bytes): no entry before the "
		    "damage is valid", pf->path, pr->len);
	else	/* an intact header, so drop != 0 */
		xasprintf(&pr->changes[0], "rewrote %s with the %zu valid "
		    "entr%s before the damage (its first %zu bytes, "
		    "unchanged)", pf->path, pr->kept, pr->kept == 1 ? "y" :
		    "ies", drop);
	what = policy_damaged_entry(pf);
	if (pf->err.damage == POL_DAMAGE_TRAILING)
		xasprintf(&pr->changes[1], "dropped %zu byte%s of trailing "
		    "garbage from offset %zu", pr->drop_len, pr->drop_len == 1 ?
		    "" : "s", drop);
	else if (drop == 0)
		xasprintf(&pr->changes[1], "dropped all %zu bytes of the old "
		    "file (%s)", pr->drop_len, pf->err.msg);
	else
		xasprintf(&pr->changes[1], "dropped %zu bytes from offset "
		    "%zu: entry %zu (%s%s%s at offset %zu) and anything after "
		    "it", pr->drop_len, drop, pf->err.entry, what != NULL ?
		    what : "", what != NULL ? ": " : "",
		    pol_damage_string(pf->err.damage), pf->err.off);
	free(what);
	pr->nchanges = 2;
	return 0;
}

void
policy_repair_free(struct policy_repair *pr)
{
	size_t	i;

	free(pr->buf);
	for (i = 0; i < 2; i++)
		free(pr->changes[i]);
	memset(pr, 0, sizeof *pr);
}

/* The folder part of a volume path ("a\b\c" -> "a\b"); caller frees. */
static char *
policy_parent(const char *path)
{
	const char	*s = strrchr(path, '\\');

	return xstrndup(path, s != NULL ? (size_t)(s - path) : 0);
}

int
policy_commit(struct journal *j, const struct policy_file *pf,
    const void *buf, size_t len, char **cause)
{
	char	*dir;
	int	 ret;

	if (pf->host)
		return set_cause(cause, "%s is a file on this machine, not on "
		    "the target", pf->path);
	if (!pf->missing)
		return journal_replace(j, pf->path, buf, len, cause);
	/* No local policy yet: GroupPolicy\Machine may not exist either;
	 * undo removes what is created here, folders included. */
	dir = policy_parent(pf->path);
	ret = *dir == '\0' ? 0 : journal_mkdir_p(j, dir, cause);
	free(dir);
	if (ret != 0)
		return -1;
	return journal_create(j, pf->path, buf, len, cause);
}

/* Copy bytes to a new file that must not exist (O_EXCL). Returns 0 or
 * the errno (EEXIST: the name is taken), with a cause. */
static int
policy_write_new(const char *path, const void *buf, size_t len,
    char **cause)
{
	const uint8_t	*p = buf;
	ssize_t		 n;
	size_t		 done = 0;
	int		 fd, e;

	if ((fd = open(path, O_WRONLY|O_CREAT|O_EXCL|O_CLOEXEC, 0644)) == -1) {
		e = errno;
		set_cause(cause, "%s: %s", path, strerror(e));
		return e;
	}
	while (done < len) {
		if ((n = write(fd, p + done, len - done)) <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			e = n < 0 ? errno : EIO;
			goto fail;
		}
		done += (size_t)n;
	}
	if (fsync(fd) != 0) {
		e = errno;
		goto fail;
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(path);
		set_cause(cause, "%s: cannot write: %s", path, strerror(e));
		return e;
	}
	return 0;

fail:
	close(fd);
	unlink(path);
	set_cause(cause, "%s: cannot write: %s", path, strerror(e));
	return e;
}

int
policy_commit_host(const struct policy_file *pf, const void *buf,
    size_t len, char **backup, char **cause)
{
	char	*bak = NULL, *tmp = NULL, *why = NULL;
	int	 i, e;

	*backup = NULL;
	if (!pf->host || pf->missing)
		return set_cause(cause, "%s is not a file on this machine",
		    pf->path);
	/* The backup is the bytes read, so what is kept is exactly what the
	 * decision was made on. */
	for (i = 0; ; i++) {
		if (i > NTM_MAX_POL_BACKUPS)
			return set_cause(cause, "%s.bak ... %s.bak.%d all "
			    "exist: move old backups away", pf->path,
			    pf->path, NTM_MAX_POL_BACKUPS);
		bak = i == 0 ? xprintf("%s.bak", pf->path) :
		    xprintf("%s.bak.%d", pf->path, i);
		if ((e = policy_write_new(bak, pf->buf, pf->len, &why)) == 0)
			break;
		free(bak);
		if (e != EEXIST) {
			if (cause != NULL)
				*cause = why;
			else
				free(why);
			return -1;
		}
		free(why);
		why = NULL;
	}
	/* Write beside and rename over: the file is never half-written. */
	tmp = xprintf("%s.ntmend-new", pf->path);
	unlink(tmp);
	if (policy_write_new(tmp, buf, len, cause) != 0)
		goto fail;
	if (rename(tmp, pf->path) != 0) {
		set_cause(cause, "%s: cannot replace: %s", pf->path,
		    strerror(errno));
		unlink(tmp);
		goto fail;
	}
	free(tmp);
	*backup = bak;
	return 0;

fail:
	/* Nothing was changed: a backup of an unchanged file is noise. */
	unlink(bak);
	free(bak);
	free(tmp);
	return -1;
}

/*
 * A key as the command line gives it, to the form registry.pol stores:
 * relative to HKLM (Machine) or HKCU (User), so a leading "HKLM\" or
 * "HKEY_CURRENT_USER\" is dropped, and one for the other scope refused.
 * scope -1: a file on this machine whose scope is not known.
 */
char *
policy_key_normalize(const char *key, int scope, char **cause)
{
	static const struct {
		const char	*prefix;
		int		 scope;
	} roots[] = {
		{ "HKEY_LOCAL_MACHINE\\", POLICY_MACHINE },
		{ "HKLM\\", POLICY_MACHINE },
		{ "HKEY_CURRENT_USER\\", POLICY_USER },
		{ "HKCU\\", POLICY_USER },
	};
	size_t	i, n;

	for (i = 0; i < sizeof roots / sizeof roots[0]; i++) {
		n = strlen(roots[i].prefix);
		if (strncasecmp(key, roots[i].prefix, n) != 0)
			continue;
		if (scope != -1 && scope != roots[i].scope) {
			set_cause(cause, "%s is a %s key; the %s registry.pol "
			    "holds %s keys (%s)", key, roots[i].scope ==
			    POLICY_USER ? "user" : "machine", scope ==
			    POLICY_USER ? "User" : "Machine", scope ==
			    POLICY_USER ? "HKCU" : "HKLM", scope ==
			    POLICY_USER ? "drop --user" : "add --user");
			return NULL;
		}
		key += n;
		break;
	}
	while (*key == '\\')
		key++;
	if (*key == '\0') {
		set_cause(cause, "empty key: give one like "
		    "Software\\Policies\\Microsoft\\Windows\\WindowsUpdate");
		return NULL;
	}
	return xstrdup(key);
}

/* "REG_DWORD 1" for change lines; caller frees. */
static char *
policy_value_text(uint32_t type, const void *data, size_t size)
{
	struct pol_entry	 e;
	char			*t, *d, *s, *p;

	memset(&e, 0, sizeof e);
	e.type = type;
	e.size = (uint32_t)size;
	e.data = (uint8_t *)data;
	t = pol_type_name(type);
	d = pol_entry_format(&e);
	/* Keep a change on one line: MULTI_SZ strings join with '|'. */
	for (p = d; *p != '\0'; p++) {
		if (*p == '\n')
			*p = '|';
	}
	s = xprintf("%s %s", t, d);
	free(t);
	free(d);
	return s;
}

int
policy_set(struct pol *pol, const char *key, const char *name,
    uint32_t type, const void *data, size_t size, char **change,
    char **cause)
{
	const struct pol_entry	*e;
	ssize_t			 at;
	char			*was = NULL, *now;

	*change = NULL;
	if ((at = pol_find(pol, key, name)) != -1) {
		e = &pol->entries[at];
		if (e->type == type && e->size == size && (size == 0 ||
		    memcmp(e->data, data, size) == 0))
			return 0;	/* already so: nothing to write */
		was = policy_value_text(e->type, e->data, e->size);
	}
	if (pol_set(pol, key, name, type, data, size, cause) != 0) {
		free(was);
		return -1;
	}
	now = policy_value_text(type, data, size);
	xasprintf(change, "set %s;%s = %s%s%s", key, *name != '\0' ? name :
	    "(default)", now, was != NULL ? ", was " : " (new entry)",
	    was != NULL ? was : "");
	free(now);
	free(was);
	return 0;
}

int
policy_delete(struct pol *pol, const char *key, const char *name,
    char **change, char **cause)
{
	char	*what;
	ssize_t	 at;
	size_t	 n;

	*change = NULL;
	if ((at = pol_find(pol, key, name)) == -1)
		return set_cause(cause, "registry.pol has no entry %s;%s "
		    "('ntmend pol show' lists them)", key, *name != '\0' ?
		    name : "(default)");
	what = pol_entry_describe(&pol->entries[at]);
	n = pol_delete(pol, key, name);
	if (n > 1)
		xasprintf(change, "deleted %s;%s (%s), and %zu earlier "
		    "entr%s for it", key, *name != '\0' ? name : "(default)",
		    what, n - 1, n == 2 ? "y" : "ies");
	else
		xasprintf(change, "deleted %s;%s (%s)", key, *name != '\0' ?
		    name : "(default)", what);
	free(what);
	return 0;
}

/* Key paths compare as pol.c's lookups do: ASCII case-insensitively
 * ("Software\Policies" in GPMC files, "SOFTWARE\Policies" elsewhere). */
static int
policy_key_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/*
 * Call fn for each item of the ';'-separated list in an entry's string
 * data (**DeleteValues "a;b;", **DeleteKeys "k1;k2"), spaces around items
 * trimmed; stops at the first fn that returns non-zero and returns 1.
 */
static int
policy_list_each(const struct pol_entry *e,
    int (*fn)(const char *, const void *), const void *arg)
{
	char	*s, *tok, *save = NULL;
	size_t	 n;
	int	 found = 0;

	if (e->size < 2)
		return 0;
	s = utf16le_to_utf8(e->data, e->size);
	for (tok = strtok_r(s, ";", &save); tok != NULL && !found;
	    tok = strtok_r(NULL, ";", &save)) {
		while (*tok == ' ')
			tok++;
		for (n = strlen(tok); n > 0 && tok[n - 1] == ' '; n--)
			tok[n - 1] = '\0';
		found = *tok != '\0' && fn(tok, arg);
	}
	free(s);
	return found;
}

static int
policy_item_is(const char *item, const void *name)
{
	return strcasecmp(item, name) == 0;
}

/* For **DeleteKeys at parent: is key the listed subkey or below it? */
struct policy_under {
	const char	*key;
	const char	*parent;
};

static int
policy_item_holds(const char *sub, const void *arg)
{
	const struct policy_under	*u = arg;
	size_t				 pl = strlen(u->parent);
	size_t				 sl = strlen(sub);

	if (strncasecmp(u->key, u->parent, pl) != 0 || u->key[pl] != '\\' ||
	    strncasecmp(u->key + pl + 1, sub, sl) != 0)
		return 0;
	return u->key[pl + 1 + sl] == '\0' || u->key[pl + 1 + sl] == '\\';
}

ssize_t
policy_effective(const struct pol *pol, const char *key, const char *name)
{
	const struct pol_entry	*e;
	struct policy_under	 u;
	const char		*target;
	ssize_t			 cur = -1;
	size_t			 i;

	/*
	 * Group Policy applies the entries in file order, so a later entry
	 * overrides or deletes what an earlier one set ([MS-GPREG] 2.2.1
	 * and the special value names pol.c describes).
	 */
	for (i = 0; i < pol->nentries; i++) {
		e = &pol->entries[i];
		if (pol_entry_action(e, NULL) == POL_ACTION_DELETEKEYS) {
			/* Deletes the listed subkeys of its key, each with
			 * everything below it; not the key's own values. */
			u.key = key;
			u.parent = e->key;
			if (policy_list_each(e, policy_item_holds, &u))
				cur = -1;
			continue;
		}
		if (!policy_key_equal(e->key, key))
			continue;
		switch (pol_entry_action(e, &target)) {
		case POL_ACTION_SET:
			if (strcasecmp(target, name) == 0)
				cur = (ssize_t)i;
			break;
		case POL_ACTION_SOFT:
			/* Set only if not there; what was there before this
			 * file is not known, so only this file's own count. */
			if (strcasecmp(target, name) == 0 && cur == -1)
				cur = (ssize_t)i;
			break;
		case POL_ACTION_DEL:
			if (strcasecmp(target, name) == 0)
				cur = -1;
			break;
		case POL_ACTION_DELVALS:
			cur = -1;
			break;
		case POL_ACTION_DELETEVALUES:
			if (policy_list_each(e, policy_item_is, name))
				cur = -1;
			break;
		default:
			break;
		}
	}
	return cur;
}

/*
 * Which policies stop updates, and why; each decision cites Microsoft's
 * documentation (MicrosoftDocs/windows-itpro-docs):
 *
 * - WindowsUpdate;DisableWindowsUpdateAccess != 0, "Turn off access to
 *   all Windows Update features" (ICM.admx, RemoveWindowsUpdate_ICM;
 *   client-management/mdm/policy-csp-admx-icm.md): "Windows automatic
 *   updating is also disabled; you won't get notified or receive critical
 *   updates from Windows Update". The same page notes it applies only
 *   with an intranet update service; it blocks either way here, because
 *   the older explain text has no such condition and a PC that has to be
 *   repaired gains nothing from it.
 * - WindowsUpdate;SetDisableUXWUAccess != 0, "Remove access to use all
 *   Windows Update features" (policy-csp-update.md, Update/
 *   SetDisableUXWUAccess): "the user cannot access the Windows Update
 *   scan, download, and install features". deployment/update/
 *   waas-wu-settings.md adds that background scans and installs go on;
 *   it is still a blocker for this tool: the field case's fix ends with
 *   the technician installing the update by hand in Windows, which this
 *   policy forbids.
 * - AU;NoAutoUpdate != 0 (waas-wu-settings.md, "Configuring Automatic
 *   Updates by editing the registry": "1: Automatic Updates is
 *   disabled"; "Configure Automatic Updates" set to Disabled: updates
 *   "must be downloaded and installed manually").
 * - AU;AUOptions = 1 (same page: "Keep my computer up to date is
 *   disabled in Automatic Updates"); 2-5 only change when and how.
 * - AU;UseWUServer != 0 with WindowsUpdate;WUServer set, "Specify
 *   intranet Microsoft update service location" (waas-wu-settings.md):
 *   the client "connects to the specified intranet Microsoft update
 *   service ... instead of Windows Update": a PC whose server is gone
 *   or unreachable (CASE.md's broken update client) gets nothing. Removed
 *   with it: WUStatusServer, UpdateServiceUrlAlternate and
 *   DoNotConnectToWindowsUpdateInternetLocations, which the same page
 *   says "applies only when the device is configured to connect to an
 *   intranet update service" (so alone it is harmless and not reported).
 *   UseWUServer without a WUServer in this file is not judged: the
 *   server may come from a domain GPO this file does not show.
 *
 * Harmless, never reported: ExcludeWUDriversInQualityUpdate ("Do not
 * include drivers with Windows Updates": drivers only), deferrals, active
 * hours, restart and notification settings, TargetReleaseVersion.
 */
#define POLICY_WU_KEY	"Software\\Policies\\Microsoft\\Windows\\WindowsUpdate"
#define POLICY_AU_KEY	POLICY_WU_KEY "\\AU"

/* The DWORD in effect for key;name: 1 and *idx, *v if there is one. */
static int
policy_dword(const struct pol *pol, const char *key, const char *name,
    size_t *idx, uint32_t *v)
{
	const struct pol_entry	*e;
	ssize_t			 at;

	if ((at = policy_effective(pol, key, name)) == -1)
		return 0;
	e = &pol->entries[at];
	/* The Windows Update client reads these as REG_DWORD; another type
	 * is ignored by it, so it does not block anything. */
	if (e->type != HIVE_REG_DWORD || e->size != 4)
		return 0;
	*idx = (size_t)at;
	*v = le32dec(e->data);
	return 1;
}

/* "Software\...\AU;NoAutoUpdate = 1 (REG_DWORD) at offset 1234"; caller
 * frees. */
static char *
policy_entry_evidence(const struct pol *pol, size_t idx)
{
	const struct pol_entry	*e = &pol->entries[idx];
	char			*v, *s;

	v = policy_value_text(e->type, e->data, e->size);
	if (e->off == POL_OFF_NONE)
		s = xprintf("%s;%s = %s (entry %zu, not yet written)", e->key,
		    e->name, v, idx);
	else
		s = xprintf("%s;%s = %s (entry %zu at offset %zu)", e->key,
		    e->name, v, idx, e->off);
	free(v);
	return s;
}

static struct policy_wu_block *
policy_block_add(struct policy_wu_block **bp, size_t *n, const char *id,
    const char *what)
{
	struct policy_wu_block	*b;

	*bp = xreallocarray(*bp, *n + 1, sizeof **bp);
	b = &(*bp)[(*n)++];
	memset(b, 0, sizeof *b);
	b->id = id;
	b->what = what;
	return b;
}

static void
policy_block_entry(struct policy_wu_block *b, size_t idx)
{
	if (b->nentries < POLICY_WU_MAX_ENTRIES)
		b->entries[b->nentries++] = idx;
}

/* A block made by one DWORD: its evidence is that entry. */
static void
policy_block_one(const struct pol *pol, struct policy_wu_block **bp,
    size_t *n, const char *id, const char *what, size_t idx)
{
	struct policy_wu_block	*b;

	b = policy_block_add(bp, n, id, what);
	policy_block_entry(b, idx);
	b->evidence = policy_entry_evidence(pol, idx);
}

int
policy_wu_blocks(const struct pol *pol, struct policy_wu_block **bp,
    size_t *np)
{
	static const char *const wsus_extra[][2] = {
		{ POLICY_WU_KEY, "WUStatusServer" },
		{ POLICY_WU_KEY, "UpdateServiceUrlAlternate" },
		{ POLICY_WU_KEY,
		    "DoNotConnectToWindowsUpdateInternetLocations" },
	};
	struct policy_wu_block	*b;
	ssize_t			 at;
	size_t			 idx, srv, i;
	uint32_t		 v;
	char			*url, *e1, *e2;

	*bp = NULL;
	*np = 0;
	if (policy_dword(pol, POLICY_WU_KEY, "DisableWindowsUpdateAccess",
	    &idx, &v) && v != 0)
		policy_block_one(pol, bp, np, "wu-access-removed", "Turn off "
		    "access to all Windows Update features: automatic "
		    "updating is disabled and nothing comes from Windows "
		    "Update", idx);
	if (policy_dword(pol, POLICY_WU_KEY, "SetDisableUXWUAccess", &idx,
	    &v) && v != 0)
		policy_block_one(pol, bp, np, "wu-ux-removed", "Remove access "
		    "to use all Windows Update features: nobody can check "
		    "for, download or install updates from Settings", idx);
	if (policy_dword(pol, POLICY_AU_KEY, "NoAutoUpdate", &idx, &v) &&
	    v != 0)
		policy_block_one(pol, bp, np, "auto-update-disabled",
		    "Configure Automatic Updates is Disabled: Windows never "
		    "downloads or installs updates by itself", idx);
	if (policy_dword(pol, POLICY_AU_KEY, "AUOptions", &idx, &v) &&
	    v == 1)
		policy_block_one(pol, bp, np, "auto-update-option-disabled",
		    "Automatic Updates option 1: keeping the computer up to "
		    "date is disabled", idx);

	if (policy_dword(pol, POLICY_AU_KEY, "UseWUServer", &idx, &v) &&
	    v != 0 && (at = policy_effective(pol, POLICY_WU_KEY,
	    "WUServer")) != -1) {
		srv = (size_t)at;
		url = pol_entry_format(&pol->entries[srv]);
		if (*url != '\0') {
			b = policy_block_add(bp, np, "intranet-server",
			    "Specify intranet Microsoft update service "
			    "location: updates come only from that server, "
			    "never from Windows Update");
			policy_block_entry(b, idx);
			policy_block_entry(b, srv);
			for (i = 0; i < sizeof wsus_extra /
			    sizeof wsus_extra[0]; i++) {
				at = policy_effective(pol, wsus_extra[i][0],
				    wsus_extra[i][1]);
				if (at != -1)
					policy_block_entry(b, (size_t)at);
			}
			e1 = policy_entry_evidence(pol, idx);
			e2 = policy_entry_evidence(pol, srv);
			b->evidence = xprintf("%s with %s: updates come only "
			    "from %s", e1, e2, url);
			free(e1);
			free(e2);
		}
		free(url);
	}
	return *np > 0;
}

void
policy_wu_blocks_free(struct policy_wu_block *b, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(b[i].evidence);
	free(b);
}

size_t
policy_wu_unblock(struct pol *pol, char ***changesp, size_t *nchangesp)
{
	struct policy_wu_block	*b;
	const struct pol_entry	*e;
	const char		*target;
	char			**keys = NULL, **names = NULL, **changes = NULL;
	char			*what, *soft;
	size_t			 nb, i, k, n = 0, removed = 0, nchanges = 0;

	/* Collect first: deleting shifts the indexes the blocks hold. */
	policy_wu_blocks(pol, &b, &nb);
	for (i = 0; i < nb; i++) {
		for (k = 0; k < b[i].nentries; k++) {
			e = &pol->entries[b[i].entries[k]];
			pol_entry_action(e, &target);
			keys = xreallocarray(keys, n + 1, sizeof *keys);
			names = xreallocarray(names, n + 1, sizeof *names);
			keys[n] = xstrdup(e->key);
			names[n] = xstrdup(target);
			what = pol_entry_describe(e);
			changes = xreallocarray(changes, nchanges + 1,
			    sizeof *changes);
			xasprintf(&changes[nchanges++], "deleted %s;%s (%s): "
			    "%s", e->key, e->name, what, b[i].id);
			free(what);
			n++;
		}
	}
	/* Every entry of those names goes, earlier overridden ones and
	 * **soft. ones too, so none comes back into effect. */
	for (i = 0; i < n; i++) {
		removed += pol_delete(pol, keys[i], names[i]);
		soft = xprintf("**soft.%s", names[i]);
		removed += pol_delete(pol, keys[i], soft);
		free(soft);
		free(keys[i]);
		free(names[i]);
	}
	free(keys);
	free(names);
	policy_wu_blocks_free(b, nb);
	*changesp = changes;
	*nchangesp = nchanges;
	return removed;
}

int
policy_wu_hive(struct hive *hv, struct pol **pp, char **cause)
{
	/* The hive's root is HKLM\SOFTWARE: the file's keys without
	 * "Software\". */
	static const char *const keys[] = { POLICY_WU_KEY, POLICY_AU_KEY };
	static const size_t	 skip = sizeof "Software\\" - 1;
	hive_h			*h = hive_handle(hv);
	hive_node_h		 node;
	hive_value_h		*vals;
	hive_type		 t;
	struct pol		*pol;
	char			*name, *data, *why = NULL;
	size_t			 i, k, len;

	*pp = NULL;
	pol = pol_new();
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		if (hive_key_lookup(hv, keys[i] + skip, &node, &why) != 0) {
			if (errno == ENOENT) {	/* no such policy: normal */
				free(why);
				why = NULL;
				continue;
			}
			pol_free(pol);
			if (cause != NULL)
				*cause = why;
			else
				free(why);
			return -1;
		}
		/* Values hivex cannot list are values the update client
		 * cannot read either. */
		if ((vals = hivex_node_values(h, node)) == NULL)
			continue;
		for (k = 0; vals[k] != 0; k++) {
			if ((name = hivex_value_key(h, vals[k])) == NULL)
				continue;
			data = hivex_value_value(h, vals[k], &t, &len);
			/* A name or size registry.pol cannot hold is no
			 * Windows Update policy: left out. */
			if (data != NULL && *name != '\0')
				pol_set(pol, keys[i], name, t, data, len, NULL);
			free(data);
			free(name);
		}
		free(vals);
	}
	*pp = pol;
	return 0;
}
