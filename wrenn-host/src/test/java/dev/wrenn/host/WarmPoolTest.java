package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The warm pool follows demand with real clones: after a burst of creates, as many wait for the next one. */
class WarmPoolTest {

    @Test
    void afterABurstOfCreatesAsManyClonesWaitAndServeTheNextBurst() throws Exception {
        HostAgent host = TestHost.agent();
        List<String> ids = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) ids.add(TestHost.create("minimal"));
            assertTrue(host.warmTarget("minimal") >= 3, "target after a burst of 3: " + host.warmTarget("minimal"));
            TestHost.awaitWarmClone(host);
            int waiting = host.warmClones("minimal");
            assertTrue(waiting >= 3, "clones waiting after a burst of 3: " + waiting);
            for (int i = 0; i < 3; i++) ids.add(TestHost.create("minimal"));
            for (String id : ids) assertEquals("ok", TestHost.out(id, "echo ok"));
        } finally {
            ids.forEach(host::destroy);
        }
    }
}
