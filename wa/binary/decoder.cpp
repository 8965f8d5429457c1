#include "wa/binary/decoder.h"

#include <zlib.h>

#include <algorithm>
#include <string>

#include "wa/binary/jid.h"
#include "wa/binary/tags.h"
#include "wa/binary/tokens.h"

namespace wa::binary {
namespace {

using core::Status;

class Reader {
 public:
  Reader(core::ByteView data, const DecodeLimits& limits) : data_(data), limits_(limits) {}

  size_t remaining() const { return data_.size() - pos_; }

  Status node(Node& out, size_t depth) {
    if (depth > limits_.max_depth) {
      return Status::out_of_range("binary node: nesting deeper than " +
                                  std::to_string(limits_.max_depth));
    }
    uint8_t t = 0;
    CORE_RETURN_IF_ERROR(u8(t));
    size_t size = 0;
    CORE_RETURN_IF_ERROR(list_size(t, size));
    if (size == 0) return error("node with an empty list header");
    CORE_RETURN_IF_ERROR(u8(t));
    CORE_RETURN_IF_ERROR(string(t, out.tag, depth));
    if (out.tag.empty()) return error("node with an empty tag");

    size_t attr_count = (size - 1) / 2;
    if (attr_count * 2 > remaining()) return too_long("attribute list", attr_count * 2);
    elements_ += 1 + attr_count;
    if (elements_ > limits_.max_elements) {
      return Status::out_of_range("binary node: more than " + std::to_string(limits_.max_elements) +
                                  " nodes and attributes");
    }
    out.attrs.resize(attr_count);
    for (auto& [key, value] : out.attrs) {
      CORE_RETURN_IF_ERROR(u8(t));
      CORE_RETURN_IF_ERROR(string(t, key, depth));
      CORE_RETURN_IF_ERROR(u8(t));
      CORE_RETURN_IF_ERROR(string(t, value, depth));
    }
    if (size % 2 == 1) return Status();

    CORE_RETURN_IF_ERROR(u8(t));
    switch (t) {
      case tag::kListEmpty:
      case tag::kList8:
      case tag::kList16: {
        size_t count = 0;
        CORE_RETURN_IF_ERROR(list_size(t, count));
        // Every node takes at least 3 bytes, so a larger count cannot be honest.
        if (count * 3 > remaining()) return too_long("child list", count * 3);
        auto& children = out.content.emplace<Node::Children>();
        children.resize(count);
        for (Node& child : children) CORE_RETURN_IF_ERROR(node(child, depth + 1));
        return Status();
      }
      case tag::kBinary8:
      case tag::kBinary20:
      case tag::kBinary32: {
        core::ByteView bytes;
        CORE_RETURN_IF_ERROR(binary(t, bytes));
        out.content = core::Bytes(bytes.begin(), bytes.end());
        return Status();
      }
      default: {
        std::string text;
        CORE_RETURN_IF_ERROR(string(t, text, depth));
        out.content = core::to_bytes(text);
        return Status();
      }
    }
  }

 private:
  Status error(std::string what) const {
    return Status::invalid_argument("binary node: " + what + " at offset " + std::to_string(pos_));
  }
  Status too_long(std::string_view what, size_t need) const {
    return Status::out_of_range("binary node: " + std::string(what) + " needs " +
                                std::to_string(need) + " bytes but only " +
                                std::to_string(remaining()) + " remain at offset " +
                                std::to_string(pos_));
  }

  Status u8(uint8_t& out) {
    if (pos_ >= data_.size()) return error("truncated input");
    out = data_[pos_++];
    return Status();
  }
  Status uint_be(int width, uint32_t& out) {
    if (remaining() < static_cast<size_t>(width)) return error("truncated input");
    out = 0;
    for (int i = 0; i < width; ++i) out = (out << 8) | data_[pos_++];
    return Status();
  }

  Status list_size(uint8_t t, size_t& out) {
    uint32_t value = 0;
    switch (t) {
      case tag::kListEmpty:
        out = 0;
        return Status();
      case tag::kList8:
        CORE_RETURN_IF_ERROR(uint_be(1, value));
        break;
      case tag::kList16:
        CORE_RETURN_IF_ERROR(uint_be(2, value));
        break;
      default:
        return error("expected a list header, got tag " + std::to_string(t));
    }
    out = value;
    return Status();
  }

  Status binary(uint8_t t, core::ByteView& out) {
    uint32_t length = 0;
    if (t == tag::kBinary8) {
      CORE_RETURN_IF_ERROR(uint_be(1, length));
    } else if (t == tag::kBinary20) {
      CORE_RETURN_IF_ERROR(uint_be(3, length));
      length &= 0x0FFFFF;
    } else {
      CORE_RETURN_IF_ERROR(uint_be(4, length));
    }
    if (length > remaining()) return too_long("binary string", length);
    out = data_.subspan(pos_, length);
    pos_ += length;
    return Status();
  }

  Status packed(uint8_t t, std::string& out) {
    uint8_t header = 0;
    CORE_RETURN_IF_ERROR(u8(header));
    size_t count = header & 0x7F;
    if (count > remaining()) return too_long("packed string", count);
    out.clear();
    out.reserve(count * 2);
    for (size_t i = 0; i < count; ++i) {
      uint8_t b = data_[pos_++];
      for (uint8_t v : {static_cast<uint8_t>(b >> 4), static_cast<uint8_t>(b & 0x0F)}) {
        if (t == tag::kHex8) {
          out.push_back(static_cast<char>(v < 10 ? '0' + v : 'A' + v - 10));
        } else if (v <= 9) {
          out.push_back(static_cast<char>('0' + v));
        } else if (v == 10) {
          out.push_back('-');
        } else if (v == 11) {
          out.push_back('.');
        } else if (v == 15) {
          out.push_back('\0');  // filler; Baileys keeps it unless the odd bit drops it
        } else {
          --pos_;
          return error("invalid nibble " + std::to_string(v));
        }
      }
    }
    if ((header & 0x80) != 0 && !out.empty()) out.pop_back();
    return Status();
  }

  Status sub_string(std::string& out, size_t depth) {
    uint8_t t = 0;
    CORE_RETURN_IF_ERROR(u8(t));
    return string(t, out, depth);
  }

  // Reads the string whose tag byte `t` was just consumed. JID tokens nest strings, so they
  // count towards the depth limit.
  Status string(uint8_t t, std::string& out, size_t depth) {
    if (t >= 1 && t < kSingleByteTokenCount) {
      out.assign(kSingleByteTokens[t]);
      return Status();
    }
    switch (t) {
      case tag::kListEmpty:
        out.clear();
        return Status();
      case tag::kDictionary0:
      case tag::kDictionary0 + 1:
      case tag::kDictionary0 + 2:
      case tag::kDictionary3: {
        uint8_t index = 0;
        CORE_RETURN_IF_ERROR(u8(index));
        out.assign(kDoubleByteTokens[t - tag::kDictionary0][index]);
        return Status();
      }
      case tag::kBinary8:
      case tag::kBinary20:
      case tag::kBinary32: {
        core::ByteView bytes;
        CORE_RETURN_IF_ERROR(binary(t, bytes));
        out.assign(bytes.begin(), bytes.end());
        return Status();
      }
      case tag::kNibble8:
      case tag::kHex8:
        return packed(t, out);
      case tag::kJidPair:
      case tag::kAdJid:
      case tag::kFbJid:
      case tag::kInteropJid:
        if (depth + 1 > limits_.max_depth) {
          return Status::out_of_range("binary node: JID nesting deeper than " +
                                      std::to_string(limits_.max_depth));
        }
        return jid(t, out, depth + 1);
      default:
        return error("invalid string tag " + std::to_string(t));
    }
  }

  Status jid(uint8_t t, std::string& out, size_t depth) {
    std::string user;
    std::string server;
    uint32_t device = 0;
    switch (t) {
      case tag::kJidPair:
        CORE_RETURN_IF_ERROR(sub_string(user, depth));
        CORE_RETURN_IF_ERROR(sub_string(server, depth));
        if (server.empty()) return error("JID pair with an empty server");
        out = user + '@' + server;
        return Status();
      case tag::kAdJid: {
        uint8_t domain = 0;
        uint8_t dev = 0;
        CORE_RETURN_IF_ERROR(u8(domain));
        CORE_RETURN_IF_ERROR(u8(dev));
        CORE_RETURN_IF_ERROR(sub_string(user, depth));
        Jid j;
        j.user = std::move(user);
        j.device = dev;
        switch (domain) {
          case kDomainLid:
            j.server = kLidServer;
            break;
          case kDomainHosted:
            j.server = kHostedServer;
            break;
          case kDomainHostedLid:
            j.server = kHostedLidServer;
            break;
          default:
            j.server = kUserServer;
            j.agent = domain;
        }
        out = j.to_string();
        return Status();
      }
      case tag::kFbJid:
        CORE_RETURN_IF_ERROR(sub_string(user, depth));
        CORE_RETURN_IF_ERROR(uint_be(2, device));
        CORE_RETURN_IF_ERROR(sub_string(server, depth));
        out = user + ':' + std::to_string(device) + '@' + server;
        return Status();
      default: {  // INTEROP_JID
        uint32_t integrator = 0;
        CORE_RETURN_IF_ERROR(sub_string(user, depth));
        CORE_RETURN_IF_ERROR(uint_be(2, device));
        CORE_RETURN_IF_ERROR(uint_be(2, integrator));
        // The server is optional: like Baileys, fall back to "interop" if no string follows.
        size_t before = pos_;
        if (!sub_string(server, depth).ok()) {
          pos_ = before;
          server = kInteropServer;
        }
        out = std::to_string(integrator) + '-' + user + ':' + std::to_string(device) + '@' + server;
        return Status();
      }
    }
  }

  core::ByteView data_;
  size_t pos_ = 0;
  size_t elements_ = 0;
  const DecodeLimits& limits_;
};

struct InflateGuard {
  z_stream* stream;
  ~InflateGuard() { inflateEnd(stream); }
};

}  // namespace

core::Result<Node> decode_node(core::ByteView data, const DecodeLimits& limits) {
  Reader reader(data, limits);
  Node node;
  CORE_RETURN_IF_ERROR(reader.node(node, 1));
  if (reader.remaining() != 0) {
    return Status::invalid_argument("binary node: " + std::to_string(reader.remaining()) +
                                    " trailing bytes after the node");
  }
  return node;
}

core::Result<Node> unmarshal(core::ByteView frame_payload, const DecodeLimits& limits) {
  if (frame_payload.empty()) return Status::invalid_argument("binary node: empty frame payload");
  uint8_t flags = frame_payload[0];
  core::ByteView body = frame_payload.subspan(1);
  if ((flags & 0x02) == 0) return decode_node(body, limits);
  CORE_ASSIGN_OR_RETURN(core::Bytes inflated, zlib_inflate(body, limits.max_inflated_size));
  return decode_node(inflated, limits);
}

core::Result<core::Bytes> zlib_inflate(core::ByteView data, size_t max_size) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return Status::internal("zlib: inflateInit failed");
  InflateGuard guard{&zs};
  // zlib takes a non-const pointer but does not write through next_in.
  if (data.size() > 0xFFFFFFFFu) return Status::out_of_range("zlib: input too large");
  zs.next_in = const_cast<Bytef*>(data.data());
  zs.avail_in = static_cast<uInt>(data.size());

  core::Bytes out(std::min(max_size, std::max<size_t>(256, data.size() * 4)));
  size_t produced = 0;
  uint8_t probe = 0;
  for (;;) {
    bool probing = false;
    if (produced == out.size()) {
      if (out.size() >= max_size) {
        probing = true;  // the buffer is at the limit: any further output is too much
      } else {
        out.resize(std::min(max_size, out.size() * 2));
      }
    }
    if (probing) {
      zs.next_out = &probe;
      zs.avail_out = 1;
    } else {
      zs.next_out = out.data() + produced;
      zs.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - produced, 1u << 30));
    }
    uInt avail_before = zs.avail_out;
    int ret = inflate(&zs, Z_NO_FLUSH);
    if (probing) {
      if (zs.avail_out == 0) {
        return Status::out_of_range("zlib: inflated payload exceeds " + std::to_string(max_size) +
                                    " bytes");
      }
    } else {
      produced += avail_before - zs.avail_out;
    }
    if (ret == Z_STREAM_END) break;
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && zs.avail_out == 0) continue;
    if (ret == Z_BUF_ERROR) return Status::invalid_argument("zlib: truncated stream");
    return Status::invalid_argument(std::string("zlib: corrupt stream (") +
                                    (zs.msg != nullptr ? zs.msg : "error") + ")");
  }
  if (zs.avail_in != 0) {
    return Status::invalid_argument("zlib: " + std::to_string(zs.avail_in) +
                                    " trailing bytes after the stream");
  }
  out.resize(produced);
  return out;
}

}  // namespace wa::binary
