// libFuzzer entry: the mailbox readers of engine/mailbox.h over any bytes.
// The first byte picks the layout: even, the rest is one file (an mbox
// when it starts with "From ", else one message); odd, a Maildir whose
// messages are the rest split at "\n\0\n". Built by scripts/fuzz.sh.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "engine/mailbox.h"

namespace {

namespace fs = std::filesystem;

const fs::path& Scratch() {
  static const fs::path dir =
      fs::temp_directory_path() / ("deskmail-mailbox-fuzz-" + std::to_string(getpid()));
  return dir;
}

void Write(const fs::path& p, std::string_view bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const bool maildir = (data[0] & 1) != 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  std::error_code ec;
  fs::remove_all(Scratch(), ec);
  fs::create_directories(Scratch(), ec);
  fs::path target = Scratch() / "input";
  if (maildir) {
    fs::create_directories(target / "cur", ec);
    fs::create_directories(target / "new", ec);
    std::size_t start = 0;
    for (int i = 0; start <= rest.size() && i < 64; ++i) {
      std::size_t end = rest.find(std::string_view("\n\0\n", 3), start);
      if (end == std::string_view::npos) end = rest.size();
      Write(target / (i % 2 ? "new" : "cur") / ("m" + std::to_string(i) + ":2,S"),
            rest.substr(start, end - start));
      start = end + 3;
    }
  } else {
    Write(target, rest);
  }
  auto reader = engine::OpenMailbox(target.string());
  if (reader.ok()) {
    engine::MailboxItem item;
    std::size_t total = 0;
    while ((*reader)->Next(item)) total += item.bytes.size() + item.name.size();
    (void)total;
  }
  (void)engine::MboxrdUnescape(rest);
  return 0;
}
