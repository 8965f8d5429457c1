// GET /api/v1/contacts/check?sessionId=S&numbers=15551234567,4915112345678
// Whether each number is on WhatsApp, with its JID and LID, through one usync contact query of
// the session's client (wa::client::build_contact_check_query). Up to 50 numbers; every entry
// must be a phone number (a bad one fails the whole request with 400 naming it).
#include <algorithm>

#include "core/encoding.h"
#include "gateway/api/group_contact_common.h"
#include "gateway/services.h"

namespace gw::api {
namespace {

using http::RequestPtr;
using http::Responder;
using http::Response;

constexpr size_t kMaxNumbersPerCheck = 50;

struct Input {
  std::string raw;
  std::string number;
};

core::Result<std::vector<Input>> parse_numbers(const std::optional<std::string>& param) {
  if (!param || param->find_first_not_of(" ,") == std::string::npos) {
    return core::Status::invalid_argument("numbers query parameter is required");
  }
  std::vector<Input> out;
  std::string_view rest = *param;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (item.empty()) continue;
    if (out.size() == kMaxNumbersPerCheck) {
      return core::Status::invalid_argument("at most 50 numbers per request");
    }
    CORE_ASSIGN_OR_RETURN(std::string number, wa::client::normalize_phone_number(item));
    out.push_back(Input{std::string(item), std::move(number)});
  }
  return out;
}

}  // namespace

void install_contacts_routes(http::Router& router, MessagingDeps& deps) {
  router.get(
      "/api/v1/contacts/check",
      [&deps](const RequestPtr& req, Responder respond) {
        auto ctx = session_client(deps, *req);
        if (!ctx.ok()) return respond(ctx.status_response);
        auto inputs = parse_numbers(req->query_param("numbers"));
        if (!inputs.ok()) return respond(Response::from_status(*req, inputs.status()));
        std::vector<std::string> unique;
        for (const auto& in : *inputs) {
          if (std::find(unique.begin(), unique.end(), in.number) == unique.end()) {
            unique.push_back(in.number);
          }
        }
        auto shared = share(std::move(respond));
        const std::string sid = core::hex_encode(deps.services.random().bytes(8));
        ctx.client->query(
            wa::client::build_contact_check_query(unique, sid),
            [req, shared, unique, inputs = std::move(*inputs),
             client = ctx.client](core::Result<wa::binary::Node> r) {
              auto checks = r.ok()
                                ? wa::client::parse_contact_check(*r, unique)
                                : core::Result<std::vector<wa::client::ContactCheck>>(r.status());
              if (!checks.ok()) return (*shared)(client_error(*req, checks.status(), "contacts"));
              nlohmann::json contacts = nlohmann::json::array();
              for (const auto& in : inputs) {
                const auto it = std::find_if(checks->begin(), checks->end(),
                                             [&](const auto& c) { return c.number == in.number; });
                const bool exists = it != checks->end() && it->exists;
                contacts.push_back({{"input", in.raw},
                                    {"number", in.number},
                                    {"exists", exists},
                                    {"jid", exists ? nlohmann::json(it->jid) : nlohmann::json()},
                                    {"lid", exists && !it->lid.empty() ? nlohmann::json(it->lid)
                                                                       : nlohmann::json()}});
              }
              (*shared)(
                  Response::json(200, {{"status", "success"}, {"contacts", std::move(contacts)}}));
            });
      },
      http::RouteOptions().auth_tag("session-access").seed());
}

}  // namespace gw::api
