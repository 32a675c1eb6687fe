#include "dynamodb/expression_parser.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <utility>

#include "dynamodb/attribute_value.h"
#include "dynamodb/expression_evaluator.h"
#include "dynamodb/expression_reserved_words.h"
#include "dynamodb/expression_tokenizer.h"

namespace wsgw::dynamodb::expression {
namespace {

// DynamoDB's limit on an expression's length.
constexpr size_t kMaxExpressionBytes = 4096;
// Parentheses, NOTs and nested function calls deeper than this are refused: the parser recurses
// on them and must not exhaust the stack. DynamoDB's own limits (300 operators) are far below.
constexpr int kMaxNesting = 100;

// Words the grammar gives a meaning; written where a name is expected they are a syntax error
// (DynamoDB's parser has them as tokens), while other reserved words get the reserved-word error.
bool IsKeyword(std::string_view word) {
  static constexpr std::array<std::string_view, 9> kKeywords = {
      "AND", "OR", "NOT", "BETWEEN", "IN", "SET", "REMOVE", "ADD", "DELETE"};
  for (std::string_view keyword : kKeywords) {
    if (word.size() == keyword.size() &&
        std::equal(word.begin(), word.end(), keyword.begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      return true;
    }
  }
  return false;
}

std::string Upper(std::string_view word) {
  std::string upper(word);
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return upper;
}

// DynamoDB's long type names, used in ADD / DELETE operand-type messages.
std::string LongTypeName(const std::string& type) {
  if (type == "S") return "STRING";
  if (type == "N") return "NUMBER";
  if (type == "B") return "BINARY";
  if (type == "BOOL") return "BOOLEAN";
  if (type == "M") return "MAP";
  if (type == "L") return "LIST";
  if (type == "SS") return "STRING_SET";
  if (type == "NS") return "NUMBER_SET";
  if (type == "BS") return "BINARY_SET";
  return type;
}

bool IsSetType(const std::string& type) { return type == "SS" || type == "NS" || type == "BS"; }
bool IsOrderedType(const std::string& type) { return type == "S" || type == "N" || type == "B"; }

std::string OperandTypeMessage(std::string_view function, const std::string& type) {
  return "Incorrect operand type for operator or function; operator or function: " +
         std::string(function) + ", operand type: " + type;
}

// The type an operand has when it is known without an item: a literal's, or N for size().
std::string StaticType(const Operand& operand) {
  if (operand.kind == OperandKind::kValue) return TypeOf(operand.value);
  if (operand.kind == OperandKind::kSize) return "N";
  return "";
}

enum class Context { kCondition, kUpdate };

class Parser {
 public:
  Parser(std::string_view text, std::string_view parameter, const ExpressionInputs& inputs)
      : text_(text), parameter_(parameter), inputs_(inputs), tokens_(Tokenize(text)) {}

  // Checks the limits every expression shares; false when the text is refused before parsing.
  bool CheckText() {
    if (tokens_.size() == 1) {
      HardError(InvalidExpressionMessage(parameter_, "The expression can not be empty;"));
      return false;
    }
    if (text_.size() > kMaxExpressionBytes) {
      HardError(InvalidExpressionMessage(
          parameter_, "Expression size has exceeded the maximum allowed size; expression size: " +
                          std::to_string(text_.size())));
      return false;
    }
    return true;
  }

  bool Condition(ConditionNode* out) {
    if (!ParseOr(out)) return false;
    if (!AtEnd()) return SyntaxError();
    return true;
  }

  bool UpdateClauses(std::vector<UpdateAction>* out) {
    std::vector<std::string> seen;
    while (!AtEnd()) {
      const Token& keyword = Peek();
      std::string clause = keyword.kind == TokenKind::kIdentifier ? Upper(keyword.text) : "";
      UpdateActionKind kind;
      if (clause == "SET") {
        kind = UpdateActionKind::kSet;
      } else if (clause == "REMOVE") {
        kind = UpdateActionKind::kRemove;
      } else if (clause == "ADD") {
        kind = UpdateActionKind::kAdd;
      } else if (clause == "DELETE") {
        kind = UpdateActionKind::kDelete;
      } else {
        return SyntaxError();
      }
      if (std::find(seen.begin(), seen.end(), clause) != seen.end()) {
        Semantic("The \"" + clause + "\" section can only be used once in an update expression;");
      }
      seen.push_back(clause);
      Next();
      while (true) {
        UpdateAction action;
        action.kind = kind;
        if (!ParseUpdateAction(&action)) return false;
        out->push_back(std::move(action));
        if (!IsPunctuation(",")) break;
        Next();
      }
    }
    std::vector<const Path*> paths;
    for (const UpdateAction& action : *out) paths.push_back(&action.path);
    CheckOverlaps(paths);
    return true;
  }

  bool ProjectionPaths(std::vector<Path>* out) {
    while (true) {
      Path path;
      if (!ParsePath(&path)) return false;
      out->push_back(std::move(path));
      if (!IsPunctuation(",")) break;
      Next();
    }
    if (!AtEnd()) return SyntaxError();
    std::vector<const Path*> paths;
    for (const Path& path : *out) paths.push_back(&path);
    CheckOverlaps(paths);
    return true;
  }

  // The outcome: true when neither a syntax error nor a semantic error was found; otherwise
  // *error is the syntax error if any, else the first semantic error.
  bool Finish(UsedPlaceholders* used, std::string* error) {
    const std::string* message = !hard_error_.empty() ? &hard_error_ : &semantic_error_;
    if (!message->empty()) {
      if (error != nullptr) *error = *message;
      return false;
    }
    if (used != nullptr) {
      used->names.insert(used_.names.begin(), used_.names.end());
      used->values.insert(used_.values.begin(), used_.values.end());
    }
    return true;
  }

 private:
  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(pos_ + ahead, tokens_.size() - 1)];
  }
  void Next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool AtEnd() const { return Peek().kind == TokenKind::kEnd; }
  bool IsPunctuation(std::string_view p, size_t ahead = 0) const {
    const Token& token = Peek(ahead);
    return token.kind == TokenKind::kPunctuation && token.text == p;
  }
  bool IsWord(std::string_view upper_word) const {
    return Peek().kind == TokenKind::kIdentifier && Upper(Peek().text) == upper_word;
  }
  bool Expect(std::string_view p) {
    if (!IsPunctuation(p)) return SyntaxError();
    Next();
    return true;
  }

  void HardError(std::string message) {
    if (hard_error_.empty()) hard_error_ = std::move(message);
  }

  // DynamoDB's syntax error at the current token: the token, and the text from the previous
  // token to the next one.
  bool SyntaxError() {
    const Token& token = Peek();
    const size_t begin = pos_ > 0 ? tokens_[pos_ - 1].offset : token.offset;
    size_t end = text_.size();
    if (token.kind != TokenKind::kEnd) {
      const Token& next = Peek(1);
      end = next.kind == TokenKind::kEnd ? token.offset + token.text.size()
                                         : next.offset + next.text.size();
    }
    const std::string shown = token.kind == TokenKind::kEnd ? "<EOF>" : std::string(token.text);
    HardError(InvalidExpressionMessage(parameter_,
                                       "Syntax error; token: \"" + shown + "\", near: \"" +
                                           std::string(text_.substr(begin, end - begin)) + "\""));
    return false;
  }

  // An error that does not stop parsing: a later syntax error takes precedence.
  void Semantic(const std::string& message) {
    if (semantic_error_.empty()) semantic_error_ = InvalidExpressionMessage(parameter_, message);
  }
  void SemanticUnprefixed(std::string message) {
    if (semantic_error_.empty()) semantic_error_ = std::move(message);
  }

  bool Deeper() {
    if (++depth_ > kMaxNesting) {
      HardError(InvalidExpressionMessage(
          parameter_, "The expression has more than " + std::to_string(kMaxNesting) +
                          " levels of nested parentheses, NOT or functions"));
      return false;
    }
    return true;
  }

  // A path element's name: an identifier or a #placeholder, resolved.
  bool ParseName(std::string* name) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kIdentifier) {
      if (IsKeyword(token.text)) return SyntaxError();
      if (IsReservedWord(token.text)) {
        Semantic("Attribute name is a reserved keyword; reserved keyword: " +
                 std::string(token.text));
      }
      *name = std::string(token.text);
    } else if (token.kind == TokenKind::kNamePlaceholder) {
      const std::string placeholder(token.text);
      const Json::Value* value = nullptr;
      if (inputs_.names != nullptr && inputs_.names->isObject()) {
        value = inputs_.names->find(placeholder.data(), placeholder.data() + placeholder.size());
      }
      if (value == nullptr || !value->isString()) {
        Semantic(
            "An expression attribute name used in the document path is not defined; attribute "
            "name: " +
            placeholder);
      } else {
        *name = value->asString();
        used_.names.insert(placeholder);
      }
    } else {
      return SyntaxError();
    }
    Next();
    return true;
  }

  bool ParsePath(Path* out) {
    PathElement first;
    if (!ParseName(&first.name)) return false;
    out->elements.push_back(std::move(first));
    while (true) {
      if (IsPunctuation(".")) {
        Next();
        PathElement element;
        if (!ParseName(&element.name)) return false;
        out->elements.push_back(std::move(element));
      } else if (IsPunctuation("[")) {
        Next();
        const Token& number = Peek();
        if (number.kind != TokenKind::kNumber || number.text.size() > 9) return SyntaxError();
        PathElement element;
        element.is_index = true;
        for (char c : number.text)
          element.index = element.index * 10 + static_cast<uint32_t>(c - '0');
        Next();
        if (!Expect("]")) return false;
        out->elements.push_back(std::move(element));
      } else {
        return true;
      }
    }
  }

  bool ParseValue(Operand* out) {
    const std::string placeholder(Peek().text);
    out->kind = OperandKind::kValue;
    const Json::Value* value = nullptr;
    if (inputs_.values != nullptr && inputs_.values->isObject()) {
      value = inputs_.values->find(placeholder.data(), placeholder.data() + placeholder.size());
    }
    if (value == nullptr) {
      Semantic(
          "An expression attribute value used in expression is not defined; attribute value: " +
          placeholder);
    } else {
      std::string invalid;
      if (!ValidateAttributeValue(*value, &invalid)) {
        SemanticUnprefixed("ExpressionAttributeValues contains invalid value: " + invalid +
                           " for key " + placeholder);
      } else {
        out->value = *value;
      }
      used_.values.insert(placeholder);
    }
    Next();
    return true;
  }

  // name ( operand, ... ): the current token is the name, the next one '('.
  bool ParseCall(Context context, std::string* name, std::vector<Operand>* args) {
    *name = std::string(Peek().text);
    Next();
    Next();
    if (!Deeper()) return false;
    if (!IsPunctuation(")")) {
      while (true) {
        Operand arg;
        if (!ParseOperand(context, &arg)) return false;
        args->push_back(std::move(arg));
        if (!IsPunctuation(",")) break;
        Next();
      }
    }
    --depth_;
    return Expect(")");
  }

  bool CheckArity(const std::string& name, const std::vector<Operand>& args, size_t arity) {
    if (args.size() == arity) return true;
    Semantic("Incorrect number of operands for operator or function; operator or function: " +
             name + ", number of operands: " + std::to_string(args.size()));
    return false;
  }

  void RequirePath(const std::string& name, const Operand& operand) {
    if (operand.kind != OperandKind::kPath) {
      Semantic("Operator or function requires a document path; operator or function: " + name);
    }
  }

  bool ParseOperand(Context context, Operand* out) {
    const Token& token = Peek();
    if (token.kind == TokenKind::kValuePlaceholder) return ParseValue(out);
    if (token.kind == TokenKind::kIdentifier && IsPunctuation("(", 1)) {
      std::string name;
      std::vector<Operand> args;
      if (!ParseCall(context, &name, &args)) return false;
      FunctionOperand(context, name, std::move(args), out);
      return true;
    }
    out->kind = OperandKind::kPath;
    return ParsePath(&out->path);
  }

  // A function call in operand position: size() in conditions, if_not_exists() and
  // list_append() in updates.
  void FunctionOperand(Context context, const std::string& name, std::vector<Operand> args,
                       Operand* out) {
    if (context == Context::kCondition && name == "size") {
      if (CheckArity(name, args, 1)) {
        out->kind = OperandKind::kSize;
        out->args = std::move(args);
      }
    } else if (context == Context::kUpdate && name == "if_not_exists") {
      if (CheckArity(name, args, 2)) {
        RequirePath(name, args[0]);
        out->kind = OperandKind::kIfNotExists;
        out->args = std::move(args);
      }
    } else if (context == Context::kUpdate && name == "list_append") {
      if (CheckArity(name, args, 2)) {
        for (const Operand& arg : args) {
          std::string type = StaticType(arg);
          if (!type.empty() && type != "L") Semantic(OperandTypeMessage(name, type));
        }
        out->kind = OperandKind::kListAppend;
        out->args = std::move(args);
      }
    } else if (context == Context::kCondition && IsConditionFunction(name)) {
      NotAllowedHere(name);
    } else {
      Semantic("Invalid function name; function: " + name);
    }
  }

  void NotAllowedHere(const std::string& name) {
    Semantic("The function is not allowed to be used this way in an expression; function: " + name);
  }

  bool StartsComparison() const {
    const Token& token = Peek();
    if (token.kind == TokenKind::kPunctuation) {
      return token.text == "=" || token.text == "<>" || token.text == "<" || token.text == "<=" ||
             token.text == ">" || token.text == ">=";
    }
    return IsWord("BETWEEN") || IsWord("IN");
  }

  static bool IsConditionFunction(const std::string& name) {
    return name == "attribute_exists" || name == "attribute_not_exists" ||
           name == "attribute_type" || name == "begins_with" || name == "contains";
  }

  bool ParseOr(ConditionNode* out) {
    if (!ParseAnd(out)) return false;
    while (IsWord("OR")) {
      Next();
      ConditionNode right;
      if (!ParseAnd(&right)) return false;
      Combine(ConditionKind::kOr, out, std::move(right));
    }
    return true;
  }

  bool ParseAnd(ConditionNode* out) {
    if (!ParseNot(out)) return false;
    while (IsWord("AND")) {
      Next();
      ConditionNode right;
      if (!ParseNot(&right)) return false;
      Combine(ConditionKind::kAnd, out, std::move(right));
    }
    return true;
  }

  static void Combine(ConditionKind kind, ConditionNode* left, ConditionNode right) {
    ConditionNode combined;
    combined.kind = kind;
    combined.children.push_back(std::move(*left));
    combined.children.push_back(std::move(right));
    *left = std::move(combined);
  }

  bool ParseNot(ConditionNode* out) {
    if (!IsWord("NOT")) return ParsePrimary(out);
    Next();
    if (!Deeper()) return false;
    ConditionNode child;
    if (!ParseNot(&child)) return false;
    --depth_;
    out->kind = ConditionKind::kNot;
    out->children.push_back(std::move(child));
    return true;
  }

  bool ParsePrimary(ConditionNode* out) {
    if (IsPunctuation("(")) {
      Next();
      if (!Deeper()) return false;
      if (!ParseOr(out)) return false;
      --depth_;
      return Expect(")");
    }
    Operand left;
    if (Peek().kind == TokenKind::kIdentifier && IsPunctuation("(", 1)) {
      // A function call is a condition of its own unless a comparison follows it.
      std::string name;
      std::vector<Operand> args;
      if (!ParseCall(Context::kCondition, &name, &args)) return false;
      if (!StartsComparison()) return ConditionFunction(name, std::move(args), out);
      FunctionOperand(Context::kCondition, name, std::move(args), &left);
    } else if (!ParseOperand(Context::kCondition, &left)) {
      return false;
    }
    out->operands.push_back(std::move(left));
    const Token& token = Peek();
    if (token.kind == TokenKind::kPunctuation) {
      static constexpr std::array<std::pair<std::string_view, Comparator>, 6> kComparators = {{
          {"=", Comparator::kEq},
          {"<>", Comparator::kNe},
          {"<", Comparator::kLt},
          {"<=", Comparator::kLe},
          {">", Comparator::kGt},
          {">=", Comparator::kGe},
      }};
      for (const auto& [text, comparator] : kComparators) {
        if (token.text != text) continue;
        const std::string shown(text);
        Next();
        Operand right;
        if (!ParseOperand(Context::kCondition, &right)) return false;
        out->kind = ConditionKind::kCompare;
        out->comparator = comparator;
        out->operands.push_back(std::move(right));
        if (comparator != Comparator::kEq && comparator != Comparator::kNe) {
          CheckOrderedOperands(shown, out->operands);
        }
        return true;
      }
    }
    if (IsWord("BETWEEN")) {
      Next();
      Operand low, high;
      if (!ParseOperand(Context::kCondition, &low)) return false;
      if (!IsWord("AND")) return SyntaxError();
      Next();
      if (!ParseOperand(Context::kCondition, &high)) return false;
      out->kind = ConditionKind::kBetween;
      out->operands.push_back(std::move(low));
      out->operands.push_back(std::move(high));
      CheckOrderedOperands("BETWEEN", out->operands);
      CheckBetweenBounds(out->operands[1], out->operands[2]);
      return true;
    }
    if (IsWord("IN")) {
      Next();
      if (!Expect("(")) return false;
      while (true) {
        Operand candidate;
        if (!ParseOperand(Context::kCondition, &candidate)) return false;
        out->operands.push_back(std::move(candidate));
        if (!IsPunctuation(",")) break;
        Next();
      }
      out->kind = ConditionKind::kIn;
      return Expect(")");
    }
    return SyntaxError();
  }

  bool ConditionFunction(const std::string& name, std::vector<Operand> operands,
                         ConditionNode* out) {
    out->operands = std::move(operands);
    const std::vector<Operand>& args = out->operands;
    if (!IsConditionFunction(name)) {
      if (name == "size") {
        NotAllowedHere(name);
      } else {
        Semantic("Invalid function name; function: " + name);
      }
      return true;
    }
    if (name == "attribute_exists" || name == "attribute_not_exists") {
      out->kind = name == "attribute_exists" ? ConditionKind::kAttributeExists
                                             : ConditionKind::kAttributeNotExists;
      if (CheckArity(name, args, 1)) RequirePath(name, args[0]);
    } else if (name == "attribute_type") {
      out->kind = ConditionKind::kAttributeType;
      if (CheckArity(name, args, 2)) {
        RequirePath(name, args[0]);
        const std::string type = StaticType(args[1]);
        if (type == "S") {
          static constexpr std::array<std::string_view, 10> kTypes = {
              "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
          const std::string wanted = args[1].value["S"].asString();
          if (std::find(kTypes.begin(), kTypes.end(), wanted) == kTypes.end()) {
            Semantic("Invalid attribute type name found; type: " + wanted +
                     ", valid types: { B,NULL,SS,BOOL,L,BS,N,NS,S,M }");
          }
        } else if (!type.empty()) {
          Semantic(OperandTypeMessage(name, type));
        }
      }
    } else if (name == "begins_with") {
      out->kind = ConditionKind::kBeginsWith;
      if (CheckArity(name, args, 2)) {
        for (const Operand& arg : args) {
          const std::string type = StaticType(arg);
          if (!type.empty() && type != "S" && type != "B") Semantic(OperandTypeMessage(name, type));
        }
      }
    } else {
      out->kind = ConditionKind::kContains;
      CheckArity(name, args, 2);
    }
    return true;
  }

  void CheckOrderedOperands(const std::string& shown, const std::vector<Operand>& operands) {
    for (const Operand& operand : operands) {
      const std::string type = StaticType(operand);
      if (!type.empty() && !IsOrderedType(type)) Semantic(OperandTypeMessage(shown, type));
    }
  }

  void CheckBetweenBounds(const Operand& low, const Operand& high) {
    if (low.kind != OperandKind::kValue || high.kind != OperandKind::kValue) return;
    const std::string low_type = TypeOf(low.value), high_type = TypeOf(high.value);
    if (!IsOrderedType(low_type) || !IsOrderedType(high_type)) return;
    const std::string bounds = "lower bound operand: " + DescribeValue(low.value) +
                               ", upper bound operand: " + DescribeValue(high.value);
    if (low_type != high_type) {
      Semantic("The BETWEEN operator requires same data type for lower and upper bounds; " +
               bounds);
      return;
    }
    std::optional<int> order = CompareOrdered(low.value, high.value);
    if (order && *order > 0) {
      Semantic(
          "The BETWEEN operator requires upper bound to be greater than or equal to lower bound; " +
          bounds);
    }
  }

  bool ParseUpdateAction(UpdateAction* action) {
    if (!ParsePath(&action->path)) return false;
    switch (action->kind) {
      case UpdateActionKind::kSet: {
        if (!Expect("=")) return false;
        Operand first;
        if (!ParseOperand(Context::kUpdate, &first)) return false;
        if (IsPunctuation("+") || IsPunctuation("-")) {
          const std::string shown(Peek().text);
          Next();
          Operand second;
          if (!ParseOperand(Context::kUpdate, &second)) return false;
          for (const Operand* operand : {&first, &second}) {
            const std::string type = StaticType(*operand);
            if (!type.empty() && type != "N") Semantic(OperandTypeMessage(shown, type));
          }
          action->value.kind = shown == "+" ? OperandKind::kPlus : OperandKind::kMinus;
          action->value.args.push_back(std::move(first));
          action->value.args.push_back(std::move(second));
        } else {
          action->value = std::move(first);
        }
        return true;
      }
      case UpdateActionKind::kRemove:
        return true;
      case UpdateActionKind::kAdd:
      case UpdateActionKind::kDelete: {
        if (Peek().kind != TokenKind::kValuePlaceholder) return SyntaxError();
        if (!ParseValue(&action->value)) return false;
        const std::string type = TypeOf(action->value.value);
        const bool add = action->kind == UpdateActionKind::kAdd;
        if (!type.empty() && !IsSetType(type) && !(add && type == "N")) {
          Semantic(std::string("Incorrect operand type for operator or function; operator: ") +
                   (add ? "ADD" : "DELETE") + ", operand type: " + LongTypeName(type));
        }
        return true;
      }
    }
    return true;
  }

  // DynamoDB refuses two paths where one is a prefix of the other (overlap) or where they reach
  // the same element once as a map and once as a list (conflict).
  void CheckOverlaps(const std::vector<const Path*>& paths) {
    for (size_t i = 0; i < paths.size(); ++i) {
      for (size_t j = i + 1; j < paths.size(); ++j) {
        const std::vector<PathElement>& a = paths[i]->elements;
        const std::vector<PathElement>& b = paths[j]->elements;
        const size_t common = std::min(a.size(), b.size());
        bool diverged = false;
        for (size_t k = 0; k < common && !diverged; ++k) {
          if (a[k].is_index != b[k].is_index) {
            Semantic(
                "Two document paths conflict with each other; must remove or rewrite one of these "
                "paths; path one: " +
                paths[i]->ToString() + ", path two: " + paths[j]->ToString());
            return;
          }
          diverged = a[k].is_index ? a[k].index != b[k].index : a[k].name != b[k].name;
        }
        if (!diverged) {
          Semantic(
              "Two document paths overlap with each other; must remove or rewrite one of these "
              "paths; path one: " +
              paths[i]->ToString() + ", path two: " + paths[j]->ToString());
          return;
        }
      }
    }
  }

  std::string_view text_;
  std::string_view parameter_;
  const ExpressionInputs& inputs_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
  std::string hard_error_;      // syntax errors and limits: always win
  std::string semantic_error_;  // the first other error
  UsedPlaceholders used_;
};

}  // namespace

std::string DescribeValue(const Json::Value& value) {
  const std::string type = TypeOf(value);
  if (type.empty()) return "AttributeValue: {}";
  const Json::Value& content = value[type];
  std::string shown;
  if (content.isString()) {
    shown = content.asString();
  } else if (content.isBool()) {
    shown = content.asBool() ? "true" : "false";
  } else {
    Json::StreamWriterBuilder writer;
    writer["indentation"] = "";
    shown = Json::writeString(writer, content);
  }
  return "AttributeValue: {" + type + ":" + shown + "}";
}

bool ParseConditionExpression(std::string_view text, std::string_view parameter,
                              const ExpressionInputs& inputs, UsedPlaceholders* used,
                              ConditionNode* out, std::string* error) {
  Parser parser(text, parameter, inputs);
  if (parser.CheckText()) parser.Condition(out);
  return parser.Finish(used, error);
}

bool ParseUpdateExpression(std::string_view text, const ExpressionInputs& inputs,
                           UsedPlaceholders* used, std::vector<UpdateAction>* out,
                           std::string* error) {
  Parser parser(text, "UpdateExpression", inputs);
  if (parser.CheckText()) parser.UpdateClauses(out);
  return parser.Finish(used, error);
}

bool ParseProjectionExpression(std::string_view text, const ExpressionInputs& inputs,
                               UsedPlaceholders* used, std::vector<Path>* out, std::string* error) {
  Parser parser(text, "ProjectionExpression", inputs);
  if (parser.CheckText()) parser.ProjectionPaths(out);
  return parser.Finish(used, error);
}

}  // namespace wsgw::dynamodb::expression
