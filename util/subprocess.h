// Running the operator's commands (access_token_command, alert_command)
// through /bin/sh. posix_spawn, not popen: `deskmail run` blocks SIGINT and
// SIGTERM in its threads and ignores SIGPIPE, and a child must start with
// neither, or it could not be interrupted.
#pragma once

#include <string>

#include "util/result.h"

namespace util {

struct CommandResult {
  int exit_status = -1;  // -1 when killed by a signal
  std::string output;    // stdout (only when captured)
};

// Runs `command` with `input` on its stdin; captures stdout when `capture`.
// REQUIRES: input fits a pipe buffer (64 KiB) when `capture`: stdin is
// written in full before stdout is read.
// kInternal when it cannot be started. The caller decides what a non-zero
// exit means; nothing here logs or echoes the output.
util::Result<CommandResult> RunShell(const std::string& command, const std::string& input,
                                     bool capture);

}  // namespace util
