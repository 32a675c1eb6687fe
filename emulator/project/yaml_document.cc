#include "project/yaml_document.h"

#include <libfyaml.h>

#include <array>
#include <cstdint>
#include <memory>

#include "base/utf8.h"

namespace wsgw {
namespace {

// A template is a few hundred values; aliases may repeat some. Beyond these it is an attack or
// a mistake, and either way not a template.
constexpr size_t kMaxValues = 200000;
constexpr int kMaxDepth = 128;

constexpr std::array<const char*, 12> kFnTags = {"Sub",     "Join",     "If",        "Select",
                                                 "Split",   "Equals",   "Not",       "FindInMap",
                                                 "ImportValue", "Base64", "GetAZs", "And"};

bool IsPlainKey(const std::string& key) {
  if (key.empty()) return false;
  for (char c : key) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == ':' || c == '$';
    if (!ok) return false;
  }
  return true;
}

bool IsDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A plain scalar's value under the rules in the header.
Json::Value PlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return Json::Value();
  if (s == "true" || s == "True" || s == "TRUE") return Json::Value(true);
  if (s == "false" || s == "False" || s == "FALSE") return Json::Value(false);
  std::string_view digits = s;
  if (digits[0] == '-') digits.remove_prefix(1);
  const size_t dot = digits.find('.');
  std::string_view whole = digits.substr(0, dot);
  if (!IsDigits(whole) || (whole.size() > 1 && whole[0] == '0')) return Json::Value(s);
  if (dot == std::string_view::npos) {
    if (whole.size() > 18) return Json::Value(s);
    return Json::Value(static_cast<Json::Int64>(std::stoll(s)));
  }
  if (!IsDigits(digits.substr(dot + 1))) return Json::Value(s);
  return Json::Value(std::stod(s));
}

int LineOfToken(fy_token* token) {
  if (token == nullptr) return 0;
  const fy_mark* mark = fy_token_start_mark(token);
  return mark == nullptr ? 0 : mark->line + 1;
}

class Converter {
 public:
  Converter(YamlDocument* doc, YamlError* error) : doc_(doc), error_(error) {}

  // `line` is where the value's key (or the alias naming it) starts, 0 if it has no key.
  std::optional<Json::Value> Convert(fy_node* node, const std::string& path, int line, int depth) {
    if (++values_ > kMaxValues) return Fail(line, "the document expands into too many values");
    if (depth > kMaxDepth) return Fail(line, "the document nests too deeply");
    if (node == nullptr) {
      Record(path, line);
      return Json::Value();
    }
    if (fy_node_is_alias(node)) {
      fy_node* target = fy_node_resolve_alias(node);
      if (target == nullptr) {
        return Fail(line != 0 ? line : LineOfToken(fy_node_get_scalar_token(node)),
                    "an alias names no anchor (or a cycle)");
      }
      if (line == 0) line = LineOfToken(fy_node_get_scalar_token(node));
      return Convert(target, path, line, depth + 1);
    }
    if (line == 0) {
      line = fy_node_get_type(node) == FYNT_SCALAR ? LineOfToken(fy_node_get_scalar_token(node))
                                                    : LineOfToken(fy_node_get_tag_token(node));
    }
    Record(path, line);

    size_t tag_length = 0;
    const char* tag_text = fy_node_get_tag(node, &tag_length);
    const std::string tag = tag_text == nullptr ? "" : std::string(tag_text, tag_length);

    std::optional<Json::Value> value;
    switch (fy_node_get_type(node)) {
      case FYNT_SCALAR: {
        size_t length = 0;
        const char* text = fy_node_get_scalar(node, &length);
        std::string s = text == nullptr ? "" : std::string(text, length);
        const bool plain = fy_node_get_style(node) == FYNS_PLAIN;
        value = (plain && tag != "tag:yaml.org,2002:str") ? PlainScalar(s) : Json::Value(s);
        break;
      }
      case FYNT_SEQUENCE: value = Sequence(node, path, depth); break;
      case FYNT_MAPPING: value = Mapping(node, path, depth); break;
    }
    if (!value) return std::nullopt;
    if (doc_->lines.count(path) == 0 || doc_->lines[path] == 0) {
      // A sequence item or the root without a tag: the line of its first value.
      int first = FirstLineUnder(path);
      if (first != 0) doc_->lines[path] = first;
    }
    if (tag.empty() || tag.rfind("tag:yaml.org,2002:", 0) == 0 || tag == "!") return value;
    return Intrinsic(tag, std::move(*value), line);
  }

 private:
  std::optional<Json::Value> Fail(int line, std::string message) {
    if (error_->message.empty()) {
      error_->line = line;
      error_->message = std::move(message);
    }
    return std::nullopt;
  }

  void Record(const std::string& path, int line) {
    if (line != 0) doc_->lines.emplace(path, line);
  }

  int FirstLineUnder(const std::string& path) const {
    auto it = doc_->lines.lower_bound(path);
    for (; it != doc_->lines.end() && it->first.compare(0, path.size(), path) == 0; ++it) {
      if (it->second != 0) return it->second;
    }
    return 0;
  }

  std::optional<Json::Value> Sequence(fy_node* node, const std::string& path, int depth) {
    Json::Value array(Json::arrayValue);
    void* iterator = nullptr;
    Json::ArrayIndex index = 0;
    while (fy_node* item = fy_node_sequence_iterate(node, &iterator)) {
      std::optional<Json::Value> v = Convert(item, PathIndex(path, index), 0, depth + 1);
      if (!v) return std::nullopt;
      array.append(std::move(*v));
      ++index;
    }
    return array;
  }

  std::optional<Json::Value> Mapping(fy_node* node, const std::string& path, int depth) {
    Json::Value object(Json::objectValue);
    std::vector<std::pair<fy_node*, int>> merges;
    void* iterator = nullptr;
    while (fy_node_pair* pair = fy_node_mapping_iterate(node, &iterator)) {
      fy_node* key = fy_node_pair_key(pair);
      if (key != nullptr && fy_node_is_alias(key)) key = fy_node_resolve_alias(key);
      if (key != nullptr && fy_node_get_type(key) != FYNT_SCALAR) {
        return Fail(LineOfToken(fy_node_get_tag_token(key)), "a mapping key must be a scalar");
      }
      size_t length = 0;
      const char* text = key == nullptr ? nullptr : fy_node_get_scalar(key, &length);
      std::string name = text == nullptr ? "" : std::string(text, length);
      const int line = key == nullptr ? 0 : LineOfToken(fy_node_get_scalar_token(key));
      if (name == "<<" && fy_node_get_style(key) == FYNS_PLAIN) {
        merges.emplace_back(fy_node_pair_value(pair), line);
        continue;
      }
      std::optional<Json::Value> v =
          Convert(fy_node_pair_value(pair), PathMember(path, name), line, depth + 1);
      if (!v) return std::nullopt;
      object[name] = std::move(*v);
    }
    // Merge keys: the mapping's own keys win, then earlier merged mappings over later ones.
    for (auto [merge, line] : merges) {
      std::optional<Json::Value> merged = Convert(merge, path, line, depth + 1);
      if (!merged) return std::nullopt;
      std::vector<Json::Value> sources;
      if (merged->isObject()) {
        sources.push_back(std::move(*merged));
      } else if (merged->isArray()) {
        for (Json::Value& item : *merged) sources.push_back(std::move(item));
      }
      if (sources.empty()) return Fail(line, "a merge key (<<) needs a mapping or a list of them");
      for (const Json::Value& source : sources) {
        if (!source.isObject()) {
          return Fail(line, "a merge key (<<) needs a mapping or a list of them");
        }
        for (const std::string& member : source.getMemberNames()) {
          if (!object.isMember(member)) object[member] = source[member];
        }
      }
    }
    return object;
  }

  std::optional<Json::Value> Intrinsic(const std::string& tag, Json::Value value, int line) {
    const std::string name = tag.substr(1);
    Json::Value out(Json::objectValue);
    if (name == "Ref" || name == "Condition") {
      out[name] = std::move(value);
      return out;
    }
    if (name == "GetAtt") {
      if (value.isString()) {
        const std::string s = value.asString();
        const size_t dot = s.find('.');
        Json::Value pair(Json::arrayValue);
        pair.append(s.substr(0, dot));
        if (dot != std::string::npos) pair.append(s.substr(dot + 1));
        value = pair;
      }
      out["Fn::GetAtt"] = std::move(value);
      return out;
    }
    for (const char* fn : kFnTags) {
      if (name == fn) {
        out["Fn::" + name] = std::move(value);
        return out;
      }
    }
    if (name == "Or" || name == "Cidr" || name == "Length" || name == "ToJsonString" ||
        name == "Transform") {
      out["Fn::" + name] = std::move(value);
      return out;
    }
    return Fail(line, "unknown tag " + tag +
                          " (CloudFormation's are !Ref, !GetAtt, !Sub, !Join, !If, !Select, "
                          "!Split, !Equals, !And, !Or, !Not, !FindInMap, !ImportValue, !Base64, "
                          "!GetAZs, !Condition)");
  }

  YamlDocument* doc_;
  YamlError* error_;
  size_t values_ = 0;
};

// libfyaml writes "<source>:LINE:COLUMN: error: MESSAGE" (then the source line); the first
// error line is kept.
void KeepFirstError(fy_diag*, void* user, const char* text, size_t length) {
  std::string* first = static_cast<std::string*>(user);
  const std::string_view chunk(text, length);
  if (first->empty() && chunk.find(": error: ") != std::string_view::npos) first->assign(chunk);
}

void ReadDiagnostic(const std::string& text, YamlError* error) {
  const size_t marker = text.find(": error: ");
  if (marker == std::string::npos) return;
  std::string message = text.substr(marker + 9);
  while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
  if (!message.empty()) error->message = message;
  // Walk back over ":COLUMN" and ":LINE".
  const size_t column_colon = text.rfind(':', marker - 1);
  if (column_colon == std::string::npos || column_colon == 0) return;
  const size_t line_colon = text.rfind(':', column_colon - 1);
  if (line_colon == std::string::npos) return;
  const std::string line = text.substr(line_colon + 1, column_colon - line_colon - 1);
  const std::string column = text.substr(column_colon + 1, marker - column_colon - 1);
  if (IsDigits(line) && line.size() < 9) error->line = std::stoi(line);
  if (IsDigits(column) && column.size() < 9) error->column = std::stoi(column);
}

struct DiagDeleter {
  void operator()(fy_diag* diag) const { fy_diag_destroy(diag); }
};
struct DocumentDeleter {
  void operator()(fy_document* doc) const { fy_document_destroy(doc); }
};

}  // namespace

int YamlDocument::LineOf(const std::string& path) const {
  std::string p = path;
  while (true) {
    auto it = lines.find(p);
    if (it != lines.end() && it->second != 0) return it->second;
    if (p.empty()) return 0;
    // Drop the last member or index.
    size_t cut = p.size();
    if (p.back() == ']') {
      cut = p.rfind('[');
    } else {
      const size_t dot = p.rfind('.');
      const size_t bracket = p.rfind(']');
      cut = dot == std::string::npos ? 0 : dot;
      if (bracket != std::string::npos && bracket > cut) cut = bracket + 1;
    }
    if (cut == std::string::npos) cut = 0;
    p.resize(cut);
  }
}

std::string PathMember(const std::string& parent, const std::string& key) {
  if (IsPlainKey(key)) return parent.empty() ? key : parent + "." + key;
  Json::StreamWriterBuilder builder;
  builder["emitUTF8"] = true;
  return parent + "[" + Json::writeString(builder, Json::Value(key)) + "]";
}

std::string PathIndex(const std::string& parent, Json::ArrayIndex index) {
  return parent + "[" + std::to_string(index) + "]";
}

std::optional<YamlDocument> ParseYamlDocument(std::string_view text, YamlError* error) {
  *error = YamlError{};
  // Templates are UTF-8 (CloudFormation requires it), and libfyaml 0.7.12 loops forever on some
  // invalid UTF-8 in a directive line (found by tests/fuzz/project_yaml_fuzz.cc).
  if (!IsValidUtf8(text)) {
    int line = 1;
    for (size_t start = 0; start <= text.size(); ++line) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      if (!IsValidUtf8(text.substr(start, end - start))) break;
      start = end + 1;
    }
    error->line = line;
    error->message = "not UTF-8 text";
    return std::nullopt;
  }
  fy_diag_cfg diag_cfg;
  fy_diag_cfg_default(&diag_cfg);
  diag_cfg.fp = nullptr;
  diag_cfg.output_fn = KeepFirstError;
  std::string first_error;
  diag_cfg.user = &first_error;
  diag_cfg.colorize = false;
  std::unique_ptr<fy_diag, DiagDeleter> diag(fy_diag_create(&diag_cfg));
  fy_parse_cfg cfg = {};
  cfg.flags = static_cast<fy_parse_cfg_flags>(FYPCF_QUIET);
  cfg.diag = diag.get();
  std::unique_ptr<fy_document, DocumentDeleter> doc(
      fy_document_build_from_string(&cfg, text.data(), text.size()));
  if (doc == nullptr) {
    error->message = "not valid YAML";
    ReadDiagnostic(first_error, error);
    return std::nullopt;
  }
  YamlDocument result;
  Converter converter(&result, error);
  std::optional<Json::Value> root = converter.Convert(fy_document_root(doc.get()), "", 0, 0);
  if (!root) return std::nullopt;
  result.root = std::move(*root);
  return result;
}

}  // namespace wsgw
