// The one loopback check: where deskmail allows plaintext (IMAP without TLS,
// http:// token endpoints), the peer must be this machine.
#pragma once

#include <string>

namespace util {

// True for IP literals in 127.0.0.0/8 and ::1 (also "[::1]" and the
// IPv4-mapped ::ffff:127.x.y.z), and for a name (such as "localhost") only
// when every address it resolves to is one of those: /etc/hosts or DNS
// can point a name anywhere, so the name alone proves nothing.
bool IsLoopbackHost(const std::string& host);

}  // namespace util
