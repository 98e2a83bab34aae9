// The connection layer against loopback servers that misbehave on purpose:
// a TLS handshake cut by the network is transient (retry), a peer that does
// not speak TLS or fails verification is final; a stop request interrupts a
// blocked connect, handshake or read at once.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <future>
#include <string>
#include <thread>

#include "imap/session.h"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A loopback listener whose single accepted connection is handed to
// `serve` on a thread. The listener closes with the object.
class LoopbackServer {
 public:
  explicit LoopbackServer(std::function<void(int)> serve) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(fd_, 4) == 0);
    socklen_t len = sizeof a;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, serve = std::move(serve)] {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      serve(c);
      close(c);
    });
  }
  ~LoopbackServer() {
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

// Reads what the client sends until it stops sending for `quiet`, so the
// server answers after the whole ClientHello arrived.
void ReadAvailable(int c, std::chrono::milliseconds quiet = 200ms) {
  timeval tv{0, static_cast<suseconds_t>(quiet.count() * 1000)};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  char buf[4096];
  while (read(c, buf, sizeof buf) > 0) {
  }
}

imap::Config Implicit(uint16_t port) {
  imap::Config cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  cfg.tls = imap::TlsMode::kImplicit;
  cfg.connect_timeout = 10s;
  cfg.io_timeout = 10s;
  return cfg;
}

TEST_CASE("A TLS handshake cut by the peer is transient", "[imap][connection]") {
  // Accepts, reads the ClientHello, then hangs up: a network cut or a
  // load balancer dropping the link mid-handshake.
  LoopbackServer server([](int c) { ReadAvailable(c); });
  imap::Error err;
  auto s = imap::Session::Connect(Implicit(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTransient);
  CHECK(err.retryable());
  CHECK(s.status().code() == util::Code::kTransient);
}

TEST_CASE("A TLS handshake reset by the peer is transient", "[imap][connection]") {
  LoopbackServer server([](int c) {
    ReadAvailable(c);
    linger l{1, 0};  // RST instead of FIN
    setsockopt(c, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  });
  imap::Error err;
  auto s = imap::Session::Connect(Implicit(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTransient);
}

TEST_CASE("A TLS handshake cut after part of the ServerHello is transient", "[imap][connection]") {
  // A TLS 1.2 handshake record header promising 80 bytes, then 10 of them.
  LoopbackServer server([](int c) {
    ReadAvailable(c);
    const unsigned char partial[] = {0x16, 0x03, 0x03, 0x00, 0x50, 0x02, 0x00, 0x00,
                                     0x4c, 0x03, 0x03, 1,    2,    3,    4};
    [[maybe_unused]] ssize_t n = write(c, partial, sizeof partial);
  });
  imap::Error err;
  auto s = imap::Session::Connect(Implicit(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTransient);
}

TEST_CASE("A peer that answers the ClientHello with garbage is a final TLS error",
          "[imap][connection]") {
  // Plain IMAP on the TLS port: a configuration error, not a hiccup.
  LoopbackServer server([](int c) {
    ReadAvailable(c);
    const std::string greeting = "* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n";
    [[maybe_unused]] ssize_t n = write(c, greeting.data(), greeting.size());
    ReadAvailable(c);
  });
  imap::Error err;
  auto s = imap::Session::Connect(Implicit(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTls);
  CHECK_FALSE(err.retryable());
}

TEST_CASE("A peer that sends random bytes in the handshake is a final TLS error",
          "[imap][connection]") {
  LoopbackServer server([](int c) {
    ReadAvailable(c);
    std::string junk(512, '\0');
    for (size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131 + 7) & 0xff);
    [[maybe_unused]] ssize_t n = write(c, junk.data(), junk.size());
    ReadAvailable(c);
  });
  imap::Error err;
  auto s = imap::Session::Connect(Implicit(server.port()), &err);
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTls);
}

// Requests a stop on `source` after `delay`, from another thread (as the
// signal-handling thread does).
class StopLater {
 public:
  StopLater(std::stop_source& source, std::chrono::milliseconds delay)
      : thread_([&source, delay] {
          std::this_thread::sleep_for(delay);
          source.request_stop();
        }) {}
  ~StopLater() { thread_.join(); }

 private:
  std::thread thread_;
};

void CheckInterruptedPromptly(imap::Config cfg) {
  std::stop_source source;
  cfg.stop = source.get_token();
  cfg.connect_timeout = 60s;  // far longer than the test may take
  cfg.io_timeout = 60s;
  const auto start = Clock::now();
  imap::Error err;
  util::Result<imap::Session> s = util::Status::Ok();
  {
    StopLater stopper(source, 300ms);
    s = imap::Session::Connect(cfg, &err);
  }
  const auto took = Clock::now() - start;
  REQUIRE_FALSE(s.ok());
  CAPTURE(err.message);
  CHECK(err.cls == imap::ErrorClass::kTransient);
  CHECK(err.message.find("interrupted") != std::string::npos);
  CHECK(took < 5s);
}

TEST_CASE("A stop request interrupts a stalled TLS handshake", "[imap][connection][stop]") {
  std::atomic<bool> done{false};
  LoopbackServer server([&](int) {
    while (!done) std::this_thread::sleep_for(10ms);  // accepts, never answers
  });
  CheckInterruptedPromptly(Implicit(server.port()));
  done = true;
}

TEST_CASE("A stop request interrupts a read waiting for the greeting", "[imap][connection][stop]") {
  std::atomic<bool> done{false};
  LoopbackServer server([&](int) {
    while (!done) std::this_thread::sleep_for(10ms);
  });
  imap::Config cfg = Implicit(server.port());
  cfg.tls = imap::TlsMode::kNone;
  CheckInterruptedPromptly(cfg);
  done = true;
}

TEST_CASE("A stop requested before connecting fails at once", "[imap][connection][stop]") {
  std::atomic<bool> done{false};
  LoopbackServer server([&](int) {
    while (!done) std::this_thread::sleep_for(10ms);
  });
  std::stop_source source;
  source.request_stop();
  imap::Config cfg = Implicit(server.port());
  cfg.stop = source.get_token();
  const auto start = Clock::now();
  imap::Error err;
  auto s = imap::Session::Connect(cfg, &err);
  CHECK_FALSE(s.ok());
  CHECK(err.message.find("interrupted") != std::string::npos);
  CHECK(Clock::now() - start < 2s);
  done = true;
}

TEST_CASE("A link cut inside a literal fails the command instead of spinning",
          "[imap][connection]") {
  // libetpan reads again after EOF inside a literal; a driver that kept
  // answering 0 made it loop forever (seen with a proxy cutting a FETCH).
  LoopbackServer server([](int c) {
    const std::string greeting = "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] ready\r\n";
    [[maybe_unused]] ssize_t n = write(c, greeting.data(), greeting.size());
    char buf[512];
    n = read(c, buf, sizeof buf);  // the LOGIN command
    const std::string cut = "* LIST () \"/\" {50}\r\nonly twenty bytes...";
    n = write(c, cut.data(), cut.size());
  });
  imap::Config cfg = Implicit(server.port());
  cfg.tls = imap::TlsMode::kNone;
  auto s = imap::Session::Connect(cfg);
  REQUIRE(s.ok());
  auto result = std::async(std::launch::async, [&] {
    return s->Authenticate(imap::Login{"user", "pw"});
  });
  if (result.wait_for(10s) != std::future_status::ready) {
    FAIL_CHECK("Authenticate still running 10 s after the link was cut");
    std::_Exit(1);  // the reader thread spins forever; nothing else can end it
  }
  util::Status st = result.get();
  CAPTURE(st.ToString());
  CHECK(st.code() == util::Code::kTransient);
}

}  // namespace
