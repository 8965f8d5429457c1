#include "storage/admin_repositories.h"

#include "storage/internal/sql_util.h"

namespace storage {

using internal::Nullable;
using internal::row_int;
using internal::row_opt_text;
using internal::row_text;

namespace {

core::Status validate(const ActivityEntry& e) {
  if (e.action.empty() || e.action.size() > 100) {
    return core::Status::invalid_argument("activity action must be 1-100 characters");
  }
  return core::Status();
}

long long insert_activity(Database& db, soci::session& sql, const ActivityEntry& e) {
  Nullable<std::string> legacy(e.legacy_id), uid(e.user_id), email(e.user_email),
      rtype(e.resource_type), rid(e.resource_id), details(e.details_json), ip(e.ip),
      ua(e.user_agent);
  int success = e.success ? 1 : 0;
  return db.insert_returning_id(
      sql,
      "INSERT INTO activity_log (legacy_id, at, user_id, user_email, action, resource_type, "
      "resource_id, details, ip, user_agent, success) VALUES (:l, :a, :u, :e, :ac, :rt, :ri, :d, "
      ":ip, :ua, :s)",
      "activity_log", [&](soci::statement& st) {
        st.exchange(soci::use(legacy.value, legacy.ind));
        st.exchange(soci::use(e.at));
        st.exchange(soci::use(uid.value, uid.ind));
        st.exchange(soci::use(email.value, email.ind));
        st.exchange(soci::use(e.action));
        st.exchange(soci::use(rtype.value, rtype.ind));
        st.exchange(soci::use(rid.value, rid.ind));
        st.exchange(soci::use(details.value, details.ind));
        st.exchange(soci::use(ip.value, ip.ind));
        st.exchange(soci::use(ua.value, ua.ind));
        st.exchange(soci::use(success));
      });
}

}  // namespace

core::Result<long long> ActivityRepository::append(ActivityEntry e) {
  CORE_RETURN_IF_ERROR(validate(e));
  if (e.at == 0) e.at = clock_.unix_millis();
  return db_.query<long long>(
      "appending activity",
      [&](soci::session& sql) -> core::Result<long long> { return insert_activity(db_, sql, e); });
}

core::Result<bool> ActivityRepository::import(ActivityEntry e) {
  CORE_RETURN_IF_ERROR(validate(e));
  if (!e.legacy_id || e.legacy_id->empty()) {
    return core::Status::invalid_argument("imported activity needs a legacy id");
  }
  if (e.at == 0) e.at = clock_.unix_millis();
  return db_.query<bool>("importing activity", [&](soci::session& sql) -> core::Result<bool> {
    int n = 0;
    sql << "SELECT COUNT(*) FROM activity_log WHERE legacy_id = :l", soci::use(*e.legacy_id),
        soci::into(n);
    if (n > 0) return false;
    insert_activity(db_, sql, e);
    return true;
  });
}

core::Result<std::vector<ActivityEntry>> ActivityRepository::query(const ActivityQuery& q) {
  // Optional filters become "(:flag = 0 OR column = :value)" so one prepared text serves all
  // combinations; the planner still uses the (column, at) indexes when the flag is set.
  int has_uid = q.user_id ? 1 : 0, has_email = q.user_email ? 1 : 0, has_action = q.action ? 1 : 0;
  std::string uid = q.user_id.value_or(""), email = q.user_email.value_or(""),
              action = q.action.value_or("");
  long long since = q.since.value_or(0);
  long long until = q.until.value_or(1LL << 62);
  long long before = q.before_id.value_or(1LL << 62);
  int lim = q.limit > 0 && q.limit <= 10000 ? q.limit : 100;
  return db_.query<std::vector<ActivityEntry>>(
      "querying activity", [&](soci::session& sql) -> core::Result<std::vector<ActivityEntry>> {
        std::vector<ActivityEntry> out;
        soci::rowset<soci::row> rows =
            (sql.prepare << "SELECT id, legacy_id, at, user_id, user_email, action, "
                            "resource_type, resource_id, details, ip, user_agent, success FROM "
                            "activity_log WHERE at >= :since AND at < :until AND id < :before "
                            "AND (:hu = 0 OR user_id = :u) AND (:he = 0 OR user_email = :e) AND "
                            "(:ha = 0 OR action = :a) ORDER BY at DESC, id DESC LIMIT " +
                                std::to_string(lim),
             soci::use(since), soci::use(until), soci::use(before), soci::use(has_uid),
             soci::use(uid), soci::use(has_email), soci::use(email), soci::use(has_action),
             soci::use(action));
        for (const auto& r : rows) {
          ActivityEntry e;
          e.id = row_int(r, 0);
          e.legacy_id = row_opt_text(r, 1);
          e.at = row_int(r, 2);
          e.user_id = row_opt_text(r, 3);
          e.user_email = row_opt_text(r, 4);
          e.action = row_text(r, 5);
          e.resource_type = row_opt_text(r, 6);
          e.resource_id = row_opt_text(r, 7);
          e.details_json = row_opt_text(r, 8);
          e.ip = row_opt_text(r, 9);
          e.user_agent = row_opt_text(r, 10);
          e.success = row_int(r, 11) != 0;
          out.push_back(std::move(e));
        }
        return out;
      });
}

core::Result<long long> ActivityRepository::purge_before(long long ts) {
  return db_.query<long long>(
      "purging activity", [&](soci::session& sql) -> core::Result<long long> {
        soci::statement st =
            (sql.prepare << "DELETE FROM activity_log WHERE at < :t", soci::use(ts));
        st.execute(true);
        return st.get_affected_rows();
      });
}

core::Result<std::optional<std::string>> SettingsRepository::get(const std::string& name) {
  return db_.query<std::optional<std::string>>(
      "reading setting", [&](soci::session& sql) -> core::Result<std::optional<std::string>> {
        std::string value;
        soci::indicator ind = soci::i_null;
        sql << "SELECT value FROM settings WHERE name = :n", soci::use(name),
            soci::into(value, ind);
        if (!sql.got_data() || ind != soci::i_ok) return std::optional<std::string>();
        return std::optional<std::string>(value);
      });
}

core::Status SettingsRepository::set(const std::string& name, const std::string& value) {
  long long now = clock_.unix_millis();
  return db_.run("writing setting", [&](soci::session& sql) {
    sql << db_.upsert_sql("settings", {"name"}, {"value", "updated_at"}), soci::use(name),
        soci::use(value), soci::use(now);
    return core::Status();
  });
}

core::Status SettingsRepository::remove(const std::string& name) {
  return db_.run("deleting setting", [&](soci::session& sql) {
    sql << "DELETE FROM settings WHERE name = :n", soci::use(name);
    return core::Status();
  });
}

core::Result<std::map<std::string, std::string>> SettingsRepository::all() {
  return db_.query<std::map<std::string, std::string>>(
      "reading settings",
      [&](soci::session& sql) -> core::Result<std::map<std::string, std::string>> {
        std::map<std::string, std::string> out;
        soci::rowset<soci::row> rows = (sql.prepare << "SELECT name, value FROM settings");
        for (const auto& r : rows) out[row_text(r, 0)] = row_text(r, 1);
        return out;
      });
}

}  // namespace storage
