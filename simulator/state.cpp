#include "simulator/state.h"

#include <sqlite3.h>

#include <cstring>

#include "wa/binary/decoder.h"
#include "wa/binary/encoder.h"

namespace sim {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
  phone TEXT PRIMARY KEY, lid TEXT NOT NULL UNIQUE, name TEXT NOT NULL, virtual INTEGER NOT NULL,
  identity_priv BLOB NOT NULL, adv_raw_id INTEGER NOT NULL, next_key_index INTEGER NOT NULL,
  next_device_id INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS devices (
  phone TEXT NOT NULL, id INTEGER NOT NULL, noise_key BLOB, identity BLOB,
  registration_id INTEGER, skey_id INTEGER, skey_pub BLOB, skey_sig BLOB, key_index INTEGER,
  adv BLOB, platform TEXT, PRIMARY KEY (phone, id));
CREATE TABLE IF NOT EXISTS prekeys (
  phone TEXT NOT NULL, device INTEGER NOT NULL, id INTEGER NOT NULL, pub BLOB NOT NULL,
  PRIMARY KEY (phone, device, id));
CREATE TABLE IF NOT EXISTS groups (
  id TEXT PRIMARY KEY, subject TEXT, creator TEXT, creation INTEGER, subject_time INTEGER,
  subject_owner TEXT, addressing_mode TEXT);
CREATE TABLE IF NOT EXISTS group_members (
  group_id TEXT NOT NULL, pos INTEGER NOT NULL, phone TEXT NOT NULL, role TEXT NOT NULL,
  PRIMARY KEY (group_id, pos));
CREATE TABLE IF NOT EXISTS vsignal (
  phone TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, PRIMARY KEY (phone, key));
CREATE TABLE IF NOT EXISTS queue (
  seq INTEGER PRIMARY KEY, phone TEXT NOT NULL, device INTEGER NOT NULL, tag TEXT NOT NULL,
  stanza_id TEXT NOT NULL, node BLOB NOT NULL, sent INTEGER NOT NULL);
)sql";

// A prepared statement that finalizes itself; binds are 1-based like SQLite's.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    rc_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr);
  }
  ~Stmt() { sqlite3_finalize(stmt_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;

  Stmt& bind(int i, const std::string& s) {
    sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, core::ByteView b) {
    // A zero-length blob must still be non-NULL.
    static const uint8_t kEmpty = 0;
    sqlite3_bind_blob(stmt_, i, b.empty() ? &kEmpty : b.data(), static_cast<int>(b.size()),
                      SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& bind(int i, int64_t v) {
    sqlite3_bind_int64(stmt_, i, v);
    return *this;
  }
  // SQLITE_ROW → true, SQLITE_DONE → false; errors land in status().
  bool step() {
    if (rc_ != SQLITE_OK && rc_ != SQLITE_ROW && rc_ != SQLITE_DONE) return false;
    rc_ = sqlite3_step(stmt_);
    return rc_ == SQLITE_ROW;
  }
  core::Status run() {
    step();
    return status();
  }
  core::Status status() const {
    if (rc_ == SQLITE_OK || rc_ == SQLITE_ROW || rc_ == SQLITE_DONE) return {};
    return core::Status::internal(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  std::string text(int col) const {
    const auto* p = sqlite3_column_text(stmt_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
  }
  core::Bytes blob(int col) const {
    const auto* p = static_cast<const uint8_t*>(sqlite3_column_blob(stmt_, col));
    const int n = sqlite3_column_bytes(stmt_, col);
    return p ? core::Bytes(p, p + n) : core::Bytes();
  }
  int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
  // Ready to run again with new binds.
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
    if (rc_ == SQLITE_ROW || rc_ == SQLITE_DONE) rc_ = SQLITE_OK;
  }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  int rc_ = SQLITE_OK;
};

}  // namespace

core::Result<std::unique_ptr<StateStore>> StateStore::open(const std::string& path) {
  sqlite3* db = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    return core::Status::unavailable("opening " + path + ": " + msg);
  }
  std::unique_ptr<StateStore> store(new StateStore(db));
  CORE_RETURN_IF_ERROR(store->exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  CORE_RETURN_IF_ERROR(store->exec(kSchema));
  return store;
}

StateStore::~StateStore() { sqlite3_close(db_); }

core::Status StateStore::exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    return core::Status::internal("sqlite: " + msg);
  }
  return {};
}

core::Status StateStore::begin() { return exec("BEGIN"); }
core::Status StateStore::commit() { return exec("COMMIT"); }

std::optional<core::Bytes> StateStore::get_meta(const std::string& key) {
  Stmt s(db_, "SELECT value FROM meta WHERE key = ?");
  s.bind(1, key);
  if (!s.step()) return std::nullopt;
  return s.blob(0);
}

core::Status StateStore::put_meta(const std::string& key, core::ByteView value) {
  Stmt s(db_, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)");
  s.bind(1, key).bind(2, value);
  return s.run();
}

core::Status StateStore::load(std::map<std::string, Account>& accounts,
                              std::map<std::string, Group>& groups, uint64_t& max_queue_seq) {
  {
    Stmt s(db_,
           "SELECT phone, lid, name, virtual, identity_priv, adv_raw_id, next_key_index, "
           "next_device_id FROM accounts");
    while (s.step()) {
      Account a;
      a.phone = s.text(0);
      a.lid = s.text(1);
      a.name = s.text(2);
      a.push_name = a.name;  // until the account's client announces its own
      a.virtual_kind = static_cast<VirtualKind>(s.integer(3));
      auto kp = crypto::key_pair_from_private(s.blob(4));
      if (!kp.ok()) return kp.status().with_context("account " + a.phone);
      a.identity = *kp;
      a.adv_raw_id = static_cast<uint32_t>(s.integer(5));
      a.next_key_index = static_cast<uint32_t>(s.integer(6));
      a.next_device_id = static_cast<uint16_t>(s.integer(7));
      accounts[a.phone] = std::move(a);
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(db_,
           "SELECT phone, id, noise_key, identity, registration_id, skey_id, skey_pub, skey_sig, "
           "key_index, adv, platform FROM devices");
    while (s.step()) {
      auto it = accounts.find(s.text(0));
      if (it == accounts.end()) continue;
      Device d;
      d.id = static_cast<uint16_t>(s.integer(1));
      d.noise_key = s.blob(2);
      d.identity = s.blob(3);
      d.registration_id = static_cast<uint32_t>(s.integer(4));
      d.skey.id = static_cast<uint32_t>(s.integer(5));
      d.skey.pub = s.blob(6);
      d.skey.sig = s.blob(7);
      d.key_index = static_cast<uint32_t>(s.integer(8));
      d.adv = s.blob(9);
      d.platform = s.text(10);
      it->second.devices[d.id] = std::move(d);
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(db_, "SELECT phone, device, id, pub FROM prekeys");
    while (s.step()) {
      auto it = accounts.find(s.text(0));
      if (it == accounts.end()) continue;
      auto dev = it->second.devices.find(static_cast<uint16_t>(s.integer(1)));
      if (dev == it->second.devices.end()) continue;
      dev->second.prekeys[static_cast<uint32_t>(s.integer(2))] = s.blob(3);
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(db_, "SELECT seq, phone, device, tag, stanza_id, node, sent FROM queue ORDER BY seq");
    max_queue_seq = 0;
    while (s.step()) {
      QueueEntry e;
      e.seq = static_cast<uint64_t>(s.integer(0));
      max_queue_seq = std::max(max_queue_seq, e.seq);
      auto it = accounts.find(s.text(1));
      if (it == accounts.end()) continue;
      auto dev = it->second.devices.find(static_cast<uint16_t>(s.integer(2)));
      if (dev == it->second.devices.end()) continue;
      e.tag = s.text(3);
      e.id = s.text(4);
      auto node = wa::binary::decode_node(s.blob(5));
      if (!node.ok()) continue;  // a row we cannot read is dropped, not fatal
      e.node = std::move(node).value();
      e.sent = s.integer(6) != 0;
      dev->second.queue.push_back(std::move(e));
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(db_,
           "SELECT id, subject, creator, creation, subject_time, subject_owner, addressing_mode "
           "FROM groups");
    while (s.step()) {
      Group g;
      g.id = s.text(0);
      g.subject = s.text(1);
      g.creator = s.text(2);
      g.creation = s.integer(3);
      g.subject_time = s.integer(4);
      g.subject_owner = s.text(5);
      g.addressing_mode = s.text(6);
      groups[g.id] = std::move(g);
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  {
    Stmt s(db_, "SELECT group_id, phone, role FROM group_members ORDER BY group_id, pos");
    while (s.step()) {
      auto it = groups.find(s.text(0));
      if (it == groups.end()) continue;
      it->second.members.push_back({s.text(1), s.text(2)});
    }
    CORE_RETURN_IF_ERROR(s.status());
  }
  return {};
}

core::Status StateStore::save_account(const Account& a) {
  Stmt s(db_,
         "INSERT OR REPLACE INTO accounts (phone, lid, name, virtual, identity_priv, adv_raw_id, "
         "next_key_index, next_device_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, a.phone)
      .bind(2, a.lid)
      .bind(3, a.name)
      .bind(4, static_cast<int64_t>(a.virtual_kind))
      .bind(5, a.identity.private_view())
      .bind(6, static_cast<int64_t>(a.adv_raw_id))
      .bind(7, static_cast<int64_t>(a.next_key_index))
      .bind(8, static_cast<int64_t>(a.next_device_id));
  return s.run();
}

core::Status StateStore::save_device(const std::string& phone, const Device& d) {
  Stmt s(db_,
         "INSERT OR REPLACE INTO devices (phone, id, noise_key, identity, registration_id, "
         "skey_id, skey_pub, skey_sig, key_index, adv, platform) "
         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, phone)
      .bind(2, static_cast<int64_t>(d.id))
      .bind(3, d.noise_key)
      .bind(4, d.identity)
      .bind(5, static_cast<int64_t>(d.registration_id))
      .bind(6, static_cast<int64_t>(d.skey.id))
      .bind(7, d.skey.pub)
      .bind(8, d.skey.sig)
      .bind(9, static_cast<int64_t>(d.key_index))
      .bind(10, d.adv)
      .bind(11, d.platform);
  return s.run();
}

core::Status StateStore::delete_device(const std::string& phone, uint16_t device) {
  for (const char* sql : {"DELETE FROM devices WHERE phone = ? AND id = ?",
                          "DELETE FROM prekeys WHERE phone = ? AND device = ?",
                          "DELETE FROM queue WHERE phone = ? AND device = ?"}) {
    Stmt s(db_, sql);
    s.bind(1, phone).bind(2, static_cast<int64_t>(device));
    CORE_RETURN_IF_ERROR(s.run());
  }
  return {};
}

core::Status StateStore::put_prekeys(const std::string& phone, uint16_t device,
                                     const std::vector<std::pair<uint32_t, core::Bytes>>& keys) {
  Stmt s(db_, "INSERT OR REPLACE INTO prekeys (phone, device, id, pub) VALUES (?, ?, ?, ?)");
  for (const auto& [id, pub] : keys) {
    s.bind(1, phone).bind(2, static_cast<int64_t>(device)).bind(3, static_cast<int64_t>(id));
    s.bind(4, pub);
    CORE_RETURN_IF_ERROR(s.run());
    s.reset();
  }
  return {};
}

core::Status StateStore::delete_prekey(const std::string& phone, uint16_t device, uint32_t id) {
  Stmt s(db_, "DELETE FROM prekeys WHERE phone = ? AND device = ? AND id = ?");
  s.bind(1, phone).bind(2, static_cast<int64_t>(device)).bind(3, static_cast<int64_t>(id));
  return s.run();
}

core::Status StateStore::save_group(const Group& g) {
  {
    Stmt s(db_,
           "INSERT OR REPLACE INTO groups (id, subject, creator, creation, subject_time, "
           "subject_owner, addressing_mode) VALUES (?, ?, ?, ?, ?, ?, ?)");
    s.bind(1, g.id)
        .bind(2, g.subject)
        .bind(3, g.creator)
        .bind(4, g.creation)
        .bind(5, g.subject_time)
        .bind(6, g.subject_owner)
        .bind(7, g.addressing_mode);
    CORE_RETURN_IF_ERROR(s.run());
  }
  {
    Stmt s(db_, "DELETE FROM group_members WHERE group_id = ?");
    s.bind(1, g.id);
    CORE_RETURN_IF_ERROR(s.run());
  }
  Stmt s(db_, "INSERT INTO group_members (group_id, pos, phone, role) VALUES (?, ?, ?, ?)");
  int64_t pos = 0;
  for (const auto& m : g.members) {
    s.bind(1, g.id).bind(2, pos++).bind(3, m.phone).bind(4, m.role);
    CORE_RETURN_IF_ERROR(s.run());
    s.reset();
  }
  return {};
}

core::Status StateStore::delete_group(const std::string& id) {
  for (const char* sql :
       {"DELETE FROM groups WHERE id = ?", "DELETE FROM group_members WHERE group_id = ?"}) {
    Stmt s(db_, sql);
    s.bind(1, id);
    CORE_RETURN_IF_ERROR(s.run());
  }
  return {};
}

core::Status StateStore::queue_put(const std::string& phone, uint16_t device, const QueueEntry& e) {
  Stmt s(db_,
         "INSERT OR REPLACE INTO queue (seq, phone, device, tag, stanza_id, node, sent) "
         "VALUES (?, ?, ?, ?, ?, ?, ?)");
  s.bind(1, static_cast<int64_t>(e.seq))
      .bind(2, phone)
      .bind(3, static_cast<int64_t>(device))
      .bind(4, e.tag)
      .bind(5, e.id)
      .bind(6, wa::binary::encode_node(e.node))
      .bind(7, static_cast<int64_t>(e.sent ? 1 : 0));
  return s.run();
}

core::Status StateStore::queue_remove(uint64_t seq) {
  Stmt s(db_, "DELETE FROM queue WHERE seq = ?");
  s.bind(1, static_cast<int64_t>(seq));
  return s.run();
}

std::map<std::string, core::Bytes> StateStore::load_virtual(const std::string& phone) {
  std::map<std::string, core::Bytes> out;
  Stmt s(db_, "SELECT key, value FROM vsignal WHERE phone = ?");
  s.bind(1, phone);
  while (s.step()) out[s.text(0)] = s.blob(1);
  return out;
}

core::Status StateStore::put_virtual(const std::string& phone, const std::string& key,
                                     const std::optional<core::Bytes>& value) {
  if (!value) {
    Stmt s(db_, "DELETE FROM vsignal WHERE phone = ? AND key = ?");
    s.bind(1, phone).bind(2, key);
    return s.run();
  }
  Stmt s(db_, "INSERT OR REPLACE INTO vsignal (phone, key, value) VALUES (?, ?, ?)");
  s.bind(1, phone).bind(2, key).bind(3, *value);
  return s.run();
}

}  // namespace sim
