#include "dynamodb/table_catalog.h"

#include "dynamodb/api_error.h"
#include "dynamodb/item_store.h"

namespace wsgw::dynamodb {

TableCatalog::TableCatalog(SqliteDatabase& db) : db_(db) {
  db_.Execute(
      "CREATE TABLE IF NOT EXISTS catalog (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT "
      "NULL UNIQUE, schema TEXT NOT NULL)");
  db_.Execute("CREATE TABLE IF NOT EXISTS catalog_version (version INTEGER NOT NULL)");
  db_.Execute(
      "INSERT INTO catalog_version (version) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM "
      "catalog_version)");
  Refresh();
}

int64_t TableCatalog::StoredVersion() {
  Statement version = db_.Prepare("SELECT version FROM catalog_version");
  return version.Step() ? version.Integer(0) : 0;
}

void TableCatalog::BumpVersion() {
  db_.Prepare("UPDATE catalog_version SET version = version + 1").Run();
  version_ = StoredVersion();
}

void TableCatalog::Refresh() {
  if (StoredVersion() != version_) Reload();
}

void TableCatalog::Reload() {
  version_ = StoredVersion();
  tables_.clear();
  Statement rows = db_.Prepare("SELECT id, schema FROM catalog");
  while (rows.Step()) {
    TableSchema schema = FromStored(ParseStoredItem(rows.Text(1)));
    schema.id = rows.Integer(0);
    tables_[schema.name] = std::move(schema);
  }
}

const TableSchema* TableCatalog::Find(const std::string& name) const {
  auto found = tables_.find(name);
  return found == tables_.end() ? nullptr : &found->second;
}

const TableSchema& TableCatalog::Require(const std::string& name) const {
  const TableSchema* schema = Find(name);
  if (!schema) throw ResourceNotFoundError();
  return *schema;
}

std::vector<std::string> TableCatalog::Names() const {
  std::vector<std::string> names;
  for (const auto& entry : tables_) names.push_back(entry.first);
  return names;
}

const TableSchema& TableCatalog::Add(TableSchema schema) {
  Statement insert = db_.Prepare("INSERT INTO catalog (name, schema) VALUES (?1, ?2)");
  insert.Bind(1, schema.name).Bind(2, ItemText(ToStored(schema)));
  insert.Run();
  schema.id = sqlite3_last_insert_rowid(db_.handle());
  ItemStore::CreateTables(db_, schema);
  BumpVersion();
  return tables_[schema.name] = std::move(schema);
}

const TableSchema& TableCatalog::Replace(const TableSchema& schema) {
  Statement update = db_.Prepare("UPDATE catalog SET schema = ?2 WHERE id = ?1");
  update.Bind(1, schema.id).Bind(2, ItemText(ToStored(schema)));
  update.Run();
  BumpVersion();
  return tables_[schema.name] = schema;
}

void TableCatalog::Remove(const std::string& name) {
  const TableSchema& schema = Require(name);
  ItemStore::DropTables(db_, schema);
  Statement remove = db_.Prepare("DELETE FROM catalog WHERE id = ?1");
  remove.Bind(1, schema.id);
  remove.Run();
  BumpVersion();
  tables_.erase(name);
}

}  // namespace wsgw::dynamodb
