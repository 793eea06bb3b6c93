// gapura: the one binary. See `gapura --help`.
#include <malloc.h>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/cli.hpp"

extern char** environ;

int main(int argc, char** argv) {
    // Answers of 20-50 KB are built and freed on every request; with glibc's default 128 KB trim
    // threshold each free gave the pages back and the next request faulted them in again (four
    // page faults per cached list page). Keep up to 16 MB of freed memory per arena instead, and
    // take bodies up to 16 MB (a 10,000-feature GeoJSON is 3 MB) from the heap rather than from
    // fresh mmap()s: setting the trim threshold turns off glibc's adaptive mmap threshold.
    mallopt(M_TRIM_THRESHOLD, 16 << 20);
    mallopt(M_MMAP_THRESHOLD, 16 << 20);
    std::vector<std::string> args(argv, argv + argc);
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return gapura::run_cli(args, env, std::cin, std::cout, std::cerr);
}
