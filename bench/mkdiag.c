/*
 * mkdiag.c: grow a mkfixture image into the realistic volume of
 * bench_diagnose.sh, through ntmend's volume layer:
 *   mkdiag IMAGE OFFSET SIZE NPKG SOFTWARE_MB LOG_MB
 * (OFFSET/SIZE: the Windows partition, from mkfixture's summary).
 *  - SOFTWARE: the fixture's hive re-written with NPKG more keys under
 *    Component Based Servicing\Packages (values as CBS writes them) and
 *    Classes\CLSID\{guid} keys (InprocServer32 subkeys) until the hive is
 *    SOFTWARE_MB or more. hivex cannot do this itself: it never reuses a
 *    freed cell, so each hivex_node_add_child under Packages leaves the
 *    old subkey list behind and 15k children make a ~1 GB hive of dead
 *    lists. So the fixture's hive is read with hivex (every key, value,
 *    timestamp) and written out by the small regf writer below, as
 *    Windows lays hives out: 4 KiB hbins, lh lists of up to 511 entries
 *    under an ri index when longer, subkeys sorted by upcased name, one
 *    shared sk, values over 16344 bytes as db big data, checksummed base
 *    block, sequence numbers equal (clean; the fixture's .LOG1/.LOG2 stay
 *    empty).
 *  - Windows\servicing\Packages: a .mum (valid package manifest, ~1.3 KB)
 *    and a .cat (the bytes of one of the fixture's catalogs) per package.
 *  - Windows\Logs\CBS\CBS.log: LOG_MB of older CBS/CSI lines in the
 *    fixture's layout (UTF-8 BOM, CRLF) with some failures (0x800f081f
 *    source missing), then the fixture's own session last.
 */

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hivex.h>

#include "ntfs/ntfs.h"
#include "util/util.h"

#define CFG		"Windows\\System32\\config\\SOFTWARE"
#define PKGDIR		"Windows\\servicing\\Packages"
#define CBSLOG		"Windows\\Logs\\CBS\\CBS.log"
#define TOKEN		"31bf3856ad364e35"

static void
die(const char *what, const char *cause)
{
	fprintf(stderr, "mkdiag: %s: %s\n", what, cause ? cause : strerror(errno));
	exit(1);
}

static uint64_t rs = 88172645463325252ULL;
static uint64_t
rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* ---- in-memory key tree ---- */
struct val {
	char		*name;
	uint32_t	 type;
	void		*data;
	size_t		 len;
};
struct key {
	char		*name;
	int64_t		 ts;
	struct val	*vals;
	size_t		 nvals, avals;
	struct key	**kids;
	size_t		 nkids, akids;
};

static struct key *
key_new(const char *name, int64_t ts)
{
	struct key *k = xcalloc(1, sizeof *k);

	k->name = xstrdup(name);
	k->ts = ts;
	return k;
}

static struct key *
key_add(struct key *p, const char *name, int64_t ts)
{
	struct key *k = key_new(name, ts);

	if (p->nkids == p->akids) {
		p->akids = p->akids ? p->akids * 2 : 4;
		p->kids = xreallocarray(p->kids, p->akids, sizeof *p->kids);
	}
	p->kids[p->nkids++] = k;
	return k;
}

static struct key *
key_find(struct key *p, const char *name)
{
	for (size_t i = 0; i < p->nkids; i++)
		if (strcasecmp(p->kids[i]->name, name) == 0)
			return p->kids[i];
	return NULL;
}

static struct key *
key_get(struct key *p, const char *name, int64_t ts)
{
	struct key *k = key_find(p, name);

	return k ? k : key_add(p, name, ts);
}

static void
val_add(struct key *k, const char *name, uint32_t type, const void *data,
    size_t len)
{
	struct val *v;

	if (k->nvals == k->avals) {
		k->avals = k->avals ? k->avals * 2 : 4;
		k->vals = xreallocarray(k->vals, k->avals, sizeof *k->vals);
	}
	v = &k->vals[k->nvals++];
	v->name = xstrdup(name);
	v->type = type;
	v->data = xmalloc(len ? len : 1);
	memcpy(v->data, data, len);
	v->len = len;
}

static void
val_dword(struct key *k, const char *name, uint32_t d)
{
	val_add(k, name, 4, &d, 4);
}

/* REG_SZ / REG_EXPAND_SZ from ASCII. */
static void
val_sz(struct key *k, const char *name, uint32_t type, const char *s)
{
	size_t n = strlen(s), i;
	uint8_t *b = xmalloc(2 * n + 2);

	for (i = 0; i <= n; i++) {
		b[2 * i] = (uint8_t)s[i];
		b[2 * i + 1] = 0;
	}
	val_add(k, name, type, b, 2 * n + 2);
	free(b);
}

static struct key *
copy_tree(hive_h *h, hive_node_h n)
{
	char		*name = hivex_node_name(h, n);
	struct key	*k;
	hive_value_h	*vs;
	hive_node_h	*cs;
	size_t		 i;

	if (name == NULL)
		die("hivex_node_name", NULL);
	k = key_new(name, hivex_node_timestamp(h, n));
	free(name);
	if ((vs = hivex_node_values(h, n)) == NULL)
		die("hivex_node_values", NULL);
	for (i = 0; vs[i]; i++) {
		hive_type t;
		size_t len;
		char *vn = hivex_value_key(h, vs[i]);
		char *d = hivex_value_value(h, vs[i], &t, &len);

		if (vn == NULL || d == NULL)
			die("hivex_value", NULL);
		val_add(k, vn, (uint32_t)t, d, len);
		free(vn);
		free(d);
	}
	free(vs);
	if ((cs = hivex_node_children(h, n)) == NULL)
		die("hivex_node_children", NULL);
	for (i = 0; cs[i]; i++) {
		struct key *c = copy_tree(h, cs[i]);

		if (k->nkids == k->akids) {
			k->akids = k->akids ? k->akids * 2 : 4;
			k->kids = xreallocarray(k->kids, k->akids,
			    sizeof *k->kids);
		}
		k->kids[k->nkids++] = c;
	}
	free(cs);
	return k;
}

/* ---- regf writer ---- */
static uint8_t	*hb;		/* hbin data (offsets are relative to it) */
static size_t	 hlen, hcap;
static size_t	 bin_start;	/* current hbin */
static uint32_t	 sk_off;
static size_t	 nkeys_written;

static void
put16(uint32_t off, uint16_t v)
{
	hb[off] = v;
	hb[off + 1] = v >> 8;
}
static void
put32(uint32_t off, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		hb[off + i] = v >> (8 * i);
}
static void
put64(uint32_t off, uint64_t v)
{
	put32(off, (uint32_t)v);
	put32(off + 4, (uint32_t)(v >> 32));
}

static void
grow(size_t need)
{
	if (need <= hcap)
		return;
	while (hcap < need)
		hcap = hcap ? hcap * 2 : (1 << 20);
	hb = xrealloc(hb, hcap);
}

static void
new_bin(size_t size)
{
	bin_start = hlen;
	grow(hlen + size);
	memset(hb + hlen, 0, size);
	memcpy(hb + hlen, "hbin", 4);
	put32(hlen + 4, (uint32_t)hlen);
	put32(hlen + 8, (uint32_t)size);
	put64(hlen + 20, 0x01d9f0e3a0000000ULL);
	hlen += size;
	/* the rest is one free cell */
	put32(bin_start + 32, (uint32_t)(size - 32));
}

static size_t bin_used;	/* bytes used in the current bin */

/* A cell with room for len payload bytes; returns the offset of its size
 * field (what nk/list entries point to). */
static uint32_t
cell(size_t len)
{
	size_t sz = (len + 4 + 7) & ~(size_t)7, binsz;
	uint32_t off;

	if (hlen == 0 || bin_used + sz > hlen - bin_start) {
		binsz = (sz + 32 + 4095) & ~(size_t)4095;
		if (binsz < 4096)
			binsz = 4096;
		new_bin(binsz);
		bin_used = 32;
	}
	off = (uint32_t)(bin_start + bin_used);
	memset(hb + off, 0, sz);
	put32(off, (uint32_t)-(int32_t)sz);
	bin_used += sz;
	if (bin_used < hlen - bin_start)	/* the free rest */
		put32((uint32_t)(bin_start + bin_used),
		    (uint32_t)(hlen - bin_start - bin_used));
	return off;
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

/* UTF-8 to UTF-16LE (BMP); returns bytes. */
static size_t
utf16(const char *s, uint8_t *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	uint32_t c;

	while (*p) {
		if (*p < 0x80)
			c = *p++;
		else if ((*p & 0xe0) == 0xc0 && p[1]) {
			c = ((p[0] & 0x1f) << 6) | (p[1] & 0x3f);
			p += 2;
		} else if ((*p & 0xf0) == 0xe0 && p[1] && p[2]) {
			c = ((p[0] & 0x0f) << 12) | ((p[1] & 0x3f) << 6) |
			    (p[2] & 0x3f);
			p += 3;
		} else {
			c = '?';
			p++;
		}
		out[n++] = c;
		out[n++] = c >> 8;
	}
	return n;
}

/* Name as stored: ASCII compressed, else UTF-16LE. */
static size_t
name_bytes(const char *s, uint8_t *out, int *comp)
{
	*comp = is_ascii(s);
	if (*comp) {
		memcpy(out, s, strlen(s));
		return strlen(s);
	}
	return utf16(s, out);
}

static uint32_t
lh_hash(const char *s)
{
	uint32_t h = 0;

	for (; *s; s++)
		h = h * 37 + (uint32_t)toupper((unsigned char)*s);
	return h;
}

static int
kid_cmp(const void *a, const void *b)
{
	const struct key *x = *(struct key *const *)a, *y = *(struct key *const *)b;

	return strcasecmp(x->name, y->name);
}

static uint32_t
write_val(const struct val *v)
{
	uint8_t nb[1024];
	int comp;
	size_t nl = name_bytes(v->name, nb, &comp);
	uint32_t vk = cell(0x14 + nl), d;

	memcpy(hb + vk + 4, "vk", 2);
	put16(vk + 6, (uint16_t)nl);
	put32(vk + 0x10, v->type);
	put16(vk + 0x14, comp ? 1 : 0);
	memcpy(hb + vk + 4 + 0x14, nb, nl);
	if (v->len <= 4) {
		put32(vk + 8, 0x80000000u | (uint32_t)v->len);
		memcpy(hb + vk + 12, v->data, v->len);
	} else if (v->len <= 16344) {
		put32(vk + 8, (uint32_t)v->len);
		d = cell(v->len);
		memcpy(hb + d + 4, v->data, v->len);
		put32(vk + 12, d);
	} else {
		size_t nseg = (v->len + 16343) / 16344, i;
		uint32_t db = cell(8), list = cell(4 * nseg), seg;

		put32(vk + 8, (uint32_t)v->len);
		put32(vk + 12, db);
		memcpy(hb + db + 4, "db", 2);
		put16(db + 6, (uint16_t)nseg);
		put32(db + 8, list);
		for (i = 0; i < nseg; i++) {
			size_t l = v->len - i * 16344 > 16344 ? 16344 :
			    v->len - i * 16344;

			seg = cell(16344);
			memcpy(hb + seg + 4, (uint8_t *)v->data + i * 16344, l);
			put32(list + 4 + 4 * (uint32_t)i, seg);
		}
	}
	return vk;
}

static uint32_t
write_key(struct key *k, uint32_t parent, int root)
{
	uint8_t nb[1024];
	int comp;
	size_t nl = name_bytes(k->name, nb, &comp), i, maxn = 0, maxvn = 0,
	    maxvd = 0;
	uint32_t nk = cell(0x4c + nl), vl, *kids;

	nkeys_written++;
	memcpy(hb + nk + 4, "nk", 2);
	put16(nk + 6, (comp ? 0x20 : 0) | (root ? 0x0c : 0));
	put64(nk + 8, (uint64_t)k->ts);
	put32(nk + 4 + 0x10, root ? 0 : parent);
	put32(nk + 4 + 0x14, (uint32_t)k->nkids);
	put32(nk + 4 + 0x1c, 0xffffffff);
	put32(nk + 4 + 0x20, 0xffffffff);
	put32(nk + 4 + 0x24, (uint32_t)k->nvals);
	put32(nk + 4 + 0x28, 0xffffffff);
	put32(nk + 4 + 0x2c, sk_off);
	put32(nk + 4 + 0x30, 0xffffffff);
	put16(nk + 4 + 0x48, (uint16_t)nl);
	memcpy(hb + nk + 4 + 0x4c, nb, nl);
	if (k->nvals) {
		vl = cell(4 * k->nvals);
		put32(nk + 4 + 0x28, vl);
		for (i = 0; i < k->nvals; i++) {
			uint32_t vk = write_val(&k->vals[i]);

			put32(vl + 4 + 4 * (uint32_t)i, vk);
			if (2 * strlen(k->vals[i].name) > maxvn)
				maxvn = 2 * strlen(k->vals[i].name);
			if (k->vals[i].len > maxvd)
				maxvd = k->vals[i].len;
		}
	}
	put32(nk + 4 + 0x3c, (uint32_t)maxvn);
	put32(nk + 4 + 0x40, (uint32_t)maxvd);
	if (k->nkids) {
		qsort(k->kids, k->nkids, sizeof *k->kids, kid_cmp);
		kids = xreallocarray(NULL, k->nkids, sizeof *kids);
		for (i = 0; i < k->nkids; i++) {
			kids[i] = write_key(k->kids[i], nk, 0);
			if (2 * strlen(k->kids[i]->name) > maxn)
				maxn = 2 * strlen(k->kids[i]->name);
		}
		put32(nk + 4 + 0x34, (uint32_t)maxn);
		size_t nlists = (k->nkids + 510) / 511, l, j;
		uint32_t ri = 0, lh;

		if (nlists > 1) {
			ri = cell(4 + 4 * nlists);
			memcpy(hb + ri + 4, "ri", 2);
			put16(ri + 6, (uint16_t)nlists);
		}
		for (l = 0; l < nlists; l++) {
			size_t first = l * 511, n = k->nkids - first > 511 ?
			    511 : k->nkids - first;

			lh = cell(4 + 8 * n);
			memcpy(hb + lh + 4, "lh", 2);
			put16(lh + 6, (uint16_t)n);
			for (j = 0; j < n; j++) {
				put32(lh + 8 + 8 * (uint32_t)j, kids[first + j]);
				put32(lh + 12 + 8 * (uint32_t)j,
				    lh_hash(k->kids[first + j]->name));
			}
			if (nlists > 1)
				put32(ri + 8 + 4 * (uint32_t)l, lh);
			else
				put32(nk + 4 + 0x1c, lh);
		}
		if (nlists > 1)
			put32(nk + 4 + 0x1c, ri);
		free(kids);
	}
	return nk;
}

/* The whole hive file: base block + hbins. */
static uint8_t *
write_hive(struct key *root, size_t *len)
{
	/* self-relative SD: owner BA, group SY, DACL: Everyone full */
	static const uint8_t sd[] = {
		1, 0, 0x04, 0x80, 20, 0, 0, 0, 36, 0, 0, 0, 0, 0, 0, 0,
		48, 0, 0, 0,
		1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0,
		1, 1, 0, 0, 0, 0, 0, 5, 18, 0, 0, 0,
		2, 0, 28, 0, 1, 0, 0, 0,
		0, 0, 20, 0, 0x3f, 0, 0x0f, 0, 1, 1, 0, 0, 0, 0, 0, 1, 0, 0,
		0, 0,
	};
	uint8_t *out;
	uint32_t rootoff, x = 0;

	hlen = bin_start = bin_used = 0;
	nkeys_written = 0;
	sk_off = cell(0x14 + sizeof sd);
	memcpy(hb + sk_off + 4, "sk", 2);
	put32(sk_off + 8, sk_off);
	put32(sk_off + 12, sk_off);
	put32(sk_off + 20, sizeof sd);
	memcpy(hb + sk_off + 24, sd, sizeof sd);
	rootoff = write_key(root, 0, 1);
	put32(sk_off + 16, (uint32_t)nkeys_written);

	out = xcalloc(1, 4096 + hlen);
	memcpy(out, "regf", 4);
	out[4] = out[8] = 7;			/* seq1 = seq2: clean */
	memcpy(out + 12, "\0\0\0\xa0\xe3\xf0\xd9\x01", 8);
	out[20] = 1;				/* major */
	out[24] = 5;				/* minor */
	out[32] = 1;				/* format */
	memcpy(out + 36, &rootoff, 4);
	uint32_t hl = (uint32_t)hlen;
	memcpy(out + 40, &hl, 4);
	out[44] = 1;
	memcpy(out + 48, "S\0O\0F\0T\0W\0A\0R\0E\0", 16);
	for (int i = 0; i < 127; i++) {
		uint32_t w;
		memcpy(&w, out + 4 * i, 4);
		x ^= w;
	}
	if (x == 0)
		x = 1;
	else if (x == 0xffffffff)
		x = 0xfffffffe;
	memcpy(out + 0x1fc, &x, 4);
	memcpy(out + 4096, hb, hlen);
	*len = 4096 + hlen;
	return out;
}

/* ---- volume helpers ---- */
static void
put_file(struct vol *vol, const char *path, const void *buf, size_t len)
{
	struct vol_file *f;
	char *cause = NULL;

	if (vol_exists(vol, path)) {
		if (vol_file_replace(vol, path, buf, len, &cause) != 0)
			die(path, cause);
		return;
	}
	if ((f = vol_file_create(vol, path, &cause)) == NULL)
		die(path, cause);
	if (len && vol_file_pwrite(f, buf, len, 0) != (ssize_t)len)
		die(path, "write failed");
	if (vol_file_close(f, &cause) != 0)
		die(path, cause);
}

static char *
pkg_name(size_t i, char **ident, char **ver)
{
	/* "name~token~arch~language~version" as CBS names packages. */
	static const char *kinds[] = { "Microsoft-Windows-%s-Package",
	    "Microsoft-Windows-%s-FoD-Package", "Package_for_KB%s",
	    "Microsoft-OneCore-%s-Package" };
	char part[64];

	snprintf(part, sizeof part, i % 4 == 2 ? "%07zu" : "Feature%05zu", 4000000 + i);
	xasprintf(ident, kinds[i % 4], part);
	xasprintf(ver, "10.0.19041.%zu", 1 + (i * 37) % 3900);
	return xprintf("%s~" TOKEN "~amd64~%s~%s", *ident,
	    i % 9 == 0 ? "en-US" : "", *ver);
}

int
main(int argc, char **argv)
{
	struct vol_where w;
	struct vol	*vol;
	char		*cause = NULL, tmp[] = "/tmp/mkdiag.XXXXXX";
	void		*buf, *cat, *oldlog;
	size_t		 len, catlen, oldloglen, npkg, want, logwant, i;
	hive_h		*h;
	struct key	*root, *pk, *clsid, *k;
	int		 fd;

	if (argc != 7) {
		fprintf(stderr, "usage: mkdiag IMAGE OFFSET SIZE NPKG SOFTWARE_MB LOG_MB\n");
		return 2;
	}
	memset(&w, 0, sizeof w);
	w.path = argv[1];
	w.offset = strtoull(argv[2], NULL, 0);
	w.size = strtoull(argv[3], NULL, 0);
	npkg = strtoul(argv[4], NULL, 10);
	want = strtoul(argv[5], NULL, 10) << 20;
	logwant = strtoul(argv[6], NULL, 10) << 20;
	if (vol_open(&w, VOL_RDWR, &vol, NULL, &cause) != 0)
		die("vol_open", cause);

	/* SOFTWARE */
	if (vol_file_read_all(vol, CFG, (size_t)1 << 30, &buf, &len, &cause))
		die(CFG, cause);
	if ((fd = mkstemp(tmp)) < 0 || write(fd, buf, len) != (ssize_t)len)
		die(tmp, NULL);
	close(fd);
	free(buf);
	if ((h = hivex_open(tmp, 0)) == NULL)
		die("hivex_open", NULL);
	root = copy_tree(h, hivex_root(h));
	hivex_close(h);
	unlink(tmp);
	pk = root;
	{
		const char *p[] = { "Microsoft", "Windows", "CurrentVersion",
		    "Component Based Servicing", "Packages" };
		for (i = 0; i < 5; i++)
			if ((pk = key_find(pk, p[i])) == NULL)
				die("SOFTWARE", "no ...\\Component Based Servicing\\Packages");
	}
	/* A catalog to copy: the first .cat the fixture has. */
	cat = NULL;
	for (i = 0; i < pk->nkids && cat == NULL; i++) {
		char *p = xprintf(PKGDIR "\\%s.cat", pk->kids[i]->name);
		if (vol_file_read_all(vol, p, 1 << 20, &cat, &catlen, NULL) != 0)
			cat = NULL;
		free(p);
	}
	if (cat == NULL)
		die("servicing\\Packages", "no .cat to copy");

	size_t mumbytes = 0, catbytes = 0;
	for (i = 0; i < npkg; i++) {
		char *ident, *ver, *name = pkg_name(i, &ident, &ver), *s, *mum;
		int64_t ts = 0x01d7000000000000LL + (int64_t)i * 100000000LL;

		k = key_add(pk, name, ts);
		val_dword(k, "CurrentState", 0x70);
		val_sz(k, "InstallClient", 1, i % 3 ? "UpdateAgentLCU" :
		    "DISM Package Manager Provider");
		s = xprintf("\\\\?\\C:\\Windows\\SoftwareDistribution\\Download\\"
		    "%016llx%016llx\\%s.cab", (unsigned long long)rnd(),
		    (unsigned long long)rnd(), ident);
		val_sz(k, "InstallLocation", 1, s);
		free(s);
		s = xprintf("%s.mum", name);
		val_sz(k, "InstallName", 1, s);
		free(s);
		val_dword(k, "InstallTimeHigh", (uint32_t)(ts >> 32));
		val_dword(k, "InstallTimeLow", (uint32_t)ts);
		val_sz(k, "InstallUser", 1, "S-1-5-18");
		val_dword(k, "LastCurrentStateChange", 0x70);
		val_dword(k, "LastProgressState", 0x70);
		val_dword(k, "SelfUpdate", 0);
		val_dword(k, "Visibility", i % 5 ? 2 : 1);
		val_dword(k, "Trusted", 1);
		{
			struct key *o = key_add(k, "Owners", ts), *u;
			val_dword(o, name, 0x00700070);
			u = key_add(k, "Updates", ts);
			for (int j = 0; j < 3; j++) {
				s = xprintf("%s-Deployment%d", ident, j);
				val_dword(u, s, 0x70);
				free(s);
			}
		}
		mum = xprintf("<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>\r\n"
		    "<assembly xmlns=\"urn:schemas-microsoft-com:asm.v3\" manifestVersion=\"1.0\" "
		    "copyright=\"Copyright (c) Microsoft Corporation. All Rights Reserved.\">\r\n"
		    "  <assemblyIdentity name=\"%s\" version=\"%s\" processorArchitecture=\"amd64\" "
		    "language=\"%s\" buildType=\"release\" publicKeyToken=\"" TOKEN "\" />\r\n"
		    "  <package identifier=\"%s\" releaseType=\"%s\">\r\n"
		    "    <update name=\"%s-Deployment0\">\r\n"
		    "      <component>\r\n"
		    "        <assemblyIdentity name=\"%s-Deployment\" version=\"%s\" "
		    "processorArchitecture=\"amd64\" language=\"neutral\" buildType=\"release\" "
		    "publicKeyToken=\"" TOKEN "\" versionScope=\"nonSxS\" />\r\n"
		    "      </component>\r\n"
		    "    </update>\r\n"
		    "  </package>\r\n"
		    "</assembly>\r\n", ident, ver, i % 9 == 0 ? "en-US" : "neutral",
		    ident, i % 4 == 2 ? "Update" : "Feature Pack", ident, ident, ver);
		s = xprintf(PKGDIR "\\%s.mum", name);
		put_file(vol, s, mum, strlen(mum));
		mumbytes += strlen(mum);
		free(s);
		s = xprintf(PKGDIR "\\%s.cat", name);
		put_file(vol, s, cat, catlen);
		catbytes += catlen;
		free(s);
		free(mum);
		free(ident);
		free(ver);
		free(name);
	}

	/* Pad with Classes\CLSID keys to the size wanted. */
	clsid = key_get(key_get(root, "Classes", 0x01d7000000000000LL),
	    "CLSID", 0x01d7000000000000LL);
	uint8_t *hive;
	size_t hivelen, nclsid = 0, per = 0;
	for (;;) {
		hive = write_hive(root, &hivelen);
		if (hivelen >= want)
			break;
		free(hive);
		size_t add = per ? (want - hivelen) / per + 16 : 1000;
		size_t before = hivelen;
		for (i = 0; i < add; i++, nclsid++) {
			char *g = xprintf("{%08llX-%04llX-%04llX-%04llX-%012llX}",
			    (unsigned long long)(rnd() & 0xffffffff),
			    (unsigned long long)(rnd() & 0xffff),
			    (unsigned long long)(rnd() & 0xffff),
			    (unsigned long long)(rnd() & 0xffff),
			    (unsigned long long)(rnd() & 0xffffffffffffULL));
			char *s;
			struct key *c = key_add(clsid, g, 0x01d7000000000000LL), *ip;

			s = xprintf("Component %zu Class", nclsid);
			val_sz(c, "", 1, s);
			free(s);
			ip = key_add(c, "InprocServer32", 0x01d7000000000000LL);
			s = xprintf("%%SystemRoot%%\\System32\\component%zu.dll", nclsid % 4000);
			val_sz(ip, "", 2, s);
			free(s);
			val_sz(ip, "ThreadingModel", 1, "Both");
			free(g);
		}
		if (per == 0) {
			hive = write_hive(root, &hivelen);
			per = (hivelen - before) / add;
			free(hive);
			hive = NULL;
		}
	}
	put_file(vol, CFG, hive, hivelen);
	free(hive);

	/* CBS.log: generated history, then the fixture's own log. */
	if (vol_file_read_all(vol, CBSLOG, (size_t)1 << 30, &oldlog, &oldloglen,
	    &cause))
		die(CBSLOG, cause);
	{
		struct vol_file *f;
		char line[1024], t[32], *name, *ident, *ver;
		size_t off = 0, n, sess = 0, nerr = 0;
		uint64_t sec = 1672531200;	/* 2023-01-01 */
		char *lb = xmalloc(1 << 20);
		size_t lbl = 0;

		if (vol_unlink(vol, CBSLOG, &cause) != 0)
			die(CBSLOG, cause);
		if ((f = vol_file_create(vol, CBSLOG, &cause)) == NULL)
			die(CBSLOG, cause);
		memcpy(lb, "\xef\xbb\xbf", 3);
		lbl = 3;
		while (off + lbl < logwant) {
			time_t tt = (time_t)sec;
			struct tm tm;
			size_t r = rnd() % 100, pi = rnd() % (npkg ? npkg : 1);

			gmtime_r(&tt, &tm);
			strftime(t, sizeof t, "%Y-%m-%d %H:%M:%S", &tm);
			name = pkg_name(pi, &ident, &ver);
			if (r < 2) {
				n = (size_t)snprintf(line, sizeof line,
				    "%s, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n"
				    "%s, Info                  CBS    Starting TrustedInstaller initialization.\r\n"
				    "%s, Info                  CBS    Loaded Servicing Stack v10.0.19041.3745 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.3745_none_7e3ac4a4bbfc0d19\\cbscore.dll\r\n"
				    "%s, Info                  CBS    Session: 3%08zu_%010llu initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)\r\n",
				    t, t, t, t, sess++, (unsigned long long)rnd() % 10000000000ULL);
			} else if (r < 4) {
				nerr++;
				n = (size_t)snprintf(line, sizeof line,
				    "%s, Info                  CBS    Failed to find file: amd64_microsoft-windows-%s_31bf3856ad364e35_%s_none_%016llx\\%s.dll [HRESULT = 0x800f081f - CBS_E_SOURCE_MISSING]\r\n"
				    "%s, Error                 CBS    Failed to resolve package '%s' [HRESULT = 0x800f081f - CBS_E_SOURCE_MISSING]\r\n",
				    t, ident, ver, (unsigned long long)rnd(), ident, t, name);
			} else if (r < 40) {
				n = (size_t)snprintf(line, sizeof line,
				    "%s, Info                  CBS    Exec: Processing package %s, state: Installed, targetState: Installed [HRESULT = 0x00000000 - S_OK]\r\n",
				    t, name);
			} else if (r < 70) {
				n = (size_t)snprintf(line, sizeof line,
				    "%s, Info                  CSI    %08llx@2023/%d/%d:%02d:%02d:%02d.%03d Begin (p) CSI Store %llu (0x%016llx) transaction\r\n",
				    t, (unsigned long long)rnd() & 0xfffffff, tm.tm_mon + 1, tm.tm_mday,
				    tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rnd() % 1000),
				    (unsigned long long)rnd() % 1000000, (unsigned long long)rnd());
			} else {
				n = (size_t)snprintf(line, sizeof line,
				    "%s, Info                  CBS    Appl: detect Parent, Package: %s, Parent: Microsoft-Windows-Client-Features-Package~" TOKEN "~amd64~~%s, Disposition = Detect, VersionComp: EQ, ServiceComp: GE, BuildComp: EQ, DistributionComp: GE, RevisionComp: GE, Exist: present\r\n",
				    t, name, ver);
			}
			free(name);
			free(ident);
			free(ver);
			if (n >= sizeof line)
				n = sizeof line - 1;
			sec += rnd() % 3;
			if (lbl + n > (1 << 20)) {
				if (vol_file_pwrite(f, lb, lbl, off) != (ssize_t)lbl)
					die(CBSLOG, "write failed");
				off += lbl;
				lbl = 0;
			}
			memcpy(lb + lbl, line, n);
			lbl += n;
		}
		/* the fixture's log without its BOM */
		size_t skip = oldloglen >= 3 && memcmp(oldlog, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
		if (vol_file_pwrite(f, lb, lbl, off) != (ssize_t)lbl ||
		    vol_file_pwrite(f, (char *)oldlog + skip, oldloglen - skip,
		    off + lbl) != (ssize_t)(oldloglen - skip))
			die(CBSLOG, "write failed");
		off += lbl + oldloglen - skip;
		if (vol_file_close(f, &cause) != 0)
			die(CBSLOG, cause);
		printf("CBS.log %zu bytes (%zu sessions, %zu failing pairs, then the fixture's)\n",
		    off, sess, nerr);
		free(lb);
	}
	if (vol_sync(vol, &cause) != 0)
		die("vol_sync", cause);
	vol_close(vol);
	printf("SOFTWARE %zu bytes (%zu packages + fixture's, %zu CLSID keys)\n",
	    hivelen, npkg, nclsid);
	printf("servicing\\Packages: %zu .mum (%zu bytes), %zu .cat (%zu bytes)\n",
	    npkg, mumbytes, npkg, catbytes);
	return 0;
}
