// The single-item and batch operations: PutItem, GetItem, DeleteItem, UpdateItem, BatchGetItem
// and BatchWriteItem. Batches are applied whole (UnprocessedKeys and UnprocessedItems are always
// empty).
#pragma once

#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

Json::Value PutItem(OperationContext& context, const Json::Value& request);
Json::Value GetItem(OperationContext& context, const Json::Value& request);
Json::Value DeleteItem(OperationContext& context, const Json::Value& request);
Json::Value UpdateItem(OperationContext& context, const Json::Value& request);
Json::Value BatchGetItem(OperationContext& context, const Json::Value& request);
Json::Value BatchWriteItem(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
