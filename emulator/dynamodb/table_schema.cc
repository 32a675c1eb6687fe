#include "dynamodb/table_schema.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <set>

#include "dynamodb/api_error.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

std::string ConstraintError(const std::string& value, const std::string& member,
                            const std::string& constraint) {
  return "1 validation error detected: Value " + value + " at '" + member +
         "' failed to satisfy constraint: " + constraint;
}

bool IsNameCharacter(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

// A table or index name: 3..255 of [a-zA-Z0-9_.-].
void CheckName(const std::string& name, const std::string& member) {
  std::string quoted = "'" + name + "'";
  if (name.size() < 3) {
    throw ValidationError(
        ConstraintError(quoted, member, "Member must have length greater than or equal to 3"));
  }
  if (name.size() > 255) {
    throw ValidationError(
        ConstraintError(quoted, member, "Member must have length less than or equal to 255"));
  }
  if (!std::all_of(name.begin(), name.end(), IsNameCharacter)) {
    throw ValidationError(ConstraintError(
        quoted, member, "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"));
  }
}

const Json::Value& RequireArray(const Json::Value& object, const char* field, const char* member) {
  const Json::Value& value = object[field];
  if (value.isNull()) throw MissingMemberError(member);
  if (!value.isArray()) {
    throw SerializationError("Unexpected value type in payload for " + std::string(field));
  }
  return value;
}

std::string RequireString(const Json::Value& object, const char* field, const std::string& member) {
  const Json::Value& value = object[field];
  if (value.isNull()) throw MissingMemberError(member);
  if (!value.isString()) {
    throw SerializationError("Unexpected value type in payload for " + std::string(field));
  }
  return value.asString();
}

// KeySchema elements: HASH first, then an optional RANGE. Types come from `definitions`.
KeySchema ParseKeySchema(const Json::Value& elements, const std::string& member,
                         const std::vector<KeyAttribute>& definitions) {
  if (elements.empty()) {
    throw ValidationError(
        ConstraintError("'[]'", member, "Member must have length greater than or equal to 1"));
  }
  if (elements.size() > 2) {
    throw ValidationError(
        ConstraintError("'[...]'", member, "Member must have length less than or equal to 2"));
  }
  std::vector<std::string> names;
  std::vector<std::string> kinds;
  for (Json::ArrayIndex i = 0; i < elements.size(); ++i) {
    std::string element = member + "." + std::to_string(i + 1) + ".member";
    if (!elements[i].isObject()) throw SerializationError("Unexpected value type in KeySchema");
    names.push_back(RequireString(elements[i], "AttributeName", element + ".attributeName"));
    kinds.push_back(RequireString(elements[i], "KeyType", element + ".keyType"));
    if (kinds.back() != "HASH" && kinds.back() != "RANGE") {
      throw ValidationError(ConstraintError("'" + kinds.back() + "'", element + ".keyType",
                                            "Member must satisfy enum value set: [HASH, RANGE]"));
    }
  }
  if (kinds[0] != "HASH") {
    throw ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type");
  }
  if (kinds.size() == 2 && kinds[1] != "RANGE") {
    throw ValidationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type");
  }
  if (names.size() == 2 && names[0] == names[1]) {
    throw ValidationError(
        "Both the Hash Key and the Range Key element in the KeySchema have the same name");
  }
  auto type_of = [&](const std::string& name) -> std::optional<std::string> {
    for (const KeyAttribute& definition : definitions) {
      if (definition.name == name) return definition.type;
    }
    return std::nullopt;
  };
  std::vector<std::string> undefined;
  for (const std::string& name : names) {
    if (!type_of(name)) undefined.push_back(name);
  }
  if (!undefined.empty()) {
    std::string keys;
    for (const std::string& name : undefined) keys += (keys.empty() ? "" : ", ") + name;
    std::string defined;
    for (const KeyAttribute& definition : definitions) {
      defined += (defined.empty() ? "" : ", ") + definition.name;
    }
    throw ValidationError(std::string(kInvalid) +
                          "Some index key attributes are not defined in AttributeDefinitions. "
                          "Keys: [" +
                          keys + "], AttributeDefinitions: [" + defined + "]");
  }
  KeySchema keys;
  keys.hash = {names[0], *type_of(names[0])};
  if (names.size() == 2) keys.range = KeyAttribute{names[1], *type_of(names[1])};
  return keys;
}

std::vector<KeyAttribute> ParseAttributeDefinitions(const Json::Value& definitions) {
  std::vector<KeyAttribute> parsed;
  for (Json::ArrayIndex i = 0; i < definitions.size(); ++i) {
    std::string element = "attributeDefinitions." + std::to_string(i + 1) + ".member";
    if (!definitions[i].isObject()) {
      throw SerializationError("Unexpected value type in AttributeDefinitions");
    }
    KeyAttribute definition{
        RequireString(definitions[i], "AttributeName", element + ".attributeName"),
        RequireString(definitions[i], "AttributeType", element + ".attributeType")};
    if (definition.type != "S" && definition.type != "N" && definition.type != "B") {
      throw ValidationError(ConstraintError("'" + definition.type + "'", element + ".attributeType",
                                            "Member must satisfy enum value set: [B, N, S]"));
    }
    for (const KeyAttribute& other : parsed) {
      if (other.name == definition.name) {
        throw ValidationError(
            std::string(kInvalid) +
            "Duplicate AttributeName in AttributeDefinitions: " + definition.name);
      }
    }
    parsed.push_back(definition);
  }
  return parsed;
}

IndexProjection ParseProjection(const Json::Value& projection, const std::string& member) {
  if (projection.isNull()) throw MissingMemberError(member);
  if (!projection.isObject()) throw SerializationError("Unexpected value type in Projection");
  IndexProjection parsed;
  const Json::Value& type = projection["ProjectionType"];
  if (!type.isNull()) parsed.type = type.asString();
  if (parsed.type != "ALL" && parsed.type != "KEYS_ONLY" && parsed.type != "INCLUDE") {
    throw ValidationError(ConstraintError("'" + parsed.type + "'", member + ".projectionType",
                                          "Member must satisfy enum value set: [ALL, INCLUDE, "
                                          "KEYS_ONLY]"));
  }
  const Json::Value& non_key = projection["NonKeyAttributes"];
  if (!non_key.isNull()) {
    if (parsed.type != "INCLUDE") {
      throw ValidationError(std::string(kInvalid) + "ProjectionType is " + parsed.type +
                            ", but NonKeyAttributes is specified");
    }
    for (const Json::Value& name : non_key) parsed.non_key_attributes.push_back(name.asString());
  } else if (parsed.type == "INCLUDE") {
    throw ValidationError(std::string(kInvalid) +
                          "NonKeyAttributes must be specified when ProjectionType is INCLUDE");
  }
  return parsed;
}

// ProvisionedThroughput {ReadCapacityUnits, WriteCapacityUnits}, both >= 1.
void ParseThroughput(const Json::Value& throughput, const std::string& member, int64_t& read,
                     int64_t& write) {
  auto units = [&](const char* field, const char* wire) {
    const Json::Value& value = throughput[field];
    if (value.isNull()) throw MissingMemberError(member + "." + wire);
    if (!value.isIntegral()) throw SerializationError("Unexpected value type in payload");
    if (value.asInt64() < 1) {
      throw ValidationError(ConstraintError("'" + std::to_string(value.asInt64()) + "'",
                                            member + "." + wire,
                                            "Member must have value greater than or equal to 1"));
    }
    return value.asInt64();
  };
  read = units("ReadCapacityUnits", "readCapacityUnits");
  write = units("WriteCapacityUnits", "writeCapacityUnits");
}

SecondaryIndex ParseIndex(const Json::Value& index, bool global, const std::string& member,
                          const TableSchema& table) {
  if (!index.isObject()) throw SerializationError("Unexpected value type in index");
  SecondaryIndex parsed;
  parsed.global = global;
  parsed.name = RequireString(index, "IndexName", member + ".indexName");
  CheckName(parsed.name, member + ".indexName");
  parsed.keys = ParseKeySchema(RequireArray(index, "KeySchema", (member + ".keySchema").c_str()),
                               member + ".keySchema", table.attribute_definitions);
  parsed.projection = ParseProjection(index["Projection"], member + ".projection");
  if (global) {
    const Json::Value& throughput = index["ProvisionedThroughput"];
    if (table.billing_mode == "PROVISIONED") {
      if (throughput.isNull()) {
        throw ValidationError(std::string(kInvalid) +
                              "ProvisionedThroughput must be specified for index: " + parsed.name);
      }
      ParseThroughput(throughput, member + ".provisionedThroughput", parsed.read_capacity,
                      parsed.write_capacity);
    } else if (!throughput.isNull()) {
      throw ValidationError(std::string(kInvalid) +
                            "ProvisionedThroughput should not be specified for index: " +
                            parsed.name + " when BillingMode is PAY_PER_REQUEST");
    }
  } else {
    if (!table.keys.range) {
      throw ValidationError(std::string(kInvalid) +
                            "Table KeySchema does not have a range key, which is required when "
                            "specifying a LocalSecondaryIndex");
    }
    if (parsed.keys.hash.name != table.keys.hash.name) {
      throw ValidationError(std::string(kInvalid) +
                            "Index KeySchema does not have the same leading hash key as table "
                            "KeySchema for index: " +
                            parsed.name + ". index hash key: " + parsed.keys.hash.name +
                            ", table hash key: " + table.keys.hash.name);
    }
    if (!parsed.keys.range) {
      throw ValidationError(std::string(kInvalid) +
                            "Index KeySchema does not have a range key for index: " + parsed.name);
    }
  }
  return parsed;
}

Json::Value KeyAttributeJson(const KeyAttribute& attribute, const char* key_type) {
  Json::Value element;
  element["AttributeName"] = attribute.name;
  element["KeyType"] = key_type;
  return element;
}

KeySchema KeySchemaFromStored(const Json::Value& stored) {
  KeySchema keys;
  keys.hash = {stored["hash"]["name"].asString(), stored["hash"]["type"].asString()};
  if (stored.isMember("range")) {
    keys.range =
        KeyAttribute{stored["range"]["name"].asString(), stored["range"]["type"].asString()};
  }
  return keys;
}

Json::Value KeySchemaToStored(const KeySchema& keys) {
  Json::Value stored;
  stored["hash"]["name"] = keys.hash.name;
  stored["hash"]["type"] = keys.hash.type;
  if (keys.range) {
    stored["range"]["name"] = keys.range->name;
    stored["range"]["type"] = keys.range->type;
  }
  return stored;
}

Json::Value ProjectionJson(const IndexProjection& projection) {
  Json::Value out;
  out["ProjectionType"] = projection.type;
  if (projection.type == "INCLUDE") {
    out["NonKeyAttributes"] = Json::Value(Json::arrayValue);
    for (const std::string& name : projection.non_key_attributes) {
      out["NonKeyAttributes"].append(name);
    }
  }
  return out;
}

Json::Value ThroughputJson(int64_t read, int64_t write) {
  Json::Value out;
  out["NumberOfDecreasesToday"] = 0;
  out["ReadCapacityUnits"] = Json::Int64(read);
  out["WriteCapacityUnits"] = Json::Int64(write);
  return out;
}

// A stable, UUID-shaped id for the table (DescribeTable's TableId).
std::string TableId(const TableSchema& schema) {
  uint64_t a = std::hash<std::string>{}(schema.name);
  uint64_t b = std::hash<std::string>{}(std::to_string(schema.creation_time) + schema.name);
  char text[40];
  std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xffff),
                static_cast<unsigned>(b >> 48),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return text;
}

// Every attribute a key schema of the table or an index uses, to compare with the definitions.
std::set<std::string> KeyAttributeNames(const TableSchema& table) {
  std::set<std::string> names{table.keys.hash.name};
  if (table.keys.range) names.insert(table.keys.range->name);
  for (const SecondaryIndex& index : table.indexes) {
    names.insert(index.keys.hash.name);
    if (index.keys.range) names.insert(index.keys.range->name);
  }
  return names;
}

}  // namespace

const SecondaryIndex* TableSchema::FindIndex(const std::string& index_name) const {
  for (const SecondaryIndex& index : indexes) {
    if (index.name == index_name) return &index;
  }
  return nullptr;
}

std::string RequireTableName(const Json::Value& request, const char* field, const char* member) {
  std::string name = RequireString(request, field, member);
  CheckName(name, member);
  return name;
}

TableSchema ParseCreateTable(const Json::Value& request) {
  TableSchema table;
  table.name = RequireTableName(request);
  table.attribute_definitions = ParseAttributeDefinitions(
      RequireArray(request, "AttributeDefinitions", "attributeDefinitions"));
  table.keys = ParseKeySchema(RequireArray(request, "KeySchema", "keySchema"), "keySchema",
                              table.attribute_definitions);

  const Json::Value& billing = request["BillingMode"];
  if (!billing.isNull()) table.billing_mode = billing.asString();
  if (table.billing_mode != "PROVISIONED" && table.billing_mode != "PAY_PER_REQUEST") {
    throw ValidationError(ConstraintError("'" + table.billing_mode + "'", "billingMode",
                                          "Member must satisfy enum value set: [PROVISIONED, "
                                          "PAY_PER_REQUEST]"));
  }
  const Json::Value& throughput = request["ProvisionedThroughput"];
  if (table.billing_mode == "PROVISIONED") {
    if (throughput.isNull()) {
      throw ValidationError(std::string(kInvalid) +
                            "ReadCapacityUnits and WriteCapacityUnits must both be specified when "
                            "BillingMode is PROVISIONED");
    }
    ParseThroughput(throughput, "provisionedThroughput", table.read_capacity, table.write_capacity);
  } else if (!throughput.isNull()) {
    throw ValidationError(std::string(kInvalid) +
                          "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when "
                          "BillingMode is PAY_PER_REQUEST");
  }

  std::set<std::string> index_names;
  auto add_indexes = [&](const char* field, const char* member, bool global) {
    const Json::Value& indexes = request[field];
    if (indexes.isNull()) return;
    if (!indexes.isArray())
      throw SerializationError("Unexpected value type in " + std::string(field));
    if (indexes.empty()) {
      throw ValidationError(std::string(kInvalid) + "List of " + field + " is empty");
    }
    for (Json::ArrayIndex i = 0; i < indexes.size(); ++i) {
      SecondaryIndex index = ParseIndex(
          indexes[i], global, std::string(member) + "." + std::to_string(i + 1) + ".member", table);
      if (!index_names.insert(index.name).second) {
        throw ValidationError(std::string(kInvalid) + "Duplicate index name: " + index.name);
      }
      table.indexes.push_back(index);
    }
  };
  add_indexes("GlobalSecondaryIndexes", "globalSecondaryIndexes", true);
  add_indexes("LocalSecondaryIndexes", "localSecondaryIndexes", false);

  if (KeyAttributeNames(table).size() != table.attribute_definitions.size()) {
    throw ValidationError(std::string(kInvalid) +
                          "Number of attributes in KeySchema does not exactly match number of "
                          "attributes defined in AttributeDefinitions");
  }
  return table;
}

SecondaryIndex ParseGlobalIndexCreate(const Json::Value& create, const TableSchema& table) {
  SecondaryIndex index =
      ParseIndex(create, true, "globalSecondaryIndexUpdates.1.member.create", table);
  if (table.FindIndex(index.name)) {
    throw ValidationError(std::string(kInvalid) + "Index already exists: " + index.name);
  }
  return index;
}

void MergeAttributeDefinitions(TableSchema& table, const Json::Value& attribute_definitions) {
  if (attribute_definitions.isNull()) return;
  if (!attribute_definitions.isArray()) {
    throw SerializationError("Unexpected value type in AttributeDefinitions");
  }
  for (const KeyAttribute& definition : ParseAttributeDefinitions(attribute_definitions)) {
    auto existing =
        std::find_if(table.attribute_definitions.begin(), table.attribute_definitions.end(),
                     [&](const KeyAttribute& other) { return other.name == definition.name; });
    if (existing == table.attribute_definitions.end()) {
      table.attribute_definitions.push_back(definition);
    } else if (existing->type != definition.type) {
      throw ValidationError(std::string(kInvalid) +
                            "Cannot change the type of an existing attribute: " + definition.name);
    }
  }
}

Json::Value ToStored(const TableSchema& schema) {
  Json::Value stored;
  stored["name"] = schema.name;
  stored["keys"] = KeySchemaToStored(schema.keys);
  stored["attributeDefinitions"] = Json::Value(Json::arrayValue);
  for (const KeyAttribute& definition : schema.attribute_definitions) {
    Json::Value entry;
    entry["name"] = definition.name;
    entry["type"] = definition.type;
    stored["attributeDefinitions"].append(entry);
  }
  stored["indexes"] = Json::Value(Json::arrayValue);
  for (const SecondaryIndex& index : schema.indexes) {
    Json::Value entry;
    entry["name"] = index.name;
    entry["global"] = index.global;
    entry["keys"] = KeySchemaToStored(index.keys);
    entry["projection"] = ProjectionJson(index.projection);
    entry["readCapacity"] = Json::Int64(index.read_capacity);
    entry["writeCapacity"] = Json::Int64(index.write_capacity);
    stored["indexes"].append(entry);
  }
  stored["billingMode"] = schema.billing_mode;
  stored["readCapacity"] = Json::Int64(schema.read_capacity);
  stored["writeCapacity"] = Json::Int64(schema.write_capacity);
  stored["creationTime"] = schema.creation_time;
  if (schema.ttl_attribute) stored["ttlAttribute"] = *schema.ttl_attribute;
  return stored;
}

TableSchema FromStored(const Json::Value& stored) {
  TableSchema schema;
  schema.name = stored["name"].asString();
  schema.keys = KeySchemaFromStored(stored["keys"]);
  for (const Json::Value& entry : stored["attributeDefinitions"]) {
    schema.attribute_definitions.push_back({entry["name"].asString(), entry["type"].asString()});
  }
  for (const Json::Value& entry : stored["indexes"]) {
    SecondaryIndex index;
    index.name = entry["name"].asString();
    index.global = entry["global"].asBool();
    index.keys = KeySchemaFromStored(entry["keys"]);
    index.projection.type = entry["projection"]["ProjectionType"].asString();
    for (const Json::Value& name : entry["projection"]["NonKeyAttributes"]) {
      index.projection.non_key_attributes.push_back(name.asString());
    }
    index.read_capacity = entry["readCapacity"].asInt64();
    index.write_capacity = entry["writeCapacity"].asInt64();
    schema.indexes.push_back(index);
  }
  schema.billing_mode = stored["billingMode"].asString();
  schema.read_capacity = stored["readCapacity"].asInt64();
  schema.write_capacity = stored["writeCapacity"].asInt64();
  schema.creation_time = stored["creationTime"].asDouble();
  if (stored.isMember("ttlAttribute")) schema.ttl_attribute = stored["ttlAttribute"].asString();
  return schema;
}

std::string TableArn(const std::string& region, const std::string& table_name) {
  return "arn:aws:dynamodb:" + region + ":000000000000:table/" + table_name;
}

Json::Value KeySchemaJson(const KeySchema& keys) {
  Json::Value out(Json::arrayValue);
  out.append(KeyAttributeJson(keys.hash, "HASH"));
  if (keys.range) out.append(KeyAttributeJson(*keys.range, "RANGE"));
  return out;
}

Json::Value Describe(const TableSchema& schema, const std::string& region,
                     const std::string& status, const TableStatistics& table_statistics,
                     const std::vector<TableStatistics>& index_statistics) {
  Json::Value table;
  table["TableName"] = schema.name;
  table["TableStatus"] = status;
  table["TableArn"] = TableArn(region, schema.name);
  table["TableId"] = TableId(schema);
  table["CreationDateTime"] = schema.creation_time;
  table["KeySchema"] = KeySchemaJson(schema.keys);
  table["AttributeDefinitions"] = Json::Value(Json::arrayValue);
  for (const KeyAttribute& definition : schema.attribute_definitions) {
    Json::Value entry;
    entry["AttributeName"] = definition.name;
    entry["AttributeType"] = definition.type;
    table["AttributeDefinitions"].append(entry);
  }
  table["ItemCount"] = Json::Int64(table_statistics.item_count);
  table["TableSizeBytes"] = Json::Int64(table_statistics.size_bytes);
  table["ProvisionedThroughput"] = ThroughputJson(schema.read_capacity, schema.write_capacity);
  if (schema.billing_mode == "PAY_PER_REQUEST") {
    table["BillingModeSummary"]["BillingMode"] = "PAY_PER_REQUEST";
    table["BillingModeSummary"]["LastUpdateToPayPerRequestDateTime"] = schema.creation_time;
  }
  table["DeletionProtectionEnabled"] = false;
  for (size_t i = 0; i < schema.indexes.size(); ++i) {
    const SecondaryIndex& index = schema.indexes[i];
    TableStatistics statistics =
        i < index_statistics.size() ? index_statistics[i] : TableStatistics{};
    Json::Value entry;
    entry["IndexName"] = index.name;
    entry["KeySchema"] = KeySchemaJson(index.keys);
    entry["Projection"] = ProjectionJson(index.projection);
    entry["IndexSizeBytes"] = Json::Int64(statistics.size_bytes);
    entry["ItemCount"] = Json::Int64(statistics.item_count);
    entry["IndexArn"] = TableArn(region, schema.name) + "/index/" + index.name;
    if (index.global) {
      // A table being created has its indexes created with it; DescribeTable says ACTIVE at once.
      entry["IndexStatus"] = status == "CREATING" ? "CREATING" : "ACTIVE";
      entry["ProvisionedThroughput"] = ThroughputJson(index.read_capacity, index.write_capacity);
      table["GlobalSecondaryIndexes"].append(entry);
    } else {
      table["LocalSecondaryIndexes"].append(entry);
    }
  }
  return table;
}

}  // namespace wsgw::dynamodb
