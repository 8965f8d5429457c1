// The WhatsApp binary node ("WABinary" stanza): a tag, ordered string attributes, and content
// that is nothing, raw bytes, or child nodes. It is the unit every layer above the Noise
// transport exchanges; encoder.h / decoder.h convert it to and from bytes.
//
// Attribute values are plain strings. A JID-valued attribute holds the JID's string form
// (Jid::to_string()); the encoder writes every value that looks like a JID ("user@server") as a
// JID token, as Baileys does. String content on the wire (tokens, packed digits) decodes to
// bytes, so content has only the three cases.
//
// Ownership: a Node owns its attributes and children by value.
// Threading: plain value; no shared state.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "wa/binary/jid.h"

namespace wa::binary {

struct Node {
  using Attrs = std::vector<std::pair<std::string, std::string>>;
  using Children = std::vector<Node>;
  using Content = std::variant<std::monostate, core::Bytes, Children>;

  std::string tag;
  Attrs attrs;
  Content content;

  Node() = default;
  explicit Node(std::string t) : tag(std::move(t)) {}
  Node(std::string t, Attrs a) : tag(std::move(t)), attrs(std::move(a)) {}
  Node(std::string t, Attrs a, core::Bytes bytes)
      : tag(std::move(t)), attrs(std::move(a)), content(std::move(bytes)) {}
  Node(std::string t, Attrs a, Children children)
      : tag(std::move(t)), attrs(std::move(a)), content(std::move(children)) {}

  // --- attributes ---
  // The first attribute named `key`, or nullptr.
  const std::string* attr(std::string_view key) const;
  std::string attr_or(std::string_view key, std::string_view fallback) const;
  bool has_attr(std::string_view key) const { return attr(key) != nullptr; }
  // The attribute parsed as a JID; NotFound if absent, InvalidArgument if not a JID.
  core::Result<Jid> attr_jid(std::string_view key) const;
  // Replaces the first attribute named `key` or appends it. Returns *this for chaining.
  Node& set(std::string key, std::string value);
  Node& set(std::string key, const Jid& jid) { return set(std::move(key), jid.to_string()); }
  // Removes every attribute named `key`.
  Node& erase_attr(std::string_view key);

  // --- content ---
  bool has_content() const { return !std::holds_alternative<std::monostate>(content); }
  // The child list, or nullptr if the content is not a list.
  const Children* child_list() const { return std::get_if<Children>(&content); }
  Children* child_list() { return std::get_if<Children>(&content); }
  // The byte content, or nullptr if the content is not bytes.
  const core::Bytes* bytes() const { return std::get_if<core::Bytes>(&content); }
  // The byte content as text ("" if the content is not bytes).
  std::string_view text() const;
  // The first child with tag `tag`, or nullptr.
  const Node* child(std::string_view tag) const;
  Node* child(std::string_view tag);
  // Every child with tag `tag` (all children if `tag` is empty), in order.
  std::vector<const Node*> children(std::string_view tag = {}) const;
  // Appends a child (turning empty or byte content into a child list) and returns it.
  Node& add_child(Node child);
  Node& set_bytes(core::Bytes bytes) {
    content = std::move(bytes);
    return *this;
  }
  Node& set_text(std::string_view text) { return set_bytes(core::to_bytes(text)); }
  Node& set_children(Children children) {
    content = std::move(children);
    return *this;
  }

  friend bool operator==(const Node& a, const Node& b);
};

}  // namespace wa::binary
