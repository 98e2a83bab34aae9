#include <cstdio>
#include <fstream>
#include <sstream>

#include "cli/cli.h"
#include "cli/views.h"
#include "engine/mailbox.h"
#include "mime/message.h"

namespace cli {

int CmdInspect(const std::string& file, bool json) {
  auto opened = engine::OpenMailbox(file);
  engine::MailboxItem item;
  if (!opened.ok()) {
    PrintError("inspect: " + opened.status().message());
    return opened.status().code() == util::Code::kNotFound ? kExitUsage : kExitFailure;
  }
  if (!(*opened)->Next(item) || !item.error.ok()) {
    PrintError("inspect: " + (item.error.ok() ? file + ": no message" : item.error.message()));
    return kExitFailure;
  }
  auto parsed = mime::Parse(item.bytes);
  if (!parsed.ok()) {
    PrintError("inspect: " + file + ": " + parsed.status().message());
    return kExitFailure;
  }
  nlohmann::json j = MessageJson(*parsed);
  if (json) {
    std::string s = j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace);
    std::printf("%s\n", s.c_str());
    return kExitOk;
  }
  const mime::Message& m = *parsed;
  std::printf(
      "From:     %s <%s>\nSubject:  %s\nDate:     %s\nClass:    %s%s\n", Shown(m.from.name).c_str(),
      Shown(m.from.address).c_str(), Shown(m.subject).c_str(),
      j["date"].is_null() ? "-" : j["date"].get<std::string>().c_str(),
      mime::ClassificationName(m.classification),
      m.classification_reason.empty() ? "" : (" (" + Shown(m.classification_reason) + ")").c_str());
  for (const auto& a : m.attachments) {
    std::printf("Attached: %s (%s, %llu bytes)\n", Shown(a.filename).c_str(),
                Shown(a.content_type).c_str(), static_cast<unsigned long long>(a.size));
  }
  for (const auto& e : m.parse_errors) std::printf("Damage:   %s\n", Shown(e).c_str());
  std::printf("\n%s\n", Shown(m.body_text, /*multiline=*/true).c_str());
  return kExitOk;
}

int CmdExport(const Context& ctx, std::uint64_t since, bool jsonl) {
  auto store = ctx.OpenStore(/*read_only=*/true);
  if (!store) return kExitFailure;
  util::Status st = store->Read([&](store::ReadTxn& txn) {
    txn.ForEachEvent(since, [&](const store::Event& e) {
      std::string s = EventJson(e).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      std::fwrite(s.data(), 1, s.size(), stdout);
      std::fputc('\n', stdout);
      return true;
    });
    return util::Status{};
  });
  if (!st.ok()) {
    PrintError(ctx.data_dir + ": " + st.ToString());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace cli
