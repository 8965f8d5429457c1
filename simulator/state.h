// StateStore: the simulator's persistence, one SQLite file (state_dir/sim.db) or an in-memory
// SQLite database in ephemeral mode, so both modes run the same code. The in-memory model
// (model.h) is the source of truth; every change is written through here and the whole model
// is loaded once at open. Noise keys, the media auth token and virtual-contact state live in a
// key/value `meta` table.
//
// Ownership: SimulatorImpl owns the one StateStore; it owns the sqlite3 handle.
// Threading: single-threaded, like the Simulator.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/status.h"
#include "simulator/model.h"

struct sqlite3;

namespace sim {

class StateStore {
 public:
  // `path` ":memory:" for an ephemeral store. Creates the schema if missing.
  static core::Result<std::unique_ptr<StateStore>> open(const std::string& path);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  std::optional<core::Bytes> get_meta(const std::string& key);
  core::Status put_meta(const std::string& key, core::ByteView value);

  // Loads every account (with devices, pre-keys and queues) and group.
  core::Status load(std::map<std::string, Account>& accounts, std::map<std::string, Group>& groups,
                    uint64_t& max_queue_seq);

  core::Status save_account(const Account& account);                         // the account row only
  core::Status save_device(const std::string& phone, const Device& device);  // row, not pool
  core::Status delete_device(const std::string& phone, uint16_t device);     // + pool + queue
  core::Status put_prekeys(const std::string& phone, uint16_t device,
                           const std::vector<std::pair<uint32_t, core::Bytes>>& keys);
  core::Status delete_prekey(const std::string& phone, uint16_t device, uint32_t id);
  core::Status save_group(const Group& group);  // row + members
  core::Status delete_group(const std::string& id);
  core::Status queue_put(const std::string& phone, uint16_t device, const QueueEntry& entry);
  core::Status queue_remove(uint64_t seq);

  // A virtual phone's Signal state and counters, as opaque key → value rows.
  std::map<std::string, core::Bytes> load_virtual(const std::string& phone);
  // std::nullopt deletes the row.
  core::Status put_virtual(const std::string& phone, const std::string& key,
                           const std::optional<core::Bytes>& value);

  // Groups writes so 812 pre-keys cost one fsync.
  core::Status begin();
  core::Status commit();

 private:
  explicit StateStore(sqlite3* db) : db_(db) {}
  core::Status exec(const char* sql);

  sqlite3* db_;
};

}  // namespace sim
