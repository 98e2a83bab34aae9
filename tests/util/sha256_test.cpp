#include "util/sha256.h"

#include <catch2/catch.hpp>

TEST_CASE("SHA-256 matches the FIPS 180-2 test vectors") {
  CHECK(util::Sha256Hex("abc") ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(util::Sha256Hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
