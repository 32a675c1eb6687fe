#include "dynamodb/table_operations.h"

#include <algorithm>

#include "dynamodb/api_error.h"
#include "dynamodb/request_fields.h"

namespace wsgw::dynamodb {
namespace {

constexpr char kInvalid[] = "One or more parameter values were invalid: ";

Json::Value Description(OperationContext& context, const TableSchema& schema,
                        const std::string& status) {
  ItemStore store = context.Store(schema);
  std::vector<TableStatistics> index_statistics;
  for (const SecondaryIndex& index : schema.indexes) {
    index_statistics.push_back(store.Statistics(&index));
  }
  return Describe(schema, context.region, status, store.Statistics(nullptr), index_statistics);
}

const TableSchema& RequireTable(OperationContext& context, const std::string& name) {
  const TableSchema* schema = context.catalog.Find(name);
  if (!schema)
    throw ResourceNotFoundError("Requested resource not found: Table: " + name + " not found");
  return *schema;
}

// The table operations name a missing TableName in their own words, not the framework's
// "1 validation error detected" form the item operations use.
std::string RequireTableParameter(const Json::Value& request) {
  if (request["TableName"].isNull()) {
    throw ValidationError("The parameter 'TableName' is required but was not present in the request");
  }
  return RequireTableName(request);
}

}  // namespace

Json::Value CreateTable(OperationContext& context, const Json::Value& request) {
  RequireTableParameter(request);
  TableSchema schema = ParseCreateTable(request);
  if (context.catalog.Find(schema.name)) {
    throw ResourceInUseError("Table already exists: " + schema.name);
  }
  schema.creation_time = context.now;
  const TableSchema& created = context.catalog.Add(std::move(schema));
  Json::Value response;
  response["TableDescription"] = Description(context, created, "CREATING");
  return response;
}

Json::Value DescribeTable(OperationContext& context, const Json::Value& request) {
  const TableSchema& schema = RequireTable(context, RequireTableParameter(request));
  Json::Value response;
  response["Table"] = Description(context, schema, "ACTIVE");
  return response;
}

Json::Value ListTables(OperationContext& context, const Json::Value& request) {
  std::optional<std::string> start = OptionalStringField(request, "ExclusiveStartTableName");
  int64_t limit = OptionalIntegerField(request, "Limit", "limit", 1).value_or(100);
  if (limit > 100) {
    throw ValidationError("1 validation error detected: Value '" + std::to_string(limit) +
                          "' at 'limit' failed to satisfy constraint: Member must have value "
                          "less than or equal to 100");
  }
  std::vector<std::string> names = context.catalog.Names();
  auto first = start ? std::upper_bound(names.begin(), names.end(), *start) : names.begin();
  Json::Value response;
  response["TableNames"] = Json::Value(Json::arrayValue);
  for (auto name = first; name != names.end(); ++name) {
    if (static_cast<int64_t>(response["TableNames"].size()) == limit) {
      response["LastEvaluatedTableName"] = *(name - 1);
      break;
    }
    response["TableNames"].append(*name);
  }
  return response;
}

Json::Value DeleteTable(OperationContext& context, const Json::Value& request) {
  const TableSchema& schema = RequireTable(context, RequireTableParameter(request));
  Json::Value response;
  response["TableDescription"] = Description(context, schema, "DELETING");
  // DynamoDB's answer to DeleteTable lists no global secondary indexes.
  response["TableDescription"].removeMember("GlobalSecondaryIndexes");
  context.catalog.Remove(schema.name);
  return response;
}

Json::Value UpdateTable(OperationContext& context, const Json::Value& request) {
  TableSchema schema = RequireTable(context, RequireTableParameter(request));
  MergeAttributeDefinitions(schema, request["AttributeDefinitions"]);

  std::string billing = EnumField(request, "BillingMode", "billingMode",
                                  {"PROVISIONED", "PAY_PER_REQUEST"}, schema.billing_mode.c_str());
  const Json::Value& throughput = OptionalObjectField(request, "ProvisionedThroughput");
  if (billing == "PAY_PER_REQUEST") {
    if (!throughput.isNull()) {
      throw ValidationError(std::string(kInvalid) +
                            "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified "
                            "when BillingMode is PAY_PER_REQUEST");
    }
    schema.read_capacity = schema.write_capacity = 0;
    for (SecondaryIndex& index : schema.indexes) index.read_capacity = index.write_capacity = 0;
  } else if (!throughput.isNull()) {
    schema.read_capacity = OptionalIntegerField(throughput, "ReadCapacityUnits",
                                                "provisionedThroughput.readCapacityUnits", 1)
                               .value_or(schema.read_capacity);
    schema.write_capacity = OptionalIntegerField(throughput, "WriteCapacityUnits",
                                                 "provisionedThroughput.writeCapacityUnits", 1)
                                .value_or(schema.write_capacity);
  } else if (schema.billing_mode == "PAY_PER_REQUEST") {
    throw ValidationError(std::string(kInvalid) +
                          "ProvisionedThroughput must be specified when BillingMode is "
                          "PROVISIONED");
  }
  schema.billing_mode = billing;

  ItemStore store = context.Store(schema);
  const Json::Value& updates = request["GlobalSecondaryIndexUpdates"];
  if (!updates.isNull() && !updates.isArray()) {
    throw SerializationError("Unexpected value type in payload for GlobalSecondaryIndexUpdates");
  }
  for (const Json::Value& update : updates) {
    if (update.isMember("Create")) {
      SecondaryIndex index = ParseGlobalIndexCreate(update["Create"], schema);
      schema.indexes.push_back(index);
      ItemStore(context.db, schema, context.now_seconds()).AddIndex(index);
    } else if (update.isMember("Delete")) {
      std::string name = RequireStringField(
          update["Delete"], "IndexName", "globalSecondaryIndexUpdates.1.member.delete.indexName");
      auto found = std::find_if(schema.indexes.begin(), schema.indexes.end(),
                                [&](const SecondaryIndex& index) { return index.name == name; });
      if (found == schema.indexes.end() || !found->global) {
        throw ResourceNotFoundError("Requested resource not found: Index: " + name + " not found");
      }
      store.DropIndex(*found);
      schema.indexes.erase(found);
    } else if (update.isMember("Update")) {
      std::string name = RequireStringField(
          update["Update"], "IndexName", "globalSecondaryIndexUpdates.1.member.update.indexName");
      if (!schema.FindIndex(name)) {
        throw ResourceNotFoundError("Requested resource not found: Index: " + name + " not found");
      }
    } else {
      throw ValidationError(std::string(kInvalid) +
                            "One of GlobalSecondaryIndexUpdate actions Create, Update or Delete "
                            "must be specified");
    }
  }
  const TableSchema& updated = context.catalog.Replace(schema);
  Json::Value response;
  response["TableDescription"] = Description(context, updated, "UPDATING");
  return response;
}

Json::Value UpdateTimeToLive(OperationContext& context, const Json::Value& request) {
  TableSchema schema = context.catalog.Require(RequireTableParameter(request));
  const Json::Value& specification =
      RequireObjectField(request, "TimeToLiveSpecification", "timeToLiveSpecification");
  std::string attribute =
      RequireStringField(specification, "AttributeName", "timeToLiveSpecification.attributeName");
  std::optional<bool> enabled = OptionalBoolField(specification, "Enabled");
  if (!enabled) throw MissingMemberError("timeToLiveSpecification.enabled");
  if (attribute.empty()) {
    throw ValidationError(
        "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed "
        "to satisfy constraint: Member must have length greater than or equal to 1");
  }
  if (*enabled) {
    if (schema.ttl_attribute) throw ValidationError("TimeToLive is already enabled");
    schema.ttl_attribute = attribute;
  } else {
    if (!schema.ttl_attribute) throw ValidationError("TimeToLive is already disabled");
    schema.ttl_attribute.reset();
  }
  const TableSchema& updated = context.catalog.Replace(schema);
  context.Store(updated).RecomputeExpiry();
  Json::Value response;
  response["TimeToLiveSpecification"]["AttributeName"] = attribute;
  response["TimeToLiveSpecification"]["Enabled"] = *enabled;
  return response;
}

Json::Value DescribeTimeToLive(OperationContext& context, const Json::Value& request) {
  const TableSchema& schema = context.catalog.Require(RequireTableParameter(request));
  Json::Value response;
  Json::Value& description = response["TimeToLiveDescription"];
  description["TimeToLiveStatus"] = schema.ttl_attribute ? "ENABLED" : "DISABLED";
  if (schema.ttl_attribute) description["AttributeName"] = *schema.ttl_attribute;
  return response;
}

}  // namespace wsgw::dynamodb
