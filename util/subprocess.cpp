#include "util/subprocess.h"

#include <fcntl.h>
#include <poll.h>
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

// SIGPIPE held back in this thread while we write to the child (a child
// that exits without reading gives EPIPE), and discarded after.
class HoldSigpipe {
 public:
  HoldSigpipe() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set_, &old_);
  }
  ~HoldSigpipe() {
    timespec zero{0, 0};
    while (sigtimedwait(&set_, nullptr, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  HoldSigpipe(const HoldSigpipe&) = delete;
  HoldSigpipe& operator=(const HoldSigpipe&) = delete;

 private:
  sigset_t set_, old_;
};

bool Allowed(std::string_view name, const std::vector<std::string>& pass_env) {
  if (name == "PATH" || name == "HOME" || name == "LANG" || name == "TZ" ||
      name.rfind("LC_", 0) == 0) {
    return true;
  }
  for (const auto& p : pass_env) {
    if (name == p) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass_env) {
  std::vector<std::string> out;
  bool path = false;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view name = kv.substr(0, eq);
    if (name == "DESKMAIL_MASTER_KEY" || !Allowed(name, pass_env)) continue;
    path = path || name == "PATH";
    out.emplace_back(kv);
  }
  if (!path) out.emplace_back("PATH=/usr/local/bin:/usr/bin:/bin");
  return out;
}

util::Result<CommandResult> RunShell(const std::string& command, const std::string& input,
                                     bool capture, const ShellOptions& opts) {
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
  posix_spawnattr_setpgroup(&s.attr, 0);
  posix_spawnattr_setflags(&s.attr,
                           POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
  posix_spawn_file_actions_adddup2(&s.actions, in_r.fd, STDIN_FILENO);
  if (capture) posix_spawn_file_actions_adddup2(&s.actions, out_w.fd, STDOUT_FILENO);
  // Everything above stderr is closed in the child, whoever opened it
  // (LMDB's lock file, a library's socket) and whether or not it has
  // O_CLOEXEC. glibc does this in the child after the dup2s, before exec.
  posix_spawn_file_actions_addclosefrom_np(&s.actions, STDERR_FILENO + 1);

  std::vector<std::string> env = ChildEnvironment(opts.pass_env);
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  const char* argv[] = {"/bin/sh", "-c", command.c_str(), nullptr};
  pid_t pid = 0;
  int rc = posix_spawn(&pid, "/bin/sh", &s.actions, &s.attr, const_cast<char**>(argv), envp.data());
  if (rc != 0)
    return util::Error(util::Code::kInternal, std::string("spawn: ") + std::strerror(rc));
  in_r.Close();
  out_w.Close();

  // Feed stdin and drain stdout together until both are done or the
  // deadline passes: a child that prints before it reads cannot deadlock us.
  CommandResult result;
  {
    HoldSigpipe hold;
    ::fcntl(in_w.fd, F_SETFL, ::fcntl(in_w.fd, F_GETFL) | O_NONBLOCK);
    if (input.empty()) in_w.Close();
    const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
    std::size_t off = 0;
    char buf[16384];
    while (in_w.fd >= 0 || out_r.fd >= 0) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) {
        result.timed_out = true;
        ::kill(-pid, SIGKILL);
        break;
      }
      pollfd fds[2] = {{in_w.fd, POLLOUT, 0}, {out_r.fd, POLLIN, 0}};
      int n = ::poll(fds, 2, static_cast<int>(std::min<long long>(left.count(), 1000)));
      if (n < 0 && errno != EINTR) break;
      if (n <= 0) continue;
      if (in_w.fd >= 0 && fds[0].revents != 0) {
        ssize_t w = ::write(in_w.fd, input.data() + off, input.size() - off);
        if (w > 0) off += static_cast<std::size_t>(w);
        if ((w < 0 && errno != EAGAIN && errno != EINTR) || off == input.size()) in_w.Close();
      }
      if (out_r.fd >= 0 && fds[1].revents != 0) {
        ssize_t r = ::read(out_r.fd, buf, sizeof buf);
        if (r > 0) {
          std::size_t room = opts.max_output - std::min(opts.max_output, result.output.size());
          if (static_cast<std::size_t>(r) > room) result.truncated = true;
          result.output.append(buf, std::min(room, static_cast<std::size_t>(r)));
        } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
          out_r.Close();
        }
      }
    }
  }
  in_w.Close();
  out_r.Close();
  int status = 0;
  if (!result.timed_out) {
    // stdout is closed, but the child may still run (it closed stdout, or
    // was not captured): the deadline holds for the wait too.
    const auto deadline = std::chrono::steady_clock::now() + opts.timeout;
    for (;;) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid || (w < 0 && errno != EINTR)) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        result.timed_out = true;
        break;
      }
      ::usleep(2000);
    }
  }
  if (result.timed_out) {
    ::kill(-pid, SIGKILL);
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_status = -1;
    return result;
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

}  // namespace util
