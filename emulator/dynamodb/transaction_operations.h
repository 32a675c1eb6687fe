// TransactWriteItems and TransactGetItems. A write transaction plans every item against the
// state before it, and either applies all of them or none: a failed condition cancels it with
// TransactionCanceledException and one CancellationReason per item ({"Code":"None"} or
// {"Code":"ConditionalCheckFailed","Message":...,"Item":...}). ClientRequestToken is accepted
// and not used for idempotency.
#pragma once

#include "dynamodb/operation_context.h"

namespace wsgw::dynamodb {

Json::Value TransactWriteItems(OperationContext& context, const Json::Value& request);
Json::Value TransactGetItems(OperationContext& context, const Json::Value& request);

}  // namespace wsgw::dynamodb
