// libFuzzer target for the simulator's per-connection intake (simulator/connection_intake.h):
// whatever a client sends — intro, handshake messages, transport frames — must end in events or
// a clean error, never a crash, an over-read or a hang. The first input byte picks a mode:
//   even: the input is the raw byte stream, split into WebSocket-sized chunks by the next byte;
//   odd:  a valid client finishes the handshake first, then every chunk of the rest is sent
//         encrypted as one transport frame (reaching the node decoder through the real cipher),
//         with every 4th chunk sent raw instead (undecryptable or mis-framed bytes).
// Invariants checked: an error is final; decoded nodes can be encoded back through the intake.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/clock.h"
#include "core/random.h"
#include "simulator/connection_intake.h"
#include "wa/noise/cert_chain.h"
#include "wa/noise/frame.h"
#include "wa/noise/handshake.h"

namespace {

struct ServerIdentity {
  ServerIdentity() {
    core::FakeRandom random(1);
    wa::noise::CertChainKeys keys;
    keys.root = crypto::generate_key_pair(random);
    keys.intermediate = crypto::generate_key_pair(random);
    keys.intermediate_serial = 1;
    keys.leaf_serial = 2;
    root = keys.root;
    static_key = crypto::generate_key_pair(random);
    chain = wa::noise::create_cert_chain(keys, static_key.public_view(), 0, 4000000000LL, random)
                .value();
  }
  crypto::KeyPair root;
  crypto::KeyPair static_key;
  core::Bytes chain;
};

const ServerIdentity& identity() {
  static const ServerIdentity id;
  return id;
}

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "invariant violated: %s\n", what);
  std::abort();
}

// Drains events; returns false once the intake failed (and checks that failure is final).
bool drain(sim::ConnectionIntake& intake, std::optional<core::Bytes>* server_hello) {
  for (int guard = 0; guard < 1 << 20; ++guard) {
    auto ev = intake.next();
    if (!ev.ok()) {
      if (intake.next().ok()) die("error was not final");
      if (intake.encode_node(wa::binary::Node("x")).ok()) die("encode after failure");
      return false;
    }
    if (!ev->has_value()) return true;
    auto& e = **ev;
    if (e.kind == sim::IntakeEvent::Kind::kWrite && server_hello) *server_hello = e.bytes;
    if (e.kind == sim::IntakeEvent::Kind::kNode) {
      if (!intake.handshake_done()) die("node before handshake");
      // A node that decoded must be expressible again on the way out.
      if (!intake.encode_node(e.node).ok() && !intake.failed()) {
        // Encoder limits (e.g. > 65535 children) are reported, not crashes; fine.
      }
    }
  }
  die("intake produced an unbounded number of events");
}

// Splits `data` into chunks whose sizes come from the input itself.
template <class F>
void for_chunks(const uint8_t* data, size_t size, F fn) {
  size_t pos = 0;
  while (pos < size) {
    size_t len = 1 + data[pos] % 64;
    ++pos;
    if (len > size - pos) len = size - pos;
    fn(core::ByteView(data + pos, len));
    pos += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const auto& id = identity();
  core::FakeRandom random(size);
  sim::ConnectionIntake intake(id.static_key, id.chain, random, 1 << 16);
  const uint8_t mode = data[0];
  ++data;
  --size;

  if ((mode & 1) == 0) {
    for_chunks(data, size, [&](core::ByteView chunk) {
      intake.feed(chunk);
      drain(intake, nullptr);
    });
    return 0;
  }

  // A well-behaved client completes the handshake.
  core::FakeClock clock(1700000000);
  auto client_key = crypto::generate_key_pair(random);
  wa::noise::NoiseInitiator client(client_key, id.root.public_view(), clock, random);
  core::Bytes first = wa::noise::make_intro();
  core::append(first, wa::noise::make_frame(client.client_hello().value()).value());
  intake.feed(first);
  std::optional<core::Bytes> server_hello;
  if (!drain(intake, &server_hello) || !server_hello) die("valid hello refused");
  wa::noise::FrameParser parser(wa::noise::kMaxFramePayload, false);
  parser.feed(*server_hello);
  auto sh = parser.next().value();
  auto finish = client.on_server_hello(sh.value(), core::as_view("payload"));
  if (!finish.ok()) die("client refused our server hello");
  auto cipher = client.finish().value();
  intake.feed(wa::noise::make_frame(*finish).value());
  if (!drain(intake, nullptr) || !intake.handshake_done()) die("valid finish refused");

  int n = 0;
  bool alive = true;
  for_chunks(data, size, [&](core::ByteView chunk) {
    if (!alive) return;
    if (++n % 4 == 0) {
      intake.feed(chunk);
    } else {
      intake.feed(wa::noise::make_frame(cipher.encrypt(chunk).value()).value());
    }
    alive = drain(intake, nullptr);
  });
  return 0;
}
