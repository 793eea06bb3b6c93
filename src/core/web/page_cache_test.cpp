#include "core/web/page_cache.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace gapura::core::web {
namespace {

TEST(PageCache, ServesWithinTheTtlOnly) {
    PageCache c(1 << 20, 5);
    EXPECT_EQ(c.get("a", 100), nullptr);
    c.put("a", "body-a", 100);
    ASSERT_NE(c.get("a", 100), nullptr);
    EXPECT_EQ(*c.get("a", 104), "body-a");
    EXPECT_EQ(c.get("a", 99), nullptr) << "a clock that went back must not serve the entry forever";
    // Expired: the first caller recomputes, the others get the old body until it is replaced.
    EXPECT_EQ(c.get("a", 105), nullptr);
    ASSERT_NE(c.get("a", 105), nullptr);
    EXPECT_EQ(*c.get("a", 109), "body-a");
    EXPECT_EQ(c.get("a", 110), nullptr) << "never older than two TTLs";
    c.put("a", "body-a2", 105);
    EXPECT_EQ(*c.get("a", 106), "body-a2");
    EXPECT_EQ(c.get("a", 111), nullptr) << "a new entry gets its own first recomputation";
    EXPECT_EQ(c.entries(), 1u);
    EXPECT_EQ(c.bytes(), 1u + 7u);
}

TEST(PageCache, ClearDropsEverything) {
    PageCache c(1 << 20, 5);
    c.put("a", "1", 0);
    c.put("b", "2", 0);
    c.clear();
    EXPECT_EQ(c.get("a", 0), nullptr);
    EXPECT_EQ(c.get("b", 0), nullptr);
    EXPECT_EQ(c.bytes(), 0u);
}

TEST(PageCache, StaysWithinItsByteBudget) {
    PageCache c(1000, 5);
    c.put("huge", std::string(300, 'x'), 0);  // over a quarter of the budget: not kept
    EXPECT_EQ(c.get("huge", 0), nullptr);
    for (int i = 0; i < 50; ++i) {
        c.put("k" + std::to_string(i), std::string(100, 'y'), i / 10);
        EXPECT_LE(c.bytes(), 1000u);
    }
    EXPECT_NE(c.get("k49", 4), nullptr) << "the newest entry survives";
}

TEST(PageCache, ManyThreadsAtOnce) {
    PageCache c(64 * 1024, 5);
    std::vector<std::jthread> ts;
    for (int t = 0; t < 4; ++t)
        ts.emplace_back([&c, t] {
            for (int i = 0; i < 2000; ++i) {
                const std::string key = "k" + std::to_string((i + t) % 37);
                if (auto b = c.get(key, 1)) EXPECT_EQ(b->size(), 500u);
                else c.put(key, std::string(500, 'z'), 1);
                if (i % 500 == 0) c.clear();
            }
        });
    ts.clear();
    EXPECT_LE(c.bytes(), 64u * 1024u);
}

}  // namespace
}  // namespace gapura::core::web
