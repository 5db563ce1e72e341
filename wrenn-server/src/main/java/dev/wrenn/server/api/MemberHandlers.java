package dev.wrenn.server.api;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.server.Ids;
import dev.wrenn.server.Json;
import dev.wrenn.server.auth.Accounts;
import dev.wrenn.server.auth.Caller;
import dev.wrenn.server.auth.Membership;
import dev.wrenn.server.auth.User;
import dev.wrenn.server.error.ApiException;
import dev.wrenn.server.error.ErrorCode;
import dev.wrenn.server.store.UserStore;
import io.javalin.http.Context;

/**
 * The members of the caller's team (api.md §10): everyone of the team sees them; an owner, or an
 * API key of the team (the first-run page signs in with the installation's first key), changes them.
 */
final class MemberHandlers {
    private final Accounts accounts;

    MemberHandlers(Accounts accounts) {
        this.accounts = accounts;
    }

    void list(Context ctx, Caller caller) {
        Render.json(ctx, 200, Views.array(accounts.members(caller.teamId()), MemberHandlers::view));
    }

    void add(Context ctx, Caller caller) {
        requireOwner(caller);
        Body body = Body.of(ctx);
        Membership.Role role = Membership.Role.fromWire(Params.abbreviate(body.string("role").orElse("member")));
        User u = accounts.addMember(caller.teamId(), body.requiredString("email"), body.string("password").orElse(null), role);
        Render.json(ctx, 201, accounts.members(caller.teamId()).stream().filter(m -> m.user().id().equals(u.id())).findFirst()
                .map(MemberHandlers::view).orElseThrow());
    }

    void remove(Context ctx, Caller caller) {
        requireOwner(caller);
        String userId = ctx.pathParam("user_id");
        if (!Ids.USER.matches(userId)) throw ApiException.invalid("'" + Params.abbreviate(userId) + "' is not a user id (user-…)");
        accounts.removeMember(caller.teamId(), userId);
        ctx.status(204);
    }

    private void requireOwner(Caller caller) {
        if (caller.isUser() && accounts.role(caller.teamId(), caller.principal()).orElse(null) != Membership.Role.OWNER) {
            throw new ApiException(ErrorCode.FORBIDDEN, "only an owner of the team changes its members");
        }
    }

    private static ObjectNode view(UserStore.Member m) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("user_id", m.user().id());
        o.put("email", m.user().email());
        o.put("role", m.role().wire());
        o.put("joined_at", Views.time(m.joinedAt()));
        return o;
    }
}
