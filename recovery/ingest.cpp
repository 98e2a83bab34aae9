#include "recovery/ingest.h"

#include <nlohmann/json.hpp>

#include "recovery/detail/event.h"
#include "recovery/fingerprint.h"
#include "recovery/outage.h"
#include "util/sha256.h"

namespace recovery {
namespace {

using Kind = Outcome::Kind;

std::optional<std::uint64_t> FindSameAccount(store::WriteTxn& txn, const std::string& account,
                                             const std::string& message_id) {
  if (message_id.empty()) return std::nullopt;
  for (std::uint64_t id : txn.FindByMessageId(message_id)) {
    auto rec = txn.GetMessageHead(id);
    if (rec && rec->account == account) return id;
  }
  return std::nullopt;
}

// Mail without a Message-ID that is already stored under another source
// (a folder rescanned after a UIDVALIDITY change, a replay of the same
// mail from a differently encoded export): same sender, subject, text and
// the very same Date.
std::optional<std::uint64_t> SameContentNoMessageId(store::WriteTxn& txn, const Prepared& p) {
  const mime::Message& m = *p.message;
  if (!m.message_id.empty() || !m.date) return std::nullopt;
  const std::string& account = p.source.account;
  for (std::uint64_t id : txn.FindByFingerprint(p.fingerprint)) {
    auto rec = txn.GetMessageHead(id);
    if (rec && rec->account == account && rec->date == *m.date) return id;
  }
  return std::nullopt;
}

// The ticket of the first stored message named by `ids` that is on one.
std::optional<std::uint64_t> TicketOfAny(store::WriteTxn& txn,
                                         const std::vector<std::string>& ids) {
  for (const std::string& mid : ids) {
    if (mid.empty()) continue;
    for (std::uint64_t id : txn.FindByMessageId(mid)) {
      auto rec = txn.GetMessageHead(id);
      if (rec && rec->ticket_id != 0) return rec->ticket_id;
    }
  }
  return std::nullopt;
}

struct Thread {
  std::uint64_t ticket_id;
  const char* by;
};

std::optional<Thread> FindThread(store::WriteTxn& txn, const mime::Message& m,
                                 const IngestOptions& opts, const std::string& account) {
  if (auto tag = TaggedTicket(txn, opts.tag, m.subject, account)) return Thread{*tag, "ticket tag"};
  if (auto t = TicketOfAny(txn, {m.in_reply_to})) return Thread{*t, "In-Reply-To"};
  // Most recent reference first: it is the closest ancestor.
  std::vector<std::string> refs(m.references.rbegin(), m.references.rend());
  if (auto t = TicketOfAny(txn, refs)) return Thread{*t, "References"};
  return std::nullopt;
}

store::MessageRecord BaseRecord(const Prepared& p, std::uint64_t id) {
  store::MessageRecord rec;
  rec.id = id;
  rec.account = p.source.account;
  rec.source_key = p.source.source_key;
  rec.channel = p.source.channel;
  rec.raw_sha256 = p.sha256;
  rec.raw_size = p.raw.size();
  rec.received_at = p.source.received_at;
  rec.arrived_at = p.source.arrived_at;
  return rec;
}

// The text itself is not copied: it is the raw message's own, and
// engine/ reads it back from there (text_in_raw).
void FillFromMessage(store::MessageRecord& rec, const Prepared& p) {
  const mime::Message& m = *p.message;
  rec.message_id = m.message_id;
  rec.in_reply_to = m.in_reply_to;
  rec.references = m.references;
  rec.classification = static_cast<std::uint8_t>(m.classification);
  rec.parse_errors = m.parse_errors;
  rec.from_name = m.from.name;
  rec.from_address = LowerAscii(m.from.address);
  for (const auto& a : m.to) rec.to.push_back(LowerAscii(a.address));
  for (const auto& a : m.cc) rec.cc.push_back(LowerAscii(a.address));
  rec.subject = m.subject;
  rec.date = m.date.value_or(0);
  rec.fingerprint = p.fingerprint;
  rec.text_in_raw = true;
  for (const auto& a : m.attachments) {
    rec.attachments.push_back({a.filename, a.content_type, a.size, a.sha256, a.inline_image});
  }
}

}  // namespace

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::string TruncateUtf8(const std::string& s, std::size_t max) {
  if (s.size() <= max) return s;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

const char* OutcomeName(Outcome::Kind k) {
  switch (k) {
    case Kind::kNewTicket:
      return "new ticket";
    case Kind::kThreaded:
      return "threaded";
    case Kind::kIgnored:
      return "ignored";
    case Kind::kUnprocessable:
      return "unprocessable";
    case Kind::kDuplicate:
      return "duplicate";
    case Kind::kEmpty:
      return "empty";
  }
  return "?";
}

Prepared Prepare(Source source, std::string raw, const mime::ParseOptions& opts) {
  Prepared p;
  p.source = std::move(source);
  p.raw = std::move(raw);
  p.sha256 = util::Sha256Hex(p.raw);
  p.packed_raw = store::PackedBlob::Pack(p.raw);
  if (p.source.source_key.empty()) {
    p.source.source_key = "sha256:" + p.sha256;
    p.source.content_key = true;
  }
  auto parsed = mime::Parse(p.raw, opts);
  if (parsed.ok()) {
    p.message = std::move(parsed).value();
    const mime::Message& m = *p.message;
    p.fingerprint = Fingerprint(LowerAscii(m.from.address), m.subject, m.body_text);
  } else {
    p.parse_status = parsed.status();
  }
  return p;
}

util::Result<Outcome> Commit(store::WriteTxn& txn, const Prepared& p, const IngestOptions& opts,
                             ContentKeys content_keys) {
  Outcome out;
  if (p.raw.empty()) {
    out.kind = Kind::kEmpty;
    out.detail = "empty message (0 bytes)";
    return out;
  }
  const std::string& account = p.source.account;
  if (auto id = txn.FindBySource(account, p.source.source_key)) {
    return Outcome{Kind::kDuplicate, *id, 0, "same source " + p.source.source_key};
  }
  if (p.message) {
    if (auto id = FindSameAccount(txn, account, p.message->message_id)) {
      return Outcome{Kind::kDuplicate, *id, 0, "same Message-ID <" + p.message->message_id + ">"};
    }
    if (auto id = SameContentNoMessageId(txn, p)) {
      return Outcome{Kind::kDuplicate, *id, 0,
                     "same sender, subject, text and Date (no Message-ID)"};
    }
  }

  if (auto s = txn.PutRaw(p.sha256, p.packed_raw); !s.ok()) return s;
  store::MessageRecord rec = BaseRecord(p, txn.AllocateMessageId());
  out.message_id = rec.id;
  // An index entry per replayed message would only repeat the Message-ID
  // index (and cost a random B-tree insert at every commit).
  const auto source_index = p.source.content_key &&
                                    content_keys == ContentKeys::kIndexWithoutMessageId &&
                                    p.message && !p.message->message_id.empty()
                                ? store::WriteTxn::SourceIndex::kSkip
                                : store::WriteTxn::SourceIndex::kIndex;
  const std::int64_t at = p.source.received_at;

  if (!p.message || p.message->from.address.empty()) {
    rec.disposition = store::Disposition::kUnprocessable;
    if (p.message) {
      FillFromMessage(rec, p);
      rec.reason = "no sender address";
    } else {
      rec.reason = p.parse_status.message();
      rec.parse_errors.push_back(p.parse_status.message());
    }
    out.kind = Kind::kUnprocessable;
    out.detail = rec.reason;
    if (auto s = txn.PutMessage(rec, source_index); !s.ok()) return s;
    if (auto s = detail::AppendJsonEvent(
            txn, at, "message.unprocessable",
            {{"message", rec.id}, {"account", account}, {"error", rec.reason}});
        !s.ok()) {
      return s;
    }
    return out;
  }

  const mime::Message& m = *p.message;
  FillFromMessage(rec, p);
  if (auto s = TagWithOutage(txn, rec); !s.ok()) return s;
  if (m.classification != mime::Classification::kNormal) {
    rec.disposition = store::Disposition::kIgnored;
    rec.reason =
        std::string(mime::ClassificationName(m.classification)) + ": " + m.classification_reason;
    out.kind = Kind::kIgnored;
    out.detail = rec.reason;
    if (auto s = txn.PutMessage(rec, source_index); !s.ok()) return s;
    if (auto s = detail::AppendJsonEvent(
            txn, at, "message.ignored",
            {{"message", rec.id}, {"account", account}, {"reason", rec.reason}});
        !s.ok()) {
      return s;
    }
    return out;
  }

  store::TicketRecord ticket;
  if (auto thread = FindThread(txn, m, opts, account)) {
    ticket = *txn.GetTicket(thread->ticket_id);
    out.kind = Kind::kThreaded;
    out.detail = thread->by;
    if (out.detail == std::string("ticket tag") && !IsParticipant(txn, ticket, rec.from_address)) {
      rec.reason = kTagFromNonParticipant;  // kept, and in the event's "flag"
    }
  } else {
    ticket.id = txn.AllocateTicketId();
    ticket.account = account;
    ticket.subject = m.subject;
    ticket.requester_name = m.from.name;
    ticket.requester_address = rec.from_address;
    ticket.created_at = m.date.value_or(at);
    ticket.channel = p.source.channel;
    out.kind = Kind::kNewTicket;
  }
  if (out.kind == Kind::kNewTicket) ticket.outage_id = rec.outage_id;
  ticket.message_ids.push_back(rec.id);
  ticket.updated_at = std::max(ticket.updated_at, m.date.value_or(at));
  rec.ticket_id = ticket.id;
  out.ticket_id = ticket.id;

  if (auto s = txn.PutMessage(rec, source_index); !s.ok()) return s;
  if (auto s = txn.PutTicket(ticket); !s.ok()) return s;
  nlohmann::json data = {{"ticket", ticket.id},
                         {"message", rec.id},
                         {"account", account},
                         {"from", rec.from_address},
                         {"subject", rec.subject}};
  if (out.kind == Kind::kThreaded) data["threaded_by"] = out.detail;
  if (!rec.reason.empty()) data["flag"] = rec.reason;
  if (auto s = detail::AppendJsonEvent(
          txn, at, out.kind == Kind::kNewTicket ? "ticket.created" : "ticket.updated", data);
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace recovery
