// TableCatalog: the tables that exist, kept in the database's "catalog" SQL table (name, schema
// JSON) so that a file-backed store has them after a restart. It creates and drops each table's
// SQL tables with it. Changes are made inside the caller's transaction. Every change also bumps a
// version number in the database; Refresh() rereads the catalog when that number is not the one
// it loaded, which covers both a rolled-back change of its own and a change made by another
// process sharing the file.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "dynamodb/sqlite_database.h"
#include "dynamodb/table_schema.h"

namespace wsgw::dynamodb {

class TableCatalog {
 public:
  explicit TableCatalog(SqliteDatabase& db);

  const TableSchema* Find(const std::string& name) const;
  // The table, or ResourceNotFoundException "Requested resource not found".
  const TableSchema& Require(const std::string& name) const;
  std::vector<std::string> Names() const;  // in DynamoDB's order (byte order)

  // Assigns schema.id, stores it and creates its SQL tables. The name must be free.
  const TableSchema& Add(TableSchema schema);
  // Stores a changed schema of an existing table (same id); SQL tables are the caller's concern.
  const TableSchema& Replace(const TableSchema& schema);
  void Remove(const std::string& name);

  // Rereads the catalog if it changed since it was loaded (one query when it did not).
  void Refresh();

 private:
  void Reload();
  void BumpVersion();
  int64_t StoredVersion();

  SqliteDatabase& db_;
  int64_t version_ = -1;
  std::map<std::string, TableSchema> tables_;
};

}  // namespace wsgw::dynamodb
