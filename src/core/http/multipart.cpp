#include "core/http/multipart.hpp"

#include "core/http/multipart_stream.hpp"

#include "core/util/strings.hpp"

namespace gapura::core::http {

std::optional<std::string> multipart_boundary(std::string_view ct) {
    auto semi = ct.find(';');
    if (!util::iequals(util::trim(ct.substr(0, semi)), "multipart/form-data")) return std::nullopt;
    while (semi != std::string_view::npos) {
        auto next = ct.find(';', semi + 1);
        auto param = util::trim(ct.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1));
        auto eq = param.find('=');
        if (eq != std::string_view::npos && util::iequals(util::trim(param.substr(0, eq)), "boundary")) {
            auto v = util::trim(param.substr(eq + 1));
            if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
            if (v.empty() || v.size() > 70) return std::nullopt;
            return std::string(v);
        }
        semi = next;
    }
    return std::nullopt;
}

std::optional<Multipart> parse_multipart(std::string_view body, std::string_view boundary, std::size_t max_parts) {
    Multipart out;
    const std::string delim = "--" + std::string(boundary);
    std::size_t pos = body.find(delim);
    if (pos == std::string_view::npos) return std::nullopt;
    std::size_t parts = 0;
    while (true) {
        pos += delim.size();
        if (body.substr(pos, 2) == "--") return out;  // closing delimiter
        if (body.substr(pos, 2) != "\r\n") return std::nullopt;
        pos += 2;
        auto header_end = body.find("\r\n\r\n", pos);
        if (header_end == std::string_view::npos) return std::nullopt;
        std::string_view headers = body.substr(pos, header_end - pos);
        std::size_t data_start = header_end + 4;
        auto next = body.find("\r\n" + delim, data_start);
        if (next == std::string_view::npos) return std::nullopt;
        std::string_view data = body.substr(data_start, next - data_start);
        if (++parts > max_parts) return std::nullopt;

        auto head = parse_part_head(headers);
        if (!head) return std::nullopt;
        if (head->filename) {
            out.files.push_back(UploadedFile{head->name, *head->filename, head->content_type, std::string(data)});
        } else {
            if (!util::valid_utf8(data)) return std::nullopt;
            out.fields.add(head->name, std::string(data));
        }
        pos = next + 2;
    }
}

}  // namespace gapura::core::http
