// Small builders for the stanzas the simulator writes: JID strings in PN/LID form, iq results
// and errors, and parsing of the fixed-width big-endian integers nodes carry.
//
// JID-valued attributes are always written in their "user@server" string form (the server JID
// as "@s.whatsapp.net", never the bare token "s.whatsapp.net") so the encoder emits JID tokens,
// which whatsmeow requires (wa-protocol.md §0 item 3).
//
// Threading: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.h"
#include "wa/binary/node.h"

namespace sim {

using wa::binary::Node;

inline constexpr std::string_view kServerJid = "@s.whatsapp.net";
inline constexpr std::string_view kGroupServerJid = "@g.us";

inline std::string pn_jid(const std::string& phone, uint16_t device = 0) {
  return device == 0 ? phone + "@s.whatsapp.net"
                     : phone + ":" + std::to_string(device) + "@s.whatsapp.net";
}
inline std::string lid_jid(const std::string& lid, uint16_t device = 0) {
  return device == 0 ? lid + "@lid" : lid + ":" + std::to_string(device) + "@lid";
}
inline std::string group_jid(const std::string& id) { return id + "@g.us"; }

inline Node make_node(std::string tag, Node::Attrs attrs = {}) {
  return Node(std::move(tag), std::move(attrs));
}
inline Node make_node(std::string tag, Node::Attrs attrs, core::Bytes bytes) {
  return Node(std::move(tag), std::move(attrs), std::move(bytes));
}
inline Node make_node(std::string tag, Node::Attrs attrs, Node::Children children) {
  return Node(std::move(tag), std::move(attrs), std::move(children));
}
inline Node text_node(std::string tag, std::string_view text) {
  return Node(std::move(tag), {}, core::to_bytes(text));
}

// `<iq from=<request's to, else the server> type="result" id=same/>`.
inline Node iq_result(const Node& request) {
  std::string from = request.attr_or("to", kServerJid);
  if (from.empty() || from == "s.whatsapp.net") from = std::string(kServerJid);
  return make_node("iq", {{"from", from}, {"type", "result"}, {"id", request.attr_or("id", "")}});
}
inline Node iq_error(const Node& request, int code, std::string text) {
  Node iq = iq_result(request);
  iq.set("type", "error");
  iq.add_child(make_node("error", {{"code", std::to_string(code)}, {"text", std::move(text)}}));
  return iq;
}

// Big-endian unsigned integer of 1..4 bytes (ids are 3 bytes, registration ids 4).
inline std::optional<uint32_t> be_uint(const core::Bytes* bytes, size_t min_len = 1,
                                       size_t max_len = 4) {
  if (!bytes || bytes->size() < min_len || bytes->size() > max_len) return std::nullopt;
  uint32_t v = 0;
  for (uint8_t b : *bytes) v = (v << 8) | b;
  return v;
}

inline bool is_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

}  // namespace sim
