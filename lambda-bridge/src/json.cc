// ToJson / ParseJson: the one JSON dialect every part of lambda-bridge writes and reads. ParseJson
// asks simdjson first and jsoncpp whenever simdjson cannot give jsoncpp's answer (json_readers.h).
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "json_readers.h"
#include "wsgw/lambda.h"

namespace wsgw::lambda {

// Readers and writers cost more to build than a Lambda event costs to parse: each thread (one per
// connection from the gateway) makes its own once.
std::string ToJson(const Json::Value& value) {
  thread_local std::unique_ptr<Json::StreamWriter> writer = [] {
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    builder["emitUTF8"] = true;
    return std::unique_ptr<Json::StreamWriter>(builder.newStreamWriter());
  }();
  thread_local std::ostringstream out;
  out.str(std::string());
  out.clear();
  writer->write(value, &out);
  return out.str();
}

std::optional<Json::Value> ParseJsonWithJsoncpp(std::string_view text) {
  thread_local std::unique_ptr<Json::CharReader> reader = [] {
    Json::CharReaderBuilder builder;
    builder["collectComments"] = false;
    builder["allowComments"] = false;
    builder["failIfExtra"] = true;
    return std::unique_ptr<Json::CharReader>(builder.newCharReader());
  }();
  Json::Value value;
  try {
    if (!reader->parse(text.data(), text.data() + text.size(), &value, nullptr)) {
      return std::nullopt;
    }
  } catch (const Json::Exception&) {
    return std::nullopt;  // e.g. nesting deeper than the reader's stack limit
  }
  return value;
}

std::optional<Json::Value> ParseJson(std::string_view text) {
  if (std::optional<Json::Value> value = ParseJsonWithSimdjson(text)) return value;
  return ParseJsonWithJsoncpp(text);
}

}  // namespace wsgw::lambda
