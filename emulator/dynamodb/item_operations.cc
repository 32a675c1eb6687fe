#include "dynamodb/item_operations.h"

#include <set>
#include <utility>

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/consumed_capacity.h"
#include "dynamodb/item_write.h"
#include "dynamodb/request_expressions.h"
#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

constexpr int kMaxBatchGetKeys = 100;
constexpr int kMaxBatchWrites = 25;

// Runs one single-item write operation: plan, refuse on a failed condition, apply, answer.
Json::Value WriteOne(OperationContext& context, WriteKind kind, const Json::Value& request,
                     const std::string& return_values) {
  ConsumedCapacity capacity(request);
  ItemWrite write;
  try {
    write = PlanWrite(context, kind, request);
  } catch (const ConditionFailed& failure) {
    throw ConditionalCheckFailure(request, failure);
  } catch (const UpdateRefused& refused) {
    throw ValidationError(refused.message);
  }
  Apply(context, write, capacity, false);
  Json::Value response(Json::objectValue);
  Json::Value attributes = ReturnedAttributes(write, return_values);
  if (!attributes.isNull()) response["Attributes"] = attributes;
  capacity.Report(response, false);
  return response;
}

std::string OldOrNone(const Json::Value& request) {
  std::optional<std::string> value = OptionalStringField(request, "ReturnValues");
  if (value && *value != "NONE" && *value != "ALL_OLD") {
    throw ValidationError("ReturnValues can only be ALL_OLD or NONE");
  }
  return value.value_or("NONE");
}

const Json::Value& RequireRequestItems(const Json::Value& request) {
  const Json::Value& items = RequireObjectField(request, "RequestItems", "requestItems");
  if (items.empty()) {
    throw ValidationError(
        "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy "
        "constraint: Member must have length greater than or equal to 1");
  }
  return items;
}

}  // namespace

Json::Value PutItem(OperationContext& context, const Json::Value& request) {
  return WriteOne(context, WriteKind::kPut, request, OldOrNone(request));
}

Json::Value DeleteItem(OperationContext& context, const Json::Value& request) {
  return WriteOne(context, WriteKind::kDelete, request, OldOrNone(request));
}

Json::Value UpdateItem(OperationContext& context, const Json::Value& request) {
  std::string return_values =
      EnumField(request, "ReturnValues", "returnValues",
                {"NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"}, "NONE");
  return WriteOne(context, WriteKind::kUpdate, request, return_values);
}

Json::Value GetItem(OperationContext& context, const Json::Value& request) {
  const TableSchema& table = context.catalog.Require(RequireTableName(request));
  const Json::Value& key = RequireObjectField(request, "Key", "key");
  ValidateItemField(key);
  ItemKey encoded = KeyFromRequest(table.keys, key);
  RequestExpressions expressions = RequestExpressions::Parse(request, nullptr);
  bool consistent = OptionalBoolField(request, "ConsistentRead").value_or(false);
  ConsumedCapacity capacity(request);

  std::optional<Json::Value> item = context.Store(table).Get(encoded);
  Json::Value response(Json::objectValue);
  capacity.AddRead(table.name, "", false,
                   ConsumedCapacity::ReadUnits(item ? ItemSizeBytes(*item) : 0, consistent));
  if (item) response["Item"] = expressions.Project(*item);
  capacity.Report(response, false);
  return response;
}

Json::Value BatchGetItem(OperationContext& context, const Json::Value& request) {
  const Json::Value& request_items = RequireRequestItems(request);
  ConsumedCapacity capacity(request);
  Json::Value response;
  response["Responses"] = Json::Value(Json::objectValue);
  response["UnprocessedKeys"] = Json::Value(Json::objectValue);
  int total = 0;
  for (const std::string& table_name : request_items.getMemberNames()) {
    const Json::Value& entry = request_items[table_name];
    if (!entry.isObject()) throw SerializationError("Unexpected value type in RequestItems");
    Json::Value table_request = entry;
    table_request["TableName"] = table_name;
    const TableSchema& table = context.catalog.Require(RequireTableName(table_request));
    RequestExpressions expressions = RequestExpressions::Parse(table_request, nullptr);
    bool consistent = OptionalBoolField(entry, "ConsistentRead").value_or(false);
    const Json::Value& keys = RequireArrayField(entry, "Keys", "requestItems.keys");
    if (keys.empty()) {
      throw ValidationError(
          "1 validation error detected: Value '[]' at 'requestItems." + table_name +
          ".member.keys' failed to satisfy constraint: Member must have length greater than or "
          "equal to 1");
    }
    Json::Value& found = response["Responses"][table_name];
    found = Json::Value(Json::arrayValue);
    std::set<ItemKey> seen;
    ItemStore store = context.Store(table);
    for (const Json::Value& key : keys) {
      if (++total > kMaxBatchGetKeys) {
        throw ValidationError("Too many items requested for the BatchGetItem call");
      }
      ValidateItemField(key);
      ItemKey encoded = KeyFromRequest(table.keys, key);
      if (!seen.insert(encoded).second) {
        throw ValidationError("Provided list of item keys contains duplicates");
      }
      std::optional<Json::Value> item = store.Get(encoded);
      capacity.AddRead(table.name, "", false,
                       ConsumedCapacity::ReadUnits(item ? ItemSizeBytes(*item) : 0, consistent));
      if (item) found.append(expressions.Project(*item));
    }
  }
  capacity.Report(response, true);
  return response;
}

Json::Value BatchWriteItem(OperationContext& context, const Json::Value& request) {
  const Json::Value& request_items = RequireRequestItems(request);
  ConsumedCapacity capacity(request);
  std::vector<ItemWrite> writes;
  for (const std::string& table_name : request_items.getMemberNames()) {
    const Json::Value& entries = request_items[table_name];
    if (!entries.isArray()) throw SerializationError("Unexpected value type in RequestItems");
    std::set<ItemKey> seen;
    for (const Json::Value& entry : entries) {
      if (writes.size() == kMaxBatchWrites) {
        throw ValidationError(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: "
            "Map value must satisfy constraint: [Member must have length less than or equal to "
            "25, Member must have length greater than or equal to 1]");
      }
      bool put = entry.isMember("PutRequest");
      if (put == entry.isMember("DeleteRequest") || entry.size() != 1) {
        throw ValidationError(
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of "
            "the supported datatypes");
      }
      Json::Value write_request = entry[put ? "PutRequest" : "DeleteRequest"];
      if (!write_request.isObject()) {
        throw SerializationError("Unexpected value type in RequestItems");
      }
      write_request["TableName"] = table_name;
      ItemWrite write =
          PlanWrite(context, put ? WriteKind::kPut : WriteKind::kDelete, write_request);
      if (!seen.insert(write.key).second) {
        throw ValidationError("Provided list of item keys contains duplicates");
      }
      writes.push_back(std::move(write));
    }
  }
  for (const ItemWrite& write : writes) Apply(context, write, capacity, false);
  Json::Value response;
  response["UnprocessedItems"] = Json::Value(Json::objectValue);
  capacity.Report(response, true);
  return response;
}

}  // namespace wsgw::dynamodb
