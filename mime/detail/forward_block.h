// Header blocks of inline forwards, as lines of text: the pieces the
// forward matcher (mime/forward.cpp) combines. Internal to mime/.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mime/detail/forward_labels.h"

namespace mime::detail {

struct Line {
  std::string raw;   // as written (CR, BOM, NBSP normalised)
  std::string text;  // quote markers and indentation removed, trailing blanks trimmed
  int quote = 0;     // number of '>' markers removed
};

// Trimmed copy (spaces, tabs, CR, LF).
std::string TrimCopy(std::string_view s);

// NBSP, BOM, zero-width spaces, direction marks and CR removed or made plain.
std::string Normalise(std::string_view in);

// Lines with quote markers counted (at most a fixed number of lines).
std::vector<Line> SplitLines(std::string_view text);

// "Label: value" with a known label; `*From:*` (bold in plain text) and the
// French "De :" and fullwidth "：" included.
bool SplitLabel(std::string_view text, Field* field, std::string* value);

struct Block {
  bool has[8] = {};
  std::string value[8];
  int fields = 0;
  std::size_t end = 0;  // first line after the block
  int quote = 0;        // quote depth of the block lines

  bool Has(Field f) const { return has[static_cast<int>(f)]; }
  const std::string& Get(Field f) const { return value[static_cast<int>(f)]; }
  bool Add(Field f, std::string v) {
    const int i = static_cast<int>(f);
    if (has[i]) return false;  // a second From: starts the body or the next block
    has[i] = true;
    value[i] = std::move(v);
    ++fields;
    return true;
  }
};

// Reads "Label: value" lines from `start` (after up to three blank lines).
Block ReadBlock(const std::vector<Line>& lines, std::size_t start);

// Yahoo runs the whole block onto the separator line: split before each label.
std::vector<Line> SplitRunOn(std::string_view rest);

// A From with an address and a Date or Subject; three fields without a separator.
bool ValidBlock(const Block& b, bool explicit_separator);

// From and Date out of an attribution line ("Am ... schrieb Name <a@x>:").
Block WroteBlock(const std::string& text);

// Yandex: "02.11.2026, 10:00, "Name" <a@x>:" after the separator.
bool DatedAttribution(const std::vector<Line>& lines, std::size_t start, Block* out);

// HCL Notes' classic layout: sender and date lines, labels above values.
bool NotesBlock(const std::vector<Line>& lines, std::size_t start, Block* out);

}  // namespace mime::detail
