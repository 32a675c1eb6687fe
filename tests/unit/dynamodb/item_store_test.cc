#include "dynamodb/item_store.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dynamodb/attribute_value.h"
#include "dynamodb/sqlite_database.h"
#include "service_fixture.h"

namespace wsgw::dynamodb {
namespace {

// A table (pk S, sk N) with a GSI on email, stored in an in-memory database.
class ItemStoreTest : public ::testing::Test {
 protected:
  ItemStoreTest() : db_(":memory:") {
    schema_.id = 7;
    schema_.name = "events";
    schema_.keys.hash = {"pk", "S"};
    schema_.keys.range = KeyAttribute{"sk", "N"};
    schema_.ttl_attribute = "ttl";
    SecondaryIndex index;
    index.name = "byEmail";
    index.keys.hash = {"email", "S"};
    schema_.indexes.push_back(index);
    ItemStore::CreateTables(db_, schema_);
  }

  ItemStore Store(int64_t now = 1000) { return ItemStore(db_, schema_, now); }

  void Put(const std::string& pk, int sk, const std::string& extra = "") {
    Json::Value item =
        ParseJsonText(R"j({"pk":{"S":")j" + pk + R"j("},"sk":{"N":")j" + std::to_string(sk) +
                      "\"}" + (extra.empty() ? "" : "," + extra) + "}");
    Store().Put(KeyOfItem(schema_.keys, item), item, ItemSizeBytes(item));
  }

  std::vector<int> QueryRange(const std::string& pk, const RangeBounds& bounds, bool forward) {
    std::vector<int> found;
    Store().Query(nullptr, pk, bounds, forward, std::nullopt, [&](const StoredRow& row) {
      found.push_back(std::stoi(row.item["sk"]["N"].asString()));
      return true;
    });
    return found;
  }

  std::vector<std::string> ByEmail(const std::string& email) {
    std::vector<std::string> found;
    Store().Query(&schema_.indexes[0], email, {}, true, std::nullopt, [&](const StoredRow& row) {
      found.push_back(row.item["pk"]["S"].asString());
      return true;
    });
    return found;
  }

  SqliteDatabase db_;
  TableSchema schema_;
};

std::string NumberKey(const std::string& number) {
  Json::Value value;
  value["N"] = number;
  return EncodeKeyValue(value, "N");
}

TEST_F(ItemStoreTest, QueryScansOnePartitionWithinBoundsInEitherDirection) {
  for (int sk : {5, -2, 9, 0, 3}) Put("a", sk);
  Put("b", 4);
  EXPECT_EQ(QueryRange("a", {}, true), (std::vector<int>{-2, 0, 3, 5, 9}));
  EXPECT_EQ(QueryRange("a", {}, false), (std::vector<int>{9, 5, 3, 0, -2}));
  RangeBounds bounds;
  bounds.lower = NumberKey("0");
  bounds.lower_inclusive = false;
  bounds.upper = NumberKey("5");
  EXPECT_EQ(QueryRange("a", bounds, true), (std::vector<int>{3, 5}));
}

TEST_F(ItemStoreTest, QueryResumesStrictlyAfterAPosition) {
  for (int sk = 1; sk <= 4; ++sk) Put("a", sk);
  StorePosition after;
  after.table_key = {"a", NumberKey("2")};
  after.index_key = after.table_key;
  std::vector<int> found;
  Store().Query(nullptr, "a", {}, true, after, [&](const StoredRow& row) {
    found.push_back(std::stoi(row.item["sk"]["N"].asString()));
    return true;
  });
  EXPECT_EQ(found, (std::vector<int>{3, 4}));
}

TEST_F(ItemStoreTest, IndexRowsFollowPutsAndDeletes) {
  Put("a", 1, R"j("email":{"S":"x"})j");
  Put("b", 1, R"j("email":{"S":"x"})j");
  EXPECT_EQ(ByEmail("x"), (std::vector<std::string>{"a", "b"}));
  Put("a", 1, R"j("email":{"S":"y"})j");
  EXPECT_EQ(ByEmail("x"), (std::vector<std::string>{"b"}));
  EXPECT_EQ(ByEmail("y"), (std::vector<std::string>{"a"}));
  Store().Delete({"b", NumberKey("1")});
  EXPECT_TRUE(ByEmail("x").empty());
  EXPECT_EQ(Store().Statistics(&schema_.indexes[0]).item_count, 1);
}

TEST_F(ItemStoreTest, ExpiredRowsAreInvisibleUntilDeleted) {
  Put("a", 1, R"j("ttl":{"N":"999.5"})j");
  Put("a", 2, R"j("ttl":{"N":"1000"})j");
  Put("a", 3, R"j("ttl":{"S":"1"})j");
  EXPECT_FALSE(Store(1000).Get({"a", NumberKey("1")}));
  EXPECT_TRUE(Store(1000).Get({"a", NumberKey("2")}));
  EXPECT_TRUE(Store(999).Get({"a", NumberKey("1")}));
  EXPECT_EQ(Store(1000).DeleteExpired(), 1);
  EXPECT_EQ(Store(5000).DeleteExpired(), 1);  // a string TTL never expires
  EXPECT_EQ(Store().Statistics(nullptr).item_count, 1);
}

TEST_F(ItemStoreTest, TransactionRollbackUndoesItemAndIndexRows) {
  {
    Transaction transaction(db_);
    Put("a", 1, R"j("email":{"S":"x"})j");
  }
  EXPECT_FALSE(Store().Get({"a", NumberKey("1")}));
  EXPECT_TRUE(ByEmail("x").empty());
}

}  // namespace
}  // namespace wsgw::dynamodb
