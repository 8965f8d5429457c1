// Builders and parsers for the lookup IQs the gateway sends through Client::query(): the contact
// check (usync with the "contact" and "lid" protocols, context "interactive", one <user> per
// phone number carrying <contact>+digits</contact>; wa-protocol.md §7) and the list of groups
// the account participates in (w:g2 <participating><participants/><description/>; §9.2).
// Nodes are built without an id: Client::query assigns one. Parsers accept the result node that
// Client::query hands back and never trust the server's shape: malformed input is a Status.
//
// Threading: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "wa/binary/node.h"
#include "wa/client/events.h"

namespace wa::client {

// Longest phone number E.164 allows (15 digits) and a practical lower bound.
inline constexpr size_t kMinPhoneDigits = 6;
inline constexpr size_t kMaxPhoneDigits = 15;

// "+1 (555) 123-4567" → "15551234567". A leading '+', spaces, dashes, dots and parentheses are
// ignored; anything else, or a digit count outside [kMinPhoneDigits, kMaxPhoneDigits], is
// InvalidArgument naming the input.
core::Result<std::string> normalize_phone_number(std::string_view input);

// <iq to=s.whatsapp.net type=get xmlns=usync><usync sid mode=query last=true index=0
// context=interactive><query><contact/><lid/></query><list><user><contact>+N</contact></user>…
// `numbers` are normalised digit strings.
binary::Node build_contact_check_query(const std::vector<std::string>& numbers,
                                       const std::string& sid);

struct ContactCheck {
  std::string number;  // digits, as asked
  bool exists = false;
  std::string jid;  // "<number>@s.whatsapp.net" when it exists, else ""
  std::string lid;  // "<lid>@lid" when the server gave one, else ""
};
// One entry per asked number, in the order of `numbers`. A number the server did not list, or
// listed with <contact type="out">, does not exist.
core::Result<std::vector<ContactCheck>> parse_contact_check(
    const binary::Node& result, const std::vector<std::string>& numbers);

// <iq to=@g.us type=get xmlns=w:g2><participating><participants/><description/></participating>
binary::Node build_participating_groups_query();
// <iq type=result><groups><group …/>…</groups></iq>; groups that fail parse_group are skipped.
core::Result<std::vector<GroupInfo>> parse_participating_groups(const binary::Node& result);

}  // namespace wa::client
