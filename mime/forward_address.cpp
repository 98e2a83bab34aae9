#include <glib.h>

#include <string>

#include "mime/detail/forward_address.h"
#include "mime/detail/forward_labels.h"

namespace mime::detail {
namespace {

std::string Trim(std::string_view s) {
  const char* ws = " \t\r\n\"'";
  const std::size_t a = s.find_first_not_of(ws);
  if (a == std::string_view::npos) return {};
  const std::size_t b = s.find_last_not_of(ws);
  return std::string(s.substr(a, b - a + 1));
}

// Typographic quotes around names (Polish „…”, French «…», ‘…’).
std::string StripQuotes(std::string s) {
  for (const char* q : {"\xE2\x80\x9E", "\xE2\x80\x9D", "\xE2\x80\x9C", "\xC2\xAB", "\xC2\xBB",
                        "\xE2\x80\x98", "\xE2\x80\x99"}) {
    const std::string_view qq(q);
    while (s.size() >= qq.size() && s.compare(0, qq.size(), qq) == 0) s.erase(0, qq.size());
    while (s.size() >= qq.size() && s.compare(s.size() - qq.size(), qq.size(), qq) == 0)
      s.erase(s.size() - qq.size());
  }
  return Trim(s);
}

// Outlook's "<mailto:x>" echoes and "[mailto:x]" forms, "on behalf of" tails.
std::string Clean(std::string_view in) {
  std::string s(in);
  for (std::size_t at; (at = Lower(s).find("<mailto:")) != std::string::npos;) {
    const std::size_t close = s.find('>', at);
    s.erase(at, close == std::string::npos ? std::string::npos : close - at + 1);
  }
  for (std::size_t at; (at = Lower(s).find("[mailto:")) != std::string::npos;) {
    const std::size_t close = s.find(']', at);
    if (close == std::string::npos) break;
    s = s.substr(0, at) + "<" + s.substr(at + 8, close - at - 8) + ">" + s.substr(close + 1);
  }
  for (std::size_t at; (at = Lower(s).find("mailto:")) != std::string::npos;) s.erase(at, 7);
  const std::string low = Lower(s);
  for (const char* tail : {" on behalf of ", " im auftrag von ", " de la part de ",
                           " en nombre de ", " per conto di ", " namens "}) {
    const std::size_t at = low.find(tail);
    if (at != std::string::npos && at < s.size()) {
      s.resize(at);
      break;
    }
  }
  return s;
}

bool LooksLikeAddress(std::string_view a) {
  const std::size_t at = a.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < a.size() &&
         a.find_first_of(" \t<>,;\"") == std::string_view::npos;
}

Address ParseOne(std::string_view entry) {
  Address out;
  std::string e = Trim(entry);
  const std::size_t lt = e.rfind('<');
  const std::size_t gt = lt == std::string::npos ? std::string::npos : e.find('>', lt);
  if (lt != std::string::npos && gt != std::string::npos) {
    const std::string addr = Trim(e.substr(lt + 1, gt - lt - 1));
    if (LooksLikeAddress(addr)) {
      out.address = addr;
      out.name = StripQuotes(Trim(e.substr(0, lt)));
      if (!out.name.empty() && out.name.back() == '<') out.name.clear();
      if (Lower(out.name) == Lower(out.address)) out.name.clear();
      return out;
    }
  }
  // "a@x (Name)" or "a@x" or "Name a@x"
  std::string rest;
  std::size_t i = 0;
  while (i < e.size()) {
    std::size_t j = e.find_first_of(" \t", i);
    if (j == std::string::npos) j = e.size();
    std::string tok = e.substr(i, j - i);
    while (!tok.empty() && (tok.front() == '<' || tok.front() == '(')) tok.erase(0, 1);
    while (!tok.empty() && (tok.back() == '>' || tok.back() == ')')) tok.pop_back();
    if (out.address.empty() && LooksLikeAddress(tok)) {
      out.address = tok;
    } else {
      if (!rest.empty()) rest += ' ';
      rest += e.substr(i, j - i);
    }
    i = j + 1;
  }
  std::string name = Trim(rest);
  if (name.size() >= 2 && name.front() == '(' && name.back() == ')')
    name = name.substr(1, name.size() - 2);
  out.name = StripQuotes(name);
  if (Lower(out.name) == Lower(out.address)) out.name.clear();
  return out;
}

}  // namespace

std::vector<Address> ParseAddressList(std::string_view value) {
  std::vector<Address> out;
  if (value.size() > 64 * 1024) value = value.substr(0, 64 * 1024);
  const std::string s = Clean(value);
  const bool any_at = s.find('@') != std::string::npos;
  std::string cur;
  bool in_quote = false;
  int angle = 0;
  auto flush = [&] {
    Address a = ParseOne(cur);
    if (!a.address.empty() || !a.name.empty()) out.push_back(std::move(a));
    cur.clear();
  };
  for (char c : s) {
    if (c == '"') in_quote = !in_quote;
    if (!in_quote && c == '<') ++angle;
    if (!in_quote && c == '>' && angle > 0) --angle;
    // Unquoted names may hold commas ("Doe, John <j@x>"): a separator ends an
    // entry only once the entry has its address (or the list has none).
    if (!in_quote && angle == 0 && (c == ',' || c == ';') &&
        (!any_at || cur.find('@') != std::string::npos)) {
      flush();
      continue;
    }
    cur.push_back(c);
  }
  flush();
  return out;
}

}  // namespace mime::detail
