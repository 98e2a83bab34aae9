#include "engine/commit_tally.h"

#include <charconv>

namespace engine {
namespace {

std::optional<std::uint32_t> ParseU32(std::string_view s) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::pair<std::uint32_t, std::uint32_t>> ParseImapSourceKey(std::string_view key) {
  if (key.substr(0, 5) != "imap:") return std::nullopt;
  const size_t last = key.rfind('/');
  if (last == std::string_view::npos || last < 5) return std::nullopt;
  const size_t mid = key.rfind('/', last - 1);
  if (mid == std::string_view::npos || mid < 5) return std::nullopt;
  auto uv = ParseU32(key.substr(mid + 1, last - mid - 1));
  auto uid = ParseU32(key.substr(last + 1));
  if (!uv || !uid) return std::nullopt;
  return std::make_pair(*uv, *uid);
}

CommitTally::CommitTally(CommitFn inner) : inner_(std::move(inner)) {
  fn_ = [this](store::WriteTxn& txn,
               const recovery::Prepared& p) -> util::Result<recovery::Outcome> {
    auto r = inner_(txn, p);
    if (r.ok()) {
      if (auto k = ParseImapSourceKey(p.source.source_key)) {
        std::lock_guard lock(mu_);
        noted_[*k] = r->kind;  // a later try of the same UID replaces an aborted one
      }
    }
    return r;
  };
}

void CommitTally::Clear() {
  std::lock_guard lock(mu_);
  noted_.clear();
}

SyncStats CommitTally::Committed(const std::optional<store::Checkpoint>& cp) const {
  SyncStats s;
  if (!cp) return s;
  std::lock_guard lock(mu_);
  for (const auto& [key, kind] : noted_) {
    if (key.first != cp->uidvalidity || key.second > cp->last_uid) continue;
    recovery::Outcome o;
    o.kind = kind;
    ++s.fetched;
    s.Add(o);
  }
  return s;
}

}  // namespace engine
