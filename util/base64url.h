// base64url (RFC 4648 §5) without padding: PKCE challenges, JWT segments,
// the console's password hashes. Written once here for oauth/ and admin/.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace util {

std::string Base64UrlEncode(std::string_view bytes);
// Accepts the standard alphabet too ('+', '/') and stops at '=' padding, as
// JWTs from identity providers vary; nullopt on any other character.
std::optional<std::string> Base64UrlDecode(std::string_view in);

}  // namespace util
