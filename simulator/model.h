// The simulator's data model (wa-protocol.md §13.1): accounts with their "phone" identity,
// companion devices with their key bundles and offline queues, and groups. These are plain
// values; SimulatorImpl owns the one instance of each and StateStore mirrors them to SQLite.
//
// Ownership: plain values held by SimulatorImpl (accounts by phone, groups by id).
// Threading: single-threaded, like the Simulator.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "crypto/curve25519.h"
#include "simulator/simulator.h"
#include "wa/binary/node.h"

namespace sim {

struct SignedPreKey {
  uint32_t id = 0;
  core::Bytes pub;  // raw 32 bytes
  core::Bytes sig;  // XEdDSA over 0x05 ‖ pub
};

// One stanza waiting for (or, for messages, delivered but not yet confirmed by) a device.
struct QueueEntry {
  uint64_t seq = 0;  // global, increasing: the persisted row id and the delivery order
  std::string tag;   // "message", "receipt", "notification"
  std::string id;    // the stanza id the device's ack/receipt will name
  wa::binary::Node node;
  bool sent = false;  // written to a connection at least once
};

struct Device {
  uint16_t id = 0;        // 0 = the phone (only virtual accounts have one), 1.. companions
  core::Bytes noise_key;  // 32 bytes; the Noise static the device logs in with
  core::Bytes identity;   // Signal identity public key, raw 32 bytes
  uint32_t registration_id = 0;
  SignedPreKey skey;
  std::map<uint32_t, core::Bytes> prekeys;  // one-time pre-key pool: id → raw public key
  uint32_t key_index = 0;
  core::Bytes adv;  // ADVSignedDeviceIdentity with both signatures and the account key
  std::string platform;

  // Runtime only.
  bool low_prekeys_notified = false;
  std::deque<QueueEntry> queue;
};

struct Account {
  std::string phone;  // digits
  std::string lid;    // digits
  std::string name;
  VirtualKind virtual_kind = VirtualKind::kNone;
  crypto::KeyPair identity;  // the phone's Signal identity key: signs ADV for companions
  uint32_t adv_raw_id = 0;
  uint32_t next_key_index = 1;
  uint16_t next_device_id = 1;
  std::map<uint16_t, Device> devices;

  // Runtime only: the push name learnt from presence / ClientPayload.
  std::string push_name;
};

struct GroupMember {
  std::string phone;
  std::string role;  // "", "admin" or "superadmin"
};

struct Group {
  std::string id;  // bare id (no @g.us)
  std::string subject;
  std::string creator;  // phone
  int64_t creation = 0;
  int64_t subject_time = 0;
  std::string subject_owner;  // phone
  std::string addressing_mode = "lid";
  std::vector<GroupMember> members;

  const GroupMember* member(const std::string& phone) const {
    for (const auto& m : members)
      if (m.phone == phone) return &m;
    return nullptr;
  }
};

}  // namespace sim
