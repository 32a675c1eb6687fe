#include "base/utf8.h"

#include <gtest/gtest.h>

#include <string>

namespace wsgw {
namespace {

TEST(Utf8, AcceptsTextInEveryEncodedLength) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("hello"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9"));              // é
  EXPECT_TRUE(IsValidUtf8("\xe2\x82\xac"));             // €
  EXPECT_TRUE(IsValidUtf8("\xf0\x9f\x98\x80"));         // 😀
  EXPECT_TRUE(IsValidUtf8(std::string("a\0b", 3)));     // NUL is a character
}

TEST(Utf8, RefusesBytesThatAreNotUtf8) {
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));                    // truncated
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));                // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));            // surrogate
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));        // above U+10FFFF
  EXPECT_FALSE(IsValidUtf8("\x80"));                    // lone continuation byte
  EXPECT_FALSE(IsValidUtf8("ok\xe2\x82"));              // truncated at the end
}

}  // namespace
}  // namespace wsgw
