// Shared helpers for the imap tests that run against the real Dovecot test
// server from tests/dovecot/start.sh (located through environment variables).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "imap/session.h"

namespace imap_test {

struct Dovecot {
  std::string dir;
  int port_base = 0;

  uint16_t imap_port() const { return static_cast<uint16_t>(port_base + 143); }
  uint16_t imaps_port() const { return static_cast<uint16_t>(port_base + 993); }
  std::string cert() const { return dir + "/ssl/cert.pem"; }
  std::string wrong_ca() const { return dir + "/ssl/wrong-ca.pem"; }
  std::string conf() const { return dir + "/dovecot.conf"; }
  std::string hmac_key_b64() const;  // DIR/keys/default/HS256/default
};

// From DESKMAIL_TEST_DOVECOT_DIR and DESKMAIL_TEST_DOVECOT_PORT_BASE; nullopt
// when either is unset.
std::optional<Dovecot> FindDovecot();

// No server: FAILs when DESKMAIL_REQUIRE_DOVECOT is set, exits with
// DESKMAIL_SKIP_EXIT_CODE when that is set, else returns.
void SkipWithoutDovecot();

// Skips the current test when no server is set up. Under ctest (which sets
// DESKMAIL_SKIP_EXIT_CODE, see tests/CMakeLists.txt) the process exits with
// that code so the entry is reported as Skipped, not Passed; run by hand
// it warns and returns. With DESKMAIL_REQUIRE_DOVECOT set (scripts/test.sh
// starts one) a missing server fails the test.
#define DOVECOT_OR_SKIP(var)                                                   \
  const auto var##_found = ::imap_test::FindDovecot();                         \
  if (!var##_found) {                                                          \
    ::imap_test::SkipWithoutDovecot();                                         \
    WARN(                                                                      \
        "SKIPPED: no Dovecot; run tests/dovecot/start.sh DIR BASE and export " \
        "DESKMAIL_TEST_DOVECOT_DIR=DIR DESKMAIL_TEST_DOVECOT_PORT_BASE=BASE"); \
    return;                                                                    \
  }                                                                            \
  const ::imap_test::Dovecot& var = *var##_found

// An HS256 JWT as Dovecot's local oauth2 validation accepts it:
// header {"alg":"HS256","typ":"JWT"}, claims sub, exp = now + exp_in_s, iat.
std::string MintJwt(std::string_view key_b64, std::string_view sub, long exp_in_s);

// A mail user no other test (or earlier run) has used: its own empty INBOX.
std::string UniqueUser(std::string_view purpose);

imap::Config ImapsConfig(const Dovecot& d);
imap::Config StartTlsConfig(const Dovecot& d);

// Connects over IMAPS and authenticates `user` with a fresh JWT (REQUIREs success).
imap::Session ConnectAs(const Dovecot& d, const std::string& user);

// An RFC 5322 message with CRLF line ends whose body is about body_bytes long.
std::string MakeMessage(std::string_view subject, size_t body_bytes);

// A free loopback TCP port with nothing listening on it (bound, then closed).
uint16_t UnusedLoopbackPort();

// Runs a shell command; returns its stdout.
std::string Run(const std::string& cmd);

}  // namespace imap_test
