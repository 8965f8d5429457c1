#include "wa/binary/encoder.h"

#include <stdexcept>

#include "wa/binary/jid.h"
#include "wa/binary/tags.h"
#include "wa/binary/tokens.h"

namespace wa::binary {
namespace {

bool is_nibble_char(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '.'; }
bool is_hex_char(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

uint8_t nibble_value(char c) {
  if (c == '-') return 10;
  if (c == '.') return 11;
  return static_cast<uint8_t>(c - '0');
}
uint8_t hex_value(char c) {
  return c <= '9' ? static_cast<uint8_t>(c - '0') : static_cast<uint8_t>(c - 'A' + 10);
}

template <typename Pred>
bool packable(std::string_view s, Pred pred) {
  if (s.empty() || s.size() > tag::kPackedMax) return false;
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

// Plain decimal without leading zeros, so that printing the value gives back the same text:
// the decoder prints numbers, so anything else would not round-trip.
bool canonical_decimal(std::string_view text, uint32_t max, uint32_t& out) {
  if (text.empty() || text.size() > 10 || (text.size() > 1 && text[0] == '0')) return false;
  uint64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint64_t>(c - '0');
  }
  if (value > max) return false;
  out = static_cast<uint32_t>(value);
  return true;
}

int implied_domain(std::string_view server) {
  if (server == kUserServer) return kDomainWhatsApp;
  if (server == kLidServer) return kDomainLid;
  if (server == kHostedServer) return kDomainHosted;
  if (server == kHostedLidServer) return kDomainHostedLid;
  return -1;
}

// An agent the AD_JID decoder prints back as "_<agent>" (it hides the implied domains).
bool explicit_agent(uint32_t agent) {
  return agent != kDomainWhatsApp && agent != kDomainLid && agent != kDomainHosted &&
         agent != kDomainHostedLid;
}

class Writer {
 public:
  explicit Writer(core::Bytes& out) : out_(out) {}

  void node(const Node& n) {
    if (n.tag.empty()) throw std::invalid_argument("binary node: empty tag");
    size_t size = 1 + 2 * n.attrs.size() + (n.has_content() ? 1 : 0);
    list_start(size);
    string(n.tag);
    for (const auto& [key, value] : n.attrs) {
      string(key);
      string(value);
    }
    if (const core::Bytes* b = n.bytes()) {
      byte_length(b->size());
      out_.insert(out_.end(), b->begin(), b->end());
    } else if (const Node::Children* list = n.child_list()) {
      list_start(list->size());
      for (const Node& c : *list) node(c);
    }
  }

 private:
  void byte(uint8_t b) { out_.push_back(b); }

  void list_start(size_t size) {
    if (size == 0) {
      byte(tag::kListEmpty);
    } else if (size < 256) {
      byte(tag::kList8);
      byte(static_cast<uint8_t>(size));
    } else if (size <= 0xFFFF) {
      byte(tag::kList16);
      byte(static_cast<uint8_t>(size >> 8));
      byte(static_cast<uint8_t>(size));
    } else {
      throw std::length_error("binary node: list of " + std::to_string(size) + " items");
    }
  }

  void byte_length(size_t length) {
    if (length < 256) {
      byte(tag::kBinary8);
      byte(static_cast<uint8_t>(length));
    } else if (length < (size_t{1} << 20)) {
      byte(tag::kBinary20);
      byte(static_cast<uint8_t>((length >> 16) & 0x0F));
      byte(static_cast<uint8_t>(length >> 8));
      byte(static_cast<uint8_t>(length));
    } else if (length <= 0xFFFFFFFFu) {
      byte(tag::kBinary32);
      for (int shift = 24; shift >= 0; shift -= 8) byte(static_cast<uint8_t>(length >> shift));
    } else {
      throw std::length_error("binary node: " + std::to_string(length) + " bytes of content");
    }
  }

  void raw(std::string_view s) {
    byte_length(s.size());
    out_.insert(out_.end(), s.begin(), s.end());
  }

  template <typename ValueFn>
  void packed(std::string_view s, uint8_t type, ValueFn value) {
    byte(type);
    uint8_t header = static_cast<uint8_t>((s.size() + 1) / 2);
    if (s.size() % 2 != 0) header |= 0x80;
    byte(header);
    size_t pairs = s.size() / 2;
    for (size_t i = 0; i < pairs; ++i) {
      byte(static_cast<uint8_t>((value(s[2 * i]) << 4) | value(s[2 * i + 1])));
    }
    if (s.size() % 2 != 0) byte(static_cast<uint8_t>((value(s.back()) << 4) | 0x0F));
  }

  void string(std::string_view s) {
    if (s.empty()) {
      raw(s);
      return;
    }
    if (auto token = find_token(s)) {
      if (token->first >= 0) byte(static_cast<uint8_t>(tag::kDictionary0 + token->first));
      byte(token->second);
      return;
    }
    if (packable(s, is_nibble_char)) {
      packed(s, tag::kNibble8, nibble_value);
      return;
    }
    if (packable(s, is_hex_char)) {
      packed(s, tag::kHex8, hex_value);
      return;
    }
    if (s.find('@') != std::string_view::npos && jid(s)) return;
    raw(s);
  }

  void ad_jid(uint8_t domain, uint8_t device, std::string_view user) {
    byte(tag::kAdJid);
    byte(domain);
    byte(device);
    string(user);
  }

  void fb_jid(std::string_view user, uint16_t device, std::string_view server) {
    byte(tag::kFbJid);
    string(user);
    byte(static_cast<uint8_t>(device >> 8));
    byte(static_cast<uint8_t>(device));
    string(server);
  }

  // Writes `s` as a JID token when one decodes back to exactly `s`; false means "write raw".
  // Mirrors Baileys: JID_PAIR without a device, AD_JID with one (or with an explicit agent).
  bool jid(std::string_view s) {
    size_t at = s.find('@');
    std::string_view server = s.substr(at + 1);
    if (server.empty() || server.find('@') != std::string_view::npos) return false;
    std::string_view user_part = s.substr(0, at);
    size_t colon = user_part.find(':');
    uint32_t agent = 0;

    if (colon == std::string_view::npos) {
      size_t underscore = user_part.find('_');
      if (server == kUserServer && underscore != std::string_view::npos &&
          canonical_decimal(user_part.substr(underscore + 1), 255, agent) &&
          explicit_agent(agent)) {
        ad_jid(static_cast<uint8_t>(agent), 0, user_part.substr(0, underscore));
        return true;
      }
      byte(tag::kJidPair);
      if (user_part.empty()) {
        byte(tag::kListEmpty);
      } else {
        string(user_part);
      }
      string(server);
      return true;
    }

    uint32_t device = 0;
    if (!canonical_decimal(user_part.substr(colon + 1), 0xFFFF, device)) return false;
    std::string_view user = user_part.substr(0, colon);

    int domain = implied_domain(server);
    if (domain >= 0 && device >= 1 && device <= 255) {
      size_t underscore = user.find('_');
      if (underscore == std::string_view::npos ||
          !canonical_decimal(user.substr(underscore + 1), 255, agent)) {
        ad_jid(static_cast<uint8_t>(domain), static_cast<uint8_t>(device), user);
        return true;
      }
      if (server == kUserServer && explicit_agent(agent)) {
        ad_jid(static_cast<uint8_t>(agent), static_cast<uint8_t>(device),
               user.substr(0, underscore));
        return true;
      }
      // An agent AD_JID cannot express: FB_JID keeps the text intact.
    }

    if (server == kInteropServer) {
      size_t dash = user.find('-');
      uint32_t integrator = 0;
      if (dash != std::string_view::npos &&
          canonical_decimal(user.substr(0, dash), 0xFFFF, integrator)) {
        byte(tag::kInteropJid);
        string(user.substr(dash + 1));
        byte(static_cast<uint8_t>(device >> 8));
        byte(static_cast<uint8_t>(device));
        byte(static_cast<uint8_t>(integrator >> 8));
        byte(static_cast<uint8_t>(integrator));
        string(server);
        return true;
      }
    }
    fb_jid(user, static_cast<uint16_t>(device), server);
    return true;
  }

  core::Bytes& out_;
};

}  // namespace

void encode_node_to(const Node& node, core::Bytes& out) { Writer(out).node(node); }

core::Bytes encode_node(const Node& node) {
  core::Bytes out;
  out.reserve(128);
  encode_node_to(node, out);
  return out;
}

core::Bytes marshal(const Node& node) {
  core::Bytes out;
  out.reserve(128);
  out.push_back(0x00);
  encode_node_to(node, out);
  return out;
}

}  // namespace wa::binary
