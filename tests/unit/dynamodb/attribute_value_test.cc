#include "base/base64.h"
#include "dynamodb/attribute_value.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace wsgw::dynamodb {
namespace {

Json::Value J(const std::string& text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  EXPECT_TRUE(reader->parse(text.data(), text.data() + text.size(), &value, &errors)) << text;
  return value;
}

std::string ValidationError(const std::string& text) {
  std::string error;
  EXPECT_FALSE(ValidateAttributeValue(J(text), &error)) << text;
  return error;
}

bool Valid(const std::string& text) {
  std::string error;
  bool ok = ValidateAttributeValue(J(text), &error);
  EXPECT_TRUE(ok) << text << ": " << error;
  return ok;
}

TEST(AttributeValue, AcceptsEveryType) {
  for (const char* text :
       {R"({"S":"x"})", R"({"S":""})", R"({"N":"-1.5e3"})", R"({"B":"AAE="})", R"({"B":""})",
        R"({"BOOL":false})", R"({"NULL":true})", R"({"M":{}})", R"({"M":{"a":{"S":"b"}}})",
        R"({"L":[]})", R"({"L":[{"N":"1"},{"L":[{"NULL":true}]}]})", R"({"SS":["a","b"]})",
        R"({"SS":[""]})", R"({"NS":["1","2"]})", R"({"BS":["AA==","AQ=="]})"}) {
    Valid(text);
  }
}

TEST(AttributeValue, RejectsAValueWithoutExactlyOneType) {
  EXPECT_EQ(
      ValidationError("{}"),
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  EXPECT_EQ(
      ValidationError(R"({"X":"1"})"),
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
  EXPECT_EQ(ValidationError(R"({"S":"a","N":"1"})"),
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
  EXPECT_EQ(
      ValidationError(R"({"M":{"a":{}}})"),
      "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes");
}

TEST(AttributeValue, RejectsEmptySetsWithDynamoDbsWording) {
  EXPECT_EQ(ValidationError(R"({"SS":[]})"),
            "One or more parameter values were invalid: An string set  may not be empty");
  EXPECT_EQ(ValidationError(R"({"NS":[]})"),
            "One or more parameter values were invalid: An number set  may not be empty");
  EXPECT_EQ(ValidationError(R"({"BS":[]})"),
            "One or more parameter values were invalid: Binary sets should not be empty");
}

TEST(AttributeValue, RejectsDuplicateSetMembers) {
  EXPECT_EQ(ValidationError(R"({"SS":["a","a"]})"),
            "One or more parameter values were invalid: Input collection [a, a] contains "
            "duplicates.");
  EXPECT_EQ(ValidationError(R"({"NS":["1","1.0"]})"),
            "One or more parameter values were invalid: Input collection [1, 1.0] contains "
            "duplicates.");
  EXPECT_EQ(ValidationError(R"({"L":[{"BS":["AQ==","AQ"]}]})"),
            "One or more parameter values were invalid: Input collection [AQ==, AQ] contains "
            "duplicates.");
}

TEST(AttributeValue, RejectsBadNumbersAndNullFalse) {
  EXPECT_EQ(ValidationError(R"({"N":"abc"})"),
            "The parameter cannot be converted to a numeric value: abc");
  EXPECT_EQ(ValidationError(R"({"NS":["1","x"]})"),
            "The parameter cannot be converted to a numeric value: x");
  EXPECT_EQ(ValidationError(R"({"M":{"n":{"N":"1E200"}}})"),
            "Number overflow. Attempting to store a number with magnitude larger than supported "
            "range");
  EXPECT_EQ(ValidationError(R"({"NULL":false})"),
            "One or more parameter values were invalid: Null attribute value types must have the "
            "value of true");
  EXPECT_FALSE(ValidationError(R"({"S":5})").empty());
  EXPECT_FALSE(ValidationError(R"({"B":"!!"})").empty());
}

TEST(AttributeValue, AcceptsThirtyOneLevelsOfNestingAndRefusesThirtyTwo) {
  auto nested = [](int levels) {
    std::string text = R"({"S":"x"})";
    for (int i = 0; i < levels; ++i) {
      text = i % 2 == 0 ? R"({"M":{"k":)" + text + "}}" : R"({"L":[)" + text + "]}";
    }
    return text;
  };
  EXPECT_TRUE(Valid(nested(31)));
  EXPECT_EQ(ValidationError(nested(32)),
            "Nesting Levels have exceeded supported limits: Attributes in the item have nested "
            "levels beyond supported limit");
}

TEST(AttributeValue, TypeOfNamesTheDescriptor) {
  EXPECT_EQ(TypeOf(J(R"({"S":"x"})")), "S");
  EXPECT_EQ(TypeOf(J(R"({"NS":["1"]})")), "NS");
  EXPECT_EQ(TypeOf(J(R"({})")), "");
  EXPECT_EQ(TypeOf(J(R"("S")")), "");
}

TEST(AttributeValue, EqualComparesByDynamoDbValue) {
  EXPECT_TRUE(Equal(J(R"({"N":"1.50"})"), J(R"({"N":"1.5"})")));
  EXPECT_FALSE(Equal(J(R"({"N":"1"})"), J(R"({"S":"1"})")));
  EXPECT_TRUE(Equal(J(R"({"SS":["a","b"]})"), J(R"({"SS":["b","a"]})")));
  EXPECT_FALSE(Equal(J(R"({"SS":["a","b"]})"), J(R"({"SS":["a"]})")));
  EXPECT_TRUE(Equal(J(R"({"NS":["1","2.0"]})"), J(R"({"NS":["2","1"]})")));
  EXPECT_TRUE(Equal(J(R"({"B":"AQ=="})"), J(R"({"B":"AQ"})")));
  EXPECT_TRUE(Equal(J(R"({"M":{"a":{"N":"1"},"b":{"L":[{"S":"x"}]}}})"),
                    J(R"({"M":{"b":{"L":[{"S":"x"}]},"a":{"N":"1.0"}}})")));
  EXPECT_FALSE(Equal(J(R"({"L":[{"S":"x"},{"S":"y"}]})"), J(R"({"L":[{"S":"y"},{"S":"x"}]})")));
  EXPECT_FALSE(Equal(J(R"({"BOOL":true})"), J(R"({"BOOL":false})")));
  EXPECT_TRUE(Equal(J(R"({"NULL":true})"), J(R"({"NULL":true})")));
}

TEST(AttributeValue, ItemSizeFollowsAwsSizingRules) {
  EXPECT_EQ(ItemSizeBytes(J(R"({"name":{"S":"abc"}})")), 4 + 3);
  EXPECT_EQ(ItemSizeBytes(J(R"({"é":{"S":"é"}})")), 2 + 2);
  // 1 + one byte per two significant digits: 12345 -> 3 + 1.
  EXPECT_EQ(ItemSizeBytes(J(R"({"n":{"N":"0012345.000"}})")), 1 + 4);
  EXPECT_EQ(ItemSizeBytes(J(R"({"n":{"N":"12"}})")), 1 + 2);
  EXPECT_EQ(ItemSizeBytes(J(R"({"b":{"B":"AAEC"}})")), 1 + 3);
  EXPECT_EQ(ItemSizeBytes(J(R"({"t":{"BOOL":true},"z":{"NULL":true}})")), 2 + 2);
  EXPECT_EQ(ItemSizeBytes(J(R"({"l":{"L":[]}})")), 1 + 3);
  EXPECT_EQ(ItemSizeBytes(J(R"({"l":{"L":[{"S":"ab"},{"BOOL":true}]}})")), 1 + 3 + 3 + 2);
  EXPECT_EQ(ItemSizeBytes(J(R"({"m":{"M":{"k":{"S":"v"}}}})")), 1 + 3 + 1 + 1 + 1);
  EXPECT_EQ(ItemSizeBytes(J(R"({"s":{"SS":["ab","c"]},"ns":{"NS":["1","123"]}})")),
            1 + 3 + 2 + 2 + 3);
}

TEST(AttributeValue, Base64RoundTrips) {
  for (const std::string& bytes : {std::string(""), std::string("a"), std::string("ab"),
                                   std::string("abc"), std::string("\0\xff\x10\x80", 4)}) {
    EXPECT_EQ(DecodeBase64(EncodeBase64(bytes)), bytes);
  }
  EXPECT_EQ(EncodeBase64("hello"), "aGVsbG8=");
  EXPECT_EQ(DecodeBase64("aGVsbG8"), "hello");
  EXPECT_FALSE(DecodeBase64("a").has_value());
  EXPECT_FALSE(DecodeBase64("aGV=bG8=").has_value());
  EXPECT_FALSE(DecodeBase64("aGVsbG8=x").has_value());
  EXPECT_FALSE(DecodeBase64("aGVsbG8==").has_value());
}

}  // namespace
}  // namespace wsgw::dynamodb
