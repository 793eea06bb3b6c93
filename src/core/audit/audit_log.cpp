#include "core/audit/audit_log.hpp"

#include <sodium.h>

#include "core/util/strings.hpp"

namespace gapura::core::audit {

db::ModuleMigrations audit_migrations() {
    return {"audit",
            {{1, "audit_log",
              "CREATE TABLE audit_log ("
              " id {{id}}, at BIGINT NOT NULL, actor_id BIGINT, actor_label TEXT NOT NULL,"
              " actor_role TEXT NOT NULL, actor_opd BIGINT, action TEXT NOT NULL, object_type TEXT NOT NULL,"
              " object_id TEXT NOT NULL, summary TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL);"
              "CREATE INDEX audit_log_object ON audit_log (object_type, object_id, id);"
              "CREATE TABLE audit_head (singleton INTEGER PRIMARY KEY CHECK (singleton = 1),"
              " last_id BIGINT NOT NULL, hash TEXT NOT NULL);"}}};
}

namespace {
void field(std::string& buf, std::string_view v) {
    buf += std::to_string(v.size());
    buf += ':';
    buf.append(v);
    buf += '|';
}
std::string opt(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : std::string("-"); }

constexpr const char* kSelect =
    "SELECT id, at, actor_id, actor_label, actor_role, actor_opd, action, object_type, object_id, summary,"
    " prev_hash, hash FROM audit_log";

Entry read_entry(db::Query& q) {
    Entry e;
    e.id = q.integer(0);
    e.at = q.integer(1);
    e.actor_id = q.opt_integer(2);
    e.actor_label = q.text(3);
    e.actor_role = q.text(4);
    e.actor_opd = q.opt_integer(5);
    e.action = q.text(6);
    e.object_type = q.text(7);
    e.object_id = q.text(8);
    e.summary = q.text(9);
    e.prev_hash = q.text(10);
    e.hash = q.text(11);
    return e;
}
}  // namespace

std::string AuditLog::compute_hash(const Entry& e) {
    std::string buf;
    field(buf, e.prev_hash);
    field(buf, std::to_string(e.id));
    field(buf, std::to_string(e.at));
    field(buf, opt(e.actor_id));
    field(buf, e.actor_label);
    field(buf, e.actor_role);
    field(buf, opt(e.actor_opd));
    field(buf, e.action);
    field(buf, e.object_type);
    field(buf, e.object_id);
    field(buf, e.summary);
    unsigned char out[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(out, reinterpret_cast<const unsigned char*>(buf.data()), buf.size());
    return util::hex_encode(std::string_view(reinterpret_cast<const char*>(out), sizeof out));
}

std::int64_t AuditLog::record(db::Connection& c, const Actor& actor, std::string_view action,
                              std::string_view object_type, std::string_view object_id, std::string_view summary,
                              std::int64_t now) {
    Entry e;
    std::int64_t last_id = 0;
    {
        db::Query q(c, "SELECT last_id, hash FROM audit_head WHERE singleton = 1");
        if (q.next()) {
            last_id = q.integer(0);
            e.prev_hash = q.text(1);
        } else {
            e.prev_hash = std::string(64, '0');
        }
        while (q.next()) {
        }
    }
    e.id = last_id + 1;
    e.at = now;
    e.actor_id = actor.user_id;
    e.actor_label = actor.label;
    e.actor_role = actor.role;
    e.actor_opd = actor.opd_id;
    e.action = std::string(action);
    e.object_type = std::string(object_type);
    e.object_id = std::string(object_id);
    e.summary = summary.empty() ? std::string("{}") : std::string(summary);
    e.hash = compute_hash(e);
    db::exec(c,
             "INSERT INTO audit_log (id, at, actor_id, actor_label, actor_role, actor_opd, action, object_type,"
             " object_id, summary, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
             {e.id, e.at, e.actor_id, e.actor_label, e.actor_role, e.actor_opd, e.action, e.object_type, e.object_id,
              e.summary, e.prev_hash, e.hash});
    if (last_id == 0) {
        db::exec(c, "INSERT INTO audit_head (singleton, last_id, hash) VALUES (1, ?, ?)", {e.id, e.hash});
    } else {
        db::exec(c, "UPDATE audit_head SET last_id = ?, hash = ? WHERE singleton = 1", {e.id, e.hash});
    }
    return e.id;
}

VerifyResult AuditLog::verify(db::Database& database) const {
    return database.read([&](db::Connection& c) {
        // One read transaction: the entries and the head from the same snapshot, or a write
        // committed between the two reads looks like deleted entries (`audit verify` beside a
        // live server).
        c.begin(false);
        struct End {
            db::Connection& c;
            ~End() {
                try {
                    c.rollback();
                } catch (...) {
                }
            }
        } end{c};
        VerifyResult r;
        std::string prev(64, '0');
        std::int64_t expected_id = 1;
        db::Query q(c, std::string(kSelect) + " ORDER BY id");
        while (q.next()) {
            Entry e = read_entry(q);
            ++r.checked;
            if (r.ok) {
                if (e.id != expected_id) {
                    r.ok = false;
                    r.bad_id = expected_id;
                    r.problem = "entry " + std::to_string(expected_id) + " is missing (deleted)";
                } else if (e.prev_hash != prev) {
                    r.ok = false;
                    r.bad_id = e.id;
                    r.problem = "entry " + std::to_string(e.id) + " does not follow the previous entry's hash";
                } else if (compute_hash(e) != e.hash) {
                    r.ok = false;
                    r.bad_id = e.id;
                    r.problem = "entry " + std::to_string(e.id) + " was edited (its hash does not match its contents)";
                }
            }
            prev = e.hash;
            expected_id = e.id + 1;
        }
        db::Query h(c, "SELECT last_id, hash FROM audit_head WHERE singleton = 1");
        if (h.next()) {
            r.head_hash = h.text(1);
            if (r.ok && (h.integer(0) != expected_id - 1 || h.text(1) != prev)) {
                r.ok = false;
                r.bad_id = expected_id;
                r.problem = "the newest entries up to " + std::to_string(h.integer(0)) + " are missing (deleted)";
            }
        } else if (r.ok && r.checked > 0) {
            r.ok = false;
            r.problem = "the chain head record is missing";
        }
        while (h.next()) {
        }
        return r;
    });
}

std::vector<Entry> AuditLog::for_object(db::Connection& c, std::string_view type, std::string_view id,
                                        int limit) const {
    std::vector<Entry> out;
    db::Query q(c, std::string(kSelect) + " WHERE object_type = ? AND object_id = ? ORDER BY id DESC LIMIT ?",
                {type, id, limit});
    while (q.next()) out.push_back(read_entry(q));
    return out;
}

std::vector<Entry> AuditLog::recent(db::Connection& c, const std::vector<std::string>& types, int limit,
                                    std::int64_t before_id) const {
    std::vector<Entry> out;
    if (types.empty()) return out;
    std::string sql = std::string(kSelect) + " WHERE id < ? AND object_type IN (";
    std::vector<db::Value> params{before_id};
    for (std::size_t i = 0; i < types.size(); ++i) {
        sql += i ? ", ?" : "?";
        params.emplace_back(types[i]);
    }
    sql += ") ORDER BY id DESC LIMIT ?";
    params.emplace_back(limit);
    db::Query q(c, sql, params);
    while (q.next()) out.push_back(read_entry(q));
    return out;
}

}  // namespace gapura::core::audit
