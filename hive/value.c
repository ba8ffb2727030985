/*
 * value.c: values as stored (type and raw bytes), typed getters, and the
 * text a value is shown as.
 */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hive/hive.h"
#include "util/util.h"

void
hive_value_free(struct hive_value *val)
{
	free(val->name);
	free(val->data);
	memset(val, 0, sizeof *val);
}

/* hivex_node_get_value, comparing names as Windows does (hivex folds
 * ASCII letters only). 0 with errno 0: no such value. */
static hive_value_h
hive_value_find(hive_h *h, hive_node_h node, const char *name)
{
	hive_value_h	 v, *vals;
	const char	*p;
	size_t		 i;
	char		*vname;
	int		 err;

	errno = 0;
	v = hivex_node_get_value(h, node, name);
	if (v != 0 || errno != 0)
		return v;
	for (p = name; *p != '\0' && (unsigned char)*p < 0x80; p++)
		;
	if (*p == '\0')
		return 0;
	if ((vals = hivex_node_values(h, node)) == NULL)
		return 0;
	for (i = 0; vals[i] != 0 && v == 0; i++) {
		if ((vname = hivex_value_key(h, vals[i])) == NULL)
			continue;
		if (hive_name_equal(vname, name))
			v = vals[i];
		free(vname);
	}
	err = errno;
	free(vals);
	errno = v != 0 ? 0 : err;
	return v;
}

int
hive_value_get(struct hive *hv, const char *key, const char *name,
    struct hive_value *val, char **cause)
{
	hive_h		*h = hive_handle(hv);
	hive_node_h	 node;
	hive_value_h	 v;
	hive_type	 t;
	size_t		 len;
	char		*data, *vname;
	int		 err;

	memset(val, 0, sizeof *val);
	if (hive_key_lookup(hv, key, &node, cause) != 0)
		return -1;
	/* regedit and .reg files write the default (unnamed) value "@". */
	if (strcmp(name, "@") == 0)
		name = "";

	/* 0 is both "none" (errno 0) and an error. */
	v = hive_value_find(h, node, name);
	err = errno;
	if (v == 0) {
		if (err == 0) {
			set_cause(cause, "%s: no value %s%s%s in %s",
			    hive_name(hv), *name == '\0' ? "(default)" : "\"",
			    name, *name == '\0' ? "" : "\"",
			    *key == '\0' ? "the root key" : key);
			err = ENOENT;
		} else
			set_cause(cause, "%s: cannot read the values of %s "
			    "(the hive is damaged there): %s", hive_name(hv),
			    *key == '\0' ? "the root key" : key,
			    strerror(err));
		errno = err;
		return -1;
	}

	/* The stored name, for its real case; NULL only if damaged. */
	vname = hivex_value_key(h, v);
	errno = 0;
	data = hivex_value_value(h, v, &t, &len);
	if (data == NULL && (len != 0 || errno != 0)) {
		err = errno != 0 ? errno : EINVAL;
		set_cause(cause, "%s: cannot read the data of %s in %s (the "
		    "hive is damaged there): %s", hive_name(hv),
		    *name == '\0' ? "the default value" : name,
		    *key == '\0' ? "the root key" : key, strerror(err));
		free(vname);
		errno = err;
		return -1;
	}
	val->name = vname != NULL ? vname : xstrdup(name);
	val->type = (uint32_t)t;
	/* hivex allocates with malloc; keep its buffer (an empty value may
	 * come back as NULL: make it a real, empty one). */
	val->data = data != NULL ? (uint8_t *)data : xmalloc(1);
	val->len = len;
	return 0;
}

/* UTF-16LE bytes as stored -> UTF-8. Real hives hold strings without a
 * terminator and with an odd byte count (a stray byte after the last
 * unit); the odd byte is dropped and the first NUL unit ends the text. */
static char *
hive_utf16_text(const uint8_t *data, size_t len)
{
	return utf16le_to_utf8(data, len & ~(size_t)1);
}

static const char *
hive_value_label(const char *name)
{
	return *name == '\0' ? "(default)" : name;
}

int
hive_value_string(struct hive *hv, const char *key, const char *name,
    char **s, char **cause)
{
	struct hive_value	 val;
	char			*tn;

	if (hive_value_get(hv, key, name, &val, cause) != 0)
		return -1;
	if (val.type != HIVE_REG_SZ && val.type != HIVE_REG_EXPAND_SZ) {
		tn = hive_type_name(val.type);
		set_cause(cause, "%s: %s\\%s is %s, not a string",
		    hive_name(hv), key, hive_value_label(val.name), tn);
		free(tn);
		hive_value_free(&val);
		errno = EINVAL;
		return -1;
	}
	*s = hive_utf16_text(val.data, val.len);
	hive_value_free(&val);
	return 0;
}

int
hive_value_dword(struct hive *hv, const char *key, const char *name,
    uint32_t *v, char **cause)
{
	struct hive_value	 val;
	char			*tn;

	if (hive_value_get(hv, key, name, &val, cause) != 0)
		return -1;
	if ((val.type != HIVE_REG_DWORD &&
	    val.type != HIVE_REG_DWORD_BIG_ENDIAN) || val.len < 4) {
		tn = hive_type_name(val.type);
		set_cause(cause, "%s: %s\\%s is %s of %zu bytes, not a DWORD",
		    hive_name(hv), key, hive_value_label(val.name), tn,
		    val.len);
		free(tn);
		hive_value_free(&val);
		errno = EINVAL;
		return -1;
	}
	if (val.type == HIVE_REG_DWORD)
		*v = le32dec(val.data);
	else
		*v = (uint32_t)val.data[0] << 24 | (uint32_t)val.data[1] << 16 |
		    (uint32_t)val.data[2] << 8 | val.data[3];
	hive_value_free(&val);
	return 0;
}

/* "01 02 ff": how regedit and reg.exe show bytes, lowercase here. */
static char *
hive_hex_bytes(const uint8_t *p, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*out, *o;
	size_t			 i;

	if (len == 0)
		return xstrdup("");
	out = o = xmalloc(len * 3);
	for (i = 0; i < len; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = digits[p[i] >> 4];
		*o++ = digits[p[i] & 0xf];
	}
	*o = '\0';
	return out;
}

/* MULTI_SZ: strings ended by NUL units, the list by an empty one. Broken
 * writers leave off either terminator, so the end of data ends it too. */
static char *
hive_multi_sz(const uint8_t *data, size_t len)
{
	size_t	 i, start, units = len / 2;
	char	*out = xstrdup(""), *s, *tmp;
	int	 first = 1;

	for (start = i = 0; i <= units; i++) {
		if (i < units && le16dec(data + 2 * i) != 0)
			continue;
		if (i == start)
			break;
		s = utf16le_to_utf8(data + 2 * start, 2 * (i - start));
		xasprintf(&tmp, "%s%s%s", out, first ? "" : "\n", s);
		free(s);
		free(out);
		out = tmp;
		first = 0;
		start = i + 1;
	}
	return out;
}

char *
hive_value_format(const struct hive_value *val)
{
	const uint8_t	*d = val->data;

	switch (val->type) {
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
	case HIVE_REG_LINK:
		return hive_utf16_text(d, val->len);
	case HIVE_REG_MULTI_SZ:
		return hive_multi_sz(d, val->len);
	case HIVE_REG_DWORD:
		if (val->len == 4)
			return xprintf("%" PRIu32, le32dec(d));
		break;
	case HIVE_REG_DWORD_BIG_ENDIAN:
		if (val->len == 4)
			return xprintf("%" PRIu32, (uint32_t)d[0] << 24 |
			    (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3]);
		break;
	case HIVE_REG_QWORD:
		if (val->len == 8)
			return xprintf("%" PRIu64, le64dec(d));
		break;
	}
	/* BINARY, NONE, resource lists, types Windows does not define
	 * (Windows 10's DEFAULT hive has 0xffff0011 and the like) and
	 * numbers of the wrong size: the bytes themselves. */
	return hive_hex_bytes(d, val->len);
}

char *
hive_type_name(uint32_t type)
{
	static const char *const names[] = {
		"REG_NONE",
		"REG_SZ",
		"REG_EXPAND_SZ",
		"REG_BINARY",
		"REG_DWORD",
		"REG_DWORD_BIG_ENDIAN",
		"REG_LINK",
		"REG_MULTI_SZ",
		"REG_RESOURCE_LIST",
		"REG_FULL_RESOURCE_DESCRIPTOR",
		"REG_RESOURCE_REQUIREMENTS_LIST",
		"REG_QWORD",
	};

	if (type < sizeof names / sizeof names[0])
		return xstrdup(names[type]);
	return xprintf("REG_UNKNOWN(0x%" PRIx32 ")", type);
}

char *
hive_type_short(uint32_t type)
{
	char	*t = hive_type_name(type), *s;

	s = xstrdup(t + 4);
	free(t);
	return s;
}
