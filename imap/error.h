// How an IMAP failure should be handled: a retry class plus a scope, in the
// spirit of mbsync's FAIL_WAIT/FAIL_FINAL and DRV_{MSG,BOX,STORE}_BAD.
//
// Every imap::Session call returns util::Status / util::Result<T>; the code
// there is the class below (kAuthRejected, kTransient, kProtocol, kTls,
// kInvalidArgument). Session::last_error() holds the full imap::Error with
// the scope and the server's own words. Messages never contain credentials.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "util/result.h"

namespace imap {

enum class ErrorClass {
  kTransient,        // connect failure, timeout, BYE, dropped link, [UNAVAILABLE]: retry
  kAuthRejected,     // AUTHENTICATE/LOGIN answered NO: final until credentials change
  kProtocol,         // the server said something unexpected, or NO to a command
  kTls,              // certificate or hostname verification failed: final
  kInvalidArgument,  // bad Config or call (e.g. plaintext to a non-loopback host)
};

// What the failure invalidates. A kAccount error means the connection is
// gone or unusable; drop the Session and reconnect later.
enum class Scope { kMessage, kFolder, kAccount };

struct Error {
  ErrorClass cls = ErrorClass::kTransient;
  Scope scope = Scope::kAccount;
  std::string message;      // ours: what we were doing and what happened
  std::string server_text;  // the server's last response text or BYE text, if any

  // Whether retrying (after a backoff) can help without an operator.
  bool retryable() const { return cls == ErrorClass::kTransient; }
  util::Code code() const;
  util::Status ToStatus() const;
};

const char* ErrorClassName(ErrorClass c);
const char* ScopeName(Scope s);

// Exchange Online's "Request is throttled. Suggested Backoff Time: N
// milliseconds" (in a BYE or NO): returns N ms. nullopt when absent.
std::optional<std::chrono::milliseconds> ThrottleBackoff(std::string_view server_text);

// Exchange Online's "Session invalidated - AccessTokenExpired": the access
// token expired mid-session; refresh it and reconnect (not an auth outage).
bool IsAccessTokenExpired(std::string_view server_text);

}  // namespace imap
