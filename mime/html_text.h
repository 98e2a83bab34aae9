// HTML -> readable plain text through libxml2's HTML parser (no regex tag
// stripping). Used for HTML-only mail bodies and, later, by the forward
// unwrapper, which needs the line structure ("From: ..." header blocks).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mime {

struct HtmlTextOptions {
  // Prefix lines inside <blockquote> with "> " per nesting level, so quoted
  // history stays recognisable as quoted.
  bool quote_blockquotes = false;
  // Output stops growing beyond this many bytes (cut on a UTF-8 boundary).
  std::size_t max_bytes = 16 << 20;
};

// Readable text of `html` (UTF-8; a <meta charset> is ignored). Rules:
//  - script, style, head, template and hidden elements (hidden attribute,
//    style display:none / visibility:hidden / mso-hide:all) are dropped;
//  - block elements (p, div, br, li, tr, h1-h6, blockquote, table, ...) break
//    lines; p/h*/blockquote/table leave at most one blank line;
//  - entities are decoded, whitespace runs (incl. &nbsp;) collapse to one
//    space, <pre> keeps its whitespace, list items get "- ", table cells are
//    separated by one space, <a href> keeps only its text;
//  - lines carry no leading/trailing blanks and the result has no leading
//    or trailing newlines.
// Never fails: unparseable input yields "".
// Thread-safe once mime::Init() (xmlInitParser) has run.
std::string HtmlToText(std::string_view html, const HtmlTextOptions& opts = {});

// HtmlToText split into lines (empty strings for blank lines).
std::vector<std::string> HtmlToLines(std::string_view html, const HtmlTextOptions& opts = {});

}  // namespace mime
