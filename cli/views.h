// How records look to operators: JSON for tools, aligned tables for people.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/config.h"
#include "mime/forward.h"
#include "mime/message.h"
#include "store/records.h"
#include "store/store.h"
#include "util/result.h"

namespace cli {

// `deskmail inspect --json`: the contract in ARCHITECTURE.md.
// Its "forwarded" key is ForwardedJson of mime::UnwrapForward, or null.
nlohmann::json MessageJson(const mime::Message& m);
nlohmann::json ForwardedJson(const mime::Forwarded& f);
nlohmann::json TicketJson(const store::TicketRecord& t);
nlohmann::json MessageRecordJson(const store::MessageRecord& m, bool with_body);
const char* DispositionName(store::Disposition d);
// `deskmail intake --log --json`, one entry.
nlohmann::json IntakeLogJson(const store::IntakeLogRecord& r);
// `deskmail export --jsonl`, one line.
nlohmann::json EventJson(const store::Event& e);
// One outage as `deskmail accounts --json` lists it. `backfill` and
// `forward` split `recovered` by how the mail came back (IMAP backfill vs
// a forwarded copy through the intake).
nlohmann::json OutageJson(const store::OutageRecord& o, std::uint64_t backfill,
                          std::uint64_t forward);
// `deskmail accounts --json`: {"alert", "now", "accounts": [...]}, each
// account engine::AccountStatusJson plus its "outages". `txn` may be null
// (no store yet).
nlohmann::json AccountsReport(const config::Config& cfg, store::ReadTxn* txn, std::int64_t now);

// The message's text: body_text, or, when the text is the raw message's own
// (text_in_raw), what mime::Parse reads from the raw message again. An error
// when that raw message is missing, damaged or no longer parses.
util::Result<std::string> MessageText(store::ReadTxn& txn, const store::MessageRecord& m);

// A stored message as the ticket views show it: body_text set (MessageText,
// or "[text unavailable: WHY]"), and the SHA-256 of each attachment the
// ingest did not hash (mime::ParseOptions::hash_attachments) worked out
// from the raw message, in the same parse.
void ReadBack(store::ReadTxn& txn, store::MessageRecord& m);

// Terminal columns a UTF-8 string takes (East Asian wide characters count 2).
std::size_t DisplayWidth(std::string_view utf8);
// Cut to at most `width` columns, with "…" when cut; pads with spaces to `width`.
std::string FitColumn(std::string_view utf8, std::size_t width);

// A table with a header row; columns sized to content, the last one may be cut
// to fit `max_width`.
std::string RenderTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows,
                        std::size_t max_width = 120);

// "#123". (Built by append: GCC 12 -O3 raises a false -Wrestrict on
// "literal" + std::string&&, PR 105329.)
std::string TicketLabel(std::uint64_t id);

std::string FormatDate(std::int64_t unix_seconds);  // "2026-11-03 14:02" UTC, "-" for 0

// Mail-supplied or remote text as printed for people: util::Printable
// (escape sequences and control characters made visible). A single-line
// field shows its newlines as "\n"; `multiline` keeps a body's lines.
// Tables (RenderTable) apply it to every cell; --json output never uses it.
std::string Shown(std::string_view text, bool multiline = false);

}  // namespace cli
