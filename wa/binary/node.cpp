#include "wa/binary/node.h"

#include <algorithm>

namespace wa::binary {

const std::string* Node::attr(std::string_view key) const {
  for (const auto& [k, v] : attrs) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string Node::attr_or(std::string_view key, std::string_view fallback) const {
  const std::string* value = attr(key);
  return value != nullptr ? *value : std::string(fallback);
}

core::Result<Jid> Node::attr_jid(std::string_view key) const {
  const std::string* value = attr(key);
  if (value == nullptr) {
    return core::Status::not_found("<" + tag + "> has no attribute " + std::string(key));
  }
  return parse_jid(*value);
}

Node& Node::set(std::string key, std::string value) {
  for (auto& [k, v] : attrs) {
    if (k == key) {
      v = std::move(value);
      return *this;
    }
  }
  attrs.emplace_back(std::move(key), std::move(value));
  return *this;
}

Node& Node::erase_attr(std::string_view key) {
  std::erase_if(attrs, [&](const auto& kv) { return kv.first == key; });
  return *this;
}

std::string_view Node::text() const {
  const core::Bytes* b = bytes();
  return b != nullptr ? core::as_string_view(*b) : std::string_view();
}

const Node* Node::child(std::string_view t) const {
  if (const Children* list = child_list()) {
    for (const Node& n : *list) {
      if (n.tag == t) return &n;
    }
  }
  return nullptr;
}

Node* Node::child(std::string_view t) {
  return const_cast<Node*>(static_cast<const Node*>(this)->child(t));
}

std::vector<const Node*> Node::children(std::string_view t) const {
  std::vector<const Node*> out;
  if (const Children* list = child_list()) {
    for (const Node& n : *list) {
      if (t.empty() || n.tag == t) out.push_back(&n);
    }
  }
  return out;
}

Node& Node::add_child(Node c) {
  if (!std::holds_alternative<Children>(content)) content = Children{};
  auto& list = std::get<Children>(content);
  list.push_back(std::move(c));
  return list.back();
}

bool operator==(const Node& a, const Node& b) {
  return a.tag == b.tag && a.attrs == b.attrs && a.content == b.content;
}

}  // namespace wa::binary
