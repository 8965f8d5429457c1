// A companion device's identity before and after linking: fresh credentials for a new device,
// and the ClientPayload it presents in the Noise handshake — the registration payload
// (DevicePairingRegistrationData, wa-protocol.md §2.3) before pairing, the login payload (§2.2)
// afterwards. DeviceConfig holds what the phone shows about us and the app version the server
// checks (a stale version is refused with failure 405, so it is configuration).
//
// Threading: pure functions; randomness from the Random passed in.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "core/bytes.h"
#include "core/random.h"
#include "core/status.h"
#include "wa/store/device_store.h"

namespace wa::pairing {

struct DeviceConfig {
  std::array<uint32_t, 3> version{2, 3000, 1045649367};  // WhatsApp Web version sent
  std::string os = "Super Light";                        // DeviceProps.os: the name the phone lists
  int platform_type = 1;                                 // DeviceProps.PlatformType (1 = CHROME)
  std::string qr_platform = "1";   // last QR field / companion_platform_id (1 = Chrome)
  std::string browser = "Chrome";  // companion_platform_display is "browser (os)"
  std::string push_name;           // sent at login; empty = none
};

// New keys: noise, identity, registration id, signed pre-key 1, ADV secret. Not registered.
store::DeviceCredentials new_credentials(core::Random& random);

// "2.3000.1045649367"
std::string version_string(const DeviceConfig& config);

// Serialized ClientPayload for a device that is not paired yet (passive/pull false, pairing
// data with eRegid 4 bytes BE, eKeytype 05, eIdent, eSkeyId 3 bytes BE, eSkeyVal, eSkeySig,
// buildHash = MD5(version), DeviceProps).
core::Result<core::Bytes> registration_payload(const store::DeviceCredentials& creds,
                                               const DeviceConfig& config);

// Serialized ClientPayload for a paired device: username = PN user, device = device number,
// passive and pull true. FailedPrecondition if the credentials hold no PN JID.
core::Result<core::Bytes> login_payload(const store::DeviceCredentials& creds,
                                        const DeviceConfig& config);

}  // namespace wa::pairing
