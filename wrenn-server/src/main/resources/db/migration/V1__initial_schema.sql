-- Portable SQL: the same migration runs on SQLite and PostgreSQL. Times are epoch milliseconds.

CREATE TABLE teams (
    id          VARCHAR(40)  PRIMARY KEY,
    name        VARCHAR(200) NOT NULL UNIQUE,
    created_at  BIGINT       NOT NULL
);

CREATE TABLE api_keys (
    id            VARCHAR(40)  PRIMARY KEY,
    team_id       VARCHAR(40)  NOT NULL REFERENCES teams (id),
    name          VARCHAR(200) NOT NULL,
    key_hash      VARCHAR(64)  NOT NULL UNIQUE,
    key_prefix    VARCHAR(20)  NOT NULL,
    created_at    BIGINT       NOT NULL,
    last_used_at  BIGINT,
    revoked_at    BIGINT
);
CREATE INDEX api_keys_by_team ON api_keys (team_id, created_at);

-- operation: the lifecycle operation in flight (create, pause, resume, destroy, snapshot), or NULL.
-- It serializes operations on one capsule and tells a restarted server what was interrupted.
-- host_id: the host agent whose VM (or pause files) the capsule is; only its control plane acts on it.
CREATE TABLE capsules (
    id                    VARCHAR(40)   PRIMARY KEY,
    team_id               VARCHAR(40)   NOT NULL REFERENCES teams (id),
    host_id               VARCHAR(40)   NOT NULL,
    status                VARCHAR(16)   NOT NULL,
    status_reason         VARCHAR(1000),
    template              VARCHAR(64)   NOT NULL,
    host_template         VARCHAR(64)   NOT NULL,
    vcpus                 INTEGER       NOT NULL,
    memory_mb             INTEGER       NOT NULL,
    timeout_sec           INTEGER       NOT NULL,
    metadata              TEXT          NOT NULL,
    created_at            BIGINT        NOT NULL,
    last_updated          BIGINT        NOT NULL,
    started_at            BIGINT,
    last_active_at        BIGINT,
    operation             VARCHAR(16),
    operation_started_at  BIGINT
);
CREATE INDEX capsules_by_team ON capsules (team_id, created_at);
CREATE INDEX capsules_by_host_status ON capsules (host_id, status);

-- A team's snapshot templates. host_name is the template's name on the host, derived from team and
-- name, so that two teams can both have a template called "my-env".
CREATE TABLE snapshot_templates (
    team_id            VARCHAR(40)  NOT NULL REFERENCES teams (id),
    name               VARCHAR(64)  NOT NULL,
    host_name          VARCHAR(64)  NOT NULL UNIQUE,
    vcpus              INTEGER      NOT NULL,
    memory_mb          INTEGER      NOT NULL,
    size_bytes         BIGINT       NOT NULL,
    source_capsule_id  VARCHAR(40)  NOT NULL,
    created_at         BIGINT       NOT NULL,
    PRIMARY KEY (team_id, name)
);
