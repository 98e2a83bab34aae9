// Per-language vocabulary of forwarded header blocks: field labels,
// separator lines, subject prefixes, "on ... wrote" verbs. Tables live in
// mime/forward_labels.cpp. Inputs are UTF-8; matching is case-insensitive.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace mime::detail {

enum class Field { kFrom, kTo, kCc, kBcc, kDate, kSubject, kReplyTo, kMessageId };

// The field a header-block label names ("Von", "Envoyé", "보낸 사람", "*From*"),
// or nullopt. `label` is the text before the colon.
std::optional<Field> LabelField(std::string_view label);

enum class SeparatorKind {
  kNone,
  kForward,    // says "forwarded" in some language: a forward whatever the subject
  kAmbiguous,  // "Original Message", an underscore rule: used for replies too
};
struct Separator {
  SeparatorKind kind = SeparatorKind::kNone;
  std::string rest;  // text after the separator on the same line (Yahoo runs the block on)
};
// Classifies one line (quote markers already removed).
Separator MatchSeparator(std::string_view line);

// True when the line closes a forwarded message ("----- End forwarded
// message -----", "-------- Конец пересылаемого сообщения --------").
bool IsEndMarker(std::string_view line);

// True when the line is an attribution like "On <date>, <who> wrote:" in one
// of the supported languages.
bool IsWroteLine(std::string_view line);

// Subject prefixes. StripForwardPrefixes removes leading forward markers
// ("Fwd:", "WG:", "TR:", "[Fwd: x]", "Fw[2]:", ...), repeatedly.
bool HasForwardPrefix(std::string_view subject);
bool HasReplyPrefix(std::string_view subject);
std::string StripForwardPrefixes(std::string_view subject);

// Lower-cased copy (UTF-8 aware).
std::string Lower(std::string_view s);

// Every label of every language, lower case, for splitting run-together
// blocks; calls `fn(label)` for each.
template <typename Fn>
void ForEachLabel(Fn fn);

// Implementation detail of ForEachLabel.
const char* const* AllLabels(std::size_t* count);

template <typename Fn>
void ForEachLabel(Fn fn) {
  std::size_t n = 0;
  const char* const* all = AllLabels(&n);
  for (std::size_t i = 0; i < n; ++i) fn(std::string_view(all[i]));
}

}  // namespace mime::detail
