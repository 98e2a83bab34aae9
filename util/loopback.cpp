#include "util/loopback.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <memory>

namespace util {
namespace {

bool Loopback4(const in_addr& a) { return (ntohl(a.s_addr) >> 24) == 127; }

bool Loopback6(const in6_addr& a) {
  if (IN6_IS_ADDR_LOOPBACK(&a)) return true;
  if (IN6_IS_ADDR_V4MAPPED(&a)) {
    in_addr v4{};
    std::memcpy(&v4, a.s6_addr + 12, sizeof v4);
    return Loopback4(v4);
  }
  return false;
}

struct AddrInfoFree {
  void operator()(addrinfo* p) const { freeaddrinfo(p); }
};

}  // namespace

bool IsLoopbackHost(const std::string& host_in) {
  std::string host = host_in;
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return false;
  in_addr a4{};
  if (inet_pton(AF_INET, host.c_str(), &a4) == 1) return Loopback4(a4);
  in6_addr a6{};
  if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) return Loopback6(a6);
  // A name: believe it only if all it resolves to is loopback.
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  if (getaddrinfo(host.c_str(), nullptr, &hints, &raw) != 0 || raw == nullptr) return false;
  std::unique_ptr<addrinfo, AddrInfoFree> list(raw);
  for (addrinfo* p = raw; p != nullptr; p = p->ai_next) {
    if (p->ai_family == AF_INET) {
      if (!Loopback4(reinterpret_cast<sockaddr_in*>(p->ai_addr)->sin_addr)) return false;
    } else if (p->ai_family == AF_INET6) {
      if (!Loopback6(reinterpret_cast<sockaddr_in6*>(p->ai_addr)->sin6_addr)) return false;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace util
