// Registers the one shared server for the whole test binary (see security_env.h).
#include "tests/unit/gateway_security/security_env.h"

namespace gw::security_testing {
namespace {

[[maybe_unused]] ::testing::Environment* const kEnvironment =
    ::testing::AddGlobalTestEnvironment(new SecurityEnvironment);

}  // namespace
}  // namespace gw::security_testing
