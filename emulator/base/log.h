// The gateway's log: one line per event, as text for people or as JSON objects for tools.
// Thread-safe; written to stderr so that stdout carries only the ready banner.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgw {

enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };
enum class LogFormat { kText, kJson };

// A field's value is written as a JSON number when `numeric` is set, else as a string.
struct LogField {
  std::string key;
  std::string value;
  bool numeric = false;
};

class Log {
 public:
  static void Configure(LogFormat format, LogLevel level);
  static bool Enabled(LogLevel level);
  static LogFormat format();

  // text:  2026-11-21T21:40:00.123Z info  connect connectionId=abc= routeKey=$connect ...
  // json:  {"time":"...","level":"info","msg":"connect","connectionId":"abc=",...}
  static void Write(LogLevel level, std::string_view msg, const std::vector<LogField>& fields = {});

  static void Error(std::string_view msg, const std::vector<LogField>& fields = {}) {
    Write(LogLevel::kError, msg, fields);
  }
  static void Warn(std::string_view msg, const std::vector<LogField>& fields = {}) {
    Write(LogLevel::kWarn, msg, fields);
  }
  static void Info(std::string_view msg, const std::vector<LogField>& fields = {}) {
    Write(LogLevel::kInfo, msg, fields);
  }
  static void Debug(std::string_view msg, const std::vector<LogField>& fields = {}) {
    Write(LogLevel::kDebug, msg, fields);
  }
};

LogField Num(std::string key, double value);
LogField Num(std::string key, long long value);
LogField Str(std::string key, std::string value);

bool ParseLogLevel(std::string_view text, LogLevel* level);
bool ParseLogFormat(std::string_view text, LogFormat* format);

// "2026-11-21T21:40:00.123Z"
std::string Iso8601Millis(long long epoch_ms);
long long NowEpochMillis();

}  // namespace wsgw
