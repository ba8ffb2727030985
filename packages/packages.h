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
void	 cbs_inventory_free(struct cbs_inventory *);
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

#endif
