// hutch-init: the tiny init `hutch run --init` puts in front of the command
// (like catatonit or tini). It runs as pid 1 of the container, starts
// `hutch-init -- PROG ARG...`, forwards every catchable signal to it, reaps
// every zombie the pid namespace re-parents to it, and exits with PROG's
// status (128+N when PROG died of signal N). Linked statically: it is
// bind-mounted into images whose libc may differ or be absent.
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

namespace {

constexpr int kExitInitFailure = 125;
constexpr int kExitCannotExec = 126;
constexpr int kExitNotFound = 127;

// Faults are left unblocked: a synchronous SIGSEGV while blocked would kill
// the init without a trace instead of being reported (tini does the same).
constexpr int kSynchronous[] = {SIGFPE, SIGILL, SIGSEGV, SIGBUS, SIGABRT, SIGTRAP, SIGSYS};

// stdio and strerror would pull most of static glibc into the binary; the
// message is assembled with write(2) instead: "hutch-init: verb `object`: ERRNO".
void put(const char* s) {
  size_t n = strlen(s);
  while (n > 0) {
    ssize_t w = write(STDERR_FILENO, s, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

void fail(const char* what, const char* object, int err) {
  const char* name = strerrorname_np(err);
  put("hutch-init: ");
  put(what);
  if (object != nullptr) {
    put(" `");
    put(object);
    put("`");
  }
  put(": ");
  put(name != nullptr ? name : "unknown error");
  put("\n");
}

[[noreturn]] void exec_child(char** argv, const sigset_t* original) {
  // Its own process group, in the terminal's foreground when there is one:
  // ^C then reaches the command (and its pipeline) once, not via the init too.
  setpgid(0, 0);
  if (isatty(STDIN_FILENO)) tcsetpgrp(STDIN_FILENO, getpid());
  sigprocmask(SIG_SETMASK, original, nullptr);
  execvp(argv[0], argv);
  int err = errno;
  fail("exec", argv[0], err);
  _exit(err == ENOENT || err == ENOTDIR ? kExitNotFound : kExitCannotExec);
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return kExitInitFailure;
}

}  // namespace

int main(int argc, char** argv) {
  int first = 1;
  if (first < argc && strcmp(argv[first], "--") == 0) first++;
  if (first >= argc) {
    put("usage: hutch-init [--] PROGRAM [ARG...]\n");
    return kExitInitFailure;
  }
  // Outside a pid namespace's pid 1, orphans must still come to us to be reaped.
  if (getpid() != 1 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    fail("prctl PR_SET_CHILD_SUBREAPER", nullptr, errno);
    return kExitInitFailure;
  }
  sigset_t all, original;
  sigfillset(&all);
  for (int sig : kSynchronous) sigdelset(&all, sig);
  if (sigprocmask(SIG_BLOCK, &all, &original) != 0) {
    fail("sigprocmask", nullptr, errno);
    return kExitInitFailure;
  }
  pid_t child = fork();
  if (child < 0) {
    fail("fork", nullptr, errno);
    return kExitInitFailure;
  }
  if (child == 0) exec_child(argv + first, &original);
  setpgid(child, child);  // also here, so a signal sent right away finds the group

  for (;;) {
    siginfo_t info;
    int sig = sigwaitinfo(&all, &info);
    if (sig < 0) {
      if (errno == EINTR) continue;
      fail("sigwaitinfo", nullptr, errno);
      return kExitInitFailure;
    }
    if (sig != SIGCHLD) {
      // The terminal's job-control stops are meant for the foreground
      // command, which gets them from the kernel itself.
      if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) continue;
      if (kill(child, sig) != 0 && errno != ESRCH) fail("kill", nullptr, errno);
      continue;
    }
    for (;;) {
      int status;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) break;
      if (pid == child) return exit_code_of(status);
    }
  }
}
