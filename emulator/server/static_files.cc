#include "server/static_files.h"

#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/http_head.h"

namespace wsgw {

std::string ContentTypeFor(const std::string& path) {
  static constexpr std::pair<const char*, const char*> kTypes[] = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},         {".svg", "image/svg+xml"},
      {".png", "image/png"},                 {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"}, {".webmanifest", "application/manifest+json"},
  };
  std::string extension = std::filesystem::path(path).extension().string();
  for (const auto& [suffix, type] : kTypes) {
    if (extension == suffix) return type;
  }
  return "application/octet-stream";
}

std::optional<StaticFile> LoadStaticFile(const std::string& root, const std::string& url_path) {
  // An encoded slash or a backslash names no file a link on a page could; refusing them keeps
  // "one segment" meaning one segment whatever the platform.
  std::string lowered = url_path;
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lowered.find("%2f") != std::string::npos || lowered.find("%5c") != std::string::npos ||
      url_path.find('\\') != std::string::npos) {
    return std::nullopt;
  }
  std::string decoded = PercentDecode(url_path, false);
  if (decoded.empty() || decoded[0] != '/' || decoded.find('\0') != std::string::npos) {
    return std::nullopt;
  }
  std::error_code error;
  std::filesystem::path base = std::filesystem::canonical(root, error);
  if (error) return std::nullopt;
  std::filesystem::path wanted = base / decoded.substr(1);
  if (decoded.back() == '/') wanted /= "index.html";
  // canonical() resolves "..", "." and links, so a file outside the root shows up as one.
  std::filesystem::path resolved = std::filesystem::canonical(wanted, error);
  if (error) return std::nullopt;
  if (std::filesystem::is_directory(resolved, error)) {
    resolved = std::filesystem::canonical(resolved / "index.html", error);
    if (error) return std::nullopt;
  }
  std::string base_text = base.string() + "/";
  if (resolved.string().compare(0, base_text.size(), base_text) != 0) return std::nullopt;
  if (!std::filesystem::is_regular_file(resolved, error)) return std::nullopt;
  std::ifstream in(resolved, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream content;
  content << in.rdbuf();
  return StaticFile{ContentTypeFor(resolved.string()), content.str()};
}

}  // namespace wsgw
