// WhatsApp transport framing (wa-protocol.md §1.2–1.3): the client's one-time intro header
// ("WA" 6 3, optionally preceded by an "ED" edge-routing prefix) and the 3-byte big-endian length
// prefix in front of every frame. FrameParser is a byte-stream parser: WebSocket messages may
// split or coalesce logical frames arbitrarily, so callers feed whatever bytes arrive and pull
// complete payloads out.
//
// Ownership: FrameParser owns a copy of the bytes fed to it until they are returned as frames.
// Threading: a FrameParser belongs to one connection and is used from one thread (or strand).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "core/bytes.h"
#include "core/status.h"

namespace wa::noise {

// Largest payload a 3-byte length can describe; whatsmeow rejects anything larger.
constexpr size_t kMaxFramePayload = (1 << 24) - 1;
constexpr size_t kFrameHeaderSize = 3;

// "WA", magic 6, token dictionary version 3. Also the Noise prologue (§1.4).
constexpr std::array<uint8_t, 4> kIntroHeader{'W', 'A', 6, 3};
// "ED" 0x00 0x01, followed by a 3-byte big-endian length and the routing info.
constexpr std::array<uint8_t, 4> kEdgeRoutingMagic{'E', 'D', 0, 1};
// Routing info is a short opaque token from the server's edge_routing node; anything larger is
// hostile and must not make the server buffer megabytes before the first frame.
constexpr size_t kMaxRoutingInfo = 4096;

// 3-byte big-endian length ‖ payload. OutOfRange if the payload exceeds kMaxFramePayload.
core::Result<core::Bytes> make_frame(core::ByteView payload);

// The client's intro: [ "ED" 00 01 <len24> <routing_info> ] "WA" 06 03. An empty routing_info
// gives the bare 4-byte header. Routing info longer than kMaxRoutingInfo is dropped (the prefix
// is only an optional routing hint), so the result is always a valid intro.
core::Bytes make_intro(core::ByteView routing_info = {});

class FrameParser {
 public:
  // With expect_intro (server side) the stream must begin with the client's intro header,
  // which is consumed before the first frame.
  explicit FrameParser(size_t max_payload = kMaxFramePayload, bool expect_intro = false);

  // A server-side parser: expects the intro, default frame limit.
  static FrameParser for_server() { return FrameParser(kMaxFramePayload, true); }

  // Appends received bytes. Bytes fed after a failure are discarded.
  void feed(core::ByteView data);

  // The next complete frame payload, std::nullopt if more bytes are needed, or an error:
  // InvalidArgument for a bad intro header, OutOfRange for a declared length above the limit.
  // After an error the parser stays failed and keeps returning the same error.
  core::Result<std::optional<core::Bytes>> next();

  // True once the intro has been consumed (always true without expect_intro).
  bool intro_done() const { return intro_done_; }
  // The routing bytes of an "ED" prefix, if the intro carried one.
  const std::optional<core::Bytes>& routing_info() const { return routing_info_; }
  // Bytes of the stream consumed so far (intro + frame headers + returned payloads).
  uint64_t consumed() const { return consumed_; }
  // Bytes fed but not yet consumed.
  size_t buffered() const { return buffer_.size() - pos_; }
  bool failed() const { return !error_.ok(); }

 private:
  // Returns true when the intro is complete, false when more bytes are needed.
  core::Result<bool> parse_intro();
  core::Status fail(core::Status status);
  void compact();

  size_t max_payload_;
  bool intro_done_;
  core::Bytes buffer_;
  size_t pos_ = 0;
  uint64_t consumed_ = 0;
  std::optional<core::Bytes> routing_info_;
  core::Status error_;
};

}  // namespace wa::noise
