// The simulator's Noise identity (wa-protocol.md §1.6): a root, an intermediate and a static
// key generated once and kept in the state's meta table, and a certificate chain issued at
// every open with a long validity window, so a strict client (ours, whatsmeow) verifies it
// against the simulator root.
#include <chrono>

#include "simulator/simulator_impl.h"
#include "wa/noise/cert_chain.h"

namespace sim {
namespace {

constexpr int64_t kDay = 24 * 60 * 60;
constexpr int64_t kValidity = 10 * 365 * kDay;

}  // namespace

core::Status SimulatorImpl::init_identity() {
  auto load_or_make = [this](const std::string& key) -> core::Result<crypto::KeyPair> {
    if (auto stored = store_->get_meta(key)) return crypto::key_pair_from_private(*stored);
    crypto::KeyPair kp = crypto::generate_key_pair(random_);
    CORE_RETURN_IF_ERROR(store_->put_meta(key, kp.private_view()));
    return kp;
  };
  CORE_ASSIGN_OR_RETURN(root_, load_or_make("noise_root"));
  CORE_ASSIGN_OR_RETURN(intermediate_, load_or_make("noise_intermediate"));
  CORE_ASSIGN_OR_RETURN(noise_static_, load_or_make("noise_static"));

  core::Bytes serials;
  if (auto stored = store_->get_meta("noise_serials"); stored && stored->size() == 8) {
    serials = *stored;
  } else {
    serials = random_.bytes(8);
    CORE_RETURN_IF_ERROR(store_->put_meta("noise_serials", serials));
  }
  // Serial 0 is the root's; keep ours non-zero.
  const uint32_t intermediate_serial =
      static_cast<uint32_t>(core::get_uint_be(serials, 4)) % 0x7fffffff + 1;
  const uint32_t leaf_serial =
      static_cast<uint32_t>(core::get_uint_be(core::ByteView(serials).subspan(4), 4)) % 0x7fffffff +
      1;
  const int64_t now = clock_.unix_seconds();
  CORE_ASSIGN_OR_RETURN(
      cert_chain_, wa::noise::create_cert_chain(root_, intermediate_, noise_static_.public_view(),
                                                intermediate_serial, leaf_serial, now - kDay,
                                                now + kValidity, random_));
  return {};
}

}  // namespace sim
