#pragma once

#include <string>
#include <string_view>

namespace boxoffice::http {

// Lower-case hex SHA-256.
std::string Sha256Hex(std::string_view data);

// Compares secrets in time independent of where they differ (both sides are hashed first, so
// the length does not leak either).
bool SecretEquals(std::string_view a, std::string_view b);

}  // namespace boxoffice::http
