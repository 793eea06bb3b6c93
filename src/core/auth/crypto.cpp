#include "core/auth/crypto.hpp"

#include <sodium.h>

#include <semaphore>
#include <stdexcept>

#include "core/util/strings.hpp"

namespace gapura::core::auth {

namespace {
// argon2id needs tens of MiB per hash: at most two at once keeps memory bounded under a burst.
std::counting_semaphore<2> g_hash_slots{2};
struct SlotGuard {
    SlotGuard() { g_hash_slots.acquire(); }
    ~SlotGuard() { g_hash_slots.release(); }
};
}  // namespace

void Crypto::init() {
    if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string Crypto::random_token(std::size_t bytes) {
    std::string buf(bytes, '\0');
    randombytes_buf(buf.data(), buf.size());
    return util::base64url_encode(buf);
}

std::string Crypto::sha256_hex(std::string_view data) {
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(data.data()), data.size());
    return util::hex_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string Crypto::hmac_b64(std::string_view key, std::string_view message) {
    unsigned char out[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, reinterpret_cast<const unsigned char*>(key.data()), key.size());
    crypto_auth_hmacsha256_update(&st, reinterpret_cast<const unsigned char*>(message.data()), message.size());
    crypto_auth_hmacsha256_final(&st, out);
    return util::base64url_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::string Crypto::hash_password(std::string_view password, PasswordCost cost) {
    unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    std::size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
    if (cost == PasswordCost::min) {
        ops = crypto_pwhash_OPSLIMIT_MIN;
        mem = crypto_pwhash_MEMLIMIT_MIN;
    } else if (cost == PasswordCost::moderate) {
        ops = crypto_pwhash_OPSLIMIT_MODERATE;
        mem = crypto_pwhash_MEMLIMIT_MODERATE;
    }
    char out[crypto_pwhash_STRBYTES];
    SlotGuard slot;
    if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        throw std::runtime_error("password hashing ran out of memory");
    return out;
}

bool Crypto::verify_password(std::string_view hash, std::string_view password) {
    std::string h(hash);
    SlotGuard slot;
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool Crypto::equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace gapura::core::auth
