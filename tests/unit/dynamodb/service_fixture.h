// A Service on an in-memory database with a settable clock, and helpers that call Handle with
// JSON text and read the answer as JSON, for the dynamodb operation tests.
#pragma once

#include <gtest/gtest.h>
#include <json/json.h>

#include <memory>
#include <string>

#include "dynamodb/service.h"

namespace wsgw::dynamodb {

inline Json::Value ParseJsonText(const std::string& text) {
  Json::CharReaderBuilder builder;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value value;
  std::string errors;
  EXPECT_TRUE(reader->parse(text.data(), text.data() + text.size(), &value, &errors))
      << errors << " in " << text;
  return value;
}

inline std::string ItemTextOf(const Json::Value& value) {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  return Json::writeString(builder, value);
}

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() : service_(Options()) {}

  ServiceOptions Options() {
    ServiceOptions options;
    options.region = "eu-west-1";
    options.clock = [this] { return now_; };
    return options;
  }

  // The answer's body; its status in last_status_.
  Json::Value Call(const std::string& operation, const std::string& body) {
    Response response = service_.Handle(operation, body);
    last_status_ = response.status;
    return ParseJsonText(response.body);
  }

  Json::Value Ok(const std::string& operation, const std::string& body) {
    Json::Value answer = Call(operation, body);
    EXPECT_EQ(last_status_, 200) << operation << " " << body << " -> " << answer;
    return answer;
  }

  // Expects a 400 with __type ending in "#<type>" and exactly `message` (when not empty).
  Json::Value ExpectError(const std::string& operation, const std::string& body,
                          const std::string& type, const std::string& message = "") {
    Json::Value answer = Call(operation, body);
    EXPECT_EQ(last_status_, 400) << operation << " " << body << " -> " << answer;
    std::string actual_type = answer["__type"].asString();
    EXPECT_EQ(actual_type.substr(actual_type.find('#') + 1), type) << answer;
    if (!message.empty()) {
      // TransactionCanceledException carries "Message", as DynamoDB writes it.
      const char* member = answer.isMember("Message") ? "Message" : "message";
      EXPECT_EQ(answer[member].asString(), message) << answer;
    }
    return answer;
  }

  void CreateUsersTable() {
    Ok("CreateTable", R"j({"TableName":"users","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]})j");
  }

  // pk (S) + sk (N), a GSI byEmail on email (S) with ALL, an LSI byName on (pk, name).
  void CreateEventsTable() {
    Ok("CreateTable", R"j({"TableName":"events","BillingMode":"PAY_PER_REQUEST",
      "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},
        {"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"email","AttributeType":"S"},
        {"AttributeName":"name","AttributeType":"S"}],
      "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
      "GlobalSecondaryIndexes":[{"IndexName":"byEmail",
        "KeySchema":[{"AttributeName":"email","KeyType":"HASH"}],
        "Projection":{"ProjectionType":"ALL"}}],
      "LocalSecondaryIndexes":[{"IndexName":"byName",
        "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"name","KeyType":"RANGE"}],
        "Projection":{"ProjectionType":"KEYS_ONLY"}}]})j");
  }

  void PutEvent(const std::string& pk, int sk, const std::string& extra = "") {
    Ok("PutItem", R"j({"TableName":"events","Item":{"pk":{"S":")j" + pk + R"j("},"sk":{"N":")j" +
                      std::to_string(sk) + "\"}" + (extra.empty() ? "" : "," + extra) + "}}");
  }

  double now_ = 1700000000;
  Service service_;
  int last_status_ = 0;
};

}  // namespace wsgw::dynamodb
