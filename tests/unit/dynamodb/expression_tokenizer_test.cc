#include "dynamodb/expression_tokenizer.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace wsgw::dynamodb::expression {
namespace {

std::vector<std::string> Texts(std::string_view text) {
  std::vector<std::string> out;
  for (const Token& token : Tokenize(text)) {
    out.push_back(token.kind == TokenKind::kEnd ? "<END>" : std::string(token.text));
  }
  return out;
}

TEST(ExpressionTokenizer, SplitsNamesPlaceholdersAndPunctuation) {
  EXPECT_EQ(Texts("a.b[12] <> :v AND #n>=size(x)"),
            (std::vector<std::string>{"a", ".", "b", "[", "12", "]", "<>", ":v", "AND", "#n",
                                      ">=", "size", "(", "x", ")", "<END>"}));
  EXPECT_EQ(Texts("a<b<=c>d=e,f+g-h"),
            (std::vector<std::string>{"a", "<", "b", "<=", "c", ">", "d", "=", "e", ",", "f", "+",
                                      "g", "-", "h", "<END>"}));
}

TEST(ExpressionTokenizer, RecordsKindsAndOffsets) {
  std::vector<Token> tokens = Tokenize("  #n_1 = :v2");
  ASSERT_EQ(tokens.size(), 4u);
  EXPECT_EQ(tokens[0].kind, TokenKind::kNamePlaceholder);
  EXPECT_EQ(tokens[0].offset, 2u);
  EXPECT_EQ(tokens[1].kind, TokenKind::kPunctuation);
  EXPECT_EQ(tokens[2].kind, TokenKind::kValuePlaceholder);
  EXPECT_EQ(tokens[3].kind, TokenKind::kEnd);
  EXPECT_EQ(tokens[3].offset, 12u);
}

TEST(ExpressionTokenizer, MarksWhatNoRuleAccepts) {
  std::vector<Token> tokens = Tokenize("# : ! \xc3\xa9 \xff");
  ASSERT_EQ(tokens.size(), 6u);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(tokens[i].kind, TokenKind::kInvalid) << i;
  EXPECT_EQ(tokens[3].text, "\xc3\xa9");  // a whole UTF-8 character
}

}  // namespace
}  // namespace wsgw::dynamodb::expression
