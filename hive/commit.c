/*
 * commit.c: the middle of the hive write path. hivex rewrites the private
 * copy; a second, independent hivex handle must then read every key and
 * value of the result before its bytes go anywhere near the volume.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

/* Windows limits key nesting to 512 levels ("Registry element size
 * limits"); deeper means a loop in a damaged hive. */
#define NTM_MAX_KEY_DEPTH	512

static int
walk(hive_h *h, hive_node_h node, unsigned depth, size_t *nkeys,
    char **cause)
{
	hive_node_h	*children = NULL;
	hive_value_h	*values = NULL;
	hive_type	 t;
	size_t		 len, i;
	char		*name, *data;
	int		 ret = -1;

	if (depth > NTM_MAX_KEY_DEPTH)
		return set_cause(cause, "keys nested deeper than %d levels",
		    NTM_MAX_KEY_DEPTH);
	errno = 0;
	if ((name = hivex_node_name(h, node)) == NULL)
		return set_cause(cause, "a key name cannot be read (%s)",
		    strerror(errno));
	if ((values = hivex_node_values(h, node)) == NULL) {
		set_cause(cause, "%s: values cannot be read (%s)", name,
		    strerror(errno));
		goto out;
	}
	for (i = 0; values[i] != 0; i++) {
		if ((data = hivex_value_value(h, values[i], &t, &len)) ==
		    NULL) {
			set_cause(cause, "%s: a value cannot be read (%s)",
			    name, strerror(errno));
			goto out;
		}
		free(data);
	}
	if ((children = hivex_node_children(h, node)) == NULL) {
		set_cause(cause, "%s: subkeys cannot be read (%s)", name,
		    strerror(errno));
		goto out;
	}
	(*nkeys)++;
	for (i = 0; children[i] != 0; i++) {
		if (walk(h, children[i], depth + 1, nkeys, cause) != 0)
			goto out;
	}
	ret = 0;
out:
	free(children);
	free(values);
	free(name);
	return ret;
}

int
hive_commit(struct hive *hv, void **bufp, size_t *lenp, char **cause)
{
	struct hive_header	 hdr;
	hive_h			*check;
	const char		*path = hive_file_path(hv);
	size_t			 nkeys = 0, len;
	void			*buf = NULL;
	char			*why = NULL;

	errno = 0;
	if (hivex_commit(hive_handle(hv), NULL, 0) != 0)
		return set_cause(cause, "%s: hivex cannot write the edited "
		    "copy (%s)", hive_name(hv), strerror(errno));
	errno = 0;
	if ((check = hivex_open(path, 0)) == NULL)
		return set_cause(cause, "%s: the edited copy does not open "
		    "again (%s); nothing was written", hive_name(hv),
		    strerror(errno));
	if (walk(check, hivex_root(check), 0, &nkeys, &why) != 0) {
		hivex_close(check);
		set_cause(cause, "%s: the edited copy does not read back (%s); "
		    "nothing was written", hive_name(hv), why);
		free(why);
		return -1;
	}
	hivex_close(check);
	if (file_read_all(path, HIVE_MAX_SIZE, &buf, &len, cause) != 0)
		return -1;
	/* hivex commits with both sequence numbers equal and a fresh
	 * checksum: anything else would make Windows distrust the hive. */
	if (hive_header_parse(buf, len, &hdr, &why) != 0) {
		set_cause(cause, "%s: the edited copy has no valid base block "
		    "(%s)", hive_name(hv), why);
		free(why);
		free(buf);
		return -1;
	}
	if (hive_header_is_dirty(&hdr)) {
		set_cause(cause, "%s: the edited copy is not clean (sequence "
		    "numbers %u/%u)", hive_name(hv), hdr.seq_primary,
		    hdr.seq_secondary);
		hive_header_free(&hdr);
		free(buf);
		return -1;
	}
	hive_header_free(&hdr);
	*bufp = buf;
	*lenp = len;
	return 0;
}
