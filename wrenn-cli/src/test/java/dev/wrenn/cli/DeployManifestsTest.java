package dev.wrenn.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;

/**
 * deploy/ holds together: every Kubernetes manifest reads into the typed Kubernetes model (fabric8's,
 * with any field the model does not have refused), its references (selectors, Secrets and their
 * keys, volumes, named ports, {@code $(VAR)}) resolve, and every {@code wrenn} command line in the
 * manifests, the systemd units and docs/operations.md is one the real command line parser accepts.
 */
class DeployManifestsTest {
    private static final Path REPO = Path.of(System.getProperty("wrenn.repo", "..")).toAbsolutePath().normalize();
    private static final Path KUBERNETES = REPO.resolve("deploy/kubernetes");
    private static final Path SYSTEMD = REPO.resolve("deploy/systemd");
    private static final Path OPERATIONS = REPO.resolve("docs/operations.md");
    private static final String NAMESPACE = "wrenn";
    /** Secrets the operator makes from `wrenn hosts add` tokens (docs/operations.md says how), so not in the manifests. */
    private static final Set<String> OPERATOR_SECRETS = Set.of("wrenn-host-tokens");
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    /** A kubelet reference to a container's environment variable in command and args ({@code $$} escapes). */
    private static final Pattern KUBELET_VAR = Pattern.compile("(?<!\\$)\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
    private static final Pattern SYSTEMD_VAR = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}");
    private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Za-z_][A-Za-z0-9_]*)");
    private static final Set<String> HOST_PATH_TYPES = Set.of("", "DirectoryOrCreate", "Directory", "FileOrCreate", "File",
            "Socket", "CharDevice", "BlockDevice");

    /** YAML into the fabric8 model, refusing what the model lacks: its catch-all for unknown fields is taken away. */
    private static final ObjectMapper STRICT = strictMapper();

    private static ObjectMapper strictMapper() {
        SimpleModule noUnknownFields = new SimpleModule("no-additional-properties");
        noUnknownFields.setDeserializerModifier(new BeanDeserializerModifier() {
            @Override
            public BeanDeserializerBuilder updateBuilder(DeserializationConfig config, BeanDescription bean,
                                                         BeanDeserializerBuilder builder) {
                if (bean.getBeanClass().getName().startsWith("io.fabric8.")) builder.setAnySetter(null);
                return builder;
            }
        });
        return YAMLMapper.builder()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // as the API server: args: [--port, 8080] is not a list of strings, nor a label value true a string
                .withCoercionConfig(LogicalType.Textual, c -> c
                        .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                        .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
                .addModule(noUnknownFields)
                .build();
    }

    /** One YAML document of a manifest file, read into its model class. */
    private record Manifest(Path file, int index, HasMetadata object) {
        String where() {
            return REPO.relativize(file) + " document " + index + " (" + object.getKind() + " "
                    + object.getMetadata().getName() + ")";
        }
    }

    @Test
    void strictModelRefusesAFieldTheModelDoesNotHave() throws IOException {
        JsonNode doc = new YAMLMapper().readTree("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: x}
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers: [{name: x, image: x, agrs: [server]}]
                """);
        AssertionError refused = assertThrows(AssertionError.class, () -> typed(doc, "inline"));
        assertTrue(refused.getMessage().contains("agrs"), refused.getMessage());
    }

    @Test
    void everyKubernetesManifestIsValidAndItsReferencesResolve() throws IOException {
        List<Manifest> all = manifests();
        Map<String, Long> kinds = all.stream().collect(Collectors.groupingBy(m -> m.object().getKind(), Collectors.counting()));
        for (String kind : List.of("Namespace", "Secret", "Service", "StatefulSet", "Deployment", "DaemonSet")) {
            assertTrue(kinds.containsKey(kind), "deploy/kubernetes has no " + kind + ": " + kinds);
        }
        assertTrue(all.stream().anyMatch(m -> m.object() instanceof Namespace && m.object().getMetadata().getName()
                .equals(NAMESPACE)), "the namespace " + NAMESPACE + " is defined");

        Map<String, Secret> secrets = new HashMap<>();
        Map<String, Service> services = new HashMap<>();
        Map<String, PodTemplateSpec> workloads = new LinkedHashMap<>();
        for (Manifest m : all) {
            HasMetadata o = m.object();
            String name = o.getMetadata().getName();
            assertNotNull(name, m.where() + ": metadata.name");
            assertTrue(DNS_LABEL.matcher(name).matches(), m.where() + ": metadata.name is a DNS label");
            if (!(o instanceof Namespace)) {
                assertEquals(NAMESPACE, o.getMetadata().getNamespace(), m.where() + ": metadata.namespace");
            }
            switch (o) {
                case Secret s -> assertNotNamedBefore(secrets.put(name, s), m.where() + ": two Secrets of this name");
                case Service s -> assertNotNamedBefore(services.put(name, s), m.where() + ": two Services of this name");
                case Deployment d -> workloads.put(m.where(), d.getSpec().getTemplate());
                case StatefulSet s -> workloads.put(m.where(), s.getSpec().getTemplate());
                case DaemonSet d -> workloads.put(m.where(), d.getSpec().getTemplate());
                default -> { }
            }
        }

        for (Manifest m : all) {
            switch (m.object()) {
                case Deployment d -> {
                    assertSelects(m, d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate());
                    assertPod(m, d.getSpec().getTemplate().getSpec(), secrets, List.of());
                }
                case StatefulSet s -> {
                    assertSelects(m, s.getSpec().getSelector().getMatchLabels(), s.getSpec().getTemplate());
                    assertPod(m, s.getSpec().getTemplate().getSpec(), secrets, s.getSpec().getVolumeClaimTemplates().stream()
                            .map(c -> c.getMetadata().getName()).toList());
                    assertTrue(services.containsKey(s.getSpec().getServiceName()),
                            m.where() + ": serviceName " + s.getSpec().getServiceName() + " is a Service here");
                }
                case DaemonSet d -> {
                    assertSelects(m, d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate());
                    assertPod(m, d.getSpec().getTemplate().getSpec(), secrets, List.of());
                }
                case Service s -> assertServiceReachesAPod(m, s, workloads);
                case Secret s -> assertTrue(s.getData() != null || s.getStringData() != null, m.where() + ": has data");
                default -> { }
            }
        }
    }

    @Test
    void wrennCommandLinesInTheManifestsAreAcceptedByTheParser() throws IOException {
        Set<String> subcommands = new TreeSet<>();
        for (Manifest m : manifests()) {
            PodTemplateSpec template = switch (m.object()) {
                case Deployment d -> d.getSpec().getTemplate();
                case StatefulSet s -> s.getSpec().getTemplate();
                case DaemonSet d -> d.getSpec().getTemplate();
                default -> null;
            };
            if (template == null) continue;
            for (Container c : template.getSpec().getContainers()) {
                if (!c.getImage().startsWith("wrenn/")) continue;
                Set<String> env = new TreeSet<>();
                c.getEnv().forEach(e -> env.add(e.getName()));
                List<String> argv;
                List<String> command = c.getCommand();
                if (command == null || command.isEmpty()) {
                    argv = c.getArgs();   // the image's entrypoint is the wrenn command
                } else if (command.size() == 4 && command.get(0).equals("/bin/sh") && command.get(1).equals("-c")
                        && command.get(2).contains("exec wrenn \"$@\"")) {
                    argv = c.getArgs();   // a shell that sets up the environment, then runs wrenn with the args
                    Matcher exported = Pattern.compile("export ([A-Z_][A-Z0-9_]*)").matcher(command.get(2));
                    while (exported.find()) env.add(exported.group(1));
                } else {
                    throw new AssertionError(m.where() + ": container " + c.getName() + ": cannot tell its wrenn command"
                            + " line from command " + command);
                }
                String where = m.where() + " container " + c.getName();
                assertKnownVariables(where, env, Set.of());
                subcommands.add(assertAccepted(where, argv, env));
            }
        }
        assertEquals(Set.of("agent", "server"), subcommands, "the manifests run a control plane and an agent");
        String dockerfile = Files.readString(REPO.resolve("deploy/Dockerfile"));
        assertTrue(dockerfile.contains("ENTRYPOINT [\"wrenn\"]"), "containers without a command run wrenn with their args");
    }

    @Test
    void systemdUnitsRunCommandLinesTheParserAccepts() throws IOException {
        Map<String, String> expected = Map.of("wrenn-server.service", "server", "wrenn-agent.service", "agent");
        for (var unit : expected.entrySet()) {
            Path file = SYSTEMD.resolve(unit.getKey());
            Map<String, List<String>> keys = unitKeys(file);
            String where = REPO.relativize(file).toString();
            assertEquals(List.of("on-failure"), keys.get("Restart"), where + ": Restart");
            List<String> envFiles = keys.getOrDefault("EnvironmentFile", List.of());
            assertEquals(1, envFiles.size(), where + ": one EnvironmentFile");
            assertTrue(envFiles.get(0).matches("/etc/wrenn/[a-z]+\\.env"), where + ": EnvironmentFile in /etc/wrenn");
            Path example = SYSTEMD.resolve(Path.of(envFiles.get(0)).getFileName());
            assertTrue(Files.exists(example), where + ": deploy/systemd has the example " + example.getFileName());
            EnvFile env = envFile(example);

            List<String> exec = keys.get("ExecStart");
            assertNotNull(exec, where + ": ExecStart");
            assertEquals(1, exec.size(), where + ": one ExecStart");
            List<String> words = new ArrayList<>();
            for (String w : shellWords(exec.get(0))) words.add(substitute(w, env.set(), where));
            assertEquals(List.of("/usr/bin/java", "--enable-native-access=ALL-UNNAMED", "-jar", "/opt/wrenn/wrenn-cli.jar"),
                    words.subList(0, 4), where + ": runs the installed jar");
            Set<String> referenced = new TreeSet<>();
            Matcher m = SYSTEMD_VAR.matcher(exec.get(0));
            while (m.find()) referenced.add(m.group(1));
            assertKnownVariables(where + " with " + example.getFileName(), env.mentioned(), referenced);
            assertEquals(unit.getValue(), assertAccepted(where, words.subList(4, words.size()), env.set().keySet()));
        }
        Map<String, List<String>> agent = unitKeys(SYSTEMD.resolve("wrenn-agent.service"));
        assertEquals(List.of("process"), agent.get("KillMode"), "the agent's VMs outlive a restart of the agent");
        assertEquals(List.of("yes"), agent.get("Delegate"), "the agent makes the VMs' cgroups below its own");
    }

    @Test
    void systemdAcceptsTheUnits(@TempDir Path dir) throws Exception {
        Path analyze = Stream.of("/usr/bin/systemd-analyze", "/bin/systemd-analyze").map(Path::of).filter(Files::isExecutable)
                .findFirst().orElse(null);
        Assumptions.assumeTrue(analyze != null, "systemd-analyze is not installed");
        List<String> cmd = new ArrayList<>(List.of(analyze.toString(), "verify", "--man=no"));
        for (String unit : List.of("wrenn-server.service", "wrenn-agent.service")) {
            cmd.add(Files.copy(SYSTEMD.resolve(unit), dir.resolve(unit)).toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze ended");
        // only what it says about these files: the rest is about the machine it runs on
        List<String> about = out.lines().filter(l -> l.contains(dir.toString())).toList();
        assertEquals(List.of(), about, "systemd-analyze verify: " + out);
    }

    @Test
    void theAgentPodPassesItsNodesTokenToWrenn(@TempDir Path dir) throws Exception {
        Container agent = manifests().stream().map(Manifest::object).filter(DaemonSet.class::isInstance)
                .map(d -> ((DaemonSet) d).getSpec().getTemplate().getSpec().getContainers().get(0)).findFirst().orElseThrow();
        String script = agent.getCommand().get(2);
        String mount = agent.getVolumeMounts().stream().filter(v -> v.getName().equals("host-tokens")).findFirst()
                .orElseThrow().getMountPath();
        assertTrue(script.contains(mount + "/"), "the script reads the mounted Secret " + mount);
        Path tokens = Files.createDirectories(dir.resolve("host-tokens"));
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path fake = bin.resolve("wrenn");
        Files.writeString(fake, "#!/bin/sh\necho \"token=$WRENN_HOST_TOKEN args=$*\"\n");
        assertTrue(fake.toFile().setExecutable(true));
        Files.writeString(tokens.resolve("kvm-1"), "wrh_0123");   // as kubectl create secret --from-literal: no newline

        List<String> cmd = new ArrayList<>(agent.getCommand());
        cmd.set(2, script.replace(mount, tokens.toString()));
        cmd.addAll(List.of("agent", "--data-dir", "/x y"));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("PATH", bin + ":" + System.getenv("PATH"));
        pb.environment().put("NODE_NAME", "kvm-1");
        pb.environment().remove("WRENN_HOST_TOKEN");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(0, p.waitFor(), out);
        assertEquals("token=wrh_0123 args=agent --data-dir /x y", out);

        pb.environment().put("NODE_NAME", "kvm-2");
        p = pb.start();
        out = new String(p.getInputStream().readAllBytes()).strip();
        assertEquals(1, p.waitFor(), "a node without a token stops: " + out);
        assertTrue(out.contains("no token for node kvm-2"), out);
    }

    @Test
    void wrennCommandLinesInTheOperationsGuideAreAcceptedByTheParser() throws IOException {
        int checked = 0;
        boolean inCode = false;
        int lineNo = 0;
        for (String line : Files.readAllLines(OPERATIONS)) {
            lineNo++;
            if (line.strip().startsWith("```")) {
                inCode = !inCode;
                continue;
            }
            if (!inCode) continue;
            for (List<String> argv : wrennInvocations(line)) {
                String where = "docs/operations.md line " + lineNo + ": " + line.strip();
                // the guide's command lines take their settings from the environment it describes
                assertAccepted(where, argv, Set.of("WRENN_DATABASE_URL", "WRENN_DATA_DIR", "WRENN_CONTROL_PLANE",
                        "WRENN_HOST_TOKEN"));
                checked++;
            }
        }
        assertTrue(checked >= 8, "the operations guide shows the wrenn commands it explains (found " + checked + ")");
        assertTrue(Files.readString(OPERATIONS).contains("wrenn-host-tokens"), "the guide says how to make the tokens' Secret");
    }

    // ---------------------------------------------------------------------------------------------

    private static List<Manifest> manifests() throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(KUBERNETES)) {
            files = s.filter(p -> p.toString().endsWith(".yaml") || p.toString().endsWith(".yml")).sorted().toList();
        }
        assertFalse(files.isEmpty(), "no manifests in " + KUBERNETES);
        List<Manifest> all = new ArrayList<>();
        YAMLMapper yaml = new YAMLMapper();
        for (Path f : files) {
            int index = 0;
            try (MappingIterator<JsonNode> docs = yaml.readerFor(JsonNode.class).readValues(f.toFile())) {
                while (docs.hasNext()) {
                    JsonNode doc = docs.next();
                    index++;
                    if (doc == null || doc.isNull() || doc.isEmpty()) continue;
                    all.add(new Manifest(f, index, typed(doc, REPO.relativize(f) + " document " + index)));
                }
            }
        }
        return all;
    }

    /** The document as its model class says it, every field known to the model, apiVersion and kind matching. */
    private static HasMetadata typed(JsonNode doc, String where) {
        String apiVersion = doc.path("apiVersion").asText(null);
        String kind = doc.path("kind").asText(null);
        if (apiVersion == null || kind == null) throw new AssertionError(where + ": apiVersion and kind are required");
        String pkg = switch (apiVersion) {
            case "v1" -> "io.fabric8.kubernetes.api.model";
            case "apps/v1" -> "io.fabric8.kubernetes.api.model.apps";
            default -> throw new AssertionError(where + ": apiVersion " + apiVersion + " is not one this test reads"
                    + " (add its fabric8 model package)");
        };
        Class<? extends HasMetadata> type;
        try {
            type = Class.forName(pkg + "." + kind).asSubclass(HasMetadata.class);
        } catch (ClassNotFoundException | ClassCastException e) {
            throw new AssertionError(where + ": no kind " + kind + " in " + apiVersion);
        }
        if (!HasMetadata.getApiVersion(type).equals(apiVersion) || !HasMetadata.getKind(type).equals(kind)) {
            throw new AssertionError(where + ": " + kind + " is " + HasMetadata.getApiVersion(type) + ", not " + apiVersion);
        }
        try {
            HasMetadata o = STRICT.treeToValue(doc, type);
            if (o.getMetadata() == null) throw new AssertionError(where + ": metadata is required");
            return o;
        } catch (IOException e) {
            throw new AssertionError(where + ": not a valid " + kind + ": " + e.getMessage(), e);
        }
    }

    private static void assertNotNamedBefore(Object o, String message) {
        if (o != null) fail(message);
    }

    private static void assertSelects(Manifest m, Map<String, String> selector, PodTemplateSpec template) {
        assertTrue(selector != null && !selector.isEmpty(), m.where() + ": spec.selector.matchLabels");
        Map<String, String> labels = template.getMetadata() == null ? Map.of() : template.getMetadata().getLabels();
        assertTrue(labels != null && labels.entrySet().containsAll(selector.entrySet()),
                m.where() + ": the selector " + selector + " matches the pod template's labels " + labels);
    }

    /** @param claims a StatefulSet's volume claim templates, which its containers mount like volumes */
    private static void assertPod(Manifest m, PodSpec pod, Map<String, Secret> secrets, List<String> claims) {
        assertFalse(pod.getContainers().isEmpty(), m.where() + ": containers");
        Set<String> volumes = new TreeSet<>(claims);
        for (Volume v : pod.getVolumes()) {
            assertTrue(volumes.add(v.getName()), m.where() + ": volume " + v.getName() + " defined twice");
            if (v.getHostPath() != null) {
                String type = Objects.requireNonNullElse(v.getHostPath().getType(), "");
                assertTrue(HOST_PATH_TYPES.contains(type), m.where() + ": hostPath type " + type);
                assertTrue(v.getHostPath().getPath().startsWith("/"), m.where() + ": hostPath path is absolute");
            }
            if (v.getSecret() != null) assertSecret(m, v.getSecret().getSecretName(), null, secrets);
        }
        boolean namesService = pod.getContainers().stream().flatMap(c -> concat(c.getCommand(), c.getArgs()).stream())
                .anyMatch(w -> w.matches(".*\\.svc([.:/].*)?"));
        if (Boolean.TRUE.equals(pod.getHostNetwork()) && namesService) {
            assertEquals("ClusterFirstWithHostNet", pod.getDnsPolicy(),
                    m.where() + ": on the host's network only ClusterFirstWithHostNet resolves the Services' names");
        }
        for (Container c : pod.getContainers()) {
            String where = m.where() + " container " + c.getName();
            assertTrue(c.getName() != null && DNS_LABEL.matcher(c.getName()).matches(), where + ": name");
            assertTrue(c.getImage() != null && !c.getImage().isBlank(), where + ": image");
            for (VolumeMount vm : c.getVolumeMounts()) {
                assertTrue(volumes.contains(vm.getName()), where + ": volumeMount " + vm.getName() + " names a volume");
                assertTrue(vm.getMountPath().startsWith("/"), where + ": mountPath is absolute");
            }
            Set<String> env = new TreeSet<>();
            for (EnvVar e : c.getEnv()) {
                assertTrue(env.add(e.getName()), where + ": env " + e.getName() + " twice");
                if (e.getValueFrom() != null && e.getValueFrom().getSecretKeyRef() != null) {
                    SecretKeySelector ref = e.getValueFrom().getSecretKeyRef();
                    assertSecret(m, ref.getName(), ref.getKey(), secrets);
                }
                if (e.getValueFrom() != null && e.getValueFrom().getFieldRef() != null) {
                    assertTrue(Set.of("metadata.name", "metadata.namespace", "spec.nodeName", "status.hostIP", "status.podIP",
                            "spec.serviceAccountName").contains(e.getValueFrom().getFieldRef().getFieldPath()),
                            where + ": env " + e.getName() + " fieldRef " + e.getValueFrom().getFieldRef().getFieldPath());
                }
            }
            // kubelet leaves a $(VAR) it cannot resolve as it is: the program would get the text
            for (String word : concat(c.getCommand(), c.getArgs())) {
                Matcher ref = KUBELET_VAR.matcher(word);
                while (ref.find()) {
                    assertTrue(env.contains(ref.group(1)), where + ": $(" + ref.group(1) + ") is not in its env");
                }
            }
            Set<String> portNames = new TreeSet<>();
            Set<Integer> ports = new TreeSet<>();
            for (ContainerPort p : c.getPorts()) {
                ports.add(p.getContainerPort());
                if (p.getName() != null) assertTrue(portNames.add(p.getName()), where + ": port name " + p.getName() + " twice");
                if (Boolean.TRUE.equals(pod.getHostNetwork()) && p.getHostPort() != null) {
                    assertEquals(p.getContainerPort(), p.getHostPort(), where + ": on the host's network hostPort = containerPort");
                }
            }
            for (Probe probe : new Probe[] {c.getReadinessProbe(), c.getLivenessProbe(), c.getStartupProbe()}) {
                if (probe == null) continue;
                assertTrue(probe.getHttpGet() != null || probe.getExec() != null || probe.getTcpSocket() != null
                        || probe.getGrpc() != null, where + ": a probe has a handler");
                if (probe.getHttpGet() != null) {
                    assertPort(where + " probe", probe.getHttpGet().getPort(), portNames, ports);
                    assertTrue(probe.getHttpGet().getPath().startsWith("/"), where + ": probe path");
                }
            }
        }
    }

    private static void assertSecret(Manifest m, String name, String key, Map<String, Secret> secrets) {
        if (OPERATOR_SECRETS.contains(name)) return;
        Secret s = secrets.get(name);
        assertNotNull(s, m.where() + ": Secret " + name + " is not in deploy/kubernetes");
        if (key == null) return;
        Set<String> keys = new TreeSet<>();
        if (s.getData() != null) keys.addAll(s.getData().keySet());
        if (s.getStringData() != null) keys.addAll(s.getStringData().keySet());
        assertTrue(keys.contains(key), m.where() + ": Secret " + name + " has no key " + key + " (it has " + keys + ")");
    }

    private static void assertPort(String where, IntOrString port, Set<String> names, Set<Integer> numbers) {
        assertNotNull(port, where + ": port");
        if (port.getStrVal() != null) {
            assertTrue(names.contains(port.getStrVal()), where + ": port " + port.getStrVal() + " is a named port of " + names);
        } else {
            assertTrue(numbers.contains(port.getIntVal()), where + ": port " + port.getIntVal() + " is a port of " + numbers);
        }
    }

    private static void assertServiceReachesAPod(Manifest m, Service s, Map<String, PodTemplateSpec> workloads) {
        Map<String, String> selector = s.getSpec().getSelector();
        assertTrue(selector != null && !selector.isEmpty(), m.where() + ": selector");
        List<PodTemplateSpec> selected = workloads.values().stream()
                .filter(t -> t.getMetadata().getLabels().entrySet().containsAll(selector.entrySet())).toList();
        assertEquals(1, selected.size(), m.where() + ": selects the pods of one workload");
        Set<String> names = new TreeSet<>();
        Set<Integer> numbers = new TreeSet<>();
        for (Container c : selected.get(0).getSpec().getContainers()) {
            for (ContainerPort p : c.getPorts()) {
                numbers.add(p.getContainerPort());
                if (p.getName() != null) names.add(p.getName());
            }
        }
        assertFalse(s.getSpec().getPorts().isEmpty(), m.where() + ": ports");
        for (ServicePort p : s.getSpec().getPorts()) {
            IntOrString target = p.getTargetPort() == null ? new IntOrString(p.getPort()) : p.getTargetPort();
            assertPort(m.where() + " port " + p.getName(), target, names, numbers);
        }
    }

    /**
     * Parses {@code argv} with the real command line. An option the command line lacks is accepted
     * only when it reads its default from an environment variable in {@code environment}.
     *
     * @return the subcommand it ran
     */
    private static String assertAccepted(String where, List<String> argv, Set<String> environment) {
        assertNotNull(argv, where + ": a command line");
        CommandLine cl = Main.commandLine();
        try {
            CommandLine.ParseResult parsed = cl.parseArgs(argv.toArray(String[]::new));
            assertTrue(parsed.hasSubcommand(), where + ": runs a subcommand: " + argv);
        } catch (CommandLine.MissingParameterException e) {
            for (ArgSpec missing : e.getMissing()) {
                String variable = environmentVariable(missing);
                if (variable == null || !environment.contains(variable)) {
                    fail(where + ": " + e.getMessage() + (variable == null ? "" : " (and " + variable + " is not set there)"));
                }
            }
        } catch (CommandLine.ParameterException e) {
            fail(where + ": the wrenn command line refuses " + argv + ": " + e.getMessage());
        }
        return argv.get(0);
    }

    /** The variable an option's default comes from ({@code defaultValue = "${env:NAME}"}), else null. */
    private static String environmentVariable(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) return null;
        for (Class<?> c = option.command().userObject().getClass(); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                Option o = f.getAnnotation(Option.class);
                if (o != null && List.of(o.names()).contains(option.longestName())) {
                    Matcher m = ENV_DEFAULT.matcher(o.defaultValue());
                    return m.find() ? m.group(1) : null;
                }
            }
        }
        return null;
    }

    /**
     * Every WRENN_ variable set for wrenn is one its code reads (or one the unit itself substitutes),
     * so a misspelt name does not silently leave a default in force.
     */
    private static void assertKnownVariables(String where, Set<String> names, Set<String> substitutedByUnit) throws IOException {
        Set<String> known = knownVariables();
        for (String n : names) {
            if (!n.startsWith("WRENN_") || substitutedByUnit.contains(n)) continue;
            assertTrue(known.contains(n), where + ": " + n + " is not read by wrenn (known: " + known + ")");
        }
    }

    private static Set<String> known;

    private static synchronized Set<String> knownVariables() throws IOException {
        if (known != null) return known;
        Set<String> found = new TreeSet<>();
        Pattern name = Pattern.compile("WRENN_[A-Z0-9_]*[A-Z0-9]");
        try (Stream<Path> modules = Files.list(REPO)) {
            for (Path module : modules.filter(p -> p.getFileName().toString().startsWith("wrenn-")).toList()) {
                Path main = module.resolve("src/main");
                if (!Files.isDirectory(main)) continue;
                try (Stream<Path> files = Files.walk(main)) {
                    for (Path f : files.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".xml")).toList()) {
                        Matcher m = name.matcher(Files.readString(f));
                        while (m.find()) found.add(m.group());
                    }
                }
            }
        }
        assertTrue(found.containsAll(Set.of("WRENN_DATABASE_URL", "WRENN_HOST_TOKEN", "WRENN_IMAGE_CACHE")), found.toString());
        known = found;
        return known;
    }

    /** A unit file's keys and their values, in order (comments and sections dropped; no line continuations used). */
    private static Map<String, List<String>> unitKeys(Path unit) throws IOException {
        Map<String, List<String>> keys = new LinkedHashMap<>();
        for (String line : Files.readAllLines(unit)) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || l.startsWith(";") || l.startsWith("[")) continue;
            assertFalse(l.endsWith("\\"), unit + ": no line continuations (this test does not join them)");
            int eq = l.indexOf('=');
            assertTrue(eq > 0, unit + ": not KEY=VALUE: " + l);
            keys.computeIfAbsent(l.substring(0, eq).strip(), k -> new ArrayList<>()).add(l.substring(eq + 1).strip());
        }
        return keys;
    }

    /** An environment file: what it sets, and every name it mentions (commented-out examples too). */
    private record EnvFile(Map<String, String> set, Set<String> mentioned) {}

    private static EnvFile envFile(Path file) throws IOException {
        Map<String, String> set = new LinkedHashMap<>();
        Set<String> mentioned = new TreeSet<>();
        Pattern assignment = Pattern.compile("(#?)([A-Za-z_][A-Za-z0-9_]*)=(.*)");
        for (String line : Files.readAllLines(file)) {
            Matcher m = assignment.matcher(line.strip());
            if (!m.matches()) continue;
            mentioned.add(m.group(2));
            if (m.group(1).isEmpty()) set.put(m.group(2), m.group(3));
        }
        return new EnvFile(set, mentioned);
    }

    /** systemd's ${VAR}: the exact value, one word; a variable not in the file is an error here. */
    private static String substitute(String word, Map<String, String> env, String where) {
        Matcher m = SYSTEMD_VAR.matcher(word);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String v = env.get(m.group(1));
            assertNotNull(v, where + ": ExecStart uses ${" + m.group(1) + "}, which its environment file does not set");
            m.appendReplacement(out, Matcher.quoteReplacement(v));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Words of a command line: split at blanks, with single and double quotes. */
    private static List<String> shellWords(String line) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (quote != 0) {
                if (ch == quote) quote = 0;
                else w.append(ch);
            } else if (ch == '\'' || ch == '"') {
                quote = ch;
                inWord = true;
            } else if (Character.isWhitespace(ch)) {
                if (inWord) words.add(w.toString());
                w.setLength(0);
                inWord = false;
            } else {
                w.append(ch);
                inWord = true;
            }
        }
        if (inWord) words.add(w.toString());
        return words;
    }

    /**
     * The wrenn command lines of one shell line of the guide: each part between {@code |}, {@code &&},
     * {@code ;} and {@code $(} whose first word is {@code wrenn} (or which runs it through
     * {@code kubectl exec ... --}, {@code sudo} or {@code env}), up to a redirection or a comment.
     */
    private static List<List<String>> wrennInvocations(String line) {
        List<List<String>> found = new ArrayList<>();
        String code = line.replaceAll("\\s#.*$", "").replace("$(", ";").replace(")", " ");
        for (String part : code.split("\\|\\||\\||&&|;")) {
            List<String> words = new ArrayList<>(shellWords(part.strip()));
            int dashes = words.indexOf("--");
            if (!words.isEmpty() && words.get(0).equals("kubectl") && dashes > 0) words = words.subList(dashes + 1, words.size());
            while (!words.isEmpty() && (words.get(0).equals("sudo") || words.get(0).equals("env") || words.get(0).matches("[A-Z_]+=.*"))) words.remove(0);
            if (words.isEmpty() || !words.get(0).equals("wrenn")) continue;
            List<String> argv = new ArrayList<>();
            for (String w : words.subList(1, words.size())) {
                if (w.startsWith(">") || w.startsWith("<") || w.startsWith("2>")) break;
                argv.add(w);
            }
            found.add(argv);
        }
        return found;
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>();
        if (a != null) all.addAll(a);
        if (b != null) all.addAll(b);
        return all;
    }
}
