// Contact-check and participating-groups IQs (see queries.h). Shapes from wa-protocol.md §7.1,
// §7.2 and §9.2.
#include "wa/client/queries.h"

#include "wa/client/stanzas.h"

namespace wa::client {

using binary::Node;

namespace {

core::Status check_result(const Node& result, std::string_view what) {
  if (result.tag != "iq") return core::Status::invalid_argument(std::string(what) + ": not an iq");
  const std::string type = result.attr_or("type", "");
  if (type == "error") {
    const Node* e = result.child("error");
    return core::Status::failed_precondition(
        std::string(what) + " failed: " + (e ? e->attr_or("code", "?") : std::string("?")));
  }
  if (type != "result") {
    return core::Status::invalid_argument(std::string(what) + ": unexpected iq type");
  }
  return core::Status();
}

// The user part of a JID ("155…@s.whatsapp.net" → "155…", device suffix dropped).
std::string_view user_of(std::string_view jid) {
  jid = jid.substr(0, jid.find('@'));
  return jid.substr(0, jid.find(':'));
}

}  // namespace

core::Result<std::string> normalize_phone_number(std::string_view input) {
  std::string digits;
  bool plus = false;
  for (const char c : input) {
    if (c >= '0' && c <= '9') {
      digits.push_back(c);
    } else if (c == '+' && digits.empty() && !plus) {
      plus = true;
    } else if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')') {
      continue;
    } else {
      return core::Status::invalid_argument("invalid phone number: " + std::string(input));
    }
  }
  if (digits.size() < kMinPhoneDigits || digits.size() > kMaxPhoneDigits) {
    return core::Status::invalid_argument("invalid phone number: " + std::string(input));
  }
  return digits;
}

Node build_contact_check_query(const std::vector<std::string>& numbers, const std::string& sid) {
  Node query("query", {}, Node::Children{Node("contact"), Node("lid")});
  Node list("list");
  for (const auto& n : numbers) {
    const std::string text = "+" + n;
    list.add_child(Node(
        "user", {}, Node::Children{Node("contact", {}, core::Bytes(text.begin(), text.end()))}));
  }
  Node usync("usync",
             {{"sid", sid},
              {"mode", "query"},
              {"last", "true"},
              {"index", "0"},
              {"context", "interactive"}},
             Node::Children{std::move(query), std::move(list)});
  return make_iq("", kServerJid, "get", "usync", {std::move(usync)});
}

core::Result<std::vector<ContactCheck>> parse_contact_check(
    const Node& result, const std::vector<std::string>& numbers) {
  CORE_RETURN_IF_ERROR(check_result(result, "contact check"));
  const Node* usync = result.child("usync");
  if (usync == nullptr) return core::Status::invalid_argument("contact check without <usync>");
  std::vector<ContactCheck> out;
  out.reserve(numbers.size());
  for (const auto& n : numbers) out.push_back(ContactCheck{n, false, "", ""});
  const Node* list = usync->child("list");
  if (list == nullptr) return out;
  for (const Node* user : list->children("user")) {
    const std::string jid = user->attr_or("jid", "");
    if (jid.size() <= 15 || jid.substr(jid.size() - 15) != "@s.whatsapp.net") continue;
    const std::string_view number = user_of(jid);
    const Node* contact = user->child("contact");
    // Real servers always send <contact type>; missing means we cannot tell: treat as absent.
    const bool in = contact != nullptr && contact->attr_or("type", "") == "in";
    for (auto& c : out) {
      if (c.number != number || c.exists) continue;
      if (!in) continue;
      c.exists = true;
      c.jid = std::string(number) + "@s.whatsapp.net";
      if (const Node* lid = user->child("lid")) {
        std::string v = lid->attr_or("val", "");
        if (v.size() > 4 && v.substr(v.size() - 4) == "@lid") c.lid = std::move(v);
      }
    }
  }
  return out;
}

Node build_participating_groups_query() {
  Node participating("participating", {},
                     Node::Children{Node("participants"), Node("description")});
  return make_iq("", "@g.us", "get", "w:g2", {std::move(participating)});
}

core::Result<std::vector<GroupInfo>> parse_participating_groups(const Node& result) {
  CORE_RETURN_IF_ERROR(check_result(result, "participating groups"));
  std::vector<GroupInfo> out;
  const Node* groups = result.child("groups");
  if (groups == nullptr) return out;  // no groups
  for (const Node* g : groups->children("group")) {
    auto info = parse_group(*g);
    if (info.ok()) out.push_back(std::move(*info));
  }
  return out;
}

}  // namespace wa::client
