/* cmd-services.c: services of the current control set: ls, set, reset. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_services_exec(struct cmd_ctx *);

const struct cmd_entry cmd_services_entry = {
	.name = "services",
	.usage = "ls|set NAME START|reset",
	.summary = "services and drivers; start types; update services back "
	    "to Windows' defaults",
	.exec = cmd_services_exec
};

static int
services_usage(void)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [--json] services ls "
	    "[--third-party]\n"
	    "       ntmend [-t TARGET] [-n] [--force] services set NAME START\n"
	    "       ntmend [-t TARGET] [-n] [--force] services reset\n"
	    "START: boot, system (drivers only), auto, delayed, demand, "
	    "disabled\n"
	    "reset: wuauserv, BITS, WaaSMedicSvc, UsoSvc, TrustedInstaller, "
	    "CryptSvc and msiserver\n       back to Windows' defaults where "
	    "disabled or broken\n");
	return NTM_USAGE;
}

static json_t *
services_json_one(const struct service *s)
{
	json_t	*o;
	char	*start, *type;

	start = service_start_name(s->start, s->delayed);
	type = service_type_name(s->type);
	o = json_object();
	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "display", json_string(service_display(s)));
	json_object_set_new(o, "display_name", out_jstr(s->display_name));
	json_object_set_new(o, "start", s->start != SERVICE_NONE ?
	    json_string(start) : json_null());
	json_object_set_new(o, "start_value", s->start != SERVICE_NONE ?
	    json_integer(s->start) : json_null());
	json_object_set_new(o, "delayed", json_boolean(s->delayed));
	json_object_set_new(o, "type", s->type != SERVICE_NONE ?
	    json_string(type) : json_null());
	json_object_set_new(o, "type_value", s->type != SERVICE_NONE ?
	    json_integer(s->type) : json_null());
	json_object_set_new(o, "driver", json_boolean(
	    SERVICE_IS_DRIVER(s->type)));
	json_object_set_new(o, "image_path", out_jstr(s->image_path));
	json_object_set_new(o, "object_name", out_jstr(s->object_name));
	json_object_set_new(o, "service_dll", out_jstr(s->service_dll));
	json_object_set_new(o, "group", out_jstr(s->group));
	json_object_set_new(o, "vendor", json_string(s->third_party ?
	    "third-party" : "microsoft"));
	json_object_set_new(o, "vendor_evidence",
	    out_jstr(s->vendor_evidence));
	free(start);
	free(type);
	return o;
}

static void
services_print(const struct service_list *sl, int third_party_only)
{
	const struct service	*s;
	size_t			 i, wname = 4, wtype = 4, shown = 0, third = 0;
	size_t			 len;
	char			*start, *type;

	for (i = 0; i < sl->n; i++) {
		s = &sl->svcs[i];
		if (s->third_party)
			third++;
		if (third_party_only && !s->third_party)
			continue;
		if ((len = strlen(s->name)) > wname)
			wname = len;
		type = service_type_name(s->type);
		if ((len = strlen(type)) > wtype)
			wtype = len;
		free(type);
	}
	if (wname > 40)
		wname = 40;
	printf("%-*s %-8s %-*s %-11s %s | %s\n", (int)wname, "NAME", "START",
	    (int)wtype, "TYPE", "VENDOR", "DISPLAY NAME", "IMAGE");
	for (i = 0; i < sl->n; i++) {
		s = &sl->svcs[i];
		if (third_party_only && !s->third_party)
			continue;
		start = service_start_name(s->start, s->delayed);
		type = service_type_name(s->type);
		printf("%-*s %-8s %-*s %-11s %s | %s\n", (int)wname, s->name,
		    start, (int)wtype, type, s->third_party ? "third-party" :
		    "Microsoft", service_display(s), s->image_path != NULL ?
		    s->image_path : "-");
		free(start);
		free(type);
		shown++;
	}
	if (third_party_only)
		printf("%zu third-party of %zu services and drivers in %s\n",
		    shown, sl->n, sl->control_set);
	else
		printf("%zu services and drivers in %s (%zu third-party)\n",
		    sl->n, sl->control_set, third);
}

static int
services_ls(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct service_list	 sl;
	struct target		 t;
	struct hive		*h = NULL;
	json_t			*a, *w;
	char			*cause = NULL;
	size_t			 i, third = 0;
	int			 st, third_only = 0;

	for (i = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--third-party") == 0)
			third_only = 1;
		else
			return services_usage();
	}
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (hive_checkout(t.vol, hive_volume_path(HIVE_SYSTEM), &h,
	    &cause) != 0 || services_list(h, &sl, &cause) != 0) {
		out_error("services: %s", cause);
		free(cause);
		hive_close(h);
		target_close(&t);
		return NTM_FAILED;
	}
	if (ctx->json) {
		a = json_array();
		for (i = 0; i < sl.n; i++) {
			if (sl.svcs[i].third_party)
				third++;
			if (third_only && !sl.svcs[i].third_party)
				continue;
			json_array_append_new(a, services_json_one(
			    &sl.svcs[i]));
		}
		w = json_array();
		if (hive_warning(h) != NULL)
			json_array_append_new(w, json_string(hive_warning(h)));
		out_json("ntmend.services/1", json_pack(
		    "{s:s,s:s,s:s?,s:o,s:i,s:i,s:o}", "target", t.spec,
		    "control_set", sl.control_set, "filter", third_only ?
		    "third-party" : NULL, "services", a, "count", (int)sl.n,
		    "third_party_count", (int)third, "warnings", w));
	} else {
		if (hive_warning(h) != NULL)
			out_warning("%s", hive_warning(h));
		services_print(&sl, third_only);
	}
	services_list_free(&sl);
	hive_close(h);
	target_close(&t);
	return NTM_OK;
}

static int
services_commit_apply(void *arg, struct journal *j, char **cause)
{
	return regedit_commit(arg, j, cause);
}

/* set and reset: edit regedit's SYSTEM copy, then commit in a journal
 * (or, with --dry-run, only show what would change). */
static int
services_change(struct cmd_ctx *ctx, const char *sub, int argc, char **argv)
{
	struct service_issue	*issues = NULL;
	struct target		 t;
	struct regedit		*re;
	struct hive		*h;
	const char		*const *changes;
	uint32_t		 start, build = 0;
	size_t			 n, nissues = 0, i, j;
	char			*cause = NULL;
	int			 st, ret, delayed;

	if (strcmp(sub, "set") == 0) {
		if (argc != 2)
			return services_usage();
		if (service_start_parse(argv[1], &start, &delayed) != 0) {
			out_error("services set: unknown start type '%s' "
			    "(boot, system, auto, delayed, demand, disabled)",
			    argv[1]);
			return NTM_USAGE;
		}
	} else if (argc != 0)
		return services_usage();
	if ((st = cmd_target_open(ctx, ctx->dry_run ? 0 : TARGET_WRITE,
	    &t)) != NTM_OK)
		return st;
	regedit_begin(t.vol, ctx->force, &re);
	if (strcmp(sub, "set") == 0)
		ret = services_set(re, argv[0], argv[1], &cause);
	else {
		if (services_build(t.vol, &build, &cause) != 0) {
			out_warning("the Windows build is unknown (%s): "
			    "WaaSMedicSvc and UsoSvc are repaired only if "
			    "their keys exist", cause);
			free(cause);
			cause = NULL;
		}
		ret = -1;
		if ((h = regedit_hive(re, HIVE_SYSTEM, &cause)) != NULL &&
		    services_check_update(h, build, &issues, &nissues,
		    &cause) == 0)
			ret = services_reset(re, t.vol, build, &n, &cause);
		/* What was found, for the technician: the changes follow. */
		for (i = 0; ret == 0 && !ctx->json && i < nissues; i++) {
			for (j = 0; j < issues[i].nevidence; j++)
				printf("%s: %s\n", issues[i].name,
				    issues[i].evidence[j]);
		}
		service_issues_free(issues, nissues);
	}
	if (ret != 0) {
		out_error("services %s: %s", sub, cause);
		free(cause);
		st = NTM_FAILED;
	} else {
		changes = regedit_changes(re, &n);
		st = cmd_commit(ctx, &t, services_commit_apply, re, changes,
		    n);
	}
	regedit_free(re);
	target_close(&t);
	return st;
}

static int
cmd_services_exec(struct cmd_ctx *ctx)
{
	const char	*sub;
	int		 argc = ctx->argc - 2;
	char		**argv = ctx->argv + 2;

	if (ctx->argc < 2)
		return services_usage();
	sub = ctx->argv[1];
	if (strcmp(sub, "ls") == 0)
		return services_ls(ctx, argc, argv);
	if (strcmp(sub, "set") == 0 || strcmp(sub, "reset") == 0)
		return services_change(ctx, sub, argc, argv);
	return services_usage();
}
