// Contact check (TODO)
#include "gateway/api/messaging_routes.h"

namespace gw::api {

void install_contacts_routes(http::Router& router, MessagingDeps& deps) {
  (void)router;
  (void)deps;
}

}  // namespace gw::api
