#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "wsgw/lambda.h"

namespace wsgw::lambda {
namespace {

namespace fs = std::filesystem;

// A fresh directory for one test's database, removed afterwards.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "wsgw-table-XXXXXX").string();
    if (!mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

Json::Value Item(const std::string& json) {
  std::optional<Json::Value> item = ParseJson(json);
  EXPECT_TRUE(item) << json;
  return item.value_or(Json::Value());
}

std::vector<std::string> Keys(const std::vector<Json::Value>& items, const char* key = "id") {
  std::vector<std::string> keys;
  for (const Json::Value& item : items) keys.push_back(item[key].asString());
  return keys;
}

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

TableOptions ConnectionOptions() {
  return {
      .partition_key = "connectionId", .secondary_keys = {"room"}, .ttl_attribute = "expiresAt"};
}

// Counts rows straight from SQLite, bypassing Table's expiry filter.
int RawRowCount(const std::string& path, const std::string& table) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* statement = nullptr;
  std::string sql = "SELECT count(*) FROM \"" + table + "\"";
  if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &statement, nullptr) != SQLITE_OK) return -1;
  int count = sqlite3_step(statement) == SQLITE_ROW ? sqlite3_column_int(statement, 0) : -1;
  sqlite3_finalize(statement);
  return count;
}

std::string RawJournalMode(const std::string& path) {
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* statement = nullptr;
  sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &statement, nullptr);
  std::string mode;
  if (sqlite3_step(statement) == SQLITE_ROW) {
    mode = reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
  }
  sqlite3_finalize(statement);
  return mode;
}

TEST(TableTest, PutThenGetReturnsTheItem) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  table.Put(Item(R"({"id":"a","n":1,"nested":{"x":[1,2]},"text":"héllo"})"));
  std::optional<Json::Value> item = table.Get("a");
  ASSERT_TRUE(item);
  EXPECT_EQ(*item, Item(R"({"id":"a","n":1,"nested":{"x":[1,2]},"text":"héllo"})"));
  EXPECT_FALSE(table.Get("b"));
}

TEST(TableTest, PutReplacesTheWholeItem) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  table.Put(Item(R"({"id":"a","old":true})"));
  table.Put(Item(R"({"id":"a","new":true})"));
  EXPECT_EQ(*table.Get("a"), Item(R"({"id":"a","new":true})"));
  EXPECT_EQ(table.Scan().size(), 1u);
}

TEST(TableTest, PutRefusesItemsWithoutAStringPartitionKey) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  EXPECT_THROW(table.Put(Item(R"({"other":"a"})")), StoreError);
  EXPECT_THROW(table.Put(Item(R"({"id":7})")), StoreError);
  EXPECT_THROW(table.Put(Item(R"({"id":""})")), StoreError);
  EXPECT_THROW(table.Put(Item(R"(["id"])")), StoreError);
}

TEST(TableTest, DeleteRemovesTheItemAndSaysWhetherItExisted) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  table.Put(Item(R"({"id":"a"})"));
  EXPECT_TRUE(table.Delete("a"));
  EXPECT_FALSE(table.Get("a"));
  EXPECT_FALSE(table.Delete("a"));
}

TEST(TableTest, QueryFindsEveryItemWhoseSecondaryKeyMatches) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "connections", ConnectionOptions());
  table.Put(Item(R"({"connectionId":"c3","room":"lobby"})"));
  table.Put(Item(R"({"connectionId":"c1","room":"lobby","name":"alice"})"));
  table.Put(Item(R"({"connectionId":"c2","room":"kitchen"})"));
  table.Put(Item(R"({"connectionId":"c4"})"));
  EXPECT_EQ(Keys(table.Query("room", "lobby"), "connectionId"),
            (std::vector<std::string>{"c1", "c3"}));
  EXPECT_EQ(Keys(table.Query("room", "kitchen"), "connectionId"), (std::vector<std::string>{"c2"}));
  EXPECT_TRUE(table.Query("room", "attic").empty());
  EXPECT_EQ(table.Query("room", "lobby")[0]["name"].asString(), "alice");
}

TEST(TableTest, QueryMatchesStringsToStringsAndNumbersToNumbers) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "scores",
              {.partition_key = "id", .secondary_keys = {"level"}});
  table.Put(Item(R"({"id":"a","level":1})"));
  table.Put(Item(R"({"id":"b","level":"1"})"));
  table.Put(Item(R"({"id":"c","level":1.0})"));
  EXPECT_EQ(Keys(table.Query("level", 1)), (std::vector<std::string>{"a", "c"}));
  EXPECT_EQ(Keys(table.Query("level", "1")), (std::vector<std::string>{"b"}));
}

TEST(TableTest, QueryRefusesAnUndeclaredSecondaryKey) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "connections", ConnectionOptions());
  EXPECT_THROW(table.Query("name", "alice"), StoreError);
  EXPECT_THROW(table.Query("room", Json::Value(Json::arrayValue)), StoreError);
}

TEST(TableTest, SecondaryKeysAreIndexed) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  { Table table(path, "connections", ConnectionOptions()); }
  sqlite3* raw = nullptr;
  sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READONLY, nullptr);
  std::unique_ptr<sqlite3, decltype(&sqlite3_close_v2)> db(raw, &sqlite3_close_v2);
  sqlite3_stmt* statement = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(raw,
                               "SELECT sql FROM sqlite_master WHERE type = 'index' AND "
                               "tbl_name = 'connections' AND sql IS NOT NULL",
                               -1, &statement, nullptr),
            SQLITE_OK);
  std::string indexes;
  while (sqlite3_step(statement) == SQLITE_ROW) {
    indexes += reinterpret_cast<const char*>(sqlite3_column_text(statement, 0));
    indexes += "\n";
  }
  sqlite3_finalize(statement);
  EXPECT_NE(indexes.find("$.\"room\""), std::string::npos) << indexes;
  EXPECT_NE(indexes.find("$.\"expiresAt\""), std::string::npos) << indexes;
}

TEST(TableTest, ScanReturnsEveryItemInKeyOrder) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  for (const char* key : {"b", "c", "a"}) table.Put(Item(std::string(R"({"id":")") + key + "\"}"));
  EXPECT_EQ(Keys(table.Scan()), (std::vector<std::string>{"a", "b", "c"}));
}

TEST(TableTest, ItemsPastTheirTtlAreInvisible) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "connections", ConnectionOptions());
  Json::Value expired = Item(R"({"connectionId":"old","room":"lobby"})");
  expired["expiresAt"] = Json::Int64(Now() - 1);
  Json::Value live = Item(R"({"connectionId":"new","room":"lobby"})");
  live["expiresAt"] = Json::Int64(Now() + 3600);
  table.Put(expired);
  table.Put(live);
  table.Put(Item(R"({"connectionId":"forever","room":"lobby"})"));
  // DynamoDB only expires Number attributes.
  table.Put(Item(R"({"connectionId":"text-ttl","room":"lobby","expiresAt":"1"})"));
  table.Put(Item(R"({"connectionId":"bool-ttl","room":"lobby","expiresAt":true})"));

  EXPECT_FALSE(table.Get("old"));
  EXPECT_TRUE(table.Get("new"));
  EXPECT_EQ(Keys(table.Query("room", "lobby"), "connectionId"),
            (std::vector<std::string>{"bool-ttl", "forever", "new", "text-ttl"}));
  EXPECT_EQ(Keys(table.Scan(), "connectionId"),
            (std::vector<std::string>{"bool-ttl", "forever", "new", "text-ttl"}));
  EXPECT_FALSE(table.Delete("old"));
}

TEST(TableTest, ExpiredItemsAreDeletedLazily) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    Table table(path, "connections", ConnectionOptions());
    Json::Value expired = Item(R"({"connectionId":"old"})");
    expired["expiresAt"] = Json::Int64(Now() + 1);
    table.Put(expired);
    table.Put(Item(R"({"connectionId":"kept"})"));
  }
  EXPECT_EQ(RawRowCount(path, "connections"), 2);
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  Table reopened(path, "connections", ConnectionOptions());
  EXPECT_EQ(RawRowCount(path, "connections"), 1);
  EXPECT_TRUE(reopened.Get("kept"));
}

TEST(TableTest, AddCreatesAMissingItemAndReturnsTheNewValue) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "counters", {.partition_key = "name"});
  EXPECT_EQ(table.Add("visits", "value", 1), 1);
  EXPECT_EQ(table.Add("visits", "value", 41), 42);
  EXPECT_EQ(table.Add("visits", "value", -2), 40);
  EXPECT_EQ(*table.Get("visits"), Item(R"({"name":"visits","value":40})"));
}

TEST(TableTest, AddKeepsTheOtherAttributes) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  table.Put(Item(R"({"id":"a","label":"x"})"));
  EXPECT_EQ(table.Add("a", "count", 5), 5);
  EXPECT_EQ(*table.Get("a"), Item(R"({"id":"a","label":"x","count":5})"));
}

TEST(TableTest, AddToAnExpiredItemStartsAfresh) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "connections", ConnectionOptions());
  Json::Value expired = Item(R"({"connectionId":"c","hits":10})");
  expired["expiresAt"] = Json::Int64(Now() - 5);
  table.Put(expired);
  EXPECT_EQ(table.Add("c", "hits", 1), 1);
  EXPECT_EQ(*table.Get("c"), Item(R"({"connectionId":"c","hits":1})"));
}

TEST(TableTest, AddRefusesAnAttributeThatIsNotAnInteger) {
  TempDir dir;
  Table table(dir.File("db.sqlite"), "things", {});
  table.Put(Item(R"({"id":"a","text":"x","real":1.5})"));
  EXPECT_THROW(table.Add("a", "text", 1), StoreError);
  EXPECT_THROW(table.Add("a", "real", 1), StoreError);
  EXPECT_THROW(table.Add("a", "id", 1), StoreError);
  EXPECT_EQ(*table.Get("a"), Item(R"({"id":"a","text":"x","real":1.5})"));
  // A failed Add leaves no transaction open behind it.
  EXPECT_EQ(table.Add("a", "count", 1), 1);
}

TEST(TableTest, ItemsSurviveReopeningTheDatabase) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  {
    Table table(path, "things", {});
    table.Put(Item(R"({"id":"a","v":1})"));
  }
  Table reopened(path, "things", {});
  EXPECT_EQ(*reopened.Get("a"), Item(R"({"id":"a","v":1})"));
}

TEST(TableTest, TablesInOneFileAreSeparate) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  Table first(path, "first", {});
  Table second(path, "second", {});
  first.Put(Item(R"({"id":"a"})"));
  EXPECT_TRUE(first.Get("a"));
  EXPECT_FALSE(second.Get("a"));
}

TEST(TableTest, UsesWriteAheadLogging) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  Table table(path, "things", {});
  EXPECT_EQ(RawJournalMode(path), "wal");
}

TEST(TableTest, OpeningAnUnusablePathThrowsWithThePath) {
  try {
    Table table("/nonexistent-dir/for/sure/db.sqlite", "things", {});
    FAIL() << "no exception";
  } catch (const StoreError& error) {
    EXPECT_NE(std::string(error.what()).find("/nonexistent-dir/for/sure/db.sqlite"),
              std::string::npos)
        << error.what();
  }
}

TEST(TableTest, ConcurrentAddsFromThreadsAreAtomic) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  Table shared(path, "counters", {.partition_key = "name"});
  Table other(path, "counters", {.partition_key = "name"});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Table& table = t % 2 == 0 ? shared : other;
      for (int i = 0; i < 250; ++i) table.Add("hits", "value", 1);
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ((*shared.Get("hits"))["value"].asInt64(), 1000);
}

TEST(TableTest, ConcurrentAddsFromTwoProcessesAreAtomic) {
  TempDir dir;
  const std::string path = dir.File("db.sqlite");
  // Created up front, and closed: an SQLite connection must not be carried across fork().
  { Table create(path, "counters", {.partition_key = "name"}); }
  std::vector<pid_t> children;
  for (int c = 0; c < 2; ++c) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int status = 0;
      try {
        Table own(path, "counters", {.partition_key = "name"});
        for (int i = 0; i < 1000; ++i) own.Add("hits", "value", 1);
      } catch (...) {
        status = 1;
      }
      _exit(status);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
  }
  Table table(path, "counters", {.partition_key = "name"});
  EXPECT_EQ((*table.Get("hits"))["value"].asInt64(), 2000);
}

}  // namespace
}  // namespace wsgw::lambda
