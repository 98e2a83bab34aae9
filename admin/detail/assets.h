// The console's template and stylesheet files, compiled in (embed_assets.cmake).
#pragma once

#include <string_view>

namespace admin::detail {

// The file admin/templates/NAME or admin/static/NAME; empty when unknown.
std::string_view Asset(std::string_view name);

}  // namespace admin::detail
