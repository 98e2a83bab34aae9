// UID FETCH: planning by size, then bodies in bounded batches.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>
#include <vector>

#include "imap/detail/session_impl.h"
#include "imap/session.h"

namespace imap {
namespace {

using detail::FetchListPtr;
using detail::FetchTypePtr;
using detail::SetPtr;

// libetpan keeps the zone as signed hhmm (e.g. -0130 -> -130).
std::chrono::sys_seconds ToSysSeconds(const mailimap_date_time& dt) {
  using namespace std::chrono;
  const year_month_day ymd{year(dt.dt_year), month(static_cast<unsigned>(dt.dt_month)),
                           day(static_cast<unsigned>(dt.dt_day))};
  const int zone_abs = dt.dt_zone < 0 ? -dt.dt_zone : dt.dt_zone;
  const int offset_min = (dt.dt_zone < 0 ? -1 : 1) * ((zone_abs / 100) * 60 + zone_abs % 100);
  return sys_days(ymd) + hours(dt.dt_hour) + minutes(dt.dt_min) + seconds(dt.dt_sec) -
         minutes(offset_min);
}

std::string FlagName(const mailimap_flag* f) {
  switch (f->fl_type) {
    case MAILIMAP_FLAG_ANSWERED:
      return "\\Answered";
    case MAILIMAP_FLAG_FLAGGED:
      return "\\Flagged";
    case MAILIMAP_FLAG_DELETED:
      return "\\Deleted";
    case MAILIMAP_FLAG_SEEN:
      return "\\Seen";
    case MAILIMAP_FLAG_DRAFT:
      return "\\Draft";
    case MAILIMAP_FLAG_KEYWORD:
      return f->fl_data.fl_keyword != nullptr ? f->fl_data.fl_keyword : "";
    case MAILIMAP_FLAG_EXTENSION:
      return f->fl_data.fl_extension != nullptr ? std::string("\\") + f->fl_data.fl_extension : "";
  }
  return {};
}

struct Parsed {
  FetchedMessage msg;
  bool has_uid = false;
  bool has_body = false;
};

// BODY[] literals go straight from the TLS stream into std::strings of our
// own: libetpan's msg_body_handler hands over each literal in reads of up
// to 64 KB as they arrive, and then keeps nothing of it (the section's
// sec_body_part stays empty). Without it libetpan reads every literal whole
// into a buffer of its own, Collect copies it out, and each message of the
// batch is held twice until the command ends. The handler is told which
// body section the bytes are for (the one that stays in the message's
// FETCH response), which is how Collect finds them afterwards. A body is
// reserved at its RFC822.SIZE when the caller knows it (servers answer in
// UID order), so a 50 MB message is one 50 MB allocation; from
// Config::spool_from on it goes to an unlinked file instead (util::Spool).
class BodyStream {
 public:
  struct Body {
    std::string text;
    std::optional<util::Spool> spool;  // set: the bytes went here instead
  };

  BodyStream(mailimap* imap, std::span<const UidSize> hints, const Config& cfg)
      : imap_(imap), spool_dir_(cfg.spool_dir), spool_from_(cfg.spool_from) {
    hints_.assign(hints.begin(), hints.end());
    std::sort(hints_.begin(), hints_.end(),
              [](const UidSize& a, const UidSize& b) { return a.uid < b.uid; });
    mailimap_set_msg_body_handler(imap_, &BodyStream::OnBody, this);
  }
  ~BodyStream() { mailimap_set_msg_body_handler(imap_, nullptr, nullptr); }
  BodyStream(const BodyStream&) = delete;
  BodyStream& operator=(const BodyStream&) = delete;

  bool out_of_memory() const { return out_of_memory_; }
  void Fail(util::Status s) {
    if (spool_error_.ok()) spool_error_ = std::move(s);
  }
  // Why a body could not be spooled (the disk), when that failed the fetch.
  const util::Status& spool_error() const { return spool_error_; }
  // The bytes received for `section`; null when none were streamed (a
  // quoted string, NIL).
  Body* Find(const mailimap_msg_att_body_section* section) {
    auto it = bodies_.find(section);
    return it == bodies_.end() ? nullptr : &it->second;
  }

 private:
  // Called by libetpan with C frames above it: no exception may leave.
  // false fails the command with MAILIMAP_ERROR_MEMORY.
  static bool OnBody(int /*att_type*/, mailimap_msg_att_body_section* section, const char* bytes,
                     size_t length, void* ctx) {
    auto& self = *static_cast<BodyStream*>(ctx);
    try {
      if (section != self.current_ || self.body_ == nullptr) {  // a new literal
        self.current_ = section;
        self.body_ = &self.bodies_[section];
        self.body_->text.clear();
        self.body_->spool.reset();
        const std::uint64_t hint =
            self.next_ < self.hints_.size() ? self.hints_[self.next_++].size : 0;
        if (!self.spool_dir_.empty() && hint >= self.spool_from_) {
          auto spool = util::Spool::Open(self.spool_dir_);
          if (!spool.ok()) {
            self.Fail(spool.status());
            return false;
          }
          self.body_->spool.emplace(std::move(spool).value());
        } else {
          self.body_->text.reserve(hint);
        }
      }
      if (self.body_->spool) {
        if (util::Status s = self.body_->spool->Append(std::string_view(bytes, length)); !s.ok()) {
          self.Fail(std::move(s));
          return false;
        }
        return true;
      }
      self.body_->text.append(bytes, length);
      return true;
    } catch (...) {
      self.out_of_memory_ = true;
      return false;
    }
  }

  mailimap* imap_;
  std::vector<UidSize> hints_;  // ascending by UID
  std::size_t next_ = 0;        // the hint for the next literal
  std::string spool_dir_;
  std::uint64_t spool_from_;
  std::map<const mailimap_msg_att_body_section*, Body> bodies_;
  const mailimap_msg_att_body_section* current_ = nullptr;
  Body* body_ = nullptr;  // bodies_[current_]
  bool out_of_memory_ = false;
  util::Status spool_error_;
};

// Folds one FETCH response into `out` (a server may split attributes of one
// message over several FETCH responses). A body that `stream` received is
// moved out of it (libetpan's own copy is then empty).
void Collect(const mailimap_msg_att* att, std::map<uint32_t, Parsed>& out,
             BodyStream* stream = nullptr) {
  Parsed p;
  for (clistiter* it = clist_begin(att->att_list); it != nullptr; it = clist_next(it)) {
    auto* item = static_cast<mailimap_msg_att_item*>(clist_content(it));
    if (item->att_type == MAILIMAP_MSG_ATT_ITEM_DYNAMIC && item->att_data.att_dyn != nullptr &&
        item->att_data.att_dyn->att_list != nullptr) {
      for (clistiter* f = clist_begin(item->att_data.att_dyn->att_list); f != nullptr;
           f = clist_next(f)) {
        auto* ff = static_cast<mailimap_flag_fetch*>(clist_content(f));
        if (ff->fl_type == MAILIMAP_FLAG_FETCH_RECENT) {
          p.msg.flags.emplace_back("\\Recent");
        } else if (ff->fl_type == MAILIMAP_FLAG_FETCH_OTHER && ff->fl_flag != nullptr) {
          if (auto name = FlagName(ff->fl_flag); !name.empty())
            p.msg.flags.push_back(std::move(name));
        }
      }
      continue;
    }
    if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || item->att_data.att_static == nullptr)
      continue;
    const mailimap_msg_att_static* st = item->att_data.att_static;
    switch (st->att_type) {
      case MAILIMAP_MSG_ATT_UID:
        p.msg.uid = st->att_data.att_uid;
        p.has_uid = true;
        break;
      case MAILIMAP_MSG_ATT_RFC822_SIZE:
        p.msg.size = st->att_data.att_rfc822_size;
        break;
      case MAILIMAP_MSG_ATT_INTERNALDATE:
        if (st->att_data.att_internal_date != nullptr) {
          p.msg.internal_date = ToSysSeconds(*st->att_data.att_internal_date);
        }
        break;
      case MAILIMAP_MSG_ATT_BODY_SECTION:
        if (st->att_data.att_body_section != nullptr) {
          const auto* sec = st->att_data.att_body_section;
          BodyStream::Body* streamed = stream != nullptr ? stream->Find(sec) : nullptr;
          if (streamed != nullptr && streamed->spool) {
            auto mapped = streamed->spool->Finish();
            if (mapped.ok()) {
              p.msg.spooled = std::move(mapped).value();
            } else {
              stream->Fail(mapped.status());
            }
            streamed->spool.reset();
          } else if (streamed != nullptr) {
            p.msg.raw = std::move(streamed->text);
            // Reserved at an RFC822.SIZE larger than the literal: give the
            // rest back rather than hold it through every stage.
            if (p.msg.raw.capacity() - p.msg.raw.size() > p.msg.raw.size() / 4 + (64u << 10)) {
              p.msg.raw.shrink_to_fit();
            }
          } else {  // a quoted string, or a fetch without BodyStream
            p.msg.raw.assign(sec->sec_body_part != nullptr ? sec->sec_body_part : "",
                             sec->sec_length);
          }
          p.has_body = true;
        }
        break;
      default:
        break;
    }
  }
  if (!p.has_uid) return;  // unsolicited FETCH (e.g. flag change) without UID
  Parsed& slot = out[p.msg.uid];
  slot.has_uid = true;
  slot.msg.uid = p.msg.uid;
  if (p.msg.size != 0) slot.msg.size = p.msg.size;
  if (p.msg.internal_date.time_since_epoch().count() != 0)
    slot.msg.internal_date = p.msg.internal_date;
  if (!p.msg.flags.empty()) slot.msg.flags = std::move(p.msg.flags);
  if (p.has_body) {
    slot.msg.raw = std::move(p.msg.raw);
    slot.msg.spooled = std::move(p.msg.spooled);
    slot.has_body = true;
  }
}

// libetpan keeps the text of a whole response (every untagged line, without
// its literals) in imap_stream_buffer, and the buffer keeps its capacity:
// after listing a 100,000-message folder that is megabytes per session for
// the session's life. Between commands nothing points into it.
void ShrinkStreamBuffer(mailimap* imap) {
  constexpr size_t kKeep = 256 * 1024;
  if (imap == nullptr || imap->imap_stream_buffer == nullptr ||
      imap->imap_stream_buffer->allocated_len <= kKeep) {
    return;
  }
  if (MMAPString* fresh = mmap_string_new(""); fresh != nullptr) {
    mmap_string_free(imap->imap_stream_buffer);
    imap->imap_stream_buffer = fresh;
  }
}

void FreeNames(clist* names) {
  for (clistiter* it = clist_begin(names); it != nullptr; it = clist_next(it)) {
    free(clist_content(it));
  }
  clist_free(names);
}

// UID, RFC822.SIZE, and BODY.PEEK[HEADER.FIELDS (MESSAGE-ID DATE FROM)].
FetchTypePtr MakeIdentityFetchType() {
  FetchTypePtr ft(mailimap_fetch_type_new_fetch_att_list_empty());
  if (!ft) return nullptr;
  auto add = [&](mailimap_fetch_att* a) {
    return a != nullptr &&
           mailimap_fetch_type_new_fetch_att_list_add(ft.get(), a) == MAILIMAP_NO_ERROR;
  };
  if (!add(mailimap_fetch_att_new_uid()) || !add(mailimap_fetch_att_new_rfc822_size())) {
    return nullptr;
  }
  clist* names = clist_new();
  if (names == nullptr) return nullptr;
  for (const char* h : {"MESSAGE-ID", "DATE", "FROM"}) {
    char* copy = strdup(h);
    if (copy == nullptr || clist_append(names, copy) != 0) {
      free(copy);
      FreeNames(names);
      return nullptr;
    }
  }
  // From here libetpan owns `names` (freed with the section, then the fetch type).
  mailimap_header_list* list = mailimap_header_list_new(names);
  if (list == nullptr) {
    FreeNames(names);
    return nullptr;
  }
  mailimap_section* section = mailimap_section_new_header_fields(list);
  if (section == nullptr) {
    mailimap_header_list_free(list);
    return nullptr;
  }
  mailimap_fetch_att* att = mailimap_fetch_att_new_body_peek_section(section);
  if (att == nullptr) {
    mailimap_section_free(section);
    return nullptr;
  }
  if (!add(att)) return nullptr;
  return ft;
}

FetchTypePtr MakeFetchType(bool with_body) {
  FetchTypePtr ft(mailimap_fetch_type_new_fetch_att_list_empty());
  if (!ft) return nullptr;
  auto add = [&](mailimap_fetch_att* a) {
    return a != nullptr &&
           mailimap_fetch_type_new_fetch_att_list_add(ft.get(), a) == MAILIMAP_NO_ERROR;
  };
  bool ok = add(mailimap_fetch_att_new_uid()) && add(mailimap_fetch_att_new_rfc822_size());
  if (ok && with_body) {
    mailimap_section* whole = mailimap_section_new(nullptr);  // BODY.PEEK[]: does not set \Seen
    ok = add(mailimap_fetch_att_new_flags()) && add(mailimap_fetch_att_new_internaldate()) &&
         whole != nullptr && add(mailimap_fetch_att_new_body_peek_section(whole));
  }
  return ok ? std::move(ft) : nullptr;
}

util::Status OutOfMemory(Session::Impl& s) {
  return s.Fail(
      Error{ErrorClass::kTransient, Scope::kAccount, "out of memory building a command", {}});
}

}  // namespace

util::Result<std::vector<UidSize>> Session::ListFrom(uint32_t from_uid) {
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(false); !st.ok()) return st;
  from_uid = std::max<uint32_t>(from_uid, 1);  // UID 0 does not exist; "0:*" is BAD
  std::vector<UidSize> out;
  // Some servers answer "n:*" on an empty folder with NO or BAD.
  if (s.imap->imap_selection_info != nullptr && s.imap->imap_selection_info->sel_exists == 0)
    return out;
  SetPtr set(mailimap_set_new_interval(from_uid, 0));  // 0 is "*"
  FetchTypePtr ft = MakeFetchType(false);
  if (!set || !ft) return OutOfMemory(s);
  clist* raw = nullptr;
  int r = mailimap_uid_fetch(s.imap.get(), set.get(), ft.get(), &raw);
  FetchListPtr list(raw);
  ShrinkStreamBuffer(s.imap.get());
  if (r != MAILIMAP_NO_ERROR)
    return s.FailEtpan(r, Scope::kFolder, "UID FETCH " + std::to_string(from_uid) + ":*");
  // A 100,000-message folder is 100,000 parsed responses (~250 bytes each
  // in libetpan): each is read into 8 bytes here and freed at once, rather
  // than copied whole into a map beside the list (the listing was the
  // peak of a 100k first sync, 62 MB against 45 for the batches).
  out.reserve(static_cast<std::size_t>(clist_count(list.get())));
  for (clistiter* it = clist_begin(list.get()); it != nullptr; it = clist_delete(list.get(), it)) {
    auto* att = static_cast<mailimap_msg_att*>(clist_content(it));
    UidSize u{0, 0};
    bool has_uid = false;
    for (clistiter* i = clist_begin(att->att_list); i != nullptr; i = clist_next(i)) {
      auto* item = static_cast<mailimap_msg_att_item*>(clist_content(i));
      if (item->att_type != MAILIMAP_MSG_ATT_ITEM_STATIC || item->att_data.att_static == nullptr)
        continue;
      const mailimap_msg_att_static* st = item->att_data.att_static;
      if (st->att_type == MAILIMAP_MSG_ATT_UID) {
        u.uid = st->att_data.att_uid;
        has_uid = true;
      } else if (st->att_type == MAILIMAP_MSG_ATT_RFC822_SIZE) {
        u.size = st->att_data.att_rfc822_size;
      }
    }
    mailimap_msg_att_free(att);
    // "n:*" always includes the highest UID, even when it is below n; a
    // FETCH without UID is an unsolicited flag change.
    if (has_uid && u.uid >= from_uid) out.push_back(u);
  }
  // A server may split one message's attributes over several responses:
  // one entry per UID, with the size any of them gave.
  std::sort(out.begin(), out.end(), [](const UidSize& a, const UidSize& b) {
    return a.uid < b.uid || (a.uid == b.uid && a.size > b.size);
  });
  out.erase(std::unique(out.begin(), out.end(),
                        [](const UidSize& a, const UidSize& b) { return a.uid == b.uid; }),
            out.end());
  return out;
}

util::Result<std::vector<FetchedMessage>> Session::FetchMessages(std::span<const uint32_t> uids) {
  std::vector<UidSize> plain;
  plain.reserve(uids.size());
  for (uint32_t uid : uids) plain.push_back({uid, 0});
  return FetchMessages(std::span<const UidSize>(plain));
}

util::Result<std::vector<FetchedMessage>> Session::FetchMessages(
    std::span<const UidSize> messages) {
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(false); !st.ok()) return st;
  std::vector<FetchedMessage> out;
  if (messages.empty()) return out;
  std::vector<uint32_t> wanted;
  wanted.reserve(messages.size());
  for (const UidSize& m : messages) wanted.push_back(m.uid);
  std::sort(wanted.begin(), wanted.end());
  SetPtr set = detail::MakeUidSet(wanted);
  FetchTypePtr ft = MakeFetchType(true);
  if (!set || !ft) return OutOfMemory(s);
  BodyStream stream(s.imap.get(), messages, s.cfg);
  clist* raw = nullptr;
  int r = mailimap_uid_fetch(s.imap.get(), set.get(), ft.get(), &raw);
  FetchListPtr list(raw);
  // The disk, not the server: the batch is fetched again on the next pass.
  auto spool_failed = [&] {
    return s.Fail(Error{ErrorClass::kTransient,
                        Scope::kAccount,
                        "UID FETCH " + FormatUidSet(wanted) +
                            ": spooling a large message: " + stream.spool_error().message(),
                        {}});
  };
  if (!stream.spool_error().ok()) return spool_failed();
  if (stream.out_of_memory() && r == MAILIMAP_NO_ERROR) r = MAILIMAP_ERROR_MEMORY;
  ShrinkStreamBuffer(s.imap.get());
  if (r != MAILIMAP_NO_ERROR)
    return s.FailEtpan(r, Scope::kMessage, "UID FETCH " + FormatUidSet(wanted));
  std::map<uint32_t, Parsed> parsed;
  for (clistiter* it = clist_begin(list.get()); it != nullptr; it = clist_next(it)) {
    Collect(static_cast<mailimap_msg_att*>(clist_content(it)), parsed, &stream);
  }
  list.reset();
  if (!stream.spool_error().ok()) return spool_failed();
  for (auto& [uid, p] : parsed) {
    if (p.has_body && std::binary_search(wanted.begin(), wanted.end(), uid))
      out.push_back(std::move(p.msg));
  }
  return out;
}

util::Result<std::vector<FetchedMessage>> Session::FetchIdentity(std::span<const uint32_t> uids) {
  Impl& s = *impl_;
  if (auto st = s.CheckSelected(false); !st.ok()) return st;
  std::vector<FetchedMessage> out;
  if (uids.empty()) return out;
  SetPtr set = detail::MakeUidSet(uids);
  FetchTypePtr ft = MakeIdentityFetchType();
  if (!set || !ft) return OutOfMemory(s);
  clist* raw = nullptr;
  int r = mailimap_uid_fetch(s.imap.get(), set.get(), ft.get(), &raw);
  FetchListPtr list(raw);
  ShrinkStreamBuffer(s.imap.get());
  if (r != MAILIMAP_NO_ERROR)
    return s.FailEtpan(r, Scope::kFolder, "UID FETCH " + FormatUidSet(uids) + " (identity)");
  std::map<uint32_t, Parsed> parsed;
  for (clistiter* it = clist_begin(list.get()); it != nullptr; it = clist_next(it)) {
    Collect(static_cast<mailimap_msg_att*>(clist_content(it)), parsed);
  }
  std::vector<uint32_t> wanted(uids.begin(), uids.end());
  std::sort(wanted.begin(), wanted.end());
  for (auto& [uid, p] : parsed) {
    if (std::binary_search(wanted.begin(), wanted.end(), uid)) out.push_back(std::move(p.msg));
  }
  return out;
}

util::Status Session::FetchBatch(uint32_t from_uid, const BatchLimits& limits,
                                 const FetchCallback& on_message) {
  auto plan = ListFrom(from_uid);
  if (!plan) return plan.status();
  for (const std::vector<uint32_t>& batch : PlanBatches(std::move(*plan), limits)) {
    auto messages = FetchMessages(batch);
    if (!messages) return messages.status();
    for (FetchedMessage& m : *messages) {
      if (auto st = on_message(std::move(m)); !st.ok()) return st;
    }
  }
  return util::Status::Ok();
}

}  // namespace imap
