#include "imap/error.h"

#include <cctype>
#include <charconv>

namespace imap {

util::Code Error::code() const {
  switch (cls) {
    case ErrorClass::kTransient:
      return util::Code::kTransient;
    case ErrorClass::kAuthRejected:
      return util::Code::kAuthRejected;
    case ErrorClass::kProtocol:
      return util::Code::kProtocol;
    case ErrorClass::kTls:
      return util::Code::kTls;
    case ErrorClass::kInvalidArgument:
      return util::Code::kInvalidArgument;
  }
  return util::Code::kInternal;
}

util::Status Error::ToStatus() const {
  std::string msg = message;
  msg += " [";
  msg += ScopeName(scope);
  msg += "]";
  if (!server_text.empty()) {
    msg += " server: ";
    msg += server_text;
  }
  return util::Status(code(), std::move(msg));
}

const char* ErrorClassName(ErrorClass c) {
  switch (c) {
    case ErrorClass::kTransient:
      return "transient";
    case ErrorClass::kAuthRejected:
      return "auth-rejected";
    case ErrorClass::kProtocol:
      return "protocol";
    case ErrorClass::kTls:
      return "tls";
    case ErrorClass::kInvalidArgument:
      return "invalid-argument";
  }
  return "unknown";
}

const char* ScopeName(Scope s) {
  switch (s) {
    case Scope::kMessage:
      return "message";
    case Scope::kFolder:
      return "folder";
    case Scope::kAccount:
      return "account";
  }
  return "unknown";
}

namespace {

// Case-insensitive find; server texts vary in capitalisation across builds.
size_t FindNoCase(std::string_view hay, std::string_view needle) {
  if (needle.size() > hay.size()) return std::string_view::npos;
  for (size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    bool match = true;
    for (size_t j = 0; j < needle.size() && match; ++j) {
      match = std::tolower(static_cast<unsigned char>(hay[i + j])) ==
              std::tolower(static_cast<unsigned char>(needle[j]));
    }
    if (match) return i;
  }
  return std::string_view::npos;
}

}  // namespace

std::optional<std::chrono::milliseconds> ThrottleBackoff(std::string_view text) {
  constexpr std::string_view kMarker = "suggested backoff time:";
  if (FindNoCase(text, "throttled") == std::string_view::npos) return std::nullopt;
  size_t pos = FindNoCase(text, kMarker);
  if (pos == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(pos + kMarker.size());
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
  if (ec != std::errc() || end == rest.data()) return std::nullopt;
  std::string_view unit(end, rest.data() + rest.size() - end);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  // Exchange says "milliseconds"; accept seconds too rather than guess wrong
  // by a factor of 1000.
  if (FindNoCase(unit.substr(0, 2), "ms") == 0 || FindNoCase(unit.substr(0, 5), "milli") == 0) {
    return std::chrono::milliseconds(value);
  }
  if (FindNoCase(unit.substr(0, 3), "sec") == 0 || FindNoCase(unit.substr(0, 1), "s") == 0) {
    return std::chrono::milliseconds(value * 1000);
  }
  return std::nullopt;
}

bool IsAccessTokenExpired(std::string_view text) {
  return FindNoCase(text, "AccessTokenExpired") != std::string_view::npos;
}

}  // namespace imap
