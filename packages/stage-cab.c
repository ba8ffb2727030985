/*
 * stage-cab.c: the .msu and .cab files given to `stage add`, checked on
 * this machine before anything is written to the target.
 *
 * An .msu is a cabinet (MS-CAB) holding the update's package cabinets
 * (Windows10.0-KB5034122-x64.cab, since 2021 often an SSU-19041.3920-
 * x64.cab beside it), WSUSSCAN.cab (Windows Update's scan metadata, not a
 * package), an .xml for wusa and a -pkgProperties.txt. A package cabinet
 * has update.mum at its root, the manifest DISM /Add-Package reads first.
 * Files come from the stick and may be cut downloads or hostile: every
 * entry of every cabinet is judged from its header before a byte is
 * expanded, and only an .msu's .cab members are expanded, into a private
 * temp directory, with their sizes checked while writing.
 */

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "packages/packages.h"
#include "util/util.h"

/* MS-CAB CFHEADER: "MSCF", reserved, cbCabinet at 8, ..., flags at 30. */
#define CAB_HEADER_SIZE		36
#define CAB_FLAG_PREV		0x0001	/* continues a cabinet before it */
#define CAB_FLAG_NEXT		0x0002	/* continued in the next one */

#define STAGE_BUF		((size_t)1 << 20)

struct stage_expand {
	char			*tmp;		/* private temp dir, or NULL */
	struct stage_package	*pkgs;
	size_t			 npkgs;
	char			**notes;
	size_t			 nnotes;
	uint64_t		 expanded;	/* bytes written to tmp */
	unsigned		 nfiles;	/* names given in tmp */
};

/* What one pass over a cabinet's entries found. */
struct cab_scan {
	uint8_t		*mum;		/* update.mum at the root, or NULL */
	size_t		 mumlen;
	char		**cabs;		/* .cab members at the root */
	uint64_t	*sizes;
	size_t		 ncabs;
	uint64_t	 cab_bytes;	/* their sizes added */
	char		*nested;	/* a member with a folder in its name */
	char		*psf;		/* a .psf or .wim member */
	size_t		 members;
};

static void
cab_scan_free(struct cab_scan *s)
{
	size_t	i;

	free(s->mum);
	for (i = 0; i < s->ncabs; i++)
		free(s->cabs[i]);
	free(s->cabs);
	free(s->sizes);
	free(s->nested);
	free(s->psf);
	memset(s, 0, sizeof *s);
}

static const char *
base_name(const char *path)
{
	const char	*p;

	if ((p = strrchr(path, '/')) != NULL)
		return p + 1;
	return path;
}

static int
name_ends(const char *name, const char *ext)
{
	size_t	n = strlen(name), e = strlen(ext);

	return n >= e && strcasecmp(name + n - e, ext) == 0;
}

/*
 * The cabinet's header, before libarchive sees the file. A cut download
 * (Windows Update's Download folder keeps them: the wu-cache fixture has a
 * 3 MiB .cab whose header says 214 MB) has a cbCabinet beyond its end.
 * More bytes than cbCabinet are normal: Authenticode appends the
 * signature of a signed cabinet after it (every Microsoft .msu and .cab
 * is signed). Multi-volume sets are never update packages.
 */
static int
cab_header_check(const char *path, char **cause)
{
	uint8_t		 h[CAB_HEADER_SIZE];
	struct stat	 st;
	uint32_t	 cb;
	uint16_t	 flags;
	ssize_t		 r;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return set_cause(cause, "%s: not a regular file", path);
	}
	r = read(fd, h, sizeof h);
	close(fd);
	if (r != (ssize_t)sizeof h || memcmp(h, "MSCF", 4) != 0)
		return set_cause(cause, "%s is not an .msu or .cab (no MSCF "
		    "cabinet header)", path);
	cb = le32dec(h + 8);
	if ((uint64_t)cb > (uint64_t)st.st_size)
		return set_cause(cause, "%s is cut short: its header says %u "
		    "bytes, the file has %llu (an interrupted download or "
		    "copy): download it again", path, cb,
		    (unsigned long long)st.st_size);
	flags = le16dec(h + 30);
	if (flags & (CAB_FLAG_PREV | CAB_FLAG_NEXT))
		return set_cause(cause, "%s is one part of a multi-volume "
		    "cabinet, which no update package is", path);
	return 0;
}

/* Why an entry name may not be accepted, or NULL. Names are judged as
 * Windows would resolve them: '\' and '/' both separate. */
static const char *
cab_name_problem(const char *name)
{
	const char	*p, *c;
	size_t		 len;

	if (*name == '\0')
		return "an empty name";
	if (name[0] == '/' || name[0] == '\\')
		return "an absolute path";
	if (isalpha((unsigned char)name[0]) && name[1] == ':')
		return "a drive letter";
	for (p = name; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return "control characters";
		if (*p == ':')
			return "a ':' (an NTFS stream or device name)";
	}
	for (c = name; *c != '\0'; c = p + (*p != '\0')) {
		p = c + strcspn(c, "/\\");
		len = (size_t)(p - c);
		if (len == 2 && c[0] == '.' && c[1] == '.')
			return "a '..' component (a path out of the folder)";
		if (len == 0)
			return "an empty path component";
		if (len > 255)
			return "a name over 255 characters";
		if (*p == '\0')
			break;
	}
	return NULL;
}

static struct archive *
cab_open(const char *path, char **cause)
{
	struct archive	*a;

	a = archive_read_new();
	archive_read_support_format_cab(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		set_cause(cause, "%s: %s", path, archive_error_string(a) !=
		    NULL ? archive_error_string(a) : "cannot be read");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* Read the current entry's data into memory, at most max bytes. */
static int
cab_read_member(struct archive *a, const char *path, const char *name,
    size_t max, uint8_t **buf, size_t *len, char **cause)
{
	uint8_t	*b = NULL;
	size_t	 n = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			if (cap >= max) {
				free(b);
				return set_cause(cause, "%s: %s is larger than "
				    "%zu bytes", path, name, max);
			}
			cap = cap == 0 ? 65536 : cap * 2;
			if (cap > max)
				cap = max;
			b = xrealloc(b, cap + 1);
		}
		r = archive_read_data(a, b + n, cap - n);
		if (r < 0) {
			free(b);
			return set_cause(cause, "%s: %s cannot be expanded: %s",
			    path, name, archive_error_string(a));
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	b = xrealloc(b, n + 1);
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

/*
 * One pass over every entry of a cabinet: each name, type and size
 * judged; update.mum read (bounded by NTM_MAX_MUM); root .cab members
 * listed. libarchive reads the whole cabinet (skipping data within a
 * compressed folder means decompressing it), so a damaged block anywhere
 * refuses the file.
 */
static int
cab_scan(const char *path, int want_mum, struct cab_scan *s, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	const char		*name, *why;
	char			*shown;
	int			 r;

	memset(s, 0, sizeof *s);
	if (cab_header_check(path, cause) != 0)
		return -1;
	if ((a = cab_open(path, cause)) == NULL)
		return -1;
	for (;;) {
		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			set_cause(cause, "%s is damaged (entry %zu): %s", path,
			    s->members + 1, archive_error_string(a) != NULL ?
			    archive_error_string(a) : "unreadable header");
			goto fail;
		}
		if (++s->members > NTM_MAX_STAGE_MEMBERS) {
			set_cause(cause, "%s has more than %u entries; no "
			    "update package has", path, NTM_MAX_STAGE_MEMBERS);
			goto fail;
		}
		if ((name = archive_entry_pathname_utf8(e)) == NULL &&
		    (name = archive_entry_pathname(e)) == NULL) {
			set_cause(cause, "%s: entry %zu has a name that cannot "
			    "be read", path, s->members);
			goto fail;
		}
		if ((why = cab_name_problem(name)) != NULL) {
			shown = utf8_show(name);
			set_cause(cause, "%s: entry '%s' has %s; refused before "
			    "anything was written", path, shown, why);
			free(shown);
			goto fail;
		}
		if (archive_entry_filetype(e) != AE_IFREG ||
		    archive_entry_hardlink(e) != NULL ||
		    archive_entry_symlink(e) != NULL) {
			set_cause(cause, "%s: entry '%s' is not a regular file "
			    "(a link, device or folder entry); refused", path,
			    name);
			goto fail;
		}
		if (!archive_entry_size_is_set(e) || archive_entry_size(e) < 0) {
			set_cause(cause, "%s: entry '%s' has no size", path,
			    name);
			goto fail;
		}
		/* Sizes are judged from the headers, before a byte is
		 * expanded: a cabinet's CFFILE says what each member will
		 * give, and a few KB of MSZIP can claim gigabytes. */
		if ((uint64_t)archive_entry_size(e) > NTM_MAX_STAGE_FILE) {
			set_cause(cause, "%s: entry '%s' says %lld bytes, over "
			    "the %llu a package file may have; refused", path,
			    name, (long long)archive_entry_size(e),
			    (unsigned long long)NTM_MAX_STAGE_FILE);
			goto fail;
		}
		if (strpbrk(name, "/\\") != NULL) {
			if (s->nested == NULL)
				s->nested = xstrdup(name);
		} else if (name_ends(name, ".psf") || name_ends(name, ".wim")) {
			if (s->psf == NULL)
				s->psf = xstrdup(name);
		} else if (name_ends(name, ".cab") && s->ncabs <
		    NTM_MAX_STAGE_MSU_MEMBERS) {
			s->cabs = xreallocarray(s->cabs, s->ncabs + 1,
			    sizeof *s->cabs);
			s->sizes = xreallocarray(s->sizes, s->ncabs + 1,
			    sizeof *s->sizes);
			s->cabs[s->ncabs] = xstrdup(name);
			s->sizes[s->ncabs++] = (uint64_t)archive_entry_size(e);
			s->cab_bytes += (uint64_t)archive_entry_size(e);
			if (s->cab_bytes > NTM_MAX_STAGE_TOTAL) {
				set_cause(cause, "%s: its .cab members say %llu "
				    "bytes together, over the %llu one stage add "
				    "may expand (a size bomb?); refused", path,
				    (unsigned long long)s->cab_bytes,
				    (unsigned long long)NTM_MAX_STAGE_TOTAL);
				goto fail;
			}
		}
		if (want_mum && s->mum == NULL &&
		    strcasecmp(name, "update.mum") == 0) {
			if ((uint64_t)archive_entry_size(e) > NTM_MAX_MUM) {
				set_cause(cause, "%s: update.mum says %lld "
				    "bytes, over the %zu a manifest may have",
				    path, (long long)archive_entry_size(e),
				    NTM_MAX_MUM);
				goto fail;
			}
			if (cab_read_member(a, path, name, NTM_MAX_MUM, &s->mum,
			    &s->mumlen, cause) != 0)
				goto fail;
			continue;
		}
		if (archive_read_data_skip(a) != ARCHIVE_OK) {
			set_cause(cause, "%s: entry '%s' cannot be expanded: "
			    "%s", path, name, archive_error_string(a) != NULL ?
			    archive_error_string(a) : "damaged data");
			goto fail;
		}
	}
	if (s->members == 0) {
		set_cause(cause, "%s holds no files", path);
		goto fail;
	}
	archive_read_free(a);
	return 0;
fail:
	archive_read_free(a);
	cab_scan_free(s);
	return -1;
}

static int
file_sha256(const char *path, char hex[65], char **cause)
{
	static const char	 digits[] = "0123456789abcdef";
	EVP_MD_CTX		*ctx;
	unsigned char		 md[32];
	unsigned int		 mdlen;
	uint8_t			*buf;
	ssize_t			 r;
	int			 fd, i;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	buf = xmalloc(STAGE_BUF);
	ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((r = read(fd, buf, STAGE_BUF)) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)r);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	free(buf);
	close(fd);
	if (r < 0)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	for (i = 0; i < 32; i++) {
		hex[i * 2] = digits[md[i] >> 4];
		hex[i * 2 + 1] = digits[md[i] & 0xf];
	}
	hex[64] = '\0';
	return 0;
}

/* A file name safe in the queue folder and in a batch file line: the
 * runner quotes paths, but %, !, ^ and & would still be read by cmd.exe,
 * so anything outside [A-Za-z0-9._-] becomes '_'. */
static char *
safe_name(const char *name)
{
	char	*s, *p;

	s = xstrdup(name);
	for (p = s; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-' &&
		    *p != '_')
			*p = '_';
	}
	if (strlen(s) > 150)
		memmove(s, s + strlen(s) - 150, 151);
	return s;
}

/* The build a package is made for, from its identity's version: CBS
 * writes "19041.3930.1.7" for Package_for_* and "10.0.22621.2359" for
 * feature packages; 0 when neither shape. */
static uint32_t
version_build(const char *v)
{
	unsigned long	a, b, c;
	char		*end;

	if (v == NULL)
		return 0;
	a = strtoul(v, &end, 10);
	if (end == v)
		return 0;
	if (a == 10 && *end == '.') {
		b = strtoul(end + 1, &end, 10);
		if (b == 0 && *end == '.') {
			c = strtoul(end + 1, &end, 10);
			return c < 100000 ? (uint32_t)c : 0;
		}
	}
	return a >= 6000 && a < 100000 ? (uint32_t)a : 0;
}

static const char *
mum_member_version(const struct mum *m, const char *name)
{
	size_t	i;

	for (i = 0; i < m->nmembers; i++) {
		if (m->members[i].id.name != NULL &&
		    strcasecmp(m->members[i].id.name, name) == 0)
			return m->members[i].id.version;
	}
	return NULL;
}

static int
package_make(struct stage_expand *x, const char *source, const char *member,
    const char *file, struct cab_scan *s, char **cause)
{
	struct stage_package	*p;
	struct stat		 st;
	struct mum		*m;
	const char		*v;
	unsigned long		 a, b;
	char			*end, *why = NULL;

	if (mum_parse(s->mum, s->mumlen, &m, &why) != 0) {
		set_cause(cause, "%s%s%s: its update.mum is unusable: %s",
		    source, member != NULL ? ": " : "", member != NULL ?
		    member : "", why);
		free(why);
		return -1;
	}
	x->pkgs = xreallocarray(x->pkgs, x->npkgs + 1, sizeof *x->pkgs);
	p = &x->pkgs[x->npkgs++];
	memset(p, 0, sizeof *p);
	p->source = xstrdup(source);
	p->member = member != NULL ? xstrdup(member) : NULL;
	p->file = xstrdup(file);
	p->name = safe_name(member != NULL ? member : base_name(source));
	p->mum = m;
	p->identity = mum_identity_string(&m->identity);
	if (m->package_id != NULL && strncasecmp(m->package_id, "KB", 2) == 0)
		p->kb = xstrdup(m->package_id);
	/* CBS names them so: Package_for_ServicingStack_3920 (the SSU) and
	 * Package_for_RollupFix (the LCU) since Windows 10 1809. */
	if (strncasecmp(m->identity.name, "Package_for_ServicingStack", 26) ==
	    0)
		p->role = STAGE_SSU;
	else if (strcasecmp(m->identity.name, "Package_for_RollupFix") == 0)
		p->role = STAGE_LCU;
	else
		p->role = STAGE_UPDATE;
	p->build = version_build(m->identity.version);
	if (p->role == STAGE_SSU) {
		/* The stack it installs: its ServicingStack component's
		 * version, else 10.0.<build>.<revision> of the package. */
		if ((v = mum_member_version(m,
		    "Microsoft-Windows-ServicingStack")) != NULL)
			p->ss_provides = xstrdup(v);
		else {
			a = strtoul(m->identity.version, &end, 10);
			b = *end == '.' ? strtoul(end + 1, NULL, 10) : 0;
			p->ss_provides = xprintf("10.0.%lu.%lu", a, b);
		}
	}
	if (file_sha256(file, p->sha256, cause) != 0)
		return -1;
	if (stat(file, &st) != 0)
		return set_cause(cause, "%s: %s", file, strerror(errno));
	p->size = (uint64_t)st.st_size;
	return 0;
}

static void
expand_note(struct stage_expand *x, const char *fmt, ...)
{
	va_list	ap;

	x->notes = xreallocarray(x->notes, x->nnotes + 1, sizeof *x->notes);
	va_start(ap, fmt);
	xvasprintf(&x->notes[x->nnotes++], fmt, ap);
	va_end(ap);
}

/* Expand the chosen root members of an .msu into the temp directory,
 * stopping at a member that gives more bytes than its header said. */
static int
msu_extract(struct stage_expand *x, const char *path, struct cab_scan *s,
    const int *take, char **files, char **cause)
{
	struct archive		*a;
	struct archive_entry	*e;
	const char		*name;
	uint8_t			*buf = NULL;
	uint64_t		 got;
	size_t			 i;
	ssize_t			 r, w;
	int			 fd = -1, ok = -1;

	if ((a = cab_open(path, cause)) == NULL)
		return -1;
	buf = xmalloc(STAGE_BUF);
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		if ((name = archive_entry_pathname_utf8(e)) == NULL)
			name = archive_entry_pathname(e);
		for (i = 0; i < s->ncabs; i++) {
			if (take[i] && files[i] == NULL && name != NULL &&
			    strcmp(name, s->cabs[i]) == 0)
				break;
		}
		if (i == s->ncabs) {
			if (archive_read_data_skip(a) != ARCHIVE_OK)
				break;
			continue;
		}
		files[i] = xprintf("%s/%u-%s", x->tmp, ++x->nfiles,
		    base_name(name));
		fd = open(files[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		    0600);
		if (fd == -1) {
			set_cause(cause, "%s: %s", files[i], strerror(errno));
			goto out;
		}
		got = 0;
		while ((r = archive_read_data(a, buf, STAGE_BUF)) > 0) {
			got += (uint64_t)r;
			x->expanded += (uint64_t)r;
			if (got > s->sizes[i] || x->expanded >
			    NTM_MAX_STAGE_TOTAL) {
				set_cause(cause, "%s: %s expands past the %llu "
				    "bytes its header states; refused", path,
				    name, (unsigned long long)s->sizes[i]);
				goto out;
			}
			if ((w = write(fd, buf, (size_t)r)) != r) {
				set_cause(cause, "%s: %s", files[i], w < 0 ?
				    strerror(errno) : "short write");
				goto out;
			}
		}
		if (r < 0) {
			set_cause(cause, "%s: %s cannot be expanded: %s", path,
			    name, archive_error_string(a));
			goto out;
		}
		if (got != s->sizes[i]) {
			set_cause(cause, "%s: %s gave %llu bytes, its header "
			    "says %llu", path, name, (unsigned long long)got,
			    (unsigned long long)s->sizes[i]);
			goto out;
		}
		if (close(fd) != 0) {
			fd = -1;
			set_cause(cause, "%s: %s", files[i], strerror(errno));
			goto out;
		}
		fd = -1;
	}
	for (i = 0; i < s->ncabs; i++) {
		if (take[i] && files[i] == NULL) {
			set_cause(cause, "%s: %s could not be expanded: %s",
			    path, s->cabs[i], archive_error_string(a) != NULL ?
			    archive_error_string(a) : "not found again");
			goto out;
		}
	}
	ok = 0;
out:
	if (fd != -1)
		close(fd);
	free(buf);
	archive_read_free(a);
	return ok;
}

/* An .msu: its root .cab members (not WSUSSCAN.cab) expanded and each
 * opened as a package. */
static int
expand_msu(struct stage_expand *x, const char *path, struct cab_scan *s,
    char **cause)
{
	struct cab_scan	 in;
	struct statvfs	 sv;
	uint64_t	 need = 0;
	char		**files;
	int		*take, ret = -1;
	size_t		 i, ntake = 0;

	if (s->nested != NULL)
		return set_cause(cause, "%s: member '%s' is in a folder; an "
		    ".msu holds plain files only", path, s->nested);
	if (s->psf != NULL)
		return set_cause(cause, "%s holds %s: the Windows 11 24H2 "
		    "format (differential .psf/.wim payloads) cannot be staged "
		    "offline; install it in Windows with DISM /Online "
		    "/Add-Package /PackagePath:<the .msu>", path, s->psf);
	if (s->members > NTM_MAX_STAGE_MSU_MEMBERS)
		return set_cause(cause, "%s has %zu files; an .msu has a few",
		    path, s->members);
	take = xcalloc(s->ncabs, sizeof *take);
	files = xcalloc(s->ncabs, sizeof *files);
	for (i = 0; i < s->ncabs; i++) {
		/* WSUSSCAN.cab is the scan metadata WSUS and wusa read; DISM
		 * does not install it. */
		if (strcasecmp(s->cabs[i], "WSUSSCAN.cab") == 0) {
			expand_note(x, "%s: skipped %s (Windows Update scan "
			    "data, not a package)", path, s->cabs[i]);
			continue;
		}
		if (s->sizes[i] > NTM_MAX_STAGE_FILE) {
			set_cause(cause, "%s: %s says %llu bytes, over the "
			    "%llu a package may have; refused", path,
			    s->cabs[i], (unsigned long long)s->sizes[i],
			    (unsigned long long)NTM_MAX_STAGE_FILE);
			goto out;
		}
		need += s->sizes[i];
		take[i] = 1;
		ntake++;
	}
	if (ntake == 0) {
		set_cause(cause, "%s holds no update package (.cab) besides "
		    "WSUSSCAN.cab", path);
		goto out;
	}
	if (x->expanded + need > NTM_MAX_STAGE_TOTAL) {
		set_cause(cause, "%s would expand to %llu bytes, over the %llu "
		    "one stage add may expand; refused", path,
		    (unsigned long long)need,
		    (unsigned long long)NTM_MAX_STAGE_TOTAL);
		goto out;
	}
	if (x->tmp == NULL && (x->tmp = tmpdir_create("ntmend-stage",
	    cause)) == NULL)
		goto out;
	if (statvfs(x->tmp, &sv) == 0 &&
	    (uint64_t)sv.f_bavail * sv.f_frsize < need + ((uint64_t)64 << 20)) {
		set_cause(cause, "%s needs %llu bytes in %s to expand, %llu "
		    "are free (set TMPDIR to a larger place)", path,
		    (unsigned long long)need, x->tmp,
		    (unsigned long long)sv.f_bavail * sv.f_frsize);
		goto out;
	}
	if (msu_extract(x, path, s, take, files, cause) != 0)
		goto out;
	for (i = 0; i < s->ncabs; i++) {
		if (!take[i])
			continue;
		if (cab_scan(files[i], 1, &in, cause) != 0) {
			char *c = *cause;

			*cause = xprintf("%s: %s", path, c);
			free(c);
			goto out;
		}
		if (in.mum == NULL) {
			cab_scan_free(&in);
			set_cause(cause, "%s: %s is not an update package (no "
			    "update.mum at its root)", path, s->cabs[i]);
			goto out;
		}
		if (package_make(x, path, s->cabs[i], files[i], &in,
		    cause) != 0) {
			cab_scan_free(&in);
			goto out;
		}
		cab_scan_free(&in);
	}
	ret = 0;
out:
	for (i = 0; i < s->ncabs; i++)
		free(files[i]);
	free(files);
	free(take);
	return ret;
}

int
stage_expand(const char *const *paths, size_t n, struct stage_expand **xp,
    char **cause)
{
	struct stage_expand	*x;
	struct cab_scan		 s;
	size_t			 i;
	int			 r;

	x = xcalloc(1, sizeof *x);
	for (i = 0; i < n; i++) {
		if (cab_scan(paths[i], 1, &s, cause) != 0)
			goto fail;
		if (s.mum != NULL)
			r = package_make(x, paths[i], NULL, paths[i], &s, cause);
		else if (s.ncabs > 0)
			r = expand_msu(x, paths[i], &s, cause);
		else
			r = set_cause(cause, "%s is not an update package: no "
			    "update.mum at its root, and no .cab inside as an "
			    ".msu has", paths[i]);
		cab_scan_free(&s);
		if (r != 0)
			goto fail;
	}
	*xp = x;
	return 0;
fail:
	stage_expand_free(x);
	*xp = NULL;
	return -1;
}

struct stage_package *
stage_expand_packages(struct stage_expand *x, size_t *n)
{
	*n = x->npkgs;
	return x->pkgs;
}

const char *const *
stage_expand_notes(struct stage_expand *x, size_t *n)
{
	*n = x->nnotes;
	return (const char *const *)x->notes;
}

void
stage_expand_free(struct stage_expand *x)
{
	struct stage_package	*p;
	size_t			 i;

	if (x == NULL)
		return;
	for (i = 0; i < x->npkgs; i++) {
		p = &x->pkgs[i];
		free(p->source);
		free(p->member);
		free(p->file);
		free(p->name);
		mum_free(p->mum);
		free(p->identity);
		free(p->kb);
		free(p->ss_provides);
	}
	free(x->pkgs);
	for (i = 0; i < x->nnotes; i++)
		free(x->notes[i]);
	free(x->notes);
	if (x->tmp != NULL) {
		tmpdir_remove(x->tmp);
		free(x->tmp);
	}
	free(x);
}
