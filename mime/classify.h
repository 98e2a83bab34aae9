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

// Report parts found anywhere in the message's own MIME tree (not inside
// an attached message/rfc822, which a person may forward on purpose).
struct PartSignals {
  bool delivery_status = false;           // message/delivery-status, message/global-delivery-status
  bool rfc822_headers = false;            // text/rfc822-headers: returned headers of a message
  bool returned_message = false;          // message/rfc822 or message/global
  bool disposition_notification = false;  // message/disposition-notification (MDN)
};

// Sets msg->classification and msg->classification_reason (never empty
// unless normal). First match wins:
//  1. bounce: a delivery report (multipart/report with report-type
//     delivery-status or without report-type; a message/delivery-status
//     part anywhere), X-Failed-Recipients, From or Return-Path local part
//     MAILER-DAEMON / postmaster / MDaemon, a text/rfc822-headers part
//     outside a read receipt, a subject that is an MTA's fixed template,
//     or a non-delivery subject (detail/bounce_subjects.h, many languages,
//     anchored at the start) together with a sign of a machine sender;
//  2. auto-reply: Auto-Submitted other than "no", X-Autoreply,
//     X-Autorespond, Precedence: auto_reply, an MDN report, or an
//     out-of-office subject prefix;
//  3. bounce: empty Return-Path "<>" (auto-replies also use <>, hence after 2);
//  4. bulk: Precedence bulk/list/junk, List-Id, List-Unsubscribe.
// X-Auto-Response-Suppress is a request to others, not a marker: ignored.
void Classify(const TopLevelType& top, const PartSignals& parts, Message* msg);
// Without part information (tests of header rules).
void Classify(const TopLevelType& top, Message* msg);

}  // namespace mime
