// Catalog: the service catalog read once at start from data/services.json (see the comment in
// that file for the SLA notation). Texts are Indonesian with English twins under the same key
// plus "_en" (a missing twin is the Indonesian text). Immutable after loading; shared by all
// threads.
#pragma once

#include <string>
#include <vector>

#include "modules/layanan/layanan.hpp"

namespace gapura::modules::layanan {

class Catalog {
public:
    // Throws std::runtime_error naming the file and the problem (unknown datatype, a list
    // attribute without values, duplicate codes or orders, a bad SLA target, ...). OPD slugs are
    // checked by the module against the regency's OPDs.
    static Catalog load(const std::string& path);
    static Catalog parse(const std::string& json_text, const std::string& origin);

    const std::vector<Service>& services() const { return services_; }
    const Service* find(const std::string& code) const;
    const std::vector<int>& escalation_offsets_hours() const { return offsets_; }
    // Routes every service whose OPD slug is not in `known` to `fallback` (another regency's
    // deployment with different OPD names); returns the codes of the services moved.
    std::vector<std::string> route_unknown_opds(const std::vector<std::string>& known, const std::string& fallback);

private:
    std::vector<Service> services_;
    std::vector<int> offsets_{8, 0};
};

}  // namespace gapura::modules::layanan
