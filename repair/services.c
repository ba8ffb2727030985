/*
 * services.c: the services and drivers of the current control set, read
 * from the SYSTEM hive; the update services DESIGN.md names, checked
 * against Windows' defaults and put back where they are broken. Nothing
 * here prints: the callers format.
 *
 * A service is a subkey of ControlSet00N\Services: Start, Type,
 * ImagePath, ObjectName, DisplayName, and for services that svchost.exe
 * hosts a ServiceDll (under Parameters, or in the key itself on older
 * builds). The Service Control Manager reads nothing else to start one.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "repair/repair.h"
#include "util/util.h"

/* A Windows 10 SYSTEM hive has 650 service keys (regipy's SYSTEM_B) and a
 * Windows 11 one about 800: the cap only bounds memory and time on a
 * hostile hive. */
#define NTM_MAX_SERVICES	65536

#define SVC_KEY			"CurrentControlSet\\Services"
#define SVC_REGROOT		"HKLM\\SYSTEM"

/*
 * The update services of DESIGN.md's update-services-disabled finding and
 * Windows 10 22H2's defaults for them: what services-reset writes into a
 * broken key. Only what the Service Control Manager needs to start a
 * service is here (display names and descriptions are not needed to
 * start; FailureActions, RequiredPrivileges and ServiceSidType are
 * optional: without them the service runs with its account's full token).
 *
 * Where the values come from (looked up, not guessed; public sources are
 * named so the next reader can check them):
 * - ImagePath, Type, ErrorControl, ObjectName, DisplayName and ServiceDll
 *   as the real Windows 10 1709 hive regipy SYSTEM_B (testdata) stores
 *   them for wuauserv, BITS, UsoSvc, TrustedInstaller, CryptSvc and
 *   msiserver; regipy's Windows 7 SYSTEM agrees wherever it has the
 *   service. 22H2 adds the svchost option "-p" (process mitigation,
 *   Windows 10 1703+) to every svchost-hosted one: SYSTEM_B already has it
 *   on BITS and CryptSvc, and process lists published from Windows 10/11
 *   PCs show "svchost.exe -k netsvcs -p -s wuauserv", "-k netsvcs -p -s
 *   UsoSvc", "-k wusvcs -p -s WaaSMedicSvc".
 * - WaaSMedicSvc (Windows 10 1803+, absent from every testdata hive):
 *   share process, "%systemroot%\system32\svchost.exe -k wusvcs -p",
 *   LocalSystem, depends on rpcss, as published service inventories of
 *   Windows 10/11 list it and WUBlocker restores it (its
 *   DEFAULT_IMAGE_PATH); Start 3 as Aetherinox's "unpause" .reg puts it
 *   back; WaaSMedicSvc.dll.
 * - Start: Manual (3) for wuauserv, BITS, WaaSMedicSvc, TrustedInstaller
 *   and msiserver (trigger- or demand-started), Automatic for CryptSvc and
 *   UsoSvc (Chris Titus' winutil records "OriginalType" from stock
 *   installs: CryptSvc and UsoSvc Automatic), UsoSvc with DelayedAutostart
 *   as public "Windows default services" scripts write it. Public sources
 *   disagree on BITS (Microsoft's service description: "its startup type
 *   is Manual"; winutil: Automatic; SYSTEM_B: Automatic (Delayed Start)):
 *   Manual is kept. All of these are healthy, and a Start is only ever
 *   written where it is disabled or unusable, so the choice never
 *   overrides a working PC.
 * - UsoSvc's DLL was usocore.dll in 1709 (SYSTEM_B) and is usosvc.dll in
 *   22H2; a broken key gets the one that exists in System32 on the volume.
 */
struct svc_default {
	const char	*name;
	const char	*english;	/* services.msc's name in English */
	uint32_t	 since;		/* first build that has it (0: all) */
	uint32_t	 start;
	int		 delayed;
	uint32_t	 type;
	uint32_t	 error_control;
	const char	*image;		/* REG_EXPAND_SZ */
	const char	*object;
	const char	*display;	/* the indirect string Windows stores */
	const char	*dll;		/* Parameters\ServiceDll, NULL if own
					   process */
	const char	*dll_alt;	/* an older build's DLL */
};

#define SVC_BUILD_1703		15063	/* svchost "-p" */
#define SVC_BUILD_1709		16299
#define SVC_BUILD_1803		17134

static const struct svc_default svc_defaults[] = {
	{ "wuauserv", "Windows Update", 0, 3, 0, 0x20, 1,
	  "%systemroot%\\system32\\svchost.exe -k netsvcs -p", "LocalSystem",
	  "@%systemroot%\\system32\\wuaueng.dll,-105",
	  "%systemroot%\\system32\\wuaueng.dll", NULL },
	{ "BITS", "Background Intelligent Transfer Service", 0, 3, 0, 0x20, 1,
	  "%SystemRoot%\\System32\\svchost.exe -k netsvcs -p", "LocalSystem",
	  "@%SystemRoot%\\system32\\qmgr.dll,-1000",
	  "%SystemRoot%\\System32\\qmgr.dll", NULL },
	{ "WaaSMedicSvc", "Windows Update Medic Service", SVC_BUILD_1803, 3, 0,
	  0x20, 1, "%systemroot%\\system32\\svchost.exe -k wusvcs -p",
	  "LocalSystem", "@%SystemRoot%\\system32\\WaaSMedicSvc.dll,-100",
	  "%SystemRoot%\\System32\\WaaSMedicSvc.dll", NULL },
	{ "UsoSvc", "Update Orchestrator Service", SVC_BUILD_1709, 2, 1, 0x20,
	  1, "%systemroot%\\system32\\svchost.exe -k netsvcs -p",
	  "LocalSystem", "@%systemroot%\\system32\\usocore.dll,-101",
	  "%systemroot%\\system32\\usosvc.dll",
	  "%systemroot%\\system32\\usocore.dll" },
	{ "TrustedInstaller", "Windows Modules Installer", 0, 3, 0, 0x10, 1,
	  "%SystemRoot%\\servicing\\TrustedInstaller.exe", "localSystem",
	  "@%SystemRoot%\\servicing\\TrustedInstaller.exe,-100", NULL, NULL },
	{ "CryptSvc", "Cryptographic Services", 0, 2, 0, 0x20, 1,
	  "%SystemRoot%\\system32\\svchost.exe -k NetworkService -p",
	  "NT Authority\\NetworkService",
	  "@%SystemRoot%\\system32\\cryptsvc.dll,-1001",
	  "%SystemRoot%\\system32\\cryptsvc.dll", NULL },
	{ "msiserver", "Windows Installer", 0, 3, 0, 0x10, 1,
	  "%systemroot%\\system32\\msiexec.exe /V", "LocalSystem",
	  "@%SystemRoot%\\system32\\msimsg.dll,-27", NULL, NULL },
};
#define SVC_NDEFAULTS	(sizeof svc_defaults / sizeof svc_defaults[0])

static const struct svc_default *
svc_default_find(const char *name)
{
	size_t	i;

	for (i = 0; i < SVC_NDEFAULTS; i++) {
		if (strcasecmp(svc_defaults[i].name, name) == 0)
			return &svc_defaults[i];
	}
	return NULL;
}

/* The values of one key, named once, looked up as Windows compares. */
struct svc_node {
	hive_h		*h;
	hive_node_h	 node;
	hive_value_h	*vals;
	char		**names;
	size_t		 n;
};

static void
svc_node_open(hive_h *h, hive_node_h node, struct svc_node *sn)
{
	size_t	i;

	memset(sn, 0, sizeof *sn);
	sn->h = h;
	sn->node = node;
	if ((sn->vals = hivex_node_values(h, node)) == NULL)
		return;		/* unreadable values: the key shows empty */
	while (sn->vals[sn->n] != 0)
		sn->n++;
	sn->names = xcalloc(sn->n + 1, sizeof *sn->names);
	for (i = 0; i < sn->n; i++)
		sn->names[i] = hivex_value_key(h, sn->vals[i]);
}

static void
svc_node_close(struct svc_node *sn)
{
	size_t	i;

	for (i = 0; i < sn->n; i++)
		free(sn->names[i]);
	free(sn->names);
	free(sn->vals);
}

static hive_value_h
svc_node_value(struct svc_node *sn, const char *name)
{
	size_t	i;

	for (i = 0; i < sn->n; i++) {
		if (sn->names[i] != NULL && hive_name_equal(sn->names[i], name))
			return sn->vals[i];
	}
	return 0;
}

/* A string (REG_SZ or REG_EXPAND_SZ) as UTF-8, NULL if missing or of
 * another type; caller frees. */
static char *
svc_node_string(struct svc_node *sn, const char *name)
{
	hive_value_h	 v;
	hive_type	 t;
	size_t		 len;
	char		*data, *s;

	if ((v = svc_node_value(sn, name)) == 0)
		return NULL;
	if ((data = hivex_value_value(sn->h, v, &t, &len)) == NULL)
		return NULL;
	if (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ) {
		free(data);
		return NULL;
	}
	s = utf16le_to_utf8(data, len);
	free(data);
	return s;
}

/* A DWORD: 0, or -1 with errno ENOENT (missing) or EINVAL (another type
 * or too short: SCM would not read it either). */
static int
svc_node_dword(struct svc_node *sn, const char *name, uint32_t *out)
{
	hive_value_h	 v;
	hive_type	 t;
	size_t		 len;
	uint8_t		*d;

	if ((v = svc_node_value(sn, name)) == 0) {
		errno = ENOENT;
		return -1;
	}
	if ((d = (uint8_t *)hivex_value_value(sn->h, v, &t, &len)) == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (len < 4 || (t != hive_t_REG_DWORD &&
	    t != hive_t_REG_DWORD_BIG_ENDIAN)) {
		free(d);
		errno = EINVAL;
		return -1;
	}
	if (t == hive_t_REG_DWORD)
		*out = le32dec(d);
	else
		*out = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
		    (uint32_t)d[2] << 8 | d[3];
	free(d);
	return 0;
}

/* The child key of that name (Windows' comparison), 0 if none. */
static hive_node_h
svc_child(hive_h *h, hive_node_h node, const char *name)
{
	hive_node_h	*kids, found = 0;
	size_t		 i;
	char		*kname;

	errno = 0;
	if ((found = hivex_node_get_child(h, node, name)) != 0)
		return found;
	if ((kids = hivex_node_children(h, node)) == NULL)
		return 0;
	for (i = 0; kids[i] != 0 && found == 0; i++) {
		if ((kname = hivex_node_name(h, kids[i])) == NULL)
			continue;
		if (hive_name_equal(kname, name))
			found = kids[i];
		free(kname);
	}
	free(kids);
	return found;
}

/* ServiceDll: under Parameters since Vista, in the service key itself
 * before (and still accepted by svchost). */
static char *
svc_service_dll(hive_h *h, hive_node_h node, struct svc_node *sn)
{
	struct svc_node	 p;
	hive_node_h	 params;
	char		*dll = NULL;

	if ((params = svc_child(h, node, "Parameters")) != 0) {
		svc_node_open(h, params, &p);
		dll = svc_node_string(&p, "ServiceDll");
		svc_node_close(&p);
	}
	if (dll == NULL)
		dll = svc_node_string(sn, "ServiceDll");
	return dll;
}

/*
 * Microsoft or third party: what can be read offline without MUI files or
 * signatures. msconfig's "Hide all Microsoft services" asks each image
 * for its company name; offline, where the strings and the image point is
 * the evidence, in this order:
 *
 * 1. The driver package. Windows renames every INF it imports to
 *    oem<N>.inf; inbox INFs keep their names (machine.inf, bth.inf). A
 *    service installed from an INF takes its DisplayName (or
 *    Description) from it: "@oem3.inf,%Filter.SvcDesc%;Alps ..." is
 *    third-party, "@bth.inf,%BTHPORT.SvcDesc%;..." is Windows', even
 *    though SYSTEM_B's Broadcom package (oem8.inf) is BTHPORT's only
 *    Owner. Without such a string, Owners decides: third-party only when
 *    every INF it lists is an oem<N>.inf (SYSTEM_B's igfx, nvlddmkm),
 *    since third-party packages also name Windows' class drivers
 *    (oem3.inf, msmouse.inf and keyboard.inf own i8042prt).
 * 2. Where the code lives: the ServiceDll for a service svchost.exe
 *    hosts, else ImagePath. Paths are taken as Windows writes them:
 *    %SystemRoot%, %windir%, \SystemRoot\, \??\C:\Windows, System32\...
 *    relative to the Windows directory (drivers), quoted or not, any case;
 *    %ProgramFiles% and friends, and the 8.3 names PROGRA~1..3.
 *    - Under the Windows directory: Microsoft, except a Win32 service
 *      with a plain-text DisplayName (svc_plain_named).
 *    - Under Program Files, Program Files (x86) or ProgramData:
 *      Microsoft only in Microsoft's own folders there ("Microsoft*",
 *      "Windows *" such as Windows Defender and Windows Media Player,
 *      "Common Files\Microsoft Shared", "Internet Explorer",
 *      ProgramData\Microsoft); anything else is third-party (the
 *      fixture's Contoso and Fabrikam agents; McAfee, Adobe and VMware
 *      Tools on regipy's Windows 7 SYSTEM; Dropbox, Google Update, Box
 *      and NVIDIA's container on SYSTEM_B).
 *    - Anywhere else (another drive, a user profile): third-party.
 * 3. No evidence either way (no INF, no image: a driver without ImagePath
 *    loads System32\drivers\<name>.sys): Microsoft. clean-boot must never
 *    disable what it cannot tell; a third-party driver copied into
 *    System32 without an INF is therefore shown as Microsoft.
 */
static int
svc_prefix(const char *s, const char *prefix, const char **rest)
{
	size_t	n = strlen(prefix);

	if (strncasecmp(s, prefix, n) != 0)
		return 0;
	if (rest != NULL)
		*rest = s + n;
	return 1;
}

enum svc_place {
	SVC_PLACE_WINDOWS,
	SVC_PLACE_PROGRAMS,	/* Program Files, Program Files (x86),
				   ProgramData */
	SVC_PLACE_ELSEWHERE
};

/* Where a path points; *rest is what follows the folder it names. */
static enum svc_place
svc_place(const char *path, const char **rest)
{
	static const char *const windows[] = {
		"%SystemRoot%\\", "%windir%\\", "\\SystemRoot\\",
		"System32\\", "SysWOW64\\", "SysNative\\"
	};
	static const char *const programs_env[] = {
		"%ProgramFiles%\\", "%ProgramFiles(x86)%\\", "%ProgramW6432%\\",
		"%ProgramData%\\", "%ALLUSERSPROFILE%\\"
	};
	static const char *const programs_dir[] = {
		"Program Files\\", "Program Files (x86)\\", "ProgramData\\",
		"PROGRA~1\\", "PROGRA~2\\", "PROGRA~3\\"
	};
	static const char *const common_env[] = {
		"%CommonProgramFiles%\\", "%CommonProgramFiles(x86)%\\",
		"%CommonProgramW6432%\\"
	};
	size_t	i;

	while (*path == ' ' || *path == '"')
		path++;
	if (!svc_prefix(path, "\\??\\", &path))
		svc_prefix(path, "\\\\?\\", &path);
	for (i = 0; i < sizeof windows / sizeof windows[0]; i++) {
		if (svc_prefix(path, windows[i], rest)) {
			if (i >= 3)
				*rest = path;	/* System32\...: keep it */
			return SVC_PLACE_WINDOWS;
		}
	}
	for (i = 0; i < sizeof programs_env / sizeof programs_env[0]; i++) {
		if (svc_prefix(path, programs_env[i], rest))
			return SVC_PLACE_PROGRAMS;
	}
	for (i = 0; i < sizeof common_env / sizeof common_env[0]; i++) {
		if (svc_prefix(path, common_env[i], rest)) {
			/* Judged whole: "%CommonProgramFiles%\Microsoft
			 * Shared\..." is one of Microsoft's folders. */
			*rest = path;
			return SVC_PLACE_PROGRAMS;
		}
	}
	/* A drive letter: "C:\Windows\...", "C:\Program Files\...". */
	if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' &&
	    path[0] <= 'z')) && path[1] == ':' && path[2] == '\\') {
		path += 3;
		if (svc_prefix(path, "Windows\\", rest))
			return SVC_PLACE_WINDOWS;
		for (i = 0; i < sizeof programs_dir / sizeof programs_dir[0];
		    i++) {
			if (svc_prefix(path, programs_dir[i], rest))
				return SVC_PLACE_PROGRAMS;
		}
		*rest = path;
		return SVC_PLACE_ELSEWHERE;
	}
	/* A bare file name is found on the search path, System32 first. */
	if (strchr(path, '\\') == NULL && strchr(path, ':') == NULL) {
		*rest = path;
		return SVC_PLACE_WINDOWS;
	}
	*rest = path;
	return SVC_PLACE_ELSEWHERE;
}

/* Microsoft's own folders below Program Files and ProgramData. */
static int
svc_programs_microsoft(const char *rest)
{
	static const char *const ms[] = {
		"Microsoft", "Windows ", "Common Files\\Microsoft Shared\\",
		"%CommonProgramFiles%\\Microsoft Shared\\",
		"%CommonProgramFiles(x86)%\\Microsoft Shared\\",
		"Internet Explorer\\", "WindowsApps\\Microsoft."
	};
	size_t	i;

	for (i = 0; i < sizeof ms / sizeof ms[0]; i++) {
		if (svc_prefix(rest, ms[i], NULL))
			return 1;
	}
	return 0;
}

/* "oem12.inf" (any case, maybe with a path before it). */
static int
svc_is_oem_inf(const char *s)
{
	const char	*p = s, *base = s;

	for (; *p != '\0'; p++) {
		if (*p == '\\')
			base = p + 1;
	}
	if (strncasecmp(base, "oem", 3) != 0)
		return 0;
	p = base + 3;
	if (*p < '0' || *p > '9')
		return 0;
	while (*p >= '0' && *p <= '9')
		p++;
	return strcasecmp(p, ".inf") == 0;
}

static int
svc_is_svchost(const char *image)
{
	const char	*p;

	if (image == NULL)
		return 0;
	for (p = image; *p != '\0'; p++) {
		if (strncasecmp(p, "svchost.exe", 11) == 0)
			return 1;
	}
	return 0;
}

/* The INF an indirect string names: "@bth.inf,%BTHPORT.SvcDesc%;Name" ->
 * "bth.inf"; NULL if it names no INF. Caller frees. */
static char *
svc_string_inf(const char *s)
{
	size_t	n;

	if (s == NULL || s[0] != '@')
		return NULL;
	n = strcspn(s + 1, ",;");
	if (n < 5 || strncasecmp(s + 1 + n - 4, ".inf", 4) != 0)
		return NULL;
	return xstrndup(s + 1, n);
}

/* Driver-package evidence: 1 third-party, 0 Microsoft, -1 none. */
static int
svc_inf_vendor(const struct service *s, struct svc_node *sn, char **why)
{
	hive_value_h	 v;
	char		*inf, *description, **owners;
	size_t		 i, oem = 0, inbox = 0;
	int		 ret = -1;

	/* A driver's strings come from the INF that installed it: the
	 * DisplayName (or Description) names it, and is decisive. */
	description = svc_node_string(sn, "Description");
	if ((inf = svc_string_inf(s->display_name)) == NULL)
		inf = svc_string_inf(description);
	free(description);
	if (inf != NULL) {
		ret = svc_is_oem_inf(inf);
		xasprintf(why, "its strings come from %s (%s)", inf,
		    ret ? "a third-party driver package" : "an INF of "
		    "Windows");
		free(inf);
		return ret;
	}
	/* Owners lists every INF that installs the service: third-party
	 * packages also list Windows' own class drivers (SYSTEM_B's Dell
	 * touchpad INF owns i8042prt and mouclass), so it is third-party
	 * only when no INF of Windows owns it. */
	if ((v = svc_node_value(sn, "Owners")) == 0 ||
	    (owners = hivex_value_multiple_strings(sn->h, v)) == NULL)
		return -1;
	for (i = 0; owners[i] != NULL; i++) {
		if (*owners[i] != '\0') {
			if (svc_is_oem_inf(owners[i]))
				oem++;
			else
				inbox++;
		}
		free(owners[i]);
	}
	free(owners);
	if (oem > 0 && inbox == 0) {
		*why = xstrdup("installed only by third-party driver "
		    "packages (Owners: oem*.inf)");
		ret = 1;
	} else if (inbox > 0) {
		*why = xstrdup("installed by an INF of Windows (Owners)");
		ret = 0;
	}
	return ret;
}

/*
 * A Win32 service under the Windows directory whose DisplayName is plain
 * text: every service Windows itself installs (Vista on) names itself
 * with a resource string, "@%SystemRoot%\system32\qmgr.dll,-1000", and
 * so do its per-user services; programs that drop their service into
 * System32 write plain text (regipy's Windows 7 SYSTEM: McAfee's mfevtp,
 * F-Response, PsExec, whose company msconfig shows as Sysinternals too;
 * SYSTEM_B: Dropbox's DbxSvc; SYSTEM_2: VirtualBox's VBoxService). Per-user service instances (Type 0x80) copy their key
 * name into DisplayName, and .NET's NGEN services (Windows\Microsoft.NET,
 * "Microsoft .NET Framework NGEN ...") are Microsoft's. Drivers are not
 * judged so: Windows' own drivers have plain names ("Disk Driver").
 */
static int
svc_plain_named(const struct service *s, const char *rest)
{
	const char	*d = s->display_name;

	if (s->type == SERVICE_NONE || (s->type & 0x30) == 0 ||
	    (s->type & 0x80) != 0)
		return 0;
	if (d == NULL || *d == '\0' || *d == '@')
		return 0;
	if (strncasecmp(d, "Microsoft", 9) == 0 ||
	    svc_prefix(rest, "Microsoft.NET\\", NULL))
		return 0;
	return 1;
}

static void
svc_classify(struct service *s, struct svc_node *sn)
{
	const char	*code, *what, *rest;
	int		 inf;

	s->third_party = 0;
	if ((inf = svc_inf_vendor(s, sn, &s->vendor_evidence)) >= 0) {
		s->third_party = inf;
		return;
	}
	if (s->service_dll != NULL && svc_is_svchost(s->image_path)) {
		code = s->service_dll;
		what = "ServiceDll";
	} else if (s->image_path != NULL && *s->image_path != '\0') {
		code = s->image_path;
		what = "ImagePath";
	} else {
		s->vendor_evidence = xstrdup(SERVICE_IS_DRIVER(s->type) ?
		    "no ImagePath: loads System32\\drivers\\<name>.sys" :
		    "no ImagePath: nothing points outside Windows");
		return;
	}
	switch (svc_place(code, &rest)) {
	case SVC_PLACE_WINDOWS:
		if (svc_plain_named(s, rest)) {
			s->third_party = 1;
			xasprintf(&s->vendor_evidence, "%s under the Windows "
			    "directory, but a plain DisplayName where "
			    "Windows' own services have a resource string",
			    what);
			break;
		}
		xasprintf(&s->vendor_evidence, "%s under the Windows "
		    "directory", what);
		break;
	case SVC_PLACE_PROGRAMS:
		if (svc_programs_microsoft(rest)) {
			xasprintf(&s->vendor_evidence, "%s in a Microsoft "
			    "folder of Program Files/ProgramData", what);
			break;
		}
		s->third_party = 1;
		xasprintf(&s->vendor_evidence, "%s under Program Files/"
		    "ProgramData outside Microsoft's folders", what);
		break;
	case SVC_PLACE_ELSEWHERE:
		s->third_party = 1;
		xasprintf(&s->vendor_evidence, "%s outside the Windows "
		    "directory and Program Files", what);
		break;
	}
}

static void
svc_read(hive_h *h, hive_node_h node, const char *name, struct service *s)
{
	struct svc_node		 sn;
	const struct svc_default *d;
	uint32_t		 v;

	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	svc_node_open(h, node, &sn);
	s->display_name = svc_node_string(&sn, "DisplayName");
	s->image_path = svc_node_string(&sn, "ImagePath");
	s->object_name = svc_node_string(&sn, "ObjectName");
	s->group = svc_node_string(&sn, "Group");
	s->start = svc_node_dword(&sn, "Start", &v) == 0 ? v : SERVICE_NONE;
	s->type = svc_node_dword(&sn, "Type", &v) == 0 ? v : SERVICE_NONE;
	s->error_control = svc_node_dword(&sn, "ErrorControl", &v) == 0 ? v :
	    SERVICE_NONE;
	s->delayed = svc_node_dword(&sn, "DelayedAutostart", &v) == 0 &&
	    v != 0;
	s->service_dll = svc_service_dll(h, node, &sn);
	if ((d = svc_default_find(name)) != NULL)
		s->known_name = d->english;
	svc_classify(s, &sn);
	svc_node_close(&sn);
}

static void
service_free(struct service *s)
{
	free(s->name);
	free(s->display_name);
	free(s->image_path);
	free(s->object_name);
	free(s->service_dll);
	free(s->group);
	free(s->vendor_evidence);
}

static int
svc_cmp(const void *a, const void *b)
{
	const struct service	*sa = a, *sb = b;

	return strcasecmp(sa->name, sb->name);
}

int
services_list(struct hive *hv, struct service_list *sl, char **cause)
{
	hive_h		*h = hive_handle(hv);
	hive_node_h	 node, *kids = NULL;
	struct service	*s;
	char		*sub, *name;
	size_t		 i, n;

	memset(sl, 0, sizeof *sl);
	if ((sub = hive_path_resolve(hv, SVC_KEY, cause)) == NULL)
		return -1;
	if (hive_key_lookup(hv, sub, &node, cause) != 0) {
		free(sub);
		return -1;
	}
	errno = 0;
	if ((kids = hivex_node_children(h, node)) == NULL) {
		set_cause(cause, "%s: the subkeys of %s cannot be read (%s): "
		    "the hive is damaged there; restore it from a backup",
		    hive_name(hv), sub, strerror(errno ? errno : EINVAL));
		free(sub);
		return -1;
	}
	for (n = 0; kids[n] != 0; n++)
		;
	if (n > NTM_MAX_SERVICES) {
		set_cause(cause, "%s: %s has %zu subkeys, more than the %d a "
		    "real hive could hold: the hive is damaged", hive_name(hv),
		    sub, n, NTM_MAX_SERVICES);
		free(kids);
		free(sub);
		return -1;
	}
	/* ControlSet001\Services -> ControlSet001 */
	sl->control_set = xstrndup(sub, strcspn(sub, "\\"));
	free(sub);
	sl->svcs = xcalloc(n > 0 ? n : 1, sizeof *sl->svcs);
	for (i = 0; i < n; i++) {
		if ((name = hivex_node_name(h, kids[i])) == NULL)
			continue;	/* a name hivex cannot decode */
		s = &sl->svcs[sl->n];
		svc_read(h, kids[i], name, s);
		free(name);
		/* Services also holds keys that are no services (".NET CLR
		 * Data", "crypt32": event log and performance counter
		 * registrations): the SCM skips a key without Type, Start
		 * and ImagePath, and so does the list, except an update
		 * service's key, whose breakage is the point. */
		if (s->type == SERVICE_NONE && s->start == SERVICE_NONE &&
		    s->image_path == NULL && svc_default_find(s->name) ==
		    NULL) {
			service_free(s);
			continue;
		}
		sl->n++;
	}
	free(kids);
	qsort(sl->svcs, sl->n, sizeof *sl->svcs, svc_cmp);
	return 0;
}

void
services_list_free(struct service_list *sl)
{
	size_t	i;

	for (i = 0; i < sl->n; i++)
		service_free(&sl->svcs[i]);
	free(sl->svcs);
	free(sl->control_set);
	memset(sl, 0, sizeof *sl);
}

const struct service *
services_find(const struct service_list *sl, const char *name)
{
	size_t	i;

	for (i = 0; i < sl->n; i++) {
		if (hive_name_equal(sl->svcs[i].name, name))
			return &sl->svcs[i];
	}
	return NULL;
}

const char *
service_display(const struct service *s)
{
	const char	*semi;

	if (s->known_name != NULL)
		return s->known_name;
	if (s->display_name == NULL || *s->display_name == '\0')
		return s->name;
	/* "@machine.inf,%Svc%;Name": an INF string carries its own
	 * fallback after the ';', which is what Windows shows when the INF
	 * cannot be read. "@file.dll,-105" needs the MUI file: shown raw. */
	if (s->display_name[0] == '@' &&
	    (semi = strrchr(s->display_name, ';')) != NULL &&
	    semi[1] != '\0')
		return semi + 1;
	return s->display_name;
}

char *
service_start_name(uint32_t start, int delayed)
{
	static const char *const names[] = {
		"boot", "system", "auto", "demand", "disabled"
	};

	if (start == SERVICE_NONE)
		return xstrdup("-");
	if (start == SERVICE_AUTO && delayed)
		return xstrdup("delayed");
	if (start < sizeof names / sizeof names[0])
		return xstrdup(names[start]);
	return xprintf("%u", start);
}

int
service_start_parse(const char *s, uint32_t *start, int *delayed)
{
	static const struct {
		const char	*name;
		uint32_t	 start;
		int		 delayed;
	} names[] = {
		{ "boot", SERVICE_BOOT, 0 }, { "system", SERVICE_SYSTEM, 0 },
		{ "auto", SERVICE_AUTO, 0 }, { "automatic", SERVICE_AUTO, 0 },
		{ "delayed", SERVICE_AUTO, 1 },
		{ "delayed-auto", SERVICE_AUTO, 1 },
		{ "demand", SERVICE_DEMAND, 0 }, { "manual", SERVICE_DEMAND, 0 },
		{ "disabled", SERVICE_DISABLED, 0 },
	};
	size_t	i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		if (strcasecmp(s, names[i].name) == 0) {
			*start = names[i].start;
			*delayed = names[i].delayed;
			return 0;
		}
	}
	return -1;
}

char *
service_type_name(uint32_t type)
{
	const char	*base, *who = "";
	uint32_t	 rest;

	if (type == SERVICE_NONE)
		return xstrdup("-");
	switch (type) {
	case 0x1:
		return xstrdup("kernel driver");
	case 0x2:
		return xstrdup("file system driver");
	case 0x4:
		return xstrdup("adapter");
	case 0x8:
		return xstrdup("recognizer driver");
	}
	/* Win32 services: own (0x10) or share (0x20) process, possibly a
	 * per-user service template (0x40) or its instance (0x80, Windows
	 * 10 1709+: 0xd0/0xe0), or interactive (0x100, pre-Vista). */
	rest = type & ~(uint32_t)(0x40 | 0x80 | 0x100);
	if (rest == 0x10)
		base = "own process";
	else if (rest == 0x20)
		base = "share process";
	else if (rest == 0x30)
		base = "own/share process";
	else
		return xprintf("0x%x", type);
	if (type & 0x80)
		who = "user service instance, ";
	else if (type & 0x40)
		who = "user service, ";
	return xprintf("%s%s%s", who, base, type & 0x100 ? ", interactive" :
	    "");
}

/* SOFTWARE's CurrentBuild: which update services this Windows has. */
int
services_build(struct vol *vol, uint32_t *build, char **cause)
{
	static const char	 cv[] = "Microsoft\\Windows NT\\CurrentVersion";
	struct hive		*h;
	char			*s = NULL, *end;
	unsigned long		 n;

	*build = 0;
	if (hive_checkout(vol, hive_volume_path(HIVE_SOFTWARE), &h,
	    cause) != 0)
		return -1;
	if (hive_value_string(h, cv, "CurrentBuild", &s, NULL) != 0 &&
	    hive_value_string(h, cv, "CurrentBuildNumber", &s, cause) != 0) {
		hive_close(h);
		return -1;
	}
	hive_close(h);
	errno = 0;
	n = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || n == 0 ||
	    n > UINT32_MAX) {
		set_cause(cause, "SOFTWARE: CurrentBuild '%s' is not a build "
		    "number", s);
		free(s);
		return -1;
	}
	free(s);
	*build = (uint32_t)n;
	return 0;
}

/* Does this build have the service at all? (0: build unknown) */
static int
svc_exists_in(const struct svc_default *d, uint32_t build)
{
	if (d->since == 0)
		return 1;
	return build != 0 && build >= d->since;
}

static void
svc_issue_add(struct service_issue *is, const char *fmt, ...)
    NTM_PRINTF(2, 3);

static void
svc_issue_add(struct service_issue *is, const char *fmt, ...)
{
	va_list	ap;

	is->evidence = xreallocarray(is->evidence, is->nevidence + 1,
	    sizeof *is->evidence);
	va_start(ap, fmt);
	xvasprintf(&is->evidence[is->nevidence++], fmt, ap);
	va_end(ap);
}

/* Judge one update service from what the list read (s NULL: no key). */
static int
svc_judge(const struct svc_default *d, const struct service *s,
    const char *cs, uint32_t build, struct service_issue *is)
{
	char	*key, *sn;

	memset(is, 0, sizeof *is);
	is->name = d->name;
	if (s == NULL) {
		if (!svc_exists_in(d, build))
			return 0;	/* not on this build: nothing amiss */
		is->broken = is->missing = 1;
		if (d->since != 0)
			svc_issue_add(is, "%s\\%s\\Services\\%s is missing "
			    "(Windows has it since build %u; this is build %u)",
			    SVC_REGROOT, cs, d->name, d->since, build);
		else
			svc_issue_add(is, "%s\\%s\\Services\\%s is missing "
			    "(every Windows has it)", SVC_REGROOT, cs, d->name);
		return 1;
	}
	key = xprintf("%s\\%s\\Services\\%s", SVC_REGROOT, cs, s->name);
	if (s->start == SERVICE_DISABLED) {
		is->disabled = 1;
		svc_issue_add(is, "%s\\Start = 4 (disabled)", key);
	} else if (s->start == SERVICE_NONE) {
		is->broken = 1;
		svc_issue_add(is, "%s has no Start DWORD", key);
	} else if (s->start != SERVICE_AUTO && s->start != SERVICE_DEMAND) {
		/* 0 and 1 are for drivers: SCM will not start a Win32
		 * service with them; anything above 4 is no start type. */
		is->broken = 1;
		sn = service_start_name(s->start, 0);
		svc_issue_add(is, "%s\\Start = %u (%s), not a start type for a "
		    "service", key, s->start, sn);
		free(sn);
	}
	if (s->image_path == NULL || *s->image_path == '\0') {
		is->broken = 1;
		svc_issue_add(is, "%s has no ImagePath", key);
	}
	if (s->type == SERVICE_NONE) {
		is->broken = 1;
		svc_issue_add(is, "%s has no Type DWORD", key);
	}
	if (s->object_name == NULL || *s->object_name == '\0') {
		is->broken = 1;
		svc_issue_add(is, "%s has no ObjectName (the account it runs "
		    "as)", key);
	}
	/* svchost.exe loads the service from its ServiceDll: without one
	 * the host starts and the service fails. */
	if (d->dll != NULL && s->service_dll == NULL &&
	    (s->image_path == NULL || svc_is_svchost(s->image_path))) {
		is->broken = 1;
		svc_issue_add(is, "%s\\Parameters has no ServiceDll", key);
	}
	free(key);
	return is->disabled || is->broken;
}

int
services_check_update(struct hive *hv, uint32_t build,
    struct service_issue **issues, size_t *nissues, char **cause)
{
	struct service_list	 sl;
	struct service_issue	 is, *out = NULL;
	size_t			 i, n = 0;

	*issues = NULL;
	*nissues = 0;
	if (services_list(hv, &sl, cause) != 0)
		return -1;
	for (i = 0; i < SVC_NDEFAULTS; i++) {
		if (!svc_judge(&svc_defaults[i], services_find(&sl,
		    svc_defaults[i].name), sl.control_set, build, &is))
			continue;
		out = xreallocarray(out, n + 1, sizeof *out);
		out[n++] = is;
	}
	services_list_free(&sl);
	*issues = out;
	*nissues = n;
	return 0;
}

static void
svc_issue_clear(struct service_issue *is)
{
	size_t	i;

	for (i = 0; i < is->nevidence; i++)
		free(is->evidence[i]);
	free(is->evidence);
}

void
service_issues_free(struct service_issue *issues, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		svc_issue_clear(&issues[i]);
	free(issues);
}

/* Value writers through regedit (so the change is listed and journaled);
 * strings go in as UTF-16LE with their NUL. */
static int
svc_set_dword(struct regedit *re, const char *key, const char *name,
    uint32_t v, char **cause)
{
	uint8_t	b[4];

	le32enc(b, v);
	return regedit_set(re, key, name, HIVE_REG_DWORD, b, sizeof b, cause);
}

static int
svc_set_string(struct regedit *re, const char *key, const char *name,
    uint32_t type, const char *s, char **cause)
{
	uint8_t	*u;
	size_t	 len;
	int	 ret;

	if ((u = utf8_to_utf16le(s, &len)) == NULL)
		return set_cause(cause, "'%s' is not valid UTF-8", s);
	if (type == HIVE_REG_MULTI_SZ) {
		/* One string, then the list's terminating empty string. */
		u = xrealloc(u, len + 4);
		le16enc(u + len + 2, 0);
		ret = regedit_set(re, key, name, type, u, len + 4, cause);
	} else
		ret = regedit_set(re, key, name, type, u, len + 2, cause);
	free(u);
	return ret;
}

/* Windows 10 before 1703 has no "-p" option for svchost. */
static char *
svc_image_for(const struct svc_default *d, uint32_t build)
{
	char	*s = xstrdup(d->image), *p;

	if (build != 0 && build < SVC_BUILD_1703 &&
	    (p = strstr(s, " -p")) != NULL && p[3] == '\0')
		*p = '\0';
	return s;
}

/* The ServiceDll to write: the default, or the older DLL when only that
 * one is on the volume (UsoSvc on 1709). */
static const char *
svc_dll_for(const struct svc_default *d, struct vol *vol)
{
	const char	*name;
	char		*path;
	int		 have_alt;

	if (d->dll_alt == NULL || vol == NULL)
		return d->dll;
	name = strrchr(d->dll, '\\') + 1;
	path = xprintf("Windows\\System32\\%s", name);
	if (vol_exists(vol, path)) {
		free(path);
		return d->dll;
	}
	free(path);
	path = xprintf("Windows\\System32\\%s", strrchr(d->dll_alt, '\\') + 1);
	have_alt = vol_exists(vol, path);
	free(path);
	return have_alt ? d->dll_alt : d->dll;
}

/* Put one broken or disabled update service back: Start where it is
 * disabled or unusable, and every value it needs to start that is
 * missing. Values that are there and usable are left alone. */
static int
svc_repair(struct regedit *re, struct vol *vol, const struct svc_default *d,
    const struct service *s, uint32_t build, char **cause)
{
	char	*key, *params, *image;
	int	 ret = -1;

	key = xprintf("%s\\%s\\%s", SVC_REGROOT, SVC_KEY,
	    s != NULL ? s->name : d->name);
	params = xprintf("%s\\Parameters", key);
	image = svc_image_for(d, build);
	if (s == NULL || (s->start != SERVICE_AUTO &&
	    s->start != SERVICE_DEMAND)) {
		if (svc_set_dword(re, key, "Start", d->start, cause) != 0)
			goto out;
		if (d->delayed && svc_set_dword(re, key, "DelayedAutostart",
		    1, cause) != 0)
			goto out;
	}
	if ((s == NULL || s->type == SERVICE_NONE) &&
	    svc_set_dword(re, key, "Type", d->type, cause) != 0)
		goto out;
	if ((s == NULL || s->error_control == SERVICE_NONE) &&
	    svc_set_dword(re, key, "ErrorControl", d->error_control,
	    cause) != 0)
		goto out;
	if ((s == NULL || s->image_path == NULL || *s->image_path == '\0') &&
	    svc_set_string(re, key, "ImagePath", HIVE_REG_EXPAND_SZ, image,
	    cause) != 0)
		goto out;
	if ((s == NULL || s->object_name == NULL || *s->object_name == '\0') &&
	    svc_set_string(re, key, "ObjectName", HIVE_REG_SZ, d->object,
	    cause) != 0)
		goto out;
	if (s == NULL && svc_set_string(re, key, "DisplayName", HIVE_REG_SZ,
	    d->display, cause) != 0)
		goto out;
	if (d->dll != NULL && (s == NULL || s->service_dll == NULL)) {
		if (svc_set_string(re, params, "ServiceDll",
		    HIVE_REG_EXPAND_SZ, svc_dll_for(d, vol), cause) != 0)
			goto out;
		/* Every svchost service of Windows 10 depends on RPC. */
		if (s == NULL && svc_set_string(re, key, "DependOnService",
		    HIVE_REG_MULTI_SZ, "RpcSs", cause) != 0)
			goto out;
	}
	ret = 0;
out:
	free(image);
	free(params);
	free(key);
	return ret;
}

int
services_reset(struct regedit *re, struct vol *vol, uint32_t build,
    size_t *nrepaired, char **cause)
{
	struct service_list	 sl;
	struct service_issue	 is;
	const struct service	*s;
	struct hive		*hv;
	size_t			 i;
	int			 ret = -1;

	*nrepaired = 0;
	/* Judge the copy being edited, so what is changed is what is
	 * read. */
	if ((hv = regedit_hive(re, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	if (services_list(hv, &sl, cause) != 0)
		return -1;
	for (i = 0; i < SVC_NDEFAULTS; i++) {
		s = services_find(&sl, svc_defaults[i].name);
		if (!svc_judge(&svc_defaults[i], s, sl.control_set, build,
		    &is))
			continue;
		svc_issue_clear(&is);
		if (svc_repair(re, vol, &svc_defaults[i], s, build,
		    cause) != 0)
			goto out;
		(*nrepaired)++;
	}
	ret = 0;
out:
	services_list_free(&sl);
	return ret;
}

int
services_set(struct regedit *re, const char *name, const char *startstr,
    char **cause)
{
	struct service_list	 sl;
	const struct service	*s;
	struct hive		*hv;
	uint32_t		 start;
	int			 delayed, ret = -1;
	char			*key, *tn;

	if (service_start_parse(startstr, &start, &delayed) != 0)
		return set_cause(cause, "unknown start type '%s' (boot, "
		    "system, auto, delayed, demand, disabled)", startstr);
	if ((hv = regedit_hive(re, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	if (services_list(hv, &sl, cause) != 0)
		return -1;
	if ((s = services_find(&sl, name)) == NULL) {
		set_cause(cause, "no service '%s' in %s\\%s\\Services ('ntmend "
		    "services ls' lists them)", name, SVC_REGROOT,
		    sl.control_set);
		goto out;
	}
	if ((start == SERVICE_BOOT || start == SERVICE_SYSTEM) &&
	    !SERVICE_IS_DRIVER(s->type)) {
		tn = service_type_name(s->type);
		set_cause(cause, "%s is a service (%s): boot and system start "
		    "only drivers; use auto, delayed, demand or disabled",
		    s->name, tn);
		free(tn);
		goto out;
	}
	key = xprintf("%s\\%s\\%s", SVC_REGROOT, SVC_KEY, s->name);
	if (svc_set_dword(re, key, "Start", start, cause) != 0) {
		free(key);
		goto out;
	}
	/* DelayedAutostart only matters with Start 2: set it for delayed,
	 * clear it for auto if it is there; leave it otherwise, as sc.exe
	 * does. */
	if (start == SERVICE_AUTO && (delayed || s->delayed) &&
	    svc_set_dword(re, key, "DelayedAutostart", delayed ? 1 : 0,
	    cause) != 0) {
		free(key);
		goto out;
	}
	free(key);
	ret = 0;
out:
	services_list_free(&sl);
	return ret;
}
