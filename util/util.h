/*
 * util.h: the bottom layer every module may use: allocation that cannot
 * fail, formatted strings, bounded little-endian readers, UTF-16LE
 * conversion and Windows' case-insensitive name comparison.
 */
#ifndef NTM_UTIL_H
#define NTM_UTIL_H

#include <sys/types.h>

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define NTM_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define NTM_NORETURN __attribute__((noreturn))

/* xmalloc.c: out of memory is fatal, so callers never check. */
void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
int	 xasprintf(char **, const char *, ...) NTM_PRINTF(2, 3);
int	 xvasprintf(char **, const char *, va_list) NTM_PRINTF(2, 0);
/* Return a new string, for one-line use: free(ret). */
char	*xprintf(const char *, ...) NTM_PRINTF(1, 2);
void	 fatal(const char *, ...) NTM_PRINTF(1, 2) NTM_NORETURN;
/* Set *cause (if cause is not NULL) to a new string; returns -1. */
int	 set_cause(char **cause, const char *, ...) NTM_PRINTF(2, 3);

/* endian.c: bounded readers for untrusted on-disk data. */
static inline uint16_t
le16dec(const void *p)
{
	const uint8_t	*b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t
le32dec(const void *p)
{
	const uint8_t	*b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
	    (uint32_t)b[3] << 24;
}

static inline uint64_t
le64dec(const void *p)
{
	return (uint64_t)le32dec(p) | (uint64_t)le32dec((const uint8_t *)p + 4)
	    << 32;
}

static inline void
le16enc(void *p, uint16_t v)
{
	uint8_t	*b = p;

	b[0] = v & 0xff;
	b[1] = v >> 8;
}

static inline void
le32enc(void *p, uint32_t v)
{
	uint8_t	*b = p;

	b[0] = v & 0xff;
	b[1] = (v >> 8) & 0xff;
	b[2] = (v >> 16) & 0xff;
	b[3] = v >> 24;
}

static inline void
le64enc(void *p, uint64_t v)
{
	le32enc(p, (uint32_t)v);
	le32enc((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/*
 * utf16.c: UTF-16LE <-> UTF-8. Unpaired surrogates from broken files
 * become U+FFFD rather than failing, so a damaged name still shows.
 */
/* Convert len bytes of UTF-16LE (stops at a NUL unit); caller frees. */
char	*utf16le_to_utf8(const void *src, size_t len);
/* Convert a NUL-terminated UTF-8 string; *outlen gets the byte count
 * without terminator; the buffer ends with a 2-byte NUL. Caller frees.
 * Returns NULL for invalid UTF-8. */
void	*utf8_to_utf16le(const char *src, size_t *outlen);
/* An untrusted name as it may appear in a one-line message: control
 * characters (an escape sequence would reach the terminal) and, in a
 * string that is not UTF-8, bytes over 0x7f shown as '?'; over 120 bytes
 * cut in the middle; NULL is "(no name)". Caller frees. */
char	*utf8_show(const char *s);

/*
 * casefold.c: NUL-terminated UTF-8 names compared as Windows compares file
 * names ($UpCase) and registry key and value names: each UTF-16 unit
 * upper-cased by Unicode's simple mapping (BMP only). A byte that is not
 * valid UTF-8 matches only the same byte.
 */
/* 1 if a and b are the same name to Windows, else 0. */
int	 casefold_equal(const char *a, const char *b);
/* <0, 0, >0 in Windows' order of names (as registry subkey lists are
 * sorted): upper-cased UTF-16 units, then the shorter first. */
int	 casefold_cmp(const char *a, const char *b);

/* hex.c */
/* Lowercase hex of len bytes; caller frees. */
char	*hex_encode(const void *, size_t len);

/* file.c: local (host) files, for temp copies and test tools. */
/* Read a whole local file, at most max bytes (-1 and cause if larger). */
int	 file_read_all(const char *path, size_t max, void **buf, size_t *len,
	    char **cause);
/* Write a local file and fsync it. */
int	 file_write_all(const char *path, const void *buf, size_t len,
	    char **cause);
/* Create a private temp directory under $TMPDIR; caller frees the name. */
char	*tmpdir_create(const char *prefix, char **cause);
/* Remove a directory tree made by tmpdir_create. */
void	 tmpdir_remove(const char *path);

/* killpoint.c: NTMEND_TEST_KILL_AT=name[:N] kills the process at
 * kill_point(name) (its Nth time), NTMEND_TEST_TERM_AT sends SIGTERM
 * there, for crash and cancel tests. */
void	 kill_point(const char *name);

/* cancel.c: SIGINT/SIGTERM during a change (between cancel_defer and
 * cancel_undefer, which nest) only set cancel_pending(); cancel_undefer
 * with act then lets the signal take its course (the change was rolled
 * back), without act forgets it (the change stands). */
void	 cancel_install(void);
void	 cancel_defer(void);
int	 cancel_pending(void);
void	 cancel_undefer(int act);

#endif
