#include "recovery/forwarder_auth.h"

#include <libpsl.h>

#include <memory>

namespace recovery {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool IEquals(std::string_view a, std::string_view b) { return Lower(a) == Lower(b); }

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// RFC 8601 values are tokens or quoted-strings, with CFWS anywhere:
// drop comments (nested, quoted-pairs honoured) and unquote strings, and
// cut into ';'-separated segments of whitespace-separated words, with
// spaces around '=' and '.' squeezed out so "dkim = pass" reads as one.
std::vector<std::vector<std::string>> Tokenize(std::string_view v) {
  std::vector<std::vector<std::string>> segments(1);
  std::string word;
  bool pending_join = false;  // the last word ended with '=' or '.', or one is due
  auto flush = [&] {
    if (word.empty()) return;
    auto& seg = segments.back();
    if (!seg.empty() && (pending_join || word.front() == '=' || word.front() == '.')) {
      seg.back() += word;
    } else {
      seg.push_back(word);
    }
    pending_join = word.back() == '=' || word.back() == '.';
    word.clear();
  };
  int depth = 0;
  bool quoted = false;
  for (std::size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '\\' && (quoted || depth > 0) && i + 1 < v.size()) {
      if (quoted) word += v[i + 1];
      ++i;
      continue;
    }
    if (quoted) {
      if (c == '"') {
        quoted = false;
        if (word.empty()) word = "\"\"";  // an empty quoted value is still a value
      } else {
        word += c;
      }
      continue;
    }
    if (depth > 0) {
      if (c == '(') ++depth;
      if (c == ')') --depth;
      continue;
    }
    if (c == '(') {
      flush();
      depth = 1;
    } else if (c == '"') {
      quoted = true;
    } else if (c == ';') {
      flush();
      pending_join = false;
      segments.emplace_back();
    } else if (IsSpace(c)) {
      flush();
    } else {
      word += c;
    }
  }
  flush();
  return segments;
}

std::string DomainOf(std::string_view address) {
  auto at = address.rfind('@');
  if (at == std::string_view::npos) return Lower(Trim(address));
  return Lower(Trim(address.substr(at + 1)));
}

struct PslDeleter {
  void operator()(psl_ctx_t* p) const { psl_free(p); }
};

const psl_ctx_t* Psl() {
  // The newer of the library's built-in list and the system's
  // publicsuffix package; loaded once, read-only after.
  static const std::unique_ptr<psl_ctx_t, PslDeleter> ctx(psl_latest(nullptr));
  return ctx ? ctx.get() : psl_builtin();
}

const std::string* FirstHeader(const std::vector<std::pair<std::string, std::string>>& headers,
                               std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (IEquals(k, name)) return &v;
  }
  return nullptr;
}

int Rank(const std::string& method) {
  // Lower is stronger; ForwarderAuthLevel has the same order.
  if (method == "dmarc" || method == "exchange") return 0;
  if (method == "dkim") return 1;
  if (method == "envelope") return 2;
  return 3;
}

// The topmost Authentication-Results header with a trusted authserv-id
// (see the header for why only that one), or nullopt with `why` set.
std::optional<AuthResults> TrustedResults(
    const std::vector<std::pair<std::string, std::string>>& headers, const ForwarderAuthConfig& cfg,
    bool exchange, std::string& why) {
  bool any = false;
  for (const auto& [name, value] : headers) {
    if (!IEquals(name, "Authentication-Results")) continue;
    any = true;
    auto ar = ParseAuthResults(value);
    if (!ar) continue;
    for (const std::string& id : cfg.trusted_authserv_ids) {
      const std::string want = Lower(id);
      if (ar->authserv_id.empty() ? (exchange && want == "exchange-online")
                                  : ar->authserv_id == want) {
        return ar;
      }
    }
  }
  why = any ? "no Authentication-Results from a trusted authserv-id"
            : "no Authentication-Results header";
  return std::nullopt;
}

}  // namespace

const char* ForwarderAuthLevelName(ForwarderAuthLevel l) {
  switch (l) {
    case ForwarderAuthLevel::kDmarc:
      return "dmarc";
    case ForwarderAuthLevel::kDkim:
      return "dkim";
    case ForwarderAuthLevel::kEnvelope:
      return "envelope";
    case ForwarderAuthLevel::kNone:
      return "none";
  }
  return "?";
}

util::Result<ForwarderAuthLevel> ParseForwarderAuthLevel(std::string_view s) {
  for (auto l : {ForwarderAuthLevel::kDmarc, ForwarderAuthLevel::kDkim,
                 ForwarderAuthLevel::kEnvelope, ForwarderAuthLevel::kNone}) {
    if (s == ForwarderAuthLevelName(l)) return l;
  }
  return util::Error(util::Code::kInvalidArgument,
                     "\"" + std::string(s) + "\": must be one of dmarc, dkim, envelope, none");
}

const std::string* AuthResults::Result::Prop(std::string_view name) const {
  for (const auto& [k, v] : props) {
    if (k == name) return &v;
  }
  return nullptr;
}

std::optional<AuthResults> ParseAuthResults(std::string_view value) {
  auto segments = Tokenize(value);
  AuthResults out;
  std::size_t first = 0;
  auto& head = segments[0];
  if (head.empty()) return std::nullopt;
  if (head[0].find('=') == std::string::npos) {
    // authserv-id [version]; "none" after it means no results.
    out.authserv_id = Lower(head[0]);
    first = 1;
  }
  // Else: no authserv-id (Microsoft 365): the first segment is a result.
  for (std::size_t i = first; i < segments.size(); ++i) {
    const auto& seg = segments[i];
    if (seg.empty()) continue;
    if (i == 1 && seg.size() == 1 && IEquals(seg[0], "none")) break;
    auto eq = seg[0].find('=');
    if (eq == std::string::npos || eq == 0) continue;  // not a methodspec: skip it, keep the rest
    AuthResults::Result r;
    r.method = Lower(seg[0].substr(0, eq));
    if (auto slash = r.method.find('/'); slash != std::string::npos) r.method.resize(slash);
    r.result = Lower(seg[0].substr(eq + 1));
    for (std::size_t w = 1; w < seg.size(); ++w) {
      auto e = seg[w].find('=');
      if (e == std::string::npos || e == 0) continue;
      r.props.emplace_back(Lower(seg[w].substr(0, e)), seg[w].substr(e + 1));
    }
    out.results.push_back(std::move(r));
  }
  return out;
}

std::string OrganizationalDomain(std::string domain) {
  domain = Lower(domain);
  while (!domain.empty() && domain.back() == '.') domain.pop_back();
  const char* reg = psl_registrable_domain(Psl(), domain.c_str());
  return reg != nullptr ? std::string(reg) : domain;
}

ForwarderAuthResult AuthenticateForwarder(
    const std::vector<std::pair<std::string, std::string>>& headers, const std::string& from,
    const ForwarderAuthConfig& cfg, bool fetched_from_exchange) {
  if (cfg.require == ForwarderAuthLevel::kNone) {
    return {true, "none", "require = \"none\": From: is not checked"};
  }
  const std::string from_domain = DomainOf(from);
  const int need = static_cast<int>(cfg.require);
  std::vector<std::string> why;
  auto ok = [&](const std::string& method, std::string reason) -> ForwarderAuthResult {
    return {true, method, std::move(reason)};
  };
  if (from_domain.empty() || from.find('@') == std::string::npos) {
    return {false, "", "the forward has no From: address"};
  }

  const bool exchange = cfg.exchange_online && fetched_from_exchange;
  if (exchange) {
    const std::string* as = FirstHeader(headers, "X-MS-Exchange-Organization-AuthAs");
    const std::string* src = FirstHeader(headers, "X-MS-Exchange-Organization-AuthSource");
    const std::string* dir =
        FirstHeader(headers, "X-MS-Exchange-Organization-MessageDirectionality");
    if (as && IEquals(Trim(*as), "Internal") && src && !Trim(*src).empty() && dir &&
        IEquals(Trim(*dir), "Originating")) {
      return ok("exchange", "sent from inside the Exchange Online organization (AuthAs: Internal)");
    }
    why.push_back("Exchange Online did not mark it as sent inside the organization");
  }

  std::string ar_why;
  if (auto ar = TrustedResults(headers, cfg, exchange, ar_why)) {
    const std::string id = ar->authserv_id.empty() ? "exchange-online" : ar->authserv_id;
    std::string dmarc = "none", dkim = "none";
    for (const auto& r : ar->results) {
      if (r.method == "dmarc") {
        const std::string* hf = r.Prop("header.from");
        if (r.result == "pass" && hf != nullptr && DomainOf(*hf) == from_domain) {
          return ok("dmarc", id + ": dmarc=pass for " + from_domain);
        }
        dmarc = r.result == "pass" ? "pass for another domain" : r.result;
      } else if (r.method == "dkim" && need >= Rank("dkim")) {
        const std::string* d = r.Prop("header.d");
        if (d == nullptr) d = r.Prop("header.i");
        if (r.result == "pass" && d != nullptr &&
            OrganizationalDomain(DomainOf(*d)) == OrganizationalDomain(from_domain)) {
          return ok("dkim", id + ": dkim=pass, signed by " + DomainOf(*d) + ", aligned with " +
                                from_domain);
        }
        if (dkim == "none" || r.result != "pass") {
          dkim = r.result == "pass" ? "pass, not aligned with " + from_domain : r.result;
        }
      }
    }
    std::string got = id + ": dmarc=" + dmarc;
    if (need >= Rank("dkim")) got += ", dkim=" + dkim;
    why.push_back(got);
  } else {
    why.push_back(ar_why);
  }

  if (need >= Rank("envelope")) {
    if (!cfg.envelope_sender) {
      why.push_back("no envelope sender (intake --sender)");
    } else if (!cfg.envelope_sender->empty() && IEquals(*cfg.envelope_sender, from)) {
      return ok("envelope", "envelope sender " + Lower(*cfg.envelope_sender) + " matches From:");
    } else {
      why.push_back("envelope sender <" + Lower(*cfg.envelope_sender) +
                    "> is not the From: " + Lower(from));
    }
  }
  std::string reason = "require = \"" + std::string(ForwarderAuthLevelName(cfg.require)) + "\": ";
  for (std::size_t i = 0; i < why.size(); ++i) reason += (i ? "; " : "") + why[i];
  return {false, "", reason};
}

}  // namespace recovery
