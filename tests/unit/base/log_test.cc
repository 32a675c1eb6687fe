#include "base/log.h"

#include <gtest/gtest.h>

namespace wsgw {
namespace {

// 2026-11-21T21:40:00.123Z
constexpr long long kWhen = 1795297200123LL;

TEST(LogFormat, TextLineHasTimeLevelMessageAndFields) {
  const std::string line =
      FormatTextLine(LogLevel::kInfo, "message",
                     {Str("routeKey", "sendPublic"), Str("function", "chat"),
                      Str("outcome", "replied"), Num("latencyMs", 3.25), Num("bytesIn", 42LL)},
                     kWhen, false);
  EXPECT_EQ(line,
            "2026-11-21T21:40:00.123Z info  message routeKey=sendPublic function=chat "
            "outcome=replied latencyMs=3.2 bytesIn=42");
}

TEST(LogFormat, ValuesWithSpacesQuotesOrNewlinesAreQuoted) {
  const std::string line = FormatTextLine(
      LogLevel::kWarn, "x", {Str("a", "two words"), Str("b", "say \"hi\""), Str("c", "l1\nl2"),
                             Str("d", "")},
      kWhen, false);
  EXPECT_EQ(line, "2026-11-21T21:40:00.123Z warn  x a=\"two words\" b=\"say \\\"hi\\\"\" "
                  "c=\"l1\\nl2\" d=\"\"");
}

TEST(LogFormat, ColorWrapsOnlyTheLevel) {
  EXPECT_EQ(FormatTextLine(LogLevel::kError, "boom", {}, kWhen, true),
            "2026-11-21T21:40:00.123Z \033[31merror\033[0m boom");
  EXPECT_EQ(FormatTextLine(LogLevel::kWarn, "w", {}, kWhen, true),
            "2026-11-21T21:40:00.123Z \033[33mwarn \033[0m w");
  EXPECT_EQ(FormatTextLine(LogLevel::kTrace, "lws", {}, kWhen, true),
            "2026-11-21T21:40:00.123Z \033[90mtrace\033[0m lws");
  EXPECT_EQ(FormatTextLine(LogLevel::kTrace, "lws", {}, kWhen, false),
            "2026-11-21T21:40:00.123Z trace lws");
}

TEST(LogFormat, ColorOnlyOnATerminalWithoutNoColor) {
  EXPECT_TRUE(ShouldColor(true, nullptr, "xterm-256color"));
  EXPECT_TRUE(ShouldColor(true, "", nullptr));  // NO_COLOR= (empty) does not count
  EXPECT_FALSE(ShouldColor(false, nullptr, "xterm"));  // a pipe or a file
  EXPECT_FALSE(ShouldColor(true, "1", "xterm"));
  EXPECT_FALSE(ShouldColor(true, nullptr, "dumb"));
}

TEST(LogFormat, PayloadIsCutWithTheCountLeftOut) {
  EXPECT_EQ(Payload("payload", "{\"a\":1}", 256).value, "{\"a\":1}");
  EXPECT_EQ(Payload("payload", "abcdefghij", 4).value, "abcd\xE2\x80\xA6 (+6 bytes)");
  EXPECT_EQ(Payload("payload", "", 4).value, "");
}

TEST(LogFormat, PayloadIsNeverCutInsideAUtf8Character) {
  // "aé" is 61 C3 A9: a cut at 2 bytes would split é, so it goes back to 1.
  EXPECT_EQ(Payload("payload", "a\xC3\xA9z", 2).value, "a\xE2\x80\xA6 (+3 bytes)");
}

TEST(LogLevels, TraceIsBelowDebugAndParses) {
  LogLevel level = LogLevel::kInfo;
  ASSERT_TRUE(ParseLogLevel("trace", &level));
  EXPECT_EQ(level, LogLevel::kTrace);
  Log::Configure(LogFormat::kText, LogLevel::kDebug);
  EXPECT_TRUE(Log::Enabled(LogLevel::kDebug));
  EXPECT_FALSE(Log::Enabled(LogLevel::kTrace));
  Log::Configure(LogFormat::kText, LogLevel::kTrace);
  EXPECT_TRUE(Log::Enabled(LogLevel::kTrace));
  Log::Configure(LogFormat::kText, LogLevel::kInfo);
  EXPECT_FALSE(ParseLogLevel("verbose", &level));
}

}  // namespace
}  // namespace wsgw
