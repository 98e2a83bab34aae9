#include "imap/error.h"

#include <catch2/catch.hpp>

namespace {

TEST_CASE("Error classes map onto util codes", "[imap][error]") {
  struct Case {
    imap::ErrorClass cls;
    util::Code code;
    bool retryable;
  };
  const Case cases[] = {
      {imap::ErrorClass::kTransient, util::Code::kTransient, true},
      {imap::ErrorClass::kAuthRejected, util::Code::kAuthRejected, false},
      {imap::ErrorClass::kProtocol, util::Code::kProtocol, false},
      {imap::ErrorClass::kTls, util::Code::kTls, false},
      {imap::ErrorClass::kInvalidArgument, util::Code::kInvalidArgument, false},
  };
  for (const Case& c : cases) {
    imap::Error e{c.cls, imap::Scope::kFolder, "SELECT Foo: server answered NO",
                  "[NONEXISTENT] Mailbox doesn't exist"};
    CAPTURE(imap::ErrorClassName(c.cls));
    CHECK(e.code() == c.code);
    CHECK(e.retryable() == c.retryable);
    util::Status st = e.ToStatus();
    CHECK(st.code() == c.code);
    CHECK(st.message() ==
          "SELECT Foo: server answered NO [folder] server: [NONEXISTENT] Mailbox doesn't exist");
  }
}

TEST_CASE("ThrottleBackoff reads Exchange's suggested backoff", "[imap][error]") {
  using std::chrono::milliseconds;
  struct Case {
    const char* text;
    std::optional<milliseconds> want;
  };
  const Case cases[] = {
      {"Request is throttled. Suggested Backoff Time: 2500 milliseconds", milliseconds(2500)},
      {"[UNAVAILABLE] Request is throttled. Suggested Backoff Time: 0 milliseconds",
       milliseconds(0)},
      {"request is THROTTLED. suggested backoff time:  17 ms", milliseconds(17)},
      {"Request is throttled. Suggested Backoff Time: 3 seconds", milliseconds(3000)},
      {"Request is throttled.", std::nullopt},
      {"Request is throttled. Suggested Backoff Time: soon", std::nullopt},
      {"Suggested Backoff Time: 10 milliseconds", std::nullopt},  // not a throttling reply
      {"Session invalidated - AccessTokenExpired", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(imap::ThrottleBackoff(c.text) == c.want);
  }
}

TEST_CASE("IsAccessTokenExpired recognises Exchange's BYE", "[imap][error]") {
  CHECK(imap::IsAccessTokenExpired("Session invalidated - AccessTokenExpired"));
  CHECK(imap::IsAccessTokenExpired("session invalidated - accesstokenexpired"));
  CHECK_FALSE(imap::IsAccessTokenExpired("Logged out"));
  CHECK_FALSE(
      imap::IsAccessTokenExpired("Request is throttled. Suggested Backoff Time: 5 milliseconds"));
}

}  // namespace
