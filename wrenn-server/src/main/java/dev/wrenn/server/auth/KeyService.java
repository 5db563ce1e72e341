package dev.wrenn.server.auth;

import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.store.ApiKeyStore;
import dev.wrenn.server.store.TeamStore;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Teams and their API keys: creation (the secret is shown once), listing, revocation. */
public final class KeyService {
    private static final Logger log = LoggerFactory.getLogger(KeyService.class);
    public static final int MAX_NAME_LENGTH = 200;

    /** A key just made: its record and the secret, which is never stored. */
    public record NewKey(ApiKey key, String secret) {}

    private final TeamStore teams;
    private final ApiKeyStore keys;
    private final Authenticator authenticator;

    public KeyService(TeamStore teams, ApiKeyStore keys, Authenticator authenticator) {
        this.teams = teams;
        this.keys = keys;
        this.authenticator = authenticator;
    }

    /** On an empty database: the default team and its first key. Empty when the database has teams. */
    public Optional<NewKey> bootstrap() {
        if (!teams.isEmpty()) return Optional.empty();
        Team team = team(Team.DEFAULT_NAME);
        NewKey k = create(team.id(), "first key");
        log.atInfo().addKeyValue("team", team.name()).addKeyValue("key", k.key().id()).log("created the default team and its first key");
        return Optional.of(k);
    }

    /** The team of that name, created if it does not exist. */
    public Team team(String name) {
        requireName(name, "team name");
        return teams.findOrCreate(new Team(Ids.TEAM.next(), name, Clock.uniqueMillis()));
    }

    public Optional<Team> findTeam(String name) {
        return teams.findByName(name);
    }

    public Optional<Team> teamById(String id) {
        return teams.find(id);
    }

    public NewKey create(String teamId, String name) {
        requireName(name, "name");
        String secret = KeySecrets.generate();
        ApiKey k = new ApiKey(Ids.API_KEY.next(), teamId, name, KeySecrets.hash(secret), KeySecrets.prefix(secret),
                Clock.uniqueMillis(), null, null);
        keys.insert(k);
        log.atInfo().addKeyValue("team", teamId).addKeyValue("key", k.id()).log("API key created");
        return new NewKey(k, secret);
    }

    public List<ApiKey> list(String teamId) {
        return keys.listActive(teamId);
    }

    /** Every team's keys, for the operator's command line. */
    public List<ApiKey> listAll() {
        return keys.listActive();
    }

    /** Revokes a key of the team; it is refused from the next request on. */
    public void revoke(String teamId, String id) {
        requireKeyId(id);
        ApiKey k = keys.findActive(teamId, id).orElseThrow(() -> ApiException.notFound("API key " + id + " does not exist"));
        revoke(k);
    }

    /** Revokes a key of any team (the operator's command line). */
    public void revokeAny(String id) {
        requireKeyId(id);
        revoke(keys.findActive(id).orElseThrow(() -> ApiException.notFound("API key " + id + " does not exist")));
    }

    private void revoke(ApiKey k) {
        keys.revoke(k.id(), Clock.millis());
        authenticator.forget(k.keyHash());
        log.atInfo().addKeyValue("team", k.teamId()).addKeyValue("key", k.id()).log("API key revoked");
    }

    private static void requireKeyId(String id) {
        if (!Ids.API_KEY.matches(id)) {
            throw ApiException.invalid("'" + id + "' is not an API key id: expected key- and 25 of [0-9a-z]");
        }
    }

    private static void requireName(String name, String field) {
        if (name == null || name.isBlank()) throw ApiException.invalid(field + " must not be empty");
        if (name.length() > MAX_NAME_LENGTH) {
            throw ApiException.invalid(field + " is " + name.length() + " characters long; at most " + MAX_NAME_LENGTH);
        }
        if (name.chars().anyMatch(ch -> ch < 0x20 || ch == 0x7f)) {
            throw ApiException.invalid(field + " must not contain control characters");
        }
    }
}
