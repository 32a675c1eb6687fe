// The table-level operations: CreateTable, DescribeTable, ListTables, DeleteTable, UpdateTable
// (billing, throughput, GlobalSecondaryIndexUpdates Create/Delete with backfill of a new index),
// UpdateTimeToLive and DescribeTimeToLive. Tables are ACTIVE as soon as they are created.
#pragma once

#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

Json::Value CreateTable(OperationContext& context, const Json::Value& request);
Json::Value DescribeTable(OperationContext& context, const Json::Value& request);
Json::Value ListTables(OperationContext& context, const Json::Value& request);
Json::Value DeleteTable(OperationContext& context, const Json::Value& request);
Json::Value UpdateTable(OperationContext& context, const Json::Value& request);
Json::Value UpdateTimeToLive(OperationContext& context, const Json::Value& request);
Json::Value DescribeTimeToLive(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
