// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/* rss COMMAND [ARG...]: runs COMMAND and reports its own peak resident set.
 *
 * wait4's ru_maxrss includes the high-water mark of the memory a child was
 * forked from (Linux carries it across exec), so a Python harness cannot
 * see below its own tens of MiB. This launcher is small: the child it forks
 * starts from about 1 MiB. The peak and the child's CPU time (user + system)
 * go to standard error as the last line, "rss-kb N cpu-us M"; the exit status
 * is the child's (128 + N for a signal).
 */
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: rss COMMAND [ARG...]\n");
    return 2;
  }
  pid_t child = fork();
  if (child < 0) {
    perror("rss: fork");
    return 2;
  }
  if (child == 0) {
    execvp(argv[1], argv + 1);
    perror("rss: exec");
    _exit(127);
  }
  int status = 0;
  struct rusage usage;
  if (wait4(child, &status, 0, &usage) < 0) {
    perror("rss: wait4");
    return 2;
  }
  long cpu = (usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000L + usage.ru_utime.tv_usec +
             usage.ru_stime.tv_usec;
  fprintf(stderr, "rss-kb %ld cpu-us %ld\n", usage.ru_maxrss, cpu);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return WEXITSTATUS(status);
}
