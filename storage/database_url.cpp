#include "storage/database_url.h"

#include <cctype>
#include <charconv>

namespace storage {
namespace {

core::Status bad(std::string_view why) {
  return core::Status::invalid_argument("DATABASE_URL: " + std::string(why));
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Single-quoted value with backslash escapes: understood by libpq and by SOCI's MySQL parser.
std::string quote(std::string_view v) {
  std::string out = "'";
  for (char c : v) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  out += '\'';
  return out;
}

// RFC 3986 percent-encoding of everything but unreserved characters.
std::string pct(std::string_view v) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : v) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::string_view dialect_name(Dialect dialect) {
  switch (dialect) {
    case Dialect::kSqlite:
      return "sqlite";
    case Dialect::kMysql:
      return "mysql";
    case Dialect::kPostgres:
      return "postgresql";
  }
  return "unknown";
}

core::Result<std::string> percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) {
      return bad("truncated percent escape in user or password");
    }
    int hi = hex_value(text[i + 1]);
    int lo = hex_value(text[i + 2]);
    if (hi < 0 || lo < 0) return bad("malformed percent escape in user or password");
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

core::Result<DatabaseUrl> parse_database_url(std::string_view url) {
  DatabaseUrl out;
  size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    return bad(
        "expected scheme://…, e.g. sqlite://./data/superlight.db or "
        "postgres://user:pass@host:5432/db");
  }
  std::string_view scheme = url.substr(0, scheme_end);
  std::string_view rest = url.substr(scheme_end + 3);
  if (scheme == "sqlite" || scheme == "sqlite3") {
    out.dialect = Dialect::kSqlite;
    if (rest.empty()) return bad("sqlite URL has no file path");
    // sqlite:///abs/path keeps its leading slash; sqlite://./rel/path is relative to the CWD.
    if (rest.find('?') != std::string_view::npos) return bad("sqlite URL takes no parameters");
    if (rest.find('"') != std::string_view::npos || rest.find('\'') != std::string_view::npos) {
      return bad("sqlite path must not contain quotes");
    }
    if (rest.back() == '/') return bad("sqlite URL names a directory, not a file");
    out.path = std::string(rest);
    return out;
  }
  if (scheme == "mysql" || scheme == "mariadb") {
    out.dialect = Dialect::kMysql;
    out.port = 3306;
  } else if (scheme == "postgres" || scheme == "postgresql") {
    out.dialect = Dialect::kPostgres;
    out.port = 5432;
  } else {
    return bad("unknown scheme '" + std::string(scheme) +
               "' (use sqlite, mysql, mariadb, postgres or postgresql)");
  }

  std::string_view query;
  if (size_t q = rest.find('?'); q != std::string_view::npos) {
    query = rest.substr(q + 1);
    rest = rest.substr(0, q);
  }
  size_t slash = rest.find('/');
  if (slash == std::string_view::npos || slash + 1 >= rest.size()) {
    return bad("missing database name (…@host:port/dbname)");
  }
  std::string_view authority = rest.substr(0, slash);
  std::string_view dbname = rest.substr(slash + 1);
  if (dbname.find('/') != std::string_view::npos) return bad("database name contains '/'");
  auto db = percent_decode(dbname);
  if (!db.ok()) return db.status();
  out.database = *db;

  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    std::string_view user = userinfo, pass;
    if (size_t colon = userinfo.find(':'); colon != std::string_view::npos) {
      user = userinfo.substr(0, colon);
      pass = userinfo.substr(colon + 1);
    }
    auto u = percent_decode(user);
    if (!u.ok()) return u.status();
    auto p = percent_decode(pass);
    if (!p.ok()) return p.status();
    out.user = *u;
    out.password = *p;
  }
  std::string_view host = authority;
  if (!authority.empty() && authority.front() == '[') {  // [::1]:5432
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return bad("unterminated IPv6 address");
    host = authority.substr(1, close - 1);
    authority = authority.substr(close + 1);
    if (!authority.empty() && authority.front() != ':') return bad("junk after IPv6 address");
    if (!authority.empty()) {
      std::string_view port = authority.substr(1);
      int value = 0;
      auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
      if (ec != std::errc() || p != port.data() + port.size() || value <= 0 || value > 65535) {
        return bad("port must be a number 1-65535");
      }
      out.port = value;
    }
  } else if (size_t colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    std::string_view port = authority.substr(colon + 1);
    int value = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc() || p != port.data() + port.size() || value <= 0 || value > 65535) {
      return bad("port must be a number 1-65535");
    }
    out.port = value;
  }
  if (host.empty()) return bad("missing host name");
  out.host = std::string(host);

  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos)
      return bad("query parameter without '=': " + std::string(pair));
    std::string key(pair.substr(0, eq));
    auto value = percent_decode(pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    bool allowed = out.dialect == Dialect::kPostgres
                       ? (key == "sslmode" || key == "sslrootcert" || key == "application_name")
                       : (key == "socket" || key == "sslca" || key == "sslcert" || key == "sslkey");
    if (!allowed) return bad("unsupported parameter '" + key + "'");
    out.params[key] = *value;
  }
  return out;
}

std::string DatabaseUrl::redacted() const {
  if (dialect == Dialect::kSqlite) return "sqlite://" + path;
  std::string out = dialect == Dialect::kMysql ? "mysql://" : "postgres://";
  if (!user.empty()) out += user + (password.empty() ? "" : ":***") + "@";
  out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
  out += ":" + std::to_string(port) + "/" + database;
  return out;
}

std::string DatabaseUrl::connect_string(int connect_timeout_seconds) const {
  std::string timeout = std::to_string(connect_timeout_seconds);
  if (dialect == Dialect::kSqlite) {
    // SOCI's sqlite3 parser splits on spaces and understands double quotes.
    std::string db = path.find(' ') != std::string::npos ? "\"" + path + "\"" : path;
    return "db=" + db;
  }
  if (dialect == Dialect::kPostgres) {
    // A libpq URI: SOCI 4.0 re-tokenises key=value strings on spaces (breaking quoted values
    // such as passwords with spaces), but passes a URI through untouched.
    std::string s = "postgresql://";
    if (!user.empty()) s += pct(user) + (password.empty() ? "" : ":" + pct(password)) + "@";
    s += host.find(':') != std::string::npos ? "[" + host + "]" : pct(host);
    s += ":" + std::to_string(port) + "/" + pct(database) + "?connect_timeout=" + timeout;
    for (const auto& [k, v] : params) s += "&" + k + "=" + pct(v);
    return s;
  }
  std::string s = "host=" + quote(host) + " port=" + std::to_string(port) +
                  " dbname=" + quote(database) + " connect_timeout=" + timeout;
  if (!user.empty()) s += " user=" + quote(user);
  if (!password.empty()) s += " password=" + quote(password);
  s += " charset=utf8mb4";
  for (const auto& [k, v] : params) {
    s += " " + (k == "socket" ? std::string("unix_socket") : k) + "=" + quote(v);
  }
  return s;
}

}  // namespace storage
