// Sandbox mode: the WhatsApp simulator running inside the gateway process, on the gateway's
// io_context, with an `echo` virtual contact (every text sent to it comes back). The session
// manager's endpoint is pointed at it (ws URL, Noise root key, media CA), and link() lets a
// session be linked without a phone: it creates a simulated account and scans the session's QR.
//
// Ownership: Sandbox owns the SimServer; the io_context, clock and random must outlive it.
// Destroy (or stop()) it before the io_context.
// Threading: everything on the io_context's one thread (the network thread).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.h"
#include "core/random.h"
#include "core/status.h"
#include "gateway/sessions/session_manager.h"

namespace boost::asio {
class io_context;
}
namespace sim {
class SimServer;
}

namespace gw::sessions {

// The echo contact's phone number (digits, E.164 without '+').
inline constexpr std::string_view kEchoPhone = "19990000001";

class Sandbox {
 public:
  // Starts the simulator on free loopback ports; its state lives under `state_dir`, or in
  // memory when `ephemeral`.
  static core::Result<std::unique_ptr<Sandbox>> start(boost::asio::io_context& io,
                                                      const std::filesystem::path& state_dir,
                                                      bool ephemeral, core::Clock& clock,
                                                      core::Random& random);
  ~Sandbox();

  // Where sessions must connect.
  Endpoint endpoint() const;
  std::string ws_url() const;
  std::string control_url() const;
  const std::string& echo_phone() const { return echo_phone_; }

  // A stable simulated phone number for a session id ("1555" + 7 digits).
  static std::string phone_for(std::string_view session_id);
  // Creates the account `phone` when needed, then scans `qr` with it. `done` gets the linked
  // device JID.
  void link(const std::string& phone, const std::string& qr,
            std::function<void(core::Result<std::string>)> done);
  void stop();

 private:
  Sandbox() = default;
  std::unique_ptr<sim::SimServer> server_;
  std::string echo_phone_;
};

}  // namespace gw::sessions
