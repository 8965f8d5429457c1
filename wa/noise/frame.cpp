#include "wa/noise/frame.h"

#include <string>

namespace wa::noise {

core::Result<core::Bytes> make_frame(core::ByteView payload) {
  if (payload.size() > kMaxFramePayload) {
    return core::Status::out_of_range("frame payload of " + std::to_string(payload.size()) +
                                      " bytes exceeds the 3-byte length limit");
  }
  core::Bytes out;
  out.reserve(kFrameHeaderSize + payload.size());
  core::put_uint_be(out, payload.size(), 3);
  core::append(out, payload);
  return out;
}

core::Bytes make_intro(core::ByteView routing_info) {
  core::Bytes out;
  if (!routing_info.empty() && routing_info.size() <= kMaxRoutingInfo) {
    core::append(out, kEdgeRoutingMagic);
    core::put_uint_be(out, routing_info.size(), 3);
    core::append(out, routing_info);
  }
  core::append(out, kIntroHeader);
  return out;
}

FrameParser::FrameParser(size_t max_payload, bool expect_intro)
    : max_payload_(max_payload < kMaxFramePayload ? max_payload : kMaxFramePayload),
      intro_done_(!expect_intro) {}

void FrameParser::feed(core::ByteView data) {
  if (failed() || data.empty()) return;
  compact();
  core::append(buffer_, data);
}

core::Status FrameParser::fail(core::Status status) {
  error_ = std::move(status);
  buffer_.clear();
  buffer_.shrink_to_fit();
  pos_ = 0;
  return error_;
}

void FrameParser::compact() {
  // Drop consumed bytes once they dominate the buffer, so a long-lived connection does not grow
  // its buffer without bound while copying at most O(n) bytes per frame overall.
  if (pos_ == 0) return;
  if (pos_ == buffer_.size()) {
    buffer_.clear();
    pos_ = 0;
  } else if (pos_ >= buffer_.size() / 2) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(pos_));
    pos_ = 0;
  }
}

core::Result<bool> FrameParser::parse_intro() {
  core::ByteView avail = core::ByteView(buffer_).subspan(pos_);
  if (avail.empty()) return false;

  size_t offset = 0;
  std::optional<core::Bytes> routing;
  if (avail[0] == kEdgeRoutingMagic[0]) {
    // Reject as soon as a byte disagrees, so garbage never waits for more input.
    for (size_t i = 0; i < kEdgeRoutingMagic.size() && i < avail.size(); ++i) {
      if (avail[i] != kEdgeRoutingMagic[i]) {
        return fail(core::Status::invalid_argument("bad edge-routing prefix in intro header"));
      }
    }
    constexpr size_t kPrefixHeader = kEdgeRoutingMagic.size() + 3;
    if (avail.size() < kPrefixHeader) return false;
    size_t len = core::get_uint_be(avail.subspan(kEdgeRoutingMagic.size()), 3);
    if (len > kMaxRoutingInfo) {
      return fail(core::Status::out_of_range("edge routing info of " + std::to_string(len) +
                                             " bytes exceeds the limit"));
    }
    if (avail.size() < kPrefixHeader + len) return false;
    routing = core::to_bytes(avail.subspan(kPrefixHeader, len));
    offset = kPrefixHeader + len;
  }

  core::ByteView header = avail.subspan(offset);
  for (size_t i = 0; i < kIntroHeader.size() && i < header.size(); ++i) {
    if (header[i] == kIntroHeader[i]) continue;
    if (i == 3) {
      return fail(core::Status::invalid_argument(
          "unsupported dictionary version " + std::to_string(header[i]) + " in intro header (" +
          "expected " + std::to_string(kIntroHeader[3]) + ")"));
    }
    return fail(core::Status::invalid_argument("bad intro header magic"));
  }
  if (header.size() < kIntroHeader.size()) return false;

  size_t total = offset + kIntroHeader.size();
  pos_ += total;
  consumed_ += total;
  routing_info_ = std::move(routing);
  intro_done_ = true;
  return true;
}

core::Result<std::optional<core::Bytes>> FrameParser::next() {
  if (failed()) return error_;
  if (!intro_done_) {
    CORE_ASSIGN_OR_RETURN(bool done, parse_intro());
    if (!done) return std::optional<core::Bytes>();
  }
  core::ByteView avail = core::ByteView(buffer_).subspan(pos_);
  if (avail.size() < kFrameHeaderSize) return std::optional<core::Bytes>();
  size_t len = core::get_uint_be(avail, 3);
  if (len > max_payload_) {
    return fail(core::Status::out_of_range("frame length " + std::to_string(len) +
                                           " exceeds the limit of " + std::to_string(max_payload_) +
                                           " bytes"));
  }
  if (avail.size() < kFrameHeaderSize + len) return std::optional<core::Bytes>();
  core::Bytes payload = core::to_bytes(avail.subspan(kFrameHeaderSize, len));
  pos_ += kFrameHeaderSize + len;
  consumed_ += kFrameHeaderSize + len;
  return std::optional<core::Bytes>(std::move(payload));
}

}  // namespace wa::noise
