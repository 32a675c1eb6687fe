// Query and Scan, on a table or one of its secondary indexes: KeyConditionExpression (Query),
// FilterExpression, ProjectionExpression/AttributesToGet, Select (incl. COUNT), Limit,
// ExclusiveStartKey / LastEvaluatedKey (table keys, plus the index's keys when reading an index),
// ScanIndexForward (Query), Segment/TotalSegments (Scan) and DynamoDB's 1 MB page limit. A Query
// is an SQL range scan over the partition in range-key order; a parallel Scan segment holds the
// partitions whose hash-key bytes hash to it.
#pragma once

#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

Json::Value Query(OperationContext& context, const Json::Value& request);
Json::Value Scan(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
