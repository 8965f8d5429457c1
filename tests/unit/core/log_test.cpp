#include "core/log.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

namespace core {
namespace {

TEST(LogTest, RejectsUnknownLevel) {
  Status s = init_logging({.level = "loud"});
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("loud"), std::string::npos);
}

TEST(LogTest, NamedLoggersAreSharedAndFollowTheLevel) {
  ASSERT_TRUE(init_logging({.level = "warn"}).ok());
  auto a = get_logger("test.component");
  auto b = get_logger("test.component");
  EXPECT_EQ(a.get(), b.get());
  EXPECT_FALSE(a->should_log(spdlog::level::info));
  EXPECT_TRUE(a->should_log(spdlog::level::err));
  ASSERT_TRUE(init_logging({.level = "off"}).ok());
}

}  // namespace
}  // namespace core
