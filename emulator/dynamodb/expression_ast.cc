#include "dynamodb/expression_ast.h"

namespace wsgw::dynamodb::expression {

std::string Path::ToString() const {
  std::string out = "[";
  for (size_t i = 0; i < elements.size(); ++i) {
    if (i > 0) out += ", ";
    out += elements[i].is_index ? "[" + std::to_string(elements[i].index) + "]" : elements[i].name;
  }
  return out + "]";
}

}  // namespace wsgw::dynamodb::expression
