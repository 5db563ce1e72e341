package dev.wrenn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.wrenn.host.api.Host;
import dev.wrenn.host.api.HostCapacity;
import dev.wrenn.host.api.HostInfo;
import dev.wrenn.host.grpc.AgentCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A host agent's tie to its control plane: it registers (where to reach it, the certificate to
 * trust there) and then sends its capacity as a heartbeat. A control plane that is down is waited
 * for; one that refuses the token ends the link ({@link #refused}), as the host was removed.
 */
final class ControlPlaneLink implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ControlPlaneLink.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration MAX_RETRY = Duration.ofSeconds(30);

    /** The control plane answered, and not with what the agent asked. */
    static final class RefusedException extends RuntimeException {
        private final int status;

        RefusedException(int status, String message) {
            super(message);
            this.status = status;
        }

        /** 409: the control plane has no registration of this host (a database restored from before it) */
        boolean notRegistered() {
            return status == 409;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(REQUEST_TIMEOUT).build();
    private final URI registerUri;
    private final URI heartbeatUri;
    private final String token;
    private final String advertise;
    private final int port;
    private final AgentCertificate tls;
    private final Host host;
    private final CompletableFuture<String> refused = new CompletableFuture<>();
    private volatile Thread heartbeats;
    private volatile boolean closed;

    /** @param controlPlane the control plane's URL, as clients use it ({@code http://cp:8080} or {@code .../api}) */
    ControlPlaneLink(String controlPlane, String token, String advertise, int port, AgentCertificate tls, Host host) {
        String root = controlPlane.strip().replaceAll("/+$", "").replaceAll("/api$", "");
        URI base = URI.create(root + "/");
        if (base.getScheme() == null || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
            throw new IllegalArgumentException("--control-plane must be an http(s) URL, got '" + controlPlane + "'");
        }
        this.registerUri = base.resolve("api/agent/v1/register");
        this.heartbeatUri = base.resolve("api/agent/v1/heartbeat");
        this.token = token;
        this.advertise = advertise;
        this.port = port;
        this.tls = tls;
        this.host = host;
    }

    /**
     * Registers, waiting for a control plane that cannot be reached, then starts the heartbeats.
     *
     * @return the control plane's answer (host_id, name, draining, heartbeat_interval_sec)
     * @throws RefusedException when the control plane refuses the registration (an unknown token, ...)
     */
    JsonNode start() throws InterruptedException {
        JsonNode answer = withRetries("registering", this::register);
        Duration interval = Duration.ofSeconds(Math.max(1, answer.path("heartbeat_interval_sec").asLong(5)));
        heartbeats = Thread.ofVirtual().name("heartbeat").start(() -> beat(interval));
        return answer;
    }

    /** Completes with the reason when the control plane stops taking this host's heartbeats. */
    CompletableFuture<String> refused() {
        return refused;
    }

    private JsonNode register() throws IOException, InterruptedException {
        HostInfo info = host.info();
        ObjectNode body = JSON.createObjectNode();
        if (advertise != null) body.put("address", advertise);
        body.put("port", port);
        body.put("certificate", tls.pem());
        body.put("vmm", info.vmm());
        body.put("accelerator", info.accelerator());
        body.set("capacity", capacity(host.capacity()));
        return post(registerUri, body);
    }

    private void beat(Duration interval) {
        boolean down = false;
        while (!closed) {
            try {
                Thread.sleep(interval);
                ObjectNode body = JSON.createObjectNode();
                body.set("capacity", capacity(host.capacity()));
                try {
                    post(heartbeatUri, body);
                } catch (RefusedException notRegistered) {
                    if (!notRegistered.notRegistered()) throw notRegistered;
                    register();   // the control plane lost the registration (a restored database): register again
                }
                if (down) log.info("control plane reachable again");
                down = false;
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                if (!down) log.atWarn().addKeyValue("url", heartbeatUri).log("control plane unreachable: {}; retrying", e.toString());
                down = true;
            } catch (RefusedException e) {
                log.atError().log("the control plane refused this host: {}", e.getMessage());
                refused.complete(e.getMessage());
                return;
            }
        }
    }

    private JsonNode withRetries(String what, Call call) throws InterruptedException {
        Duration wait = Duration.ofSeconds(1);
        while (true) {
            try {
                return call.run();
            } catch (IOException e) {
                log.atWarn().addKeyValue("url", registerUri).log("{}: control plane unreachable ({}); retrying in {} s",
                        what, e.toString(), wait.toSeconds());
                Thread.sleep(wait);
                wait = wait.multipliedBy(2).compareTo(MAX_RETRY) > 0 ? MAX_RETRY : wait.multipliedBy(2);
            }
        }
    }

    @FunctionalInterface
    private interface Call {
        JsonNode run() throws IOException, InterruptedException;
    }

    /** @throws IOException for an unreachable control plane or an answer of 5xx (it may do better later) */
    private JsonNode post(URI uri, ObjectNode body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(REQUEST_TIMEOUT)
                .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        HttpResponse<byte[]> r = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        JsonNode answer = r.body().length == 0 ? JSON.createObjectNode() : readOrEmpty(r.body());
        if (r.statusCode() == 200) return answer;
        String message = answer.path("error").path("message").asText("HTTP " + r.statusCode());
        if (r.statusCode() >= 500) throw new IOException(uri + " answered " + r.statusCode() + ": " + message);
        throw new RefusedException(r.statusCode(), message);
    }

    private static JsonNode readOrEmpty(byte[] body) {
        try {
            return JSON.readTree(body);
        } catch (IOException notJson) {
            return JSON.createObjectNode();
        }
    }

    private static ObjectNode capacity(HostCapacity c) {
        ObjectNode o = JSON.createObjectNode();
        o.put("cpus", c.cpus());
        o.put("memory_total_mb", c.memoryTotalMb());
        o.put("memory_free_mb", c.memoryFreeMb());
        o.put("vm_memory_mb", c.vmMemoryMb());
        o.put("vms", c.vms());
        o.put("warm_clones", c.warmClones());
        o.put("disk_free_mb", c.diskFreeMb());
        return o;
    }

    @Override
    public void close() {
        closed = true;
        Thread t = heartbeats;
        if (t != null) t.interrupt();
    }
}
