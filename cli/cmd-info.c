/* cmd-info.c: who the installation is and the state of its volume. */

#include <stdio.h>
#include <stdlib.h>

#include "cli/cli.h"

static int	cmd_info_exec(struct cmd_ctx *);

const struct cmd_entry cmd_info_entry = {
	.name = "info",
	.usage = "",
	.summary = "product, edition, build, architecture, name, volume state",
	.exec = cmd_info_exec
};

static json_t *
info_volume_json(struct target *t)
{
	json_t		*v;
	uint64_t	 total, avail;
	char		*advice;

	vol_space(t->vol, &total, &avail);
	v = json_object();
	json_object_set_new(v, "name", json_string(vol_name(t->vol)));
	json_object_set_new(v, "path", json_string(t->where.path));
	json_object_set_new(v, "partition", t->where.index > 0 ?
	    json_integer(t->where.index) : json_null());
	json_object_set_new(v, "offset", json_integer((json_int_t)
	    t->where.offset));
	json_object_set_new(v, "label", json_string(vol_label(t->vol)));
	json_object_set_new(v, "size", json_integer((json_int_t)total));
	json_object_set_new(v, "free", json_integer((json_int_t)avail));
	json_object_set_new(v, "state", out_state_json(t->state));
	if (target_path_readonly(t->where.path))
		json_array_append_new(json_object_get(v, "state"),
		    json_string("read-only"));
	json_object_set_new(v, "hiberfil_signature",
	    out_jstr(*vol_hiber_signature(t->vol) != '\0' ?
	    vol_hiber_signature(t->vol) : NULL));
	advice = out_state_advice(t->state, vol_hiber_signature(t->vol));
	json_object_set_new(v, "advice", out_jstr(advice));
	free(advice);
	return v;
}

static void
info_print(struct target *t, const struct identity *id)
{
	uint64_t	 total, avail;
	char		*size, *freestr, *s, *advice;
	size_t		 i;

	vol_space(t->vol, &total, &avail);
	size = out_size(total);
	freestr = out_size(avail);
	printf("Target:        %s (%s, %s free, label \"%s\")\n",
	    vol_name(t->vol), size, freestr, vol_label(t->vol));
	free(size);
	free(freestr);
	printf("Product:       %s", id->product ? id->product : "unknown");
	if (id->edition != NULL)
		printf(" (%s)", id->edition);
	s = identity_version(id);
	printf("\nVersion:       %s%s%s\n",
	    id->display_version ? id->display_version : "",
	    id->display_version ? ", " : "", *s != '\0' ? s : "unknown");
	free(s);
	printf("Architecture:  %s\n", id->arch ? id->arch : "unknown");
	printf("Computer name: %s\n",
	    id->computer_name ? id->computer_name : "unknown");
	if (id->install_date != 0) {
		s = out_time(id->install_date, 0);
		printf("Installed:     %s\n", s);
		free(s);
	}
	if (id->control_set != 0)
		printf("Control set:   ControlSet%03d\n", id->control_set);
	if (id->fast_startup >= 0)
		printf("Fast Startup:  %s\n", id->fast_startup ? "on" : "off");
	advice = out_state_advice(t->state, vol_hiber_signature(t->vol));
	printf("Volume state:  %s\n", advice != NULL ? advice :
	    "clean (safe to repair)");
	if (target_path_readonly(t->where.path))
		printf("Device:        write-protected: ntmend can read but "
		    "not repair it\n");
	free(advice);
	for (i = 0; i < id->nwarnings; i++)
		printf("Warning:       %s\n", id->warnings[i]);
}

static int
cmd_info_exec(struct cmd_ctx *ctx)
{
	struct target	 t;
	struct identity	 id;
	json_t		*doc;
	char		*cause = NULL;
	int		 st;

	if (ctx->argc != 1)
		return cmd_usage(&cmd_info_entry);
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	if (!vol_is_windows(t.vol)) {
		out_error("%s holds no Windows installation (no "
		    "Windows\\System32\\config\\SYSTEM); run 'ntmend scan' "
		    "to find it", vol_name(t.vol));
		target_close(&t);
		return NTM_FAILED;
	}
	if (identity_read(t.vol, &id, &cause) != 0) {
		out_error("%s: %s", vol_name(t.vol), cause);
		free(cause);
		target_close(&t);
		return NTM_FAILED;
	}
	if (ctx->json) {
		doc = json_object();
		json_object_set_new(doc, "target", json_string(t.spec));
		json_object_set_new(doc, "volume", info_volume_json(&t));
		json_object_set_new(doc, "windows", out_identity_json(&id));
		out_json("ntmend.info/1", doc);
	} else
		info_print(&t, &id);
	identity_free(&id);
	target_close(&t);
	return NTM_OK;
}
