/* cmd-packages.c: the CBS package inventory and its consistency with
 * Windows\servicing\Packages. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "packages/packages.h"

static int	cmd_packages_exec(struct cmd_ctx *);

const struct cmd_entry cmd_packages_entry = {
	.name = "packages",
	.usage = "ls|check",
	.summary = "CBS packages with states; their manifests in "
	    "servicing\\Packages, pending operations, servicing stack",
	.exec = cmd_packages_exec
};

#define PACKAGES_SCHEMA	"ntmend.packages/1"

static const char *
pkg_role(const struct cbs_package *p)
{
	if (p->role & CBS_ROLE_LCU)
		return "lcu";
	if (p->role & CBS_ROLE_SSU)
		return "ssu";
	return NULL;
}

static json_t *
pkg_file_json(const struct cbs_file *f)
{
	if (f->status == CBS_FILE_NOT_CHECKED)
		return json_pack("{s:s}", "status",
		    cbs_file_status_name(f->status));
	return json_pack("{s:s,s:s,s:I,s:o}", "status",
	    cbs_file_status_name(f->status), "path", f->path, "size",
	    (json_int_t)f->size, "reason", out_jstr(f->reason));
}

static json_t *
pkg_json(const struct cbs_package *p)
{
	json_t	*o;
	char	*s;

	o = json_object();
	json_object_set_new(o, "name", json_string(p->name));
	json_object_set_new(o, "version", json_string(p->version));
	s = cbs_package_state(p);
	json_object_set_new(o, "state", p->has_state ? json_string(s) :
	    json_null());
	free(s);
	json_object_set_new(o, "state_value", p->has_state ?
	    json_integer(p->state) : json_null());
	json_object_set_new(o, "type", out_jstr(p->release_type));
	json_object_set_new(o, "kb", out_jstr(p->package_id));
	json_object_set_new(o, "role", out_jstr(pkg_role(p)));
	json_object_set_new(o, "install_name", out_jstr(p->install_name));
	json_object_set_new(o, "install_location",
	    out_jstr(p->install_location));
	json_object_set_new(o, "install_client", out_jstr(p->install_client));
	if (p->install_time != 0) {
		s = out_time(p->install_time, 1);
		json_object_set_new(o, "install_time", json_string(s));
		free(s);
	} else
		json_object_set_new(o, "install_time", json_null());
	json_object_set_new(o, "visibility", p->has_visibility ?
	    json_integer(p->visibility) : json_null());
	if (p->has_last_error) {
		s = xprintf("0x%08x", p->last_error);
		json_object_set_new(o, "last_error", json_string(s));
		free(s);
	} else
		json_object_set_new(o, "last_error", json_null());
	json_object_set_new(o, "servicing_stack_required",
	    out_jstr(p->ss_required));
	json_object_set_new(o, "manifest", pkg_file_json(&p->mum));
	json_object_set_new(o, "catalog", pkg_file_json(&p->cat));
	return o;
}

static json_t *
pkg_brief_json(const struct cbs_inventory *inv, ssize_t i)
{
	const struct cbs_package	*p;
	char				*s;
	json_t				*o;

	if (i < 0)
		return json_null();
	p = &inv->pkgs[i];
	s = cbs_package_state(p);
	o = json_pack("{s:s,s:s,s:o,s:s}", "package", p->name, "version",
	    p->version, "kb", out_jstr(p->package_id), "state", s);
	free(s);
	return o;
}

static json_t *
pkg_doc_json(struct target *t, const char *sub,
    const struct cbs_inventory *inv, const struct cbs_problem *pr,
    size_t npr)
{
	const struct cbs_download	*d;
	json_t				*doc, *a, *o;
	size_t				 i;

	doc = json_object();
	json_object_set_new(doc, "command", json_string(sub));
	json_object_set_new(doc, "target", json_string(t->spec));
	o = json_object();
	json_object_set_new(o, "version", out_jstr(inv->ss_version));
	json_object_set_new(o, "path", out_jstr(inv->ss_path));
	json_object_set_new(o, "components_version",
	    out_jstr(inv->components_ss));
	json_object_set_new(o, "last_wcp_version", out_jstr(inv->last_wcp));
	json_object_set_new(o, "update", pkg_brief_json(inv, inv->ssu));
	json_object_set_new(doc, "servicing_stack", o);
	json_object_set_new(doc, "cumulative_update",
	    pkg_brief_json(inv, inv->lcu));
	json_object_set_new(doc, "counts", json_pack("{s:I,s:I,s:I,s:I}",
	    "packages", (json_int_t)inv->npkgs, "checked",
	    (json_int_t)inv->nchecked, "manifest_problems",
	    (json_int_t)inv->nproblems, "problems", (json_int_t)npr));
	a = json_array();
	for (i = 0; i < inv->npkgs; i++)
		json_array_append_new(a, pkg_json(&inv->pkgs[i]));
	json_object_set_new(doc, "packages", a);
	a = json_array();
	for (i = 0; i < inv->nmarkers; i++)
		json_array_append_new(a, json_pack("{s:s,s:s,s:o}", "kind",
		    cbs_marker_kind_name(inv->markers[i].kind), "where",
		    inv->markers[i].where, "detail",
		    out_jstr(inv->markers[i].detail)));
	json_object_set_new(doc, "pending", a);
	a = json_array();
	for (i = 0; i < inv->ndownloads; i++) {
		d = &inv->downloads[i];
		json_array_append_new(a, json_pack("{s:s,s:o,s:o,s:o,s:o,s:b,"
		    "s:o}", "path", d->path, "identity", out_jstr(d->identity),
		    "kb", out_jstr(d->package_id), "type",
		    out_jstr(d->release_type), "servicing_stack_required",
		    out_jstr(d->ss_required), "needs_newer_servicing_stack",
		    d->needs_newer_ss, "error", out_jstr(d->reason)));
	}
	json_object_set_new(doc, "downloads", a);
	a = json_array();
	for (i = 0; i < npr; i++) {
		o = json_pack("{s:s,s:s,s:o,s:s}", "finding", pr[i].finding,
		    "path", pr[i].path, "package", pr[i].pkg >= 0 ?
		    json_string(inv->pkgs[pr[i].pkg].name) : json_null(),
		    "detail", pr[i].detail);
		if (strcmp(pr[i].finding, CBS_FINDING_MANIFEST) == 0)
			json_object_set_new(o, "size",
			    json_integer((json_int_t)pr[i].size));
		json_array_append_new(a, o);
	}
	json_object_set_new(doc, "problems", a);
	a = json_array();
	for (i = 0; i < inv->nwarnings; i++)
		json_array_append_new(a, json_string(inv->warnings[i]));
	json_object_set_new(doc, "warnings", a);
	return doc;
}

/* The servicing stack and latest cumulative update, both commands. */
static void
pkg_print_facts(const struct cbs_inventory *inv)
{
	const struct cbs_package	*p;
	char				*s;

	printf("Servicing stack:   %s", inv->ss_version != NULL ?
	    inv->ss_version : "unknown (no Component Based Servicing\\"
	    "Version value)");
	if (inv->ssu >= 0) {
		p = &inv->pkgs[inv->ssu];
		s = cbs_package_state(p);
		printf(", update %s%s%s (%s)", p->package_id != NULL ?
		    p->package_id : "", p->package_id != NULL ? " " : "",
		    p->name, s);
		free(s);
	}
	printf("\n");
	if (inv->components_ss != NULL && (inv->ss_version == NULL ||
	    mum_version_cmp(inv->components_ss, inv->ss_version) != 0))
		printf("                   the component store was last opened "
		    "by %s\n", inv->components_ss);
	if (inv->lcu >= 0) {
		p = &inv->pkgs[inv->lcu];
		s = cbs_package_state(p);
		printf("Cumulative update: %s%s%s (%s)\n", p->package_id !=
		    NULL ? p->package_id : "", p->package_id != NULL ? " " :
		    "", p->name, s);
		free(s);
	} else
		printf("Cumulative update: none registered\n");
}

static void
pkg_print_ls(const struct cbs_inventory *inv)
{
	const struct cbs_package	*p;
	char				*state, *type;
	const char			*mf;
	size_t				 i;

	pkg_print_facts(inv);
	printf("Packages:          %zu, %zu checked, %zu with a missing or "
	    "damaged manifest or catalog\n", inv->npkgs, inv->nchecked,
	    inv->nproblems);
	if (inv->nmarkers > 0)
		printf("Pending:           %zu markers of an unfinished "
		    "operation (ntmend packages check lists them)\n",
		    inv->markers_total);
	printf("\n%-20s %-16s %-22s %-10s %s\n", "STATE", "VERSION", "TYPE",
	    "MANIFEST", "PACKAGE");
	for (i = 0; i < inv->npkgs; i++) {
		p = &inv->pkgs[i];
		state = cbs_package_state(p);
		type = xprintf("%s%s%s%s", p->release_type != NULL ?
		    p->release_type : "-", pkg_role(p) != NULL ? " (" : "",
		    pkg_role(p) != NULL ? (p->role & CBS_ROLE_LCU ? "LCU" :
		    "SSU") : "", pkg_role(p) != NULL ? ")" : "");
		if (p->mum.status != CBS_FILE_OK)
			mf = cbs_file_status_name(p->mum.status);
		else if (p->cat.status != CBS_FILE_OK)
			mf = "cat-bad";
		else
			mf = "ok";
		printf("%-20s %-16s %-22s %-10s %s\n", state, p->version, type,
		    mf, p->name);
		free(type);
		free(state);
	}
}

static void
pkg_print_check(const struct cbs_inventory *inv,
    const struct cbs_problem *pr, size_t npr)
{
	size_t	i;

	for (i = 0; i < npr; i++)
		printf("%s: %s: %s\n", pr[i].finding, pr[i].path,
		    pr[i].detail);
	if (npr > 0)
		printf("\n");
	pkg_print_facts(inv);
	printf("%zu packages, %zu checked; %zu problem%s\n", inv->npkgs,
	    inv->nchecked, npr, npr == 1 ? "" : "s");
}

static int
cmd_packages_exec(struct cmd_ctx *ctx)
{
	struct target		 t;
	struct cbs_inventory	 inv;
	struct cbs_problem	*pr;
	size_t			 npr, i;
	const char		*sub;
	char			*cause = NULL;
	int			 st;

	if (ctx->argc != 2 || (strcmp(ctx->argv[1], "ls") != 0 &&
	    strcmp(ctx->argv[1], "check") != 0))
		return cmd_usage(&cmd_packages_entry);
	sub = ctx->argv[1];
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (cbs_inventory_read(t.vol, 0, &inv, &cause) != 0) {
		out_error("%s: %s", vol_name(t.vol), cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	cbs_problems(&inv, &pr, &npr);
	if (ctx->json)
		out_json(PACKAGES_SCHEMA, pkg_doc_json(&t, sub, &inv, pr, npr));
	else {
		for (i = 0; i < inv.nwarnings; i++)
			out_warning("%s", inv.warnings[i]);
		if (strcmp(sub, "ls") == 0)
			pkg_print_ls(&inv);
		else
			pkg_print_check(&inv, pr, npr);
	}
	st = strcmp(sub, "check") == 0 && npr > 0 ? NTM_WARN : NTM_OK;
	cbs_problems_free(pr, npr);
	cbs_inventory_free(&inv);
	target_close(&t);
	return st;
}
