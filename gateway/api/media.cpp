// POST /api/v1/media (multipart field `file`, streamed to disk by the server) and
// GET /api/v1/media/:id.
//
// Unlike the seed (client-declared MIME, public /media/<uuid>.<ext>, size checked after the
// write), the type is sniffed from the content's magic bytes and must be one of the seed's list
// (JPEG, PNG, GIF, WebP, PDF, DOC/XLS, DOCX/XLSX); the size limit is enforced while reading
// (MAX_UPLOAD_MB); files are stored under DATA_DIR/media/<random id> (no client-chosen name or
// extension reaches the file system) and served only to their owner (the uploading user or
// session token, or an admin), with nosniff and `Content-Disposition: attachment` for anything
// that is not an image.
#include <fstream>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "gateway/api/account_routes.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

bool starts_with(const core::Bytes& b, std::string_view magic, size_t at = 0) {
  if (b.size() < at + magic.size()) return false;
  return std::equal(magic.begin(), magic.end(), b.begin() + at,
                    [](char m, uint8_t c) { return static_cast<uint8_t>(m) == c; });
}

std::string lower_ext(const std::string& name) {
  auto dot = name.rfind('.');
  if (dot == std::string::npos) return "";
  std::string e = name.substr(dot + 1);
  for (auto& c : e) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return e;
}

}  // namespace

std::optional<std::string> sniff_media_type(const core::Bytes& head, const std::string& filename) {
  if (starts_with(head, "\xFF\xD8\xFF")) return "image/jpeg";
  if (starts_with(head, "\x89PNG\r\n\x1A\n")) return "image/png";
  if (starts_with(head, "GIF87a") || starts_with(head, "GIF89a")) return "image/gif";
  if (starts_with(head, "RIFF") && starts_with(head, "WEBP", 8)) return "image/webp";
  if (starts_with(head, "%PDF-")) return "application/pdf";
  const std::string ext = lower_ext(filename);
  if (starts_with(head, std::string_view("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8))) {
    return ext == "xls" ? "application/vnd.ms-excel" : "application/msword";
  }
  if (starts_with(head, std::string_view("PK\x03\x04", 4))) {
    if (ext == "docx") {
      return "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
    }
    if (ext == "xlsx") return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
  }
  return std::nullopt;
}

void install_media_routes(http::Router& router, MessagingDeps& deps, std::filesystem::path dir) {
  Services& services = deps.services;

  router.post(
      "/api/v1/media",
      [&services, dir](const RequestPtr& req, Responder respond) {
        const http::UploadedFile* file = req->form ? req->form->file("file") : nullptr;
        if (!file) {
          respond(Response::error_for(*req, 400, "invalid_argument", "No file uploaded."));
          return;
        }
        const auth::Principal& p = auth::principal_of(*req);
        storage::MediaFile record;
        if (p.kind == auth::Principal::Kind::kSessionToken) record.session_id = p.session_scope;
        if (p.is_user()) record.owner_id = p.user_id;
        services.run_blocking(
            [&services, dir, req, record]() mutable -> core::Result<storage::MediaFile> {
              const http::UploadedFile* f = req->form->file("file");
              std::ifstream in(f->path, std::ios::binary);
              core::Bytes data((std::istreambuf_iterator<char>(in)),
                               std::istreambuf_iterator<char>());
              auto mime = sniff_media_type(data, f->filename);
              if (!mime) {
                return core::Status::invalid_argument(
                    "Invalid file type. Allowed: JPEG, PNG, GIF, WebP, PDF, DOC, DOCX, XLS, XLSX.");
              }
              std::error_code ec;
              std::filesystem::create_directories(dir, ec);
              record.id = core::hex_encode(services.random().bytes(16));  // the file name too
              record.path = (dir / record.id).string();
              record.sha256 = core::hex_encode(crypto::sha256(data));
              record.mime = *mime;
              record.size = static_cast<long long>(data.size());
              record.original_name = f->filename;
              CORE_RETURN_IF_ERROR(req->form->keep_file(*f, record.path));
              auto added = services.storage().media().add(record);
              if (!added.ok()) std::filesystem::remove(record.path, ec);
              return added;
            },
            [req, respond = std::move(respond)](core::Result<storage::MediaFile> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              respond(Response::json(201, {{"status", "success"},
                                           {"message", "File uploaded successfully."},
                                           {"mediaId", r->id},
                                           {"mimetype", r->mime},
                                           {"size", r->size},
                                           {"url", "/api/v1/media/" + r->id}}));
            });
      },
      http::RouteOptions().auth_tag("token-or-login").seed().uploads());

  router.get(
      "/api/v1/media/:id",
      [&services](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        services.run_blocking(
            [&services, id] { return services.storage().media().find(id); },
            [req, id, respond = std::move(respond)](
                core::Result<std::optional<storage::MediaFile>> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              if (!*r || !may_use_media(auth::principal_of(*req), **r)) {
                respond(Response::error_for(*req, 404, "not_found", "Media " + id + " not found."));
                return;
              }
              const storage::MediaFile& m = **r;
              Response res;
              res.status = 200;
              res.file = m.path;
              res.header("Content-Type", m.mime);
              res.header("X-Content-Type-Options", "nosniff");
              res.header("Cache-Control", "private, max-age=300");
              if (m.mime.rfind("image/", 0) != 0) {
                std::string name;
                for (char c : m.original_name.value_or(m.id)) {
                  if (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' ||
                      c == '_') {
                    name.push_back(c);
                  }
                }
                if (name.empty()) name = m.id;
                res.header("Content-Disposition", "attachment; filename=\"" + name + "\"");
              }
              respond(std::move(res));
            });
      },
      http::RouteOptions().auth_tag("token-or-login").seed());
}

bool may_use_media(const auth::Principal& p, const storage::MediaFile& m) {
  if (p.is_admin()) return true;
  if (p.kind == auth::Principal::Kind::kSessionToken) {
    return m.session_id && *m.session_id == p.session_scope;
  }
  if (p.is_user()) return m.owner_id && *m.owner_id == p.user_id;
  return false;
}

}  // namespace gw::api
