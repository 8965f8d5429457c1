#include "gateway/http/static_files.h"

#include <sys/stat.h>

#include <unordered_map>

namespace gw::http {

core::Result<std::filesystem::path> safe_join(const std::filesystem::path& root,
                                              std::string_view url_path) {
  auto decoded = percent_decode(url_path);
  if (!decoded) return core::Status::invalid_argument("malformed percent-escape in path");
  std::string_view p = *decoded;
  std::filesystem::path out = root;
  while (!p.empty()) {
    size_t slash = p.find('/');
    std::string_view seg = p.substr(0, slash);
    p = slash == std::string_view::npos ? std::string_view() : p.substr(slash + 1);
    if (seg.empty()) continue;
    if (seg.front() == '.') {
      return core::Status::invalid_argument("path segments may not start with '.'");
    }
    for (char c : seg) {
      if (c == '\\' || c == '\0' || static_cast<unsigned char>(c) < 0x20) {
        return core::Status::invalid_argument("forbidden character in path");
      }
    }
    out /= std::string(seg);
  }
  return out;
}

std::string_view mime_type_for(const std::filesystem::path& path) {
  static const std::unordered_map<std::string, std::string_view> kTypes = {
      {".html", "text/html; charset=utf-8"},
      {".htm", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json; charset=utf-8"},
      {".map", "application/json; charset=utf-8"},
      {".yaml", "application/yaml; charset=utf-8"},
      {".yml", "application/yaml; charset=utf-8"},
      {".txt", "text/plain; charset=utf-8"},
      {".md", "text/markdown; charset=utf-8"},
      {".csv", "text/csv; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".jpg", "image/jpeg"},
      {".jpeg", "image/jpeg"},
      {".gif", "image/gif"},
      {".webp", "image/webp"},
      {".ico", "image/x-icon"},
      {".woff", "font/woff"},
      {".woff2", "font/woff2"},
      {".ttf", "font/ttf"},
      {".wasm", "application/wasm"},
      {".pdf", "application/pdf"},
  };
  auto it = kTypes.find(to_lower(path.extension().string()));
  return it == kTypes.end() ? std::string_view("application/octet-stream") : it->second;
}

StaticFiles::StaticFiles(std::filesystem::path root, StaticOptions options)
    : root_(std::move(root)), options_(std::move(options)) {
  std::error_code ec;
  canonical_root_ = std::filesystem::canonical(root_, ec);
  if (ec) canonical_root_.clear();
}

bool StaticFiles::available() const {
  std::error_code ec;
  return !canonical_root_.empty() && std::filesystem::is_directory(canonical_root_, ec);
}

std::optional<Response> StaticFiles::serve(const Request& req, std::string_view url_path) const {
  if (!available()) return std::nullopt;
  auto joined = safe_join(canonical_root_, url_path);
  if (!joined.ok()) return std::nullopt;
  std::error_code ec;
  auto path = *joined;
  if (std::filesystem::is_directory(path, ec)) path /= options_.index;
  // Symlinks must stay inside the root.
  auto real = std::filesystem::canonical(path, ec);
  if (ec) return std::nullopt;
  auto rel = real.lexically_relative(canonical_root_);
  if (rel.empty() || *rel.begin() == "..") return std::nullopt;
  struct stat st {};
  if (::stat(real.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;

  const std::string etag = "W/\"" + std::to_string(static_cast<long long>(st.st_size)) + "-" +
                           std::to_string(static_cast<long long>(st.st_mtime)) + "\"";
  char last_modified[64];
  struct tm tm {};
  time_t mtime = st.st_mtime;
  gmtime_r(&mtime, &tm);
  strftime(last_modified, sizeof last_modified, "%a, %d %b %Y %H:%M:%S GMT", &tm);

  Response r;
  auto inm = req.header("if-none-match");
  if (inm && (*inm == etag || *inm == "*" || inm->find(etag) != std::string_view::npos)) {
    r.status = 304;
  } else {
    r.status = 200;
    r.file = real;
    r.headers.set("Content-Type", std::string(mime_type_for(real)));
  }
  r.headers.set("ETag", etag);
  r.headers.set("Last-Modified", last_modified);
  r.headers.set("Cache-Control", options_.cache_control);
  return r;
}

Handler StaticFiles::handler() const {
  return [this](const RequestPtr& req, Responder respond) {
    auto r = serve(*req, req->path);
    if (r) {
      respond(std::move(*r));
    } else {
      respond(Response::error(404, "not_found", "no route for " + req->method + " " + req->path));
    }
  };
}

}  // namespace gw::http
