#include "core/http/multipart.hpp"

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

namespace {
// Reads a parameter like name="x" from a Content-Disposition value, splitting on ';' only
// outside quotes, so a quoted value can never smuggle in another parameter.
std::optional<std::string> disposition_param(std::string_view header, std::string_view key) {
    std::size_t i = header.find(';');
    while (i != std::string_view::npos && i < header.size()) {
        ++i;
        while (i < header.size() && (header[i] == ' ' || header[i] == '\t')) ++i;
        std::size_t eq = header.find('=', i);
        if (eq == std::string_view::npos) return std::nullopt;
        std::string_view name = util::trim(header.substr(i, eq - i));
        std::size_t j = eq + 1;
        std::string value;
        if (j < header.size() && header[j] == '"') {
            ++j;
            while (j < header.size() && header[j] != '"') {
                if (header[j] == '\\' && j + 1 < header.size()) ++j;
                value += header[j++];
            }
            if (j >= header.size()) return std::nullopt;  // unterminated quote
            ++j;
        } else {
            std::size_t end = header.find(';', j);
            value = std::string(util::trim(header.substr(j, end == std::string_view::npos ? end : end - j)));
            j = end == std::string_view::npos ? header.size() : end;
        }
        if (util::iequals(name, key)) return value;
        i = header.find(';', j);
    }
    return std::nullopt;
}
}  // namespace

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

        std::string disposition, type;
        for (auto line : util::split(headers, '\n')) {
            line = util::trim(line);
            auto colon = line.find(':');
            if (colon == std::string_view::npos) return std::nullopt;
            auto name = util::trim(line.substr(0, colon));
            auto value = util::trim(line.substr(colon + 1));
            if (util::iequals(name, "content-disposition")) disposition = std::string(value);
            else if (util::iequals(name, "content-type")) type = std::string(value);
        }
        if (!util::starts_with(util::to_lower_ascii(disposition), "form-data")) return std::nullopt;
        auto field = disposition_param(disposition, "name");
        if (!field || !util::valid_utf8(*field)) return std::nullopt;
        auto filename = disposition_param(disposition, "filename");
        if (filename) {
            if (!util::valid_utf8(*filename)) return std::nullopt;
            out.files.push_back(UploadedFile{*field, *filename, type, std::string(data)});
        } else {
            if (!util::valid_utf8(data)) return std::nullopt;
            out.fields.add(*field, std::string(data));
        }
        pos = next + 2;
    }
}

}  // namespace gapura::core::http
