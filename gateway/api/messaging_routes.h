// The messaging REST routes (seed-system.md §2.3, §2.4, §10, §11), one file per resource:
//   sessions.cpp   POST/GET /api/v1/sessions, GET/DELETE /api/v1/sessions/:id,
//                  GET /api/v1/sessions/:id/qr, POST …/:id/pairing-code, …/:id/logout,
//                  …/:id/token/rotate, …/:id/sandbox/scan (sandbox only)
//   messages.cpp   POST /api/v1/messages?sessionId= (every type, parsed in message_parse.cpp),
//                  GET /api/v1/messages/:id?sessionId=
//   message_delete.cpp  DELETE /api/v1/message (revoke)
//   webhook.cpp    POST/GET/DELETE /api/v1/webhook, POST /api/v1/webhook/replay
//   legacy.cpp     POST /api/send-message, POST /api/message
//   groups.cpp     GET/POST /api/v1/groups, GET /api/v1/groups/:jid, POST …/:jid/participants,
//                  POST …/:jid/leave
//   contacts.cpp   GET /api/v1/contacts/check
// and install_messaging_components() (messaging_components.cpp), which builds the webhook
// pipeline (settings, publisher, delivery worker), the sandbox when enabled, and the
// SessionManager, then installs the routes above.
//
// Access: every route that names a session uses the "session-access" auth tag, so the auth
// middleware checks the token scope / owner / admin before the handler runs (seed holes 17.1.x:
// tokens are never listed, a token acts only on its own session, creation is never open).
//
// Ownership: MessagingDeps borrows long-lived objects that outlive the router.
// Threading: handlers start on the network thread (the SessionManager's thread); SQL goes
// through Services::run_blocking.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "core/status.h"
#include "gateway/auth/activity.h"
#include "gateway/auth/auth.h"
#include "gateway/http/router.h"
#include "gateway/live/hub.h"
#include "gateway/sessions/sandbox.h"
#include "gateway/sessions/session_manager.h"
#include "gateway/webhooks/webhook_settings.h"
#include "storage/webhook_queries.h"

namespace gw {
class Services;
class ServeContext;
namespace config {
struct Config;
}
}  // namespace gw

namespace gw::api {

class MediaFetcher;  // media_fetch.h

struct MessagingDeps {
  Services& services;
  auth::AuthService& auth;
  auth::ActivityLog& activity;
  live::LiveHub& hub;
  sessions::SessionManager& sessions;
  webhooks::WebhookSettings& webhook_settings;
  storage::WebhookQueries& webhook_queries;
  sessions::Sandbox* sandbox;  // null outside sandbox mode
  bool master_key_configured;
  MediaFetcher* media_fetcher = nullptr;  // downloads `link` media (null: links refused)
};

void install_sessions_routes(http::Router& router, MessagingDeps& deps);
void install_messages_routes(http::Router& router, MessagingDeps& deps);
void install_webhook_routes(http::Router& router, MessagingDeps& deps);
void install_legacy_routes(http::Router& router, MessagingDeps& deps);
// groups.cpp: GET/POST /api/v1/groups, GET /api/v1/groups/:jid, POST …/:jid/participants,
// POST …/:jid/leave (all ?sessionId=).
void install_groups_routes(http::Router& router, MessagingDeps& deps);
// contacts.cpp: GET /api/v1/contacts/check?sessionId=&numbers=
void install_contacts_routes(http::Router& router, MessagingDeps& deps);

// Builds the webhook pipeline, the sandbox (SANDBOX=1 / --sandbox), the SessionManager
// (restoring stored sessions) and installs the routes. Needs install_auth_components() first.
core::Status install_messaging_components(ServeContext& ctx);

// The session `id` if it exists and the caller may use it (owner, admin, its token, the master
// key); nullopt otherwise — both cases answer the same 404, so ids cannot be probed.
std::optional<sessions::SessionSnapshot> accessible_session(const sessions::SessionManager& mgr,
                                                            const http::Request& req,
                                                            const std::string& id);

// The seed's session id normalisation: trim, then every whitespace run becomes '_'.
std::string normalize_session_id(std::string_view raw);

// The chat JID for a seed message's `to` and `recipient_type` ("individual" | "group"):
// digits (an optional leading '+', spaces and dashes ignored) → "<digits>@s.whatsapp.net";
// "<id>@g.us" or recipient_type "group" → "<id>@g.us"; a full user JID is kept.
// InvalidArgument with a user-facing message otherwise.
core::Result<std::string> recipient_jid(std::string_view to, std::string_view recipient_type);

// One message object of POST /api/v1/messages (message_parse.cpp) → what the manager sends:
// {to, type, recipient_type?, quoted?, mentions?, <type>: {…}} for the types text, image, video,
// audio (ptt), document, sticker, location, contact, reaction and edit. Media come as `id`
// (POST /api/v1/media) or `link` (OutgoingMedia::link, fetched by the route before sending);
// `quoted` and the reaction / edit target are message ids resolved by SessionManager::send.
// InvalidArgument with a user-facing message for every malformed field.
core::Result<sessions::OutgoingMessage> parse_message(const nlohmann::json& item);
// The revoke ("delete for everyone") of a message this session sent in chat_jid.
sessions::OutgoingMessage revoke_message(const std::string& chat_jid,
                                         const std::string& message_id);
// message_delete.cpp: DELETE /api/v1/message {sessionId, messageId, remoteJid} (seed §2.3).
void install_message_delete_route(http::Router& router, MessagingDeps& deps);

// media.cpp: POST /api/v1/media, GET /api/v1/media/:id (files under `dir`).
void install_media_routes(http::Router& router, MessagingDeps& deps, std::filesystem::path dir);
// The MIME type of an upload from its first bytes (and, for OOXML/OLE containers, the file
// name's extension); nullopt when it is not one of the accepted types.
std::optional<std::string> sniff_media_type(const core::Bytes& head, const std::string& filename);
// Uploaded media belong to the uploading session token / user, and so to the session's owner
// and the owner's sessions (the rule the send path applies); admins may use everything.
// `token_session_owner`: the owner of the caller token's session; `media_session_owner`: the
// owner of the session the file was uploaded with (both looked up by the caller).
bool may_use_media(const auth::Principal& p, const storage::MediaFile& m,
                   const std::optional<std::string>& token_session_owner = std::nullopt,
                   const std::optional<std::string>& media_session_owner = std::nullopt);

inline constexpr size_t kMaxTextLength = 4096;
inline constexpr size_t kMaxMessagesPerRequest = 100;
inline constexpr size_t kMaxMentions = 50;

}  // namespace gw::api
