/*
 * fix-clean-boot.c: a clean boot as Microsoft describes it (msconfig's
 * Services tab with "Hide all Microsoft services", then Disable all; Task
 * Manager's Startup tab, Disable on every item), made offline. Every
 * change is a registry edit through regedit, so one journal holds them
 * and `ntmend undo` puts every value back as it was. Never part of fix
 * --all: it is a diagnostic step the technician chooses.
 */

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "repair/repair.h"
#include "util/util.h"

/* The same rule as check-third-party-services.c: non-Microsoft Win32
 * services that start automatically; drivers are never touched. */
static int
cb_wanted(const struct service *s)
{
	return s->third_party && s->start == SERVICE_AUTO &&
	    s->type != SERVICE_NONE && (s->type & 0x30) != 0 &&
	    (s->type & 0x80) == 0;
}

/* What one service depends on (DependOnService, REG_MULTI_SZ): the names
 * of services; group dependencies ("+Group") are left out. */
struct cb_deps {
	char	**names;
	size_t	  n;
};

static void
cb_deps_read(struct hive *hv, const char *cs, const char *svc,
    struct cb_deps *d)
{
	struct hive_value	 v;
	const uint8_t		*p, *end;
	char			*key, *s;
	size_t			 n;

	memset(d, 0, sizeof *d);
	key = xprintf("%s\\Services\\%s", cs, svc);
	if (hive_value_get(hv, key, "DependOnService", &v, NULL) != 0) {
		free(key);
		return;
	}
	free(key);
	p = v.data;
	end = v.data + (v.len & ~(size_t)1);
	while (p < end) {
		for (n = 0; p + n + 1 < end && (p[n] != 0 || p[n + 1] != 0);
		    n += 2)
			;
		if (n == 0)
			break;		/* the list's empty last string */
		s = utf16le_to_utf8(p, n);
		if (*s == '+')
			free(s);
		else {
			d->names = xreallocarray(d->names, d->n + 1,
			    sizeof *d->names);
			d->names[d->n++] = s;
		}
		p += n + 2;
	}
	hive_value_free(&v);
}

#define CB_KEEP		0	/* not a clean boot's business */
#define CB_DISABLE	1
#define CB_DEMAND	2

/*
 * Services: Disabled, as msconfig's Disable all does, and not Manual: a
 * manual service still starts when something asks for it (its own tray
 * program, a trigger registered with the SCM, another service of the same
 * product), and an agent that runs anyway defeats the point of a clean
 * boot. The exception is a service that a service able to start depends
 * on (DependOnService), directly or through another such exception:
 * disabled, it would stop that one from starting too, so it becomes
 * Manual and starts only on that demand.
 */
static int
cb_services(struct fixctx *fx, char **cause)
{
	struct service_list	 sl;
	struct cb_deps		*deps;
	struct hive		*hv;
	size_t			*why, i, j, k;
	int			*what, changed, ret = -1, startable;

	if ((hv = regedit_hive(fx->regedit, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	if (services_list(hv, &sl, cause) != 0)
		return -1;
	deps = xcalloc(sl.n + 1, sizeof *deps);
	what = xcalloc(sl.n + 1, sizeof *what);
	why = xcalloc(sl.n + 1, sizeof *why);
	for (i = 0; i < sl.n; i++) {
		cb_deps_read(hv, sl.control_set, sl.svcs[i].name, &deps[i]);
		what[i] = cb_wanted(&sl.svcs[i]) ? CB_DISABLE : CB_KEEP;
	}
	/* Until nothing changes: each pass may make a service startable
	 * whose own dependencies then must stay startable too. */
	do {
		changed = 0;
		for (i = 0; i < sl.n; i++) {
			startable = what[i] == CB_DEMAND || (what[i] ==
			    CB_KEEP && sl.svcs[i].start != SERVICE_DISABLED);
			if (!startable)
				continue;
			for (k = 0; k < deps[i].n; k++) {
				for (j = 0; j < sl.n; j++) {
					if (what[j] != CB_DISABLE ||
					    !hive_name_equal(sl.svcs[j].name,
					    deps[i].names[k]))
						continue;
					what[j] = CB_DEMAND;
					why[j] = i;
					changed = 1;
				}
			}
		}
	} while (changed);
	for (i = 0; i < sl.n; i++) {
		if (what[i] == CB_KEEP)
			continue;
		if (what[i] == CB_DEMAND)
			fix_change(fx, "%s (%s) goes to manual, not disabled: "
			    "%s, which can still start, depends on it",
			    sl.svcs[i].name, service_display(&sl.svcs[i]),
			    sl.svcs[why[i]].name);
		/* In regedit's copy, which lists the change. */
		if (services_set(fx->regedit, sl.svcs[i].name,
		    what[i] == CB_DEMAND ? "demand" : "disabled", cause) != 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < sl.n; i++) {
		for (k = 0; k < deps[i].n; k++)
			free(deps[i].names[k]);
		free(deps[i].names);
	}
	free(deps);
	free(what);
	free(why);
	services_list_free(&sl);
	return ret;
}

#define CB_CV		"HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion"
#define CB_APPROVED	CB_CV "\\Explorer\\StartupApproved"

/*
 * Task Manager's Startup tab (Windows 8 on) does not move or delete a
 * startup item: it writes a 12-byte REG_BINARY of the item's name under
 * Explorer\StartupApproved\Run (HKLM Run), Run32 (the 32-bit view,
 * WOW6432Node) or StartupFolder (the All Users Startup folder): first
 * byte 02 enabled, 03 disabled, then the FILETIME it was disabled.
 * Explorer skips an item whose first byte is odd. Windows re-enables it
 * the same way, so the item itself is never touched.
 */
static int
cb_approve_disable(struct fixctx *fx, struct hive *hv, const char *sub,
    const char *name, uint64_t now, char **cause)
{
	struct hive_value	 v;
	uint8_t			 data[12];
	char			*hkey, *regpath;
	int			 off;

	hkey = xprintf("Microsoft\\Windows\\CurrentVersion\\Explorer\\"
	    "StartupApproved\\%s", sub);
	if (hive_value_get(hv, hkey, name, &v, NULL) == 0) {
		off = v.len >= 1 && (v.data[0] & 1);
		hive_value_free(&v);
		if (off) {
			free(hkey);
			return 0;	/* disabled already */
		}
	}
	free(hkey);
	memset(data, 0, sizeof data);
	data[0] = 0x03;
	le64enc(data + 4, now);
	regpath = xprintf("%s\\%s", CB_APPROVED, sub);
	if (regedit_set(fx->regedit, regpath, name, HIVE_REG_BINARY, data,
	    sizeof data, cause) != 0) {
		free(regpath);
		return -1;
	}
	free(regpath);
	return 0;
}

/* Every named value of a Run key (none if the key is missing). */
static int
cb_run_key(struct fixctx *fx, struct hive *hv, const char *run,
    const char *sub, uint64_t now, char **cause)
{
	hive_h		*h = hive_handle(hv);
	hive_node_h	 node;
	hive_value_h	*vals;
	char		*name;
	size_t		 i;
	int		 ret = 0;

	if (hive_key_lookup(hv, run, &node, NULL) != 0)
		return 0;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return 0;
	for (i = 0; ret == 0 && vals[i] != 0; i++) {
		if ((name = hivex_value_key(h, vals[i])) == NULL)
			continue;
		/* The default value is no startup item. */
		if (*name != '\0')
			ret = cb_approve_disable(fx, hv, sub, name, now, cause);
		free(name);
	}
	free(vals);
	return ret;
}

#define CB_STARTUP_DIR \
	"ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\StartUp"

struct cb_startup {
	char	**names;
	size_t	  n;
};

static int
cb_startup_entry(const struct vol_dirent *de, void *arg)
{
	struct cb_startup	*st = arg;

	/* desktop.ini only gives the folder its name in Explorer. */
	if (de->is_dir || strcasecmp(de->name, "desktop.ini") == 0)
		return 0;
	st->names = xreallocarray(st->names, st->n + 1, sizeof *st->names);
	st->names[st->n++] = xstrdup(de->name);
	return 0;
}

static int
cb_startup(struct fixctx *fx, char **cause)
{
	struct cb_startup	 st = { NULL, 0 };
	struct hive		*hv;
	uint64_t		 now;
	size_t			 i;
	int			 ret = -1;
	char			*why = NULL;

	if ((hv = regedit_hive(fx->regedit, HIVE_SOFTWARE, cause)) == NULL)
		return -1;
	/* FILETIME: 100 ns units since 1601. */
	now = ((uint64_t)time(NULL) + 11644473600ULL) * 10000000ULL;
	if (cb_run_key(fx, hv, "Microsoft\\Windows\\CurrentVersion\\Run",
	    "Run", now, cause) != 0 || cb_run_key(fx, hv, "WOW6432Node\\"
	    "Microsoft\\Windows\\CurrentVersion\\Run", "Run32", now,
	    cause) != 0)
		return -1;
	if (vol_exists(fx->vol, CB_STARTUP_DIR) &&
	    vol_list(fx->vol, CB_STARTUP_DIR, cb_startup_entry, &st,
	    &why) != 0) {
		/* Only the folder's items are lost: say so, go on. */
		fix_change(fx, "the All Users Startup folder was not read "
		    "(%s); its items stay enabled", why);
		free(why);
	}
	for (i = 0; i < st.n; i++) {
		if (cb_approve_disable(fx, hv, "StartupFolder", st.names[i],
		    now, cause) != 0)
			goto out;
	}
	ret = 0;
out:
	for (i = 0; i < st.n; i++)
		free(st.names[i]);
	free(st.names);
	return ret;
}

static int
clean_boot_apply(struct fixctx *fx, char **cause)
{
	if (cb_services(fx, cause) != 0)
		return -1;
	return cb_startup(fx, cause);
}

const struct fix fix_clean_boot = {
	.id = "clean-boot",
	.title = "Clean boot: only Microsoft's services, no startup programs",
	.explanation = "As msconfig's clean boot: every non-Microsoft "
	    "service that starts automatically is set to Disabled (Manual "
	    "when a service that stays enabled depends on it), drivers are "
	    "left alone; every startup program of HKLM Run (64- and 32-bit) "
	    "and of the All Users Startup folder is disabled the way Task "
	    "Manager does it (StartupApproved, first byte 03), the program "
	    "entries themselves untouched. Use it to find out whether an "
	    "agent stops the update; 'ntmend undo' reverses all of it "
	    "(inside Windows, Task Manager and services.msc can re-enable "
	    "items one by one).",
	.order = 90,
	.in_all = 0,
	.apply = clean_boot_apply
};
