// Usulan pembangunan: the model of development proposals through the Musrenbang cycle.
// A proposal is submitted by a citizen during the "usulan warga" window of an open planning year,
// then sits at one stage at a time (desa → kecamatan → opd → kabupaten → final) until the
// responsible operator forwards it, sends it back for revision, or rejects it with a public
// reason. At the kabupaten stage "forward" means accepted into the RKPD (program, kegiatan,
// budget); then the responsible OPD reports progress until the work is finished.
//
// Plain value types, no shared state: safe to copy between threads.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gapura::modules::usulan {

// Where a proposal currently waits for a decision. "final" once the kabupaten stage decided
// (accepted into the RKPD, or not) or the proposal was rejected at any stage.
inline constexpr std::array<std::string_view, 5> kStages = {"desa", "kecamatan", "opd", "kabupaten", "final"};
// The planning year's windows, in order: citizens' proposals, then one per decision stage.
inline constexpr std::array<std::string_view, 5> kWindows = {"warga", "desa", "kecamatan", "opd", "kabupaten"};
// submitted: waiting at its stage; revise: sent back to the proposer; rejected: stopped with a
// public reason; accepted: in the RKPD; not_accepted: reached the kabupaten stage but not funded.
inline constexpr std::array<std::string_view, 5> kStatuses = {"submitted", "revise", "rejected", "accepted", "not_accepted"};
inline constexpr std::array<std::string_view, 3> kDecisions = {"forward", "revise", "reject"};

inline bool is_stage(std::string_view s) {
    for (auto x : kStages)
        if (x == s) return true;
    return false;
}
inline bool is_status(std::string_view s) {
    for (auto x : kStatuses)
        if (x == s) return true;
    return false;
}
// Index of a stage in kStages (final = 4); -1 if unknown.
inline int stage_index(std::string_view s) {
    for (std::size_t i = 0; i < kStages.size(); ++i)
        if (kStages[i] == s) return static_cast<int>(i);
    return -1;
}

// Limits shared by the service, the forms and the API.
inline constexpr std::size_t kTitleMax = 150;
inline constexpr std::size_t kLongTextMax = 5000;
inline constexpr std::size_t kAddressMax = 300;
inline constexpr std::size_t kSatuanMax = 30;
inline constexpr std::size_t kCommentMax = 2000;
inline constexpr std::size_t kReasonMax = 1000;
inline constexpr std::size_t kProgramMax = 300;
inline constexpr double kCostMax = 1e13;  // rupiah
inline constexpr double kVolumeMax = 1e9;
inline constexpr std::size_t kMaxPhotos = 5;
inline constexpr std::size_t kPhotoMaxBytes = 5u << 20;
inline constexpr int kApiMaxLimit = 100;

struct Bidang {
    std::string code, name_id, name_en;
};

struct PlanningYear {
    int year = 0;
    // [start, end] unix seconds per window, in kWindows order; inclusive.
    std::array<std::int64_t, 5> start{}, end{};
    std::int64_t opened_at = 0;
    bool window_open(std::size_t w, std::int64_t now) const { return now >= start[w] && now <= end[w]; }
};

struct Proposal {
    std::int64_t id = 0;
    int year = 0;
    std::int64_t user_id = 0;
    std::string proposer;  // as the proposer chose to be shown (full name or initials)
    std::string title, problem, proposal, bidang;
    std::string desa_code, kecamatan_code;
    std::optional<double> lat, lng;
    std::string address;
    double volume = 0;
    std::string satuan;
    std::optional<std::int64_t> cost;
    std::string name_display;  // full | initials
    std::string stage, status;
    std::optional<int> score;
    std::optional<std::int64_t> target_opd_id;
    std::string target_opd_slug, target_opd_name;
    std::string reason;  // public reason of a rejection / non-acceptance
    std::string program, kegiatan;
    std::optional<std::int64_t> budget;
    std::optional<int> progress;
    std::optional<std::int64_t> realised_cost;
    std::optional<std::int64_t> finished_at;
    std::int64_t supports = 0, comments = 0;
    std::int64_t created_at = 0, updated_at = 0;
    bool hidden = false;
    std::vector<std::string> photos;           // sha256 of the proposer's photos
    std::vector<std::string> progress_photos;  // sha256 of the work's photos
};

struct Comment {
    std::int64_t id = 0, proposal_id = 0;
    std::optional<std::int64_t> parent_id;
    std::int64_t user_id = 0;
    std::string author, body;
    std::int64_t created_at = 0;
    bool hidden = false;
    std::string hidden_reason;
    std::int64_t flags = 0;
};

// One public step of a proposal's life (the timeline on its page).
struct Event {
    std::int64_t id = 0, proposal_id = 0, at = 0;
    std::string kind;  // submitted | decision | outcome | progress | hidden
    std::string stage, decision, note, reason, actor;
    std::optional<int> score;
    std::optional<int> progress;
};

struct ListFilter {
    std::string kecamatan, desa, bidang, stage, status, q;
    std::string target_opd;  // the target OPD's slug (its forum decides at the "opd" stage)
    std::optional<int> year;
    std::optional<std::int64_t> before_id;  // keyset cursor: ids below this one
    int limit = 20;
    // west, south, east, north; only proposals with a point inside.
    std::optional<std::array<double, 4>> bbox;
    bool with_point_only = false;
};

// What the map needs of a proposal (the GeoJSON can hold 10,000 of them).
struct MapPoint {
    std::int64_t id = 0;
    std::string title, stage, status, bidang;
    std::int64_t supports = 0;
    std::optional<int> progress;
    bool finished = false;
    double lng = 0, lat = 0;
};

struct MapPage {
    std::vector<MapPoint> items;
    bool truncated = false;
};

struct ListPage {
    std::vector<Proposal> items;
    std::optional<std::int64_t> next_before;  // set when more rows follow
};

}  // namespace gapura::modules::usulan
