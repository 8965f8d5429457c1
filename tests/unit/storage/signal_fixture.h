// The real-Signal fixture of the crash test: a receiver device whose keys come from a fixed
// seed, and deterministic senders (in-memory stores, fixed seeds) whose ciphertexts for it are
// generated once per run into a file the crash child reads (so the child only decrypts).
//
// The stream per sender: a few pkmsgs (the session is not yet acknowledged), then — after a
// simulated receiver's reply has reached the sender — msgs on a new sender ratchet key, so the
// receiver's stored session goes through X3DH, a one-time pre-key removal and a DH ratchet step
// before the long run of symmetric-chain steps. Senders are interleaved round-robin; entry i
// carries the plaintext "msg-<i>" (WhatsApp-padded) and is recorded as message id "m-<i>".
//
// Why a simulated reply is safe: decrypting a sender's first pkmsg makes the receiver draw its
// next ratchet key. The receiver's randomness is reseeded per stream entry (ReceiverRandom), so
// the simulated receiver draws the same key the real one does when it decrypts that entry, and
// the reply is exactly what the real receiver would have sent; the sender's later msgs therefore
// decrypt on the real receiver without it ever sending.
//
// Threading: plain functions, used by one thread.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "wa/signal/cipher.h"
#include "wa/signal/keys.h"
#include "wa/signal/padding.h"
#include "wa/store/in_memory_store.h"

namespace storage::testing {

inline constexpr int kSignalPeers = 2;
inline constexpr int kPreKeyMessages = 3;  // pkmsgs per sender before the msgs start
inline constexpr uint32_t kReceiverSignedPreKeyId = 1;
inline constexpr uint32_t kReceiverFirstPreKeyId = 1;  // sender p uses pre-key id 1 + p

// The receiver's libsignal randomness: reseeded before each decrypt from the entry index, so a
// restarted child draws what an uninterrupted one would have.
class ReceiverRandom final : public core::Random {
 public:
  void reseed(size_t entry) { inner_ = core::FakeRandom(9000 + static_cast<uint64_t>(entry)); }
  void fill(std::span<uint8_t> out) override { inner_.fill(out); }

 private:
  core::FakeRandom inner_{9000};
};

struct ReceiverKeys {
  wa::signal::LocalIdentity identity;
  wa::signal::SignedPreKey signed_pre_key;
  std::vector<wa::signal::PreKey> pre_keys;  // one per sender
};

inline ReceiverKeys receiver_keys() {
  core::FakeRandom random(4242);
  ReceiverKeys k;
  k.identity.identity_key = wa::signal::generate_identity_key_pair(random);
  k.identity.registration_id = wa::signal::generate_registration_id(random);
  k.signed_pre_key =
      wa::signal::generate_signed_pre_key(k.identity.identity_key, kReceiverSignedPreKeyId, random)
          .value();
  k.pre_keys = wa::signal::generate_pre_keys(kReceiverFirstPreKeyId, kSignalPeers, random);
  return k;
}

// Stores the receiver's signed and one-time pre-keys (what the device uploaded at pairing).
inline core::Status install_receiver_keys(wa::store::SignalStore& store, const ReceiverKeys& k) {
  CORE_RETURN_IF_ERROR(wa::signal::save_signed_pre_key(store, k.signed_pre_key, 1));
  return wa::signal::save_pre_keys(store, k.pre_keys);
}

inline wa::signal::Address peer_address(int peer) { return {"1555000" + std::to_string(peer), 0}; }
inline std::string peer_jid(int peer) {
  return "1555000" + std::to_string(peer) + "@s.whatsapp.net";
}
inline std::string entry_plaintext(size_t i) { return "msg-" + std::to_string(i); }
inline std::string entry_message_id(size_t i) { return "m-" + std::to_string(i); }

struct CipherEntry {
  int peer = 0;
  wa::signal::MessageType type = wa::signal::MessageType::kWhisper;
  core::Bytes ciphertext;
};

// Generates `count` entries. Identities and pre-keys are fixed; the sender's ratchet key after
// the reply is not (libsignal draws it from the provider), so a run generates its stream once.
// The senders, kept alive so a run can extend its stream when a fast machine gets close to
// the end of it.
class StreamGenerator {
 public:
  core::Status init() {
    using namespace wa::signal;
    for (int p = 0; p < kSignalPeers; ++p) {
      auto s = std::make_unique<Sender>(1000 + static_cast<uint64_t>(p));
      LocalIdentity id{generate_identity_key_pair(s->random), generate_registration_id(s->random)};
      CORE_ASSIGN_OR_RETURN(s->protocol, SignalProtocol::create(s->store, id, &s->random));
      CORE_RETURN_IF_ERROR(
          s->protocol
              ->process_bundle(
                  kReceiver,
                  make_bundle(keys_.identity.registration_id, 0, keys_.identity.identity_key,
                              keys_.signed_pre_key, &keys_.pre_keys[static_cast<size_t>(p)]))
              .status());
      senders_.push_back(std::move(s));
    }
    return core::Status();
  }

  // Appends `count` entries to `out` (which holds every entry generated so far).
  core::Status extend(std::vector<CipherEntry>& out, size_t count) {
    using namespace wa::signal;
    for (size_t k = 0; k < count; ++k) {
      const size_t i = out.size();
      const int p = static_cast<int>(i % kSignalPeers);
      Sender& s = *senders_[static_cast<size_t>(p)];
      if (s.sent == kPreKeyMessages) {
        // The simulated receiver (same keys, own store) answers the first pkmsg; once the
        // sender has decrypted the answer it switches to msgs.
        wa::store::InMemoryStore sim_store;
        CORE_RETURN_IF_ERROR(install_receiver_keys(sim_store, keys_));
        ReceiverRandom sim_random;
        CORE_ASSIGN_OR_RETURN(auto sim,
                              SignalProtocol::create(sim_store, keys_.identity, &sim_random));
        const CipherEntry& first = out[static_cast<size_t>(p)];
        sim_random.reseed(static_cast<size_t>(p));
        CORE_RETURN_IF_ERROR(sim->decrypt(peer_address(p), first.type, first.ciphertext).status());
        CORE_ASSIGN_OR_RETURN(auto reply, sim->encrypt(peer_address(p), core::as_view("ack")));
        CORE_RETURN_IF_ERROR(s.protocol->decrypt(kReceiver, reply.type, reply.ciphertext).status());
      }
      core::Bytes padded = pad(core::as_view(entry_plaintext(i)), pad_random_);
      CORE_ASSIGN_OR_RETURN(auto enc, s.protocol->encrypt(kReceiver, padded));
      out.push_back({p, enc.type, std::move(enc.ciphertext)});
      ++s.sent;
    }
    return core::Status();
  }

 private:
  struct Sender {
    core::FakeRandom random;
    wa::store::InMemoryStore store;
    std::unique_ptr<wa::signal::SignalProtocol> protocol;
    size_t sent = 0;
    explicit Sender(uint64_t seed) : random(seed) {}
  };
  inline static const wa::signal::Address kReceiver{"1555999", 0};
  const ReceiverKeys keys_ = receiver_keys();
  std::vector<std::unique_ptr<Sender>> senders_;
  core::FakeRandom pad_random_{77};
};

inline core::Result<std::vector<CipherEntry>> generate_stream(size_t count) {
  StreamGenerator gen;
  CORE_RETURN_IF_ERROR(gen.init());
  std::vector<CipherEntry> out;
  CORE_RETURN_IF_ERROR(gen.extend(out, count));
  return out;
}

// File format: per entry [peer u8][type u8][length u32 BE][ciphertext].
inline core::Status write_stream(const std::string& path, const std::vector<CipherEntry>& entries) {
  core::Bytes buf;
  for (const auto& e : entries) {
    buf.push_back(static_cast<uint8_t>(e.peer));
    buf.push_back(static_cast<uint8_t>(e.type));
    core::put_uint_be(buf, e.ciphertext.size(), 4);
    buf.insert(buf.end(), e.ciphertext.begin(), e.ciphertext.end());
  }
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) return core::Status::unavailable("cannot write " + path);
  bool ok = std::fwrite(buf.data(), 1, buf.size(), f) == buf.size();
  ok = std::fclose(f) == 0 && ok;
  return ok ? core::Status() : core::Status::unavailable("short write to " + path);
}

inline core::Result<std::vector<CipherEntry>> read_stream(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return core::Status::not_found("cannot read " + path);
  core::Bytes buf;
  uint8_t chunk[65536];
  size_t n;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0) buf.insert(buf.end(), chunk, chunk + n);
  std::fclose(f);
  std::vector<CipherEntry> out;
  size_t pos = 0;
  while (pos < buf.size()) {
    if (buf.size() - pos < 6) return core::Status::invalid_argument("truncated stream");
    CipherEntry e;
    e.peer = buf[pos];
    e.type = static_cast<wa::signal::MessageType>(buf[pos + 1]);
    size_t len = core::get_uint_be(core::ByteView(buf).subspan(pos + 2, 4), 4);
    pos += 6;
    if (e.peer >= kSignalPeers || buf.size() - pos < len)
      return core::Status::invalid_argument("bad stream entry");
    e.ciphertext.assign(buf.begin() + static_cast<long>(pos),
                        buf.begin() + static_cast<long>(pos + len));
    pos += len;
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace storage::testing
