// Test doubles for the simulator core: a recording ConnectionSink, a manual Scheduler, and a
// Companion that plays a real client (real keys, real ADV signatures) against the core.
//
// Ownership: the fixture owns the simulator and every companion; companions hold their sinks.
// Threading: single-threaded tests.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/random.h"
#include "crypto/curve25519.h"
#include "simulator/simulator.h"
#include "wa/binary/node.h"

namespace sim::test {

using wa::binary::Node;

class FakeSink : public ConnectionSink {
 public:
  void send(const Node& node) override { sent.push_back(node); }
  void close() override { closed = true; }
  void drop() override { dropped = true; }

  // Nodes sent since the last take(); the returned buffer stays valid until the next take().
  const std::vector<Node>& take() {
    batch_.assign(sent.begin() + static_cast<std::ptrdiff_t>(taken_), sent.end());
    taken_ = sent.size();
    return batch_;
  }
  const Node* last(std::string_view tag) const {
    for (auto it = sent.rbegin(); it != sent.rend(); ++it)
      if (it->tag == tag) return &*it;
    return nullptr;
  }

  std::vector<Node> sent;
  bool closed = false;
  bool dropped = false;

 private:
  size_t taken_ = 0;
  std::vector<Node> batch_;
};

class FakeScheduler : public Scheduler {
 public:
  void after(std::chrono::milliseconds delay, std::function<void()> fn) override {
    tasks.push_back({delay, std::move(fn)});
  }
  void run_all() {
    auto pending = std::move(tasks);
    tasks.clear();
    for (auto& t : pending) t.fn();
  }
  struct Task {
    std::chrono::milliseconds delay;
    std::function<void()> fn;
  };
  std::vector<Task> tasks;
};

// A client device as the tests drive it.
struct Companion {
  explicit Companion(core::Random& random);

  crypto::KeyPair noise;
  crypto::KeyPair identity;
  crypto::KeyPair skey;
  core::Bytes skey_sig;
  uint32_t registration_id = 0;
  core::Bytes adv_secret;

  std::shared_ptr<FakeSink> sink;
  ConnId conn = 0;
  std::string phone;
  uint16_t device = 0;

  core::Bytes registration_payload() const;
  core::Bytes login_payload(bool passive = true, const std::string& push_name = "") const;
  std::string qr(const std::string& ref) const;
};

class SimTest : public ::testing::Test {
 protected:
  SimTest();
  ~SimTest() override;

  // (Re)opens the simulator; ephemeral unless state_dir is set.
  void open(const std::string& state_dir = "");
  void create(const std::string& phone, const std::string& name = "",
              VirtualKind kind = VirtualKind::kNone);

  // A registration connection that has received pair-device.
  std::unique_ptr<Companion> start_registration();
  // Answers the pair-success in c's sink with a correct (or tampered) pair-device-sign.
  void answer_pair_success(Companion& c, bool tamper = false);
  // Registration → scan → sign → 515; the companion is then disconnected (not logged in).
  std::unique_ptr<Companion> pair(const std::string& phone);
  // Opens a login connection for a paired companion; `activate` sends passive active.
  void login(Companion& c, bool activate = true);
  // pair + login.
  std::unique_ptr<Companion> online(const std::string& phone);
  void disconnect(Companion& c);

  void node(Companion& c, const Node& n) { sim->on_node(c.conn, n); }
  // Sends an iq and returns the iq answer with the same id.
  Node iq(Companion& c, Node request);
  // Uploads `count` one-time pre-keys (and the signed pre-key) for c.
  void upload_prekeys(Companion& c, uint32_t first_id, uint32_t count);

  core::FakeClock clock{1700000000};
  core::FakeRandom random{7};
  FakeScheduler scheduler;
  std::unique_ptr<Simulator> sim;
  int iq_counter = 0;
};

// Finds the first node with `tag` in `nodes`.
const Node* find(const std::vector<Node>& nodes, std::string_view tag);
std::vector<const Node*> find_all(const std::vector<Node>& nodes, std::string_view tag);

}  // namespace sim::test
