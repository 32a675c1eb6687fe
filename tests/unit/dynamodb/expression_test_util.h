// Helpers for the expression tests: JSON literals and request placeholders.
#pragma once

#include <gtest/gtest.h>
#include <json/json.h>

#include <memory>
#include <string>

#include "dynamodb/expression.h"

namespace wsgw::dynamodb::testing {

inline Json::Value J(const std::string& text) {
  Json::Value value;
  Json::CharReaderBuilder builder;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  EXPECT_TRUE(reader->parse(text.data(), text.data() + text.size(), &value, &errors))
      << text << ": " << errors;
  return value;
}

inline std::string Text(const Json::Value& value) {
  Json::StreamWriterBuilder writer;
  writer["indentation"] = "";
  return Json::writeString(writer, value);
}

// ExpressionAttributeNames / ExpressionAttributeValues of one request; "" for none.
struct Placeholders {
  Json::Value names;
  Json::Value values;
  Placeholders(const std::string& names_text = "", const std::string& values_text = "")
      : names(names_text.empty() ? Json::Value() : J(names_text)),
        values(values_text.empty() ? Json::Value() : J(values_text)) {}
  ExpressionInputs inputs() const {
    return ExpressionInputs{names.isNull() ? nullptr : &names, values.isNull() ? nullptr : &values};
  }
};

}  // namespace wsgw::dynamodb::testing
