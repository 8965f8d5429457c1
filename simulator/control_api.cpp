#include "simulator/control_api.h"

#include <charconv>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

namespace sim {
namespace {

using Json = nlohmann::json;

HttpResponse json_response(int status, const Json& body) {
  HttpResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

std::string_view code_slug(core::StatusCode code) {
  switch (code) {
    case core::StatusCode::kOk:
      return "ok";
    case core::StatusCode::kInvalidArgument:
      return "invalid_argument";
    case core::StatusCode::kOutOfRange:
      return "out_of_range";
    case core::StatusCode::kNotFound:
      return "not_found";
    case core::StatusCode::kAlreadyExists:
      return "already_exists";
    case core::StatusCode::kPermissionDenied:
      return "permission_denied";
    case core::StatusCode::kUnauthenticated:
      return "unauthenticated";
    case core::StatusCode::kFailedPrecondition:
      return "failed_precondition";
    case core::StatusCode::kDeadlineExceeded:
      return "deadline_exceeded";
    case core::StatusCode::kUnavailable:
      return "unavailable";
    case core::StatusCode::kUnimplemented:
      return "unimplemented";
    case core::StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

bool mentions_expired(const core::Status& status) {
  return status.message().find("expired") != std::string::npos;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decodes one path segment; nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return std::nullopt;
    int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return out;
}

// "/control/accounts/123/scan?x=y" → {"control", "accounts", "123", "scan"}.
std::optional<std::vector<std::string>> split_path(std::string_view target) {
  auto q = target.find('?');
  if (q != std::string_view::npos) target = target.substr(0, q);
  std::vector<std::string> parts;
  size_t pos = 0;
  while (pos < target.size()) {
    if (target[pos] == '/') {
      ++pos;
      continue;
    }
    size_t end = target.find('/', pos);
    if (end == std::string_view::npos) end = target.size();
    auto seg = percent_decode(target.substr(pos, end - pos));
    if (!seg) return std::nullopt;
    parts.push_back(std::move(*seg));
    pos = end;
  }
  return parts;
}

// Parses the body as a JSON object (an empty body is {}).
core::Result<Json> parse_body(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return Json::object();
  Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return core::Status::invalid_argument("request body is not valid JSON");
  if (!j.is_object()) return core::Status::invalid_argument("request body must be a JSON object");
  return j;
}

// A string member: nullopt when absent; InvalidArgument when present but not a string.
core::Result<std::optional<std::string>> opt_string(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<std::string>();
  if (!it->is_string()) {
    return core::Status::invalid_argument(std::string("\"") + key + "\" must be a string");
  }
  return std::optional<std::string>(it->get<std::string>());
}

core::Result<std::string> req_string(const Json& j, const char* key) {
  CORE_ASSIGN_OR_RETURN(auto v, opt_string(j, key));
  if (!v || v->empty()) {
    return core::Status::invalid_argument(std::string("\"") + key + "\" is required");
  }
  return *v;
}

core::Result<std::optional<int>> opt_int(const Json& j, const char* key, int min, int max) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::optional<int>();
  if (!it->is_number_integer()) {
    return core::Status::invalid_argument(std::string("\"") + key + "\" must be an integer");
  }
  auto v = it->get<int64_t>();
  if (v < min || v > max) {
    return core::Status::out_of_range(std::string("\"") + key + "\" must be in [" +
                                      std::to_string(min) + ", " + std::to_string(max) + "]");
  }
  return std::optional<int>(static_cast<int>(v));
}

std::string_view virtual_name(VirtualKind k) {
  switch (k) {
    case VirtualKind::kEcho:
      return "echo";
    case VirtualKind::kSilent:
      return "silent";
    case VirtualKind::kNone:
      break;
  }
  return "";
}

Json account_json(const AccountInfo& a, bool with_devices) {
  Json j{{"phone", a.phone}, {"lid", a.lid}, {"name", a.name}};
  if (a.virtual_kind != VirtualKind::kNone) {
    j["virtual"] = virtual_name(a.virtual_kind);
  } else {
    j["virtual"] = nullptr;
  }
  if (with_devices) {
    Json devices = Json::array();
    for (const auto& d : a.devices) {
      devices.push_back({{"id", d.id}, {"jid", d.jid}, {"online", d.online}});
    }
    j["devices"] = std::move(devices);
  }
  return j;
}

// The async routes (scan, pair-code) answer through the core's callback.
std::function<void(core::Result<std::string>)> linked_callback(Responder respond) {
  return [respond = std::move(respond)](core::Result<std::string> r) {
    if (!r.ok()) return respond(error_response(r.status()));
    respond(json_response(200, Json{{"device_jid", *r}}));
  };
}

}  // namespace

int http_status_for(const core::Status& status) {
  switch (status.code()) {
    case core::StatusCode::kOk:
      return 200;
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kOutOfRange:
      return 400;
    case core::StatusCode::kUnauthenticated:
      return 401;
    case core::StatusCode::kPermissionDenied:
      return 403;
    case core::StatusCode::kNotFound:
      return 404;
    case core::StatusCode::kAlreadyExists:
      return 409;
    case core::StatusCode::kFailedPrecondition:
      return mentions_expired(status) ? 410 : 409;
    case core::StatusCode::kUnimplemented:
      return 501;
    case core::StatusCode::kUnavailable:
      return 503;
    case core::StatusCode::kDeadlineExceeded:
      return 504;
    case core::StatusCode::kInternal:
      return 500;
  }
  return 500;
}

HttpResponse json_error(int http_status, const std::string& code, const std::string& message) {
  return json_response(http_status, Json{{"error", {{"code", code}, {"message", message}}}});
}

HttpResponse error_response(const core::Status& status) {
  std::string code(code_slug(status.code()));
  if (status.code() == core::StatusCode::kFailedPrecondition && mentions_expired(status)) {
    code = "expired";
  }
  return json_error(http_status_for(status), code, status.message());
}

void ControlApi::handle(const HttpRequest& req, Responder respond) {
  auto path = split_path(req.target);
  if (!path) return respond(json_error(400, "invalid_argument", "malformed percent-escape"));
  const auto& p = *path;
  const std::string& m = req.method;
  auto method_not_allowed = [&] {
    respond(json_error(405, "method_not_allowed", m + " is not allowed on " + req.target));
  };
  if (p.empty() || p[0] != "control") {
    return respond(json_error(404, "not_found", "no route " + req.target));
  }

  auto body_or_error = [&]() -> std::optional<Json> {
    auto b = parse_body(req.body);
    if (!b.ok()) {
      respond(error_response(b.status()));
      return std::nullopt;
    }
    return std::move(*b);
  };

  // /control/info
  if (p.size() == 2 && p[1] == "info") {
    if (m != "GET") return method_not_allowed();
    return respond(json_response(200, Json{{"ws_url", info_.ws_url},
                                           {"media_url", info_.media_url},
                                           {"control_url", info_.control_url},
                                           {"root_key", info_.root_key_hex},
                                           {"media_ca_pem", info_.media_ca_pem}}));
  }

  // /control/stats
  if (p.size() == 2 && p[1] == "stats") {
    if (m != "GET") return method_not_allowed();
    Stats s = sim_.stats();
    return respond(json_response(200, Json{{"connections_open", s.connections_open},
                                           {"connections_total", s.connections_total},
                                           {"frames_in", s.frames_in},
                                           {"frames_out", s.frames_out},
                                           {"messages_routed", s.messages_routed},
                                           {"messages_queued", s.messages_queued}}));
  }

  // /control/faults
  if (p.size() == 2 && p[1] == "faults") {
    if (m != "POST") return method_not_allowed();
    auto body = body_or_error();
    if (!body) return;
    Fault f;
    auto kind = req_string(*body, "kind");
    if (!kind.ok()) return respond(error_response(kind.status()));
    if (*kind == "drop") {
      f.kind = Fault::Kind::kDrop;
    } else if (*kind == "stream_error") {
      f.kind = Fault::Kind::kStreamError;
      f.code = 503;
    } else if (*kind == "delay") {
      f.kind = Fault::Kind::kDelay;
    } else if (*kind == "reject_login") {
      f.kind = Fault::Kind::kRejectLogin;
      f.code = 401;
    } else {
      return respond(json_error(400, "invalid_argument",
                                "\"kind\" must be drop, stream_error, delay or reject_login"));
    }
    auto phone = opt_string(*body, "phone");
    auto code = opt_int(*body, "code", 100, 999);
    auto ms = opt_int(*body, "ms", 0, 600000);
    auto count = opt_int(*body, "count", 1, 1000000);
    for (const core::Status& s : {phone.status(), code.status(), ms.status(), count.status()}) {
      if (!s.ok()) return respond(error_response(s));
    }
    f.phone = *phone;
    if (*code) f.code = **code;
    if (*ms) f.ms = **ms;
    if (*count) f.count = **count;
    if (f.kind == Fault::Kind::kDelay && f.ms <= 0) {
      return respond(json_error(400, "invalid_argument", "a delay fault needs \"ms\" > 0"));
    }
    sim_.add_fault(f);
    return respond(json_response(200, Json{{"added", true}}));
  }

  if (p.size() < 2 || p[1] != "accounts") {
    return respond(json_error(404, "not_found", "no route " + req.target));
  }

  // /control/accounts
  if (p.size() == 2) {
    if (m == "GET") {
      Json list = Json::array();
      for (const auto& a : sim_.list_accounts()) list.push_back(account_json(a, true));
      return respond(json_response(200, Json{{"accounts", std::move(list)}}));
    }
    if (m != "POST") return method_not_allowed();
    auto body = body_or_error();
    if (!body) return;
    auto phone = req_string(*body, "phone");
    if (!phone.ok()) return respond(error_response(phone.status()));
    auto name = opt_string(*body, "name");
    if (!name.ok()) return respond(error_response(name.status()));
    auto virt = opt_string(*body, "virtual");
    if (!virt.ok()) return respond(error_response(virt.status()));
    VirtualKind kind = VirtualKind::kNone;
    if (*virt) {
      if (**virt == "echo") {
        kind = VirtualKind::kEcho;
      } else if (**virt == "silent") {
        kind = VirtualKind::kSilent;
      } else {
        return respond(json_error(400, "invalid_argument", "\"virtual\" must be echo or silent"));
      }
    }
    auto created = sim_.create_account(*phone, name->value_or(""), kind);
    if (!created.ok()) return respond(error_response(created.status()));
    return respond(json_response(201, account_json(*created, false)));
  }

  const std::string& phone = p[2];
  // /control/accounts/{phone}
  if (p.size() == 3) {
    if (m != "GET") return method_not_allowed();
    for (const auto& a : sim_.list_accounts()) {
      if (a.phone == phone) return respond(json_response(200, account_json(a, true)));
    }
    return respond(json_error(404, "not_found", "no account " + phone));
  }

  // /control/accounts/{phone}/devices/{device}
  if (p.size() == 5 && p[3] == "devices") {
    if (m != "DELETE") return method_not_allowed();
    unsigned device = 0;
    const std::string& d = p[4];
    auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), device);
    if (ec != std::errc() || end != d.data() + d.size() || device > 0xFFFF) {
      return respond(json_error(400, "invalid_argument", "device must be a number 0..65535"));
    }
    core::Status s = sim_.remove_device(phone, static_cast<uint16_t>(device));
    if (!s.ok()) return respond(error_response(s));
    return respond(json_response(200, Json{{"removed", true}}));
  }

  if (p.size() != 4) return respond(json_error(404, "not_found", "no route " + req.target));
  const std::string& action = p[3];

  if (action == "scan" || action == "pair-code") {
    if (m != "POST") return method_not_allowed();
    auto body = body_or_error();
    if (!body) return;
    auto value = req_string(*body, action == "scan" ? "qr" : "code");
    if (!value.ok()) return respond(error_response(value.status()));
    if (action == "scan") {
      sim_.scan_qr(phone, *value, linked_callback(std::move(respond)));
    } else {
      sim_.enter_pair_code(phone, *value, linked_callback(std::move(respond)));
    }
    return;
  }

  if (action == "send") {
    if (m != "POST") return method_not_allowed();
    auto body = body_or_error();
    if (!body) return;
    auto to = req_string(*body, "to");
    if (!to.ok()) return respond(error_response(to.status()));
    auto text = opt_string(*body, "text");
    if (!text.ok()) return respond(error_response(text.status()));
    if (!*text) return respond(json_error(400, "invalid_argument", "\"text\" is required"));
    core::Status s = sim_.virtual_send(phone, *to, **text);
    if (!s.ok()) return respond(error_response(s));
    return respond(json_response(200, Json{{"sent", true}}));
  }

  respond(json_error(404, "not_found", "no route " + req.target));
}

}  // namespace sim
