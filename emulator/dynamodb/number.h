// A DynamoDB number: an exact decimal of up to 38 significant digits whose magnitude is 0 or
// lies in 1E-130 .. 9.9999999999999999999999999999999999999E+125.
//
// Parse accepts what DynamoDB accepts (an optional sign, digits with an optional '.', an optional
// exponent: "-1.5", ".5", "5.", "1e3", "+2E-7") and rejects with DynamoDB's ValidationException
// texts. Leading and trailing zeros are not significant. ToString is DynamoDB's canonical form:
// plain notation, no exponent, no superfluous zeros ("1.50" -> "1.5", "1e3" -> "1000",
// "-0" -> "0"). OrderedKey is a byte string whose memcmp order is numeric order, for SQLite
// BLOB sort keys.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace wsgw::dynamodb {

class Number {
 public:
  // Zero.
  Number() = default;

  // Parses `text`. On failure returns nullopt and sets *error (when not null) to DynamoDB's
  // message, e.g. "The parameter cannot be converted to a numeric value: abc" or
  // "Attempting to store more than 38 significant digits in a Number".
  static std::optional<Number> Parse(std::string_view text, std::string* error);

  static Number FromInt64(int64_t value);

  std::string ToString() const;

  // <0, 0 or >0 as *this is less than, equal to or greater than `other`.
  int Compare(const Number& other) const;
  bool operator==(const Number& other) const { return Compare(other) == 0; }

  // Exact sum and difference. nullopt with DynamoDB's message in *error when the result does not
  // fit: "Number overflow. Attempting to store a number with magnitude larger than supported
  // range" or "Attempting to store more than 38 significant digits in a Number".
  std::optional<Number> Add(const Number& other, std::string* error) const;
  std::optional<Number> Subtract(const Number& other, std::string* error) const;

  // Bytes whose memcmp order equals numeric order; equal numbers ("1.50", "1.5") give equal keys.
  // No key is a proper prefix of another, so keys can be concatenated with other data.
  // Layout: a class byte (0x01 negative, 0x02 zero, 0x03 positive); for non-zero numbers one
  // exponent byte (exponent + 130, inverted when negative), one byte per significant digit
  // ('0' + d, or '0' + 9 - d when negative) and a terminator (0x00, or 0x3A when negative).
  std::string OrderedKey() const;

  bool is_zero() const { return digits_.empty(); }
  bool is_negative() const { return negative_; }
  // Significant digits without leading or trailing zeros; 0 for zero.
  int significant_digits() const { return static_cast<int>(digits_.size()); }

 private:
  // Value = (negative_ ? -1 : 1) * d1.d2d3... * 10^exponent_, digits_ = "d1d2d3..." with no
  // leading or trailing '0'. Zero has empty digits_, negative_ false and exponent_ 0.
  bool negative_ = false;
  std::string digits_;
  int exponent_ = 0;

  // Builds a number from a digit string and the power of ten of its last digit, strips zeros and
  // checks the limits.
  static std::optional<Number> FromDigits(bool negative, std::string digits, int64_t low_exponent,
                                          std::string* error);
  int CompareMagnitude(const Number& other) const;
};

}  // namespace wsgw::dynamodb
