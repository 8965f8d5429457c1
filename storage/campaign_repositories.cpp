#include "storage/campaign_repositories.h"

#include "storage/internal/sql_util.h"

namespace storage {

using internal::Nullable;
using internal::row_int;
using internal::row_opt_int;
using internal::row_opt_text;
using internal::row_text;

namespace {

constexpr const char* kListCols =
    "l.id, l.name, l.description, l.tags, l.created_by_id, l.created_by_email, l.usage_count, "
    "l.last_used_at, l.created_at, l.updated_at, (SELECT COUNT(*) FROM recipients r WHERE "
    "r.list_id = l.id)";

RecipientList list_from_row(const soci::row& r) {
  RecipientList l;
  l.id = row_text(r, 0);
  l.name = row_text(r, 1);
  l.description = row_opt_text(r, 2);
  l.tags_json = row_text(r, 3);
  l.created_by_id = row_opt_text(r, 4);
  l.created_by_email = row_opt_text(r, 5);
  l.usage_count = static_cast<int>(row_int(r, 6));
  l.last_used_at = row_opt_int(r, 7);
  l.created_at = row_int(r, 8);
  l.updated_at = row_int(r, 9);
  l.recipient_count = row_int(r, 10);
  return l;
}

void insert_recipients(soci::session& sql, const std::string& list_id,
                       const std::vector<Recipient>& recipients, long long now) {
  if (recipients.empty()) return;
  Recipient cur;
  Nullable<std::string> name, job, company;
  long long added = 0;
  soci::statement st =
      (sql.prepare << "INSERT INTO recipients (list_id, number, name, job_title, company_name, "
                      "custom_fields, added_at) VALUES (:l, :n, :nm, :j, :c, :f, :a)",
       soci::use(list_id), soci::use(cur.number), soci::use(name.value, name.ind),
       soci::use(job.value, job.ind), soci::use(company.value, company.ind),
       soci::use(cur.custom_fields_json), soci::use(added));
  for (const auto& r : recipients) {
    cur = r;
    name = Nullable<std::string>(r.name);
    job = Nullable<std::string>(r.job_title);
    company = Nullable<std::string>(r.company_name);
    added = r.added_at ? r.added_at : now;
    st.execute(true);
  }
}

constexpr const char* kCampaignCols =
    "id, name, status, session_id, message, settings, statistics, scheduled_at, started_at, "
    "completed_at, created_by_id, created_by_email, created_at, updated_at";

Campaign campaign_from_row(const soci::row& r) {
  Campaign c;
  c.id = row_text(r, 0);
  c.name = row_text(r, 1);
  c.status = row_text(r, 2);
  c.session_id = row_opt_text(r, 3);
  c.message_json = row_text(r, 4);
  c.settings_json = row_text(r, 5);
  c.statistics_json = row_opt_text(r, 6);
  c.scheduled_at = row_opt_int(r, 7);
  c.started_at = row_opt_int(r, 8);
  c.completed_at = row_opt_int(r, 9);
  c.created_by_id = row_opt_text(r, 10);
  c.created_by_email = row_opt_text(r, 11);
  c.created_at = row_int(r, 12);
  c.updated_at = row_int(r, 13);
  return c;
}

constexpr const char* kRecipientCols =
    "id, campaign_id, number, payload, status, attempts, next_attempt_at, sent_at, message_id, "
    "error";

CampaignRecipient crecipient_from_row(const soci::row& r) {
  CampaignRecipient c;
  c.id = row_int(r, 0);
  c.campaign_id = row_text(r, 1);
  c.number = row_text(r, 2);
  c.payload_json = row_text(r, 3);
  c.status = row_text(r, 4);
  c.attempts = static_cast<int>(row_int(r, 5));
  c.next_attempt_at = row_opt_int(r, 6);
  c.sent_at = row_opt_int(r, 7);
  c.message_id = row_opt_text(r, 8);
  c.error = row_opt_text(r, 9);
  return c;
}

}  // namespace

// ---- RecipientListRepository ----

core::Status RecipientListRepository::write(soci::session& sql, const RecipientList& l,
                                            const std::vector<Recipient>& recipients,
                                            bool replace) {
  long long now = clock_.unix_millis();
  long long created = l.created_at ? l.created_at : now;
  long long updated = l.updated_at ? l.updated_at : now;
  Nullable<std::string> desc(l.description), by_id(l.created_by_id), by_email(l.created_by_email);
  Nullable<long long> used(l.last_used_at);
  if (replace) {
    sql << "DELETE FROM recipients WHERE list_id = :l", soci::use(l.id);
    sql << "DELETE FROM recipient_lists WHERE id = :l", soci::use(l.id);
  }
  sql << "INSERT INTO recipient_lists (id, name, description, tags, created_by_id, "
         "created_by_email, usage_count, last_used_at, created_at, updated_at) VALUES (:id, :n, "
         ":d, :t, :bi, :be, :u, :lu, :c, :up)",
      soci::use(l.id), soci::use(l.name), soci::use(desc.value, desc.ind), soci::use(l.tags_json),
      soci::use(by_id.value, by_id.ind), soci::use(by_email.value, by_email.ind),
      soci::use(l.usage_count), soci::use(used.value, used.ind), soci::use(created),
      soci::use(updated);
  insert_recipients(sql, l.id, recipients, now);
  return core::Status();
}

core::Status RecipientListRepository::create(RecipientList list,
                                             const std::vector<Recipient>& recipients) {
  core::Status st = db_.transaction("creating recipient list", [&](soci::session& sql) {
    return write(sql, list, recipients, false);
  });
  if (st.code() == core::StatusCode::kAlreadyExists) {
    return core::Status::already_exists("recipient list " + list.id + " already exists");
  }
  return st;
}

core::Status RecipientListRepository::upsert(RecipientList list,
                                             const std::vector<Recipient>& recipients) {
  return db_.transaction("saving recipient list",
                         [&](soci::session& sql) { return write(sql, list, recipients, true); });
}

core::Result<std::optional<RecipientList>> RecipientListRepository::find(const std::string& id) {
  return db_.query<std::optional<RecipientList>>(
      "loading recipient list",
      [&](soci::session& sql) -> core::Result<std::optional<RecipientList>> {
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kListCols +
                                " FROM recipient_lists l WHERE l.id = :id",
             soci::use(id));
        for (const auto& r : rows) return std::optional<RecipientList>(list_from_row(r));
        return std::optional<RecipientList>();
      });
}

core::Result<std::vector<RecipientList>> RecipientListRepository::list(
    const std::optional<std::string>& created_by_id) {
  return db_.query<std::vector<RecipientList>>(
      "listing recipient lists",
      [&](soci::session& sql) -> core::Result<std::vector<RecipientList>> {
        std::vector<RecipientList> out;
        std::string q = std::string("SELECT ") + kListCols + " FROM recipient_lists l";
        std::string by = created_by_id.value_or("");
        soci::rowset<soci::row> rows =
            created_by_id ? (sql.prepare << q + " WHERE l.created_by_id = :u ORDER BY l.created_at",
                             soci::use(by))
                          : (sql.prepare << q + " ORDER BY l.created_at");
        for (const auto& r : rows) out.push_back(list_from_row(r));
        return out;
      });
}

core::Result<std::vector<Recipient>> RecipientListRepository::recipients(
    const std::string& list_id) {
  return db_.query<std::vector<Recipient>>(
      "loading recipients", [&](soci::session& sql) -> core::Result<std::vector<Recipient>> {
        std::vector<Recipient> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, number, name, job_title, company_name, custom_fields, "
                            "added_at FROM recipients WHERE list_id = :l ORDER BY id",
             soci::use(list_id));
        for (const auto& r : rows) {
          Recipient x;
          x.id = row_int(r, 0);
          x.number = row_text(r, 1);
          x.name = row_opt_text(r, 2);
          x.job_title = row_opt_text(r, 3);
          x.company_name = row_opt_text(r, 4);
          x.custom_fields_json = row_text(r, 5);
          x.added_at = row_int(r, 6);
          out.push_back(std::move(x));
        }
        return out;
      });
}

core::Status RecipientListRepository::add_recipients(const std::string& list_id,
                                                     const std::vector<Recipient>& recipients) {
  long long now = clock_.unix_millis();
  return db_.transaction("adding recipients", [&](soci::session& sql) -> core::Status {
    soci::statement st =
        (sql.prepare << "UPDATE recipient_lists SET updated_at = :u WHERE id = :id", soci::use(now),
         soci::use(list_id));
    CORE_RETURN_IF_ERROR(internal::execute_or_not_found(st, "no recipient list " + list_id));
    insert_recipients(sql, list_id, recipients, now);
    return core::Status();
  });
}

core::Status RecipientListRepository::mark_used(const std::string& id) {
  long long now = clock_.unix_millis();
  return db_.run("marking recipient list used", [&](soci::session& sql) {
    soci::statement st = (sql.prepare << "UPDATE recipient_lists SET usage_count = usage_count + "
                                         "1, last_used_at = :t WHERE id = :id",
                          soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no recipient list " + id);
  });
}

core::Status RecipientListRepository::remove(const std::string& id) {
  return db_.run("deleting recipient list", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "DELETE FROM recipient_lists WHERE id = :id", soci::use(id));
    return internal::execute_or_not_found(st, "no recipient list " + id);
  });
}

// ---- CampaignRepository ----

core::Status CampaignRepository::write(soci::session& sql, const Campaign& c,
                                       const std::vector<CampaignRecipient>& recipients,
                                       bool replace) {
  long long now = clock_.unix_millis();
  long long created = c.created_at ? c.created_at : now;
  long long updated = c.updated_at ? c.updated_at : now;
  Nullable<std::string> sid(c.session_id), stats(c.statistics_json), by_id(c.created_by_id),
      by_email(c.created_by_email);
  Nullable<long long> sched(c.scheduled_at), started(c.started_at), completed(c.completed_at);
  if (replace) {
    sql << "DELETE FROM campaign_recipients WHERE campaign_id = :c", soci::use(c.id);
    sql << "DELETE FROM campaigns WHERE id = :c", soci::use(c.id);
  }
  sql << "INSERT INTO campaigns (id, name, status, session_id, message, settings, statistics, "
         "scheduled_at, started_at, completed_at, created_by_id, created_by_email, created_at, "
         "updated_at) VALUES (:id, :n, :s, :sid, :m, :set, :st, :sa, :sta, :ca, :bi, :be, :c, :u)",
      soci::use(c.id), soci::use(c.name), soci::use(c.status), soci::use(sid.value, sid.ind),
      soci::use(c.message_json), soci::use(c.settings_json), soci::use(stats.value, stats.ind),
      soci::use(sched.value, sched.ind), soci::use(started.value, started.ind),
      soci::use(completed.value, completed.ind), soci::use(by_id.value, by_id.ind),
      soci::use(by_email.value, by_email.ind), soci::use(created), soci::use(updated);
  if (recipients.empty()) return core::Status();
  CampaignRecipient cur;
  Nullable<long long> sent;
  Nullable<std::string> error, mid;
  soci::statement st =
      (sql.prepare << "INSERT INTO campaign_recipients (campaign_id, number, payload, status, "
                      "attempts, sent_at, message_id, error, created_at, updated_at) VALUES (:c, "
                      ":n, :p, :s, :a, :sa, :m, :e, :ca, :ua)",
       soci::use(c.id), soci::use(cur.number), soci::use(cur.payload_json), soci::use(cur.status),
       soci::use(cur.attempts), soci::use(sent.value, sent.ind), soci::use(mid.value, mid.ind),
       soci::use(error.value, error.ind), soci::use(now), soci::use(now));
  for (const auto& r : recipients) {
    cur = r;
    sent = Nullable<long long>(r.sent_at);
    mid = Nullable<std::string>(r.message_id);
    error = Nullable<std::string>(r.error);
    st.execute(true);
  }
  return core::Status();
}

core::Status CampaignRepository::create(Campaign c, const std::vector<CampaignRecipient>& rs) {
  core::Status st = db_.transaction("creating campaign",
                                    [&](soci::session& sql) { return write(sql, c, rs, false); });
  if (st.code() == core::StatusCode::kAlreadyExists) {
    return core::Status::already_exists("campaign " + c.id + " already exists");
  }
  return st;
}

core::Status CampaignRepository::upsert(Campaign c, const std::vector<CampaignRecipient>& rs) {
  return db_.transaction("saving campaign",
                         [&](soci::session& sql) { return write(sql, c, rs, true); });
}

core::Result<std::optional<Campaign>> CampaignRepository::find(const std::string& id) {
  return db_.query<std::optional<Campaign>>(
      "loading campaign", [&](soci::session& sql) -> core::Result<std::optional<Campaign>> {
        soci::rowset<soci::row> rows = (sql.prepare << std::string("SELECT ") + kCampaignCols +
                                                           " FROM campaigns WHERE id = :id",
                                        soci::use(id));
        for (const auto& r : rows) return std::optional<Campaign>(campaign_from_row(r));
        return std::optional<Campaign>();
      });
}

core::Result<std::vector<Campaign>> CampaignRepository::list(
    const std::optional<std::string>& created_by_id) {
  return db_.query<std::vector<Campaign>>(
      "listing campaigns", [&](soci::session& sql) -> core::Result<std::vector<Campaign>> {
        std::vector<Campaign> out;
        std::string q = std::string("SELECT ") + kCampaignCols + " FROM campaigns";
        std::string by = created_by_id.value_or("");
        soci::rowset<soci::row> rows =
            created_by_id ? (sql.prepare << q + " WHERE created_by_id = :u ORDER BY created_at",
                             soci::use(by))
                          : (sql.prepare << q + " ORDER BY created_at");
        for (const auto& r : rows) out.push_back(campaign_from_row(r));
        return out;
      });
}

core::Result<std::vector<Campaign>> CampaignRepository::due_scheduled() {
  long long now = clock_.unix_millis();
  return db_.query<std::vector<Campaign>>(
      "loading scheduled campaigns",
      [&](soci::session& sql) -> core::Result<std::vector<Campaign>> {
        std::vector<Campaign> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kCampaignCols +
                                " FROM campaigns WHERE status IN ('ready', 'scheduled') AND "
                                "scheduled_at IS NOT NULL AND scheduled_at <= :now ORDER BY "
                                "scheduled_at",
             soci::use(now));
        for (const auto& r : rows) out.push_back(campaign_from_row(r));
        return out;
      });
}

core::Status CampaignRepository::set_status(const std::string& id, const std::string& status) {
  long long now = clock_.unix_millis();
  int starting = status == "sending" || status == "running" ? 1 : 0;
  int ending = status == "completed" || status == "cancelled" || status == "failed" ? 1 : 0;
  return db_.run("setting campaign status", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE campaigns SET status = :s, updated_at = :u, started_at = CASE "
                        "WHEN :a = 1 THEN :t1 ELSE started_at END, completed_at = CASE WHEN :b = "
                        "1 THEN :t2 ELSE completed_at END WHERE id = :id",
         soci::use(status), soci::use(now), soci::use(starting), soci::use(now), soci::use(ending),
         soci::use(now), soci::use(id));
    return internal::execute_or_not_found(st, "no campaign " + id);
  });
}

core::Result<std::optional<CampaignRecipient>> CampaignRepository::claim_next(
    const std::string& campaign_id, int max_attempts) {
  long long now = clock_.unix_millis();
  std::optional<CampaignRecipient> out;
  CORE_RETURN_IF_ERROR(db_.transaction("claiming next recipient", [&](soci::session& sql) {
    soci::rowset<soci::row> rows =
        (sql.prepare << std::string("SELECT ") + kRecipientCols +
                            " FROM campaign_recipients WHERE campaign_id = :c AND (status = "
                            "'pending' OR (status = 'failed' AND attempts < :m AND "
                            "next_attempt_at IS NOT NULL AND next_attempt_at <= :now)) ORDER BY "
                            "id LIMIT 1",
         soci::use(campaign_id), soci::use(max_attempts), soci::use(now));
    for (const auto& r : rows) out = crecipient_from_row(r);
    if (out) {
      sql << "UPDATE campaign_recipients SET status = 'sending', updated_at = :u WHERE id = :id",
          soci::use(now), soci::use(out->id);
      out->status = "sending";
    }
    return core::Status();
  }));
  return out;
}

core::Status CampaignRepository::mark_sent(long long recipient_id, const std::string& message_id) {
  long long now = clock_.unix_millis();
  return db_.run("marking recipient sent", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE campaign_recipients SET status = 'sent', attempts = attempts + 1, "
                        "sent_at = :t, message_id = :m, error = NULL, next_attempt_at = NULL, "
                        "updated_at = :u WHERE id = :id",
         soci::use(now), soci::use(message_id), soci::use(now), soci::use(recipient_id));
    return internal::execute_or_not_found(st,
                                          "no campaign recipient " + std::to_string(recipient_id));
  });
}

core::Status CampaignRepository::mark_failed(long long recipient_id, const std::string& error,
                                             std::optional<long long> retry_at) {
  long long now = clock_.unix_millis();
  Nullable<long long> next(retry_at);
  return db_.run("marking recipient failed", [&](soci::session& sql) {
    soci::statement st =
        (sql.prepare << "UPDATE campaign_recipients SET status = 'failed', attempts = attempts + "
                        "1, error = :e, next_attempt_at = :n, updated_at = :u WHERE id = :id",
         soci::use(error), soci::use(next.value, next.ind), soci::use(now),
         soci::use(recipient_id));
    return internal::execute_or_not_found(st,
                                          "no campaign recipient " + std::to_string(recipient_id));
  });
}

core::Result<long long> CampaignRepository::retry_failed(const std::string& campaign_id) {
  long long now = clock_.unix_millis();
  return db_.query<long long>(
      "retrying failed recipients", [&](soci::session& sql) -> core::Result<long long> {
        soci::statement st =
            (sql.prepare << "UPDATE campaign_recipients SET status = 'pending', next_attempt_at = "
                            "NULL, updated_at = :u WHERE campaign_id = :c AND status = 'failed'",
             soci::use(now), soci::use(campaign_id));
        st.execute(true);
        return st.get_affected_rows();
      });
}

core::Result<long long> CampaignRepository::recover_sending(const std::string& campaign_id) {
  long long now = clock_.unix_millis();
  return db_.query<long long>(
      "recovering recipients", [&](soci::session& sql) -> core::Result<long long> {
        soci::statement st =
            (sql.prepare << "UPDATE campaign_recipients SET status = 'pending', updated_at = :u "
                            "WHERE campaign_id = :c AND status = 'sending'",
             soci::use(now), soci::use(campaign_id));
        st.execute(true);
        return st.get_affected_rows();
      });
}

core::Result<CampaignStats> CampaignRepository::stats(const std::string& campaign_id) {
  return db_.query<CampaignStats>(
      "counting campaign recipients", [&](soci::session& sql) -> core::Result<CampaignStats> {
        CampaignStats s;
        soci::rowset<soci::row> rows =
            (sql.prepare
                 << "SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = :c "
                    "GROUP BY status",
             soci::use(campaign_id));
        for (const auto& r : rows) {
          std::string status = row_text(r, 0);
          long long n = row_int(r, 1);
          s.total += n;
          if (status == "pending") s.pending = n;
          if (status == "sending") s.sending = n;
          if (status == "sent") s.sent = n;
          if (status == "failed") s.failed = n;
          if (status == "skipped") s.skipped = n;
        }
        return s;
      });
}

core::Result<std::vector<CampaignRecipient>> CampaignRepository::recipients(
    const std::string& campaign_id, int limit, int offset) {
  int lim = limit > 0 && limit <= 10000 ? limit : 1000;
  int off = offset > 0 ? offset : 0;
  return db_.query<std::vector<CampaignRecipient>>(
      "loading campaign recipients",
      [&](soci::session& sql) -> core::Result<std::vector<CampaignRecipient>> {
        std::vector<CampaignRecipient> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << std::string("SELECT ") + kRecipientCols +
                                " FROM campaign_recipients WHERE campaign_id = :c ORDER BY id "
                                "LIMIT " +
                                std::to_string(lim) + " OFFSET " + std::to_string(off),
             soci::use(campaign_id));
        for (const auto& r : rows) out.push_back(crecipient_from_row(r));
        return out;
      });
}

core::Status CampaignRepository::remove(const std::string& id) {
  return db_.run("deleting campaign", [&](soci::session& sql) {
    soci::statement st = (sql.prepare << "DELETE FROM campaigns WHERE id = :id", soci::use(id));
    return internal::execute_or_not_found(st, "no campaign " + id);
  });
}

}  // namespace storage
