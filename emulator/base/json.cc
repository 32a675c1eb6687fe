#include "base/json.h"

#include <memory>
#include <sstream>

namespace wsgw {
namespace {

// Readers and writers cost more to build than most documents cost to parse or print: each thread
// makes its own once, one per setting.
std::unique_ptr<Json::CharReader> MakeLenientReader(JsonComments comments) {
  Json::CharReaderBuilder builder;
  builder["collectComments"] = false;
  builder["allowComments"] = comments == JsonComments::kAllowed;
  builder["failIfExtra"] = true;
  return std::unique_ptr<Json::CharReader>(builder.newCharReader());
}

std::unique_ptr<Json::CharReader> MakeStrictReader(DuplicateKeys duplicates) {
  Json::CharReaderBuilder builder;
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  builder["rejectDupKeys"] = duplicates == DuplicateKeys::kRejected;
  return std::unique_ptr<Json::CharReader>(builder.newCharReader());
}

std::optional<Json::Value> Read(Json::CharReader& reader, std::string_view text,
                                std::string* error) {
  Json::Value value;
  std::string errors;
  try {
    if (!reader.parse(text.data(), text.data() + text.size(), &value, &errors)) {
      if (error) *error = errors;
      return std::nullopt;
    }
  } catch (const Json::Exception& e) {
    // jsoncpp throws on nesting deeper than its stack limit; to a caller that is just not JSON.
    if (error) *error = e.what();
    return std::nullopt;
  }
  return value;
}

Json::StreamWriterBuilder CompactWriterBuilder() {
  Json::StreamWriterBuilder builder;
  builder["indentation"] = "";
  builder["emitUTF8"] = true;
  return builder;
}

}  // namespace

std::optional<Json::Value> ParseJson(std::string_view text, JsonComments comments) {
  thread_local std::unique_ptr<Json::CharReader> with_comments =
      MakeLenientReader(JsonComments::kAllowed);
  thread_local std::unique_ptr<Json::CharReader> without_comments =
      MakeLenientReader(JsonComments::kRejected);
  return Read(comments == JsonComments::kAllowed ? *with_comments : *without_comments, text,
              nullptr);
}

std::optional<Json::Value> ParseStrictJson(std::string_view text, DuplicateKeys duplicates,
                                           std::string* error) {
  thread_local std::unique_ptr<Json::CharReader> rejecting =
      MakeStrictReader(DuplicateKeys::kRejected);
  thread_local std::unique_ptr<Json::CharReader> last_wins =
      MakeStrictReader(DuplicateKeys::kLastWins);
  return Read(duplicates == DuplicateKeys::kRejected ? *rejecting : *last_wins, text, error);
}

std::string CompactJson(const Json::Value& value) {
  thread_local std::unique_ptr<Json::StreamWriter> writer(CompactWriterBuilder().newStreamWriter());
  thread_local std::ostringstream out;
  out.str(std::string());
  out.clear();
  writer->write(value, &out);
  return out.str();
}

std::string CompactJsonRounded(const Json::Value& value, unsigned decimal_places) {
  Json::StreamWriterBuilder builder = CompactWriterBuilder();
  builder["precision"] = decimal_places;
  builder["precisionType"] = "decimal";
  return Json::writeString(builder, value);
}

void AppendJsonString(std::string& out, std::string_view text, ShortEscapes short_escapes) {
  static constexpr char kHex[] = "0123456789abcdef";
  const bool all_short = short_escapes == ShortEscapes::kAll;
  out.push_back('"');
  size_t run = 0;  // start of the bytes not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.substr(run, i - run));
    run = i + 1;
    if (c == '"') {
      out.append("\\\"");
    } else if (c == '\\') {
      out.append("\\\\");
    } else if (c == '\n') {
      out.append("\\n");
    } else if (all_short && c == '\b') {
      out.append("\\b");
    } else if (all_short && c == '\f') {
      out.append("\\f");
    } else if (all_short && c == '\r') {
      out.append("\\r");
    } else if (all_short && c == '\t') {
      out.append("\\t");
    } else {
      const char escaped[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0x0f]};
      out.append(escaped, sizeof escaped);
    }
  }
  out.append(text.substr(run));
  out.push_back('"');
}

std::optional<simdjson::dom::object> ParseJsonObjectFast(std::string_view text) {
  // Empty text is not JSON to simdjson either, and may have a null data(), which simdjson would
  // hand to memcpy.
  if (text.empty() || text.size() > kFastJsonMaxBytes) return std::nullopt;
  // A parser's buffers cost more to set up than a message costs to parse: one per thread. Its
  // maximum depth stays what it was allocated with when it grows for a longer document.
  thread_local simdjson::dom::parser parser = [] {
    simdjson::dom::parser made;
    if (made.allocate(4096, kFastJsonMaxDepth) != simdjson::SUCCESS) return simdjson::dom::parser();
    return made;
  }();
  // Only when that allocation failed: a parser made by default would nest as deep as 1024.
  if (parser.max_depth() != kFastJsonMaxDepth) return std::nullopt;
  // Parsing from a pointer copies into the parser's own padded buffer, reused from call to call;
  // for message-sized documents that copy is cheaper than a padded_string (an allocation).
  simdjson::dom::object object;
  if (parser.parse(text.data(), text.size()).get_object().get(object) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  return object;
}

std::optional<simdjson::dom::element> LastMember(simdjson::dom::object object,
                                                 std::string_view key) {
  std::optional<simdjson::dom::element> found;
  for (simdjson::dom::key_value_pair member : object) {
    if (member.key == key) found = member.value;
  }
  return found;
}

}  // namespace wsgw
