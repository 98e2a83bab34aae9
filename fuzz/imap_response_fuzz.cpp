// libFuzzer target: the IMAP response path. The input is everything a
// server sends (greeting, then replies, with no regard for timing); a
// loopback thread writes it to the socket and closes, while an
// imap::Session connects through our connection layer (the mailstream_low
// driver) and runs LOGIN, EXAMINE, UID FETCH and IDLE, so libetpan's
// parser sees the bytes exactly as it would from a server. Plaintext:
// TLS is OpenSSL's to fuzz, not ours.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <thread>

#include "imap/session.h"

namespace {

struct Listener {
  int fd = -1;
  uint16_t port = 0;
  Listener() {
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fd, 8) != 0) abort();
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Listener listener;
  std::thread server([&] {
    int c = accept4(listener.fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) return;
    size_t done = 0;
    while (done < size) {
      ssize_t n = send(c, data + done, size - done, MSG_NOSIGNAL);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    shutdown(c, SHUT_WR);  // EOF after the input; the client's commands are read and dropped
    char sink[4096];
    while (read(c, sink, sizeof sink) > 0) {
    }
    close(c);
  });
  imap::Config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = listener.port;
  cfg.tls = imap::TlsMode::kNone;
  cfg.connect_timeout = std::chrono::seconds(2);
  cfg.io_timeout = std::chrono::seconds(2);
  auto s = imap::Session::Connect(cfg);
  if (s.ok()) {
    (void)s->Authenticate(imap::Login{"user", "password"});
    (void)s->GetCapabilities();
    if (s->Examine("INBOX").ok()) {
      (void)s->ListFrom(1);
      const uint32_t uids[] = {1, 2, 3};
      (void)s->FetchMessages(uids);
      (void)s->Idle(std::chrono::milliseconds(1));
    }
  }
  s = util::Status::Ok();  // closes the client side, so the server thread ends
  server.join();
  return 0;
}
