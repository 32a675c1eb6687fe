// DynamoDB's reserved words: an attribute name that is one of them (in any case) cannot be written
// bare in an expression and needs an ExpressionAttributeNames placeholder.
#pragma once

#include <string_view>

namespace wsgw::dynamodb::expression {

bool IsReservedWord(std::string_view word);

}  // namespace wsgw::dynamodb::expression
