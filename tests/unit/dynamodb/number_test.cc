#include "dynamodb/number.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace wsgw::dynamodb {
namespace {

Number MustParse(const std::string& text) {
  std::string error;
  std::optional<Number> number = Number::Parse(text, &error);
  EXPECT_TRUE(number.has_value()) << text << ": " << error;
  return number.value_or(Number());
}

std::string ParseError(const std::string& text) {
  std::string error;
  EXPECT_FALSE(Number::Parse(text, &error).has_value()) << text;
  return error;
}

std::string Canonical(const std::string& text) { return MustParse(text).ToString(); }

TEST(Number, ToStringIsDynamoDbsCanonicalForm) {
  EXPECT_EQ(Canonical("1.50"), "1.5");
  EXPECT_EQ(Canonical("01"), "1");
  EXPECT_EQ(Canonical("-0"), "0");
  EXPECT_EQ(Canonical("0.000"), "0");
  EXPECT_EQ(Canonical("1e3"), "1000");
  EXPECT_EQ(Canonical("1E+3"), "1000");
  EXPECT_EQ(Canonical("+12.5e-3"), "0.0125");
  EXPECT_EQ(Canonical(".5"), "0.5");
  EXPECT_EQ(Canonical("5."), "5");
  EXPECT_EQ(Canonical("-100"), "-100");
  EXPECT_EQ(Canonical("123.456"), "123.456");
  EXPECT_EQ(Canonical("1230e-1"), "123");
  EXPECT_EQ(Canonical("1E-130"), "0." + std::string(129, '0') + "1");
  EXPECT_EQ(Canonical("1E125"), "1" + std::string(125, '0'));
}

TEST(Number, RejectsTextThatIsNotANumber) {
  EXPECT_EQ(ParseError("abc"), "The parameter cannot be converted to a numeric value: abc");
  EXPECT_EQ(ParseError("NaN"), "The parameter cannot be converted to a numeric value: NaN");
  EXPECT_EQ(ParseError(""), "The parameter cannot be converted to a numeric value");
  for (const char* text : {"1.2.3", "1e", "1e+", "e5", ".", "-", "+", " 1", "1 ", "0x10", "1_0",
                           "Infinity", "--1", "1e5.5"}) {
    EXPECT_EQ(ParseError(text),
              std::string("The parameter cannot be converted to a numeric value: ") + text);
  }
}

TEST(Number, AcceptsThirtyEightSignificantDigitsAndRejectsThirtyNine) {
  const std::string digits38(38, '9');
  EXPECT_EQ(Canonical(digits38), digits38);
  EXPECT_EQ(ParseError(digits38 + "1"),
            "Attempting to store more than 38 significant digits in a Number");
  // Leading and trailing zeros do not count.
  EXPECT_EQ(Canonical("000" + digits38 + "000"), digits38 + "000");
  EXPECT_EQ(Canonical("0.000" + digits38), "0.000" + digits38);
}

TEST(Number, RejectsMagnitudesOutsideTheSupportedRange) {
  const std::string overflow =
      "Number overflow. Attempting to store a number with magnitude larger than supported range";
  const std::string underflow =
      "Number underflow. Attempting to store a number with magnitude smaller than supported range";
  EXPECT_EQ(Canonical("9.9999999999999999999999999999999999999E+125"),
            "99999999999999999999999999999999999999" + std::string(88, '0'));
  EXPECT_EQ(ParseError("1E126"), overflow);
  EXPECT_EQ(ParseError("-1E126"), overflow);
  EXPECT_EQ(ParseError("1E999999999999999999999"), overflow);
  EXPECT_EQ(ParseError("1E-131"), underflow);
  EXPECT_EQ(ParseError("0.9E-130"), underflow);
  EXPECT_EQ(Canonical("0E999999"), "0");
  EXPECT_EQ(Canonical("-1E-130"), "-0." + std::string(129, '0') + "1");
}

TEST(Number, ComparesNumerically) {
  const std::vector<std::string> ascending = {"-1E125",  "-100", "-2",     "-1.52", "-1.5", "-1",
                                              "-1E-130", "0",    "1E-130", "0.5",   "1",    "1.5",
                                              "1.52",    "2",    "10",     "1E125"};
  for (size_t i = 0; i < ascending.size(); ++i) {
    for (size_t j = 0; j < ascending.size(); ++j) {
      int expected = i < j ? -1 : (i > j ? 1 : 0);
      EXPECT_EQ(MustParse(ascending[i]).Compare(MustParse(ascending[j])), expected)
          << ascending[i] << " vs " << ascending[j];
    }
  }
  EXPECT_EQ(MustParse("1.50").Compare(MustParse("1.5")), 0);
  EXPECT_TRUE(MustParse("-0") == MustParse("0"));
}

TEST(Number, OrderedKeyBytesSortLikeTheNumbers) {
  const std::vector<std::string> ascending = {
      "-1E125", "-100", "-10", "-2",  "-1.52", "-1.5", "-1", "-0.5", "-1E-130", "0",
      "1E-130", "0.5",  "1",   "1.5", "1.52",  "2",    "10", "100",  "1E125"};
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    std::string a = MustParse(ascending[i]).OrderedKey();
    std::string b = MustParse(ascending[i + 1]).OrderedKey();
    EXPECT_LT(a, b) << ascending[i] << " < " << ascending[i + 1];
    EXPECT_NE(b.compare(0, a.size(), a), 0) << "prefix: " << ascending[i];
  }
  EXPECT_EQ(MustParse("1.50").OrderedKey(), MustParse("1.5").OrderedKey());
  EXPECT_EQ(MustParse("-0").OrderedKey(), MustParse("0").OrderedKey());
}

std::string Sum(const std::string& a, const std::string& b) {
  std::string error;
  std::optional<Number> sum = MustParse(a).Add(MustParse(b), &error);
  return sum ? sum->ToString() : "error: " + error;
}

std::string Difference(const std::string& a, const std::string& b) {
  std::string error;
  std::optional<Number> difference = MustParse(a).Subtract(MustParse(b), &error);
  return difference ? difference->ToString() : "error: " + error;
}

TEST(Number, AddsAndSubtractsExactly) {
  EXPECT_EQ(Sum("1", "2"), "3");
  EXPECT_EQ(Sum("0.1", "0.2"), "0.3");
  EXPECT_EQ(Sum("-5", "3"), "-2");
  EXPECT_EQ(Sum("5", "-5"), "0");
  EXPECT_EQ(Sum("999", "1"), "1000");
  EXPECT_EQ(Sum("1E100", "1E-20"),
            "error: Attempting to store more than 38 significant digits in a Number");
  EXPECT_EQ(Sum("1E20", "1E-10"), "100000000000000000000.0000000001");
  EXPECT_EQ(Sum("0", "-7.5"), "-7.5");
  EXPECT_EQ(Difference("10", "0.01"), "9.99");
  EXPECT_EQ(Difference("1", "3"), "-2");
  EXPECT_EQ(Difference("-1", "-3"), "2");
  EXPECT_EQ(Difference("3", "0"), "3");
}

TEST(Number, AddReportsOverflow) {
  const std::string max = "9.9999999999999999999999999999999999999E+125";
  EXPECT_EQ(Sum(max, "1E+88"),
            "error: Number overflow. Attempting to store a number with magnitude larger than "
            "supported range");
  EXPECT_EQ(Difference("-" + max, "1E+88"),
            "error: Number overflow. Attempting to store a number with magnitude larger than "
            "supported range");
  EXPECT_EQ(Sum(std::string(38, '9'), "1"), "1" + std::string(38, '0'));
  EXPECT_EQ(Sum(std::string(38, '9'), "2"),
            "error: Attempting to store more than 38 significant digits in a Number");
}

TEST(Number, FromInt64) {
  EXPECT_EQ(Number::FromInt64(0).ToString(), "0");
  EXPECT_EQ(Number::FromInt64(-42).ToString(), "-42");
  EXPECT_EQ(Number::FromInt64(INT64_MIN).ToString(), "-9223372036854775808");
}

}  // namespace
}  // namespace wsgw::dynamodb
