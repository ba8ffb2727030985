/* file.c: host files: temp copies of hives, test and bench tools. */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

int
file_read_all(const char *path, size_t max, void **bufp, size_t *lenp,
    char **cause)
{
	struct stat	 sb;
	uint8_t		*buf = NULL;
	size_t		 done = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == -1) {
		set_cause(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if ((uint64_t)sb.st_size > max) {
		set_cause(cause, "%s: %lld bytes, more than the %zu allowed",
		    path, (long long)sb.st_size, max);
		goto fail;
	}
	buf = xmalloc((size_t)sb.st_size + 1);
	while (done < (size_t)sb.st_size) {
		n = read(fd, buf + done, (size_t)sb.st_size - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_cause(cause, "%s: %s", path,
			    n == 0 ? "short read" : strerror(errno));
			goto fail;
		}
		done += (size_t)n;
	}
	buf[done] = '\0';
	close(fd);
	*bufp = buf;
	*lenp = done;
	return 0;

fail:
	free(buf);
	close(fd);
	return -1;
}

int
file_write_all(const char *path, const void *buf, size_t len, char **cause)
{
	const uint8_t	*p = buf;
	ssize_t		 n;
	int		 fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	while (len > 0) {
		n = write(fd, p, len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			set_cause(cause, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	if (fsync(fd) == -1 || close(fd) == -1)
		return set_cause(cause, "%s: %s", path, strerror(errno));
	return 0;
}

char *
tmpdir_create(const char *prefix, char **cause)
{
	const char	*base;
	char		*path;

	if ((base = getenv("TMPDIR")) == NULL || *base == '\0')
		base = "/tmp";
	xasprintf(&path, "%s/%s.XXXXXX", base, prefix);
	if (mkdtemp(path) == NULL) {
		set_cause(cause, "cannot create a temp directory in %s: %s",
		    base, strerror(errno));
		free(path);
		return NULL;
	}
	return path;
}

void
tmpdir_remove(const char *path)
{
	struct dirent	*de;
	DIR		*d;
	char		*child;
	struct stat	 sb;

	if ((d = opendir(path)) != NULL) {
		while ((de = readdir(d)) != NULL) {
			if (strcmp(de->d_name, ".") == 0 ||
			    strcmp(de->d_name, "..") == 0)
				continue;
			xasprintf(&child, "%s/%s", path, de->d_name);
			if (lstat(child, &sb) == 0 && S_ISDIR(sb.st_mode))
				tmpdir_remove(child);
			else
				unlink(child);
			free(child);
		}
		closedir(d);
	}
	rmdir(path);
}
