package dev.wrenn.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.wrenn.server.Api.Response;
import org.junit.jupiter.api.Test;

/**
 * One capsule paused and resumed over and over through the API: after every resume its
 * background process is the same process and has gone on counting, and its files are unchanged.
 * Cycles: {@code -Dwrenn.soak.cycles} (5 in `make test`; `make soak` runs 100).
 */
class PauseResumeCyclesTest {
    private static final String COUNTER = "i=0; while :; do i=$((i+1)); echo $i > /root/count; sleep 0.05; done";

    @Test
    void aCapsuleKeepsItsProcessAndFilesThroughEveryPauseAndResume() {
        int cycles = Integer.getInteger("wrenn.soak.cycles", 5);
        TestServer.awaitTemplates();
        Api api = TestServer.newTeam();
        String id = api.createRunning();
        try {
            assertEquals(200, exec(api, id, "head -c 1048576 /dev/urandom > /root/data && sha256sum /root/data > /root/data.sum")
                    .status());
            Response started = api.post("/capsules/" + id + "/exec",
                    "{\"cmd\":\"sh\",\"args\":[\"-c\",\"" + COUNTER + "\"],\"background\":true,\"tag\":\"counter\"}");
            assertEquals(202, started.status(), started::toString);
            long pid = started.json().get("pid").asLong();
            long count = 0;
            for (int cycle = 1; cycle <= cycles; cycle++) {
                assertEquals(200, api.post("/capsules/" + id + "/pause").status(), "pause " + cycle);
                assertEquals(200, api.post("/capsules/" + id + "/resume").status(), "resume " + cycle);
                assertEquals(pid, counterPid(api, id), "cycle " + cycle + ": the same background process");
                long now = awaitCountAbove(api, id, count, cycle);
                count = now;
                Response sum = exec(api, id, "sha256sum -c /root/data.sum");
                assertEquals(0, sum.json().get("exit_code").asInt(), "cycle " + cycle + ": the file is intact: " + sum);
            }
            System.out.printf("SOAK pause_resume_cycles=%d lost=0 counter=%d%n", cycles, count);
        } finally {
            api.destroyQuietly(id);
        }
    }

    private static long counterPid(Api api, String id) {
        for (JsonNode p : api.get("/capsules/" + id + "/processes").json().get("processes")) {
            if (p.path("tag").asText().equals("counter")) return p.get("pid").asLong();
        }
        throw new AssertionError("the background process is gone");
    }

    /** The counter once it has moved past {@code before}: the process runs on after the resume. */
    private static long awaitCountAbove(Api api, String id, long before, int cycle) {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            String out = exec(api, id, "cat /root/count").json().get("stdout").asText().strip();
            long now = out.isEmpty() ? 0 : Long.parseLong(out);
            if (now > before) return now;
            assertTrue(System.nanoTime() < deadline, "cycle " + cycle + ": the counter stopped at " + now);
            Api.sleep(50);
        }
    }

    private static Response exec(Api api, String id, String line) {
        Response r = api.exec(id, "{\"cmd\":\"sh\",\"args\":[\"-c\"," + Json.MAPPER.valueToTree(line) + "]}");
        assertEquals(200, r.status(), r::toString);
        return r;
    }
}
