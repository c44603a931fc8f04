#include "interfaces/http/json_output.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "domain/model/names.hpp"
#include "interfaces/http/responses.hpp"

namespace boxoffice::http {
namespace {

using domain::Seat;
using domain::SeatState;

// What the seat listing sent when it built a boost::json tree: the bytes AppendJson must keep.
boost::json::object TreeOf(const Seat& seat, bool with_status) {
  boost::json::object out{
      {"id", seat.id.value}, {"seatNumber", seat.seat_number}, {"price", seat.price.won}};
  if (with_status) out["status"] = domain::Name(seat.state);
  return out;
}

std::vector<Seat> Seats() {
  return {
      {.id = domain::SeatId{1}, .seat_number = 1, .price = domain::Money{0}},
      {.id = domain::SeatId{42},
       .seat_number = 17,
       .price = domain::Money{150'000},
       .state = SeatState::kHeld},
      {.id = domain::SeatId{std::numeric_limits<std::int64_t>::max()},
       .seat_number = std::numeric_limits<std::int32_t>::max(),
       .price = domain::Money{9'007'199'254'740'993},
       .state = SeatState::kReserved},
  };
}

TEST(SeatJson, WritesTheBytesOfTheJsonTree) {
  for (const bool with_status : {false, true}) {
    for (const Seat& seat : Seats()) {
      std::string written;
      AppendJson(written, seat, with_status);
      EXPECT_EQ(written, boost::json::serialize(TreeOf(seat, with_status)))
          << "with_status=" << with_status;
    }
  }
}

TEST(SeatJson, AppendsToWhatIsThere) {
  std::string written = "[";
  AppendJson(written, Seats()[1], true);
  EXPECT_EQ(written, R"([{"id":42,"seatNumber":17,"price":150000,"status":"HELD"})");
}

TEST(SeatJson, AListWrittenItemByItemIsTheListEnvelope) {
  const std::vector<Seat> seats = Seats();
  for (std::size_t count = 0; count <= seats.size(); ++count) {
    boost::json::array tree;
    for (std::size_t i = 0; i < count; ++i) tree.push_back(TreeOf(seats[i], false));
    const Response expected = ListResponse(std::move(tree));
    const Response written = ListResponse(
        count, 48, [&](std::string& body, std::size_t i) { AppendJson(body, seats[i], false); });
    EXPECT_EQ(written.status, 200);
    EXPECT_EQ(written.content_type, expected.content_type);
    EXPECT_EQ(written.body, expected.body) << count << " items";
  }
}

}  // namespace
}  // namespace boxoffice::http
