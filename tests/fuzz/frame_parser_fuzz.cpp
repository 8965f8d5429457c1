// Fuzzes wa::noise::FrameParser (with and without the intro header) by splitting the input into
// chunks whose sizes come from the input itself. Invariants: the parser never crashes; consumed
// bytes equal intro + 3 per frame + frame payloads; consumed + buffered equals bytes fed until
// the parser fails; no frame exceeds the limit; an error is sticky.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "wa/noise/frame.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

void run(const uint8_t* data, size_t size, bool expect_intro, size_t limit) {
  if (size == 0) return;
  // First byte picks the chunk-size seed; the rest is the stream.
  uint8_t seed = data[0];
  core::ByteView stream(data + 1, size - 1);
  wa::noise::FrameParser parser(limit, expect_intro);

  uint64_t fed = 0;
  uint64_t frame_bytes = 0;
  bool failed = false;
  size_t pos = 0;
  size_t step = 0;
  while (pos < stream.size()) {
    size_t chunk = 1 + ((seed + step * 31) % 97);
    if (chunk > stream.size() - pos) chunk = stream.size() - pos;
    parser.feed(stream.subspan(pos, chunk));
    pos += chunk;
    ++step;
    if (!failed) fed += chunk;
    for (;;) {
      auto next = parser.next();
      if (!next.ok()) {
        failed = true;
        check(parser.failed());
        check(!parser.next().ok());  // sticky
        break;
      }
      if (!next->has_value()) break;
      check((*next)->size() <= limit);
      frame_bytes += wa::noise::kFrameHeaderSize + (*next)->size();
    }
    if (!failed) {
      check(parser.consumed() + parser.buffered() == fed);
    }
  }
  uint64_t intro = 0;
  if (expect_intro && parser.intro_done()) {
    intro = wa::noise::kIntroHeader.size();
    if (parser.routing_info()) intro += 7 + parser.routing_info()->size();
  }
  check(parser.consumed() == intro + frame_bytes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  run(data, size, /*expect_intro=*/true, wa::noise::kMaxFramePayload);
  run(data, size, /*expect_intro=*/false, wa::noise::kMaxFramePayload);
  run(data, size, /*expect_intro=*/false, 64);
  return 0;
}
