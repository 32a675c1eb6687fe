// The demo's web pages: files under one folder served for GET/HEAD, with content types by
// extension, "/dir/" meaning "/dir/index.html", and no way out of the folder.
#pragma once

#include <optional>
#include <string>

namespace wsgw {

struct StaticFile {
  std::string contentType;
  std::string body;
};

// `url_path` is the request path (percent-encoded, query already removed). nullopt when there
// is no such file, or the path tries to leave `root`.
std::optional<StaticFile> LoadStaticFile(const std::string& root, const std::string& url_path);

std::string ContentTypeFor(const std::string& path);

}  // namespace wsgw
