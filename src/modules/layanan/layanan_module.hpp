// The layanan module: public reports (web form, tracking page, Open311 GeoReport v2 in JSON and
// XML) and Diskominfo's "lifetime guarantee" service desk (internal faults against assets, staff
// queue per OPD, SLA clocks on the working calendar, escalations, asset history). Handlers are
// thin: parse, call LayananService, render.
#pragma once

#include <memory>

#include "core/module.hpp"

namespace gapura::modules::layanan {

std::unique_ptr<core::Module> make_layanan_module(const core::CoreServices& services);

}  // namespace gapura::modules::layanan
