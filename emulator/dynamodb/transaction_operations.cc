#include "dynamodb/transaction_operations.h"

#include <optional>
#include <set>
#include <utility>
#include <vector>

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"
#include "dynamodb/consumed_capacity.h"
#include "dynamodb/item_store.h"
#include "dynamodb/item_write.h"
#include "dynamodb/request_expressions.h"
#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

constexpr Json::ArrayIndex kMaxTransactItems = 100;
constexpr double kTokenLifetimeSeconds = 600;

enum class TokenState { kNew, kRepeated };

// Looks up a ClientRequestToken: kRepeated when the same token came with the same items in the
// last 10 minutes; IdempotentParameterMismatchException when it came with other items.
TokenState CheckToken(OperationContext& context, const std::string& token,
                      const std::string& items_text) {
  context.db.Execute(
      "CREATE TABLE IF NOT EXISTS transaction_tokens (token TEXT PRIMARY KEY, items TEXT NOT "
      "NULL, created REAL NOT NULL)");
  Statement expire = context.db.Prepare("DELETE FROM transaction_tokens WHERE created < ?1");
  expire.Bind(1, static_cast<int64_t>(context.now - kTokenLifetimeSeconds));
  expire.Run();
  Statement find = context.db.Prepare("SELECT items FROM transaction_tokens WHERE token = ?1");
  find.Bind(1, token);
  if (!find.Step()) return TokenState::kNew;
  if (find.Text(0) != items_text) throw IdempotentParameterMismatchError();
  return TokenState::kRepeated;
}

void RememberToken(OperationContext& context, const std::string& token,
                   const std::string& items_text) {
  Statement insert = context.db.Prepare(
      "INSERT INTO transaction_tokens (token, items, created) VALUES (?1, ?2, ?3)");
  insert.Bind(1, token).Bind(2, items_text).Bind(3, static_cast<int64_t>(context.now));
  insert.Run();
}

const Json::Value& RequireTransactItems(const Json::Value& request) {
  const Json::Value& items = RequireArrayField(request, "TransactItems", "transactItems");
  if (items.empty() || items.size() > kMaxTransactItems) {
    throw ValidationError(
        "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: "
        "Member must have length " +
        std::string(items.empty() ? "greater than or equal to 1" : "less than or equal to 100"));
  }
  return items;
}

// The one action member of a transaction item.
std::pair<WriteKind, const Json::Value*> WriteAction(const Json::Value& item) {
  static const std::pair<const char*, WriteKind> kActions[] = {
      {"ConditionCheck", WriteKind::kConditionCheck},
      {"Put", WriteKind::kPut},
      {"Delete", WriteKind::kDelete},
      {"Update", WriteKind::kUpdate}};
  std::optional<std::pair<WriteKind, const Json::Value*>> found;
  for (const auto& [name, kind] : kActions) {
    if (!item.isObject() || !item.isMember(name)) continue;
    if (found) {
      throw ValidationError("TransactItems can only contain one of Check, Put, Update or Delete");
    }
    found = std::make_pair(kind, &item[name]);
  }
  if (!found) {
    throw ValidationError("TransactItems can only contain one of Check, Put, Update or Delete");
  }
  if (!found->second->isObject()) {
    throw SerializationError("Unexpected value type in payload for TransactItems");
  }
  return *found;
}

}  // namespace

Json::Value TransactWriteItems(OperationContext& context, const Json::Value& request) {
  const Json::Value& items = RequireTransactItems(request);
  std::optional<std::string> token = OptionalStringField(request, "ClientRequestToken");
  ConsumedCapacity capacity(request);
  std::string items_text = ItemText(items);
  if (token && CheckToken(context, *token, items_text) == TokenState::kRepeated) {
    return Json::Value(Json::objectValue);
  }

  std::vector<ItemWrite> writes;
  Json::Value reasons(Json::arrayValue);
  bool cancelled = false;
  std::set<std::pair<std::string, ItemKey>> touched;
  for (const Json::Value& item : items) {
    auto [kind, action] = WriteAction(item);
    Json::Value reason;
    std::optional<ItemWrite> write;
    try {
      write = PlanWrite(context, kind, *action);
      reason["Code"] = "None";
    } catch (const ConditionFailed& failure) {
      reason["Code"] = "ConditionalCheckFailed";
      reason["Message"] = "The conditional request failed";
      if ((*action)["ReturnValuesOnConditionCheckFailure"].asString() == "ALL_OLD" &&
          failure.old_item) {
        reason["Item"] = *failure.old_item;
      }
    } catch (const UpdateRefused& refused) {
      reason["Code"] = "ValidationError";
      reason["Message"] = refused.message;
    }
    if (!write) {
      // PlanWrite checked the table and key before it looked at the item.
      cancelled = true;
      write.emplace();
      write->table = &context.catalog.Require((*action)["TableName"].asString());
      write->key = kind == WriteKind::kPut ? KeyOfItem(write->table->keys, (*action)["Item"])
                                           : KeyFromRequest(write->table->keys, (*action)["Key"]);
    }
    if (!touched.insert({write->table->name, write->key}).second) {
      throw ValidationError("Transaction request cannot include multiple operations on one item");
    }
    writes.push_back(std::move(*write));
    reasons.append(reason);
  }
  if (cancelled) throw TransactionCanceledError(reasons);
  for (const ItemWrite& write : writes) Apply(context, write, capacity, true);
  if (token) RememberToken(context, *token, items_text);
  Json::Value response(Json::objectValue);
  capacity.Report(response, true);
  return response;
}

Json::Value TransactGetItems(OperationContext& context, const Json::Value& request) {
  const Json::Value& items = RequireTransactItems(request);
  ConsumedCapacity capacity(request);
  Json::Value response;
  response["Responses"] = Json::Value(Json::arrayValue);
  for (const Json::Value& item : items) {
    if (!item.isObject() || !item["Get"].isObject()) {
      throw ValidationError("TransactItems can only contain Get");
    }
    const Json::Value& get = item["Get"];
    const TableSchema& table = context.catalog.Require(RequireTableName(get));
    const Json::Value& key = RequireObjectField(get, "Key", "transactItems.get.key");
    ValidateItemField(key);
    ItemKey encoded = KeyFromRequest(table.keys, key);
    RequestExpressions expressions = RequestExpressions::Parse(get, nullptr);
    std::optional<Json::Value> found = context.Store(table).Get(encoded);
    capacity.AddRead(table.name, "", false,
                     ConsumedCapacity::ReadUnits(found ? ItemSizeBytes(*found) : 0, true, true));
    Json::Value entry(Json::objectValue);
    if (found) entry["Item"] = expressions.Project(*found);
    response["Responses"].append(entry);
  }
  capacity.Report(response, true);
  return response;
}

}  // namespace wsgw::dynamodb
