// Encode/decode cost of a typical outgoing 1:1 message stanza (three device fan-out).
#include <benchmark/benchmark.h>

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"
#include "wa/binary/tokens.h"

namespace {

using wa::binary::Node;

core::Bytes filler(size_t n, uint8_t seed) {
  core::Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 31);
  return out;
}

Node message_stanza() {
  Node message("message", {{"id", "3EB0C5A1B2C3D4E5F6A7"},
                           {"to", "15551234567@s.whatsapp.net"},
                           {"type", "text"},
                           {"t", "1700000000"}});
  Node& participants = message.add_child(Node("participants"));
  const char* devices[] = {"15551234567@s.whatsapp.net", "15551234567:3@s.whatsapp.net",
                           "15557654321:12@s.whatsapp.net"};
  uint8_t seed = 1;
  for (const char* jid : devices) {
    Node& to = participants.add_child(Node("to", {{"jid", jid}}));
    to.add_child(Node("enc", {{"v", "2"}, {"type", "pkmsg"}}, filler(200, seed++)));
  }
  message.add_child(Node("device-identity", {}, filler(150, 99)));
  return message;
}

void BM_EncodeMessage(benchmark::State& state) {
  Node stanza = message_stanza();
  size_t bytes = 0;
  for (auto _ : state) {
    core::Bytes out = wa::binary::marshal(stanza);
    bytes += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_EncodeMessage);

void BM_DecodeMessage(benchmark::State& state) {
  core::Bytes frame = wa::binary::marshal(message_stanza());
  for (auto _ : state) {
    auto node = wa::binary::unmarshal(frame);
    benchmark::DoNotOptimize(node.ok());
  }
  state.SetBytesProcessed(static_cast<int64_t>(frame.size() * state.iterations()));
}
BENCHMARK(BM_DecodeMessage);

void BM_TokenLookup(benchmark::State& state) {
  const char* words[] = {"message", "participants", "device-identity", "pkmsg", "not-a-token",
                         "w:g2",    "1961"};
  for (auto _ : state) {
    for (const char* w : words) benchmark::DoNotOptimize(wa::binary::find_token(w));
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 7));
}
BENCHMARK(BM_TokenLookup);

}  // namespace
