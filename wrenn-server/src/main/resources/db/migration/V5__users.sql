-- People who sign in to the dashboard. email is kept lowercased; password_hash is Argon2id in the
-- PHC string format (its parameters inside it).
CREATE TABLE users (
    id             VARCHAR(40)   PRIMARY KEY,
    email          VARCHAR(254)  NOT NULL UNIQUE,
    password_hash  VARCHAR(200)  NOT NULL,
    created_at     BIGINT        NOT NULL
);

-- Which teams a user belongs to, as owner (manages the team's members) or member.
CREATE TABLE team_members (
    team_id     VARCHAR(40)  NOT NULL REFERENCES teams (id),
    user_id     VARCHAR(40)  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role        VARCHAR(16)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    PRIMARY KEY (team_id, user_id)
);

-- Signed-in browsers. id_hash is the SHA-256 of the secret in the session cookie (the secret is
-- never stored). A session is a user's in one of their teams, or one opened with an API key
-- (key_id, user_id NULL), which ends when the key is revoked. csrf_token must come back in the
-- X-CSRF-Token header of every request that changes something.
CREATE TABLE sessions (
    id_hash     VARCHAR(64)  PRIMARY KEY,
    team_id     VARCHAR(40)  NOT NULL REFERENCES teams (id),
    user_id     VARCHAR(40)  REFERENCES users (id) ON DELETE CASCADE,
    key_id      VARCHAR(40),
    csrf_token  VARCHAR(64)  NOT NULL,
    created_at  BIGINT       NOT NULL,
    expires_at  BIGINT       NOT NULL
);
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
