// OperationContext: what one DynamoDB operation runs against: the database (inside the request's
// transaction), the table catalog, the region and the request's clock reading. Every operation
// is a function Json::Value (OperationContext&, const Json::Value& request) returning the
// response body or throwing ApiError.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <string>

#include "dynamodb/item_store.h"
#include "dynamodb/sqlite_database.h"
#include "dynamodb/table_catalog.h"

namespace wsgw::dynamodb {

struct OperationContext {
  SqliteDatabase& db;
  TableCatalog& catalog;
  const std::string& region;
  double now;  // epoch seconds

  int64_t now_seconds() const { return static_cast<int64_t>(now); }
  ItemStore Store(const TableSchema& schema) { return ItemStore(db, schema, now_seconds()); }
};

using Operation = Json::Value (*)(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
