// TransactWriteItems and TransactGetItems. A write transaction plans every item against the
// state before it, and either applies all of them or none: a failed condition cancels it with
// TransactionCanceledException and one CancellationReason per item ({"Code":"None"} or
// {"Code":"ConditionalCheckFailed","Message":...,"Item":...}). A ClientRequestToken makes it
// idempotent for 10 minutes, as in DynamoDB: the same token with the same TransactItems succeeds
// again without applying anything, with other TransactItems it is refused.
#pragma once

#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

Json::Value TransactWriteItems(OperationContext& context, const Json::Value& request);
Json::Value TransactGetItems(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
