// signal_tool: the test-only bridge through which signal.test.mjs drives our Signal layer
// (wa/signal on libsignal-protocol-c) against Baileys' JS Signal code. Not part of the product.
//
// One process = one device with an in-memory store. JSON lines on stdin, one response line per
// request on stdout: {"ok":true,...} or {"ok":false,"code":..,"message":..,"duplicate":b,
// "needs_retry":b}. Byte fields are lowercase hex; keys are raw 32 bytes (wire form).
//   {"op":"init","seed":n}                      identity, registration id, signed pre-key 1,
//                                               one-time pre-keys 1..10 → {registration_id}
//   {"op":"bundle","pre_key_index":i|null}      → {registration_id, identity, signed_pre_key:
//                                                  {id,public_key,signature},
//                                                  pre_key:{id,public_key}|null}
//   {"op":"process_bundle","jid":J,"bundle":B}  (B as above) → {identity_changed}
//   {"op":"encrypt","jid":J,"plaintext":hex,"pad":bool}       → {type,ciphertext}
//   {"op":"decrypt","jid":J,"type":t,"ciphertext":hex,"unpad":bool} → {plaintext,identity_changed}
//   {"op":"skdm","group":G,"me":J}                            → {skdm}
//   {"op":"process_skdm","group":G,"sender":J,"skdm":hex}     → {}
//   {"op":"group_encrypt","group":G,"me":J,"plaintext":hex,"pad":bool} → {ciphertext}
//   {"op":"group_decrypt","group":G,"sender":J,"ciphertext":hex,"unpad":bool} → {plaintext}
//   {"op":"pre_key_count"}                                    → {count}
// JIDs map to Signal addresses with wa::signal::address_from_jid (no LID mapping involved).
//
// Ownership: everything lives in main's frame. Threading: single-threaded, blocking stdin.

#include <exception>
#include <iostream>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "core/bytes.h"
#include "core/encoding.h"
#include "core/random.h"
#include "core/status.h"
#include "wa/signal/address.h"
#include "wa/signal/cipher.h"
#include "wa/signal/keys.h"
#include "wa/signal/padding.h"
#include "wa/store/in_memory_store.h"

namespace {

using Json = nlohmann::json;
namespace sig = wa::signal;

struct Device {
  std::unique_ptr<core::FakeRandom> random;
  wa::store::InMemoryStore store;
  sig::LocalIdentity identity;
  sig::SignedPreKey signed_pre_key;
  std::vector<sig::PreKey> pre_keys;
  std::unique_ptr<sig::SignalProtocol> protocol;
};

std::string hex(core::ByteView v) { return core::hex_encode(v); }

core::Bytes unhex(const Json& j) {
  auto r = core::hex_decode(j.get<std::string>());
  if (!r.ok()) throw std::runtime_error("bad hex: " + r.status().message());
  return *r;
}

Json error_json(const core::Status& s) {
  return Json{{"ok", false},
              {"code", std::string(core::status_code_name(s.code()))},
              {"message", s.message()},
              {"duplicate", sig::is_duplicate(s)},
              {"needs_retry", sig::needs_retry(s)}};
}

template <typename T>
T value_or_throw(core::Result<T> r, Json& error) {
  if (!r.ok()) {
    error = error_json(r.status());
    throw std::logic_error("status");
  }
  return std::move(r).value();
}

sig::Address address_of(const Json& jid) {
  auto a = sig::address_from_jid(jid.get<std::string>());
  if (!a.ok()) throw std::runtime_error(a.status().to_string());
  return *a;
}

Json handle(Device& dev, const Json& req) {
  const std::string op = req.at("op").get<std::string>();
  Json err;
  try {
    if (op == "init") {
      dev.random = std::make_unique<core::FakeRandom>(req.value("seed", 1));
      dev.identity.identity_key = sig::generate_identity_key_pair(*dev.random);
      dev.identity.registration_id = sig::generate_registration_id(*dev.random);
      dev.signed_pre_key = value_or_throw(
          sig::generate_signed_pre_key(dev.identity.identity_key, 1, *dev.random), err);
      auto s = sig::save_signed_pre_key(dev.store, dev.signed_pre_key, 1);
      if (!s.ok()) return error_json(s);
      dev.pre_keys = sig::generate_pre_keys(1, 10, *dev.random);
      s = sig::save_pre_keys(dev.store, dev.pre_keys);
      if (!s.ok()) return error_json(s);
      dev.protocol = value_or_throw(sig::SignalProtocol::create(dev.store, dev.identity), err);
      return Json{{"ok", true}, {"registration_id", dev.identity.registration_id}};
    }
    if (!dev.protocol) return Json{{"ok", false}, {"message", "init first"}};

    if (op == "bundle") {
      const sig::PreKey* pk = nullptr;
      if (req.contains("pre_key_index") && !req["pre_key_index"].is_null()) {
        pk = &dev.pre_keys.at(req["pre_key_index"].get<size_t>());
      }
      sig::PreKeyBundle b = sig::make_bundle(dev.identity.registration_id, 0,
                                             dev.identity.identity_key, dev.signed_pre_key, pk);
      Json out{{"ok", true},
               {"registration_id", b.registration_id},
               {"identity", hex(b.identity_key)},
               {"signed_pre_key",
                {{"id", b.signed_pre_key.id},
                 {"public_key", hex(b.signed_pre_key.public_key)},
                 {"signature", hex(b.signed_pre_key.signature)}}},
               {"pre_key", nullptr}};
      if (b.pre_key) {
        out["pre_key"] = {{"id", b.pre_key->id}, {"public_key", hex(b.pre_key->public_key)}};
      }
      return out;
    }
    if (op == "process_bundle") {
      const Json& jb = req.at("bundle");
      sig::PreKeyBundle b;
      b.registration_id = jb.at("registration_id").get<uint32_t>();
      b.device_id = address_of(req.at("jid")).device_id;
      b.identity_key = unhex(jb.at("identity"));
      b.signed_pre_key.id = jb.at("signed_pre_key").at("id").get<uint32_t>();
      b.signed_pre_key.public_key = unhex(jb.at("signed_pre_key").at("public_key"));
      b.signed_pre_key.signature = unhex(jb.at("signed_pre_key").at("signature"));
      if (jb.contains("pre_key") && !jb["pre_key"].is_null()) {
        b.pre_key = sig::BundlePreKey{jb["pre_key"].at("id").get<uint32_t>(),
                                      unhex(jb["pre_key"].at("public_key"))};
      }
      auto r = value_or_throw(dev.protocol->process_bundle(address_of(req.at("jid")), b), err);
      return Json{{"ok", true}, {"identity_changed", r.identity_changed}};
    }
    if (op == "encrypt") {
      core::Bytes plaintext = unhex(req.at("plaintext"));
      if (req.value("pad", false)) plaintext = sig::pad(plaintext, *dev.random);
      auto r = value_or_throw(dev.protocol->encrypt(address_of(req.at("jid")), plaintext), err);
      return Json{
          {"ok", true}, {"type", std::string(r.type_name())}, {"ciphertext", hex(r.ciphertext)}};
    }
    if (op == "decrypt") {
      auto type = value_or_throw(sig::parse_message_type(req.at("type").get<std::string>()), err);
      auto r = value_or_throw(
          dev.protocol->decrypt(address_of(req.at("jid")), type, unhex(req.at("ciphertext"))), err);
      core::Bytes plaintext = r.plaintext;
      if (req.value("unpad", false)) plaintext = value_or_throw(sig::unpad(plaintext), err);
      return Json{
          {"ok", true}, {"plaintext", hex(plaintext)}, {"identity_changed", r.identity_changed}};
    }
    if (op == "skdm") {
      auto r = value_or_throw(dev.protocol->create_sender_key_distribution(
                                  req.at("group").get<std::string>(), address_of(req.at("me"))),
                              err);
      return Json{{"ok", true}, {"skdm", hex(r)}};
    }
    if (op == "process_skdm") {
      auto s = dev.protocol->process_sender_key_distribution(
          req.at("group").get<std::string>(), address_of(req.at("sender")), unhex(req.at("skdm")));
      if (!s.ok()) return error_json(s);
      return Json{{"ok", true}};
    }
    if (op == "group_encrypt") {
      core::Bytes plaintext = unhex(req.at("plaintext"));
      if (req.value("pad", false)) plaintext = sig::pad(plaintext, *dev.random);
      auto r = value_or_throw(dev.protocol->group_encrypt(req.at("group").get<std::string>(),
                                                          address_of(req.at("me")), plaintext),
                              err);
      return Json{{"ok", true}, {"ciphertext", hex(r)}};
    }
    if (op == "group_decrypt") {
      auto r = value_or_throw(
          dev.protocol->group_decrypt(req.at("group").get<std::string>(),
                                      address_of(req.at("sender")), unhex(req.at("ciphertext"))),
          err);
      if (req.value("unpad", false)) r = value_or_throw(sig::unpad(r), err);
      return Json{{"ok", true}, {"plaintext", hex(r)}};
    }
    if (op == "pre_key_count") {
      return Json{{"ok", true}, {"count", dev.store.pre_key_count()}};
    }
    return Json{{"ok", false}, {"message", "unknown op " + op}};
  } catch (const std::logic_error&) {
    if (!err.is_null()) return err;
    throw;
  }
}

}  // namespace

int main() {
  Device dev;
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    Json out;
    try {
      out = handle(dev, Json::parse(line));
    } catch (const std::exception& e) {
      out = Json{{"ok", false}, {"message", std::string("exception: ") + e.what()}};
    }
    std::cout << out.dump() << std::endl;
  }
  return 0;
}
