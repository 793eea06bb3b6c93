#include "app/modules.hpp"

// Each module folder that CMake builds defines GAPURA_MODULE_<NAME> (see CMakeLists.txt).
#ifdef GAPURA_MODULE_LAYANAN
#include "modules/layanan/layanan_module.hpp"
#endif
#ifdef GAPURA_MODULE_USULAN
#include "modules/usulan/usulan_module.hpp"
#endif
#ifdef GAPURA_MODULE_SATUDATA
#include "modules/satudata/satudata_module.hpp"
#endif

namespace gapura {

std::vector<std::unique_ptr<core::Module>> make_feature_modules(const core::CoreServices& services) {
    std::vector<std::unique_ptr<core::Module>> out;
#ifdef GAPURA_MODULE_LAYANAN
    out.push_back(modules::layanan::make_layanan_module(services));
#endif
#ifdef GAPURA_MODULE_USULAN
    out.push_back(modules::usulan::make_usulan_module(services));
#endif
#ifdef GAPURA_MODULE_SATUDATA
    out.push_back(modules::satudata::make_satudata_module(services));
#endif
    (void)services;
    return out;
}

}  // namespace gapura
