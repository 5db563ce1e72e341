package dev.wrenn.sdk;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

/** A test class with a team of its own on the real server and one running capsule, made before its tests and destroyed after. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class OneCapsuleTest {
    WrennClient client;
    Capsule capsule;

    @BeforeAll
    void createCapsule() {
        client = RealServer.client(RealServer.newTeamKey());
        capsule = Capsule.create(client, CreateCapsuleParams.defaults(), true);
    }

    @AfterAll
    void destroyCapsule() {
        capsule.close();
        client.close();
    }
}
