// The pre-2014 request parameters, still sent by older SDK code: Expected and
// ConditionalOperator (conditions on writes), KeyConditions (Query), QueryFilter and ScanFilter,
// AttributeUpdates (UpdateItem). WithExpressions() rewrites them into the equivalent
// ConditionExpression, KeyConditionExpression, FilterExpression and UpdateExpression with
// generated placeholders, so one expression engine evaluates both forms. (AttributesToGet is read
// directly, see request_expressions.h.)
#pragma once

#include <json/json.h>

namespace wsgw::dynamodb {

// `request` with its legacy parameters replaced by expressions; unchanged when it has none.
// Mixing both forms is refused as DynamoDB refuses it.
Json::Value WithExpressions(const Json::Value& request);

}  // namespace wsgw::dynamodb
