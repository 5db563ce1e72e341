package dev.wrenn.sdk;

import java.util.List;

/** Snapshot-template operations of a {@link WrennClient}; each blocks until the server has answered. */
public final class Snapshots {
    private final AsyncSnapshots async;

    Snapshots(AsyncSnapshots async) {
        this.async = async;
    }

    /**
     * Snapshots a running or paused capsule into a template new capsules can be created from.
     *
     * @param capsuleId the capsule to snapshot
     * @param name the template's name; null for a generated {@code template-xxxxxxxx}
     * @return the new template
     * @throws WrennConflictException when the name is taken or reserved
     */
    public Template create(String capsuleId, String name) {
        return Futures.await(async.create(capsuleId, name));
    }

    /**
     * Snapshots a capsule, replacing the team's template of that name when asked to.
     *
     * @param capsuleId the capsule to snapshot
     * @param name the template's name; null for a generated one
     * @param overwrite true to replace an existing team template of that name
     * @return the new template
     */
    public Template create(String capsuleId, String name, boolean overwrite) {
        return Futures.await(async.create(capsuleId, name, overwrite));
    }

    /** {@return the built-in templates and the team's snapshots, newest first} */
    public List<Template> list() {
        return Futures.await(async.list());
    }

    /**
     * Deletes a team template; capsules created from it keep working.
     *
     * @param name the template's name
     * @throws WrennForbiddenException for a built-in template
     */
    public void delete(String name) {
        Futures.await(async.delete(name));
    }
}
