#include "dynamodb/query_operations.h"

#include <set>

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/consumed_capacity.h"
#include "dynamodb/item_key.h"
#include "dynamodb/request_expressions.h"
#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";
constexpr int64_t kPageBytes = 1024 * 1024;

// The table or index a Query or Scan reads.
struct ReadTarget {
  const TableSchema* table = nullptr;
  const SecondaryIndex* index = nullptr;

  const KeySchema& keys() const { return index ? index->keys : table->keys; }
};

ReadTarget RequireTarget(OperationContext& context, const Json::Value& request) {
  ReadTarget target;
  target.table = &context.catalog.Require(RequireTableName(request));
  if (std::optional<std::string> index_name = OptionalStringField(request, "IndexName")) {
    target.index = target.table->FindIndex(*index_name);
    if (!target.index) {
      throw ValidationError("The table does not have the specified index: " + *index_name);
    }
  }
  return target;
}

// The item as the index holds it: KEYS_ONLY and INCLUDE indexes keep only some attributes.
Json::Value IndexView(const ReadTarget& target, const Json::Value& item) {
  if (!target.index || target.index->projection.type == "ALL") return item;
  Json::Value view = KeyAttributes(target.table->keys, item);
  for (const Json::Value& part : {KeyAttributes(target.index->keys, item)}) {
    for (const std::string& name : part.getMemberNames()) view[name] = part[name];
  }
  for (const std::string& name : target.index->projection.non_key_attributes) {
    if (item.isMember(name)) view[name] = item[name];
  }
  return view;
}

// ExclusiveStartKey as a store position: the table's key attributes, plus the index's when
// reading an index, and nothing else.
StorePosition StartPosition(const ReadTarget& target, const Json::Value& start) {
  auto invalid = [] {
    return ValidationError(
        "The provided starting key is invalid: The provided key element does not match the "
        "schema");
  };
  if (!start.isObject()) throw invalid();
  ValidateItemField(start);
  std::set<std::string> expected{target.table->keys.hash.name};
  if (target.table->keys.range) expected.insert(target.table->keys.range->name);
  if (target.index) {
    expected.insert(target.index->keys.hash.name);
    if (target.index->keys.range) expected.insert(target.index->keys.range->name);
  }
  if (start.size() != expected.size()) throw invalid();
  for (const std::string& name : expected) {
    if (!start.isMember(name)) throw invalid();
  }
  StorePosition position;
  try {
    position.table_key = KeyOfItem(target.table->keys, start);
    position.index_key = position.table_key;
    if (target.index) {
      std::optional<ItemKey> index_key = IndexKeyOfItem(*target.index, start);
      if (!index_key) throw invalid();
      position.index_key = *index_key;
    }
  } catch (const ApiError&) {
    throw invalid();
  }
  return position;
}

// Select, the projections and the filter of one Query or Scan, and the page being built.
class Page {
 public:
  Page(const ReadTarget& target, const Json::Value& request, const RequestExpressions& expressions)
      : target_(target), expressions_(expressions) {
    select_ =
        EnumField(request, "Select", "select",
                  {"ALL_ATTRIBUTES", "ALL_PROJECTED_ATTRIBUTES", "SPECIFIC_ATTRIBUTES", "COUNT"},
                  expressions.HasProjection() ? "SPECIFIC_ATTRIBUTES"
                  : target.index              ? "ALL_PROJECTED_ATTRIBUTES"
                                              : "ALL_ATTRIBUTES");
    if (select_ == "SPECIFIC_ATTRIBUTES" && !expressions.HasProjection()) {
      throw ValidationError(std::string(kInvalid) +
                            "Must specify the AttributesToGet or ProjectionExpression when "
                            "choosing to get SPECIFIC_ATTRIBUTES");
    }
    if (select_ != "SPECIFIC_ATTRIBUTES" && expressions.HasProjection()) {
      throw ValidationError(std::string(kInvalid) +
                            "Cannot specify the AttributesToGet when choosing to get " +
                            (select_ == "COUNT" ? std::string("only the Count") : select_));
    }
    if (select_ == "ALL_PROJECTED_ATTRIBUTES" && !target.index) {
      throw ValidationError(std::string(kInvalid) +
                            "Select type ALL_PROJECTED_ATTRIBUTES is not supported when not "
                            "querying an index");
    }
    if (select_ == "ALL_ATTRIBUTES" && target.index && target.index->global &&
        target.index->projection.type != "ALL") {
      throw ValidationError(std::string(kInvalid) +
                            "Select type ALL_ATTRIBUTES is not supported for global secondary "
                            "index " +
                            target.index->name + " because its projection type is not ALL");
    }
    limit_ = OptionalIntegerField(request, "Limit", "limit", 1);
    consistent_ = OptionalBoolField(request, "ConsistentRead").value_or(false);
    if (consistent_ && target.index && target.index->global) {
      throw ValidationError("Consistent reads are not supported on global secondary indexes");
    }
    response_["Items"] = Json::Value(Json::arrayValue);
  }

  // Takes one stored row; false when the page is full.
  bool Add(const StoredRow& row) {
    ++scanned_;
    bytes_ += row.size;
    // An LSI fetches unprojected attributes from the table when asked for all of them.
    Json::Value item = (select_ == "ALL_ATTRIBUTES") ? row.item : IndexView(target_, row.item);
    if (!expressions_.filter || expressions_.filter->Evaluate(item)) {
      ++count_;
      if (select_ != "COUNT") response_["Items"].append(expressions_.Project(item));
    }
    if ((limit_ && scanned_ >= *limit_) || bytes_ >= kPageBytes) {
      Json::Value last = KeyAttributes(target_.table->keys, row.item);
      if (target_.index) {
        Json::Value index_keys = KeyAttributes(target_.index->keys, row.item);
        for (const std::string& name : index_keys.getMemberNames()) last[name] = index_keys[name];
      }
      response_["LastEvaluatedKey"] = last;
      return false;
    }
    return true;
  }

  Json::Value Finish(const Json::Value& request) {
    if (select_ == "COUNT") response_.removeMember("Items");
    response_["Count"] = Json::Int64(count_);
    response_["ScannedCount"] = Json::Int64(scanned_);
    ConsumedCapacity capacity(request);
    capacity.AddRead(target_.table->name, target_.index ? target_.index->name : "",
                     target_.index && target_.index->global,
                     ConsumedCapacity::ReadUnits(bytes_, consistent_));
    capacity.Report(response_, false);
    return response_;
  }

 private:
  const ReadTarget& target_;
  const RequestExpressions& expressions_;
  std::string select_;
  std::optional<int64_t> limit_;
  bool consistent_ = false;
  int64_t scanned_ = 0;
  int64_t count_ = 0;
  int64_t bytes_ = 0;
  Json::Value response_;
};

// The smallest byte string greater than every string starting with `prefix`, or nullopt when
// there is none (the prefix is all 0xFF).
std::optional<std::string> PrefixSuccessor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::nullopt;
  prefix.back() = static_cast<char>(static_cast<unsigned char>(prefix.back()) + 1);
  return prefix;
}

void CheckConditionType(const KeyAttribute& attribute, const Json::Value& value) {
  std::string type = TypeOf(value);
  if (type != attribute.type) {
    throw ValidationError(std::string(kInvalid) +
                          "Condition parameter type does not match schema type");
  }
  if (type != "N" && value[type].asString().empty()) {
    throw ValidationError(
        "One or more parameter values are not valid. The AttributeValue for a key attribute "
        "cannot contain an empty " +
        std::string(type == "S" ? "string" : "binary") + " value. Key: " + attribute.name);
  }
}

RangeBounds BoundsFor(const KeyCondition& condition, const KeySchema& keys) {
  RangeBounds bounds;
  if (condition.range_op == KeyCondition::Op::kNone) return bounds;
  const KeyAttribute& range = *keys.range;
  CheckConditionType(range, condition.range_value1);
  std::string first = EncodeKeyValue(condition.range_value1, range.type);
  switch (condition.range_op) {
    case KeyCondition::Op::kEq:
      bounds.lower = bounds.upper = first;
      break;
    case KeyCondition::Op::kLt:
      bounds.upper = first;
      bounds.upper_inclusive = false;
      break;
    case KeyCondition::Op::kLe:
      bounds.upper = first;
      break;
    case KeyCondition::Op::kGt:
      bounds.lower = first;
      bounds.lower_inclusive = false;
      break;
    case KeyCondition::Op::kGe:
      bounds.lower = first;
      break;
    case KeyCondition::Op::kBetween: {
      CheckConditionType(range, condition.range_value2);
      std::string second = EncodeKeyValue(condition.range_value2, range.type);
      if (second < first) {
        throw ValidationError(
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be "
            "greater than or equal to lower bound; lower bound operand: AttributeValue: " +
            ItemText(condition.range_value1) +
            ", upper bound operand: AttributeValue: " + ItemText(condition.range_value2));
      }
      bounds.lower = first;
      bounds.upper = second;
      break;
    }
    case KeyCondition::Op::kBeginsWith:
      if (range.type == "N") {
        throw ValidationError(
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N");
      }
      bounds.lower = first;
      bounds.upper = PrefixSuccessor(first);
      bounds.upper_inclusive = false;
      break;
    case KeyCondition::Op::kNone:
      break;
  }
  return bounds;
}

// Which of `total` Scan segments a partition belongs to (FNV-1a of its hash-key bytes).
int64_t SegmentOf(const std::string& hash, int64_t total) {
  uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : hash) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  return static_cast<int64_t>(h % static_cast<uint64_t>(total));
}

}  // namespace

Json::Value Query(OperationContext& context, const Json::Value& request) {
  ReadTarget target = RequireTarget(context, request);
  const KeySchema& keys = target.keys();
  if (!request.isMember("KeyConditionExpression")) {
    throw ValidationError(
        "Either the KeyConditions or KeyConditionExpression parameter must be specified in the "
        "request.");
  }
  KeySchemaNames names{keys.hash.name, keys.range ? keys.range->name : ""};
  RequestExpressions expressions = RequestExpressions::Parse(request, &names);
  const KeyCondition& condition = *expressions.key_condition;
  CheckConditionType(keys.hash, condition.hash_value);
  std::string hash = EncodeKeyValue(condition.hash_value, keys.hash.type);
  RangeBounds bounds = BoundsFor(condition, keys);
  bool forward = OptionalBoolField(request, "ScanIndexForward").value_or(true);

  Page page(target, request, expressions);
  std::optional<StorePosition> after;
  const Json::Value& start = OptionalObjectField(request, "ExclusiveStartKey");
  if (!start.isNull()) {
    after = StartPosition(target, start);
    if (after->index_key.hash != hash) {
      throw ValidationError(
          "The provided starting key is outside query boundaries based on provided conditions");
    }
  }
  context.Store(*target.table)
      .Query(target.index, hash, bounds, forward, after,
             [&](const StoredRow& row) { return page.Add(row); });
  return page.Finish(request);
}

Json::Value Scan(OperationContext& context, const Json::Value& request) {
  ReadTarget target = RequireTarget(context, request);
  RequestExpressions expressions = RequestExpressions::Parse(request, nullptr);
  std::optional<int64_t> segment = OptionalIntegerField(request, "Segment", "segment", 0);
  std::optional<int64_t> total = OptionalIntegerField(request, "TotalSegments", "totalSegments", 1);
  if (total && *total > 1000000) {
    throw ValidationError("1 validation error detected: Value '" + std::to_string(*total) +
                          "' at 'totalSegments' failed to satisfy constraint: Member must have "
                          "value less than or equal to 1000000");
  }
  if (segment && !total) {
    throw ValidationError(
        "The TotalSegments parameter is required but was not present in the request when "
        "parameter Segment is present");
  }
  if (total && !segment) {
    throw ValidationError(
        "The Segment parameter is required but was not present in the request when parameter "
        "TotalSegments is present");
  }
  if (segment && *segment >= *total) {
    throw ValidationError(
        "The Segment parameter is zero-based and must be less than parameter "
        "TotalSegments: Segment: " +
        std::to_string(*segment) + " is not less than TotalSegments: " + std::to_string(*total));
  }

  Page page(target, request, expressions);
  std::optional<StorePosition> after;
  const Json::Value& start = OptionalObjectField(request, "ExclusiveStartKey");
  if (!start.isNull()) after = StartPosition(target, start);
  context.Store(*target.table).Scan(target.index, after, [&](const StoredRow& row) {
    if (total && SegmentOf(row.position.index_key.hash, *total) != *segment) return true;
    return page.Add(row);
  });
  return page.Finish(request);
}

}  // namespace wsgw::dynamodb
