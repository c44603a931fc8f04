#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "interfaces/http/error_mapping.hpp"
#include "interfaces/http/route_table.hpp"

namespace boxoffice::http {
namespace {

std::string ReadOpenApi() {
  std::ifstream in(BOXOFFICE_OPENAPI_PATH);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Whether the document declares `method` under `path` in its `paths:` section: the path is a key
// indented by two spaces and the method a key indented by four, before the next path.
bool Documents(const std::string& yaml, std::string_view path, std::string_view method) {
  const std::string key = "\n  " + std::string(path) + ":\n";
  const auto start = yaml.find(key);
  if (start == std::string::npos) return false;
  auto end = start + key.size();
  // The section of this path ends at the next line indented by fewer than four spaces.
  std::size_t section_end = yaml.size();
  for (auto pos = end; pos < yaml.size();) {
    auto next = yaml.find('\n', pos);
    if (next == std::string::npos) break;
    const auto line = std::string_view(yaml).substr(pos, next - pos);
    if (!line.empty() && !line.starts_with("    ")) {
      section_end = pos;
      break;
    }
    pos = next + 1;
  }
  std::string lower(method);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto method_key = "\n    " + lower + ":";
  const auto found = yaml.find(method_key, end - 1);
  return found != std::string::npos && found < section_end;
}

TEST(OpenApiTest, DocumentsEveryRoute) {
  const auto yaml = ReadOpenApi();
  ASSERT_FALSE(yaml.empty()) << "cannot read " << BOXOFFICE_OPENAPI_PATH;
  EXPECT_NE(yaml.find("openapi: 3.0.3"), std::string::npos);
  for (const auto& route : AllRoutes()) {
    EXPECT_TRUE(Documents(yaml, route.path, route.method))
        << route.method << " " << route.path << " is missing from api/openapi.yaml";
  }
}

TEST(OpenApiTest, TheCheckCanFail) {
  const std::string yaml = "paths:\n  /a:\n    get:\n      x: 1\n  /b:\n    post:\n";
  EXPECT_TRUE(Documents(yaml, "/a", "GET"));
  EXPECT_FALSE(Documents(yaml, "/a", "POST"));
  EXPECT_TRUE(Documents(yaml, "/b", "POST"));
  EXPECT_FALSE(Documents(yaml, "/c", "GET"));
}

TEST(OpenApiTest, ListsEveryWireErrorCode) {
  const auto yaml = ReadOpenApi();
  for (int i = 0; i <= static_cast<int>(domain::ErrorCode::kInternal); ++i) {
    const auto code = MapError(static_cast<domain::ErrorCode>(i)).code;
    EXPECT_NE(yaml.find("- " + std::string(code) + "\n"), std::string::npos) << code;
  }
}

}  // namespace
}  // namespace boxoffice::http
