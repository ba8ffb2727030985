/*
 * packages.h: servicing. Package manifests (.mum), the CBS package
 * inventory (the SOFTWARE and COMPONENTS hives against
 * Windows\servicing\Packages), known-good archives, update staging.
 *
 * Nothing here prints: results are structures the caller formats.
 * Errors: int 0 / -1 with *cause (caller frees) when cause is not NULL.
 */
#ifndef NTM_PACKAGES_H
#define NTM_PACKAGES_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct hive;
struct vol;

/* mum.c: package manifests (.mum). */
#define NTM_MAX_MUM		((size_t)64 << 20)	/* bytes: an LCU's
							   update.mum runs to a
							   few MB (testdata's
							   24H2 KB5068861 copy is
							   cut at 293804 bytes
							   and was longer);
							   package .mum files
							   are a few KiB */
#define NTM_MAX_MUM_DEPTH	64			/* element nesting; a
							   real .mum nests 6
							   deep (assembly,
							   package, update,
							   applicable,
							   detectUpdate, update)
							   */
#define NTM_MAX_MUM_ITEMS	65536			/* kept per list
							   (updates, members,
							   parents, ...); an LCU
							   lists a few thousand
							   updates; more are
							   counted in dropped */
#define NTM_MAX_MUM_REASON	200			/* bytes of a libxml2
							   message kept in a
							   cause */

/* The servicing stack version a combined SSU+LCU (Windows 10 since 2021)
 * names in installerAssembly: "any stack", not a requirement. */
#define MUM_SS_PLACEHOLDER	"6.0.0.0"

/* <assemblyIdentity>: missing attributes are NULL. */
struct mum_identity {
	char		*name;
	char		*version;
	char		*arch;		/* processorArchitecture */
	char		*language;	/* "neutral", "zh-CN", ... */
	char		*token;		/* publicKeyToken */
	char		*build_type;	/* "release" */
};

/* <parent>: the package this one attaches to (one or several
 * identities: Windows 8.1 language packs list three). */
struct mum_parent {
	char		*disposition;	/* "detect", or NULL */
	char		*integrate;	/* "separate", "delegate",
					   "standalone", or NULL */
	char		*build_compare;	/* "EQ", "GE", or NULL */
	char		*revision_compare;
	struct mum_identity *ids;
	size_t		 nids;
};

enum mum_member_kind {
	MUM_MEMBER_COMPONENT,		/* <component>: a WinSxS component */
	MUM_MEMBER_PACKAGE,		/* <package>: a child package */
	MUM_MEMBER_DRIVER,		/* <driver> */
	MUM_MEMBER_UPDATE_COMPONENT	/* <applicable><updateComponent>:
					   Windows 7/8 style */
};

struct mum_member {
	enum mum_member_kind kind;
	struct mum_identity id;
};

/* <update> directly under <package>: a selectable unit of the package. */
struct mum_update {
	char		*name;
	char		*restart;	/* "required", "possible", or NULL */
	char		*disposition;	/* of its <applicable>/<selectable>:
					   "detect", "staged", or NULL */
	int		 selectable;	/* has <selectable> */
	size_t		 first;		/* its members: members[first] .. */
	size_t		 nmembers;	/* ... [first + nmembers - 1] */
};

struct mum {
	struct mum_identity identity;	/* the package's own */
	char		*display_name;	/* <assembly> attributes */
	char		*description;
	char		*support_info;
	char		*created;	/* creationTimeStamp */
	char		*package_id;	/* <package identifier=>: "KB5033372"
					   or a name */
	char		*release_type;	/* "Security Update", "Update",
					   "Feature Pack", "Language Pack",
					   "Foundation", "OnDemand Pack", ... */
	char		*restart;	/* "required", "possible", NULL */
	char		*permanence;	/* "permanent", "removable", NULL */
	char		*self_update;	/* "true", NULL */
	char		*target_partition; /* "mainos", NULL */
	char		*applicability_evaluation; /* NULL if not stated */
	struct mum_parent *parents;
	size_t		 nparents;
	struct mum_identity *dependencies; /* <dependency> identities */
	size_t		 ndependencies;
	struct mum_identity *installers; /* <installerAssembly> */
	size_t		 ninstallers;
	const char	*ss_required;	/* version of the installerAssembly
					   Microsoft-Windows-ServicingStack
					   (borrowed from installers[]), NULL
					   when none; MUM_SS_PLACEHOLDER means
					   any */
	struct mum_update *updates;
	size_t		 nupdates;
	struct mum_member *members;	/* of all updates, in order */
	size_t		 nmembers;
	char		**capabilities;	/* declareCapability names */
	size_t		 ncapabilities;
	int		 custom_info;	/* has mum2:customInformation */
	size_t		 dropped;	/* items over NTM_MAX_MUM_ITEMS */
};

/*
 * Parse a package manifest from memory. libxml2 reads it with no network,
 * no DTD and no entity expansion; a manifest with a DOCTYPE is refused
 * before its internal subset is read (no .mum has one). Refused, with a
 * one-line cause (what the package-manifest-corrupt finding shows):
 * empty, all zero bytes, not XML, malformed XML (libxml2's message with
 * its line), over NTM_MAX_MUM or NTM_MAX_MUM_DEPTH, a root other than
 * <assembly>, no <assemblyIdentity> with a name and version, no
 * <package>. Free with mum_free.
 */
int	 mum_parse(const void *buf, size_t len, struct mum **mp,
	     char **cause);
void	 mum_free(struct mum *);		/* NULL is fine */
/* The identity as CBS names the package (its key under Packages and its
 * file name): "name~token~arch~language~version", language "" when
 * neutral. Caller frees. */
char	*mum_identity_string(const struct mum_identity *);
/* Compare dotted versions numerically ("10.0.19041.3745" < "10.0.19041.
 * 3920"); missing parts count as 0, non-numeric parts compare as text. */
int	 mum_version_cmp(const char *, const char *);
/* "component", "package", "driver", "updateComponent"; static. */
const char *mum_member_kind_name(enum mum_member_kind);

/* cbs.c: the CBS package inventory. */
#define CBS_KEY		"Microsoft\\Windows\\CurrentVersion\\Component " \
			    "Based Servicing"
#define CBS_PACKAGES_DIR "Windows\\servicing\\Packages"

/* CurrentState as the registry stores it (CBS.log prints it in decimal):
 * Microsoft's "CBS Servicing States Chart" (TechNet tip of the day,
 * 2015-10-12). The negative ones are CbsApi's invalid ("but broken")
 * states and its Default. */
#define CBS_STATE_ABSENT		0x00
#define CBS_STATE_UNINSTALL_PENDING	0x05
#define CBS_STATE_RESOLVING		0x10
#define CBS_STATE_RESOLVED		0x20
#define CBS_STATE_STAGING		0x30
#define CBS_STATE_STAGED		0x40
#define CBS_STATE_SUPERSEDED		0x50
#define CBS_STATE_INSTALL_PENDING	0x60
#define CBS_STATE_PARTIALLY_INSTALLED	0x65
#define CBS_STATE_INSTALLED		0x70
#define CBS_STATE_PERMANENT		0x80
#define CBS_STATE_DEFAULT		0xfffffff0u	/* -16 */
#define CBS_STATE_INVALID_RESOLVED	0xffffffe0u	/* -32 */
#define CBS_STATE_INVALID_STAGED	0xffffffc0u	/* -64 */
#define CBS_STATE_INVALID_INSTALLED	0xffffff90u	/* -112 */
#define CBS_STATE_INVALID_PERMANENT	0xffffff80u	/* -128 */

/* "Installed", "Install Pending", ...; NULL for a value not in the
 * chart. Static. */
const char *cbs_state_name(uint32_t state);
/* A package's state for people: "Installed", "unknown (0x15)", "-"
 * without a CurrentState; caller frees. */
struct cbs_package;
char	*cbs_package_state(const struct cbs_package *);
/* Does CBS need the package's .mum and .cat in servicing\Packages in this
 * state (everything from Resolved up, pending and broken ones included)?
 * Absent, Resolving and Default ones need nothing. */
int	 cbs_state_needs_manifest(uint32_t state);
/* A state that waits for a reboot or an interrupted operation
 * (Uninstall Pending, Staging, Install Pending, Partially Installed). */
int	 cbs_state_is_pending(uint32_t state);

#define NTM_MAX_CBS_PACKAGES	(1 << 20)	/* keys under Packages: a
						   well-used Windows 10 has
						   5,000-15,000 */
#define NTM_MAX_CBS_MARKERS	1000		/* pending markers kept
						   (InFlight entries can be
						   thousands) */
#define NTM_MAX_CBS_DOWNLOADS	4096		/* SoftwareDistribution
						   \Download folders looked
						   into */

/* What the check of one file in servicing\Packages found. */
enum cbs_file_status {
	CBS_FILE_NOT_CHECKED,		/* the state needs no file */
	CBS_FILE_OK,
	CBS_FILE_MISSING,
	CBS_FILE_EMPTY,
	CBS_FILE_MALFORMED,		/* reason says why */
	CBS_FILE_MISMATCH,		/* a well-formed manifest of another
					   package */
	CBS_FILE_UNREADABLE		/* the volume layer failed */
};
/* "not-checked", "ok", "missing", "empty", "malformed", "mismatch",
 * "unreadable"; static. */
const char *cbs_file_status_name(enum cbs_file_status);

struct cbs_file {
	enum cbs_file_status status;
	char		*path;		/* on the volume */
	uint64_t	 size;
	char		*reason;	/* one line when not ok, else NULL */
};

#define CBS_ROLE_SSU	0x1	/* servicing stack update */
#define CBS_ROLE_LCU	0x2	/* cumulative update (Package_for_RollupFix) */

struct cbs_package {
	char		*name;		/* the key name: the identity */
	char		*version;	/* its last '~' field, or "" */
	uint32_t	 state;		/* CurrentState */
	int		 has_state;	/* a REG_DWORD CurrentState exists */
	uint32_t	 last_error;	/* LastError (an HRESULT) */
	int		 has_last_error;
	uint32_t	 visibility;	/* 1 visible, 2 hidden */
	int		 has_visibility;
	char		*install_name;	/* values, NULL when missing */
	char		*install_location;
	char		*install_client;
	time_t		 install_time;	/* InstallTimeHigh/Low, 0 */
	char		*release_type;	/* from the manifest, NULL */
	char		*package_id;	/* "KB5033372", from the manifest */
	char		*ss_required;	/* installerAssembly version, NULL */
	int		 role;		/* CBS_ROLE_* */
	struct cbs_file	 mum;
	struct cbs_file	 cat;
};

/* A sign of an unfinished servicing operation (servicing-pending). */
enum cbs_marker_kind {
	CBS_MARK_REBOOT_PENDING,	/* CBS\RebootPending */
	CBS_MARK_REBOOT_IN_PROGRESS,	/* CBS\RebootInProgress */
	CBS_MARK_PACKAGES_PENDING,	/* CBS\PackagesPending */
	CBS_MARK_SESSIONS_PENDING,	/* CBS\SessionsPending, non-zero */
	CBS_MARK_PACKAGE_STATE,		/* a package in a pending state */
	CBS_MARK_PENDING_XML,		/* WinSxS\pending.xml */
	CBS_MARK_INFLIGHT,		/* WinSxS\Temp\InFlight\... */
	CBS_MARK_PENDING_XML_ID,	/* COMPONENTS PendingXmlIdentifier */
	CBS_MARK_ADVANCED_INSTALLERS	/* COMPONENTS AdvancedInstallers-
					   NeedResolving non-zero */
};
/* "reboot-pending", ...; static. */
const char *cbs_marker_kind_name(enum cbs_marker_kind);

struct cbs_marker {
	enum cbs_marker_kind kind;
	char		*where;		/* "HKLM\SOFTWARE\...\RebootPending",
					   "Windows\WinSxS\pending.xml" */
	char		*detail;	/* one line: values, size; or NULL */
};

/* An update Windows Update downloaded and expanded but did not install:
 * SoftwareDistribution\Download\<id>\update.mum. */
struct cbs_download {
	char		*path;		/* of the update.mum */
	char		*identity;	/* mum_identity_string, or NULL when
					   the manifest is unusable */
	char		*package_id;	/* "KB5034122" */
	char		*release_type;
	char		*ss_required;	/* installerAssembly version */
	int		 needs_newer_ss; /* ss_required (not the placeholder)
					   is above the installed stack */
	char		*reason;	/* why the manifest is unusable */
};

struct cbs_inventory {
	struct cbs_package *pkgs;	/* sorted by name */
	size_t		 npkgs;
	size_t		 nchecked;	/* packages whose files were checked */
	size_t		 nproblems;	/* of those, with a .mum or .cat not
					   ok */
	char		*ss_version;	/* installed servicing stack: the
					   highest value name of CBS\Version,
					   NULL if none */
	char		*ss_path;	/* its data (the WinSxS directory) */
	char		*components_ss;	/* COMPONENTS ServicingStackVersions:
					   highest, "10.0.19041.3745", NULL */
	char		*last_wcp;	/* LastWCPVersionToAccessStore */
	ssize_t		 ssu;		/* pkgs index of the newest servicing
					   stack package, -1 */
	ssize_t		 lcu;		/* the newest installed cumulative
					   update (else the newest in any
					   state), -1 */
	struct cbs_marker *markers;	/* servicing-pending evidence */
	size_t		 nmarkers;
	size_t		 markers_total;	/* found, kept or not */
	struct cbs_download *downloads;
	size_t		 ndownloads;
	int		 has_components; /* the COMPONENTS hive was read */
	char		**warnings;	/* dirty hives replayed, hives that
					   cannot be read, limits reached */
	size_t		 nwarnings;
};

#define CBS_CHECK_ALL	0x1	/* check the files of every package, also
				   of those whose state needs none */

/*
 * Read the inventory of an open volume: every key under SOFTWARE
 * CBS\Packages with its values decoded, its .mum read once and parsed
 * (mum_parse) and its .cat's DER header checked when its state needs
 * them (all with CBS_CHECK_ALL); the servicing stack and latest LCU; the
 * pending markers of the SOFTWARE and COMPONENTS hives and the WinSxS
 * tree; downloaded updates. Fails only when the SOFTWARE hive or its CBS
 * key cannot be read. Free with cbs_inventory_free.
 */
int	 cbs_inventory_read(struct vol *, int flags, struct cbs_inventory *,
	     char **cause);
/* The same with hives the caller has checked out (a diagnosis shares one
 * checkout per hive between its checks): software is required,
 * components may be NULL. The hives stay the caller's. */
int	 cbs_inventory_read_hives(struct vol *, struct hive *software,
	     struct hive *components, int flags, struct cbs_inventory *,
	     char **cause);
void	 cbs_inventory_free(struct cbs_inventory *);
/* What the inventory shows wrong, one line each, for `packages check` and
 * the findings of DESIGN.md: package-manifest-corrupt (a package whose
 * state needs files, with its .mum or .cat not ok), servicing-pending
 * (each marker), ssu-missing (a downloaded update or a package not yet
 * installed that names a servicing stack above the installed one). */
#define CBS_FINDING_MANIFEST	"package-manifest-corrupt"
#define CBS_FINDING_PENDING	"servicing-pending"
#define CBS_FINDING_SSU		"ssu-missing"

struct cbs_problem {
	const char	*finding;	/* CBS_FINDING_*, static */
	ssize_t		 pkg;		/* index in pkgs, or -1 */
	const char	*path;		/* the file or key to blame, borrowed
					   from the inventory */
	uint64_t	 size;		/* of the file, when it is one */
	char		*detail;	/* one line */
};
/* The problems of an inventory, in the order above (caller frees with
 * cbs_problems_free); *n is 0 on a healthy installation. */
void	 cbs_problems(const struct cbs_inventory *, struct cbs_problem **,
	     size_t *n);
void	 cbs_problems_free(struct cbs_problem *, size_t n);
/* Check one manifest's bytes for the package called name (NULL: any):
 * sets f->status and f->reason (path and size are the caller's); *mp (if
 * mp is not NULL) gets the parsed manifest, or NULL when it is unusable
 * (caller frees with mum_free). */
void	 cbs_mum_check(const void *buf, size_t len, const char *name,
	     struct cbs_file *f, struct mum **mp);
/* Check a catalog (.cat) from its first bytes (head, at least 16 when
 * the file has them) and its size: a DER SEQUENCE whose length fits the
 * file, holding PKCS#7 SignedData. 0, or -1 with *reason. */
int	 cbs_cat_check(const void *head, size_t headlen, uint64_t size,
	     char **reason);

/*
 * golden.c, golden-*.c: known-good archives of servicing files. Captured
 * on a healthy PC of the same build (a tar.zst with ntmend's manifest
 * first), compared with and applied to a broken one; a plain zip, 7z or
 * tar of a folder copied from a working PC is accepted too. Archives come
 * from unknown machines: each is checked from its first entry to its last
 * before anything is written (golden-archive.c says what is refused).
 */
#define GOLDEN_MANIFEST		"ntmend-golden.jsonl"
#define GOLDEN_SCHEMA		"ntmend.golden/1"
#define GOLDEN_DEFAULT_PATH	CBS_PACKAGES_DIR

struct golden;

/* Who an archive was captured from; any field may be NULL / 0. */
struct golden_source {
	char		*product;	/* "Windows 10 Pro" */
	char		*edition;	/* "Professional" */
	char		*display_version; /* "22H2" */
	uint32_t	 build;		/* 19045 */
	uint32_t	 ubr;		/* 3803 */
	char		*arch;		/* "amd64" */
	char		*computer_name;
	time_t		 captured;	/* 0: unknown */
};

/* Progress of a long phase, for a bar: done so far of the totals (a
 * total of 0 is not known yet). */
struct golden_progress {
	const char	*phase;		/* "hashing", "archiving", "reading",
					   "comparing", "checking", "writing" */
	size_t		 files;
	size_t		 nfiles;
	uint64_t	 bytes;
	uint64_t	 nbytes;
};
typedef void (*golden_progress_fn)(const struct golden_progress *,
	     void *arg);

struct golden_capture_result {
	size_t		 files;		/* regular files, data stored */
	size_t		 links;		/* further names of those (hard
					   links, stored as links) */
	size_t		 dirs;
	uint64_t	 bytes;		/* file data */
	uint64_t	 archive_bytes;	/* the archive's size */
	char		**warnings;	/* junctions not followed, ... */
	size_t		 nwarnings;
};

/*
 * Capture GOLDEN_DEFAULT_PATH and paths (files or directories,
 * recursively) of a volume into a new archive out (a host path; refused
 * if it exists): tar compressed with zstd, GOLDEN_MANIFEST first (src, and per
 * file: path, size, SHA-256, attributes, security descriptor, hard-link
 * group), then the files, each MFT record's data once and its other names
 * as hard links. Memory stays flat: data is streamed, twice (hashed for
 * the manifest, then archived and hashed again to see it did not change).
 * Written to a temporary name and renamed when complete.
 */
int	 golden_capture(struct vol *, const struct golden_source *src,
	     const char *const *paths, size_t npaths, const char *out,
	     golden_progress_fn, void *arg, struct golden_capture_result *,
	     char **cause);
void	 golden_capture_result_free(struct golden_capture_result *);

/*
 * Open an archive. With a manifest, the manifest is read and checked (the
 * rest of the archive is checked by golden_check); without one, the whole
 * archive is checked now, every file hashed, and its path prefix mapped
 * onto the volume ("Packages/" and "servicing/Packages/" onto
 * Windows\servicing\Packages, ...; golden_mapping says what). Refusals
 * are one line naming the entry and the rule it breaks. With a manifest,
 * golden_check's pass over the rest starts at once, in a thread; a caller
 * that will not check (a diagnosis) stops it with golden_scan_stop.
 */
int	 golden_open(const char *path, golden_progress_fn, void *arg,
	     struct golden **, char **cause);
void	 golden_scan_stop(struct golden *);
void	 golden_free(struct golden *);
/* The source PC, NULL for a plain archive; borrowed. */
const struct golden_source *golden_source_of(struct golden *);
/* A plain archive's mapping ("'Packages/' onto Windows\servicing\
 * Packages"), NULL with a manifest; borrowed. */
const char *golden_mapping(struct golden *);
/* The paths the archive covers on the volume; borrowed. */
const char *const *golden_roots(struct golden *, size_t *n);
/*
 * Refuse an archive of another build (the major number: 19045) or
 * architecture than the target's, naming both; a target whose build or
 * architecture is unknown is refused too (force it when sure). Plain
 * archives say nothing about their source and pass.
 */
int	 golden_check_source(struct golden *, uint32_t build,
	     const char *arch, char **cause);
/* Only these volume paths (files, or directories: what is below them);
 * each must be in the archive and must not climb out ("..").
 * Default: everything. */
int	 golden_select(struct golden *, const char *const *paths, size_t n,
	     char **cause);

#define GOLDEN_EXTRAS	0x1	/* also list what the volume has under the
				   archive's directories that it lacks */
#define GOLDEN_REHASH	0x2	/* hash every file whose size matches, even
				   one whose SHA-256 this boot's cache has
				   for its fingerprint (golden-cache.c) */
/* A file's SHA-256 (sha, 32 bytes) or why it could not be read (sha
 * NULL), for paths[i]; both borrowed for the call. */
typedef void (*golden_hash_cb)(void *cbarg, size_t i, const uint8_t *sha,
	     const char *cause);
/* Hash the files at paths of the volume, calling cb for each in order.
 * golden_plan hashes one file after another unless given one with
 * golden_set_hasher (the engine's hash_walk reads ahead and hashes in
 * another thread). */
typedef int (*golden_hash_fn)(void *harg, struct vol *,
	     const char *const *paths, size_t n, golden_hash_cb cb,
	     void *cbarg);
void	 golden_set_hasher(struct golden *, golden_hash_fn, void *harg);
/*
 * Compare the selected files with the volume (size, then SHA-256: hashed
 * in this boot by ntmend and the file not written since, else read) and
 * plan what apply would do: create what is missing (directories first,
 * recorded descriptor and attributes, else inherited; a missing further
 * name of a hard-link group as a link when a name of the group is there),
 * replace what differs in place (once per MFT record: a name linked to
 * one already replaced shows the new bytes). Never writes.
 */
int	 golden_plan(struct golden *, struct vol *, int flags,
	     golden_progress_fn, void *arg, char **cause);
/*
 * The pre-pass of an archive with a manifest: every entry after it read
 * and checked against the manifest and the rules of golden-archive.c,
 * before anything is written (the reading began in golden_open). When
 * what apply will write is small (32 MiB at most: a re-apply), those
 * bytes are then kept, hashed, and apply does not read the archive
 * again. Plain archives were checked by golden_open; this does nothing
 * for them.
 */
int	 golden_check(struct golden *, golden_progress_fn, void *arg,
	     char **cause);

enum golden_state {
	GOLDEN_DIFFERS,		/* detail: "size 10, archive 12" / "content" */
	GOLDEN_MISSING,
	GOLDEN_EXTRA,		/* on the volume, not in the archive */
	GOLDEN_UNREADABLE	/* detail: why it cannot be compared */
};
/* "differs", "missing", "extra", "unreadable"; static. */
const char *golden_state_name(enum golden_state);

struct golden_item {
	const char	*path;
	enum golden_state state;
	const char	*detail;	/* or NULL */
	int		 is_dir;
};
struct golden_counts {
	size_t		 files;		/* compared (selected) */
	size_t		 dirs;
	size_t		 same;
	size_t		 differ;
	size_t		 missing;
	size_t		 extra;
	size_t		 unreadable;
};
/* golden_plan's findings, archive order then extras; borrowed. */
const struct golden_item *golden_items(struct golden *, size_t *n);
const struct golden_counts *golden_counts(struct golden *);
/* What apply will change, one line each ("replaced Windows\...
 * (content differs, 90112 bytes)"); borrowed. */
const char *const *golden_changes(struct golden *, size_t *n);
/* Things apply cannot put right (a hard link the source has and the
 * target lacks, ...); borrowed. */
const char *const *golden_warnings(struct golden *, size_t *n);
/* Bytes apply needs on the volume: new data and the journal's copies of
 * what it replaces. */
uint64_t golden_need(struct golden *);

/* One change apply asks its caller (the journal) to make. */
enum golden_op_kind {
	GOLDEN_OP_MKDIR,
	GOLDEN_OP_CREATE,
	GOLDEN_OP_REPLACE,	/* in place: the same MFT record */
	GOLDEN_OP_LINK		/* path: a new name for the file at to */
};
struct golden_op {
	enum golden_op_kind kind;
	const char	*path;
	const char	*to;		/* LINK */
	uint64_t	 size;		/* CREATE, REPLACE: new bytes */
	const char	*sha256;	/* of the new bytes (hex) */
	const void	*sd;		/* CREATE, MKDIR: descriptor to set,
					   NULL: the inherited one */
	size_t		 sdlen;
	uint32_t	 attrs;		/* CREATE, MKDIR: to set, 0: leave */
};
/* Op i's new bytes, in order: *data points at the next of them (valid
 * until the next call) and their count is returned; 0 at its end, -1 and
 * cause on failure. The reader owns the memory, so it can go on with it
 * (hash it) while the writer writes it. */
typedef ssize_t (*golden_read_fn)(void *rarg, size_t i, const void **data,
	     char **cause);
/* Make n changes in order, reading their bytes from read(rarg, i, ...). */
typedef int (*golden_write_fn)(void *warg, const struct golden_op *ops,
	     size_t n, golden_read_fn read, void *rarg, char **cause);
/*
 * Apply the plan: batches of changes handed to write (which journals
 * them), the new bytes streamed from the archive in one pass (flat memory
 * whatever the sizes) and hashed on their way: a file whose bytes do not
 * have the SHA-256 of the manifest (or of the plain archive's pre-pass)
 * fails the apply, and the caller rolls the journal back. Call after
 * golden_plan and golden_check.
 */
int	 golden_apply(struct golden *, struct vol *, golden_write_fn,
	     void *warg, golden_progress_fn, void *arg, char **cause);

/*
 * stage.c, stage-cab.c: the next-boot queue (DESIGN.md "Next-boot
 * queue"). Update packages given as .msu or .cab are checked on this
 * machine (stage-cab.c: every cabinet entry judged before anything is
 * written, .msu members expanded into a private temp directory), judged
 * against the target (build family, architecture, servicing stack),
 * ordered servicing stack first, and described as a queue that the caller
 * writes to STAGE_DIR through the journal together with a runner script
 * and SYSTEM\Setup's SetupType/CmdLine. After Windows ran it, the
 * runner's results file is read back offline.
 */
#define STAGE_DIR		"ntmend\\queue"
#define STAGE_QUEUE		STAGE_DIR "\\queue.txt"
#define STAGE_RUNNER		STAGE_DIR "\\run.cmd"
#define STAGE_RESULTS		STAGE_DIR "\\results.txt"
#define STAGE_STATE_DIR		STAGE_DIR "\\state"
/* SYSTEM hive key Winlogon reads at boot: SetupType 2 runs CmdLine as
 * SYSTEM before the logon screen, then goes on to it (KB939857 and the
 * SetupType table of the TechNet thread cited in stage.c). */
#define STAGE_SETUP_KEY		"Setup"
#define STAGE_SETUP_TYPE	2
/*
 * CmdLine: no drive letter. Winlogon hands CmdLine to CreateProcess as
 * it is (a REG_SZ; nothing documents an expansion, and Microsoft's own
 * MDT/SCCM scripts write a literal "C:\..." there), so %SystemDrive%
 * in the value itself cannot be relied on. cmd.exe, found by the search
 * path in System32, does expand %SystemRoot% in its /c command line, and
 * SystemRoot is in every process's environment from smss on; the
 * Windows folder is at the root of the target volume, so its parent is
 * the volume's root whatever letter Windows gives it.
 */
#define STAGE_CMDLINE		"cmd.exe /d /c " \
				    "%SystemRoot%\\..\\ntmend\\queue\\run.cmd"
#define STAGE_MAX_ATTEMPTS	3	/* boots that start the runner
					   without it finishing (power loss,
					   a DISM that hangs or crashes the
					   PC) before it gives up */

#define NTM_MAX_STAGE_MEMBERS	100000	/* entries looked at in one
					   cabinet: an LCU .cab holds some
					   tens of thousands of files */
#define NTM_MAX_STAGE_MSU_MEMBERS 64	/* an .msu holds 4 to 6 files
					   (cabs, WSUSSCAN.cab, .xml,
					   -pkgProperties.txt) */
#define NTM_MAX_STAGE_FILE	((uint64_t)8 << 30) /* bytes of one .msu
					   member: a Windows 11 LCU .cab is
					   under 4 GB */
#define NTM_MAX_STAGE_TOTAL	((uint64_t)16 << 30) /* bytes expanded
					   from the .msu files of one stage
					   add */
#define NTM_MAX_STAGE_QUEUE	64	/* entries in the queue */
#define NTM_MAX_STAGE_COMMAND	1000	/* bytes of a queued command: cmd.exe
					   lines stop at 8191 characters */
#define NTM_MAX_STAGE_TEXT	((size_t)4 << 20) /* bytes of queue.txt or
					   results.txt read */

enum stage_role {
	STAGE_SSU,			/* servicing stack update: first */
	STAGE_UPDATE,			/* any other package */
	STAGE_LCU,			/* cumulative update */
	STAGE_COMMAND			/* a queued command line: last */
};
/* "ssu", "update", "lcu", "command"; static. */
const char *stage_role_name(enum stage_role);

/* One package found in the files given (a .cab, or a .cab inside an
 * .msu). */
struct stage_package {
	char		*source;	/* the file given */
	char		*member;	/* the .cab's name in the .msu, or NULL */
	char		*file;		/* where it is on this machine (temp
					   copy for an .msu member) */
	char		*name;		/* its file name, sanitized for the
					   queue: [A-Za-z0-9._-] */
	uint64_t	 size;
	char		 sha256[65];
	struct mum	*mum;		/* its update.mum */
	char		*identity;	/* mum_identity_string */
	char		*kb;		/* "KB5034122", or NULL */
	enum stage_role	 role;
	uint32_t	 build;		/* the build it is for (19041), 0 */
	char		*ss_provides;	/* SSU: the stack it installs
					   ("10.0.19041.3920"), else NULL */
};

struct stage_expand;
/*
 * Check and open the files given (.msu or .cab; the content decides):
 * each cabinet's header must be whole (its size field equal to the
 * file's: a cut download is refused) and not part of a multi-volume
 * set; every entry is judged (no absolute names, no "..", no drive
 * letters, only regular files, sizes under the limits above and the temp
 * directory's free space) before anything is written; an .msu's .cab
 * members are then expanded into a private temp directory and each must
 * be an update package (update.mum at its root, parsed with mum_parse).
 * Refusals name the file and the rule. Free with stage_expand_free, which
 * removes the temp directory.
 */
int	 stage_expand(const char *const *files, size_t n,
	     struct stage_expand **, char **cause);
/* The packages found, in the order given; borrowed. */
struct stage_package *stage_expand_packages(struct stage_expand *,
	     size_t *n);
/* Notes on what was skipped (WSUSSCAN.cab, ...); borrowed. */
const char *const *stage_expand_notes(struct stage_expand *, size_t *n);
void	 stage_expand_free(struct stage_expand *);	/* NULL is fine */

/* The build family of a build: the base build its updates are made for
 * (19041 for 19041-19045, 22621 for 22621/22631, ...) and a name
 * ("Windows 10 2004-22H2, builds 19041-19045"); unknown builds are their
 * own family (name NULL). */
uint32_t stage_build_family(uint32_t build, const char **name);
/* Does the package apply to a target of this build and architecture?
 * -1 with a cause naming both builds (or architectures) when not. */
int	 stage_applies(const struct stage_package *, uint32_t build,
	     const char *arch, char **cause);
/* The servicing stack installed on the volume: the highest value name of
 * SOFTWARE CBS\Version ("10.0.19041.3745"); caller frees. */
int	 stage_installed_stack(struct vol *, char **version, char **cause);

/* A queued item, as queue.txt keeps it. */
struct stage_entry {
	unsigned	 id;		/* 1.., never reused in a queue */
	enum stage_role	 role;
	char		*file;		/* name in STAGE_DIR; NULL: command */
	uint64_t	 size;
	char		 sha256[65];
	char		*identity;	/* package identity */
	char		*kb;		/* or NULL */
	char		*arch;
	uint32_t	 build;
	char		*ss_required;	/* installerAssembly version, NULL */
	char		*ss_provides;	/* SSU's stack version, NULL */
	char		*source;	/* the file it came from */
	char		*command;	/* STAGE_COMMAND: the line */
};
struct stage_queue {
	unsigned	 gen;		/* bumped by every change: the runner's
					   attempts count per generation */
	unsigned	 next_id;
	struct stage_entry *entries;	/* in run order (stage_queue_sort) */
	size_t		 n;
};
/* Read STAGE_QUEUE from the volume; none there is an empty queue. */
int	 stage_queue_read(struct vol *, struct stage_queue *, char **cause);
int	 stage_queue_parse(const void *buf, size_t len, struct stage_queue *,
	     char **cause);
/* queue.txt's bytes; caller frees. */
char	*stage_queue_format(const struct stage_queue *, size_t *len);
void	 stage_queue_free(struct stage_queue *);
/* Add a package (its file name in the queue: "<id>-<name>") or a
 * command; the entry is borrowed from the queue. */
struct stage_entry *stage_queue_add_package(struct stage_queue *,
	     const struct stage_package *);
struct stage_entry *stage_queue_add_command(struct stage_queue *,
	     const char *command);
/* Remove entry id; -1 if there is none. */
int	 stage_queue_remove(struct stage_queue *, unsigned id);
/* Run order: SSU, other updates, LCU, commands; by id within each. */
void	 stage_queue_sort(struct stage_queue *);
/* A command line the runner can hold: one line, printable, quotes
 * paired, at most NTM_MAX_STAGE_COMMAND bytes. */
int	 stage_command_check(const char *command, char **cause);
/* The runner (run.cmd, CRLF): stage.c says what it does and why.
 * Caller frees. */
char	*stage_runner(const struct stage_queue *, size_t *len);

/* What the runner wrote to STAGE_RESULTS about one step. */
struct stage_step_result {
	unsigned	 id;
	unsigned	 attempts;	/* attempts that started it */
	int		 ended;		/* an exit code was recorded */
	int32_t		 rc;		/* the last one, as %ERRORLEVEL% */
	char		*started;	/* local time as Windows printed it */
	char		*finished;
};
struct stage_results {
	unsigned	 gen;		/* the generation asked for */
	unsigned	 attempts;	/* runs started */
	int		 finished;	/* a run went through every step */
	int		 gave_up;	/* over STAGE_MAX_ATTEMPTS */
	int		 reset;		/* Setup was put back */
	int32_t		 reset_rc;	/* reg.exe's exit codes, worst */
	int		 restarted;	/* it asked Windows to restart */
	char		*last_time;	/* of the last line */
	struct stage_step_result *steps;
	size_t		 nsteps;
	size_t		 other_gens;	/* lines of older generations */
	size_t		 bad_lines;	/* not understood */
};
/* Parse results.txt for generation gen (older generations counted). */
int	 stage_results_parse(const void *buf, size_t len, unsigned gen,
	     struct stage_results *, char **cause);
void	 stage_results_free(struct stage_results *);
/* An exit code as DISM or a command returns it: "0 (success)", "3010
 * (ERROR_SUCCESS_REBOOT_REQUIRED)", "0x800f081f (CBS_E_SOURCE_MISSING)";
 * caller frees. */
char	*stage_exit_describe(int32_t rc);
/* Success: 0, 3010 (restart needed), 1641 (restart started). */
int	 stage_exit_ok(int32_t rc);

/*
 * collect.c: `logs collect`: the servicing logs of a volume, read-only,
 * streamed into one zip (deflate, UTF-8 names, as Explorer opens it)
 * with memory flat whatever the sizes: CBS (Windows\Logs\CBS\*.log,
 * CbsPersist_*), DISM, Windows Update ETL logs, setupapi*.log, Panther,
 * ReportingEvents.log, and the caller's own entries (hive states,
 * diagnose output).
 */
#define NTM_MAX_COLLECT_FILES	10000	/* files taken (Panther can hold a
					   few hundred, CBS a few dozen) */
#define NTM_MAX_COLLECT_DEPTH	8	/* folder levels below a root */

struct collect_extra {			/* an entry the caller made */
	const char	*name;		/* in the zip ("ntmend/hives.json") */
	const void	*buf;
	size_t		 len;
};
struct collect_file {
	char		*path;		/* on the volume */
	uint64_t	 size;
	char		*error;		/* could not be read (all or part) */
};
struct collect_result {
	struct collect_file *files;
	size_t		 nfiles;
	uint64_t	 bytes;		/* read from the volume */
	uint64_t	 zip_bytes;
	size_t		 skipped;	/* over NTM_MAX_COLLECT_FILES */
};
/*
 * Write out (a new file on this machine, refused if it exists; written
 * under a temporary name and renamed when complete): every file of the
 * sets above found on the volume under its volume path ('/'-separated),
 * then the extras. A file that cannot be read is listed with its error
 * and the rest goes on.
 */
int	 collect_logs(struct vol *, const char *out,
	     const struct collect_extra *, size_t nextra,
	     struct collect_result *, char **cause);
void	 collect_result_free(struct collect_result *);

/* A hive's state for the report: header fields of the hive and its
 * logs, and what a checkout says. */
struct collect_hive_file {
	char		*path;
	int		 present;
	uint64_t	 size;
	int		 has_header;	/* "regf" parsed: the fields below */
	uint32_t	 seq1, seq2;	/* sequence numbers */
	uint32_t	 major, minor;
	uint32_t	 type;		/* HIVE_TYPE_* */
	uint32_t	 hbins_size;
	uint64_t	 timestamp;	/* FILETIME */
	uint32_t	 checksum;
	int		 checksum_ok;
	int		 dirty;		/* hive_header_is_dirty */
	char		*error;		/* unreadable, no "regf", or NULL */
};
struct collect_hive {
	const char	*name;		/* "SYSTEM"; static */
	struct collect_hive_file hive;
	struct collect_hive_file logs[2]; /* .LOG1, .LOG2 */
	const char	*state;		/* "clean", "dirty-logs",
					   "dirty-no-logs", "replayed",
					   "missing", "unreadable"; static */
	char		*warning;	/* the checkout's warning or error */
};
/* Every hive of enum hive_id, read-only. */
void	 collect_hive_states(struct vol *, struct collect_hive **, size_t *n);
void	 collect_hive_states_free(struct collect_hive *, size_t n);

/*
 * logscan.c: the servicing logs read offline: CBS.log with its rotated
 * CbsPersist_<time>.log/.cab files, dism.log, and Windows Update's
 * ReportingEvents.log. Streamed in NTM_MAX_LOG_CHUNK pieces (a CBS.log
 * runs to 50 MB and more): UTF-8 with or without BOM, UTF-16LE, CRLF or
 * LF. What a line says never fails a scan: lines that are not understood
 * are counted. Results: the failing HRESULTs with their names, the
 * packages and files named by failing lines, the marker events the
 * checks need, CBS sessions and the last one's outcome, dism.exe's last
 * command. "Current" means after the last success of its domain (a CBS
 * install that ended S_OK; a Windows Update install that succeeded):
 * what came before was survived, so it is history.
 */
#define LOGSCAN_CBS_DIR		"Windows\\Logs\\CBS"
#define LOGSCAN_CBS_LOG		"Windows\\Logs\\CBS\\CBS.log"
#define LOGSCAN_DISM_LOG	"Windows\\Logs\\DISM\\dism.log"
#define LOGSCAN_WU_LOG		"Windows\\SoftwareDistribution\\" \
				    "ReportingEvents.log"

#define NTM_MAX_LOG_LINE	8192	/* bytes of a line looked at, the
					   rest cut and counted: real CBS
					   lines stay under 2 KiB (a CSI line
					   quoting an identity); longer ones
					   are the NUL runs a power loss
					   leaves in a log, or junk */
#define NTM_MAX_LOG_TEXT	400	/* bytes of a line kept as evidence */
#define NTM_MAX_LOG_CHUNK	((size_t)1 << 20) /* bytes per read */
#define NTM_MAX_LOG_EVENTS	32	/* of each kind, the newest kept
					   (all counted): a store that fails
					   every night logs thousands */
#define NTM_MAX_LOG_CODES	256	/* distinct HRESULTs kept */
#define NTM_MAX_LOG_NAMES	256	/* distinct packages, files kept */
#define NTM_MAX_LOG_SESSIONS	64	/* CBS sessions open at once (a
					   Windows Update scan opens a few
					   side by side) */
#define NTM_MAX_LOG_PERSIST	512	/* CbsPersist_* files looked at */
#define NTM_MAX_LOG_CAB		((uint64_t)1 << 30) /* bytes expanded
					   from one CbsPersist cab: each
					   holds one rotated CBS.log, 50-
					   100 MB */

/* volarchive.c: a cab on the volume read by libarchive in place. */
struct archive;
struct vol_archive {
	struct archive	*a;		/* read entries from this */
	struct vol_file	*f;
	uint64_t	 off;
	uint64_t	 size;
	void		*buf;		/* NTM_MAX_LOG_CHUNK bytes */
};
/* Open path as a cabinet; *cause says why it is not one. */
int	 vol_archive_open_cab(struct vol *, const char *path,
	     struct vol_archive *, char **cause);
void	 vol_archive_close(struct vol_archive *);

enum logscan_kind {
	LOGSCAN_CBS,			/* CBS.log, CbsPersist_* */
	LOGSCAN_DISM,			/* dism.log */
	LOGSCAN_WU			/* ReportingEvents.log */
};

/* One log read (a cab member is "X.cab:member"). */
struct logscan_log {
	char		*path;
	enum logscan_kind kind;
	int		 missing;	/* not on the volume (error says) */
	char		*error;		/* could not be read (all or part) */
	uint64_t	 size;		/* bytes of text read */
	uint64_t	 lines;
	uint64_t	 cut;		/* over NTM_MAX_LOG_LINE */
	uint64_t	 unreadable;	/* control bytes or NULs: skipped */
	const char	*encoding;	/* "UTF-8", "UTF-8 with BOM",
					   "UTF-16LE with BOM", "UTF-16LE";
					   static */
	int		 crlf;		/* lines end in CRLF */
	char		 first[20];	/* time of the first dated line */
	char		 last[20];	/* and of the last, or "" */
};

enum logscan_event_kind {
	LOGSCAN_EV_FAILURE,		/* a line with a failing HRESULT */
	LOGSCAN_EV_STORE_CORRUPT,	/* "CSI Payload Corrupt", "Hashes for
					   file member ... do not match",
					   "[SR] Cannot repair member file",
					   STATUS_SXS_COMPONENT_STORE_CORRUPT,
					   CheckSUR "(p)" items not Fixed */
	LOGSCAN_EV_SOURCE_MISSING,	/* a repair with no source: "Missing
					   replacement payload", "CSI Payload
					   Missing", "Failed to find file"
					   0x800f081f */
	LOGSCAN_EV_SSU_REQUIRED,	/* "requires Servicing Stack vX but
					   current Servicing Stack is vY" */
	LOGSCAN_EV_DOWNLOAD,		/* "Failed to extract package from
					   cabinet", WER "failure source:
					   Download" */
	LOGSCAN_EV_WU_FAILURE,		/* a ReportingEvents.log Failure */
	LOGSCAN_EV_COUNT
};

struct logscan_event {
	enum logscan_event_kind kind;
	uint32_t	 hr;		/* 0: none stated */
	size_t		 log;		/* index in logs */
	uint64_t	 line;		/* 1-based */
	uint64_t	 seq;		/* order read, over all logs */
	char		 time[20];	/* "2024-01-10 03:07:44" (CBS, DISM:
					   local time; Windows Update: UTC),
					   "" */
	char		*session;	/* CBS session, or NULL */
	char		*package;	/* identity (Windows Update: KB), or
					   NULL */
	char		*file;		/* file or component path, or NULL */
	char		*need;		/* SSU_REQUIRED: stack version needed */
	char		*have;		/* and installed then */
	char		*text;		/* the line's message, printable */
	int		 stale;		/* before a later success */
};

/* Where a line is. */
struct logscan_ref {
	size_t		 log;
	uint64_t	 line;
	char		 time[20];
	char		*text;
};

struct logscan_code {
	uint32_t	 hr;
	char		*name;		/* Windows' name, or the one the log
					   gives, or NULL */
	uint64_t	 count;		/* lines */
	uint64_t	 current;	/* of them after the last success */
	struct logscan_ref first;
	struct logscan_ref last;
};

/* A package or file failing lines name. */
struct logscan_name {
	char		*name;
	uint64_t	 count;
	uint64_t	 current;
	uint32_t	 hr;		/* the last HRESULT with it, 0 */
};

enum logscan_outcome {
	LOGSCAN_NONE,
	LOGSCAN_SUCCEEDED,
	LOGSCAN_FAILED,
	LOGSCAN_UNFINISHED		/* no end in the log: interrupted */
};

/* A CBS session that installed or removed something, or failed. */
struct logscan_session {
	char		*id;		/* NULL: none in the logs */
	char		*client;	/* "WindowsUpdateAgent", "DISM Package
					   Manager Provider", ... */
	char		*package;
	char		 started[20];
	char		 ended[20];
	enum logscan_outcome outcome;
	uint32_t	 hr;		/* the first failure */
	char		*hr_name;
	size_t		 log;
};

struct logscan_dism {
	char		*command;	/* NULL: no dism.exe run logged */
	char		 time[20];
	enum logscan_outcome outcome;
	uint32_t	 hr;
};

struct logscan_private;
struct logscan {
	struct logscan_log *logs;
	size_t		 nlogs;
	struct logscan_code *codes;	/* in order of first appearance */
	size_t		 ncodes;
	uint64_t	 codes_dropped;	/* lines of codes over the limit */
	struct logscan_name *packages;
	size_t		 npackages;
	struct logscan_name *files;
	size_t		 nfiles;
	uint64_t	 names_dropped;
	struct logscan_event *events;	/* kept ones, in order read */
	size_t		 nevents;
	uint64_t	 counts[LOGSCAN_EV_COUNT];  /* all seen */
	uint64_t	 current[LOGSCAN_EV_COUNT]; /* kept and not stale */
	struct logscan_session last;	/* the last servicing session */
	uint64_t	 sessions;	/* CBS sessions of any kind */
	uint64_t	 succeeded, failed, unfinished;
	char		 last_ok[20];	/* last CBS success, "" */
	char		 wu_last_ok[20]; /* last Windows Update install */
	struct logscan_dism dism;	/* dism.exe's last run */
	struct logscan_private *priv;
};

#define LOGSCAN_RECENT	0x1	/* CBS.log and only the newest CbsPersist
				   file (diagnosis), not every one */
/* The rotated CBS logs (CbsPersist_*.log and .cab) in LOGSCAN_CBS_DIR,
 * oldest first (the names hold the time), at most NTM_MAX_LOG_PERSIST;
 * *names: caller frees each and the array. */
size_t	 logscan_persist_list(struct vol *, char ***names);
/* Scan a volume's logs (missing ones are listed as missing). Free with
 * logscan_free. */
int	 logscan_volume(struct vol *, int flags, struct logscan **,
	     char **cause);
/* The same scan for every check of a diagnosis: kept while the logs on
 * the volume are the same files (name, size, time), so that four checks
 * read a 50 MB CBS.log once. Borrowed: valid until the next call. */
const struct logscan *logscan_shared(struct vol *, char **cause);
/* Feeding by hand (tests, fuzzing): logs of one domain oldest first, CBS
 * logs before dism.log; each log begun, fed in pieces of any size,
 * ended; then finish once. */
struct logscan *logscan_new(void);
void	 logscan_begin(struct logscan *, const char *path, enum logscan_kind);
void	 logscan_feed(struct logscan *, const void *buf, size_t len);
void	 logscan_end(struct logscan *);
void	 logscan_finish(struct logscan *);
void	 logscan_free(struct logscan *);	/* NULL is fine */
/* "ERROR_SXS_COMPONENT_STORE_CORRUPT", or NULL; static. */
const char *logscan_hresult_name(uint32_t hr);
/* A failure: severity bit set, not ERROR_SUCCESS_REBOOT_REQUIRED. */
int	 logscan_hr_failed(uint32_t hr);
/* "store-corrupt", ...; "succeeded", ...; "cbs", ...; static. */
const char *logscan_event_kind_name(enum logscan_event_kind);
const char *logscan_outcome_name(enum logscan_outcome);
const char *logscan_kind_name(enum logscan_kind);

/* Fixes that reset a log or cache move it aside to a sibling named
 * "<name>.ntmend-<UTC time>" (txr-reset, wu-cache-reset). */
#define LOGSCAN_ASIDE_TAG	".ntmend-"
#define LOGSCAN_ASIDE_TIME	"%Y%m%d-%H%M%S"
/* When path (a file or folder) was last moved aside so, from its
 * siblings' names; 0 if never. */
time_t	 logscan_aside_time(struct vol *, const char *path);
/* The name to move path aside to at now: "<path>.ntmend-<time>", with
 * "-2", "-3", ... while that exists on vol (may be NULL); caller frees. */
char	*logscan_aside_path(struct vol *, const char *path, time_t now);
/* A log's "2024-01-10 03:07:44" as UTC, the log being local time with
 * bias minutes (SYSTEM's TimeZoneInformation\ActiveTimeBias: UTC = local
 * + bias); -1 if it is no time. */
time_t	 logscan_time_utc(const char *t, int32_t bias);
struct hive;
/* That bias from a SYSTEM hive: 0, or -1 when it cannot be read (then
 * -840, the earliest time a local clock can mean, errs on "before"). */
int	 logscan_time_bias(struct hive *system, int32_t *bias);
#define LOGSCAN_BIAS_EARLIEST	(-840)
/* "CBS.log:32 2024-01-10 03:07:53: <text>" for evidence; caller frees. */
char	*logscan_event_evidence(const struct logscan *,
	     const struct logscan_event *);
char	*logscan_ref_evidence(const struct logscan *,
	     const struct logscan_ref *);

#endif
