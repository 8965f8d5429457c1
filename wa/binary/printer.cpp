#include "wa/binary/printer.h"

#include <cstdio>

#include "core/encoding.h"

namespace wa::binary {
namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if it is invalid.
size_t utf8_sequence_length(std::string_view s, size_t i) {
  auto byte = [&](size_t k) { return static_cast<uint8_t>(s[k]); };
  uint8_t b = byte(i);
  size_t len = 0;
  uint32_t cp = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    len = 2;
    cp = b & 0x1F;
  } else if ((b & 0xF0) == 0xE0) {
    len = 3;
    cp = b & 0x0F;
  } else if ((b & 0xF8) == 0xF0) {
    len = 4;
    cp = b & 0x07;
  } else {
    return 0;
  }
  if (i + len > s.size()) return 0;
  for (size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i + k) & 0x3F);
  }
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

bool is_printable_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<uint8_t>(s[i]);
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return false;
    if (c == 0x7F) return false;
    size_t len = utf8_sequence_length(s, i);
    if (len == 0) return false;
    i += len;
  }
  return true;
}

// Escapes markup characters; control bytes and invalid UTF-8 become \xNN.
void append_escaped(std::string& out, std::string_view s, bool in_attr) {
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    auto u = static_cast<uint8_t>(c);
    size_t len = utf8_sequence_length(s, i);
    if (len == 0 || u < 0x20 || u == 0x7F) {
      if (!in_attr && (c == '\n' || c == '\t')) {
        out += c;
      } else {
        char buf[8];
        std::snprintf(buf, sizeof buf, "\\x%02x", u);
        out += buf;
      }
      ++i;
      continue;
    }
    if (c == '&') {
      out += "&amp;";
    } else if (c == '<') {
      out += "&lt;";
    } else if (c == '>') {
      out += "&gt;";
    } else if (c == '"' && in_attr) {
      out += "&quot;";
    } else {
      out.append(s.substr(i, len));
    }
    i += len;
  }
}

void append_bytes(std::string& out, const core::Bytes& bytes, size_t max_shown) {
  std::string_view text = core::as_string_view(bytes);
  if (is_printable_utf8(text)) {
    size_t cut = std::min(text.size(), max_shown);
    // Never split a UTF-8 sequence.
    while (cut < text.size() && cut > 0 && (static_cast<uint8_t>(text[cut]) & 0xC0) == 0x80) {
      --cut;
    }
    append_escaped(out, text.substr(0, cut), false);
    if (cut < text.size()) out += "…(" + std::to_string(bytes.size()) + " bytes)";
    return;
  }
  size_t shown = std::min(bytes.size(), max_shown);
  out += "hex:";
  out += core::hex_encode(core::ByteView(bytes).first(shown));
  if (shown < bytes.size()) out += "…";
  out += " (" + std::to_string(bytes.size()) + " bytes)";
}

void print(std::string& out, const Node& node, size_t indent, size_t max_shown) {
  out.append(indent * 2, ' ');
  out += '<';
  append_escaped(out, node.tag, true);
  for (const auto& [key, value] : node.attrs) {
    out += ' ';
    append_escaped(out, key, true);
    out += "=\"";
    append_escaped(out, value, true);
    out += '"';
  }
  if (!node.has_content()) {
    out += "/>";
    return;
  }
  out += '>';
  if (const core::Bytes* bytes = node.bytes()) {
    append_bytes(out, *bytes, max_shown);
  } else {
    const auto& children = *node.child_list();
    for (const Node& child : children) {
      out += '\n';
      print(out, child, indent + 1, max_shown);
    }
    if (!children.empty()) {
      out += '\n';
      out.append(indent * 2, ' ');
    }
  }
  out += "</";
  append_escaped(out, node.tag, true);
  out += '>';
}

}  // namespace

std::string to_xml(const Node& node, size_t max_bytes_shown) {
  std::string out;
  print(out, node, 0, max_bytes_shown);
  return out;
}

}  // namespace wa::binary
