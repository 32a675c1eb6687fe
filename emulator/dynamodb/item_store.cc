#include "dynamodb/item_store.h"

#include <cmath>
#include <cstdlib>
#include <memory>
#include <vector>

#include "dynamodb/api_error.h"
#include "dynamodb/attribute_value.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kVisible[] = "(t.expires IS NULL OR t.expires >= ?20)";

std::string ItemsTableName(const TableSchema& schema) {
  return QuoteIdentifier("items:" + std::to_string(schema.id));
}

std::string IndexTableName(const TableSchema& schema, const std::string& index_name) {
  return QuoteIdentifier("index:" + std::to_string(schema.id) + ":" + index_name);
}

// How a read names its columns: an index's rows joined to the items they point at, or the items
// table alone, whose index key is its own key.
struct RowSource {
  std::string select;  // ihash, irange, thash, trange, item, size
  std::string from;
  std::string hash;            // the index hash column
  std::string range;           // the index range column
  std::string range_position;  // the position within a partition, compared with ?4[, ?5, ?6]
  std::string range_parameters;
  std::string scan_after;  // the full position compared with (?1, ?2, ?3, ?4)
  std::string order;       // ascending order of positions
  std::string order_desc;
};

RowSource TableRows(const std::string& items) {
  return {"SELECT t.hash, t.range, t.hash, t.range, t.item, t.size",
          "FROM " + items + " t",
          "t.hash",
          "t.range",
          "t.range",
          "?4",
          "(t.hash, t.range) > (?1, ?2)",
          "t.range",
          "t.range DESC"};
}

RowSource IndexRows(const std::string& items, const std::string& index_table) {
  return {
      "SELECT x.ihash, x.irange, x.thash, x.trange, t.item, t.size",
      "FROM " + index_table + " x JOIN " + items + " t ON t.hash = x.thash AND t.range = x.trange",
      "x.ihash",
      "x.irange",
      "(x.irange, x.thash, x.trange)",
      "(?4, ?5, ?6)",
      "(x.ihash, x.irange, x.thash, x.trange) > (?1, ?2, ?3, ?4)",
      "x.irange, x.thash, x.trange",
      "x.irange DESC, x.thash DESC, x.trange DESC"};
}

const Json::StreamWriterBuilder& Writer() {
  static const Json::StreamWriterBuilder* writer = [] {
    auto* builder = new Json::StreamWriterBuilder();
    (*builder)["indentation"] = "";
    (*builder)["emitUTF8"] = true;
    return builder;
  }();
  return *writer;
}

}  // namespace

std::string ItemText(const Json::Value& item) { return Json::writeString(Writer(), item); }

Json::Value ParseStoredItem(const std::string& text) {
  thread_local const std::unique_ptr<Json::CharReader> reader(
      Json::CharReaderBuilder().newCharReader());
  Json::Value item;
  std::string errors;
  if (!reader->parse(text.data(), text.data() + text.size(), &item, &errors)) {
    throw InternalServerError("stored item is not JSON: " + errors);
  }
  return item;
}

ItemStore::ItemStore(SqliteDatabase& db, const TableSchema& schema, int64_t now)
    : db_(db), schema_(schema), now_(now), items_(ItemsTableName(schema)) {}

void ItemStore::CreateTables(SqliteDatabase& db, const TableSchema& schema) {
  std::string items = ItemsTableName(schema);
  db.Execute("CREATE TABLE " + items +
             " (hash BLOB NOT NULL, range BLOB NOT NULL, item TEXT NOT NULL, size INTEGER NOT "
             "NULL, expires INTEGER, PRIMARY KEY (hash, range)) WITHOUT ROWID");
  db.Execute("CREATE INDEX " + QuoteIdentifier("expiry:" + std::to_string(schema.id)) + " ON " +
             items + " (expires) WHERE expires IS NOT NULL");
  ItemStore store(db, schema, 0);
  for (const SecondaryIndex& index : schema.indexes) store.AddIndex(index);
}

void ItemStore::DropTables(SqliteDatabase& db, const TableSchema& schema) {
  for (const SecondaryIndex& index : schema.indexes) {
    std::string table = IndexTableName(schema, index.name);
    db.ForgetStatements(table);
    db.Execute("DROP TABLE IF EXISTS " + table);
  }
  std::string items = ItemsTableName(schema);
  db.ForgetStatements(items);
  db.Execute("DROP TABLE IF EXISTS " + items);
}

std::string ItemStore::IndexTable(const SecondaryIndex& index) const {
  return IndexTableName(schema_, index.name);
}

void ItemStore::AddIndex(const SecondaryIndex& index) {
  db_.Execute("CREATE TABLE " + IndexTable(index) +
              " (ihash BLOB NOT NULL, irange BLOB NOT NULL, thash BLOB NOT NULL, trange BLOB NOT "
              "NULL, PRIMARY KEY (ihash, irange, thash, trange)) WITHOUT ROWID");
  Statement rows = db_.Prepare("SELECT hash, range, item FROM " + items_);
  while (rows.Step()) {
    ItemKey key{rows.Text(0), rows.Text(1)};
    std::optional<ItemKey> index_key;
    try {
      index_key = IndexKeyOfItem(index, ParseStoredItem(rows.Text(2)));
    } catch (const ApiError&) {
      // DynamoDB leaves an item whose index key has the wrong type out of a backfilled index.
    }
    if (index_key) InsertIndexRow(index, *index_key, key);
  }
}

void ItemStore::DropIndex(const SecondaryIndex& index) {
  std::string table = IndexTable(index);
  db_.ForgetStatements(table);
  db_.Execute("DROP TABLE IF EXISTS " + table);
}

std::optional<int64_t> ItemStore::ExpiryOf(const Json::Value& item) const {
  if (!schema_.ttl_attribute) return std::nullopt;
  const Json::Value& value = item[*schema_.ttl_attribute];
  if (!value.isObject() || !value.isMember("N") || !value["N"].isString()) return std::nullopt;
  std::string text = value["N"].asString();
  char* end = nullptr;
  double seconds = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(seconds)) return std::nullopt;
  if (seconds > 9e18) return std::nullopt;
  if (seconds < -9e18) return static_cast<int64_t>(-9e18);
  return static_cast<int64_t>(std::floor(seconds));
}

std::optional<Json::Value> ItemStore::LoadAny(const ItemKey& key) {
  Statement get = db_.Prepare("SELECT item FROM " + items_ + " WHERE hash = ?1 AND range = ?2");
  get.BindBlob(1, key.hash).BindBlob(2, key.range);
  if (!get.Step()) return std::nullopt;
  return ParseStoredItem(get.Text(0));
}

std::optional<Json::Value> ItemStore::Get(const ItemKey& key) {
  Statement get = db_.Prepare("SELECT item FROM " + items_ +
                              " WHERE hash = ?1 AND range = ?2 AND (expires IS NULL OR expires "
                              ">= ?3)");
  get.BindBlob(1, key.hash).BindBlob(2, key.range).Bind(3, now_);
  if (!get.Step()) return std::nullopt;
  return ParseStoredItem(get.Text(0));
}

void ItemStore::InsertIndexRow(const SecondaryIndex& index, const ItemKey& index_key,
                               const ItemKey& key) {
  Statement insert = db_.Prepare("INSERT OR REPLACE INTO " + IndexTable(index) +
                                 " (ihash, irange, thash, trange) VALUES (?1, ?2, ?3, ?4)");
  insert.BindBlob(1, index_key.hash)
      .BindBlob(2, index_key.range)
      .BindBlob(3, key.hash)
      .BindBlob(4, key.range);
  insert.Run();
}

void ItemStore::RemoveIndexRows(const ItemKey& key, const Json::Value& item) {
  for (const SecondaryIndex& index : schema_.indexes) {
    std::optional<ItemKey> index_key;
    try {
      index_key = IndexKeyOfItem(index, item);
    } catch (const ApiError&) {
      continue;  // never indexed (left out of a backfill)
    }
    if (!index_key) continue;
    Statement remove = db_.Prepare("DELETE FROM " + IndexTable(index) +
                                   " WHERE ihash = ?1 AND irange = ?2 AND thash = ?3 AND "
                                   "trange = ?4");
    remove.BindBlob(1, index_key->hash)
        .BindBlob(2, index_key->range)
        .BindBlob(3, key.hash)
        .BindBlob(4, key.range);
    remove.Run();
  }
}

void ItemStore::AddIndexRows(const ItemKey& key, const Json::Value& item) {
  for (const SecondaryIndex& index : schema_.indexes) {
    std::optional<ItemKey> index_key = IndexKeyOfItem(index, item);
    if (index_key) InsertIndexRow(index, *index_key, key);
  }
}

void ItemStore::Put(const ItemKey& key, const Json::Value& item, int64_t size) {
  if (!schema_.indexes.empty()) {
    if (std::optional<Json::Value> old = LoadAny(key)) RemoveIndexRows(key, *old);
    AddIndexRows(key, item);
  }
  Statement put = db_.Prepare("INSERT OR REPLACE INTO " + items_ +
                              " (hash, range, item, size, expires) VALUES (?1, ?2, ?3, ?4, ?5)");
  put.BindBlob(1, key.hash).BindBlob(2, key.range).Bind(3, ItemText(item)).Bind(4, size);
  if (std::optional<int64_t> expires = ExpiryOf(item)) {
    put.Bind(5, *expires);
  } else {
    put.BindNull(5);
  }
  put.Run();
}

void ItemStore::Delete(const ItemKey& key) {
  if (!schema_.indexes.empty()) {
    if (std::optional<Json::Value> old = LoadAny(key)) RemoveIndexRows(key, *old);
  }
  Statement remove = db_.Prepare("DELETE FROM " + items_ + " WHERE hash = ?1 AND range = ?2");
  remove.BindBlob(1, key.hash).BindBlob(2, key.range);
  remove.Run();
}

void ItemStore::Visit(const std::string& sql, const std::function<void(Statement&)>& bind,
                      const std::function<bool(const StoredRow&)>& visit) {
  Statement rows = db_.Prepare(sql);
  bind(rows);
  rows.Bind(20, now_);
  while (rows.Step()) {
    StoredRow row;
    row.position.index_key = {rows.Text(0), rows.Text(1)};
    row.position.table_key = {rows.Text(2), rows.Text(3)};
    row.item = ParseStoredItem(rows.Text(4));
    row.size = rows.Integer(5);
    if (!visit(row)) return;
  }
}

void ItemStore::Query(const SecondaryIndex* index, const std::string& hash,
                      const RangeBounds& bounds, bool forward,
                      const std::optional<StorePosition>& after,
                      const std::function<bool(const StoredRow&)>& visit) {
  RowSource source = index ? IndexRows(items_, IndexTable(*index)) : TableRows(items_);
  std::string sql = source.select + " " + source.from + " WHERE " + source.hash + " = ?1";
  if (bounds.lower) sql += " AND " + source.range + (bounds.lower_inclusive ? " >= ?2" : " > ?2");
  if (bounds.upper) sql += " AND " + source.range + (bounds.upper_inclusive ? " <= ?3" : " < ?3");
  if (after) {
    sql += " AND " + source.range_position + (forward ? " > " : " < ") + source.range_parameters;
  }
  sql +=
      std::string(" AND ") + kVisible + " ORDER BY " + (forward ? source.order : source.order_desc);
  Visit(
      sql,
      [&](Statement& rows) {
        rows.BindBlob(1, hash);
        if (bounds.lower) rows.BindBlob(2, *bounds.lower);
        if (bounds.upper) rows.BindBlob(3, *bounds.upper);
        if (after) {
          rows.BindBlob(4, after->index_key.range);
          if (index) rows.BindBlob(5, after->table_key.hash).BindBlob(6, after->table_key.range);
        }
      },
      visit);
}

void ItemStore::Scan(const SecondaryIndex* index, const std::optional<StorePosition>& after,
                     const std::function<bool(const StoredRow&)>& visit) {
  RowSource source = index ? IndexRows(items_, IndexTable(*index)) : TableRows(items_);
  std::string sql = source.select + " " + source.from + " WHERE " + kVisible;
  if (after) sql += " AND " + source.scan_after;
  sql += " ORDER BY " + source.hash + ", " + source.order;
  Visit(
      sql,
      [&](Statement& rows) {
        if (after) {
          rows.BindBlob(1, after->index_key.hash).BindBlob(2, after->index_key.range);
          if (index) rows.BindBlob(3, after->table_key.hash).BindBlob(4, after->table_key.range);
        }
      },
      visit);
}

TableStatistics ItemStore::Statistics(const SecondaryIndex* index) {
  std::string sql = "SELECT count(*), coalesce(sum(size), 0) FROM " + items_;
  if (index) {
    sql = "SELECT count(*), coalesce(sum(t.size), 0) FROM " + IndexTable(*index) + " x JOIN " +
          items_ + " t ON t.hash = x.thash AND t.range = x.trange";
  }
  Statement count = db_.Prepare(sql);
  count.Step();
  return {count.Integer(0), count.Integer(1)};
}

void ItemStore::RecomputeExpiry() {
  std::vector<std::pair<ItemKey, std::optional<int64_t>>> updates;
  {
    Statement rows = db_.Prepare("SELECT hash, range, item FROM " + items_);
    while (rows.Step()) {
      updates.push_back({{rows.Text(0), rows.Text(1)}, ExpiryOf(ParseStoredItem(rows.Text(2)))});
    }
  }
  for (const auto& [key, expires] : updates) {
    Statement update =
        db_.Prepare("UPDATE " + items_ + " SET expires = ?3 WHERE hash = ?1 AND range = ?2");
    update.BindBlob(1, key.hash).BindBlob(2, key.range);
    if (expires) {
      update.Bind(3, *expires);
    } else {
      update.BindNull(3);
    }
    update.Run();
  }
}

int64_t ItemStore::DeleteExpired() {
  std::vector<ItemKey> expired;
  {
    Statement rows = db_.Prepare("SELECT hash, range FROM " + items_ +
                                 " WHERE expires IS NOT NULL AND expires < ?1");
    rows.Bind(1, now_);
    while (rows.Step()) expired.push_back({rows.Text(0), rows.Text(1)});
  }
  for (const ItemKey& key : expired) Delete(key);
  return static_cast<int64_t>(expired.size());
}

}  // namespace wsgw::dynamodb
