-- Host agents on other machines (`wrenn hosts add`, `wrenn agent`). token_hash: SHA-256 of the token
-- the agent presents when it registers and heartbeats; call_key: what control planes present on their
-- calls to the agent (derived from the token, which is itself never stored). address and certificate
-- come with the registration: control planes connect there and trust exactly that certificate.
-- The capacity columns are the agent's last heartbeat; last_seen_at tells a silent host, which a
-- control plane marks with unreachable_at (cleared by its next registration or heartbeat).
-- A snapshot template lives on the host it was saved on: host_id. NULL for templates from before
-- (made by the embedded host of the single control plane that then existed).
ALTER TABLE snapshot_templates ADD COLUMN host_id VARCHAR(40);

CREATE TABLE hosts (
    id                VARCHAR(40)   PRIMARY KEY,
    name              VARCHAR(100)  NOT NULL UNIQUE,
    token_hash        VARCHAR(64)   NOT NULL UNIQUE,
    call_key          VARCHAR(64)   NOT NULL,
    draining          INTEGER       NOT NULL DEFAULT 0,
    address           VARCHAR(300),
    certificate       TEXT,
    vmm               VARCHAR(40),
    accelerator       VARCHAR(40),
    cpus              INTEGER       NOT NULL DEFAULT 0,
    memory_total_mb   BIGINT        NOT NULL DEFAULT 0,
    memory_free_mb    BIGINT        NOT NULL DEFAULT 0,
    vm_memory_mb      BIGINT        NOT NULL DEFAULT 0,
    disk_free_mb      BIGINT        NOT NULL DEFAULT 0,
    vms               INTEGER       NOT NULL DEFAULT 0,
    warm_clones       INTEGER       NOT NULL DEFAULT 0,
    created_at        BIGINT        NOT NULL,
    registered_at     BIGINT,
    last_seen_at      BIGINT,
    unreachable_at    BIGINT
);
