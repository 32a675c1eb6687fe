// SqliteDatabase: one SQLite connection with a cache of prepared statements, and the RAII pieces
// the store uses on it (a statement in use, an immediate transaction). Not thread-safe: its owner
// serialises calls. Failures throw SqliteError with SQLite's own words.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>

namespace wsgw::dynamodb {

class SqliteError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A cached statement in use: bindings set through it, rows read through it; reset when the scope
// ends so no half-stepped statement holds a read snapshot.
class Statement {
 public:
  explicit Statement(sqlite3_stmt* statement) : statement_(statement) {}
  ~Statement() { sqlite3_reset(statement_); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& Bind(int index, std::string_view text);  // TEXT
  Statement& BindBlob(int index, std::string_view bytes);
  Statement& Bind(int index, int64_t number);
  Statement& BindNull(int index);

  // Advances to the next row; false when there is none. Run() steps a statement without rows.
  bool Step();
  void Run();

  std::string Text(int column) const;  // TEXT or BLOB column as bytes
  int64_t Integer(int column) const;
  bool IsNull(int column) const;

 private:
  sqlite3_stmt* statement_;
};

class SqliteDatabase {
 public:
  // `path` is a file, or ":memory:" for a private in-memory database.
  explicit SqliteDatabase(const std::string& path);

  // A cached statement for `sql` with its bindings cleared.
  Statement Prepare(const std::string& sql);
  // Runs statements without results (DDL); not cached.
  void Execute(const std::string& sql);
  // Drops cached statements that mention `fragment` (e.g. a dropped table's name).
  void ForgetStatements(std::string_view fragment);

  sqlite3* handle() const { return db_.get(); }

 private:
  struct Closer {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
  };
  struct Finalizer {
    void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
  };
  std::unique_ptr<sqlite3, Closer> db_;
  std::unordered_map<std::string, std::unique_ptr<sqlite3_stmt, Finalizer>> statements_;
};

// BEGIN IMMEDIATE on construction (the write lock is taken before anything is read, so a
// read-modify-write cannot interleave with another writer), or a plain BEGIN for a read-only
// transaction (one consistent snapshot that does not wait for or block writers); ROLLBACK on
// destruction unless Commit() ran, so an exception leaves nothing half applied.
class Transaction {
 public:
  enum class Kind { kWrite, kRead };
  explicit Transaction(SqliteDatabase& db, Kind kind = Kind::kWrite);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  SqliteDatabase& db_;
  bool open_ = true;
};

// "name" as an SQL identifier.
std::string QuoteIdentifier(std::string_view name);

}  // namespace wsgw::dynamodb
