/* utf16.c: UTF-16LE <-> UTF-8 for names and strings read from disk. */

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

static size_t
utf8_put(char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

char *
utf16le_to_utf8(const void *src, size_t len)
{
	const uint8_t	*p = src;
	size_t		 units = len / 2, i, o = 0;
	uint32_t	 cp, lo;
	char		*out;

	/* Each UTF-16 unit yields at most 3 UTF-8 bytes (pairs: 4 for 2). */
	out = xmalloc(units * 3 + 1);
	for (i = 0; i < units; i++) {
		cp = le16dec(p + 2 * i);
		if (cp == 0)
			break;
		if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < units) {
			lo = le16dec(p + 2 * (i + 1));
			if (lo >= 0xdc00 && lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				i++;
			} else
				cp = 0xfffd;
		} else if (cp >= 0xd800 && cp <= 0xdfff)
			cp = 0xfffd;
		o += utf8_put(out + o, cp);
	}
	out[o] = '\0';
	return out;
}

/* Decode one UTF-8 sequence; returns its length or 0 if invalid. */
static size_t
utf8_get(const uint8_t *s, uint32_t *cp)
{
	size_t	n, i;
	uint32_t min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 2; *cp = s[0] & 0x1f; min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3; *cp = s[0] & 0x0f; min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4; *cp = s[0] & 0x07; min = 0x10000;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

void *
utf8_to_utf16le(const char *src, size_t *outlen)
{
	const uint8_t	*s = (const uint8_t *)src;
	size_t		 len = strlen(src), o = 0, n;
	uint8_t		*out;
	uint32_t	 cp;

	/* Every UTF-8 byte yields at most one UTF-16 unit. */
	out = xmalloc(len * 2 + 2);
	while (*s != '\0') {
		if ((n = utf8_get(s, &cp)) == 0) {
			free(out);
			return NULL;
		}
		s += n;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			le16enc(out + o, (uint16_t)(0xd800 + (cp >> 10)));
			le16enc(out + o + 2, (uint16_t)(0xdc00 + (cp & 0x3ff)));
			o += 4;
		} else {
			le16enc(out + o, (uint16_t)cp);
			o += 2;
		}
	}
	le16enc(out + o, 0);
	if (outlen != NULL)
		*outlen = o;
	return out;
}

char *
utf8_show(const char *s)
{
	char	*out, *p;
	void	*w;
	size_t	 len, wlen;

	if (s == NULL)
		return xstrdup("(no name)");
	len = strlen(s);
	if (len > 120)
		out = xprintf("%.60s...%s", s, s + len - 50);
	else
		out = xstrdup(s);
	if ((w = utf8_to_utf16le(out, &wlen)) != NULL)
		free(w);
	for (p = out; *p != '\0'; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f ||
		    (w == NULL && (unsigned char)*p >= 0x80))
			*p = '?';
	}
	return out;
}
