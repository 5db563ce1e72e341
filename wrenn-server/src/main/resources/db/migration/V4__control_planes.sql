-- Control planes sharing one database. Each process heartbeats its row while it runs; one that
-- stops being heard from is gone. Background work that must run once across them (auto-pause on
-- registered hosts, retention, marking silent hosts, draining) belongs to whoever holds the lease
-- 'housekeeping' until it expires. operation_owner names the control plane running a capsule's
-- operation, so the lease holder finishes the operations of one that died mid-way.
CREATE TABLE control_planes (
    id            VARCHAR(40)  PRIMARY KEY,
    started_at    BIGINT       NOT NULL,
    last_seen_at  BIGINT       NOT NULL
);

CREATE TABLE leases (
    name        VARCHAR(40)  PRIMARY KEY,
    holder      VARCHAR(40)  NOT NULL,
    expires_at  BIGINT       NOT NULL
);

ALTER TABLE capsules ADD COLUMN operation_owner VARCHAR(40);

-- Copies of a snapshot template on hosts other than the one that saved it (snapshot_templates.host_id),
-- made when a capsule of it was placed there; deleting the template deletes them all.
CREATE TABLE template_copies (
    host_name   VARCHAR(64)  NOT NULL REFERENCES snapshot_templates (host_name) ON DELETE CASCADE,
    host_id     VARCHAR(40)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    PRIMARY KEY (host_name, host_id)
);
