#include "config/toml_guard.h"

#include <cstdint>
#include <cstdio>
#include <sstream>
#include <vector>

namespace config {
namespace {

// The UTF-8 sequence at text[p]: its code point and length, or length 0
// when it is not well formed.
struct Utf8 {
  std::uint32_t cp = 0;
  std::size_t len = 0;
};
Utf8 DecodeAt(std::string_view text, std::size_t p) {
  const auto b = static_cast<unsigned char>(text[p]);
  const std::size_t len = b >= 0xF5 ? 0 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC2 ? 2 : 0;
  if (len == 0 || p + len > text.size()) return {};
  std::uint32_t cp = b & (0x7F >> len);
  for (std::size_t i = 1; i < len; ++i) {
    const auto c = static_cast<unsigned char>(text[p + i]);
    if ((c & 0xC0) != 0x80) return {};
    cp = (cp << 6) | (c & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF) return {};  // overlong, or past Unicode
  return {cp, len};
}

// "U+00E9", or "byte 0xFF" for a byte that starts no UTF-8 sequence.
std::string Describe(std::string_view text, std::size_t p) {
  char buf[16];
  if (const Utf8 u = DecodeAt(text, p); u.len != 0) {
    std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(u.cp));
  } else {
    std::snprintf(buf, sizeof buf, "byte 0x%02X", static_cast<unsigned>(text[p] & 0xFF));
  }
  return buf;
}

bool NonAscii(char c) { return static_cast<unsigned char>(c) >= 0x80; }
bool Blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// A lexer of TOML's strings and comments, and of just enough of its
// structure to tell where a quote opens a string: where a key or a value
// starts. A value that starts otherwise ("bare": a number, a date, true, or
// garbage) is read by toml++'s look-ahead up to the next value terminator
// (blank, newline, ] } , #) whatever it holds, quotes included; so there a
// quote is plain text, and a non-ASCII character is refused.
class Guard {
 public:
  Guard(std::string_view text, const std::string& path) : text_(text), path_(path) {}

  util::Result<std::string> Run() {
    if (text_.starts_with("\xEF\xBB\xBF")) i_ = 3;  // a byte order mark
    while (i_ < text_.size()) {
      if (util::Status s = Step(); !s.ok()) return s;
    }
    return Rewritten();
  }

 private:
  enum class In { kCode, kComment, kBasic, kLiteral, kMultiBasic, kMultiLiteral };
  // In code: what the next token is. kOther: after a value, or where toml++
  // has already stopped with an error.
  enum class Next { kKey, kValue, kOther };

  util::Status Step() {
    const char c = text_[i_];
    switch (in_) {
      case In::kCode:
        if (NonAscii(c)) {
          return Refuse(
              "non-ASCII text outside a string or comment (TOML keys and values other "
              "than strings are ASCII: quote the key, as in \"name\" = ...)");
        }
        Code(c);
        break;
      case In::kComment:
        if (c == '\n') {
          in_ = In::kCode;
          Code(c);
        }
        break;
      case In::kBasic:
      case In::kLiteral:
        // A newline ends an unterminated string: toml++ reports it.
        if (c == '\n') {
          in_ = In::kCode;
          Code(c);
        } else if (c == (in_ == In::kBasic ? '"' : '\'')) {
          in_ = In::kCode;
        } else if (c == '\\' && in_ == In::kBasic && i_ + 1 < text_.size() &&
                   text_[i_ + 1] != '\n') {
          Advance(1);  // the escaped character
        }
        break;
      case In::kMultiBasic:
        return MultiBasic(c);
      case In::kMultiLiteral:
        if (const std::size_t n = RunOf('\''); n >= 3) return Close(n);
        break;
    }
    Advance(1);
    return {};
  }

  // One ASCII character of code (not yet consumed; a string's opening
  // quotes are consumed here but for the last).
  void Code(char c) {
    if (bare_) {
      if (!Blank(c) && c != '\n' && c != ']' && c != '}' && c != ',' && c != '#') return;
      bare_ = false;  // the terminator is read below
    }
    if (Blank(c)) return;
    if (c == '#') {
      in_ = In::kComment;
      return;
    }
    if (c == '\n') {
      // A new line starts a key, but inside an array (which may span lines).
      if (nest_.empty()) {
        next_ = Next::kKey;
      } else if (nest_.find('{') != std::string::npos) {
        next_ = Next::kOther;  // TOML 1.0: inline tables are on one line
      }
      return;
    }
    if ((c == '"' || c == '\'') && next_ != Next::kOther) {
      const bool multi = RunOf(c) >= 3;
      in_ = c == '"' ? (multi ? In::kMultiBasic : In::kBasic)
                     : (multi ? In::kMultiLiteral : In::kLiteral);
      if (multi) Advance(2);
      // After a key segment a dot or = may come; after a value, a terminator.
      next_ = next_ == Next::kKey ? Next::kKey : Next::kOther;
      return;
    }
    const char inner = nest_.empty() ? '\0' : nest_.back();
    switch (c) {
      case '=':
        next_ = next_ == Next::kKey ? Next::kValue : Next::kOther;
        return;
      case '[':
        if (next_ == Next::kValue) {
          nest_ += '[';  // an array: values follow
        } else if (next_ == Next::kKey && nest_.empty()) {
          next_ = Next::kKey;  // a table header holds a key
        } else {
          next_ = Next::kOther;
        }
        return;
      case '{':
        if (next_ == Next::kValue) {
          nest_ += '{';
          next_ = Next::kKey;
        } else {
          next_ = Next::kOther;
        }
        return;
      case ']':
      case '}':
        if (inner == (c == ']' ? '[' : '{')) nest_.pop_back();
        next_ = Next::kOther;
        return;
      case ',':
        next_ = inner == '[' && next_ == Next::kOther   ? Next::kValue
                : inner == '{' && next_ == Next::kOther ? Next::kKey
                                                        : Next::kOther;
        return;
      case '.':
        if (next_ == Next::kKey) return;  // a dotted key
        break;
      default:
        break;
    }
    if (next_ == Next::kValue) {
      bare_ = true;  // read to its terminator by toml++'s look-ahead
      next_ = Next::kOther;
    } else if (next_ == Next::kKey && !BareKeyChar(c)) {
      next_ = Next::kOther;  // toml++ stops here with an error
    }
  }

  util::Status MultiBasic(char c) {
    if (trimming_ && !Blank(c) && c != '\n') {
      trimming_ = false;
      // The first character a line-ending backslash keeps: toml++ asks
      // whether it is whitespace, so a non-ASCII one goes as an escape.
      if (NonAscii(c)) {
        if (const Utf8 u = DecodeAt(text_, i_); u.len != 0) {
          escapes_.push_back({i_, u});
          Advance(u.len);
          return {};
        }
      }
    }
    if (c == '\\' && i_ + 1 < text_.size()) {
      std::size_t j = i_ + 1;
      while (j < text_.size() && Blank(text_[j])) ++j;
      if (j > i_ + 1 || (j < text_.size() && text_[j] == '\n')) {  // a line-ending backslash
        if (j < text_.size() && text_[j] != '\n') {
          if (NonAscii(text_[j])) {
            Advance(j - i_);
            return Refuse("text after a line-ending backslash in a multi-line string");
          }
        } else {
          trimming_ = true;
        }
      } else if (NonAscii(text_[i_ + 1])) {
        Advance(1);
        return Refuse("unknown escape sequence in a string");
      } else {
        Advance(1);  // the escaped character
      }
    } else if (const std::size_t n = RunOf('"'); n >= 3) {
      return Close(n);
    }
    Advance(1);
    return {};
  }

  // Up to two quotes may end the content right before the closing three.
  util::Status Close(std::size_t run) {
    Advance(run);
    in_ = In::kCode;
    trimming_ = false;
    return {};
  }

  static bool BareKeyChar(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
  }

  std::size_t RunOf(char q) const {
    std::size_t n = 0;
    while (i_ + n < text_.size() && text_[i_ + n] == q) ++n;
    return n;
  }

  void Advance(std::size_t n) {
    for (; n > 0 && i_ < text_.size(); --n, ++i_) {
      if (text_[i_] == '\n') {
        ++line_;
        col_ = 1;
      } else if ((static_cast<unsigned char>(text_[i_]) & 0xC0) != 0x80) {
        ++col_;  // UTF-8 continuation bytes belong to the character before
      }
    }
  }

  util::Status Refuse(const std::string& why) const {
    std::ostringstream os;
    os << path_ << ":" << line_ << ":" << col_ << ": " << Describe(text_, i_) << ": " << why;
    return util::Error(util::Code::kInvalidArgument, os.str());
  }

  std::string Rewritten() const {
    if (escapes_.empty()) return std::string(text_);
    std::string out;
    out.reserve(text_.size() + 8 * escapes_.size());
    std::size_t from = 0;
    for (const auto& [at, u] : escapes_) {
      out.append(text_, from, at - from);
      char buf[16];
      if (u.cp > 0xFFFF) {
        std::snprintf(buf, sizeof buf, "\\U%08X", static_cast<unsigned>(u.cp));
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04X", static_cast<unsigned>(u.cp));
      }
      out += buf;
      from = at + u.len;
    }
    out.append(text_, from);
    return out;
  }

  struct Escape {
    std::size_t at;
    Utf8 u;
  };

  std::string_view text_;
  const std::string& path_;
  std::size_t i_ = 0;
  std::size_t line_ = 1;
  std::size_t col_ = 1;  // in characters, as an editor counts them
  In in_ = In::kCode;
  Next next_ = Next::kKey;
  bool bare_ = false;      // inside a bare value
  std::string nest_;       // the arrays ([) and inline tables ({) open around
  bool trimming_ = false;  // after a line-ending backslash: blanks and newlines go
  std::vector<Escape> escapes_;
};

}  // namespace

util::Result<std::string> GuardToml(std::string_view text, const std::string& path) {
  return Guard(text, path).Run();
}

}  // namespace config
