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

// DynamoDB's limits on one expression.
constexpr size_t kMaxExpressionBytes = 4096;
constexpr int kMaxOperators = 300;
constexpr size_t kMaxInOperands = 100;
// Parentheses and nested function calls deeper than this are refused: the parser recurses on
// them and must not exhaust the stack. DynamoDB's 300-operator limit keeps real expressions far
// below it.
constexpr int kMaxNesting = 100;

// What an error is about. DynamoDB reports a syntax error before anything else and, among the
// rest, the first error of the first kind in its order for the expression (kConditionOrder,
// kUpdateOrder: dynalite's orders, which follow DynamoDB's); within one kind, the first in the
// text.
enum ErrorKind {
  kSectionRepeated,
  kRedundantParentheses,
  kUnknownFunction,
  kMisusedFunction,
  kReservedWord,
  kUndefinedName,
  kUndefinedValue,
  kOperandCount,
  kSameOperands,
  kOperandType,    // of a function or operator
  kActionOperand,  // of ADD or DELETE
  kOverlappingPaths,
  kConflictingPaths,
  kErrorKinds,
};

using ErrorOrder = std::array<ErrorKind, kErrorKinds>;
constexpr ErrorOrder kConditionOrder = {
    kRedundantParentheses, kUnknownFunction,  kMisusedFunction, kReservedWord, kUndefinedName,
    kUndefinedValue,       kOperandCount,     kSameOperands,    kOperandType,  kSectionRepeated,
    kActionOperand,        kOverlappingPaths, kConflictingPaths};
constexpr ErrorOrder kUpdateOrder = {
    kReservedWord,     kUnknownFunction,      kSectionRepeated, kUndefinedName, kUndefinedValue,
    kOverlappingPaths, kConflictingPaths,     kActionOperand,   kOperandCount,  kOperandType,
    kMisusedFunction,  kRedundantParentheses, kSameOperands};

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

bool SamePath(const Operand& a, const Operand& b) {
  if (a.kind != OperandKind::kPath || b.kind != OperandKind::kPath) return false;
  if (a.path.elements.size() != b.path.elements.size()) return false;
  for (size_t i = 0; i < a.path.elements.size(); ++i) {
    const PathElement& x = a.path.elements[i];
    const PathElement& y = b.path.elements[i];
    if (x.is_index != y.is_index || (x.is_index ? x.index != y.index : x.name != y.name)) {
      return false;
    }
  }
  return true;
}

bool IsConditionFunction(const std::string& name) {
  return name == "attribute_exists" || name == "attribute_not_exists" || name == "attribute_type" ||
         name == "begins_with" || name == "contains";
}

enum class Context { kCondition, kUpdate };

class Parser {
 public:
  Parser(std::string_view text, std::string_view parameter, const ExpressionInputs& inputs,
         const ErrorOrder& order)
      : text_(text),
        parameter_(parameter),
        inputs_(inputs),
        order_(order),
        tokens_(Tokenize(text)) {}

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
        Report(kSectionRepeated,
               "The \"" + clause + "\" section can only be used once in an update expression;");
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

  // The outcome: true when no error was found; otherwise *error is the syntax error if any,
  // else the first error of the first kind.
  bool Finish(bool parsed, UsedPlaceholders* used, std::string* error) {
    if (!parsed && state_.hard_error.empty()) {
      // Every failing rule reports a syntax error; this is a guard against a rule that does not.
      SyntaxError();
    }
    const std::string* message = &state_.hard_error;
    for (ErrorKind kind : order_) {
      if (!message->empty()) break;
      message = &state_.errors[kind];
    }
    if (!message->empty()) {
      if (error != nullptr) *error = *message;
      return false;
    }
    if (used != nullptr) {
      used->names.insert(state_.used.names.begin(), state_.used.names.end());
      used->values.insert(state_.used.values.begin(), state_.used.values.end());
    }
    return true;
  }

 private:
  // Everything parsing changes, so that an alternative that fails can be undone.
  struct State {
    size_t pos = 0;
    int depth = 0;
    int operators = 0;
    std::string hard_error;     // a syntax error or an exceeded limit: always wins
    size_t hard_error_pos = 0;  // the token it was found at
    std::array<std::string, kErrorKinds> errors;  // the first error of each kind
    UsedPlaceholders used;
    // The tokens of the '(' and ')' of the group that closed last, to spot "((...))".
    size_t last_group_open = std::string::npos;
    size_t last_group_close = std::string::npos;
  };

  const Token& Peek(size_t ahead = 0) const {
    return tokens_[std::min(state_.pos + ahead, tokens_.size() - 1)];
  }
  void Next() {
    if (state_.pos + 1 < tokens_.size()) ++state_.pos;
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
    if (!state_.hard_error.empty()) return;
    state_.hard_error = std::move(message);
    state_.hard_error_pos = state_.pos;
  }

  // DynamoDB's syntax error at the current token: the token, and the text from the previous
  // token to the next one.
  bool SyntaxError() {
    const Token& token = Peek();
    const size_t begin = state_.pos > 0 ? tokens_[state_.pos - 1].offset : token.offset;
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

  // An error that does not stop parsing: a syntax error found later still wins.
  void Report(ErrorKind kind, const std::string& message) {
    ReportUnprefixed(kind, InvalidExpressionMessage(parameter_, message));
  }
  void ReportUnprefixed(ErrorKind kind, std::string message) {
    if (state_.errors[kind].empty()) state_.errors[kind] = std::move(message);
  }

  bool Deeper() {
    if (++state_.depth > kMaxNesting) {
      HardError(InvalidExpressionMessage(
          parameter_, "The expression has more than " + std::to_string(kMaxNesting) +
                          " levels of nested parentheses or functions"));
      return false;
    }
    return true;
  }

  // Counts one operator or function against DynamoDB's limit.
  bool CountOperator() {
    if (++state_.operators > kMaxOperators) {
      HardError(InvalidExpressionMessage(
          parameter_, "The expression contains too many operators; operator count: " +
                          std::to_string(state_.operators)));
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
        Report(kReservedWord, "Attribute name is a reserved keyword; reserved keyword: " +
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
        Report(kUndefinedName,
               "An expression attribute name used in the document path is not defined; "
               "attribute name: " +
                   placeholder);
      } else {
        *name = value->asString();
        state_.used.names.insert(placeholder);
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
        for (char c : number.text) {
          element.index = element.index * 10 + static_cast<uint32_t>(c - '0');
        }
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
      Report(kUndefinedValue,
             "An expression attribute value used in expression is not defined; attribute value: " +
                 placeholder);
    } else {
      std::string invalid;
      if (!ValidateAttributeValue(*value, &invalid)) {
        ReportUnprefixed(kUndefinedValue, "ExpressionAttributeValues contains invalid value: " +
                                              invalid + " for key " + placeholder);
      } else {
        out->value = *value;
      }
      state_.used.values.insert(placeholder);
    }
    Next();
    return true;
  }

  // name ( operand, ... ): the current token is the name, the next one '('.
  bool ParseCall(Context context, std::string* name, std::vector<Operand>* args) {
    *name = std::string(Peek().text);
    Next();
    Next();
    if (!CountOperator() || !Deeper()) return false;
    if (!IsPunctuation(")")) {
      while (true) {
        Operand arg;
        if (!ParseOperand(context, &arg)) return false;
        args->push_back(std::move(arg));
        if (!IsPunctuation(",")) break;
        Next();
      }
    }
    --state_.depth;
    return Expect(")");
  }

  bool CheckArity(const std::string& name, const std::vector<Operand>& args, size_t arity) {
    if (args.size() == arity) return true;
    Report(kOperandCount,
           "Incorrect number of operands for operator or function; operator or function: " + name +
               ", number of operands: " + std::to_string(args.size()));
    return false;
  }

  void RequirePath(const std::string& name, const Operand& operand) {
    if (operand.kind != OperandKind::kPath) {
      Report(kOperandType,
             "Operator or function requires a document path; operator or function: " + name);
    }
  }

  // DynamoDB refuses an operator or function whose two operands are the same path (a = a).
  void RequireDistinct(const std::string& name, const std::vector<Operand>& operands) {
    if (operands.size() == 2 && SamePath(operands[0], operands[1])) {
      Report(kSameOperands,
             "The first operand must be distinct from the remaining operands for this operator or "
             "function; operator: " +
                 name + ", first operand: " + operands[0].path.ToString());
    }
  }

  void RefuseFunctionOperands(const std::vector<Operand>& operands) {
    for (const Operand& operand : operands) {
      if (operand.kind == OperandKind::kIfNotExists || operand.kind == OperandKind::kListAppend) {
        NotAllowedHere(operand.kind == OperandKind::kIfNotExists ? "if_not_exists" : "list_append");
      }
    }
  }

  // operand := path | :value | function(...) | ( operand )
  bool ParseOperand(Context context, Operand* out) {
    const Token& token = Peek();
    if (IsPunctuation("(")) {
      Next();
      if (!Deeper()) return false;
      // An operand that starts with '(' is itself parenthesized: "((a))". Update expressions
      // take one level only.
      const bool doubled = IsPunctuation("(");
      if (doubled && context == Context::kUpdate) return SyntaxError();
      if (!ParseOperand(context, out)) return false;
      --state_.depth;
      if (!Expect(")")) return false;
      if (doubled) Report(kRedundantParentheses, "The expression has redundant parentheses;");
      return true;
    }
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
        const std::string type = StaticType(args[0]);
        if (type == "N" || type == "BOOL" || type == "NULL") {
          Report(kOperandType, OperandTypeMessage(name, type));
        }
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
          if (!type.empty() && type != "L") Report(kOperandType, OperandTypeMessage(name, type));
        }
        out->kind = OperandKind::kListAppend;
        out->args = std::move(args);
      }
    } else if (context == Context::kCondition && IsConditionFunction(name)) {
      NotAllowedHere(name);
    } else {
      Report(kUnknownFunction, "Invalid function name; function: " + name);
    }
  }

  void NotAllowedHere(const std::string& name) {
    Report(kMisusedFunction,
           "The function is not allowed to be used this way in an expression; function: " + name);
  }

  bool StartsComparison() const {
    const Token& token = Peek();
    if (token.kind == TokenKind::kPunctuation) {
      return token.text == "=" || token.text == "<>" || token.text == "<" || token.text == "<=" ||
             token.text == ">" || token.text == ">=";
    }
    return IsWord("BETWEEN") || IsWord("IN");
  }

  bool ParseOr(ConditionNode* out) {
    if (!ParseAnd(out)) return false;
    while (IsWord("OR")) {
      Next();
      if (!CountOperator()) return false;
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
      if (!CountOperator()) return false;
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

  // NOT applies to one condition or group: "NOT NOT a" is a syntax error, as in DynamoDB.
  bool ParseNot(ConditionNode* out) {
    if (!IsWord("NOT")) return ParsePrimary(out);
    Next();
    if (!CountOperator()) return false;
    ConditionNode child;
    if (!ParsePrimary(&child)) return false;
    out->kind = ConditionKind::kNot;
    out->children.push_back(std::move(child));
    return true;
  }

  // ( condition ), or an operand in parentheses that a comparison follows: "(a) = :v".
  bool ParseGroupOrParenthesizedOperand(ConditionNode* out) {
    const State before = state_;
    const size_t open = state_.pos;
    Next();
    if (!Deeper()) return false;
    // A group that a comparison follows was an operand: "(size(a)) = :v".
    const bool group = ParseOr(out) && Expect(")");
    if (group && !StartsComparison()) {
      --state_.depth;
      const size_t close = state_.pos - 1;
      if (state_.last_group_open == open + 1 && state_.last_group_close == close - 1) {
        Report(kRedundantParentheses, "The expression has redundant parentheses;");
      }
      state_.last_group_open = open;
      state_.last_group_close = close;
      return true;
    }
    const State failed = state_;
    state_ = before;
    Operand left;
    if (ParseOperand(Context::kCondition, &left) && StartsComparison()) {
      *out = ConditionNode();
      return ParseComparison(std::move(left), out);
    }
    if (state_.hard_error.empty()) SyntaxError();
    // Of the two alternatives, the one that read further reports its error.
    if (failed.hard_error.empty() || failed.hard_error_pos > state_.hard_error_pos) {
      state_ = failed;
      if (group) SyntaxError();  // a comparison after a group
    }
    return false;
  }

  bool ParsePrimary(ConditionNode* out) {
    if (IsPunctuation("(")) return ParseGroupOrParenthesizedOperand(out);
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
    return ParseComparison(std::move(left), out);
  }

  // The rest of a comparison, BETWEEN or IN whose left operand has been read.
  bool ParseComparison(Operand left, ConditionNode* out) {
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
        if (!CountOperator()) return false;
        Operand right;
        if (!ParseOperand(Context::kCondition, &right)) return false;
        out->kind = ConditionKind::kCompare;
        out->comparator = comparator;
        out->operands.push_back(std::move(right));
        RefuseFunctionOperands(out->operands);
        RequireDistinct(shown, out->operands);
        if (comparator != Comparator::kEq && comparator != Comparator::kNe) {
          CheckOrderedOperands(shown, out->operands);
        }
        return true;
      }
    }
    if (IsWord("BETWEEN")) {
      Next();
      if (!CountOperator()) return false;
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
      if (!CountOperator()) return false;
      if (!Expect("(")) return false;
      while (true) {
        Operand candidate;
        if (!ParseOperand(Context::kCondition, &candidate)) return false;
        out->operands.push_back(std::move(candidate));
        if (!IsPunctuation(",")) break;
        Next();
      }
      out->kind = ConditionKind::kIn;
      if (out->operands.size() - 1 > kMaxInOperands) {
        Report(kOperandCount,
               "The IN operator is provided with too many operands; number of "
               "operands: " +
                   std::to_string(out->operands.size() - 1));
      }
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
        Report(kUnknownFunction, "Invalid function name; function: " + name);
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
        RequireDistinct(name, args);
        RequirePath(name, args[0]);
        const std::string type = StaticType(args[1]);
        if (type == "S") {
          static constexpr std::array<std::string_view, 10> kTypes = {
              "S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"};
          const std::string wanted = args[1].value["S"].asString();
          if (std::find(kTypes.begin(), kTypes.end(), wanted) == kTypes.end()) {
            Report(kOperandType, "Invalid attribute type name found; type: " + wanted +
                                     ", valid types: {B,NULL,SS,BOOL,L,BS,N,NS,S,M}");
          }
        } else {
          Report(kOperandType,
                 OperandTypeMessage(name, type.empty() ? "{NS,SS,L,BS,N,M,B,BOOL,NULL,S}" : type));
        }
      }
    } else if (name == "begins_with") {
      out->kind = ConditionKind::kBeginsWith;
      if (CheckArity(name, args, 2)) {
        RequireDistinct(name, args);
        for (const Operand& arg : args) {
          const std::string type = StaticType(arg);
          if (!type.empty() && type != "S" && type != "B") {
            Report(kOperandType, OperandTypeMessage(name, type));
          }
        }
      }
    } else {
      out->kind = ConditionKind::kContains;
      if (CheckArity(name, args, 2)) RequireDistinct(name, args);
    }
    return true;
  }

  void CheckOrderedOperands(const std::string& shown, const std::vector<Operand>& operands) {
    for (const Operand& operand : operands) {
      const std::string type = StaticType(operand);
      if (!type.empty() && !IsOrderedType(type)) {
        Report(kOperandType, OperandTypeMessage(shown, type));
      }
    }
  }

  void CheckBetweenBounds(const Operand& low, const Operand& high) {
    if (low.kind != OperandKind::kValue || high.kind != OperandKind::kValue) return;
    const std::string low_type = TypeOf(low.value), high_type = TypeOf(high.value);
    if (!IsOrderedType(low_type) || !IsOrderedType(high_type)) return;
    const std::string bounds = "lower bound operand: " + DescribeValue(low.value) +
                               ", upper bound operand: " + DescribeValue(high.value);
    if (low_type != high_type) {
      Report(kOperandType,
             "The BETWEEN operator requires same data type for lower and upper bounds; " + bounds);
      return;
    }
    std::optional<int> order = CompareOrdered(low.value, high.value);
    if (order && *order > 0) {
      Report(kOperandType,
             "The BETWEEN operator requires upper bound to be greater than or equal to lower "
             "bound; " +
                 bounds);
    }
  }

  // value := operand [ (+|-) operand ]
  bool ParseSetValue(Operand* out) {
    Operand first;
    if (!ParseOperand(Context::kUpdate, &first)) return false;
    if (IsPunctuation("+") || IsPunctuation("-")) return ParseArithmetic(std::move(first), out);
    *out = std::move(first);
    return true;
  }

  // The current token is '+' or '-'.
  bool ParseArithmetic(Operand first, Operand* out) {
    const std::string shown(Peek().text);
    Next();
    if (!CountOperator()) return false;
    Operand second;
    if (!ParseOperand(Context::kUpdate, &second)) return false;
    for (const Operand* operand : {&first, &second}) {
      const std::string type = StaticType(*operand);
      if (!type.empty() && type != "N") Report(kOperandType, OperandTypeMessage(shown, type));
    }
    out->kind = shown == "+" ? OperandKind::kPlus : OperandKind::kMinus;
    out->args.push_back(std::move(first));
    out->args.push_back(std::move(second));
    return true;
  }

  bool ParseUpdateAction(UpdateAction* action) {
    if (!ParsePath(&action->path)) return false;
    switch (action->kind) {
      case UpdateActionKind::kSet: {
        if (!Expect("=")) return false;
        if (!IsPunctuation("(")) return ParseSetValue(&action->value);
        // "(b + :c)" or "(b) + :c"
        Next();
        if (!Deeper()) return false;
        Operand first;
        if (!ParseOperand(Context::kUpdate, &first)) return false;
        if (IsPunctuation("+") || IsPunctuation("-")) {
          if (!ParseArithmetic(std::move(first), &action->value)) return false;
          --state_.depth;
          return Expect(")");
        }
        --state_.depth;
        if (!Expect(")")) return false;
        if (IsPunctuation("+") || IsPunctuation("-")) {
          return ParseArithmetic(std::move(first), &action->value);
        }
        action->value = std::move(first);
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
          Report(kActionOperand,
                 std::string("Incorrect operand type for operator or function; operator: ") +
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
            diverged = true;
            Report(kConflictingPaths,
                   "Two document paths conflict with each other; must remove or rewrite one of "
                   "these paths; path one: " +
                       paths[i]->ToString() + ", path two: " + paths[j]->ToString());
            break;
          }
          diverged = a[k].is_index ? a[k].index != b[k].index : a[k].name != b[k].name;
        }
        if (!diverged) {
          Report(kOverlappingPaths,
                 "Two document paths overlap with each other; must remove or rewrite one of these "
                 "paths; path one: " +
                     paths[i]->ToString() + ", path two: " + paths[j]->ToString());
        }
      }
    }
  }

  std::string_view text_;
  std::string_view parameter_;
  const ExpressionInputs& inputs_;
  const ErrorOrder& order_;
  std::vector<Token> tokens_;
  State state_;
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
  Parser parser(text, parameter, inputs, kConditionOrder);
  const bool parsed = parser.CheckText() && parser.Condition(out);
  return parser.Finish(parsed, used, error);
}

bool ParseUpdateExpression(std::string_view text, const ExpressionInputs& inputs,
                           UsedPlaceholders* used, std::vector<UpdateAction>* out,
                           std::string* error) {
  Parser parser(text, "UpdateExpression", inputs, kUpdateOrder);
  const bool parsed = parser.CheckText() && parser.UpdateClauses(out);
  return parser.Finish(parsed, used, error);
}

bool ParseProjectionExpression(std::string_view text, const ExpressionInputs& inputs,
                               UsedPlaceholders* used, std::vector<Path>* out, std::string* error) {
  Parser parser(text, "ProjectionExpression", inputs, kConditionOrder);
  const bool parsed = parser.CheckText() && parser.ProjectionPaths(out);
  return parser.Finish(parsed, used, error);
}

}  // namespace wsgw::dynamodb::expression
