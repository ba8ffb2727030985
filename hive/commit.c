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

/* A key node cell ("nk"): its size, then the record; the number of
 * subkeys at 0x18 of the cell, of values at 0x28, the name's length at
 * 0x4c, the name from 0x50. */
#define NK_NR_SUBKEYS		0x18
#define NK_NR_VALUES		0x28
#define NK_NAME_LEN		0x4c
#define NK_NAME			0x50

/* The committed bytes the walk checks names in. */
struct walk_img {
	const uint8_t	*p;
	size_t		 len;
};

/* A key for a message: its name if hivex can give it, else its offset. */
static char *
walk_name(hive_h *h, hive_node_h node)
{
	char	*name;

	if ((name = hivex_node_name(h, node)) != NULL)
		return name;
	return xprintf("the key at offset 0x%zx", (size_t)node);
}

/* "KEY: WHAT (errno's text)" as the cause; -1. */
static int
walk_fail(hive_h *h, hive_node_h node, const char *what, char **cause)
{
	int	 e = errno;
	char	*name;

	name = walk_name(h, node);
	set_cause(cause, "%s: %s (%s)", name, what, strerror(e));
	free(name);
	return -1;
}

/* The most data a value keeps in one cell (Windows puts more in "db" big
 * data chains). */
#define NTM_VALUE_CELL_MAX	16344

/*
 * A value's data, checked as hivex_value_value checks it but without the
 * copy it makes: inline data needs no cell; data in one cell must fit the
 * cell hivex_value_data_cell_offset finds (a used cell where hivex's map
 * has one begin), read on the mapped bytes. Big data chains, and anything
 * that does not pass here, go through hivex_value_value itself.
 */
static int
value_check(hive_h *h, const struct walk_img *img, hive_value_h value)
{
	hive_type	 t;
	size_t		 off, len;
	uint32_t	 size;
	char		*data;

	errno = 0;
	off = hivex_value_data_cell_offset(h, value, &len);
	if (off == 0 && errno == 0)
		return 0;
	if (off != 0 && len >= 4 && len - 4 <= NTM_VALUE_CELL_MAX &&
	    off <= img->len - 4) {
		size = le32dec(img->p + off);
		if (size & 0x80000000u)
			size = 0u - size;
		if (len <= size && size <= img->len - off)
			return 0;
	}
	if ((data = hivex_value_value(h, value, &t, &len)) == NULL)
		return -1;
	free(data);
	return 0;
}

/*
 * Every key, value and subkey list as hivex reads them: the cells each
 * points to are used cells of the right kind and size, value data (big
 * data chains too) lies inside its cells. A key's name is checked as
 * hivex_node_name checks it, its length inside the cell, on the bytes:
 * hivex would convert it to UTF-8 for that (even hivex_node_name_len),
 * which took a third of the walk.
 * A key whose cell counts no values (subkeys) is not asked for them:
 * hivex answers that with an empty list without reading further, after
 * checking the cell is a used "nk" one, which hivex_open did for the root
 * and the parent's hivex_node_children for every other key. Asking cost
 * two allocations a key, and most keys have no subkeys.
 */
static int
walk(hive_h *h, const struct walk_img *img, hive_node_h node, unsigned depth,
    size_t *nkeys, char **cause)
{
	static hive_node_h	 none[1];
	hive_node_h		*children = none;
	hive_value_h		*values = none;
	size_t			 i, cell;
	uint32_t		 size = 0;
	int			 ret = -1;

	if (depth > NTM_MAX_KEY_DEPTH)
		return set_cause(cause, "keys nested deeper than %d levels",
		    NTM_MAX_KEY_DEPTH);
	/* A used cell's size is stored negated. */
	cell = (size_t)node;
	if (cell <= img->len - NK_NAME)
		size = 0u - le32dec(img->p + cell);
	if (cell > img->len - NK_NAME || size < NK_NAME || size > img->len ||
	    NK_NAME + (size_t)le16dec(img->p + cell + NK_NAME_LEN) > size) {
		set_cause(cause, "the name of the key at offset 0x%zx runs "
		    "past its cell", cell);
		goto out;
	}
	if (le32dec(img->p + cell + NK_NR_VALUES) != 0 &&
	    (values = hivex_node_values(h, node)) == NULL) {
		walk_fail(h, node, "values cannot be read", cause);
		goto out;
	}
	for (i = 0; values[i] != 0; i++) {
		if (value_check(h, img, values[i]) != 0) {
			walk_fail(h, node, "a value cannot be read", cause);
			goto out;
		}
	}
	if (le32dec(img->p + cell + NK_NR_SUBKEYS) != 0 &&
	    (children = hivex_node_children(h, node)) == NULL) {
		walk_fail(h, node, "subkeys cannot be read", cause);
		goto out;
	}
	(*nkeys)++;
	for (i = 0; children[i] != 0; i++) {
		if (walk(h, img, children[i], depth + 1, nkeys, cause) != 0)
			goto out;
	}
	ret = 0;
out:
	if (children != none)
		free(children);
	if (values != none)
		free(values);
	return ret;
}

int
hive_commit(struct hive *hv, const void **bufp, size_t *lenp, char **cause)
{
	struct hive_header	 hdr;
	struct walk_img		 img;
	hive_h			*check;
	const char		*path = hive_file_path(hv);
	size_t			 nkeys = 0, len;
	const void		*buf;
	char			*why = NULL;

	errno = 0;
	if (hivex_commit(hive_handle(hv), NULL, 0) != 0)
		return set_cause(cause, "%s: hivex cannot write the edited "
		    "copy (%s)", hive_name(hv), strerror(errno));
	/* Mapped, not read: the journal reads these bytes once, to compare
	 * them with the volume's and write what differs, and a read into a
	 * fresh 13 MB buffer cost as much as hivex's whole commit. */
	if (hive_map_copy(hv, &buf, &len, cause) != 0)
		return -1;
	img.p = buf;
	img.len = len;
	errno = 0;
	if ((check = hivex_open(path, 0)) == NULL)
		return set_cause(cause, "%s: the edited copy does not open "
		    "again (%s); nothing was written", hive_name(hv),
		    strerror(errno));
	if (walk(check, &img, hivex_root(check), 0, &nkeys, &why) != 0) {
		hivex_close(check);
		set_cause(cause, "%s: the edited copy does not read back (%s); "
		    "nothing was written", hive_name(hv), why);
		free(why);
		return -1;
	}
	hivex_close(check);
	/* hivex commits with both sequence numbers equal and a fresh
	 * checksum: anything else would make Windows distrust the hive. */
	if (hive_header_parse(buf, len, &hdr, &why) != 0) {
		set_cause(cause, "%s: the edited copy has no valid base block "
		    "(%s)", hive_name(hv), why);
		free(why);
		return -1;
	}
	if (hive_header_is_dirty(&hdr)) {
		set_cause(cause, "%s: the edited copy is not clean (sequence "
		    "numbers %u/%u)", hive_name(hv), hdr.seq_primary,
		    hdr.seq_secondary);
		hive_header_free(&hdr);
		return -1;
	}
	hive_header_free(&hdr);
	*bufp = buf;
	*lenp = len;
	return 0;
}
