#include "gateway/services.h"

#include <filesystem>

#include "core/log.h"
#include "gateway/config/config.h"
#include "storage/legacy_import.h"

namespace gw {

core::Result<std::unique_ptr<Services>> Services::open(const config::Config& config, Post post,
                                                       const core::Clock& clock,
                                                       core::Random& random) {
  storage::StorageOptions o;
  o.database.url = config.database_url;
  if (!config.token_encryption_key.empty()) o.encryption_key_hex = config.token_encryption_key;
  o.key_file = config.data_dir / "secret.key";
  auto opened = storage::Storage::open(o, clock, random);
  if (!opened.ok()) return opened.status().with_context("opening storage");
  // The Node server kept users, activity logs, campaigns and lists in encrypted files next to
  // it; when they sit in our working directory they are imported once (and renamed to .bak).
  auto imported =
      storage::import_legacy_at_start(**opened, std::filesystem::current_path(),
                                      o.encryption_key_hex, *core::get_logger("storage"));
  if (!imported.ok()) return imported.status().with_context("importing the Node server's files");
  return std::make_unique<Services>(std::move(*opened), std::move(post), clock, random);
}

Services::Services(std::unique_ptr<storage::Storage> storage, Post post, const core::Clock& clock,
                   core::Random& random, size_t threads)
    : storage_(std::move(storage)),
      post_(std::move(post)),
      clock_(clock),
      random_(random),
      pool_(std::make_unique<storage::ThreadPoolExecutor>(threads)) {}

Services::~Services() { stop(); }

void Services::stop() { pool_.reset(); }

}  // namespace gw
