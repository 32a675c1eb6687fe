#include "dynamodb/item_write.h"

#include <algorithm>

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/item_store.h"
#include "dynamodb/number.h"
#include "dynamodb/request_expressions.h"
#include "dynamodb/request_fields.h"
#include "dynamodb/table_schema.h"

namespace wsgw::dynamodb {
namespace {

constexpr int64_t kMaxItemBytes = 400 * 1024;

void CheckSize(int64_t size) {
  if (size > kMaxItemBytes) {
    throw ValidationError("Item size has exceeded the maximum allowed size");
  }
}

// DynamoDB stores numbers in canonical form: "1.50" is read back as "1.5", "1e3" as "1000".
void CanonicalizeNumbers(Json::Value& value) {
  if (!value.isObject()) return;
  auto canonical = [](Json::Value& number) {
    if (std::optional<Number> parsed = Number::Parse(number.asString(), nullptr)) {
      number = parsed->ToString();
    }
  };
  if (value.isMember("N")) {
    canonical(value["N"]);
  } else if (value.isMember("NS")) {
    for (Json::Value& member : value["NS"]) canonical(member);
  } else if (value.isMember("M")) {
    for (Json::Value& member : value["M"]) CanonicalizeNumbers(member);
  } else if (value.isMember("L")) {
    for (Json::Value& member : value["L"]) CanonicalizeNumbers(member);
  }
}

// Every secondary index accepts the item's index keys (right types, no empty strings).
void CheckIndexKeys(const TableSchema& table, const Json::Value& item) {
  for (const SecondaryIndex& index : table.indexes) IndexKeyOfItem(index, item);
}

// Whether the item has a row in the index (an old item whose index key has the wrong type was
// left out of a backfilled index).
bool InIndex(const SecondaryIndex& index, const std::optional<Json::Value>& item) {
  if (!item) return false;
  try {
    return IndexKeyOfItem(index, *item).has_value();
  } catch (const ApiError&) {
    return false;
  }
}

}  // namespace

ItemWrite PlanWrite(OperationContext& context, WriteKind kind, const Json::Value& request) {
  ItemWrite write;
  write.kind = kind;
  write.table = &context.catalog.Require(RequireTableName(request));
  const TableSchema& table = *write.table;
  EnumField(request, "ReturnValuesOnConditionCheckFailure", "returnValuesOnConditionCheckFailure",
            {"ALL_OLD", "NONE"}, "NONE");
  RequestExpressions expressions = RequestExpressions::Parse(request, nullptr);

  Json::Value item;
  if (kind == WriteKind::kPut) {
    item = RequireObjectField(request, "Item", "item");
    ValidateItemField(item);
    write.key = KeyOfItem(table.keys, item);
  } else {
    const Json::Value& key = RequireObjectField(request, "Key", "key");
    ValidateItemField(key);
    write.key = KeyFromRequest(table.keys, key);
    item = key;
  }
  if (kind == WriteKind::kConditionCheck && !expressions.condition) {
    throw MissingMemberError("conditionExpression");
  }
  if (expressions.update) {
    for (const std::string& name : expressions.update->TopLevelNames()) {
      if (table.keys.Contains(name)) {
        throw ValidationError(
            "One or more parameter values were invalid: Cannot update attribute " + name +
            ". This attribute is part of the key");
      }
    }
  }
  if (kind == WriteKind::kPut) {
    // The item itself is checked before its condition, as DynamoDB does.
    for (Json::Value& attribute : item) CanonicalizeNumbers(attribute);
    write.new_size = ItemSizeBytes(item);
    CheckSize(write.new_size);
    CheckIndexKeys(table, item);
  }

  write.old_item = context.Store(table).Get(write.key);
  if (expressions.condition &&
      !expressions.condition->Evaluate(write.old_item.value_or(Json::Value(Json::objectValue)))) {
    throw ConditionFailed{write.old_item};
  }

  switch (kind) {
    case WriteKind::kPut:
      write.new_item = item;
      return write;
    case WriteKind::kDelete:
    case WriteKind::kConditionCheck:
      return write;
    case WriteKind::kUpdate:
      break;
  }
  Json::Value updated = write.old_item.value_or(item);
  if (expressions.update) {
    std::string error;
    if (!expressions.update->Apply(&updated, &error)) throw UpdateRefused{error};
    write.updated_paths = expressions.update->WrittenPaths();
  }
  for (Json::Value& attribute : updated) CanonicalizeNumbers(attribute);
  write.new_size = ItemSizeBytes(updated);
  try {
    CheckSize(write.new_size);
    CheckIndexKeys(table, updated);
  } catch (const ApiError& error) {
    throw UpdateRefused{error.what()};
  }
  write.new_item = std::move(updated);
  return write;
}

void Apply(OperationContext& context, const ItemWrite& write, ConsumedCapacity& capacity,
           bool transactional) {
  const TableSchema& table = *write.table;
  int64_t old_size = write.old_item ? ItemSizeBytes(*write.old_item) : 0;
  int64_t size = std::max(old_size, write.new_size);
  ItemStore store = context.Store(table);
  if (write.kind == WriteKind::kConditionCheck) {
    capacity.AddRead(table.name, "", false, ConsumedCapacity::ReadUnits(old_size, true, true));
    return;
  }
  if (write.new_item) {
    store.Put(write.key, *write.new_item, write.new_size);
  } else if (write.old_item) {
    store.Delete(write.key);
  }
  capacity.AddWrite(table.name, "", false, ConsumedCapacity::WriteUnits(size, transactional));
  for (const SecondaryIndex& index : table.indexes) {
    if (InIndex(index, write.old_item) || InIndex(index, write.new_item)) {
      capacity.AddWrite(table.name, index.name, index.global,
                        ConsumedCapacity::WriteUnits(size, transactional));
    }
  }
}

Json::Value ReturnedAttributes(const ItemWrite& write, const std::string& return_values) {
  auto pick = [&](const std::optional<Json::Value>& item) {
    if (!item || !write.updated_paths) return Json::Value();
    Json::Value out = write.updated_paths->Apply(*item);
    return out.empty() ? Json::Value() : out;
  };
  if (return_values == "ALL_OLD") return write.old_item.value_or(Json::Value());
  if (return_values == "ALL_NEW") return write.new_item.value_or(Json::Value());
  if (return_values == "UPDATED_OLD") return pick(write.old_item);
  if (return_values == "UPDATED_NEW") return pick(write.new_item);
  return Json::Value();
}

ApiError ConditionalCheckFailure(const Json::Value& request, const ConditionFailed& failure) {
  ApiError error = ConditionalCheckFailedError();
  if (request["ReturnValuesOnConditionCheckFailure"].asString() == "ALL_OLD" && failure.old_item) {
    error.extra()["Item"] = *failure.old_item;
  }
  return error;
}

}  // namespace wsgw::dynamodb
