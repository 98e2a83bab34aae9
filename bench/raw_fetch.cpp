// bench_raw_fetch: the lower bound for bench/ingest.sh. Fetches every body
// of one folder over implicit TLS and throws it away: OpenSSL directly, no
// libetpan, no parsing beyond finding literals, no storage.
//
//   bench_raw_fetch --host H --port P --ca CERT --user U
//                   (--token-file F | --password P) [--folder INBOX]
//                   [--mode stream|pipeline] [--batch 500] [--depth 4]
//
// stream:   one `UID FETCH 1:* (UID BODY.PEEK[])`, the server streams it all.
// pipeline: `UID SEARCH ALL`, then `UID FETCH` of --batch UIDs each, with
//           --depth commands in flight at once.
// Prints one line: "messages BYTES seconds" (time from TCP connect to LOGOUT).
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_raw_fetch: %s\n", what.c_str());
  unsigned long e = ERR_get_error();
  if (e != 0) std::fprintf(stderr, "  openssl: %s\n", ERR_error_string(e, nullptr));
  std::exit(1);
}

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct SslFree {
  void operator()(SSL* s) const { SSL_free(s); }
};

int TcpConnect(const std::string& host, const std::string& port) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) Die("cannot resolve " + host);
  int fd = -1;
  for (addrinfo* a = res; a != nullptr && fd < 0; a = a->ai_next) {
    fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd >= 0 && connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(res);
  if (fd < 0) Die("cannot connect to " + host + ":" + port);
  return fd;
}

// A TLS connection with a read buffer: lines and literals.
class Conn {
 public:
  Conn(const std::string& host, const std::string& port, const std::string& ca) {
    ctx_.reset(SSL_CTX_new(TLS_client_method()));
    if (!ctx_) Die("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx_.get(), TLS1_2_VERSION);
    if (SSL_CTX_load_verify_locations(ctx_.get(), ca.c_str(), nullptr) != 1) Die("CA " + ca);
    SSL_CTX_set_verify(ctx_.get(), SSL_VERIFY_PEER, nullptr);
    fd_ = TcpConnect(host, port);
    ssl_.reset(SSL_new(ctx_.get()));
    SSL_set_fd(ssl_.get(), fd_);
    SSL_set1_host(ssl_.get(), host.c_str());
    if (SSL_connect(ssl_.get()) != 1) Die("TLS handshake");
  }
  ~Conn() {
    ssl_.reset();
    if (fd_ >= 0) close(fd_);
  }

  void Write(const std::string& s) {
    std::size_t off = 0;
    while (off < s.size()) {
      int n = SSL_write(ssl_.get(), s.data() + off, static_cast<int>(s.size() - off));
      if (n <= 0) Die("write");
      off += static_cast<std::size_t>(n);
    }
  }

  // One line without its CRLF.
  std::string Line() {
    for (;;) {
      auto crlf = buf_.find("\r\n", pos_);
      if (crlf != std::string::npos) {
        std::string line = buf_.substr(pos_, crlf - pos_);
        pos_ = crlf + 2;
        return line;
      }
      Fill();
    }
  }

  // Discards n bytes (a literal), returns n.
  std::size_t Skip(std::size_t n) {
    std::size_t left = n;
    for (;;) {
      std::size_t have = buf_.size() - pos_;
      if (have >= left) {
        pos_ += left;
        return n;
      }
      left -= have;
      pos_ = buf_.size();
      Fill();
    }
  }

 private:
  void Fill() {
    if (pos_ > 0) {
      buf_.erase(0, pos_);
      pos_ = 0;
    }
    char chunk[1 << 16];
    int n = SSL_read(ssl_.get(), chunk, sizeof chunk);
    if (n <= 0) Die("connection closed");
    buf_.append(chunk, static_cast<std::size_t>(n));
  }

  std::unique_ptr<SSL_CTX, SslCtxFree> ctx_;
  std::unique_ptr<SSL, SslFree> ssl_;
  int fd_ = -1;
  std::string buf_;
  std::size_t pos_ = 0;
};

struct Totals {
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
  std::vector<std::uint32_t> search;  // UIDs from "* SEARCH"
};

// Reads responses until the tagged one for `tag`; returns its status word
// line. Literals are skipped and counted as body bytes.
std::string ReadUntilTagged(Conn& c, const std::string& tag, Totals& t) {
  for (;;) {
    std::string line = c.Line();
    // A line ending in {N} announces a literal, after which the line goes on.
    bool fetch = line.rfind("* ", 0) == 0 && line.find(" FETCH (") != std::string::npos;
    while (!line.empty() && line.back() == '}') {
      auto open = line.rfind('{');
      if (open == std::string::npos) break;
      t.bytes += c.Skip(std::strtoull(line.c_str() + open + 1, nullptr, 10));
      line = c.Line();
    }
    if (fetch) ++t.messages;
    if (line.rfind("* SEARCH", 0) == 0) {
      std::istringstream in(line.substr(8));
      std::uint32_t uid;
      while (in >> uid) t.search.push_back(uid);
    }
    if (line.rfind(tag + " ", 0) == 0) return line.substr(tag.size() + 1);
  }
}

std::string Base64(const std::string& s) {
  std::string out(4 * ((s.size() + 2) / 3) + 1, '\0');
  int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  if (s.empty()) Die("empty or unreadable " + path);
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  std::map<std::string, std::string> a{{"--host", "127.0.0.1"},
                                       {"--folder", "INBOX"},
                                       {"--mode", "stream"},
                                       {"--batch", "500"},
                                       {"--depth", "4"}};
  for (int i = 1; i + 1 < argc; i += 2) a[argv[i]] = argv[i + 1];
  for (const char* k : {"--port", "--ca", "--user"}) {
    if (!a.count(k)) Die(std::string("missing ") + k + " (see the comment at the top)");
  }
  const bool stream = a["--mode"] == "stream";
  if (!stream && a["--mode"] != "pipeline") Die("--mode is stream or pipeline");

  auto t0 = std::chrono::steady_clock::now();
  Conn c(a["--host"], a["--port"], a["--ca"]);
  Totals t;
  if (c.Line().rfind("* OK", 0) != 0) Die("no greeting");
  int next_tag = 0;
  auto send = [&](const std::string& cmd) {
    // Not "a" + to_string(): GCC 12 -O2 warns falsely (-Wrestrict, PR 105329).
    std::string tag = std::to_string(++next_tag);
    tag.insert(tag.begin(), 'a');
    c.Write(tag + " " + cmd + "\r\n");
    return tag;
  };
  auto expect_ok = [&](const std::string& tag, const char* what) {
    std::string r = ReadUntilTagged(c, tag, t);
    if (r.rfind("OK", 0) != 0) Die(std::string(what) + ": " + r);
  };

  if (a.count("--token-file")) {
    std::string sasl =
        "user=" + a["--user"] + "\x01" + "auth=Bearer " + Slurp(a["--token-file"]) + "\x01\x01";
    expect_ok(send("AUTHENTICATE XOAUTH2 " + Base64(sasl)), "AUTHENTICATE");
  } else if (a.count("--password")) {
    expect_ok(send("LOGIN \"" + a["--user"] + "\" \"" + a["--password"] + "\""), "LOGIN");
  } else {
    Die("--token-file or --password");
  }
  expect_ok(send("EXAMINE \"" + a["--folder"] + "\""), "EXAMINE");

  if (stream) {
    expect_ok(send("UID FETCH 1:* (UID BODY.PEEK[])"), "UID FETCH");
  } else {
    expect_ok(send("UID SEARCH ALL"), "UID SEARCH");
    const std::size_t batch = std::max(1ul, std::strtoul(a["--batch"].c_str(), nullptr, 10));
    const std::size_t depth = std::max(1ul, std::strtoul(a["--depth"].c_str(), nullptr, 10));
    std::deque<std::string> in_flight;
    for (std::size_t i = 0; i < t.search.size() || !in_flight.empty();) {
      while (i < t.search.size() && in_flight.size() < depth) {
        std::string set;
        for (std::size_t j = i; j < std::min(i + batch, t.search.size()); ++j) {
          if (!set.empty()) set += ',';
          set += std::to_string(t.search[j]);
        }
        i = std::min(i + batch, t.search.size());
        in_flight.push_back(send("UID FETCH " + set + " (UID BODY.PEEK[])"));
      }
      expect_ok(in_flight.front(), "UID FETCH");
      in_flight.pop_front();
    }
  }
  expect_ok(send("LOGOUT"), "LOGOUT");
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%llu %llu %.3f\n", static_cast<unsigned long long>(t.messages),
              static_cast<unsigned long long>(t.bytes), secs);
  return 0;
}
