// Field names on disk are short because every message record carries them.
// They are part of the schema: renaming one is a version bump.
//
//   message (v2): id a sk ch mid fp tr irt refs rh rz t d cl rn pe fn fa to cc
//                 s dt ra att[f ct z h ii] o fw   (v1 also had b: body_text,
//                 which v2 keeps in the bodies database)
//   ticket (v1):  id a s rn ra ca ua m st ch o fw
//   checkpoint (v1): uv lu ua
//   event (v1):   at ty d
//   outage (v1):  id a st en da c r
//   intake log (v1): at a i de rn fw of os om od t m
#include "store/detail/codec.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

#include "store/detail/msgpack_writer.h"
#include "store/schema.h"

namespace store::detail {
namespace {

using json = nlohmann::json;

// A record's map, written field by field; Finish() puts the field count in
// front.
class MapWriter {
 public:
  explicit MapWriter(std::uint64_t version) { Key("v").Uint(version); }
  MsgpackWriter& Key(std::string_view k) {
    ++fields_;
    body_.Str(k);
    return body_;
  }
  std::string Finish() {
    MsgpackWriter head;
    head.Map(fields_);
    std::string out = head.Take();
    out += body_.Take();
    return out;
  }

 private:
  MsgpackWriter body_;
  std::size_t fields_ = 0;
};

// Reads optional fields of one decoded map; the first type mismatch is
// remembered and turns the whole record into corruption.
class Fields {
 public:
  explicit Fields(const json& obj) : obj_(obj) {}

  void Str(const char* k, std::string& out) {
    if (const json* v = Find(k)) {
      if (v->is_string()) {
        out = v->get_ref<const std::string&>();
      } else {
        Bad(k);
      }
    }
  }
  template <class Int>
  void Num(const char* k, Int& out) {
    const json* v = Find(k);
    if (v == nullptr) return;
    if constexpr (std::is_signed_v<Int>) {
      if (v->is_number_unsigned()) {
        auto u = v->get<std::uint64_t>();
        if (u > static_cast<std::uint64_t>(std::numeric_limits<Int>::max())) return Bad(k);
        out = static_cast<Int>(u);
      } else if (v->is_number_integer()) {
        auto s = v->get<std::int64_t>();
        if (s < std::numeric_limits<Int>::min()) return Bad(k);
        out = static_cast<Int>(s);
      } else {
        Bad(k);
      }
    } else {
      if (!v->is_number_unsigned()) return Bad(k);
      auto u = v->get<std::uint64_t>();
      if (u > std::numeric_limits<Int>::max()) return Bad(k);
      out = static_cast<Int>(u);
    }
  }
  void Bool(const char* k, bool& out) {
    if (const json* v = Find(k)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        Bad(k);
      }
    }
  }
  void StrList(const char* k, std::vector<std::string>& out) {
    const json* v = Find(k);
    if (v == nullptr) return;
    if (!v->is_array()) return Bad(k);
    out.clear();
    for (const json& e : *v) {
      if (!e.is_string()) return Bad(k);
      out.push_back(e.get_ref<const std::string&>());
    }
  }
  void U64List(const char* k, std::vector<std::uint64_t>& out) {
    const json* v = Find(k);
    if (v == nullptr) return;
    if (!v->is_array()) return Bad(k);
    out.clear();
    for (const json& e : *v) {
      if (!e.is_number_unsigned()) return Bad(k);
      out.push_back(e.get<std::uint64_t>());
    }
  }
  // The array at `k`, or nullptr when absent (or malformed: then !ok()).
  const json* Array(const char* k) {
    const json* v = Find(k);
    if (v != nullptr && !v->is_array()) {
      Bad(k);
      return nullptr;
    }
    return v;
  }

  bool ok() const { return bad_.empty(); }
  const std::string& bad() const { return bad_; }
  void Bad(const char* k) {
    if (bad_.empty()) bad_ = k;
  }

 private:
  const json* Find(const char* k) const {
    auto it = obj_.find(k);
    return it == obj_.end() ? nullptr : &*it;
  }
  const json& obj_;
  std::string bad_;
};

util::Status Corrupt(std::string_view kind, std::string_view why) {
  std::string msg(kind);
  msg += " record: ";
  msg += why;
  return util::Error(util::Code::kCorruption, std::move(msg));
}

// Decodes the map and checks its version; `doc` is filled on success.
util::Status Parse(std::string_view bytes, std::string_view kind, std::uint64_t max_version,
                   json& doc) {
  doc = json::from_msgpack(bytes.begin(), bytes.end(), /*strict=*/true,
                           /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return Corrupt(kind, "not a MessagePack map");
  auto it = doc.find("v");
  if (it == doc.end() || !it->is_number_unsigned()) return Corrupt(kind, "no version field");
  std::uint64_t v = it->get<std::uint64_t>();
  if (v == 0 || v > max_version) {
    return Corrupt(kind, "version " + std::to_string(v) + " is newer than this deskmail (" +
                             std::to_string(max_version) + ")");
  }
  return util::Status::Ok();
}

util::Status FieldError(std::string_view kind, const Fields& f) {
  return Corrupt(kind, "field '" + f.bad() + "' has the wrong type or range");
}

// Runs a decoder body; nlohmann may still throw (e.g. bad_alloc, or a type
// error we did not anticipate) and that must not escape store/.
template <class T, class Body>
util::Result<T> Guard(std::string_view kind, Body&& body) {
  try {
    return body();
  } catch (const std::exception& e) {
    return Corrupt(kind, e.what());
  }
}

template <class Body>
std::string GuardEncode(Body&& body) {
  try {
    return body();
  } catch (const std::exception&) {
    // Only allocation can fail here; an empty value decodes as corruption
    // rather than taking the process down inside a transaction.
    return std::string();
  }
}

}  // namespace

std::string EncodeMessage(const MessageRecord& r) {
  return GuardEncode([&] {
    MapWriter m(kMessageVersion);
    m.Key("id").Uint(r.id);
    m.Key("a").Str(r.account);
    m.Key("sk").Str(r.source_key);
    m.Key("ch").Str(r.channel);
    m.Key("mid").Str(r.message_id);
    m.Key("fp").Str(r.fingerprint);
    m.Key("tr").Bool(r.text_in_raw);
    m.Key("irt").Str(r.in_reply_to);
    m.Key("refs").StrList(r.references);
    m.Key("rh").Str(r.raw_sha256);
    m.Key("rz").Uint(r.raw_size);
    m.Key("t").Uint(r.ticket_id);
    m.Key("d").Uint(static_cast<std::uint8_t>(r.disposition));
    m.Key("cl").Uint(r.classification);
    m.Key("rn").Str(r.reason);
    m.Key("pe").StrList(r.parse_errors);
    m.Key("fn").Str(r.from_name);
    m.Key("fa").Str(r.from_address);
    m.Key("to").StrList(r.to);
    m.Key("cc").StrList(r.cc);
    m.Key("s").Str(r.subject);
    m.Key("dt").Int(r.date);
    m.Key("ra").Int(r.received_at);
    if (r.arrived_at != 0) m.Key("ia").Int(r.arrived_at);  // optional: absent reads as 0
    MsgpackWriter& att = m.Key("att");
    att.Array(r.attachments.size());
    for (const AttachmentRecord& a : r.attachments) {
      att.Map(5);
      att.Str("f");
      att.Str(a.filename);
      att.Str("ct");
      att.Str(a.content_type);
      att.Str("z");
      att.Uint(a.size);
      att.Str("h");
      att.Str(a.sha256);
      att.Str("ii");
      att.Bool(a.inline_image);
    }
    m.Key("o").Uint(r.outage_id);
    m.Key("fw").Str(r.forwarder);
    if (!r.content_digest.empty()) m.Key("cd").Str(r.content_digest);
    if (r.message_id_reused) m.Key("mr").Bool(true);
    return m.Finish();
  });
}

util::Result<MessageRecord> DecodeMessage(std::string_view bytes) {
  constexpr std::string_view kKind = "message";
  return Guard<MessageRecord>(kKind, [&]() -> util::Result<MessageRecord> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kMessageVersion, doc); !s.ok()) return s;
    MessageRecord r;
    Fields f(doc);
    f.Num("id", r.id);
    f.Str("a", r.account);
    f.Str("sk", r.source_key);
    f.Str("ch", r.channel);
    f.Str("mid", r.message_id);
    f.Str("fp", r.fingerprint);
    f.Str("cd", r.content_digest);
    f.Bool("mr", r.message_id_reused);
    f.Bool("tr", r.text_in_raw);
    f.Str("irt", r.in_reply_to);
    f.StrList("refs", r.references);
    f.Str("rh", r.raw_sha256);
    f.Num("rz", r.raw_size);
    f.Num("t", r.ticket_id);
    std::uint8_t disp = 0;
    f.Num("d", disp);
    if (disp > static_cast<std::uint8_t>(Disposition::kRejected)) f.Bad("d");
    r.disposition = static_cast<Disposition>(disp);
    f.Num("cl", r.classification);
    f.Str("rn", r.reason);
    f.StrList("pe", r.parse_errors);
    f.Str("fn", r.from_name);
    f.Str("fa", r.from_address);
    f.StrList("to", r.to);
    f.StrList("cc", r.cc);
    f.Str("s", r.subject);
    f.Num("dt", r.date);
    f.Num("ra", r.received_at);
    f.Num("ia", r.arrived_at);
    f.Str("b", r.body_text);  // v1 only
    if (const json* att = f.Array("att")) {
      for (const json& e : *att) {
        if (!e.is_object()) {
          f.Bad("att");
          break;
        }
        AttachmentRecord a;
        Fields af(e);
        af.Str("f", a.filename);
        af.Str("ct", a.content_type);
        af.Num("z", a.size);
        af.Str("h", a.sha256);
        af.Bool("ii", a.inline_image);
        if (!af.ok()) f.Bad("att");
        r.attachments.push_back(std::move(a));
      }
    }
    f.Num("o", r.outage_id);
    f.Str("fw", r.forwarder);
    if (!f.ok()) return FieldError(kKind, f);
    return r;
  });
}

std::string EncodeTicket(const TicketRecord& r) {
  return GuardEncode([&] {
    MapWriter m(kTicketVersion);
    m.Key("id").Uint(r.id);
    m.Key("a").Str(r.account);
    m.Key("s").Str(r.subject);
    m.Key("rn").Str(r.requester_name);
    m.Key("ra").Str(r.requester_address);
    m.Key("ca").Int(r.created_at);
    m.Key("ua").Int(r.updated_at);
    m.Key("m").UintList(r.message_ids);
    m.Key("st").Str(r.status);
    m.Key("ch").Str(r.channel);
    m.Key("o").Uint(r.outage_id);
    m.Key("fw").Str(r.forwarder);
    return m.Finish();
  });
}

util::Result<TicketRecord> DecodeTicket(std::string_view bytes) {
  constexpr std::string_view kKind = "ticket";
  return Guard<TicketRecord>(kKind, [&]() -> util::Result<TicketRecord> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kTicketVersion, doc); !s.ok()) return s;
    TicketRecord r;
    Fields f(doc);
    f.Num("id", r.id);
    f.Str("a", r.account);
    f.Str("s", r.subject);
    f.Str("rn", r.requester_name);
    f.Str("ra", r.requester_address);
    f.Num("ca", r.created_at);
    f.Num("ua", r.updated_at);
    f.U64List("m", r.message_ids);
    f.Str("st", r.status);
    f.Str("ch", r.channel);
    f.Num("o", r.outage_id);
    f.Str("fw", r.forwarder);
    if (!f.ok()) return FieldError(kKind, f);
    return r;
  });
}

std::string EncodeCheckpoint(const Checkpoint& cp) {
  return GuardEncode([&] {
    MapWriter m(kCheckpointVersion);
    m.Key("uv").Uint(cp.uidvalidity);
    m.Key("lu").Uint(cp.last_uid);
    m.Key("ua").Int(cp.updated_at);
    if (cp.uidvalidity_changes != 0) m.Key("uc").Uint(cp.uidvalidity_changes);
    return m.Finish();
  });
}

util::Result<Checkpoint> DecodeCheckpoint(std::string_view bytes) {
  constexpr std::string_view kKind = "checkpoint";
  return Guard<Checkpoint>(kKind, [&]() -> util::Result<Checkpoint> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kCheckpointVersion, doc); !s.ok()) return s;
    Checkpoint cp;
    Fields f(doc);
    f.Num("uv", cp.uidvalidity);
    f.Num("lu", cp.last_uid);
    f.Num("ua", cp.updated_at);
    f.Num("uc", cp.uidvalidity_changes);
    if (!f.ok()) return FieldError(kKind, f);
    return cp;
  });
}

std::string EncodeEvent(const Event& ev) {
  return GuardEncode([&] {
    MapWriter m(kEventVersion);
    m.Key("at").Int(ev.at);
    m.Key("ty").Str(ev.type);
    m.Key("d").Str(ev.data_json);
    return m.Finish();
  });
}

util::Result<Event> DecodeEvent(std::uint64_t seq, std::string_view bytes) {
  constexpr std::string_view kKind = "event";
  return Guard<Event>(kKind, [&]() -> util::Result<Event> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kEventVersion, doc); !s.ok()) return s;
    Event ev;
    ev.seq = seq;
    Fields f(doc);
    f.Num("at", ev.at);
    f.Str("ty", ev.type);
    f.Str("d", ev.data_json);
    if (!f.ok()) return FieldError(kKind, f);
    return ev;
  });
}

std::string EncodeOutage(const OutageRecord& r) {
  return GuardEncode([&] {
    MapWriter m(kOutageVersion);
    m.Key("id").Uint(r.id);
    m.Key("a").Str(r.account);
    m.Key("st").Int(r.start);
    m.Key("en").Int(r.end);
    m.Key("da").Int(r.detected_at);
    m.Key("c").Str(r.cause);
    m.Key("r").Uint(r.recovered);
    return m.Finish();
  });
}

util::Result<OutageRecord> DecodeOutage(std::string_view bytes) {
  constexpr std::string_view kKind = "outage";
  return Guard<OutageRecord>(kKind, [&]() -> util::Result<OutageRecord> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kOutageVersion, doc); !s.ok()) return s;
    OutageRecord r;
    Fields f(doc);
    f.Num("id", r.id);
    f.Str("a", r.account);
    f.Num("st", r.start);
    f.Num("en", r.end);
    f.Num("da", r.detected_at);
    f.Str("c", r.cause);
    f.Num("r", r.recovered);
    if (!f.ok()) return FieldError(kKind, f);
    return r;
  });
}

std::string EncodeIntakeLog(const IntakeLogRecord& r) {
  return GuardEncode([&] {
    MapWriter m(kIntakeLogVersion);
    m.Key("at").Int(r.at);
    m.Key("a").Str(r.account);
    m.Key("i").Str(r.input);
    m.Key("de").Str(r.decision);
    m.Key("rn").Str(r.reason);
    m.Key("fw").Str(r.forwarder);
    m.Key("of").Str(r.original_from);
    m.Key("os").Str(r.original_subject);
    m.Key("om").Str(r.original_message_id);
    m.Key("od").Int(r.original_date);
    m.Key("t").Uint(r.ticket_id);
    m.Key("m").Uint(r.message_id);
    return m.Finish();
  });
}

util::Result<IntakeLogRecord> DecodeIntakeLog(std::uint64_t seq, std::string_view bytes) {
  constexpr std::string_view kKind = "intake log";
  return Guard<IntakeLogRecord>(kKind, [&]() -> util::Result<IntakeLogRecord> {
    json doc;
    if (util::Status s = Parse(bytes, kKind, kIntakeLogVersion, doc); !s.ok()) return s;
    IntakeLogRecord r;
    r.seq = seq;
    Fields f(doc);
    f.Num("at", r.at);
    f.Str("a", r.account);
    f.Str("i", r.input);
    f.Str("de", r.decision);
    f.Str("rn", r.reason);
    f.Str("fw", r.forwarder);
    f.Str("of", r.original_from);
    f.Str("os", r.original_subject);
    f.Str("om", r.original_message_id);
    f.Num("od", r.original_date);
    f.Num("t", r.ticket_id);
    f.Num("m", r.message_id);
    if (!f.ok()) return FieldError(kKind, f);
    return r;
  });
}

}  // namespace store::detail
