// TableSchema: what a DynamoDB table is (its name, keys, secondary indexes, billing, TTL) as the
// store keeps it. ParseCreateTable() validates a CreateTable request with DynamoDB's own
// ValidationException texts; ToStored()/FromStored() round-trip the schema through the catalog;
// Describe() builds DescribeTable's TableDescription.
#pragma once

#include <json/json.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace wsgw::dynamodb {

struct KeyAttribute {
  std::string name;
  std::string type;  // "S", "N" or "B"
};

struct KeySchema {
  KeyAttribute hash;
  std::optional<KeyAttribute> range;

  bool Contains(const std::string& attribute) const {
    return hash.name == attribute || (range && range->name == attribute);
  }
};

struct IndexProjection {
  std::string type = "ALL";                     // "ALL", "KEYS_ONLY" or "INCLUDE"
  std::vector<std::string> non_key_attributes;  // INCLUDE only
};

struct SecondaryIndex {
  std::string name;
  bool global = true;  // false: a local secondary index (same hash key as the table)
  KeySchema keys;
  IndexProjection projection;
  int64_t read_capacity = 0;  // GSIs of PROVISIONED tables
  int64_t write_capacity = 0;
};

struct TableSchema {
  int64_t id = 0;  // assigned by the catalog; names the table's SQL tables
  std::string name;
  KeySchema keys;
  std::vector<KeyAttribute> attribute_definitions;
  std::vector<SecondaryIndex> indexes;
  std::string billing_mode = "PROVISIONED";  // or "PAY_PER_REQUEST"
  int64_t read_capacity = 0;
  int64_t write_capacity = 0;
  double creation_time = 0;                  // epoch seconds
  std::optional<std::string> ttl_attribute;  // set while TimeToLive is ENABLED

  const SecondaryIndex* FindIndex(const std::string& index_name) const;
};

// A CreateTable request as a schema (id and creation_time left for the caller), or ApiError.
TableSchema ParseCreateTable(const Json::Value& request);

// Checks a TableName member: present, a string, 3..255 of [a-zA-Z0-9_.-]. `member` is its wire
// name in messages ("tableName").
std::string RequireTableName(const Json::Value& request, const char* field = "TableName",
                             const char* member = "tableName");

// A GlobalSecondaryIndexUpdates "Create" member for `table` as an index, or ApiError.
SecondaryIndex ParseGlobalIndexCreate(const Json::Value& create, const TableSchema& table);

// Adds `attribute_definitions` (UpdateTable's AttributeDefinitions) to the table's, rejecting a
// redefinition with a different type.
void MergeAttributeDefinitions(TableSchema& table, const Json::Value& attribute_definitions);

Json::Value ToStored(const TableSchema& schema);
TableSchema FromStored(const Json::Value& stored);

struct TableStatistics {
  int64_t item_count = 0;
  int64_t size_bytes = 0;
};

// DescribeTable's "Table" value. `index_statistics` is parallel to schema.indexes.
Json::Value Describe(const TableSchema& schema, const std::string& region,
                     const std::string& status, const TableStatistics& table_statistics,
                     const std::vector<TableStatistics>& index_statistics);

std::string TableArn(const std::string& region, const std::string& table_name);

// The key schema as DynamoDB writes it: [{"AttributeName":..,"KeyType":"HASH"},...].
Json::Value KeySchemaJson(const KeySchema& keys);

}  // namespace wsgw::dynamodb
