// ItemWrite: one single-item write (Put, Delete, Update, or a transaction's ConditionCheck)
// worked out against the stored item but not yet applied. PutItem, DeleteItem, UpdateItem,
// BatchWriteItem and TransactWriteItems all plan with PlanWrite() and apply with Apply(), so the
// checks (key schema, item size, key attributes not updated, the condition) are the same
// everywhere. A failed condition throws ConditionFailed and an update the item refuses throws
// UpdateRefused; each caller words them its own way.
#pragma once

#include <json/json.h>

#include <optional>
#include <string>
#include <vector>

#include "dynamodb/api_error.h"
#include "dynamodb/consumed_capacity.h"
#include "dynamodb/expression.h"
#include "dynamodb/item_key.h"
#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

enum class WriteKind { kPut, kDelete, kUpdate, kConditionCheck };

struct ItemWrite {
  WriteKind kind = WriteKind::kPut;
  const TableSchema* table = nullptr;
  ItemKey key;
  std::optional<Json::Value> old_item;  // the item before, if there was one
  std::optional<Json::Value> new_item;  // the item after; none after a delete
  int64_t new_size = 0;
  std::optional<Projection> updated_paths;  // what an update wrote (UPDATED_OLD / UPDATED_NEW)
};

struct ConditionFailed {
  std::optional<Json::Value> old_item;
};

// An update that the stored item's data refuses (it cannot apply, or its result is too large or
// has an index key of the wrong type): ValidationException for UpdateItem, a ValidationError
// cancellation reason in a transaction. Refusals of the request itself are ApiErrors.
struct UpdateRefused {
  std::string message;
};

// `request` is the operation's request or a transaction item's Put/Delete/Update/ConditionCheck
// member (TableName, Item or Key, the expressions).
ItemWrite PlanWrite(OperationContext& context, WriteKind kind, const Json::Value& request);

// Stores the write and counts its capacity.
void Apply(OperationContext& context, const ItemWrite& write, ConsumedCapacity& capacity,
           bool transactional);

// The Attributes member for ReturnValues (NONE, ALL_OLD, UPDATED_OLD, ALL_NEW, UPDATED_NEW);
// null when there is nothing to return.
Json::Value ReturnedAttributes(const ItemWrite& write, const std::string& return_values);

// ConditionalCheckFailedException, with the item when the request asked for it with
// ReturnValuesOnConditionCheckFailure ALL_OLD.
ApiError ConditionalCheckFailure(const Json::Value& request, const ConditionFailed& failure);

}  // namespace wsgw::dynamodb
