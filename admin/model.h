// The JSON models behind the pages and the API. The API answers them as
// they are; pages render them (adding only presentation keys).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/config.h"
#include "store/store.h"

namespace admin {

// `deskmail accounts --json` exactly (cli::AccountsReport).
nlohmann::json AccountsModel(const config::Config& cfg, store::ReadTxn& txn, std::int64_t now);

// Per account: messages stored today (UTC day of `now`), by account name.
std::map<std::string, std::uint64_t> FetchedToday(store::ReadTxn& txn, std::int64_t now);

// "/": {"accounts": [needing action first], "today": {...}, "open_outages": [...],
// "last_errors": [...]}.
nlohmann::json DashboardModel(const config::Config& cfg, store::ReadTxn& txn, std::int64_t now);

// Tickets newest first, `per_page` a page: {"page", "pages", "total", "tickets": [TicketJson]}.
nlohmann::json TicketsModel(store::ReadTxn& txn, std::uint64_t page, std::uint64_t per_page);
// `deskmail tickets show ID --json`; nullopt when no such ticket.
std::optional<nlohmann::json> TicketModel(store::ReadTxn& txn, std::uint64_t id);
// The intake log newest first, paged like tickets: {"page", "pages", "total", "entries"}.
nlohmann::json IntakeModel(store::ReadTxn& txn, std::uint64_t page, std::uint64_t per_page);

// Whether the account's state needs an admin (expiring or expired), and the
// order the Support Emails page sorts by: expired, expiring, recovering, active.
int StateRank(const std::string& state);

}  // namespace admin
