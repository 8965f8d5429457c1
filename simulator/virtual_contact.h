// Virtual contacts: the phone (device 0) of a virtual account is a real Signal device living
// inside the simulator. It publishes its key bundle like any device (its Signal identity is the
// account's identity key, which companions already store as the phone's identity after
// pairing), decrypts what is routed to it, and answers per its kind: `echo` replies to 1:1 texts
// with the same text, `silent` only sends delivery and read receipts.
//
// VirtualSignalStore keeps the phone's Signal records (sessions, identities, pre-keys, sender
// keys) in a map mirrored row by row into the simulator's SQLite state through a callback, so a
// virtual contact survives a restart like everything else.
//
// Ownership: SimulatorImpl owns one VirtualPhone per virtual account; the phone owns its store
// and its SignalProtocol (which references the store).
// Threading: single-threaded, like the Simulator.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "core/bytes.h"
#include "wa/signal/cipher.h"
#include "wa/store/signal_store.h"

namespace sim {

class VirtualSignalStore final : public wa::store::SignalStore {
 public:
  using Persist = std::function<void(const std::string& key, const std::optional<core::Bytes>&)>;
  VirtualSignalStore(std::map<std::string, core::Bytes> rows, Persist persist)
      : rows_(std::move(rows)), persist_(std::move(persist)) {}

  std::unique_ptr<wa::store::Transaction> begin() override;

  core::Result<std::optional<core::Bytes>> load_identity(
      const wa::store::SignalAddress& address) override;
  core::Status save_identity(const wa::store::SignalAddress& address, core::ByteView key) override;
  core::Status delete_identity(const wa::store::SignalAddress& address) override;
  core::Result<std::optional<core::Bytes>> load_session(
      const wa::store::SignalAddress& address) override;
  core::Status store_session(const wa::store::SignalAddress& address,
                             core::ByteView record) override;
  core::Result<std::vector<uint32_t>> list_session_devices(const std::string& name) override;
  core::Status delete_session(const wa::store::SignalAddress& address) override;
  core::Result<std::optional<core::Bytes>> load_pre_key(uint32_t id) override;
  core::Status store_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_pre_key(uint32_t id) override;
  core::Result<std::optional<core::Bytes>> load_signed_pre_key(uint32_t id) override;
  core::Status store_signed_pre_key(uint32_t id, core::ByteView record) override;
  core::Status remove_signed_pre_key(uint32_t id) override;
  core::Result<std::vector<uint32_t>> list_signed_pre_keys() override;
  core::Result<std::optional<core::Bytes>> load_sender_key(
      const wa::store::SenderKeyName& name) override;
  core::Status store_sender_key(const wa::store::SenderKeyName& name,
                                core::ByteView record) override;
  core::Status delete_sender_key(const wa::store::SenderKeyName& name) override;

  // Plain rows for the phone's own counters ("regid", "next_prekey").
  std::optional<core::Bytes> get(const std::string& key) const;
  void put(const std::string& key, std::optional<core::Bytes> value);

 private:
  std::map<std::string, core::Bytes> rows_;
  Persist persist_;
};

struct VirtualPhone {
  std::unique_ptr<VirtualSignalStore> store;
  std::unique_ptr<wa::signal::SignalProtocol> signal;
  uint32_t next_prekey_id = 1;
};

}  // namespace sim
