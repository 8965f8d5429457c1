// superlight: the one binary. `superlight` alone prints the version and the subcommands;
// subcommands that are not built yet exit with code 3 and one line saying so.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>
#include <vector>

namespace {

constexpr int kExitNotImplemented = 3;

struct Subcommand {
  const char* name;
  const char* summary;
  const char* arrives_with;  // nullptr once implemented
};

const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> list = {
      {"serve", "run the API server (REST, webhooks, live feed, dashboard)", "the gateway"},
      {"sim", "run the WhatsApp server simulator (sandbox)", "the simulator"},
      {"migrate", "apply or inspect database migrations", "the storage layer"},
      {"rotate-key", "re-encrypt stored secrets under a new key", "the storage layer"},
      {"import-legacy", "import the Node server's encrypted files", "the storage layer"},
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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"superlight — multi-session WhatsApp API server"};
  app.set_help_flag("-h,--help", "show help");
  app.require_subcommand(0, 1);
  bool show_version = false;
  app.add_flag("-V,--version", show_version, "print the version");
  app.add_subcommand("version", "print the version");
  for (const auto& s : subcommands()) {
    auto* sub = app.add_subcommand(s.name, s.summary);
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
  print_overview();
  return 0;
}
