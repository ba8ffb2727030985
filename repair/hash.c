/* hash.c: SHA-256 of files on the volume, the offline Get-FileHash. */

#include <openssl/evp.h>

#include <stdlib.h>
#include <string.h>

#include "repair/repair.h"
#include "util/util.h"

/* Large reads keep libntfs-3g's per-call cost small against the data. */
#define HASH_BUFFER_SIZE	(1024 * 1024)

int
hash_file(struct vol *vol, const char *path, char hex[65], char **cause)
{
	static uint8_t	*buf;
	struct vol_file	*f;
	EVP_MD_CTX	*md;
	uint8_t		 digest[32];
	unsigned int	 dlen;
	uint64_t	 off = 0, size;
	ssize_t		 n;
	char		*s;
	int		 ret = -1;

	if (buf == NULL)
		buf = xmalloc(HASH_BUFFER_SIZE);
	if ((f = vol_file_open(vol, path, VOL_O_RDONLY, cause)) == NULL)
		return -1;
	if ((md = EVP_MD_CTX_new()) == NULL)
		fatal("out of memory for a digest context");
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1)
		fatal("OpenSSL has no SHA-256");
	size = vol_file_size(f);
	while (off < size) {
		n = vol_file_pread(f, buf, HASH_BUFFER_SIZE, off);
		if (n <= 0) {
			set_cause(cause, "%s: read failed at byte %llu",
			    path, (unsigned long long)off);
			goto out;
		}
		EVP_DigestUpdate(md, buf, (size_t)n);
		off += (uint64_t)n;
	}
	EVP_DigestFinal_ex(md, digest, &dlen);
	s = hex_encode(digest, sizeof digest);
	memcpy(hex, s, 65);
	free(s);
	ret = 0;
out:
	EVP_MD_CTX_free(md);
	vol_file_close(f, NULL);
	return ret;
}
