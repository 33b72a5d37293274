// postal::Headers, the header fields of HttpRequest and HttpResponse: order kept, names matched
// without regard to case, and a list of fields taken over whole.
#include "support/catch.hpp"

#include <postal/transport.hpp>

#include <string>
#include <utility>
#include <vector>

TEST_CASE("Headers keeps fields in order and finds names in any case") {
  postal::Headers headers{{"Content-Type", "application/json"}, {"X-Tag", "a"}};
  headers.add("x-tag", "b");
  CHECK(headers.size() == 3);
  CHECK(headers.get("content-type") == "application/json");
  CHECK(headers.get("X-TAG") == "a");  // the first of the name
  CHECK_FALSE(headers.contains("Accept"));
  headers.set("X-Tag", "c");  // every X-Tag replaced by one, at the end
  std::vector<std::pair<std::string, std::string>> fields(headers.begin(), headers.end());
  CHECK(fields == std::vector<std::pair<std::string, std::string>>{
                      {"Content-Type", "application/json"}, {"X-Tag", "c"}});
  headers.erase("CONTENT-TYPE");
  CHECK(headers.size() == 1);
}

TEST_CASE("Headers takes over a vector of fields, in order, without copying them") {
  std::vector<postal::Headers::value_type> fields{{"Date", std::string(40, 'd')}, {"A", "1"}};
  const char* const value_storage = fields[0].second.data();  // on the heap: moved, not copied
  const postal::Headers headers(std::move(fields));
  REQUIRE(headers.size() == 2);
  CHECK(headers.begin()->first == "Date");
  CHECK(headers.begin()->second.data() == value_storage);
  CHECK(headers.get("a") == "1");
}
