// Messages routed per second between two simulator-native clients: a real SimServer (ephemeral,
// the real core) on its own io_context thread and two test-only companions (sim_test_client.h)
// on a second one. Each companion registers, is paired by an in-process QR scan (the control
// logic, Simulator::scan_qr), signs its ADV, reconnects after 515 and logs in. Then:
//
//   BM_RouteOneWay/window:W/messages:N:   A sends N 1:1 messages to B;
//   BM_RouteBothWays/window:W/messages:N: A → B and B → A at the same time, N each way.
//
// Each message is `<message id to type=text><participants><to jid=PEER:D><enc v=2 type=msg>`
// with ~150 opaque bytes — the simulator routes <enc> without decrypting it, so no Signal is
// needed. A sender keeps W messages in flight (sent, not yet acked by the server); the
// receiver answers every delivery with `<ack class=message>` so the server drops it from the
// device's queue. Time = first send → last delivery (manual time); items/s = messages delivered
// per second; p50/p99 = send → deliver latency in µs; srv_cpu_us / cli_cpu_us = CPU time of the
// server's / the clients' thread per delivered message (robust against a busy machine). Both
// clients share one client thread, which competes with the server for the 2 cores of the dev
// machine: wall-clock rates are a lower bound for the server alone.
#include "tests/bench/sim_test_client.h"  // first: includes core/net/net.h

#include <benchmark/benchmark.h>

#include <pthread.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "simulator/sim_server.h"
#include "wa/binary/printer.h"

namespace {

using sim::bench::CompanionKeys;
using sim::bench::Node;
using sim::bench::SimTestClient;
using Steady = std::chrono::steady_clock;

constexpr int kWindow = 64;  // per sender: sent but not yet acked by the server
constexpr size_t kPayloadSize = 150;

// Runs `fn` on `io`'s thread and waits for its result.
template <class Fn>
auto on_thread(net::io_context& io, Fn fn) -> decltype(fn()) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto f = task.get_future();
  net::post(io, [&task] { task(); });
  return f.get();
}

// One logged-in companion.
struct Peer {
  std::string phone;
  uint16_t device = 0;
  std::string device_jid;  // PHONE:D@s.whatsapp.net
  std::unique_ptr<SimTestClient> client;
};

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
    client_guard_.emplace(client_io_.get_executor());
    client_thread_ = std::thread([this] { client_io_.run(); });
  }
  ~Harness() {
    // Close the sockets while the client io runs, stop it, and only then destroy the clients:
    // their pending read handlers must never run against a destroyed client.
    for (auto& p : peers_) p.client->close_socket();
    client_guard_.reset();
    client_io_.stop();
    client_thread_.join();
    peers_.clear();
    net::post(io_, [this] { server_->stop(); });
    guard_.reset();
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    io_.stop();
    thread_.join();
    server_.reset();
  }

  net::io_context& client_io() { return client_io_; }
  std::vector<Peer>& peers() { return peers_; }
  // CPU time (s) the server's and the clients' io threads have used so far: unlike wall time it
  // does not depend on what else the shared machine is running.
  double server_cpu() { return thread_cpu(thread_); }
  double client_cpu() { return thread_cpu(client_thread_); }
  sim::Stats stats() {
    return on_thread(io_, [this] { return server_->simulator().stats(); });
  }

  // Creates the account, pairs a companion by QR and logs it in. Error text on failure.
  std::string add_peer(const std::string& phone, const std::string& name) {
    auto created = on_thread(io_, [&] {
      return server_->simulator().create_account(phone, name, sim::VirtualKind::kNone);
    });
    if (!created.ok()) return "create_account: " + created.status().to_string();
    const CompanionKeys keys = CompanionKeys::generate(client_random_);

    // Registration: pair-device refs; the account's phone scans the first one.
    auto reg = std::make_unique<SimTestClient>(client_io_);
    if (reg->connect(port_)) return "connect failed";
    if (!reg->noise_handshake(keys.noise, root_,
                              sim::bench::registration_payload(keys, client_random_),
                              client_random_)) {
      return "registration handshake failed";
    }
    auto pair_device = reg->read_node();
    const Node* pd = pair_device ? pair_device->child("pair-device") : nullptr;
    const Node* ref = pd ? pd->child("ref") : nullptr;
    if (!ref || !ref->bytes()) return "no pair-device ref";
    const std::string qr = sim::bench::qr_string(core::to_string(*ref->bytes()), keys);
    // Shared: if we give up early, the core still calls `done` (when the connection closes).
    auto linked = std::make_shared<std::promise<core::Result<std::string>>>();
    auto linked_f = linked->get_future();
    net::post(io_, [this, phone, qr, linked] {
      server_->simulator().scan_qr(
          phone, qr, [linked](core::Result<std::string> r) { linked->set_value(std::move(r)); });
    });
    auto success = reg->read_until("iq");
    if (!success || !success->child("pair-success")) return "no pair-success";
    auto sign = sim::bench::pair_device_sign(*success, keys, client_random_);
    if (!sign.ok()) return "pair-success: " + sign.status().to_string();
    if (reg->send_node(*sign)) return "sending pair-device-sign failed";
    auto restart = reg->read_until("stream:error");
    if (!restart || restart->attr_or("code", "") != "515") return "no 515 after pairing";
    if (linked_f.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      return "scan_qr did not complete";
    }
    auto jid = linked_f.get();
    if (!jid.ok()) return "scan_qr: " + jid.status().to_string();
    reg.reset();

    // Login with the paired Noise key.
    const size_t colon = jid->find(':');
    const size_t at = jid->find('@');
    if (colon == std::string::npos || at == std::string::npos) return "odd device jid " + *jid;
    Peer peer;
    peer.phone = phone;
    peer.device = static_cast<uint16_t>(std::stoi(jid->substr(colon + 1, at - colon - 1)));
    peer.device_jid = *jid;
    peer.client = std::make_unique<SimTestClient>(client_io_);
    if (peer.client->connect(port_)) return "login connect failed";
    if (!peer.client->noise_handshake(keys.noise, root_,
                                      sim::bench::login_payload(phone, peer.device, name),
                                      client_random_)) {
      return "login handshake failed";
    }
    auto first = peer.client->read_node();
    if (!first || first->tag != "success") {
      return "login: " + (first ? wa::binary::to_xml(*first, 0) : std::string("(none)"));
    }
    // The (empty) offline queue ends with <ib><offline/></ib>; nothing may be pending after it.
    auto ib = peer.client->read_until("ib");
    if (!ib) return "no offline marker after login";
    peers_.push_back(std::move(peer));
    return {};
  }

  core::Bytes random_payload() { return client_random_.bytes(kPayloadSize); }

 private:
  static double thread_cpu(std::thread& t) {
    clockid_t id;
    timespec ts{};
    if (pthread_getcpuclockid(t.native_handle(), &id) != 0 || clock_gettime(id, &ts) != 0) {
      return 0;
    }
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }

  net::io_context io_{1};
  net::io_context client_io_{1};
  core::SystemClock clock_;
  core::FakeRandom random_{1};
  core::FakeRandom client_random_{2};
  std::unique_ptr<sim::SimServer> server_;
  uint16_t port_ = 0;
  core::Bytes root_;
  std::vector<Peer> peers_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> guard_;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> client_guard_;
  std::thread thread_;
  std::thread client_thread_;
};

// One direction of traffic. Everything but set-up runs on the client io thread.
struct Flow {
  Peer* from = nullptr;
  Peer* to = nullptr;
  std::string prefix;  // message ids are prefix + sequence number
  int total = 0;
  int sent = 0;
  int acked = 0;
  int delivered = 0;
  std::vector<Steady::time_point> sent_at;
  std::vector<double> latency_us;
  std::vector<core::Bytes> payloads;

  void send_next() {
    const int seq = sent++;
    Node enc("enc", {{"v", "2"}, {"type", "msg"}}, payloads[seq % payloads.size()]);
    Node dest("to", {{"jid", to->device_jid}}, Node::Children{std::move(enc)});
    Node participants("participants", {}, Node::Children{std::move(dest)});
    Node msg("message",
             {{"id", prefix + std::to_string(seq)},
              {"to", to->phone + "@s.whatsapp.net"},
              {"type", "text"}},
             Node::Children{std::move(participants)});
    sent_at[seq] = Steady::now();
    from->client->enqueue(msg);
  }
  bool done() const { return acked == total && delivered == total; }
};

struct Run {
  std::vector<Flow> flows;
  Steady::time_point start;
  Steady::time_point last_delivery;
  std::promise<std::string> finished;
  bool reported = false;

  void finish(std::string error) {
    if (reported) return;
    reported = true;
    finished.set_value(std::move(error));
  }
  // A node for `peer`: server acks of its own messages, deliveries of the other's.
  void on_node(Peer& peer, Node& n) {
    if (n.tag == "ack" && n.attr_or("class", "") == "message") {
      if (n.has_attr("error")) return finish("server nacked: " + wa::binary::to_xml(n, 0));
      for (auto& f : flows)
        if (f.from == &peer && f.acked < f.sent) {
          ++f.acked;
          if (f.sent < f.total) f.send_next();
          break;
        }
    } else if (n.tag == "message") {
      const std::string id = n.attr_or("id", "");
      peer.client->enqueue(
          Node("ack", {{"class", "message"}, {"id", id}, {"to", n.attr_or("from", "")}}));
      for (auto& f : flows) {
        if (f.to != &peer || id.rfind(f.prefix, 0) != 0) continue;
        const int seq = std::stoi(id.substr(f.prefix.size()));
        if (seq < 0 || seq >= f.sent) return finish("unknown message id " + id);
        last_delivery = Steady::now();
        f.latency_us.push_back(
            std::chrono::duration<double, std::micro>(last_delivery - f.sent_at[seq]).count());
        ++f.delivered;
        break;
      }
    } else {
      return;
    }
    if (std::all_of(flows.begin(), flows.end(), [](const Flow& f) { return f.done(); })) {
      finish({});
    }
  }
};

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t k = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

// Arguments: window (messages in flight per sender), messages per direction.
void route(benchmark::State& state, bool both_ways) {
  const int window = static_cast<int>(state.range(0));
  const int messages = static_cast<int>(state.range(1));
  Harness h;
  for (auto [phone, name] : {std::pair{"15550000001", "Alice"}, std::pair{"15550000002", "Bob"}}) {
    auto err = h.add_peer(phone, name);
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      for (auto _ : state) {
      }
      return;
    }
  }
  Peer& a = h.peers()[0];
  Peer& b = h.peers()[1];
  auto run = std::make_shared<Run>();
  auto make_flow = [&](Peer& from, Peer& to, std::string prefix) {
    Flow f;
    f.from = &from;
    f.to = &to;
    f.prefix = std::move(prefix);
    f.total = messages;
    f.sent_at.resize(messages);
    f.latency_us.reserve(messages);
    for (int i = 0; i < 16; ++i) f.payloads.push_back(h.random_payload());
    run->flows.push_back(std::move(f));
  };
  make_flow(a, b, "3EB0A");
  if (both_ways) make_flow(b, a, "3EB0B");
  const auto before = h.stats();
  const double server_cpu_before = h.server_cpu();
  const double client_cpu_before = h.client_cpu();

  for (Peer* p : {&a, &b}) {
    p->client->start_pump([run, p](Node& n) { run->on_node(*p, n); },
                          [run] { run->finish("connection ended"); });
  }
  bool ok = true;
  for (auto _ : state) {
    auto done = run->finished.get_future();
    net::post(h.client_io(), [run, window] {
      run->start = Steady::now();
      for (auto& f : run->flows)
        for (int i = 0; i < window && f.sent < f.total; ++i) f.send_next();
    });
    if (done.wait_for(std::chrono::seconds(120)) != std::future_status::ready) {
      state.SkipWithError("timed out");  // the pumps keep `run` alive until the Harness ends
      ok = false;
      break;
    }
    const std::string err = done.get();
    if (!err.empty()) {
      state.SkipWithError(err.c_str());
      ok = false;
      break;
    }
    state.SetIterationTime(std::chrono::duration<double>(run->last_delivery - run->start).count());
  }
  const double server_cpu = h.server_cpu() - server_cpu_before;
  const double client_cpu = h.client_cpu() - client_cpu_before;
  if (!ok) return;
  // Give the last acks a moment to reach the server, then check its own counters.
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto after = h.stats();
  std::vector<double> all;
  int64_t delivered = 0;
  for (auto& f : run->flows) {
    all.insert(all.end(), f.latency_us.begin(), f.latency_us.end());
    delivered += f.delivered;
  }
  state.SetItemsProcessed(delivered);
  // Per delivered message; the server figure includes handling the receiver's acks.
  state.counters["srv_cpu_us"] = delivered ? server_cpu * 1e6 / static_cast<double>(delivered) : 0;
  state.counters["cli_cpu_us"] = delivered ? client_cpu * 1e6 / static_cast<double>(delivered) : 0;
  state.counters["p50_us"] = percentile(all, 0.50);
  state.counters["p99_us"] = percentile(all, 0.99);
  state.counters["max_us"] = percentile(all, 1.0);
  state.counters["server_routed"] =
      static_cast<double>(after.messages_routed - before.messages_routed);
  state.counters["offline_queued"] = static_cast<double>(after.messages_queued);
}

void BM_RouteOneWay(benchmark::State& state) { route(state, false); }
void BM_RouteBothWays(benchmark::State& state) { route(state, true); }
// Throughput: kWindow in flight, 20,000 messages per direction. Latency under no load: one
// message in flight (ping-pong), 5,000 messages.
BENCHMARK(BM_RouteOneWay)
    ->ArgNames({"window", "messages"})
    ->Args({kWindow, 20000})
    ->Args({1, 5000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RouteBothWays)
    ->ArgNames({"window", "messages"})
    ->Args({kWindow, 20000})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
