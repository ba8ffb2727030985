/*
 * cli.h: the command line. One table entry per command (cmd-*.c), like
 * tmux's cmd_entry; the menu and the plan runner go through the same table.
 */
#ifndef NTM_CLI_H
#define NTM_CLI_H

#include <jansson.h>
#include <stdio.h>
#include <time.h>

#include "repair/repair.h"
#include "util/util.h"

/* Global options and the command's own arguments. */
struct cmd_ctx {
	const char	*target;	/* -t, NULL: find it */
	int		 json;		/* --json */
	int		 dry_run;	/* -n, --dry-run */
	int		 yes;		/* --yes */
	int		 discard_hiber;	/* --remove-hiberfile */
	int		 force;		/* --force: accept a stated loss */
	int		 argc;		/* argv[0] is the command name */
	char		**argv;
};

struct cmd_entry {
	const char	*name;
	const char	*usage;		/* arguments after the name */
	const char	*summary;	/* one line for the help */
	int		(*exec)(struct cmd_ctx *);	/* returns NTM_* */
};

#define NTM_VERSION	"0.1"

/* cmd.c */
/* Parse global options and run the command, as main() and each plan line
 * do; base (may be NULL) gives the defaults, e.g. a plan's target. */
int	 cli_exec(int argc, char **argv, const struct cmd_ctx *base);
/* main.c */
void	 cli_usage(FILE *);
extern const struct cmd_entry *const cmd_table[];
const struct cmd_entry *cmd_find(const char *name);
/* Print "usage: ntmend ... NAME USAGE" to stderr; returns NTM_USAGE. */
int	 cmd_usage(const struct cmd_entry *);
/* Open the target for a command; prints the one-line refusal and returns
 * its status (NTM_UNSAFE, NTM_FAILED) or NTM_OK. */
int	 cmd_target_open(struct cmd_ctx *, int flags, struct target *);

/* A changing command's end: print what changes (or would, with
 * --dry-run), then journal_begin, apply(arg, journal), journal_commit;
 * on failure everything is rolled back (NTM_FAILED). changes are one
 * line each. */
typedef int (*cmd_apply_fn)(void *arg, struct journal *, char **cause);
int	 cmd_commit(struct cmd_ctx *, struct target *, cmd_apply_fn,
	     void *arg, const char *const *changes, size_t nchanges);

extern const struct cmd_entry cmd_scan_entry;
extern const struct cmd_entry cmd_diagnose_entry;
extern const struct cmd_entry cmd_fix_entry;
extern const struct cmd_entry cmd_run_entry;
extern const struct cmd_entry cmd_report_entry;
extern const struct cmd_entry cmd_reg_entry;
extern const struct cmd_entry cmd_pol_entry;
extern const struct cmd_entry cmd_services_entry;
extern const struct cmd_entry cmd_packages_entry;
extern const struct cmd_entry cmd_golden_entry;
extern const struct cmd_entry cmd_stage_entry;
extern const struct cmd_entry cmd_info_entry;
extern const struct cmd_entry cmd_hash_entry;
extern const struct cmd_entry cmd_logs_entry;
extern const struct cmd_entry cmd_journal_entry;
extern const struct cmd_entry cmd_undo_entry;

/* cmd-logs-collect.c: `logs collect OUT.zip`, called by cmd-logs.c. */
int	 logs_collect(struct cmd_ctx *);

/* output.c */
void	 out_error(const char *, ...) NTM_PRINTF(1, 2);
void	 out_warning(const char *, ...) NTM_PRINTF(1, 2);
/* Print a JSON document with its schema field first; takes the reference. */
void	 out_json(const char *schema, json_t *doc);
/* Shorthands that accept NULL (-> null). */
json_t	*out_jstr(const char *);
/* "1.0 GiB"; caller frees. */
char	*out_size(uint64_t bytes);
/* "2023-04-12 08:31 UTC" / ISO 8601 "2023-04-12T08:31:00Z"; caller frees. */
char	*out_time(time_t, int iso);
/* JSON array of state names ("hibernated", "dirty", ...). */
json_t	*out_state_json(unsigned state);
/* The identity as JSON. */
json_t	*out_identity_json(const struct identity *);
/* Findings as JSON / text; the count that keeps exit status 1. */
json_t	*out_findings_json(const struct finding *, size_t);
void	 out_findings_print(const struct finding *, size_t);
size_t	 out_findings_count(const struct finding *, size_t);
/* What a volume's state means for the technician, one line; NULL when
 * clean; caller frees. */
char	*out_state_advice(unsigned state, const char *hiber_sig);

/* Progress of a long command (golden's callback shape): a line on a
 * terminal, or machine lines to the menu (NTMEND_PROGRESS_FD). */
struct out_progress {
	int		 on;
	int		 fd;		/* the menu's pipe, or -1 */
	struct timespec	 last;
	int		 shown;
};
void	 out_progress_init(struct out_progress *, const struct cmd_ctx *);
void	 out_progress_cb(const struct golden_progress *, void *);
void	 out_progress_end(struct out_progress *);

#endif
