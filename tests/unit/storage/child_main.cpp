// Helper process for the storage tests.
//   migrate <url>                          apply migrations; print how many were applied
//   crash <url> <key hex> <session> <peers>  decrypt-and-record forever (killed by the test)
#include <unistd.h>

#include <cstdio>
#include <string>

#include "core/clock.h"
#include "storage/migrations.h"
#include "storage/storage.h"
#include "tests/unit/storage/toy_ratchet.h"

using namespace storage;

namespace {

int migrate(const std::string& url) {
  DatabaseOptions o;
  o.url = url;
  o.pool_size = 1;
  auto db = Database::open(o);
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().to_string().c_str());
    return 1;
  }
  auto n = Migrator(**db).migrate();
  if (!n.ok()) {
    std::fprintf(stderr, "%s\n", n.status().to_string().c_str());
    return 1;
  }
  std::printf("%d\n", *n);
  return 0;
}

int crash(const std::string& url, const std::string& key, const std::string& session, int peers) {
  StorageOptions o;
  o.database.url = url;
  o.database.pool_size = 2;
  o.encryption_key_hex = key;
  o.migrate = false;
  auto storage = Storage::open(o);
  if (!storage.ok()) {
    std::fprintf(stderr, "open: %s\n", storage.status().to_string().c_str());
    return 10;
  }
  Storage& s = **storage;
  auto store = s.device_store(session);
  std::printf("ready\n");
  std::fflush(stdout);
  for (uint64_t i = 0;; ++i) {
    int peer = static_cast<int>(i % static_cast<uint64_t>(peers));
    wa::store::SignalAddress addr{"1555000" + std::to_string(peer), 0};
    auto txn = store->begin();
    auto rec = txn->load_session(addr);
    if (!rec.ok() || !*rec) return 11;
    auto state = testing::ToyState::parse(**rec);
    if (!state.ok()) return 12;
    auto ct = testing::toy_ciphertext(peer, state->counter);
    auto dec = testing::toy_decrypt(*state, ct);
    if (!dec.ok()) return 13;  // the stored ratchet is out of step with what was recorded
    if (!txn->store_session(addr, dec->second.serialize()).ok()) return 14;
    uint64_t n = state->counter;
    std::string plaintext = dec->first;
    txn->add_commit_hook([&]() -> core::Status {
      MessageRecord m;
      m.session_id = session;
      m.chat_jid = testing::toy_peer_jid(peer);
      m.sender_jid = m.chat_jid;
      m.message_id = "m-" + std::to_string(peer) + "-" + std::to_string(n);
      m.body_json = "{\"text\":\"" + plaintext + "\"}";
      CORE_ASSIGN_OR_RETURN(bool inserted, s.messages().record_inbound(m));
      if (!inserted) return core::Status::already_exists("message recorded twice");
      WebhookEvent e;
      e.event_id = "ev-" + m.message_id;
      e.session_id = session;
      e.event_type = "message";
      e.payload_json = m.body_json;
      CORE_ASSIGN_OR_RETURN(bool queued, s.webhooks().enqueue(e));
      if (!queued) return core::Status::already_exists("event queued twice");
      return core::Status();
    });
    core::Status st = txn->commit();
    if (!st.ok()) {
      std::fprintf(stderr, "commit: %s\n", st.to_string().c_str());
      return st.code() == core::StatusCode::kAlreadyExists ? 15 : 16;
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "migrate" && argc == 3) return migrate(argv[2]);
  if (mode == "crash" && argc == 6) return crash(argv[2], argv[3], argv[4], std::stoi(argv[5]));
  std::fprintf(stderr,
               "usage: storage_test_child migrate <url> | crash <url> <key> <session> <peers>\n");
  return 2;
}
