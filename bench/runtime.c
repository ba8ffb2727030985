/*
 * runtime.c: one run of a command, timed to the microsecond, for the
 * bench scripts whose runs last milliseconds (bash's time rounds its CPU
 * figure to one, a tenth of a hive edit):
 *   runtime CPU COMMAND [ARG...]
 * COMMAND runs pinned to CPU (-1: not pinned; taskset's own start would be
 * counted otherwise), its output to /dev/null. Prints "WALL CPU" in
 * seconds: wall from fork to wait, CPU its user + system time. Exits with
 * COMMAND's status, 127 if it could not be run.
 */

#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double
seconds(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

int
main(int argc, char **argv)
{
	struct timespec	 t0, t1;
	struct rusage	 ru;
	cpu_set_t	 set;
	pid_t		 pid;
	int		 cpu, status, fd;

	if (argc < 3) {
		fprintf(stderr, "usage: runtime CPU COMMAND [ARG...]\n");
		return 2;
	}
	cpu = atoi(argv[1]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) == -1) {
		perror("runtime: fork");
		return 127;
	}
	if (pid == 0) {
		if (cpu >= 0) {
			CPU_ZERO(&set);
			CPU_SET(cpu, &set);
			if (sched_setaffinity(0, sizeof set, &set) != 0) {
				perror("runtime: sched_setaffinity");
				_exit(127);
			}
		}
		if ((fd = open("/dev/null", O_WRONLY)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	while (wait4(pid, &status, 0, &ru) == -1) {
		if (errno != EINTR) {
			perror("runtime: wait4");
			return 127;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.6f %.6f\n", (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    seconds(&ru.ru_utime) + seconds(&ru.ru_stime));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
