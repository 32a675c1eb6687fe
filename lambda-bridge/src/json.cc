// ToJson / ParseJson: the one JSON dialect every part of lambda-bridge writes and reads.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "wsgw/lambda.h"

namespace wsgw::lambda {

std::string ToJson(const Json::Value& value) {
  static const Json::StreamWriterBuilder builder = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["emitUTF8"] = true;
    return b;
  }();
  return Json::writeString(builder, value);
}

std::optional<Json::Value> ParseJson(std::string_view text) {
  static const Json::CharReaderBuilder builder = [] {
    Json::CharReaderBuilder b;
    b["collectComments"] = false;
    b["allowComments"] = false;
    b["failIfExtra"] = true;
    return b;
  }();
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
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

}  // namespace wsgw::lambda
