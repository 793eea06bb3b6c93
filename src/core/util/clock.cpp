#include "core/util/clock.hpp"

#include <cstdio>
#include <string>
#include <ctime>

namespace gapura {

namespace {
// Days from civil, after Howard Hinnant's public-domain algorithm description.
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

void split_time(std::int64_t t, int& Y, int& M, int& D, int& h, int& m, int& s) {
    std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    gmtime_r(&tt, &tm);
    Y = tm.tm_year + 1900;
    M = tm.tm_mon + 1;
    D = tm.tm_mday;
    h = tm.tm_hour;
    m = tm.tm_min;
    s = tm.tm_sec;
}
}  // namespace

std::string format_iso8601(std::int64_t t, int off) {
    int Y, M, D, h, m, s;
    split_time(t + off * 60, Y, M, D, h, m, s);
    char buf[96];
    if (off == 0) {
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", Y, M, D, h, m, s);
    } else {
        int a = off < 0 ? -off : off;
        std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", Y, M, D, h, m, s,
                      off < 0 ? '-' : '+', a / 60, a % 60);
    }
    return buf;
}

namespace {
// Reads exactly n ASCII digits at text[pos].
bool digits(const std::string& text, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > text.size()) return false;
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        out = out * 10 + (text[i] - '0');
    }
    return true;
}
int days_in_month(int y, int m) {
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}
}  // namespace

bool parse_iso8601(const std::string& text, std::int64_t& out) {
    int Y = 0, M = 0, D = 0, h = 0, m = 0, s = 0;
    const std::size_t n = text.size();
    if (n < 10 || !digits(text, 0, 4, Y) || text[4] != '-' || !digits(text, 5, 2, M) || text[7] != '-' ||
        !digits(text, 8, 2, D))
        return false;
    if (M < 1 || M > 12 || D < 1 || Y < 1900 || D > days_in_month(Y, M)) return false;
    std::int64_t off = 0;
    if (n > 10) {
        if (n < 20 || (text[10] != 'T' && text[10] != ' ') || !digits(text, 11, 2, h) || text[13] != ':' ||
            !digits(text, 14, 2, m) || text[16] != ':' || !digits(text, 17, 2, s))
            return false;
        if (h > 23 || m > 59 || s > 60) return false;
        std::size_t i = 19;
        if (text[i] == '.') {
            std::size_t j = i + 1;
            while (j < n && text[j] >= '0' && text[j] <= '9') ++j;
            if (j == i + 1) return false;  // a dot needs digits
            i = j;
        }
        std::string rest = text.substr(i);
        if (rest == "Z") {
            off = 0;
        } else if (rest.size() == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':') {
            int oh = 0, om = 0;
            if (!digits(rest, 1, 2, oh) || !digits(rest, 4, 2, om) || oh > 14 || om > 59) return false;
            off = (oh * 60 + om) * (rest[0] == '-' ? -1 : 1);
        } else {
            return false;
        }
    }
    out = days_from_civil(Y, static_cast<unsigned>(M), static_cast<unsigned>(D)) * 86400 + h * 3600 + m * 60 + s -
          off * 60;
    return true;
}

std::string format_human(std::int64_t t, int off, const std::string& lang) {
    static const char* id_months[] = {"Jan", "Feb", "Mar", "Apr", "Mei", "Jun",
                                      "Jul", "Agu", "Sep", "Okt", "Nov", "Des"};
    static const char* en_months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int Y, M, D, h, m, s;
    split_time(t + off * 60, Y, M, D, h, m, s);
    // "%d %s %d %02d:%02d" without snprintf (a list page formats a date per row: 2,700 -> ~400
    // instructions each).
    std::string out;
    out.reserve(20);
    auto two = [&out](int v) {
        out += static_cast<char>('0' + v / 10);
        out += static_cast<char>('0' + v % 10);
    };
    out += std::to_string(D);
    out += ' ';
    out += (lang == "en" ? en_months : id_months)[M - 1];
    out += ' ';
    out += std::to_string(Y);
    out += ' ';
    two(h);
    out += ':';
    two(m);
    return out;
}

}  // namespace gapura
