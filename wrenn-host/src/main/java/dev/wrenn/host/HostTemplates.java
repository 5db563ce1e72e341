package dev.wrenn.host;

import dev.wrenn.host.api.HostError;
import dev.wrenn.host.api.HostException;
import dev.wrenn.host.api.TemplateInfo;
import dev.wrenn.host.image.GuestImage;
import dev.wrenn.host.image.GuestImages;
import dev.wrenn.host.storage.Names;
import dev.wrenn.host.storage.TemplateMeta;
import dev.wrenn.host.storage.TemplateStore;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The templates of this host: built-in ones booted from their images (and their size variants,
 * booted on first use), snapshot templates saved from capsules; which one a create restores.
 */
final class HostTemplates {
    private static final Logger log = LoggerFactory.getLogger(HostTemplates.class);

    private final TemplateStore store;
    private final TemplateBuilder builder;
    private final GuestImages images;
    private final WarmPool pool;
    /** Null: every built-in template of this data dir is booted here. */
    private final TemplateCache cache;
    private final Map<String, Object> buildLocks = new ConcurrentHashMap<>();

    HostTemplates(TemplateStore store, TemplateBuilder builder, GuestImages images, WarmPool pool, TemplateCache cache) {
        this.store = store;
        this.builder = builder;
        this.images = images;
        this.pool = pool;
        this.cache = cache;
    }

    /**
     * Makes sure a built-in template exists and matches its current image and device layout, saved
     * unfrozen; takes the same build from the cache, or boots and saves it, if not.
     */
    TemplateMeta ensureBuiltIn(BuiltInTemplate t, int vcpus, int memoryMb) {
        String name = t.variantName(vcpus, memoryMb);
        synchronized (buildLocks.computeIfAbsent(name, k -> new Object())) {
            var image = images.require(t.templateName());
            Optional<TemplateMeta> existing = store.get(name);
            if (existing.isPresent() && image.hash().equals(existing.get().imageHash())
                    && builder.currentLayout().id().equals(existing.get().layout()) && !existing.get().frozen()) {
                pool.refill(name);
                return existing.get();
            }
            try {
                pool.drain(name);
                TemplateMeta made = cachedOrBuilt(image, builder.inputs(image, name, vcpus, memoryMb, t.warmUp()));
                pool.refill(name);
                return made;
            } catch (IOException e) {
                throw HostErrors.io("could not build template " + name, e);
            }
        }
    }

    private TemplateMeta cachedOrBuilt(GuestImage image, BuildInputs inputs) throws IOException {
        if (cache == null) return builder.fromImage(image, inputs);
        Optional<TemplateMeta> cached = cache.restore(inputs);
        if (cached.isPresent()) return cached.get();
        TemplateMeta built = builder.fromImage(image, inputs);
        cache.publish(inputs, built);
        return built;
    }

    /** Boots a guest image from scratch to a first command and throws it away; the time it took. */
    Duration coldBoot(BuiltInTemplate image) {
        try {
            return builder.coldBoot(images.require(image.templateName()), BuiltInTemplate.DEFAULT_VCPUS,
                    BuiltInTemplate.DEFAULT_MEMORY_MB);
        } catch (IOException e) {
            throw HostErrors.io("cold boot of " + image.templateName() + " failed", e);
        }
    }

    /** Templates users see: built-in ones at their default size and the snapshots, newest first. */
    List<TemplateMeta> list() {
        return store.list().stream().filter(t -> !t.name().contains("@")).toList();
    }

    Optional<TemplateMeta> get(String name) {
        return store.get(Names.template(name));
    }

    /** Deletes a snapshot template; capsules made from it keep working. */
    void delete(String name) {
        TemplateMeta t = get(name).orElseThrow(() -> HostErrors.notFound("template " + name + " does not exist"));
        if (t.builtIn()) throw new HostException(HostError.BUILT_IN, "template " + name + " is built in and cannot be deleted");
        try {
            store.delete(name);
        } catch (IOException e) {
            throw HostErrors.io("could not delete template " + name, e);
        }
        log.atInfo().addKeyValue("template", name).log("template deleted");
    }

    /** Refuses a snapshot's name when it is reserved, or taken and not to be overwritten. */
    void checkNewName(String name, boolean overwrite) {
        Names.template(name);
        Optional<TemplateMeta> existing = store.get(name);
        if (BuiltInTemplate.named(name).isPresent() || existing.map(TemplateMeta::builtIn).orElse(false)) {
            throw new HostException(HostError.NAME_RESERVED, "template name " + name + " is reserved for a built-in template");
        }
        if (existing.isPresent() && !overwrite) {
            throw new HostException(HostError.NAME_TAKEN, "a template named " + name + " already exists");
        }
    }

    /**
     * The template a create restores. A built-in one takes any size (a variant is booted once);
     * a snapshot template's size is its own, so a request may only repeat it.
     */
    TemplateMeta resolve(String name, Integer vcpus, Integer memoryMb) {
        Optional<BuiltInTemplate> builtIn = BuiltInTemplate.named(name);
        if (builtIn.isPresent()) {
            int v = vcpus == null ? BuiltInTemplate.DEFAULT_VCPUS : vcpus;
            int m = memoryMb == null ? BuiltInTemplate.DEFAULT_MEMORY_MB : memoryMb;
            // the hot path trusts a template that exists; ensureBuiltIn (at start) checks it against its image
            return store.get(builtIn.get().variantName(v, m)).orElseGet(() -> ensureBuiltIn(builtIn.get(), v, m));
        }
        TemplateMeta t = get(name).orElseThrow(() -> HostErrors.notFound("template " + name + " does not exist"));
        if ((vcpus != null && vcpus != t.vcpus()) || (memoryMb != null && memoryMb != t.memoryMb())) {
            throw new HostException(HostError.INVALID_ARGUMENT, "template " + name + " was saved with " + t.vcpus()
                    + " vcpus and " + t.memoryMb() + " MiB; a capsule from it cannot have " + vcpus + " vcpus and "
                    + memoryMb + " MiB");
        }
        return t;
    }

    static TemplateInfo info(TemplateMeta t) {
        return new TemplateInfo(t.name(), t.builtIn(), t.vcpus(), t.memoryMb(), t.sizeBytes(), t.createdAt(),
                t.sourceCapsuleId());
    }
}
