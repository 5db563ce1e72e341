package dev.wrenn.cli;

import picocli.CommandLine;
import picocli.CommandLine.IFactory;

/** Creates picocli's objects, handing the {@link ClientOptions} mixin the environment it reads. */
final class CliFactory implements IFactory {
    private final IFactory fallback = CommandLine.defaultFactory();
    private final CliEnvironment environment;

    CliFactory(CliEnvironment environment) {
        this.environment = environment;
    }

    @Override
    public <K> K create(Class<K> cls) throws Exception {
        if (cls == ClientOptions.class) return cls.cast(new ClientOptions(environment));
        return fallback.create(cls);
    }
}
