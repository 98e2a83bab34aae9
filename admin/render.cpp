#include "admin/render.h"

#include <mstch/mstch.hpp>

#include "admin/detail/assets.h"

namespace admin {
namespace {

mstch::node ToNode(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      mstch::map m;
      for (auto it = j.begin(); it != j.end(); ++it) m.emplace(it.key(), ToNode(it.value()));
      return m;
    }
    case nlohmann::json::value_t::array: {
      mstch::array a;
      for (const auto& v : j) a.push_back(ToNode(v));
      return a;
    }
    case nlohmann::json::value_t::string:
      return j.get<std::string>();
    case nlohmann::json::value_t::boolean:
      return j.get<bool>();
    case nlohmann::json::value_t::number_integer:
      return std::to_string(j.get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned:
      return std::to_string(j.get<std::uint64_t>());
    case nlohmann::json::value_t::number_float:
      return j.dump();
    default:
      return false;  // null: a falsy section, renders as nothing
  }
}

}  // namespace

std::string RenderTemplate(const std::string& name, const nlohmann::json& model) {
  std::string_view tmpl = detail::Asset(name + ".mustache");
  return mstch::render(std::string(tmpl), ToNode(model));
}

}  // namespace admin
