// The tokens of DynamoDB's expression language, shared by every expression parameter.
//
// Identifiers are [A-Za-z_][A-Za-z0-9_]*, placeholders '#' or ':' followed by [A-Za-z0-9_]+,
// numbers (list indexes) [0-9]+, punctuation ( ) [ ] , . = <> < <= > >= + -. Anything else becomes
// a kInvalid token that no grammar rule accepts, so the parser reports it as DynamoDB does:
// a syntax error naming the token.
#pragma once

#include <string_view>
#include <vector>

namespace wsgw::dynamodb::expression {

enum class TokenKind {
  kIdentifier,
  kNamePlaceholder,   // #name
  kValuePlaceholder,  // :value
  kNumber,
  kPunctuation,
  kInvalid,
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string_view text;  // a view into the expression; empty for kEnd
  size_t offset = 0;      // byte offset in the expression
};

// The tokens of `text`, always ending with one kEnd token at offset text.size().
std::vector<Token> Tokenize(std::string_view text);

}  // namespace wsgw::dynamodb::expression
