package dev.wrenn.server.proxy;

import static dev.wrenn.server.capsule.CapsuleStatus.ERROR;
import static dev.wrenn.server.capsule.CapsuleStatus.RUNNING;
import static dev.wrenn.server.capsule.CapsuleStatus.STOPPED;

import dev.wrenn.server.capsule.CapsuleRecord;
import dev.wrenn.server.capsule.CapsuleService;
import java.time.Duration;

/**
 * Decides whether a proxied request may go through to its capsule (api.md §9), and makes the
 * capsule ready when it may: a booting one is awaited, a paused {@code auto_resume} one resumed.
 * There is no API key here: the capsule id (128 random bits) is the secret, or its traffic token.
 */
final class PortGate {
    /** How long a request waits for a boot or an automatic resume. */
    static final Duration READY_WAIT = Duration.ofSeconds(60);

    private final CapsuleService capsules;
    private final AutoResume autoResume;

    PortGate(CapsuleService capsules) {
        this.capsules = capsules;
        this.autoResume = new AutoResume(capsules);
    }

    /**
     * The running capsule the request may reach.
     *
     * @param token the traffic token the request carries, or null
     * @throws ProxyFailure 404 unknown or stopped, 401 without its token, 409 not running (and not resumable)
     */
    CapsuleRecord admit(PortRoute route, String token) {
        String id = route.capsuleId();
        CapsuleRecord c = capsules.find(id).filter(r -> r.status() != STOPPED && r.status() != ERROR)
                .orElseThrow(() -> new ProxyFailure(404, "capsule " + id + " does not exist or is stopped"));
        PortAccessCheck.check(id, c.network(), token);
        c = switch (c.status()) {
            case PENDING, STARTING -> capsules.afterBoot(c, READY_WAIT);
            case PAUSED -> resumed(c);
            default -> c;
        };
        if (c.status() != RUNNING) {
            throw new ProxyFailure(409, "capsule " + id + " is " + c.status().wire() + "; only a running capsule serves its ports");
        }
        return c;
    }

    private CapsuleRecord resumed(CapsuleRecord c) {
        if (!c.network().autoResume()) {
            throw new ProxyFailure(409, "capsule " + c.id() + " is paused and was not created with auto_resume;"
                    + " resume it (POST /v1/capsules/" + c.id() + "/resume) to reach its ports");
        }
        autoResume.resume(c, READY_WAIT);
        return capsules.get(c.teamId(), c.id());
    }
}
