// ParseJson (wsgw/lambda.h) reads most texts with simdjson and the rest with jsoncpp. Every test
// here runs texts through both readers and requires the very same Json::Value from each: the
// type() of every node (int, uint and real are different things to a handler), every value bit for
// bit, member names and order, and the source offsets jsoncpp records. Json::Value::operator==
// is not enough: it calls 0.0 and -0.0 equal and ignores offsets.
#include <gtest/gtest.h>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <locale>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "json_readers.h"
#include "base/json.h"
#include "api/lambda_event.h"
#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

using namespace std::string_literals;

std::string Quoted(std::string_view text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      out += static_cast<char>(c);
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", c);
      out += hex;
    }
  }
  return out + "\"";
}

std::string Bits(double real) {
  std::ostringstream out;
  out << real << " (0x" << std::hex << std::bit_cast<uint64_t>(real) << ")";
  return out.str();
}

// Where `got` and `want` first differ, in words; empty when they do not.
std::string Difference(const Json::Value& got, const Json::Value& want, const std::string& path) {
  if (got.type() != want.type()) {
    return path + ": type " + std::to_string(got.type()) + ", jsoncpp has " +
           std::to_string(want.type());
  }
  if (got.getOffsetStart() != want.getOffsetStart() ||
      got.getOffsetLimit() != want.getOffsetLimit()) {
    return path + ": offsets " + std::to_string(got.getOffsetStart()) + ".." +
           std::to_string(got.getOffsetLimit()) + ", jsoncpp has " +
           std::to_string(want.getOffsetStart()) + ".." + std::to_string(want.getOffsetLimit());
  }
  for (Json::CommentPlacement placement :
       {Json::commentBefore, Json::commentAfterOnSameLine, Json::commentAfter}) {
    if (got.hasComment(placement) || want.hasComment(placement)) return path + ": a comment";
  }
  switch (want.type()) {
    case Json::nullValue:
      return "";
    case Json::intValue:
      if (got.asInt64() == want.asInt64()) return "";
      return path + ": " + std::to_string(got.asInt64()) + ", jsoncpp has " +
             std::to_string(want.asInt64());
    case Json::uintValue:
      if (got.asUInt64() == want.asUInt64()) return "";
      return path + ": " + std::to_string(got.asUInt64()) + ", jsoncpp has " +
             std::to_string(want.asUInt64());
    case Json::realValue:
      if (std::bit_cast<uint64_t>(got.asDouble()) == std::bit_cast<uint64_t>(want.asDouble())) {
        return "";
      }
      return path + ": " + Bits(got.asDouble()) + ", jsoncpp has " + Bits(want.asDouble());
    case Json::stringValue: {
      const char* begin = nullptr;
      const char* end = nullptr;
      got.getString(&begin, &end);
      std::string got_string(begin, end);
      want.getString(&begin, &end);
      std::string want_string(begin, end);
      if (got_string == want_string) return "";
      return path + ": " + Quoted(got_string) + ", jsoncpp has " + Quoted(want_string);
    }
    case Json::booleanValue:
      if (got.asBool() == want.asBool()) return "";
      return path + ": " + (got.asBool() ? "true" : "false") + ", jsoncpp has the other";
    case Json::arrayValue:
      if (got.size() != want.size()) {
        return path + ": " + std::to_string(got.size()) + " items, jsoncpp has " +
               std::to_string(want.size());
      }
      for (Json::ArrayIndex i = 0; i < want.size(); ++i) {
        std::string difference = Difference(got[i], want[i], path + "[" + std::to_string(i) + "]");
        if (!difference.empty()) return difference;
      }
      return "";
    case Json::objectValue: {
      if (got.size() != want.size()) {
        return path + ": " + std::to_string(got.size()) + " members, jsoncpp has " +
               std::to_string(want.size());
      }
      auto got_member = got.begin();
      for (auto want_member = want.begin(); want_member != want.end();
           ++want_member, ++got_member) {
        std::string name = want_member.name();
        if (got_member.name() != name) {
          return path + ": member " + Quoted(got_member.name()) + " where jsoncpp has " +
                 Quoted(name);
        }
        std::string difference = Difference(*got_member, *want_member, path + "." + Quoted(name));
        if (!difference.empty()) return difference;
      }
      return "";
    }
  }
  return path + ": unknown type";
}

// What jsoncpp and simdjson made of `text`, and where they part, if they do.
struct Reading {
  std::optional<Json::Value> jsoncpp;
  std::optional<Json::Value> simdjson;
  std::optional<Json::Value> combined;  // ParseJson, the public function
  std::string difference;               // empty: simdjson and ParseJson both gave jsoncpp's answer
};

Reading Read(std::string_view text) {
  Reading reading{ParseJsonWithJsoncpp(text), ParseJsonWithSimdjson(text), ParseJson(text), ""};
  if (reading.simdjson) {
    if (!reading.jsoncpp) {
      reading.difference = "simdjson answered, jsoncpp rejects";
    } else {
      reading.difference = Difference(*reading.simdjson, *reading.jsoncpp, "$");
    }
  }
  if (reading.difference.empty() && reading.combined.has_value() != reading.jsoncpp.has_value()) {
    reading.difference = reading.jsoncpp ? "ParseJson rejects what jsoncpp accepts"
                                         : "ParseJson accepts what jsoncpp rejects";
  }
  if (reading.difference.empty() && reading.combined) {
    reading.difference = Difference(*reading.combined, *reading.jsoncpp, "ParseJson $");
  }
  return reading;
}

// Both readers agree on `text`, and simdjson answers it exactly when `fast` says it should.
void ExpectSameReading(std::string_view text, bool fast) {
  Reading reading = Read(text);
  EXPECT_EQ(reading.difference, "") << "text: " << Quoted(text);
  EXPECT_EQ(reading.simdjson.has_value(), fast)
      << "text: " << Quoted(text) << (fast ? ": simdjson declined" : ": simdjson answered");
}

void ExpectAnsweredBySimdjson(std::string_view text) { ExpectSameReading(text, true); }
void ExpectLeftToJsoncpp(std::string_view text) { ExpectSameReading(text, false); }

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

ConnectionContext Connection() {
  ConnectionContext connection;
  connection.connectionId = NewConnectionId();
  connection.connectedAtMs = 1731332735513;
  connection.sourceIp = "127.0.0.1";
  connection.userAgent = "Mozilla/5.0 (X11; Linux x86_64) \"quoted\" \\ back\tslash";
  connection.domainName = "127.0.0.1:3001";
  connection.stage = "dev";
  connection.apiId = "abcdefghij";
  return connection;
}

TEST(LambdaJson, SimdjsonReadsTheGoldenEventsAsJsoncppDoes) {
  int events = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(WSGW_FIXTURES_DIR) + "/events")) {
    if (entry.path().extension() != ".json") continue;
    std::string text = ReadFile(entry.path());
    ASSERT_NE(text.find("requestContext"), std::string::npos) << entry.path();
    SCOPED_TRACE(entry.path().string());
    ExpectAnsweredBySimdjson(text);
    ++events;
  }
  EXPECT_GE(events, 4);
}

TEST(LambdaJson, SimdjsonReadsTheGatewaysEventsAsJsoncppDoes) {
  ConnectionContext connection = Connection();
  EventIds ids{NewRequestId(), NewMessageId()};
  const int64_t now_ms = 1731332746514;
  for (const std::string& body :
       {R"({"action":"echo","seq":123456,"pad":"xxxxxxxxxxxxxxxx"})"s,
        "plain text, \"quoted\", back\\slash, tab\t, newline\n, NUL \0!"s,
        "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"s, ""s,
        R"({"n":[0,-0,1.5,1e2,9223372036854775808,-9223372036854775808]})"s,
        std::string(40000, 'y')}) {
    std::string text = SerializeMessageEvent(connection, "$default", body, ids, now_ms);
    ExpectAnsweredBySimdjson(text);
    ASSERT_TRUE(ParseJson(text));
    EXPECT_EQ((*ParseJson(text))["body"].asString(), body);
  }
  ConnectRequest request;
  request.headers = {{"Host", "127.0.0.1:3001"},
                     {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="},
                     {"X-Repeated", "one"},
                     {"X-Repeated", "two"},
                     {"Cookie", "a=\"b\"; c=d\\e"}};
  request.rawQuery = "token=abc&token=def&empty=&name=caf%C3%A9";
  request.hasQuery = true;
  request.localPort = 3001;
  ExpectAnsweredBySimdjson(SerializeEvent(BuildConnectEvent(connection, request, ids, now_ms)));
  ExpectAnsweredBySimdjson(
      SerializeEvent(BuildDisconnectEvent(connection, 1001, "going away", ids, now_ms)));
}

TEST(LambdaJson, NumbersKeepJsoncppsTypes) {
  struct Case {
    const char* text;
    Json::ValueType type;
    bool fast;
  };
  const Case cases[] = {
      {"0", Json::intValue, true},
      {"-0", Json::intValue, true},
      {"1", Json::intValue, true},
      {"-1", Json::intValue, true},
      {"1.0", Json::realValue, true},
      {"-0.0", Json::realValue, true},
      {"-0e0", Json::realValue, true},
      {"0.1", Json::realValue, true},
      {"1e2", Json::realValue, true},
      {"1E2", Json::realValue, true},
      {"1e+2", Json::realValue, true},
      {"1e-2", Json::realValue, true},
      {"100e-2", Json::realValue, true},
      {"4294967295", Json::intValue, true},
      {"4294967296", Json::intValue, true},
      {"-2147483649", Json::intValue, true},
      {"9223372036854775807", Json::intValue, true},
      {"9223372036854775808", Json::uintValue, true},
      {"18446744073709551615", Json::uintValue, true},
      {"-9223372036854775808", Json::intValue, true},
      {"1.7976931348623157e308", Json::realValue, true},
      {"4.9406564584124654e-324", Json::realValue, true},
      {"2.2250738585072011e-308", Json::realValue, true},
      {"1e-400", Json::realValue, true},
      {"-1e-400", Json::realValue, true},
      {"0.1000000000000000055511151231257827021181583404541015625", Json::realValue, true},
      {"123456789012345678901234567890e-10", Json::realValue, true},
      {"9007199254740993", Json::intValue, true},
      {"9007199254740993.0", Json::realValue, true},
      // simdjson refuses integers beyond 64 bits; jsoncpp reads them as reals.
      {"18446744073709551616", Json::realValue, false},
      {"-9223372036854775809", Json::realValue, false},
      {"123456789012345678901234567890", Json::realValue, false},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.text);
    const std::string number = c.text;
    for (const std::string& text :
         {number, std::string("[") + number + "]", std::string("{\"n\": ") + number + " }"}) {
      ExpectSameReading(text, c.fast);
    }
    std::optional<Json::Value> value = ParseJson(c.text);
    ASSERT_TRUE(value);
    EXPECT_EQ(value->type(), c.type);
  }
  EXPECT_EQ(ParseJson("9223372036854775808")->asUInt64(), 9223372036854775808u);
  EXPECT_EQ(std::bit_cast<uint64_t>(ParseJson("-0.0")->asDouble()), std::bit_cast<uint64_t>(-0.0));
  // Overflow to infinity is an error to jsoncpp (and simdjson).
  for (const char* text : {"1e400", "-1e400", "1.8e308"}) ExpectLeftToJsoncpp(text);
  EXPECT_FALSE(ParseJson("1e400"));
}

TEST(LambdaJson, StringsDecodeAsJsoncppDecodesThem) {
  for (const std::string& text : {
           R"("")"s,
           R"("plain")"s,
           R"("\" \\ \/ \b \f \n \r \t")"s,
           R"("\u0000")"s,
           R"("a\u0000b\u0000")"s,
           R"("\u001f \u007f \u0080 \u00e9 \u00E9 \u07ff \u0800 \u20ac \uffff")"s,
           R"("\ud83d\ude00 \uD83D\uDE00 \uDBFF\uDFFF \uD800\uDC00")"s,
           "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80 \xEF\xBF\xBF\""s,
           R"("\\\\" )"s,
           R"(["\\", "\\\"", "\"\\", "x\\\\\\\"y"])"s,
           R"({"\"": "\\", "\\": "\""})"s,
           "\"\x7f\""s,
       }) {
    ExpectAnsweredBySimdjson(text);
  }
  EXPECT_EQ(ParseJson(R"("a\u0000b")")->asString(), std::string("a\0b", 3));
  // What simdjson refuses and jsoncpp may accept: lone or mismatched surrogate halves, raw control
  // characters, invalid UTF-8, unknown escapes.
  for (const std::string& text : {
           R"("\ud800")"s,
           R"("\udc00")"s,
           R"("\ud800\u0041")"s,
           R"("\ud800x")"s,
           R"("\ude00\ud83d")"s,
           "\"tab\there\""s,
           "\"new\nline\""s,
           "\"nul\0\""s,
           "\"\xFF\""s,
           "\"\xC3\""s,
           "\"\xED\xA0\x80\""s,
           "\"\xC0\xAF\""s,
           R"("\x41")"s,
           R"("\u12")"s,
           R"("\U0041")"s,
       }) {
    ExpectLeftToJsoncpp(text);
  }
}

TEST(LambdaJson, ObjectsKeepTheLastOfRepeatedKeysInKeyOrder) {
  for (const char* text : {
           R"({"a":1,"a":2})",
           R"({"a":{"x":1,"y":[1,2]},"b":0,"a":"s"})",
           R"({"a":"s","a":{"x":1,"x":true}})",
           R"({"a":[1,2,3],"a":[]})",
           R"({"b":1,"a":2,"B":3,"aa":4,"":5,"A":6,"\u0000":7,"a\u0000":8,"é":9,"~":10})",
           R"({"":1,"":2})",
           R"({"k":null,"k":false,"k":true,"k":-1,"k":1.5,"k":18446744073709551615})",
       }) {
    ExpectAnsweredBySimdjson(text);
  }
  EXPECT_EQ((*ParseJson(R"({"a":1,"a":2})"))["a"].asInt(), 2);
  std::vector<std::string> names =
      ParseJson(R"({"b":1,"a":2,"B":3,"aa":4,"":5})")->getMemberNames();
  EXPECT_EQ(names, (std::vector<std::string>{"", "B", "a", "aa", "b"}));
}

// simdjson's reader keeps the shapes (keys in text order) of objects it sees repeatedly and builds
// later objects of the same shape from a copy: every round must read the same as the first.
TEST(LambdaJson, ObjectsOfARepeatedShapeReadTheSameEveryTime) {
  const std::vector<std::string> texts = {
      R"({"a":1,"b":"x","c":{"d":[1,2],"e":null}})",
      R"({"a":"one","b":{"z":1},"c":{"d":{},"e":-0.0}})",
      R"({"b":1,"a":2,"c":3})",
      R"( { "a" : [ {"k":1,"l":2}, {"k":"3","l":4.5}, {"l":6,"k":7} ] , "b" : 0 , "c" : "" } )",
      R"({"a":1,"a":2,"c":3})",
      R"({"a":1,"ab":2,"a\u0000":3})",
      R"({"ab":1,"a":2,"a\u0000":3})",
      R"({"\u0000":1,"":2,"\"":3})",
      R"({"é":1,"e":2,"E":3,"\u00e9":4})",
      R"({"a":18446744073709551615,"b":-9223372036854775808,"c":true})",
  };
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    for (const std::string& text : texts) ExpectAnsweredBySimdjson(text);
  }
  // More shapes than are kept, each seen often enough to be kept, in turns.
  for (int round = 0; round < 3; ++round) {
    for (int shape = 0; shape < 40; ++shape) {
      std::string text = "{";
      for (int key = 0; key <= shape % 7 + 1; ++key) {
        text += (key > 0 ? ",\"k" : "\"k") + std::to_string(shape * 10 + key) +
                "\":" + std::to_string(round * key);
      }
      text += "}";
      for (int again = 0; again < 3; ++again) ExpectAnsweredBySimdjson(text);
    }
  }
}

TEST(LambdaJson, OffsetsPointIntoTheText) {
  const std::string text = " {\"a\" : [1, \"two\", {\"b\":null}] ,\"c\":-1.5e3}\n";
  ExpectAnsweredBySimdjson(text);
  Json::Value value = *ParseJson(text);
  auto cut = [&](const Json::Value& v) {
    return text.substr(v.getOffsetStart(), v.getOffsetLimit() - v.getOffsetStart());
  };
  EXPECT_EQ(cut(value), "{\"a\" : [1, \"two\", {\"b\":null}] ,\"c\":-1.5e3}");
  EXPECT_EQ(cut(value["a"]), "[1, \"two\", {\"b\":null}]");
  EXPECT_EQ(cut(value["a"][1]), "\"two\"");
  EXPECT_EQ(cut(value["a"][2]["b"]), "null");
  EXPECT_EQ(cut(value["c"]), "-1.5e3");
}

TEST(LambdaJson, AnyRootAndAnyJsonWhitespaceAreAccepted) {
  for (const char* text :
       {"{}", "[]", "null", "true", "false", "1", "\"s\"", " \t\r\n{ \t\r\n} \t\r\n", "[ ]",
        "[\n1\r,\t2 ]", "{\"a\"\n:\n[\n]\n}", "[[],{},[[]],[{}]]"}) {
    ExpectAnsweredBySimdjson(text);
  }
}

TEST(LambdaJson, NonJsonIsRejectedAsBefore) {
  for (const std::string& text :
       {""s, " "s, "{"s, "}"s, R"({"a":})"s, R"({"a" 1})"s, "[1 2]"s, "01"s, "-01"s, "1."s, ".5"s,
        "-"s, "+1"s, "1e"s, "NaN"s, "Infinity"s, "-Infinity"s, "tru"s, "nul"s, "True"s, "{}x"s,
        "{} {}"s, "'a'"s, "{'a':1}"s, "{a:1}"s, "/* c */ {}"s, "{} // c"s, "[1,,2]"s,
        R"({"a":1 "b":2})"s, "\"unterminated"s, "\0"s, "{}\0{}"s,
        // jsoncpp's leniencies: trailing commas, a NUL ending the text, a byte-order mark.
        "[1,]"s, R"({"a":1,})"s, R"({"":1,})"s, "{}\0"s, "\xEF\xBB\xBF{}"s}) {
    ExpectLeftToJsoncpp(text);
  }
  EXPECT_FALSE(ParseJson("{"));
  EXPECT_FALSE(ParseJson(""));
  EXPECT_TRUE(ParseJson("[1,]"));
}

std::string NestedArrays(size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

TEST(LambdaJson, DeepTextsGoToJsoncppAndItsLimit) {
  ExpectAnsweredBySimdjson(NestedArrays(kFastJsonMaxDepth));
  ExpectLeftToJsoncpp(NestedArrays(kFastJsonMaxDepth + 1));
  ExpectLeftToJsoncpp(NestedArrays(1000));
  ExpectLeftToJsoncpp(NestedArrays(1001));
  ExpectLeftToJsoncpp(NestedArrays(100000));
  EXPECT_TRUE(ParseJson(NestedArrays(1000)));
  EXPECT_FALSE(ParseJson(NestedArrays(1001)));
}

TEST(LambdaJson, LongTextsGoToJsoncpp) {
  const std::string frame = R"({"body":""})";
  std::string longest = frame;
  longest.insert(9, kFastJsonMaxBytes - frame.size(), 'z');
  ExpectAnsweredBySimdjson(longest);
  ExpectLeftToJsoncpp(longest + " ");
  // The parser grew for the longest text; it keeps its depth limit.
  ExpectAnsweredBySimdjson(NestedArrays(kFastJsonMaxDepth));
  ExpectLeftToJsoncpp(NestedArrays(kFastJsonMaxDepth + 1));
}

// A decimal comma, as some locales have.
struct CommaDecimalPoint : std::numpunct<char> {
  char do_decimal_point() const override { return ','; }
};

TEST(LambdaJson, RealsGoToJsoncppUnderAnotherGlobalLocale) {
  struct RestoreLocale {
    std::locale saved =
        std::locale::global(std::locale(std::locale::classic(), new CommaDecimalPoint));
    ~RestoreLocale() { std::locale::global(saved); }
  } restore;
  // jsoncpp reads reals through the global locale: "1.5" is 1 to it now, and stays its answer.
  for (int round = 0; round < 3; ++round) {
    ExpectLeftToJsoncpp("[1.5]");
    ExpectLeftToJsoncpp(R"({"a":"b","c":{"d":1,"e":2e3}})");
    ExpectAnsweredBySimdjson(R"({"a":"b","c":{"d":1,"e":[1,-2,18446744073709551615]}})");
  }
}

// Texts built from JSON's pieces, most of them valid, many with the edge cases above.
class TextMaker {
 public:
  explicit TextMaker(uint32_t seed) : random_(seed) {}

  std::string Value(int depth) {
    switch (depth >= 6 ? Pick(4) : Pick(7)) {
      case 0:
        return Number();
      case 1:
        return String();
      case 2:
        return Pick({"true", "false", "null"});
      case 3:
        return Pick(2) ? Number() : String();
      case 4:
      case 5: {
        std::string out = "{" + Space();
        for (int i = 0, n = Pick(5); i < n; ++i) {
          if (i > 0) out += "," + Space();
          out += Key() + Space() + ":" + Space() + Value(depth + 1) + Space();
        }
        return out + "}";
      }
      default: {
        std::string out = "[" + Space();
        for (int i = 0, n = Pick(5); i < n; ++i) {
          if (i > 0) out += "," + Space();
          out += Value(depth + 1) + Space();
        }
        return out + "]";
      }
    }
  }

  // `text` with a few bytes changed, removed or added.
  std::string Mutate(std::string text) {
    static const std::string kBytes = std::string("{}[],:\"\\ \t\n0123456789-+.eEtrufalsnu") +
                                      '\0' + "\x7f\x80\xc3\xa9\xed\xa0\xff";
    for (int i = 0, n = 1 + Pick(3); i < n; ++i) {
      size_t at = text.empty() ? 0 : Pick(static_cast<int>(text.size()));
      char byte = kBytes[Pick(static_cast<int>(kBytes.size()))];
      switch (Pick(4)) {
        case 0:
          if (!text.empty()) text[at] = byte;
          break;
        case 1:
          if (!text.empty()) text.erase(at, 1);
          break;
        case 2:
          text.insert(at, 1, byte);
          break;
        default:
          text.resize(at);
          break;
      }
    }
    return text;
  }

 private:
  int Pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(random_); }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + Pick(static_cast<int>(options.size())));
  }

  std::string Space() { return Pick(4) ? "" : Pick({" ", "\n", "\t", "\r\n  "}); }

  std::string Digits(int max) {
    std::string out;
    for (int i = 0, n = 1 + Pick(max); i < n; ++i) out += static_cast<char>('0' + Pick(10));
    return out;
  }

  std::string Number() {
    if (Pick(3) == 0) {
      return Pick({"0", "-0", "-0.0", "1e-400", "9223372036854775807", "9223372036854775808",
                   "18446744073709551615", "18446744073709551616", "-9223372036854775808",
                   "-9223372036854775809", "1.7976931348623157e308", "4.9406564584124654e-324",
                   "2.2250738585072011e-308", "0.1", "1e2", "5e-324", "2e-324"});
    }
    std::string out = Pick(3) ? "" : "-";
    std::string integer = Digits(Pick(4) ? 6 : 22);
    while (integer.size() > 1 && integer[0] == '0') integer.erase(0, 1);
    out += integer;
    if (Pick(3) == 0) out += "." + Digits(Pick(4) ? 4 : 25);
    if (Pick(4) == 0) out += Pick({"e", "E", "e+", "e-", "E-"}) + Digits(3);
    return out;
  }

  std::string String() {
    static const char* const kPieces[] = {"a",
                                          "Z",
                                          " ",
                                          "text with spaces",
                                          "\\\"",
                                          "\\\\",
                                          "\\/",
                                          "\\b",
                                          "\\f",
                                          "\\n",
                                          "\\r",
                                          "\\t",
                                          "\\u0000",
                                          "\\u001F",
                                          "\\u00e9",
                                          "\\u20AC",
                                          "\\ud83d\\ude00",
                                          "\\uFFFF",
                                          "\\\\\\\"",
                                          "\xC3\xA9",
                                          "\xE2\x82\xAC",
                                          "\xF0\x9F\x98\x80",
                                          "\x7f"};
    std::string out = "\"";
    for (int i = 0, n = Pick(6); i < n; ++i)
      out += kPieces[Pick(static_cast<int>(std::size(kPieces)))];
    return out + "\"";
  }

  std::string Key() {
    return Pick(2) ? Pick({"\"a\"", "\"b\"", "\"\"", "\"A\"", "\"\\u0000\""}) : String();
  }

  std::mt19937 random_;
};

TEST(LambdaJson, GeneratedAndMutatedTextsReadTheSame) {
  TextMaker maker(20241111);
  int answered = 0;
  const int kTexts = 4000;
  for (int i = 0; i < kTexts; ++i) {
    std::string text = maker.Value(0);
    Reading reading = Read(text);
    ASSERT_EQ(reading.difference, "") << "text: " << Quoted(text);
    if (reading.simdjson) ++answered;
    std::string mutated = maker.Mutate(text);
    Reading mutated_reading = Read(mutated);
    ASSERT_EQ(mutated_reading.difference, "") << "text: " << Quoted(mutated);
  }
  // Most generated texts are JSON simdjson takes: the comparisons above are not all vacuous.
  EXPECT_GT(answered, kTexts / 2);
}

}  // namespace
}  // namespace wsgw::lambda
