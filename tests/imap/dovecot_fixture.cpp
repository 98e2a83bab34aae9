#include "dovecot_fixture.h"

#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace imap_test {
namespace {

std::string Base64Url(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

std::string Base64Decode(std::string_view b64) {
  std::string out(3 * (b64.size() / 4) + 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()),
                          static_cast<int>(b64.size()));
  // No Catch assertion: MintJwt runs on the IdP's server threads too.
  if (n < 0) {
    std::fprintf(stderr, "Base64Decode: not base64\n");
    return std::string();
  }
  size_t len = static_cast<size_t>(n);
  // EVP_DecodeBlock counts padding bytes as data.
  if (b64.size() >= 1 && b64.back() == '=') --len;
  if (b64.size() >= 2 && b64[b64.size() - 2] == '=') --len;
  out.resize(len);
  return out;
}

}  // namespace

std::string Dovecot::hmac_key_b64() const {
  std::ifstream in(dir + "/keys/default/HS256/default");
  std::string key;
  std::getline(in, key);
  REQUIRE(!key.empty());
  return key;
}

void SkipWithoutDovecot() {
  if (const char* req = std::getenv("DESKMAIL_REQUIRE_DOVECOT"); req != nullptr && *req != '\0') {
    FAIL(
        "no Dovecot, but DESKMAIL_REQUIRE_DOVECOT is set (scripts/test.sh starts one): "
        "DESKMAIL_TEST_DOVECOT_DIR / DESKMAIL_TEST_DOVECOT_PORT_BASE are not set");
  }
  if (const char* code = std::getenv("DESKMAIL_SKIP_EXIT_CODE"); code != nullptr && *code != '\0') {
    std::fprintf(stderr, "SKIPPED: no Dovecot (DESKMAIL_TEST_DOVECOT_DIR unset)\n");
    std::fflush(nullptr);
    std::_Exit(std::atoi(code));
  }
}

std::optional<Dovecot> FindDovecot() {
  const char* dir = std::getenv("DESKMAIL_TEST_DOVECOT_DIR");
  const char* base = std::getenv("DESKMAIL_TEST_DOVECOT_PORT_BASE");
  if (dir == nullptr || base == nullptr || *dir == '\0' || *base == '\0') return std::nullopt;
  return Dovecot{dir, std::atoi(base)};
}

std::string MintJwt(std::string_view key_b64, std::string_view sub, long exp_in_s) {
  const long now = static_cast<long>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  const std::string header = R"({"alg":"HS256","typ":"JWT"})";
  // iat a minute back: Dovecot compares it with its cached loop time, which
  // can trail the wall clock, and refuses "Token is issued in future".
  const std::string claims = "{\"sub\":\"" + std::string(sub) +
                             "\",\"iat\":" + std::to_string(std::min(now, now + exp_in_s) - 60) +
                             ",\"exp\":" + std::to_string(now + exp_in_s) + "}";
  const std::string signing_input = Base64Url(header) + "." + Base64Url(claims);
  const std::string key = Base64Decode(key_b64);
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  // Called from the loopback IdP's server threads too, where a Catch
  // assertion is a data race (Catch2 v2 is not thread-safe): the caller
  // sees an unsigned token, which Dovecot refuses.
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(), mac,
           &mac_len) == nullptr) {
    std::fprintf(stderr, "MintJwt: HMAC-SHA256 failed\n");
    return signing_input + ".";
  }
  return signing_input + "." +
         Base64Url(std::string_view(reinterpret_cast<const char*>(mac), mac_len));
}

std::string UniqueUser(std::string_view purpose) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  return std::string(purpose) + "-" + std::to_string(getpid()) + "-" + std::to_string(now) + "-" +
         std::to_string(counter++) + "@example.com";
}

imap::Config ImapsConfig(const Dovecot& d) {
  imap::Config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = d.imaps_port();
  cfg.tls = imap::TlsMode::kImplicit;
  cfg.ca_file = d.cert();
  cfg.connect_timeout = std::chrono::seconds(10);
  cfg.io_timeout = std::chrono::seconds(60);
  return cfg;
}

imap::Config StartTlsConfig(const Dovecot& d) {
  imap::Config cfg = ImapsConfig(d);
  cfg.port = d.imap_port();
  cfg.tls = imap::TlsMode::kStartTls;
  return cfg;
}

imap::Session ConnectAs(const Dovecot& d, const std::string& user) {
  auto s = imap::Session::Connect(ImapsConfig(d));
  REQUIRE(s.ok());
  auto st = s->Authenticate(imap::XOAuth2{user, MintJwt(d.hmac_key_b64(), user, 3600)});
  INFO(st.ToString());
  REQUIRE(st.ok());
  return std::move(*s);
}

std::string MakeMessage(std::string_view subject, size_t body_bytes) {
  std::string m = "From: Sender <sender@example.com>\r\nTo: support@example.com\r\nSubject: " +
                  std::string(subject) + "\r\nMessage-ID: <" + std::string(subject) +
                  "@test.example>\r\nDate: Mon, 01 Jan 2024 10:00:00 +0000\r\n\r\n";
  size_t line = 0;
  while (body_bytes > 0) {
    std::string l =
        "line " + std::to_string(line++) + " of " + std::string(subject) + " lorem ipsum dolor\r\n";
    m += l;
    body_bytes = body_bytes > l.size() ? body_bytes - l.size() : 0;
  }
  return m;
}

uint16_t UnusedLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  socklen_t len = sizeof a;
  REQUIRE(getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  close(fd);
  return ntohs(a.sin_port);
}

std::string Run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  REQUIRE(p != nullptr);
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  pclose(p);
  return out;
}

}  // namespace imap_test
