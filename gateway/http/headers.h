// Headers: an ordered, case-insensitive multimap of HTTP header fields, and the small text
// helpers (percent-decoding, query and cookie parsing) that the Beast-free request model needs.
//
// Ownership: plain values. Threading: no shared state; a Headers object is used by one thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gw::http {

bool iequals(std::string_view a, std::string_view b);
std::string to_lower(std::string_view s);

class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // Appends a field (repeated fields such as Set-Cookie keep their order).
  void add(std::string name, std::string value);
  // Replaces every field named `name` with one field.
  void set(std::string name, std::string value);
  // Sets the field only when no field of that name exists (used for default headers).
  void set_if_absent(std::string name, std::string value);
  void remove(std::string_view name);

  std::optional<std::string_view> get(std::string_view name) const;  // the first field
  std::vector<std::string_view> get_all(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  std::vector<Entry> entries_;
};

// Decodes %XX escapes; with `plus_as_space` (query strings and forms) '+' becomes ' '.
// nullopt for a malformed escape ("%4", "%zz").
std::optional<std::string> percent_decode(std::string_view in, bool plus_as_space = false);
std::string percent_encode(std::string_view in);  // RFC 3986 unreserved kept

using QueryParams = std::vector<std::pair<std::string, std::string>>;
// "a=1&b=x%20y&c" → {{a,1},{b,"x y"},{c,""}}. Malformed escapes keep the raw text.
QueryParams parse_query(std::string_view query);

// "a=1; b=2" → {{a,1},{b,2}}; values are not percent-decoded (RFC 6265 leaves that to the app).
std::vector<std::pair<std::string, std::string>> parse_cookies(std::string_view header);

}  // namespace gw::http
