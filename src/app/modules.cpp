#include "app/modules.hpp"

namespace gapura {

std::vector<std::unique_ptr<core::Module>> make_feature_modules(const core::CoreServices& services) {
    (void)services;
    std::vector<std::unique_ptr<core::Module>> out;
    return out;
}

}  // namespace gapura
