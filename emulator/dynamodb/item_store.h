// ItemStore: the rows of one DynamoDB table and its secondary indexes in SQLite.
//
// Per table one SQL table of (hash BLOB, range BLOB, item TEXT, size INTEGER, expires INTEGER)
// with PRIMARY KEY(hash, range) WITHOUT ROWID, so GetItem is a primary-key lookup and a Query is
// a range scan in key order. Per secondary index one SQL table of (index hash, index range,
// table hash, table range), kept in step with every Put and Delete; an item without the index's
// key attributes has no index row (indexes are sparse). `expires` is the TTL attribute's value
// in epoch seconds; rows whose `expires` is before `now` are invisible to every read.
//
// An ItemStore is a cheap view made per operation; the prepared statements live in the
// SqliteDatabase's cache. Callers hold the transaction.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "dynamodb/item_key.h"
#include "dynamodb/sqlite_database.h"
#include "dynamodb/table_schema.h"

namespace wsgw::dynamodb {

// Bounds on the range part of keys within one partition; absent bounds are open.
struct RangeBounds {
  std::optional<std::string> lower;
  bool lower_inclusive = true;
  std::optional<std::string> upper;
  bool upper_inclusive = true;
};

// Where a page ended: the index key and table key of the last row returned. For the table itself
// index_key equals table_key.
struct StorePosition {
  ItemKey index_key;
  ItemKey table_key;
};

struct StoredRow {
  StorePosition position;
  Json::Value item;
  int64_t size = 0;
};

class ItemStore {
 public:
  ItemStore(SqliteDatabase& db, const TableSchema& schema, int64_t now);

  // SQL tables for a new table, for one new index (filled from the table's items), and dropping.
  static void CreateTables(SqliteDatabase& db, const TableSchema& schema);
  static void DropTables(SqliteDatabase& db, const TableSchema& schema);
  void AddIndex(const SecondaryIndex& index);
  void DropIndex(const SecondaryIndex& index);

  std::optional<Json::Value> Get(const ItemKey& key);
  // Inserts or replaces the item at `key` and its index rows. `size` is its ItemSizeBytes.
  void Put(const ItemKey& key, const Json::Value& item, int64_t size);
  void Delete(const ItemKey& key);

  // Visits rows with index hash `hash` within `bounds`, in range order (descending when
  // !forward), strictly after `after` in that order. `index` null means the table itself.
  // Stops when `visit` returns false.
  void Query(const SecondaryIndex* index, const std::string& hash, const RangeBounds& bounds,
             bool forward, const std::optional<StorePosition>& after,
             const std::function<bool(const StoredRow&)>& visit);
  // Visits every row of the table or index in key order, strictly after `after`.
  void Scan(const SecondaryIndex* index, const std::optional<StorePosition>& after,
            const std::function<bool(const StoredRow&)>& visit);

  TableStatistics Statistics(const SecondaryIndex* index);

  // Recomputes every row's `expires` after the TTL attribute changed (schema().ttl_attribute).
  void RecomputeExpiry();
  // Deletes the rows whose TTL is before now; returns how many.
  int64_t DeleteExpired();

  const TableSchema& schema() const { return schema_; }

 private:
  std::string IndexTable(const SecondaryIndex& index) const;
  std::optional<int64_t> ExpiryOf(const Json::Value& item) const;
  std::optional<Json::Value> LoadAny(const ItemKey& key);  // expired rows too
  void RemoveIndexRows(const ItemKey& key, const Json::Value& item);
  void AddIndexRows(const ItemKey& key, const Json::Value& item);
  void InsertIndexRow(const SecondaryIndex& index, const ItemKey& index_key, const ItemKey& key);
  void Visit(const std::string& sql, const std::function<void(Statement&)>& bind,
             const std::function<bool(const StoredRow&)>& visit);

  SqliteDatabase& db_;
  const TableSchema& schema_;
  int64_t now_;
  std::string items_;  // quoted SQL name of the items table
};

// The JSON text of an item as stored, and back.
std::string ItemText(const Json::Value& item);
Json::Value ParseStoredItem(const std::string& text);

}  // namespace wsgw::dynamodb
