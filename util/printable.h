// What deskmail prints for people (terminal views, log lines that quote
// remote text) goes through here: mail subjects, display names, file names,
// an identity provider's verification_uri, an IMAP server's words. Such
// text can carry escape sequences that rewrite the operator's terminal, or
// a newline that forges a line of output; here both become visible.
//
// JSON output (--json) does not use this: JSON string escaping already
// writes every control character as \uXXXX, and tools need the exact value.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace util {

// `text` with every C0 control character, DEL and C1 control (U+0080-U+009F)
// written as a visible escape: "\x1b", "\x7f", "\u009b"; tabs as "\t";
// newlines as "\n" and "\r" unless `multiline` (then "\n" stays and "\r"
// before it is dropped). Invalid UTF-8 bytes become "\xNN"; other UTF-8
// (accents, CJK, emoji) is kept as is. A backslash stays a backslash (the
// output is for reading, not for parsing back).
std::string Printable(std::string_view text, bool multiline = false);

// An authentication reply from a server, fit for a log line: each of
// `secrets` (a password, a token) removed, and any run of 24 or more
// base64 / base64url / JWT characters (an echoed SASL line or token)
// replaced by "[redacted]"; then cut to `max` bytes and made Printable.
std::string RedactAuthText(std::string_view text, const std::vector<std::string>& secrets,
                           std::size_t max = 200);

}  // namespace util
