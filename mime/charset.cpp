#include "mime/charset.h"

#include <gmime/gmime.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <vector>

#include "mime/detail/glib_ptr.h"
#include "mime/message.h"

namespace mime {
namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  // Labels arrive with quotes or blanks in sloppy mail.
  auto not_junk = [](char c) { return c != '"' && c != '\'' && c != ' ' && c != '\t'; };
  out.erase(std::remove_if(out.begin(), out.end(), [&](char c) { return !not_junk(c); }),
            out.end());
  return out;
}

bool IsUtf8Label(const std::string& l) {
  return l.empty() || l == "utf-8" || l == "utf8" || l == "us-ascii" || l == "ascii" ||
         l == "unicode-1-1-utf-8" || l == "x-unknown" || l == "unknown-8bit" || l == "default";
}

// iconv names to try, best first. Mail clients label text with the narrow
// standard name but write the vendor superset; trying the superset first
// avoids replacement characters for ordinary mail.
std::vector<std::string> IconvCandidates(const std::string& l) {
  struct Alias {
    std::string_view label;
    std::array<const char*, 2> names;
  };
  static constexpr Alias kAliases[] = {
      {"shift_jis", {"CP932", "SHIFT_JIS"}},     {"shift-jis", {"CP932", "SHIFT_JIS"}},
      {"sjis", {"CP932", "SHIFT_JIS"}},          {"x-sjis", {"CP932", "SHIFT_JIS"}},
      {"windows-31j", {"CP932", nullptr}},       {"cp932", {"CP932", nullptr}},
      {"gb2312", {"GB18030", nullptr}},          {"gbk", {"GB18030", nullptr}},
      {"x-gbk", {"GB18030", nullptr}},           {"cp936", {"GB18030", nullptr}},
      {"euc-cn", {"GB18030", nullptr}},          {"gb18030", {"GB18030", nullptr}},
      {"big5", {"CP950", "BIG5-HKSCS"}},         {"x-big5", {"CP950", "BIG5-HKSCS"}},
      {"euc-kr", {"CP949", "EUC-KR"}},           {"ks_c_5601-1987", {"CP949", "EUC-KR"}},
      {"iso-8859-1", {"WINDOWS-1252", nullptr}}, {"latin1", {"WINDOWS-1252", nullptr}},
      {"iso_8859-1", {"WINDOWS-1252", nullptr}}, {"iso-2022-jp", {"ISO-2022-JP", "ISO-2022-JP-3"}},
  };
  std::vector<std::string> out;
  for (const Alias& a : kAliases) {
    if (a.label == l) {
      for (const char* n : a.names)
        if (n != nullptr) out.emplace_back(n);
      return out;
    }
  }
  // GMime knows the MIME -> iconv spellings (e.g. "iso-8859-15" -> "iso-8859-15",
  // "windows-1250" -> "CP1250" where needed).
  if (const char* n = g_mime_charset_iconv_name(l.c_str()); n != nullptr) out.emplace_back(n);
  if (out.empty() || out.front() != l) out.push_back(l);
  return out;
}

bool IsValidUtf8Impl(std::string_view s) {
  return g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr) == TRUE;
}

struct Conversion {
  std::string text;
  std::size_t invalid = 0;
};

// Converts with `cd`, replacing each undecodable byte with U+FFFD and
// resynchronising one byte later.
Conversion RunIconv(GIConv cd, std::string_view in) {
  Conversion c;
  c.text.resize(in.size() * 2 + 16);
  char* inbuf = const_cast<char*>(in.data());  // iconv's API is not const-correct
  gsize inleft = in.size();
  std::size_t used = 0;
  while (true) {
    char* outbuf = c.text.data() + used;
    gsize outleft = c.text.size() - used;
    gsize r = g_iconv(cd, inleft > 0 ? &inbuf : nullptr, inleft > 0 ? &inleft : nullptr, &outbuf,
                      &outleft);
    used = c.text.size() - outleft;
    if (r != static_cast<gsize>(-1)) {
      if (inleft == 0) break;
      continue;
    }
    int err = errno;
    if (err == E2BIG) {
      c.text.resize(c.text.size() * 2);
      continue;
    }
    // EILSEQ or EINVAL (truncated sequence at the end): replace one byte.
    if (c.text.size() - used < kReplacement.size()) c.text.resize(c.text.size() * 2);
    std::memcpy(c.text.data() + used, kReplacement.data(), kReplacement.size());
    used += kReplacement.size();
    ++c.invalid;
    ++inbuf;
    --inleft;
    g_iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
    if (inleft == 0) break;
  }
  c.text.resize(used);
  return c;
}

bool TryConvert(const std::string& iconv_name, std::string_view in, Conversion* out) {
  GIConv raw = g_iconv_open("UTF-8", iconv_name.c_str());
  if (raw == reinterpret_cast<GIConv>(-1)) return false;
  detail::IconvPtr cd(raw);
  *out = RunIconv(cd.get(), in);
  return true;
}

std::string Windows1252(std::string_view in) {
  Conversion c;
  if (TryConvert("WINDOWS-1252", in, &c) && c.invalid == 0) return std::move(c.text);
  // ISO-8859-1 maps every byte, so this cannot lose text.
  TryConvert("ISO-8859-1", in, &c);
  return std::move(c.text);
}

// True when the 8-bit bytes are mostly valid UTF-8 sequences: UTF-8 text
// with a few damaged bytes rather than a legacy 8-bit charset.
bool MostlyUtf8(std::string_view s) {
  std::size_t valid = 0, invalid = 0;
  const char* p = s.data();
  const char* end = s.data() + s.size();
  while (p < end) {
    if (static_cast<unsigned char>(*p) < 0x80) {
      ++p;
      continue;
    }
    const gunichar c = g_utf8_get_char_validated(p, end - p);
    if (c == static_cast<gunichar>(-1) || c == static_cast<gunichar>(-2)) {
      ++invalid;
      ++p;
    } else {
      ++valid;
      p = g_utf8_next_char(p);
    }
  }
  return valid > 0 && invalid <= valid;
}

// Valid UTF-8 with at least one multi-byte sequence: almost never legacy
// single-byte text by accident, so a wrong label is the likelier story.
bool IsUtf8WithMultibyte(std::string_view s) {
  if (!IsValidUtf8Impl(s)) return false;
  for (unsigned char c : s)
    if (c >= 0x80) return true;
  return false;
}

bool SingleByteLabel(const std::string& l) {
  return l.rfind("iso-8859-", 0) == 0 || l.rfind("iso8859-", 0) == 0 ||
         l.rfind("windows-125", 0) == 0 || l.rfind("cp125", 0) == 0 || l.rfind("koi8", 0) == 0 ||
         l == "latin1" || l == "latin2";
}

std::string MakeValidUtf8(std::string_view s) {
  detail::GCharPtr v(g_utf8_make_valid(s.data(), static_cast<gssize>(s.size())));
  return std::string(v.get());
}

}  // namespace

bool IsValidUtf8(std::string_view s) { return IsValidUtf8Impl(s); }

std::string ToUtf8(std::string_view bytes, std::string_view charset, std::string* problem) {
  Init();  // GMime's charset tables
  // NUL is never text; dropping it keeps C-string based code downstream safe.
  std::string without_nul;
  if (bytes.find('\0') != std::string_view::npos) {
    without_nul.reserve(bytes.size());
    for (char c : bytes)
      if (c != '\0') without_nul.push_back(c);
    bytes = without_nul;
    if (problem != nullptr) *problem = "NUL bytes removed from text";
  }
  const std::string label = Lower(charset);
  auto note = [&](const std::string& msg) {
    if (problem == nullptr) return;
    if (!problem->empty()) *problem += "; ";
    *problem += msg;
  };
  if (IsUtf8Label(label)) {
    if (IsValidUtf8(bytes)) return std::string(bytes);
    const std::string what = label.empty() ? std::string("unlabelled") : label;
    if (MostlyUtf8(bytes)) {
      note("invalid UTF-8 bytes in " + what + " text replaced with U+FFFD");
      return MakeValidUtf8(bytes);
    }
    note("8-bit bytes not valid in " + what + " text, decoded as windows-1252");
    return Windows1252(bytes);
  }
  if (SingleByteLabel(label) && IsUtf8WithMultibyte(bytes)) {
    note("text labelled " + label + " is UTF-8");
    return std::string(bytes);
  }
  Conversion best;
  bool any = false;
  std::string used_name;
  for (const std::string& name : IconvCandidates(label)) {
    Conversion c;
    if (!TryConvert(name, bytes, &c)) continue;
    if (!any || c.invalid < best.invalid) {
      best = std::move(c);
      used_name = name;
      any = true;
    }
    if (best.invalid == 0) break;
  }
  if (!any) {
    note("unknown charset \"" + std::string(charset) + "\", decoded as " +
         (IsValidUtf8(bytes) ? "UTF-8" : "windows-1252"));
    return IsValidUtf8(bytes) ? std::string(bytes) : Windows1252(bytes);
  }
  if (best.invalid > 0) {
    // A wrong label on UTF-8 text is common.
    if (IsValidUtf8(bytes)) {
      note(std::to_string(best.invalid) + " invalid bytes for charset " + label +
           ", text is UTF-8");
      return std::string(bytes);
    }
    note(std::to_string(best.invalid) + " invalid bytes for charset " + label +
         " replaced with U+FFFD");
  }
  return std::move(best.text);
}

}  // namespace mime
