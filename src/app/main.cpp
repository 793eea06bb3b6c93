// gapura: the one binary. See `gapura --help`.
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "app/cli.hpp"

extern char** environ;

int main(int argc, char** argv) {
    std::vector<std::string> args(argv, argv + argc);
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
    }
    return gapura::run_cli(args, env, std::cin, std::cout, std::cerr);
}
