// libFuzzer target for the binary node decoder: arbitrary bytes through unmarshal (frame payload,
// including zlib) and decode_node. Whatever decodes must survive encode -> decode unchanged;
// a mismatch aborts so the fuzzer reports it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/printer.h"

namespace {

void check_round_trip(const wa::binary::Node& node) {
  core::Bytes encoded = wa::binary::encode_node(node);
  auto again = wa::binary::decode_node(encoded);
  if (!again.ok()) {
    std::fprintf(stderr, "re-encoded node does not decode: %s\n%s\n",
                 again.status().to_string().c_str(), wa::binary::to_xml(node).c_str());
    std::abort();
  }
  if (!(*again == node)) {
    std::fprintf(stderr, "round trip mismatch:\n%s\nvs\n%s\n", wa::binary::to_xml(node).c_str(),
                 wa::binary::to_xml(*again).c_str());
    std::abort();
  }
  (void)wa::binary::to_xml(node, 16);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  core::ByteView input(data, size);
  wa::binary::DecodeLimits limits;
  limits.max_inflated_size = 1 << 20;  // keep each run fast
  if (auto node = wa::binary::unmarshal(input, limits); node.ok()) check_round_trip(*node);
  if (auto node = wa::binary::decode_node(input, limits); node.ok()) check_round_trip(*node);
  return 0;
}
