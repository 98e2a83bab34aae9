#include "recovery/ingest.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "recovery/detail/event.h"
#include "recovery/fingerprint.h"
#include "recovery/outage.h"
#include "util/sha256.h"

namespace recovery {
namespace {

using Kind = Outcome::Kind;

// Messages of `account` stored under this Message-ID, oldest first.
std::vector<store::MessageRecord> SameMessageId(store::WriteTxn& txn, const std::string& account,
                                                const std::string& message_id) {
  std::vector<store::MessageRecord> out;
  if (message_id.empty()) return out;
  for (std::uint64_t id : txn.FindByMessageId(message_id)) {
    auto rec = txn.GetMessageHead(id);
    if (rec && rec->account == account && rec->message_id == message_id) {
      out.push_back(std::move(*rec));
    }
  }
  return out;
}

// The content digest of mail from its raw bytes, the way Prepare takes it:
// attachments decoded and hashed (the default ParseOptions), and the raw
// digest for mail that does not parse. Both lazy digests below go through
// here, so they cannot drift from each other.
std::string ContentDigestFromRaw(std::string_view raw, std::string_view raw_sha256_hex) {
  auto parsed = mime::Parse(raw);
  return parsed.ok() ? ContentDigest(*parsed) : RawContentDigest(raw_sha256_hex);
}

// The content digest of a stored message. Records without one (written
// before the digest existed, or mail with a Message-ID, whose digest
// Prepare skips) have it worked out from their raw bytes, once per lookup.
std::string StoredContentDigest(store::WriteTxn& txn, const store::MessageRecord& rec) {
  if (!rec.content_digest.empty()) return rec.content_digest;
  auto raw = txn.GetRaw(rec.raw_sha256);
  if (!raw) return {};
  return ContentDigestFromRaw(*raw, rec.raw_sha256);
}

struct Match {
  std::uint64_t id;
  DuplicateRule rule;
};

// The content digest of `p`: Prepare leaves it out for mail with a
// Message-ID (its attachments were not decoded), so it is worked out from
// the raw bytes here, only when that Message-ID is already stored. The
// digest is the same either way: this parse decodes what Prepare skipped.
std::string ContentDigestOf(const Prepared& p) {
  if (!p.content_digest.empty()) return p.content_digest;
  std::string joined;
  std::string_view raw = p.packed_raw.body();
  if (p.packed_raw.compressed()) {
    auto unpacked = store::Unpack(p.packed_raw.stored());
    if (!unpacked.ok()) return RawContentDigest(p.sha256);
    joined = std::move(unpacked).value();
    raw = joined;
  }
  return ContentDigestFromRaw(raw, p.sha256);
}

// README "Dedupe": a message is a duplicate only when it is the same mail.
// `digest` gets p's content digest when it had to be worked out here, so a
// message kept after all stores it and is not parsed again for the next.
std::optional<Match> FindDuplicate(store::WriteTxn& txn, const Prepared& p,
                                   const std::vector<store::MessageRecord>& same_mid,
                                   std::string& digest) {
  const std::string& acct = p.source.account;
  if (auto id = txn.FindBySource(acct, p.source.source_key)) {
    return Match{*id, DuplicateRule::kSameSource};
  }
  if (p.message && !p.message->message_id.empty()) {
    for (const auto& rec : same_mid) {
      // An original the intake rebuilt from a forward is that very mail,
      // though not its bytes: the real copy arriving later adds nothing.
      if (rec.channel == "recovered_forward") {
        return Match{rec.id, DuplicateRule::kSameMessageIdRecovered};
      }
      // The same bytes (a replay run again, a byte-for-byte copy) are the
      // same content: no digest, no parse.
      if (rec.raw_sha256 == p.sha256) return Match{rec.id, DuplicateRule::kSameMessageIdAndContent};
      if (digest.empty()) digest = ContentDigestOf(p);  // on the first candidate
      if (StoredContentDigest(txn, rec) == digest) {
        return Match{rec.id, DuplicateRule::kSameMessageIdAndContent};
      }
    }
    return std::nullopt;
  }
  for (std::uint64_t id : txn.FindByContent(p.content_digest)) {
    auto rec = txn.GetMessageHead(id);
    if (rec && rec->account == acct) return Match{id, DuplicateRule::kSameContent};
  }
  // Mail stored before content digests were kept: its fingerprint (sender,
  // subject, text prefix) finds the candidates, the digest of its raw
  // bytes decides.
  if (!p.message || p.fingerprint.empty()) return std::nullopt;
  for (std::uint64_t id : txn.FindByFingerprint(p.fingerprint)) {
    auto rec = txn.GetMessageHead(id);
    if (!rec || rec->account != acct || !rec->content_digest.empty() || !rec->message_id.empty()) {
      continue;
    }
    if (StoredContentDigest(txn, *rec) == p.content_digest) {
      return Match{id, DuplicateRule::kSameContent};
    }
  }
  return std::nullopt;
}

std::string DuplicateDetail(const Prepared& p, const Match& m) {
  const std::string stored = " as message " + std::to_string(m.id);
  switch (m.rule) {
    case DuplicateRule::kSameSource:
      return "already stored from " + p.source.source_key + stored;
    case DuplicateRule::kSameMessageIdAndContent:
      return "same Message-ID <" + p.message->message_id + "> and same content, already stored" +
             stored;
    case DuplicateRule::kSameMessageIdRecovered:
      return "same Message-ID <" + p.message->message_id + ">, already recovered from a forward" +
             stored;
    case DuplicateRule::kSameContent:
      return "no Message-ID; same content, already stored" + stored;
    case DuplicateRule::kNone:
      break;
  }
  return "duplicate" + stored;
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
                                 const IngestOptions& opts, const std::string& account,
                                 const std::vector<store::MessageRecord>& same_mid) {
  if (auto tag = TaggedTicket(txn, opts.tag, m.subject, account)) return Thread{*tag, "ticket tag"};
  if (auto t = TicketOfAny(txn, {m.in_reply_to})) return Thread{*t, "In-Reply-To"};
  // Most recent reference first: it is the closest ancestor.
  std::vector<std::string> refs(m.references.rbegin(), m.references.rend());
  if (auto t = TicketOfAny(txn, refs)) return Thread{*t, "References"};
  // Other mail under the same Message-ID: whoever reused it meant that thread.
  for (const auto& rec : same_mid) {
    if (rec.ticket_id != 0) return Thread{rec.ticket_id, "reused Message-ID"};
  }
  return std::nullopt;
}

store::MessageRecord BaseRecord(const Prepared& p, std::uint64_t id) {
  store::MessageRecord rec;
  rec.id = id;
  rec.account = p.source.account;
  rec.source_key = p.source.source_key;
  rec.channel = p.source.channel;
  rec.raw_sha256 = p.sha256;
  rec.raw_size = p.raw_size;
  rec.received_at = p.source.received_at;
  rec.arrived_at = p.source.arrived_at;
  rec.content_digest = p.content_digest;
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

const char* DuplicateRuleName(DuplicateRule r) {
  switch (r) {
    case DuplicateRule::kNone:
      return "none";
    case DuplicateRule::kSameSource:
      return "same source";
    case DuplicateRule::kSameMessageIdAndContent:
      return "same Message-ID and content";
    case DuplicateRule::kSameMessageIdRecovered:
      return "same Message-ID as a recovered forward";
    case DuplicateRule::kSameContent:
      return "same content";
  }
  return "?";
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
    case Kind::kRejected:
      return "rejected";
  }
  return "?";
}

Prepared Prepare(Source source, util::Bytes raw, const mime::ParseOptions& opts) {
  Prepared p;
  p.source = std::move(source);
  p.raw = std::move(raw);
  p.sha256 = util::Sha256Hex(p.raw.view());
  if (p.source.source_key.empty()) {
    p.source.source_key = "sha256:" + p.sha256;
    p.source.content_key = true;
  }
  p.raw_size = p.raw.size();
  // Attachments are decoded and hashed only where something reads them
  // now: the intake (forwards carry the original's files) and mail without
  // a Message-ID, whose content digest the dedupe looks up by. Mail with
  // one is compared by content only when its Message-ID is already stored,
  // and the writer works that digest out then (ContentDigestOf).
  mime::ParseOptions full = opts;
  full.hash_attachments = true;
  mime::ParseOptions quick = opts;
  quick.hash_attachments = p.source.intake;
  auto parsed = mime::Parse(p.raw.view(), quick);
  if (parsed.ok() && parsed->message_id.empty() &&
      std::any_of(parsed->attachments.begin(), parsed->attachments.end(),
                  [](const mime::Attachment& a) { return a.sha256.empty(); })) {
    parsed = mime::Parse(p.raw.view(), full);
  }
  if (parsed.ok()) {
    p.message = std::move(parsed).value();
    const mime::Message& m = *p.message;
    p.fingerprint = Fingerprint(LowerAscii(m.from.address), m.subject, m.body_text);
    if (m.message_id.empty() || p.source.intake) p.content_digest = ContentDigest(m);
    if (p.source.intake) {
      p.forwarded = mime::UnwrapForward(m);
      if (p.forwarded) {
        const mime::ForwardedOriginal& o = p.forwarded->original;
        p.original_fingerprint = Fingerprint(o.from.address, o.subject, o.body_text);
      }
    }
    // Filing reads headers, never the text (the store reads it back from the
    // raw message): drop what would only wait in memory for the writer.
    p.message->body_text = std::string();
    p.message->body_html = std::string();
    p.message->attached_messages = {};
  } else {
    p.parse_status = parsed.status();
    p.content_digest = RawContentDigest(p.sha256);
  }
  // Packed last, once the parse has let go of everything it decoded: what
  // is kept as it is shares `raw`, so nothing here holds a second copy.
  p.packed_raw = store::PackedBlob::PackShared(p.raw);
  p.raw = util::Bytes();
  return p;
}

namespace detail {

util::Result<Outcome> FileSupport(store::WriteTxn& txn, const Prepared& p,
                                  const IngestOptions& opts, ContentKeys content_keys) {
  Outcome out;
  if (p.raw_size == 0) {
    out.kind = Kind::kEmpty;
    out.detail = "empty message (0 bytes)";
    return out;
  }
  const std::string& account = p.source.account;
  const std::int64_t at = p.source.received_at;
  const std::vector<store::MessageRecord> same_mid =
      p.message ? SameMessageId(txn, account, p.message->message_id)
                : std::vector<store::MessageRecord>{};
  std::string digest;
  if (auto dup = FindDuplicate(txn, p, same_mid, digest)) {
    out.kind = Kind::kDuplicate;
    out.message_id = dup->id;
    out.duplicate = dup->rule;
    out.detail = DuplicateDetail(p, *dup);
    if (auto rec = txn.GetMessageHead(dup->id)) out.ticket_id = rec->ticket_id;
    if (auto s = detail::AppendJsonEvent(txn, at, "message.duplicate",
                                         {{"input", p.source.source_key},
                                          {"account", account},
                                          {"matched", dup->id},
                                          {"rule", DuplicateRuleName(dup->rule)}});
        !s.ok()) {
      return s;
    }
    return out;
  }

  if (auto s = txn.PutRaw(p.sha256, p.packed_raw); !s.ok()) return s;
  store::MessageRecord rec = BaseRecord(p, txn.AllocateMessageId());
  if (rec.content_digest.empty()) rec.content_digest = std::move(digest);
  out.message_id = rec.id;
  // An index entry per replayed message would only repeat the Message-ID
  // index (and cost a random B-tree insert at every commit).
  const auto source_index = p.source.content_key &&
                                    content_keys == ContentKeys::kIndexWithoutMessageId &&
                                    p.message && !p.message->message_id.empty()
                                ? store::WriteTxn::SourceIndex::kSkip
                                : store::WriteTxn::SourceIndex::kIndex;

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
  if (!same_mid.empty()) {
    rec.message_id_reused = true;
    out.reuses_message_id_of = same_mid.front().id;
  }
  if (auto s = TagWithOutage(txn, rec); !s.ok()) return s;
  if (m.classification != mime::Classification::kNormal) {
    rec.disposition = store::Disposition::kIgnored;
    rec.reason =
        std::string(mime::ClassificationName(m.classification)) + ": " + m.classification_reason;
    out.kind = Kind::kIgnored;
    out.classification = m.classification;
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
  if (auto thread = FindThread(txn, m, opts, account, same_mid)) {
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
  if (out.reuses_message_id_of != 0) data["reuses_message_id_of"] = out.reuses_message_id_of;
  if (auto s = detail::AppendJsonEvent(
          txn, at, out.kind == Kind::kNewTicket ? "ticket.created" : "ticket.updated", data);
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace detail
}  // namespace recovery
