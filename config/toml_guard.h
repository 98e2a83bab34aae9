// Text handed to toml++ only once it cannot make toml++ misbehave.
//
// Debian's toml++ 3.3 decides whether a non-ASCII character is whitespace
// with a table that is wrong for most of U+00A1..U+0499, U+2C5E..U+3057 and
// U+FC06..U+FEFE: for those it reaches __builtin_unreachable, which is
// undefined behaviour (found by config_fuzz; inputs in
// fuzz/regressions/config/). It asks that question of a non-ASCII character
// in three places: outside strings (bare keys, values, the look-ahead that
// guesses a value's type), after a backslash in a multi-line basic string,
// and on the first character after a line-ending backslash ("""a \<LF> é""").
#pragma once

#include <string>
#include <string_view>

#include "util/result.h"

namespace config {

// Returns the text to give toml++: `text` itself, or `text` with the first
// character after each line-ending backslash written as a \uXXXX escape
// when it is not ASCII (the same string, in words toml++ reads safely).
// Refuses (kInvalidArgument, "PATH:LINE:COLUMN: ...", the column in
// characters) what TOML 1.0 forbids anyway: non-ASCII text outside strings
// and comments, and a backslash in a multi-line basic string followed by a
// non-ASCII character (an unknown escape) or by spaces and then anything but
// the end of the line.
util::Result<std::string> GuardToml(std::string_view text, const std::string& path);

}  // namespace config
