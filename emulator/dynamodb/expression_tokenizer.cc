#include "dynamodb/expression_tokenizer.h"

namespace wsgw::dynamodb::expression {
namespace {

bool IsLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(char c) { return IsLetter(c) || IsDigit(c); }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// The length of the UTF-8 sequence starting with `lead`, so that an invalid token shows a whole
// character; 1 for a byte that cannot start a sequence.
size_t Utf8Length(unsigned char lead) {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc2) return 2;
  return 1;
}

}  // namespace

std::vector<Token> Tokenize(std::string_view text) {
  std::vector<Token> tokens;
  size_t pos = 0;
  while (true) {
    while (pos < text.size() && IsSpace(text[pos])) ++pos;
    if (pos == text.size()) break;
    const size_t start = pos;
    const char c = text[pos];
    TokenKind kind = TokenKind::kPunctuation;
    if (IsLetter(c)) {
      while (pos < text.size() && IsWordChar(text[pos])) ++pos;
      kind = TokenKind::kIdentifier;
    } else if (IsDigit(c)) {
      while (pos < text.size() && IsDigit(text[pos])) ++pos;
      kind = TokenKind::kNumber;
    } else if (c == '#' || c == ':') {
      ++pos;
      while (pos < text.size() && IsWordChar(text[pos])) ++pos;
      if (pos - start == 1) {
        kind = TokenKind::kInvalid;
      } else {
        kind = c == '#' ? TokenKind::kNamePlaceholder : TokenKind::kValuePlaceholder;
      }
    } else if (c == '<') {
      ++pos;
      if (pos < text.size() && (text[pos] == '>' || text[pos] == '=')) ++pos;
    } else if (c == '>') {
      ++pos;
      if (pos < text.size() && text[pos] == '=') ++pos;
    } else if (c == '(' || c == ')' || c == '[' || c == ']' || c == ',' || c == '.' || c == '=' ||
               c == '+' || c == '-') {
      ++pos;
    } else {
      pos += Utf8Length(static_cast<unsigned char>(c));
      if (pos > text.size()) pos = text.size();
      kind = TokenKind::kInvalid;
    }
    tokens.push_back(Token{kind, text.substr(start, pos - start), start});
  }
  tokens.push_back(Token{TokenKind::kEnd, std::string_view(), text.size()});
  return tokens;
}

}  // namespace wsgw::dynamodb::expression
