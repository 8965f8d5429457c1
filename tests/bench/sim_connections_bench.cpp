// How many connections the simulator holds and what they cost: a real SimServer (ephemeral, the
// real core) on its own io_context thread, and test-only clients (Beast WebSocket + our Noise
// initiator) that register as new companions — the core answers each with pair-device and keeps
// the connection open waiting for a QR scan, which is the simulator's idle connection.
//
//   BM_RegistrationHandshake: connect + Noise XX + ClientPayload + pair-device, per second.
//   BM_IdleConnections/N:     N such connections held open at once; reports resident memory per
//                             connection (process RSS delta / N, server and client side both, so
//                             an upper bound for the server alone).
//
// Messages routed per second between two paired, logged-in clients is measured by
// sim_routing_bench.cpp (its client is tests/bench/sim_test_client.h).
#include "tests/unit/simulator_net/ws_test_client.h"  // first: includes core/net/net.h

#include <benchmark/benchmark.h>

#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "crypto/curve25519.h"
#include "proto/client_payload.pb.h"
#include "simulator/sim_server.h"
#include "wa/binary/printer.h"

namespace {

using sim::testing::WsTestClient;

long rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      long v = 0;
      in >> v;
      return v;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0;
}

class Harness {
 public:
  Harness() {
    (void)core::init_logging({.level = "warn"});
    sim::SimServerOptions o;
    o.ephemeral = true;
    o.ws_port = o.control_port = o.media_port = 0;
    server_ = std::move(sim::SimServer::start(io_, o, clock_, random_).value());
    port_ = static_cast<uint16_t>(
        std::stoi(server_->info().ws_url.substr(server_->info().ws_url.rfind(':') + 1)));
    root_ = core::to_bytes(server_->simulator().root_public_key());
    guard_.emplace(io_.get_executor());
    thread_ = std::thread([this] { io_.run(); });
  }
  ~Harness() {
    net::post(io_, [this] { server_->stop(); });
    guard_.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
    server_.reset();
  }

  // A registration ClientPayload (wa-protocol.md §2.3) with a valid signed pre-key.
  core::Bytes registration_payload() {
    auto ident = crypto::generate_key_pair(client_random_);
    auto spk = crypto::generate_key_pair(client_random_);
    core::Bytes signed_msg{0x05};
    core::append(signed_msg, spk.public_view());
    auto sig = crypto::xeddsa_sign(ident.private_view(), signed_msg, client_random_).value();
    waproto::ClientPayload p;
    p.set_passive(false);
    auto* d = p.mutable_device_pairing_data();
    d->set_e_regid(std::string("\x00\x00\x00\x15", 4));
    d->set_e_keytype(std::string("\x05", 1));
    d->set_e_ident(core::to_string(ident.public_view()));
    d->set_e_skey_id(std::string("\x00\x00\x01", 3));
    d->set_e_skey_val(core::to_string(spk.public_view()));
    d->set_e_skey_sig(core::to_string(sig));
    d->set_build_hash(std::string(16, '\x01'));
    std::string out;
    p.SerializeToString(&out);
    return core::to_bytes(out);
  }

  // Connects, handshakes, registers; true once pair-device arrived.
  std::unique_ptr<WsTestClient> connect_idle() {
    auto c = std::make_unique<WsTestClient>(client_io_);
    if (c->connect(port_)) return nullptr;
    if (!c->noise_handshake(root_, registration_payload(), client_random_)) return nullptr;
    auto first = c->read_node();
    if (!first || !first->child("pair-device")) {
      if (!reported_) {
        reported_ = true;
        std::fprintf(stderr, "unexpected first node: %s\n",
                     first ? wa::binary::to_xml(*first, 0).c_str() : "(none)");
      }
      return nullptr;
    }
    return c;
  }

  void start_client_io() {
    client_guard_.emplace(client_io_.get_executor());
    client_thread_ = std::thread([this] { client_io_.run(); });
  }
  void stop_client_io() {
    client_guard_.reset();
    client_io_.stop();
    client_thread_.join();
    client_io_.restart();
  }

 private:
  net::io_context io_{1};
  net::io_context client_io_{1};
  core::SystemClock clock_;
  core::FakeRandom random_{1};
  core::FakeRandom client_random_{2};
  std::unique_ptr<sim::SimServer> server_;
  uint16_t port_ = 0;
  bool reported_ = false;
  core::Bytes root_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> client_guard_;
  std::thread thread_;
  std::thread client_thread_;
};

void BM_RegistrationHandshake(benchmark::State& state) {
  Harness h;
  h.start_client_io();
  int64_t failures = 0;
  for (auto _ : state) {
    auto c = h.connect_idle();
    if (!c) ++failures;
  }
  h.stop_client_io();
  state.SetItemsProcessed(state.iterations());
  state.counters["failures"] = static_cast<double>(failures);
}
BENCHMARK(BM_RegistrationHandshake)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_IdleConnections(benchmark::State& state) {
  const auto n = static_cast<size_t>(state.range(0));
  for (auto _ : state) {
    Harness h;
    h.start_client_io();
    long before = rss_kib();
    std::vector<std::unique_ptr<WsTestClient>> clients;
    clients.reserve(n);
    size_t failures = 0;
    for (size_t i = 0; i < n; ++i) {
      auto c = h.connect_idle();
      if (c) {
        clients.push_back(std::move(c));
      } else {
        ++failures;
      }
    }
    long after = rss_kib();
    state.counters["held"] = static_cast<double>(clients.size());
    state.counters["failures"] = static_cast<double>(failures);
    state.counters["KiB_per_conn"] =
        clients.empty() ? 0 : static_cast<double>(after - before) / clients.size();
    clients.clear();
    h.stop_client_io();
  }
}
BENCHMARK(BM_IdleConnections)->Arg(200)->Arg(1000)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
