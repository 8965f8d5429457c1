#include "gateway/http/request.h"

#include <nlohmann/json.hpp>

#include <system_error>

#include "gateway/http/router.h"

namespace gw::http {

Form::~Form() {
  for (const auto& f : files) {
    std::error_code ec;
    std::filesystem::remove(f.path, ec);
  }
}

std::optional<std::string_view> Form::field(std::string_view name) const {
  for (const auto& [k, v] : fields) {
    if (k == name) return std::string_view(v);
  }
  return std::nullopt;
}

const UploadedFile* Form::file(std::string_view field_name) const {
  for (const auto& f : files) {
    if (f.field == field_name) return &f;
  }
  return nullptr;
}

core::Status Form::keep_file(const UploadedFile& file, const std::filesystem::path& dest) {
  for (auto it = files.begin(); it != files.end(); ++it) {
    if (&*it != &file && it->path != file.path) continue;
    std::error_code ec;
    std::filesystem::rename(it->path, dest, ec);
    if (ec) {
      // Different file systems: copy, then drop the temporary file.
      std::filesystem::copy_file(it->path, dest, std::filesystem::copy_options::overwrite_existing,
                                 ec);
      if (ec) return core::Status::internal("cannot store upload: " + ec.message());
      std::filesystem::remove(it->path, ec);
    }
    files.erase(it);
    return core::Status();
  }
  return core::Status::not_found("upload is not part of this form");
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  for (const auto& [k, v] : query) {
    if (k == name) return v;
  }
  return std::nullopt;
}

std::string_view Request::param(std::string_view name) const {
  auto it = params.find(name);
  return it == params.end() ? std::string_view() : std::string_view(it->second);
}

std::optional<std::string> Request::cookie(std::string_view name) const {
  for (auto header : headers.get_all("cookie")) {
    for (auto& [k, v] : parse_cookies(header)) {
      if (k == name) return v;
    }
  }
  return std::nullopt;
}

const RouteOptions& Request::options() const {
  static const RouteOptions kDefaults;
  return route ? *route : kDefaults;
}

core::Status Request::parse_json(nlohmann::json& out) const {
  if (body.empty()) return core::Status::invalid_argument("request body is empty; expected JSON");
  try {
    out = nlohmann::json::parse(body);
  } catch (const nlohmann::json::parse_error& e) {
    return core::Status::invalid_argument(std::string("request body is not valid JSON: ") +
                                          e.what());
  }
  return core::Status();
}

void Request::set_target(std::string raw_target) {
  target = std::move(raw_target);
  size_t q = target.find('?');
  path = target.substr(0, q);
  query_string = q == std::string::npos ? std::string() : target.substr(q + 1);
  size_t hash = query_string.find('#');
  if (hash != std::string::npos) query_string.resize(hash);
  query = parse_query(query_string);
}

}  // namespace gw::http
