#include "storage/session_repositories.h"

#include <map>

#include "storage/internal/sql_util.h"
#include "storage/internal/webhook_rows.h"

namespace storage {

using internal::Nullable;
using internal::row_int;
using internal::row_opt_int;
using internal::row_opt_text;
using internal::row_text;

namespace {

constexpr std::string_view kWebhookSecretPurpose = "wa_sessions.webhook_secret";

constexpr const char* kSessionCols =
    "id, name, owner_id, status, detail, reason, webhook_url, webhook_secret, settings, "
    "created_at, updated_at, last_connected_at";

constexpr const char* kMessageCols =
    "id, session_id, direction, chat_jid, sender_jid, message_id, type, body, status, error, "
    "idempotency_key, message_ts, created_at, updated_at";

MessageRecord message_from_row(const soci::row& r) {
  MessageRecord m;
  m.row_id = row_int(r, 0);
  m.session_id = row_text(r, 1);
  m.direction = row_text(r, 2);
  m.chat_jid = row_text(r, 3);
  m.sender_jid = row_opt_text(r, 4);
  m.message_id = row_text(r, 5);
  m.type = row_text(r, 6);
  m.body_json = row_text(r, 7);
  m.status = row_text(r, 8);
  m.error = row_opt_text(r, 9);
  m.idempotency_key = row_opt_text(r, 10);
  m.message_ts = row_int(r, 11);
  m.created_at = row_int(r, 12);
  m.updated_at = row_int(r, 13);
  return m;
}

int status_rank(std::string_view s) {
  static const std::map<std::string_view, int> ranks = {
      {"queued", 1}, {"sent", 2}, {"delivered", 3}, {"read", 4}, {"played", 5}};
  auto it = ranks.find(s);
  return it == ranks.end() ? -1 : it->second;
}

void add_history(soci::session& sql, long long row_id, const std::string& status, long long at,
                 const std::optional<std::string>& detail) {
  Nullable<std::string> d(detail);
  sql << "INSERT INTO message_status_history (message_row_id, status, at, detail) VALUES "
         "(:m, :s, :a, :d)",
      soci::use(row_id), soci::use(status), soci::use(at), soci::use(d.value, d.ind);
}

long long insert_message(Database& db, soci::session& sql, const MessageRecord& m) {
  Nullable<std::string> sender(m.sender_jid), error(m.error), key(m.idempotency_key);
  return db.insert_returning_id(
      sql,
      "INSERT INTO messages (session_id, direction, chat_jid, sender_jid, message_id, type, "
      "body, status, error, idempotency_key, message_ts, created_at, updated_at) VALUES (:s, :d, "
      ":c, :f, :m, :t, :b, :st, :e, :k, :ts, :ca, :ua)",
      "messages", [&](soci::statement& st) {
        st.exchange(soci::use(m.session_id));
        st.exchange(soci::use(m.direction));
        st.exchange(soci::use(m.chat_jid));
        st.exchange(soci::use(sender.value, sender.ind));
        st.exchange(soci::use(m.message_id));
        st.exchange(soci::use(m.type));
        st.exchange(soci::use(m.body_json));
        st.exchange(soci::use(m.status));
        st.exchange(soci::use(error.value, error.ind));
        st.exchange(soci::use(key.value, key.ind));
        st.exchange(soci::use(m.message_ts));
        st.exchange(soci::use(m.created_at));
        st.exchange(soci::use(m.updated_at));
      });
}

constexpr const char* kMediaCols =
    "id, session_id, owner_id, path, sha256, mime, size, original_name, created_at, expires_at";

MediaFile media_from_row(const soci::row& r) {
  MediaFile f;
  f.id = row_text(r, 0);
  f.session_id = row_opt_text(r, 1);
  f.owner_id = row_opt_text(r, 2);
  f.path = row_text(r, 3);
  f.sha256 = row_text(r, 4);
  f.mime = row_text(r, 5);
  f.size = row_int(r, 6);
  f.original_name = row_opt_text(r, 7);
  f.created_at = row_int(r, 8);
  f.expires_at = row_opt_int(r, 9);
  return f;
}

}  // namespace

// ---- WaSessionRepository ----

bool WaSessionRepository::valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

core::Result<WaSession> WaSessionRepository::create(WaSession s) {
  if (!valid_id(s.id)) {
    return core::Status::invalid_argument("session id must match [A-Za-z0-9_-]{1,64}");
  }
  long long now = clock_.unix_millis();
  s.created_at = s.updated_at = now;
  Nullable<std::string> name(s.name), owner(s.owner_id), detail(s.detail), reason(s.reason),
      url(s.webhook_url);
  Nullable<std::string> secret(s.webhook_secret ? std::optional<std::string>(box_.seal(
                                                      *s.webhook_secret, kWebhookSecretPurpose))
                                                : std::nullopt);
  Nullable<long long> connected(s.last_connected_at);
  core::Status st = db_.run("creating session", [&](soci::session& sql) {
    sql << "INSERT INTO wa_sessions (id, name, owner_id, status, detail, reason, webhook_url, "
           "webhook_secret, settings, created_at, updated_at, last_connected_at) VALUES (:id, :n, "
           ":o, :s, :d, :r, :u, :w, :set, :c, :up, :lc)",
        soci::use(s.id), soci::use(name.value, name.ind), soci::use(owner.value, owner.ind),
        soci::use(s.status), soci::use(detail.value, detail.ind),
        soci::use(reason.value, reason.ind), soci::use(url.value, url.ind),
        soci::use(secret.value, secret.ind), soci::use(s.settings_json), soci::use(s.created_at),
        soci::use(s.updated_at), soci::use(connected.value, connected.ind);
    return core::Status();
  });
  if (st.code() == core::StatusCode::kAlreadyExists) {
    return core::Status::already_exists("session " + s.id + " already exists");
  }
  if (!st.ok()) return st;
  return s;
}

core::Result<bool> WaSessionRepository::ensure(const std::string& id,
                                               const std::optional<std::string>& owner_id) {
  if (!valid_id(id)) {
    return core::Status::invalid_argument("session id must match [A-Za-z0-9_-]{1,64}");
  }
  long long now = clock_.unix_millis();
  std::string status = "created";
  std::string settings = "{}";
  Nullable<std::string> owner(owner_id);
  return db_.query<bool>("ensuring session", [&](soci::session& sql) -> core::Result<bool> {
    soci::statement st = (sql.prepare << db_.insert_ignore_sql(
                              "wa_sessions", {"id", "name", "owner_id", "status", "settings",
                                              "created_at", "updated_at"}),
                          soci::use(id), soci::use(id), soci::use(owner.value, owner.ind),
                          soci::use(status), soci::use(settings), soci::use(now), soci::use(now));
    st.execute(true);
    bool created = st.get_affected_rows() > 0;
    if (!created && owner_id) {
      sql << "UPDATE wa_sessions SET owner_id = :o WHERE id = :id AND owner_id IS NULL",
          soci::use(*owner_id), soci::use(id);
    }
    return created;
  });
}

core::Result<std::vector<WaSession>> WaSessionRepository::select(const std::string& where,
                                                                 const std::string& value) {
  return db_.query<std::vector<WaSession>>(
      "loading sessions", [&](soci::session& sql) -> core::Result<std::vector<WaSession>> {
        std::vector<WaSession> out;
        std::string q = std::string("SELECT ") + kSessionCols + " FROM wa_sessions";
        if (!where.empty()) q += " WHERE " + where + " = :v";
        q += " ORDER BY id";
        soci::rowset<soci::row> rows =
            where.empty() ? (sql.prepare << q) : (sql.prepare << q, soci::use(value));
        for (const auto& r : rows) {
          WaSession s;
          s.id = row_text(r, 0);
          s.name = row_opt_text(r, 1);
          s.owner_id = row_opt_text(r, 2);
          s.status = row_text(r, 3);
          s.detail = row_opt_text(r, 4);
          s.reason = row_opt_text(r, 5);
          s.webhook_url = row_opt_text(r, 6);
          if (auto sealed = row_opt_text(r, 7)) {
            auto plain = box_.open(*sealed, kWebhookSecretPurpose);
            if (!plain.ok()) return plain.status().with_context("session " + s.id);
            s.webhook_secret = core::to_string(*plain);
          }
          s.settings_json = row_text(r, 8);
          s.created_at = row_int(r, 9);
          s.updated_at = row_int(r, 10);
          s.last_connected_at = row_opt_int(r, 11);
          out.push_back(std::move(s));
        }
        return out;
      });
}

core::Result<std::optional<WaSession>> WaSessionRepository::find(const std::string& id) {
  CORE_ASSIGN_OR_RETURN(auto rows, select("id", id));
  if (rows.empty()) return std::optional<WaSession>();
  return std::optional<WaSession>(std::move(rows.front()));
}

core::Result<std::vector<WaSession>> WaSessionRepository::list() { return select("", ""); }

core::Result<std::vector<WaSession>> WaSessionRepository::list_by_owner(const std::string& owner) {
  return select("owner_id", owner);
}

core::Status WaSessionRepository::update_status(const std::string& id, const std::string& status,
                                                const std::optional<std::string>& detail,
                                                const std::optional<std::string>& reason) {
  long long now = clock_.unix_millis();
  Nullable<std::string> d(detail), r(reason);
  int connected = status == "connected" ? 1 : 0;
  return db_.run("updating session status", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE wa_sessions SET status = :s, detail = :d, reason = :r, "
                        "updated_at = :u, last_connected_at = CASE WHEN :c = 1 THEN :u2 ELSE "
                        "last_connected_at END WHERE id = :id",
         soci::use(status), soci::use(d.value, d.ind), soci::use(r.value, r.ind), soci::use(now),
         soci::use(connected), soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no session " + id);
  });
}

core::Status WaSessionRepository::set_webhook(const std::string& id,
                                              const std::optional<std::string>& url,
                                              const std::optional<std::string>& secret) {
  long long now = clock_.unix_millis();
  Nullable<std::string> u(url);
  Nullable<std::string> s(
      secret ? std::optional<std::string>(box_.seal(*secret, kWebhookSecretPurpose))
             : std::nullopt);
  return db_.run("setting webhook", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE wa_sessions SET webhook_url = :u, webhook_secret "
                        "= :s, updated_at = :t WHERE id = :id",
         soci::use(u.value, u.ind), soci::use(s.value, s.ind), soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no session " + id);
  });
}

core::Status WaSessionRepository::set_settings(const std::string& id, const std::string& json) {
  long long now = clock_.unix_millis();
  return db_.run("saving session settings", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE wa_sessions SET settings = :s, updated_at = :t WHERE id = :id",
         soci::use(json), soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no session " + id);
  });
}

core::Status WaSessionRepository::set_owner(const std::string& id,
                                            const std::optional<std::string>& owner_id) {
  long long now = clock_.unix_millis();
  Nullable<std::string> o(owner_id);
  return db_.run("setting session owner", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE wa_sessions SET owner_id = :o, updated_at = :t WHERE id = :id",
         soci::use(o.value, o.ind), soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no session " + id);
  });
}

core::Status WaSessionRepository::remove(const std::string& id) {
  return db_.run("deleting session", [&](soci::session& sql) {
    soci::statement st = (sql.prepare << "DELETE FROM wa_sessions WHERE id = :id", soci::use(id));
    return internal::execute_or_not_found(st, "no session " + id);
  });
}

// ---- MessageRepository ----

core::Result<bool> MessageRepository::record_inbound(MessageRecord& m) {
  long long now = clock_.unix_millis();
  m.direction = "in";
  m.status = "received";
  m.created_at = m.updated_at = now;
  if (m.message_ts == 0) m.message_ts = now;
  bool inserted = false;
  CORE_RETURN_IF_ERROR(db_.transaction("recording inbound message", [&](soci::session& sql) {
    // Checked first instead of relying on the unique key: a failed INSERT would abort the
    // surrounding (Signal commit) transaction on PostgreSQL.
    long long existing = 0;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id FROM messages WHERE session_id = :s AND chat_jid = :c AND direction = 'in' "
           "AND message_id = :m",
        soci::use(m.session_id), soci::use(m.chat_jid), soci::use(m.message_id),
        soci::into(existing, ind);
    if (sql.got_data() && ind == soci::i_ok) {
      m.row_id = existing;
      return core::Status();
    }
    m.row_id = insert_message(db_, sql, m);
    add_history(sql, m.row_id, m.status, now, std::nullopt);
    inserted = true;
    return core::Status();
  }));
  return inserted;
}

core::Result<MessageRecord> MessageRepository::enqueue_outbound(MessageRecord m) {
  long long now = clock_.unix_millis();
  m.direction = "out";
  m.status = "queued";
  m.created_at = m.updated_at = now;
  if (m.message_ts == 0) m.message_ts = now;
  std::optional<MessageRecord> existing;
  CORE_RETURN_IF_ERROR(db_.transaction("queueing outbound message", [&](soci::session& sql) {
    if (m.idempotency_key) {
      soci::rowset<soci::row> rows =
          (sql.prepare << std::string("SELECT ") + kMessageCols +
                              " FROM messages WHERE session_id = :s AND idempotency_key = :k",
           soci::use(m.session_id), soci::use(*m.idempotency_key));
      for (const auto& r : rows) existing = message_from_row(r);
      if (existing) return core::Status();
    }
    m.row_id = insert_message(db_, sql, m);
    add_history(sql, m.row_id, m.status, now, std::nullopt);
    return core::Status();
  }));
  if (existing) return *existing;
  return m;
}

core::Status MessageRepository::update_status(const std::string& session_id,
                                              const std::string& message_id,
                                              const std::string& status,
                                              const std::optional<std::string>& error) {
  if (status != "failed" && status_rank(status) < 0) {
    return core::Status::invalid_argument("unknown message status " + status);
  }
  long long now = clock_.unix_millis();
  return db_.transaction("updating message status", [&](soci::session& sql) -> core::Status {
    long long row_id = 0;
    std::string current;
    soci::indicator ind = soci::i_null;
    sql << "SELECT id, status FROM messages WHERE session_id = :s AND direction = 'out' AND "
           "message_id = :m",
        soci::use(session_id), soci::use(message_id), soci::into(row_id, ind), soci::into(current);
    if (!sql.got_data()) {
      return core::Status::not_found("no outbound message " + message_id + " in " + session_id);
    }
    bool advance = status == "failed" ? (current == "queued" || current == "sent")
                                      : status_rank(status) > status_rank(current);
    if (!advance) return core::Status();
    Nullable<std::string> e(error);
    sql << "UPDATE messages SET status = :s, error = :e, updated_at = :u WHERE id = :id",
        soci::use(status), soci::use(e.value, e.ind), soci::use(now), soci::use(row_id);
    add_history(sql, row_id, status, now, error);
    return core::Status();
  });
}

core::Result<std::optional<MessageRecord>> MessageRepository::find(const std::string& session_id,
                                                                   const std::string& chat_jid,
                                                                   const std::string& direction,
                                                                   const std::string& message_id) {
  return db_.query<std::optional<MessageRecord>>(
      "loading message", [&](soci::session& sql) -> core::Result<std::optional<MessageRecord>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMessageCols +
                                " FROM messages WHERE session_id = :s AND chat_jid = :c AND "
                                "direction = :d AND message_id = :m",
             soci::use(session_id), soci::use(chat_jid), soci::use(direction),
             soci::use(message_id));
        for (const auto& r : rows) return std::optional<MessageRecord>(message_from_row(r));
        return std::optional<MessageRecord>();
      });
}

core::Result<std::optional<MessageRecord>> MessageRepository::find_outbound(
    const std::string& session_id, const std::string& message_id) {
  return db_.query<std::optional<MessageRecord>>(
      "loading message", [&](soci::session& sql) -> core::Result<std::optional<MessageRecord>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMessageCols +
                                " FROM messages WHERE session_id = :s AND direction = 'out' AND "
                                "message_id = :m",
             soci::use(session_id), soci::use(message_id));
        for (const auto& r : rows) return std::optional<MessageRecord>(message_from_row(r));
        return std::optional<MessageRecord>();
      });
}

core::Result<std::optional<MessageRecord>> MessageRepository::find_by_idempotency_key(
    const std::string& session_id, const std::string& key) {
  return db_.query<std::optional<MessageRecord>>(
      "loading message", [&](soci::session& sql) -> core::Result<std::optional<MessageRecord>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMessageCols +
                                " FROM messages WHERE session_id = :s AND idempotency_key = :k",
             soci::use(session_id), soci::use(key));
        for (const auto& r : rows) return std::optional<MessageRecord>(message_from_row(r));
        return std::optional<MessageRecord>();
      });
}

core::Result<std::vector<MessageRecord>> MessageRepository::queued_outbound(
    const std::string& session_id) {
  return db_.query<std::vector<MessageRecord>>(
      "loading queued messages",
      [&](soci::session& sql) -> core::Result<std::vector<MessageRecord>> {
        std::vector<MessageRecord> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMessageCols +
                                " FROM messages WHERE session_id = :s AND direction = 'out' AND "
                                "status = 'queued' ORDER BY id",
             soci::use(session_id));
        for (const auto& r : rows) out.push_back(message_from_row(r));
        return out;
      });
}

core::Result<std::vector<MessageRecord>> MessageRepository::list_chat(const std::string& session_id,
                                                                      const std::string& chat_jid,
                                                                      long long before_ts,
                                                                      int limit) {
  long long bound = before_ts > 0 ? before_ts : (1LL << 62);
  int lim = limit > 0 && limit <= 1000 ? limit : 100;
  return db_.query<std::vector<MessageRecord>>(
      "listing messages", [&](soci::session& sql) -> core::Result<std::vector<MessageRecord>> {
        std::vector<MessageRecord> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMessageCols +
                                " FROM messages WHERE session_id = :s AND chat_jid = :c AND "
                                "message_ts < :b ORDER BY message_ts DESC, id DESC LIMIT " +
                                std::to_string(lim),
             soci::use(session_id), soci::use(chat_jid), soci::use(bound));
        for (const auto& r : rows) out.push_back(message_from_row(r));
        return out;
      });
}

core::Result<std::vector<MessageStatusChange>> MessageRepository::history(long long row_id) {
  return db_.query<std::vector<MessageStatusChange>>(
      "loading message history",
      [&](soci::session& sql) -> core::Result<std::vector<MessageStatusChange>> {
        std::vector<MessageStatusChange> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT status, at, detail FROM message_status_history WHERE "
                            "message_row_id = :m ORDER BY at, id",
             soci::use(row_id));
        for (const auto& r : rows) {
          out.push_back({row_text(r, 0), row_int(r, 1), row_opt_text(r, 2)});
        }
        return out;
      });
}

core::Result<long long> MessageRepository::count(const std::string& session_id) {
  return db_.query<long long>("counting messages",
                              [&](soci::session& sql) -> core::Result<long long> {
                                long long n = 0;
                                sql << "SELECT COUNT(*) FROM messages WHERE session_id = :s",
                                    soci::use(session_id), soci::into(n);
                                return n;
                              });
}

// ---- WebhookOutboxRepository ----

core::Result<bool> WebhookOutboxRepository::enqueue(WebhookEvent e) {
  long long now = clock_.unix_millis();
  if (e.next_attempt_at == 0) e.next_attempt_at = now;
  Nullable<std::string> sid(e.session_id);
  int attempts = 0;
  return db_.query<bool>("queueing webhook event", [&](soci::session& sql) -> core::Result<bool> {
    soci::statement st = (sql.prepare << db_.insert_ignore_sql(
                              "webhook_outbox", {"event_id", "session_id", "event_type", "payload",
                                                 "attempts", "next_attempt_at", "created_at"}),
                          soci::use(e.event_id), soci::use(sid.value, sid.ind),
                          soci::use(e.event_type), soci::use(e.payload_json), soci::use(attempts),
                          soci::use(e.next_attempt_at), soci::use(now));
    st.execute(true);
    return st.get_affected_rows() > 0;
  });
}

core::Result<std::vector<WebhookEvent>> WebhookOutboxRepository::due(int limit) {
  long long now = clock_.unix_millis();
  int lim = limit > 0 && limit <= 1000 ? limit : 100;
  return db_.query<std::vector<WebhookEvent>>(
      "loading due webhooks", [&](soci::session& sql) -> core::Result<std::vector<WebhookEvent>> {
        std::vector<WebhookEvent> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT " + internal::webhook_event_columns() +
                                " FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS "
                                "NULL AND next_attempt_at <= :now ORDER BY next_attempt_at, id "
                                "LIMIT " +
                                std::to_string(lim),
             soci::use(now));
        for (const auto& r : rows) out.push_back(internal::webhook_event_from_row(r));
        return out;
      });
}

core::Result<std::optional<WebhookEvent>> WebhookOutboxRepository::find(
    const std::string& event_id) {
  return db_.query<std::optional<WebhookEvent>>(
      "loading webhook event",
      [&](soci::session& sql) -> core::Result<std::optional<WebhookEvent>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT " + internal::webhook_event_columns() +
                                " FROM webhook_outbox WHERE event_id = :e",
             soci::use(event_id));
        for (const auto& r : rows)
          return std::optional<WebhookEvent>(internal::webhook_event_from_row(r));
        return std::optional<WebhookEvent>();
      });
}

core::Status WebhookOutboxRepository::mark_delivered(long long id, int http_status,
                                                     int duration_ms) {
  long long now = clock_.unix_millis();
  return db_.transaction("marking webhook delivered", [&](soci::session& sql) -> core::Status {
    int attempts = 0;
    sql << "SELECT attempts FROM webhook_outbox WHERE id = :id", soci::use(id),
        soci::into(attempts);
    if (!sql.got_data()) return core::Status::not_found("no webhook event " + std::to_string(id));
    ++attempts;
    sql << "UPDATE webhook_outbox SET attempts = :a, delivered_at = :t WHERE id = :id",
        soci::use(attempts), soci::use(now), soci::use(id);
    sql << "INSERT INTO webhook_deliveries (outbox_id, attempt, at, http_status, duration_ms) "
           "VALUES (:o, :a, :t, :h, :d)",
        soci::use(id), soci::use(attempts), soci::use(now), soci::use(http_status),
        soci::use(duration_ms);
    return core::Status();
  });
}

core::Status WebhookOutboxRepository::mark_failed(long long id, const std::string& error,
                                                  std::optional<int> http_status, int duration_ms,
                                                  std::optional<long long> next_attempt_at) {
  long long now = clock_.unix_millis();
  return db_.transaction("recording webhook failure", [&](soci::session& sql) -> core::Status {
    int attempts = 0;
    sql << "SELECT attempts FROM webhook_outbox WHERE id = :id", soci::use(id),
        soci::into(attempts);
    if (!sql.got_data()) return core::Status::not_found("no webhook event " + std::to_string(id));
    ++attempts;
    Nullable<long long> failed(next_attempt_at ? std::nullopt : std::optional<long long>(now));
    long long next = next_attempt_at.value_or(now);
    sql << "UPDATE webhook_outbox SET attempts = :a, last_error = :e, next_attempt_at = :n, "
           "failed_at = :f WHERE id = :id",
        soci::use(attempts), soci::use(error), soci::use(next), soci::use(failed.value, failed.ind),
        soci::use(id);
    Nullable<int> hs(http_status);
    sql << "INSERT INTO webhook_deliveries (outbox_id, attempt, at, http_status, error, "
           "duration_ms) VALUES (:o, :a, :t, :h, :e, :d)",
        soci::use(id), soci::use(attempts), soci::use(now), soci::use(hs.value, hs.ind),
        soci::use(error), soci::use(duration_ms);
    return core::Status();
  });
}

core::Result<std::vector<WebhookDelivery>> WebhookOutboxRepository::deliveries(long long id) {
  return db_.query<std::vector<WebhookDelivery>>(
      "loading webhook deliveries",
      [&](soci::session& sql) -> core::Result<std::vector<WebhookDelivery>> {
        std::vector<WebhookDelivery> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT attempt, at, http_status, error, duration_ms FROM "
                            "webhook_deliveries WHERE outbox_id = :o ORDER BY attempt",
             soci::use(id));
        for (const auto& r : rows) {
          WebhookDelivery d;
          d.attempt = static_cast<int>(row_int(r, 0));
          d.at = row_int(r, 1);
          if (auto h = row_opt_int(r, 2)) d.http_status = static_cast<int>(*h);
          d.error = row_opt_text(r, 3);
          if (auto ms = row_opt_int(r, 4)) d.duration_ms = static_cast<int>(*ms);
          out.push_back(d);
        }
        return out;
      });
}

core::Result<long long> WebhookOutboxRepository::purge_finished_before(long long ts) {
  return db_.query<long long>(
      "purging webhook outbox", [&](soci::session& sql) -> core::Result<long long> {
        soci::statement st =
            (sql.prepare << "DELETE FROM webhook_outbox WHERE (delivered_at IS NOT NULL AND "
                            "delivered_at < :a) OR (failed_at IS NOT NULL AND failed_at < :b)",
             soci::use(ts), soci::use(ts));
        st.execute(true);
        return st.get_affected_rows();
      });
}

// ---- MediaRepository ----

core::Result<MediaFile> MediaRepository::add(MediaFile f) {
  if (f.id.empty()) f.id = internal::new_uuid(random_);
  if (f.created_at == 0) f.created_at = clock_.unix_millis();
  Nullable<std::string> sid(f.session_id), owner(f.owner_id), name(f.original_name);
  Nullable<long long> exp(f.expires_at);
  CORE_RETURN_IF_ERROR(db_.run("recording media file", [&](soci::session& sql) {
    sql << "INSERT INTO media_files (id, session_id, owner_id, path, sha256, mime, size, "
           "original_name, created_at, expires_at) VALUES (:id, :s, :o, :p, :h, :m, :z, :n, :c, "
           ":e)",
        soci::use(f.id), soci::use(sid.value, sid.ind), soci::use(owner.value, owner.ind),
        soci::use(f.path), soci::use(f.sha256), soci::use(f.mime), soci::use(f.size),
        soci::use(name.value, name.ind), soci::use(f.created_at), soci::use(exp.value, exp.ind);
    return core::Status();
  }));
  return f;
}

core::Result<std::vector<MediaFile>> MediaRepository::select(const std::string& where_sql,
                                                             const std::string& arg,
                                                             const std::string& tail) {
  return db_.query<std::vector<MediaFile>>(
      "loading media", [&](soci::session& sql) -> core::Result<std::vector<MediaFile>> {
        std::vector<MediaFile> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kMediaCols + " FROM media_files WHERE " +
                                where_sql + " " + tail,
             soci::use(arg));
        for (const auto& r : rows) out.push_back(media_from_row(r));
        return out;
      });
}

core::Result<std::optional<MediaFile>> MediaRepository::find(const std::string& id) {
  CORE_ASSIGN_OR_RETURN(auto rows, select("id = :v", id, ""));
  if (rows.empty()) return std::optional<MediaFile>();
  return std::optional<MediaFile>(rows.front());
}

core::Result<std::optional<MediaFile>> MediaRepository::find_by_sha256(const std::string& sha256) {
  CORE_ASSIGN_OR_RETURN(auto rows, select("sha256 = :v", sha256, "ORDER BY created_at LIMIT 1"));
  if (rows.empty()) return std::optional<MediaFile>();
  return std::optional<MediaFile>(rows.front());
}

core::Result<std::vector<MediaFile>> MediaRepository::list_by_owner(const std::string& owner_id) {
  return select("owner_id = :v", owner_id, "ORDER BY created_at");
}

core::Result<std::vector<MediaFile>> MediaRepository::expired(long long now, int limit) {
  int lim = limit > 0 && limit <= 1000 ? limit : 100;
  return select("expires_at IS NOT NULL AND expires_at <= :v", std::to_string(now),
                "ORDER BY expires_at LIMIT " + std::to_string(lim));
}

core::Status MediaRepository::remove(const std::string& id) {
  return db_.run("deleting media", [&](soci::session& sql) {
    soci::statement st = (sql.prepare << "DELETE FROM media_files WHERE id = :id", soci::use(id));
    return internal::execute_or_not_found(st, "no media " + id);
  });
}

}  // namespace storage
