#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace boxoffice::loadgen {

using Headers = std::vector<std::pair<std::string, std::string>>;

// An HTTP/1.1 keep-alive request as the bytes to send: the request line, Host, User-Agent,
// `headers`, and for a non-empty body its Content-Type (JSON) and Content-Length.
std::string FormatRequest(std::string_view method, std::string_view target, std::string_view host,
                          const Headers& headers, std::string_view body);

// What the load generator needs of a response's status line and header fields.
struct ResponseHead {
  int status = 0;
  std::size_t head_bytes = 0;      // up to and including the blank line that ends the fields
  std::size_t content_length = 0;  // the body's bytes, which follow the head
  bool close = false;              // `Connection: close`: the connection is not reused
  double retry_after_s = 0;        // `Retry-After` in seconds, when present
};

enum class HeadParse {
  kIncomplete,  // the blank line that ends the fields has not arrived yet
  kComplete,
  kInvalid,  // not a response this client reads (see ParseResponseHead)
};

// Reads the head at the start of `in` into `head`. A response must be HTTP/1.x with a
// three-digit status and a Content-Length (or a status that has no body: 1xx, 204, 304); a
// chunked body is refused as invalid, since the API answers every request with a length.
HeadParse ParseResponseHead(std::string_view in, ResponseHead& head);

}  // namespace boxoffice::loadgen
