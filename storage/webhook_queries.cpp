#include "storage/webhook_queries.h"

#include <soci/soci.h>

#include "storage/internal/sql_util.h"
#include "storage/internal/webhook_rows.h"

namespace storage {

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
            (sql.prepare << "SELECT " + internal::webhook_event_columns("o.") +
                                " FROM webhook_outbox o WHERE o.delivered_at IS NULL AND "
                                "o.failed_at IS NULL AND o.next_attempt_at <= :now AND NOT "
                                "EXISTS (SELECT 1 FROM webhook_outbox p WHERE p.session_id = "
                                "o.session_id AND p.delivered_at IS NULL AND p.failed_at IS NULL "
                                "AND p.id < o.id) ORDER BY o.next_attempt_at, o.id LIMIT " +
                                std::to_string(lim),
             soci::use(now));
        for (const auto& r : rows) out.push_back(internal::webhook_event_from_row(r));
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
          s.pending = internal::row_int(r, 0);
          s.due = internal::row_int(r, 1);
          s.oldest_due_at = internal::row_opt_int(r, 2);
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
        std::string q = "SELECT " + internal::webhook_event_columns("o.") +
                        " FROM webhook_outbox o WHERE o.created_at >= :f AND o.created_at < :t";
        if (session_id) {
          q += " AND o.session_id = :s ORDER BY o.created_at, o.id LIMIT " + std::to_string(lim);
          soci::rowset<soci::row> rows =
              (sql.prepare << q, soci::use(from_ms), soci::use(to_ms), soci::use(*session_id));
          for (const auto& r : rows) out.push_back(internal::webhook_event_from_row(r));
        } else {
          q += " ORDER BY o.created_at, o.id LIMIT " + std::to_string(lim);
          soci::rowset<soci::row> rows = (sql.prepare << q, soci::use(from_ms), soci::use(to_ms));
          for (const auto& r : rows) out.push_back(internal::webhook_event_from_row(r));
        }
        return out;
      });
}

}  // namespace storage
