#include "util/subprocess.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

extern char** environ;

namespace util {
namespace {

// Closes a descriptor at scope exit.
struct Fd {
  int fd = -1;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// posix_spawn attribute and file-action objects, destroyed at scope exit.
struct SpawnSetup {
  posix_spawnattr_t attr;
  posix_spawn_file_actions_t actions;
  SpawnSetup() {
    posix_spawnattr_init(&attr);
    posix_spawn_file_actions_init(&actions);
  }
  ~SpawnSetup() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

}  // namespace

util::Result<CommandResult> RunShell(const std::string& command, const std::string& input,
                                     bool capture) {
  int in_pipe[2], out_pipe[2] = {-1, -1};
  if (::pipe2(in_pipe, O_CLOEXEC) != 0) {
    return util::Error(util::Code::kInternal, std::string("pipe: ") + std::strerror(errno));
  }
  Fd in_r{in_pipe[0]}, in_w{in_pipe[1]}, out_r, out_w;
  if (capture) {
    if (::pipe2(out_pipe, O_CLOEXEC) != 0) {
      return util::Error(util::Code::kInternal, std::string("pipe: ") + std::strerror(errno));
    }
    out_r.fd = out_pipe[0];
    out_w.fd = out_pipe[1];
  }
  SpawnSetup s;
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGINT);
  sigaddset(&defaults, SIGTERM);
  posix_spawnattr_setsigmask(&s.attr, &none);
  posix_spawnattr_setsigdefault(&s.attr, &defaults);
  posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawn_file_actions_adddup2(&s.actions, in_r.fd, STDIN_FILENO);
  if (capture) posix_spawn_file_actions_adddup2(&s.actions, out_w.fd, STDOUT_FILENO);

  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &s.actions, &s.attr, const_cast<char**>(argv), environ);
  if (rc != 0)
    return util::Error(util::Code::kInternal, std::string("spawn: ") + std::strerror(rc));
  in_r.Close();
  out_w.Close();

  // Write all of stdin, then read. A child that exits without reading gives
  // EPIPE; SIGPIPE is held back in this thread meanwhile and discarded.
  sigset_t pipe_set, old_set;
  sigemptyset(&pipe_set);
  sigaddset(&pipe_set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
  std::size_t off = 0;
  bool broken = false;
  while (off < input.size()) {
    ssize_t n = ::write(in_w.fd, input.data() + off, input.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      broken = errno == EPIPE;
      break;
    }
    off += static_cast<std::size_t>(n);
  }
  in_w.Close();
  if (broken) {
    timespec zero{0, 0};
    sigtimedwait(&pipe_set, nullptr, &zero);
  }
  pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
  CommandResult result;
  if (capture) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(out_r.fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      result.output.append(buf, static_cast<std::size_t>(n));
    }
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace util
