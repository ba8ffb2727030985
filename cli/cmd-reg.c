/* cmd-reg.c: the offline registry: ls, get, set, del, import, export. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

/* A .reg file given to import comes from the stick: a whole SOFTWARE
 * export is a few hundred MB of UTF-16 (hive.h's NTM_MAX_REG_FILE). */

static int	cmd_reg_exec(struct cmd_ctx *);

const struct cmd_entry cmd_reg_entry = {
	.name = "reg",
	.usage = "ls|get|set|del|import|export ...",
	.summary = "offline registry (HKLM\\SYSTEM, SOFTWARE, COMPONENTS, "
	    "HKU\\.DEFAULT)",
	.exec = cmd_reg_exec
};

static int
reg_usage(void)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [--json] reg ls KEY\n"
	    "       ntmend [-t TARGET] [--json] reg get KEY [NAME]\n"
	    "       ntmend [-t TARGET] [-n] [--force] reg set KEY NAME TYPE "
	    "[DATA...]\n"
	    "       ntmend [-t TARGET] [-n] [--force] reg del KEY [NAME]\n"
	    "       ntmend [-t TARGET] [-n] [--force] reg import FILE.reg\n"
	    "       ntmend [-t TARGET] reg export KEY FILE.reg\n"
	    "KEY: HKLM\\SYSTEM\\CurrentControlSet\\Services\\wuauserv, "
	    "HKLM\\SOFTWARE\\..., HKU\\.DEFAULT\\...\n"
	    "NAME: a value name, @ for the default value\n"
	    "TYPE: sz, expand_sz, multi_sz (one DATA per string), dword, "
	    "qword, binary (hex bytes), none, hex(N)\n");
	return NTM_USAGE;
}

/* Read-only access to one hive for ls/get/export. */
struct reg_read {
	struct target	 t;
	struct hive	*h;
	enum hive_id	 id;
	char		*sub;		/* CurrentControlSet resolved */
};

static int
reg_read_open(struct cmd_ctx *ctx, const char *regpath, struct reg_read *r)
{
	char	*cause = NULL, *sub;
	int	 st;

	memset(r, 0, sizeof *r);
	if (hive_path_split(regpath, &r->id, &sub, &cause) != 0) {
		out_error("%s", cause);
		free(cause);
		return NTM_USAGE;
	}
	if ((st = cmd_target_open(ctx, 0, &r->t)) != NTM_OK) {
		free(sub);
		return st;
	}
	if (hive_checkout(r->t.vol, hive_volume_path(r->id), &r->h,
	    &cause) != 0 || (r->sub = hive_path_resolve(r->h, sub,
	    &cause)) == NULL) {
		out_error("%s", cause);
		free(cause);
		free(sub);
		hive_close(r->h);
		target_close(&r->t);
		return NTM_FAILED;
	}
	free(sub);
	if (hive_warning(r->h) != NULL && !ctx->json)
		out_warning("%s", hive_warning(r->h));
	return NTM_OK;
}

static void
reg_read_close(struct reg_read *r)
{
	free(r->sub);
	hive_close(r->h);
	target_close(&r->t);
}

static json_t *
reg_value_json(const struct hive_value *v)
{
	char	*type, *text, *hex;
	json_t	*o;

	type = hive_type_name(v->type);
	text = hive_value_format(v);
	hex = hex_encode(v->data, v->len);
	o = json_pack("{s:s,s:s,s:i,s:s,s:s}", "name", v->name, "type", type,
	    "type_number", (int)v->type, "data", text, "hex", hex);
	free(type);
	free(text);
	free(hex);
	return o;
}

static void
reg_value_print(const struct hive_value *v)
{
	char	*type, *text, *p;

	type = hive_type_name(v->type);
	text = hive_value_format(v);
	/* MULTI_SZ joins its strings with newlines: keep one line each. */
	for (p = text; *p != '\0'; p++) {
		if (*p == '\n')
			*p = '|';
	}
	printf("  %-32s %-14s %s\n", *v->name != '\0' ? v->name :
	    "(default)", type, text);
	free(type);
	free(text);
}

/* Values of a key, via hivex (names as stored). */
static int
reg_values(struct reg_read *r, hive_node_h node, json_t *a)
{
	hive_h			*h = hive_handle(r->h);
	hive_value_h		*vals;
	struct hive_value	 v;
	hive_type		 t;
	size_t			 i, len;

	if ((vals = hivex_node_values(h, node)) == NULL)
		return -1;
	for (i = 0; vals[i] != 0; i++) {
		memset(&v, 0, sizeof v);
		if ((v.name = hivex_value_key(h, vals[i])) == NULL ||
		    (v.data = (uint8_t *)hivex_value_value(h, vals[i], &t,
		    &len)) == NULL) {
			free(v.name);
			continue;
		}
		v.type = (uint32_t)t;
		v.len = len;
		if (a != NULL)
			json_array_append_new(a, reg_value_json(&v));
		else
			reg_value_print(&v);
		hive_value_free(&v);
	}
	free(vals);
	return 0;
}

static int
reg_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct reg_read	 r;
	hive_node_h	 node, *kids;
	hive_h		*h;
	json_t		*subkeys = NULL, *values = NULL;
	char		*cause = NULL, *name;
	size_t		 i;
	int		 st;

	if (argc != 1)
		return reg_usage();
	if ((st = reg_read_open(ctx, argv[0], &r)) != NTM_OK)
		return st;
	h = hive_handle(r.h);
	if (hive_key_lookup(r.h, r.sub, &node, &cause) != 0) {
		out_error("%s", cause);
		free(cause);
		reg_read_close(&r);
		return NTM_FAILED;
	}
	if (ctx->json) {
		subkeys = json_array();
		values = json_array();
	} else
		printf("%s\\%s\n", regedit_root(r.id), r.sub);
	if ((kids = hivex_node_children(h, node)) != NULL) {
		for (i = 0; kids[i] != 0; i++) {
			if ((name = hivex_node_name(h, kids[i])) == NULL)
				continue;
			if (subkeys != NULL)
				json_array_append_new(subkeys,
				    json_string(name));
			else
				printf("  %s\\\n", name);
			free(name);
		}
		free(kids);
	}
	reg_values(&r, node, values);
	if (ctx->json) {
		name = xprintf("%s%s%s", regedit_root(r.id),
		    *r.sub != '\0' ? "\\" : "", r.sub);
		out_json("ntmend.reg/1", json_pack("{s:s,s:s,s:o,s:o}",
		    "target", r.t.spec, "key", name, "subkeys", subkeys,
		    "values", values));
		free(name);
	}
	reg_read_close(&r);
	return NTM_OK;
}

static int
reg_get(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct reg_read		 r;
	struct hive_value	 v;
	hive_node_h		 node;
	json_t			*a;
	char			*cause = NULL;
	int			 st;

	if (argc < 1 || argc > 2)
		return reg_usage();
	if ((st = reg_read_open(ctx, argv[0], &r)) != NTM_OK)
		return st;
	if (argc == 1) {
		if (hive_key_lookup(r.h, r.sub, &node, &cause) != 0)
			goto fail;
		a = ctx->json ? json_array() : NULL;
		reg_values(&r, node, a);
		if (a != NULL)
			out_json("ntmend.reg/1", json_pack("{s:s,s:s,s:o}",
			    "target", r.t.spec, "key", argv[0], "values", a));
		reg_read_close(&r);
		return NTM_OK;
	}
	if (hive_value_get(r.h, r.sub, argv[1], &v, &cause) != 0)
		goto fail;
	if (ctx->json) {
		a = json_array();
		json_array_append_new(a, reg_value_json(&v));
		out_json("ntmend.reg/1", json_pack("{s:s,s:s,s:o}", "target",
		    r.t.spec, "key", argv[0], "values", a));
	} else {
		/* One value: just its data, for scripts ("$(reg get)"). */
		char *text = hive_value_format(&v);

		printf("%s\n", text);
		free(text);
	}
	hive_value_free(&v);
	reg_read_close(&r);
	return NTM_OK;
fail:
	out_error("%s", cause);
	free(cause);
	reg_read_close(&r);
	return NTM_FAILED;
}

static int
reg_cmd_export(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct reg_read	 r;
	void		*buf;
	size_t		 len;
	char		*cause = NULL;
	int		 st;

	if (argc != 2)
		return reg_usage();
	if ((st = reg_read_open(ctx, argv[0], &r)) != NTM_OK)
		return st;
	if (reg_export(hive_handle(r.h), regedit_root(r.id), r.sub, &buf,
	    &len, &cause) != 0 || file_write_all(argv[1], buf, len,
	    &cause) != 0) {
		out_error("export: %s", cause);
		free(cause);
		reg_read_close(&r);
		return NTM_FAILED;
	}
	free(buf);
	if (!ctx->json)
		printf("exported %s\\%s to %s\n", regedit_root(r.id), r.sub,
		    argv[1]);
	reg_read_close(&r);
	return NTM_OK;
}

static int
reg_commit_apply(void *arg, struct journal *j, char **cause)
{
	return regedit_commit(arg, j, cause);
}

/* set, del, import: edit the private copies, then commit in a journal. */
static int
reg_change(struct cmd_ctx *ctx, const char *sub, int argc, char **argv)
{
	struct target	 t;
	struct regedit	*re;
	struct reg_file	*rf = NULL;
	const char	*const *changes;
	uint8_t		*data = NULL;
	size_t		 len, n;
	uint32_t	 type;
	void		*buf;
	char		*cause = NULL;
	const char	*name;
	int		 st, ret;

	if ((strcmp(sub, "set") == 0 && argc < 3) ||
	    (strcmp(sub, "del") == 0 && (argc < 1 || argc > 2)) ||
	    (strcmp(sub, "import") == 0 && argc != 1))
		return reg_usage();
	if (strcmp(sub, "set") == 0 && regedit_parse_data(argv[2], argv + 3,
	    argc - 3, &type, &data, &len, &cause) != 0) {
		out_error("reg set: %s", cause);
		free(cause);
		return NTM_USAGE;
	}
	if (strcmp(sub, "import") == 0) {
		if (file_read_all(argv[0], NTM_MAX_REG_FILE, &buf, &len,
		    &cause) != 0) {
			out_error("reg import: %s", cause);
			free(cause);
			return NTM_FAILED;
		}
		ret = reg_parse(buf, len, &rf, &cause);
		free(buf);
		if (ret != 0) {
			out_error("reg import: %s: %s", argv[0], cause);
			free(cause);
			return NTM_FAILED;
		}
		for (n = 0; n < rf->nwarnings; n++)
			out_warning("%s: %s", argv[0], rf->warnings[n]);
	}
	if ((st = cmd_target_open(ctx, ctx->dry_run ? 0 : TARGET_WRITE,
	    &t)) != NTM_OK) {
		free(data);
		reg_file_free(rf);
		return st;
	}
	regedit_begin(t.vol, ctx->force, &re);
	name = argc > 1 && strcmp(argv[1], "@") == 0 ? "" :
	    (argc > 1 ? argv[1] : NULL);
	if (strcmp(sub, "set") == 0)
		ret = regedit_set(re, argv[0], name, type, data, len, &cause);
	else if (strcmp(sub, "del") == 0)
		ret = regedit_delete(re, argv[0], name, &cause);
	else
		ret = regedit_import(re, rf, &cause);
	if (ret != 0) {
		out_error("reg %s: %s", sub, cause);
		free(cause);
		st = NTM_FAILED;
	} else {
		changes = regedit_changes(re, &n);
		st = cmd_commit(ctx, &t, reg_commit_apply, re, changes, n);
	}
	regedit_free(re);
	reg_file_free(rf);
	free(data);
	target_close(&t);
	return st;
}

static int
cmd_reg_exec(struct cmd_ctx *ctx)
{
	const char	*sub;
	int		 argc = ctx->argc - 2;
	char		**argv = ctx->argv + 2;

	if (ctx->argc < 2)
		return reg_usage();
	sub = ctx->argv[1];
	if (strcmp(sub, "ls") == 0)
		return reg_ls(ctx, argc, argv);
	if (strcmp(sub, "get") == 0)
		return reg_get(ctx, argc, argv);
	if (strcmp(sub, "export") == 0)
		return reg_cmd_export(ctx, argc, argv);
	if (strcmp(sub, "set") == 0 || strcmp(sub, "del") == 0 ||
	    strcmp(sub, "import") == 0)
		return reg_change(ctx, sub, argc, argv);
	return reg_usage();
}
