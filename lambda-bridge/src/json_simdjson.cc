// ParseJsonWithSimdjson: simdjson validates and decodes the text, then one walk builds the
// Json::Value tree that jsoncpp's reader would have built.
//
// Why the result is jsoncpp's, for every text simdjson accepts (strict RFC 8259 JSON, valid UTF-8):
// - jsoncpp classifies an integer without fraction or exponent as intValue when it fits in int64
//   (so "-0" is int 0), as uintValue above that up to 2^64-1, and as realValue beyond; simdjson
//   reports the first two as INT64 and UINT64 and rejects the third. Anything with a fraction or
//   exponent is realValue to jsoncpp (read by istream, correctly rounded in the classic locale) and
//   DOUBLE to simdjson (correctly rounded too); overflow to infinity is an error to both.
// - Strings: the same escapes decode to the same bytes; simdjson rejects the surrogate escapes
//   jsoncpp would decode differently (lone or mismatched halves). Embedded NULs are kept by both.
// - Objects: jsoncpp keeps the last of repeated keys (its reader here does not reject them), and
//   orders members by key whatever the insertion order; assigning members in text order into
//   Json::Value does both. Objects built from a cached shape (ShapeCache) have no repeated keys.
// - Offsets: jsoncpp records where each value starts and ends in the text; simdjson's DOM does not
//   keep positions, so the walk follows the text alongside the DOM. Text that does not line up
//   with the DOM (which validated text always does) declines rather than guesses.
#include <simdjson.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <limits>
#include <locale>
#include <string>
#include <utility>
#include <vector>

#include "base/json.h"
#include "json_readers.h"

namespace wsgw::lambda {
namespace {

using simdjson::dom::element_type;

// Objects with the same keys in the same order recur in every event (the root, requestContext,
// identity). Copying a prototype of such an object, every member null, and filling in the values
// costs about half of inserting the members one by one, as Json::Value::demand copies each key
// twice on the way in. Each thread keeps the prototypes of the last few shapes it has seen twice.
class ShapeCache {
 public:
  struct Shape {
    std::vector<std::string> keys;   // in text order, none repeated
    std::vector<size_t> text_index;  // of each member of `prototype`, in its (key) order
    Json::Value prototype;
  };

  // The shape with the keys of `object`, in the same order; nullptr when there is none.
  const Shape* Find(simdjson::dom::object object) const {
    const size_t size = object.size();
    for (const Shape& shape : shapes_) {
      if (shape.keys.size() == size && SameKeys(object, shape.keys)) return &shape;
    }
    return nullptr;
  }

  // Called when Find found nothing: keeps the shape of `object` if this is the second time it is
  // seen lately, and it is worth keeping.
  void Saw(simdjson::dom::object object) {
    const size_t size = object.size();
    if (size < kMinKeys || size > kMaxKeys) return;
    uint64_t hash = 14695981039346656037u;  // FNV-1a over the keys and their lengths
    size_t key_bytes = 0;
    for (simdjson::dom::key_value_pair member : object) {
      key_bytes += member.key.size();
      for (unsigned char c : member.key) hash = (hash ^ c) * 1099511628211u;
      hash = (hash ^ member.key.size()) * 1099511628211u;
    }
    if (key_bytes > kMaxKeyBytes) return;
    uint64_t& seen = seen_once_[hash % seen_once_.size()];
    if (seen != hash) {
      seen = hash;
      return;
    }
    Shape shape;
    shape.prototype = Json::Value(Json::objectValue);
    for (simdjson::dom::key_value_pair member : object) {
      shape.keys.emplace_back(member.key);
      shape.prototype.demand(member.key.data(), member.key.data() + member.key.size());
    }
    if (shape.prototype.size() != size) return;  // a key repeats
    for (auto it = shape.prototype.begin(); it != shape.prototype.end(); ++it) {
      const char* end = nullptr;
      const char* name = it.memberName(&end);
      std::string_view key(name, static_cast<size_t>(end - name));
      for (size_t i = 0; i < size; ++i) {
        if (shape.keys[i] == key) shape.text_index.push_back(i);
      }
    }
    if (shape.text_index.size() != size) return;
    if (shapes_.size() < kShapes) {
      shapes_.push_back(std::move(shape));
    } else {
      shapes_[next_] = std::move(shape);
      next_ = (next_ + 1) % kShapes;
    }
  }

 private:
  static constexpr size_t kShapes = 16;
  static constexpr size_t kMinKeys = 2;
  static constexpr size_t kMaxKeys = 64;
  static constexpr size_t kMaxKeyBytes = 2048;

  static bool SameKeys(simdjson::dom::object object, const std::vector<std::string>& keys) {
    size_t i = 0;
    for (simdjson::dom::key_value_pair member : object) {
      if (member.key != keys[i++]) return false;
    }
    return true;
  }

  std::vector<Shape> shapes_;  // up to kShapes; when full, the oldest is replaced
  size_t next_ = 0;
  std::array<uint64_t, 64> seen_once_{};
};

// What a thread keeps from one parse to the next.
struct ThreadState {
  simdjson::dom::parser parser;
  ShapeCache shapes;
  std::vector<Json::Value*> slots;  // the members being filled in, of every object being built
};

class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, ThreadState& state)
      : begin_(text.data()), end_(text.data() + text.size()), at_(begin_), state_(state) {}

  // Builds `root` from the document `element`, which simdjson parsed from the whole text.
  bool BuildDocument(simdjson::dom::element element, Json::Value& root) {
    if (!Build(element, root)) return false;
    SkipSpaces();
    return at_ == end_;
  }

 private:
  // Replaces `out` with `element`, the value whose text starts at the next non-space character.
  bool Build(simdjson::dom::element element, Json::Value& out) {
    SkipSpaces();
    const char* start = at_;
    switch (element.type()) {
      case element_type::OBJECT:
        if (!BuildObject(element.get_object().value_unsafe(), out)) return false;
        break;
      case element_type::ARRAY:
        if (!BuildArray(element.get_array().value_unsafe(), out)) return false;
        break;
      case element_type::STRING: {
        std::string_view string = element.get_string().value_unsafe();
        if (!SkipString()) return false;
        Set(out, Json::Value(string.data(), string.data() + string.size()));
        break;
      }
      case element_type::INT64:
        if (!SkipNumber()) return false;
        Set(out, Json::Value(Json::Int64{element.get_int64().value_unsafe()}));
        break;
      case element_type::UINT64: {
        // simdjson says UINT64 only above INT64_MAX, as jsoncpp says uintValue only there.
        uint64_t number = element.get_uint64().value_unsafe();
        if (number <= static_cast<uint64_t>(std::numeric_limits<Json::Int64>::max())) return false;
        if (!SkipNumber()) return false;
        Set(out, Json::Value(Json::UInt64{number}));
        break;
      }
      case element_type::DOUBLE:
        if (!ClassicLocale() || !SkipNumber()) return false;
        Set(out, Json::Value(element.get_double().value_unsafe()));
        break;
      case element_type::BOOL: {
        bool truth = element.get_bool().value_unsafe();
        if (!SkipWord(truth ? "true" : "false")) return false;
        Set(out, Json::Value(truth));
        break;
      }
      case element_type::NULL_VALUE:
        if (!SkipWord("null")) return false;
        Set(out, Json::Value());
        break;
      default:
        return false;
    }
    out.setOffsetStart(start - begin_);
    out.setOffsetLimit(at_ - begin_);
    return true;
  }

  bool BuildObject(simdjson::dom::object object, Json::Value& out) {
    if (!Skip('{')) return false;
    const ShapeCache::Shape* shape = state_.shapes.Find(object);
    std::vector<Json::Value*>& slots = state_.slots;
    const size_t base = slots.size();
    if (shape != nullptr) {
      Set(out, Json::Value(shape->prototype));
      slots.resize(base + shape->keys.size());
      size_t index = 0;
      for (auto it = out.begin(); it != out.end(); ++it) {
        slots[base + shape->text_index[index++]] = &*it;
      }
    } else {
      Set(out, Json::Value(Json::objectValue));
    }
    size_t index = 0;
    for (simdjson::dom::key_value_pair member : object) {
      if (index > 0 && !Skip(',')) return false;
      SkipSpaces();
      if (!SkipString() || !Skip(':')) return false;
      // demand: the existing member when the key repeats, which the later value then replaces.
      Json::Value* slot =
          shape != nullptr ? slots[base + index]
                           : out.demand(member.key.data(), member.key.data() + member.key.size());
      if (!Build(member.value, *slot)) return false;
      ++index;
    }
    slots.resize(base);
    if (shape == nullptr) state_.shapes.Saw(object);
    return Skip('}');
  }

  bool BuildArray(simdjson::dom::array array, Json::Value& out) {
    if (!Skip('[')) return false;
    Set(out, Json::Value(Json::arrayValue));
    bool first = true;
    for (simdjson::dom::element item : array) {
      if (!first && !Skip(',')) return false;
      first = false;
      Json::Value built;
      if (!Build(item, built)) return false;
      out.append(std::move(built));
    }
    return Skip(']');
  }

  // Gives `out` the type and value of `value`, the way jsoncpp's reader does; cheaper than
  // assigning, which also swaps comments and offsets.
  static void Set(Json::Value& out, Json::Value&& value) { out.swapPayload(value); }

  // jsoncpp reads a fraction or exponent with an istream, which takes the global locale.
  bool ClassicLocale() {
    if (!locale_checked_) {
      classic_locale_ = std::locale() == std::locale::classic();
      locale_checked_ = true;
    }
    return classic_locale_;
  }

  void SkipSpaces() {
    while (at_ != end_ && (*at_ == ' ' || *at_ == '\n' || *at_ == '\r' || *at_ == '\t')) ++at_;
  }

  bool Skip(char c) {
    SkipSpaces();
    if (at_ == end_ || *at_ != c) return false;
    ++at_;
    return true;
  }

  // From the opening quote to just past the closing one: the first quote after it that follows an
  // even run of backslashes (each pair an escaped backslash; no other escape holds a backslash).
  bool SkipString() {
    if (at_ == end_ || *at_ != '"') return false;
    const char* content = ++at_;
    while (const void* found = std::memchr(at_, '"', static_cast<size_t>(end_ - at_))) {
      const char* quote = static_cast<const char*>(found);
      at_ = quote + 1;
      size_t backslashes = 0;
      for (const char* before = quote; before != content && before[-1] == '\\'; --before) {
        ++backslashes;
      }
      if (backslashes % 2 == 0) return true;
    }
    return false;
  }

  bool SkipNumber() {
    if (at_ == end_ || (*at_ != '-' && (*at_ < '0' || *at_ > '9'))) return false;
    ++at_;
    while (at_ != end_ && ((*at_ >= '0' && *at_ <= '9') || *at_ == '.' || *at_ == 'e' ||
                           *at_ == 'E' || *at_ == '+' || *at_ == '-')) {
      ++at_;
    }
    return true;
  }

  bool SkipWord(std::string_view word) {
    if (static_cast<size_t>(end_ - at_) < word.size() ||
        std::string_view(at_, word.size()) != word) {
      return false;
    }
    at_ += word.size();
    return true;
  }

  const char* const begin_;
  const char* const end_;
  const char* at_;
  ThreadState& state_;
  bool locale_checked_ = false;
  bool classic_locale_ = false;
};

}  // namespace

std::optional<Json::Value> ParseJsonWithSimdjson(std::string_view text) {
  // Empty text is not JSON to simdjson either, and may have a null data(), which simdjson would
  // hand to memcpy.
  if (text.empty() || text.size() > kFastJsonMaxBytes) return std::nullopt;
  // A parser's buffers cost more to set up than an event costs to parse: one per thread. Its
  // maximum depth stays what it was allocated with when it grows for a longer text.
  thread_local ThreadState state = [] {
    ThreadState made;
    if (made.parser.allocate(4096, kFastJsonMaxDepth) != simdjson::SUCCESS) {
      made.parser = simdjson::dom::parser();
    }
    return made;
  }();
  // Only when that allocation failed: a parser made by default would nest as deep as 1024.
  if (state.parser.max_depth() != kFastJsonMaxDepth) return std::nullopt;
  // Parsing from a pointer copies into the parser's own padded buffer, reused from call to call.
  simdjson::dom::element root;
  if (state.parser.parse(text.data(), text.size()).get(root) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  state.slots.clear();  // a walk that declined may have left some
  Json::Value value;
  if (!TreeBuilder(text, state).BuildDocument(root, value)) return std::nullopt;
  return value;
}

}  // namespace wsgw::lambda
