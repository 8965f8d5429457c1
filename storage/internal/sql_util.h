// Private helpers for reading soci::row values whose C++ type differs per backend (an INTEGER
// column is dt_integer on one backend and dt_long_long on another; COUNT/SUM vary too), and for
// binding optional values with soci::indicator (SOCI 4.0 has no std::optional support).
//
// Threading: pure functions over values the caller owns.
#pragma once

#include <soci/soci.h>

#include <cstdint>
#include <optional>
#include <string>

namespace storage::internal {

inline bool row_is_null(const soci::row& r, std::size_t i) {
  return r.get_indicator(i) == soci::i_null;
}

inline long long row_int(const soci::row& r, std::size_t i, long long fallback = 0) {
  if (row_is_null(r, i)) return fallback;
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_integer:
      return r.get<int>(i);
    case soci::dt_long_long:
      return r.get<long long>(i);
    case soci::dt_unsigned_long_long:
      return static_cast<long long>(r.get<unsigned long long>(i));
    case soci::dt_double:
      return static_cast<long long>(r.get<double>(i));
    case soci::dt_string:
      return std::stoll(r.get<std::string>(i));
    default:
      throw soci::soci_error("column " + std::to_string(i) + " is not an integer");
  }
}

inline std::optional<long long> row_opt_int(const soci::row& r, std::size_t i) {
  if (row_is_null(r, i)) return std::nullopt;
  return row_int(r, i);
}

inline std::string row_text(const soci::row& r, std::size_t i, std::string fallback = {}) {
  if (row_is_null(r, i)) return fallback;
  switch (r.get_properties(i).get_data_type()) {
    case soci::dt_string:
      return r.get<std::string>(i);
    case soci::dt_integer:
    case soci::dt_long_long:
    case soci::dt_unsigned_long_long:
    case soci::dt_double:
      return std::to_string(row_int(r, i));
    default:
      throw soci::soci_error("column " + std::to_string(i) + " is not text");
  }
}

inline std::optional<std::string> row_opt_text(const soci::row& r, std::size_t i) {
  if (row_is_null(r, i)) return std::nullopt;
  return row_text(r, i);
}

// A nullable value ready for soci::use(value, indicator).
template <typename T>
struct Nullable {
  T value{};
  soci::indicator ind = soci::i_null;
  Nullable() = default;
  Nullable(const std::optional<T>& v) {  // NOLINT: implicit by design
    if (v) {
      value = *v;
      ind = soci::i_ok;
    }
  }
};

}  // namespace storage::internal

#include "core/encoding.h"
#include "core/random.h"
#include "core/status.h"
#include "crypto/hash.h"

namespace storage::internal {

// RFC 4122 version-4 UUID text from `random`.
inline std::string new_uuid(core::Random& random) {
  core::Bytes b = random.bytes(16);
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
  std::string hex = core::hex_encode(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

// Lowercase hex SHA-256 of a token: the only form a bearer secret is stored in.
inline std::string token_hash(std::string_view token) {
  return core::hex_encode(crypto::sha256(core::as_view(token)));
}

// Runs an UPDATE/DELETE statement; NotFound(`what`) when it touched no row.
inline core::Status execute_or_not_found(soci::statement& st, const std::string& what) {
  st.execute(true);
  if (st.get_affected_rows() == 0) return core::Status::not_found(what);
  return core::Status();
}

}  // namespace storage::internal
