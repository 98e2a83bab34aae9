// Issue 15: what a child command (access_token_command) can see of a
// running deskmail, and what happens when the master key is lost. Real
// LMDB store, real SecretBox, real /bin/sh child.
#include <stdlib.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "oauth/credentials.h"
#include "oauth/source.h"
#include "tests/support/temp_store.h"

namespace {

constexpr const char* kKey = "8f4e1c2a9b3d5e7f60718293a4b5c6d7e8f9012345678901abcdef0123456789";

config::AccountConfig OAuthAccount(const std::string& name) {
  config::AccountConfig a;
  a.name = name;
  a.address = name + "@acme.example";
  a.client_id = "client-" + name;
  return a;
}

void Seal(store::Store& st, const store::SecretBox& box, const std::string& account) {
  REQUIRE(st.Write([&](store::WriteTxn& t) {
              return oauth::StoreRefreshToken(t, box, account, "refresh-" + account);
            }).ok());
}

}  // namespace

TEST_CASE("a child command sees neither the master key nor any store descriptor") {
  test_support::TempStore ts("deskmail-child");
  setenv("DESKMAIL_MASTER_KEY", kKey, 1);
  auto key = oauth::LoadMasterKey(*ts.st, ts.dir, {OAuthAccount("support")});
  REQUIRE(key.box);
  REQUIRE(key.error.empty());
  Seal(*ts.st, *key.box, "support");
  // What `deskmail run` holds open while it runs the command: the store.
  auto out = oauth::RunCommandForSecret(
      "for f in /proc/$$/fd/*; do echo \"fd $f -> $(readlink $f)\"; done; env");
  unsetenv("DESKMAIL_MASTER_KEY");
  REQUIRE(out.ok());
  INFO(*out);
  CHECK_THAT(*out, !Catch::Contains(kKey));
  CHECK_THAT(*out, !Catch::Contains("DESKMAIL_MASTER_KEY"));
  CHECK_THAT(*out, !Catch::Contains("data.mdb"));
  CHECK_THAT(*out, !Catch::Contains("lock.mdb"));
  CHECK_THAT(*out, !Catch::Contains(ts.dir));
  // And the key is gone from our own environment once read.
  CHECK(getenv("DESKMAIL_MASTER_KEY") == nullptr);
}

TEST_CASE("a store with sealed tokens and no key refuses those accounts, naming them") {
  test_support::TempStore ts("deskmail-nokey");
  unsetenv("DESKMAIL_MASTER_KEY");
  const std::vector<config::AccountConfig> accounts{OAuthAccount("support"), OAuthAccount("sales"),
                                                    OAuthAccount("fresh")};
  {
    auto first = oauth::LoadMasterKey(*ts.st, ts.dir, accounts);  // no tokens yet: a new key
    REQUIRE(first.box);
    CHECK(first.refused.empty());
    Seal(*ts.st, *first.box, "support");
    Seal(*ts.st, *first.box, "sales");
  }
  const std::string key_file = ts.dir + "/master.key";
  REQUIRE(std::filesystem::exists(key_file));
  const std::string saved = key_file + ".saved";
  std::filesystem::rename(key_file, saved);

  auto missing = oauth::LoadMasterKey(*ts.st, ts.dir, accounts);
  CHECK_FALSE(missing.box);
  CHECK(missing.refused == std::vector<std::string>{"support", "sales"});
  CHECK_THAT(missing.error, Catch::Contains("support, sales"));
  CHECK_THAT(missing.error, Catch::Contains("no master key"));
  // Never silently regenerated.
  CHECK_FALSE(std::filesystem::exists(key_file));

  // A different key: the accounts it cannot open are refused, by name.
  {
    std::ofstream(key_file) << "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\n";
  }
  ::chmod(key_file.c_str(), 0600);
  auto other = oauth::LoadMasterKey(*ts.st, ts.dir, accounts);
  REQUIRE(other.box);
  CHECK(other.refused == std::vector<std::string>{"support", "sales"});
  CHECK_THAT(other.error, Catch::Contains("does not open"));
  CHECK_THAT(other.error, Catch::Contains("support, sales"));

  // The right key back: everyone starts.
  std::filesystem::rename(saved, key_file);
  auto back = oauth::LoadMasterKey(*ts.st, ts.dir, accounts);
  REQUIRE(back.box);
  CHECK(back.refused.empty());
  CHECK(back.error.empty());
}
