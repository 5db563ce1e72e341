package dev.wrenn.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.host.HostAgent;
import dev.wrenn.host.HostConfig;
import dev.wrenn.host.grpc.AgentCertificate;
import dev.wrenn.host.grpc.HostAgentServer;
import dev.wrenn.host.grpc.HostCredential;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code wrenn agent}: this machine's host agent for a control plane elsewhere, until SIGTERM or
 * SIGINT (its VMs run on, and a new agent on the same data dir takes them over).
 */
@Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run this machine's host agent for a control plane on another machine (wrenn hosts add gives the token).")
final class AgentCommand implements Callable<Integer> {
    private static final Logger log = LoggerFactory.getLogger(AgentCommand.class);
    /** How long a stop signal waits for the agent to let go of its VMs. */
    private static final Duration STOP_TIMEOUT = Duration.ofMinutes(2);

    @Spec
    CommandSpec spec;

    @Option(names = "--control-plane", required = true, paramLabel = "URL", defaultValue = "${env:WRENN_CONTROL_PLANE}",
            description = "The control plane's URL, e.g. https://wrenn.example.com (env WRENN_CONTROL_PLANE).")
    String controlPlane;

    @Option(names = "--token", required = true, paramLabel = "TOKEN", defaultValue = "${env:WRENN_HOST_TOKEN}",
            description = "This host's token from `wrenn hosts add` (env WRENN_HOST_TOKEN).")
    String token;

    @Option(names = "--data-dir", paramLabel = "DIR", defaultValue = "${env:WRENN_DATA_DIR:-.wrenn-agent}",
            description = "Capsules, templates and the agent's TLS key (default: ${DEFAULT-VALUE}; env WRENN_DATA_DIR).")
    Path dataDir;

    @Option(names = "--listen", paramLabel = "ADDR:PORT", defaultValue = "0.0.0.0:7443",
            description = "Where control planes connect, over TLS (default: ${DEFAULT-VALUE}; port 0: any free one).")
    String listen;

    @Option(names = "--advertise", paramLabel = "ADDR",
            description = "The address control planes use for this host (default: the one its registration comes from).")
    String advertise;

    @Option(names = "--prepare-templates", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Boot the built-in templates at start rather than at the first create here (default: ${DEFAULT-VALUE}).")
    boolean prepareTemplates;

    @Override
    public Integer call() throws Exception {
        HostCredential.checked(token);
        InetSocketAddress address = listenAddress(listen);
        Path dir = dataDir.toAbsolutePath().normalize();
        CompletableFuture<String> ended = new CompletableFuture<>();   // null: stopped by a signal; else why refused
        CountDownLatch cleanedUp = new CountDownLatch(1);
        Thread main = Thread.currentThread();
        AtomicBoolean waitingForControlPlane = new AtomicBoolean();
        // the JVM ends once the hook returns: the hook waits for the agent to let go of its VMs
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            ended.complete(null);
            if (waitingForControlPlane.get()) main.interrupt();
            try {
                cleanedUp.await(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "wrenn-agent-shutdown"));

        HostAgent agent = null;
        HostAgentServer server = null;
        ControlPlaneLink link = null;
        try {
            agent = HostAgent.start(HostConfig.defaults(dir, ServerCommand.repoDir()));
            AgentCertificate tls = AgentCertificate.inDir(dir.resolve("tls"));
            server = HostAgentServer.start(agent, address, tls, HostCredential.callKey(token));
            link = new ControlPlaneLink(controlPlane, token, advertise, server.port(), tls, agent);
            JsonNode registered;
            waitingForControlPlane.set(true);
            try {
                registered = link.start();
            } catch (InterruptedException stoppedMeanwhile) {
                return 0;
            } finally {
                waitingForControlPlane.set(false);
            }
            link.refused().thenAccept(ended::complete);
            PrintWriter out = spec.commandLine().getOut();
            out.println("Wrenn host agent " + registered.path("name").asText() + " (" + registered.path("host_id").asText()
                    + "): listening on " + address.getHostString() + ":" + server.port() + ", registered with " + controlPlane);
            out.println("TLS certificate SHA-256: " + tls.fingerprint());
            out.flush();
            if (prepareTemplates) prepareTemplates(agent);
            String why = ended.get();
            if (why != null) {
                spec.commandLine().getErr().println("wrenn agent: the control plane refused this host: " + why);
                return 1;
            }
            return 0;
        } catch (ControlPlaneLink.RefusedException e) {
            spec.commandLine().getErr().println("wrenn agent: the control plane refused the registration: " + e.getMessage());
            return 2;
        } finally {
            if (link != null) link.close();
            if (server != null) server.close();
            if (agent != null) {
                agent.close();
                log.info("host agent stopped; its VMs run on");
            }
            cleanedUp.countDown();
        }
    }

    private static void prepareTemplates(HostAgent agent) {
        Thread.ofPlatform().name("prepare-templates").daemon().start(() -> {
            for (String t : agent.builtInTemplates()) {
                try {
                    agent.prepareBuiltIn(t);
                    log.atInfo().addKeyValue("template", t).log("built-in template ready");
                } catch (RuntimeException e) {
                    log.atError().addKeyValue("template", t).setCause(e).log("could not prepare a built-in template");
                }
            }
        });
    }

    /** {@code ADDR:PORT} or {@code [V6]:PORT}. */
    static InetSocketAddress listenAddress(String text) {
        int colon = text.lastIndexOf(':');
        if (colon <= 0) throw new IllegalArgumentException("--listen is ADDR:PORT, got '" + text + "'");
        String host = text.substring(0, colon).replaceAll("^\\[|]$", "");
        int port;
        try {
            port = Integer.parseInt(text.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--listen port is not a number: '" + text + "'");
        }
        if (port < 0 || port > 65535) throw new IllegalArgumentException("--listen port " + port + " is not within 0..65535");
        return new InetSocketAddress(host, port);
    }
}
