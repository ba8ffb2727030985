/*
 * cmd-pol.c: Group Policy registry.pol: show, check, repair, set, del. The
 * target's Machine file by default, --user for the User one, or a file on
 * this machine (a good PC's copy on the stick), which needs no target.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_pol_exec(struct cmd_ctx *);

const struct cmd_entry cmd_pol_entry = {
	.name = "pol",
	.usage = "show|check|repair|set|del [FILE|--user] ...",
	.summary = "Group Policy registry.pol (Machine, --user, or a file)",
	.exec = cmd_pol_exec
};

/* Data longer than this is cut in the text table (--json has it all). */
#define POL_SHOW_DATA	72
/* Names longer than this push their line's data to the right. */
#define POL_SHOW_NAME	40

static int
pol_usage(void)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [--json] pol show "
	    "[FILE | --user]\n"
	    "       ntmend [-t TARGET] [--json] pol check [FILE | --user]\n"
	    "       ntmend [-t TARGET] [-n] pol repair [FILE | --user]\n"
	    "       ntmend [-t TARGET] [-n] pol set [--file FILE | --user] "
	    "KEY NAME TYPE [DATA...]\n"
	    "       ntmend [-t TARGET] [-n] pol del [--file FILE | --user] "
	    "KEY NAME\n"
	    "Without FILE: the target's Windows\\System32\\GroupPolicy\\"
	    "Machine\\registry.pol (User with --user).\n"
	    "FILE: a registry.pol on this machine; changing it keeps the "
	    "original as FILE.bak.\n"
	    "KEY: Software\\Policies\\... (HKLM\\ or HKCU\\ in front is "
	    "accepted); NAME: a value name, @ for the default value\n"
	    "TYPE: sz, expand_sz, multi_sz (one DATA per string), dword, "
	    "qword, binary (hex bytes), none, hex(N)\n");
	return NTM_USAGE;
}

/* The file a subcommand works on, and its arguments. */
struct pol_cmd {
	const char		*sub;
	const char		*file;		/* on this machine, or NULL */
	int			 user;		/* --user */
	char			**args;		/* the rest, in order */
	int			 nargs;

	struct target		 t;
	int			 have_target;
	struct policy_file	 pf;
	char			*where;		/* for messages */
};

static int
pol_args(struct cmd_ctx *ctx, struct pol_cmd *pc, int argc, char **argv)
{
	int	i, opts = 1, edit;

	/* set's DATA may begin with '-' ("--" first, then): only show,
	 * check and repair refuse what looks like an unknown option. */
	edit = strcmp(pc->sub, "set") == 0 || strcmp(pc->sub, "del") == 0;
	pc->args = xcalloc((size_t)argc + 1, sizeof *pc->args);
	for (i = 0; i < argc; i++) {
		if (opts && strcmp(argv[i], "--") == 0)
			opts = 0;
		else if (opts && strcmp(argv[i], "--user") == 0)
			pc->user = 1;
		else if (opts && strcmp(argv[i], "-n") == 0)
			ctx->dry_run = 1;
		else if (opts && strcmp(argv[i], "--file") == 0) {
			if (++i == argc)
				return -1;
			pc->file = argv[i];
		} else if (opts && !edit && argv[i][0] == '-')
			return -1;
		else
			pc->args[pc->nargs++] = argv[i];
	}
	/* show, check and repair take the file as their one argument. */
	if (!edit && pc->nargs == 1 && pc->file == NULL) {
		pc->file = pc->args[0];
		pc->nargs = 0;
	}
	if (pc->file != NULL && pc->user)
		return -1;
	return 0;
}

/* scope for policy_key_normalize: -1 when a file on this machine. */
static int
pol_scope(struct pol_cmd *pc)
{
	if (pc->file != NULL)
		return -1;
	return pc->user ? POLICY_USER : POLICY_MACHINE;
}

static const char *
pol_scope_name(struct pol_cmd *pc)
{
	if (pc->file != NULL)
		return NULL;
	return pc->user ? "user" : "machine";
}

/* Open the target (if the file is on it) and read the file. */
static int
pol_open(struct cmd_ctx *ctx, struct pol_cmd *pc, int write)
{
	char	*cause = NULL;
	int	 st;

	if (pc->file != NULL) {
		if (policy_read_host(pc->file, &pc->pf, &cause) != 0) {
			out_error("pol: %s", cause);
			free(cause);
			return NTM_FAILED;
		}
		pc->where = xstrdup(pc->file);
		return NTM_OK;
	}
	if ((st = cmd_target_open(ctx, write && !ctx->dry_run ?
	    TARGET_WRITE : 0, &pc->t)) != NTM_OK)
		return st;
	pc->have_target = 1;
	if (policy_read(pc->t.vol, policy_path(pc->user ? POLICY_USER :
	    POLICY_MACHINE), &pc->pf, &cause) != 0) {
		out_error("pol: %s", cause);
		free(cause);
		return NTM_FAILED;
	}
	pc->where = xprintf("%s on %s", pc->pf.path, vol_name(pc->t.vol));
	return NTM_OK;
}

static void
pol_close(struct pol_cmd *pc)
{
	policy_file_free(&pc->pf);
	if (pc->have_target)
		target_close(&pc->t);
	free(pc->where);
	free(pc->args);
}

/* "no registry.pol at ...: no local Machine policy is set (normal)". */
static void
pol_say_missing(struct pol_cmd *pc, const char *what)
{
	printf("%sno registry.pol at %s: no local %s policy is set (that is "
	    "normal)\n", what, pc->where, pc->user ? "User" : "Machine");
}

/* How to run repair on this file, for hints. */
static char *
pol_repair_hint(struct pol_cmd *pc)
{
	if (pc->file != NULL)
		return xprintf("ntmend pol repair %s", pc->file);
	return xprintf("ntmend%s%s pol repair%s", pc->t.spec != NULL ?
	    " -t " : "", pc->t.spec != NULL ? pc->t.spec : "", pc->user ?
	    " --user" : "");
}

/* The blocks only mean something for machine policy: Windows 10 ignores
 * Windows Update settings in user policy (waas-wu-settings.md). */
static void
pol_blocks(struct pol_cmd *pc, struct policy_wu_block **b, size_t *n)
{
	*b = NULL;
	*n = 0;
	if (!pc->user)
		policy_wu_blocks(pc->pf.pol, b, n);
}

/* The block (if any) an entry is part of. */
static const struct policy_wu_block *
pol_block_of(const struct policy_wu_block *b, size_t nb, size_t idx)
{
	size_t	i, k;

	for (i = 0; i < nb; i++) {
		for (k = 0; k < b[i].nentries; k++) {
			if (b[i].entries[k] == idx)
				return &b[i];
		}
	}
	return NULL;
}

static const char *
pol_action_name(enum pol_action a)
{
	switch (a) {
	case POL_ACTION_SET:
		return "set";
	case POL_ACTION_KEY:
		return "create-key";
	case POL_ACTION_SOFT:
		return "soft-set";
	case POL_ACTION_DEL:
		return "delete-value";
	case POL_ACTION_DELVALS:
		return "delete-all-values";
	case POL_ACTION_DELETEVALUES:
		return "delete-values";
	case POL_ACTION_DELETEKEYS:
		return "delete-keys";
	case POL_ACTION_SECUREKEY:
		return "secure-key";
	case POL_ACTION_SPECIAL:
		break;
	}
	return "unknown-special";
}

static json_t *
pol_damage_json(const struct policy_file *pf)
{
	if (!pf->damaged)
		return json_null();
	return json_pack("{s:I,s:s,s:s,s:I,s:I}", "offset",
	    (json_int_t)pf->err.off, "reason",
	    pol_damage_string(pf->err.damage), "message", pf->err.msg,
	    "entry", (json_int_t)pf->err.entry, "entry_offset",
	    (json_int_t)pf->err.entry_off);
}

/* The ntmend.pol/1 document, for show and check alike. */
static json_t *
pol_json(struct pol_cmd *pc)
{
	const struct policy_file	*pf = &pc->pf;
	const struct pol_entry		*e;
	const struct policy_wu_block	*blk;
	struct policy_wu_block		*b;
	json_t				*entries, *blocks, *offs;
	char				*type, *data, *hex, *meaning;
	size_t				 nb, i, k;

	pol_blocks(pc, &b, &nb);
	entries = json_array();
	for (i = 0; i < pf->pol->nentries; i++) {
		e = &pf->pol->entries[i];
		type = pol_type_name(e->type);
		data = pol_entry_format(e);
		hex = hex_encode(e->data, e->size);
		meaning = pol_entry_describe(e);
		blk = pol_block_of(b, nb, i);
		json_array_append_new(entries, json_pack("{s:I,s:s,s:s,s:s,"
		    "s:I,s:I,s:s,s:s,s:I,s:s,s:s,s:o}", "index", (json_int_t)i,
		    "key", e->key, "value", e->name, "type", type,
		    "type_number", (json_int_t)e->type, "size",
		    (json_int_t)e->size, "data", data, "hex", hex, "offset",
		    (json_int_t)e->off, "action",
		    pol_action_name(pol_entry_action(e, NULL)), "meaning",
		    meaning, "blocks_updates", out_jstr(blk != NULL ? blk->id :
		    NULL)));
		free(type);
		free(data);
		free(hex);
		free(meaning);
	}
	blocks = json_array();
	for (i = 0; i < nb; i++) {
		offs = json_array();
		for (k = 0; k < b[i].nentries; k++)
			json_array_append_new(offs, json_integer((json_int_t)
			    pf->pol->entries[b[i].entries[k]].off));
		json_array_append_new(blocks, json_pack("{s:s,s:s,s:s,s:o}",
		    "id", b[i].id, "what", b[i].what, "evidence",
		    b[i].evidence, "offsets", offs));
	}
	policy_wu_blocks_free(b, nb);
	return json_pack("{s:o,s:s,s:o,s:b,s:o,s:b,s:o,s:I,s:o,s:o}",
	    "target", out_jstr(pc->have_target ? pc->t.spec : NULL),
	    "file", pf->path, "scope", out_jstr(pol_scope_name(pc)),
	    "exists", !pf->missing, "size", pf->missing ? json_null() :
	    json_integer((json_int_t)pf->len), "valid", !pf->damaged,
	    "damage", pol_damage_json(pf), "kept",
	    (json_int_t)pf->pol->nentries, "entries", entries,
	    "blocks_updates", blocks);
}

/* One line per entry under key headings; special names say what they
 * do, and entries that stop Windows Update say so. */
static void
pol_print_table(struct pol_cmd *pc)
{
	const struct pol	*pol = pc->pf.pol;
	const struct pol_entry	*e, *prev = NULL;
	const struct policy_wu_block *blk;
	struct policy_wu_block	*b;
	char			*type, *data, *meaning, *p;
	size_t			 nb, i, len, w = 9;	/* "(default)" */

	/* The value column as wide as the longest name, within reason. */
	for (i = 0; i < pol->nentries; i++) {
		len = strlen(pol->entries[i].name);
		if (len > w)
			w = len > POL_SHOW_NAME ? POL_SHOW_NAME : len;
	}
	pol_blocks(pc, &b, &nb);
	if (pol->nentries > 0)
		printf("  %8s  %-*s %-14s %s\n", "offset", (int)w, "value",
		    "type", "data");
	for (i = 0; i < pol->nentries; i++) {
		e = &pol->entries[i];
		if (prev == NULL || strcmp(prev->key, e->key) != 0)
			printf("%s\n", e->key);
		prev = e;
		type = pol_type_name(e->type);
		data = pol_entry_format(e);
		for (p = data; *p != '\0'; p++) {
			if (*p == '\n')
				*p = '|';
		}
		if ((len = strlen(data)) > POL_SHOW_DATA)
			strcpy(data + POL_SHOW_DATA - 3, "...");
		printf("  %8zu  %-*s %-14s %s", e->off, (int)w,
		    *e->name != '\0' ? e->name : "(default)", type, data);
		if (pol_entry_action(e, NULL) != POL_ACTION_SET) {
			meaning = pol_entry_describe(e);
			printf("  -> %s", meaning);
			free(meaning);
		}
		if ((blk = pol_block_of(b, nb, i)) != NULL)
			printf("  [stops Windows Update: %s]", blk->id);
		printf("\n");
		free(type);
		free(data);
	}
	for (i = 0; i < nb; i++)
		printf("stops Windows Update (%s): %s\n  %s\n", b[i].id,
		    b[i].what, b[i].evidence);
	policy_wu_blocks_free(b, nb);
}

/* "damaged at offset ...", and what repair would keep. */
static void
pol_print_damage(struct pol_cmd *pc, FILE *f)
{
	const struct policy_file	*pf = &pc->pf;
	char				*hint;

	fprintf(f, "%s: damaged: %s\n", pc->where, pf->err.msg);
	hint = pol_repair_hint(pc);
	if (pf->pol->nentries == 0)
		fprintf(f, "no entry before the damage is valid; '%s' writes "
		    "an empty policy file (header only) in place of its %zu "
		    "bytes\n", hint, pf->len);
	else
		fprintf(f, "%zu entr%s before the damage %s valid; '%s' keeps "
		    "them and drops the rest\n", pf->pol->nentries,
		    pf->pol->nentries == 1 ? "y" : "ies",
		    pf->pol->nentries == 1 ? "is" : "are", hint);
	free(hint);
}

static int
pol_show(struct cmd_ctx *ctx, struct pol_cmd *pc)
{
	const struct policy_file	*pf = &pc->pf;

	if (ctx->json) {
		out_json("ntmend.pol/1", pol_json(pc));
		return pf->damaged ? NTM_WARN : NTM_OK;
	}
	if (pf->missing) {
		pol_say_missing(pc, "");
		return NTM_OK;
	}
	printf("%s: %zu entr%s, %s (%zu bytes)\n", pc->where,
	    pf->pol->nentries, pf->pol->nentries == 1 ? "y" : "ies",
	    pf->damaged ? "damaged: only the entries before the damage" :
	    "valid", pf->len);
	pol_print_table(pc);
	if (pf->damaged) {
		pol_print_damage(pc, stderr);
		return NTM_WARN;
	}
	return NTM_OK;
}

static int
pol_check(struct cmd_ctx *ctx, struct pol_cmd *pc)
{
	const struct policy_file	*pf = &pc->pf;
	struct policy_wu_block		*b;
	size_t				 nb;

	if (ctx->json) {
		out_json("ntmend.pol/1", pol_json(pc));
		return pf->damaged ? NTM_WARN : NTM_OK;
	}
	if (pf->missing) {
		pol_say_missing(pc, "");
		return NTM_OK;
	}
	if (pf->damaged) {
		pol_print_damage(pc, stdout);
		return NTM_WARN;
	}
	pol_blocks(pc, &b, &nb);
	printf("%s: valid, %zu entr%s (%zu bytes)", pc->where,
	    pf->pol->nentries, pf->pol->nentries == 1 ? "y" : "ies", pf->len);
	if (nb > 0)
		printf("; %zu polic%s stop Windows Update ('pol show' marks "
		    "them)", nb, nb == 1 ? "y" : "ies");
	printf("\n");
	policy_wu_blocks_free(b, nb);
	return NTM_OK;
}

/* What a change on the target writes. */
struct pol_apply {
	const struct policy_file	*pf;
	const void			*buf;
	size_t				 len;
};

static int
pol_apply_fn(void *arg, struct journal *j, char **cause)
{
	struct pol_apply	*pa = arg;

	return policy_commit(j, pa->pf, pa->buf, pa->len, cause);
}

/* Commit new bytes: through the journal on the target (cmd_commit prints
 * the changes), or beside FILE.bak on this machine. */
static int
pol_commit(struct cmd_ctx *ctx, struct pol_cmd *pc, const void *buf,
    size_t len, const char *const *changes, size_t n)
{
	struct pol_apply	 pa = { &pc->pf, buf, len };
	json_t			*a;
	char			*cause = NULL, *backup = NULL;
	size_t			 i;
	int			 st = NTM_OK;

	if (pc->have_target)
		return cmd_commit(ctx, &pc->t, pol_apply_fn, &pa, changes, n);
	if (n > 0 && !ctx->dry_run && policy_commit_host(&pc->pf, buf, len,
	    &backup, &cause) != 0) {
		out_error("pol: %s", cause);
		free(cause);
		st = NTM_FAILED;
	}
	if (ctx->json) {
		a = json_array();
		for (i = 0; i < n; i++)
			json_array_append_new(a, json_string(changes[i]));
		out_json("ntmend.change/1", json_pack("{s:n,s:s,s:b,s:n,s:o,"
		    "s:o,s:b}", "target", "file", pc->file, "dry_run",
		    ctx->dry_run, "journal", "backup", out_jstr(backup),
		    "changes", a, "ok", st == NTM_OK));
	} else if (st == NTM_OK) {
		/* As cmd_commit says it for the target. */
		if (n == 0)
			printf("nothing to change\n");
		else if (ctx->dry_run)
			printf("dry run, nothing written; the changes would "
			    "be:\n");
		for (i = 0; i < n; i++)
			printf("%s%s\n", ctx->dry_run ? "  " : "", changes[i]);
		if (backup != NULL)
			printf("original kept as %s\n", backup);
	}
	free(backup);
	return st;
}

static int
pol_repair(struct cmd_ctx *ctx, struct pol_cmd *pc)
{
	struct policy_repair	 pr;
	char			*cause = NULL;
	int			 st;

	if (policy_repair_plan(&pc->pf, &pr, &cause) != 0) {
		out_error("pol repair: %s", cause);
		free(cause);
		return NTM_FAILED;
	}
	if (pr.nchanges == 0 && !ctx->json) {
		if (pc->pf.missing)
			pol_say_missing(pc, "nothing to repair: ");
		else
			printf("nothing to repair: %s is valid (%zu entr%s)\n",
			    pc->where, pc->pf.pol->nentries,
			    pc->pf.pol->nentries == 1 ? "y" : "ies");
		return NTM_OK;
	}
	st = pol_commit(ctx, pc, pr.buf, pr.len,
	    (const char *const *)pr.changes, pr.nchanges);
	policy_repair_free(&pr);
	return st;
}

/* set and del: edit the entries, then commit the whole file. */
static int
pol_edit(struct cmd_ctx *ctx, struct pol_cmd *pc)
{
	uint8_t		*data = NULL;
	uint32_t	 type = 0;
	size_t		 len = 0, n = 0;
	void		*buf = NULL;
	char		*cause = NULL, *key = NULL, *change = NULL, *hint;
	const char	*name, *const *changes;
	int		 st, set = strcmp(pc->sub, "set") == 0, ret;

	if ((set && pc->nargs < 3) || (!set && pc->nargs != 2))
		return pol_usage();
	if ((key = policy_key_normalize(pc->args[0], pol_scope(pc),
	    &cause)) == NULL) {
		out_error("pol %s: %s", pc->sub, cause);
		free(cause);
		return NTM_USAGE;
	}
	if (set && regedit_parse_data(pc->args[2], pc->args + 3,
	    pc->nargs - 3, &type, &data, &len, &cause) != 0) {
		out_error("pol set: %s", cause);
		free(cause);
		free(key);
		return NTM_USAGE;
	}
	name = strcmp(pc->args[1], "@") == 0 ? "" : pc->args[1];
	if ((st = pol_open(ctx, pc, 1)) != NTM_OK)
		goto out;
	if (pc->pf.damaged) {
		/* Editing the salvaged entries would silently drop the
		 * rest: the technician decides on that with repair. */
		hint = pol_repair_hint(pc);
		out_error("pol %s: %s is damaged (%s): run '%s' first", pc->sub,
		    pc->where, pc->pf.err.msg, hint);
		free(hint);
		st = NTM_FAILED;
		goto out;
	}
	if (!set && pc->pf.missing) {
		out_error("pol del: no registry.pol at %s: there is no local "
		    "policy to delete from", pc->where);
		st = NTM_FAILED;
		goto out;
	}
	if (set)
		ret = policy_set(pc->pf.pol, key, name, type, data, len,
		    &change, &cause);
	else
		ret = policy_delete(pc->pf.pol, key, name, &change, &cause);
	if (ret != 0) {
		out_error("pol %s: %s", pc->sub, cause);
		free(cause);
		st = NTM_FAILED;
		goto out;
	}
	if (change != NULL) {
		buf = pol_write(pc->pf.pol, &len);
		n = 1;
	}
	changes = (const char *const *)&change;
	st = pol_commit(ctx, pc, buf, len, changes, n);
out:
	free(buf);
	free(change);
	free(data);
	free(key);
	return st;
}

static int
cmd_pol_exec(struct cmd_ctx *ctx)
{
	struct pol_cmd	 pc;
	int		 st;

	if (ctx->argc < 2)
		return pol_usage();
	memset(&pc, 0, sizeof pc);
	pc.sub = ctx->argv[1];
	if (pol_args(ctx, &pc, ctx->argc - 2, ctx->argv + 2) != 0) {
		free(pc.args);
		return pol_usage();
	}
	if (strcmp(pc.sub, "set") == 0 || strcmp(pc.sub, "del") == 0) {
		st = pol_edit(ctx, &pc);
		pol_close(&pc);
		return st;
	}
	if ((strcmp(pc.sub, "show") != 0 && strcmp(pc.sub, "check") != 0 &&
	    strcmp(pc.sub, "repair") != 0) || pc.nargs != 0) {
		free(pc.args);
		return pol_usage();
	}
	if ((st = pol_open(ctx, &pc, strcmp(pc.sub, "repair") == 0)) ==
	    NTM_OK) {
		if (strcmp(pc.sub, "show") == 0)
			st = pol_show(ctx, &pc);
		else if (strcmp(pc.sub, "check") == 0)
			st = pol_check(ctx, &pc);
		else
			st = pol_repair(ctx, &pc);
	}
	pol_close(&pc);
	return st;
}
