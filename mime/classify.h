// Auto-reply / bounce / bulk classification from decoded headers. Pure
// function of the Message fields, so it is tested from plain structs.
#pragma once

#include <string>

#include "mime/message.h"

namespace mime {

// What the parser learnt from the top-level Content-Type.
struct TopLevelType {
  std::string mime_type;    // "multipart/report", lower case
  std::string report_type;  // report-type parameter, lower case
};

// Sets msg->classification and msg->classification_reason. First match wins:
//  1. bounce: DSN (multipart/report; report-type=delivery-status),
//     X-Failed-Recipients, From local part MAILER-DAEMON / postmaster;
//  2. auto-reply: Auto-Submitted other than "no", X-Autoreply,
//     X-Autorespond, Precedence: auto_reply, an MDN report, or an
//     out-of-office subject prefix;
//  3. bounce: empty Return-Path "<>" (auto-replies also use <>, hence after 2);
//  4. bulk: Precedence bulk/list/junk, List-Id, List-Unsubscribe.
// X-Auto-Response-Suppress is a request to others, not a marker: ignored.
void Classify(const TopLevelType& top, Message* msg);

}  // namespace mime
