// Internal to recovery/: appending a JSON event to the store's change log.
#pragma once

#include <nlohmann/json.hpp>

#include "store/store.h"

namespace recovery::detail {

// Subjects and names may hold invalid UTF-8 from damaged mail: replace, never throw.
inline util::Status AppendJsonEvent(store::WriteTxn& txn, std::int64_t at, const char* type,
                                    const nlohmann::json& data) {
  return txn.AppendEvent(at, type,
                         data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

}  // namespace recovery::detail
