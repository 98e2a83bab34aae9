// test_support::IdpServer: a real HTTPS OAuth2 identity provider on
// loopback for tests (cpp-httplib SSLServer, a self-signed certificate made
// at start for CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1).
//
//   test_support::IdpServer idp;                // listening when constructed
//   oauth::OAuthEndpoints ep{idp.token_url(), idp.device_code_url(), idp.ca_file()};
//   idp.SetValidRefreshToken("support@example.com", "rt-1");
//   auto r = oauth::RefreshToken(ep, idp.client_id(), "", "rt-1", "scope");
//   // r->refresh_token is a new token; "rt-1" is no longer accepted.
//
// Behaviour of POST /token and POST /devicecode:
//   1. a scripted response (ScriptToken / ScriptDeviceCode), first in first
//      out, when any is queued;
//   2. otherwise the default identity provider: refresh_token grants are
//      checked against client_id (and client_secret when one is set) and
//      the refresh tokens it knows; device codes follow ScriptDeviceFlow.
// Every request is recorded (requests()), scripted or not.
//
// Thread-safety: every method may be called while the server runs; the
// handlers run on the server's threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace httplib {
class SSLServer;
}

namespace test_support {

struct CannedResponse {
  int status = 200;
  std::string body;  // sent as application/json
  std::vector<std::pair<std::string, std::string>> headers;
  std::chrono::milliseconds delay{0};  // wait before answering
};

// A canned OAuth error: {"error": ..., "error_description": ..., "error_codes": [n]}
// (error_codes only when aadsts != 0).
CannedResponse OAuthErrorResponse(int status, const std::string& error,
                                  const std::string& description, int aadsts = 0);

struct RecordedRequest {
  std::string path;
  std::string content_type;
  std::string body;                         // as received (URL-encoded)
  std::map<std::string, std::string> form;  // decoded fields
};

// How the default provider answers the polls of one device code.
struct DeviceFlowScript {
  enum class End { kSuccess, kDenied, kExpired };
  int pending = 0;    // authorization_pending answers first
  int slow_down = 0;  // then slow_down answers
  End end = End::kSuccess;
  std::string user = "user@example.com";  // who signs in on success
  std::int64_t interval = 5;
  std::int64_t expires_in = 900;
};

class IdpServer {
 public:
  // Generates the certificate, binds 127.0.0.1 on an ephemeral port and
  // starts serving. Aborts the test program on failure (a broken fixture).
  // The certificate's subject CN and subjectAltName can be chosen (to test
  // host name checks); the default covers localhost, 127.0.0.1 and ::1.
  explicit IdpServer(const std::string& cert_cn = "localhost",
                     const std::string& cert_san = "DNS:localhost,IP:127.0.0.1,IP:::1");
  ~IdpServer();  // stops the server and removes the temp dir
  IdpServer(const IdpServer&) = delete;
  IdpServer& operator=(const IdpServer&) = delete;

  int port() const { return port_; }
  std::string base_url() const;         // https://127.0.0.1:PORT
  std::string token_url() const;        // base_url() + "/token"
  std::string device_code_url() const;  // base_url() + "/devicecode"
  // PEM of the server's self-signed certificate: the CA to trust.
  const std::string& ca_file() const { return ca_file_; }

  // ---- scripted answers ----
  void ScriptToken(CannedResponse r);
  void ScriptDeviceCode(CannedResponse r);

  // ---- the default provider ----
  // Expected client (default "deskmail-test-client", no secret). With a
  // secret set, a request without it is answered invalid_client.
  void SetClient(const std::string& client_id, const std::string& client_secret = "");
  const std::string& client_id() const { return client_id_; }
  // `token` becomes valid for `user` (in addition to any other).
  void SetValidRefreshToken(const std::string& user, const std::string& token);
  // Rotation (default on): every successful refresh returns a new refresh
  // token and, when invalidate_old (default on), the old one stops working.
  void SetRotation(bool rotate, bool invalidate_old = true);
  // Every refresh token of `user` is rejected from now on with
  // invalid_grant and this AADSTS code (e.g. 700082).
  void RevokeUser(const std::string& user, int aadsts = 700082);
  // The refresh token the provider currently accepts for `user` (the
  // latest one issued); empty when none.
  std::string CurrentRefreshToken(const std::string& user) const;
  // Mints access tokens (default: "at-<user>-<n>"); plug a JWT minter here.
  void SetAccessTokenMinter(std::function<std::string(const std::string& user)> mint);
  void SetExpiresIn(std::int64_t seconds);
  // The next device codes issued follow this script (default: success at
  // the first poll).
  void ScriptDeviceFlow(DeviceFlowScript script);

  // ---- observation ----
  std::vector<RecordedRequest> requests() const;
  std::vector<RecordedRequest> requests_to(const std::string& path) const;
  void ClearRequests();

 private:
  struct DeviceState {
    DeviceFlowScript script;
    int polls = 0;
    bool done = false;
  };
  CannedResponse HandleToken(const RecordedRequest& req);
  CannedResponse HandleDeviceCode(const RecordedRequest& req);
  // A new refresh token comes with it when rotating, when the user has
  // none, or when `interactive` (a device sign-in: earlier grants of the
  // user die and a revocation is lifted). REQUIRES: mu_ held.
  CannedResponse IssueTokens(const std::string& user, bool interactive);

  std::string dir_;
  std::string ca_file_;
  std::string key_file_;
  int port_ = 0;
  std::unique_ptr<httplib::SSLServer> server_;
  std::thread thread_;

  mutable std::mutex mu_;
  std::deque<CannedResponse> token_script_;              // GUARDED_BY(mu_)
  std::deque<CannedResponse> device_script_;             // GUARDED_BY(mu_)
  std::vector<RecordedRequest> requests_;                // GUARDED_BY(mu_)
  std::string client_id_ = "deskmail-test-client";       // GUARDED_BY(mu_)
  std::string client_secret_;                            // GUARDED_BY(mu_)
  std::map<std::string, std::string> refresh_tokens_;    // token -> user, GUARDED_BY(mu_)
  std::map<std::string, std::string> latest_;            // user -> token, GUARDED_BY(mu_)
  std::map<std::string, int> revoked_;                   // user -> AADSTS, GUARDED_BY(mu_)
  bool rotate_ = true;                                   // GUARDED_BY(mu_)
  bool invalidate_old_ = true;                           // GUARDED_BY(mu_)
  std::int64_t expires_in_ = 3600;                       // GUARDED_BY(mu_)
  std::function<std::string(const std::string&)> mint_;  // GUARDED_BY(mu_)
  DeviceFlowScript next_device_;                         // GUARDED_BY(mu_)
  std::map<std::string, DeviceState> device_codes_;      // GUARDED_BY(mu_)
  int serial_ = 0;                                       // GUARDED_BY(mu_)
};

// A TCP listener on 127.0.0.1 that never accepts: connects succeed (the
// kernel completes the handshake) and then nothing is ever said.
class SilentServer {
 public:
  SilentServer();
  ~SilentServer();
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// A loopback port nothing listens on (bound, then closed): connecting to it
// is refused.
int UnusedLoopbackPort();

}  // namespace test_support
