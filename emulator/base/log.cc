#include "base/log.h"

#include <json/json.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>

#include <unistd.h>

#include "base/json.h"

namespace wsgw {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::atomic<bool> g_color{false};
std::atomic<size_t> g_payload_bytes{0};
std::mutex g_write_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
    case LogLevel::kTrace: return "trace";
  }
  return "info";
}

std::string JsonLine(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
  Json::Value line(Json::objectValue);
  line["time"] = Iso8601Millis(NowEpochMillis());
  line["level"] = LevelName(level);
  line["msg"] = std::string(msg);
  for (const LogField& field : fields) {
    if (field.numeric) {
      double value = std::strtod(field.value.c_str(), nullptr);
      if (value == std::floor(value) && std::fabs(value) < 9e15) {
        line[field.key] = static_cast<Json::Int64>(value);
      } else {
        line[field.key] = value;
      }
    } else {
      line[field.key] = field.value;
    }
  }
  return CompactJsonRounded(line, 3);
}

// Values with spaces or quotes are quoted so that a line stays splittable on spaces.
std::string TextValue(const std::string& value) {
  if (!value.empty() && value.find_first_of(" \"\t\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') quoted += '\\';
    if (c == '\n') {
      quoted += "\\n";
      continue;
    }
    quoted += c;
  }
  return quoted + "\"";
}

}  // namespace

namespace {

const char* LevelColor(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "\033[31m";
    case LogLevel::kWarn: return "\033[33m";
    case LogLevel::kInfo: return "\033[32m";
    case LogLevel::kDebug:
    case LogLevel::kTrace: return "\033[90m";
  }
  return "";
}

}  // namespace

void Log::Configure(LogFormat format, LogLevel level) {
  g_format = static_cast<int>(format);
  g_level = static_cast<int>(level);
  g_color = format == LogFormat::kText &&
            ShouldColor(isatty(STDERR_FILENO) == 1, std::getenv("NO_COLOR"), std::getenv("TERM"));
}

void Log::SetColor(bool color) { g_color = color; }

void Log::SetPayloadBytes(size_t bytes) { g_payload_bytes = bytes; }

size_t Log::payloadBytes() { return g_payload_bytes.load(); }

bool ShouldColor(bool is_terminal, const char* no_color, const char* term) {
  if (!is_terminal) return false;
  if (no_color != nullptr && *no_color != '\0') return false;
  return term == nullptr || std::string_view(term) != "dumb";
}

std::string FormatTextLine(LogLevel level, std::string_view msg,
                           const std::vector<LogField>& fields, long long epoch_ms, bool color) {
  std::string line = Iso8601Millis(epoch_ms);
  line += ' ';
  std::string name = LevelName(level);
  name.resize(5, ' ');
  if (color) {
    line += LevelColor(level);
    line += name;
    line += "\033[0m";
  } else {
    line += name;
  }
  line += ' ';
  line += msg;
  for (const LogField& field : fields) {
    line += ' ';
    line += field.key;
    line += '=';
    line += TextValue(field.value);
  }
  return line;
}

LogField Payload(std::string key, std::string_view body, size_t max_bytes) {
  if (body.size() <= max_bytes) return Str(std::move(key), std::string(body));
  size_t cut = max_bytes;
  // Back to the start of a UTF-8 character, so that the shown part stays valid text.
  while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  std::string shown(body.substr(0, cut));
  shown += "\xE2\x80\xA6 (+" + std::to_string(body.size() - cut) + " bytes)";
  return Str(std::move(key), std::move(shown));
}



bool Log::Enabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(); }

LogFormat Log::format() { return static_cast<LogFormat>(g_format.load()); }

void Log::Write(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
  if (!Enabled(level)) return;
  std::string line = format() == LogFormat::kJson
                         ? JsonLine(level, msg, fields)
                         : FormatTextLine(level, msg, fields, NowEpochMillis(), g_color.load());
  line += '\n';
  std::lock_guard<std::mutex> lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

LogField Num(std::string key, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.1f", std::isfinite(value) ? value : 0.0);
  return LogField{std::move(key), buffer, true};
}

LogField Num(std::string key, long long value) {
  return LogField{std::move(key), std::to_string(value), true};
}

LogField Str(std::string key, std::string value) {
  return LogField{std::move(key), std::move(value), false};
}

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  static constexpr std::pair<std::string_view, LogLevel> kLevels[] = {
      {"error", LogLevel::kError}, {"warn", LogLevel::kWarn},
      {"info", LogLevel::kInfo},   {"debug", LogLevel::kDebug}, {"trace", LogLevel::kTrace}};
  for (const auto& [name, value] : kLevels) {
    if (text == name) {
      *level = value;
      return true;
    }
  }
  return false;
}

bool ParseLogFormat(std::string_view text, LogFormat* format) {
  if (text == "text") {
    *format = LogFormat::kText;
    return true;
  }
  if (text == "json") {
    *format = LogFormat::kJson;
    return true;
  }
  return false;
}

std::string Iso8601Millis(long long epoch_ms) {
  std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return buffer;
}

long long NowEpochMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace wsgw
