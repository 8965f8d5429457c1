// Groups of a session: list, create, info, participants, leave (TODO: filled in)
#include "gateway/api/messaging_routes.h"

namespace gw::api {

void install_groups_routes(http::Router& router, MessagingDeps& deps) {
  (void)router;
  (void)deps;
}

}  // namespace gw::api
