/* cmd-stage.c: the next-boot queue: add, ls, rm, status. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli/cli.h"
#include "packages/packages.h"

static int	cmd_stage_exec(struct cmd_ctx *);

const struct cmd_entry cmd_stage_entry = {
	.name = "stage",
	.usage = "add FILE.msu|FILE.cab... [--command LINE]|ls|rm ID...|status",
	.summary = "next-boot queue: update packages and commands Windows "
	    "runs before logon",
	.exec = cmd_stage_exec
};

static int
stage_usage(void)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [-n] [--force] stage add "
	    "[FILE.msu|FILE.cab...] [--command LINE...]\n"
	    "       ntmend [-t TARGET] [--json] stage ls\n"
	    "       ntmend [-t TARGET] [-n] stage rm ID...\n"
	    "       ntmend [-t TARGET] [--json] stage status\n"
	    "add: packages are checked against the target (build family, "
	    "architecture,\n     servicing stack) and queued servicing stack "
	    "first; LINE is a cmd.exe line\n     such as \"DISM /Online "
	    "/Cleanup-Image /RestoreHealth\", run after the packages\n");
	return NTM_USAGE;
}

/*
 * The queue folder's security descriptor, self-relative: owner
 * Administrators, group SYSTEM, a protected DACL granting full control
 * to SYSTEM and Administrators only, inherited by what is created in it.
 * Inherited from C:\ it would give Authenticated Users modify rights
 * (C:\'s default (OI)(CI)(IO)M ACE), so anyone logged on could edit a
 * script that runs as SYSTEM at the next boot.
 */
static const uint8_t stage_dir_sd[] = {
	0x01, 0x00, 0x04, 0x90,		/* revision 1; control: self-
					   relative, DACL protected, DACL
					   present */
	0x48, 0x00, 0x00, 0x00,		/* owner at 72 */
	0x58, 0x00, 0x00, 0x00,		/* group at 88 */
	0x00, 0x00, 0x00, 0x00,		/* no SACL */
	0x14, 0x00, 0x00, 0x00,		/* DACL at 20 */
	0x02, 0x00, 0x34, 0x00,		/* ACL revision 2, 52 bytes */
	0x02, 0x00, 0x00, 0x00,		/* 2 ACEs */
	0x00, 0x03, 0x14, 0x00,		/* allow, OI|CI, 20 bytes */
	0xff, 0x01, 0x1f, 0x00,		/* FILE_ALL_ACCESS */
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x12, 0x00, 0x00, 0x00,		/* S-1-5-18 (SYSTEM) */
	0x00, 0x03, 0x18, 0x00,		/* allow, OI|CI, 24 bytes */
	0xff, 0x01, 0x1f, 0x00,		/* FILE_ALL_ACCESS */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, /* S-1-5-32-544 */
	0x01, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x20, 0x00, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, /* owner */
	0x01, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05,
	0x12, 0x00, 0x00, 0x00		/* group */
};

/* Where the bytes of each journal_batch op come from: a host file is read
 * in pieces this big. */
#define STAGE_READ_CHUNK	((size_t)1 << 20)
struct stage_src {
	const char	*file;		/* host file, or NULL */
	const void	*buf;		/* else these */
	size_t		 len;
};

/* What a changing subcommand will do. */
struct stage_apply {
	struct vol		*vol;
	struct journal_op	*ops;
	struct stage_src	*srcs;
	size_t			 nops;
	char			**deletes;	/* volume paths to delete */
	size_t			 ndeletes;
	struct regedit		*re;
	/* streaming state */
	size_t			 cur;
	int			 fd;
	size_t			 off;
	uint8_t			*buf;		/* a file's bytes read */
	char			**changes;
	size_t			 nchanges;
};

static void
apply_init(struct stage_apply *a, struct vol *vol)
{
	memset(a, 0, sizeof *a);
	a->vol = vol;
	a->fd = -1;
	a->cur = (size_t)-1;
}

static void
apply_free(struct stage_apply *a)
{
	size_t	i;

	for (i = 0; i < a->nops; i++) {
		free((char *)a->ops[i].path);
		free((char *)a->ops[i].sha256);
	}
	free(a->ops);
	free(a->srcs);
	for (i = 0; i < a->ndeletes; i++)
		free(a->deletes[i]);
	free(a->deletes);
	for (i = 0; i < a->nchanges; i++)
		free(a->changes[i]);
	free(a->changes);
	if (a->fd != -1)
		close(a->fd);
	free(a->buf);
	regedit_free(a->re);
}

static void
apply_change(struct stage_apply *a, const char *fmt, ...) NTM_PRINTF(2, 3);

static void
apply_change(struct stage_apply *a, const char *fmt, ...)
{
	va_list	ap;

	a->changes = xreallocarray(a->changes, a->nchanges + 1,
	    sizeof *a->changes);
	va_start(ap, fmt);
	xvasprintf(&a->changes[a->nchanges++], fmt, ap);
	va_end(ap);
}

static void
apply_op(struct stage_apply *a, enum journal_kind kind, const char *path,
    uint64_t size, const char *sha256, const struct stage_src *src)
{
	struct journal_op	*op;

	a->ops = xreallocarray(a->ops, a->nops + 1, sizeof *a->ops);
	a->srcs = xreallocarray(a->srcs, a->nops + 1, sizeof *a->srcs);
	op = &a->ops[a->nops];
	memset(op, 0, sizeof *op);
	op->kind = kind;
	op->path = xstrdup(path);
	op->size = size;
	op->sha256 = sha256 != NULL ? xstrdup(sha256) : NULL;
	if (src != NULL)
		a->srcs[a->nops] = *src;
	else
		memset(&a->srcs[a->nops], 0, sizeof a->srcs[a->nops]);
	a->nops++;
}

/* A small file of the queue folder: created, or replaced in place. */
static void
apply_text(struct stage_apply *a, const char *path, const char *buf,
    size_t len)
{
	struct stage_src	src = { NULL, buf, len };

	apply_op(a, vol_exists(a->vol, path) ? JOURNAL_REPLACE :
	    JOURNAL_CREATE, path, len, NULL, &src);
}

static ssize_t
apply_read(void *arg, size_t i, const void **data, char **cause)
{
	struct stage_apply	*a = arg;
	struct stage_src	*s = &a->srcs[i];
	size_t			 len = STAGE_READ_CHUNK;
	ssize_t			 r;

	if (i != a->cur) {
		if (a->fd != -1)
			close(a->fd);
		a->fd = -1;
		a->cur = i;
		a->off = 0;
		if (s->file != NULL && (a->fd = open(s->file, O_RDONLY |
		    O_CLOEXEC)) == -1)
			return set_cause(cause, "%s: %s", s->file,
			    strerror(errno));
	}
	if (s->file == NULL) {
		if (len > s->len - a->off)
			len = s->len - a->off;
		*data = (const char *)s->buf + a->off;
		a->off += len;
		return (ssize_t)len;
	}
	if (a->buf == NULL)
		a->buf = xmalloc(len);
	*data = a->buf;
	if ((r = read(a->fd, a->buf, len)) < 0)
		return set_cause(cause, "%s: %s", s->file, strerror(errno));
	return r;
}

static int
apply_run(void *arg, struct journal *j, char **cause)
{
	struct stage_apply	*a = arg;
	size_t			 i;

	for (i = 0; i < a->ndeletes; i++) {
		if (journal_delete(j, a->deletes[i], cause) != 0)
			return -1;
	}
	if (journal_batch(j, a->ops, a->nops, apply_read, a, cause) != 0)
		return -1;
	/* Setup last: the runner is armed only once its files are there. */
	return regedit_commit(a->re, j, cause);
}

/* SYSTEM\Setup as it is now. */
struct setup_state {
	uint32_t	 type;		/* SetupType, 0 when missing */
	char		*cmdline;	/* CmdLine, NULL when missing */
	uint32_t	 in_progress;	/* SystemSetupInProgress */
	uint32_t	 oobe;		/* OOBEInProgress */
};

static void
setup_read(struct hive *h, struct setup_state *s)
{
	memset(s, 0, sizeof *s);
	hive_value_dword(h, STAGE_SETUP_KEY, "SetupType", &s->type, NULL);
	hive_value_string(h, STAGE_SETUP_KEY, "CmdLine", &s->cmdline, NULL);
	hive_value_dword(h, STAGE_SETUP_KEY, "SystemSetupInProgress",
	    &s->in_progress, NULL);
	hive_value_dword(h, STAGE_SETUP_KEY, "OOBEInProgress", &s->oobe,
	    NULL);
}

static int
setup_is_ours(const struct setup_state *s)
{
	return s->cmdline != NULL && strcasecmp(s->cmdline, STAGE_CMDLINE) ==
	    0;
}

/* Arm (or disarm) the runner in regedit's SYSTEM copy, refusing to take
 * over a next-boot command that is not ours. */
static int
setup_set(struct stage_apply *a, int arm, char **cause)
{
	struct setup_state	 s;
	struct hive		*h;
	uint8_t			 dw[4];
	uint8_t			*w;
	size_t			 wlen;
	int			 ret = -1;

	if ((h = regedit_hive(a->re, HIVE_SYSTEM, cause)) == NULL)
		return -1;
	setup_read(h, &s);
	if (arm && (s.in_progress != 0 || s.oobe != 0)) {
		set_cause(cause, "Windows setup has not finished on this "
		    "installation (SYSTEM\\Setup SystemSetupInProgress=%u, "
		    "OOBEInProgress=%u): its own next-boot steps must run "
		    "first", s.in_progress, s.oobe);
		goto out;
	}
	if (s.type != 0 && s.cmdline != NULL && *s.cmdline != '\0' &&
	    !setup_is_ours(&s)) {
		set_cause(cause, "SYSTEM\\Setup already has SetupType=%u and "
		    "CmdLine '%s' (another tool's next-boot command, or an "
		    "unfinished setup); remove it first with 'ntmend reg set "
		    "HKLM\\SYSTEM\\Setup SetupType dword 0' if it is stale",
		    s.type, s.cmdline);
		goto out;
	}
	le32enc(dw, arm ? STAGE_SETUP_TYPE : 0);
	if (regedit_set(a->re, "HKLM\\SYSTEM\\" STAGE_SETUP_KEY, "SetupType",
	    HIVE_REG_DWORD, dw, 4, cause) != 0)
		goto out;
	/* REG_SZ as Windows keeps it (an empty string when idle). */
	if ((w = utf8_to_utf16le(arm ? STAGE_CMDLINE : "", &wlen)) == NULL) {
		set_cause(cause, "CmdLine cannot be encoded");
		goto out;
	}
	ret = regedit_set(a->re, "HKLM\\SYSTEM\\" STAGE_SETUP_KEY, "CmdLine",
	    HIVE_REG_SZ, w, wlen + 2, cause);
	free(w);
out:
	free(s.cmdline);
	return ret;
}

/* New queue.txt and run.cmd (or none when the queue is empty). */
static void
apply_queue(struct stage_apply *a, struct stage_queue *q, char **qtext,
    char **runner)
{
	size_t	qlen, rlen;

	*qtext = stage_queue_format(q, &qlen);
	apply_text(a, STAGE_QUEUE, *qtext, qlen);
	apply_change(a, "wrote %s (generation %u, %zu step(s))", STAGE_QUEUE,
	    q->gen, q->n);
	*runner = NULL;
	if (q->n > 0) {
		*runner = stage_runner(q, &rlen);
		apply_text(a, STAGE_RUNNER, *runner, rlen);
		apply_change(a, "wrote %s (runs the %zu step(s) in order at "
		    "the next boot)", STAGE_RUNNER, q->n);
	} else if (vol_exists(a->vol, STAGE_RUNNER)) {
		a->deletes = xreallocarray(a->deletes, a->ndeletes + 1,
		    sizeof *a->deletes);
		a->deletes[a->ndeletes++] = xstrdup(STAGE_RUNNER);
		apply_change(a, "deleted %s", STAGE_RUNNER);
	}
}

static int
stage_commit(struct cmd_ctx *ctx, struct target *t, struct stage_apply *a)
{
	const char *const	*rc;
	const char		**all;
	size_t			 nrc, i, n;
	int			 st;

	rc = regedit_changes(a->re, &nrc);
	n = a->nchanges + nrc;
	all = xcalloc(n + 1, sizeof *all);
	for (i = 0; i < a->nchanges; i++)
		all[i] = a->changes[i];
	for (i = 0; i < nrc; i++)
		all[a->nchanges + i] = rc[i];
	st = cmd_commit(ctx, t, apply_run, a, all, n);
	free(all);
	return st;
}

static const struct stage_entry *
queue_find_identity(const struct stage_queue *q, const char *identity)
{
	size_t	i;

	for (i = 0; i < q->n; i++) {
		if (q->entries[i].identity != NULL && identity != NULL &&
		    strcasecmp(q->entries[i].identity, identity) == 0)
			return &q->entries[i];
	}
	return NULL;
}

/*
 * A package naming a servicing stack above the installed one needs an
 * SSU that provides it in the queue (ssu-missing: CBS refuses it with
 * 0x800f0823 CBS_E_NEW_SERVICING_STACK_REQUIRED otherwise).
 */
static int
stage_ss_check(const struct stage_queue *q, const char *installed,
    int force, char **cause)
{
	const struct stage_entry	*e, *s;
	size_t				 i, k;

	for (i = 0; i < q->n; i++) {
		e = &q->entries[i];
		if (e->ss_required == NULL || (installed != NULL &&
		    mum_version_cmp(e->ss_required, installed) <= 0))
			continue;
		for (k = 0; k < q->n; k++) {
			s = &q->entries[k];
			if (s->role == STAGE_SSU && s->ss_provides != NULL &&
			    mum_version_cmp(s->ss_provides, e->ss_required) >= 0)
				break;
		}
		if (k < q->n)
			continue;
		if (force) {
			out_warning("%s needs servicing stack %s, the target "
			    "has %s and no queued SSU provides it: queued "
			    "anyway (--force)", e->file, e->ss_required,
			    installed != NULL ? installed : "an unknown one");
			continue;
		}
		return set_cause(cause, "%s (%s) needs servicing stack %s, the "
		    "target has %s and no servicing stack update in the queue "
		    "provides it: stage the SSU (its .msu or SSU-*.cab) in the "
		    "same command or before (DISM would fail with 0x800f0823 "
		    "CBS_E_NEW_SERVICING_STACK_REQUIRED); --force to queue it "
		    "anyway", e->file, e->kb != NULL ? e->kb : e->identity,
		    e->ss_required, installed != NULL ? installed :
		    "an unknown one");
	}
	return 0;
}

static int
stage_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct stage_expand	*x = NULL;
	struct stage_package	*pk;
	struct stage_queue	 q;
	struct stage_apply	 a;
	const struct stage_entry *dup;
	struct stage_entry	*e;
	struct stage_src	 src;
	struct identity		 id;
	struct target		 t;
	const char		**files = NULL, **cmds = NULL;
	const char *const	*notes;
	char			*cause = NULL, *installed = NULL, *path;
	char			*qtext = NULL, *runner = NULL;
	size_t			 nfiles = 0, ncmds = 0, npk, i, n;
	int			 st, have_id = 0, queued = 0;

	memset(&q, 0, sizeof q);
	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--command") == 0) {
			if (i + 1 == (size_t)argc)
				return stage_usage();
			cmds = xreallocarray(cmds, ncmds + 1, sizeof *cmds);
			cmds[ncmds++] = argv[++i];
		} else {
			files = xreallocarray(files, nfiles + 1, sizeof *files);
			files[nfiles++] = argv[i];
		}
	}
	if (nfiles + ncmds == 0) {
		free(files);
		free(cmds);
		return stage_usage();
	}
	for (i = 0; i < ncmds; i++) {
		if (stage_command_check(cmds[i], &cause) != 0) {
			out_error("stage add --command: %s", cause);
			free(cause);
			free(files);
			free(cmds);
			return NTM_USAGE;
		}
	}
	/* Every file is judged on this machine before the target is even
	 * opened: a hostile cabinet never gets near the volume. */
	if (stage_expand(files, nfiles, &x, &cause) != 0) {
		out_error("stage add: %s", cause);
		free(cause);
		free(files);
		free(cmds);
		return NTM_FAILED;
	}
	notes = stage_expand_notes(x, &n);
	for (i = 0; i < n; i++)
		out_warning("%s", notes[i]);
	if ((st = cmd_target_open(ctx, ctx->dry_run ? 0 : TARGET_WRITE,
	    &t)) != NTM_OK) {
		stage_expand_free(x);
		free(files);
		free(cmds);
		return st;
	}
	apply_init(&a, t.vol);
	st = NTM_FAILED;
	memset(&id, 0, sizeof id);
	if (identity_read(t.vol, &id, &cause) != 0) {
		out_error("stage add: the target's build and architecture "
		    "cannot be read: %s", cause);
		goto out;
	}
	have_id = 1;
	if (stage_installed_stack(t.vol, &installed, &cause) != 0) {
		out_warning("the installed servicing stack is unknown: %s",
		    cause);
		free(cause);
		cause = NULL;
	}
	if (stage_queue_read(t.vol, &q, &cause) != 0) {
		out_error("stage add: %s", cause);
		goto out;
	}
	/* ntmend\ exists once the journal is begun (it lives in
	 * ntmend\journal); the queue folder gets its own descriptor. */
	if (!vol_exists(t.vol, STAGE_DIR)) {
		apply_op(&a, JOURNAL_MKDIR, STAGE_DIR, 0, NULL, NULL);
		a.ops[a.nops - 1].sd = stage_dir_sd;
		a.ops[a.nops - 1].sdlen = sizeof stage_dir_sd;
		apply_change(&a, "created %s (SYSTEM and Administrators only)",
		    STAGE_DIR);
	}
	pk = stage_expand_packages(x, &npk);
	for (i = 0; i < npk; i++) {
		if (stage_applies(&pk[i], id.build, id.arch, &cause) != 0) {
			if (!ctx->force) {
				out_error("stage add: %s: %s", pk[i].source,
				    cause);
				goto out;
			}
			out_warning("%s; queued anyway (--force)", cause);
			free(cause);
			cause = NULL;
		}
		if ((dup = queue_find_identity(&q, pk[i].identity)) != NULL) {
			out_warning("%s is queued already (step %02u, %s): "
			    "not added again", pk[i].identity, dup->id,
			    dup->file);
			continue;
		}
		if (pk[i].role == STAGE_SSU && installed != NULL &&
		    mum_version_cmp(pk[i].ss_provides, installed) <= 0)
			out_warning("%s installs servicing stack %s; the target "
			    "has %s already (DISM will call it not "
			    "applicable)", pk[i].name, pk[i].ss_provides,
			    installed);
		e = stage_queue_add_package(&q, &pk[i]);
		path = xprintf("%s\\%s", STAGE_DIR, e->file);
		memset(&src, 0, sizeof src);
		src.file = pk[i].file;
		apply_op(&a, JOURNAL_CREATE, path, e->size, e->sha256, &src);
		apply_change(&a, "queued step %02u (%s) %s%s%s%s from %s as "
		    "%s (%llu bytes)", e->id, stage_role_name(e->role),
		    e->identity, e->kb != NULL ? " (" : "", e->kb != NULL ?
		    e->kb : "", e->kb != NULL ? ")" : "", e->source, path,
		    (unsigned long long)e->size);
		free(path);
		queued++;
	}
	for (i = 0; i < ncmds; i++) {
		e = stage_queue_add_command(&q, cmds[i]);
		apply_change(&a, "queued step %02u (command) %s", e->id,
		    e->command);
		queued++;
	}
	if (queued == 0) {
		printf("nothing to change: everything given is queued "
		    "already\n");
		st = NTM_OK;
		goto out;
	}
	if (q.n > NTM_MAX_STAGE_QUEUE) {
		out_error("stage add: the queue would have %zu steps, over %d",
		    q.n, NTM_MAX_STAGE_QUEUE);
		goto out;
	}
	stage_queue_sort(&q);
	if (stage_ss_check(&q, installed, ctx->force, &cause) != 0) {
		out_error("stage add: %s", cause);
		goto out;
	}
	q.gen++;
	apply_queue(&a, &q, &qtext, &runner);
	regedit_begin(t.vol, ctx->force, &a.re);
	if (setup_set(&a, 1, &cause) != 0) {
		out_error("stage add: %s", cause);
		goto out;
	}
	st = stage_commit(ctx, &t, &a);
out:
	free(cause);
	free(qtext);
	free(runner);
	free(installed);
	if (have_id)
		identity_free(&id);
	stage_queue_free(&q);
	apply_free(&a);
	target_close(&t);
	stage_expand_free(x);
	free(files);
	free(cmds);
	return st;
}

static int
stage_rm(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct stage_queue	 q;
	struct stage_apply	 a;
	struct stage_entry	*e;
	struct target		 t;
	unsigned long		 id;
	char			*cause = NULL, *end, *qtext = NULL;
	char			*runner = NULL;
	size_t			 i, k;
	int			 st;

	if (argc < 1)
		return stage_usage();
	if ((st = cmd_target_open(ctx, ctx->dry_run ? 0 : TARGET_WRITE,
	    &t)) != NTM_OK)
		return st;
	apply_init(&a, t.vol);
	st = NTM_FAILED;
	if (stage_queue_read(t.vol, &q, &cause) != 0) {
		out_error("stage rm: %s", cause);
		goto out;
	}
	for (i = 0; i < (size_t)argc; i++) {
		id = strtoul(argv[i], &end, 10);
		for (k = 0; k < q.n && (*end != '\0' || q.entries[k].id != id);
		    k++)
			;
		if (k == q.n) {
			out_error("stage rm: no step %s in the queue ('ntmend "
			    "stage ls' lists them)", argv[i]);
			st = NTM_USAGE;
			goto out;
		}
		e = &q.entries[k];
		if (e->file != NULL) {
			a.deletes = xreallocarray(a.deletes, a.ndeletes + 1,
			    sizeof *a.deletes);
			a.deletes[a.ndeletes++] = xprintf("%s\\%s", STAGE_DIR,
			    e->file);
			apply_change(&a, "removed step %02u (%s) %s: deleted "
			    "%s\\%s", e->id, stage_role_name(e->role),
			    e->identity, STAGE_DIR, e->file);
		} else
			apply_change(&a, "removed step %02u (command) %s",
			    e->id, e->command);
		stage_queue_remove(&q, (unsigned)id);
	}
	q.gen++;
	apply_queue(&a, &q, &qtext, &runner);
	regedit_begin(t.vol, ctx->force, &a.re);
	if (setup_set(&a, q.n > 0, &cause) != 0) {
		out_error("stage rm: %s", cause);
		goto out;
	}
	st = stage_commit(ctx, &t, &a);
out:
	free(cause);
	free(qtext);
	free(runner);
	stage_queue_free(&q);
	apply_free(&a);
	target_close(&t);
	return st;
}

/* Read-only: the queue, the target, Setup and the runner's results. */
struct stage_view {
	struct target		 t;
	struct identity		 id;
	struct stage_queue	 q;
	struct setup_state	 setup;
	char			*installed;
	struct stage_results	 res;
	int			 has_results;
};

static int
view_open(struct cmd_ctx *ctx, struct stage_view *v)
{
	struct hive	*h;
	void		*buf;
	size_t		 len;
	char		*cause = NULL;
	int		 st;

	memset(v, 0, sizeof *v);
	if ((st = cmd_target_open(ctx, 0, &v->t)) != NTM_OK)
		return st;
	if (identity_read(v->t.vol, &v->id, NULL) != 0)
		memset(&v->id, 0, sizeof v->id);
	if (stage_installed_stack(v->t.vol, &v->installed, &cause) != 0) {
		free(cause);
		cause = NULL;
	}
	if (hive_checkout(v->t.vol, hive_volume_path(HIVE_SYSTEM), &h,
	    &cause) == 0) {
		setup_read(h, &v->setup);
		hive_close(h);
	} else {
		out_warning("SYSTEM\\Setup cannot be read: %s", cause);
		free(cause);
		cause = NULL;
	}
	if (stage_queue_read(v->t.vol, &v->q, &cause) != 0)
		goto fail;
	if (vol_exists(v->t.vol, STAGE_RESULTS)) {
		if (vol_file_read_all(v->t.vol, STAGE_RESULTS,
		    NTM_MAX_STAGE_TEXT, &buf, &len, &cause) != 0)
			goto fail;
		st = stage_results_parse(buf, len, v->q.gen, &v->res, &cause);
		free(buf);
		if (st != 0)
			goto fail;
		v->has_results = 1;
	}
	return NTM_OK;
fail:
	out_error("stage: %s", cause);
	free(cause);
	return NTM_FAILED;
}

static void
view_close(struct stage_view *v)
{
	identity_free(&v->id);
	stage_queue_free(&v->q);
	free(v->setup.cmdline);
	free(v->installed);
	stage_results_free(&v->res);
	target_close(&v->t);
}

static const char *
view_armed(const struct stage_view *v)
{
	if (v->setup.type == STAGE_SETUP_TYPE && setup_is_ours(&v->setup))
		return "armed";
	if (v->setup.type != 0)
		return "other";
	return "idle";
}

/* Whether an entry still applies to the target, one line. */
static char *
entry_applies(const struct stage_view *v, const struct stage_entry *e)
{
	const struct stage_entry	*s;
	const char			*tn;
	size_t				 i;

	if (e->role == STAGE_COMMAND)
		return NULL;
	if (e->arch != NULL && v->id.arch != NULL && strcasecmp(e->arch,
	    "neutral") != 0 && strcasecmp(e->arch, v->id.arch) != 0)
		return xprintf("for %s, the target is %s", e->arch,
		    v->id.arch);
	if (e->build != 0 && v->id.build != 0 && stage_build_family(e->build,
	    NULL) != stage_build_family(v->id.build, &tn))
		return xprintf("for build %u, the target is build %u", e->build,
		    v->id.build);
	if (e->ss_required != NULL && v->installed != NULL &&
	    mum_version_cmp(e->ss_required, v->installed) > 0) {
		for (i = 0; i < v->q.n; i++) {
			s = &v->q.entries[i];
			if (s->role == STAGE_SSU && s->ss_provides != NULL &&
			    mum_version_cmp(s->ss_provides, e->ss_required) >= 0)
				return NULL;
		}
		return xprintf("needs servicing stack %s (installed %s): an SSU "
		    "before it in the queue must provide it", e->ss_required,
		    v->installed);
	}
	return NULL;
}

static int
stage_ls(struct cmd_ctx *ctx)
{
	struct stage_view		 v;
	const struct stage_entry	*e;
	struct vol_stat			 sb;
	json_t				*a, *o;
	char				*why, *path, *ver;
	size_t				 i;
	int				 st, present;

	if ((st = view_open(ctx, &v)) != NTM_OK)
		return st;
	ver = identity_version(&v.id);
	a = ctx->json ? json_array() : NULL;
	if (!ctx->json) {
		printf("queue on %s (Windows %s %s, servicing stack %s): "
		    "generation %u, %zu step(s), runner %s\n", v.t.spec,
		    *ver != '\0' ? ver : "of unknown build", v.id.arch != NULL ?
		    v.id.arch : "?", v.installed != NULL ? v.installed : "?",
		    v.q.gen, v.q.n, view_armed(&v));
	}
	for (i = 0; i < v.q.n; i++) {
		e = &v.q.entries[i];
		why = entry_applies(&v, e);
		present = 1;
		if (e->file != NULL) {
			path = xprintf("%s\\%s", STAGE_DIR, e->file);
			present = vol_stat(v.t.vol, path, &sb, NULL) == 0 &&
			    sb.size == e->size;
			free(path);
		}
		if (a != NULL) {
			o = json_pack("{s:i,s:i,s:s}", "order", (int)i + 1, "id",
			    (int)e->id, "role", stage_role_name(e->role));
			if (e->role == STAGE_COMMAND)
				json_object_set_new(o, "command",
				    json_string(e->command));
			else {
				json_object_set_new(o, "file",
				    json_string(e->file));
				json_object_set_new(o, "identity",
				    out_jstr(e->identity));
				json_object_set_new(o, "kb", out_jstr(e->kb));
				json_object_set_new(o, "arch", out_jstr(e->arch));
				json_object_set_new(o, "build",
				    json_integer(e->build));
				json_object_set_new(o, "size",
				    json_integer((json_int_t)e->size));
				json_object_set_new(o, "sha256",
				    json_string(e->sha256));
				json_object_set_new(o, "ss_required",
				    out_jstr(e->ss_required));
				json_object_set_new(o, "ss_provides",
				    out_jstr(e->ss_provides));
				json_object_set_new(o, "source",
				    out_jstr(e->source));
				json_object_set_new(o, "present",
				    json_boolean(present));
			}
			json_object_set_new(o, "applies", json_boolean(why ==
			    NULL));
			json_object_set_new(o, "why_not", out_jstr(why));
			json_array_append_new(a, o);
		} else if (e->role == STAGE_COMMAND)
			printf("%2zu. %02u command  %s\n", i + 1, e->id,
			    e->command);
		else
			printf("%2zu. %02u %-7s  %s%s%s%s\n      %s, %llu "
			    "bytes%s: %s%s\n", i + 1, e->id,
			    stage_role_name(e->role), e->identity,
			    e->kb != NULL ? " (" : "", e->kb != NULL ? e->kb :
			    "", e->kb != NULL ? ")" : "", e->file,
			    (unsigned long long)e->size, present ? "" :
			    " (MISSING on the volume)", why == NULL ?
			    "applies to this target" : "does not apply: ",
			    why != NULL ? why : "");
		free(why);
	}
	if (a != NULL) {
		out_json("ntmend.stage/1", json_pack("{s:s,s:s?,s:s?,s:s?,s:i,"
		    "s:s,s:s?,s:i,s:o}", "target", v.t.spec, "version",
		    *ver != '\0' ? ver : NULL, "arch", v.id.arch,
		    "servicing_stack", v.installed, "generation", (int)v.q.gen,
		    "runner", view_armed(&v), "cmdline", v.setup.cmdline,
		    "setup_type", (int)v.setup.type, "queue", a));
	} else if (v.q.n == 0)
		printf("the queue is empty ('ntmend stage add FILE.msu' "
		    "queues an update)\n");
	free(ver);
	view_close(&v);
	return NTM_OK;
}

/* The last line of a step's output (DISM's "Error: 0x800f081f"). */
static char *
step_log_tail(struct vol *vol, unsigned gen, unsigned id)
{
	char	*path, *buf = NULL, *p, *end, *line = NULL;
	size_t	 len;

	path = xprintf("%s\\%u-%02u.log", STAGE_STATE_DIR, gen, id);
	if (vol_file_read_all(vol, path, NTM_MAX_STAGE_TEXT, (void **)&buf,
	    &len, NULL) == 0) {
		end = buf + len;
		while (end > buf && (end[-1] == '\n' || end[-1] == '\r' ||
		    end[-1] == ' ' || end[-1] == '\0'))
			end--;
		for (p = end; p > buf && p[-1] != '\n'; p--)
			;
		if (end > p) {
			line = xstrndup(p, (size_t)(end - p));
			for (p = line; *p != '\0'; p++) {
				if ((unsigned char)*p < 0x20 || (unsigned char)
				    *p >= 0x7f)
					*p = '?';
			}
		}
	}
	free(buf);
	free(path);
	return line;
}

static int
stage_status(struct cmd_ctx *ctx)
{
	struct stage_view		 v;
	const struct stage_entry	*e;
	const struct stage_step_result	*r;
	json_t				*a, *o;
	const char			*state;
	char				*desc, *tail;
	size_t				 i, k, failed = 0, notrun = 0;
	int				 st;

	if ((st = view_open(ctx, &v)) != NTM_OK)
		return st;
	if (v.q.n == 0)
		state = "empty";
	else if (!v.has_results || v.res.attempts == 0)
		state = "not-run";
	else if (v.res.gave_up)
		state = "gave-up";
	else if (v.res.finished)
		state = "finished";
	else
		state = "interrupted";
	a = ctx->json ? json_array() : NULL;
	if (!ctx->json) {
		printf("runner on %s: %s (generation %u", v.t.spec, state,
		    v.q.gen);
		if (v.has_results && v.res.attempts > 0)
			printf(", %u attempt(s) of %d, last at %s", v.res.attempts,
			    STAGE_MAX_ATTEMPTS, v.res.last_time != NULL ?
			    v.res.last_time : "?");
		printf(")\n");
	}
	for (i = 0; i < v.q.n; i++) {
		e = &v.q.entries[i];
		r = NULL;
		for (k = 0; k < v.res.nsteps; k++) {
			if (v.res.steps[k].id == e->id)
				r = &v.res.steps[k];
		}
		desc = r != NULL && r->ended ? stage_exit_describe(r->rc) : NULL;
		tail = r != NULL ? step_log_tail(v.t.vol, v.q.gen, e->id) : NULL;
		if (r == NULL || !r->ended)
			notrun++;
		else if (!stage_exit_ok(r->rc))
			failed++;
		if (a != NULL) {
			o = json_pack("{s:i,s:s,s:s?,s:s?,s:i}", "id", (int)e->id,
			    "role", stage_role_name(e->role), "identity",
			    e->identity, "command", e->command, "attempts",
			    r != NULL ? (int)r->attempts : 0);
			json_object_set_new(o, "exit_code", r != NULL &&
			    r->ended ? json_integer(r->rc) : json_null());
			json_object_set_new(o, "hresult", r != NULL && r->ended &&
			    r->rc < 0 ? json_string(desc) : json_null());
			json_object_set_new(o, "result", out_jstr(desc));
			json_object_set_new(o, "ok", json_boolean(r != NULL &&
			    r->ended && stage_exit_ok(r->rc)));
			json_object_set_new(o, "started", out_jstr(r != NULL ?
			    r->started : NULL));
			json_object_set_new(o, "finished", out_jstr(r != NULL ?
			    r->finished : NULL));
			json_object_set_new(o, "output", out_jstr(tail));
			json_array_append_new(a, o);
		} else {
			printf("%02u %-7s %s\n", e->id, stage_role_name(e->role),
			    e->role == STAGE_COMMAND ? e->command : e->identity);
			if (r == NULL)
				printf("   not run\n");
			else if (!r->ended)
				printf("   started %s, no exit code (attempts: "
				    "%u): interrupted\n", r->started, r->attempts);
			else
				printf("   exit %s%s, at %s (attempts: %u)\n", desc,
				    stage_exit_ok(r->rc) ? "" : " FAILED",
				    r->finished, r->attempts);
			if (tail != NULL)
				printf("   output: %s\n", tail);
		}
		free(desc);
		free(tail);
	}
	if (a != NULL)
		out_json("ntmend.stage-status/1", json_pack("{s:s,s:s,s:i,s:i,"
		    "s:i,s:b,s:b,s:b,s:i,s:b,s:s,s:o}", "target", v.t.spec,
		    "state", state, "generation", (int)v.q.gen, "attempts",
		    (int)v.res.attempts, "max_attempts", STAGE_MAX_ATTEMPTS,
		    "gave_up", v.res.gave_up, "finished", v.res.finished,
		    "setup_reset", v.res.reset && v.res.reset_rc == 0,
		    "setup_reset_exit", (int)v.res.reset_rc, "restarted",
		    v.res.restarted, "runner", view_armed(&v), "steps", a));
	else {
		if (v.has_results && v.res.reset)
			printf("Setup put back (SetupType 0, CmdLine \"\"): "
			    "reg.exe exit %d%s\n", v.res.reset_rc,
			    v.res.restarted ? "; restarted to finish installing"
			    : "");
		if (strcmp(view_armed(&v), "armed") == 0)
			printf("the runner is armed: Windows runs it at the next "
			    "boot\n");
		if (v.res.gave_up)
			printf("it gave up after %d attempts that did not "
			    "finish: see the step that was interrupted\n",
			    STAGE_MAX_ATTEMPTS);
	}
	view_close(&v);
	if (strcmp(state, "empty") == 0)
		return NTM_OK;
	return failed == 0 && notrun == 0 ? NTM_OK : NTM_WARN;
}

static int
cmd_stage_exec(struct cmd_ctx *ctx)
{
	const char	*sub;

	if (ctx->argc < 2)
		return stage_usage();
	sub = ctx->argv[1];
	if (strcmp(sub, "add") == 0)
		return stage_add(ctx, ctx->argc - 2, ctx->argv + 2);
	if (strcmp(sub, "rm") == 0)
		return stage_rm(ctx, ctx->argc - 2, ctx->argv + 2);
	if (strcmp(sub, "ls") == 0 && ctx->argc == 2)
		return stage_ls(ctx);
	if (strcmp(sub, "status") == 0 && ctx->argc == 2)
		return stage_status(ctx);
	return stage_usage();
}
