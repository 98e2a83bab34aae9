// Charset conversion to UTF-8 that never loses text: unknown labels fall back
// to a guess, invalid bytes become U+FFFD. Uses GLib's iconv underneath.
#pragma once

#include <string>
#include <string_view>

namespace mime {

// Converts `bytes`, labelled with MIME charset `charset` (may be empty, in any
// case, or bogus), to valid UTF-8. Labels are widened to the superset mail
// clients really emit (Shift_JIS -> CP932, GB2312/GBK -> GB18030,
// ISO-8859-1 -> windows-1252, Big5 -> CP950, EUC-KR -> CP949).
// When the label is unknown or bytes were invalid, the text is still returned
// and a one-line description is appended to `*problem` (if non-null, joined
// with "; "); otherwise `*problem` is left untouched.
// Thread-safe.
std::string ToUtf8(std::string_view bytes, std::string_view charset,
                   std::string* problem = nullptr);

// True when `s` is valid UTF-8.
bool IsValidUtf8(std::string_view s);

}  // namespace mime
