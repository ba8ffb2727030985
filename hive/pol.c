/*
 * pol.c: Group Policy registry.pol files (PReg).
 *
 * Format (Microsoft, "Registry Policy File Format", and [MS-GPREG] 2.2.1):
 * an 8-byte header, the signature 0x67655250 ("PReg") and the version 1,
 * both little-endian u32, then entries back to back, nothing between them:
 *
 *	[key;valuename;type;size;data]
 *
 * where '[', ';' and ']' are UTF-16LE characters (2 bytes each), key and
 * valuename are NUL-terminated UTF-16LE, type and size are little-endian
 * u32 and data is exactly size bytes. There is no count and no checksum:
 * the only way to find damage is to walk every entry, and a file cut short
 * at an entry boundary is indistinguishable from a complete one.
 *
 * Every real file in testdata/pol is written this way; what they taught:
 * nsa_Office_0DFDDA81_User.pol is the 8-byte header alone (GPMC writes it
 * for a GPO half with no settings), so zero entries is valid; REG_SZ data
 * sizes include the terminating NUL ("1\0" is 4 bytes in
 * simeon_dod_Windows_10_User_User.pol) and **del. entries carry a
 * one-space string (" \0", 4 bytes); key case differs between writers
 * ("Software\Microsoft\wcmsvc" in the Ansible Fixes GPO, "WcmSvc" in
 * nsa_Windows_A2A38432), so lookups compare case-insensitively.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hive/hive.h"
#include "util/util.h"

#define POL_CHAR_OPEN	0x005b	/* '[' */
#define POL_CHAR_SEMI	0x003b	/* ';' */
#define POL_CHAR_CLOSE	0x005d	/* ']' */

static const char *pol_damage_text[] = {
	[POL_OK] = "no damage",
	[POL_DAMAGE_SHORT] = "file shorter than the 4-byte PReg signature",
	[POL_DAMAGE_SIGNATURE] = "bad signature (not \"PReg\")",
	[POL_DAMAGE_VERSION] = "bad version (not 1)",
	[POL_DAMAGE_OPEN] = "missing '[' at the start of an entry",
	[POL_DAMAGE_KEY] = "key not terminated",
	[POL_DAMAGE_KEY_LONG] = "key too long",
	[POL_DAMAGE_KEY_UTF16] = "key is not valid UTF-16",
	[POL_DAMAGE_SEMI_KEY] = "missing ';' after the key",
	[POL_DAMAGE_NAME] = "value name not terminated",
	[POL_DAMAGE_NAME_LONG] = "value name too long",
	[POL_DAMAGE_NAME_UTF16] = "value name is not valid UTF-16",
	[POL_DAMAGE_SEMI_NAME] = "missing ';' after the value name",
	[POL_DAMAGE_TYPE] = "file ends inside the type",
	[POL_DAMAGE_SEMI_TYPE] = "missing ';' after the type",
	[POL_DAMAGE_SIZE] = "file ends inside the size",
	[POL_DAMAGE_SEMI_SIZE] = "missing ';' after the size",
	[POL_DAMAGE_DATA] = "size runs past the end of the file",
	[POL_DAMAGE_CLOSE] = "missing ']' after the data",
	[POL_DAMAGE_TRAILING] = "trailing garbage after the last entry",
	[POL_DAMAGE_TOO_MANY] = "too many entries",
	[POL_DAMAGE_TOO_BIG] = "file too large"
};

const char *
pol_damage_string(enum pol_damage d)
{
	if ((size_t)d >= sizeof pol_damage_text / sizeof pol_damage_text[0] ||
	    pol_damage_text[d] == NULL)
		return "unknown damage";
	return pol_damage_text[d];
}

/* Fill err (which may be NULL); the message always starts with the offset
 * so that `pol check` output points the technician at the byte. */
static int NTM_PRINTF(6, 7)
pol_damage_set(struct pol_error *err, enum pol_damage d, size_t off,
    size_t entry, size_t entry_off, const char *fmt, ...)
{
	va_list	ap;
	char	detail[160];
	int	n;

	if (err == NULL)
		return -1;
	err->damage = d;
	err->off = off;
	err->entry = entry;
	err->entry_off = entry_off;
	detail[0] = '\0';
	if (fmt != NULL) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof detail, fmt, ap);
		va_end(ap);
	}
	n = snprintf(err->msg, sizeof err->msg, "offset %zu (0x%zx): %s",
	    off, off, pol_damage_string(d));
	if (n > 0 && (size_t)n < sizeof err->msg && detail[0] != '\0')
		snprintf(err->msg + n, sizeof err->msg - (size_t)n, " (%s)",
		    detail);
	return -1;
}

struct pol *
pol_new(void)
{
	return xcalloc(1, sizeof(struct pol));
}

static void
pol_entry_clear(struct pol_entry *e)
{
	free(e->key);
	free(e->name);
	free(e->data);
	memset(e, 0, sizeof *e);
}

void
pol_free(struct pol *pol)
{
	size_t	i;

	if (pol == NULL)
		return;
	for (i = 0; i < pol->nentries; i++)
		pol_entry_clear(&pol->entries[i]);
	free(pol->entries);
	free(pol);
}

/* Room for one more entry; returns it zeroed. */
static struct pol_entry *
pol_grow(struct pol *pol)
{
	struct pol_entry	*e;

	if (pol->nentries == pol->alloc) {
		pol->alloc = pol->alloc == 0 ? 16 : pol->alloc * 2;
		pol->entries = xreallocarray(pol->entries, pol->alloc,
		    sizeof *pol->entries);
	}
	e = &pol->entries[pol->nentries++];
	memset(e, 0, sizeof *e);
	return e;
}

/*
 * Scan the NUL-terminated UTF-16LE string at off. On success *units gets
 * its length in 2-byte units without the NUL. Fails with *bad set to the
 * offset to blame: the string's start when the file ends before its NUL
 * (truncation cuts the field, so the field is what is named) or when it
 * is longer than max units, else the unit that is an unpaired surrogate.
 * Returns 0, or 1 (unterminated), 2 (too long), 3 (bad UTF-16).
 */
static int
pol_scan_string(const uint8_t *buf, size_t len, size_t off, size_t max,
    size_t *units, size_t *bad)
{
	size_t		i = off, n = 0;
	uint16_t	u, lo;

	for (;;) {
		if (len - i < 2) {
			*bad = off;
			return 1;
		}
		u = le16dec(buf + i);
		if (u == 0)
			break;
		if (n >= max) {
			*bad = off;
			return 2;
		}
		if (u >= 0xd800 && u <= 0xdbff) {
			if (len - i < 4) {
				*bad = off;
				return 1;
			}
			lo = le16dec(buf + i + 2);
			if (lo < 0xdc00 || lo > 0xdfff) {
				*bad = i;
				return 3;
			}
			if (n + 1 >= max) {
				*bad = off;
				return 2;
			}
			i += 4;
			n += 2;
			continue;
		}
		if (u >= 0xdc00 && u <= 0xdfff) {
			*bad = i;
			return 3;
		}
		i += 2;
		n++;
	}
	*units = n;
	return 0;
}

/* What stands where a delimiter was expected, for the message. */
static const char *
pol_found(const uint8_t *buf, size_t len, size_t off, char *tmp,
    size_t tmplen)
{
	if (len - off < 2)
		return "the file ends";
	snprintf(tmp, tmplen, "found 0x%04x", le16dec(buf + off));
	return tmp;
}

/* A delimiter character at off, inside the buffer. */
static int
pol_delim(const uint8_t *buf, size_t len, size_t off, uint16_t c)
{
	return len - off >= 2 && le16dec(buf + off) == c;
}

/*
 * Walk buf, appending every complete valid entry to pol (when not NULL)
 * and counting them in *count. Stops at the first damage: -1 with err
 * filled; entries before it are already in pol. len is at most
 * NTM_MAX_POL_SIZE here.
 */
static int
pol_walk(const uint8_t *buf, size_t len, struct pol *pol, size_t *count,
    struct pol_error *err)
{
	struct pol_entry	*e;
	size_t			 off, eo, n, koff, klen, noff, nlen, bad;
	size_t			 toff, soff, doff, i;
	uint32_t		 type, size;
	char			 tmp[32];
	int			 r;

	if (len < 4)
		return pol_damage_set(err, POL_DAMAGE_SHORT, 0, 0, 0,
		    "%zu bytes", len);
	if (le32dec(buf) != POL_SIGNATURE)
		return pol_damage_set(err, POL_DAMAGE_SIGNATURE, 0, 0, 0,
		    "%02x %02x %02x %02x", buf[0], buf[1], buf[2], buf[3]);
	if (len < POL_HEADER_SIZE)
		return pol_damage_set(err, POL_DAMAGE_VERSION, 4, 0, 0,
		    "file ends inside the version");
	if (le32dec(buf + 4) != POL_VERSION)
		return pol_damage_set(err, POL_DAMAGE_VERSION, 4, 0, 0,
		    "version %u", le32dec(buf + 4));

	off = POL_HEADER_SIZE;
	for (n = 0; off < len; n++, *count = n) {
		eo = off;
		if (n >= NTM_MAX_POL_ENTRIES)
			return pol_damage_set(err, POL_DAMAGE_TOO_MANY, off, n,
			    off, "more than %d", NTM_MAX_POL_ENTRIES);
		if (!pol_delim(buf, len, off, POL_CHAR_OPEN)) {
			/*
			 * A lone byte, or NUL padding (what a copy to a
			 * cluster-sized buffer leaves), is garbage after a
			 * complete file; anything else is an entry whose
			 * start is broken.
			 */
			for (i = off; i < len && buf[i] == 0; i++)
				/* nothing */;
			if (len - off == 1 || i == len)
				return pol_damage_set(err, POL_DAMAGE_TRAILING,
				    off, n, off, "%zu bytes", len - off);
			return pol_damage_set(err, POL_DAMAGE_OPEN, off, n,
			    off, "%s; entry %zu", pol_found(buf, len, off, tmp,
			    sizeof tmp), n);
		}

		koff = off + 2;
		r = pol_scan_string(buf, len, koff, NTM_MAX_POL_KEY, &klen,
		    &bad);
		if (r != 0)
			return pol_damage_set(err, r == 1 ? POL_DAMAGE_KEY :
			    r == 2 ? POL_DAMAGE_KEY_LONG : POL_DAMAGE_KEY_UTF16,
			    bad, n, eo, "entry %zu at offset %zu", n, eo);
		off = koff + 2 * klen + 2;
		if (!pol_delim(buf, len, off, POL_CHAR_SEMI))
			return pol_damage_set(err, POL_DAMAGE_SEMI_KEY, off, n,
			    eo, "%s; entry %zu at offset %zu", pol_found(buf,
			    len, off, tmp, sizeof tmp), n, eo);

		noff = off + 2;
		r = pol_scan_string(buf, len, noff, NTM_MAX_POL_NAME, &nlen,
		    &bad);
		if (r != 0)
			return pol_damage_set(err, r == 1 ? POL_DAMAGE_NAME :
			    r == 2 ? POL_DAMAGE_NAME_LONG :
			    POL_DAMAGE_NAME_UTF16, bad, n, eo,
			    "entry %zu at offset %zu", n, eo);
		off = noff + 2 * nlen + 2;
		if (!pol_delim(buf, len, off, POL_CHAR_SEMI))
			return pol_damage_set(err, POL_DAMAGE_SEMI_NAME, off, n,
			    eo, "%s; entry %zu at offset %zu", pol_found(buf,
			    len, off, tmp, sizeof tmp), n, eo);

		/* Any type is kept: [MS-GPREG] lists 1-5, 7 and 11, but the
		 * value is only data here and must be written back as is. */
		toff = off + 2;
		if (len - toff < 4)
			return pol_damage_set(err, POL_DAMAGE_TYPE, toff, n, eo,
			    "entry %zu at offset %zu", n, eo);
		type = le32dec(buf + toff);
		off = toff + 4;
		if (!pol_delim(buf, len, off, POL_CHAR_SEMI))
			return pol_damage_set(err, POL_DAMAGE_SEMI_TYPE, off, n,
			    eo, "%s; entry %zu at offset %zu", pol_found(buf,
			    len, off, tmp, sizeof tmp), n, eo);

		soff = off + 2;
		if (len - soff < 4)
			return pol_damage_set(err, POL_DAMAGE_SIZE, soff, n, eo,
			    "entry %zu at offset %zu", n, eo);
		size = le32dec(buf + soff);
		off = soff + 4;
		if (!pol_delim(buf, len, off, POL_CHAR_SEMI))
			return pol_damage_set(err, POL_DAMAGE_SEMI_SIZE, off, n,
			    eo, "%s; entry %zu at offset %zu", pol_found(buf,
			    len, off, tmp, sizeof tmp), n, eo);

		/*
		 * The size field is blamed, not the data: a size larger
		 * than what is left is the field that is wrong, or the
		 * file was cut inside the data. [MS-GPREG] bounds Size by
		 * 0xFFFF, but nothing in the format depends on that and
		 * the registry holds larger values, so only the end of
		 * the file bounds it.
		 */
		doff = off + 2;
		if (size > len - doff)
			return pol_damage_set(err, POL_DAMAGE_DATA, soff, n, eo,
			    "entry %zu: size %u, %zu bytes left", n, size,
			    len - doff);
		off = doff + size;
		if (!pol_delim(buf, len, off, POL_CHAR_CLOSE))
			return pol_damage_set(err, POL_DAMAGE_CLOSE, off, n, eo,
			    "%s; entry %zu at offset %zu, size %u",
			    pol_found(buf, len, off, tmp, sizeof tmp), n, eo,
			    size);
		off += 2;

		if (pol == NULL)
			continue;
		e = pol_grow(pol);
		e->off = eo;
		e->key = utf16le_to_utf8(buf + koff, 2 * klen);
		e->name = utf16le_to_utf8(buf + noff, 2 * nlen);
		e->type = type;
		e->size = size;
		e->data = xmalloc(size);
		if (size != 0)
			memcpy(e->data, buf + doff, size);
	}
	return 0;
}

/*
 * Walk at most NTM_MAX_POL_SIZE bytes of the file. A larger file is
 * damaged as a whole; the entries that end before the limit are what a
 * salvage keeps, and the entry the limit cuts is the one blamed.
 */
static int
pol_walk_bounded(const void *buf, size_t len, struct pol *pol,
    struct pol_error *err)
{
	struct pol_error	cut;
	size_t			count = 0;

	if (len <= NTM_MAX_POL_SIZE)
		return pol_walk(buf, len, pol, &count, err);
	if (pol_walk(buf, NTM_MAX_POL_SIZE, pol, &count, &cut) == 0)
		return pol_damage_set(err, POL_DAMAGE_TOO_BIG,
		    NTM_MAX_POL_SIZE, count, NTM_MAX_POL_SIZE,
		    "%zu bytes, more than %d", len, NTM_MAX_POL_SIZE);
	return pol_damage_set(err, POL_DAMAGE_TOO_BIG, cut.entry_off,
	    cut.entry, cut.entry_off, "%zu bytes, more than %d", len,
	    NTM_MAX_POL_SIZE);
}

int
pol_parse(const void *buf, size_t len, struct pol **pp, struct pol_error *err)
{
	struct pol	*pol = NULL;

	if (err != NULL)
		memset(err, 0, sizeof *err);
	if (pp != NULL) {
		*pp = NULL;
		pol = pol_new();
	}
	if (pol_walk_bounded(buf, len, pol, err) != 0)
		goto fail;
	if (pp != NULL)
		*pp = pol;
	return 0;

fail:
	pol_free(pol);
	return -1;
}

int
pol_salvage(const void *buf, size_t len, struct pol **pp,
    struct pol_error *err)
{
	struct pol	*pol;

	if (err != NULL)
		memset(err, 0, sizeof *err);
	pol = pol_new();
	*pp = pol;
	if (pol_walk_bounded(buf, len, pol, err) != 0)
		return 1;
	return 0;
}

/* Bytes one entry takes in the file; key and name are written from their
 * UTF-8, which came from valid UTF-16 (or was checked by pol_set), so the
 * conversion gives back the same units. */
static size_t
pol_entry_units(const char *s)
{
	void	*w;
	size_t	 len;

	if ((w = utf8_to_utf16le(s, &len)) == NULL)
		fatal("pol: invalid UTF-8 in an entry");
	free(w);
	return len;
}

static uint8_t *
pol_put16(uint8_t *p, uint16_t c)
{
	le16enc(p, c);
	return p + 2;
}

static uint8_t *
pol_put_string(uint8_t *p, const char *s)
{
	uint8_t	*w;
	size_t	 len;

	if ((w = utf8_to_utf16le(s, &len)) == NULL)
		fatal("pol: invalid UTF-8 in an entry");
	memcpy(p, w, len + 2);	/* with the NUL */
	free(w);
	return p + len + 2;
}

static size_t
pol_entry_size(const struct pol_entry *e)
{
	return 2 + pol_entry_units(e->key) + 2 + 2 +
	    pol_entry_units(e->name) + 2 + 2 + 4 + 2 + 4 + 2 +
	    (size_t)e->size + 2;
}

size_t
pol_write_size(const struct pol *pol)
{
	size_t	i, total = POL_HEADER_SIZE;

	for (i = 0; i < pol->nentries; i++)
		total += pol_entry_size(&pol->entries[i]);
	return total;
}

void *
pol_write(const struct pol *pol, size_t *lenp)
{
	const struct pol_entry	*e;
	uint8_t			*buf, *p;
	size_t			 i, total;

	total = pol_write_size(pol);
	buf = p = xmalloc(total);
	le32enc(p, POL_SIGNATURE);
	le32enc(p + 4, POL_VERSION);
	p += POL_HEADER_SIZE;
	for (i = 0; i < pol->nentries; i++) {
		e = &pol->entries[i];
		p = pol_put16(p, POL_CHAR_OPEN);
		p = pol_put_string(p, e->key);
		p = pol_put16(p, POL_CHAR_SEMI);
		p = pol_put_string(p, e->name);
		p = pol_put16(p, POL_CHAR_SEMI);
		le32enc(p, e->type);
		p += 4;
		p = pol_put16(p, POL_CHAR_SEMI);
		le32enc(p, e->size);
		p += 4;
		p = pol_put16(p, POL_CHAR_SEMI);
		if (e->size != 0)
			memcpy(p, e->data, e->size);
		p += e->size;
		p = pol_put16(p, POL_CHAR_CLOSE);
	}
	if ((size_t)(p - buf) != total)
		fatal("pol_write: wrote %zu of %zu bytes", (size_t)(p - buf),
		    total);
	*lenp = total;
	return buf;
}

/*
 * Case-insensitive comparison as hivex and the registry do for ASCII;
 * other letters compare exactly. Policy keys and value names are ASCII in
 * every file in testdata/pol, and the registry's own Unicode upcase table
 * is not something to guess at.
 */
static int
pol_name_equal(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

ssize_t
pol_find(const struct pol *pol, const char *key, const char *name)
{
	size_t	i;

	/* The last one wins when Group Policy applies the file in order. */
	for (i = pol->nentries; i > 0; i--) {
		if (pol_name_equal(pol->entries[i - 1].key, key) &&
		    pol_name_equal(pol->entries[i - 1].name, name))
			return (ssize_t)(i - 1);
	}
	return -1;
}

/* Check a key or name given in UTF-8 against what the parser accepts. */
static int
pol_check_string(const char *what, const char *s, size_t max, char **cause)
{
	void	*w;
	size_t	 len;

	if ((w = utf8_to_utf16le(s, &len)) == NULL)
		return set_cause(cause, "%s is not valid UTF-8", what);
	free(w);
	if (len / 2 > max)
		return set_cause(cause, "%s is %zu characters, more than %zu",
		    what, len / 2, max);
	return 0;
}

int
pol_set(struct pol *pol, const char *key, const char *name, uint32_t type,
    const void *data, size_t size, char **cause)
{
	struct pol_entry	*e;
	ssize_t			 at;
	size_t			 total, old = 0;

	if (*key == '\0')
		return set_cause(cause, "empty key");
	if (pol_check_string("key", key, NTM_MAX_POL_KEY, cause) != 0)
		return -1;
	if (pol_check_string("value name", name, NTM_MAX_POL_NAME,
	    cause) != 0)
		return -1;
	if (size > UINT32_MAX)
		return set_cause(cause, "data of %zu bytes is too large", size);

	/* The file written afterwards must pass pol_parse: same limits. */
	at = pol_find(pol, key, name);
	if (at == -1 && pol->nentries >= NTM_MAX_POL_ENTRIES)
		return set_cause(cause, "more than %d entries",
		    NTM_MAX_POL_ENTRIES);
	if (at != -1)
		old = pol_entry_size(&pol->entries[at]);
	total = pol_write_size(pol) - old + 2 + pol_entry_units(key) + 2 +
	    2 + pol_entry_units(name) + 2 + 2 + 4 + 2 + 4 + 2 + size + 2;
	if (total > NTM_MAX_POL_SIZE)
		return set_cause(cause, "the file would be %zu bytes, more "
		    "than %d", total, NTM_MAX_POL_SIZE);

	if (at != -1) {
		/* Keep its place: order matters next to **delvals. */
		e = &pol->entries[at];
		free(e->data);
	} else {
		e = pol_grow(pol);
		e->off = POL_OFF_NONE;
		e->key = xstrdup(key);
		e->name = xstrdup(name);
	}
	e->type = type;
	e->size = (uint32_t)size;
	e->data = xmalloc(size);
	if (size != 0)
		memcpy(e->data, data, size);
	return 0;
}

size_t
pol_delete(struct pol *pol, const char *key, const char *name)
{
	size_t	i, j, n = 0;

	for (i = j = 0; i < pol->nentries; i++) {
		if (pol_name_equal(pol->entries[i].key, key) &&
		    pol_name_equal(pol->entries[i].name, name)) {
			pol_entry_clear(&pol->entries[i]);
			n++;
			continue;
		}
		if (i != j)
			pol->entries[j] = pol->entries[i];
		j++;
	}
	pol->nentries = j;
	return n;
}

/* Prefix match ignoring ASCII case. */
static int
pol_prefix(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* s equal to word, ignoring case and trailing spaces (the documentation
 * asks for "**DeleteKeys" to be followed by a NUL or a space). */
static int
pol_word(const char *s, const char *word)
{
	size_t	n = strlen(word);

	if (strncasecmp(s, word, n) != 0)
		return 0;
	for (s += n; *s == ' '; s++)
		/* nothing */;
	return *s == '\0';
}

enum pol_action
pol_entry_action(const struct pol_entry *e, const char **target)
{
	const char	*name = e->name;

	if (target != NULL)
		*target = name;
	if (name[0] != '*' || name[1] != '*') {
		/* "If value, type, size, or data are missing or zero, only
		 * the registry key will be created." */
		if (name[0] == '\0' && e->type == HIVE_REG_NONE &&
		    e->size == 0)
			return POL_ACTION_KEY;
		return POL_ACTION_SET;
	}
	if (pol_prefix(name, "**delvals")) {
		/* Written "**delvals." by GPMC (nsa_Chrome_403B3DA7),
		 * "**DelVals" in the documentation. */
		if (pol_word(name, "**delvals") ||
		    pol_word(name, "**delvals."))
			return POL_ACTION_DELVALS;
		return POL_ACTION_SPECIAL;
	}
	if (pol_prefix(name, "**del.")) {
		if (target != NULL)
			*target = name + 6;
		return POL_ACTION_DEL;
	}
	if (pol_prefix(name, "**soft.")) {
		if (target != NULL)
			*target = name + 7;
		return POL_ACTION_SOFT;
	}
	if (pol_word(name, "**DeleteValues"))
		return POL_ACTION_DELETEVALUES;
	if (pol_word(name, "**DeleteKeys"))
		return POL_ACTION_DELETEKEYS;
	if (pol_word(name, "**SecureKey") || pol_word(name, "**SecureKey=0") ||
	    pol_word(name, "**SecureKey=1"))
		return POL_ACTION_SECUREKEY;
	return POL_ACTION_SPECIAL;
}

char *
pol_type_name(uint32_t type)
{
	return hive_type_name(type);
}

/* A growing string. */
struct pol_buf {
	char	*s;
	size_t	 len, alloc;
};

static void NTM_PRINTF(2, 3)
pol_buf_add(struct pol_buf *b, const char *fmt, ...)
{
	va_list	 ap;
	char	*s;
	int	 n;

	va_start(ap, fmt);
	n = xvasprintf(&s, fmt, ap);
	va_end(ap);
	if (b->len + (size_t)n + 1 > b->alloc) {
		b->alloc = (b->len + (size_t)n + 1) * 2;
		b->s = xrealloc(b->s, b->alloc);
	}
	memcpy(b->s + b->len, s, (size_t)n + 1);
	b->len += (size_t)n;
	free(s);
}

static char *
pol_buf_done(struct pol_buf *b)
{
	if (b->s == NULL)
		return xstrdup("");
	return b->s;
}

static void
pol_buf_hex(struct pol_buf *b, const uint8_t *p, size_t len, size_t max)
{
	size_t	i;

	for (i = 0; i < len && i < max; i++)
		pol_buf_add(b, i == 0 ? "%02x" : " %02x", p[i]);
	if (len > max)
		pol_buf_add(b, " ... (%zu bytes)", len);
}

/*
 * Call fn for every string of a MULTI_SZ (or the one string of an SZ):
 * strings end at a NUL unit; an empty string ends a MULTI_SZ. An odd last
 * byte is ignored, as the registry ignores it.
 */
static void
pol_strings(const struct pol_entry *e, int multi,
    void (*fn)(const char *, size_t, void *), void *arg)
{
	const uint8_t	*p = e->data;
	size_t		 units = e->size / 2, start = 0, i, n = 0;
	char		*s;

	for (;;) {
		for (i = start; i < units && le16dec(p + 2 * i) != 0; i++)
			/* nothing */;
		if (multi && i == start)
			break;
		s = utf16le_to_utf8(p + 2 * start, 2 * (i - start));
		fn(s, n++, arg);
		free(s);
		if (!multi || i >= units)
			break;
		start = i + 1;
	}
}

struct pol_join {
	struct pol_buf	*b;
	const char	*sep;
	int		 quote;
};

static void
pol_join_one(const char *s, size_t i, void *arg)
{
	struct pol_join	*j = arg;

	if (i != 0)
		pol_buf_add(j->b, "%s", j->sep);
	pol_buf_add(j->b, j->quote ? "\"%s\"" : "%s", s);
}

/* Data as text into b: quote strings when describing, not when showing. */
static void
pol_format(struct pol_buf *b, const struct pol_entry *e, const char *sep,
    int quote, size_t hexmax)
{
	struct pol_join	 j = { b, sep, quote };

	switch (e->type) {
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
		pol_strings(e, 0, pol_join_one, &j);
		return;
	case HIVE_REG_MULTI_SZ:
		pol_strings(e, 1, pol_join_one, &j);
		return;
	case HIVE_REG_DWORD:
		if (e->size == 4) {
			pol_buf_add(b, "%u", le32dec(e->data));
			return;
		}
		break;
	case HIVE_REG_DWORD_BIG_ENDIAN:
		if (e->size == 4) {
			pol_buf_add(b, "%u", (uint32_t)e->data[0] << 24 |
			    (uint32_t)e->data[1] << 16 |
			    (uint32_t)e->data[2] << 8 | e->data[3]);
			return;
		}
		break;
	case HIVE_REG_QWORD:
		if (e->size == 8) {
			pol_buf_add(b, "%llu",
			    (unsigned long long)le64dec(e->data));
			return;
		}
		break;
	}
	pol_buf_hex(b, e->data, e->size, hexmax);
}

char *
pol_entry_format(const struct pol_entry *e)
{
	struct pol_buf	b = { NULL, 0, 0 };

	pol_format(&b, e, "\n", 0, SIZE_MAX);
	return pol_buf_done(&b);
}

/* Items of a semicolon list (**DeleteValues, **DeleteKeys data). */
static void
pol_list_one(const char *s, size_t i, void *arg)
{
	struct pol_buf	*b = arg;
	const char	*p, *end;
	int		 first = 1;

	(void)i;
	for (p = s; *p != '\0'; p = end) {
		while (*p == ';' || *p == ' ')
			p++;
		if (*p == '\0')
			break;
		end = strchr(p, ';');
		if (end == NULL)
			end = p + strlen(p);
		pol_buf_add(b, "%s%.*s", first ? "" : ", ", (int)(end - p), p);
		first = 0;
	}
	if (first)
		pol_buf_add(b, "(none listed)");
}

char *
pol_entry_describe(const struct pol_entry *e)
{
	struct pol_buf	 b = { NULL, 0, 0 };
	const char	*target;
	char		*type;
	int		 on;

	type = pol_type_name(e->type);
	switch (pol_entry_action(e, &target)) {
	case POL_ACTION_KEY:
		pol_buf_add(&b, "creates the key");
		break;
	case POL_ACTION_SET:
	case POL_ACTION_SOFT:
		pol_buf_add(&b, "sets %s = ",
		    *target == '\0' ? "(default)" : target);
		pol_format(&b, e, ", ", 1, 64);
		pol_buf_add(&b, " (%s)", type);
		if (pol_entry_action(e, NULL) == POL_ACTION_SOFT)
			pol_buf_add(&b, " if it is not already set");
		break;
	case POL_ACTION_DEL:
		pol_buf_add(&b, "deletes value %s", target);
		break;
	case POL_ACTION_DELVALS:
		pol_buf_add(&b, "deletes all values of the key");
		break;
	case POL_ACTION_DELETEVALUES:
		pol_buf_add(&b, "deletes values ");
		pol_strings(e, 0, pol_list_one, &b);
		break;
	case POL_ACTION_DELETEKEYS:
		pol_buf_add(&b, "deletes subkeys ");
		pol_strings(e, 0, pol_list_one, &b);
		break;
	case POL_ACTION_SECUREKEY:
		/* "**SecureKey=1" in the name (the documentation's spelling)
		 * or "**SecureKey" with 1 or 0 as data. */
		if (strchr(target, '=') != NULL)
			on = strchr(target, '=')[1] == '1';
		else if (e->type == HIVE_REG_DWORD && e->size == 4)
			on = le32dec(e->data) != 0;
		else if (e->size >= 2)
			on = le16dec(e->data) == '1';
		else
			on = 0;
		pol_buf_add(&b, on ? "secures the key (administrators and "
		    "SYSTEM full control, users read)" : "resets the key's "
		    "permissions to those of its parent");
		break;
	case POL_ACTION_SPECIAL:
		pol_buf_add(&b, "unknown special value %s (%s, %u bytes)",
		    target, type, e->size);
		break;
	}
	free(type);
	return pol_buf_done(&b);
}

/* Hex digit value, -1 if none. */
static int
pol_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A decimal or 0x-hex unsigned number no larger than max. */
static int
pol_number(const char *text, unsigned long long max,
    unsigned long long *v, char **cause)
{
	char	*end;

	if (*text == '-' || *text == '\0')
		return set_cause(cause, "\"%s\" is not a number", text);
	errno = 0;
	*v = strtoull(text, &end, 0);
	if (errno != 0 || *end != '\0' || *v > max)
		return set_cause(cause, "\"%s\" is not a number up to %llu",
		    text, max);
	return 0;
}

int
pol_data_encode(uint32_t type, const char *text, void **datap,
    size_t *lenp, char **cause)
{
	unsigned long long	 v;
	uint8_t			*data = NULL, *w;
	size_t			 len = 0, wl, i, n;
	const char		*p, *nl;
	char			*one;
	int			 hi, lo;

	switch (type) {
	case HIVE_REG_SZ:
	case HIVE_REG_EXPAND_SZ:
		if ((data = utf8_to_utf16le(text, &len)) == NULL)
			return set_cause(cause, "text is not valid UTF-8");
		len += 2;	/* the NUL is part of the data */
		break;
	case HIVE_REG_MULTI_SZ:
		/* Lines become strings; an empty line cannot be stored. */
		data = xmalloc(2);
		for (p = text; *p != '\0'; p = nl + (*nl != '\0')) {
			nl = strchr(p, '\n');
			if (nl == NULL)
				nl = p + strlen(p);
			if (nl == p)
				continue;
			one = xstrndup(p, (size_t)(nl - p));
			w = utf8_to_utf16le(one, &wl);
			free(one);
			if (w == NULL) {
				set_cause(cause, "text is not valid UTF-8");
				goto fail;
			}
			data = xrealloc(data, len + wl + 4);
			memcpy(data + len, w, wl + 2);
			len += wl + 2;
			free(w);
		}
		le16enc(data + len, 0);
		len += 2;
		break;
	case HIVE_REG_DWORD:
	case HIVE_REG_DWORD_BIG_ENDIAN:
		if (pol_number(text, UINT32_MAX, &v, cause) != 0)
			return -1;
		data = xmalloc(4);
		if (type == HIVE_REG_DWORD)
			le32enc(data, (uint32_t)v);
		else {
			data[0] = (uint8_t)(v >> 24);
			data[1] = (uint8_t)(v >> 16);
			data[2] = (uint8_t)(v >> 8);
			data[3] = (uint8_t)v;
		}
		len = 4;
		break;
	case HIVE_REG_QWORD:
		if (pol_number(text, UINT64_MAX, &v, cause) != 0)
			return -1;
		data = xmalloc(8);
		le64enc(data, (uint64_t)v);
		len = 8;
		break;
	default:
		/* Hex bytes, "01 ff 2a" or "01ff2a" (as shown). */
		n = strlen(text);
		data = xmalloc(n / 2 + 1);
		for (i = 0; i < n; ) {
			if (text[i] == ' ' || text[i] == ',') {
				i++;
				continue;
			}
			if (i + 1 >= n || (hi = pol_hexval(text[i])) == -1 ||
			    (lo = pol_hexval(text[i + 1])) == -1) {
				set_cause(cause, "\"%s\" is not hex bytes",
				    text);
				goto fail;
			}
			data[len++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		}
		break;
	}
	*datap = data;
	*lenp = len;
	return 0;

fail:
	free(data);
	return -1;
}
