#include "base/suggest.h"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

const std::vector<std::string> kKeys = {"url", "command", "runtime", "handler", "timeoutMs", "env"};

TEST(Suggest, NamesTheKeyOneTypoAway) {
  EXPECT_EQ(ClosestMatch("hander", kKeys), "handler");
  EXPECT_EQ(ClosestMatch("runtmie", kKeys), "runtime");  // two letters swapped: one edit
  EXPECT_EQ(ClosestMatch("timeoutms", kKeys), "timeoutMs");  // case alone is no edit
  EXPECT_EQ(ClosestMatch("comand", kKeys), "command");
}

TEST(Suggest, GuessesNothingForFarOffWords) {
  EXPECT_EQ(ClosestMatch("frobnicate", kKeys), "");
  EXPECT_EQ(ClosestMatch("x", kKeys), "");
  EXPECT_EQ(ClosestMatch("", kKeys), "");
  EXPECT_EQ(ClosestMatch("routes", {}), "");
}

TEST(Suggest, ShortWordsAllowOneEditOnly) {
  EXPECT_EQ(ClosestMatch("ur", kKeys), "url");
  EXPECT_EQ(ClosestMatch("ul", kKeys), "url");
  EXPECT_EQ(ClosestMatch("ex", kKeys), "");  // "env" is two edits away
}

TEST(Suggest, AWordThatIsACandidateNeedsNoGuess) {
  EXPECT_EQ(ClosestMatch("handler", kKeys), "");
  EXPECT_EQ(DidYouMean("handler", kKeys), "");
}

TEST(Suggest, DidYouMeanQuotesTheMatch) {
  EXPECT_EQ(DidYouMean("hander", kKeys), " (did you mean \"handler\"?)");
  EXPECT_EQ(DidYouMean("zzzzzz", kKeys), "");
}

TEST(Suggest, VeryLongInputsAreNotCompared) {
  EXPECT_EQ(ClosestMatch(std::string(10000, 'a'), kKeys), "");
}

}  // namespace
}  // namespace wsgw
