/* store-schema.c — the versioned migrations of riposte's schema (SQLite
 * dialect). Applied in order on open by store-sqlite.c, each in its own
 * transaction together with its schema_migrations row. Never edit a row
 * that has shipped: add one. docs/SCHEMA.md documents every table.
 */
#include "store/store-schema.h"

const rip_store_migration rip_store_migrations[] = {
    { 1, "events",
      /* One row per provider event, deduplicated by (cloud, provider_id). */
      "CREATE TABLE events ("
      " id INTEGER PRIMARY KEY,"
      " cloud TEXT NOT NULL,"
      " provider_id TEXT NOT NULL,"
      " time_ns BIGINT,"
      " time TEXT,"
      " kind TEXT NOT NULL,"
      " format TEXT NOT NULL,"
      " account TEXT,"
      " region TEXT,"
      " actor_type TEXT,"
      " actor_arn TEXT,"
      " principal_id TEXT,"
      " user_name TEXT,"
      " access_key TEXT,"
      " session_issuer TEXT,"
      " mfa INTEGER,"
      " service TEXT,"
      " action TEXT,"
      " read_only INTEGER,"
      " error_code TEXT,"
      " error_message TEXT,"
      " source_ip TEXT,"
      " user_agent TEXT,"
      " detail_type TEXT,"
      " finding_type TEXT,"
      " finding_severity REAL,"
      " finding_severity_label TEXT,"
      " finding_title TEXT,"
      " raw TEXT NOT NULL,"
      " envelope TEXT,"
      " ingested_ns BIGINT NOT NULL,"
      " UNIQUE (cloud, provider_id));"
      "CREATE INDEX events_time ON events (time_ns);"
      "CREATE INDEX events_access_key ON events (access_key, time_ns)"
      " WHERE access_key IS NOT NULL;"
      "CREATE INDEX events_actor_arn ON events (actor_arn, time_ns)"
      " WHERE actor_arn IS NOT NULL;"
      "CREATE INDEX events_session_issuer ON events (session_issuer, time_ns)"
      " WHERE session_issuer IS NOT NULL;"
      "CREATE INDEX events_source_ip ON events (source_ip, time_ns)"
      " WHERE source_ip IS NOT NULL;"
      "CREATE TABLE event_resources ("
      " event_id BIGINT NOT NULL REFERENCES events (id),"
      " type TEXT,"
      " resource_id TEXT,"
      " arn TEXT);"
      "CREATE INDEX event_resources_event ON event_resources (event_id);"
      "CREATE INDEX event_resources_resource_id ON event_resources (resource_id)"
      " WHERE resource_id IS NOT NULL;"
      "CREATE INDEX event_resources_arn ON event_resources (arn)"
      " WHERE arn IS NOT NULL;" },

    { 2, "findings and incidents",
      "CREATE TABLE findings ("
      " id INTEGER PRIMARY KEY,"
      " finding_key TEXT NOT NULL UNIQUE,"
      " source TEXT NOT NULL,"
      " rule_id TEXT,"
      " title TEXT NOT NULL,"
      " severity TEXT NOT NULL,"
      " severity_score REAL,"
      " event_id BIGINT REFERENCES events (id),"
      " time_ns BIGINT NOT NULL,"
      " account TEXT,"
      " region TEXT,"
      " explanation TEXT,"
      " detail TEXT,"
      " created_ns BIGINT NOT NULL);"
      "CREATE INDEX findings_time ON findings (time_ns);"
      "CREATE INDEX findings_event ON findings (event_id);"
      "CREATE TABLE incidents ("
      " id INTEGER PRIMARY KEY,"
      " title TEXT NOT NULL,"
      " severity TEXT NOT NULL,"
      " status TEXT NOT NULL DEFAULT 'open',"
      " phase TEXT NOT NULL DEFAULT 'detected',"
      " owner TEXT,"
      " first_seen_ns BIGINT,"
      " last_seen_ns BIGINT,"
      " created_ns BIGINT NOT NULL,"
      " updated_ns BIGINT NOT NULL);"
      "CREATE INDEX incidents_status ON incidents (status, last_seen_ns);"
      "CREATE TABLE incident_entities ("
      " incident_id BIGINT NOT NULL REFERENCES incidents (id),"
      " type TEXT NOT NULL,"
      " value TEXT NOT NULL,"
      " first_seen_ns BIGINT,"
      " last_seen_ns BIGINT,"
      " PRIMARY KEY (incident_id, type, value));"
      "CREATE INDEX incident_entities_value ON incident_entities (type, value);"
      "CREATE TABLE incident_findings ("
      " incident_id BIGINT NOT NULL REFERENCES incidents (id),"
      " finding_id BIGINT NOT NULL REFERENCES findings (id),"
      " added_ns BIGINT NOT NULL,"
      " PRIMARY KEY (incident_id, finding_id));"
      "CREATE INDEX incident_findings_finding ON incident_findings (finding_id);"
      "CREATE TABLE incident_timeline ("
      " id INTEGER PRIMARY KEY,"
      " incident_id BIGINT NOT NULL REFERENCES incidents (id),"
      " time_ns BIGINT NOT NULL,"
      " kind TEXT NOT NULL,"
      " actor TEXT,"
      " text TEXT NOT NULL,"
      " detail TEXT);"
      "CREATE INDEX incident_timeline_incident ON incident_timeline (incident_id, time_ns);"
      "CREATE TRIGGER incident_timeline_no_update BEFORE UPDATE ON incident_timeline"
      " BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;"
      "CREATE TRIGGER incident_timeline_no_delete BEFORE DELETE ON incident_timeline"
      " BEGIN SELECT RAISE(ABORT, 'incident_timeline is append-only'); END;" },

    { 3, "response and tracking",
      "CREATE TABLE playbook_runs ("
      " id INTEGER PRIMARY KEY,"
      " incident_id BIGINT REFERENCES incidents (id),"
      " playbook TEXT NOT NULL,"
      " state TEXT NOT NULL,"
      " dry_run INTEGER NOT NULL DEFAULT 0,"
      " started_ns BIGINT NOT NULL,"
      " updated_ns BIGINT NOT NULL,"
      " detail TEXT);"
      "CREATE INDEX playbook_runs_state ON playbook_runs (state);"
      "CREATE TABLE approvals ("
      " id INTEGER PRIMARY KEY,"
      " run_id BIGINT NOT NULL REFERENCES playbook_runs (id),"
      " step TEXT NOT NULL,"
      " state TEXT NOT NULL,"
      " requested_ns BIGINT NOT NULL,"
      " decided_ns BIGINT,"
      " decided_by TEXT,"
      " channel TEXT);"
      "CREATE INDEX approvals_run ON approvals (run_id);"
      "CREATE TABLE assets ("
      " id INTEGER PRIMARY KEY,"
      " cloud TEXT NOT NULL,"
      " account TEXT,"
      " region TEXT,"
      " type TEXT NOT NULL,"
      " resource_id TEXT NOT NULL,"
      " arn TEXT,"
      " name TEXT,"
      " tags TEXT,"
      " detail TEXT,"
      " updated_ns BIGINT NOT NULL,"
      " UNIQUE (cloud, account, type, resource_id));"
      "CREATE TABLE exposures ("
      " id INTEGER PRIMARY KEY,"
      " exposure_key TEXT NOT NULL UNIQUE,"
      " title TEXT NOT NULL,"
      " status TEXT NOT NULL DEFAULT 'open',"
      " asset_id BIGINT REFERENCES assets (id),"
      " incident_id BIGINT REFERENCES incidents (id),"
      " opened_ns BIGINT NOT NULL,"
      " updated_ns BIGINT NOT NULL,"
      " verified_ns BIGINT,"
      " detail TEXT);"
      "CREATE TABLE audit_log ("
      " id INTEGER PRIMARY KEY,"
      " time_ns BIGINT NOT NULL,"
      " actor TEXT NOT NULL,"
      " action TEXT NOT NULL,"
      " target TEXT,"
      " detail TEXT,"
      " prev_hash TEXT,"
      " hash TEXT NOT NULL);"
      "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
      " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
      "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
      " BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;" },

    { 4, "finding events and incident merges",
      /* A finding's member events (a correlation hit has many; findings.
       * event_id names only the first), and where a merged incident went. */
      "CREATE TABLE finding_events ("
      " finding_id BIGINT NOT NULL REFERENCES findings (id),"
      " event_id BIGINT NOT NULL REFERENCES events (id),"
      " PRIMARY KEY (finding_id, event_id));"
      "CREATE INDEX finding_events_event ON finding_events (event_id);"
      "ALTER TABLE incidents ADD COLUMN merged_into BIGINT REFERENCES incidents (id);" },

    { 5, "asset relations",
      /* The inventory's edges: an asset points at another asset (or at a
       * thing riposte does not keep as an asset, such as a volume) by type
       * and provider id, so a relation survives the target being synced
       * later, or never. Replaced as a whole each time the asset is put. */
      "CREATE TABLE asset_relations ("
      " asset_id BIGINT NOT NULL REFERENCES assets (id),"
      " target_type TEXT NOT NULL,"
      " target_id TEXT NOT NULL,"
      " PRIMARY KEY (asset_id, target_type, target_id));"
      "CREATE INDEX asset_relations_target ON asset_relations (target_type, target_id);"
      "CREATE INDEX assets_type ON assets (type);"
      "CREATE INDEX assets_resource ON assets (resource_id);" },
    { 6, "playbook run steps, notifications, audit head",
      /* The run engine (src/respond/engine.c): a run's incident context is
       * frozen when it starts; each step is a state machine row whose intent
       * (the resolved call, with its idempotency key) is committed before
       * the call and whose result after it. Notifications wait in an outbox
       * written in the same transaction as the step that sends them. The
       * audit log's newest (id, hash) is kept beside it so that removing
       * entries from its end is detected too. */
      "ALTER TABLE playbook_runs ADD COLUMN context TEXT;"
      "ALTER TABLE playbook_runs ADD COLUMN detected_ns BIGINT;"
      "ALTER TABLE playbook_runs ADD COLUMN ended_ns BIGINT;"
      "CREATE UNIQUE INDEX playbook_runs_once ON playbook_runs (incident_id, playbook, dry_run);"
      "CREATE TABLE run_steps ("
      " run_id BIGINT NOT NULL REFERENCES playbook_runs (id),"
      " step TEXT NOT NULL,"
      " position INTEGER NOT NULL,"
      " kind TEXT NOT NULL,"
      " action TEXT,"
      " state TEXT NOT NULL,"
      " attempts INTEGER NOT NULL DEFAULT 0,"
      " idempotency_key TEXT NOT NULL,"
      " intent TEXT,"
      " result TEXT,"
      " not_before_ns BIGINT NOT NULL DEFAULT 0,"
      " deadline_ns BIGINT NOT NULL DEFAULT 0,"
      " approved INTEGER NOT NULL DEFAULT 0,"
      " decided_by TEXT,"
      " decided_ns BIGINT,"
      " reason TEXT,"
      " started_ns BIGINT,"
      " ended_ns BIGINT,"
      " updated_ns BIGINT NOT NULL,"
      " PRIMARY KEY (run_id, step));"
      "ALTER TABLE approvals ADD COLUMN reason TEXT;"
      "CREATE TABLE notifications ("
      " id INTEGER PRIMARY KEY,"
      " incident_id BIGINT REFERENCES incidents (id),"
      " run_id BIGINT REFERENCES playbook_runs (id),"
      " step TEXT,"
      " channel TEXT NOT NULL,"
      " severity TEXT NOT NULL,"
      " message TEXT NOT NULL,"
      " created_ns BIGINT NOT NULL,"
      " delivered_ns BIGINT,"
      " attempts INTEGER NOT NULL DEFAULT 0,"
      " last_error TEXT);"
      "CREATE INDEX notifications_pending ON notifications (delivered_ns, id);"
      "CREATE TABLE audit_head ("
      " id INTEGER PRIMARY KEY CHECK (id = 1),"
      " last_id BIGINT NOT NULL,"
      " hash TEXT NOT NULL);" },

    { 7, "event records apart, event resources by position",
      /* Ingest speed and cold queries (issue 4). The original record and
       * its envelope, about 80% of an events row, move to event_raw, one
       * row per event keyed by its id: events shrinks to its normalized
       * columns (about 1.8 GB -> 0.4 GB per million CloudTrail events), so
       * the pages an investigation reads hold several times more events,
       * and a raw record is appended at the end of its own table instead of
       * being written into events' pages. event_resources is keyed by
       * (event_id, position) without a row id, which saves a table and an
       * index insert per resource. Self-contained: it only needs version 5's
       * events and event_resources. */
      "CREATE TABLE event_raw ("
      " event_id INTEGER PRIMARY KEY REFERENCES events (id),"
      " raw TEXT NOT NULL,"
      " envelope TEXT);"
      "INSERT INTO event_raw (event_id, raw, envelope) SELECT id, raw, envelope FROM events;"
      "ALTER TABLE events DROP COLUMN raw;"
      "ALTER TABLE events DROP COLUMN envelope;"
      "CREATE TABLE event_resources_by_position ("
      " event_id BIGINT NOT NULL REFERENCES events (id),"
      " position INTEGER NOT NULL,"
      " type TEXT,"
      " resource_id TEXT,"
      " arn TEXT,"
      " PRIMARY KEY (event_id, position)) WITHOUT ROWID;"
      "INSERT INTO event_resources_by_position (event_id, position, type, resource_id, arn)"
      " SELECT event_id, ROW_NUMBER() OVER (PARTITION BY event_id ORDER BY rowid) - 1,"
      " type, resource_id, arn FROM event_resources;"
      "DROP TABLE event_resources;"
      "ALTER TABLE event_resources_by_position RENAME TO event_resources;"
      "CREATE INDEX event_resources_resource_id ON event_resources (resource_id)"
      " WHERE resource_id IS NOT NULL;"
      "CREATE INDEX event_resources_arn ON event_resources (arn)"
      " WHERE arn IS NOT NULL;" },

    { 8, "asset last change",
      /* The inventory kept current by events (src/inventory/apply.c): each
       * asset remembers the provider id and time of the event that last
       * changed it. A snapshot leaves them as they are. */
      "ALTER TABLE assets ADD COLUMN last_event_id TEXT;"
      "ALTER TABLE assets ADD COLUMN last_event_ns BIGINT;" },

    { 9, "notification last attempt",
      /* The outbox's retry backoff (src/notify/deliver.c): a row's next
       * try is its last attempt plus a delay that grows with attempts, so
       * each failed try records when it was made. NULL: never tried. */
      "ALTER TABLE notifications ADD COLUMN last_attempt_ns BIGINT;" },

    { 10, "lighter event indexes",
      /* Ingest speed (issue 4): each index entry is a B-tree insert per
       * event or resource, and event_resources' two indexes were a third of
       * what a plain load of CloudTrail events costs. events_time answered
       * no query of riposte's (every events query has a key). An ARN is
       * nearly always found through resource_id, its last part (after the
       * last '/' or ':', rip_rec_tail()): riposte looks an ARN up as
       * resource_id = each part of it after a '/' or ':' AND arn = the ARN.
       * Only the other rows, whose ARN does not end with '/' or ':' +
       * resource_id, are marked arn_indexed = 1 and keep an ARN index
       * entry (the writer decides; the SQL below marks the rows already
       * stored). */
      "DROP INDEX events_time;"
      "DROP INDEX event_resources_arn;"
      "ALTER TABLE event_resources ADD COLUMN arn_indexed INTEGER;"
      "UPDATE event_resources SET arn_indexed = 1"
      " WHERE arn IS NOT NULL AND (resource_id IS NULL OR"
      " (substr(arn, -length(resource_id) - 1) <> ('/' || resource_id) AND"
      " substr(arn, -length(resource_id) - 1) <> (':' || resource_id)));"
      "CREATE INDEX event_resources_arn ON event_resources (arn)"
      " WHERE arn_indexed IS NOT NULL;" },
};

const size_t rip_store_nmigrations =
    sizeof(rip_store_migrations) / sizeof(rip_store_migrations[0]);
