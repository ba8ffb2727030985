/*
 * cbs.c: the Component Based Servicing inventory of an offline Windows.
 *
 * CBS registers every package under SOFTWARE
 * Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages\
 * <identity> (CurrentState, InstallName, InstallLocation, Visibility,
 * LastError, ...) and keeps its manifest and catalog as
 * Windows\servicing\Packages\<identity>.mum and .cat. A package CBS
 * holds as installed, staged or pending whose .mum is missing, empty or
 * malformed makes every later update fail with 0x8007000d
 * ERROR_INVALID_DATA (the field case, CASE.md: corrupt FoD manifests).
 *
 * A real PC has 5,000-15,000 packages and a 60+ MB SOFTWARE hive, so the
 * Packages key is walked once with hivex (no lookups by path per
 * package) and each file is opened and read once, in name order, into
 * one reused buffer.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

#define CBS_HKLM	"HKLM\\SOFTWARE\\" CBS_KEY
#define CBS_WINSXS	"Windows\\WinSxS"
#define CBS_INFLIGHT	CBS_WINSXS "\\Temp\\InFlight"
#define CBS_DOWNLOAD	"Windows\\SoftwareDistribution\\Download"
#define CBS_SS_NAME	"Microsoft-Windows-ServicingStack"

/* InFlight holds <transaction id>\<file>; deeper trees are walked this
 * far, which covers what a stopped transaction leaves. */
#define NTM_MAX_INFLIGHT_DEPTH	4
/* Value names listed in one marker's detail; the rest are counted. */
#define CBS_DETAIL_VALUES	3
/* A catalog's first bytes: DER SEQUENCE tag and length (up to 4 length
 * bytes), then the ContentType OID 1.2.840.113549.1.7.2 (signedData). */
#define CBS_CAT_HEAD		19

struct cbs_ctx {
	struct vol		*vol;
	struct cbs_inventory	*inv;
	int			 flags;
	uint8_t			*buf;		/* reused for every file */
	size_t			 bufsize;
	size_t			 a_markers;
	size_t			 a_downloads;
	size_t			 ndl_seen;	/* Download folders seen */
};

static const struct {
	uint32_t	 value;
	const char	*name;
} cbs_states[] = {
	{ CBS_STATE_ABSENT, "Absent" },
	{ CBS_STATE_UNINSTALL_PENDING, "Uninstall Pending" },
	{ CBS_STATE_RESOLVING, "Resolving" },
	{ CBS_STATE_RESOLVED, "Resolved" },
	{ CBS_STATE_STAGING, "Staging" },
	{ CBS_STATE_STAGED, "Staged" },
	{ CBS_STATE_SUPERSEDED, "Superseded" },
	{ CBS_STATE_INSTALL_PENDING, "Install Pending" },
	{ CBS_STATE_PARTIALLY_INSTALLED, "Partially Installed" },
	{ CBS_STATE_INSTALLED, "Installed" },
	{ CBS_STATE_PERMANENT, "Permanent" },
	{ CBS_STATE_DEFAULT, "Default" },
	{ CBS_STATE_INVALID_RESOLVED, "Invalid Resolved" },
	{ CBS_STATE_INVALID_STAGED, "Invalid Staged" },
	{ CBS_STATE_INVALID_INSTALLED, "Invalid Installed" },
	{ CBS_STATE_INVALID_PERMANENT, "Invalid Permanent" },
};

const char *
cbs_state_name(uint32_t state)
{
	size_t	i;

	for (i = 0; i < sizeof cbs_states / sizeof cbs_states[0]; i++) {
		if (cbs_states[i].value == state)
			return cbs_states[i].name;
	}
	return NULL;
}

char *
cbs_package_state(const struct cbs_package *p)
{
	const char	*s;

	if (!p->has_state)
		return xstrdup("-");
	if ((s = cbs_state_name(p->state)) != NULL)
		return xstrdup(s);
	return xprintf("unknown (0x%x)", p->state);
}

int
cbs_state_needs_manifest(uint32_t state)
{
	/* Absent: registered, no files. Resolving: CBS is still gathering
	 * them. Default: "reevaluate", not a state a package is in. Any
	 * other value, known or not, is a package CBS will open. */
	return state != CBS_STATE_ABSENT && state != CBS_STATE_RESOLVING &&
	    state != CBS_STATE_DEFAULT;
}

int
cbs_state_is_pending(uint32_t state)
{
	return state == CBS_STATE_UNINSTALL_PENDING ||
	    state == CBS_STATE_STAGING || state == CBS_STATE_INSTALL_PENDING ||
	    state == CBS_STATE_PARTIALLY_INSTALLED;
}

const char *
cbs_file_status_name(enum cbs_file_status s)
{
	switch (s) {
	case CBS_FILE_NOT_CHECKED:
		return "not-checked";
	case CBS_FILE_OK:
		return "ok";
	case CBS_FILE_MISSING:
		return "missing";
	case CBS_FILE_EMPTY:
		return "empty";
	case CBS_FILE_MALFORMED:
		return "malformed";
	case CBS_FILE_MISMATCH:
		return "mismatch";
	case CBS_FILE_UNREADABLE:
		return "unreadable";
	}
	return "unknown";
}

const char *
cbs_marker_kind_name(enum cbs_marker_kind k)
{
	switch (k) {
	case CBS_MARK_REBOOT_PENDING:
		return "reboot-pending";
	case CBS_MARK_REBOOT_IN_PROGRESS:
		return "reboot-in-progress";
	case CBS_MARK_PACKAGES_PENDING:
		return "packages-pending";
	case CBS_MARK_SESSIONS_PENDING:
		return "sessions-pending";
	case CBS_MARK_PACKAGE_STATE:
		return "package-state";
	case CBS_MARK_PENDING_XML:
		return "pending-xml";
	case CBS_MARK_INFLIGHT:
		return "inflight";
	case CBS_MARK_PENDING_XML_ID:
		return "pending-xml-identifier";
	case CBS_MARK_ADVANCED_INSTALLERS:
		return "advanced-installers";
	}
	return "unknown";
}

static void
cbs_warn(struct cbs_inventory *inv, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
cbs_warn(struct cbs_inventory *inv, const char *fmt, ...)
{
	va_list	ap;

	inv->warnings = xreallocarray(inv->warnings, inv->nwarnings + 1,
	    sizeof *inv->warnings);
	va_start(ap, fmt);
	xvasprintf(&inv->warnings[inv->nwarnings++], fmt, ap);
	va_end(ap);
}

/* Add a marker; where and detail are taken (detail may be NULL). Beyond
 * NTM_MAX_CBS_MARKERS markers are only counted. */
static void
cbs_mark(struct cbs_ctx *c, enum cbs_marker_kind kind, char *where,
    char *detail)
{
	struct cbs_inventory	*inv = c->inv;
	struct cbs_marker	*mk;

	inv->markers_total++;
	if (inv->nmarkers >= NTM_MAX_CBS_MARKERS) {
		free(where);
		free(detail);
		return;
	}
	if (inv->nmarkers == c->a_markers) {
		c->a_markers = c->a_markers == 0 ? 8 : c->a_markers * 2;
		inv->markers = xreallocarray(inv->markers, c->a_markers,
		    sizeof *inv->markers);
	}
	mk = &inv->markers[inv->nmarkers++];
	mk->kind = kind;
	mk->where = where;
	mk->detail = detail;
}

/* A key's name for messages, kept printable. */
static char *
cbs_printable(const char *s)
{
	char	*out = xstrdup(s);
	char	*p;

	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	}
	return out;
}

/* Registry values of one key, read by walking it once. */

/* A string value (SZ, EXPAND_SZ) as UTF-8, or NULL. */
static char *
cbs_value_string(hive_h *h, hive_value_h v)
{
	hive_type	 t;
	size_t		 len;
	char		*data, *s;

	if (hivex_value_type(h, v, &t, &len) != 0 ||
	    (t != hive_t_REG_SZ && t != hive_t_REG_EXPAND_SZ))
		return NULL;
	if ((data = hivex_value_value(h, v, &t, &len)) == NULL)
		return NULL;
	s = utf16le_to_utf8(data, len);
	free(data);
	return s;
}

static int
cbs_value_dword(hive_h *h, hive_value_h v, uint32_t *out)
{
	hive_type	 t;
	size_t		 len;

	if (hivex_value_type(h, v, &t, &len) != 0 || t != hive_t_REG_DWORD ||
	    len != 4)
		return -1;
	errno = 0;
	*out = (uint32_t)hivex_value_dword(h, v);
	return errno == 0 ? 0 : -1;
}

/* Is any byte of the value non-zero (a DWORD or a REG_BINARY flag)? */
static int
cbs_value_nonzero(hive_h *h, hive_value_h v)
{
	hive_type	 t;
	size_t		 len, i;
	char		*data;
	int		 nz = 0;

	if ((data = hivex_value_value(h, v, &t, &len)) == NULL)
		return 0;
	for (i = 0; i < len; i++)
		nz |= data[i] != 0;
	free(data);
	return nz;
}

/* FILETIME (100 ns since 1601) to time_t; 0 if before 1970. */
static time_t
cbs_filetime(uint64_t ft)
{
	const uint64_t	epoch = 116444736000000000ULL;

	if (ft <= epoch)
		return 0;
	return (time_t)((ft - epoch) / 10000000);
}

static void
cbs_package_values(hive_h *h, hive_node_h node, struct cbs_package *p)
{
	hive_value_h	*vals;
	char		*key;
	uint32_t	 hi = 0, lo = 0;
	int		 has_hi = 0, has_lo = 0;
	size_t		 i;

	if ((vals = hivex_node_values(h, node)) == NULL)
		return;
	for (i = 0; vals[i] != 0; i++) {
		if ((key = hivex_value_key(h, vals[i])) == NULL)
			continue;
		if (strcasecmp(key, "CurrentState") == 0)
			p->has_state = cbs_value_dword(h, vals[i],
			    &p->state) == 0;
		else if (strcasecmp(key, "LastError") == 0)
			p->has_last_error = cbs_value_dword(h, vals[i],
			    &p->last_error) == 0;
		else if (strcasecmp(key, "Visibility") == 0)
			p->has_visibility = cbs_value_dword(h, vals[i],
			    &p->visibility) == 0;
		else if (strcasecmp(key, "InstallName") == 0 &&
		    p->install_name == NULL)
			p->install_name = cbs_value_string(h, vals[i]);
		else if (strcasecmp(key, "InstallLocation") == 0 &&
		    p->install_location == NULL)
			p->install_location = cbs_value_string(h, vals[i]);
		else if (strcasecmp(key, "InstallClient") == 0 &&
		    p->install_client == NULL)
			p->install_client = cbs_value_string(h, vals[i]);
		else if (strcasecmp(key, "InstallTimeHigh") == 0)
			has_hi = cbs_value_dword(h, vals[i], &hi) == 0;
		else if (strcasecmp(key, "InstallTimeLow") == 0)
			has_lo = cbs_value_dword(h, vals[i], &lo) == 0;
		free(key);
	}
	free(vals);
	if (has_hi && has_lo)
		p->install_time = cbs_filetime((uint64_t)hi << 32 | lo);
}

/* Names of a key's values, "a = 1, b = 0x70, ... and 4 more", and their
 * count; NULL when it has none. */
static char *
cbs_value_list(hive_h *h, hive_node_h node, size_t *count, int nonzero_only)
{
	hive_value_h	*vals;
	char		*key, *s = NULL, *tmp, *name;
	uint32_t	 d;
	size_t		 i, n = 0;

	*count = 0;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return NULL;
	for (i = 0; vals[i] != 0; i++) {
		if (nonzero_only && !cbs_value_nonzero(h, vals[i]))
			continue;
		n++;
		if (n > CBS_DETAIL_VALUES)
			continue;
		if ((key = hivex_value_key(h, vals[i])) == NULL)
			continue;
		name = cbs_printable(*key != '\0' ? key : "(default)");
		if (cbs_value_dword(h, vals[i], &d) == 0)
			xasprintf(&tmp, "%s%s%s = 0x%x", s ? s : "",
			    s ? ", " : "", name, d);
		else
			xasprintf(&tmp, "%s%s%s", s ? s : "", s ? ", " : "",
			    name);
		free(name);
		free(key);
		free(s);
		s = tmp;
	}
	free(vals);
	if (n > CBS_DETAIL_VALUES && s != NULL) {
		xasprintf(&tmp, "%s and %zu more", s, n - CBS_DETAIL_VALUES);
		free(s);
		s = tmp;
	}
	*count = n;
	return s;
}

/* Manifest and catalog checks. */

void
cbs_mum_check(const void *buf, size_t len, const char *name,
    struct cbs_file *f, struct mum **mp)
{
	struct mum	*m = NULL;
	char		*cause = NULL, *id, *p;

	if (mp != NULL)
		*mp = NULL;
	free(f->reason);
	f->reason = NULL;
	if (len == 0) {
		f->status = CBS_FILE_EMPTY;
		f->reason = xstrdup("empty (0 bytes)");
		return;
	}
	if (mum_parse(buf, len, &m, &cause) != 0) {
		f->status = CBS_FILE_MALFORMED;
		f->reason = cause;
		return;
	}
	f->status = CBS_FILE_OK;
	if (name != NULL) {
		/* The file name is the identity: a manifest that names
		 * another package is as useless to CBS as a broken one. */
		id = mum_identity_string(&m->identity);
		if (strcasecmp(id, name) != 0) {
			p = cbs_printable(id);
			f->status = CBS_FILE_MISMATCH;
			xasprintf(&f->reason, "the manifest is for another "
			    "package: %.200s", p);
			free(p);
		}
		free(id);
	}
	if (mp != NULL)
		*mp = m;
	else
		mum_free(m);
}

int
cbs_cat_check(const void *head, size_t headlen, uint64_t size,
    char **reason)
{
	static const uint8_t	 oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48,
	    0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	const uint8_t		*p = head;
	uint64_t		 total;
	size_t			 nlen, i, hdr;

	if (size == 0)
		return set_cause(reason, "empty (0 bytes)");
	if (headlen < 2 || p[0] != 0x30)
		return set_cause(reason, "not a catalog: no DER SEQUENCE at "
		    "the start (first byte 0x%02x)", headlen ? p[0] : 0);
	/* A signed catalog is one DER PKCS#7 ContentInfo: SEQUENCE with
	 * a definite length covering the file. */
	if (p[1] < 0x80) {
		hdr = 2;
		total = hdr + p[1];
	} else {
		nlen = p[1] & 0x7f;
		if (nlen == 0 || nlen > 4)
			return set_cause(reason, "not a catalog: DER length of "
			    "%zu bytes", nlen);
		if (headlen < 2 + nlen)
			return set_cause(reason, "cut short: %llu bytes, "
			    "inside the DER header",
			    (unsigned long long)size);
		total = 0;
		for (i = 0; i < nlen; i++)
			total = total << 8 | p[2 + i];
		hdr = 2 + nlen;
		total += hdr;
	}
	if (total > size)
		return set_cause(reason, "cut short: %llu bytes, the DER "
		    "length says %llu", (unsigned long long)size,
		    (unsigned long long)total);
	if (headlen < hdr + sizeof oid || memcmp(p + hdr, oid,
	    sizeof oid) != 0)
		return set_cause(reason, "not a catalog: the DER content is "
		    "not PKCS#7 SignedData");
	return 0;
}

/* Read the first want bytes of a file of at most max bytes into the
 * reused buffer; *size is the file's. -1 with errno ENOENT for a missing
 * file, EFBIG when it is larger than max (*size set), and a cause. */
static int
cbs_read(struct cbs_ctx *c, const char *path, size_t max, size_t want,
    uint64_t *size, char **cause)
{
	struct vol_file	*f;
	uint64_t	 sz;
	size_t		 n, got = 0;
	ssize_t		 r;
	int		 e;

	if ((f = vol_file_open(c->vol, path, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	sz = vol_file_size(f);
	*size = sz;
	if (sz > max) {
		vol_file_close(f, NULL);
		set_cause(cause, "%llu bytes, over the limit of %zu MiB",
		    (unsigned long long)sz, max >> 20);
		errno = EFBIG;
		return -1;
	}
	n = want < sz ? want : (size_t)sz;
	if (n + 1 > c->bufsize) {
		c->bufsize = n + 1 < 65536 ? 65536 : n + 1;
		free(c->buf);
		c->buf = xmalloc(c->bufsize);
	}
	while (got < n) {
		r = vol_file_pread(f, c->buf + got, n - got, got);
		if (r <= 0) {
			e = r < 0 ? errno : EIO;
			vol_file_close(f, NULL);
			errno = e;
			return set_cause(cause, "read error at byte %zu: %s",
			    got, strerror(e));
		}
		got += (size_t)r;
	}
	vol_file_close(f, NULL);
	return 0;
}

/* Can the key name be a file name in servicing\Packages? */
static int
cbs_name_is_file(const char *name)
{
	return *name != '\0' && strpbrk(name, "\\/:*?\"<>|") == NULL &&
	    strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static int
cbs_has_ss_member(const struct mum *m)
{
	size_t	i;

	for (i = 0; i < m->nmembers; i++) {
		if (m->members[i].id.name != NULL &&
		    strcasecmp(m->members[i].id.name, CBS_SS_NAME) == 0)
			return 1;
	}
	return 0;
}

static void
cbs_check_mum(struct cbs_ctx *c, struct cbs_package *p)
{
	struct cbs_file	*f = &p->mum;
	struct mum	*m = NULL;
	char		*cause = NULL;

	f->path = xprintf(CBS_PACKAGES_DIR "\\%s.mum", p->name);
	if (cbs_read(c, f->path, NTM_MAX_MUM, NTM_MAX_MUM, &f->size,
	    &cause) != 0) {
		if (errno == ENOENT) {
			f->status = CBS_FILE_MISSING;
			f->reason = xstrdup("missing");
		} else if (errno == EFBIG) {
			f->status = CBS_FILE_MALFORMED;
			f->reason = cause;
			cause = NULL;
		} else {
			f->status = CBS_FILE_UNREADABLE;
			f->reason = cause;
			cause = NULL;
		}
		free(cause);
		return;
	}
	cbs_mum_check(c->buf, (size_t)f->size, p->name, f, &m);
	if (m == NULL)
		return;
	if (m->release_type != NULL)
		p->release_type = xstrdup(m->release_type);
	if (m->package_id != NULL)
		p->package_id = xstrdup(m->package_id);
	if (m->ss_required != NULL)
		p->ss_required = xstrdup(m->ss_required);
	if (!(p->role & CBS_ROLE_LCU) && cbs_has_ss_member(m))
		p->role |= CBS_ROLE_SSU;
	mum_free(m);
}

static void
cbs_check_cat(struct cbs_ctx *c, struct cbs_package *p)
{
	struct cbs_file	*f = &p->cat;
	char		*cause = NULL;

	f->path = xprintf(CBS_PACKAGES_DIR "\\%s.cat", p->name);
	if (cbs_read(c, f->path, SIZE_MAX, CBS_CAT_HEAD, &f->size,
	    &cause) != 0) {
		if (errno == ENOENT) {
			f->status = CBS_FILE_MISSING;
			f->reason = xstrdup("missing");
		} else {
			f->status = CBS_FILE_UNREADABLE;
			f->reason = cause;
			cause = NULL;
		}
		free(cause);
		return;
	}
	if (f->size == 0) {
		f->status = CBS_FILE_EMPTY;
		f->reason = xstrdup("empty (0 bytes)");
	} else if (cbs_cat_check(c->buf, f->size < CBS_CAT_HEAD ?
	    (size_t)f->size : CBS_CAT_HEAD, f->size, &f->reason) != 0)
		f->status = CBS_FILE_MALFORMED;
	else
		f->status = CBS_FILE_OK;
}

static void
cbs_check_files(struct cbs_ctx *c, struct cbs_package *p)
{
	if (!cbs_name_is_file(p->name)) {
		p->mum.status = p->cat.status = CBS_FILE_UNREADABLE;
		p->mum.reason = xstrdup("the package name cannot be a file "
		    "name");
		p->cat.reason = xstrdup(p->mum.reason);
		return;
	}
	cbs_check_mum(c, p);
	cbs_check_cat(c, p);
}

static int
cbs_package_cmp(const void *a, const void *b)
{
	const struct cbs_package	*pa = a, *pb = b;

	return strcasecmp(pa->name, pb->name);
}

static int
cbs_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* The SOFTWARE hive. */

static void
cbs_read_packages(struct cbs_ctx *c, hive_h *h, hive_node_h pk)
{
	struct cbs_inventory	*inv = c->inv;
	struct cbs_package	*p;
	hive_node_h		*kids;
	char			*name, *tilde;
	size_t			 n, i;

	if ((kids = hivex_node_children(h, pk)) == NULL) {
		cbs_warn(inv, "SOFTWARE: the subkeys of %s\\Packages cannot be "
		    "read: %s", CBS_HKLM, strerror(errno));
		return;
	}
	for (n = 0; kids[n] != 0; n++)
		;
	if (n > NTM_MAX_CBS_PACKAGES) {
		cbs_warn(inv, "SOFTWARE: %zu packages, only the first %d are "
		    "read", n, NTM_MAX_CBS_PACKAGES);
		n = NTM_MAX_CBS_PACKAGES;
	}
	inv->pkgs = xcalloc(n > 0 ? n : 1, sizeof *inv->pkgs);
	for (i = 0; i < n; i++) {
		if ((name = hivex_node_name(h, kids[i])) == NULL)
			continue;
		p = &inv->pkgs[inv->npkgs++];
		p->name = name;
		tilde = strrchr(name, '~');
		p->version = xstrdup(tilde != NULL ? tilde + 1 : "");
		cbs_package_values(h, kids[i], p);
		if (cbs_prefix(name, "Package_for_RollupFix"))
			p->role |= CBS_ROLE_LCU;
		else if (cbs_prefix(name, "Package_for_ServicingStack"))
			p->role |= CBS_ROLE_SSU;
	}
	free(kids);
	qsort(inv->pkgs, inv->npkgs, sizeof *inv->pkgs, cbs_package_cmp);
}

/* The installed servicing stack: CBS\Version holds one value per stack,
 * named by its version, whose data is its WinSxS directory. */
static void
cbs_read_version(struct cbs_ctx *c, hive_h *h, hive_node_h cbs)
{
	struct cbs_inventory	*inv = c->inv;
	hive_node_h		 node;
	hive_value_h		*vals;
	char			*key;
	size_t			 i;

	if ((node = hivex_node_get_child(h, cbs, "Version")) == 0)
		return;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return;
	for (i = 0; vals[i] != 0; i++) {
		if ((key = hivex_value_key(h, vals[i])) == NULL)
			continue;
		if (*key != '\0' && (inv->ss_version == NULL ||
		    mum_version_cmp(key, inv->ss_version) > 0)) {
			free(inv->ss_version);
			free(inv->ss_path);
			inv->ss_version = key;
			inv->ss_path = cbs_value_string(h, vals[i]);
		} else
			free(key);
	}
	free(vals);
}

/* A key under CBS whose presence means a servicing operation waits for a
 * reboot (what DISM and every "pending reboot" script test). */
static void
cbs_read_pending_key(struct cbs_ctx *c, hive_h *h, hive_node_h cbs,
    const char *name, enum cbs_marker_kind kind, int nonzero_only)
{
	hive_node_h	 node;
	size_t		 n;
	char		*list;

	if ((node = hivex_node_get_child(h, cbs, name)) == 0)
		return;
	list = cbs_value_list(h, node, &n, nonzero_only);
	/* SessionsPending stays on healthy systems with its counters at 0:
	 * only non-zero ones mean a session is pending. */
	if (nonzero_only && n == 0)
		return;
	cbs_mark(c, kind, xprintf("%s\\%s", CBS_HKLM, name),
	    list != NULL ? list : xstrdup("the key exists (no values)"));
}

static int
cbs_read_software(struct cbs_ctx *c, struct hive *hv, char **cause)
{
	struct cbs_inventory	*inv = c->inv;
	hive_h			*h;
	hive_node_h		 cbs, pk;
	const char		*w;
	char			*why = NULL;

	if ((w = hive_warning(hv)) != NULL)
		cbs_warn(inv, "%s", w);
	if (hive_key_lookup(hv, CBS_KEY, &cbs, &why) != 0) {
		set_cause(cause, "SOFTWARE has no Component Based Servicing "
		    "key: %s", why);
		free(why);
		return -1;
	}
	h = hive_handle(hv);
	if ((pk = hivex_node_get_child(h, cbs, "Packages")) != 0)
		cbs_read_packages(c, h, pk);
	else
		cbs_warn(inv, "SOFTWARE: %s has no Packages key", CBS_HKLM);
	cbs_read_version(c, h, cbs);
	cbs_read_pending_key(c, h, cbs, "RebootPending",
	    CBS_MARK_REBOOT_PENDING, 0);
	cbs_read_pending_key(c, h, cbs, "RebootInProgress",
	    CBS_MARK_REBOOT_IN_PROGRESS, 0);
	cbs_read_pending_key(c, h, cbs, "PackagesPending",
	    CBS_MARK_PACKAGES_PENDING, 0);
	cbs_read_pending_key(c, h, cbs, "SessionsPending",
	    CBS_MARK_SESSIONS_PENDING, 1);
	return 0;
}

/* The COMPONENTS hive (the component store's registry): the stack that
 * last opened the store and pending.xml's identifier while a transaction
 * waits for a reboot. */
static void
cbs_read_components(struct cbs_ctx *c, struct hive *hv)
{
	struct cbs_inventory	*inv = c->inv;
	hive_h			*h;
	hive_node_h		 root, node;
	hive_value_h		 v, *vals;
	hive_type		 t;
	size_t			 len, i;
	char			*data, *id, *key, *sp;

	inv->has_components = 1;
	if (hive_warning(hv) != NULL)
		cbs_warn(inv, "%s", hive_warning(hv));
	h = hive_handle(hv);
	root = hivex_root(h);

	if ((v = hivex_node_get_value(h, root, "PendingXmlIdentifier")) != 0 &&
	    (data = hivex_value_value(h, v, &t, &len)) != NULL) {
		/* The identifier of WinSxS\pending.xml, UTF-16LE with no
		 * NUL. */
		id = utf16le_to_utf8(data, len);
		sp = cbs_printable(id);
		cbs_mark(c, CBS_MARK_PENDING_XML_ID,
		    xstrdup("HKLM\\COMPONENTS\\PendingXmlIdentifier"),
		    xprintf("%.100s", sp));
		free(sp);
		free(id);
		free(data);
	}
	if ((v = hivex_node_get_value(h, root,
	    "AdvancedInstallersNeedResolving")) != 0 &&
	    cbs_value_nonzero(h, v))
		cbs_mark(c, CBS_MARK_ADVANCED_INSTALLERS,
		    xstrdup("HKLM\\COMPONENTS\\AdvancedInstallersNeedResolving"),
		    xstrdup("non-zero: advanced installers wait to run"));

	if ((node = hivex_node_get_child(h, root, "ServicingStackVersions")) !=
	    0 && (vals = hivex_node_values(h, node)) != NULL) {
		/* "10.0.19041.3745 (WinBuild.160101.0800)" = its directory,
		 * and LastWCPVersionToAccessStore = one of those names. */
		for (i = 0; vals[i] != 0; i++) {
			if ((key = hivex_value_key(h, vals[i])) == NULL)
				continue;
			if (strcasecmp(key, "LastWCPVersionToAccessStore") ==
			    0) {
				free(inv->last_wcp);
				inv->last_wcp = cbs_value_string(h, vals[i]);
			} else {
				key[strcspn(key, " ")] = '\0';
				if (*key != '\0' && (inv->components_ss ==
				    NULL || mum_version_cmp(key,
				    inv->components_ss) > 0)) {
					free(inv->components_ss);
					inv->components_ss = key;
					key = NULL;
				}
			}
			free(key);
		}
		free(vals);
	}
}

/* The WinSxS tree. */

struct cbs_walk {
	struct cbs_ctx	*c;
	const char	*dir;
	int		 depth;
	size_t		 n;
};

static int
cbs_inflight_cb(const struct vol_dirent *de, void *arg)
{
	struct cbs_walk		*w = arg;
	struct cbs_walk		 sub;
	struct vol_stat		 sb;
	char			*path;

	w->n++;
	path = xprintf("%s\\%s", w->dir, de->name);
	if (de->is_dir) {
		if (w->depth < NTM_MAX_INFLIGHT_DEPTH) {
			sub = *w;
			sub.dir = path;
			sub.depth++;
			sub.n = 0;
			vol_list(w->c->vol, path, cbs_inflight_cb, &sub, NULL);
			w->n += sub.n;
		}
		free(path);
		return 0;
	}
	if (w->c->inv->nmarkers >= NTM_MAX_CBS_MARKERS)
		cbs_mark(w->c, CBS_MARK_INFLIGHT, path, NULL);	/* counted */
	else if (vol_stat(w->c->vol, path, &sb, NULL) == 0)
		cbs_mark(w->c, CBS_MARK_INFLIGHT, path, xprintf("%llu bytes, "
		    "left by a transaction that did not finish",
		    (unsigned long long)sb.size));
	else
		cbs_mark(w->c, CBS_MARK_INFLIGHT, path, NULL);
	return 0;
}

static void
cbs_read_winsxs(struct cbs_ctx *c)
{
	struct vol_stat	 sb;
	struct cbs_walk	 w;

	if (vol_stat(c->vol, CBS_WINSXS "\\pending.xml", &sb, NULL) == 0 &&
	    !sb.is_dir)
		cbs_mark(c, CBS_MARK_PENDING_XML,
		    xstrdup(CBS_WINSXS "\\pending.xml"), xprintf("%llu "
		    "bytes: a transaction waits for the next boot",
		    (unsigned long long)sb.size));
	memset(&w, 0, sizeof w);
	w.c = c;
	w.dir = CBS_INFLIGHT;
	vol_list(c->vol, CBS_INFLIGHT, cbs_inflight_cb, &w, NULL);
}

/* Downloaded updates: Windows Update expands each into
 * SoftwareDistribution\Download\<id>\ with its update.mum. */

static int
cbs_download_cb(const struct vol_dirent *de, void *arg)
{
	struct cbs_ctx		*c = arg;
	struct cbs_inventory	*inv = c->inv;
	struct cbs_download	*d;
	struct mum		*m = NULL;
	uint64_t		 size;
	char			*path, *cause = NULL;

	if (!de->is_dir)
		return 0;
	if (++c->ndl_seen > NTM_MAX_CBS_DOWNLOADS)
		return 1;
	path = xprintf(CBS_DOWNLOAD "\\%s\\update.mum", de->name);
	if (cbs_read(c, path, NTM_MAX_MUM, NTM_MAX_MUM, &size, &cause) != 0 &&
	    errno == ENOENT) {
		free(cause);
		free(path);
		return 0;
	}
	if (inv->ndownloads == c->a_downloads) {
		c->a_downloads = c->a_downloads == 0 ? 4 : c->a_downloads * 2;
		inv->downloads = xreallocarray(inv->downloads, c->a_downloads,
		    sizeof *inv->downloads);
	}
	d = &inv->downloads[inv->ndownloads++];
	memset(d, 0, sizeof *d);
	d->path = path;
	if (cause != NULL) {
		d->reason = cause;
		return 0;
	}
	if (mum_parse(c->buf, (size_t)size, &m, &d->reason) != 0)
		return 0;
	d->identity = mum_identity_string(&m->identity);
	if (m->package_id != NULL)
		d->package_id = xstrdup(m->package_id);
	if (m->release_type != NULL)
		d->release_type = xstrdup(m->release_type);
	if (m->ss_required != NULL)
		d->ss_required = xstrdup(m->ss_required);
	d->needs_newer_ss = m->ss_required != NULL && inv->ss_version != NULL &&
	    mum_version_cmp(m->ss_required, MUM_SS_PLACEHOLDER) != 0 &&
	    mum_version_cmp(m->ss_required, inv->ss_version) > 0;
	mum_free(m);
	return 0;
}

/* The newest package of a role: installed ones first. */
static ssize_t
cbs_newest(struct cbs_inventory *inv, int role)
{
	ssize_t			 best = -1, any = -1;
	struct cbs_package	*p;
	size_t			 i;
	int			 inst;

	for (i = 0; i < inv->npkgs; i++) {
		p = &inv->pkgs[i];
		if (!(p->role & role))
			continue;
		inst = p->has_state && (p->state == CBS_STATE_INSTALLED ||
		    p->state == CBS_STATE_PERMANENT);
		if (inst && (best < 0 || mum_version_cmp(p->version,
		    inv->pkgs[best].version) > 0))
			best = (ssize_t)i;
		if (any < 0 || mum_version_cmp(p->version,
		    inv->pkgs[any].version) > 0)
			any = (ssize_t)i;
	}
	return best >= 0 ? best : any;
}

int
cbs_inventory_read_hives(struct vol *vol, struct hive *software,
    struct hive *components, int flags, struct cbs_inventory *inv,
    char **cause)
{
	struct cbs_ctx		 c;
	struct cbs_package	*p;
	size_t			 i;
	char			*sp;

	memset(inv, 0, sizeof *inv);
	inv->ssu = inv->lcu = -1;
	memset(&c, 0, sizeof c);
	c.vol = vol;
	c.inv = inv;
	c.flags = flags;

	if (cbs_read_software(&c, software, cause) != 0) {
		cbs_inventory_free(inv);
		return -1;
	}
	for (i = 0; i < inv->npkgs; i++) {
		p = &inv->pkgs[i];
		if (p->has_state && cbs_state_is_pending(p->state)) {
			sp = cbs_printable(p->name);
			cbs_mark(&c, CBS_MARK_PACKAGE_STATE, xprintf("%s\\"
			    "Packages\\%s", CBS_HKLM, sp), xprintf(
			    "CurrentState 0x%x (%s)", p->state,
			    cbs_state_name(p->state)));
			free(sp);
		}
		if (!(flags & CBS_CHECK_ALL) && (!p->has_state ||
		    !cbs_state_needs_manifest(p->state)))
			continue;
		cbs_check_files(&c, p);
		inv->nchecked++;
		if (p->mum.status != CBS_FILE_OK ||
		    p->cat.status != CBS_FILE_OK)
			inv->nproblems++;
	}
	inv->ssu = cbs_newest(inv, CBS_ROLE_SSU);
	inv->lcu = cbs_newest(inv, CBS_ROLE_LCU);
	if (components != NULL)
		cbs_read_components(&c, components);
	cbs_read_winsxs(&c);
	vol_list(vol, CBS_DOWNLOAD, cbs_download_cb, &c, NULL);
	if (c.ndl_seen > NTM_MAX_CBS_DOWNLOADS)
		cbs_warn(inv, "%s: over %d folders, only the first looked into",
		    CBS_DOWNLOAD, NTM_MAX_CBS_DOWNLOADS);
	if (inv->markers_total > inv->nmarkers)
		cbs_warn(inv, "%zu pending markers found, the first %zu kept",
		    inv->markers_total, inv->nmarkers);
	free(c.buf);
	return 0;
}

int
cbs_inventory_read(struct vol *vol, int flags, struct cbs_inventory *inv,
    char **cause)
{
	struct hive	*sw, *comp = NULL;
	const char	*path = hive_volume_path(HIVE_COMPONENTS);
	char		*why = NULL, *warn = NULL;
	int		 r;

	memset(inv, 0, sizeof *inv);
	inv->ssu = inv->lcu = -1;
	if (hive_checkout(vol, hive_volume_path(HIVE_SOFTWARE), &sw,
	    &why) != 0) {
		set_cause(cause, "the SOFTWARE hive cannot be read: %s", why);
		free(why);
		return -1;
	}
	/* COMPONENTS is loaded by Windows only while servicing runs; a
	 * volume without the file is fine, an unreadable one is noted. */
	if (vol_exists(vol, path) && hive_checkout(vol, path, &comp,
	    &why) != 0) {
		xasprintf(&warn, "the COMPONENTS hive cannot be read: %s",
		    why);
		free(why);
		comp = NULL;
	}
	r = cbs_inventory_read_hives(vol, sw, comp, flags, inv, cause);
	if (r == 0 && warn != NULL)
		cbs_warn(inv, "%s", warn);
	free(warn);
	hive_close(comp);
	hive_close(sw);
	return r;
}

/* Problems. */

static struct cbs_problem *
cbs_problem_add(struct cbs_problem **pp, size_t *n, size_t *alloc,
    const char *finding, ssize_t pkg, const char *path)
{
	struct cbs_problem	*pr;

	if (*n == *alloc) {
		*alloc = *alloc == 0 ? 8 : *alloc * 2;
		*pp = xreallocarray(*pp, *alloc, sizeof **pp);
	}
	pr = &(*pp)[(*n)++];
	memset(pr, 0, sizeof *pr);
	pr->finding = finding;
	pr->pkg = pkg;
	pr->path = path;
	return pr;
}

static void
cbs_problem_file(struct cbs_problem **pp, size_t *n, size_t *alloc,
    ssize_t pkg, const struct cbs_file *f)
{
	struct cbs_problem	*pr;

	if (f->status == CBS_FILE_OK || f->status == CBS_FILE_NOT_CHECKED)
		return;
	pr = cbs_problem_add(pp, n, alloc, CBS_FINDING_MANIFEST, pkg,
	    f->path);
	pr->size = f->size;
	switch (f->status) {
	case CBS_FILE_MISSING:
	case CBS_FILE_EMPTY:
		pr->detail = xstrdup(f->reason != NULL ? f->reason :
		    cbs_file_status_name(f->status));
		break;
	default:
		pr->detail = xprintf("%s, %llu bytes: %s",
		    cbs_file_status_name(f->status),
		    (unsigned long long)f->size, f->reason != NULL ?
		    f->reason : "");
		break;
	}
}

/* A package not yet installed, waiting for a stack newer than the one
 * installed: CBS will answer 0x800f0823. Installed, superseded and
 * absent ones are done with their stack. */
static int
cbs_package_needs_ss(const struct cbs_inventory *inv,
    const struct cbs_package *p)
{
	if (p->ss_required == NULL || inv->ss_version == NULL ||
	    !p->has_state)
		return 0;
	if (p->state == CBS_STATE_INSTALLED || p->state ==
	    CBS_STATE_PERMANENT || p->state == CBS_STATE_SUPERSEDED ||
	    p->state == CBS_STATE_ABSENT || p->state == CBS_STATE_DEFAULT)
		return 0;
	return mum_version_cmp(p->ss_required, MUM_SS_PLACEHOLDER) != 0 &&
	    mum_version_cmp(p->ss_required, inv->ss_version) > 0;
}

void
cbs_problems(const struct cbs_inventory *inv, struct cbs_problem **pp,
    size_t *n)
{
	const struct cbs_package	*p;
	const struct cbs_download	*d;
	const struct cbs_marker		*mk;
	struct cbs_problem		*pr;
	size_t				 i, alloc = 0;

	*pp = NULL;
	*n = 0;
	for (i = 0; i < inv->npkgs; i++) {
		cbs_problem_file(pp, n, &alloc, (ssize_t)i, &inv->pkgs[i].mum);
		cbs_problem_file(pp, n, &alloc, (ssize_t)i, &inv->pkgs[i].cat);
	}
	for (i = 0; i < inv->nmarkers; i++) {
		mk = &inv->markers[i];
		pr = cbs_problem_add(pp, n, &alloc, CBS_FINDING_PENDING, -1,
		    mk->where);
		pr->detail = xprintf("%s%s%s", cbs_marker_kind_name(mk->kind),
		    mk->detail != NULL ? ": " : "", mk->detail != NULL ?
		    mk->detail : "");
	}
	for (i = 0; i < inv->npkgs; i++) {
		p = &inv->pkgs[i];
		if (!cbs_package_needs_ss(inv, p))
			continue;
		pr = cbs_problem_add(pp, n, &alloc, CBS_FINDING_SSU,
		    (ssize_t)i, p->name);
		pr->detail = xprintf("%s (%s) needs servicing stack %s; the "
		    "installed one is %s", p->name, p->has_state &&
		    cbs_state_name(p->state) ? cbs_state_name(p->state) :
		    "state unknown", p->ss_required, inv->ss_version);
	}
	for (i = 0; i < inv->ndownloads; i++) {
		d = &inv->downloads[i];
		if (!d->needs_newer_ss)
			continue;
		pr = cbs_problem_add(pp, n, &alloc, CBS_FINDING_SSU, -1,
		    d->path);
		pr->detail = xprintf("%s%s%s%s, downloaded, needs servicing "
		    "stack %s; the installed one is %s", d->identity,
		    d->package_id != NULL ? " (" : "", d->package_id != NULL ?
		    d->package_id : "", d->package_id != NULL ? ")" : "",
		    d->ss_required, inv->ss_version);
	}
}

void
cbs_problems_free(struct cbs_problem *pp, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(pp[i].detail);
	free(pp);
}

static void
cbs_file_free(struct cbs_file *f)
{
	free(f->path);
	free(f->reason);
}

void
cbs_inventory_free(struct cbs_inventory *inv)
{
	struct cbs_package	*p;
	size_t			 i;

	for (i = 0; i < inv->npkgs; i++) {
		p = &inv->pkgs[i];
		free(p->name);
		free(p->version);
		free(p->install_name);
		free(p->install_location);
		free(p->install_client);
		free(p->release_type);
		free(p->package_id);
		free(p->ss_required);
		cbs_file_free(&p->mum);
		cbs_file_free(&p->cat);
	}
	free(inv->pkgs);
	free(inv->ss_version);
	free(inv->ss_path);
	free(inv->components_ss);
	free(inv->last_wcp);
	for (i = 0; i < inv->nmarkers; i++) {
		free(inv->markers[i].where);
		free(inv->markers[i].detail);
	}
	free(inv->markers);
	for (i = 0; i < inv->ndownloads; i++) {
		free(inv->downloads[i].path);
		free(inv->downloads[i].identity);
		free(inv->downloads[i].package_id);
		free(inv->downloads[i].release_type);
		free(inv->downloads[i].ss_required);
		free(inv->downloads[i].reason);
	}
	free(inv->downloads);
	for (i = 0; i < inv->nwarnings; i++)
		free(inv->warnings[i]);
	free(inv->warnings);
	memset(inv, 0, sizeof *inv);
	inv->ssu = inv->lcu = -1;
}
