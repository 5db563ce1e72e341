package dev.wrenn.server.auth;

import dev.wrenn.server.Clock;
import dev.wrenn.server.Ids;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.UserStore;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Users of the dashboard: creation (with their first team), sign-in by password, their teams. */
public final class Accounts {
    private static final Logger log = LoggerFactory.getLogger(Accounts.class);
    public static final int MAX_EMAIL_LENGTH = 254;
    /** Enough to catch a typo or a name pasted in the wrong field; mail delivery is not this server's business. */
    private static final Pattern EMAIL = Pattern.compile("[^@\\s\\p{Cntrl}]+@[^@\\s\\p{Cntrl}]+\\.[^@\\s\\p{Cntrl}]+");
    private static final String WRONG = "wrong email or password";

    private final UserStore users;
    private final KeyService teams;

    public Accounts(UserStore users, KeyService teams) {
        this.users = users;
        this.teams = teams;
    }

    /**
     * Makes a user who belongs to {@code teamName} (created if it does not exist) as {@code role}.
     * The email is kept lowercased; 409 when a user has it already.
     */
    public User create(String email, String password, String teamName, Membership.Role role) {
        String normalized = normalizeEmail(email);
        PasswordHasher.requireAcceptable(password);
        if (users.findByEmail(normalized).isPresent()) {
            throw new ApiException(ErrorCode.CONFLICT, "a user with email " + normalized + " exists already");
        }
        return insertNew(teams.team(teamName).id(), normalized, password, role);
    }

    /** The user whose email and password these are; 401 naming neither which was wrong nor whether the user exists. */
    public User signIn(String email, String password) {
        Optional<User> u = email == null ? Optional.empty() : users.findByEmail(email.strip().toLowerCase(Locale.ROOT));
        if (u.isEmpty()) {
            PasswordHasher.matchNothing(password);   // as slow as a real check: the answer's time tells nothing
            throw new ApiException(ErrorCode.UNAUTHORIZED, WRONG);
        }
        if (!PasswordHasher.matches(password, u.get().passwordHash())) throw new ApiException(ErrorCode.UNAUTHORIZED, WRONG);
        return u.get();
    }

    /** The user's teams, oldest membership first. */
    public List<Membership> memberships(String userId) {
        return users.memberships(userId);
    }

    public Optional<User> user(String id) {
        return users.find(id);
    }

    public List<User> list() {
        return users.list();
    }

    /** Whether nobody can sign in with a password yet (the first-run page makes the first user). */
    public boolean hasNoUsers() {
        return users.isEmpty();
    }

    /** A team's members, the oldest first. */
    public List<UserStore.Member> members(String teamId) {
        return users.members(teamId);
    }

    /**
     * Adds {@code email} to the team as {@code role}: a new user needs {@code password}; an existing
     * one is added as they are (a password given for them is refused, not ignored).
     */
    public User addMember(String teamId, String email, String password, Membership.Role role) {
        String normalized = normalizeEmail(email);
        Optional<User> existing = users.findByEmail(normalized);
        if (existing.isEmpty()) {
            if (password == null) throw ApiException.invalid("password is required for a new user (" + normalized + ")");
            PasswordHasher.requireAcceptable(password);
            return insertNew(teamId, normalized, password, role);
        }
        if (password != null) {
            throw new ApiException(ErrorCode.CONFLICT, "a user with email " + normalized + " exists already; omit password"
                    + " to add them to this team");
        }
        users.setMembership(teamId, existing.get().id(), role, Clock.uniqueMillis());
        log.atInfo().addKeyValue("user", existing.get().id()).addKeyValue("team", teamId).addKeyValue("role", role.wire())
                .log("member added");
        return existing.get();
    }

    /** A new user of {@code normalized} email, a member of the team; 409 if another request took the email first. */
    private User insertNew(String teamId, String normalized, String password, Membership.Role role) {
        User u = new User(Ids.USER.next(), normalized, PasswordHasher.hash(password), Clock.uniqueMillis());
        if (!users.insert(u, teamId, role)) {
            throw new ApiException(ErrorCode.CONFLICT, "a user with email " + normalized + " exists already");
        }
        log.atInfo().addKeyValue("user", u.id()).addKeyValue("team", teamId).addKeyValue("role", role.wire()).log("user created");
        return u;
    }

    /** Takes a user out of the team; 409 for its last owner, 404 for one not in it. */
    public void removeMember(String teamId, String userId) {
        if (users.members(teamId).stream().noneMatch(m -> m.user().id().equals(userId))) {
            throw ApiException.notFound("user " + userId + " is not a member of this team");
        }
        if (!users.removeMembership(teamId, userId)) {
            throw new ApiException(ErrorCode.CONFLICT, "user " + userId + " is the team's last owner; make another member an"
                    + " owner first");
        }
        log.atInfo().addKeyValue("user", userId).addKeyValue("team", teamId).log("member removed");
    }

    /** The role of {@code userId} in the team, if they are in it. */
    public Optional<Membership.Role> role(String teamId, String userId) {
        return users.memberships(userId).stream().filter(m -> m.team().id().equals(teamId)).map(Membership::role).findFirst();
    }

    static String normalizeEmail(String email) {
        if (email == null || email.isBlank()) throw ApiException.invalid("email is required");
        String e = email.strip().toLowerCase(Locale.ROOT);
        if (e.length() > MAX_EMAIL_LENGTH || !EMAIL.matcher(e).matches()) {
            throw ApiException.invalid("email '" + abbreviate(e) + "' is not an email address");
        }
        return e;
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "…";
    }
}
