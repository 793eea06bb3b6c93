// Test entry point: libsodium must be initialised once before any test hashes a password.
#include <gtest/gtest.h>

#include "core/auth/crypto.hpp"

int main(int argc, char** argv) {
    gapura::core::auth::Crypto::init();
    ::testing::InitGoogleTest(&argc, argv);
    return RUN_ALL_TESTS();
}
