#include "wa/signal/cipher.h"

#include <group_cipher.h>
#include <group_session_builder.h>
#include <protocol.h>
#include <sender_key_record.h>
#include <session_builder.h>
#include <session_cipher.h>
#include <session_pre_key.h>
#include <session_record.h>
#include <session_state.h>
#include <signal_protocol.h>

#include <limits>
#include <new>
#include <optional>
#include <utility>

#include "crypto/signal_provider.h"
#include "wa/signal/internal/libsignal_util.h"

// Every libsignal store callback below is called from C. None may let a C++ exception escape:
// each body is wrapped in guard(), which turns an exception into an SG_ERR_* code, and every
// store error is remembered in Impl::store_error so the operation reports the real cause.

namespace wa::signal {

using internal::BufferPtr;
using internal::SignalPtr;

std::string_view message_type_name(MessageType type) {
  switch (type) {
    case MessageType::kPreKey:
      return "pkmsg";
    case MessageType::kWhisper:
      return "msg";
    case MessageType::kSenderKey:
      return "skmsg";
  }
  return "msg";
}

core::Result<MessageType> parse_message_type(std::string_view name) {
  if (name == "pkmsg") return MessageType::kPreKey;
  if (name == "msg") return MessageType::kWhisper;
  if (name == "skmsg") return MessageType::kSenderKey;
  return core::Status::invalid_argument("unknown enc type '" + std::string(name) + "'");
}

bool needs_retry(const core::Status& s) {
  switch (s.code()) {
    case core::StatusCode::kFailedPrecondition:
    case core::StatusCode::kNotFound:
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kUnauthenticated:
    case core::StatusCode::kPermissionDenied:
      return true;
    default:
      return false;
  }
}

struct SignalProtocol::Impl {
  signal_context* context = nullptr;
  signal_protocol_store_context* store_context = nullptr;
  const LocalIdentity* identity = nullptr;
  core::Random* random = nullptr;

  // Per-operation state, set by OperationScope.
  store::SignalData* data = nullptr;
  std::optional<core::Status> store_error;
  bool identity_changed = false;

  ~Impl() {
    if (store_context != nullptr) signal_protocol_store_context_destroy(store_context);
    if (context != nullptr) signal_context_destroy(context);
  }

  // Records the first store failure; returns the libsignal error code to hand back.
  int fail(core::Status status) {
    if (!store_error.has_value()) store_error = std::move(status);
    return SG_ERR_UNKNOWN;
  }
};

namespace {

using Impl = SignalProtocol::Impl;

Impl& impl_of(void* user_data) { return *static_cast<Impl*>(user_data); }

template <typename F>
int guard(void* user_data, F&& body) noexcept {
  try {
    Impl& impl = impl_of(user_data);
    if (impl.data == nullptr) return SG_ERR_INVAL;  // a callback outside an operation
    return body(impl);
  } catch (const std::bad_alloc&) {
    return SG_ERR_NOMEM;
  } catch (const std::exception& e) {
    try {
      return impl_of(user_data).fail(core::Status::internal(e.what()));
    } catch (...) {
      return SG_ERR_UNKNOWN;
    }
  } catch (...) {
    return SG_ERR_UNKNOWN;
  }
}

store::SignalAddress to_store_address(const signal_protocol_address* address) {
  return store::SignalAddress{std::string(address->name, address->name_len),
                              static_cast<uint32_t>(address->device_id)};
}

store::SenderKeyName to_store_name(const signal_protocol_sender_key_name* name) {
  return store::SenderKeyName{std::string(name->group_id, name->group_id_len),
                              to_store_address(&name->sender)};
}

// Hands a copy of `bytes` to libsignal, which frees it.
int give_buffer(signal_buffer** out, const core::Bytes& bytes) {
  signal_buffer* buffer = signal_buffer_create(bytes.data(), bytes.size());
  if (buffer == nullptr) return SG_ERR_NOMEM;
  *out = buffer;
  return SG_SUCCESS;
}

// ---- session store ----------------------------------------------------------------------

int load_session_cb(signal_buffer** record, signal_buffer** /*user_record*/,
                    const signal_protocol_address* address, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_session(to_store_address(address));
    if (!loaded.ok()) return impl.fail(loaded.status());
    if (!loaded->has_value()) return 0;
    int rc = give_buffer(record, **loaded);
    return rc < 0 ? rc : 1;
  });
}

int get_sub_device_sessions_cb(signal_int_list** sessions, const char* name, size_t name_len,
                               void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto devices = impl.data->list_session_devices(std::string(name, name_len));
    if (!devices.ok()) return impl.fail(devices.status());
    signal_int_list* list = signal_int_list_alloc();
    if (list == nullptr) return SG_ERR_NOMEM;
    for (uint32_t device : *devices) {
      if (signal_int_list_push_back(list, static_cast<int>(device)) < 0) {
        signal_int_list_free(list);
        return SG_ERR_NOMEM;
      }
    }
    *sessions = list;
    return static_cast<int>(devices->size());
  });
}

int store_session_cb(const signal_protocol_address* address, uint8_t* record, size_t record_len,
                     uint8_t* /*user_record*/, size_t /*user_record_len*/, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->store_session(to_store_address(address), {record, record_len});
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

int contains_session_cb(const signal_protocol_address* address, void* user_data) {
  int rc = guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_session(to_store_address(address));
    if (!loaded.ok()) return impl.fail(loaded.status());
    return loaded->has_value() ? 1 : 0;
  });
  return rc < 0 ? 0 : rc;  // this callback has no error channel
}

int delete_session_cb(const signal_protocol_address* address, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    const store::SignalAddress key = to_store_address(address);
    auto loaded = impl.data->load_session(key);
    if (!loaded.ok()) return impl.fail(loaded.status());
    if (!loaded->has_value()) return 0;
    core::Status s = impl.data->delete_session(key);
    return s.ok() ? 1 : impl.fail(s);
  });
}

int delete_all_sessions_cb(const char* name, size_t name_len, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    const std::string key(name, name_len);
    auto devices = impl.data->list_session_devices(key);
    if (!devices.ok()) return impl.fail(devices.status());
    core::Status s = impl.data->delete_all_sessions(key);
    return s.ok() ? static_cast<int>(devices->size()) : impl.fail(s);
  });
}

// ---- pre-key stores ---------------------------------------------------------------------

int load_pre_key_cb(signal_buffer** record, uint32_t id, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_pre_key(id);
    if (!loaded.ok()) return impl.fail(loaded.status());
    if (!loaded->has_value()) return SG_ERR_INVALID_KEY_ID;
    return give_buffer(record, **loaded);
  });
}

int store_pre_key_cb(uint32_t id, uint8_t* record, size_t record_len, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->store_pre_key(id, {record, record_len});
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

int contains_pre_key_cb(uint32_t id, void* user_data) {
  int rc = guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_pre_key(id);
    if (!loaded.ok()) return impl.fail(loaded.status());
    return loaded->has_value() ? 1 : 0;
  });
  return rc < 0 ? 0 : rc;
}

int remove_pre_key_cb(uint32_t id, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->remove_pre_key(id);
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

int load_signed_pre_key_cb(signal_buffer** record, uint32_t id, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_signed_pre_key(id);
    if (!loaded.ok()) return impl.fail(loaded.status());
    if (!loaded->has_value()) return SG_ERR_INVALID_KEY_ID;
    return give_buffer(record, **loaded);
  });
}

int store_signed_pre_key_cb(uint32_t id, uint8_t* record, size_t record_len, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->store_signed_pre_key(id, {record, record_len});
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

int contains_signed_pre_key_cb(uint32_t id, void* user_data) {
  int rc = guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_signed_pre_key(id);
    if (!loaded.ok()) return impl.fail(loaded.status());
    return loaded->has_value() ? 1 : 0;
  });
  return rc < 0 ? 0 : rc;
}

int remove_signed_pre_key_cb(uint32_t id, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->remove_signed_pre_key(id);
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

// ---- identity store ---------------------------------------------------------------------

int get_identity_key_pair_cb(signal_buffer** public_data, signal_buffer** private_data,
                             void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto pub = to_signal_public_key(impl.identity->identity_key.public_view());
    if (!pub.ok()) return SG_ERR_INVALID_KEY;
    int rc = give_buffer(public_data, *pub);
    if (rc < 0) return rc;
    rc = give_buffer(private_data, core::to_bytes(impl.identity->identity_key.private_view()));
    if (rc < 0) {
      signal_buffer_free(*public_data);
      *public_data = nullptr;
    }
    return rc;
  });
}

int get_local_registration_id_cb(void* user_data, uint32_t* registration_id) {
  return guard(user_data, [&](Impl& impl) {
    *registration_id = impl.identity->registration_id;
    return SG_SUCCESS;
  });
}

int save_identity_cb(const signal_protocol_address* address, uint8_t* key_data, size_t key_len,
                     void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    const store::SignalAddress key = to_store_address(address);
    if (key_data == nullptr) {
      core::Status s = impl.data->delete_identity(key);
      return s.ok() ? SG_SUCCESS : impl.fail(s);
    }
    auto raw = normalize_public_key({key_data, key_len});
    if (!raw.ok()) return SG_ERR_INVALID_KEY;
    auto existing = impl.data->load_identity(key);
    if (!existing.ok()) return impl.fail(existing.status());
    if (existing->has_value() && **existing == *raw) return SG_SUCCESS;
    if (existing->has_value()) impl.identity_changed = true;
    core::Status s = impl.data->save_identity(key, *raw);
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

// WhatsApp semantics: trust on first use and accept changes (save_identity reports them).
int is_trusted_identity_cb(const signal_protocol_address* /*address*/, uint8_t* /*key_data*/,
                           size_t /*key_len*/, void* /*user_data*/) {
  return 1;
}

// ---- sender key store -------------------------------------------------------------------

int store_sender_key_cb(const signal_protocol_sender_key_name* name, uint8_t* record,
                        size_t record_len, uint8_t* /*user_record*/, size_t /*user_record_len*/,
                        void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    core::Status s = impl.data->store_sender_key(to_store_name(name), {record, record_len});
    return s.ok() ? SG_SUCCESS : impl.fail(s);
  });
}

int load_sender_key_cb(signal_buffer** record, signal_buffer** /*user_record*/,
                       const signal_protocol_sender_key_name* name, void* user_data) {
  return guard(user_data, [&](Impl& impl) {
    auto loaded = impl.data->load_sender_key(to_store_name(name));
    if (!loaded.ok()) return impl.fail(loaded.status());
    if (!loaded->has_value()) return 0;
    int rc = give_buffer(record, **loaded);
    return rc < 0 ? rc : 1;
  });
}

void log_cb(int /*level*/, const char* /*message*/, size_t /*len*/, void* /*user_data*/) {
  // libsignal logs details of failures that are already reported through return codes; they
  // may include key material, so they are dropped.
}

// Sets the transaction (and the provider random) for one operation and clears the
// per-operation state; restores everything on exit.
class OperationScope {
 public:
  OperationScope(Impl& impl, store::SignalData& data) : impl_(impl) {
    impl_.data = &data;
    impl_.store_error.reset();
    impl_.identity_changed = false;
    if (impl_.random != nullptr) random_.emplace(*impl_.random);
  }
  ~OperationScope() { impl_.data = nullptr; }
  OperationScope(const OperationScope&) = delete;
  OperationScope& operator=(const OperationScope&) = delete;

 private:
  Impl& impl_;
  std::optional<crypto::ScopedProviderRandom> random_;
};

enum class Op { kBundle, kEncrypt, kDecrypt, kGroup };

// Maps a libsignal result code to our Status classes (see cipher.h).
core::Status map_error(Impl& impl, int rc, Op op, std::string_view what) {
  if (impl.store_error.has_value()) {
    const core::Status& s = *impl.store_error;
    if (s.code() == core::StatusCode::kInternal) return s.with_context(what);
    return core::Status::unavailable(std::string(what) + ": signal store: " + s.to_string());
  }
  const std::string detail = std::string(what) + ": " + internal::signal_error_name(rc);
  switch (rc) {
    case SG_ERR_DUPLICATE_MESSAGE:
      return core::Status::already_exists(detail + " (duplicate message)");
    case SG_ERR_NO_SESSION:
      return core::Status::failed_precondition(detail + " (no session)");
    case SG_ERR_INVALID_KEY_ID:
      return core::Status::not_found(detail + " (unknown key id)");
    case SG_ERR_INVALID_MAC:
    case SG_ERR_VRF_SIG_VERIF_FAILED:
      return core::Status::unauthenticated(detail);
    case SG_ERR_INVALID_KEY:
      // The only key check on a bundle that a well-formed key can fail is its signature.
      if (op == Op::kBundle) return core::Status::unauthenticated(detail + " (bad signature)");
      return core::Status::invalid_argument(detail);
    case SG_ERR_UNTRUSTED_IDENTITY:
      return core::Status::permission_denied(detail);
    case SG_ERR_INVALID_MESSAGE:
    case SG_ERR_INVALID_VERSION:
    case SG_ERR_LEGACY_MESSAGE:
    case SG_ERR_INVALID_PROTO_BUF:
    case SG_ERR_STALE_KEY_EXCHANGE:
    case SG_ERR_INVAL:
      return core::Status::invalid_argument(detail);
    default:
      return core::Status::internal(detail);
  }
}

core::Result<signal_protocol_address> c_address(const Address& address) {
  if (address.name.empty()) return core::Status::invalid_argument("empty Signal address name");
  if (address.device_id > static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
    return core::Status::invalid_argument("Signal device id out of range");
  }
  return signal_protocol_address{address.name.c_str(), address.name.size(),
                                 static_cast<int32_t>(address.device_id)};
}

core::Result<signal_protocol_sender_key_name> c_sender_key_name(std::string_view group,
                                                                const Address& sender) {
  if (group.empty()) return core::Status::invalid_argument("empty group id");
  CORE_ASSIGN_OR_RETURN(signal_protocol_address address, c_address(sender));
  return signal_protocol_sender_key_name{group.data(), group.size(), address};
}

struct SessionCipherFree {
  void operator()(session_cipher* c) const { session_cipher_free(c); }
};
struct SessionBuilderFree {
  void operator()(session_builder* b) const { session_builder_free(b); }
};
struct GroupCipherFree {
  void operator()(group_cipher* c) const { group_cipher_free(c); }
};
struct GroupBuilderFree {
  void operator()(group_session_builder* b) const { group_session_builder_free(b); }
};

// Runs `op` in a fresh transaction and commits it when `op` succeeded.
template <typename F>
auto with_transaction(store::SignalStore& store, F&& op)
    -> decltype(op(std::declval<store::Transaction&>())) {
  std::unique_ptr<store::Transaction> txn = store.begin();
  auto result = op(*txn);
  if (!result.ok()) return result;
  core::Status committed = txn->commit();
  if (!committed.ok()) return committed.with_context("committing signal state");
  return result;
}

}  // namespace

SignalProtocol::SignalProtocol(store::SignalStore& store, const LocalIdentity& identity,
                               core::Random* random)
    : store_(store), identity_(identity), impl_(std::make_unique<Impl>()) {
  impl_->identity = &identity_;
  impl_->random = random;
}

SignalProtocol::~SignalProtocol() = default;

core::Result<std::unique_ptr<SignalProtocol>> SignalProtocol::create(store::SignalStore& store,
                                                                     const LocalIdentity& identity,
                                                                     core::Random* random) {
  if (identity.registration_id == 0) {
    return core::Status::invalid_argument("registration id must be non-zero");
  }
  std::unique_ptr<SignalProtocol> self(new SignalProtocol(store, identity, random));
  Impl& impl = *self->impl_;
  void* ud = &impl;

  if (signal_context_create(&impl.context, ud) < 0 ||
      signal_context_set_crypto_provider(impl.context, &crypto::openssl_signal_provider()) < 0 ||
      signal_context_set_log_function(impl.context, log_cb) < 0) {
    return core::Status::internal("cannot create signal context");
  }
  if (signal_protocol_store_context_create(&impl.store_context, impl.context) < 0) {
    return core::Status::internal("cannot create signal store context");
  }

  signal_protocol_session_store sessions{};
  sessions.load_session_func = load_session_cb;
  sessions.get_sub_device_sessions_func = get_sub_device_sessions_cb;
  sessions.store_session_func = store_session_cb;
  sessions.contains_session_func = contains_session_cb;
  sessions.delete_session_func = delete_session_cb;
  sessions.delete_all_sessions_func = delete_all_sessions_cb;
  sessions.user_data = ud;

  signal_protocol_pre_key_store pre_keys{};
  pre_keys.load_pre_key = load_pre_key_cb;
  pre_keys.store_pre_key = store_pre_key_cb;
  pre_keys.contains_pre_key = contains_pre_key_cb;
  pre_keys.remove_pre_key = remove_pre_key_cb;
  pre_keys.user_data = ud;

  signal_protocol_signed_pre_key_store signed_pre_keys{};
  signed_pre_keys.load_signed_pre_key = load_signed_pre_key_cb;
  signed_pre_keys.store_signed_pre_key = store_signed_pre_key_cb;
  signed_pre_keys.contains_signed_pre_key = contains_signed_pre_key_cb;
  signed_pre_keys.remove_signed_pre_key = remove_signed_pre_key_cb;
  signed_pre_keys.user_data = ud;

  signal_protocol_identity_key_store identities{};
  identities.get_identity_key_pair = get_identity_key_pair_cb;
  identities.get_local_registration_id = get_local_registration_id_cb;
  identities.save_identity = save_identity_cb;
  identities.is_trusted_identity = is_trusted_identity_cb;
  identities.user_data = ud;

  signal_protocol_sender_key_store sender_keys{};
  sender_keys.store_sender_key = store_sender_key_cb;
  sender_keys.load_sender_key = load_sender_key_cb;
  sender_keys.user_data = ud;

  if (signal_protocol_store_context_set_session_store(impl.store_context, &sessions) < 0 ||
      signal_protocol_store_context_set_pre_key_store(impl.store_context, &pre_keys) < 0 ||
      signal_protocol_store_context_set_signed_pre_key_store(impl.store_context, &signed_pre_keys) <
          0 ||
      signal_protocol_store_context_set_identity_key_store(impl.store_context, &identities) < 0 ||
      signal_protocol_store_context_set_sender_key_store(impl.store_context, &sender_keys) < 0) {
    return core::Status::internal("cannot install signal stores");
  }
  return self;
}

// ---- pairwise ---------------------------------------------------------------------------

core::Result<ProcessedBundle> SignalProtocol::process_bundle(store::Transaction& txn,
                                                             const Address& address,
                                                             const PreKeyBundle& bundle) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_address addr, c_address(address));
  Impl& impl = *impl_;
  signal_context* ctx = impl.context;

  CORE_ASSIGN_OR_RETURN(auto identity, internal::decode_public_key(bundle.identity_key, ctx));
  CORE_ASSIGN_OR_RETURN(auto signed_key,
                        internal::decode_public_key(bundle.signed_pre_key.public_key, ctx));
  if (bundle.signed_pre_key.signature.size() != crypto::kSignatureSize) {
    return core::Status::invalid_argument("signed pre-key signature must be 64 bytes");
  }
  SignalPtr<ec_public_key> one_time;
  uint32_t one_time_id = 0;
  if (bundle.pre_key.has_value()) {
    CORE_ASSIGN_OR_RETURN(one_time, internal::decode_public_key(bundle.pre_key->public_key, ctx));
    one_time_id = bundle.pre_key->id;
  }
  if (bundle.device_id > static_cast<uint32_t>(std::numeric_limits<int>::max())) {
    return core::Status::invalid_argument("bundle device id out of range");
  }

  session_pre_key_bundle* raw_bundle = nullptr;
  int rc = session_pre_key_bundle_create(&raw_bundle, bundle.registration_id,
                                         static_cast<int>(bundle.device_id), one_time_id,
                                         one_time.get(), bundle.signed_pre_key.id, signed_key.get(),
                                         bundle.signed_pre_key.signature.data(),
                                         bundle.signed_pre_key.signature.size(), identity.get());
  if (rc < 0) return core::Status::internal("session_pre_key_bundle_create failed");
  SignalPtr<session_pre_key_bundle> owned_bundle(raw_bundle);

  OperationScope scope(impl, txn);
  session_builder* raw_builder = nullptr;
  rc = session_builder_create(&raw_builder, impl.store_context, &addr, ctx);
  if (rc < 0) return map_error(impl, rc, Op::kBundle, "creating session builder");
  std::unique_ptr<session_builder, SessionBuilderFree> builder(raw_builder);
  rc = session_builder_process_pre_key_bundle(builder.get(), raw_bundle);
  if (rc < 0) return map_error(impl, rc, Op::kBundle, "processing pre-key bundle");
  return ProcessedBundle{impl.identity_changed};
}

core::Result<bool> SignalProtocol::has_session(store::SignalData& data, const Address& address) {
  CORE_ASSIGN_OR_RETURN(std::optional<core::Bytes> record, data.load_session(address));
  if (!record.has_value()) return false;
  session_record* parsed = nullptr;
  if (session_record_deserialize(&parsed, record->data(), record->size(), impl_->context) < 0 ||
      parsed == nullptr) {
    return core::Status::invalid_argument("stored session record is corrupt");
  }
  SignalPtr<session_record> owned(parsed);
  session_state* state = session_record_get_state(parsed);
  return state != nullptr && session_state_has_sender_chain(state) == 1;
}

core::Result<EncryptedMessage> SignalProtocol::encrypt(store::Transaction& txn,
                                                       const Address& address,
                                                       core::ByteView plaintext) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_address addr, c_address(address));
  // libsignal answers a missing session with a generic error; check first for a clear one.
  CORE_ASSIGN_OR_RETURN(bool session, has_session(txn, address));
  if (!session) {
    return core::Status::failed_precondition("no session with " + address.to_string());
  }
  Impl& impl = *impl_;
  OperationScope scope(impl, txn);
  session_cipher* raw_cipher = nullptr;
  int rc = session_cipher_create(&raw_cipher, impl.store_context, &addr, impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kEncrypt, "creating session cipher");
  std::unique_ptr<session_cipher, SessionCipherFree> cipher(raw_cipher);

  ciphertext_message* raw_message = nullptr;
  rc = session_cipher_encrypt(cipher.get(), plaintext.data(), plaintext.size(), &raw_message);
  if (rc < 0) return map_error(impl, rc, Op::kEncrypt, "encrypting");
  SignalPtr<ciphertext_message> message(raw_message);

  EncryptedMessage out;
  switch (ciphertext_message_get_type(raw_message)) {
    case CIPHERTEXT_PREKEY_TYPE:
      out.type = MessageType::kPreKey;
      break;
    case CIPHERTEXT_SIGNAL_TYPE:
      out.type = MessageType::kWhisper;
      break;
    default:
      return core::Status::internal("unexpected ciphertext type");
  }
  out.ciphertext = internal::buffer_bytes(ciphertext_message_get_serialized(raw_message));
  return out;
}

core::Result<Decrypted> SignalProtocol::decrypt(store::Transaction& txn, const Address& address,
                                                MessageType type, core::ByteView ciphertext) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_address addr, c_address(address));
  if (ciphertext.empty()) return core::Status::invalid_argument("empty ciphertext");
  Impl& impl = *impl_;
  signal_context* ctx = impl.context;

  OperationScope scope(impl, txn);
  session_cipher* raw_cipher = nullptr;
  int rc = session_cipher_create(&raw_cipher, impl.store_context, &addr, ctx);
  if (rc < 0) return map_error(impl, rc, Op::kDecrypt, "creating session cipher");
  std::unique_ptr<session_cipher, SessionCipherFree> cipher(raw_cipher);

  signal_buffer* raw_plaintext = nullptr;
  switch (type) {
    case MessageType::kPreKey: {
      pre_key_signal_message* message = nullptr;
      rc = pre_key_signal_message_deserialize(&message, ciphertext.data(), ciphertext.size(), ctx);
      if (rc < 0) return map_error(impl, rc, Op::kDecrypt, "parsing pkmsg");
      SignalPtr<pre_key_signal_message> owned(message);
      rc = session_cipher_decrypt_pre_key_signal_message(cipher.get(), message, nullptr,
                                                         &raw_plaintext);
      break;
    }
    case MessageType::kWhisper: {
      signal_message* message = nullptr;
      rc = signal_message_deserialize(&message, ciphertext.data(), ciphertext.size(), ctx);
      if (rc < 0) return map_error(impl, rc, Op::kDecrypt, "parsing msg");
      SignalPtr<signal_message> owned(message);
      rc = session_cipher_decrypt_signal_message(cipher.get(), message, nullptr, &raw_plaintext);
      break;
    }
    case MessageType::kSenderKey:
      return core::Status::invalid_argument("skmsg must go through group_decrypt");
  }
  BufferPtr plaintext(raw_plaintext);
  if (rc < 0) {
    return map_error(impl, rc, Op::kDecrypt,
                     std::string("decrypting ") + std::string(message_type_name(type)) + " from " +
                         address.to_string());
  }
  return Decrypted{internal::buffer_bytes(raw_plaintext), impl.identity_changed};
}

// ---- groups -----------------------------------------------------------------------------

core::Result<core::Bytes> SignalProtocol::create_sender_key_distribution(
    store::Transaction& txn, std::string_view group, const Address& own_address) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_sender_key_name name,
                        c_sender_key_name(group, own_address));
  Impl& impl = *impl_;
  OperationScope scope(impl, txn);
  group_session_builder* raw_builder = nullptr;
  int rc = group_session_builder_create(&raw_builder, impl.store_context, impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "creating group session builder");
  std::unique_ptr<group_session_builder, GroupBuilderFree> builder(raw_builder);

  sender_key_distribution_message* raw_skdm = nullptr;
  rc = group_session_builder_create_session(builder.get(), &raw_skdm, &name);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "creating sender key");
  SignalPtr<sender_key_distribution_message> skdm(raw_skdm);
  return internal::buffer_bytes(
      ciphertext_message_get_serialized(reinterpret_cast<ciphertext_message*>(raw_skdm)));
}

core::Status SignalProtocol::process_sender_key_distribution(store::Transaction& txn,
                                                             std::string_view group,
                                                             const Address& sender,
                                                             core::ByteView skdm) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_sender_key_name name, c_sender_key_name(group, sender));
  if (skdm.empty()) return core::Status::invalid_argument("empty sender key distribution");
  Impl& impl = *impl_;
  OperationScope scope(impl, txn);
  sender_key_distribution_message* raw_message = nullptr;
  int rc = sender_key_distribution_message_deserialize(&raw_message, skdm.data(), skdm.size(),
                                                       impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "parsing sender key distribution");
  SignalPtr<sender_key_distribution_message> message(raw_message);

  group_session_builder* raw_builder = nullptr;
  rc = group_session_builder_create(&raw_builder, impl.store_context, impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "creating group session builder");
  std::unique_ptr<group_session_builder, GroupBuilderFree> builder(raw_builder);
  rc = group_session_builder_process_session(builder.get(), &name, raw_message);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "processing sender key distribution");
  return core::Status();
}

core::Result<bool> SignalProtocol::has_sender_key(store::SignalData& data, std::string_view group,
                                                  const Address& sender) {
  CORE_ASSIGN_OR_RETURN(std::optional<core::Bytes> record,
                        data.load_sender_key(sender_key_name(group, sender)));
  if (!record.has_value()) return false;
  sender_key_record* parsed = nullptr;
  if (sender_key_record_deserialize(&parsed, record->data(), record->size(), impl_->context) < 0 ||
      parsed == nullptr) {
    return core::Status::invalid_argument("stored sender key record is corrupt");
  }
  SignalPtr<sender_key_record> owned(parsed);
  return sender_key_record_is_empty(parsed) == 0;
}

core::Result<core::Bytes> SignalProtocol::group_encrypt(store::Transaction& txn,
                                                        std::string_view group,
                                                        const Address& own_address,
                                                        core::ByteView plaintext) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_sender_key_name name,
                        c_sender_key_name(group, own_address));
  CORE_ASSIGN_OR_RETURN(bool has_key, has_sender_key(txn, group, own_address));
  if (!has_key) {
    return core::Status::failed_precondition("no sender key for " + std::string(group) +
                                             "; create a distribution message first");
  }
  Impl& impl = *impl_;
  OperationScope scope(impl, txn);
  group_cipher* raw_cipher = nullptr;
  int rc = group_cipher_create(&raw_cipher, impl.store_context, &name, impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "creating group cipher");
  std::unique_ptr<group_cipher, GroupCipherFree> cipher(raw_cipher);

  ciphertext_message* raw_message = nullptr;
  rc = group_cipher_encrypt(cipher.get(), plaintext.data(), plaintext.size(), &raw_message);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "group encrypting");
  SignalPtr<ciphertext_message> message(raw_message);
  return internal::buffer_bytes(ciphertext_message_get_serialized(raw_message));
}

core::Result<core::Bytes> SignalProtocol::group_decrypt(store::Transaction& txn,
                                                        std::string_view group,
                                                        const Address& sender,
                                                        core::ByteView ciphertext) {
  CORE_ASSIGN_OR_RETURN(signal_protocol_sender_key_name name, c_sender_key_name(group, sender));
  if (ciphertext.empty()) return core::Status::invalid_argument("empty skmsg");
  Impl& impl = *impl_;
  OperationScope scope(impl, txn);
  sender_key_message* raw_message = nullptr;
  int rc = sender_key_message_deserialize(&raw_message, ciphertext.data(), ciphertext.size(),
                                          impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "parsing skmsg");
  SignalPtr<sender_key_message> message(raw_message);

  group_cipher* raw_cipher = nullptr;
  rc = group_cipher_create(&raw_cipher, impl.store_context, &name, impl.context);
  if (rc < 0) return map_error(impl, rc, Op::kGroup, "creating group cipher");
  std::unique_ptr<group_cipher, GroupCipherFree> cipher(raw_cipher);

  signal_buffer* raw_plaintext = nullptr;
  rc = group_cipher_decrypt(cipher.get(), raw_message, nullptr, &raw_plaintext);
  BufferPtr plaintext(raw_plaintext);
  if (rc < 0) {
    return map_error(impl, rc, Op::kGroup,
                     "decrypting skmsg in " + std::string(group) + " from " + sender.to_string());
  }
  return internal::buffer_bytes(raw_plaintext);
}

// ---- auto-commit conveniences -----------------------------------------------------------

core::Result<ProcessedBundle> SignalProtocol::process_bundle(const Address& address,
                                                             const PreKeyBundle& bundle) {
  return with_transaction(
      store_, [&](store::Transaction& txn) { return process_bundle(txn, address, bundle); });
}

core::Result<EncryptedMessage> SignalProtocol::encrypt(const Address& address,
                                                       core::ByteView plaintext) {
  return with_transaction(
      store_, [&](store::Transaction& txn) { return encrypt(txn, address, plaintext); });
}

core::Result<Decrypted> SignalProtocol::decrypt(const Address& address, MessageType type,
                                                core::ByteView ciphertext) {
  return with_transaction(
      store_, [&](store::Transaction& txn) { return decrypt(txn, address, type, ciphertext); });
}

core::Result<core::Bytes> SignalProtocol::create_sender_key_distribution(
    std::string_view group, const Address& own_address) {
  return with_transaction(store_, [&](store::Transaction& txn) {
    return create_sender_key_distribution(txn, group, own_address);
  });
}

core::Status SignalProtocol::process_sender_key_distribution(std::string_view group,
                                                             const Address& sender,
                                                             core::ByteView skdm) {
  std::unique_ptr<store::Transaction> txn = store_.begin();
  CORE_RETURN_IF_ERROR(process_sender_key_distribution(*txn, group, sender, skdm));
  core::Status committed = txn->commit();
  if (!committed.ok()) return committed.with_context("committing signal state");
  return core::Status();
}

core::Result<core::Bytes> SignalProtocol::group_encrypt(std::string_view group,
                                                        const Address& own_address,
                                                        core::ByteView plaintext) {
  return with_transaction(store_, [&](store::Transaction& txn) {
    return group_encrypt(txn, group, own_address, plaintext);
  });
}

core::Result<core::Bytes> SignalProtocol::group_decrypt(std::string_view group,
                                                        const Address& sender,
                                                        core::ByteView ciphertext) {
  return with_transaction(store_, [&](store::Transaction& txn) {
    return group_decrypt(txn, group, sender, ciphertext);
  });
}

}  // namespace wa::signal
