#include "imap/detail/connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libetpan/libetpan.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

namespace imap::detail {
namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kTailBytes = 2048;

Error TransientError(std::string msg) {
  return Error{ErrorClass::kTransient, Scope::kAccount, std::move(msg), {}};
}

std::string OpenSslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

int RemainingMs(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() <= 0 ? 0 : static_cast<int>(std::min<long long>(left.count(), INT32_MAX));
}

// Whether a failed handshake was the link going away (EOF, reset, an error
// of the socket) rather than a peer that speaks no TLS or one we refuse.
// OpenSSL 3 reports an EOF mid-handshake as SSL_ERROR_SSL with reason
// SSL_R_UNEXPECTED_EOF_WHILE_READING; OpenSSL 1.1 and resets give
// SSL_ERROR_SYSCALL. `first_error` is ERR_peek_error() after the failure.
bool HandshakeCut(int ssl_error, unsigned long first_error) {
  if (ssl_error == SSL_ERROR_SYSCALL || ssl_error == SSL_ERROR_ZERO_RETURN) return true;
  if (ssl_error != SSL_ERROR_SSL) return false;
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
  if (ERR_GET_LIB(first_error) == ERR_LIB_SSL &&
      ERR_GET_REASON(first_error) == SSL_R_UNEXPECTED_EOF_WHILE_READING)
    return true;
#endif
  return ERR_GET_LIB(first_error) == ERR_LIB_SYS;  // a socket error wrapped by OpenSSL
}

bool IsIpLiteral(const std::string& host) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// A write to a socket the peer has closed raises SIGPIPE, which kills the
// process by default. A library must not change the process disposition,
// so block it on this thread for the write and swallow one we caused.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    sigset_t block;
    sigemptyset(&block);
    sigaddset(&block, SIGPIPE);
    blocked_ = pthread_sigmask(SIG_BLOCK, &block, &old_) == 0;
  }
  ~SigpipeGuard() {
    if (!blocked_) return;
    if (!was_pending_) {
      sigset_t pipe_only;
      sigemptyset(&pipe_only);
      sigaddset(&pipe_only, SIGPIPE);
      timespec zero{0, 0};
      while (sigtimedwait(&pipe_only, nullptr, &zero) == SIGPIPE) {
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t old_;
  bool blocked_ = false;
  bool was_pending_ = false;
};

// --- libetpan mailstream_low driver -------------------------------------
Connection* Conn(mailstream_low* s) { return static_cast<Connection*>(s->data); }

ssize_t DriverRead(mailstream_low* s, void* buf, size_t count) { return Conn(s)->Read(buf, count); }
ssize_t DriverWrite(mailstream_low* s, const void* buf, size_t count) {
  return Conn(s)->Write(buf, count);
}
int DriverClose(mailstream_low* s) {
  Conn(s)->Close();
  return 0;
}
int DriverGetFd(mailstream_low* s) { return Conn(s)->fd(); }
void DriverFree(mailstream_low* s) {
  std::unique_ptr<Connection> owned(Conn(s));  // ownership came from ToLowStream
  s->data = nullptr;
  free(s);  // allocated by mailstream_low_new with malloc
}
void DriverCancel(mailstream_low*) {}
struct mailstream_cancel* DriverGetCancel(mailstream_low*) {
  return nullptr;
}
carray* DriverGetCertificateChain(mailstream_low*) { return nullptr; }

mailstream_low_driver kDriver = {
    DriverRead, DriverWrite,  DriverClose,     DriverGetFd,
    DriverFree, DriverCancel, DriverGetCancel, DriverGetCertificateChain,
    nullptr,  // setup_idle: we wait for IDLE data ourselves
    nullptr,  // unsetup_idle
    nullptr,  // interrupt_idle
};

}  // namespace

void Connection::SslFree::operator()(SSL* p) const { SSL_free(p); }
UniqueFd::~UniqueFd() {
  if (fd_ >= 0) ::close(fd_);
}
UniqueFd& UniqueFd::operator=(UniqueFd&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

Connection::Connection(Key, int fd, ConnectOptions opts) : fd_(fd), opts_(std::move(opts)) {
  if (!opts_.stop.stop_possible()) return;
  wake_ = UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  const int wfd = wake_.get();
  if (wfd < 0) return;  // then a stop waits for the next timeout, as before
  on_stop_.emplace(opts_.stop, std::function<void()>([wfd] {
                     uint64_t one = 1;
                     [[maybe_unused]] ssize_t n = ::write(wfd, &one, sizeof one);
                   }));
}

Connection::~Connection() { Close(); }

void Connection::Close() {
  if (ssl_ && fd_ >= 0) {
    SigpipeGuard guard;
    SSL_shutdown(ssl_.get());  // best effort, non-blocking: close_notify only
  }
  ssl_.reset();
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

std::optional<Error> Connection::Open(const ConnectOptions& opts,
                                      std::unique_ptr<Connection>* out) {
  const std::string where = opts.host + ":" + std::to_string(opts.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(opts.port);
  int rc = getaddrinfo(opts.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0) return TransientError("cannot resolve " + where + ": " + gai_strerror(rc));
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addrs(res, &freeaddrinfo);

  const auto deadline = Clock::now() + opts.connect_timeout;
  std::string last_error = "no address";
  for (addrinfo* ai = addrs.get(); ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    auto conn = std::make_unique<Connection>(Key{}, fd, opts);
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
      *out = std::move(conn);
      return std::nullopt;
    }
    if (errno != EINPROGRESS) {
      last_error = std::strerror(errno);
      continue;
    }
    if (PollResult w = conn->PollUntil(POLLOUT, deadline); w != PollResult::kReady) {
      if (w == PollResult::kStopped)
        return TransientError("connect to " + where + " interrupted: stopping");
      last_error = "timed out";
      continue;
    }
    int so_error = 0;
    socklen_t len = sizeof so_error;
    getsockopt(fd, SOL_SOCKET, SO_ERROR, &so_error, &len);
    if (so_error != 0) {
      last_error = std::strerror(so_error);
      continue;
    }
    *out = std::move(conn);
    return std::nullopt;
  }
  return TransientError("cannot connect to " + where + ": " + last_error);
}

Connection::PollResult Connection::PollUntil(short events, Clock::time_point deadline) {
  const int wfd = wake_.get();
  for (;;) {
    pollfd p[2] = {{fd_, events, 0}, {wfd, POLLIN, 0}};
    int rc = ::poll(p, wfd >= 0 ? 2 : 1, RemainingMs(deadline));
    if (wfd >= 0 && rc > 0 && (p[1].revents & POLLIN)) return PollResult::kStopped;
    if (rc > 0) return PollResult::kReady;  // ready, or an error the next call will report
    if (rc == 0) return PollResult::kTimeout;
    if (errno != EINTR) return PollResult::kReady;
  }
}

void Connection::NoteWaitFailure(PollResult r, const char* what) {
  io_error_ =
      std::string(what) + (r == PollResult::kStopped ? " interrupted: stopping" : " timed out");
}

namespace {

// One SSL_CTX per distinct (ca_file, verify), shared by every connection:
// a context with the system CA store loaded costs about 1 MB, which per
// connection made an idle account cost 1.07 MB. SSL_CTX is reference
// counted and safe to share across threads once set up.
std::shared_ptr<SSL_CTX> SharedContext(const std::string& ca_file, bool verify,
                                       std::optional<Error>* error) {
  static std::mutex mu;
  static std::map<std::pair<std::string, bool>, std::weak_ptr<SSL_CTX>> cache;
  std::lock_guard lock(mu);
  auto& slot = cache[{ca_file, verify}];
  if (auto ctx = slot.lock()) return ctx;
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_client_method()), SSL_CTX_free);
  if (!ctx) {
    *error = Error{ErrorClass::kTls, Scope::kAccount, "SSL_CTX_new: " + OpenSslErrors(), {}};
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  // Smaller idle buffers: released while a connection waits (IDLE).
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_RELEASE_BUFFERS);
  if (verify) {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_verify_paths(ctx.get());
    if (!ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr) != 1) {
      *error = Error{ErrorClass::kInvalidArgument,
                     Scope::kAccount,
                     "cannot load CA file " + ca_file + ": " + OpenSslErrors(),
                     {}};
      return nullptr;
    }
  } else {
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_NONE, nullptr);
  }
  slot = ctx;
  return ctx;
}

}  // namespace

std::optional<Error> Connection::StartTls() {
  const std::string name = opts_.server_name.empty() ? opts_.host : opts_.server_name;
  std::optional<Error> ctx_error;
  ctx_ = SharedContext(opts_.ca_file, opts_.verify, &ctx_error);
  if (!ctx_) return ctx_error;
  ERR_clear_error();
  ssl_.reset(SSL_new(ctx_.get()));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_) != 1) {
    return Error{ErrorClass::kTls, Scope::kAccount, "SSL_new: " + OpenSslErrors(), {}};
  }
  const bool ip = IsIpLiteral(name);
  if (!ip) SSL_set_tlsext_host_name(ssl_.get(), name.c_str());  // SNI takes DNS names only
  if (opts_.verify) {
    int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl_.get()), name.c_str())
                : SSL_set1_host(ssl_.get(), name.c_str());
    if (ok != 1) {
      return Error{ErrorClass::kInvalidArgument,
                   Scope::kAccount,
                   "cannot verify against server name '" + name + "'",
                   {}};
    }
  }

  const auto deadline = Clock::now() + opts_.connect_timeout;
  for (;;) {
    int rc;
    {
      SigpipeGuard guard;
      rc = SSL_connect(ssl_.get());
    }
    if (rc == 1) return std::nullopt;
    int err = SSL_get_error(ssl_.get(), rc);
    if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
      PollResult w = PollUntil(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
      if (w != PollResult::kReady) {
        ssl_.reset();
        return TransientError(
            "TLS handshake with " + name +
            (w == PollResult::kStopped ? " interrupted: stopping" : " timed out"));
      }
      continue;
    }
    const int sys_errno = errno;
    long verify = SSL_get_verify_result(ssl_.get());
    const bool cut = HandshakeCut(err, ERR_peek_error());
    std::string detail = OpenSslErrors();
    ssl_.reset();
    if (opts_.verify && verify != X509_V_OK) {
      return Error{ErrorClass::kTls,
                   Scope::kAccount,
                   "certificate verification failed for " + name + ": " +
                       X509_verify_cert_error_string(verify),
                   {}};
    }
    if (cut) {
      std::string why =
          detail.empty() ? std::string(sys_errno != 0 ? std::strerror(sys_errno) : "unexpected EOF")
                         : detail;
      return TransientError("connection dropped during TLS handshake with " + name + " (" + why +
                            ")");
    }
    return Error{
        ErrorClass::kTls, Scope::kAccount, "TLS handshake with " + name + " failed: " + detail, {}};
  }
}

mailstream_low* Connection::ToLowStream(std::unique_ptr<Connection> conn) {
  mailstream_low* low = mailstream_low_new(conn.get(), &kDriver);
  if (low != nullptr) conn.release();  // now owned by `low`, freed in DriverFree
  return low;
}

void Connection::RememberReceived(const char* data, size_t n) {
  if (n >= kTailBytes) {
    tail_.assign(data + n - kTailBytes, kTailBytes);
    return;
  }
  tail_.append(data, n);
  if (tail_.size() > kTailBytes) tail_.erase(0, tail_.size() - kTailBytes);
}

std::string Connection::LastByeText() const {
  size_t pos = tail_.rfind("* BYE ");
  if (pos == std::string::npos || (pos != 0 && tail_[pos - 1] != '\n')) return {};
  size_t end = tail_.find_first_of("\r\n", pos);
  return tail_.substr(pos + 6, end == std::string::npos ? std::string::npos : end - pos - 6);
}

long Connection::PeerClosed() {
  io_error_ = "connection closed by server";
  // libetpan's literal parser calls read again after a 0 and loops forever
  // on a link cut mid-literal: the first EOF is 0, every later read -1.
  if (eof_seen_) return -1;
  eof_seen_ = true;
  return 0;
}

long Connection::Read(void* buf, size_t count) {
  if (fd_ < 0) {
    io_error_ = "connection closed";
    return -1;
  }
  const auto deadline = Clock::now() + opts_.io_timeout;
  for (;;) {
    if (ssl_) {
      ERR_clear_error();
      int n = SSL_read(ssl_.get(), buf, static_cast<int>(std::min<size_t>(count, INT32_MAX)));
      if (n > 0) {
        RememberReceived(static_cast<const char*>(buf), static_cast<size_t>(n));
        return n;
      }
      int err = SSL_get_error(ssl_.get(), n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        PollResult w = PollUntil(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w != PollResult::kReady) {
          NoteWaitFailure(w, "read");
          return -1;
        }
        continue;
      }
      if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && errno == 0)) {
        return PeerClosed();
      }
      io_error_ = err == SSL_ERROR_SYSCALL ? std::string("TLS read: ") + std::strerror(errno)
                                           : "TLS read: " + OpenSslErrors();
      return -1;
    }
    ssize_t n = ::recv(fd_, buf, count, 0);
    if (n > 0) {
      RememberReceived(static_cast<const char*>(buf), static_cast<size_t>(n));
      return n;
    }
    if (n == 0) return PeerClosed();
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (PollResult w = PollUntil(POLLIN, deadline); w != PollResult::kReady) {
        NoteWaitFailure(w, "read");
        return -1;
      }
      continue;
    }
    io_error_ = std::string("read: ") + std::strerror(errno);
    return -1;
  }
}

long Connection::Write(const void* buf, size_t count) {
  if (fd_ < 0) {
    io_error_ = "connection closed";
    return -1;
  }
  const auto deadline = Clock::now() + opts_.io_timeout;
  const char* p = static_cast<const char*>(buf);
  size_t done = 0;
  SigpipeGuard guard;
  while (done < count) {
    if (ssl_) {
      ERR_clear_error();
      // Same pointer and length on retry, as SSL_write requires.
      int n = SSL_write(ssl_.get(), p + done,
                        static_cast<int>(std::min<size_t>(count - done, 1 << 20)));
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      int err = SSL_get_error(ssl_.get(), n);
      if (err == SSL_ERROR_WANT_READ || err == SSL_ERROR_WANT_WRITE) {
        PollResult w = PollUntil(err == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline);
        if (w != PollResult::kReady) {
          NoteWaitFailure(w, "write");
          return -1;
        }
        continue;
      }
      io_error_ = err == SSL_ERROR_SYSCALL ? std::string("TLS write: ") + std::strerror(errno)
                                           : "TLS write: " + OpenSslErrors();
      return -1;
    }
    ssize_t n = ::send(fd_, p + done, count - done, MSG_NOSIGNAL);
    if (n >= 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (PollResult w = PollUntil(POLLOUT, deadline); w != PollResult::kReady) {
        NoteWaitFailure(w, "write");
        return -1;
      }
      continue;
    }
    io_error_ = std::string("write: ") + std::strerror(errno);
    return -1;
  }
  return static_cast<long>(done);
}

WaitResult Connection::WaitReadable(std::chrono::milliseconds timeout, int wake_fd) {
  if (fd_ < 0) return WaitResult::kError;
  if (ssl_ && SSL_pending(ssl_.get()) > 0) return WaitResult::kReadable;
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_fd, POLLIN, 0}};
    int rc = ::poll(p, wake_fd >= 0 ? 2 : 1, RemainingMs(deadline));
    if (rc < 0) {
      if (errno == EINTR) continue;
      return WaitResult::kError;
    }
    if (rc == 0) return WaitResult::kTimeout;
    if (wake_fd >= 0 && (p[1].revents & POLLIN)) return WaitResult::kWoken;
    return WaitResult::kReadable;  // data, EOF or error: the read will tell
  }
}

}  // namespace imap::detail
