/* cmd-scan.c: disks, partitions, filesystems and Windows installations. */

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int	cmd_scan_exec(struct cmd_ctx *);

const struct cmd_entry cmd_scan_entry = {
	.name = "scan",
	.usage = "[DISK...]",
	.summary = "disks, partitions, Windows installations and their state",
	.exec = cmd_scan_exec
};

static json_t *
scan_part_json(const char *disk, const struct scan_part *sp)
{
	const struct vol_part	*p = &sp->part;
	json_t			*o;
	char			*advice, *t;

	o = json_object();
	json_object_set_new(o, "index", json_integer(p->index));
	t = p->index > 0 ? xprintf("%s@%d", disk, p->index) : xstrdup(disk);
	json_object_set_new(o, "target", json_string(t));
	free(t);
	json_object_set_new(o, "offset", json_integer((json_int_t)p->offset));
	json_object_set_new(o, "size", json_integer((json_int_t)p->size));
	json_object_set_new(o, "fstype", out_jstr(p->fstype));
	json_object_set_new(o, "label", out_jstr(p->label));
	json_object_set_new(o, "uuid", out_jstr(p->uuid));
	json_object_set_new(o, "part_type", out_jstr(p->part_type));
	json_object_set_new(o, "part_name", out_jstr(p->part_name));
	json_object_set_new(o, "state", out_state_json(sp->state));
	if (target_path_readonly(disk))
		json_array_append_new(json_object_get(o, "state"),
		    json_string("read-only"));
	advice = out_state_advice(sp->state, sp->hiber_sig);
	json_object_set_new(o, "advice", out_jstr(advice));
	free(advice);
	json_object_set_new(o, "error", out_jstr(sp->error));
	json_object_set_new(o, "windows", sp->is_windows ?
	    out_identity_json(&sp->id) : json_null());
	return o;
}

static void
scan_part_print(const struct scan_part *sp)
{
	const struct vol_part	*p = &sp->part;
	char			*size, *v, *advice;

	size = out_size(p->size);
	printf("  %2d  %-28.28s %10s  %-9s %s%s%s\n", p->index,
	    p->part_name != NULL ? p->part_name :
	    (p->part_type != NULL ? p->part_type : ""), size,
	    p->fstype != NULL ? p->fstype : "-",
	    p->label != NULL ? "\"" : "", p->label != NULL ? p->label : "",
	    p->label != NULL ? "\"" : "");
	free(size);
	if (sp->is_windows) {
		v = identity_version(&sp->id);
		printf("      Windows: %s %s (%s) %s, computer %s\n",
		    sp->id.product ? sp->id.product : "unknown product",
		    sp->id.display_version ? sp->id.display_version : "",
		    *v != '\0' ? v : "build unknown",
		    sp->id.arch ? sp->id.arch : "",
		    sp->id.computer_name ? sp->id.computer_name : "unknown");
		free(v);
	}
	advice = out_state_advice(sp->state, sp->hiber_sig);
	if (advice != NULL)
		printf("      State: %s\n", advice);
	free(advice);
	if (sp->error != NULL)
		printf("      Error: %s\n", sp->error);
}

static int
cmd_scan_exec(struct cmd_ctx *ctx)
{
	struct scan_disk	 *disks;
	const char		**paths = NULL;
	char			**errors, *size;
	size_t			  ndisks, nerrors, npaths = 0, i, j, nwin = 0;
	json_t			 *doc, *jd, *jp;
	struct stat		  sb;

	if (ctx->target != NULL) {
		if (stat(ctx->target, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			out_error("scan: %s is a directory (a mounted volume); "
			    "use 'ntmend -t %s info'", ctx->target,
			    ctx->target);
			return NTM_USAGE;
		}
		paths = xcalloc(1, sizeof *paths);
		paths[npaths++] = ctx->target;
	}
	if (ctx->argc > 1) {
		paths = xreallocarray(paths, npaths + (size_t)ctx->argc,
		    sizeof *paths);
		for (i = 1; i < (size_t)ctx->argc; i++)
			paths[npaths++] = ctx->argv[i];
	}
	scan_disks(paths, npaths, &disks, &ndisks, &errors, &nerrors);
	free(paths);

	doc = json_object();
	jd = json_array();
	for (i = 0; i < ndisks; i++) {
		if (!ctx->json) {
			size = out_size(disks[i].disk.size);
			printf("%s: %s, %s\n", disks[i].disk.path, size,
			    disks[i].disk.pt_type != NULL ?
			    disks[i].disk.pt_type : "no partition table");
			free(size);
		}
		jp = json_array();
		for (j = 0; j < disks[i].disk.nparts; j++) {
			nwin += disks[i].parts[j].is_windows;
			if (ctx->json)
				json_array_append_new(jp, scan_part_json(
				    disks[i].disk.path, &disks[i].parts[j]));
			else
				scan_part_print(&disks[i].parts[j]);
		}
		json_array_append_new(jd, json_pack("{s:s,s:I,s:o,s:o}",
		    "path", disks[i].disk.path,
		    "size", (json_int_t)disks[i].disk.size,
		    "pt_type", out_jstr(disks[i].disk.pt_type),
		    "partitions", jp));
	}
	jp = json_array();
	for (i = 0; i < nerrors; i++) {
		if (!ctx->json)
			out_error("%s", errors[i]);
		json_array_append_new(jp, json_string(errors[i]));
		free(errors[i]);
	}
	free(errors);
	json_object_set_new(doc, "disks", jd);
	json_object_set_new(doc, "errors", jp);
	json_object_set_new(doc, "windows_found", json_integer((json_int_t)nwin));
	if (ctx->json)
		out_json("ntmend.scan/1", doc);
	else {
		json_decref(doc);
		printf("%zu Windows installation(s) found\n", nwin);
	}
	scan_free(disks, ndisks);
	return nerrors > 0 && ndisks == 0 ? NTM_FAILED : NTM_OK;
}
