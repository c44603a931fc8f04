#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "domain/model/events.hpp"

namespace boxoffice::infra {

// The JSON body of a domain event: the outbox row's payload and the Kafka message value.
// Instants travel as milliseconds since the epoch; the type travels beside the body
// (outbox.event_type, the Kafka "event-type" header) as EventType() names it.
std::string EncodeEventPayload(const domain::DomainEvent& event);
// nullopt when the type is unknown or the payload does not parse.
std::optional<domain::DomainEvent> DecodeEventPayload(std::string_view type,
                                                      std::string_view payload);

}  // namespace boxoffice::infra
