package dev.wrenn.server.proxy;

import dev.wrenn.server.capsule.CapsuleNetwork;
import dev.wrenn.server.capsule.PortAccess;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** Whether a request may reach a capsule's ports (api.md §9): anyone for public capsules, the token's holder otherwise. */
final class PortAccessCheck {
    static final String TOKEN_HEADER = "X-Wrenn-Traffic-Token";
    static final String TOKEN_PARAM = "wrenn_token";

    private PortAccessCheck() {}

    /**
     * @param presented the header's token, else the query parameter's, else null
     * @throws ProxyFailure 401 unless the capsule is public or {@code presented} is its token
     */
    static void check(String capsuleId, CapsuleNetwork network, String presented) {
        if (network.portAccess() == PortAccess.PUBLIC) return;
        // constant time: how much of a guess matched must not show in the answer's timing
        if (presented == null || !MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                network.trafficToken().getBytes(StandardCharsets.UTF_8))) {
            throw new ProxyFailure(401, "the ports of capsule " + capsuleId + " need its traffic token: send it as header "
                    + TOKEN_HEADER + " or as query parameter ?" + TOKEN_PARAM + "=");
        }
    }
}
