// superlight: the one binary. `superlight` alone prints the version and the subcommands; each
// subcommand's logic lives in its library (gateway, simulator, storage) and this file only parses
// the command line. Every command-line failure is one line on stderr and exit code 2.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

#include "core/status.h"
#include "gateway/config/config.h"
#include "gateway/server_main.h"
#include "simulator/sim_server.h"
#include "storage/legacy_import.h"
#include "storage/migrate_command.h"
#include "storage/rotate_key.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
};

constexpr Subcommand kSubcommands[] = {
    {"serve", "run the API server (REST, webhooks, live feed, dashboard)"},
    {"sim", "run the WhatsApp server simulator (sandbox)"},
    {"migrate", "apply or inspect database migrations"},
    {"rotate-key", "re-encrypt stored secrets under a new key"},
    {"import-legacy", "import the Node server's encrypted files"},
    {"version", "print the version"},
};

void print_overview() {
  std::printf("superlight %s — multi-session WhatsApp API server (GPL-3.0-or-later)\n\n",
              SL_VERSION);
  std::printf("usage: superlight <subcommand> [options]\n\nsubcommands:\n");
  for (const auto& s : kSubcommands) std::printf("  %-14s %s\n", s.name, s.summary);
  std::printf("\nRun 'superlight <subcommand> --help' for its options.\n");
}

// `superlight serve`: configuration comes from the environment and .env (docs/configuration.md);
// these flags override it.
void add_serve_options(CLI::App& sub, gw::ServeOptions& o) {
  sub.add_option("--host", o.host, "address to listen on (overrides HOST)");
  sub.add_option("--port", o.port, "port to listen on (overrides PORT; 0 = any free port)");
  sub.add_flag("--sandbox", o.sandbox, "run against the built-in simulator (overrides SANDBOX)");
  sub.add_option("--env-file", o.env_file, "the .env file to read")->capture_default_str();
}

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

// migrate / rotate-key / import-legacy: DATABASE_URL, TOKEN_ENCRYPTION_KEY and DATA_DIR (whose
// secret.key is the key file when no TOKEN_ENCRYPTION_KEY is set) come from the environment and
// the .env file exactly as for `serve`: a real environment variable wins over the file, and an
// empty value means the default.
struct StorageCommands {
  storage::MigrateOptions migrate;
  int migrate_to = -1;
  std::string new_key;
  std::string legacy_dir;
  std::filesystem::path env_file = ".env";
};

struct StorageEnv {
  std::string database_url;            // empty = the default (sqlite://./data/superlight.db)
  std::optional<std::string> key_hex;  // TOKEN_ENCRYPTION_KEY when set
  std::filesystem::path key_file;      // DATA_DIR/secret.key, as `serve` uses
};

core::Result<StorageEnv> storage_env(const std::filesystem::path& env_file) {
  std::map<std::string, std::string> file_values;
  std::error_code ec;
  if (!env_file.empty() && std::filesystem::exists(env_file, ec)) {
    std::ifstream in(env_file, std::ios::binary);
    if (!in) return core::Status::invalid_argument("cannot read " + env_file.string());
    std::stringstream text;
    text << in.rdbuf();
    auto parsed = gw::config::parse_dotenv(text.str());
    if (!parsed.ok()) return parsed.status();
    file_values = std::move(*parsed);
  }
  const auto env = gw::config::process_lookup(std::move(file_values));
  auto value = [&](const char* name) { return env(name).value_or(std::string()); };
  StorageEnv out;
  out.database_url = value("DATABASE_URL");
  if (std::string key = value("TOKEN_ENCRYPTION_KEY"); !key.empty()) out.key_hex = key;
  std::filesystem::path data_dir = value("DATA_DIR");
  if (data_dir.empty()) data_dir = gw::config::Config().data_dir;
  out.key_file = data_dir / "secret.key";
  return out;
}

// Loads the storage variables or prints one line; nullopt means "exit 2".
std::optional<StorageEnv> storage_env_or_report(const StorageCommands& o) {
  auto env = storage_env(o.env_file);
  if (!env.ok()) {
    std::fprintf(stderr, "superlight: %s\n", env.status().message().c_str());
    return std::nullopt;
  }
  return std::move(*env);
}

int run_migrate(StorageCommands& o) {
  auto env = storage_env_or_report(o);
  if (!env) return 2;
  o.migrate.database_url = env->database_url;
  if (o.migrate_to >= 0) o.migrate.to = o.migrate_to;
  return storage::run_migrate_command(o.migrate, std::cout, std::cerr);
}

int run_rotate_key(const StorageCommands& o) {
  auto env = storage_env_or_report(o);
  if (!env) return 2;
  storage::RotateKeyOptions r;
  r.database_url = env->database_url;
  r.current_key_hex = env->key_hex;
  r.key_file = env->key_file;
  r.new_key_hex = o.new_key;
  return storage::run_rotate_key_command(r, std::cout, std::cerr);
}

int run_import_legacy(const StorageCommands& o) {
  auto env = storage_env_or_report(o);
  if (!env) return 2;
  storage::ImportLegacyOptions i;
  i.dir = o.legacy_dir;
  if (!env->database_url.empty()) i.storage.database.url = env->database_url;
  i.storage.encryption_key_hex = env->key_hex;
  i.storage.key_file = env->key_file;
  return storage::run_import_legacy_command(i, std::cout, std::cerr);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"superlight — multi-session WhatsApp API server"};
  app.set_help_flag("-h,--help", "show help");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "print the version");

  gw::ServeOptions serve_options;
  sim::SimServerOptions sim_options;
  StorageCommands storage_commands;

  add_serve_options(*app.add_subcommand("serve", kSubcommands[0].summary), serve_options);
  add_sim_options(*app.add_subcommand("sim", kSubcommands[1].summary), sim_options);
  auto* migrate = app.add_subcommand("migrate", kSubcommands[2].summary);
  migrate->add_flag("--status", storage_commands.migrate.status,
                    "show applied and pending migrations");
  migrate->add_option("--to", storage_commands.migrate_to, "apply migrations up to this version");
  auto* rotate = app.add_subcommand("rotate-key", kSubcommands[3].summary);
  rotate->add_option("--new-key", storage_commands.new_key, "the new key (64 hex characters)")
      ->required();
  auto* import_legacy = app.add_subcommand("import-legacy", kSubcommands[4].summary);
  import_legacy->add_option("--dir", storage_commands.legacy_dir, "the old server's directory")
      ->required();
  for (auto* sub : {migrate, rotate, import_legacy}) {
    sub->add_option("--env-file", storage_commands.env_file,
                    "the .env file to read (environment variables win)")
        ->capture_default_str();
  }
  app.add_subcommand("version", kSubcommands[5].summary);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::fprintf(stderr, "superlight: %s (see 'superlight --help')\n", e.what());
    return 2;
  }

  if (show_version || app.got_subcommand("version")) {
    std::printf("superlight %s\n", SL_VERSION);
    return 0;
  }
  if (app.got_subcommand("serve")) return gw::run_serve(serve_options);
  if (app.got_subcommand("sim")) return sim::run_simulator(sim_options);
  if (app.got_subcommand("migrate")) return run_migrate(storage_commands);
  if (app.got_subcommand("rotate-key")) return run_rotate_key(storage_commands);
  if (app.got_subcommand("import-legacy")) return run_import_legacy(storage_commands);
  print_overview();
  return 0;
}
