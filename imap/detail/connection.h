// Internal: a TCP connection with optional OpenSSL TLS, exposed to libetpan
// as a mailstream_low driver. Only imap/*.cpp include this.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "imap/error.h"

typedef struct _mailstream_low mailstream_low;  // libetpan
typedef struct ssl_st SSL;                      // OpenSSL
typedef struct ssl_ctx_st SSL_CTX;

namespace imap::detail {

struct ConnectOptions {
  std::string host;
  uint16_t port = 0;
  std::string ca_file;
  bool verify = true;
  std::string server_name;  // SNI + hostname check; empty = host
  std::chrono::milliseconds connect_timeout{15'000};
  std::chrono::milliseconds io_timeout{120'000};
  // A stop request interrupts connect, handshake, read and write at once
  // (they fail with "interrupted"): shutdown never waits for a timeout.
  std::stop_token stop;
};

// Owns a file descriptor; closes it on destruction.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  ~UniqueFd();
  UniqueFd(UniqueFd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  UniqueFd& operator=(UniqueFd&& o) noexcept;
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

enum class WaitResult { kReadable, kTimeout, kWoken, kError };

class Connection {
 private:
  struct Key {};  // only Open() constructs

 public:
  Connection(Key, int fd, ConnectOptions opts);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // TCP connect with timeout (every resolved address in turn).
  static std::optional<Error> Open(const ConnectOptions& opts, std::unique_ptr<Connection>* out);

  // TLS handshake over the connected socket (implicit TLS, or after a
  // STARTTLS OK). Verification failures are kTls.
  std::optional<Error> StartTls();

  // Hands ownership to a new libetpan low stream; libetpan frees it through
  // the driver's free callback (mailstream_close). The pointer stays usable
  // until then.
  static mailstream_low* ToLowStream(std::unique_ptr<Connection> conn);

  // Driver operations: the whole buffer or -1; 0 on orderly EOF.
  long Read(void* buf, size_t count);
  long Write(const void* buf, size_t count);
  void Close();

  // Waits until data can be read (TLS-buffered data counts), `wake_fd`
  // becomes readable (may be -1), or the timeout passes.
  WaitResult WaitReadable(std::chrono::milliseconds timeout, int wake_fd);

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }
  // Why the last Read/Write failed ("timed out after 120 s", "connection
  // reset by peer", ...); empty if none.
  const std::string& io_error() const { return io_error_; }
  // Text of the last "* BYE" line among the most recently received bytes.
  std::string LastByeText() const;

 private:
  enum class PollResult { kReady, kTimeout, kStopped };
  // Polls fd_ for `events` (and the wake-up fd) until `deadline`. kReady
  // also on a socket error, which the next call reports.
  PollResult PollUntil(short events, std::chrono::steady_clock::time_point deadline);
  // Sets io_error_ for a PollResult other than kReady.
  void NoteWaitFailure(PollResult r, const char* what);
  void RememberReceived(const char* data, size_t n);
  // The result of a read that met the peer's EOF.
  long PeerClosed();

  struct SslFree {
    void operator()(SSL* p) const;
  };

  int fd_ = -1;  // owned; closed by Close() or the destructor
  ConnectOptions opts_;
  // eventfd made readable by opts_.stop (from whichever thread requests the
  // stop, e.g. the signal-handling one); polled beside the socket.
  UniqueFd wake_;
  std::optional<std::stop_callback<std::function<void()>>> on_stop_;
  std::shared_ptr<SSL_CTX> ctx_;  // shared by every connection with the same (ca_file, verify)
  std::unique_ptr<SSL, SslFree> ssl_;
  std::string io_error_;
  std::string tail_;  // last bytes received, for BYE text after a drop
  bool eof_seen_ = false;
};

}  // namespace imap::detail
