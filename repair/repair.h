/*
 * repair.h: the engine. Opens a Windows installation (a target), tells who
 * it is, and (in later parts) runs checks and fixes. Both faces, the
 * command line and the menu, call only this and the modules' read APIs.
 */
#ifndef NTM_REPAIR_H
#define NTM_REPAIR_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "hive/hive.h"
#include "ntfs/ntfs.h"
#include "packages/packages.h"
#include "util/util.h"

/* Graded results, after libarchive: exit codes map from them. */
enum ntm_status {
	NTM_OK = 0,		/* done, nothing found */
	NTM_WARN = 1,		/* findings remain, or partly done */
	NTM_USAGE = 2,		/* bad command line */
	NTM_UNSAFE = 3,		/* target cannot be opened safely */
	NTM_FAILED = 4		/* failed, changes rolled back */
};

/* identity.c: who the installation is, read from its SYSTEM and SOFTWARE
 * hives. Any field may be missing (NULL / 0) on a damaged system. */
struct identity {
	char		*product;	/* "Windows 10 Pro"; Windows 11 builds
					   still say "Windows 10" in the hive,
					   corrected here from the build */
	char		*edition;	/* EditionID: "Professional" */
	char		*display_version; /* "22H2" (or ReleaseId "1709") */
	uint32_t	 build;		/* CurrentBuild: 19045 */
	uint32_t	 ubr;		/* update build revision: 3803 */
	char		*arch;		/* "amd64", "x86", "arm64" */
	char		*computer_name;
	time_t		 install_date;	/* 0 if unknown */
	int		 control_set;	/* Select\Current, 0 if unknown */
	int		 fast_startup;	/* HiberbootEnabled: 1, 0, -1 unknown */
	char		**warnings;	/* dirty hives, unreadable values */
	size_t		 nwarnings;
};

/* Read the identity from an open volume. Fails only if neither hive can
 * be read; what is missing is listed in warnings. */
int	 identity_read(struct vol *, struct identity *, char **cause);
void	 identity_free(struct identity *);
/* "10.0.19045.3803" or "" if the build is unknown; caller frees. */
char	*identity_version(const struct identity *);

/* target.c: TARGET (DESIGN.md) to an open volume. */
struct target {
	char			*spec;		/* as given, or found */
	struct vol_where	 where;
	struct vol		*vol;
	unsigned		 state;		/* VOL_* */
};

#define TARGET_WRITE		0x1	/* a changing command */
#define TARGET_DISCARD_HIBER	0x2	/* operator chose to discard the
					   hibernated session */

/*
 * Open TARGET (NULL: the single Windows installation on this machine's
 * disks). Read-only unless TARGET_WRITE. Returns NTM_OK, NTM_UNSAFE (the
 * volume's state forbids it: BitLocker, hibernated for writing, ...;
 * *cause says which and what to do; t->state tells) or NTM_FAILED (not
 * found, not NTFS, several candidates).
 */
enum ntm_status target_open(const char *spec, int flags, struct target *t,
	     char **cause);
void	 target_close(struct target *);
/* regedit.c: offline registry edits, journaled together. */
struct journal;
struct regedit;
int	 regedit_begin(struct vol *, int force, struct regedit **);
void	 regedit_free(struct regedit *);
/* The hive checked out for writing (on first use); borrowed. */
struct hive *regedit_hive(struct regedit *, enum hive_id, char **cause);
/* "HKEY_LOCAL_MACHINE\SYSTEM", ...: how .reg files name a hive's root. */
const char *regedit_root(enum hive_id);
/* Set a value (creating missing keys); regpath as the command line takes
 * it ("HKLM\SYSTEM\CurrentControlSet\Services\wuauserv"). Setting a
 * value to what it is already changes nothing. */
int	 regedit_set(struct regedit *, const char *regpath, const char *name,
	     uint32_t type, const void *data, size_t len, char **cause);
/* Delete a value (name) or, with name NULL, a key and its subkeys. */
int	 regedit_delete(struct regedit *, const char *regpath,
	     const char *name, char **cause);
/* Apply a parsed .reg file (CurrentControlSet resolved; a key outside
 * the offline hives fails the whole import before anything changes). */
int	 regedit_import(struct regedit *, const struct reg_file *,
	     char **cause);
/* What changed, one line each ("set HKEY_...\Start = REG_DWORD 3, was
 * REG_DWORD 4"); borrowed. */
const char *const *regedit_changes(struct regedit *, size_t *n);
/* Write every changed hive back through the journal. */
int	 regedit_commit(struct regedit *, struct journal *, char **cause);
/* Command-line data to bytes: TYPE (sz, dword, hex(7), ...) and its
 * arguments; *data caller frees. */
int	 regedit_parse_data(const char *type, char *const *args, int nargs,
	     uint32_t *typep, uint8_t **data, size_t *len, char **cause);

/*
 * policy.c: Group Policy registry.pol (PReg, hive/pol.c) on the target or
 * on this machine: read and judge, salvage plan, edits, the policies that
 * stop Windows Update; written back through the journal (target) or
 * beside a FILE.bak (this machine). Nothing here prints.
 */
#define POLICY_MACHINE_PATH \
	"Windows\\System32\\GroupPolicy\\Machine\\registry.pol"
#define POLICY_USER_PATH \
	"Windows\\System32\\GroupPolicy\\User\\registry.pol"

enum policy_scope {
	POLICY_MACHINE,			/* keys relative to HKLM */
	POLICY_USER			/* keys relative to HKCU */
};
/* The file's path on the volume; static. */
const char *policy_path(enum policy_scope);

/* A registry.pol as read, and what the strict check found. */
struct policy_file {
	char		*path;		/* volume path, or host path */
	int		 host;		/* a file on this machine */
	int		 missing;	/* none on the target: no local policy
					   (normal); pol is then empty */
	uint8_t		*buf;		/* the bytes read; NULL if missing */
	size_t		 len;
	int		 damaged;	/* fails pol_parse */
	struct pol_error err;		/* where and why, when damaged */
	struct pol	*pol;		/* the entries; when damaged those
					   before the damage (what repair
					   keeps) */
};
/* Read path on the volume; a missing file is not an error (missing set).
 * Free with policy_file_free. */
int	 policy_read(struct vol *, const char *path, struct policy_file *,
	     char **cause);
/* Read a file on this machine (it must exist). */
int	 policy_read_host(const char *file, struct policy_file *,
	     char **cause);
void	 policy_file_free(struct policy_file *);

/* What repair would do to a damaged file: keep the entries before the
 * damage, drop the rest. */
struct policy_repair {
	size_t		 kept;		/* entries kept */
	size_t		 drop_off;	/* first byte dropped (0: header bad) */
	size_t		 drop_len;	/* bytes dropped */
	void		*buf;		/* the new file */
	size_t		 len;
	char		*changes[2];	/* "rewrite ...", "drop ..." */
	size_t		 nchanges;	/* 0: nothing to repair */
};
/* Plan the salvage (nothing for a missing or intact file: nchanges 0).
 * With an intact header the new file is the old one's first drop_off
 * bytes. Free with policy_repair_free. */
int	 policy_repair_plan(const struct policy_file *,
	     struct policy_repair *, char **cause);
void	 policy_repair_free(struct policy_repair *);
/* Write new bytes for a target's registry.pol in the journal: replaced
 * (original saved) or, when there was none, created with its folders. */
int	 policy_commit(struct journal *, const struct policy_file *,
	     const void *buf, size_t len, char **cause);
/* Write new bytes for a file on this machine: the bytes read go to
 * FILE.bak (FILE.bak.1, ... when taken; *backup gets the name, caller
 * frees), then FILE is replaced by a rename. */
int	 policy_commit_host(const struct policy_file *, const void *buf,
	     size_t len, char **backup, char **cause);

/* A command-line key to registry.pol's form: "HKLM\" or "HKCU\" (long
 * forms too) dropped, the other scope's refused (scope -1: either);
 * caller frees. */
char	*policy_key_normalize(const char *key, int scope, char **cause);
/* Edit entries; *change gets one line for the change ("set KEY;NAME =
 * REG_DWORD 0, was REG_DWORD 1"), caller frees; NULL when set finds the
 * value already so. Delete fails when there is no such entry. */
int	 policy_set(struct pol *, const char *key, const char *name,
	     uint32_t type, const void *data, size_t size, char **change,
	     char **cause);
int	 policy_delete(struct pol *, const char *key, const char *name,
	     char **change, char **cause);
/* The entry that gives key;name its value once Group Policy has applied
 * the whole file in order (later entries, **del., **delvals.,
 * **DeleteValues and **DeleteKeys included); -1 if none. */
ssize_t	 policy_effective(const struct pol *, const char *key,
	     const char *name);

/* Policies in effect in a Machine registry.pol that stop Windows Update
 * (grouppolicy-blocks-updates; which ones and why: policy.c). */
#define POLICY_WU_MAX_ENTRIES	6
struct policy_wu_block {
	const char	*id;		/* "wu-access-removed",
					   "wu-ux-removed",
					   "auto-update-disabled",
					   "auto-update-option-disabled",
					   "intranet-server"; static */
	const char	*what;		/* what it does, one line; static */
	char		*evidence;	/* the entries and values, one line */
	size_t		 entries[POLICY_WU_MAX_ENTRIES]; /* indexes into
					   pol->entries: what to remove */
	size_t		 nentries;
};
/* Returns 1 when any blocks (*n of them), else 0; free with
 * policy_wu_blocks_free. */
int	 policy_wu_blocks(const struct pol *, struct policy_wu_block **,
	     size_t *n);
void	 policy_wu_blocks_free(struct policy_wu_block *, size_t n);
/* Remove every entry of the value names policy_wu_blocks finds (earlier
 * and **soft. ones too); *changes: one line per entry in effect (caller
 * frees each and the array). Returns the entries removed. */
size_t	 policy_wu_unblock(struct pol *, char ***changes, size_t *n);
/* The Windows Update policies applied in a SOFTWARE hive (values of
 * Policies\Microsoft\Windows\WindowsUpdate and its AU subkey) as entries
 * keyed as the Machine registry.pol writes them ("Software\Policies\..."),
 * so that policy_wu_blocks judges the hive by the file's rules; names as
 * the hive has them. No key: no entries. *pol: free with pol_free. */
int	 policy_wu_hive(struct hive *, struct pol **, char **cause);

/* Is the device or image write-protected (BLKROGET, or no write access),
 * so that no fix could be written whatever the volume's state? */
int	 target_path_readonly(const char *path);

/* scan.c: what is on the disks. */
struct scan_part {
	struct vol_part	 part;		/* borrowed from the disk */
	int		 is_windows;
	unsigned	 state;		/* VOL_* for NTFS/BitLocker parts */
	char		*hiber_sig;
	struct identity	 id;		/* when is_windows */
	char		*error;		/* why it could not be read */
};
struct scan_disk {
	struct vol_disk	 disk;
	struct scan_part *parts;	/* disk.nparts of them */
};
/* Probe each path (NULL, 0: this machine's disks). Disks that cannot be
 * probed are skipped with a line in *errors (caller frees each). */
int	 scan_disks(const char *const *paths, size_t npaths,
	     struct scan_disk **disks, size_t *ndisks, char ***errors,
	     size_t *nerrors);
void	 scan_free(struct scan_disk *, size_t);

/* hash.c: SHA-256 over the volume layer (the offline Get-FileHash). */
/* Called for each file in walk order: hex (64 digits) and size, or cause
 * when the path could not be read; all borrowed for the call. */
typedef void (*hash_walk_cb)(const char *path, const char *hex,
	     uint64_t size, const char *cause, void *arg);
/* Hash the files at paths, directories recursively (each file once under
 * the name it was reached by). While it runs, no other thread may use
 * the volume. -1 if any path failed (cb was told). */
int	 hash_walk(struct vol *, const char *const *paths, size_t npaths,
	     hash_walk_cb cb, void *arg);
/* Hash one file; hex is 65 bytes. */
int	 hash_file(struct vol *, const char *path, char hex[65],
	     char **cause);

/*
 * services.c: the services and drivers of the current control set (SYSTEM
 * hive), and the update services DESIGN.md names (wuauserv, BITS,
 * WaaSMedicSvc, UsoSvc, TrustedInstaller, CryptSvc, msiserver) checked
 * against and reset to Windows 10 22H2's defaults. Offline edits are not
 * bound by key ACLs (CASE.md's WaaSMedicSvc).
 */
#define SERVICE_NONE		UINT32_MAX	/* value missing or unusable */
#define SERVICE_BOOT		0
#define SERVICE_SYSTEM		1
#define SERVICE_AUTO		2	/* with DelayedAutostart 1: delayed */
#define SERVICE_DEMAND		3
#define SERVICE_DISABLED	4
/* Type 1, 2, 4, 8: kernel, file system, adapter, recognizer drivers. */
#define SERVICE_IS_DRIVER(t)	((t) != SERVICE_NONE && ((t) & 0x0f) != 0 && \
				 ((t) & 0x30) == 0)

struct service {
	char		*name;		/* the key's name */
	char		*display_name;	/* DisplayName as stored, often an
					   indirect "@%SystemRoot%\...dll,-105"
					   (offline there are no MUI files to
					   resolve it); NULL if none */
	const char	*known_name;	/* English name of an update service
					   (static), else NULL */
	uint32_t	 start;		/* SERVICE_*, any other number, or
					   SERVICE_NONE */
	int		 delayed;	/* DelayedAutostart != 0 */
	uint32_t	 type;		/* Type, SERVICE_NONE if missing */
	uint32_t	 error_control;
	char		*image_path;	/* as stored (unexpanded), or NULL */
	char		*object_name;	/* the account, or NULL */
	char		*service_dll;	/* Parameters\ServiceDll, or NULL */
	char		*group;		/* load order group, or NULL */
	int		 third_party;	/* not Microsoft's (rule: services.c) */
	char		*vendor_evidence; /* why it is judged so, one line */
};
struct service_list {
	char		*control_set;	/* "ControlSet001" */
	struct service	*svcs;		/* sorted by name */
	size_t		 n;
};
/* Every subkey of CurrentControlSet\Services of a SYSTEM hive (checked
 * out read-only, or regedit's copy). Free with services_list_free. */
int	 services_list(struct hive *, struct service_list *, char **cause);
void	 services_list_free(struct service_list *);
/* By name, compared as Windows does; borrowed from the list. */
const struct service *services_find(const struct service_list *,
	     const char *name);
/* A readable name: the English name of an update service, the fallback of
 * an INF string ("@machine.inf,%x%;Name"), else DisplayName as stored,
 * else the key's name; borrowed. */
const char *service_display(const struct service *);
/* "auto", "delayed", "demand", "disabled", "boot", "system", "7" for
 * other numbers, "-" when missing; caller frees. */
char	*service_start_name(uint32_t start, int delayed);
/* "share process", "kernel driver", "user service, own process",
 * "0x1234"; caller frees. */
char	*service_type_name(uint32_t type);
/* START as the command line takes it (boot, system, auto, delayed,
 * demand, disabled; manual and automatic accepted); -1 if unknown. */
int	 service_start_parse(const char *, uint32_t *start, int *delayed);
/* CurrentBuild from SOFTWARE (read-only), to know which update services
 * this Windows has (WaaSMedicSvc since 1803, UsoSvc since 1709). */
int	 services_build(struct vol *, uint32_t *build, char **cause);

/* An update service that is disabled or whose key cannot start it. */
struct service_issue {
	const char	*name;		/* static: "WaaSMedicSvc" */
	int		 disabled;	/* Start = 4 */
	int		 broken;	/* key missing (on a build that has the
					   service), no ImagePath, Type,
					   ObjectName or ServiceDll, or a Start
					   that is no service start type */
	int		 missing;	/* the key itself is missing */
	char		**evidence;	/* one line each: "HKLM\SYSTEM\
					   ControlSet001\Services\WaaSMedicSvc\
					   Start = 4 (disabled)" */
	size_t		 nevidence;
};
/* Read-only check for diagnose (update-services-disabled): the update
 * services that are disabled or broken, none when all are healthy
 * (automatic, delayed and manual all are). build 0: unknown, so a missing
 * WaaSMedicSvc or UsoSvc is not held against it. Free with
 * service_issues_free. */
int	 services_check_update(struct hive *, uint32_t build,
	     struct service_issue **, size_t *n, char **cause);
void	 service_issues_free(struct service_issue *, size_t n);
/* services-reset: in regedit's SYSTEM copy, put each disabled or broken
 * update service back to its defaults (Start where disabled or unusable,
 * and every missing value it needs to start; a missing key is created
 * only on a build that has the service). Healthy ones are untouched. vol
 * (may be NULL) is asked which ServiceDll exists. */
int	 services_reset(struct regedit *, struct vol *, uint32_t build,
	     size_t *nrepaired, char **cause);
/* services set NAME START in regedit's SYSTEM copy (Start, and
 * DelayedAutostart for delayed/auto); an unknown service or boot/system
 * for a non-driver fails with a cause. */
int	 services_set(struct regedit *, const char *name, const char *start,
	     char **cause);

/*
 * journal.c: every change goes through a journal on the target volume,
 * ntmend\journal\<id>\: journal.jsonl, an append-only list of operations
 * (one JSON object a line), and the saved originals NNNN.bin / NNNN.sd.
 * An operation is written, with its original saved, before the change is
 * made, and marked done after; undo walks them backwards, restoring each
 * and marking it undone, so an interrupted undo or change can be undone
 * (again) safely. A torn last line (killed mid-append) is ignored.
 */
struct journal;

#define JOURNAL_DIR	"ntmend\\journal"

/* Start a journal for a changing command (its command line, for the
 * record). The volume must be open for writing. */
int	 journal_begin(struct vol *, const char *command, struct journal **,
	     char **cause);
/* The id ("20261124-014500-services-reset"); borrowed. */
const char *journal_id(struct journal *);
/* Journaled changes: each saves what it needs to undo, then changes. */
int	 journal_replace(struct journal *, const char *path, const void *buf,
	     size_t len, char **cause);
int	 journal_create(struct journal *, const char *path, const void *buf,
	     size_t len, char **cause);
int	 journal_mkdir_p(struct journal *, const char *path, char **cause);
int	 journal_rename(struct journal *, const char *from, const char *to,
	     char **cause);
int	 journal_delete(struct journal *, const char *path, char **cause);
/* Commit a hive checked out with HIVE_WRITE (hive_commit: written to the
 * private copy and read back) and put it over the hive at path on the
 * volume, in place, with the original journaled. */
int	 journal_hive(struct journal *, struct hive *, const char *path,
	     char **cause);
/*
 * Many changes in one go (golden apply): every record of the batch, with
 * the originals of replaced files saved, is appended at once before the
 * first change, and the changes are marked done at once after the last.
 * New bytes are streamed from read (op i's, in order, 0 at their end):
 * memory stays at one buffer whatever the sizes. CREATE and MKDIR fail
 * if the path exists (parents must exist or come earlier); REPLACE
 * writes over the same MFT record and cuts it to size; LINK adds path as
 * a name of the file at to (undo removes the name). sd and attrs, when
 * given, are set on what CREATE and MKDIR made.
 */
enum journal_kind {
	JOURNAL_MKDIR,
	JOURNAL_CREATE,
	JOURNAL_REPLACE,
	JOURNAL_LINK
};
struct journal_op {
	enum journal_kind kind;
	const char	*path;
	const char	*to;		/* LINK: the existing name */
	uint64_t	 size;		/* CREATE, REPLACE: bytes read gives */
	const char	*sha256;	/* of the new bytes, for the record */
	const void	*sd;		/* CREATE, MKDIR: or NULL, inherited */
	size_t		 sdlen;
	uint32_t	 attrs;		/* CREATE, MKDIR: or 0, as created */
};
/* Op i's next bytes: *data points at them (valid until the next call),
 * their count is returned; 0 at the op's end, -1 and cause on failure. */
typedef ssize_t (*journal_read_fn)(void *arg, size_t i, const void **data,
	     char **cause);
int	 journal_batch(struct journal *, const struct journal_op *, size_t n,
	     journal_read_fn read, void *arg, char **cause);
/* Number of changes made so far. */
size_t	 journal_count(struct journal *);
/* Finish: "committed". A journal with no change is removed. */
int	 journal_commit(struct journal *, char **cause);
/* Undo what this journal did so far (a failed command: exit 4). */
int	 journal_rollback(struct journal *, char **cause);
void	 journal_free(struct journal *);

struct journal_info {
	char		*id;
	char		*command;
	char		*started;	/* ISO 8601 UTC */
	char		*state;		/* "open" (interrupted), "committed",
					   "rolled-back", "undone" */
	size_t		 nops;		/* changes recorded */
	size_t		 nundone;
};
/* Journals on the volume, oldest first. */
int	 journal_list(struct vol *, struct journal_info **, size_t *n,
	     char **cause);
void	 journal_info_free(struct journal_info *, size_t n);
/* Roll back journals a killed or crashed command left open (newest
 * first), so the volume is as before that command; every changing
 * command does this first. *ids: what was rolled back, caller frees. */
int	 journal_recover(struct vol *, char ***ids, size_t *nids,
	     char **cause);
/* Undo a journal (NULL: the newest not yet undone). Restores every saved
 * original exactly; safe to re-run if interrupted. A fully undone journal
 * is removed from the volume (and ntmend\ with it when empty), so the
 * volume is as it was; *id gets the id undone (caller frees). */
int	 journal_undo(struct vol *, const char *id, char **undone_id,
	     char **cause);

/*
 * diag.c: diagnosis. Each check is a table entry in its own file
 * (check-<id>.c) exporting one struct check; check.c holds the table. A
 * check reads the target through the diagnosis context, which checks each
 * hive out once (read-only) for all checks, and reports findings. Nothing
 * in diagnosis writes a byte.
 */
enum severity {
	SEV_INFO,		/* worth knowing; not a cause */
	SEV_WARNING,		/* may stop updates or the repair */
	SEV_ERROR		/* stops updates */
};

struct diag;
struct check;

struct finding {
	const struct check	*check;
	enum severity		 severity;
	char			*summary;	/* what is wrong, plain words */
	char			**evidence;	/* file, value, log line */
	size_t			  nevidence;
	const char		*fix;		/* fix id, NULL: none offline */
};

struct check {
	const char	*id;		/* the finding id of DESIGN.md */
	const char	*title;		/* "Update services disabled" */
	const char	*explanation;	/* why it stops updates */
	/* Report findings with diag_finding; -1 and a cause only when the
	 * check itself could not run (that is said, not hidden). */
	int		(*run)(struct diag *, const struct check *,
			    char **cause);
};

/* check.c */
extern const struct check *const check_table[];
const struct check *check_find(const char *id);

/* Options a diagnosis may be given. */
struct diag_options {
	const char	*golden;	/* archive for file-hash-mismatch */
};

/* Open a diagnosis of an open target (read-only is enough). */
struct diag *diag_new(struct target *, const struct diag_options *);
void	 diag_free(struct diag *);
/* Run every check (or those named); progress (may be NULL) is told
 * each check before it runs, and stops the diagnosis there by returning
 * non-zero (the menu's cancel): then -1, the findings so far kept. */
int	 diag_run(struct diag *, const char *const *only, size_t nonly,
	     int (*progress)(const struct check *, size_t i, size_t n,
	     void *), void *arg);
/* Findings so far, in check order; borrowed. */
const struct finding *diag_findings(struct diag *, size_t *n);
/* Checks that could not run: "check-id: cause"; borrowed. */
const char *const *diag_errors(struct diag *, size_t *n);
/* What checks use. */
struct target *diag_target(struct diag *);
struct vol *diag_vol(struct diag *);
const struct diag_options *diag_options(struct diag *);
/* A hive checked out read-only once per diagnosis; NULL with a cause
 * if it cannot be read (damaged, missing). Borrowed. */
struct hive *diag_hive(struct diag *, enum hive_id, char **cause);
/* The identity (read once); borrowed. */
const struct identity *diag_identity(struct diag *);
/* Report a finding (summary printf-like); add evidence lines to it. */
struct finding *diag_finding(struct diag *, const struct check *,
	     enum severity, const char *fix, const char *fmt, ...)
	     NTM_PRINTF(5, 6);
void	 finding_evidence(struct finding *, const char *fmt, ...)
	     NTM_PRINTF(2, 3);
const char *severity_name(enum severity);

/*
 * fix.c: repairs. Each fix is a table entry in its own file (fix-<id>.c).
 * A fix describes every change with fix_change and makes it through the
 * context: registry edits in fx->regedit (committed together at the end),
 * file changes through fx->journal, which is NULL in a dry run (then it
 * only describes). All fixes of one command share one journal.
 */
struct fixctx {
	struct target	*target;
	struct vol	*vol;
	struct journal	*journal;	/* NULL: dry run */
	struct regedit	*regedit;
	int		 force;
	const char	*arg;		/* golden-apply: the archive */
	golden_progress_fn progress;	/* golden-apply's, or NULL */
	void		*progress_arg;
	const struct identity *identity;
	char		**changes;
	size_t		  nchanges;
};

struct fix {
	const char	*id;		/* the fix id of DESIGN.md */
	const char	*title;
	const char	*explanation;	/* what it does, in plain words */
	int		 order;		/* --all applies lower first */
	int		 in_all;	/* --all may pick it (clean-boot: no) */
	int		(*apply)(struct fixctx *, char **cause);
};

/* fix-golden-apply.c: golden_apply's write callback; warg is the
 * journal the changes go into (golden apply and the golden-apply fix). */
int	 golden_journal_write(void *warg, const struct golden_op *ops,
	     size_t n, golden_read_fn read, void *rarg, char **cause);

extern const struct fix *const fix_table[];
const struct fix *fix_find(const char *id);
void	 fix_change(struct fixctx *, const char *fmt, ...) NTM_PRINTF(2, 3);
/* The fixes --all picks for these findings, in the safe order; *fixes is
 * an array the caller frees. */
void	 fix_for_findings(const struct finding *, size_t n,
	     const struct fix ***fixes, size_t *nfixes);

/* report.c: one report per PC run (JSON + CRLF text), fleet summaries.
 * The document is built by the runner (schema set here). */
#include <jansson.h>
char	*report_text(json_t *doc);
/* Write DIR/<computer name>-<UTC time>.json and .txt; *jsonpath (may be
 * NULL) gets the .json's path, caller frees. */
int	 report_write(const char *dir, json_t *doc, char **jsonpath,
	     char **cause);
/* Every report in dir (sorted by computer, then time) as a JSON array;
 * files that are not reports are named in *skipped (caller frees). */
int	 report_load_all(const char *dir, json_t **reports, char ***skipped,
	     size_t *nskipped, char **cause);

#endif
