#include "recovery/intake.h"

#include <nlohmann/json.hpp>

#include "mime/forward.h"
#include "recovery/detail/event.h"
#include "recovery/fingerprint.h"
#include "recovery/outage.h"

namespace recovery {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kFingerprintWindow = 120;  // "date within 2 minutes"

using Kind = Outcome::Kind;
using Verdict = Outcome::Intake;

util::Status Log(store::WriteTxn& txn, const Prepared& p, const Outcome& o,
                 const std::string& forwarder, const mime::ForwardedOriginal* orig,
                 const std::string& account) {
  store::IntakeLogRecord rec;
  rec.at = p.source.received_at;
  rec.account = account;
  rec.input = p.source.input.empty() ? p.source.source_key : p.source.input;
  rec.decision = IntakeDecisionName(o);
  rec.reason = o.detail;
  rec.forwarder = forwarder;
  if (orig != nullptr) {
    rec.original_from = LowerAscii(orig->from.address);
    rec.original_subject = orig->subject;
    rec.original_message_id = orig->message_id;
    rec.original_date = orig->date.value_or(0);
  }
  rec.ticket_id = o.ticket_id;
  rec.message_id = o.message_id;
  return txn.AppendIntakeLog(rec);
}

// The support account the original was addressed to, else the intake's own.
std::string AccountFor(const mime::ForwardedOriginal& orig, const IntakeOptions& opts,
                       const std::string& fallback) {
  for (const auto* list : {&orig.to, &orig.cc}) {
    for (const auto& a : *list) {
      for (const auto& [address, name] : opts.account_addresses) {
        if (LowerAscii(a.address) == LowerAscii(address)) return name;
      }
    }
  }
  return fallback;
}

std::optional<std::uint64_t> FingerprintDuplicate(store::WriteTxn& txn, const std::string& fp,
                                                  std::int64_t date) {
  if (fp.empty()) return std::nullopt;
  for (std::uint64_t id : txn.FindByFingerprint(fp)) {
    auto rec = txn.GetMessageHead(id);
    if (!rec) continue;
    if (date == 0 || rec->date == 0 || std::llabs(rec->date - date) <= kFingerprintWindow)
      return id;
  }
  return std::nullopt;
}

std::optional<std::uint64_t> StoredMessageId(store::WriteTxn& txn, const std::string& message_id) {
  if (message_id.empty()) return std::nullopt;
  auto ids = txn.FindByMessageId(message_id);
  if (ids.empty()) return std::nullopt;
  return ids.front();
}

// A record for the forward itself, kept raw, when it files nothing.
util::Result<std::uint64_t> KeepForward(store::WriteTxn& txn, const Prepared& p,
                                        store::Disposition d, const std::string& reason,
                                        const std::string& forwarder) {
  if (auto s = txn.PutRaw(p.sha256, p.packed_raw); !s.ok()) return s;
  store::MessageRecord rec;
  rec.id = txn.AllocateMessageId();
  rec.account = p.source.account;
  rec.source_key = p.source.source_key;
  rec.channel = "intake";
  rec.raw_sha256 = p.sha256;
  rec.raw_size = p.raw_size;
  rec.received_at = p.source.received_at;
  rec.disposition = d;
  rec.reason = reason;
  rec.forwarder = forwarder;
  rec.content_digest = p.content_digest;
  if (p.message) {
    rec.from_name = p.message->from.name;
    rec.from_address = LowerAscii(p.message->from.address);
    rec.subject = p.message->subject;
    rec.date = p.message->date.value_or(0);
  }
  if (auto s = txn.PutMessage(rec); !s.ok()) return s;
  return rec.id;
}

std::string Days(std::int64_t seconds) {
  return std::to_string(seconds / kDay) + (seconds / kDay == 1 ? " day" : " days");
}

}  // namespace

bool ForwarderAllowed(const std::vector<std::string>& allowed, const std::string& address) {
  std::string a = LowerAscii(address);
  auto at = a.rfind('@');
  if (a.empty() || at == std::string::npos) return false;
  for (const std::string& entry : allowed) {
    std::string e = LowerAscii(entry);
    if (e.empty()) continue;
    if (e[0] == '@' ? a.compare(at, std::string::npos, e) == 0 : a == e) return true;
  }
  return false;
}

const char* IntakeDecisionName(const Outcome& o) {
  switch (o.kind) {
    case Kind::kEmpty:
      return "empty";
    case Kind::kDuplicate:
      return "duplicate";
    case Kind::kRejected:
      return "rejected";
    case Kind::kUnprocessable:
      if (o.intake == Verdict::kNotForward || o.intake == Verdict::kNone) return "unprocessable";
      break;
    default:
      break;
  }
  switch (o.intake) {
    case Verdict::kUnauthorized:
      return "unauthorized";
    case Verdict::kUnauthenticated:
      return "unauthenticated";
    case Verdict::kNotForward:
    case Verdict::kNone:
      return "not-forward";
    case Verdict::kRecovered:
      return o.kind == Kind::kThreaded ? "appended" : "accepted";
  }
  return "?";
}

namespace {

// Intake input: the intake rules, then (not a forward, or a stranger's)
// the support-mail rules on the intake account.
util::Result<Outcome> FileIntake(store::WriteTxn& txn, const Prepared& p,
                                 const FilingOptions& opts) {
  Outcome out;
  const std::string& intake_account = p.source.account;
  if (p.raw_size == 0) {
    out.kind = Kind::kEmpty;
    out.detail = "empty message (0 bytes)";
    return out;
  }
  // Already processed (a replay of the same intake mailbox): nothing
  // changes, not even the log. A recovered original is filed under the
  // account it was addressed to, so look there too.
  std::vector<std::string> owners{intake_account};
  for (const auto& [address, name] : opts.account_addresses) owners.push_back(name);
  for (const auto& owner : owners) {
    if (auto id = txn.FindBySource(owner, p.source.source_key)) {
      out.kind = Kind::kDuplicate;
      out.duplicate = DuplicateRule::kSameSource;
      out.message_id = *id;
      out.detail = "already processed as message " + std::to_string(*id);
      return out;
    }
  }

  // Not a forward (or not parseable): ordinary mail on the intake account.
  if (!p.forwarded) {
    auto o = detail::FileSupport(txn, p, opts.ingest, detail::ContentKeys::kIndexAll);
    if (!o.ok()) return o.status();
    out = std::move(o).value();
    out.intake = Verdict::kNotForward;
    if (auto s = Log(txn, p, out, "", nullptr, intake_account); !s.ok()) return s;
    return out;
  }

  const mime::Forwarded& fwd = *p.forwarded;
  const std::string forwarder = LowerAscii(fwd.forwarder.address);
  const mime::ForwardedOriginal& orig = fwd.original;
  const bool allowed = ForwarderAllowed(opts.allowed_forwarders, forwarder);
  ForwarderAuthResult auth;
  if (allowed) {
    auth =
        AuthenticateForwarder(p.message->headers, forwarder, opts.auth, p.source.channel == "imap");
  }
  if (!allowed || !auth.authenticated) {
    // A stranger, or a From: that nothing the receiving side recorded vouches
    // for, must not open tickets in a customer's name: file the mail as what
    // it is, from its real sender, and flag it.
    auto o = detail::FileSupport(txn, p, opts.ingest, detail::ContentKeys::kIndexAll);
    if (!o.ok()) return o.status();
    out = std::move(o).value();
    out.intake = allowed ? Verdict::kUnauthenticated : Verdict::kUnauthorized;
    out.detail = allowed ? "unauthenticated forward from " + forwarder + " (" + auth.reason +
                               "): filed as ordinary mail, not unwrapped"
                         : "forward from " +
                               (forwarder.empty() ? std::string("an unknown sender") : forwarder) +
                               ", who is not in allowed_forwarders: filed as ordinary mail, not "
                               "unwrapped";
    if (auto rec = txn.GetMessage(out.message_id); rec && out.kind != Kind::kDuplicate) {
      rec->reason = allowed ? "unauthenticated forward" : "unauthorized forward";
      rec->forwarder = forwarder;
      if (auto s = txn.PutMessage(*rec); !s.ok()) return s;
    }
    if (auto s = Log(txn, p, out, forwarder, &orig, intake_account); !s.ok()) return s;
    return out;
  }
  out.intake = Verdict::kRecovered;
  const std::int64_t now = p.source.received_at;
  const std::string account = AccountFor(orig, opts, intake_account);
  auto finish = [&](const Outcome& o) -> util::Result<Outcome> {
    if (auto s = Log(txn, p, o, forwarder, &orig, account); !s.ok()) return s;
    return o;
  };

  if (orig.date && now - *orig.date > opts.forward_max_age_days * kDay) {
    out.kind = Kind::kRejected;
    out.detail = "the original is " + Days(now - *orig.date) + " old (limit " +
                 std::to_string(opts.forward_max_age_days) + " days); forwarded by " + forwarder;
    auto id = KeepForward(txn, p, store::Disposition::kRejected, out.detail, forwarder);
    if (!id.ok()) return id.status();
    out.message_id = *id;
    return finish(out);
  }

  // 1. The original is already stored (fetched normally, or forwarded before).
  if (auto id = StoredMessageId(txn, orig.message_id)) {
    out.kind = Kind::kDuplicate;
    out.duplicate = DuplicateRule::kSameMessageIdRecovered;
    out.detail = "the original <" + orig.message_id + "> is already stored as message " +
                 std::to_string(*id);
    auto kept = KeepForward(txn, p, store::Disposition::kIgnored, out.detail, forwarder);
    if (!kept.ok()) return kept.status();
    out.message_id = *kept;
    if (auto rec = txn.GetMessageHead(*id)) out.ticket_id = rec->ticket_id;
    return finish(out);
  }
  // 3 (checked before creating anything): the same content already stored.
  const std::string& fp = p.original_fingerprint;
  std::optional<std::uint64_t> thread;
  thread = TaggedTicket(txn, opts.ingest.tag, orig.subject, account);
  if (!thread) {
    if (auto dup = FingerprintDuplicate(txn, fp, orig.date.value_or(0))) {
      out.kind = Kind::kDuplicate;
      out.duplicate = DuplicateRule::kSameContent;
      out.detail = "same sender, subject, text and date as message " + std::to_string(*dup);
      auto kept = KeepForward(txn, p, store::Disposition::kIgnored, out.detail, forwarder);
      if (!kept.ok()) return kept.status();
      out.message_id = *kept;
      if (auto rec = txn.GetMessageHead(*dup)) out.ticket_id = rec->ticket_id;
      return finish(out);
    }
  }

  // File the original as if it had arrived: its own record, the forward's raw bytes.
  if (auto s = txn.PutRaw(p.sha256, p.packed_raw); !s.ok()) return s;
  store::MessageRecord rec;
  rec.id = txn.AllocateMessageId();
  rec.account = account;
  rec.source_key = p.source.source_key;
  rec.channel = "recovered_forward";
  rec.message_id = orig.message_id;
  rec.raw_sha256 = p.sha256;
  rec.raw_size = p.raw_size;
  rec.received_at = now;
  rec.from_name = orig.from.name;
  rec.from_address = LowerAscii(orig.from.address);
  for (const auto& a : orig.to) rec.to.push_back(LowerAscii(a.address));
  for (const auto& a : orig.cc) rec.cc.push_back(LowerAscii(a.address));
  rec.subject = orig.subject;
  rec.date = orig.date.value_or(0);
  rec.body_text = TruncateUtf8(orig.body_text, opts.ingest.max_stored_body_bytes);
  for (const auto& a : orig.attachments) {
    rec.attachments.push_back({a.filename, a.content_type, a.size, a.sha256, a.inline_image});
  }
  rec.forwarder = forwarder;
  rec.fingerprint = fp;
  if (!orig.date) rec.parse_errors.push_back("the forward carries no recoverable original date");
  if (auto s = TagWithOutage(txn, rec); !s.ok()) return s;

  store::TicketRecord ticket;
  if (thread) {
    ticket = *txn.GetTicket(*thread);
    out.kind = Kind::kThreaded;
    out.detail = "ticket tag in the original subject";
    if (!IsParticipant(txn, ticket, rec.from_address)) {
      rec.reason = kTagFromNonParticipant;
      out.detail += " (flagged: the original's sender is not a participant of the ticket)";
    }
  } else {
    ticket.id = txn.AllocateTicketId();
    ticket.account = account;
    ticket.subject = orig.subject;
    ticket.requester_name = orig.from.name;
    ticket.requester_address = rec.from_address;
    ticket.created_at = orig.date.value_or(now);
    ticket.channel = "recovered_forward";
    ticket.forwarder = forwarder;
    ticket.outage_id = rec.outage_id;
    out.kind = Kind::kNewTicket;
    out.detail = orig.date ? "new ticket" : "new ticket; the original date is unknown (flagged)";
  }
  out.undated = !orig.date;
  ticket.message_ids.push_back(rec.id);
  ticket.updated_at = std::max(ticket.updated_at, orig.date.value_or(now));
  rec.ticket_id = ticket.id;
  if (auto s = txn.PutMessage(rec); !s.ok()) return s;
  if (auto s = txn.PutTicket(ticket); !s.ok()) return s;
  nlohmann::json ev = {{"ticket", ticket.id},    {"message", rec.id},
                       {"account", account},     {"from", rec.from_address},
                       {"forwarder", forwarder}, {"outage", rec.outage_id}};
  if (auto s = detail::AppendJsonEvent(
          txn, now, out.kind == Kind::kNewTicket ? "ticket.created" : "ticket.updated", ev);
      !s.ok()) {
    return s;
  }
  out.ticket_id = ticket.id;
  out.message_id = rec.id;
  return finish(out);
}

}  // namespace

util::Result<Outcome> File(store::WriteTxn& txn, const Prepared& p, const FilingOptions& opts) {
  if (p.source.intake) return FileIntake(txn, p, opts);
  return detail::FileSupport(txn, p, opts.ingest);
}

}  // namespace recovery
