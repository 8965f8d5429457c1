#include "gateway/sessions/sandbox.h"

#include "core/encoding.h"
#include "core/log.h"
#include "simulator/sim_server.h"

namespace gw::sessions {

core::Result<std::unique_ptr<Sandbox>> Sandbox::start(boost::asio::io_context& io,
                                                      const std::filesystem::path& state_dir,
                                                      bool ephemeral, core::Clock& clock,
                                                      core::Random& random) {
  sim::SimServerOptions options;
  options.state_dir = state_dir.string();
  options.ephemeral = ephemeral;
  options.ws_port = 0;  // free ports: a sandbox never collides with a `superlight sim`
  options.control_port = 0;
  options.media_port = 0;
  if (!ephemeral) {
    std::error_code ec;
    std::filesystem::create_directories(state_dir, ec);
    if (ec) {
      return core::Status::unavailable("cannot create " + state_dir.string() + ": " + ec.message());
    }
  }
  CORE_ASSIGN_OR_RETURN(auto server, sim::SimServer::start(io, options, clock, random));
  std::unique_ptr<Sandbox> sandbox(new Sandbox());
  sandbox->server_ = std::move(server);
  sandbox->echo_phone_ = std::string(kEchoPhone);
  auto echo = sandbox->server_->simulator().create_account(sandbox->echo_phone_, "Echo",
                                                           sim::VirtualKind::kEcho);
  if (!echo.ok() && echo.status().code() != core::StatusCode::kAlreadyExists) {
    return echo.status();
  }
  return sandbox;
}

Sandbox::~Sandbox() { stop(); }

void Sandbox::stop() {
  if (server_) server_->stop();
}

Endpoint Sandbox::endpoint() const {
  Endpoint e;
  const auto& info = server_->info();
  e.transport.url = info.ws_url;
  if (auto key = core::hex_decode(info.root_key_hex); key.ok()) e.transport.noise_root_key = *key;
  e.media_tls.ca_pem = info.media_ca_pem;
  return e;
}

std::string Sandbox::ws_url() const { return server_->info().ws_url; }
std::string Sandbox::control_url() const { return server_->info().control_url; }

std::string Sandbox::phone_for(std::string_view session_id) {
  // FNV-1a: stable across runs, so a re-created session gets the same simulated phone.
  uint64_t h = 1469598103934665603ull;
  for (char c : session_id) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ull;
  }
  std::string digits = std::to_string(h % 10000000ull);
  return "1555" + std::string(7 - digits.size(), '0') + digits;
}

void Sandbox::link(const std::string& phone, const std::string& qr,
                   std::function<void(core::Result<std::string>)> done) {
  auto& simulator = server_->simulator();
  auto account = simulator.create_account(phone, "Sandbox " + phone, sim::VirtualKind::kNone);
  if (!account.ok() && account.status().code() != core::StatusCode::kAlreadyExists) {
    done(account.status());
    return;
  }
  simulator.scan_qr(phone, qr, std::move(done));
}

}  // namespace gw::sessions
