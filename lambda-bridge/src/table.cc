// Table: DynamoDB-like items on SQLite. Each table is one SQLite table (key TEXT PRIMARY KEY,
// item TEXT) holding the item's JSON; secondary keys and the TTL attribute are expression indexes
// over json_extract(item, ...), so declaring a new one needs no migration. WAL mode plus a busy
// timeout lets several processes share the file; Add() runs in a BEGIN IMMEDIATE transaction,
// which takes the database's write lock before reading, so read-modify-write is atomic.
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

constexpr int kBusyTimeoutMs = 10000;
constexpr std::chrono::seconds kPurgeInterval{60};

struct DatabaseCloser {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* statement) const { sqlite3_finalize(statement); }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// A cached statement in use: reset when the scope ends, even by an exception, so that no
// half-stepped statement keeps a read transaction (and its snapshot) open.
class ActiveStatement {
 public:
  explicit ActiveStatement(sqlite3_stmt* statement) : statement_(statement) {}
  ~ActiveStatement() { sqlite3_reset(statement_); }
  ActiveStatement(const ActiveStatement&) = delete;
  ActiveStatement& operator=(const ActiveStatement&) = delete;
  operator sqlite3_stmt*() const { return statement_; }

 private:
  sqlite3_stmt* statement_;
};

// "name" as an SQL identifier.
std::string QuoteIdentifier(std::string_view name) {
  std::string out = "\"";
  for (char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  return out + "\"";
}

// 'text' as an SQL string literal.
std::string QuoteLiteral(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

bool HasControlCharacters(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) < 0x20; });
}

// json_extract(item, '$."attribute"'): the exact text an expression index is declared with, so
// that queries written the same way use it. SQLite's JSON paths cannot escape '"' in a label.
std::string AttributeExpression(std::string_view attribute) {
  if (attribute.empty() || attribute.find('"') != std::string_view::npos ||
      HasControlCharacters(attribute)) {
    throw StoreError("attribute name \"" + std::string(attribute) +
                     "\" is not usable as a key or TTL attribute (it must be non-empty, "
                     "without '\"' or control characters)");
  }
  return "json_extract(item, " + QuoteLiteral("$.\"" + std::string(attribute) + "\"") + ")";
}

int64_t NowSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

}  // namespace

struct Table::Impl {
  std::string path;
  std::string name;
  TableOptions options;
  std::string quoted_table;
  std::string visible;  // SQL condition: the item has not expired at :now
  Database db;
  std::mutex mutex;  // one SQLite connection, used by one thread at a time
  std::unordered_map<std::string, Statement> statements;
  std::chrono::steady_clock::time_point last_purge{};

  [[noreturn]] void Fail(const std::string& what, int code) const {
    std::string detail = db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(code);
    throw StoreError("table \"" + name + "\" in " + path + ": " + what + ": " + detail);
  }

  // A cached prepared statement with its bindings cleared.
  ActiveStatement Prepare(const std::string& sql) {
    auto found = statements.find(sql);
    if (found != statements.end()) {
      sqlite3_clear_bindings(found->second.get());
      return ActiveStatement(found->second.get());
    }
    sqlite3_stmt* raw = nullptr;
    int code =
        sqlite3_prepare_v3(db.get(), sql.c_str(), -1, SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    Statement statement(raw);
    if (code != SQLITE_OK) Fail("cannot prepare \"" + sql + "\"", code);
    return ActiveStatement(statements.emplace(sql, std::move(statement)).first->second.get());
  }

  void BindText(sqlite3_stmt* statement, int index, std::string_view text) {
    int code = sqlite3_bind_text64(statement, index, text.data(), text.size(), SQLITE_TRANSIENT,
                                   SQLITE_UTF8);
    if (code != SQLITE_OK) Fail("cannot bind a value", code);
  }

  void BindNow(sqlite3_stmt* statement) {
    int index = sqlite3_bind_parameter_index(statement, ":now");
    if (index > 0) sqlite3_bind_int64(statement, index, NowSeconds());
  }

  // Runs a statement that returns no rows (or ignores them) to completion.
  void Run(sqlite3_stmt* statement, const char* what) {
    int code;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
    }
    if (code != SQLITE_DONE) Fail(what, code);
  }

  std::vector<Json::Value> Items(sqlite3_stmt* statement, const char* what) {
    std::vector<Json::Value> items;
    int code;
    while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
      items.push_back(ParseItem(statement));
    }
    if (code != SQLITE_DONE) Fail(what, code);
    return items;
  }

  Json::Value ParseItem(sqlite3_stmt* statement) {
    const char* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    std::optional<Json::Value> item =
        ParseJson(text ? std::string_view(text, sqlite3_column_bytes(statement, 0)) : "");
    if (!item) throw StoreError("table \"" + name + "\" in " + path + " holds a corrupt item");
    return std::move(*item);
  }

  // Setup statements; retried because changing the journal mode or schema while another
  // process opens the same new file can report "busy" without waiting.
  void ExecSetup(const std::string& sql) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kBusyTimeoutMs);
    for (;;) {
      int code = sqlite3_exec(db.get(), sql.c_str(), nullptr, nullptr, nullptr);
      if (code == SQLITE_OK) return;
      if ((code != SQLITE_BUSY && code != SQLITE_LOCKED) ||
          std::chrono::steady_clock::now() > deadline) {
        Fail("cannot run \"" + sql + "\"", code);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  void PurgeExpiredIfDue() {
    if (options.ttl_attribute.empty()) return;
    auto now = std::chrono::steady_clock::now();
    if (last_purge != std::chrono::steady_clock::time_point{} &&
        now - last_purge < kPurgeInterval) {
      return;
    }
    last_purge = now;
    const std::string ttl = AttributeExpression(options.ttl_attribute);
    ActiveStatement statement =
        Prepare("DELETE FROM " + quoted_table + " WHERE " + ttl + " <= :now AND json_type(item, " +
                QuoteLiteral("$.\"" + options.ttl_attribute + "\"") + ") IN ('integer', 'real')");
    BindNow(statement);
    Run(statement, "cannot delete expired items");
  }

  std::string KeyOf(const Json::Value& item) const {
    if (!item.isObject()) throw StoreError("an item must be a JSON object");
    const Json::Value& key = item[options.partition_key];
    if (!key.isString() || key.asString().empty()) {
      throw StoreError("item has no partition key: \"" + options.partition_key +
                       "\" must be a non-empty string in " + ToJson(item));
    }
    return key.asString();
  }

  void Replace(const std::string& key, const Json::Value& item) {
    ActiveStatement statement =
        Prepare("INSERT OR REPLACE INTO " + quoted_table + " (key, item) VALUES (?1, ?2)");
    BindText(statement, 1, key);
    BindText(statement, 2, ToJson(item));
    Run(statement, "cannot store an item");
  }

  std::optional<Json::Value> Find(std::string_view key) {
    ActiveStatement statement =
        Prepare("SELECT item FROM " + quoted_table + " WHERE key = ?1 AND " + visible);
    BindText(statement, 1, key);
    BindNow(statement);
    std::vector<Json::Value> items = Items(statement, "cannot read an item");
    if (items.empty()) return std::nullopt;
    return std::move(items.front());
  }

  // Rolls back unless committed, so an exception inside never leaves the write lock held.
  class ImmediateTransaction {
   public:
    explicit ImmediateTransaction(Impl& table) : table_(table) {
      table_.Run(table_.Prepare("BEGIN IMMEDIATE"), "cannot start a write transaction");
    }
    ~ImmediateTransaction() {
      if (!committed_) sqlite3_exec(table_.db.get(), "ROLLBACK", nullptr, nullptr, nullptr);
    }
    ImmediateTransaction(const ImmediateTransaction&) = delete;
    ImmediateTransaction& operator=(const ImmediateTransaction&) = delete;

    void Commit() {
      table_.Run(table_.Prepare("COMMIT"), "cannot commit");
      committed_ = true;
    }

   private:
    Impl& table_;
    bool committed_ = false;
  };
};

Table::Table(const std::string& database_path, const std::string& table_name, TableOptions options)
    : impl_(std::make_unique<Impl>()) {
  Impl& impl = *impl_;
  impl.path = database_path;
  impl.name = table_name;
  impl.options = std::move(options);
  if (table_name.empty() || HasControlCharacters(table_name) ||
      table_name.rfind("sqlite_", 0) == 0) {
    throw StoreError("\"" + table_name + "\" cannot name a table");
  }
  if (impl.options.partition_key.empty()) throw StoreError("the partition key needs a name");
  impl.quoted_table = QuoteIdentifier(table_name);
  impl.visible = "1";
  if (!impl.options.ttl_attribute.empty()) {
    const std::string ttl_path = QuoteLiteral("$.\"" + impl.options.ttl_attribute + "\"");
    impl.visible = "(json_type(item, " + ttl_path + ") IS NULL OR json_type(item, " + ttl_path +
                   ") NOT IN ('integer', 'real') OR " +
                   AttributeExpression(impl.options.ttl_attribute) + " > :now)";
  }

  sqlite3* raw = nullptr;
  int code =
      sqlite3_open_v2(database_path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  impl.db.reset(raw);
  if (code != SQLITE_OK) impl.Fail("cannot open the database", code);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  sqlite3_extended_result_codes(raw, 1);
  impl.ExecSetup("PRAGMA journal_mode = WAL");
  impl.ExecSetup("PRAGMA synchronous = NORMAL");
  impl.ExecSetup("CREATE TABLE IF NOT EXISTS " + impl.quoted_table +
                 " (key TEXT PRIMARY KEY NOT NULL, item TEXT NOT NULL)");
  std::vector<std::string> indexed = impl.options.secondary_keys;
  if (!impl.options.ttl_attribute.empty()) indexed.push_back(impl.options.ttl_attribute);
  for (const std::string& attribute : indexed) {
    impl.ExecSetup("CREATE INDEX IF NOT EXISTS " + QuoteIdentifier(table_name + "." + attribute) +
                   " ON " + impl.quoted_table + " (" + AttributeExpression(attribute) + ")");
  }
  impl.PurgeExpiredIfDue();
}

Table::~Table() = default;

void Table::Put(const Json::Value& item) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  impl_->Replace(impl_->KeyOf(item), item);
  impl_->PurgeExpiredIfDue();
}

std::optional<Json::Value> Table::Get(std::string_view key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->Find(key);
}

bool Table::Delete(std::string_view key) {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  ActiveStatement statement = impl_->Prepare("DELETE FROM " + impl_->quoted_table +
                                             " WHERE key = ?1 RETURNING " + impl_->visible);
  impl_->BindText(statement, 1, key);
  impl_->BindNow(statement);
  bool deleted = false;
  int code;
  while ((code = sqlite3_step(statement)) == SQLITE_ROW) {
    deleted = sqlite3_column_int(statement, 0) != 0;
  }
  if (code != SQLITE_DONE) impl_->Fail("cannot delete an item", code);
  return deleted;
}

std::vector<Json::Value> Table::Query(std::string_view secondary_key, const Json::Value& value) {
  const auto& keys = impl_->options.secondary_keys;
  if (std::find(keys.begin(), keys.end(), secondary_key) == keys.end()) {
    throw StoreError("table \"" + impl_->name + "\" has no secondary key \"" +
                     std::string(secondary_key) + "\" (declare it in TableOptions)");
  }
  if (!value.isString() && !value.isNumeric()) {
    throw StoreError("a secondary key value must be a string or a number, not " + ToJson(value));
  }
  std::lock_guard<std::mutex> lock(impl_->mutex);
  ActiveStatement statement = impl_->Prepare("SELECT item FROM " + impl_->quoted_table + " WHERE " +
                                             AttributeExpression(secondary_key) + " = ?1 AND " +
                                             impl_->visible + " ORDER BY key");
  if (value.isString()) {
    impl_->BindText(statement, 1, value.asString());
  } else if (value.isInt64()) {
    sqlite3_bind_int64(statement, 1, value.asInt64());
  } else {
    sqlite3_bind_double(statement, 1, value.asDouble());
  }
  impl_->BindNow(statement);
  return impl_->Items(statement, "cannot query items");
}

std::vector<Json::Value> Table::Scan() {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  ActiveStatement statement = impl_->Prepare("SELECT item FROM " + impl_->quoted_table + " WHERE " +
                                             impl_->visible + " ORDER BY key");
  impl_->BindNow(statement);
  return impl_->Items(statement, "cannot scan items");
}

int64_t Table::Add(std::string_view key, std::string_view attribute, int64_t delta) {
  if (key.empty()) throw StoreError("Add needs a non-empty key");
  const std::string name(attribute);
  if (name == impl_->options.partition_key) throw StoreError("Add cannot change the key");
  std::lock_guard<std::mutex> lock(impl_->mutex);
  Impl::ImmediateTransaction transaction(*impl_);
  Json::Value item(Json::objectValue);
  item[impl_->options.partition_key] = std::string(key);
  int64_t value = 0;
  if (std::optional<Json::Value> found = impl_->Find(key)) {
    item = std::move(*found);
    const Json::Value& current = item[name];
    if (!current.isNull()) {
      if (!current.isInt64()) {
        throw StoreError("cannot add to \"" + name + "\" of item \"" + std::string(key) +
                         "\": it holds " + ToJson(current) + ", not an integer");
      }
      value = current.asInt64();
    }
  }
  if (__builtin_add_overflow(value, delta, &value)) {
    throw StoreError("adding " + std::to_string(delta) + " to \"" + name + "\" of item \"" +
                     std::string(key) + "\" overflows");
  }
  item[name] = Json::Int64(value);
  impl_->Replace(std::string(key), item);
  transaction.Commit();
  impl_->PurgeExpiredIfDue();
  return value;
}

}  // namespace wsgw::lambda
