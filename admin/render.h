// Mustache rendering (mstch) of the embedded templates from JSON models:
// the pages render the same JSON the API answers, so the two cannot drift.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace admin {

// Renders templates/NAME.mustache with `model`. {{x}} is HTML-escaped by
// mstch; JSON null and false are falsy, arrays are sections.
std::string RenderTemplate(const std::string& name, const nlohmann::json& model);

}  // namespace admin
