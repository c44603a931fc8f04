#include "http_message.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>

namespace boxoffice::loadgen {
namespace {

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Whether the comma-separated list `value` has `token` (case-insensitive).
bool HasToken(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    const auto comma = value.find(',');
    if (EqualsIgnoringCase(Trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string FormatRequest(std::string_view method, std::string_view target, std::string_view host,
                          const Headers& headers, std::string_view body) {
  std::string out;
  out.reserve(128 + target.size() + host.size() + body.size() + 64 * headers.size());
  out.append(method).append(" ").append(target).append(" HTTP/1.1\r\nHost: ").append(host);
  out.append("\r\nUser-Agent: boxoffice-loadgen\r\n");
  for (const auto& [name, value] : headers)
    out.append(name).append(": ").append(value).append("\r\n");
  if (!body.empty()) {
    out.append("Content-Type: application/json\r\nContent-Length: ");
    out.append(std::to_string(body.size())).append("\r\n");
  } else if (method == "POST" || method == "PUT" || method == "PATCH") {
    out.append("Content-Length: 0\r\n");
  }
  out.append("\r\n").append(body);
  return out;
}

HeadParse ParseResponseHead(std::string_view in, ResponseHead& head) {
  const auto end = in.find("\r\n\r\n");
  if (end == std::string_view::npos) return HeadParse::kIncomplete;
  head = ResponseHead{};
  head.head_bytes = end + 4;
  std::string_view rest = in.substr(0, end + 2);

  const auto line_end = rest.find("\r\n");
  const std::string_view status_line = rest.substr(0, line_end);
  rest.remove_prefix(line_end + 2);
  // "HTTP/1.1 200 OK": the version, one space, three digits, then a space or nothing.
  if (status_line.size() < 12 || status_line.substr(0, 7) != "HTTP/1." || status_line[8] != ' ' ||
      (status_line.size() > 12 && status_line[12] != ' ')) {
    return HeadParse::kInvalid;
  }
  const std::string_view code = status_line.substr(9, 3);
  if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return HeadParse::kInvalid;
  }
  head.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
  head.close = status_line[7] == '0';  // HTTP/1.0 closes unless told otherwise

  bool has_length = false;
  while (!rest.empty()) {
    const auto eol = rest.find("\r\n");
    const std::string_view line = rest.substr(0, eol);
    rest.remove_prefix(eol + 2);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) return HeadParse::kInvalid;
    const std::string_view name = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (EqualsIgnoringCase(name, "Content-Length")) {
      std::size_t n = 0;
      const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || ptr != value.data() + value.size() || value.empty()) {
        return HeadParse::kInvalid;
      }
      if (has_length && n != head.content_length) return HeadParse::kInvalid;
      head.content_length = n;
      has_length = true;
    } else if (EqualsIgnoringCase(name, "Transfer-Encoding")) {
      return HeadParse::kInvalid;
    } else if (EqualsIgnoringCase(name, "Connection")) {
      if (HasToken(value, "close")) {
        head.close = true;
      } else if (HasToken(value, "keep-alive")) {
        head.close = false;
      }
    } else if (EqualsIgnoringCase(name, "Retry-After")) {
      head.retry_after_s = std::atof(std::string(value).c_str());
    }
  }
  const bool bodiless = head.status < 200 || head.status == 204 || head.status == 304;
  if (!has_length && !bodiless) return HeadParse::kInvalid;
  if (bodiless) head.content_length = 0;
  return HeadParse::kComplete;
}

}  // namespace boxoffice::loadgen
