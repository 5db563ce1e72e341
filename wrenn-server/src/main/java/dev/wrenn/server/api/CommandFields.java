package dev.wrenn.server.api;

import dev.wrenn.server.capsule.GuestService.Command;
import dev.wrenn.server.error.ApiException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** The fields of a command, as {@code exec} and the exec stream's start frame take them (api.md §6, §6a). */
final class CommandFields {
    static final int DEFAULT_TIMEOUT_SEC = 30;
    private static final int MAX_ARGS = 4096;
    private static final int MAX_ENVS = 1024;
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");

    private CommandFields() {}

    /**
     * {@code cmd}, {@code args}, {@code envs}, {@code cwd}, {@code timeout_sec} (default
     * {@code defaultTimeout}), {@code stdin}, {@code tag}, and {@code detach} when {@code streamed}.
     * A tag names a process that outlives its request: a background or detached one.
     */
    static Command read(Body body, boolean background, boolean streamed, int defaultTimeout) {
        String cmd = body.requiredString("cmd");
        if (cmd.isEmpty()) throw ApiException.invalid("cmd must not be empty");
        boolean detach = streamed && body.bool("detach").orElse(false);
        String tag = body.string("tag").orElse(null);
        if (tag != null && !background && !detach) {
            throw ApiException.invalid("tag applies to background" + (streamed ? " or detached" : "") + " commands only");
        }
        if (tag != null && !Params.TAG.matcher(tag).matches()) {
            throw ApiException.invalid("tag '" + Params.abbreviate(tag) + "' must be 1 to 64 of [a-zA-Z0-9._-], starting with a letter or digit");
        }
        return new Command(cmd, body.stringList("args", MAX_ARGS).orElse(List.of()), envs(body),
                body.string("cwd").map(p -> Params.path(p, "cwd")).orElse(null),
                body.integer("timeout_sec", 0, CapsuleHandlers.MAX_TIMEOUT_SEC).orElse(defaultTimeout),
                body.string("stdin").map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(null), background, detach, tag);
    }

    static Map<String, String> envs(Body body) {
        Map<String, String> envs = body.stringMap("envs", MAX_ENVS).orElse(Map.of());
        envs.keySet().forEach(k -> {
            if (!ENV_NAME.matcher(k).matches()) {
                throw ApiException.invalid("envs key '" + Params.abbreviate(k) + "' is not a variable name: expected [A-Za-z_][A-Za-z0-9_]*");
            }
        });
        return envs;
    }
}
