#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace boxoffice::http {

struct AccessRecord {
  std::chrono::system_clock::time_point ts;
  std::string_view request_id;
  std::string_view method;
  std::string_view path;
  std::string_view route;
  int status = 0;
  double duration_ms = 0;
};

// One JSON object (no trailing newline), escaped by Boost.JSON so any path is safe to log.
std::string FormatAccessLine(const AccessRecord& record);
// Writes the line and a newline to stdout in one call under a lock, so lines never interleave.
void WriteAccessLine(const AccessRecord& record);

// The client's X-Request-Id when it is 1..128 characters of [A-Za-z0-9._-], else nullopt-like
// empty: the caller then generates one.
bool IsSaneRequestId(std::string_view id);
std::string GenerateRequestId();

}  // namespace boxoffice::http
