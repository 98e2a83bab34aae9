// Running the operator's commands (access_token_command, alert_command)
// through /bin/sh. posix_spawn, not popen: `deskmail run` blocks SIGINT and
// SIGTERM in its threads and ignores SIGPIPE, and a child must start with
// neither, or it could not be interrupted.
//
// A child gets nothing it does not need: an allow-listed environment (PATH,
// HOME, LANG, LC_*, TZ and the names in ShellOptions::pass_env; never
// DESKMAIL_MASTER_KEY or a client secret), no descriptor but its stdin,
// stdout and stderr (posix_spawn_file_actions_addclosefrom_np, glibc
// 2.34+: every descriptor from 3 up is closed in the child before exec,
// whatever a library opened without O_CLOEXEC), its own process group (so
// a timeout kills the shell and whatever it started), a deadline and a cap
// on what it may print.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "util/result.h"

namespace util {

struct ShellOptions {
  std::vector<std::string> pass_env;  // more variable names the command may see
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};
  std::size_t max_output = 1 << 20;  // bytes of stdout kept; the rest is read and dropped
};

struct CommandResult {
  int exit_status = -1;    // -1 when killed by a signal (or for the timeout)
  std::string output;      // stdout (only when captured), at most max_output bytes
  bool timed_out = false;  // killed (SIGKILL, whole process group) at the deadline
  bool truncated = false;  // printed more than max_output
};

// Runs `command` with `input` on its stdin; captures stdout when `capture`
// (else the child shares ours). stdin is written while stdout is read (poll), so neither
// side can block the other on a full pipe. kInternal when it cannot be
// started. The caller decides what a non-zero exit, a timeout or a
// truncation means; nothing here logs or echoes the output.
util::Result<CommandResult> RunShell(const std::string& command, const std::string& input,
                                     bool capture, const ShellOptions& opts = {});

// The environment a child gets (see above), as "NAME=value" strings.
std::vector<std::string> ChildEnvironment(const std::vector<std::string>& pass_env);

}  // namespace util
