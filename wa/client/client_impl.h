// Private: the state and internal steps of wa::Client, shared by client.cpp (lifecycle,
// dispatch, IQs, pairing, pre-keys), client_send.cpp / client_recv.cpp (messages) and
// client_misc.cpp (groups, media, presence). Not part of the API.
//
// Threading: everything runs on the client's executor, except the bodies handed to
// run_store(), which run on the StoreExecutor and may touch only the store, the SignalProtocol
// and values captured by copy.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "wa/client/client.h"
#include "wa/client/stanzas.h"
#include "wa/pairing/pair_code.h"
#include "wa/signal/cipher.h"

namespace wa::client {

// How long a login waits for the server's end-of-offline-backlog marker before it resends a
// message an earlier connection left unacknowledged.
inline constexpr std::chrono::milliseconds kOfflineResendWait{10'000};

using binary::Node;

struct Client::Impl : transport::Transport::Listener {
  Impl(ClientConfig config, ClientDeps deps);
  ~Impl() override;

  // ---- transport listener
  void on_open() override;
  void on_node(Node node) override;
  void on_closed(core::Status reason) override;

  // ---- lifecycle (client.cpp)
  void connect();
  void start_connection();
  void disconnect(DisconnectReason why);
  void handle_disconnect(DisconnectInfo info);
  void set_state(ConnectionState s, DisconnectReason reason = DisconnectReason::kNone, int code = 0,
                 std::string detail = {}, std::chrono::milliseconds in = {});
  void send_node(const Node& node);
  std::string next_id();
  void send_iq(Node iq, std::function<void(core::Result<Node>)> done,
               std::optional<std::chrono::milliseconds> timeout = std::nullopt);
  void fail_pending_iqs(const core::Status& why);
  void schedule_keepalive();
  void send_ack(const Node& stanza, const std::string& cls);

  // store work, strictly one job at a time; `job` gets a `done` to call when its last step ended.
  using Job = std::function<void(std::function<void()> done)>;
  void enqueue(Job job);
  void run_next_job();
  // Runs `work` on the store executor, then `then` on our executor (if we still exist).
  void run_store(std::function<void()> work, std::function<void()> then);
  signal::SignalProtocol* signal_protocol();  // call inside store work only
  void save_credentials();                    // queued job

  // ---- dispatch (client.cpp)
  void handle_iq(const Node& n);
  void handle_success(const Node& n);
  void handle_failure(const Node& n);
  void handle_stream_error(const Node& n);
  void handle_ib(const Node& n);
  void handle_notification(const Node& n);
  void handle_presence(const Node& n);
  void handle_chatstate(const Node& n);
  void handle_call(const Node& n);
  void handle_ack(const Node& n);

  // ---- pairing (client.cpp)
  void handle_pair_device(const Node& iq);
  void show_next_qr();
  void handle_pair_success(const Node& iq);
  void handle_link_code_notification(const Node& n);

  // ---- after login (client.cpp)
  void after_login();
  void check_pre_keys(std::function<void()> then);
  void upload_pre_keys(uint32_t count, std::function<void(core::Status)> then);

  // ---- devices & sessions (client_send.cpp)
  struct DeviceList {
    std::vector<uint32_t> devices;
    std::chrono::steady_clock::time_point fetched;
  };
  void ensure_devices(const std::vector<std::string>& users,
                      std::function<void(core::Status)> done);
  std::vector<std::string> device_jids(const std::string& user_jid, bool include_self) const;
  void ensure_sessions(const std::vector<std::string>& device_jids, bool force,
                       std::function<void(core::Status)> done);
  void learn_lid(const std::string& pn_user, const std::string& lid_user);
  std::optional<std::string> lid_for(const std::string& pn_user) const;
  std::optional<std::string> pn_for(const std::string& lid_user) const;
  void invalidate_devices(const std::string& user);

  // ---- send (client_send.cpp)
  void pump();
  void send_one(OutboundMessage m);
  void send_direct(OutboundMessage m, waproto::Message msg);
  void send_group(OutboundMessage m, waproto::Message msg, GroupInfo group);
  void finish_send(const std::string& id, bool ok, int code, std::string detail, int64_t t);
  void remember_sent(const std::string& id, const std::string& to, const std::string& msg);
  void handle_retry_receipt(const Node& receipt);

  // ---- misc (client_misc.cpp)
  void send_presence_available();

  // ---- receive (client_recv.cpp)
  void handle_message(const Node& n);
  void handle_receipt(const Node& n);
  void send_delivery_receipt(const Node& msg, bool from_me);

  ClientConfig config_;
  ClientDeps deps_;
  std::unique_ptr<InMemoryOutboundQueue> own_outbox_;
  OutboundQueue* outbox_ = nullptr;
  StoreExecutor* store_exec_ = nullptr;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);

  std::optional<store::DeviceCredentials> creds_;
  std::unique_ptr<signal::SignalProtocol> signal_;
  std::unique_ptr<transport::Transport> transport_;
  ConnectionState state_ = ConnectionState::kStopped;
  bool stopped_ = true;
  bool logged_in_ = false;
  uint32_t attempt_ = 0;
  uint64_t conn_gen_ = 0;

  std::string id_prefix_;
  uint64_t id_counter_ = 0;
  struct PendingIq {
    std::function<void(core::Result<Node>)> done;
    std::unique_ptr<transport::Timer> timer;
  };
  std::unordered_map<std::string, PendingIq> iqs_;

  std::unique_ptr<transport::Timer> reconnect_timer_;
  std::unique_ptr<transport::Timer> keepalive_timer_;
  std::unique_ptr<transport::Timer> qr_timer_;
  std::unique_ptr<transport::Timer> send_timer_;

  std::vector<std::function<void(std::function<void()>)>> jobs_;  // FIFO (small)
  bool job_running_ = false;

  // Pairing
  std::vector<std::string> qr_refs_;
  size_t qr_index_ = 0;
  std::optional<pairing::PairCodeSession> pair_code_;

  // Caches (per client, small; created on demand)
  std::unordered_map<std::string, DeviceList> devices_;                 // key: user JID (non-AD)
  std::unordered_map<std::string, std::string> lid_by_pn_, pn_by_lid_;  // user parts
  std::unordered_map<std::string, GroupInfo> groups_;
  std::unordered_map<std::string, std::set<std::string>> skdm_sent_;  // group → device JIDs

  // Sending
  std::optional<std::string> sending_;  // id on the wire, awaiting the server ack
  // A message put on the wire by an earlier connection without an ack may have reached the
  // server: after a login it waits for the end of the offline backlog (whose receipts prove it
  // arrived) before it is sent again; kOfflineResendWait bounds the wait.
  bool offline_synced_ = false;
  std::unique_ptr<transport::Timer> offline_wait_timer_;
  std::vector<std::string> sending_devices_;  // group: devices that got our SKDM with it
  std::string sending_group_;
  struct SentRecord {
    std::string id, to, message;
  };
  std::vector<SentRecord> recent_sent_;  // ring for retry receipts
  size_t recent_sent_pos_ = 0;

  // Receiving
  std::unique_ptr<RecentSet> seen_;
  std::unique_ptr<RetryCounter> retries_;
  std::unique_ptr<RetryCounter> resends_;

  // media_conn
  struct MediaConn {
    std::string auth;
    std::vector<std::string> hosts;
    std::chrono::steady_clock::time_point expires;
  };
  std::optional<MediaConn> media_conn_;
};

// Helpers shared by the implementation files.
std::string user_of(const std::string& jid);  // "123:4@s.whatsapp.net" → "123"
std::string server_of(const std::string& jid);
std::string to_user_jid(const std::string& jid);  // device dropped
bool same_user(const std::string& a, const std::string& b);

}  // namespace wa::client
