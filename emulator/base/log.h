// The gateway's log: one line per event, as text for people or as JSON objects for tools.
// Thread-safe; written to stderr so that stdout carries only the ready banner.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace wsgw {

// kTrace is libwebsockets' own lines (and nothing else of wsgw's): below debug, so that
// --log-level debug stays about the gateway's own decisions.
enum class LogLevel { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3, kTrace = 4 };
enum class LogFormat { kText, kJson };

// A field's value is written as a JSON number when `numeric` is set, else as a string.
struct LogField {
  std::string key;
  std::string value;
  bool numeric = false;
};

class Log {
 public:
  // Text lines are colored when `color` (ShouldColor's answer for stderr, by default).
  static void Configure(LogFormat format, LogLevel level);
  static void SetColor(bool color);
  static bool Enabled(LogLevel level);
  static LogFormat format();

  // --log-payloads: how many bytes of each message and answer body the log shows; 0 shows none.
  static void SetPayloadBytes(size_t bytes);
  static size_t payloadBytes();

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

// A log field with a message or answer body, cut at `max_bytes` (on a UTF-8 character
// boundary) with what was left out: `{"action":"se…` + ` (+1234 bytes)`.
LogField Payload(std::string key, std::string_view body, size_t max_bytes);

// The text form of one line (without its newline), as Log::Write writes it at `epoch_ms`;
// `color` wraps the level in ANSI colors (error red, warn yellow, debug and trace grey).
std::string FormatTextLine(LogLevel level, std::string_view msg,
                           const std::vector<LogField>& fields, long long epoch_ms, bool color);

// Whether text on a stream is colored: only on a terminal, never with NO_COLOR set to anything
// but "" (no-color.org) or TERM=dumb.
bool ShouldColor(bool is_terminal, const char* no_color, const char* term);

bool ParseLogLevel(std::string_view text, LogLevel* level);
bool ParseLogFormat(std::string_view text, LogFormat* format);

// "2026-11-21T21:40:00.123Z"
std::string Iso8601Millis(long long epoch_ms);
long long NowEpochMillis();

}  // namespace wsgw
