// SimulatorImpl: the one implementation of sim::Simulator. A single class whose member functions
// are split by concern over several files (pairing.cpp, prekeys.cpp, usync.cpp, routing.cpp,
// receipts.cpp, groups.cpp, iq_misc.cpp, media.cpp, faults.cpp, accounts.cpp, identity.cpp,
// virtual_contact.cpp); simulator_impl.cpp holds the connection lifecycle, the dispatch tables
// (stanzas by tag, IQs by xmlns) and delivery/offline queues.
//
// Ownership: owns the model (accounts, groups), the StateStore and one Connection record per
// open connection (which holds the shell's sink until on_disconnected). Clock, Random and
// Scheduler are borrowed from the shell and must outlive the simulator.
// Threading: single-threaded (see simulator.h). Scheduler callbacks capture `this` and a
// ConnId, never a Connection reference, and look the connection up again.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "simulator/model.h"
#include "simulator/node_util.h"
#include "simulator/simulator.h"
#include "simulator/state.h"

namespace waproto {
class ClientPayload;
}

namespace sim {

struct VirtualPhone;  // virtual_contact.h

// A companion registering (registration ClientPayload) until it is paired.
struct Registration {
  core::Bytes noise_pub;
  core::Bytes identity_pub;
  uint32_t registration_id = 0;
  SignedPreKey skey;
  std::string platform;
  std::vector<std::string> refs;
  std::chrono::steady_clock::time_point refs_issued;

  // Set once pair-success went out and we wait for pair-device-sign.
  struct Pairing {
    std::string iq_id;
    std::string phone;
    uint16_t device = 0;
    uint32_t key_index = 0;
    core::Bytes details;  // serialized ADVDeviceIdentity
    core::Bytes account_signature;
    std::function<void(core::Result<std::string>)> done;
  };
  std::optional<Pairing> pairing;

  // Pairing by code (§5.3).
  struct LinkCode {
    std::string phone;  // the account the companion named
    std::string ref;
    core::Bytes wrapped_companion_ephemeral;  // salt(32) ‖ iv(16) ‖ ctr(32)
    core::Bytes companion_ephemeral_pub;      // once the code was entered
    crypto::KeyPair primary_ephemeral;
    bool entered = false;
    std::function<void(core::Result<std::string>)> done;
  };
  std::optional<LinkCode> link_code;
};

struct Connection {
  enum class Phase { kHandshake, kRegistration, kLoggedIn, kClosed };
  ConnId id = 0;
  std::shared_ptr<ConnectionSink> sink;
  Phase phase = Phase::kHandshake;
  core::Bytes client_static;
  int delay_ms = 0;
  std::unique_ptr<Registration> reg;
  // Logged in.
  std::string phone;
  uint16_t device = 0;
  bool passive = false;
  bool active = false;     // offline queue flushed; deliveries go straight out
  bool available = false;  // presence "available"
};

class SimulatorImpl final : public Simulator {
 public:
  SimulatorImpl(SimulatorConfig config, core::Clock& clock, core::Random& random,
                Scheduler& scheduler);
  ~SimulatorImpl() override;
  core::Status init();

  // --- Simulator ---
  const crypto::KeyPair& noise_static_key() const override { return noise_static_; }
  core::Bytes cert_chain() const override { return cert_chain_; }
  core::ByteView root_public_key() const override { return root_.public_key; }
  ConnId on_connected(std::shared_ptr<ConnectionSink> sink) override;
  void on_client_payload(ConnId conn, core::ByteView client_static,
                         core::ByteView client_payload) override;
  void on_node(ConnId conn, const Node& node) override;
  void on_disconnected(ConnId conn) override;
  int outgoing_delay_ms(ConnId conn) const override;
  core::Result<AccountInfo> create_account(const std::string& phone, const std::string& name,
                                           VirtualKind kind) override;
  std::vector<AccountInfo> list_accounts() const override;
  void scan_qr(const std::string& phone, const std::string& qr,
               std::function<void(core::Result<std::string>)> done) override;
  void enter_pair_code(const std::string& phone, const std::string& code,
                       std::function<void(core::Result<std::string>)> done) override;
  core::Status remove_device(const std::string& phone, uint16_t device) override;
  core::Status virtual_send(const std::string& phone, const std::string& to,
                            const std::string& text) override;
  void add_fault(const Fault& fault) override;
  Stats stats() const override;
  core::Result<MediaUploadResult> media_upload(const std::string& media_type,
                                               const std::string& token, const std::string& auth,
                                               core::Bytes body) override;
  core::Result<core::Bytes> media_download(const std::string& path_and_query) override;

  // --- shared helpers (simulator_impl.cpp) ---
  // A resolved address: an account, a device number, and whether it was written in LID form.
  struct Addr {
    Account* account = nullptr;
    uint16_t device = 0;
    bool lid = false;
  };
  // PN (s.whatsapp.net, c.us) or LID user/device JID → account; nullopt otherwise.
  std::optional<Addr> resolve(std::string_view jid);
  Account* find_account(const std::string& phone);
  Connection* find_conn(ConnId id);
  Connection* device_conn(const std::string& phone, uint16_t device);
  std::string device_jid(const Account& a, uint16_t device, bool lid) const {
    return lid ? lid_jid(a.lid, device) : pn_jid(a.phone, device);
  }
  std::string now_str() const { return std::to_string(clock_.unix_seconds()); }
  std::string new_id();

  void send(ConnId conn, const Node& node);
  // Sends <stream:error code=…>[child]</stream:error> then closes.
  void stream_error(ConnId conn, int code, std::optional<Node> child = std::nullopt);
  void close_conn(ConnId conn);
  // Closes at once without flushing (fault "drop").
  void drop_conn(ConnId conn);
  // Routes one stanza to a device: straight out when its connection is active, else into its
  // offline queue. Messages stay queued (marked sent) until the device's ack/receipt.
  void deliver(Account& account, uint16_t device, Node stanza);
  // Every routable device of an account: companions, plus device 0 for virtual accounts.
  std::vector<uint16_t> routable_devices(const Account& a) const;
  void flush_queue(ConnId conn);
  void dequeue(Account& account, uint16_t device, std::string_view tag, std::string_view id);
  // Sends to every logged-in connection of accounts (no queueing), skipping `except`.
  void broadcast_online(const Node& node, ConnId except = 0);
  void persist(const core::Status& status);

 private:
  using StanzaHandler = void (SimulatorImpl::*)(Connection&, const Node&);

  // identity.cpp
  core::Status init_identity();
  // pairing.cpp
  void handle_registration(Connection& c, const waproto::ClientPayload& payload);
  void handle_login(Connection& c, const waproto::ClientPayload& payload);
  void send_pair_device(Connection& c);
  void on_pair_device_sign(Connection& c, const Node& iq);
  void handle_md_iq(Connection& c, const Node& iq);
  void handle_link_code_reg(Connection& c, const Node& iq, const Node& reg);
  // Builds the ADV for `c`'s pending registration and sends pair-success.
  core::Status start_pair_success(Connection& c, Account& account, core::ByteView adv_secret,
                                  std::function<void(core::Result<std::string>)> done);
  void finish_pairing(ConnId conn, core::Result<std::string> result);
  void send_devices_notification(const Account& a, uint16_t device, bool add);
  // prekeys.cpp
  void handle_encrypt_iq(Connection& c, const Node& iq);
  std::optional<Node> key_bundle(Addr addr, const std::string& echo_jid);
  // usync.cpp
  void handle_usync_iq(Connection& c, const Node& iq);
  // groups.cpp
  void handle_group_iq(Connection& c, const Node& iq);
  Node group_node(const Group& g) const;
  Node member_node(const Group& g, const std::string& phone, bool with_role) const;
  std::string member_jid(const Group& g, const std::string& phone, uint16_t device = 0) const;
  void notify_group(const Group& g, const Connection& actor, Node child,
                    const std::vector<std::string>& extra_recipients = {});
  // iq_misc.cpp
  void handle_iq(Connection& c, const Node& iq);
  void handle_ping_iq(Connection& c, const Node& iq);
  void handle_passive_iq(Connection& c, const Node& iq);
  void handle_media_conn_iq(Connection& c, const Node& iq);
  void handle_privacy_iq(Connection& c, const Node& iq);
  void handle_blocklist_iq(Connection& c, const Node& iq);
  void handle_abt_iq(Connection& c, const Node& iq);
  void handle_app_state_iq(Connection& c, const Node& iq);
  // routing.cpp
  void handle_message(Connection& c, const Node& msg);
  void route_direct(Connection& c, Account& sender, const Node& msg);
  void route_group(Connection& c, Account& sender, const Node& msg);
  // receipts.cpp
  void handle_receipt(Connection& c, const Node& r);
  void handle_ack(Connection& c, const Node& ack);
  void handle_presence(Connection& c, const Node& p);
  void handle_chatstate(Connection& c, const Node& cs);
  void handle_ib(Connection& c, const Node& ib);
  void relay_presence(Account& a);
  // faults.cpp
  // Applies pending faults to a connection whose ClientPayload arrived; true if it was closed.
  bool apply_connect_faults(Connection& c, const std::string& phone);
  // Consumes one reject_login fault for `phone`; the failure reason, if any.
  std::optional<int> take_reject_login(const std::string& phone);
  // virtual_contact.cpp
  core::Status init_virtual(Account& a, bool created);
  void virtual_receive(Account& a, const Node& stanza);
  // Tops the phone's published one-time pre-keys back up when fewer than 10 remain.
  void replenish_virtual_prekeys(Account& a);
  core::Status send_virtual_text(Account& from, Account& to, const std::string& text, bool lid);

  SimulatorConfig config_;
  core::Clock& clock_;
  core::Random& random_;
  Scheduler& scheduler_;
  std::unique_ptr<StateStore> store_;

  crypto::KeyPair root_;
  crypto::KeyPair intermediate_;
  crypto::KeyPair noise_static_;
  core::Bytes cert_chain_;
  std::string media_auth_;

  std::map<std::string, Account> accounts_;  // by phone
  std::map<std::string, std::string> lid_to_phone_;
  std::map<std::string, Group> groups_;
  std::map<ConnId, Connection> conns_;
  std::map<std::pair<std::string, uint16_t>, ConnId> device_conns_;
  std::map<std::string, std::set<std::string>> presence_subscribers_;  // target → subscribers
  std::map<std::string, std::unique_ptr<VirtualPhone>> virtual_phones_;
  std::map<std::string, core::Bytes> memory_media_;  // ephemeral mode

  struct PendingFault {
    Fault fault;
    int remaining = 0;
  };
  std::vector<PendingFault> faults_;

  ConnId next_conn_ = 1;
  uint64_t next_seq_ = 1;
  uint64_t id_counter_ = 0;
  Stats stats_;

  std::unordered_map<std::string, StanzaHandler> stanza_handlers_;
  std::unordered_map<std::string, StanzaHandler> iq_handlers_;
};

}  // namespace sim
