#include "base/log.h"

#include <json/json.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <mutex>

#include "base/json.h"

namespace wsgw {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<int> g_format{static_cast<int>(LogFormat::kText)};
std::mutex g_write_mutex;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
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

void Log::Configure(LogFormat format, LogLevel level) {
  g_format = static_cast<int>(format);
  g_level = static_cast<int>(level);
}

bool Log::Enabled(LogLevel level) { return static_cast<int>(level) <= g_level.load(); }

LogFormat Log::format() { return static_cast<LogFormat>(g_format.load()); }

void Log::Write(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
  if (!Enabled(level)) return;
  std::string line;
  if (format() == LogFormat::kJson) {
    line = JsonLine(level, msg, fields);
  } else {
    line = Iso8601Millis(NowEpochMillis());
    line += ' ';
    std::string name = LevelName(level);
    name.resize(5, ' ');
    line += name;
    line += ' ';
    line += msg;
    for (const LogField& field : fields) {
      line += ' ';
      line += field.key;
      line += '=';
      line += TextValue(field.value);
    }
  }
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
      {"info", LogLevel::kInfo},   {"debug", LogLevel::kDebug}};
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
