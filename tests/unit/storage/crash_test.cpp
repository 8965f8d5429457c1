// SIGKILL crash test: a child process decrypts (stand-in ratchet, toy_ratchet.h) and records
// inbound messages in a loop, each Signal commit carrying the message row, its status history
// and a webhook outbox event. The test kills it at random points many times; after every kill
// each stored session must decrypt the next message and the message log must match the ratchet
// position exactly (nothing half-recorded, nothing recorded without its ratchet advance).
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <thread>

#include "storage/internal/sql_util.h"
#include "tests/unit/storage/test_db.h"
#include "tests/unit/storage/toy_ratchet.h"

namespace storage {
namespace {

constexpr int kPeers = 3;

class CrashTest : public testing::StorageTest {};

int kills_wanted() {
  if (const char* k = std::getenv("SL_CRASH_KILLS"); k && *k) return std::atoi(k);
  return testing::testing_server() ? 50 : 200;
}

TEST_F(CrashTest, SigkillNeverSplitsRatchetAndMessageRecord) {
  const std::string session = "crash";
  ASSERT_TRUE(storage_->wa_sessions().ensure(session, std::nullopt).ok());
  auto store = storage_->device_store(session);
  for (int p = 0; p < kPeers; ++p) {
    ASSERT_TRUE(
        store
            ->store_session({"1555000" + std::to_string(p), 0}, testing::toy_initial(p).serialize())
            .ok());
  }
  std::mt19937 rng(12345);
  const int kills = kills_wanted();
  long long last_total = 0;
  int killed_mid_work = 0;
  for (int k = 0; k < kills; ++k) {
    auto child = testing::spawn_child(
        {"crash", url_, testing::kTestKeyHex, session, std::to_string(kPeers)});
    ASSERT_GT(child.pid, 0);
    // Wait for "ready" (the child opened its storage), then let it work for a random while.
    pollfd pfd{child.out_fd, POLLIN, 0};
    ASSERT_EQ(::poll(&pfd, 1, 20000), 1) << "child did not start";
    char buf[16];
    ASSERT_GT(::read(child.out_fd, buf, sizeof buf), 0);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 25000));
    ::kill(child.pid, SIGKILL);
    auto [status, out] = testing::finish_child(child);
    ASSERT_TRUE(WIFSIGNALED(status))
        << "child exited by itself with " << (WIFEXITED(status) ? WEXITSTATUS(status) : -1)
        << " at kill " << k;
    ++killed_mid_work;

    // After the "restart": every session decrypts its next message, and the log matches.
    long long total = 0;
    for (int p = 0; p < kPeers; ++p) {
      auto rec = store->load_session({"1555000" + std::to_string(p), 0});
      ASSERT_TRUE(rec.ok() && *rec) << rec.status().to_string();
      auto state = testing::ToyState::parse(**rec);
      ASSERT_TRUE(state.ok());
      auto next = testing::toy_decrypt(*state, testing::toy_ciphertext(p, state->counter));
      ASSERT_TRUE(next.ok()) << "peer " << p << " cannot decrypt message " << state->counter
                             << " after kill " << k;
      auto counts = storage_->db().query<std::array<long long, 4>>(
          "checking", [&](soci::session& sql) -> core::Result<std::array<long long, 4>> {
            std::array<long long, 4> c{};
            std::string chat = testing::toy_peer_jid(p);
            std::string last_id = "m-" + std::to_string(p) + "-" +
                                  std::to_string(state->counter == 0 ? 0 : state->counter - 1);
            sql << "SELECT COUNT(*) FROM messages WHERE session_id = :s AND chat_jid = :c",
                soci::use(session), soci::use(chat), soci::into(c[0]);
            sql << "SELECT COUNT(*) FROM message_status_history h JOIN messages m ON m.id = "
                   "h.message_row_id WHERE m.session_id = :s AND m.chat_jid = :c",
                soci::use(session), soci::use(chat), soci::into(c[1]);
            std::string prefix = "ev-m-" + std::to_string(p) + "-%";
            sql << "SELECT COUNT(*) FROM webhook_outbox WHERE event_id LIKE :p", soci::use(prefix),
                soci::into(c[2]);
            sql << "SELECT COUNT(*) FROM messages WHERE session_id = :s AND message_id = :m",
                soci::use(session), soci::use(last_id), soci::into(c[3]);
            return c;
          });
      ASSERT_TRUE(counts.ok()) << counts.status().to_string();
      const auto& c = *counts;
      EXPECT_EQ(c[0], static_cast<long long>(state->counter)) << "peer " << p << " kill " << k;
      EXPECT_EQ(c[1], c[0]) << "status history out of step, kill " << k;
      EXPECT_EQ(c[2], c[0]) << "webhook outbox out of step, kill " << k;
      if (state->counter > 0) {
        EXPECT_EQ(c[3], 1) << "last message missing, kill " << k;
      }
      total += c[0];
    }
    ASSERT_GE(total, last_total);
    last_total = total;
    if (HasFailure()) return;
  }
  EXPECT_EQ(killed_mid_work, kills);
  // Not vacuous: the children made real progress between kills.
  EXPECT_GT(last_total, kills / 2) << "too few messages recorded to mean anything";
  std::printf("[ crash    ] %d kills, %lld messages recorded on %s\n", kills, last_total,
              std::string(dialect_name(storage_->db().dialect())).c_str());
}

}  // namespace
}  // namespace storage
