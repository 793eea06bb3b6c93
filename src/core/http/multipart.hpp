// multipart/form-data decoding for uploads held in memory (bodies are bounded per route).
// Text fields must be UTF-8; file parts keep their bytes as they came. Value type.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/http/form.hpp"

namespace gapura::core::http {

struct UploadedFile {
    std::string field;
    std::string filename;       // as the client named it; never trusted for the type
    std::string client_type;    // as the client declared it; never trusted
    std::string data;
};

struct Multipart {
    Form fields;
    std::vector<UploadedFile> files;
};

// Extracts the boundary from a Content-Type header value; nullopt when absent or malformed.
std::optional<std::string> multipart_boundary(std::string_view content_type);
// Parses a complete body. nullopt when malformed, when a text field is not UTF-8, or when
// there are more than max_parts parts.
std::optional<Multipart> parse_multipart(std::string_view body, std::string_view boundary,
                                         std::size_t max_parts = 64);

}  // namespace gapura::core::http
