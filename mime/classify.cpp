#include "mime/classify.h"

#include <glib.h>

#include <algorithm>
#include <array>
#include <string_view>

#include "mime/detail/bounce_subjects.h"
#include "mime/detail/glib_ptr.h"

namespace mime {
namespace {

constexpr std::size_t kMaxEvidence = 100;

std::string Trim(std::string_view s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n");
  return std::string(s.substr(b, e - b + 1));
}

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = g_ascii_tolower(c);
  return out;
}

// "Name: value" with the value shortened, for the reason string.
std::string Evidence(std::string_view name, std::string_view value) {
  std::string v = Trim(value);
  if (v.size() > kMaxEvidence) {
    std::size_t cut = kMaxEvidence;
    while (cut > 0 && (static_cast<unsigned char>(v[cut]) & 0xC0) == 0x80) --cut;
    v = v.substr(0, cut) + "...";
  }
  return std::string(name) + ": " + v;
}

// Lower-cased first token of a header value ("auto-replied; owner=x" -> "auto-replied").
std::string FirstToken(std::string_view value) {
  std::string v = LowerAscii(Trim(value));
  const auto end = v.find_first_of("; \t(");
  return end == std::string::npos ? v : v.substr(0, end);
}

std::string CaseFold(std::string_view s) {
  detail::GCharPtr f(g_utf8_casefold(s.data(), static_cast<gssize>(s.size())));
  return f ? std::string(f.get()) : std::string();
}

// Out-of-office subject prefixes in the languages support desks meet most.
constexpr std::array<std::string_view, 18> kAutoReplySubjects = {
    "out of office",
    "automatic reply",
    "auto:",
    "autoreply",
    "auto-reply",
    "auto reply",
    "abwesenheitsnotiz",
    "automatische antwort",
    "réponse automatique",
    "absence du bureau",
    "respuesta automática",
    "risposta automatica",
    "automatisch antwoord",
    "afwezigheidsassistent",
    "autosvar",
    "resposta automática",
    "odpowiedź automatyczna",
    "out of the office",
};

std::string LocalPart(const std::string& address) {
  std::string local = LowerAscii(address.substr(0, address.rfind('@')));
  // "<\"System Administrator\"@example.com>": the quotes are syntax.
  local.erase(std::remove(local.begin(), local.end(), '"'), local.end());
  return local;
}

// Mailboxes that only mail servers send from (MDaemon is a mail server
// product that reports from "MDaemon@").
bool BounceLocalPart(const std::string& address) {
  const std::string local = LocalPart(address);
  return local == "mailer-daemon" || local == "postmaster" || local == "mail-daemon" ||
         local == "mailerdaemon" || local == "mdaemon";
}

// Words in a sender's local part or display name that say "a mail system":
// not proof on their own, only with a non-delivery subject. "admin" and
// "system" are left out: a customer's IT admin writes about bounces too.
constexpr std::array<std::string_view, 14> kMachineWords = {
    "mailer", "daemon", "postmaster", "mdaemon", "bounce",   "bounces",   "ndr",
    "dsn",    "smtp",   "mta",        "gateway", "gateways", "antivirus", "microsoftexchange"};

// Names mail systems sign with, in a display name or a quoted local part
// ("Mail Delivery Subsystem", "System Administrator" of Exchange and
// GroupWise).
constexpr std::string_view kMachineNames[] = {
    "mail delivery",      "delivery subsystem", "delivery system",
    "delivery service",   "mail system",        "system administrator",
    "mail administrator", "mail server",        "mailserver"};

bool HasMachineWord(const std::string& text) {
  const std::string lower = LowerAscii(text);
  for (std::string_view n : kMachineNames)
    if (lower.find(n) != std::string::npos) return true;
  std::string word;
  auto check = [&] {
    bool hit = false;
    for (std::string_view w : kMachineWords)
      if (word == w || (w == "microsoftexchange" && word.rfind(w, 0) == 0)) hit = true;
    word.clear();
    return hit;
  };
  for (char c : lower) {
    if (g_ascii_isalnum(c)) {
      word += c;
    } else if (!word.empty() && check()) {
      return true;
    }
  }
  return !word.empty() && check();
}

// Text only mail software writes in a report body: DSN fields (RFC 3464),
// MTA transcripts, SMTP replies with an enhanced status code ("550 5.1.1",
// "#5.0.0"). A person describing a problem does not write these.
bool HasMtaWording(std::string_view body) {
  static constexpr std::string_view kPhrases[] = {"diagnostic-code:",
                                                  "final-recipient:",
                                                  "remote-mta:",
                                                  "reporting-mta:",
                                                  "action: failed",
                                                  "transcript of session follows",
                                                  "this is the mail system at host",
                                                  "created automatically by mail delivery software",
                                                  "this is the qmail-send program",
                                                  "permanent fatal errors",
                                                  "smtp error from remote",
                                                  "delivery to the following recipient",
                                                  "unrouteable address",
                                                  "the following addresses had",
                                                  "--- non-delivery report ---"};
  const std::string b = LowerAscii(body.substr(0, 64 * 1024));
  for (std::string_view p : kPhrases)
    if (b.find(p) != std::string::npos) return true;
  // An SMTP reply code 4xx/5xx followed by an enhanced status code x.y.z.
  for (std::size_t i = 0; i + 8 < b.size(); ++i) {
    const bool reply = (b[i] == '4' || b[i] == '5') && g_ascii_isdigit(b[i + 1]) &&
                       g_ascii_isdigit(b[i + 2]) && (b[i + 3] == ' ' || b[i + 3] == '-');
    const bool hash = b[i] == '#' && (b[i + 1] == '4' || b[i + 1] == '5');
    const std::size_t st = reply ? i + 4 : hash ? i + 1 : std::string::npos;
    if (st == std::string::npos || (i > 0 && g_ascii_isalnum(b[i - 1]))) continue;
    if ((b[st] == '4' || b[st] == '5') && b[st + 1] == '.' && g_ascii_isdigit(b[st + 2]) &&
        (b[st + 3] == '.' || (g_ascii_isdigit(b[st + 3]) && b[st + 4] == '.')))
      return true;
  }
  return false;
}

// The subject as classify matches it: case-folded, trimmed, with leading
// "[list]" / "[SPAM]" tags removed.
std::string MatchableSubject(const std::string& subject) {
  std::string s = CaseFold(Trim(subject));
  for (int i = 0; i < 3 && !s.empty() && s.front() == '['; ++i) {
    const auto close = s.find(']');
    if (close == std::string::npos) break;
    s = Trim(s.substr(close + 1));
  }
  return s;
}

template <typename Table>
bool StartsWithAny(const std::string& s, const Table& table) {
  for (std::string_view p : table)
    if (s.compare(0, p.size(), p) == 0) return true;
  return false;
}

// A sign that a machine sent the message, for a non-delivery subject; ""
// when there is none. Evidence text for the reason otherwise.
std::string MachineSign(const PartSignals& parts, const Message& m) {
  if (m.from.address.empty()) return m.Header("From") ? "From without address" : "no From";
  if (HasMachineWord(LocalPart(m.from.address))) return "From: " + m.from.address;
  if (HasMachineWord(m.from.name)) return Evidence("From", m.from.name);
  if (m.return_path.has_value() && (m.return_path->empty() || BounceLocalPart(*m.return_path)))
    return "Return-Path: <" + *m.return_path + ">";
  if (const std::string* v = m.Header("Auto-Submitted"); v != nullptr && FirstToken(*v) != "no")
    return Evidence("Auto-Submitted", *v);
  if (parts.rfc822_headers) return "text/rfc822-headers part";
  if (parts.returned_message) return "returned message attached";
  if (HasMtaWording(m.body_text)) return "MTA report text in the body";
  return {};
}

bool Set(Message* m, Classification c, std::string reason) {
  m->classification = c;
  m->classification_reason = std::move(reason);
  return true;
}

bool Bounce(const TopLevelType& top, const PartSignals& parts, Message* m) {
  constexpr auto kB = Classification::kBounce;
  const bool report = top.mime_type == "multipart/report";
  if (report &&
      (top.report_type == "delivery-status" || top.report_type == "global-delivery-status"))
    return Set(m, kB, "Content-Type: multipart/report; report-type=" + top.report_type);
  // RFC 6522 requires report-type, but real MTAs leave it out; a report
  // that is not a read receipt is a delivery report.
  if (report && top.report_type.empty() && !parts.disposition_notification)
    return Set(m, kB, "Content-Type: multipart/report without report-type");
  if (parts.delivery_status) return Set(m, kB, "message/delivery-status part");
  if (const std::string* v = m->Header("X-Failed-Recipients"))
    return Set(m, kB, Evidence("X-Failed-Recipients", *v));
  if (!m->from.address.empty() && BounceLocalPart(m->from.address))
    return Set(m, kB, "From: " + m->from.address);
  if (m->return_path.has_value() && !m->return_path->empty() && BounceLocalPart(*m->return_path))
    return Set(m, kB, "Return-Path: <" + *m->return_path + ">");
  // Returned headers outside a read receipt or abuse report (which carry
  // them too, and say so in report-type).
  if (parts.rfc822_headers && (!report || top.report_type.empty()))
    return Set(m, kB, "text/rfc822-headers part (returned headers)");
  const std::string subject = MatchableSubject(m->subject);
  if (StartsWithAny(subject, detail::kNdrTemplates))
    return Set(m, kB, Evidence("Subject", m->subject));
  if (StartsWithAny(subject, detail::kNdrSubjects)) {
    if (std::string sign = MachineSign(parts, *m); !sign.empty())
      return Set(m, kB, Evidence("Subject", m->subject) + "; " + sign);
  }
  return false;
}

bool AutoReply(const TopLevelType& top, Message* m) {
  if (const std::string* v = m->Header("Auto-Submitted")) {
    const std::string t = FirstToken(*v);
    if (!t.empty() && t != "no")
      return Set(m, Classification::kAutoReply, Evidence("Auto-Submitted", *v));
  }
  for (const char* name : {"X-Autoreply", "X-Autorespond", "X-Autogenerated"}) {
    if (const std::string* v = m->Header(name)) {
      const std::string t = FirstToken(*v);
      if (t != "no" && t != "false") return Set(m, Classification::kAutoReply, Evidence(name, *v));
    }
  }
  if (const std::string* v = m->Header("Precedence");
      v != nullptr && FirstToken(*v) == "auto_reply")
    return Set(m, Classification::kAutoReply, Evidence("Precedence", *v));
  if (top.mime_type == "multipart/report" && top.report_type == "disposition-notification")
    return Set(m, Classification::kAutoReply,
               "Content-Type: multipart/report; report-type=disposition-notification");
  const std::string subject = CaseFold(Trim(m->subject));
  for (std::string_view prefix : kAutoReplySubjects) {
    if (subject.compare(0, prefix.size(), prefix) == 0)
      return Set(m, Classification::kAutoReply, Evidence("Subject", m->subject));
  }
  return false;
}

bool Bulk(Message* m) {
  if (const std::string* v = m->Header("Precedence")) {
    const std::string t = FirstToken(*v);
    if (t == "bulk" || t == "list" || t == "junk")
      return Set(m, Classification::kBulk, Evidence("Precedence", *v));
  }
  for (const char* name : {"List-Id", "List-Unsubscribe"}) {
    if (const std::string* v = m->Header(name))
      return Set(m, Classification::kBulk, Evidence(name, *v));
  }
  return false;
}

}  // namespace

void Classify(const TopLevelType& top, Message* msg) { Classify(top, PartSignals{}, msg); }

void Classify(const TopLevelType& top, const PartSignals& parts, Message* msg) {
  msg->classification = Classification::kNormal;
  msg->classification_reason.clear();
  if (Bounce(top, parts, msg) || AutoReply(top, msg)) return;
  if (msg->return_path.has_value() && msg->return_path->empty()) {
    Set(msg, Classification::kBounce, "Return-Path: <>");
    return;
  }
  Bulk(msg);
}

}  // namespace mime
