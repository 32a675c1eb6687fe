#include "dynamodb/number.h"

#include <algorithm>
#include <cstdlib>

namespace wsgw::dynamodb {
namespace {

constexpr int kMaxDigits = 38;
constexpr int kMaxExponent = 125;
constexpr int kMinExponent = -130;
// Exponents beyond this are clamped while parsing; they are far outside the range anyway.
constexpr int64_t kExponentClamp = 1'000'000'000;

constexpr char kNotNumeric[] = "The parameter cannot be converted to a numeric value";
constexpr char kOverflow[] =
    "Number overflow. Attempting to store a number with magnitude larger than supported range";
constexpr char kUnderflow[] =
    "Number underflow. Attempting to store a number with magnitude smaller than supported range";
constexpr char kTooManyDigits[] = "Attempting to store more than 38 significant digits in a Number";

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

void SetError(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
}

// Digit strings of equal length, most significant first.
std::string AddDigits(const std::string& a, const std::string& b) {
  std::string sum(a.size() + 1, '0');
  int carry = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = (a[i] - '0') + (b[i] - '0') + carry;
    sum[i + 1] = static_cast<char>('0' + d % 10);
    carry = d / 10;
  }
  sum[0] = static_cast<char>('0' + carry);
  return sum;
}

// a - b for equal-length digit strings with a >= b.
std::string SubtractDigits(const std::string& a, const std::string& b) {
  std::string difference(a.size(), '0');
  int borrow = 0;
  for (size_t i = a.size(); i-- > 0;) {
    int d = (a[i] - '0') - (b[i] - '0') - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 10;
    difference[i] = static_cast<char>('0' + d);
  }
  return difference;
}

}  // namespace

std::optional<Number> Number::Parse(std::string_view text, std::string* error) {
  auto not_numeric = [&]() -> std::optional<Number> {
    SetError(error, text.empty() ? std::string(kNotNumeric)
                                 : std::string(kNotNumeric) + ": " + std::string(text));
    return std::nullopt;
  };
  size_t pos = 0;
  bool negative = false;
  if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    negative = text[pos] == '-';
    ++pos;
  }
  std::string digits;
  int64_t fraction_digits = 0;
  bool seen_point = false;
  for (; pos < text.size(); ++pos) {
    char c = text[pos];
    if (IsDigit(c)) {
      digits.push_back(c);
      if (seen_point) ++fraction_digits;
    } else if (c == '.' && !seen_point) {
      seen_point = true;
    } else {
      break;
    }
  }
  if (digits.empty()) return not_numeric();
  int64_t exponent = 0;
  if (pos < text.size() && (text[pos] == 'e' || text[pos] == 'E')) {
    ++pos;
    bool exponent_negative = false;
    if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
      exponent_negative = text[pos] == '-';
      ++pos;
    }
    if (pos == text.size() || !IsDigit(text[pos])) return not_numeric();
    for (; pos < text.size() && IsDigit(text[pos]); ++pos) {
      exponent = std::min<int64_t>(exponent * 10 + (text[pos] - '0'), kExponentClamp);
    }
    if (exponent_negative) exponent = -exponent;
  }
  if (pos != text.size()) return not_numeric();
  return FromDigits(negative, std::move(digits), exponent - fraction_digits, error);
}

std::optional<Number> Number::FromDigits(bool negative, std::string digits, int64_t low_exponent,
                                         std::string* error) {
  size_t first = digits.find_first_not_of('0');
  if (first == std::string::npos) return Number();
  size_t last = digits.find_last_not_of('0');
  low_exponent += static_cast<int64_t>(digits.size() - 1 - last);
  Number number;
  number.negative_ = negative;
  number.digits_ = digits.substr(first, last - first + 1);
  int64_t exponent = low_exponent + static_cast<int64_t>(number.digits_.size()) - 1;
  if (exponent > kMaxExponent) {
    SetError(error, kOverflow);
    return std::nullopt;
  }
  if (exponent < kMinExponent) {
    SetError(error, kUnderflow);
    return std::nullopt;
  }
  if (number.digits_.size() > kMaxDigits) {
    SetError(error, kTooManyDigits);
    return std::nullopt;
  }
  number.exponent_ = static_cast<int>(exponent);
  return number;
}

Number Number::FromInt64(int64_t value) {
  std::string digits;
  uint64_t magnitude = value < 0 ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  digits = std::to_string(magnitude);
  return *FromDigits(value < 0, digits, 0, nullptr);
}

std::string Number::ToString() const {
  if (is_zero()) return "0";
  std::string out = negative_ ? "-" : "";
  const int length = static_cast<int>(digits_.size());
  if (exponent_ < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent_ - 1), '0');
    out += digits_;
  } else if (exponent_ + 1 >= length) {
    out += digits_;
    out.append(static_cast<size_t>(exponent_ + 1 - length), '0');
  } else {
    out.append(digits_, 0, static_cast<size_t>(exponent_ + 1));
    out += '.';
    out.append(digits_, static_cast<size_t>(exponent_ + 1));
  }
  return out;
}

int Number::CompareMagnitude(const Number& other) const {
  if (is_zero() || other.is_zero()) return (is_zero() ? 0 : 1) - (other.is_zero() ? 0 : 1);
  if (exponent_ != other.exponent_) return exponent_ < other.exponent_ ? -1 : 1;
  int c = digits_.compare(other.digits_);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

int Number::Compare(const Number& other) const {
  auto sign = [](const Number& n) { return n.is_zero() ? 0 : (n.negative_ ? -1 : 1); };
  int a = sign(*this), b = sign(other);
  if (a != b) return a < b ? -1 : 1;
  int magnitude = CompareMagnitude(other);
  return a < 0 ? -magnitude : magnitude;
}

std::optional<Number> Number::Add(const Number& other, std::string* error) const {
  if (other.is_zero()) return *this;
  if (is_zero()) return other;
  // Align both digit strings on the lower of the two last-digit exponents and the higher of the
  // two leading-digit exponents.
  const int low_a = exponent_ - static_cast<int>(digits_.size()) + 1;
  const int low_b = other.exponent_ - static_cast<int>(other.digits_.size()) + 1;
  const int low = std::min(low_a, low_b);
  const int high = std::max(exponent_, other.exponent_);
  auto aligned = [&](const Number& n, int n_low) {
    std::string s(static_cast<size_t>(high - n.exponent_), '0');
    s += n.digits_;
    s.append(static_cast<size_t>(n_low - low), '0');
    return s;
  };
  std::string a = aligned(*this, low_a);
  std::string b = aligned(other, low_b);
  if (negative_ == other.negative_) return FromDigits(negative_, AddDigits(a, b), low, error);
  int magnitude = CompareMagnitude(other);
  if (magnitude == 0) return Number();
  if (magnitude > 0) return FromDigits(negative_, SubtractDigits(a, b), low, error);
  return FromDigits(other.negative_, SubtractDigits(b, a), low, error);
}

std::optional<Number> Number::Subtract(const Number& other, std::string* error) const {
  Number negated = other;
  if (!negated.is_zero()) negated.negative_ = !negated.negative_;
  return Add(negated, error);
}

std::string Number::OrderedKey() const {
  if (is_zero()) return std::string(1, '\x02');
  std::string key;
  key.reserve(digits_.size() + 3);
  const int biased = exponent_ - kMinExponent;  // 0 .. 255
  if (negative_) {
    key.push_back('\x01');
    key.push_back(static_cast<char>(255 - biased));
    for (char d : digits_) key.push_back(static_cast<char>('0' + ('9' - d)));
    key.push_back('\x3a');
  } else {
    key.push_back('\x03');
    key.push_back(static_cast<char>(static_cast<unsigned char>(biased)));
    key += digits_;
    key.push_back('\x00');
  }
  return key;
}

}  // namespace wsgw::dynamodb
