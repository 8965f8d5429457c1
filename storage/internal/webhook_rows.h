// The one mapping between webhook_outbox rows and WebhookEvent, shared by the outbox repository
// (session_repositories.cpp) and the delivery queries (webhook_queries.cpp), so a column added to
// the table is read in one place.
//
// Threading: pure functions over values the caller owns.
#pragma once

#include <soci/soci.h>

#include <string>
#include <string_view>

#include "storage/internal/sql_util.h"
#include "storage/session_repositories.h"

namespace storage::internal {

// The SELECT list that webhook_event_from_row reads, each column prefixed with `alias` (e.g.
// "o." when the query joins the outbox as `o`).
inline std::string webhook_event_columns(std::string_view alias = {}) {
  static constexpr std::string_view kColumns[] = {
      "id",         "event_id",     "session_id",      "event_type",
      "payload",    "attempts",     "next_attempt_at", "last_error",
      "created_at", "delivered_at", "failed_at"};
  std::string out;
  for (auto c : kColumns) {
    if (!out.empty()) out += ", ";
    out += alias;
    out += c;
  }
  return out;
}

inline WebhookEvent webhook_event_from_row(const soci::row& r) {
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

}  // namespace storage::internal
