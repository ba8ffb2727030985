/* cmd-golden.c: golden capture, verify and apply. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "packages/packages.h"

static int	cmd_golden_exec(struct cmd_ctx *);

const struct cmd_entry cmd_golden_entry = {
	.name = "golden",
	.usage = "capture|verify|apply ARCHIVE [PATH...] [--rehash]",
	.summary = "known-good archives of servicing files",
	.exec = cmd_golden_exec
};

static int
golden_usage(void)
{
	fprintf(stderr, "usage: ntmend [-t TARGET] [--json] golden capture "
	    "ARCHIVE [PATH...]\n"
	    "       ntmend [-t TARGET] [--json] golden verify ARCHIVE "
	    "[PATH...]\n"
	    "       ntmend [-t TARGET] [--json] [-n] [--force] golden apply "
	    "ARCHIVE [PATH...] [--rehash]\n"
	    "capture: a tar.zst of %s (default) and the PATHs, files or "
	    "folders,\n  with a manifest (sizes, SHA-256, attributes, "
	    "security descriptors, hard links)\n"
	    "verify: what on the target differs from the archive, is "
	    "missing, or extra\n  (every file read and hashed)\n"
	    "apply: replace what differs in place, create what is missing "
	    "(journaled:\n  'ntmend undo' restores); also a zip, 7z or tar "
	    "of a folder copied from a\n  working PC. --force: an archive "
	    "of another build or architecture.\n  A file ntmend hashed or "
	    "wrote earlier in this boot and that nothing wrote\n  since "
	    "(same MFT record, times, USN, size) is not read again; "
	    "--rehash\n  reads every file\n", GOLDEN_DEFAULT_PATH);
	return NTM_USAGE;
}

static json_t *
source_json(const struct golden_source *s)
{
	char	*v, *t;
	json_t	*o;

	if (s == NULL)
		return json_null();
	v = s->build != 0 ? xprintf("10.0.%u.%u", s->build, s->ubr) : NULL;
	t = s->captured != 0 ? out_time(s->captured, 1) : NULL;
	o = json_pack("{s:o,s:o,s:o,s:I,s:I,s:o,s:o,s:o,s:o}",
	    "product", out_jstr(s->product), "edition", out_jstr(s->edition),
	    "display_version", out_jstr(s->display_version),
	    "build", (json_int_t)s->build, "ubr", (json_int_t)s->ubr,
	    "version", out_jstr(v), "architecture", out_jstr(s->arch),
	    "computer_name", out_jstr(s->computer_name),
	    "captured", out_jstr(t));
	free(v);
	free(t);
	return o;
}

/* "PC-GOLD (Windows 10 Pro 22H2, 10.0.19045.3803 amd64), captured ..."
 * or what a plain archive was mapped to; caller frees. */
static char *
source_line(struct golden *g)
{
	const struct golden_source	*s = golden_source_of(g);
	char				*t, *line;

	if (s == NULL)
		return xprintf("a folder copy without ntmend's manifest: "
		    "mapped %s; compared by content, build and architecture "
		    "not known", golden_mapping(g));
	t = s->captured != 0 ? out_time(s->captured, 0) : xstrdup("?");
	line = xprintf("captured from %s (%s%s%s, 10.0.%u.%u %s) on %s",
	    s->computer_name != NULL ? s->computer_name : "?",
	    s->product != NULL ? s->product : "Windows",
	    s->display_version != NULL ? " " : "",
	    s->display_version != NULL ? s->display_version : "", s->build,
	    s->ubr, s->arch != NULL ? s->arch : "?", t);
	free(t);
	return line;
}

static int
golden_capture_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct golden_capture_result	 res;
	struct golden_source		 src;
	struct identity			 id;
	struct out_progress		 pr;
	struct target			 t;
	json_t				*w;
	char				*cause = NULL, *s1, *s2;
	size_t				 i;
	int				 st;

	if (argc < 1)
		return golden_usage();
	if ((st = cmd_target_open(ctx, 0, &t)) != NTM_OK)
		return st;
	memset(&src, 0, sizeof src);
	memset(&id, 0, sizeof id);
	if (identity_read(t.vol, &id, &cause) != 0) {
		out_warning("the source's identity cannot be read (%s): apply "
		    "will need --force", cause);
		free(cause);
		cause = NULL;
	}
	src.product = id.product;
	src.edition = id.edition;
	src.display_version = id.display_version;
	src.build = id.build;
	src.ubr = id.ubr;
	src.arch = id.arch;
	src.computer_name = id.computer_name;
	src.captured = time(NULL);
	out_progress_init(&pr, ctx);
	if (golden_capture(t.vol, &src, (const char *const *)argv + 1,
	    (size_t)argc - 1, argv[0], out_progress_cb, &pr, &res,
	    &cause) != 0) {
		out_progress_end(&pr);
		out_error("golden capture: %s", cause);
		free(cause);
		identity_free(&id);
		target_close(&t);
		return NTM_FAILED;
	}
	out_progress_end(&pr);
	if (ctx->json) {
		w = json_array();
		for (i = 0; i < res.nwarnings; i++)
			json_array_append_new(w, json_string(res.warnings[i]));
		out_json("ntmend.golden-capture/1", json_pack(
		    "{s:s,s:s,s:o,s:I,s:I,s:I,s:I,s:I,s:o}", "target", t.spec,
		    "archive", argv[0], "source", source_json(&src),
		    "files", (json_int_t)res.files, "links",
		    (json_int_t)res.links, "directories", (json_int_t)res.dirs,
		    "bytes", (json_int_t)res.bytes, "archive_bytes",
		    (json_int_t)res.archive_bytes, "warnings", w));
	} else {
		for (i = 0; i < res.nwarnings; i++)
			out_warning("%s", res.warnings[i]);
		s1 = out_size(res.bytes);
		s2 = out_size(res.archive_bytes);
		printf("captured %zu files (%s), %zu directories and %zu hard "
		    "link(s) from %s (%s, 10.0.%u.%u %s) into %s (%s)\n",
		    res.files, s1, res.dirs, res.links,
		    id.computer_name != NULL ? id.computer_name : "?",
		    id.product != NULL ? id.product : "Windows", id.build,
		    id.ubr, id.arch != NULL ? id.arch : "?", argv[0], s2);
		free(s1);
		free(s2);
	}
	golden_capture_result_free(&res);
	identity_free(&id);
	target_close(&t);
	return NTM_OK;
}

/* golden_plan's hashing through the engine's hash_walk: a thread reads
 * ahead through the volume while this one hashes, so the two overlap. */
struct walk_hash {
	golden_hash_cb	 cb;
	void		*cbarg;
	size_t		 i;
};

static int
unhex(const char *hex, uint8_t sha[32])
{
	unsigned	v;
	size_t		i;

	if (hex == NULL || strlen(hex) != 64)
		return -1;
	for (i = 0; i < 32; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		sha[i] = (uint8_t)v;
	}
	return 0;
}

static void
walk_hash_cb(const char *path, const char *hex, uint64_t size,
    const char *cause, void *arg)
{
	struct walk_hash	*w = arg;
	uint8_t			 sha[32];

	if (hex != NULL && unhex(hex, sha) == 0)
		w->cb(w->cbarg, w->i++, sha, NULL);
	else
		w->cb(w->cbarg, w->i++, NULL, cause);
}

static int
hash_files(void *harg, struct vol *vol, const char *const *paths, size_t n,
    golden_hash_cb cb, void *cbarg)
{
	struct walk_hash	w = { cb, cbarg, 0 };

	return hash_walk(vol, paths, n, walk_hash_cb, &w);
}

/* Open and check the archive, open the target, select the paths and
 * compare; on failure prints why and returns the status. */
struct golden_run {
	struct golden	*g;
	struct target	 t;
	struct identity	 id;
	struct out_progress	 pr;
	int		 topen;
};

static void
run_close(struct golden_run *r)
{
	out_progress_end(&r->pr);
	golden_free(r->g);
	identity_free(&r->id);
	if (r->topen)
		target_close(&r->t);
}

static int
run_prepare(struct cmd_ctx *ctx, struct golden_run *r, int apply,
    int rehash, int argc, char **argv)
{
	char	*cause = NULL;
	int	 st;

	memset(r, 0, sizeof *r);
	out_progress_init(&r->pr, ctx);
	/* The archive first: a hostile one is refused before the target is
	 * even opened. */
	if (golden_open(argv[0], out_progress_cb, &r->pr, &r->g, &cause) != 0) {
		out_progress_end(&r->pr);
		out_error("golden %s: %s", ctx->argv[1], cause);
		free(cause);
		return NTM_FAILED;
	}
	if ((st = cmd_target_open(ctx, apply && !ctx->dry_run ? TARGET_WRITE :
	    0, &r->t)) != NTM_OK)
		return st;
	r->topen = 1;
	if (identity_read(r->t.vol, &r->id, NULL) != 0)
		memset(&r->id, 0, sizeof r->id);
	/* An apply is refused, dry run or not: the dry run shows what the
	 * apply would do. verify only says so. */
	if (golden_check_source(r->g, r->id.build, r->id.arch, &cause) != 0) {
		if (apply && !ctx->force) {
			out_error("golden %s: %s", ctx->argv[1], cause);
			free(cause);
			return NTM_FAILED;
		}
		if (!ctx->json || apply)
			out_warning("%s", cause);
		free(cause);
		cause = NULL;
	}
	if (golden_select(r->g, (const char *const *)argv + 1,
	    (size_t)argc - 1, &cause) != 0) {
		out_error("golden %s: %s", ctx->argv[1], cause);
		free(cause);
		return NTM_USAGE;
	}
	golden_set_hasher(r->g, hash_files, NULL);
	if (golden_plan(r->g, r->t.vol, (apply && !ctx->dry_run ? 0 :
	    GOLDEN_EXTRAS) | (rehash ? GOLDEN_REHASH : 0), out_progress_cb,
	    &r->pr, &cause) != 0 ||
	    golden_check(r->g, out_progress_cb, &r->pr, &cause) != 0) {
		out_progress_end(&r->pr);
		out_error("golden %s: %s", ctx->argv[1], cause);
		free(cause);
		return NTM_FAILED;
	}
	out_progress_end(&r->pr);
	return NTM_OK;
}

static int
golden_verify_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct golden_run		 r;
	const struct golden_item	*it;
	const struct golden_counts	*c;
	const char *const		*w;
	json_t				*a[4], *o;
	size_t				 n, i, nw;
	char				*line;
	int				 st;

	if (argc < 1)
		return golden_usage();
	if ((st = run_prepare(ctx, &r, 0, 1, argc, argv)) != NTM_OK) {
		run_close(&r);
		return st;
	}
	c = golden_counts(r.g);
	it = golden_items(r.g, &n);
	w = golden_warnings(r.g, &nw);
	if (ctx->json) {
		for (i = 0; i < 4; i++)
			a[i] = json_array();
		for (i = 0; i < n; i++) {
			o = json_pack("{s:s,s:s}", "path", it[i].path, "type",
			    it[i].is_dir ? "dir" : "file");
			if (it[i].detail != NULL)
				json_object_set_new(o, "detail",
				    json_string(it[i].detail));
			json_array_append_new(a[it[i].state], o);
		}
		o = json_array();
		for (i = 0; i < nw; i++)
			json_array_append_new(o, json_string(w[i]));
		out_json("ntmend.golden-verify/1", json_pack(
		    "{s:s,s:s,s:o,s:o,s:I,s:I,s:I,s:o,s:o,s:o,s:o,s:o,s:b}",
		    "target", r.t.spec, "archive", argv[0],
		    "source", source_json(golden_source_of(r.g)),
		    "mapping", out_jstr(golden_mapping(r.g)),
		    "files", (json_int_t)c->files,
		    "directories", (json_int_t)c->dirs,
		    "same", (json_int_t)c->same,
		    "differ", a[GOLDEN_DIFFERS], "missing", a[GOLDEN_MISSING],
		    "extra", a[GOLDEN_EXTRA],
		    "unreadable", a[GOLDEN_UNREADABLE], "warnings", o,
		    "ok", n == 0));
	} else {
		line = source_line(r.g);
		printf("archive %s: %s\n", argv[0], line);
		free(line);
		for (i = 0; i < n; i++)
			printf("  %-10s %s%s%s%s\n",
			    golden_state_name(it[i].state), it[i].path,
			    it[i].is_dir ? "\\" : "",
			    it[i].detail != NULL ? ": " : "",
			    it[i].detail != NULL ? it[i].detail : "");
		for (i = 0; i < nw; i++)
			out_warning("%s", w[i]);
		printf("%zu files compared: %zu same, %zu differ, %zu missing, "
		    "%zu extra, %zu unreadable\n", c->files, c->same,
		    c->differ, c->missing, c->extra, c->unreadable);
	}
	run_close(&r);
	return n == 0 ? NTM_OK : NTM_WARN;
}


static int
apply_cb(void *arg, struct journal *j, char **cause)
{
	struct golden_run	*r = arg;
	int			 ret;

	ret = golden_apply(r->g, r->t.vol, golden_journal_write, j,
	    out_progress_cb,
	    &r->pr, cause);
	out_progress_end(&r->pr);
	return ret;
}

static int
golden_apply_cmd(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct golden_run		 r;
	const struct golden_item	*it;
	const char *const		*changes, *const *w;
	uint64_t			 total, avail;
	size_t				 n, i, nw;
	char				*line, *s1, *s2;
	int				 st, rehash = 0;

	for (i = n = 0; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--rehash") == 0)
			rehash = 1;
		else
			argv[n++] = argv[i];
	}
	argc = (int)n;
	if (argc < 1)
		return golden_usage();
	if ((st = run_prepare(ctx, &r, 1, rehash, argc, argv)) != NTM_OK) {
		run_close(&r);
		return st;
	}
	it = golden_items(r.g, &n);
	for (i = 0; i < n; i++) {
		if (it[i].state == GOLDEN_UNREADABLE) {
			out_error("golden apply: %s: %s; nothing was changed "
			    "(leave it out with PATHs)", it[i].path,
			    it[i].detail);
			run_close(&r);
			return NTM_FAILED;
		}
	}
	vol_space(r.t.vol, &total, &avail);
	/* A margin for the MFT records, indexes and the journal's log. */
	if (golden_need(r.g) + (64u << 20) > avail) {
		s1 = out_size(golden_need(r.g));
		s2 = out_size(avail);
		out_error("golden apply: the target has %s free and the apply "
		    "needs %s (new bytes and the journal's copies of replaced "
		    "files) and some room; nothing was changed", s2, s1);
		free(s1);
		free(s2);
		run_close(&r);
		return NTM_FAILED;
	}
	w = golden_warnings(r.g, &nw);
	for (i = 0; i < nw; i++)
		out_warning("%s", w[i]);
	line = source_line(r.g);
	if (ctx->json)
		fprintf(stderr, "ntmend: archive %s: %s\n", argv[0], line);
	else
		printf("archive %s: %s\n", argv[0], line);
	free(line);
	changes = golden_changes(r.g, &n);
	st = cmd_commit(ctx, &r.t, apply_cb, &r, changes, n);
	run_close(&r);
	return st;
}

static int
cmd_golden_exec(struct cmd_ctx *ctx)
{
	const char	*sub;
	int		 argc = ctx->argc - 2;
	char		**argv = ctx->argv + 2;

	if (ctx->argc < 2)
		return golden_usage();
	sub = ctx->argv[1];
	if (strcmp(sub, "capture") == 0)
		return golden_capture_cmd(ctx, argc, argv);
	if (strcmp(sub, "verify") == 0)
		return golden_verify_cmd(ctx, argc, argv);
	if (strcmp(sub, "apply") == 0)
		return golden_apply_cmd(ctx, argc, argv);
	return golden_usage();
}
