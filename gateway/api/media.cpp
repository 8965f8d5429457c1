// POST /api/v1/media (multipart field `file`, streamed to disk by the server) and
// GET /api/v1/media/:id.
//
// Unlike the seed (client-declared MIME, public /media/<uuid>.<ext>, size checked after the
// write), the type is sniffed from the content's magic bytes and must be one of the seed's list
// (JPEG, PNG, GIF, WebP, PDF, DOC/XLS, DOCX/XLSX) plus the audio/video types media messages need
// (MP4, Ogg/Opus, MP3, M4A, AAC); the size limit is enforced while reading
// (MAX_UPLOAD_MB); files are stored under DATA_DIR/media/<random id> (no client-chosen name or
// extension reaches the file system) and served only to their owner (the uploading user or
// session token, or an admin), with nosniff and `Content-Disposition: attachment` for anything
// that is not an image.
#include <fstream>

#include "core/encoding.h"
#include "crypto/hash.h"
#include "gateway/api/account_routes.h"
#include "gateway/api/media_fetch.h"
#include "gateway/api/messaging_routes.h"
#include "gateway/auth/principal.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

constexpr std::string_view kInvalidTypeMessage =
    "Invalid file type. Allowed: JPEG, PNG, GIF, WebP, PDF, DOC, DOCX, XLS, XLSX, MP4, OGG/Opus, "
    "MP3, M4A, AAC.";

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
  // Audio and video for audio/ptt, video and sticker messages.
  if (starts_with(head, "OggS")) {
    // The first page of an Ogg Opus stream carries the "OpusHead" packet at offset 28.
    return starts_with(head, "OpusHead", 28) ? "audio/ogg; codecs=opus" : "audio/ogg";
  }
  if (starts_with(head, "ftyp", 4) && head.size() >= 12) {
    const std::string brand(head.begin() + 8, head.begin() + 12);
    if (brand == "M4A " || brand == "M4B ") return "audio/mp4";
    for (const char* b : {"isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "M4V ",
                          "dash", "MSNV", "3gp4", "3gp5", "3gp6"}) {
      if (brand == b) return "video/mp4";
    }
    return std::nullopt;
  }
  if (starts_with(head, "ID3")) return "audio/mpeg";
  if (head.size() >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0) {
    // An MPEG audio frame sync; layer bits 00 mean an AAC ADTS stream instead.
    return ((head[1] >> 1) & 0x3) == 0 ? "audio/aac" : "audio/mpeg";
  }
  return std::nullopt;
}

core::Result<storage::MediaFile> store_media_file(
    Services& services, const std::filesystem::path& dir, storage::MediaFile record,
    const core::Bytes& data, const std::string& file_name,
    const std::function<core::Status(const std::filesystem::path& dest)>& place) {
  auto mime = sniff_media_type(data, file_name);
  if (!mime) return core::Status::invalid_argument(std::string(kInvalidTypeMessage));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  record.id = core::hex_encode(services.random().bytes(16));  // the file name too
  record.path = (dir / record.id).string();
  record.sha256 = core::hex_encode(crypto::sha256(data));
  record.mime = *mime;
  record.size = static_cast<long long>(data.size());
  record.original_name = file_name;
  CORE_RETURN_IF_ERROR(place(record.path));
  auto added = services.storage().media().add(record);
  if (!added.ok()) std::filesystem::remove(record.path, ec);
  return added;
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
              return store_media_file(services, dir, std::move(record), data, f->filename,
                                      [&req, f](const std::filesystem::path& dest) {
                                        return req->form->keep_file(*f, dest);
                                      });
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
      [&services, &mgr = deps.sessions](const RequestPtr& req, Responder respond) {
        const std::string id(req->param("id"));
        services.run_blocking(
            [&services, id] { return services.storage().media().find(id); },
            [req, id, &mgr, respond = std::move(respond)](
                core::Result<std::optional<storage::MediaFile>> r) mutable {
              if (!r.ok()) {
                respond(Response::from_status(*req, r.status()));
                return;
              }
              // Back on the network thread: the session owners come from the manager.
              const auth::Principal& p = auth::principal_of(*req);
              auto owner_of = [&mgr](const std::string& sid) -> std::optional<std::string> {
                auto s = mgr.find(sid);
                return s ? s->owner_id : std::nullopt;
              };
              std::optional<std::string> token_owner, media_owner;
              if (p.kind == auth::Principal::Kind::kSessionToken) {
                token_owner = owner_of(p.session_scope);
              }
              if (*r && (*r)->session_id) media_owner = owner_of(*(*r)->session_id);
              if (!*r || !may_use_media(p, **r, token_owner, media_owner)) {
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

bool may_use_media(const auth::Principal& p, const storage::MediaFile& m,
                   const std::optional<std::string>& token_session_owner,
                   const std::optional<std::string>& media_session_owner) {
  if (p.is_admin()) return true;
  if (p.kind == auth::Principal::Kind::kSessionToken) {
    return (m.session_id && *m.session_id == p.session_scope) ||
           (m.owner_id && token_session_owner && *m.owner_id == *token_session_owner);
  }
  if (p.is_user()) {
    return (m.owner_id && *m.owner_id == p.user_id) ||
           (media_session_owner && *media_session_owner == p.user_id);
  }
  return false;
}

}  // namespace gw::api
