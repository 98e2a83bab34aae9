#include "store/verify.h"

#include <map>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "store/blob.h"
#include "store/detail/codec.h"
#include "store/detail/keys.h"
#include "store/detail/lmdb.h"
#include "store/detail/txn.h"
#include "store/detail/verify.h"
#include "store/schema.h"
#include "util/sha256.h"

namespace store {
namespace detail {
namespace {

std::string Printable(std::string_view key) {
  std::string out;
  for (unsigned char c : key) {
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string DigestHex(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : raw) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

bool DigestMatches(std::string_view bytes, std::string_view digest) {
  const util::Digest d = util::Sha256(bytes);
  return std::string_view(reinterpret_cast<const char*>(d.data()), d.size()) == digest;
}

// The walk: one pass per database, cross-checks at the end.
class Verifier {
 public:
  Verifier(MDB_txn* txn, const Dbis& dbis, const VerifyOptions& opts, VerifyReport& report)
      : txn_(txn), dbis_(dbis), opts_(opts), report_(report) {}

  util::Status Run() {
    Messages();
    Tickets();
    Sources();
    DupIndex(Db::kMsgidIndex, "msgid", [](const MessageRecord& m) { return m.message_id; });
    DupIndex(Db::kFingerprintIndex, "msgid", [](const MessageRecord& m) { return m.fingerprint; });
    Bodies();
    Raw();
    Sync();
    Counters();
    Secrets();
    References();
    return lmdb_error_;
  }

 private:
  void Find(std::string check, std::string where, std::string what) {
    if (report_.findings.size() >= opts_.max_findings) {
      ++report_.findings_dropped;
      return;
    }
    report_.findings.push_back({std::move(check), std::move(where), std::move(what)});
  }

  // Walks `db` in key order; fn(key, value). Counts the entries.
  template <class Fn>
  void Scan(Db db, Fn&& fn) {
    const auto i = static_cast<std::size_t>(db);
    std::uint64_t& count = report_.counts[std::string(DbName(db))];
    if (!dbis_.present[i]) return;
    MDB_cursor* raw = nullptr;
    int rc = mdb_cursor_open(txn_, dbis_.dbi[i], &raw);
    if (rc != 0) return Failed(LmdbError(rc, "cursor " + std::string(DbName(db))));
    CursorPtr cursor(raw);
    MDB_val k{};
    MDB_val v{};
    rc = mdb_cursor_get(raw, &k, &v, MDB_FIRST);
    while (rc == 0) {
      ++count;
      fn(FromVal(k), FromVal(v));
      rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
    }
    if (rc != MDB_NOTFOUND) Failed(LmdbError(rc, "scan " + std::string(DbName(db))));
  }

  bool Has(Db db, std::string_view key, std::string_view value = {}) {
    const auto i = static_cast<std::size_t>(db);
    if (!dbis_.present[i]) return false;
    MDB_cursor* raw = nullptr;
    if (mdb_cursor_open(txn_, dbis_.dbi[i], &raw) != 0) return false;
    CursorPtr cursor(raw);
    MDB_val k = ToVal(key);
    MDB_val v = ToVal(value);
    return mdb_cursor_get(raw, &k, &v, value.empty() ? MDB_SET_KEY : MDB_GET_BOTH) == 0;
  }

  std::optional<std::string_view> Get(Db db, std::string_view key) {
    const auto i = static_cast<std::size_t>(db);
    if (!dbis_.present[i]) return std::nullopt;
    MDB_val k = ToVal(key);
    MDB_val v{};
    const int rc = mdb_get(txn_, dbis_.dbi[i], &k, &v);
    if (rc == 0) return FromVal(v);
    if (rc != MDB_NOTFOUND) Failed(LmdbError(rc, "get " + std::string(DbName(db))));
    return std::nullopt;
  }

  void Failed(util::Status s) {
    if (lmdb_error_.ok()) lmdb_error_ = std::move(s);
  }

  // An 8-byte id key; a finding (and nullopt) when it is not one.
  std::optional<std::uint64_t> IdKey(Db db, std::string_view key) {
    std::optional<std::uint64_t> id = DecodeU64(key);
    if (!id)
      Find("record", std::string(DbName(db)) + "/" + Printable(key), "key is not an 8-byte id");
    return id;
  }

  static std::string At(Db db, std::uint64_t id) {
    return std::string(DbName(db)) + "/" + std::to_string(id);
  }

  void Messages() {
    Scan(Db::kMessages, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> id = IdKey(Db::kMessages, key);
      if (!id) return;
      util::Result<MessageRecord> r = DecodeMessage(value);
      if (!r) return Find("record", At(Db::kMessages, *id), r.status().message());
      if (r->id != *id) {
        return Find("record", At(Db::kMessages, *id), "record says id " + std::to_string(r->id));
      }
      messages_.emplace(*id, std::move(r).value());
    });
  }

  void Tickets() {
    std::unordered_map<std::uint64_t, std::uint64_t> listed_by;  // message -> ticket
    Scan(Db::kTickets, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> id = IdKey(Db::kTickets, key);
      if (!id) return;
      util::Result<TicketRecord> r = DecodeTicket(value);
      if (!r) return Find("record", At(Db::kTickets, *id), r.status().message());
      if (r->id != *id) {
        return Find("record", At(Db::kTickets, *id), "record says id " + std::to_string(r->id));
      }
      max_ticket_ = std::max(max_ticket_, *id);
      tickets_.insert(*id);
      for (std::uint64_t m : r->message_ids) {
        auto it = messages_.find(m);
        if (it == messages_.end()) {
          Find("ticket", At(Db::kTickets, *id),
               "lists message " + std::to_string(m) + ", which is not stored");
          continue;
        }
        if (it->second.ticket_id != *id) {
          Find("ticket", At(Db::kTickets, *id),
               "lists message " + std::to_string(m) + ", which names ticket " +
                   std::to_string(it->second.ticket_id));
        }
        auto [prev, fresh] = listed_by.emplace(m, *id);
        if (!fresh && prev->second != *id) {
          Find("ticket", At(Db::kTickets, *id),
               "lists message " + std::to_string(m) + ", also listed by ticket " +
                   std::to_string(prev->second));
        }
      }
    });
    for (const auto& [id, m] : messages_) {
      if (m.ticket_id == 0) continue;
      auto it = listed_by.find(id);
      if (!tickets_.count(m.ticket_id)) {
        Find("ticket", At(Db::kMessages, id),
             "names ticket " + std::to_string(m.ticket_id) + ", which is not stored");
      } else if (it == listed_by.end() || it->second != m.ticket_id) {
        Find("ticket", At(Db::kMessages, id),
             "names ticket " + std::to_string(m.ticket_id) + ", which does not list it");
      }
    }
  }

  void Sources() {
    Scan(Db::kSourceIndex, [&](std::string_view key, std::string_view value) {
      const std::string where = "source_index/" + Printable(key);
      std::optional<std::uint64_t> id = DecodeU64(value);
      if (!id) return Find("source", where, "value is not an 8-byte message id");
      auto it = messages_.find(*id);
      if (it == messages_.end()) {
        return Find("source", where,
                    "points to message " + std::to_string(*id) + ", which is not stored");
      }
      if (JoinKey(it->second.account, it->second.source_key) != key) {
        Find("source", where,
             "points to message " + std::to_string(*id) + ", whose source is " +
                 it->second.account + "/" + Printable(it->second.source_key));
      }
    });
    for (const auto& [id, m] : messages_) {
      if (m.source_key.empty()) continue;
      const std::string key = JoinKey(m.account, m.source_key);
      std::optional<std::string_view> v = Get(Db::kSourceIndex, key);
      if (!v) {
        // Replayed mail with a Message-ID is found again by it: not indexed.
        const bool skipped = m.source_key.rfind("sha256:", 0) == 0 && !m.message_id.empty();
        if (!skipped) {
          Find("source", At(Db::kMessages, id),
               "source " + m.account + "/" + Printable(m.source_key) + " is not in source_index");
        }
      } else if (DecodeU64(*v) != id) {
        // Reported from the index side when the other message exists.
        if (!messages_.count(DecodeU64(*v).value_or(0))) continue;
        Find("source", At(Db::kMessages, id),
             "source " + m.account + "/" + Printable(m.source_key) + " is indexed to message " +
                 std::to_string(DecodeU64(*v).value_or(0)));
      }
    }
  }

  template <class KeyOf>
  void DupIndex(Db db, const std::string& check, KeyOf key_of) {
    Scan(db, [&](std::string_view key, std::string_view value) {
      const std::string where = std::string(DbName(db)) + "/" + Printable(key);
      std::optional<std::uint64_t> id = DecodeU64(value);
      if (!id) return Find(check, where, "value is not an 8-byte message id");
      auto it = messages_.find(*id);
      if (it == messages_.end()) {
        return Find(check, where,
                    "points to message " + std::to_string(*id) + ", which is not stored");
      }
      if (FoldKey(key_of(it->second)) != key) {
        Find(check, where,
             "points to message " + std::to_string(*id) + ", which has " +
                 Printable(key_of(it->second)));
      }
    });
    for (const auto& [id, m] : messages_) {
      const std::string k = key_of(m);
      if (k.empty()) continue;
      if (!Has(db, FoldKey(k), EncodeU64(id))) {
        Find(check, At(Db::kMessages, id), Printable(k) + " is not in " + std::string(DbName(db)));
      }
    }
  }

  void Bodies() {
    Scan(Db::kBodies, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> id = IdKey(Db::kBodies, key);
      if (!id) return;
      if (!messages_.count(*id)) {
        Find("body", At(Db::kBodies, *id), "belongs to no stored message");
      }
      util::Result<std::string> text = Unpack(value);
      if (!text) Find("body", At(Db::kBodies, *id), text.status().message());
    });
  }

  void Raw() {
    std::unordered_set<std::uint64_t> indexed_seqs;
    std::unordered_set<std::string> digests;  // raw bytes of every stored raw
    Scan(Db::kRawIndex, [&](std::string_view key, std::string_view value) {
      const std::string where = "raw_index/" + DigestHex(key);
      if (key.size() != 32) return Find("raw", where, "key is not a 32-byte SHA-256");
      digests.emplace(key);
      std::optional<std::uint64_t> seq = DecodeU64(value);
      if (!seq) return Find("raw", where, "value is not an 8-byte sequence number");
      indexed_seqs.insert(*seq);
      std::optional<std::string_view> blob = Get(Db::kRawBlobs, EncodeU64(*seq));
      if (!blob) {
        return Find("raw", where, "names raw_blobs/" + std::to_string(*seq) + ", which is missing");
      }
      util::Result<std::string> bytes = Unpack(*blob);
      if (!bytes) {
        return Find("raw", At(Db::kRawBlobs, *seq), bytes.status().message());
      }
      if (!DigestMatches(*bytes, key)) {
        Find("raw", At(Db::kRawBlobs, *seq),
             "content does not match its SHA-256 " + DigestHex(key));
      }
    });
    Scan(Db::kRawBlobs, [&](std::string_view key, std::string_view) {
      std::optional<std::uint64_t> seq = IdKey(Db::kRawBlobs, key);
      if (!seq) return;
      max_raw_seq_ = std::max(max_raw_seq_, *seq);
      if (!indexed_seqs.count(*seq)) {
        Find("raw", At(Db::kRawBlobs, *seq), "is in no raw_index entry (unreachable)");
      }
    });
    // Older schemas' raw databases, read as fallbacks.
    for (Db db : {Db::kRawV2, Db::kRawV1}) {
      Scan(db, [&](std::string_view key, std::string_view value) {
        const std::string where = std::string(DbName(db)) + "/" + DigestHex(key);
        digests.emplace(key);
        util::Result<std::string> bytes =
            db == Db::kRawV2 ? Unpack(value) : util::Result<std::string>(std::string(value));
        if (!bytes) return Find("raw", where, bytes.status().message());
        if (!DigestMatches(*bytes, key)) Find("raw", where, "content does not match its SHA-256");
      });
    }
    std::unordered_set<std::string> referenced;
    for (const auto& [id, m] : messages_) {
      if (m.raw_sha256.empty()) continue;
      std::optional<std::string> d = HexToDigest(m.raw_sha256);
      if (!d) {
        Find("raw", At(Db::kMessages, id), "raw_sha256 is not 64 hex digits");
        continue;
      }
      referenced.insert(*d);
      if (!digests.count(*d)) {
        Find("raw", At(Db::kMessages, id), "its raw message " + m.raw_sha256 + " is not stored");
      }
    }
    for (const std::string& d : digests) {
      if (!referenced.count(d)) {
        Find("raw", "raw_index/" + DigestHex(d), "raw message referenced by no stored message");
      }
    }
  }

  void Sync() {
    std::map<std::pair<std::string, std::string>, Checkpoint> cps;
    Scan(Db::kSync, [&](std::string_view key, std::string_view value) {
      const std::string where = "sync/" + Printable(key);
      util::Result<Checkpoint> cp = DecodeCheckpoint(value);
      if (!cp) return Find("record", where, cp.status().message());
      const std::size_t nul = key.find('\0');
      if (nul == std::string_view::npos) return Find("sync", where, "key is not account\\0folder");
      cps.emplace(std::make_pair(std::string(key.substr(0, nul)), std::string(key.substr(nul + 1))),
                  *cp);
    });
    for (const auto& [id, m] : messages_) {
      // "imap:" FOLDER "/" UIDVALIDITY "/" UID; folders may contain '/'.
      if (m.source_key.rfind("imap:", 0) != 0) continue;
      const std::string& sk = m.source_key;
      const std::size_t last = sk.rfind('/');
      const std::size_t mid =
          last == std::string::npos || last == 0 ? std::string::npos : sk.rfind('/', last - 1);
      if (mid == std::string::npos || mid < 5) continue;
      const std::string folder = sk.substr(5, mid - 5);
      const unsigned long long validity = std::strtoull(sk.c_str() + mid + 1, nullptr, 10);
      const unsigned long long uid = std::strtoull(sk.c_str() + last + 1, nullptr, 10);
      auto it = cps.find({m.account, folder});
      if (it == cps.end()) {
        Find("sync", At(Db::kMessages, id),
             "stored from " + m.account + "/" + folder + ", which has no sync checkpoint");
      } else if (it->second.uidvalidity == validity && uid > it->second.last_uid) {
        Find("sync", "sync/" + m.account + "/" + folder,
             "checkpoint at UID " + std::to_string(it->second.last_uid) +
                 " is behind stored message " + std::to_string(id) + " (UID " +
                 std::to_string(uid) + ")");
      }
    }
  }

  void Counter(std::string_view name, std::uint64_t max_used) {
    std::optional<std::string_view> v = Get(Db::kMeta, name);
    const std::uint64_t next = v ? DecodeU64(*v).value_or(0) : 1;
    if (v && !DecodeU64(*v)) {
      return Find("counter", "meta/" + std::string(name), "not an 8-byte counter");
    }
    if (next <= max_used) {
      Find("counter", "meta/" + std::string(name),
           "next value " + std::to_string(next) + " is not above id " + std::to_string(max_used) +
               " already in use (a new record would overwrite it)");
    }
  }

  void Counters() {
    std::uint64_t max_message = messages_.empty() ? 0 : messages_.rbegin()->first;
    Counter(kMetaNextMessageId, max_message);
    Counter(kMetaNextTicketId, max_ticket_);
    Counter(kMetaNextRawSeq, max_raw_seq_);
  }

  void Secrets() {
    std::uint64_t opened = 0;
    Scan(Db::kSecrets, [&](std::string_view key, std::string_view value) {
      if (opts_.secrets == nullptr) return;
      util::Result<std::string> plain = opts_.secrets->Open(value, key);
      if (plain) {
        ++opened;
      } else {
        Find("secret", "secrets/" + Printable(key), plain.status().message());
      }
    });
    const std::uint64_t n = report_.counts["secrets"];
    report_.secrets = opts_.secrets == nullptr ? "not checked: " + opts_.secrets_not_checked_why
                                               : "checked: " + std::to_string(opened) + " of " +
                                                     std::to_string(n) + " opened";
  }

  void References() {
    Scan(Db::kOutages, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> id = IdKey(Db::kOutages, key);
      if (!id) return;
      util::Result<OutageRecord> r = DecodeOutage(value);
      if (!r) return Find("record", At(Db::kOutages, *id), r.status().message());
      if (r->id != *id)
        Find("record", At(Db::kOutages, *id), "record says id " + std::to_string(r->id));
    });
    Scan(Db::kIntakeLog, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> seq = IdKey(Db::kIntakeLog, key);
      if (!seq) return;
      util::Result<IntakeLogRecord> r = DecodeIntakeLog(*seq, value);
      if (!r) return Find("record", At(Db::kIntakeLog, *seq), r.status().message());
      if (r->ticket_id != 0 && !tickets_.count(r->ticket_id)) {
        Find("reference", At(Db::kIntakeLog, *seq),
             "names ticket " + std::to_string(r->ticket_id) + ", which is not stored");
      }
      if (r->message_id != 0 && !messages_.count(r->message_id)) {
        Find("reference", At(Db::kIntakeLog, *seq),
             "names message " + std::to_string(r->message_id) + ", which is not stored");
      }
    });
    Scan(Db::kEvents, [&](std::string_view key, std::string_view value) {
      std::optional<std::uint64_t> seq = IdKey(Db::kEvents, key);
      if (!seq) return;
      util::Result<Event> ev = DecodeEvent(*seq, value);
      if (!ev) Find("record", At(Db::kEvents, *seq), ev.status().message());
    });
  }

  MDB_txn* txn_;
  const Dbis& dbis_;
  const VerifyOptions& opts_;
  VerifyReport& report_;
  util::Status lmdb_error_;
  std::map<std::uint64_t, MessageRecord> messages_;
  std::unordered_set<std::uint64_t> tickets_;
  std::uint64_t max_ticket_ = 0;
  std::uint64_t max_raw_seq_ = 0;
};

}  // namespace

util::Status VerifyTxn(MDB_txn* txn, const Dbis& dbis, const VerifyOptions& opts,
                       VerifyReport& report) {
  try {
    return Verifier(txn, dbis, opts, report).Run();
  } catch (const std::exception& e) {
    return util::Error(util::Code::kInternal, std::string("verify: ") + e.what());
  }
}

}  // namespace detail

util::Result<VerifyReport> Verify(Store& st, const VerifyOptions& opts) {
  VerifyReport report;
  if (util::Status s = st.VerifyInto(opts, report); !s.ok()) return s;
  return report;
}

}  // namespace store
