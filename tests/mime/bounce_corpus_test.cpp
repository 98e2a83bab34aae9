// Debian's python3-flufl.bounce ships a collection of real-world bounces
// (its tests/data/): every message in it must be classified with a reason,
// so that no bounce opens a ticket (and starts a loop with the helpdesk's
// auto-acknowledgement). CMake finds the directory at configure time; the
// package is in scripts/bootstrap.sh, so a missing corpus is a failure.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "mime/message.h"

#ifndef DESKMAIL_FLUFL_BOUNCE_DIR
#define DESKMAIL_FLUFL_BOUNCE_DIR ""
#endif

namespace fs = std::filesystem;
using C = mime::Classification;

namespace {

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Exception {
  C want;
  const char* why;
};

// The exceptions, each with its reason. Everything else in the corpus is a
// bounce and must be classified as one.
const std::map<std::string, Exception> kExceptions = {
    {"groupwise_03.txt",
     {C::kNormal,
      "a person's Outlook reply (RE: subject, quoted conversation, a .doc attachment): the "
      "corpus keeps it to prove detectors leave human mail alone"}},
    {"simple_20.txt",
     {C::kNormal,
      "a bounce, knowingly left as mail: a gateway wrote it as a reply ('RE: ... : non remis "
      "(delivery failed)') from an ordinary mailbox with an ordinary Return-Path, and its body "
      "is two sentences anyone could type ('Your message could not be delivered to ...'); "
      "nothing machine-made to anchor on, and a rule that caught it would catch a customer "
      "replying 'RE: ... delivery failed'"}},
    {"qmail_08.txt",
     {C::kAutoReply,
      "an autoresponder's 'Auto reply' (Precedence: auto_reply), not a delivery failure"}},
};

}  // namespace

TEST_CASE("flufl.bounce corpus: every bounce is classified, with a reason",
          "[classify][corpus][bounce]") {
  const fs::path dir = DESKMAIL_FLUFL_BOUNCE_DIR;
  INFO("corpus directory: '" << dir.string() << "'");
  REQUIRE_FALSE(dir.empty());  // CMake did not find python3-flufl.bounce's tests/data
  REQUIRE(fs::is_directory(dir));

  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".txt") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  REQUIRE(files.size() >= 100);  // 115 in flufl.bounce 4.0

  std::size_t bounces = 0, exceptions_seen = 0;
  for (const fs::path& f : files) {
    const std::string name = f.filename().string();
    auto m = mime::Parse(ReadFile(f));
    INFO(name);
    REQUIRE(m.ok());
    INFO("subject: " << m->subject << " | from: " << m->from.address
                     << " | got: " << mime::ClassificationName(m->classification) << " ("
                     << m->classification_reason << ")");
    const auto ex = kExceptions.find(name);
    const C want = ex == kExceptions.end() ? C::kBounce : ex->second.want;
    if (ex != kExceptions.end()) {
      INFO("exception: " << ex->second.why);
      ++exceptions_seen;
      CHECK(m->classification == want);
    } else {
      CHECK(m->classification == want);
      bounces += m->classification == want ? 1 : 0;
    }
    if (want == C::kNormal)
      CHECK(m->classification_reason.empty());
    else
      CHECK_FALSE(m->classification_reason.empty());
  }
  CHECK(exceptions_seen == kExceptions.size());
  CHECK(bounces + kExceptions.size() == files.size());
}
