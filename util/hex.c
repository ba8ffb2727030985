/* hex.c: hex strings for hashes and binary values. */

#include "util/util.h"

char *
hex_encode(const void *buf, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	const uint8_t		*p = buf;
	char			*out;
	size_t			 i;

	out = xmalloc(len * 2 + 1);
	for (i = 0; i < len; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 0xf];
	}
	out[2 * len] = '\0';
	return out;
}
