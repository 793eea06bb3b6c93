// The list of feature modules this build serves, in navigation order. Adding a module is one
// line in modules.cpp.
#pragma once

#include <memory>
#include <vector>

#include "core/module.hpp"

namespace gapura {

std::vector<std::unique_ptr<core::Module>> make_feature_modules(const core::CoreServices& services);

}  // namespace gapura
