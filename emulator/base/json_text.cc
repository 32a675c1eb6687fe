#include "base/json_text.h"

#include <memory>
#include <sstream>

namespace wsgw {

// Readers and writers cost more to build than most documents cost to parse or print: each thread
// makes its own once.
std::optional<Json::Value> ParseJson(std::string_view text) {
  thread_local std::unique_ptr<Json::CharReader> reader = [] {
    Json::CharReaderBuilder builder;
    builder["collectComments"] = false;
    builder["failIfExtra"] = true;
    return std::unique_ptr<Json::CharReader>(builder.newCharReader());
  }();
  Json::Value value;
  std::string errors;
  try {
    if (!reader->parse(text.data(), text.data() + text.size(), &value, &errors)) {
      return std::nullopt;
    }
  } catch (const Json::Exception&) {
    return std::nullopt;  // jsoncpp throws on nesting deeper than its stack limit
  }
  return value;
}

std::string CompactJson(const Json::Value& value) {
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

}  // namespace wsgw
