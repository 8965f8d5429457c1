# FindSOCI: SOCI 4.0 as packaged by Debian (libsoci-dev) ships neither a CMake config nor a
# pkg-config file, so the core library and the three backends we link are found by hand.
# Defines SOCI::core, SOCI::sqlite3, SOCI::mysql and SOCI::postgresql (backends linked directly,
# so a missing backend fails at link time instead of at dlopen time).
find_path(SOCI_INCLUDE_DIR soci/soci.h)
find_library(SOCI_CORE_LIBRARY soci_core)
find_library(SOCI_SQLITE3_LIBRARY soci_sqlite3)
find_library(SOCI_MYSQL_LIBRARY soci_mysql)
find_library(SOCI_POSTGRESQL_LIBRARY soci_postgresql)
find_package(PkgConfig REQUIRED)
pkg_check_modules(SOCI_MARIADB QUIET IMPORTED_TARGET libmariadb)
pkg_check_modules(SOCI_PQ QUIET IMPORTED_TARGET libpq)
find_package(SQLite3 QUIET)

include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(SOCI REQUIRED_VARS SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY
  SOCI_SQLITE3_LIBRARY SOCI_MYSQL_LIBRARY SOCI_POSTGRESQL_LIBRARY SOCI_MARIADB_FOUND SOCI_PQ_FOUND
  SQLite3_FOUND)

if(SOCI_FOUND AND NOT TARGET SOCI::core)
  add_library(SOCI::core UNKNOWN IMPORTED)
  set_target_properties(SOCI::core PROPERTIES IMPORTED_LOCATION "${SOCI_CORE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${SOCI_INCLUDE_DIR}" INTERFACE_LINK_LIBRARIES "${CMAKE_DL_LIBS}")
  add_library(SOCI::sqlite3 UNKNOWN IMPORTED)
  set_target_properties(SOCI::sqlite3 PROPERTIES IMPORTED_LOCATION "${SOCI_SQLITE3_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "SOCI::core;SQLite::SQLite3")
  add_library(SOCI::mysql UNKNOWN IMPORTED)
  # soci-mysql.h includes <mysql.h>, which Debian keeps in /usr/include/mariadb.
  set_target_properties(SOCI::mysql PROPERTIES IMPORTED_LOCATION "${SOCI_MYSQL_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "SOCI::core;PkgConfig::SOCI_MARIADB")
  add_library(SOCI::postgresql UNKNOWN IMPORTED)
  set_target_properties(SOCI::postgresql PROPERTIES IMPORTED_LOCATION "${SOCI_POSTGRESQL_LIBRARY}"
    INTERFACE_LINK_LIBRARIES "SOCI::core;PkgConfig::SOCI_PQ")
endif()
mark_as_advanced(SOCI_INCLUDE_DIR SOCI_CORE_LIBRARY SOCI_SQLITE3_LIBRARY SOCI_MYSQL_LIBRARY
  SOCI_POSTGRESQL_LIBRARY)
