// Connecting, TLS verification and authentication; error classification.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include "dovecot_fixture.h"
#include "imap/session.h"

namespace {

using imap_test::Dovecot;

// A one-connection loopback server that plays a script: send each line,
// read one client line between them when `await_command` is set.
class ScriptedServer {
 public:
  explicit ScriptedServer(std::vector<std::string> lines, bool await_command_after_first)
      : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, lines = std::move(lines), await_command_after_first] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      for (size_t i = 0; i < lines.size(); ++i) {
        if (i == 1 && await_command_after_first) {
          char buf[512];
          [[maybe_unused]] ssize_t n = read(c, buf, sizeof buf);
        }
        [[maybe_unused]] ssize_t n = write(c, lines[i].data(), lines[i].size());
      }
      close(c);  // then drop the connection, as Exchange does after BYE
    });
  }
  ~ScriptedServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

imap::Config LoopbackPlain(uint16_t port) {
  imap::Config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.tls = imap::TlsMode::kNone;
  cfg.connect_timeout = std::chrono::seconds(5);
  cfg.io_timeout = std::chrono::seconds(5);
  return cfg;
}

TEST_CASE("A closed port is a transient error, reported at once", "[imap][session]") {
  imap::Error err;
  auto s = imap::Session::Connect(LoopbackPlain(imap_test::UnusedLoopbackPort()), &err);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == util::Code::kTransient);
  CHECK(err.cls == imap::ErrorClass::kTransient);
  CHECK(err.scope == imap::Scope::kAccount);
  CHECK_THAT(err.message, Catch::Contains("Connection refused"));
}

TEST_CASE("Plaintext IMAP is refused for a non-loopback host", "[imap][session]") {
  imap::Config cfg = LoopbackPlain(143);
  cfg.host = "imap.example.com";
  auto s = imap::Session::Connect(cfg);
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == util::Code::kInvalidArgument);
}

TEST_CASE("A BYE greeting is transient and keeps the server's words", "[imap][session]") {
  ScriptedServer server({"* BYE Session invalidated - AccessTokenExpired\r\n"}, false);
  imap::Error err;
  auto s = imap::Session::Connect(LoopbackPlain(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CHECK(err.cls == imap::ErrorClass::kTransient);
  CHECK(imap::IsAccessTokenExpired(err.server_text));
}

TEST_CASE("A BYE in the middle of a session is transient and keeps the text", "[imap][session]") {
  ScriptedServer server(
      {"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n",
       "* BYE Request is throttled. Suggested Backoff Time: 1500 milliseconds\r\n"},
      true);
  auto s = imap::Session::Connect(LoopbackPlain(server.port()));
  REQUIRE(s.ok());
  util::Status st = s->Authenticate(imap::Login{"user", "pw"});
  REQUIRE_FALSE(st.ok());
  CHECK(st.code() == util::Code::kTransient);
  const imap::Error& err = s->last_error();
  CHECK(err.scope == imap::Scope::kAccount);
  CHECK(imap::ThrottleBackoff(err.server_text) == std::chrono::milliseconds(1500));
  CHECK_THAT(st.message(), !Catch::Contains("pw"));
  // The session is dead now: later calls fail fast with the same class.
  CHECK(s->Examine("INBOX").status().code() == util::Code::kTransient);
}

TEST_CASE("XOAUTH2 with a valid JWT authenticates and reports capabilities",
          "[imap][session][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("xoauth2");
  auto s = imap::Session::Connect(imap_test::ImapsConfig(d));
  REQUIRE(s.ok());
  util::Status st =
      s->Authenticate(imap::XOAuth2{user, imap_test::MintJwt(d.hmac_key_b64(), user, 3600)});
  INFO(st.ToString());
  REQUIRE(st.ok());
  auto caps = s->GetCapabilities();
  REQUIRE(caps.ok());
  CHECK(caps->Has("IDLE"));
  CHECK(caps->Has("move"));  // case-insensitive
  CHECK(caps->Has("UIDPLUS"));
  CHECK_FALSE(caps->Has("NO-SUCH-CAPABILITY"));
  CHECK(s->Logout().ok());
}

TEST_CASE("Rejected credentials are kAuthRejected and never echoed", "[imap][session][dovecot]") {
  DOVECOT_OR_SKIP(d);
  const std::string user = imap_test::UniqueUser("reject");
  const std::string expired = imap_test::MintJwt(d.hmac_key_b64(), user, -60);
  const std::string other_user =
      imap_test::MintJwt(d.hmac_key_b64(), "someone-else@example.com", 3600);
  struct Case {
    const char* name;
    imap::Credentials creds;
    const char* secret;
    util::Code want;
  };
  const Case cases[] = {
      {"expired JWT", imap::XOAuth2{user, expired}, expired.c_str(), util::Code::kAuthRejected},
      {"JWT for another user", imap::XOAuth2{user, other_user}, other_user.c_str(),
       util::Code::kAuthRejected},
      {"bad password", imap::Login{user, "wrong-password"}, "wrong-password",
       util::Code::kAuthRejected},
      {"right password", imap::Login{user, "test-password"}, "test-password", util::Code::kOk},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      auto s = imap::Session::Connect(imap_test::ImapsConfig(d));
      REQUIRE(s.ok());
      util::Status st = s->Authenticate(c.creds);
      CHECK(st.code() == c.want);
      CHECK_THAT(st.message(), !Catch::Contains(c.secret));
      if (!st.ok()) {
        CHECK(s->last_error().scope == imap::Scope::kAccount);
        CHECK_THAT(s->last_error().server_text, Catch::Contains("AUTHENTICATIONFAILED"));
      }
    }
  }
}

TEST_CASE("Each TLS mode connects to Dovecot", "[imap][session][dovecot]") {
  DOVECOT_OR_SKIP(d);
  struct Case {
    const char* name;
    imap::TlsMode mode;
    uint16_t port;
  };
  const Case cases[] = {
      {"implicit TLS", imap::TlsMode::kImplicit, d.imaps_port()},
      {"STARTTLS", imap::TlsMode::kStartTls, d.imap_port()},
      {"plaintext on loopback", imap::TlsMode::kNone, d.imap_port()},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      imap::Config cfg = imap_test::ImapsConfig(d);
      cfg.tls = c.mode;
      cfg.port = c.port;
      auto s = imap::Session::Connect(cfg);
      INFO((s.ok() ? std::string() : s.status().ToString()));
      REQUIRE(s.ok());
      const std::string user = imap_test::UniqueUser("tls");
      REQUIRE(s->Authenticate(imap::XOAuth2{user, imap_test::MintJwt(d.hmac_key_b64(), user, 3600)})
                  .ok());
      auto box = s->Examine("INBOX");
      REQUIRE(box.ok());
      CHECK(box->exists == 0);
    }
  }
}

TEST_CASE("Certificate and hostname verification failures are kTls", "[imap][session][dovecot]") {
  DOVECOT_OR_SKIP(d);
  struct Case {
    const char* name;
    imap::TlsMode mode;
    std::string ca_file;
    std::string server_name;
    const char* reason;
  };
  const Case cases[] = {
      {"CA that did not sign the cert", imap::TlsMode::kImplicit, d.wrong_ca(), "", "certificate"},
      {"CA that did not sign the cert (STARTTLS)", imap::TlsMode::kStartTls, d.wrong_ca(), "",
       "certificate"},
      {"hostname mismatch", imap::TlsMode::kImplicit, d.cert(), "wrong.example", "mismatch"},
      {"IP address mismatch", imap::TlsMode::kImplicit, d.cert(), "127.0.0.2", "mismatch"},
  };
  for (const Case& c : cases) {
    SECTION(c.name) {
      imap::Config cfg = imap_test::ImapsConfig(d);
      cfg.tls = c.mode;
      cfg.port = c.mode == imap::TlsMode::kImplicit ? d.imaps_port() : d.imap_port();
      cfg.ca_file = c.ca_file;
      cfg.server_name = c.server_name;
      imap::Error err;
      auto s = imap::Session::Connect(cfg, &err);
      REQUIRE_FALSE(s.ok());
      CHECK(s.status().code() == util::Code::kTls);
      CHECK_FALSE(err.retryable());
      CHECK_THAT(err.message, Catch::Contains(c.reason));
    }
  }
}

TEST_CASE("verify=false connects despite a bad certificate and warns", "[imap][session][dovecot]") {
  DOVECOT_OR_SKIP(d);
  std::vector<std::string> warnings;
  imap::Config cfg = imap_test::ImapsConfig(d);
  cfg.ca_file = d.wrong_ca();
  cfg.server_name = "wrong.example";
  cfg.verify = false;
  cfg.log = [&](imap::LogLevel level, std::string_view msg) {
    if (level == imap::LogLevel::kWarning) warnings.emplace_back(msg);
  };
  for (int i = 0; i < 2; ++i) {  // the warning repeats at every connect
    auto s = imap::Session::Connect(cfg);
    REQUIRE(s.ok());
  }
  REQUIRE(warnings.size() == 2);
  CHECK_THAT(warnings[0], Catch::Contains("verification is DISABLED"));
}

}  // namespace

namespace {

// A one-connection loopback server that echoes the client's AUTHENTICATE
// or LOGIN back, as a careless (or hostile) server might: in an untagged
// BAD, in the tagged NO, or in a BYE.
class EchoServer {
 public:
  enum class Where { kTaggedNo, kBye };
  explicit EchoServer(Where where) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 1) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, where] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      auto send = [&](const std::string& s) {
        [[maybe_unused]] ssize_t n = write(c, s.data(), s.size());
      };
      send("* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2 AUTH=PLAIN] ready\r\n");
      std::string line = ReadLine(c);
      const std::string tag = line.substr(0, line.find(' '));
      if (line.find("AUTHENTICATE") != std::string::npos &&
          line.find(' ', line.find("XOAUTH2")) == std::string::npos) {
        send("+ \r\n");  // no SASL-IR used: the client sends the response now
        line += " " + ReadLine(c);
      }
      send("* BAD you said: " + line + "\r\n");
      if (where == Where::kBye) {
        send("* BYE bye, " + line + "\r\n");
      } else {
        send(tag + " NO [AUTHENTICATIONFAILED] rejected: " + line + "\r\n");
      }
      ReadLine(c);
      close(c);
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  uint16_t port() const { return port_; }

 private:
  static std::string ReadLine(int c) {
    std::string line;
    char ch;
    while (read(c, &ch, 1) == 1 && ch != '\n') {
      if (ch != '\r') line += ch;
    }
    return line;
  }
  int fd_;
  uint16_t port_ = 0;
  std::thread thread_;
};

std::string Base64(const std::string& s) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < s.size(); i += 3) {
    unsigned v = (unsigned char)s[i] << 16 | (unsigned char)s[i + 1] << 8 | (unsigned char)s[i + 2];
    for (int k2 = 18; k2 >= 0; k2 -= 6) out += k[(v >> k2) & 63];
  }
  if (i < s.size()) {
    unsigned v = (unsigned char)s[i] << 16 | (i + 1 < s.size() ? (unsigned char)s[i + 1] << 8 : 0);
    out += k[(v >> 18) & 63];
    out += k[(v >> 12) & 63];
    out += i + 1 < s.size() ? k[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

}  // namespace

TEST_CASE("A server echoing the AUTHENTICATE line leaves no token in any log line",
          "[imap][session]") {
  const std::string token = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzdXBwb3J0In0.c2lnbmF0dXJl";
  const std::string sasl = Base64(
      "user=support@acme.example\x01"
      "auth=Bearer " +
      token + "\x01\x01");
  for (auto where : {EchoServer::Where::kTaggedNo, EchoServer::Where::kBye}) {
    EchoServer server(where);
    std::vector<std::string> lines;
    imap::Config cfg = LoopbackPlain(server.port());
    cfg.log = [&](imap::LogLevel, std::string_view m) { lines.emplace_back(m); };
    auto s = imap::Session::Connect(cfg);
    REQUIRE(s.ok());
    util::Status st = s->Authenticate(imap::XOAuth2{"support@acme.example", token});
    REQUIRE_FALSE(st.ok());
    lines.push_back(st.ToString());
    lines.push_back(s->last_error().server_text);
    lines.push_back(s->last_error().ToStatus().ToString());
    for (const auto& l : lines) {
      INFO(l);
      CHECK_THAT(l, !Catch::Contains(token));
      CHECK_THAT(l, !Catch::Contains(token.substr(0, 16)));
      CHECK_THAT(l, !Catch::Contains(sasl.substr(0, 16)));
    }
    if (where == EchoServer::Where::kTaggedNo) {
      CHECK(st.code() == util::Code::kAuthRejected);
      CHECK_THAT(s->last_error().server_text, Catch::StartsWith("[AUTHENTICATIONFAILED]"));
    }
  }
}

TEST_CASE("A server echoing LOGIN leaves no password in any log line", "[imap][session]") {
  EchoServer server(EchoServer::Where::kTaggedNo);
  std::vector<std::string> lines;
  imap::Config cfg = LoopbackPlain(server.port());
  cfg.log = [&](imap::LogLevel, std::string_view m) { lines.emplace_back(m); };
  auto s = imap::Session::Connect(cfg);
  REQUIRE(s.ok());
  util::Status st = s->Authenticate(imap::Login{"support", "correct-horse"});
  REQUIRE_FALSE(st.ok());
  lines.push_back(st.ToString());
  lines.push_back(s->last_error().server_text);
  for (const auto& l : lines) CHECK_THAT(l, !Catch::Contains("correct-horse"));
}
