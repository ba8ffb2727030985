/*
 * ntfs3g.c: the libntfs-3g backend. Opens an NTFS partition through the
 * offset device (device.c) and implements the operations table of
 * private.h on libntfs-3g's inode, index and attribute functions.
 *
 * Rules this file keeps, each forced by how libntfs-3g works:
 *
 * - One in-memory copy of an MFT record. libntfs-3g keeps a record in the
 *   ntfs_inode that opened it and writes it back on close; two ntfs_inode
 *   for one record means the last close wins and the other's change is
 *   lost. So every inode this backend opens goes through a table of nodes
 *   (n3_node_get/put) that shares one ntfs_inode per record, directories
 *   are held only for the length of one operation, and a child is closed
 *   through its held parent (ntfs_inode_close_in_dir) so that libntfs-3g
 *   does not open the parent again to update its index entry.
 *
 * - Names as Windows sees them. Lookups are case-insensitive with the
 *   volume's own $UpCase table, through the directory's B+tree index
 *   (ntfs_inode_lookup_by_name with the volume's case-sensitive flag off
 *   for that call only: with it off, ntfs_readdir would hand out
 *   lower-cased names). Names ntmend creates go in the Win32 namespace:
 *   ntfs_create and ntfs_link write POSIX-namespace names, so the name is
 *   moved to FILE_NAME_WIN32 in the MFT record and in the index entry, the
 *   way libntfs-3g's own set_namespace() (dir.c) does it for DOS names.
 *
 * - Security descriptors inherited, never invented. New files get the
 *   descriptor the parent passes on (ntfs_inherited_id); when libntfs-3g
 *   cannot compute one, creating fails rather than fall back to the
 *   "Everyone: full control" descriptor ntfs_create would add.
 */

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ntfs-3g/types.h>
#include <ntfs-3g/attrib.h>
#include <ntfs-3g/device.h>
#include <ntfs-3g/dir.h>
#include <ntfs-3g/index.h>
#include <ntfs-3g/inode.h>
#include <ntfs-3g/layout.h>
#include <ntfs-3g/logfile.h>
#include <ntfs-3g/logging.h>
#include <ntfs-3g/ntfstime.h>
#include <ntfs-3g/security.h>
#include <ntfs-3g/unistr.h>
#include <ntfs-3g/volume.h>

#include "ntfs/private.h"
#include "util/util.h"

/* Directories a walk remembers by path: more than the directories one
 * servicing pass (WinSxS, servicing\Packages, System32) touches in turn. */
#define N3_DCACHE		256
/* Directories whose full listing is kept after a lookup missed in the
 * B+tree (see n3_lookup16): the few a repair checks or creates names in
 * at a time. */
#define N3_SCANS		4
/* Entries of one directory listing: WinSxS has some 20k-80k; a corrupt
 * index must not make a listing grow without end. */
#define NTM_MAX_DIR_ENTRIES	(1 << 22)

struct n3_node {
	struct n3_node	*next;
	ntfs_inode	*ni;
	ntfs_attr	*data;		/* unnamed $DATA, opened on demand */
	u64		 mft;		/* MFT record number */
	unsigned	 refs;
	unsigned	 files;		/* of refs, held by open vol_files */
};

struct n3_dslot {
	char		*key;		/* components joined by '\' */
	size_t		 len;
	u64		 mref;
};

/* Every name of one directory, upcased, for lookups the B+tree missed. */
struct n3_sent {
	ntfschar	*name;		/* upcased; NULL: empty slot */
	u8		 len;
	u64		 mref;
};
struct n3_scan {
	u64		 dir;		/* MFT record number, 0: unused */
	struct n3_sent	*tab;
	size_t		 n, cap;
	unsigned	 age;
	int		 full;		/* cut at NTM_MAX_DIR_ENTRIES */
};

struct n3 {
	ntfs_volume		 *nv;
	struct SECURITY_CONTEXT	  scx;
	struct PERMISSIONS_CACHE *seccache;
	int			  scx_ready;
	int			  secure;	/* $Secure is open */
	struct n3_node		 *nodes;
	struct n3_dslot		  dcache[N3_DCACHE];
	struct n3_scan		  scans[N3_SCANS];
	unsigned		  scan_clock;
};

#define N3(vol) ((struct n3 *)(vol)->priv)

static const struct vol_ops n3_ops;

/*
 * libntfs-3g's messages. Its default handler prints to stderr, which would
 * garble the CLI's output and the menu; the last warning or error is kept
 * instead and added to a cause where it explains a failure (a mount that
 * fails says why only there).
 */
static char	n3_logmsg[512];

static int __attribute__((format(printf, 6, 0)))
n3_log(const char *function, const char *file, int line, u32 level,
    void *data, const char *format, va_list args)
{
	size_t	len;
	int	e = errno;

	if ((level & (NTFS_LOG_LEVEL_WARNING | NTFS_LOG_LEVEL_ERROR |
	    NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL)) == 0)
		return 0;
	vsnprintf(n3_logmsg, sizeof n3_logmsg, format, args);
	len = strlen(n3_logmsg);
	while (len > 0 && (n3_logmsg[len - 1] == '\n' ||
	    n3_logmsg[len - 1] == '.' || n3_logmsg[len - 1] == ' '))
		n3_logmsg[--len] = '\0';
	if (level & NTFS_LOG_LEVEL_PERROR)
		snprintf(n3_logmsg + len, sizeof n3_logmsg - len, ": %s",
		    strerror(e));
	errno = e;
	return (int)len;
}

static void
n3_log_setup(void)
{
	static int	done;

	if (done)
		return;
	done = 1;
	ntfs_log_set_handler(n3_log);
	ntfs_log_clear_levels(NTFS_LOG_LEVEL_DEBUG | NTFS_LOG_LEVEL_TRACE |
	    NTFS_LOG_LEVEL_QUIET | NTFS_LOG_LEVEL_INFO |
	    NTFS_LOG_LEVEL_VERBOSE | NTFS_LOG_LEVEL_PROGRESS |
	    NTFS_LOG_LEVEL_ENTER | NTFS_LOG_LEVEL_LEAVE);
	ntfs_log_set_levels(NTFS_LOG_LEVEL_WARNING | NTFS_LOG_LEVEL_ERROR |
	    NTFS_LOG_LEVEL_PERROR | NTFS_LOG_LEVEL_CRITICAL);
}

/* " (libntfs-3g: ...)" when libntfs-3g said something since n3_log_reset. */
static const char *
n3_logtail(void)
{
	static char	tail[sizeof n3_logmsg + 32];

	if (n3_logmsg[0] == '\0')
		return "";
	snprintf(tail, sizeof tail, " (libntfs-3g: %s)", n3_logmsg);
	return tail;
}

static void
n3_log_reset(void)
{
	n3_logmsg[0] = '\0';
}

/* Nodes: one ntfs_inode per MFT record (see the top of this file). */

static struct n3_node *
n3_node_get(struct n3 *p, u64 mref)
{
	struct n3_node	*nd;
	ntfs_inode	*ni;

	for (nd = p->nodes; nd != NULL; nd = nd->next) {
		if (nd->mft != MREF(mref))
			continue;
		if (MSEQNO(mref) != 0 && MSEQNO(mref) !=
		    le16_to_cpu(nd->ni->mrec->sequence_number)) {
			errno = ENOENT;
			return NULL;
		}
		nd->refs++;
		return nd;
	}
	if ((ni = ntfs_inode_open(p->nv, mref)) == NULL)
		return NULL;
	nd = xcalloc(1, sizeof *nd);
	nd->ni = ni;
	nd->mft = ni->mft_no;
	nd->refs = 1;
	nd->next = p->nodes;
	p->nodes = nd;
	return nd;
}

static void
n3_node_unlink(struct n3 *p, struct n3_node *nd)
{
	struct n3_node	**pp;

	for (pp = &p->nodes; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == nd) {
			*pp = nd->next;
			return;
		}
	}
}

static FILE_NAME_ATTR *n3_fn_next(ntfs_attr_search_ctx *);

/*
 * May nd's index entries be updated through dir? ntfs_inode_close_in_dir
 * looks every name of the inode up in the directory it is given, whatever
 * the name's parent (inode.c, ntfs_inode_sync_file_name), so only an inode
 * with all its names in dir may be closed through it.
 */
static int
n3_names_all_in(struct n3_node *nd, struct n3_node *dir)
{
	ntfs_attr_search_ctx	*ctx;
	FILE_NAME_ATTR		*fn;
	int			 all = 1;

	if ((ctx = ntfs_attr_get_search_ctx(nd->ni, NULL)) == NULL)
		return 0;
	while ((fn = n3_fn_next(ctx)) != NULL) {
		if (MREF_LE(fn->parent_directory) != dir->mft)
			all = 0;
	}
	ntfs_attr_put_search_ctx(ctx);
	return all;
}

/*
 * Drop a reference. The last one closes the inode: through dir (a
 * directory the caller still holds) when all the inode's names are there,
 * else on its own, when libntfs-3g opens the parents it needs itself;
 * callers hold no other parent of nd then.
 */
static int
n3_node_put(struct n3 *p, struct n3_node *nd, struct n3_node *dir)
{
	int	r;

	if (nd == NULL)
		return 0;
	if (--nd->refs > 0)
		return 0;
	n3_node_unlink(p, nd);
	if (nd->data != NULL)
		ntfs_attr_close(nd->data);
	if (dir != NULL && dir != nd && n3_names_all_in(nd, dir))
		r = ntfs_inode_close_in_dir(nd->ni, dir->ni);
	else
		r = ntfs_inode_close(nd->ni);
	free(nd);
	return r;
}

static int
n3_is_dir(struct n3_node *nd)
{
	return (nd->ni->mrec->flags & MFT_RECORD_IS_DIRECTORY) != 0;
}

static u64
n3_mref(struct n3_node *nd)
{
	return MK_MREF(nd->mft, le16_to_cpu(nd->ni->mrec->sequence_number));
}

static ntfs_attr *
n3_node_data(struct n3_node *nd)
{
	if (nd->data == NULL)
		nd->data = ntfs_attr_open(nd->ni, AT_DATA, AT_UNNAMED, 0);
	return nd->data;
}

/* The path cache: directory path (as given) -> MFT reference. */

static uint32_t
n3_hash(const void *buf, size_t len)
{
	const uint8_t	*b = buf;
	uint32_t	 h = 2166136261u;
	size_t		 i;

	for (i = 0; i < len; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

static int
n3_dcache_get(struct n3 *p, const char *key, size_t len, u64 *mref)
{
	struct n3_dslot	*s = &p->dcache[n3_hash(key, len) % N3_DCACHE];

	if (s->key == NULL || s->len != len || memcmp(s->key, key, len) != 0)
		return 0;
	*mref = s->mref;
	return 1;
}

static void
n3_dcache_put(struct n3 *p, const char *key, size_t len, u64 mref)
{
	struct n3_dslot	*s = &p->dcache[n3_hash(key, len) % N3_DCACHE];

	free(s->key);
	s->key = xstrndup(key, len);
	s->len = len;
	s->mref = mref;
}

static void
n3_scan_free(struct n3_scan *sc)
{
	size_t	i;

	for (i = 0; i < sc->cap; i++)
		free(sc->tab[i].name);
	free(sc->tab);
	memset(sc, 0, sizeof *sc);
}

/* The directory listings kept for lookups, all of them stale. */
static void
n3_forget_names(struct n3 *p)
{
	size_t	i;

	for (i = 0; i < N3_SCANS; i++)
		n3_scan_free(&p->scans[i]);
}

static struct n3_scan *
n3_scan_of(struct n3 *p, u64 dir)
{
	size_t	i;

	for (i = 0; i < N3_SCANS; i++) {
		if (p->scans[i].dir == dir && p->scans[i].tab != NULL)
			return &p->scans[i];
	}
	return NULL;
}

/* A name was removed from dir: its listing is stale (a name may have gone
 * with a DOS alias, which the listing holds too), the others are not. */
static void
n3_forget_names_in(struct n3 *p, u64 dir)
{
	struct n3_scan	*sc;

	if ((sc = n3_scan_of(p, dir)) != NULL)
		n3_scan_free(sc);
}

/* A name was moved or removed: paths may lead elsewhere now too. */
static void
n3_forget(struct n3 *p)
{
	size_t	i;

	for (i = 0; i < N3_DCACHE; i++) {
		free(p->dcache[i].key);
		p->dcache[i].key = NULL;
	}
	n3_forget_names(p);
}

/*
 * The directory-walk fallback of a lookup. A name the B+tree lookup
 * cannot find may still be in the directory when the index is out of
 * order (a damaged volume chkdsk has not fixed yet). Walking a directory
 * of 20k entries for every miss would be slow, so the walk keeps every
 * upcased name of the directory in a hash table and later misses there
 * are answered from it. Every miss is one: creating a file looks its
 * name up first. The table is kept current through the changes this
 * backend makes (a name created or linked is added, a directory that
 * loses a name forgets its table), and nothing else writes the volume
 * while it is open.
 */
struct n3_scanctx {
	struct n3	*p;
	struct n3_scan	*sc;
	int		 full;
};

static void
n3_scan_add(struct n3_scan *sc, const ntfschar *up, u8 len, u64 mref)
{
	struct n3_sent	*old;
	size_t		 oldcap, i, j;

	if ((sc->n + 1) * 2 > sc->cap) {
		old = sc->tab;
		oldcap = sc->cap;
		sc->cap = oldcap == 0 ? 256 : oldcap * 2;
		sc->tab = xcalloc(sc->cap, sizeof *sc->tab);
		sc->n = 0;
		for (i = 0; i < oldcap; i++) {
			if (old[i].name == NULL)
				continue;
			j = n3_hash(old[i].name, old[i].len * 2u) %
			    sc->cap;
			while (sc->tab[j].name != NULL)
				j = (j + 1) % sc->cap;
			sc->tab[j] = old[i];
			sc->n++;
		}
		free(old);
	}
	j = n3_hash(up, len * 2u) % sc->cap;
	while (sc->tab[j].name != NULL) {
		if (sc->tab[j].len == len &&
		    memcmp(sc->tab[j].name, up, len * 2u) == 0)
			return;
		j = (j + 1) % sc->cap;
	}
	sc->tab[j].name = xmalloc(len * 2u + 2);
	memcpy(sc->tab[j].name, up, len * 2u);
	sc->tab[j].len = len;
	sc->tab[j].mref = mref;
	sc->n++;
}

static int
n3_scan_fill(void *arg, const ntfschar *name, const int len, const int type,
    const s64 pos, const MFT_REF mref, const unsigned dt)
{
	struct n3_scanctx	*c = arg;
	ntfschar		 up[NTFS_MAX_NAME_LEN];

	if (pos < 2 || len <= 0 || len > NTFS_MAX_NAME_LEN)
		return 0;
	if (c->sc->n >= NTM_MAX_DIR_ENTRIES) {
		c->full = 1;
		return 0;
	}
	memcpy(up, name, (size_t)len * 2);
	ntfs_name_upcase(up, (u32)len, c->p->nv->upcase,
	    c->p->nv->upcase_len);
	n3_scan_add(c->sc, up, (u8)len, mref);
	return 0;
}

/* A name was added to dir: its listing, if one is kept, gets it too, so
 * that creating the files of a directory one after another does not list
 * the directory again for each. */
static void
n3_names_added(struct n3 *p, u64 dir, const ntfschar *name, u8 len,
    u64 mref)
{
	struct n3_scan	*sc;
	ntfschar	 up[NTFS_MAX_NAME_LEN];

	if ((sc = n3_scan_of(p, dir)) == NULL)
		return;
	if (sc->n >= NTM_MAX_DIR_ENTRIES) {
		n3_scan_free(sc);
		return;
	}
	memcpy(up, name, (size_t)len * 2);
	ntfs_name_upcase(up, len, p->nv->upcase, p->nv->upcase_len);
	n3_scan_add(sc, up, len, mref);
}

/* dir's listing, made now if it is not kept. NULL: cannot be read. */
static struct n3_scan *
n3_scan_get(struct n3 *p, struct n3_node *dir)
{
	struct n3_scanctx	 c;
	struct n3_scan		*sc, *s;
	size_t			 i;
	s64			 pos = 0;

	if ((sc = n3_scan_of(p, dir->mft)) == NULL) {
		sc = &p->scans[0];
		for (i = 1; i < N3_SCANS; i++) {
			s = &p->scans[i];
			if (s->tab == NULL || s->age < sc->age)
				sc = s;
		}
		n3_scan_free(sc);
		c.p = p;
		c.sc = sc;
		c.full = 0;
		if (ntfs_readdir(dir->ni, &pos, &c, n3_scan_fill) != 0) {
			n3_scan_free(sc);
			return NULL;
		}
		if (sc->tab == NULL) {
			sc->cap = 16;
			sc->tab = xcalloc(sc->cap, sizeof *sc->tab);
		}
		sc->dir = dir->mft;
		sc->full = c.full;
	}
	sc->age = ++p->scan_clock;
	return sc;
}

static u64
n3_scan_find(struct n3 *p, struct n3_scan *sc, const ntfschar *name,
    int len)
{
	ntfschar	up[NTFS_MAX_NAME_LEN];
	size_t		j;

	memcpy(up, name, (size_t)len * 2);
	ntfs_name_upcase(up, (u32)len, p->nv->upcase, p->nv->upcase_len);
	j = n3_hash(up, (size_t)len * 2) % sc->cap;
	while (sc->tab[j].name != NULL) {
		if (sc->tab[j].len == len &&
		    memcmp(sc->tab[j].name, up, (size_t)len * 2) == 0)
			return sc->tab[j].mref;
		j = (j + 1) % sc->cap;
	}
	errno = ENOENT;
	return (u64)-1;
}

static u64
n3_scan_lookup(struct n3 *p, struct n3_node *dir, const ntfschar *name,
    int len)
{
	struct n3_scan	*sc;

	if ((sc = n3_scan_get(p, dir)) == NULL)
		return (u64)-1;
	return n3_scan_find(p, sc, name, len);
}

/* UTF-8 name -> UTF-16LE for libntfs-3g; caller frees. */
static ntfschar *
n3_name16(const char *name, u8 *lenp)
{
	ntfschar	*u;
	size_t		 blen;

	if ((u = utf8_to_utf16le(name, &blen)) == NULL) {
		errno = EILSEQ;
		return NULL;
	}
	if (blen == 0 || blen / 2 > NTFS_MAX_NAME_LEN) {
		free(u);
		errno = blen == 0 ? EINVAL : ENAMETOOLONG;
		return NULL;
	}
	*lenp = (u8)(blen / 2);
	return u;
}

/* Find a name in a directory the way Windows does (case-insensitive by
 * $UpCase, Win32, DOS or POSIX names alike). */
static int
n3_lookup16(struct n3 *p, struct n3_node *dir, const ntfschar *u, u8 len,
    u64 *mref)
{
	struct n3_scan	*sc;
	u64		 r;
	int		 e;

	/*
	 * A kept listing holds every name the B+tree can find (and those a
	 * damaged index hides), so a name it lacks is not there: the miss
	 * every new file's lookup is costs no index walk. A name it has is
	 * looked up in the B+tree all the same, which picks between names
	 * that differ only in case the way Windows does.
	 */
	if ((sc = n3_scan_of(p, dir->mft)) != NULL && !sc->full &&
	    n3_scan_find(p, sc, u, len) == (u64)-1) {
		sc->age = ++p->scan_clock;
		errno = ENOENT;
		return -1;
	}
	NVolClearCaseSensitive(p->nv);
	r = ntfs_inode_lookup_by_name(dir->ni, u, len);
	e = errno;
	NVolSetCaseSensitive(p->nv);
	if (r == (u64)-1 && e == ENOENT) {
		r = n3_scan_lookup(p, dir, u, len);
		e = errno;
	}
	if (r == (u64)-1) {
		errno = e;
		return -1;
	}
	*mref = r;
	return 0;
}

static int
n3_lookup(struct n3 *p, struct n3_node *dir, const char *name, u64 *mref)
{
	ntfschar	*u;
	u8		 len;
	int		 r, e;

	if ((u = n3_name16(name, &len)) == NULL)
		return -1;
	r = n3_lookup16(p, dir, u, len, mref);
	e = errno;
	free(u);
	errno = e;
	return r;
}

/*
 * Find comp[0..n) from the root and take a reference on its node. The
 * longest directory prefix found in the path cache is the starting point.
 */
static int
n3_walk(struct vol *vol, const char *const *comp, size_t n,
    struct n3_node **out, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*nd = NULL, *next;
	size_t		 off[NTM_MAX_PATH_DEPTH + 1], i, start = 0;
	char		*key, *sub;
	u64		 mref = FILE_root, child;
	int		 e;

	if (n > NTM_MAX_PATH_DEPTH) {
		errno = ENAMETOOLONG;
		return set_cause(cause, "path too deep");
	}
	key = vol_path_join(comp, n);
	off[0] = 0;
	for (i = 0; i < n; i++)
		off[i + 1] = off[i] + (i > 0 ? 1 : 0) + strlen(comp[i]);
	for (i = n; i > 0; i--) {
		if (n3_dcache_get(p, key, off[i], &mref)) {
			start = i;
			break;
		}
	}
	if ((nd = n3_node_get(p, mref)) == NULL && start != 0) {
		/* A stale entry: the directory went away under us. */
		n3_forget(p);
		start = 0;
		nd = n3_node_get(p, FILE_root);
	}
	if (nd == NULL) {
		e = errno;
		set_cause(cause, "%s: cannot open the root directory: %s%s",
		    vol->name, strerror(e), n3_logtail());
		goto fail;
	}
	for (i = start; i < n; i++) {
		if (!n3_is_dir(nd)) {
			e = ENOTDIR;
			sub = vol_path_join(comp, i);
			set_cause(cause, "%s: %s is a file, not a directory",
			    key, sub);
			free(sub);
			goto fail;
		}
		if (n3_lookup(p, nd, comp[i], &child) != 0) {
			e = errno;
			if (e == ENOENT)
				set_cause(cause, "%s: not found on %s", key,
				    vol->name);
			else if (e == EILSEQ)
				set_cause(cause, "%s: not valid UTF-8", key);
			else
				set_cause(cause, "%s: cannot look up %s: %s",
				    key, comp[i], strerror(e));
			goto fail;
		}
		if ((next = n3_node_get(p, child)) == NULL) {
			e = errno;
			set_cause(cause, "%s: cannot open MFT record %llu: "
			    "%s%s", key, (unsigned long long)MREF(child),
			    strerror(e), n3_logtail());
			goto fail;
		}
		n3_node_put(p, nd, NULL);
		nd = next;
		if (n3_is_dir(nd))
			n3_dcache_put(p, key, off[i + 1], n3_mref(nd));
	}
	free(key);
	*out = nd;
	return 0;

fail:
	n3_node_put(p, nd, NULL);
	free(key);
	errno = e;
	return -1;
}

/* Walk to the parent of comp[0..n) (n >= 1), which must be a directory. */
static int
n3_walk_parent(struct vol *vol, const char *const *comp, size_t n,
    struct n3_node **out, char **cause)
{
	char	*path;

	if (n3_walk(vol, comp, n - 1, out, cause) != 0)
		return -1;
	if (!n3_is_dir(*out)) {
		n3_node_put(N3(vol), *out, NULL);
		path = vol_path_join(comp, n);
		set_cause(cause, "%s: the parent is a file, not a directory",
		    path);
		free(path);
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/*
 * FILE_NAME attributes of a node. Each is checked against its attribute
 * record before use: the record comes from a volume that may be damaged.
 */
static FILE_NAME_ATTR *
n3_fn_next(ntfs_attr_search_ctx *ctx)
{
	FILE_NAME_ATTR	*fn;
	ATTR_RECORD	*a;
	u32		 vlen;
	u16		 voff;

	while (ntfs_attr_lookup(AT_FILE_NAME, AT_UNNAMED, 0, CASE_SENSITIVE,
	    0, NULL, 0, ctx) == 0) {
		a = ctx->attr;
		if (a->non_resident)
			continue;
		voff = le16_to_cpu(a->value_offset);
		vlen = le32_to_cpu(a->value_length);
		if ((u32)voff + vlen > le32_to_cpu(a->length) ||
		    vlen < sizeof(FILE_NAME_ATTR))
			continue;
		fn = (FILE_NAME_ATTR *)((u8 *)a + voff);
		if (sizeof(FILE_NAME_ATTR) + fn->file_name_length * 2u > vlen)
			continue;
		return fn;
	}
	return NULL;
}

/* The name in a FILE_NAME_ATTR: 2-byte aligned in the record, which the
 * packed struct cannot promise the compiler. */
static const ntfschar *
n3_fn_name(const FILE_NAME_ATTR *fn)
{
	return (const ntfschar *)((const u8 *)fn +
	    offsetof(FILE_NAME_ATTR, file_name));
}

static unsigned
n3_nlink(struct n3_node *nd)
{
	ntfs_attr_search_ctx	*ctx;
	FILE_NAME_ATTR		*fn;
	unsigned		 n = 0;

	if ((ctx = ntfs_attr_get_search_ctx(nd->ni, NULL)) == NULL)
		return 0;
	while ((fn = n3_fn_next(ctx)) != NULL) {
		if (fn->file_name_type != FILE_NAME_DOS)
			n++;
	}
	ntfs_attr_put_search_ctx(ctx);
	return n;
}

/*
 * The name of a node in directory dir: the long name that equals want
 * ignoring case, else its long (Win32 or POSIX) name there, which is what
 * Windows shows when the path was given by the DOS 8.3 alias. Caller
 * frees.
 */
static ntfschar *
n3_node_name(struct n3 *p, struct n3_node *nd, u64 dir, const ntfschar *want,
    u8 wantlen, u8 *lenp)
{
	ntfs_attr_search_ctx	*ctx;
	FILE_NAME_ATTR		*fn;
	ntfschar		*out = NULL;
	int			 exact = 0;

	if ((ctx = ntfs_attr_get_search_ctx(nd->ni, NULL)) == NULL)
		return NULL;
	while ((fn = n3_fn_next(ctx)) != NULL) {
		if (MREF_LE(fn->parent_directory) != dir ||
		    fn->file_name_type == FILE_NAME_DOS)
			continue;
		if (want != NULL && ntfs_names_are_equal(n3_fn_name(fn),
		    fn->file_name_length, want, wantlen, IGNORE_CASE,
		    p->nv->upcase, p->nv->upcase_len))
			exact = 1;
		else if (out != NULL)
			continue;
		free(out);
		out = xmalloc(fn->file_name_length * 2u + 2);
		memcpy(out, fn->file_name, fn->file_name_length * 2u);
		*lenp = fn->file_name_length;
		if (exact)
			break;
	}
	ntfs_attr_put_search_ctx(ctx);
	if (out == NULL)
		errno = ENOENT;
	return out;
}

/*
 * Move a name of nd in dir to another namespace (FILE_NAME_WIN32 for new
 * names, FILE_NAME_POSIX before deleting one), in the MFT record and in
 * the directory's index entry (both hold a copy of the FILE_NAME).
 */
static int
n3_set_namespace(struct n3_node *nd, struct n3_node *dir,
    const ntfschar *name, u8 len, u8 type)
{
	ntfs_attr_search_ctx	*actx;
	ntfs_index_context	*icx;
	FILE_NAME_ATTR		*fn, *fnx;
	int			 r = -1;

	if ((actx = ntfs_attr_get_search_ctx(nd->ni, NULL)) == NULL)
		return -1;
	while ((fn = n3_fn_next(actx)) != NULL) {
		if (MREF_LE(fn->parent_directory) == dir->mft &&
		    fn->file_name_length == len &&
		    memcmp(fn->file_name, name, len * 2u) == 0)
			break;
	}
	if (fn == NULL) {
		errno = ENOENT;
		goto out;
	}
	if ((icx = ntfs_index_ctx_get(dir->ni, NTFS_INDEX_I30, 4)) == NULL)
		goto out;
	if (ntfs_index_lookup(fn, (int)le32_to_cpu(actx->attr->value_length),
	    icx) == 0 && icx->data != NULL &&
	    icx->data_len >= sizeof(FILE_NAME_ATTR) &&
	    MREF_LE(icx->entry->indexed_file) == nd->mft) {
		fnx = icx->data;
		fn->file_name_type = type;
		fnx->file_name_type = type;
		ntfs_inode_mark_dirty(actx->ntfs_ino);
		ntfs_index_entry_mark_dirty(icx);
		r = 0;
	} else
		errno = EIO;
	ntfs_index_ctx_put(icx);
out:
	ntfs_attr_put_search_ctx(actx);
	return r;
}

static int
n3_set_win32(struct n3_node *nd, struct n3_node *dir, const ntfschar *name,
    u8 len)
{
	return n3_set_namespace(nd, dir, name, len, FILE_NAME_WIN32);
}

/*
 * ntfs_delete takes a Win32 name for half of a Win32 + DOS pair and
 * insists on finding the DOS half, failing with ENOENT when there is none.
 * A Win32 name without a DOS alias is what ntmend creates, and what
 * Windows creates on volumes with 8.3 names turned off; such a name is
 * moved to the POSIX namespace first, which ntfs_delete removes alone.
 */
static int
n3_prepare_delete(struct n3_node *nd, struct n3_node *dir,
    const ntfschar *name, u8 len)
{
	ntfs_attr_search_ctx	*ctx;
	FILE_NAME_ATTR		*fn;
	int			 win32 = 0, dos = 0;

	if ((ctx = ntfs_attr_get_search_ctx(nd->ni, NULL)) == NULL)
		return -1;
	while ((fn = n3_fn_next(ctx)) != NULL) {
		if (MREF_LE(fn->parent_directory) != dir->mft)
			continue;
		if (fn->file_name_type == FILE_NAME_DOS)
			dos = 1;
		else if (fn->file_name_type == FILE_NAME_WIN32 &&
		    fn->file_name_length == len &&
		    memcmp(fn->file_name, name, len * 2u) == 0)
			win32 = 1;
	}
	ntfs_attr_put_search_ctx(ctx);
	if (!win32 || dos)
		return 0;
	return n3_set_namespace(nd, dir, name, len, FILE_NAME_POSIX);
}

/* A name ntmend may give a new file: what Win32 accepts (no "*?:<>|\/",
 * no trailing dot or space, not CON, NUL, COM1...). */
static ntfschar *
n3_new_name(struct n3 *p, const char *path, const char *name, u8 *lenp,
    char **cause)
{
	ntfschar	*u;

	if ((u = n3_name16(name, lenp)) == NULL) {
		set_cause(cause, "%s: %s", path, errno == EILSEQ ?
		    "not valid UTF-8" : "the name is empty or too long");
		return NULL;
	}
	if (ntfs_forbidden_names(p->nv, u, *lenp, TRUE)) {
		free(u);
		errno = EINVAL;
		set_cause(cause, "%s: \"%s\" is not a valid Windows file name",
		    path, name);
		return NULL;
	}
	return u;
}

/* The security id a new child of dir inherits. */
static le32
n3_inherit(struct n3 *p, struct n3_node *dir, int isdir, const char *path,
    char **cause)
{
	le32	id;

	if (!p->secure) {
		errno = EOPNOTSUPP;
		set_cause(cause, "%s: the volume's $Secure cannot be opened, "
		    "so a new file could not inherit its security "
		    "descriptor; nothing was created", path);
		return const_cpu_to_le32(0);
	}
	errno = 0;
	id = ntfs_inherited_id(&p->scx, dir->ni, isdir ? TRUE : FALSE);
	if (id == const_cpu_to_le32(0)) {
		if (errno == 0)
			errno = EIO;
		set_cause(cause, "%s: cannot work out the security descriptor "
		    "the parent directory passes on: %s%s; nothing was "
		    "created", path, strerror(errno), n3_logtail());
	}
	return id;
}

static void
n3_update_free(struct vol *vol)
{
	ntfs_volume	*nv = N3(vol)->nv;

	if (nv->free_clusters >= 0)
		vol->free = (uint64_t)nv->free_clusters * nv->cluster_size;
}

/* Operations. */

static int
n3_is_wof(struct n3_node *nd, uint32_t *tagp)
{
	static const char	 wof[] = "WofCompressedData";
	ntfschar		 uwof[sizeof wof - 1];
	uint8_t			*rp;
	s64			 sz;
	uint32_t		 tag = 0;
	size_t			 i;
	int			 r = 0;

	if (nd->ni->flags & FILE_ATTR_REPARSE_POINT) {
		rp = ntfs_attr_readall(nd->ni, AT_REPARSE_POINT, AT_UNNAMED,
		    0, &sz);
		if (rp != NULL && sz >= 4)
			tag = le32dec(rp);
		free(rp);
	}
	if (tag == VOL_REPARSE_WOF)
		r = 1;
	else if (!n3_is_dir(nd)) {
		for (i = 0; i < sizeof uwof / sizeof uwof[0]; i++)
			uwof[i] = cpu_to_le16((u16)wof[i]);
		if (ntfs_attr_exist(nd->ni, AT_DATA, uwof,
		    sizeof uwof / sizeof uwof[0]))
			r = 1;
	}
	if (tagp != NULL)
		*tagp = tag;
	return r;
}

/*
 * The fingerprint (ntfs.h): fields Windows' NTFS changes when it writes a
 * file (the times and USN with the data, the LSN with any logged change of
 * the record), taken from the inode as libntfs-3g keeps it, which is what
 * its next sync writes: the record's bytes in memory still hold the old
 * $STANDARD_INFORMATION until then, and its update sequence number moves
 * with every write. The last access time is left out: reading is not
 * writing.
 */
static void
n3_fill_fp(struct n3_node *nd, struct vol_stat *sb)
{
	ntfs_inode	*ni = nd->ni;
	uint64_t	 v[11];

	v[0] = nd->mft;
	v[1] = le16_to_cpu(ni->mrec->sequence_number);
	v[2] = (uint64_t)sle64_to_cpu(ni->mrec->lsn);
	v[3] = (uint64_t)sle64_to_cpu(ni->creation_time);
	v[4] = (uint64_t)sle64_to_cpu(ni->last_data_change_time);
	v[5] = (uint64_t)sle64_to_cpu(ni->last_mft_change_time);
	v[6] = le32_to_cpu(ni->flags);
	v[7] = le64_to_cpu(ni->usn);
	v[8] = le32_to_cpu(ni->security_id);
	v[9] = sb->size;
	v[10] = sb->nlink;
	vol_fp_set(sb, v, sizeof v);
}

static void
n3_fill_stat(struct n3_node *nd, struct vol_stat *sb)
{
	ntfs_attr	*na;
	struct timespec	 ts;

	memset(sb, 0, sizeof *sb);
	sb->ino = nd->mft;
	sb->is_dir = n3_is_dir(nd);
	/* FILE_ATTRIBUTE_DIRECTORY is not kept in $STANDARD_INFORMATION. */
	sb->attrs = le32_to_cpu(nd->ni->flags) & 0xffffu &
	    ~(uint32_t)VOL_ATTR_DIRECTORY;
	if (sb->is_dir)
		sb->attrs |= VOL_ATTR_DIRECTORY;
	sb->nlink = n3_nlink(nd);
	sb->wof = n3_is_wof(nd, &sb->reparse_tag);
	if (!sb->is_dir) {
		if (nd->data != NULL)
			sb->size = (uint64_t)nd->data->data_size;
		else if ((na = ntfs_attr_open(nd->ni, AT_DATA, AT_UNNAMED,
		    0)) != NULL) {
			sb->size = (uint64_t)na->data_size;
			ntfs_attr_close(na);
		}
	}
	ts = ntfs2timespec(nd->ni->last_data_change_time);
	sb->mtime.tv_sec = ts.tv_sec;
	sb->mtime.tv_nsec = ts.tv_nsec;
	n3_fill_fp(nd, sb);
}

static int
n3_stat(struct vol *vol, const char *const *comp, size_t n,
    struct vol_stat *sb, char **cause)
{
	struct n3_node	*nd;

	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	n3_fill_stat(nd, sb);
	n3_node_put(N3(vol), nd, NULL);
	return 0;
}

static int
n3_file_attach(struct vol *vol, struct n3_node *nd, const char *path,
    struct vol_file *f, char **cause)
{
	struct n3	*p = N3(vol);
	ntfs_attr	*na;

	if (n3_is_dir(nd)) {
		errno = EISDIR;
		return set_cause(cause, "%s is a directory", path);
	}
	if (n3_is_wof(nd, NULL)) {
		errno = EOPNOTSUPP;
		return set_cause(cause, "%s is WOF-compressed (CompactOS): "
		    "its data is in a WofCompressedData stream that ntmend "
		    "cannot read or write", path);
	}
	if (nd->ni->flags & FILE_ATTR_ENCRYPTED) {
		errno = EACCES;
		return set_cause(cause, "%s is EFS-encrypted: ntmend cannot "
		    "read or write it", path);
	}
	if ((na = n3_node_data(nd)) == NULL) {
		return set_cause(cause, "%s: no data stream: %s%s", path,
		    strerror(errno), n3_logtail());
	}
	if (f->writable && NVolReadOnly(p->nv)) {
		errno = EROFS;
		return set_cause(cause, "%s: %s is open read-only", path,
		    vol->name);
	}
	nd->files++;
	f->priv = nd;
	f->size = (uint64_t)na->data_size;
	return 0;
}

static int
n3_file_open(struct vol *vol, const char *const *comp, size_t n, int flags,
    struct vol_file *f, char **cause)
{
	struct n3_node	*nd;
	char		*path;
	int		 e;

	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	path = vol_path_join(comp, n);
	if (n3_file_attach(vol, nd, path, f, cause) != 0) {
		e = errno;
		n3_node_put(N3(vol), nd, NULL);
		free(path);
		errno = e;
		return -1;
	}
	free(path);
	return 0;
}

static ssize_t
n3_file_pread(struct vol_file *f, void *buf, size_t len, uint64_t off)
{
	struct n3_node	*nd = f->priv;
	s64		 r;

	if (off >= (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (len > (size_t)SSIZE_MAX)
		len = (size_t)SSIZE_MAX;
	r = ntfs_attr_pread(nd->data, (s64)off, (s64)len, buf);
	return (ssize_t)r;
}

static ssize_t
n3_file_pwrite(struct vol_file *f, const void *buf, size_t len,
    uint64_t off)
{
	struct n3_node	*nd = f->priv;
	s64		 r;

	if (!f->writable || NVolReadOnly(N3(f->vol)->nv)) {
		errno = EROFS;
		return -1;
	}
	if (off >= (uint64_t)INT64_MAX) {
		errno = EINVAL;
		return -1;
	}
	if (len > (size_t)SSIZE_MAX)
		len = (size_t)SSIZE_MAX;
	r = ntfs_attr_pwrite(nd->data, (s64)off, (s64)len, buf);
	f->size = (uint64_t)nd->data->data_size;
	return (ssize_t)r;
}

static int
n3_file_truncate(struct vol_file *f, uint64_t size)
{
	struct n3_node	*nd = f->priv;

	if (!f->writable || NVolReadOnly(N3(f->vol)->nv)) {
		errno = EROFS;
		return -1;
	}
	if (size >= (uint64_t)INT64_MAX) {
		errno = EFBIG;
		return -1;
	}
	if (ntfs_attr_truncate(nd->data, (s64)size) != 0)
		return -1;
	f->size = (uint64_t)nd->data->data_size;
	return 0;
}

static int
n3_file_close(struct vol_file *f, char **cause)
{
	struct n3	*p = N3(f->vol);
	struct n3_node	*nd = f->priv;
	u64		 mft;

	if (nd == NULL)
		return 0;
	f->priv = NULL;
	mft = nd->mft;
	/*
	 * ntfs_attr_pwrite and ntfs_attr_truncate leave the times alone;
	 * Windows tools (and ntmend's own comparisons) look at them. The
	 * index entries in the parent directories hold a copy of the size
	 * and times: FileNameDirty makes the close rewrite them.
	 */
	if (f->written) {
		ntfs_inode_update_times(nd->ni, NTFS_UPDATE_AMCTIME);
		NInoFileNameSetDirty(nd->ni);
	}
	nd->files--;
	if (n3_node_put(p, nd, NULL) != 0) {
		return set_cause(cause, "writing MFT record %llu failed: "
		    "%s%s", (unsigned long long)mft, strerror(errno),
		    n3_logtail());
	}
	if (f->written)
		n3_update_free(f->vol);
	return 0;
}

/*
 * Create a file or directory named comp[n-1] in its parent. With keep,
 * the new node stays open for the caller (*keep, one reference): a file
 * about to be written is not written out, opened and read in again
 * first. Its last close updates its entry in the parent, which no
 * operation holds then.
 */
static int
n3_create(struct vol *vol, const char *const *comp, size_t n, int isdir,
    u64 *mrefp, struct n3_node **keep, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*dir = NULL, *nd;
	ntfs_inode	*ni;
	ntfschar	*u = NULL;
	char		*path;
	le32		 securid;
	u64		 mref;
	u8		 len;
	int		 e;

	path = vol_path_join(comp, n);
	if (NVolReadOnly(p->nv)) {
		e = EROFS;
		set_cause(cause, "%s: %s is open read-only", path, vol->name);
		goto fail;
	}
	if (n3_walk_parent(vol, comp, n, &dir, cause) != 0) {
		e = errno;
		goto fail;
	}
	if ((u = n3_new_name(p, path, comp[n - 1], &len, cause)) == NULL) {
		e = errno;
		goto fail;
	}
	if (n3_lookup16(p, dir, u, len, &mref) == 0) {
		e = EEXIST;
		set_cause(cause, "%s exists", path);
		goto fail;
	}
	if (errno != ENOENT) {
		e = errno;
		set_cause(cause, "%s: cannot look up: %s", path, strerror(e));
		goto fail;
	}
	if ((securid = n3_inherit(p, dir, isdir, path, cause)) == 0) {
		e = errno;
		goto fail;
	}
	n3_log_reset();
	ni = ntfs_create(dir->ni, securid, u, len, isdir ? S_IFDIR : S_IFREG);
	if (ni == NULL) {
		e = errno;
		set_cause(cause, "%s: cannot create: %s%s", path, strerror(e),
		    n3_logtail());
		goto fail;
	}
	n3_names_added(p, dir->mft, u, len, MK_MREF(ni->mft_no,
	    le16_to_cpu(ni->mrec->sequence_number)));
	/* The directory's entry is written, the new record not yet. */
	kill_point("create-named");
	nd = xcalloc(1, sizeof *nd);
	nd->ni = ni;
	nd->mft = ni->mft_no;
	nd->refs = 1;
	nd->next = p->nodes;
	p->nodes = nd;
	if (n3_set_win32(nd, dir, u, len) != 0) {
		e = errno;
		set_cause(cause, "%s: created, but its name could not be "
		    "moved to the Win32 namespace: %s%s", path, strerror(e),
		    n3_logtail());
		n3_node_put(p, nd, dir);
		goto fail;
	}
	ntfs_inode_update_times(dir->ni, NTFS_UPDATE_MCTIME);
	*mrefp = n3_mref(nd);
	/*
	 * ntfs_create has written the directory's index entry but not the
	 * new MFT record (libntfs-3g writes an inode when it is synced or
	 * closed): a file kept open to be written is synced now, or a kill
	 * while its bytes are written would leave a name whose record has
	 * no name, which neither Windows nor an undo can open (chkdsk).
	 */
	if (keep != NULL && ntfs_inode_sync(nd->ni) != 0) {
		e = errno;
		set_cause(cause, "%s: cannot write the new MFT record: %s%s",
		    path, strerror(e), n3_logtail());
		n3_node_put(p, nd, dir);
		goto fail;
	}
	if (keep != NULL)
		*keep = nd;
	else if (n3_node_put(p, nd, dir) != 0) {
		e = errno;
		set_cause(cause, "%s: cannot write the new MFT record: %s%s",
		    path, strerror(e), n3_logtail());
		goto fail;
	}
	if (n3_node_put(p, dir, NULL) != 0) {
		dir = NULL;
		e = errno;
		set_cause(cause, "%s: cannot write the parent directory: %s%s",
		    path, strerror(e), n3_logtail());
		goto fail;
	}
	n3_update_free(vol);
	free(u);
	free(path);
	return 0;

fail:
	n3_node_put(p, dir, NULL);
	if (keep != NULL && *keep != NULL) {
		n3_node_put(p, *keep, NULL);
		*keep = NULL;
	}
	free(u);
	free(path);
	errno = e;
	return -1;
}

static int
n3_file_create(struct vol *vol, const char *const *comp, size_t n,
    struct vol_file *f, char **cause)
{
	struct n3_node	*nd = NULL;
	char		*path;
	u64		 mref;
	int		 e;

	if (n3_create(vol, comp, n, 0, &mref, &nd, cause) != 0)
		return -1;
	path = vol_path_join(comp, n);
	if (n3_file_attach(vol, nd, path, f, cause) != 0) {
		e = errno;
		n3_node_put(N3(vol), nd, NULL);
		free(path);
		errno = e;
		return -1;
	}
	free(path);
	return 0;
}

static int
n3_mkdir(struct vol *vol, const char *const *comp, size_t n, char **cause)
{
	u64	mref;

	return n3_create(vol, comp, n, 1, &mref, NULL, cause);
}

/* Listing: entries are collected first and handed out with the directory
 * closed, so that the callback may use the volume (stat, open, even
 * delete) without changing an index being walked. */
struct n3_ent {
	char		*name;
	u64		 mref;
	int		 is_dir;	/* -1: a reparse point, ask the inode */
};

struct n3_listctx {
	struct n3_ent	*ents;
	size_t		 n, cap;
	int		 root;
	int		 full;
};

static int
n3_list_fill(void *arg, const ntfschar *name, const int len, const int type,
    const s64 pos, const MFT_REF mref, const unsigned dt)
{
	struct n3_listctx	*c = arg;
	struct n3_ent		*e;

	/* pos 0 and 1 are the "." and ".." ntfs_readdir makes up. */
	if (pos < 2 || type == FILE_NAME_DOS || len <= 0)
		return 0;
	if (c->root && MREF(mref) < FILE_first_user)
		return 0;	/* $MFT, $LogFile, ...: NTFS's own */
	if (c->n >= NTM_MAX_DIR_ENTRIES) {
		c->full = 1;
		return 0;
	}
	if (c->n == c->cap) {
		c->cap = c->cap == 0 ? 64 : c->cap * 2;
		c->ents = xreallocarray(c->ents, c->cap, sizeof *c->ents);
	}
	e = &c->ents[c->n++];
	e->name = utf16le_to_utf8(name, (size_t)len * 2);
	e->mref = mref;
	if (dt == NTFS_DT_DIR)
		e->is_dir = 1;
	else if (dt == NTFS_DT_REPARSE || dt == NTFS_DT_LNK ||
	    dt == NTFS_DT_UNKNOWN)
		e->is_dir = -1;
	else
		e->is_dir = 0;
	return 0;
}

static int
n3_list(struct vol *vol, const char *const *comp, size_t n, vol_list_cb cb,
    void *arg, char **cause)
{
	struct n3		*p = N3(vol);
	struct n3_node		*nd;
	struct n3_listctx	 c;
	struct vol_dirent	 de;
	char			*path;
	size_t			 i;
	s64			 pos = 0;
	int			 r = 0, e;

	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	memset(&c, 0, sizeof c);
	c.root = nd->mft == FILE_root;
	path = vol_path_join(comp, n);
	if (!n3_is_dir(nd)) {
		n3_node_put(p, nd, NULL);
		set_cause(cause, "%s is a file, not a directory", path);
		free(path);
		errno = ENOTDIR;
		return -1;
	}
	n3_log_reset();
	if (ntfs_readdir(nd->ni, &pos, &c, n3_list_fill) != 0) {
		e = errno;
		n3_node_put(p, nd, NULL);
		set_cause(cause, "%s: cannot read the directory: %s%s", path,
		    strerror(e), n3_logtail());
		r = -1;
		goto out;
	}
	n3_node_put(p, nd, NULL);
	if (c.full) {
		e = EFBIG;
		set_cause(cause, "%s: more than %d entries; the directory "
		    "index is probably damaged (run chkdsk /f)", path,
		    NTM_MAX_DIR_ENTRIES);
		r = -1;
		goto out;
	}
	for (i = 0; i < c.n && r == 0; i++) {
		if (c.ents[i].is_dir == -1) {
			c.ents[i].is_dir = 0;
			if ((nd = n3_node_get(p, c.ents[i].mref)) != NULL) {
				c.ents[i].is_dir = n3_is_dir(nd);
				n3_node_put(p, nd, NULL);
			}
		}
		de.name = c.ents[i].name;
		de.is_dir = c.ents[i].is_dir;
		de.ino = MREF(c.ents[i].mref);
		r = cb(&de, arg);
	}
	e = errno;
out:
	for (i = 0; i < c.n; i++)
		free(c.ents[i].name);
	free(c.ents);
	free(path);
	errno = e;
	return r;
}

static char *
n3_canonical(struct vol *vol, const char *const *comp, size_t n,
    char **cause)
{
	struct n3	 *p = N3(vol);
	struct n3_node	 *dir, *nd;
	ntfschar	 *u, *real;
	char		**names, *out = NULL, *path;
	size_t		  i;
	u64		  mref;
	u8		  len, rlen;
	int		  e = 0;

	if ((dir = n3_node_get(p, FILE_root)) == NULL) {
		set_cause(cause, "%s: cannot open the root directory: %s",
		    vol->name, strerror(errno));
		return NULL;
	}
	names = xcalloc(n + 1, sizeof *names);
	path = vol_path_join(comp, n);
	for (i = 0; i < n; i++) {
		if (!n3_is_dir(dir)) {
			e = ENOTDIR;
			set_cause(cause, "%s: %s is a file", path, names[i - 1]);
			goto out;
		}
		if ((u = n3_name16(comp[i], &len)) == NULL) {
			e = errno;
			set_cause(cause, "%s: bad name %s", path, comp[i]);
			goto out;
		}
		if (n3_lookup16(p, dir, u, len, &mref) != 0 ||
		    (nd = n3_node_get(p, mref)) == NULL) {
			e = errno;
			free(u);
			set_cause(cause, "%s: not found on %s", path,
			    vol->name);
			goto out;
		}
		real = n3_node_name(p, nd, dir->mft, u, len, &rlen);
		free(u);
		if (real == NULL) {
			e = EIO;
			n3_node_put(p, nd, NULL);
			set_cause(cause, "%s: MFT record %llu has no name in "
			    "its directory (run chkdsk /f)", path,
			    (unsigned long long)nd->mft);
			goto out;
		}
		names[i] = utf16le_to_utf8(real, rlen * 2u);
		free(real);
		n3_node_put(p, dir, NULL);
		dir = nd;
	}
	out = vol_path_join((const char *const *)names, n);
out:
	n3_node_put(p, dir, NULL);
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(path);
	if (out == NULL)
		errno = e;
	return out;
}

/*
 * Remove the name of nd in dir. ntfs_delete closes both inodes whatever
 * happens, so both must be held by this operation alone; their nodes are
 * dropped here. Paths cached through a directory may lead nowhere now; a
 * file's name is in no path, only in dir's listing.
 */
static int
n3_delete(struct n3 *p, struct n3_node *nd, struct n3_node *dir,
    const ntfschar *name, u8 len)
{
	u64	dmft = dir->mft;
	int	r, isdir = n3_is_dir(nd);

	if (nd->data != NULL) {
		ntfs_attr_close(nd->data);
		nd->data = NULL;
	}
	n3_node_unlink(p, nd);
	n3_node_unlink(p, dir);
	if (n3_prepare_delete(nd, dir, name, len) != 0) {
		/* ntfs_delete would have closed both; keep that promise. */
		ntfs_inode_close(nd->ni);
		ntfs_inode_close(dir->ni);
		free(nd);
		free(dir);
		if (isdir)
			n3_forget(p);
		else
			n3_forget_names_in(p, dmft);
		return -1;
	}
	r = ntfs_delete(p->nv, NULL, nd->ni, dir->ni, name, len);
	free(nd);
	free(dir);
	if (isdir)
		n3_forget(p);
	else
		n3_forget_names_in(p, dmft);
	return r;
}

/*
 * A name whose MFT record cannot be opened, or does not name it back: what
 * a kill between ntfs_create's index entry and the new record's first
 * write leaves (the record holds no name yet). For vol_unlink_made only
 * (a name the journal made): only the directory's entry is removed (the
 * record, if it is in use, is chkdsk's to reclaim); the entry is found by
 * listing the directory, for its exact name and namespace, and must point
 * at mref.
 */
struct n3_dangling {
	struct n3	*p;
	const ntfschar	*up;		/* the name, upcased */
	u8		 len;
	u64		 mref;
	FILE_NAME_ATTR	*keys[4];	/* its names in the index */
	int		 nkeys;
};

static int
n3_dangling_fill(void *arg, const ntfschar *name, const int len,
    const int type, const s64 pos, const MFT_REF mref, const unsigned dt)
{
	struct n3_dangling	*c = arg;
	FILE_NAME_ATTR		*fn;
	ntfschar		 up[NTFS_MAX_NAME_LEN];

	if (pos < 2 || len != c->len || mref != c->mref ||
	    c->nkeys == (int)(sizeof c->keys / sizeof c->keys[0]))
		return 0;
	memcpy(up, name, (size_t)len * 2);
	ntfs_name_upcase(up, (u32)len, c->p->nv->upcase, c->p->nv->upcase_len);
	if (memcmp(up, c->up, (size_t)len * 2) != 0)
		return 0;
	fn = xcalloc(1, sizeof *fn + (size_t)len * 2);
	fn->file_name_length = (u8)len;
	fn->file_name_type = (FILE_NAME_TYPE_FLAGS)type;
	memcpy(fn->file_name, name, (size_t)len * 2);
	c->keys[c->nkeys++] = fn;
	return 0;
}

static int
n3_drop_dangling(struct n3 *p, struct n3_node *dir, const ntfschar *u,
    u8 len, u64 mref)
{
	struct n3_dangling	 c;
	ntfschar		 up[NTFS_MAX_NAME_LEN];
	s64			 pos = 0;
	int			 i, r = 0;

	memcpy(up, u, (size_t)len * 2);
	ntfs_name_upcase(up, len, p->nv->upcase, p->nv->upcase_len);
	memset(&c, 0, sizeof c);
	c.p = p;
	c.up = up;
	c.len = len;
	c.mref = mref;
	if (ntfs_readdir(dir->ni, &pos, &c, n3_dangling_fill) != 0)
		return -1;
	if (c.nkeys == 0) {
		errno = ENOENT;
		return -1;
	}
	/* The inode given is for a reparse point's check only: the
	 * directory's is never one, so such an entry is refused. */
	for (i = 0; i < c.nkeys; i++) {
		if (r == 0 && ntfs_index_remove(dir->ni, dir->ni, c.keys[i],
		    (int)(sizeof *c.keys[i] + c.keys[i]->file_name_length *
		    2u)) != 0)
			r = -1;
		free(c.keys[i]);
	}
	n3_forget_names_in(p, dir->mft);
	return r;
}

static int
n3_unlink(struct vol *vol, const char *const *comp, size_t n, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*dir = NULL, *nd = NULL;
	ntfschar	*u = NULL, *real = NULL;
	char		*path;
	u64		 mref;
	u8		 len, rlen;
	int		 e;

	path = vol_path_join(comp, n);
	if (NVolReadOnly(p->nv)) {
		e = EROFS;
		set_cause(cause, "%s: %s is open read-only", path, vol->name);
		goto fail;
	}
	if (n3_walk_parent(vol, comp, n, &dir, cause) != 0) {
		e = errno;
		goto fail;
	}
	if ((u = n3_name16(comp[n - 1], &len)) == NULL ||
	    n3_lookup16(p, dir, u, len, &mref) != 0) {
		e = errno;
		set_cause(cause, "%s: not found on %s", path, vol->name);
		goto fail;
	}
	if ((nd = n3_node_get(p, mref)) == NULL) {
		e = errno;
		if (vol->unlink_made && (e == EIO || e == ENOENT))
			goto dangling;
		set_cause(cause, "%s: cannot open: %s", path, strerror(e));
		goto fail;
	}
	if (nd->mft < FILE_first_user) {
		e = EPERM;
		set_cause(cause, "%s is one of NTFS's own files", path);
		goto fail;
	}
	if (nd->files > 0 || nd->refs > 1 || dir->refs > 1) {
		e = EBUSY;
		set_cause(cause, "%s is open; close it first", path);
		goto fail;
	}
	if (n3_is_dir(nd) && ntfs_check_empty_dir(nd->ni) != 0) {
		e = errno;
		set_cause(cause, "%s: %s", path, e == ENOTEMPTY ?
		    "the directory is not empty" : strerror(e));
		goto fail;
	}
	if ((real = n3_node_name(p, nd, dir->mft, u, len, &rlen)) == NULL) {
		if (vol->unlink_made) {
			n3_node_put(p, nd, NULL);
			nd = NULL;
			goto dangling;
		}
		e = EIO;
		set_cause(cause, "%s: MFT record %llu has no long name in its "
		    "directory (run chkdsk /f)", path,
		    (unsigned long long)nd->mft);
		goto fail;
	}
	n3_log_reset();
	if (n3_delete(p, nd, dir, real, rlen) != 0) {
		e = errno;
		set_cause(cause, "%s: cannot delete: %s%s", path, strerror(e),
		    n3_logtail());
		nd = dir = NULL;
		goto fail;
	}
	n3_update_free(vol);
	free(real);
	free(u);
	free(path);
	return 0;

dangling:
	n3_log_reset();
	if (n3_drop_dangling(p, dir, u, len, mref) != 0) {
		e = errno == ENOENT ? EIO : errno;
		set_cause(cause, "%s: its MFT record %llu cannot be read or "
		    "does not name it, and the name cannot be removed: %s%s "
		    "(run chkdsk /f)", path, (unsigned long long)MREF(mref),
		    strerror(e), n3_logtail());
		goto fail;
	}
	n3_node_put(p, dir, NULL);
	free(u);
	free(path);
	return 0;

fail:
	n3_node_put(p, dir, NULL);
	n3_node_put(p, nd, NULL);
	free(real);
	free(u);
	free(path);
	errno = e;
	return -1;
}

/* Is dir the node nd or below it? (Moving a directory into itself.) The
 * ancestors are reached through the node table, which already holds some
 * of them. */
static int
n3_is_below(struct n3 *p, struct n3_node *dir, struct n3_node *nd)
{
	ntfs_attr_search_ctx	*ctx;
	FILE_NAME_ATTR		*fn;
	struct n3_node		*cur;
	u64			 parent;
	int			 depth;

	cur = dir;
	cur->refs++;
	for (depth = 0; depth < NTM_MAX_PATH_DEPTH * 4; depth++) {
		if (cur->mft == nd->mft || cur->mft == FILE_root)
			break;
		parent = FILE_root;
		if ((ctx = ntfs_attr_get_search_ctx(cur->ni, NULL)) != NULL) {
			if ((fn = n3_fn_next(ctx)) != NULL)
				parent = MREF_LE(fn->parent_directory);
			ntfs_attr_put_search_ctx(ctx);
		}
		n3_node_put(p, cur, NULL);
		if ((cur = n3_node_get(p, parent)) == NULL)
			return 1;
	}
	depth = cur->mft != FILE_root;
	n3_node_put(p, cur, NULL);
	return depth;
}

static int
n3_rename(struct vol *vol, const char *const *from, size_t nfrom,
    const char *const *to, size_t nto, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*odir = NULL, *ndir = NULL, *nd = NULL;
	ntfschar	*ou = NULL, *nu = NULL, *real = NULL;
	char		*fpath, *tpath;
	u64		 mref, other;
	u8		 olen, nlen, rlen;
	int		 e;

	fpath = vol_path_join(from, nfrom);
	tpath = vol_path_join(to, nto);
	if (NVolReadOnly(p->nv)) {
		e = EROFS;
		set_cause(cause, "%s: %s is open read-only", fpath, vol->name);
		goto fail;
	}
	if (n3_walk_parent(vol, from, nfrom, &odir, cause) != 0) {
		e = errno;
		goto fail;
	}
	if ((ou = n3_name16(from[nfrom - 1], &olen)) == NULL ||
	    n3_lookup16(p, odir, ou, olen, &mref) != 0 ||
	    (nd = n3_node_get(p, mref)) == NULL) {
		e = errno;
		set_cause(cause, "%s: not found on %s", fpath, vol->name);
		goto fail;
	}
	if (nd->mft < FILE_first_user) {
		e = EPERM;
		set_cause(cause, "%s is one of NTFS's own files", fpath);
		goto fail;
	}
	if (nd->files > 0 || nd->refs > 1) {
		e = EBUSY;
		set_cause(cause, "%s is open; close it first", fpath);
		goto fail;
	}
	if ((real = n3_node_name(p, nd, odir->mft, ou, olen, &rlen)) == NULL) {
		e = EIO;
		set_cause(cause, "%s: MFT record %llu has no long name in its "
		    "directory (run chkdsk /f)", fpath,
		    (unsigned long long)nd->mft);
		goto fail;
	}
	if (n3_walk_parent(vol, to, nto, &ndir, cause) != 0) {
		e = errno;
		goto fail;
	}
	if (n3_is_dir(nd) && n3_is_below(p, ndir, nd)) {
		e = EINVAL;
		set_cause(cause, "%s -> %s: a directory cannot move into "
		    "itself", fpath, tpath);
		goto fail;
	}
	if ((nu = n3_new_name(p, tpath, to[nto - 1], &nlen, cause)) == NULL) {
		e = errno;
		goto fail;
	}
	if (n3_lookup16(p, ndir, nu, nlen, &other) == 0) {
		/* Only a change of case of the same name may proceed. */
		if (MREF(other) != nd->mft || ndir != odir) {
			e = EEXIST;
			set_cause(cause, "%s exists", tpath);
			goto fail;
		}
		if (nlen == rlen && memcmp(nu, real, nlen * 2u) == 0)
			goto done;
	} else if (errno != ENOENT) {
		e = errno;
		set_cause(cause, "%s: cannot look up: %s", tpath,
		    strerror(e));
		goto fail;
	}

	/*
	 * A new name first, then the old one removed: at no point is the
	 * file without a name, which is how libntfs-3g's FUSE driver
	 * renames too.
	 */
	n3_log_reset();
	if (ntfs_link(nd->ni, ndir->ni, nu, nlen) != 0) {
		e = errno;
		set_cause(cause, "%s -> %s: %s%s", fpath, tpath, strerror(e),
		    n3_logtail());
		goto fail;
	}
	if (n3_is_dir(nd))
		n3_forget(p);
	else
		n3_names_added(p, ndir->mft, nu, nlen, n3_mref(nd));
	if (n3_set_win32(nd, ndir, nu, nlen) != 0) {
		e = errno;
		set_cause(cause, "%s -> %s: the new name could not be moved to "
		    "the Win32 namespace: %s", fpath, tpath, strerror(e));
		goto fail;
	}
	ntfs_inode_update_times(ndir->ni, NTFS_UPDATE_MCTIME);
	ntfs_inode_update_times(nd->ni, NTFS_UPDATE_CTIME);
	/* ntfs_delete closes nd and odir; the new directory goes first. */
	if (ndir != odir) {
		if (n3_node_put(p, ndir, odir) != 0) {
			ndir = NULL;
			e = errno;
			set_cause(cause, "%s -> %s: cannot write the directory: "
			    "%s", fpath, tpath, strerror(e));
			goto fail;
		}
	} else
		ndir->refs--;
	ndir = NULL;
	if (n3_delete(p, nd, odir, real, rlen) != 0) {
		nd = odir = NULL;
		e = errno;
		set_cause(cause, "%s -> %s: the new name is made but the old "
		    "one could not be removed: %s%s", fpath, tpath,
		    strerror(e), n3_logtail());
		goto fail;
	}
	nd = odir = NULL;
done:
	n3_node_put(p, ndir, odir);
	n3_node_put(p, odir, NULL);
	n3_node_put(p, nd, NULL);
	free(ou);
	free(nu);
	free(real);
	free(fpath);
	free(tpath);
	return 0;

fail:
	/* Directories first, the new one through the old (see the rule at
	 * the top of this file), then the file, whose close may open both. */
	n3_node_put(p, ndir, odir);
	n3_node_put(p, odir, NULL);
	n3_node_put(p, nd, NULL);
	free(ou);
	free(nu);
	free(real);
	free(fpath);
	free(tpath);
	errno = e;
	return -1;
}

static int
n3_link(struct vol *vol, const char *const *from, size_t nfrom,
    const char *const *to, size_t nto, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*dir = NULL, *nd = NULL;
	ntfschar	*u = NULL;
	char		*fpath, *tpath;
	u64		 mref;
	u8		 len;
	int		 e;

	fpath = vol_path_join(from, nfrom);
	tpath = vol_path_join(to, nto);
	if (NVolReadOnly(p->nv)) {
		e = EROFS;
		set_cause(cause, "%s: %s is open read-only", tpath, vol->name);
		goto fail;
	}
	if (n3_walk(vol, from, nfrom, &nd, cause) != 0) {
		e = errno;
		goto fail;
	}
	if (n3_is_dir(nd)) {
		e = EPERM;
		set_cause(cause, "%s is a directory; only files can have hard "
		    "links", fpath);
		goto fail;
	}
	if (nd->mft < FILE_first_user) {
		e = EPERM;
		set_cause(cause, "%s is one of NTFS's own files", fpath);
		goto fail;
	}
	if (n3_walk_parent(vol, to, nto, &dir, cause) != 0) {
		e = errno;
		goto fail;
	}
	if ((u = n3_new_name(p, tpath, to[nto - 1], &len, cause)) == NULL) {
		e = errno;
		goto fail;
	}
	if (n3_lookup16(p, dir, u, len, &mref) == 0) {
		e = EEXIST;
		set_cause(cause, "%s exists", tpath);
		goto fail;
	}
	if (errno != ENOENT) {
		e = errno;
		set_cause(cause, "%s: cannot look up: %s", tpath, strerror(e));
		goto fail;
	}
	n3_log_reset();
	if (ntfs_link(nd->ni, dir->ni, u, len) != 0) {
		e = errno;
		set_cause(cause, "%s -> %s: cannot link: %s%s", fpath, tpath,
		    strerror(e), n3_logtail());
		goto fail;
	}
	n3_names_added(p, dir->mft, u, len, n3_mref(nd));
	if (n3_set_win32(nd, dir, u, len) != 0) {
		e = errno;
		set_cause(cause, "%s: linked, but the name could not be moved "
		    "to the Win32 namespace: %s", tpath, strerror(e));
		goto fail;
	}
	ntfs_inode_update_times(nd->ni, NTFS_UPDATE_CTIME);
	ntfs_inode_update_times(dir->ni, NTFS_UPDATE_MCTIME);
	/* The directory first: the file has names elsewhere too, and its
	 * close opens every directory that holds one. */
	if (n3_node_put(p, dir, NULL) != 0) {
		dir = NULL;
		e = errno;
		set_cause(cause, "%s: cannot write the directory: %s%s", tpath,
		    strerror(e), n3_logtail());
		goto fail;
	}
	dir = NULL;
	if (n3_node_put(p, nd, NULL) != 0) {
		nd = NULL;
		e = errno;
		set_cause(cause, "%s: cannot write the MFT record: %s%s",
		    tpath, strerror(e), n3_logtail());
		goto fail;
	}
	free(u);
	free(fpath);
	free(tpath);
	return 0;

fail:
	n3_node_put(p, dir, NULL);
	n3_node_put(p, nd, NULL);
	free(u);
	free(fpath);
	free(tpath);
	errno = e;
	return -1;
}

static int
n3_sd_get(struct vol *vol, const char *const *comp, size_t n, void **sdp,
    size_t *lenp, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*nd;
	char		*buf = NULL, *path;
	int		 sz, r, e = 0;

	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	path = vol_path_join(comp, n);
	n3_log_reset();
	sz = ntfs_get_ntfs_acl(&p->scx, nd->ni, NULL, 0);
	if (sz <= 0) {
		e = sz < 0 ? -sz : ENODATA;
		set_cause(cause, "%s: no security descriptor: %s%s", path,
		    strerror(e), n3_logtail());
		goto out;
	}
	buf = xmalloc((size_t)sz);
	r = ntfs_get_ntfs_acl(&p->scx, nd->ni, buf, (size_t)sz);
	if (r != sz) {
		e = r < 0 ? -r : EIO;
		set_cause(cause, "%s: cannot read the security descriptor: "
		    "%s", path, strerror(e));
		free(buf);
		buf = NULL;
		goto out;
	}
	*sdp = buf;
	*lenp = (size_t)sz;
out:
	n3_node_put(p, nd, NULL);
	free(path);
	if (buf == NULL) {
		errno = e;
		return -1;
	}
	return 0;
}

static int
n3_sd_set(struct vol *vol, const char *const *comp, size_t n,
    const void *sd, size_t len, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*nd;
	char		*path;
	int		 r = 0, e = 0;

	if (NVolReadOnly(p->nv)) {
		errno = EROFS;
		return set_cause(cause, "%s is open read-only", vol->name);
	}
	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	path = vol_path_join(comp, n);
	n3_log_reset();
	if (ntfs_set_ntfs_acl(&p->scx, nd->ni, sd, len, 0) != 0) {
		e = errno;
		set_cause(cause, "%s: cannot set the security descriptor "
		    "(%zu bytes): %s%s", path, len, strerror(e),
		    n3_logtail());
		r = -1;
	} else
		ntfs_inode_update_times(nd->ni, NTFS_UPDATE_CTIME);
	if (n3_node_put(p, nd, NULL) != 0 && r == 0) {
		e = errno;
		set_cause(cause, "%s: cannot write the MFT record: %s", path,
		    strerror(e));
		r = -1;
	}
	free(path);
	errno = e;
	return r;
}

static int
n3_attrs_set(struct vol *vol, const char *const *comp, size_t n,
    uint32_t attrs, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*nd;
	char		*path;
	uint32_t	 mask = VOL_ATTR_READONLY | VOL_ATTR_HIDDEN |
			    VOL_ATTR_SYSTEM | VOL_ATTR_ARCHIVE, now;
	le32		 val;
	int		 r = 0, e = 0;

	if (NVolReadOnly(p->nv)) {
		errno = EROFS;
		return set_cause(cause, "%s is open read-only", vol->name);
	}
	if (n3_walk(vol, comp, n, &nd, cause) != 0)
		return -1;
	path = vol_path_join(comp, n);
	now = le32_to_cpu(nd->ni->flags);
	val = cpu_to_le32((now & ~mask) | (attrs & mask));
	n3_log_reset();
	if (ntfs_set_ntfs_attrib(nd->ni, (const char *)&val, sizeof val,
	    0) != 0) {
		e = errno;
		set_cause(cause, "%s: cannot set attributes 0x%x: %s%s", path,
		    attrs, strerror(e), n3_logtail());
		r = -1;
	} else {
		ntfs_inode_update_times(nd->ni, NTFS_UPDATE_CTIME);
		NInoFileNameSetDirty(nd->ni);
	}
	if (n3_node_put(p, nd, NULL) != 0 && r == 0) {
		e = errno;
		set_cause(cause, "%s: cannot write the MFT record: %s", path,
		    strerror(e));
		r = -1;
	}
	free(path);
	errno = e;
	return r;
}

static int
n3_sync(struct vol *vol, char **cause)
{
	struct n3	*p = N3(vol);
	struct n3_node	*nd;
	int		 r = 0;

	for (nd = p->nodes; nd != NULL; nd = nd->next) {
		if (ntfs_inode_sync(nd->ni) != 0 && r == 0) {
			set_cause(cause, "%s: writing MFT record %llu failed: "
			    "%s", vol->name, (unsigned long long)nd->mft,
			    strerror(errno));
			r = -1;
		}
	}
	if (r == 0 && ntfs_device_sync(p->nv->dev) != 0)
		r = set_cause(cause, "%s: %s", vol->name, strerror(errno));
	return r;
}

/* Unmount and free everything; the struct vol stays. */
static void
n3_teardown(struct n3 *p)
{
	struct n3_node	*nd;
	void		*devdata;

	/* Files the caller left open are written out, not lost. */
	while ((nd = p->nodes) != NULL) {
		p->nodes = nd->next;
		if (nd->data != NULL)
			ntfs_attr_close(nd->data);
		ntfs_inode_close(nd->ni);
		free(nd);
	}
	n3_forget(p);
	if (p->scx_ready) {
		ntfs_destroy_security_context(&p->scx);
		p->scx_ready = 0;
	}
	if (p->nv != NULL) {
		devdata = p->nv->dev->d_private;
		ntfs_umount(p->nv, FALSE);
		vol_device_free_data(devdata);
		p->nv = NULL;
	}
}

static void
n3_close(struct vol *vol)
{
	struct n3	*p = N3(vol);

	if (p == NULL)
		return;
	n3_teardown(p);
	free(p);
	vol->priv = NULL;
}

static const struct vol_ops n3_ops = {
	.backend = "ntfs-3g",
	.close = n3_close,
	.stat = n3_stat,
	.file_open = n3_file_open,
	.file_pread = n3_file_pread,
	.file_pwrite = n3_file_pwrite,
	.file_truncate = n3_file_truncate,
	.file_close = n3_file_close,
	.file_create = n3_file_create,
	.list = n3_list,
	.canonical = n3_canonical,
	.mkdir = n3_mkdir,
	.rename = n3_rename,
	.unlink = n3_unlink,
	.link = n3_link,
	.sd_get = n3_sd_get,
	.sd_set = n3_sd_set,
	.attrs_set = n3_attrs_set,
	.sync = n3_sync,
};

/* Opening. */

/*
 * Is $LogFile clean? Windows replays it at the next mount; changes made
 * before that replay are overwritten by it. A version 2.0 restart page
 * means Windows 8 or later kept metadata in its cache (Fast Startup) or
 * lost power: libntfs-3g refuses those read-write for that reason too
 * (ntfs_volume_check_logfile in volume.c).
 */
static int
n3_logfile_unclean(ntfs_volume *nv)
{
	RESTART_PAGE_HEADER	*rp = NULL;
	ntfs_inode		*ni;
	ntfs_attr		*na;
	int			 unclean = 1;

	if ((ni = ntfs_inode_open(nv, FILE_LogFile)) == NULL)
		return 1;
	if ((na = ntfs_attr_open(ni, AT_DATA, AT_UNNAMED, 0)) != NULL) {
		if (ntfs_check_logfile(na, &rp) &&
		    ntfs_is_logfile_clean(na, rp))
			unclean = 0;
		if (rp != NULL && sle16_to_cpu(rp->major_ver) == 2 &&
		    sle16_to_cpu(rp->minor_ver) == 0)
			unclean = 1;
		free(rp);
		ntfs_attr_close(na);
	}
	ntfs_inode_close(ni);
	return unclean;
}

static void
n3_setup(struct vol *vol, ntfs_volume *nv)
{
	struct n3	*p = N3(vol);

	p->nv = nv;
	/* Real case from ntfs_readdir; lookups clear it per call. */
	NVolSetCaseSensitive(nv);
	/* Hidden files are files like any other here; NTFS's own
	 * ($MFT...) stay out of listings. */
	ntfs_set_shown_files(nv, FALSE, TRUE, FALSE);
	memset(&p->scx, 0, sizeof p->scx);
	p->scx.vol = nv;
	p->scx.pseccache = &p->seccache;
	p->scx.uid = 0;
	p->scx.gid = 0;
	p->scx_ready = 1;
	/* $Secure holds the descriptors most files point to by id. */
	p->secure = ntfs_open_secure(nv) == 0;
	vol->total = (uint64_t)nv->nr_clusters * nv->cluster_size;
	if (ntfs_volume_get_free_space(nv) == 0 && nv->free_clusters >= 0)
		vol->free = (uint64_t)nv->free_clusters * nv->cluster_size;
}

static ntfs_volume *
n3_mount(const struct vol_where *where, const char *name, int rdwr,
    unsigned long mflags, char **cause)
{
	struct ntfs_device	*dev;
	ntfs_volume		*nv;
	int			 e;

	dev = vol_device_new(where->path, where->offset, where->size, rdwr);
	n3_log_reset();
	if ((nv = ntfs_device_mount(dev, mflags)) == NULL) {
		e = errno;
		vol_device_free(dev);
		if (e == EBUSY) {
			set_cause(cause, "%s is in use (mounted, or open in "
			    "another program); unmount or close it first",
			    name);
		} else {
			set_cause(cause, "%s: libntfs-3g cannot open the NTFS "
			    "volume: %s%s; run chkdsk /f from Windows", name,
			    strerror(e), n3_logtail());
		}
		errno = e;
		return NULL;
	}
	return nv;
}

int
vol_ntfs3g_open(const struct vol_where *where, int flags, struct vol **vp,
    unsigned *statep, char **cause)
{
	static const char	 hib[] = "hiberfil.sys";
	const char		*hibcomp[] = { hib };
	struct ntfs_device	*dev;
	struct vol		*vol = NULL;
	struct n3		*p;
	ntfs_volume		*nv;
	uint8_t			 boot[512];
	unsigned		 state = 0;
	char			*name, *desc;
	int			 r, e, discard;

	n3_log_setup();
	*vp = NULL;
	if (where->index > 0)
		name = xprintf("%s@%d", where->path, where->index);
	else
		name = xstrdup(where->path);

	/* The boot sector says what the partition holds before libntfs-3g
	 * tries, so that BitLocker and other filesystems get a plain
	 * answer. */
	dev = vol_device_new(where->path, where->offset, where->size, 0);
	r = vol_device_peek(dev, boot, sizeof boot, 0);
	e = errno;
	vol_device_free(dev);
	if (r < 0) {
		if (e == ENXIO)
			set_cause(cause, "%s: the partition extends past the "
			    "end of %s (a truncated image?)", name,
			    where->path);
		else if (e == EBUSY)
			set_cause(cause, "%s is in use by another program "
			    "(mounted read-write?); close it first", name);
		else if (e == ENODEV)
			set_cause(cause, "%s is neither a disk image nor a "
			    "block device", name);
		else
			set_cause(cause, "%s: cannot read: %s", name,
			    strerror(e));
		goto fail_errno;
	}
	if (r < (int)sizeof boot) {
		state |= VOL_NOT_NTFS;
		set_cause(cause, "%s is not an NTFS volume (only %d bytes)",
		    name, r);
		e = EINVAL;
		goto fail_errno;
	}
	if (memcmp(boot + 3, "-FVE-FS-", 8) == 0) {
		state |= VOL_BITLOCKER;
		if (where->offset != 0)
			set_cause(cause, "%s is BitLocker-locked: attach it "
			    "(losetup -f --show -r -o %llu --sizelimit %llu "
			    "%s), unlock it with the recovery key (cryptsetup "
			    "bitlkOpen LOOPDEVICE NAME) and point ntmend at "
			    "/dev/mapper/NAME", name,
			    (unsigned long long)where->offset,
			    (unsigned long long)where->size, where->path);
		else
			set_cause(cause, "%s is BitLocker-locked: unlock it "
			    "with the recovery key (cryptsetup bitlkOpen %s "
			    "NAME) and point ntmend at /dev/mapper/NAME", name,
			    where->path);
		e = EACCES;
		goto fail_errno;
	}
	if (memcmp(boot + 3, "NTFS    ", 8) != 0) {
		state |= VOL_NOT_NTFS;
		set_cause(cause, "%s is not an NTFS volume (no NTFS boot "
		    "sector); pick the Windows partition", name);
		e = EINVAL;
		goto fail_errno;
	}

	/*
	 * Read-only first, always: the state decides whether writing is
	 * safe, and libntfs-3g must not touch the volume (reset $LogFile,
	 * set flags) before that is known.
	 */
	if ((nv = n3_mount(where, name, 0, NTFS_MNT_RDONLY, cause)) == NULL) {
		e = errno;
		goto fail_errno;
	}
	vol = xcalloc(1, sizeof *vol);
	vol->ops = &n3_ops;
	vol->name = name;
	name = NULL;
	vol->priv = p = xcalloc(1, sizeof *p);
	n3_setup(vol, nv);
	vol->label = xstrdup(nv->vol_name != NULL ? nv->vol_name : "");
	if (nv->flags & VOLUME_IS_DIRTY)
		state |= VOL_DIRTY;
	if (n3_logfile_unclean(nv))
		state |= VOL_LOGFILE_UNCLEAN;
	vol->state = state;
	vol_check_hiberfile(vol);
	state = vol->state;

	if (!(flags & VOL_RDWR)) {
		vol->state |= VOL_READONLY;
		*statep = vol->state;
		*vp = vol;
		return 0;
	}

	discard = (state & VOL_HIBERNATED) &&
	    (flags & VOL_DISCARD_HIBERNATION);
	desc = vol_state_describe(state, vol->hiber_sig);
	if ((state & VOL_HIBERNATED) && !discard) {
		set_cause(cause, "%s is %s: writing now would be lost or "
		    "corrupt the saved session; boot Windows and shut it "
		    "down fully (shutdown /s /t 0, or turn Fast Startup "
		    "off), or discard the hibernated session", vol->name,
		    desc);
		e = EPERM;
		free(desc);
		goto fail_vol;
	}
	if (state & VOL_LOGFILE_UNCLEAN) {
		set_cause(cause, "%s: Windows did not shut down cleanly (%s); "
		    "its $LogFile would undo changes made now: boot Windows "
		    "and shut it down fully, or run chkdsk /f", vol->name,
		    desc);
		e = EPERM;
		free(desc);
		goto fail_vol;
	}
	if ((state & VOL_DIRTY) && !(flags & VOL_ALLOW_DIRTY)) {
		set_cause(cause, "%s: the NTFS dirty flag is set (chkdsk is "
		    "due): run chkdsk /f from Windows first, or allow "
		    "writing to a dirty volume explicitly", vol->name);
		e = EPERM;
		free(desc);
		goto fail_vol;
	}
	free(desc);

	/*
	 * Read-write for real. Never NTFS_MNT_MAY_RDONLY: with it libntfs-3g
	 * falls back to read-only on a hibernated volume and then every
	 * write "succeeds" without a byte reaching the disk.
	 */
	n3_teardown(p);
	nv = n3_mount(where, vol->name, 1,
	    discard ? NTFS_MNT_IGNORE_HIBERFILE : 0, cause);
	if (nv == NULL) {
		e = errno;
		goto fail_vol;
	}
	n3_setup(vol, nv);
	if (NVolReadOnly(nv)) {
		set_cause(cause, "%s: libntfs-3g opened the volume read-only "
		    "although read-write was asked%s; nothing will be "
		    "written", vol->name, n3_logtail());
		e = EROFS;
		goto fail_vol;
	}
	vol->writable = 1;
	if (discard) {
		/* The operator chose to lose the saved session. */
		if (n3_unlink(vol, hibcomp, 1, cause) != 0) {
			e = errno;
			goto fail_vol;
		}
		vol->state &= ~VOL_HIBERNATED;
		vol_check_hiberfile(vol);
		if (vol->state & VOL_HIBERNATED) {
			set_cause(cause, "%s: hiberfil.sys is still there "
			    "after deleting it", vol->name);
			e = EIO;
			goto fail_vol;
		}
	}
	*statep = state;
	*vp = vol;
	return 0;

fail_vol:
	*statep = state;
	vol_close(vol);
	errno = e;
	return -1;

fail_errno:
	free(name);
	*statep = state;
	errno = e;
	return -1;
}
