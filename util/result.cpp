#include "util/result.h"

namespace util {

const char* CodeName(Code c) {
  switch (c) {
    case Code::kOk:
      return "ok";
    case Code::kNotFound:
      return "not found";
    case Code::kInvalidArgument:
      return "invalid input";
    case Code::kCorruption:
      return "corruption";
    case Code::kIOError:
      return "I/O error";
    case Code::kTransient:
      return "transient";
    case Code::kAuthRejected:
      return "auth rejected";
    case Code::kProtocol:
      return "protocol error";
    case Code::kTls:
      return "TLS error";
    case Code::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  return std::string(CodeName(code_)) + ": " + message_;
}

}  // namespace util
