// superlight: the one binary. `superlight` alone prints the version and the subcommands;
// subcommands that are not built yet exit with code 3 and one line saying so.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

#ifdef SL_WITH_SIMULATOR
#include "simulator/sim_server.h"
#endif
#ifdef SL_WITH_GATEWAY
#include "gateway/server_main.h"
#endif
#ifdef SL_WITH_STORAGE
#include <cstdlib>
#include <iostream>

#include "storage/legacy_import.h"
#include "storage/migrate_command.h"
#include "storage/rotate_key.h"
#endif

namespace {

constexpr int kExitNotImplemented = 3;

struct Subcommand {
  const char* name;
  const char* summary;
  const char* arrives_with;  // nullptr once implemented
};

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> list = {
#ifdef SL_WITH_GATEWAY
      {"serve", "run the API server (REST, webhooks, live feed, dashboard)", nullptr},
#else
      {"serve", "run the API server (REST, webhooks, live feed, dashboard)", "the gateway"},
#endif
#ifdef SL_WITH_SIMULATOR
      {"sim", "run the WhatsApp server simulator (sandbox)", nullptr},
#else
      {"sim", "run the WhatsApp server simulator (sandbox)", "the simulator"},
#endif
#ifdef SL_WITH_STORAGE
      {"migrate", "apply or inspect database migrations", nullptr},
      {"rotate-key", "re-encrypt stored secrets under a new key", nullptr},
      {"import-legacy", "import the Node server's encrypted files", nullptr},
#else
      {"migrate", "apply or inspect database migrations", "the storage layer"},
      {"rotate-key", "re-encrypt stored secrets under a new key", "the storage layer"},
      {"import-legacy", "import the Node server's encrypted files", "the storage layer"},
#endif
  };
  return list;
}

void print_overview() {
  std::printf("superlight %s — multi-session WhatsApp API server (GPL-3.0-or-later)\n\n",
              SL_VERSION);
  std::printf("usage: superlight <subcommand> [options]\n\nsubcommands:\n");
  for (const auto& s : subcommands()) {
    std::printf("  %-14s %s%s\n", s.name, s.summary, s.arrives_with ? " (not built yet)" : "");
  }
  std::printf("  %-14s %s\n", "version", "print the version");
  std::printf("\nRun 'superlight <subcommand> --help' for its options.\n");
}

#ifdef SL_WITH_SIMULATOR
// `superlight sim`: the defaults are fixed ports on loopback so a sandbox config can name them;
// tests pass 0 for each port and read the real ones from the ready line.
void add_sim_options(CLI::App& sub, sim::SimServerOptions& o) {
  sub.add_option("--state-dir", o.state_dir, "where accounts, keys and the media CA are kept")
      ->capture_default_str();
  sub.add_flag("--ephemeral", o.ephemeral, "keep all state in memory (nothing is written)");
  sub.add_option("--host", o.host, "address all three listeners bind to")->capture_default_str();
  sub.add_option("--ws-port", o.ws_port, "WebSocket port (0 = any free port)")
      ->capture_default_str();
  sub.add_option("--control-port", o.control_port, "control API port (0 = any free port)")
      ->capture_default_str();
  sub.add_option("--media-port", o.media_port, "HTTPS media port (0 = any free port)")
      ->capture_default_str();
  sub.add_option("--log-level", o.log_level, "log level (logs go to stderr)")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->capture_default_str();
}
#endif

#ifdef SL_WITH_STORAGE
// migrate / rotate-key / import-legacy: the logic lives in storage/; DATABASE_URL and
// TOKEN_ENCRYPTION_KEY come from the environment.
struct StorageCommands {
  storage::MigrateOptions migrate;
  int migrate_to = -1;
  std::string new_key;
  std::string legacy_dir;
};

bool add_storage_options(CLI::App& sub, StorageCommands& o) {
  std::string name = sub.get_name();
  if (name == "migrate") {
    sub.add_flag("--status", o.migrate.status, "show applied and pending migrations");
    sub.add_option("--to", o.migrate_to, "apply migrations up to this version");
  } else if (name == "rotate-key") {
    sub.add_option("--new-key", o.new_key, "the new key (64 hex characters)")->required();
  } else if (name == "import-legacy") {
    sub.add_option("--dir", o.legacy_dir, "the old server's directory")->required();
  } else {
    return false;
  }
  return true;
}

int run_storage_command(const CLI::App& app, StorageCommands& o) {
  const char* url = std::getenv("DATABASE_URL");
  const char* key = std::getenv("TOKEN_ENCRYPTION_KEY");
  if (app.got_subcommand("migrate")) {
    o.migrate.database_url = url ? url : "";
    if (o.migrate_to >= 0) o.migrate.to = o.migrate_to;
    return storage::run_migrate_command(o.migrate, std::cout, std::cerr);
  }
  if (app.got_subcommand("rotate-key")) {
    storage::RotateKeyOptions r;
    r.database_url = url ? url : "";
    if (key && *key) r.current_key_hex = key;
    r.new_key_hex = o.new_key;
    return storage::run_rotate_key_command(r, std::cout, std::cerr);
  }
  storage::ImportLegacyOptions i;
  i.dir = o.legacy_dir;
  i.storage = storage::StorageOptions::from_environment();
  return storage::run_import_legacy_command(i, std::cout, std::cerr);
}
#endif

#ifdef SL_WITH_GATEWAY
// `superlight serve`: configuration comes from the environment and .env (docs/configuration.md);
// these flags override it.
void add_serve_options(CLI::App& sub, gw::ServeOptions& o) {
  sub.add_option("--host", o.host, "address to listen on (overrides HOST)");
  sub.add_option("--port", o.port, "port to listen on (overrides PORT; 0 = any free port)");
  sub.add_flag("--sandbox", o.sandbox, "run against the built-in simulator (overrides SANDBOX)");
  sub.add_option("--env-file", o.env_file, "the .env file to read")->capture_default_str();
}
#endif

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"superlight — multi-session WhatsApp API server"};
  app.set_help_flag("-h,--help", "show help");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "print the version");
  app.add_subcommand("version", "print the version");
#ifdef SL_WITH_SIMULATOR
  sim::SimServerOptions sim_options;
#endif
#ifdef SL_WITH_STORAGE
  StorageCommands storage_commands;
#endif
#ifdef SL_WITH_GATEWAY
  gw::ServeOptions serve_options;
#endif
  for (const auto& s : subcommands()) {
    auto* sub = app.add_subcommand(s.name, s.summary);
#ifdef SL_WITH_GATEWAY
    if (std::string(s.name) == "serve") {
      add_serve_options(*sub, serve_options);
      continue;
    }
#endif
#ifdef SL_WITH_STORAGE
    if (add_storage_options(*sub, storage_commands)) continue;
#endif
#ifdef SL_WITH_SIMULATOR
    if (std::string(s.name) == "sim") {
      add_sim_options(*sub, sim_options);
      continue;
    }
#endif
    sub->allow_extras();
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    // One line on stderr and a usage-error exit code, as every command-line failure should be.
    std::fprintf(stderr, "superlight: %s (see 'superlight --help')\n", e.what());
    return 2;
  }

  if (show_version || app.got_subcommand("version")) {
    std::printf("superlight %s\n", SL_VERSION);
    return 0;
  }
  for (const auto& s : subcommands()) {
    if (app.got_subcommand(s.name) && s.arrives_with) {
      std::fprintf(stderr, "superlight: '%s' is not built yet (it arrives with %s)\n", s.name,
                   s.arrives_with);
      return kExitNotImplemented;
    }
  }
#ifdef SL_WITH_SIMULATOR
  if (app.got_subcommand("sim")) return sim::run_simulator(sim_options);
#endif
#ifdef SL_WITH_GATEWAY
  if (app.got_subcommand("serve")) return gw::run_serve(serve_options);
#endif
#ifdef SL_WITH_STORAGE
  if (app.got_subcommand("migrate") || app.got_subcommand("rotate-key") ||
      app.got_subcommand("import-legacy")) {
    return run_storage_command(app, storage_commands);
  }
#endif
  print_overview();
  return 0;
}
