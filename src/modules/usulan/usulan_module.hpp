// The usulan module (development proposals through the Musrenbang cycle): the factory main calls.
#pragma once

#include <memory>

#include "core/module.hpp"

namespace gapura::modules::usulan {

std::unique_ptr<core::Module> make_usulan_module(const core::CoreServices& services);

}  // namespace gapura::modules::usulan
