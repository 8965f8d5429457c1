#include "storage/sql_device_store.h"

#include <nlohmann/json.hpp>

#include "core/encoding.h"
#include "storage/internal/sql_util.h"

namespace storage {

using wa::store::Contact;
using wa::store::DeviceCredentials;
using wa::store::SenderKeyName;
using wa::store::SignalAddress;
using wa::store::SignalWriteSet;

namespace {

constexpr const char* kIdentities = "signal_identities";
constexpr const char* kSessions = "signal_sessions";
constexpr const char* kPreKeys = "signal_pre_keys";
constexpr const char* kSignedPreKeys = "signal_signed_pre_keys";
constexpr const char* kSenderKeys = "signal_sender_keys";
constexpr const char* kCredentials = "device_credentials";
constexpr const char* kMessageSecrets = "message_secrets";

using Binder = std::function<void(soci::statement&)>;

// Runs a prepared statement built by hand (variable binds, optional into).
bool exec(soci::session& sql, const std::string& q, const Binder& bind) {
  soci::statement st(sql);
  bind(st);
  st.alloc();
  st.prepare(q);
  st.define_and_bind();
  return st.execute(true);
}

}  // namespace

class SqlDeviceStore::SqlTransaction final : public wa::store::OverlayTransaction {
 public:
  explicit SqlTransaction(SqlDeviceStore& store) : OverlayTransaction(store), store_(store) {}

 protected:
  core::Status apply(const SignalWriteSet& writes, std::vector<CommitHook>& hooks) override {
    return store_.db_.transaction("committing signal state", [&](soci::session& sql) {
      CORE_RETURN_IF_ERROR(store_.write(sql, writes));
      // Hooks run with this transaction as the thread's ambient session, so repository calls
      // inside them land in the same DB transaction.
      for (auto& hook : hooks) CORE_RETURN_IF_ERROR(hook());
      return core::Status();
    });
  }

 private:
  SqlDeviceStore& store_;
};

SqlDeviceStore::SqlDeviceStore(Database& db, const SecretBox& box, std::string session_id)
    : db_(db), box_(box), session_id_(std::move(session_id)) {}

core::Status SqlDeviceStore::wipe() {
  return db_.transaction("wiping device state", [&](soci::session& sql) {
    for (const char* table : {"device_credentials", "signal_identities", "signal_sessions",
                              "signal_pre_keys", "signal_signed_pre_keys", "signal_sender_keys",
                              "lid_mappings", "contacts", "message_secrets"}) {
      sql << "DELETE FROM " + std::string(table) + " WHERE session_id = :s", soci::use(session_id_);
    }
    return core::Status();
  });
}

std::unique_ptr<wa::store::Transaction> SqlDeviceStore::begin() {
  return std::make_unique<SqlTransaction>(*this);
}

core::Status SqlDeviceStore::write(soci::session& sql, const SignalWriteSet& w) {
  const std::string& sid = session_id_;
  long long now = 0;
  {
    // A monotonic-enough stamp for debugging; correctness never depends on it.
    now = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::system_clock::now().time_since_epoch())
              .count();
  }
  for (const auto& [addr, value] : w.identities) {
    std::string a = addr.to_string();
    if (value) {
      std::string sealed = box_.seal(*value, kIdentities);
      sql << db_.upsert_sql(kIdentities, {"session_id", "address"}, {"record", "updated_at"}),
          soci::use(sid), soci::use(a), soci::use(sealed), soci::use(now);
    } else {
      sql << "DELETE FROM signal_identities WHERE session_id = :s AND address = :a", soci::use(sid),
          soci::use(a);
    }
  }
  for (const auto& [addr, value] : w.sessions) {
    int dev = static_cast<int>(addr.device_id);
    if (value) {
      std::string sealed = box_.seal(*value, kSessions);
      sql << db_.upsert_sql(kSessions, {"session_id", "name", "device_id"},
                            {"record", "updated_at"}),
          soci::use(sid), soci::use(addr.name), soci::use(dev), soci::use(sealed), soci::use(now);
    } else {
      sql << "DELETE FROM signal_sessions WHERE session_id = :s AND name = :n AND device_id = :d",
          soci::use(sid), soci::use(addr.name), soci::use(dev);
    }
  }
  for (const auto& [id, value] : w.pre_keys) {
    long long key_id = id;
    if (value) {
      std::string sealed = box_.seal(*value, kPreKeys);
      sql << db_.upsert_sql(kPreKeys, {"session_id", "key_id"}, {"record"}), soci::use(sid),
          soci::use(key_id), soci::use(sealed);
    } else {
      sql << "DELETE FROM signal_pre_keys WHERE session_id = :s AND key_id = :k", soci::use(sid),
          soci::use(key_id);
    }
  }
  for (const auto& [id, value] : w.signed_pre_keys) {
    long long key_id = id;
    if (value) {
      std::string sealed = box_.seal(*value, kSignedPreKeys);
      sql << db_.upsert_sql(kSignedPreKeys, {"session_id", "key_id"}, {"record"}), soci::use(sid),
          soci::use(key_id), soci::use(sealed);
    } else {
      sql << "DELETE FROM signal_signed_pre_keys WHERE session_id = :s AND key_id = :k",
          soci::use(sid), soci::use(key_id);
    }
  }
  for (const auto& [name, value] : w.sender_keys) {
    std::string sender = name.sender.to_string();
    if (value) {
      std::string sealed = box_.seal(*value, kSenderKeys);
      sql << db_.upsert_sql(kSenderKeys, {"session_id", "group_id", "sender"},
                            {"record", "updated_at"}),
          soci::use(sid), soci::use(name.group_id), soci::use(sender), soci::use(sealed),
          soci::use(now);
    } else {
      sql << "DELETE FROM signal_sender_keys WHERE session_id = :s AND group_id = :g AND sender "
             "= :x",
          soci::use(sid), soci::use(name.group_id), soci::use(sender);
    }
  }
  return core::Status();
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_sealed(const char* table,
                                                                     const std::string& where,
                                                                     const std::string& a,
                                                                     const std::string* b) {
  std::string q = std::string("SELECT ") +
                  (std::string_view(table) == kCredentials      ? "data"
                   : std::string_view(table) == kMessageSecrets ? "secret"
                                                                : "record") +
                  " FROM " + table + " WHERE session_id = :s" + where;
  return db_.query<std::optional<core::Bytes>>(
      std::string("loading ") + table,
      [&](soci::session& sql) -> core::Result<std::optional<core::Bytes>> {
        std::string sealed;
        soci::indicator ind = soci::i_null;
        bool got = exec(sql, q, [&](soci::statement& st) {
          st.exchange(soci::into(sealed, ind));
          st.exchange(soci::use(session_id_));
          if (!where.empty()) st.exchange(soci::use(a));
          if (b) st.exchange(soci::use(*b));
        });
        if (!got || ind != soci::i_ok) return std::optional<core::Bytes>();
        auto plain = box_.open(sealed, table);
        if (!plain.ok()) return plain.status();
        return std::optional<core::Bytes>(std::move(plain).value());
      });
}

// ---- direct (single atomic) writes: a one-entry write set in its own transaction ----

namespace {
template <typename Fill>
core::Status write_one(Database& db, SqlDeviceStore& store, Fill fill) {
  SignalWriteSet w;
  fill(w);
  return db.transaction("writing signal state",
                        [&](soci::session& sql) { return store.write(sql, w); });
}
}  // namespace

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_identity(const SignalAddress& a) {
  return load_sealed(kIdentities, " AND address = :a", a.to_string(), nullptr);
}
core::Status SqlDeviceStore::save_identity(const SignalAddress& a, core::ByteView key) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.identities[a] = core::to_bytes(key); });
}
core::Status SqlDeviceStore::delete_identity(const SignalAddress& a) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.identities[a] = std::nullopt; });
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_session(const SignalAddress& a) {
  std::string dev = std::to_string(a.device_id);
  return load_sealed(kSessions, " AND name = :n AND device_id = :d", a.name, &dev);
}
core::Status SqlDeviceStore::store_session(const SignalAddress& a, core::ByteView record) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.sessions[a] = core::to_bytes(record); });
}
core::Result<std::vector<uint32_t>> SqlDeviceStore::list_session_devices(const std::string& name) {
  return db_.query<std::vector<uint32_t>>(
      "listing signal sessions", [&](soci::session& sql) -> core::Result<std::vector<uint32_t>> {
        std::vector<uint32_t> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT device_id FROM signal_sessions WHERE session_id = :s AND "
                            "name = :n ORDER BY device_id",
             soci::use(session_id_), soci::use(name));
        for (const auto& r : rows) out.push_back(static_cast<uint32_t>(internal::row_int(r, 0)));
        return out;
      });
}
core::Status SqlDeviceStore::delete_session(const SignalAddress& a) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.sessions[a] = std::nullopt; });
}
core::Status SqlDeviceStore::delete_all_sessions(const std::string& name) {
  return db_.run("deleting signal sessions", [&](soci::session& sql) {
    sql << "DELETE FROM signal_sessions WHERE session_id = :s AND name = :n",
        soci::use(session_id_), soci::use(name);
    return core::Status();
  });
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_pre_key(uint32_t id) {
  return load_sealed(kPreKeys, " AND key_id = :k", std::to_string(id), nullptr);
}
core::Status SqlDeviceStore::store_pre_key(uint32_t id, core::ByteView record) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.pre_keys[id] = core::to_bytes(record); });
}
core::Status SqlDeviceStore::remove_pre_key(uint32_t id) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.pre_keys[id] = std::nullopt; });
}
core::Status SqlDeviceStore::store_pre_keys(
    std::span<const std::pair<uint32_t, core::Bytes>> records) {
  return write_one(db_, *this, [&](SignalWriteSet& w) {
    for (const auto& [id, rec] : records) w.pre_keys[id] = rec;
  });
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_signed_pre_key(uint32_t id) {
  return load_sealed(kSignedPreKeys, " AND key_id = :k", std::to_string(id), nullptr);
}
core::Status SqlDeviceStore::store_signed_pre_key(uint32_t id, core::ByteView record) {
  return write_one(db_, *this,
                   [&](SignalWriteSet& w) { w.signed_pre_keys[id] = core::to_bytes(record); });
}
core::Status SqlDeviceStore::remove_signed_pre_key(uint32_t id) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.signed_pre_keys[id] = std::nullopt; });
}
core::Result<std::vector<uint32_t>> SqlDeviceStore::list_signed_pre_keys() {
  return db_.query<std::vector<uint32_t>>(
      "listing signed pre-keys", [&](soci::session& sql) -> core::Result<std::vector<uint32_t>> {
        std::vector<uint32_t> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT key_id FROM signal_signed_pre_keys WHERE session_id = :s "
                            "ORDER BY key_id",
             soci::use(session_id_));
        for (const auto& r : rows) out.push_back(static_cast<uint32_t>(internal::row_int(r, 0)));
        return out;
      });
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_sender_key(const SenderKeyName& n) {
  std::string sender = n.sender.to_string();
  return load_sealed(kSenderKeys, " AND group_id = :g AND sender = :x", n.group_id, &sender);
}
core::Status SqlDeviceStore::store_sender_key(const SenderKeyName& n, core::ByteView record) {
  return write_one(db_, *this,
                   [&](SignalWriteSet& w) { w.sender_keys[n] = core::to_bytes(record); });
}
core::Status SqlDeviceStore::delete_sender_key(const SenderKeyName& n) {
  return write_one(db_, *this, [&](SignalWriteSet& w) { w.sender_keys[n] = std::nullopt; });
}

// ---- credentials ----

std::string credentials_to_json(const DeviceCredentials& c) {
  auto b64 = [](core::ByteView v) { return core::base64_encode(v); };
  auto pair = [&](const wa::store::CurveKeyPair& k) {
    return nlohmann::json{{"private", b64(k.private_key)}, {"public", b64(k.public_key)}};
  };
  nlohmann::json j = {
      {"noise_key", pair(c.noise_key)},
      {"identity_key", pair(c.identity_key)},
      {"registration_id", c.registration_id},
      {"signed_pre_key",
       {{"id", c.signed_pre_key.id},
        {"key_pair", pair(c.signed_pre_key.key_pair)},
        {"signature", b64(c.signed_pre_key.signature)}}},
      {"adv_secret_key", b64(c.adv_secret_key)},
      {"me_pn_jid", c.me_pn_jid},
      {"me_lid_jid", c.me_lid_jid},
      {"account", b64(c.account)},
      {"push_name", c.push_name},
      {"platform", c.platform},
      {"next_pre_key_id", c.next_pre_key_id},
      {"first_unuploaded_pre_key_id", c.first_unuploaded_pre_key_id},
      {"routing_info", b64(c.routing_info)},
      {"registered", c.registered},
  };
  return j.dump();
}

core::Result<DeviceCredentials> credentials_from_json(std::string_view text) {
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return core::Status::invalid_argument("device credentials are not a JSON object");
  }
  try {
    auto bytes = [&](const nlohmann::json& v) -> core::Bytes {
      auto r = core::base64_decode(v.get<std::string>());
      if (!r.ok()) throw std::runtime_error("bad base64");
      return std::move(r).value();
    };
    auto key32 = [&](const nlohmann::json& v, std::array<uint8_t, 32>& out) {
      core::Bytes b = bytes(v);
      if (b.size() != 32) throw std::runtime_error("key is not 32 bytes");
      std::copy(b.begin(), b.end(), out.begin());
    };
    auto pair = [&](const nlohmann::json& v, wa::store::CurveKeyPair& out) {
      key32(v.at("private"), out.private_key);
      key32(v.at("public"), out.public_key);
    };
    DeviceCredentials c;
    pair(j.at("noise_key"), c.noise_key);
    pair(j.at("identity_key"), c.identity_key);
    c.registration_id = j.at("registration_id").get<uint32_t>();
    const auto& spk = j.at("signed_pre_key");
    c.signed_pre_key.id = spk.at("id").get<uint32_t>();
    pair(spk.at("key_pair"), c.signed_pre_key.key_pair);
    c.signed_pre_key.signature = bytes(spk.at("signature"));
    c.adv_secret_key = bytes(j.at("adv_secret_key"));
    c.me_pn_jid = j.at("me_pn_jid").get<std::string>();
    c.me_lid_jid = j.at("me_lid_jid").get<std::string>();
    c.account = bytes(j.at("account"));
    c.push_name = j.at("push_name").get<std::string>();
    c.platform = j.at("platform").get<std::string>();
    c.next_pre_key_id = j.at("next_pre_key_id").get<uint32_t>();
    c.first_unuploaded_pre_key_id = j.at("first_unuploaded_pre_key_id").get<uint32_t>();
    c.routing_info = bytes(j.at("routing_info"));
    c.registered = j.at("registered").get<bool>();
    return c;
  } catch (const std::exception& e) {
    return core::Status::invalid_argument(std::string("malformed device credentials: ") + e.what());
  }
}

core::Result<std::optional<DeviceCredentials>> SqlDeviceStore::load_credentials() {
  CORE_ASSIGN_OR_RETURN(auto plain, load_sealed(kCredentials, "", "", nullptr));
  if (!plain) return std::optional<DeviceCredentials>();
  CORE_ASSIGN_OR_RETURN(auto creds, credentials_from_json(core::as_string_view(*plain)));
  return std::optional<DeviceCredentials>(std::move(creds));
}

core::Status SqlDeviceStore::save_credentials(const DeviceCredentials& c) {
  std::string sealed = box_.seal(credentials_to_json(c), kCredentials);
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return db_.run("saving device credentials", [&](soci::session& sql) {
    sql << db_.upsert_sql(kCredentials, {"session_id"}, {"data", "updated_at"}),
        soci::use(session_id_), soci::use(sealed), soci::use(now);
    return core::Status();
  });
}

// ---- LID mapping, contacts, message secrets ----

core::Status SqlDeviceStore::store_lid_mapping(const std::string& pn, const std::string& lid) {
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return db_.transaction("storing LID mapping", [&](soci::session& sql) {
    sql << "DELETE FROM lid_mappings WHERE session_id = :s AND (pn_user = :p OR lid_user = :l)",
        soci::use(session_id_), soci::use(pn), soci::use(lid);
    sql << "INSERT INTO lid_mappings (session_id, pn_user, lid_user, updated_at) VALUES (:s, :p, "
           ":l, :t)",
        soci::use(session_id_), soci::use(pn), soci::use(lid), soci::use(now);
    return core::Status();
  });
}

core::Result<std::optional<std::string>> SqlDeviceStore::lid_for_pn(const std::string& pn) {
  return db_.query<std::optional<std::string>>(
      "loading LID mapping", [&](soci::session& sql) -> core::Result<std::optional<std::string>> {
        std::string lid;
        sql << "SELECT lid_user FROM lid_mappings WHERE session_id = :s AND pn_user = :p",
            soci::use(session_id_), soci::use(pn), soci::into(lid);
        if (!sql.got_data()) return std::optional<std::string>();
        return std::optional<std::string>(lid);
      });
}

core::Result<std::optional<std::string>> SqlDeviceStore::pn_for_lid(const std::string& lid) {
  return db_.query<std::optional<std::string>>(
      "loading LID mapping", [&](soci::session& sql) -> core::Result<std::optional<std::string>> {
        std::string pn;
        sql << "SELECT pn_user FROM lid_mappings WHERE session_id = :s AND lid_user = :l",
            soci::use(session_id_), soci::use(lid), soci::into(pn);
        if (!sql.got_data()) return std::optional<std::string>();
        return std::optional<std::string>(pn);
      });
}

core::Status SqlDeviceStore::upsert_contact(const Contact& c) {
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return db_.run("saving contact", [&](soci::session& sql) {
    sql << db_.upsert_sql("contacts", {"session_id", "jid"},
                          {"push_name", "full_name", "updated_at"}),
        soci::use(session_id_), soci::use(c.jid), soci::use(c.push_name), soci::use(c.full_name),
        soci::use(now);
    return core::Status();
  });
}

core::Result<std::optional<Contact>> SqlDeviceStore::load_contact(const std::string& jid) {
  return db_.query<std::optional<Contact>>(
      "loading contact", [&](soci::session& sql) -> core::Result<std::optional<Contact>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT jid, push_name, full_name FROM contacts WHERE session_id = :s "
                            "AND jid = :j",
             soci::use(session_id_), soci::use(jid));
        for (const auto& r : rows) {
          return std::optional<Contact>(Contact{internal::row_text(r, 0), internal::row_text(r, 1),
                                                internal::row_text(r, 2)});
        }
        return std::optional<Contact>();
      });
}

core::Result<std::vector<Contact>> SqlDeviceStore::list_contacts() {
  return db_.query<std::vector<
      Contact>>("listing contacts", [&](soci::session& sql) -> core::Result<std::vector<Contact>> {
    std::vector<Contact> out;
    soci::rowset<soci::row> rows =
        (sql.prepare << "SELECT jid, push_name, full_name FROM contacts WHERE session_id = :s "
                        "ORDER BY jid",
         soci::use(session_id_));
    for (const auto& r : rows) {
      out.push_back({internal::row_text(r, 0), internal::row_text(r, 1), internal::row_text(r, 2)});
    }
    return out;
  });
}

core::Status SqlDeviceStore::store_message_secret(const std::string& message_id,
                                                  core::ByteView secret) {
  std::string sealed = box_.seal(secret, kMessageSecrets);
  long long now = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  return db_.run("saving message secret", [&](soci::session& sql) {
    sql << db_.upsert_sql(kMessageSecrets, {"session_id", "message_id"}, {"secret", "created_at"}),
        soci::use(session_id_), soci::use(message_id), soci::use(sealed), soci::use(now);
    return core::Status();
  });
}

core::Result<std::optional<core::Bytes>> SqlDeviceStore::load_message_secret(
    const std::string& message_id) {
  return load_sealed(kMessageSecrets, " AND message_id = :m", message_id, nullptr);
}

}  // namespace storage
