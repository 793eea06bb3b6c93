// The command line: `gapura [--config FILE] <command> [options]`. Parses arguments and the
// configuration (file, then environment), runs the command, and returns the exit code:
// 0 success, 1 failure while running, 2 a usage or configuration error (one line on stderr
// naming the flag or setting).
#pragma once

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace gapura {

int run_cli(const std::vector<std::string>& args, const std::map<std::string, std::string>& env, std::istream& in,
            std::ostream& out, std::ostream& err);

}  // namespace gapura
