#include "storage/webhook_queries.h"

#include <soci/soci.h>

#include "storage/internal/sql_util.h"

namespace storage {
namespace {

using internal::row_int;
using internal::row_opt_int;
using internal::row_opt_text;
using internal::row_text;

// Same column order as session_repositories.cpp.
constexpr const char* kCols =
    "o.id, o.event_id, o.session_id, o.event_type, o.payload, o.attempts, o.next_attempt_at, "
    "o.last_error, o.created_at, o.delivered_at, o.failed_at";

WebhookEvent from_row(const soci::row& r) {
  WebhookEvent e;
  e.id = row_int(r, 0);
  e.event_id = row_text(r, 1);
  e.session_id = row_opt_text(r, 2);
  e.event_type = row_text(r, 3);
  e.payload_json = row_text(r, 4);
  e.attempts = static_cast<int>(row_int(r, 5));
  e.next_attempt_at = row_int(r, 6);
  e.last_error = row_opt_text(r, 7);
  e.created_at = row_int(r, 8);
  e.delivered_at = row_opt_int(r, 9);
  e.failed_at = row_opt_int(r, 10);
  return e;
}

}  // namespace

core::Result<std::vector<WebhookEvent>> WebhookQueries::due_session_heads(int limit) {
  long long now = clock_.unix_millis();
  int lim = limit > 0 && limit <= 1000 ? limit : 100;
  return db_.query<std::vector<WebhookEvent>>(
      "loading due webhook queue heads",
      [&](soci::session& sql) -> core::Result<std::vector<WebhookEvent>> {
        std::vector<WebhookEvent> out;
        // NOT EXISTS is portable to SQLite, MariaDB and PostgreSQL; the session index keeps
        // the probe cheap. NULL sessions never match "=", so they are not serialised.
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kCols +
                                " FROM webhook_outbox o WHERE o.delivered_at IS NULL AND "
                                "o.failed_at IS NULL AND o.next_attempt_at <= :now AND NOT "
                                "EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.session_id = "
                                "o.session_id AND p.delivered_at IS NULL AND p.failed_at IS NULL "
                                "AND p.id < o.id) ORDER BY o.next_attempt_at, o.id LIMIT " +
                                std::to_string(lim),
             soci::use(now));
        for (const auto& r : rows) out.push_back(from_row(r));
        return out;
      });
}

core::Result<WebhookQueueStats> WebhookQueries::stats() {
  long long now = clock_.unix_millis();
  return db_.query<WebhookQueueStats>(
      "loading webhook queue stats", [&](soci::session& sql) -> core::Result<WebhookQueueStats> {
        WebhookQueueStats s;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT COUNT(*), SUM(CASE WHEN next_attempt_at <= :a THEN 1 ELSE 0 "
                            "END), MIN(CASE WHEN next_attempt_at <= :b THEN next_attempt_at END) "
                            "FROM webhook_outbox WHERE delivered_at IS NULL AND failed_at IS NULL",
             soci::use(now), soci::use(now));
        for (const auto& r : rows) {
          s.pending = row_int(r, 0);
          s.due = row_int(r, 1);
          s.oldest_due_at = row_opt_int(r, 2);
        }
        return s;
      });
}

core::Result<std::vector<WebhookEvent>> WebhookQueries::created_between(
    long long from_ms, long long to_ms, const std::optional<std::string>& session_id, int limit) {
  int lim = limit > 0 && limit <= 100000 ? limit : 1000;
  return db_.query<std::vector<WebhookEvent>>(
      "loading webhook events by time",
      [&](soci::session& sql) -> core::Result<std::vector<WebhookEvent>> {
        std::vector<WebhookEvent> out;
        std::string q = std::string("SELECT ") + kCols +
                        " FROM webhook_outbox o WHERE o.created_at >= :f AND o.created_at < :t";
        if (session_id) {
          q += " AND o.session_id = :s ORDER BY o.created_at, o.id LIMIT " + std::to_string(lim);
          soci::rowset<soci::row> rows =
              (sql.prepare << q, soci::use(from_ms), soci::use(to_ms), soci::use(*session_id));
          for (const auto& r : rows) out.push_back(from_row(r));
        } else {
          q += " ORDER BY o.created_at, o.id LIMIT " + std::to_string(lim);
          soci::rowset<soci::row> rows = (sql.prepare << q, soci::use(from_ms), soci::use(to_ms));
          for (const auto& r : rows) out.push_back(from_row(r));
        }
        return out;
      });
}

}  // namespace storage
