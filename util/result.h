// Errors as values at module boundaries (leveldb's Status habit): no
// exception crosses a public header of imap/, mime/, store/ or recovery/.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace util {

// Values are stable: they are shown to operators and logged.
enum class Code {
  kOk = 0,
  kNotFound = 1,
  kInvalidArgument = 2,  // bad input: malformed message, bad config value
  kCorruption = 3,       // stored data does not decode
  kIOError = 4,          // file system, disk full
  kTransient = 5,        // network, timeout, server busy: retry with backoff
  kAuthRejected = 6,     // credentials refused: final until the operator acts
  kProtocol = 7,         // peer said something we do not understand
  kTls = 8,              // certificate or handshake failure
  kInternal = 9,
};

const char* CodeName(Code c);

class Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return {}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "<code name>: <message>", for one-line log and stderr output.
  std::string ToString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status Error(Code c, std::string msg) { return Status(c, std::move(msg)); }

// A value or a non-OK Status.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status s) : v_(std::move(s)) {}     // NOLINT: REQUIRES: !s.ok()

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  // REQUIRES: ok()
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  // REQUIRES: !ok()
  const Status& status() const { return std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace util
