// MessagePack encoding of the records in store/records.h (field names and
// versions: store/schema.h). Encoders never fail; decoders return
// kCorruption for bytes that are not a record of a version this build knows.
// No exception leaves these functions.
#pragma once

#include <string>
#include <string_view>

#include "store/records.h"
#include "util/result.h"

namespace store::detail {

// The record without body_text, which lives in the bodies database. A v1
// record's inline body_text is decoded.
std::string EncodeMessage(const MessageRecord& rec);
util::Result<MessageRecord> DecodeMessage(std::string_view bytes);

std::string EncodeTicket(const TicketRecord& rec);
util::Result<TicketRecord> DecodeTicket(std::string_view bytes);

std::string EncodeCheckpoint(const Checkpoint& cp);
util::Result<Checkpoint> DecodeCheckpoint(std::string_view bytes);

// The seq is the key, not part of the value: `seq` is copied into the
// decoded event.
std::string EncodeEvent(const Event& ev);
util::Result<Event> DecodeEvent(std::uint64_t seq, std::string_view bytes);

std::string EncodeOutage(const OutageRecord& rec);
util::Result<OutageRecord> DecodeOutage(std::string_view bytes);

// Like events, the seq is the key and is copied into the decoded record.
std::string EncodeIntakeLog(const IntakeLogRecord& rec);
util::Result<IntakeLogRecord> DecodeIntakeLog(std::uint64_t seq, std::string_view bytes);

}  // namespace store::detail
