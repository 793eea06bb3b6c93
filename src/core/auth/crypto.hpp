// Crypto helpers on libsodium: random tokens, SHA-256, HMAC, argon2id password hashes.
// All functions are thread-safe once sodium_init() has run (Crypto::init, called in main).
#pragma once

#include <string>
#include <string_view>

namespace gapura::core::auth {

enum class PasswordCost { min, interactive, moderate };

struct Crypto {
    static void init();  // throws if libsodium cannot start
    static std::string random_token(std::size_t bytes = 32);  // base64url
    static std::string sha256_hex(std::string_view data);
    static std::string hmac_b64(std::string_view key, std::string_view message);
    static std::string hash_password(std::string_view password, PasswordCost cost);
    static bool verify_password(std::string_view hash, std::string_view password);
    static bool equal(std::string_view a, std::string_view b);  // constant time for equal lengths
};

}  // namespace gapura::core::auth
