#include "dynamodb/table_declaration.h"

#include <set>
#include <utility>

namespace wsgw::dynamodb {
namespace {

Json::Value KeySchemaFor(const DeclaredKey& hash, const std::optional<DeclaredKey>& range) {
  Json::Value keys(Json::arrayValue);
  Json::Value element;
  element["AttributeName"] = hash.name;
  element["KeyType"] = "HASH";
  keys.append(element);
  if (range) {
    element["AttributeName"] = range->name;
    element["KeyType"] = "RANGE";
    keys.append(element);
  }
  return keys;
}

}  // namespace

Json::Value CreateTableRequest(const TableDeclaration& declaration) {
  Json::Value request;
  request["TableName"] = declaration.name;
  request["BillingMode"] = "PAY_PER_REQUEST";
  request["KeySchema"] = KeySchemaFor(declaration.hash_key, declaration.range_key);
  request["AttributeDefinitions"] = Json::Value(Json::arrayValue);
  // One definition per attribute and type: an attribute declared with two types is defined
  // twice, and CreateTable refuses that as it would a client's request.
  std::set<std::pair<std::string, std::string>> defined;
  auto define = [&](const DeclaredKey& key) {
    if (!defined.insert({key.name, key.type}).second) return;
    Json::Value definition;
    definition["AttributeName"] = key.name;
    definition["AttributeType"] = key.type;
    request["AttributeDefinitions"].append(definition);
  };
  define(declaration.hash_key);
  if (declaration.range_key) define(*declaration.range_key);
  for (const DeclaredIndex& index : declaration.indexes) {
    define(index.hash_key);
    if (index.range_key) define(*index.range_key);
    Json::Value entry;
    entry["IndexName"] = index.name;
    entry["KeySchema"] = KeySchemaFor(index.hash_key, index.range_key);
    entry["Projection"]["ProjectionType"] = index.projection;
    for (const std::string& name : index.non_key_attributes) {
      entry["Projection"]["NonKeyAttributes"].append(name);
    }
    request[index.global ? "GlobalSecondaryIndexes" : "LocalSecondaryIndexes"].append(entry);
  }
  return request;
}

}  // namespace wsgw::dynamodb
