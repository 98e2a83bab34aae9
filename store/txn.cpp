#include "store/detail/txn.h"

#include <cstring>

#include <nlohmann/json.hpp>

#include "store/blob.h"
#include "store/detail/codec.h"
#include "store/detail/keys.h"
#include "store/detail/lmdb.h"
#include "util/sha256.h"

namespace store::detail {
namespace {

util::Status Invalid(std::string msg) {
  return util::Error(util::Code::kInvalidArgument, std::move(msg));
}

std::string Label(Db db, std::string_view key) {
  std::string s(DbName(db));
  s += '/';
  s += key;
  return s;
}

// Labels for error messages: keys as an operator would name them.
std::string IdLabel(std::uint64_t id) { return std::to_string(id); }
std::string PairLabel(std::string_view a, std::string_view b) {
  std::string s(a);
  s += '/';
  s += b;
  return s;
}

// A raw_blobs key for error messages, with the digest an operator looks up.
std::string RawBlobLabel(std::uint64_t seq, std::string_view sha256_hex) {
  std::string s = IdLabel(seq);
  s += " (sha256 ";
  s += sha256_hex;
  s += ')';
  return s;
}

std::uint64_t FirstIdOr0(std::string_view value) { return DecodeU64(value).value_or(0); }

}  // namespace

// ---- primitives -----------------------------------------------------------

void TxnImpl::ReadFailed(util::Status s) {
  if (read_error_.ok()) read_error_ = std::move(s);
}

util::Status TxnImpl::WriteFailed(util::Status s) {
  if (write_error_.ok()) write_error_ = s;
  return s;
}

util::Status TxnImpl::RequireWritable() {
  if (writable_) return util::Status::Ok();
  return util::Error(util::Code::kInternal, "write in a read-only transaction");
}

bool TxnImpl::Get(Db db, std::string_view key, std::string_view label, std::string_view& out) {
  const auto i = static_cast<std::size_t>(db);
  if (!dbis_.present[i] || key.empty()) return false;
  MDB_val k = ToVal(key);
  MDB_val v{};
  int rc = mdb_get(txn_, dbis_.dbi[i], &k, &v);
  if (rc == 0) {
    out = FromVal(v);
    return true;
  }
  if (rc != MDB_NOTFOUND) ReadFailed(LmdbError(rc, "get " + Label(db, label)));
  return false;
}

util::Status TxnImpl::Put(Db db, std::string_view key, std::string_view value, Exists exists,
                          std::string_view label) {
  unsigned flags = 0;
  if (exists == Exists::kAppend) {
    flags = MDB_APPEND;
  } else if (exists != Exists::kOverwrite) {
    flags = db == Db::kMsgidIndex || db == Db::kFingerprintIndex || db == Db::kContentIndex
                ? MDB_NODUPDATA
                : MDB_NOOVERWRITE;
  }
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  const auto i = static_cast<std::size_t>(db);
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  int rc = mdb_put(txn_, dbis_.dbi[i], &k, &v, flags);
  if (rc == 0 || (rc == MDB_KEYEXIST && exists == Exists::kKeep)) return util::Status::Ok();
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return WriteFailed(LmdbError(rc, "put " + Label(db, label)));
}

util::Status TxnImpl::AppendJoined(Db db, std::string_view key, std::string_view head,
                                   std::string_view body, std::string_view label) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  const auto i = static_cast<std::size_t>(db);
  MDB_val k = ToVal(key);
  MDB_val v{head.size() + body.size(), nullptr};
  int rc = mdb_put(txn_, dbis_.dbi[i], &k, &v, MDB_RESERVE | MDB_APPEND);
  if (rc == 0) {
    char* out = static_cast<char*>(v.mv_data);
    if (!head.empty()) std::memcpy(out, head.data(), head.size());
    if (!body.empty()) std::memcpy(out + head.size(), body.data(), body.size());
    return util::Status::Ok();
  }
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return WriteFailed(LmdbError(rc, "put " + Label(db, label)));
}

util::Status TxnImpl::Del(Db db, std::string_view key, const std::string* value,
                          std::string_view label) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  const auto i = static_cast<std::size_t>(db);
  MDB_val k = ToVal(key);
  MDB_val v{};
  if (value != nullptr) v = ToVal(*value);
  int rc = mdb_del(txn_, dbis_.dbi[i], &k, value != nullptr ? &v : nullptr);
  if (rc == 0 || rc == MDB_NOTFOUND) return util::Status::Ok();
  if (rc == MDB_MAP_FULL) map_full_ = true;
  return WriteFailed(LmdbError(rc, "del " + Label(db, label)));
}

template <class Fn>
void TxnImpl::Scan(Db db, std::string_view start, Fn&& fn) {
  const auto i = static_cast<std::size_t>(db);
  if (!dbis_.present[i]) return;
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(txn_, dbis_.dbi[i], &raw);
  if (rc != 0) return ReadFailed(LmdbError(rc, "cursor " + std::string(DbName(db))));
  CursorPtr cursor(raw);
  MDB_val k = ToVal(start);
  MDB_val v{};
  rc = mdb_cursor_get(raw, &k, &v, start.empty() ? MDB_FIRST : MDB_SET_RANGE);
  while (rc == 0) {
    if (!fn(FromVal(k), FromVal(v))) return;
    rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND) ReadFailed(LmdbError(rc, "scan " + std::string(DbName(db))));
}

std::uint64_t TxnImpl::Entries(Db db) {
  const auto i = static_cast<std::size_t>(db);
  if (!dbis_.present[i]) return 0;
  MDB_stat st{};
  int rc = mdb_stat(txn_, dbis_.dbi[i], &st);
  if (rc != 0) {
    ReadFailed(LmdbError(rc, "stat " + std::string(DbName(db))));
    return 0;
  }
  return st.ms_entries;
}

std::optional<std::uint64_t> TxnImpl::PeekCounter(std::string_view counter) {
  std::string_view v;
  if (!Get(Db::kMeta, counter, counter, v)) {
    if (!read_error_.ok()) return std::nullopt;
    return 1;
  }
  std::optional<std::uint64_t> n = DecodeU64(v);
  if (!n) {
    ReadFailed(util::Error(util::Code::kCorruption,
                           "meta/" + std::string(counter) + ": not an 8-byte counter"));
  }
  return n;
}

std::uint64_t TxnImpl::Allocate(std::string_view counter) {
  if (!RequireWritable().ok()) return 0;
  std::optional<std::uint64_t> next = PeekCounter(counter);
  if (!next) {
    WriteFailed(read_error_.ok() ? util::Error(util::Code::kInternal, "counter") : read_error_);
    return 0;
  }
  if (!Put(Db::kMeta, counter, EncodeU64(*next + 1), Exists::kOverwrite, counter).ok()) return 0;
  return *next;
}

// ---- ReadTxn --------------------------------------------------------------

std::optional<MessageRecord> TxnImpl::GetMessageHead(std::uint64_t id) {
  std::string_view v;
  if (!Get(Db::kMessages, EncodeU64(id), IdLabel(id), v)) return std::nullopt;
  util::Result<MessageRecord> r = DecodeMessage(v);
  if (r && r->id != id) r = util::Error(util::Code::kCorruption, "record id mismatch");
  if (!r) {
    ReadFailed(util::Error(r.status().code(),
                           Label(Db::kMessages, IdLabel(id)) + ": " + r.status().message()));
    return std::nullopt;
  }
  return std::move(r).value();
}

std::optional<MessageRecord> TxnImpl::GetMessage(std::uint64_t id) {
  std::optional<MessageRecord> rec = GetMessageHead(id);
  std::string_view stored;
  if (rec && Get(Db::kBodies, EncodeU64(id), IdLabel(id), stored)) {
    std::optional<std::string> body = Unpacked(Db::kBodies, IdLabel(id), stored);
    if (!body) return std::nullopt;
    rec->body_text = std::move(*body);
  }
  return rec;
}

std::optional<TicketRecord> TxnImpl::GetTicket(std::uint64_t id) {
  std::string_view v;
  if (!Get(Db::kTickets, EncodeU64(id), IdLabel(id), v)) return std::nullopt;
  util::Result<TicketRecord> r = DecodeTicket(v);
  if (r && r->id != id) r = util::Error(util::Code::kCorruption, "record id mismatch");
  if (!r) {
    ReadFailed(util::Error(r.status().code(),
                           Label(Db::kTickets, IdLabel(id)) + ": " + r.status().message()));
    return std::nullopt;
  }
  return std::move(r).value();
}

std::optional<std::uint64_t> TxnImpl::FindBySource(std::string_view account,
                                                   std::string_view source_key) {
  std::string_view v;
  if (!Get(Db::kSourceIndex, JoinKey(account, source_key), PairLabel(account, source_key), v)) {
    return std::nullopt;
  }
  std::optional<std::uint64_t> id = DecodeU64(v);
  if (!id) {
    ReadFailed(util::Error(
        util::Code::kCorruption,
        Label(Db::kSourceIndex, PairLabel(account, source_key)) + ": not an 8-byte id"));
  }
  return id;
}

std::vector<std::uint64_t> TxnImpl::FindByMessageId(std::string_view message_id) {
  return FindDups(Db::kMsgidIndex, message_id);
}

std::vector<std::uint64_t> TxnImpl::FindByFingerprint(std::string_view fingerprint) {
  return FindDups(Db::kFingerprintIndex, fingerprint);
}

std::vector<std::uint64_t> TxnImpl::FindByContent(std::string_view content_digest) {
  return FindDups(Db::kContentIndex, content_digest);
}

std::vector<std::uint64_t> TxnImpl::FindDups(Db db, std::string_view label) {
  std::vector<std::uint64_t> ids;
  const auto i = static_cast<std::size_t>(db);
  if (label.empty() || !dbis_.present[i]) return ids;
  MDB_cursor* raw = nullptr;
  int rc = mdb_cursor_open(txn_, dbis_.dbi[i], &raw);
  if (rc != 0) {
    ReadFailed(LmdbError(rc, "cursor " + std::string(kDbNames[i])));
    return ids;
  }
  CursorPtr cursor(raw);
  std::string key = FoldKey(std::string(label));
  MDB_val k = ToVal(key);
  MDB_val v{};
  // Duplicates come back in value order: big-endian ids, oldest first.
  rc = mdb_cursor_get(raw, &k, &v, MDB_SET_KEY);
  while (rc == 0) {
    ids.push_back(FirstIdOr0(FromVal(v)));
    rc = mdb_cursor_get(raw, &k, &v, MDB_NEXT_DUP);
  }
  if (rc != MDB_NOTFOUND) {
    ReadFailed(LmdbError(rc, "get " + Label(db, label)));
  }
  return ids;
}

std::optional<std::string> TxnImpl::GetRaw(std::string_view sha256_hex) {
  std::optional<std::string> digest = HexToDigest(sha256_hex);
  if (!digest) return std::nullopt;
  std::string_view v;
  std::optional<std::string> raw;
  std::string label(sha256_hex);
  Db db = Db::kRawIndex;
  if (Get(db, *digest, label, v)) {
    std::optional<std::uint64_t> seq = DecodeU64(v);
    if (!seq) {
      ReadFailed(util::Error(util::Code::kCorruption,
                             Label(db, label) + ": not an 8-byte raw sequence number"));
      return std::nullopt;
    }
    label = RawBlobLabel(*seq, sha256_hex);
    if (!Get(db = Db::kRawBlobs, EncodeU64(*seq), label, v)) {
      if (read_error_.ok()) {
        ReadFailed(util::Error(util::Code::kCorruption,
                               Label(db, label) + ": missing, though raw_index names it"));
      }
      return std::nullopt;
    }
    raw = Unpacked(db, label, v);
  } else if (Get(db = Db::kRawV2, *digest, label, v)) {
    raw = Unpacked(db, label, v);
  } else if (Get(db = Db::kRawV1, *digest, label, v)) {
    raw = std::string(v);
  }
  // The address is the content's digest: a damaged page cannot pass for mail.
  if (!raw) return std::nullopt;
  const util::Digest d = util::Sha256(*raw);
  if (std::string_view(reinterpret_cast<const char*>(d.data()), d.size()) != *digest) {
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(db, label) + ": content does not match its SHA-256"));
    return std::nullopt;
  }
  return raw;
}

std::optional<std::string> TxnImpl::Unpacked(Db db, std::string_view label,
                                             std::string_view stored) {
  util::Result<std::string> r = Unpack(stored);
  if (!r) {
    ReadFailed(util::Error(r.status().code(), Label(db, label) + ": " + r.status().message()));
    return std::nullopt;
  }
  return std::move(r).value();
}

std::optional<Checkpoint> TxnImpl::GetCheckpoint(std::string_view account,
                                                 std::string_view folder) {
  std::string_view v;
  const std::string label = PairLabel(account, folder);
  if (!Get(Db::kSync, JoinKey(account, folder), label, v)) return std::nullopt;
  util::Result<Checkpoint> cp = DecodeCheckpoint(v);
  if (!cp) {
    ReadFailed(
        util::Error(cp.status().code(), Label(Db::kSync, label) + ": " + cp.status().message()));
    return std::nullopt;
  }
  return *cp;
}

std::optional<std::string> TxnImpl::GetAccount(std::string_view name) {
  std::string_view v;
  if (!Get(Db::kAccounts, FoldKey(std::string(name)), name, v)) return std::nullopt;
  return std::string(v);
}

void TxnImpl::ForEachTicket(const std::function<bool(const TicketRecord&)>& fn) {
  Scan(Db::kTickets, {}, [&](std::string_view key, std::string_view value) {
    util::Result<TicketRecord> r = DecodeTicket(value);
    if (r && r->id == FirstIdOr0(key)) return fn(*r);
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(Db::kTickets, IdLabel(FirstIdOr0(key))) + ": " +
                               (r ? std::string("record id mismatch") : r.status().message())));
    return true;
  });
}

void TxnImpl::ForEachMessage(const std::function<bool(const MessageRecord&)>& fn) {
  Scan(Db::kMessages, {}, [&](std::string_view key, std::string_view value) {
    util::Result<MessageRecord> r = DecodeMessage(value);
    if (r && r->id == FirstIdOr0(key)) return fn(*r);
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(Db::kMessages, IdLabel(FirstIdOr0(key))) + ": " +
                               (r ? std::string("record id mismatch") : r.status().message())));
    return true;
  });
}

void TxnImpl::ForEachEvent(std::uint64_t after_seq, const std::function<bool(const Event&)>& fn) {
  if (after_seq == UINT64_MAX) return;
  Scan(Db::kEvents, EncodeU64(after_seq + 1), [&](std::string_view key, std::string_view value) {
    const std::uint64_t seq = FirstIdOr0(key);
    util::Result<Event> ev = DecodeEvent(seq, value);
    if (ev) return fn(*ev);
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(Db::kEvents, IdLabel(seq)) + ": " + ev.status().message()));
    return true;
  });
}

std::optional<OutageRecord> TxnImpl::GetOutage(std::uint64_t id) {
  std::string_view v;
  if (!Get(Db::kOutages, EncodeU64(id), IdLabel(id), v)) return std::nullopt;
  util::Result<OutageRecord> r = DecodeOutage(v);
  if (r && r->id != id) r = util::Error(util::Code::kCorruption, "record id mismatch");
  if (!r) {
    ReadFailed(util::Error(r.status().code(),
                           Label(Db::kOutages, IdLabel(id)) + ": " + r.status().message()));
    return std::nullopt;
  }
  return std::move(r).value();
}

void TxnImpl::ForEachOutage(const std::function<bool(const OutageRecord&)>& fn) {
  Scan(Db::kOutages, {}, [&](std::string_view key, std::string_view value) {
    util::Result<OutageRecord> r = DecodeOutage(value);
    if (r && r->id == FirstIdOr0(key)) return fn(*r);
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(Db::kOutages, IdLabel(FirstIdOr0(key))) + ": " +
                               (r ? std::string("record id mismatch") : r.status().message())));
    return true;
  });
}

std::optional<std::string> TxnImpl::GetSecret(std::string_view name) {
  std::string_view v;
  if (!Get(Db::kSecrets, FoldKey(std::string(name)), name, v)) return std::nullopt;
  return std::string(v);
}

void TxnImpl::ForEachIntakeLog(std::uint64_t after_seq,
                               const std::function<bool(const IntakeLogRecord&)>& fn) {
  if (after_seq == UINT64_MAX) return;
  Scan(Db::kIntakeLog, EncodeU64(after_seq + 1), [&](std::string_view key, std::string_view value) {
    const std::uint64_t seq = FirstIdOr0(key);
    util::Result<IntakeLogRecord> r = DecodeIntakeLog(seq, value);
    if (r) return fn(*r);
    ReadFailed(util::Error(util::Code::kCorruption,
                           Label(Db::kIntakeLog, IdLabel(seq)) + ": " + r.status().message()));
    return true;
  });
}

std::uint64_t TxnImpl::TicketCount() { return Entries(Db::kTickets); }
std::uint64_t TxnImpl::MessageCount() { return Entries(Db::kMessages); }

// ---- WriteTxn -------------------------------------------------------------

std::uint64_t TxnImpl::AllocateTicketId() { return Allocate(kMetaNextTicketId); }
std::uint64_t TxnImpl::AllocateMessageId() { return Allocate(kMetaNextMessageId); }

util::Status TxnImpl::PutMessage(const MessageRecord& rec, SourceIndex source) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  std::optional<std::uint64_t> next = PeekCounter(kMetaNextMessageId);
  if (!next) return WriteFailed(read_error_);
  if (rec.id == 0 || rec.id >= *next) {
    return Invalid("put messages/" + IdLabel(rec.id) + ": id was not allocated");
  }
  if (rec.account.find('\0') != std::string::npos) {
    return Invalid("put messages/" + IdLabel(rec.id) + ": account name contains NUL");
  }
  const std::string src = rec.source_key.empty() || source == SourceIndex::kSkip
                              ? std::string()
                              : JoinKey(rec.account, rec.source_key);
  const std::string src_label = PairLabel(rec.account, rec.source_key);
  if (!src.empty()) {
    std::string_view v;
    if (Get(Db::kSourceIndex, src, src_label, v) && FirstIdOr0(v) != rec.id) {
      return Invalid("put source_index/" + src_label + ": already message " +
                     IdLabel(FirstIdOr0(v)));
    }
  }
  const std::string id_key = EncodeU64(rec.id);
  // Drop index entries the previous version of this record owned. A
  // previous version that no longer decodes leaves its entries behind:
  // they point at this id, and readers re-check the record they load.
  if (std::optional<MessageRecord> old = GetMessageHead(rec.id)) {
    if (!old->source_key.empty() &&
        (old->account != rec.account || old->source_key != rec.source_key)) {
      std::string old_src = JoinKey(old->account, old->source_key);
      std::string_view v;
      if (Get(Db::kSourceIndex, old_src, src_label, v) && FirstIdOr0(v) == rec.id) {
        if (util::Status s =
                Del(Db::kSourceIndex, old_src, nullptr, PairLabel(old->account, old->source_key));
            !s.ok()) {
          return s;
        }
      }
    }
    if (!old->message_id.empty() && old->message_id != rec.message_id) {
      if (util::Status s = Del(Db::kMsgidIndex, FoldKey(old->message_id), &id_key, old->message_id);
          !s.ok()) {
        return s;
      }
    }
    if (!old->content_digest.empty() && old->content_digest != rec.content_digest) {
      if (util::Status s =
              Del(Db::kContentIndex, FoldKey(old->content_digest), &id_key, old->content_digest);
          !s.ok()) {
        return s;
      }
    }
    if (!old->fingerprint.empty() && old->fingerprint != rec.fingerprint) {
      if (util::Status s =
              Del(Db::kFingerprintIndex, FoldKey(old->fingerprint), &id_key, old->fingerprint);
          !s.ok()) {
        return s;
      }
    }
  }
  std::string value = EncodeMessage(rec);
  if (util::Status s = Put(Db::kMessages, id_key, value, Exists::kOverwrite, IdLabel(rec.id));
      !s.ok())
    return s;
  if (util::Status s = rec.body_text.empty()
                           ? Del(Db::kBodies, id_key, nullptr, IdLabel(rec.id))
                           : Put(Db::kBodies, id_key, PackedBlob::Pack(rec.body_text).stored(),
                                 Exists::kOverwrite, IdLabel(rec.id));
      !s.ok())
    return s;
  if (!src.empty()) {
    if (util::Status s = Put(Db::kSourceIndex, src, id_key, Exists::kOverwrite, src_label); !s.ok())
      return s;
  }
  if (!rec.message_id.empty()) {
    if (util::Status s =
            Put(Db::kMsgidIndex, FoldKey(rec.message_id), id_key, Exists::kKeep, rec.message_id);
        !s.ok()) {
      return s;
    }
  }
  if (!rec.content_digest.empty()) {
    if (util::Status s = Put(Db::kContentIndex, FoldKey(rec.content_digest), id_key, Exists::kKeep,
                             rec.content_digest);
        !s.ok()) {
      return s;
    }
  }
  if (!rec.fingerprint.empty()) {
    return Put(Db::kFingerprintIndex, FoldKey(rec.fingerprint), id_key, Exists::kKeep,
               rec.fingerprint);
  }
  return util::Status::Ok();
}

util::Status TxnImpl::PutTicket(const TicketRecord& rec) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  std::optional<std::uint64_t> next = PeekCounter(kMetaNextTicketId);
  if (!next) return WriteFailed(read_error_);
  if (rec.id == 0 || rec.id >= *next) {
    return Invalid("put tickets/" + IdLabel(rec.id) + ": id was not allocated");
  }
  return Put(Db::kTickets, EncodeU64(rec.id), EncodeTicket(rec), Exists::kOverwrite,
             IdLabel(rec.id));
}

util::Status TxnImpl::PutRaw(std::string_view sha256_hex, std::string_view bytes) {
  return PutRaw(sha256_hex, PackedBlob::Pack(bytes));
}

util::Status TxnImpl::PutRaw(std::string_view sha256_hex, const PackedBlob& packed) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  std::optional<std::string> digest = HexToDigest(sha256_hex);
  if (!digest) {
    return Invalid("put raw_index/" + std::string(sha256_hex) + ": not a SHA-256 hex digest");
  }
  // Already stored, here or (an upgraded store) where an older schema put it.
  std::string_view v;
  for (Db db : {Db::kRawIndex, Db::kRawV2, Db::kRawV1}) {
    if (Get(db, *digest, sha256_hex, v)) return util::Status::Ok();
  }
  if (!read_error_.ok()) return WriteFailed(read_error_);
  const std::uint64_t seq = Allocate(kMetaNextRawSeq);
  if (seq == 0) return write_error_;
  const std::string seq_key = EncodeU64(seq);
  if (util::Status s = AppendJoined(Db::kRawBlobs, seq_key, packed.head(), packed.body(),
                                    RawBlobLabel(seq, sha256_hex));
      !s.ok()) {
    return s;
  }
  return Put(Db::kRawIndex, *digest, seq_key, Exists::kError, sha256_hex);
}

util::Status TxnImpl::PutCheckpoint(std::string_view account, std::string_view folder,
                                    const Checkpoint& cp) {
  if (account.find('\0') != std::string_view::npos) {
    return Invalid("put sync/" + PairLabel(account, folder) + ": account name contains NUL");
  }
  return Put(Db::kSync, JoinKey(account, folder), EncodeCheckpoint(cp), Exists::kOverwrite,
             PairLabel(account, folder));
}

util::Status TxnImpl::PutAccount(std::string_view name, std::string_view value) {
  if (name.empty()) return Invalid("put accounts: empty account name");
  return Put(Db::kAccounts, FoldKey(std::string(name)), value, Exists::kOverwrite, name);
}

util::Status TxnImpl::AppendEvent(std::int64_t at, std::string_view type,
                                  std::string_view data_json) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  // The export promises one JSON object per line: refuse anything else now
  // rather than at export time, long after the writer is gone.
  // accept() checks without building the document; valid JSON whose first
  // token is '{' is an object.
  const std::size_t first = data_json.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos || data_json[first] != '{' ||
      !nlohmann::json::accept(data_json)) {
    return Invalid("append event '" + std::string(type) + "': data is not a JSON object");
  }
  const std::uint64_t seq = Allocate(kMetaNextEventSeq);
  if (seq == 0) return write_error_;
  Event ev;
  ev.seq = seq;
  ev.at = at;
  ev.type = std::string(type);
  ev.data_json = std::string(data_json);
  // An existing key means next_event_seq went backwards: fail rather than
  // overwrite history.
  return Put(Db::kEvents, EncodeU64(seq), EncodeEvent(ev), Exists::kError, IdLabel(seq));
}

std::uint64_t TxnImpl::AllocateOutageId() { return Allocate(kMetaNextOutageId); }

util::Status TxnImpl::PutOutage(const OutageRecord& rec) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  std::optional<std::uint64_t> next = PeekCounter(kMetaNextOutageId);
  if (!next) return WriteFailed(read_error_);
  if (rec.id == 0 || rec.id >= *next) {
    return Invalid("put outages/" + IdLabel(rec.id) + ": id was not allocated");
  }
  return Put(Db::kOutages, EncodeU64(rec.id), EncodeOutage(rec), Exists::kOverwrite,
             IdLabel(rec.id));
}

// Labels name the secret, never its bytes: error messages may reach logs.
util::Status TxnImpl::PutSecret(std::string_view name, std::string_view sealed) {
  if (name.empty()) return Invalid("put secrets: empty secret name");
  if (sealed.empty()) return Invalid("put secrets/" + std::string(name) + ": empty value");
  return Put(Db::kSecrets, FoldKey(std::string(name)), sealed, Exists::kOverwrite, name);
}

util::Status TxnImpl::DeleteSecret(std::string_view name) {
  if (name.empty()) return Invalid("delete secrets: empty secret name");
  return Del(Db::kSecrets, FoldKey(std::string(name)), nullptr, name);
}

util::Status TxnImpl::AppendIntakeLog(const IntakeLogRecord& rec) {
  if (util::Status s = RequireWritable(); !s.ok()) return s;
  const std::uint64_t seq = Allocate(kMetaNextIntakeSeq);
  if (seq == 0) return write_error_;
  IntakeLogRecord stored = rec;
  stored.seq = seq;
  return Put(Db::kIntakeLog, EncodeU64(seq), EncodeIntakeLog(stored), Exists::kError, IdLabel(seq));
}

}  // namespace store::detail
