/*
 * test_services.c: repair/services.c on the real SYSTEM hives of testdata
 * (regipy's Windows 7 SYSTEM, SYSTEM_2, and SYSTEM_B from a Windows 10
 * 1709 Dell laptop) and on hives made here with hivex.
 *
 * Listing is compared with values read straight through hivex, not
 * through hive/; the Microsoft/third-party verdicts with lists written by
 * hand after looking at every service of the three hives. set and reset
 * run the real write path (regedit, journal) on a directory volume and
 * are read back with a fresh hivex handle on the file the journal wrote;
 * undo must give back the original bytes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hivex.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "repair/repair.h"
#include "util/util.h"

#include "testlib.h"

/* Make a hive clean (equal sequence numbers, checksum right): the write
 * path refuses dirty hives, and what their logs hold is not what these
 * tests are about (test_replay is). */
static void
fx_make_clean(const char *file)
{
	uint8_t	b[HIVE_BASE_BLOCK_SIZE];
	int	fd;

	assert_true((fd = open(file, O_RDWR)) != -1);
	assert_int_equal(pread(fd, b, sizeof b, 0), sizeof b);
	le32enc(b + 8, le32dec(b + 4));
	le32enc(b + 508, hive_header_checksum(b));
	assert_int_equal(pwrite(fd, b, sizeof b, 0), sizeof b);
	close(fd);
}

static void *
fx_read(const char *path, size_t *len)
{
	void	*buf;

	tl_read(path, (size_t)1 << 30, &buf, len);
	return buf;
}

/* hivex helpers, independent of hive/: keys by '\' path. */
static hive_node_h
hx_node(hive_h *h, const char *path, int create)
{
	hive_node_h	 n = hivex_root(h), c;
	char		*copy = xstrdup(path), *p, *save = NULL;

	for (p = strtok_r(copy, "\\", &save); p != NULL;
	    p = strtok_r(NULL, "\\", &save)) {
		if ((c = hivex_node_get_child(h, n, p)) == 0) {
			if (!create) {
				free(copy);
				return 0;
			}
			if ((c = hivex_node_add_child(h, n, p)) == 0)
				fail_msg("add %s: %s", p, strerror(errno));
		}
		n = c;
	}
	free(copy);
	return n;
}

static void
hx_set(hive_h *h, const char *key, const char *name, hive_type t,
    const void *data, size_t len)
{
	hive_set_value	v;

	v.key = (char *)name;
	v.t = t;
	v.len = len;
	v.value = (char *)data;
	if (hivex_node_set_value(h, hx_node(h, key, 1), &v, 0) != 0)
		fail_msg("set %s\\%s: %s", key, name, strerror(errno));
}

static void
hx_dword(hive_h *h, const char *key, const char *name, uint32_t v)
{
	uint8_t	b[4];

	le32enc(b, v);
	hx_set(h, key, name, hive_t_REG_DWORD, b, 4);
}

static void
hx_str(hive_h *h, const char *key, const char *name, hive_type t,
    const char *s)
{
	uint8_t	*u;
	size_t	 len;

	assert_non_null(u = utf8_to_utf16le(s, &len));
	hx_set(h, key, name, t, u, len + 2);
	free(u);
}

/* A MULTI_SZ of up to three strings. */
static void
hx_multi(hive_h *h, const char *key, const char *name, const char *a,
    const char *b, const char *c)
{
	const char	*strs[] = { a, b, c };
	uint8_t		*out = NULL, *u;
	size_t		 n = 0, len, i;

	for (i = 0; i < 3 && strs[i] != NULL; i++) {
		assert_non_null(u = utf8_to_utf16le(strs[i], &len));
		out = xrealloc(out, n + len + 4);
		memcpy(out + n, u, len + 2);
		n += len + 2;
		free(u);
	}
	out = xrealloc(out, n + 2);
	le16enc(out + n, 0);
	hx_set(h, key, name, hive_t_REG_MULTI_SZ, out, n + 2);
	free(out);
}

/* Delete one value of a key, keeping the others. */
static void
hx_del_value(hive_h *h, const char *key, const char *name)
{
	hive_node_h	 n = hx_node(h, key, 0);
	hive_value_h	*vals;
	hive_set_value	*keep;
	size_t		 i, k = 0, cnt;
	char		*vn;

	assert_true(n != 0);
	assert_non_null(vals = hivex_node_values(h, n));
	for (cnt = 0; vals[cnt] != 0; cnt++)
		;
	keep = xcalloc(cnt + 1, sizeof *keep);
	for (i = 0; i < cnt; i++) {
		vn = hivex_value_key(h, vals[i]);
		if (strcasecmp(vn, name) == 0) {
			free(vn);
			continue;
		}
		keep[k].key = vn;
		keep[k].value = hivex_value_value(h, vals[i], &keep[k].t,
		    &keep[k].len);
		k++;
	}
	assert_int_equal(k, cnt - 1);
	assert_int_equal(hivex_node_set_values(h, n, k, keep, 0), 0);
	for (i = 0; i < k; i++) {
		free(keep[i].key);
		free(keep[i].value);
	}
	free(keep);
	free(vals);
}

static void
hx_del_key(hive_h *h, const char *key)
{
	hive_node_h	n = hx_node(h, key, 0);

	assert_true(n != 0);
	assert_int_equal(hivex_node_delete_child(h, n), 0);
}

static hive_h *
hx_open_write(const char *path)
{
	hive_h	*h;

	if ((h = hivex_open(path, HIVEX_OPEN_WRITE)) == NULL)
		fail_msg("hivex_open %s: %s", path, strerror(errno));
	return h;
}

static void
hx_commit(hive_h *h, const char *path)
{
	assert_int_equal(hivex_commit(h, path, 0), 0);
	assert_int_equal(hivex_close(h), 0);
}

/* Read back with a fresh handle: a DWORD, -1 if missing or no DWORD. */
static int64_t
rb_dword(const char *file, const char *key, const char *name)
{
	hive_h		*h;
	hive_node_h	 n;
	hive_value_h	 v;
	int64_t		 out = -1;

	assert_non_null(h = hivex_open(file, 0));
	if ((n = hx_node(h, key, 0)) != 0 &&
	    (v = hivex_node_get_value(h, n, name)) != 0) {
		errno = 0;
		out = hivex_value_dword(h, v);
		if (errno != 0)
			out = -1;
	}
	hivex_close(h);
	return out;
}

/* A string (as hivex decodes it) or NULL; "TYPE:" prefixed so the type
 * is checked too ("2:%SystemRoot%..." for REG_EXPAND_SZ). A MULTI_SZ as
 * the hex of its bytes. */
static char *
rb_string(const char *file, const char *key, const char *name)
{
	hive_h		*h;
	hive_node_h	 n;
	hive_value_h	 v;
	hive_type	 t;
	size_t		 len;
	char		*s, *out = NULL;

	assert_non_null(h = hivex_open(file, 0));
	if ((n = hx_node(h, key, 0)) != 0 &&
	    (v = hivex_node_get_value(h, n, name)) != 0 &&
	    hivex_value_type(h, v, &t, &len) == 0) {
		if (t == hive_t_REG_MULTI_SZ) {
			size_t	 rlen;
			char	*raw = hivex_value_value(h, v, &t, &rlen);

			/* The bytes as Windows writes them: "RpcSs\0\0"
			 * in UTF-16LE, every string and the list ended. */
			assert_non_null(raw);
			out = hex_encode(raw, rlen);
			free(raw);
		} else if ((s = hivex_value_string(h, v)) != NULL) {
			out = xprintf("%d:%s", (int)t, s);
			free(s);
		}
	}
	hivex_close(h);
	return out;
}

static struct service_list *
list_of(struct hive *h)
{
	struct service_list	*sl = xcalloc(1, sizeof *sl);
	char			*cause = NULL;

	if (services_list(h, sl, &cause) != 0)
		fail_msg("services_list: %s", cause);
	return sl;
}

static void
list_free(struct service_list *sl)
{
	services_list_free(sl);
	free(sl);
}

static const struct service *
must_find(const struct service_list *sl, const char *name)
{
	const struct service	*s;

	if ((s = services_find(sl, name)) == NULL)
		fail_msg("service %s not listed", name);
	return s;
}

static void
assert_start(const struct service *s, const char *want)
{
	char	*got = service_start_name(s->start, s->delayed);

	assert_string_equal(got, want);
	free(got);
}

/*
 * Every service of a real hive against hivex read directly: Start, Type
 * and ImagePath of each listed key, and the keys left out have none of
 * the three. Reads the control set as Select\Current says.
 */
static void
check_against_hivex(const char *file, struct service_list *sl)
{
	hive_h		*h;
	hive_node_h	 sel, svcs, *kids;
	hive_value_h	 v;
	const struct service *s;
	char		*cs, *name, *img;
	size_t		 i, services = 0;
	uint32_t	 cur;

	assert_non_null(h = hivex_open(file, 0));
	assert_true((sel = hivex_node_get_child(h, hivex_root(h),
	    "Select")) != 0);
	assert_true((v = hivex_node_get_value(h, sel, "Current")) != 0);
	cur = (uint32_t)hivex_value_dword(h, v);
	cs = xprintf("ControlSet%03u\\Services", cur);
	assert_true((svcs = hx_node(h, cs, 0)) != 0);
	assert_non_null(kids = hivex_node_children(h, svcs));
	for (i = 0; kids[i] != 0; i++) {
		name = hivex_node_name(h, kids[i]);
		s = services_find(sl, name);
		v = hivex_node_get_value(h, kids[i], "Start");
		if (s == NULL) {
			/* Left out: not a service. */
			assert_true(v == 0);
			assert_true(hivex_node_get_value(h, kids[i],
			    "Type") == 0);
			assert_true(hivex_node_get_value(h, kids[i],
			    "ImagePath") == 0);
			free(name);
			continue;
		}
		services++;
		if (v != 0)
			assert_int_equal(s->start,
			    (uint32_t)hivex_value_dword(h, v));
		else
			assert_int_equal(s->start, SERVICE_NONE);
		if ((v = hivex_node_get_value(h, kids[i], "Type")) != 0)
			assert_int_equal(s->type,
			    (uint32_t)hivex_value_dword(h, v));
		else
			assert_int_equal(s->type, SERVICE_NONE);
		if ((v = hivex_node_get_value(h, kids[i], "ImagePath")) != 0) {
			img = hivex_value_string(h, v);
			assert_non_null(s->image_path);
			assert_string_equal(s->image_path, img);
			free(img);
		} else
			assert_null(s->image_path);
		free(name);
	}
	assert_int_equal(services, sl->n);
	cs[strlen("ControlSet001")] = '\0';
	assert_string_equal(sl->control_set, cs);
	free(kids);
	free(cs);
	hivex_close(h);
}

/* The third-party services of a list, "a,b,c" in list order. */
static char *
third_party_names(const struct service_list *sl)
{
	char	*out = xstrdup(""), *t;
	size_t	 i;

	for (i = 0; i < sl->n; i++) {
		if (!sl->svcs[i].third_party)
			continue;
		t = xprintf("%s%s%s", out, *out != '\0' ? "," : "",
		    sl->svcs[i].name);
		free(out);
		out = t;
	}
	return out;
}

/*
 * The third-party services of each real hive, judged by hand from their
 * images, INF names and display names (see services.c). Everything else
 * is Microsoft's: a name missing here that the code marks is a false
 * third-party mark, one here it does not mark a miss.
 */
static const char third_win7[] =
    "AdobeARMservice,enterceptAgent,FResponse Service,"
    "McAfee SiteAdvisor Enterprise Service,McAfeeFramework,McShield,"
    "McTaskManager,mfefire,mfevtp,PSEXESVC,VMMEMCTL,vmrawdsk,VMTools,"
    "VMUpgradeHelper";
static const char third_win10[] =
    "ApfiltrService,ApHidMonitorService,bcbtums,BcmBtRSupport,"
    "BoxSyncUpdateService,btwampfl,cphs,dbupdate,dbupdatem,DbxSvc,DellRbtn,"
    "gupdate,gupdatem,igfx,igfxCUIService1.0.0.0,intaud_WaveExtensible,"
    "iwdbus,MEIx64,NVDisplay.ContainerLocalSystem,NVHDA,nvlddmkm,nvpciflt,"
    "ST_Accel";
static const char third_system2[] = "VBoxGuest,VBoxService,VBoxVideoW8";

/* regipy SYSTEM: Windows 7 x86. */
static void
test_list_win7(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_list	*sl;
	const struct service	*s;
	struct hive		*h;
	char			*path, *third;

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	h = tl_hive_open(path);
	sl = list_of(h);
	check_against_hivex(path, sl);
	assert_true(sl->n > 400);

	s = must_find(sl, "wuauserv");
	assert_start(s, "delayed");	/* Windows 7's default */
	assert_int_equal(s->type, 0x20);
	assert_string_equal(s->image_path,
	    "%systemroot%\\system32\\svchost.exe -k netsvcs");
	assert_string_equal(s->service_dll,
	    "%systemroot%\\system32\\wuaueng.dll");
	assert_string_equal(s->display_name,
	    "@%systemroot%\\system32\\wuaueng.dll,-105");
	assert_string_equal(service_display(s), "Windows Update");
	assert_string_equal(s->object_name, "LocalSystem");
	assert_false(s->third_party);
	/* Lookups compare as Windows does. */
	assert_ptr_equal(services_find(sl, "WUAUSERV"), s);
	assert_null(services_find(sl, "WaaSMedicSvc"));
	assert_null(services_find(sl, "UsoSvc"));

	s = must_find(sl, "Ntfs");
	assert_start(s, "demand");
	assert_int_equal(s->type, 2);
	assert_null(s->image_path);
	assert_false(s->third_party);
	/* Event log / counter keys are not services. */
	assert_null(services_find(sl, ".NET CLR Data"));

	s = must_find(sl, "McShield");
	assert_true(s->third_party);
	assert_non_null(strstr(s->vendor_evidence, "Program Files"));
	s = must_find(sl, "mfevtp");
	assert_true(s->third_party);
	assert_non_null(strstr(s->vendor_evidence, "plain DisplayName"));
	/* .NET's NGEN service: plain name, Microsoft's folder. */
	s = must_find(sl, "clr_optimization_v4.0.30319_32");
	assert_false(s->third_party);

	third = third_party_names(sl);
	assert_string_equal(third, third_win7);
	free(third);
	list_free(sl);
	hive_close(h);
	free(path);
}

/* regipy SYSTEM_B: Windows 10 1709 on a Dell laptop. */
static void
test_list_win10(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_list	*sl;
	const struct service	*s;
	struct hive		*h;
	char			*path, *third;

	path = tl_hive(fx->dir, "regipy_SYSTEM_B", NULL);
	h = tl_hive_open(path);
	sl = list_of(h);
	check_against_hivex(path, sl);
	assert_true(sl->n > 550);

	s = must_find(sl, "BITS");
	assert_start(s, "delayed");
	assert_int_equal(s->start, SERVICE_AUTO);
	assert_true(s->delayed);
	assert_string_equal(s->image_path,
	    "%SystemRoot%\\System32\\svchost.exe -k netsvcs -p");
	s = must_find(sl, "UsoSvc");
	assert_start(s, "demand");
	assert_string_equal(s->service_dll,
	    "%systemroot%\\system32\\usocore.dll");
	assert_string_equal(service_display(s), "Update Orchestrator Service");
	s = must_find(sl, "TrustedInstaller");
	assert_int_equal(s->type, 0x10);
	assert_null(s->service_dll);
	assert_string_equal(s->object_name, "localSystem");
	/* Per-user service instances (Windows 10 1709+). */
	s = must_find(sl, "CDPUserSvc_1d05b");
	assert_int_equal(s->type, 0xe0);
	assert_false(s->third_party);

	/* INF evidence both ways: BTHPORT's only Owner is Broadcom's
	 * oem8.inf, but its strings come from Windows' bth.inf. */
	s = must_find(sl, "BTHPORT");
	assert_false(s->third_party);
	assert_non_null(strstr(s->vendor_evidence, "bth.inf"));
	assert_string_equal(service_display(s), "Bluetooth Port Driver");
	s = must_find(sl, "i8042prt");
	assert_false(s->third_party);
	s = must_find(sl, "ApfiltrService");
	assert_true(s->third_party);
	assert_non_null(strstr(s->vendor_evidence, "oem3.inf"));
	s = must_find(sl, "nvlddmkm");
	assert_true(s->third_party);
	assert_non_null(strstr(s->vendor_evidence, "Owners"));
	s = must_find(sl, "DbxSvc");
	assert_true(s->third_party);

	third = third_party_names(sl);
	assert_string_equal(third, third_win10);
	free(third);
	list_free(sl);
	hive_close(h);
	free(path);
}

static void
test_list_system2(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_list	*sl;
	struct hive		*h;
	char			*path, *third;

	path = tl_hive(fx->dir, "regipy_SYSTEM_2", NULL);
	h = tl_hive_open(path);
	sl = list_of(h);
	check_against_hivex(path, sl);
	third = third_party_names(sl);
	assert_string_equal(third, third_system2);
	free(third);
	list_free(sl);
	hive_close(h);
	free(path);
}

static void
test_decode(void **state)
{
	static const struct {
		uint32_t	 start;
		int		 delayed;
		const char	*want;
	} starts[] = {
		{ 0, 0, "boot" }, { 1, 0, "system" }, { 2, 0, "auto" },
		{ 2, 1, "delayed" }, { 3, 0, "demand" }, { 3, 1, "demand" },
		{ 4, 0, "disabled" }, { 5, 0, "5" }, { 0x80000000u, 0,
		"2147483648" }, { SERVICE_NONE, 0, "-" },
	};
	static const struct {
		uint32_t	 type;
		const char	*want;
	} types[] = {
		{ 1, "kernel driver" }, { 2, "file system driver" },
		{ 4, "adapter" }, { 8, "recognizer driver" },
		{ 0x10, "own process" }, { 0x20, "share process" },
		{ 0x30, "own/share process" },
		{ 0x50, "user service, own process" },
		{ 0x60, "user service, share process" },
		{ 0xd0, "user service instance, own process" },
		{ 0xe0, "user service instance, share process" },
		{ 0x110, "own process, interactive" },
		{ 0x120, "share process, interactive" },
		{ 0, "0x0" }, { 0x3, "0x3" }, { 0x1234, "0x1234" },
		{ SERVICE_NONE, "-" },
	};
	static const struct {
		const char	*s;
		int		 ok;
		uint32_t	 start;
		int		 delayed;
	} parse[] = {
		{ "boot", 1, 0, 0 }, { "SYSTEM", 1, 1, 0 }, { "auto", 1, 2, 0 },
		{ "automatic", 1, 2, 0 }, { "delayed", 1, 2, 1 },
		{ "delayed-auto", 1, 2, 1 }, { "demand", 1, 3, 0 },
		{ "Manual", 1, 3, 0 }, { "disabled", 1, 4, 0 },
		{ "4", 0, 0, 0 }, { "", 0, 0, 0 }, { "disable", 0, 0, 0 },
	};
	struct service	 s;
	uint32_t	 start;
	size_t		 i;
	char		*got;
	int		 delayed;

	(void)state;
	for (i = 0; i < sizeof starts / sizeof starts[0]; i++) {
		got = service_start_name(starts[i].start, starts[i].delayed);
		assert_string_equal(got, starts[i].want);
		free(got);
	}
	for (i = 0; i < sizeof types / sizeof types[0]; i++) {
		got = service_type_name(types[i].type);
		assert_string_equal(got, types[i].want);
		free(got);
	}
	for (i = 0; i < sizeof parse / sizeof parse[0]; i++) {
		start = 99;
		delayed = 99;
		assert_int_equal(service_start_parse(parse[i].s, &start,
		    &delayed), parse[i].ok ? 0 : -1);
		if (!parse[i].ok)
			continue;
		assert_int_equal(start, parse[i].start);
		assert_int_equal(delayed, parse[i].delayed);
	}
	assert_true(SERVICE_IS_DRIVER(1));
	assert_true(SERVICE_IS_DRIVER(2));
	assert_false(SERVICE_IS_DRIVER(0x10));
	assert_false(SERVICE_IS_DRIVER(0x110));
	assert_false(SERVICE_IS_DRIVER(SERVICE_NONE));

	memset(&s, 0, sizeof s);
	s.name = (char *)"key";
	assert_string_equal(service_display(&s), "key");
	s.display_name = (char *)"";
	assert_string_equal(service_display(&s), "key");
	s.display_name = (char *)"@oem3.inf,%Filter.SvcDesc%;Alps Filter";
	assert_string_equal(service_display(&s), "Alps Filter");
	s.display_name = (char *)"@oem3.inf,%Filter.SvcDesc%;";
	assert_string_equal(service_display(&s), s.display_name);
	s.display_name = (char *)"@%SystemRoot%\\system32\\x.dll,-105";
	assert_string_equal(service_display(&s), s.display_name);
	s.known_name = "Windows Update";
	assert_string_equal(service_display(&s), "Windows Update");
}

/* A SYSTEM hive of our own: hivex_minimal with Select and services. */
static char *
fx_mini_system(struct tl_dir *fx, const char *name, int current)
{
	char	*path = tl_hive(fx->dir, "hivex_minimal", name);
	hive_h	*h;

	h = hx_open_write(path);
	hx_dword(h, "Select", "Current", (uint32_t)current);
	hx_node(h, "ControlSet002\\Services", 1);
	hx_commit(h, path);
	return path;
}

struct syn {
	const char	*name;
	uint32_t	 type;
	const char	*image;
	const char	*display;
	const char	*dll;
	const char	*owner1, *owner2;
	int		 third;
};

/* Paths and strings as Windows and installers write them. */
static const struct syn syn[] = {
	{ "PF", 0x10, "\"C:\\Program Files\\Vendor\\agent.exe\" /svc",
	  "Vendor Agent", NULL, NULL, NULL, 1 },
	{ "PFX86", 0x10, "C:\\Program Files (x86)\\Vendor\\a.exe",
	  "@%ProgramFiles%\\Vendor\\res.dll,-1", NULL, NULL, NULL, 1 },
	{ "Progra1", 0x10, "C:\\PROGRA~1\\Vendor\\a.exe", "V", NULL, NULL,
	  NULL, 1 },
	{ "EnvPF", 0x10, "%ProgramFiles%\\Vendor\\a.exe", "V", NULL, NULL,
	  NULL, 1 },
	{ "PData", 0x10, "\"c:\\programdata\\vendor\\a.exe\"", "V", NULL,
	  NULL, NULL, 1 },
	{ "OtherDrive", 0x10, "D:\\tools\\svc.exe", "V", NULL, NULL, NULL,
	  1 },
	{ "Profile", 0x10, "C:\\Users\\bob\\AppData\\Local\\x\\x.exe", "V",
	  NULL, NULL, NULL, 1 },
	{ "UNC", 0x10, "\\\\server\\share\\x.exe", "V", NULL, NULL, NULL, 1 },
	{ "MsOffice", 0x10,
	  "\"C:\\Program Files\\Microsoft Office\\root\\x.exe\"",
	  "Office thing", NULL, NULL, NULL, 0 },
	{ "Defender", 0x10, "\"C:\\ProgramData\\Microsoft\\Windows Defender"
	  "\\Platform\\4.18.2\\MsMpEng.exe\"",
	  "@%ProgramFiles%\\Windows Defender\\MpAsDesc.dll,-310", NULL, NULL,
	  NULL, 0 },
	{ "Nis", 0x10, "\"%ProgramFiles%\\Windows Defender\\NisSrv.exe\"",
	  "@%ProgramFiles%\\Windows Defender\\MpAsDesc.dll,-243", NULL, NULL,
	  NULL, 0 },
	{ "C2R", 0x10, "\"C:\\Program Files\\Common Files\\Microsoft Shared\\"
	  "ClickToRun\\OfficeClickToRun.exe\" /service",
	  "Microsoft Office Click-to-Run Service", NULL, NULL, NULL, 0 },
	{ "C2REnv", 0x10, "\"%CommonProgramFiles%\\Microsoft Shared\\x.exe\"",
	  "V", NULL, NULL, NULL, 0 },
	{ "CommonVendor", 0x10, "\"%CommonProgramFiles%\\Vendor\\x.exe\"",
	  "V", NULL, NULL, NULL, 1 },
	{ "Edge", 0x10, "\"C:\\Program Files (x86)\\Microsoft\\EdgeUpdate\\"
	  "MicrosoftEdgeUpdate.exe\" /svc", "Microsoft Edge Update Service",
	  NULL, NULL, NULL, 0 },
	{ "HostVendor", 0x20, "%SystemRoot%\\system32\\svchost.exe -k vnd",
	  "@%SystemRoot%\\system32\\x.dll,-1",
	  "C:\\Program Files\\Vendor\\svc.dll", NULL, NULL, 1 },
	{ "HostMs", 0x20, "%SystemRoot%\\system32\\svchost.exe -k netsvcs -p",
	  "@%SystemRoot%\\system32\\foo.dll,-1",
	  "%SystemRoot%\\System32\\foo.dll", NULL, NULL, 0 },
	{ "DrvRel", 1, "System32\\drivers\\foo.sys", "Foo Driver", NULL, NULL,
	  NULL, 0 },
	{ "DrvQQ", 1, "\\??\\C:\\Windows\\system32\\drivers\\bar.sys", "Bar",
	  NULL, NULL, NULL, 0 },
	{ "DrvPF", 1, "\\??\\C:\\Program Files\\Vendor\\x.sys", "X", NULL,
	  NULL, NULL, 1 },
	{ "DrvOem", 1, "\\SystemRoot\\System32\\drivers\\o.sys",
	  "@oem42.inf,%Svc%;OEM Driver", NULL, NULL, NULL, 1 },
	{ "DrvInbox", 1, "\\SystemRoot\\System32\\drivers\\b.sys",
	  "@bth.inf,%X%;Bluetooth", NULL, "oem8.inf", NULL, 0 },
	{ "DrvOwn3p", 1, "\\SystemRoot\\System32\\drivers\\c.sys", NULL, NULL,
	  "oem9.inf", NULL, 1 },
	{ "DrvOwnMix", 1, "\\SystemRoot\\System32\\drivers\\d.sys", NULL, NULL,
	  "oem3.inf", "msmouse.inf", 0 },
	{ "DrvOemDir", 1, "\\SystemRoot\\System32\\drivers\\e.sys", NULL, NULL,
	  "C:\\Windows\\INF\\OEM12.INF", NULL, 1 },
	{ "DrvNotOem", 1, "\\SystemRoot\\System32\\drivers\\f.sys",
	  "@oemx.inf,%y%;Y", NULL, NULL, NULL, 0 },
	{ "DrvNoImage", 1, NULL, "Beep", NULL, NULL, NULL, 0 },
	{ "PlainSys32", 0x10, "%SystemRoot%\\system32\\vendorsvc.exe",
	  "Vendor Service", NULL, NULL, NULL, 1 },
	{ "NoDisplay", 0x10, "%SystemRoot%\\system32\\x.exe", NULL, NULL,
	  NULL, NULL, 0 },
	{ "Ngen", 0x10, "C:\\Windows\\Microsoft.NET\\Framework64\\v4.0.30319"
	  "\\mscorsvw.exe", "clr_optimization_v4.0.30319_64", NULL, NULL, NULL,
	  0 },
	{ "UserInst_1d05b", 0xe0,
	  "C:\\Windows\\system32\\svchost.exe -k UnistackSvcGroup",
	  "UserInst_1d05b", NULL, NULL, NULL, 0 },
	{ "Bare", 0x10, "vendor.exe", "Vendor", NULL, NULL, NULL, 1 },
	{ "BareMs", 0x10, "msdtc.exe", "@%SystemRoot%\\system32\\msdtc.exe,-1",
	  NULL, NULL, NULL, 0 },
	{ "NoImageSvc", 0x10, NULL, "Broken", NULL, NULL, NULL, 0 },
};

static void
test_classify_synthetic(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_list	*sl;
	const struct service	*s;
	struct hive		*hv;
	hive_h			*h;
	char			*path, *key, *got;
	size_t			 i;

	path = fx_mini_system(fx, "SYSTEM", 2);
	h = hx_open_write(path);
	for (i = 0; i < sizeof syn / sizeof syn[0]; i++) {
		key = xprintf("ControlSet002\\Services\\%s", syn[i].name);
		hx_dword(h, key, "Type", syn[i].type);
		hx_dword(h, key, "Start", 3);
		if (syn[i].image != NULL)
			hx_str(h, key, "ImagePath", hive_t_REG_EXPAND_SZ,
			    syn[i].image);
		if (syn[i].display != NULL)
			hx_str(h, key, "DisplayName", hive_t_REG_SZ,
			    syn[i].display);
		free(key);
		if (syn[i].dll != NULL) {
			key = xprintf("ControlSet002\\Services\\%s\\"
			    "Parameters", syn[i].name);
			hx_str(h, key, "ServiceDll", hive_t_REG_EXPAND_SZ,
			    syn[i].dll);
			free(key);
		}
		if (syn[i].owner1 != NULL) {
			key = xprintf("ControlSet002\\Services\\%s",
			    syn[i].name);
			hx_multi(h, key, "Owners", syn[i].owner1,
			    syn[i].owner2, NULL);
			free(key);
		}
	}
	/* Odd values: a Start that is a string, a number no start type is,
	 * a key that is no service, one in the control set not current. */
	hx_str(h, "ControlSet002\\Services\\StrStart", "Start", hive_t_REG_SZ,
	    "2");
	hx_dword(h, "ControlSet002\\Services\\StrStart", "Type", 0x10);
	hx_dword(h, "ControlSet002\\Services\\Seven", "Start", 7);
	hx_dword(h, "ControlSet002\\Services\\Seven", "Type", 0x1234);
	hx_dword(h, "ControlSet002\\Services\\Delayed0", "Start", 2);
	hx_dword(h, "ControlSet002\\Services\\Delayed0", "DelayedAutostart",
	    0);
	hx_node(h, "ControlSet002\\Services\\NotAService\\Performance", 1);
	hx_dword(h, "ControlSet001\\Services\\OtherSet", "Start", 2);
	hx_commit(h, path);

	hv = tl_hive_open(path);
	sl = list_of(hv);
	assert_string_equal(sl->control_set, "ControlSet002");
	assert_int_equal(sl->n, sizeof syn / sizeof syn[0] + 3);
	for (i = 0; i < sizeof syn / sizeof syn[0]; i++) {
		s = must_find(sl, syn[i].name);
		if (s->third_party != syn[i].third)
			fail_msg("%s: third_party %d, wanted %d (%s)",
			    syn[i].name, s->third_party, syn[i].third,
			    s->vendor_evidence);
		assert_non_null(s->vendor_evidence);
	}
	assert_string_equal(service_display(must_find(sl, "DrvOem")),
	    "OEM Driver");
	s = must_find(sl, "StrStart");
	assert_int_equal(s->start, SERVICE_NONE);
	assert_start(s, "-");
	s = must_find(sl, "Seven");
	assert_start(s, "7");
	got = service_type_name(s->type);
	assert_string_equal(got, "0x1234");
	free(got);
	assert_start(must_find(sl, "Delayed0"), "auto");
	assert_null(services_find(sl, "NotAService"));
	assert_null(services_find(sl, "OtherSet"));
	/* Sorted by name, case-insensitively. */
	for (i = 1; i < sl->n; i++)
		assert_true(strcasecmp(sl->svcs[i - 1].name,
		    sl->svcs[i].name) < 0);
	list_free(sl);
	hive_close(hv);
	free(path);
}

/* Hives services_list must refuse with a cause, not crash on. */
static void
test_list_refusals(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_list	 sl;
	struct hive		*hv;
	hive_h			*h;
	char			*path, *cause = NULL;

	/* Select\Current names a control set that is not there. */
	path = fx_mini_system(fx, "SYSTEM", 5);
	hv = tl_hive_open(path);
	assert_int_equal(services_list(hv, &sl, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "ControlSet005"));
	free(cause);
	cause = NULL;
	hive_close(hv);
	free(path);

	/* No Select at all (not a SYSTEM hive). */
	path = tl_hive(fx->dir, "hivex_minimal", "SOFTWARE");
	hv = tl_hive_open(path);
	assert_int_equal(services_list(hv, &sl, &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	hive_close(hv);

	/* A control set with no Services key. */
	h = hx_open_write(path);
	hx_dword(h, "Select", "Current", 1);
	hx_node(h, "ControlSet001\\Control", 1);
	hx_commit(h, path);
	hv = tl_hive_open(path);
	assert_int_equal(services_list(hv, &sl, &cause), -1);
	assert_non_null(strstr(cause, "Services"));
	free(cause);
	hive_close(hv);
	free(path);
}

static void
issue_dump(const struct service_issue *is, size_t n)
{
	size_t	i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < is[i].nevidence; j++)
			print_message("# %s: %s\n", is[i].name,
			    is[i].evidence[j]);
	}
}

/* The read-only check on the real hives: all healthy (Windows 7's
 * delayed wuauserv, 1709's manual UsoSvc), nothing asked of a build that
 * lacks WaaSMedicSvc; a 22H2 build does. */
static void
test_check_real(void **state)
{
	struct tl_dir		*fx = *state;
	struct service_issue	*is;
	struct hive		*hv;
	char			*path, *cause = NULL;
	size_t			 n;

	path = tl_hive(fx->dir, "regipy_SYSTEM", NULL);
	hv = tl_hive_open(path);
	assert_int_equal(services_check_update(hv, 7601, &is, &n, &cause), 0);
	issue_dump(is, n);
	assert_int_equal(n, 0);
	service_issues_free(is, n);
	/* Told it is 22H2, the Windows 7 hive lacks two services. */
	assert_int_equal(services_check_update(hv, 19045, &is, &n, &cause),
	    0);
	assert_int_equal(n, 2);
	assert_string_equal(is[0].name, "WaaSMedicSvc");
	assert_string_equal(is[1].name, "UsoSvc");
	assert_true(is[0].missing && is[0].broken && !is[0].disabled);
	assert_string_equal(is[0].evidence[0], "HKLM\\SYSTEM\\ControlSet001"
	    "\\Services\\WaaSMedicSvc is missing (Windows has it since build "
	    "17134; this is build 19045)");
	service_issues_free(is, n);
	hive_close(hv);
	free(path);

	path = tl_hive(fx->dir, "regipy_SYSTEM_B", NULL);
	hv = tl_hive_open(path);
	assert_int_equal(services_check_update(hv, 16299, &is, &n, &cause),
	    0);
	issue_dump(is, n);
	assert_int_equal(n, 0);
	service_issues_free(is, n);
	assert_int_equal(services_check_update(hv, 0, &is, &n, &cause), 0);
	assert_int_equal(n, 0);
	service_issues_free(is, n);
	assert_int_equal(services_check_update(hv, 19045, &is, &n, &cause),
	    0);
	assert_int_equal(n, 1);
	assert_string_equal(is[0].name, "WaaSMedicSvc");
	service_issues_free(is, n);
	hive_close(hv);
	free(path);
}

/* A directory volume holding SYSTEM_B (made clean) with the case's
 * damage and more; usocore.dll only in System32, as on 1709. */
struct dvol {
	char	*root;
	char	*system;		/* host path of the SYSTEM file */
	void	*orig;			/* its bytes before any change */
	size_t	 origlen;
};

#define SVCS	"ControlSet001\\Services\\"

static void
dvol_make(struct tl_dir *fx, struct dvol *dv, int damage)
{
	hive_h	*h;
	char	*dir;

	dv->root = xprintf("%s/vol", fx->dir);
	dir = xprintf("%s/Windows/System32/config", dv->root);
	tl_sh_ok("mkdir -p '%s' && : > '%s/../usocore.dll'", dir, dir);
	dv->system = tl_hive(dir, "regipy_SYSTEM_B", "SYSTEM");
	free(dir);
	fx_make_clean(dv->system);
	if (damage) {
		h = hx_open_write(dv->system);
		hx_dword(h, SVCS "wuauserv", "Start", 4);
		hx_del_value(h, SVCS "BITS", "ImagePath");
		hx_del_key(h, SVCS "CryptSvc\\Parameters");
		hx_del_key(h, SVCS "UsoSvc");
		hx_del_value(h, SVCS "msiserver", "ObjectName");
		hx_del_value(h, SVCS "msiserver", "ErrorControl");
		/* Healthy, only not the default: must stay. */
		hx_dword(h, SVCS "TrustedInstaller", "Start", 2);
		hx_commit(h, dv->system);
		fx_make_clean(dv->system);
	}
	dv->orig = fx_read(dv->system, &dv->origlen);
}

static void
dvol_free(struct dvol *dv)
{
	free(dv->root);
	free(dv->system);
	free(dv->orig);
}

static struct vol *
dvol_open(struct dvol *dv)
{
	struct vol_where	 w;
	struct vol		*vol;
	char			*cause = NULL;

	memset(&w, 0, sizeof w);
	w.path = dv->root;
	w.is_dir = 1;
	if (vol_open(&w, VOL_RDWR, &vol, NULL, &cause) != 0)
		fail_msg("vol_open %s: %s", dv->root, cause);
	return vol;
}

/* Commit regedit's changes through a journal, as cmd_commit does. */
static void
dvol_commit(struct vol *vol, struct regedit *re, const char *what)
{
	struct journal	*j;
	char		*cause = NULL;

	if (journal_begin(vol, what, &j, &cause) != 0 ||
	    regedit_commit(re, j, &cause) != 0 ||
	    journal_commit(j, &cause) != 0)
		fail_msg("%s: %s", what, cause);
	journal_free(j);
}

static int
changes_mention(struct regedit *re, const char *needle)
{
	const char *const	*c;
	size_t			 n, i;

	c = regedit_changes(re, &n);
	for (i = 0; i < n; i++) {
		if (strstr(c[i], needle) != NULL)
			return 1;
	}
	return 0;
}

static void
assert_rb_string(const char *file, const char *key, const char *name,
    const char *want)
{
	char	*got = rb_string(file, key, name);

	if (got == NULL)
		fail_msg("%s\\%s: missing, wanted %s", key, name, want);
	assert_string_equal(got, want);
	free(got);
}

/* Every service's Start in the file now is what it was in dv->orig,
 * but for the one named (read with hivex from both files). */
static void
same_starts(struct dvol *dv, const char *except)
{
	hive_h		*a, *b;
	hive_node_h	 sa, *kids, kb;
	hive_value_h	 va, vb;
	char		*orig, *name;
	size_t		 i, compared = 0;

	orig = xprintf("%s.orig", dv->system);
	assert_int_equal(file_write_all(orig, dv->orig, dv->origlen, NULL),
	    0);
	assert_non_null(a = hivex_open(orig, 0));
	assert_non_null(b = hivex_open(dv->system, 0));
	assert_true((sa = hx_node(a, "ControlSet001\\Services", 0)) != 0);
	assert_non_null(kids = hivex_node_children(a, sa));
	for (i = 0; kids[i] != 0; i++) {
		name = hivex_node_name(a, kids[i]);
		if (strcasecmp(name, except) == 0 ||
		    (va = hivex_node_get_value(a, kids[i], "Start")) == 0) {
			free(name);
			continue;
		}
		kb = hivex_node_get_child(b, hx_node(b,
		    "ControlSet001\\Services", 0), name);
		assert_true(kb != 0);
		assert_true((vb = hivex_node_get_value(b, kb, "Start")) != 0);
		if (hivex_value_dword(a, va) != hivex_value_dword(b, vb))
			fail_msg("%s: Start %d, was %d", name,
			    hivex_value_dword(b, vb), hivex_value_dword(a, va));
		compared++;
		free(name);
	}
	assert_true(compared > 500);
	free(kids);
	hivex_close(a);
	hivex_close(b);
	unlink(orig);
	free(orig);
}

/* services-reset on the case's damage, then undo. */
static void
test_reset(void **state)
{
	struct tl_dir		*fx = *state;
	struct dvol		 dv;
	struct service_issue	*is;
	struct regedit		*re;
	struct vol		*vol;
	struct hive		*hv;
	const char		*f;
	char			*cause = NULL, *undone = NULL;
	void			*after;
	size_t			 n, len;

	dvol_make(fx, &dv, 1);
	f = dv.system;
	vol = dvol_open(&dv);

	/* The check sees every piece of the damage. */
	regedit_begin(vol, 0, &re);
	assert_non_null(hv = regedit_hive(re, HIVE_SYSTEM, &cause));
	assert_int_equal(services_check_update(hv, 19045, &is, &n, &cause), 0);
	issue_dump(is, n);
	assert_int_equal(n, 6);
	assert_string_equal(is[0].name, "wuauserv");
	assert_true(is[0].disabled && !is[0].broken);
	assert_string_equal(is[0].evidence[0],
	    "HKLM\\SYSTEM\\ControlSet001\\Services\\wuauserv\\Start = 4 "
	    "(disabled)");
	assert_string_equal(is[1].name, "BITS");
	assert_true(is[1].broken && !is[1].disabled);
	assert_string_equal(is[1].evidence[0],
	    "HKLM\\SYSTEM\\ControlSet001\\Services\\BITS has no ImagePath");
	assert_string_equal(is[2].name, "WaaSMedicSvc");
	assert_true(is[2].missing);
	assert_string_equal(is[3].name, "UsoSvc");
	assert_string_equal(is[4].name, "CryptSvc");
	assert_string_equal(is[4].evidence[0],
	    "HKLM\\SYSTEM\\ControlSet001\\Services\\CryptSvc\\Parameters has "
	    "no ServiceDll");
	assert_string_equal(is[5].name, "msiserver");
	service_issues_free(is, n);

	assert_int_equal(services_reset(re, vol, 19045, &n, &cause), 0);
	assert_int_equal(n, 6);
	assert_true(changes_mention(re, "wuauserv\\Start = REG_DWORD 3, was "
	    "REG_DWORD 4"));
	assert_false(changes_mention(re, "TrustedInstaller"));
	/* The edited copy now passes its own check. */
	assert_int_equal(services_check_update(regedit_hive(re, HIVE_SYSTEM,
	    &cause), 19045, &is, &n, &cause), 0);
	issue_dump(is, n);
	assert_int_equal(n, 0);
	service_issues_free(is, n);
	dvol_commit(vol, re, "services reset");
	regedit_free(re);

	/* Read back from the file with a fresh hivex handle. */
	assert_int_equal(rb_dword(f, SVCS "wuauserv", "Start"), 3);
	assert_rb_string(f, SVCS "wuauserv", "ImagePath",
	    "2:%systemroot%\\system32\\svchost.exe -k netsvcs");
	/* BITS: only the ImagePath; its healthy delayed start stays. */
	assert_rb_string(f, SVCS "BITS", "ImagePath",
	    "2:%SystemRoot%\\System32\\svchost.exe -k netsvcs -p");
	assert_int_equal(rb_dword(f, SVCS "BITS", "Start"), 2);
	assert_int_equal(rb_dword(f, SVCS "BITS", "DelayedAutostart"), 1);
	assert_rb_string(f, SVCS "CryptSvc\\Parameters", "ServiceDll",
	    "2:%SystemRoot%\\system32\\cryptsvc.dll");
	assert_int_equal(rb_dword(f, SVCS "CryptSvc", "Start"), 2);
	assert_rb_string(f, SVCS "msiserver", "ObjectName", "1:LocalSystem");
	assert_int_equal(rb_dword(f, SVCS "msiserver", "ErrorControl"), 1);
	assert_int_equal(rb_dword(f, SVCS "msiserver", "Start"), 3);
	/* Created whole: WaaSMedicSvc (build 19045 >= 1803), UsoSvc with
	 * the DLL that is on the volume (usocore.dll, not usosvc.dll). */
	assert_int_equal(rb_dword(f, SVCS "WaaSMedicSvc", "Start"), 3);
	assert_int_equal(rb_dword(f, SVCS "WaaSMedicSvc", "Type"), 0x20);
	assert_int_equal(rb_dword(f, SVCS "WaaSMedicSvc", "ErrorControl"), 1);
	assert_rb_string(f, SVCS "WaaSMedicSvc", "ImagePath",
	    "2:%systemroot%\\system32\\svchost.exe -k wusvcs -p");
	assert_rb_string(f, SVCS "WaaSMedicSvc", "ObjectName",
	    "1:LocalSystem");
	assert_rb_string(f, SVCS "WaaSMedicSvc", "DisplayName",
	    "1:@%SystemRoot%\\system32\\WaaSMedicSvc.dll,-100");
	assert_rb_string(f, SVCS "WaaSMedicSvc\\Parameters", "ServiceDll",
	    "2:%SystemRoot%\\System32\\WaaSMedicSvc.dll");
	/* R p c S s, its NUL, the list's NUL: 14 bytes. */
	assert_rb_string(f, SVCS "WaaSMedicSvc", "DependOnService",
	    "52007000630053007300" "0000" "0000");
	assert_int_equal(rb_dword(f, SVCS "UsoSvc", "Start"), 2);
	assert_int_equal(rb_dword(f, SVCS "UsoSvc", "DelayedAutostart"), 1);
	assert_rb_string(f, SVCS "UsoSvc\\Parameters", "ServiceDll",
	    "2:%systemroot%\\system32\\usocore.dll");
	/* Healthy and untouched: TrustedInstaller's automatic start, and
	 * every other service's Start as it was. */
	assert_int_equal(rb_dword(f, SVCS "TrustedInstaller", "Start"), 2);
	same_starts(&dv, "wuauserv");

	/* A second reset finds nothing. */
	regedit_begin(vol, 0, &re);
	assert_int_equal(services_reset(re, vol, 19045, &n, &cause), 0);
	assert_int_equal(n, 0);
	regedit_changes(re, &n);
	assert_int_equal(n, 0);
	regedit_free(re);

	/* Undo gives back the damaged hive byte for byte. */
	if (journal_undo(vol, NULL, &undone, &cause) != 0)
		fail_msg("undo: %s", cause);
	free(undone);
	vol_close(vol);
	after = fx_read(f, &len);
	assert_int_equal(len, dv.origlen);
	assert_memory_equal(after, dv.orig, len);
	free(after);
	dvol_free(&dv);
}

/* Older builds: WaaSMedicSvc is never created before 1803, UsoSvc never
 * before 1709, nor either when the build is unknown. */
static void
test_reset_old_builds(void **state)
{
	struct tl_dir	*fx = *state;
	struct dvol	 dv;
	struct regedit	*re;
	struct vol	*vol;
	char		*cause = NULL;
	size_t		 n;

	dvol_make(fx, &dv, 1);
	vol = dvol_open(&dv);

	regedit_begin(vol, 0, &re);
	assert_int_equal(services_reset(re, vol, 16299, &n, &cause), 0);
	assert_int_equal(n, 5);
	assert_false(changes_mention(re, "WaaSMedicSvc"));
	assert_true(changes_mention(re, "UsoSvc"));
	regedit_free(re);

	regedit_begin(vol, 0, &re);
	assert_int_equal(services_reset(re, vol, 0, &n, &cause), 0);
	assert_int_equal(n, 4);
	assert_false(changes_mention(re, "WaaSMedicSvc"));
	assert_false(changes_mention(re, "UsoSvc"));
	assert_true(changes_mention(re, "BITS\\ImagePath"));
	regedit_free(re);

	/* Windows 10 1607 (14393): no "-p" for svchost yet. */
	regedit_begin(vol, 0, &re);
	assert_int_equal(services_reset(re, vol, 14393, &n, &cause), 0);
	assert_true(changes_mention(re, "BITS\\ImagePath = REG_EXPAND_SZ "
	    "%SystemRoot%\\System32\\svchost.exe -k netsvcs (new)"));
	regedit_free(re);

	vol_close(vol);
	dvol_free(&dv);
}

static void
test_set(void **state)
{
	struct tl_dir	*fx = *state;
	struct dvol	 dv;
	struct regedit	*re;
	struct vol	*vol;
	const char	*f;
	char		*cause = NULL, *undone = NULL;
	void		*after;
	size_t		 n, len;

	dvol_make(fx, &dv, 0);
	f = dv.system;
	vol = dvol_open(&dv);

	regedit_begin(vol, 0, &re);
	assert_int_equal(services_set(re, "wuauserv", "disabled", &cause), 0);
	/* Names compare as Windows does; the key keeps its own. */
	assert_int_equal(services_set(re, "USOSVC", "delayed", &cause), 0);
	assert_true(changes_mention(re, "Services\\UsoSvc\\DelayedAutostart "
	    "= REG_DWORD 1 (new)"));
	/* auto clears a DelayedAutostart that is there. */
	assert_int_equal(services_set(re, "BITS", "auto", &cause), 0);
	/* Drivers may start at boot. */
	assert_int_equal(services_set(re, "Beep", "boot", &cause), 0);
	dvol_commit(vol, re, "services set");
	regedit_free(re);
	assert_int_equal(rb_dword(f, SVCS "wuauserv", "Start"), 4);
	assert_int_equal(rb_dword(f, SVCS "UsoSvc", "Start"), 2);
	assert_int_equal(rb_dword(f, SVCS "UsoSvc", "DelayedAutostart"), 1);
	assert_int_equal(rb_dword(f, SVCS "BITS", "Start"), 2);
	assert_int_equal(rb_dword(f, SVCS "BITS", "DelayedAutostart"), 0);
	assert_int_equal(rb_dword(f, SVCS "Beep", "Start"), 0);

	/* Refusals change nothing. */
	regedit_begin(vol, 0, &re);
	assert_int_equal(services_set(re, "NoSuchService", "demand", &cause),
	    -1);
	assert_non_null(strstr(cause, "no service 'NoSuchService'"));
	assert_non_null(strstr(cause, "ControlSet001"));
	free(cause);
	cause = NULL;
	assert_int_equal(services_set(re, "wuauserv", "boot", &cause), -1);
	assert_non_null(strstr(cause, "only drivers"));
	free(cause);
	cause = NULL;
	assert_int_equal(services_set(re, "wuauserv", "sometimes", &cause),
	    -1);
	assert_non_null(strstr(cause, "unknown start type"));
	free(cause);
	cause = NULL;
	/* Already so: nothing to journal. */
	assert_int_equal(services_set(re, "wuauserv", "disabled", &cause), 0);
	regedit_changes(re, &n);
	assert_int_equal(n, 0);
	regedit_free(re);

	if (journal_undo(vol, NULL, &undone, &cause) != 0)
		fail_msg("undo: %s", cause);
	free(undone);
	vol_close(vol);
	after = fx_read(f, &len);
	assert_int_equal(len, dv.origlen);
	assert_memory_equal(after, dv.orig, len);
	free(after);
	dvol_free(&dv);
}

/* CurrentBuild from SOFTWARE. */
static void
test_build(void **state)
{
	struct tl_dir		*fx = *state;
	struct vol_where	 w;
	struct vol		*vol;
	hive_h			*h;
	char			*dir, *sw, *cause = NULL;
	uint32_t		 build = 1;

	dir = xprintf("%s/bvol/Windows/System32/config", fx->dir);
	tl_sh_ok("mkdir -p '%s'", dir);
	sw = xprintf("%s/SOFTWARE", dir);
	memset(&w, 0, sizeof w);
	w.path = xprintf("%s/bvol", fx->dir);
	w.is_dir = 1;

	assert_int_equal(vol_open(&w, VOL_RDONLY, &vol, NULL, &cause), 0);
	assert_int_equal(services_build(vol, &build, &cause), -1);
	assert_int_equal(build, 0);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	vol_close(vol);

	free(tl_hive(dir, "hivex_minimal", "SOFTWARE"));
	h = hx_open_write(sw);
	hx_str(h, "Microsoft\\Windows NT\\CurrentVersion", "CurrentBuild",
	    hive_t_REG_SZ, "19045");
	hx_commit(h, sw);
	assert_int_equal(vol_open(&w, VOL_RDONLY, &vol, NULL, &cause), 0);
	assert_int_equal(services_build(vol, &build, &cause), 0);
	assert_int_equal(build, 19045);
	vol_close(vol);

	h = hx_open_write(sw);
	hx_str(h, "Microsoft\\Windows NT\\CurrentVersion", "CurrentBuild",
	    hive_t_REG_SZ, "19045x");
	hx_commit(h, sw);
	assert_int_equal(vol_open(&w, VOL_RDONLY, &vol, NULL, &cause), 0);
	assert_int_equal(services_build(vol, &build, &cause), -1);
	assert_non_null(strstr(cause, "19045x"));
	free(cause);
	vol_close(vol);

	free((char *)w.path);
	free(sw);
	free(dir);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, tl_setup, tl_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_list_win7),
		T(test_list_win10),
		T(test_list_system2),
		cmocka_unit_test(test_decode),
		T(test_classify_synthetic),
		T(test_list_refusals),
		T(test_check_real),
		T(test_reset),
		T(test_reset_old_builds),
		T(test_set),
		T(test_build),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
