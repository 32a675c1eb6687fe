// Fuzzes DynamoDB's expression parsers and evaluators: the input's first line is parsed as a
// ConditionExpression, an UpdateExpression, a ProjectionExpression, a KeyConditionExpression and
// a Number, against fixed placeholders; it is evaluated against a fixed item of every type and,
// when the rest of the input is a valid item in wire shape, against that item too. Parsing must
// never crash and a refusal always has a message; a condition evaluates; an update that applies
// leaves a valid item and one that fails leaves the item unchanged; a projection keeps only
// attributes the item has; a number prints back to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dynamodb/attribute_value.h"
#include "dynamodb/expression.h"
#include "dynamodb/key_condition.h"
#include "dynamodb/number.h"

namespace {

using wsgw::dynamodb::Condition;
using wsgw::dynamodb::ExpressionInputs;
using wsgw::dynamodb::KeyCondition;
using wsgw::dynamodb::KeySchemaNames;
using wsgw::dynamodb::Number;
using wsgw::dynamodb::Projection;
using wsgw::dynamodb::Update;
using wsgw::dynamodb::UsedPlaceholders;

void Check(bool condition) {
  if (!condition) std::abort();
}

std::optional<Json::Value> TryParseJson(std::string_view text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  if (!reader->parse(text.data(), text.data() + text.size(), &value, &errors)) return std::nullopt;
  return value;
}

Json::Value ParseJson(const char* text) {
  std::optional<Json::Value> value = TryParseJson(text);
  Check(value.has_value());
  return *value;
}

void CheckUpdate(const Update& update, const Json::Value& start) {
  Json::Value item = start;
  std::string error;
  if (update.Apply(&item, &error)) {
    std::string invalid;
    Check(wsgw::dynamodb::ValidateItem(item, &invalid));
    wsgw::dynamodb::ItemSizeBytes(item);
  } else {
    Check(!error.empty());
    Check(item == start);
  }
}

void CheckProjection(const Projection& projection, const Json::Value& item) {
  Json::Value projected = projection.Apply(item);
  for (const std::string& name : projected.getMemberNames()) Check(item.isMember(name));
  std::string invalid;
  Check(wsgw::dynamodb::ValidateItem(projected, &invalid));
}

struct Fixture {
  Json::Value item = ParseJson(R"({
    "id": {"S": "u1"}, "ts": {"N": "10"}, "n": {"N": "5"}, "s": {"S": "hello"},
    "b": {"B": "AQID"}, "t": {"BOOL": true}, "z": {"NULL": true},
    "m": {"M": {"x": {"N": "1"}, "y": {"L": [{"S": "a"}, {"N": "2"}]}, "e": {"M": {}}}},
    "l": {"L": [{"S": "first"}, {"M": {"k": {"S": "v"}}}, {"N": "3"}, {"L": []}]},
    "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}, "bs": {"BS": ["AQ=="]},
    "status": {"S": "on"}
  })");
  Json::Value names = ParseJson(R"({"#a": "a", "#n": "n", "#m": "m", "#l": "l", "#s": "s",
    "#st": "status", "#id": "id", "#ts": "ts", "#dot": "m.x", "#empty": ""})");
  Json::Value values = ParseJson(R"({
    ":n": {"N": "1"}, ":big": {"N": "9.9999999999999999999999999999999999999E+125"},
    ":tiny": {"N": "1E-130"}, ":neg": {"N": "-7.5"}, ":s": {"S": "a"}, ":e": {"S": ""},
    ":typeN": {"S": "N"}, ":b": {"B": "AQ=="}, ":t": {"BOOL": false}, ":null": {"NULL": true},
    ":l": {"L": [{"S": "x"}]}, ":m": {"M": {"k": {"N": "1"}}}, ":ss": {"SS": ["a", "c"]},
    ":ns": {"NS": ["1", "3"]}, ":bs": {"BS": ["AQ==", "Ag=="]}, ":el": {"L": []}
  })");
  ExpressionInputs inputs{&names, &values};
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Fixture fixture;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  std::string_view text = input.substr(0, newline);
  std::vector<Json::Value> items = {fixture.item, Json::Value(Json::objectValue)};
  if (newline != std::string_view::npos) {
    std::optional<Json::Value> item = TryParseJson(input.substr(newline + 1));
    std::string invalid;
    if (item && wsgw::dynamodb::ValidateItem(*item, &invalid)) {
      wsgw::dynamodb::ItemSizeBytes(*item);
      items.push_back(std::move(*item));
    }
  }

  for (const char* parameter : {"ConditionExpression", "FilterExpression"}) {
    std::string error;
    UsedPlaceholders used;
    std::optional<Condition> condition =
        Condition::Parse(text, parameter, fixture.inputs, &used, &error);
    if (!condition) {
      Check(!error.empty());
      continue;
    }
    for (const Json::Value& item : items) condition->Evaluate(item);
  }

  {
    std::string error;
    UsedPlaceholders used;
    std::optional<Update> update = Update::Parse(text, fixture.inputs, &used, &error);
    if (!update) {
      Check(!error.empty());
    } else {
      Check(!update->TopLevelNames().empty());
      for (const Json::Value& item : items) CheckUpdate(*update, item);
    }
  }

  {
    std::string error;
    std::optional<Projection> projection = Projection::Parse(text, fixture.inputs, nullptr, &error);
    if (!projection) {
      Check(!error.empty());
    } else {
      for (const Json::Value& item : items) CheckProjection(*projection, item);
    }
  }

  {
    std::string error;
    std::optional<KeyCondition> key =
        KeyCondition::Parse(text, KeySchemaNames{"id", "ts"}, fixture.inputs, nullptr, &error);
    if (!key) {
      Check(!error.empty());
    } else {
      for (const Json::Value& item : items) {
        if (item.isMember("ts")) key->RangeMatches(item["ts"]);
      }
    }
  }

  {
    std::string error;
    std::optional<Number> number = Number::Parse(text, &error);
    if (!number) {
      Check(!error.empty());
    } else {
      std::optional<Number> again = Number::Parse(number->ToString(), nullptr);
      Check(again && again->Compare(*number) == 0 && again->ToString() == number->ToString());
      Check(again->OrderedKey() == number->OrderedKey());
      std::optional<Number> sum = number->Add(*number, &error);
      if (sum) Check(sum->Subtract(*number, nullptr).value_or(Number()).Compare(*number) == 0);
    }
  }
  return 0;
}
