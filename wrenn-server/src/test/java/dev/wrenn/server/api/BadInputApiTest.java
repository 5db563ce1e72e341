package dev.wrenn.server.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.Api;
import dev.wrenn.server.Api.Response;
import dev.wrenn.server.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Bad input is always a 4xx with a clear message, never a 5xx (issue 3 §9): malformed JSON, wrong
 * types, huge numbers, unicode, path-like names, bad ids. None of these needs a VM.
 */
class BadInputApiTest {
    private static final String UNKNOWN_ID = "cl-" + "0".repeat(25);
    private static Api api;

    @BeforeAll
    static void up() {
        api = TestServer.newTeam();
    }

    private static void expect(int status, String code, Response r, String what) {
        assertEquals(status, r.status(), what + " -> " + r);
        assertEquals(code, r.errorCode(), what);
        assertTrue(r.message().length() > 10, what + ": the message says what is wrong: " + r.message());
    }

    private static void invalid(Response r, String what) {
        expect(400, "invalid_request", r, what);
    }

    @Test
    void createRejectsBodiesThatAreNotAJsonObject() {
        for (String body : List.of("not json", "{", "[1,2]", "\"minimal\"", "42", "{}{}", "{\"vcpus\":1,\"vcpus\":2}",
                "{\"template\":\"minimal\",}", "\u00ff\u00fe")) {
            invalid(api.post("/capsules", body), body);
        }
    }

    @Test
    void createRejectsFieldsOfTheWrongTypeOrOutOfRange() {
        for (String body : List.of(
                "{\"template\":123}", "{\"template\":[]}", "{\"template\":true}",
                "{\"vcpus\":0}", "{\"vcpus\":-1}", "{\"vcpus\":9}", "{\"vcpus\":1.5}", "{\"vcpus\":2.0}", "{\"vcpus\":\"2\"}",
                "{\"vcpus\":true}", "{\"vcpus\":1e3}", "{\"vcpus\":99999999999999999999999999999999}",
                "{\"memory_mb\":127}", "{\"memory_mb\":16385}", "{\"memory_mb\":\"512\"}", "{\"memory_mb\":1e10}",
                "{\"memory_mb\":-9223372036854775808}", "{\"memory_mb\":" + "9".repeat(500) + "}",
                "{\"timeout_sec\":-1}", "{\"timeout_sec\":2592001}", "{\"timeout_sec\":\"300\"}",
                "{\"metadata\":\"x\"}", "{\"metadata\":[]}", "{\"metadata\":{\"a\":1}}", "{\"metadata\":{\"a\":{}}}",
                "{\"metadata\":{\"\":\"empty key\"}}")) {
            Response r = api.post("/capsules", body);
            invalid(r, body);
        }
        Response r = api.post("/capsules", "{\"vcpus\":\"2\"}");
        assertTrue(r.message().contains("vcpus"), "the message names the field: " + r.message());
    }

    @Test
    void templateNamesThatAreNotNamesAre400AndUnknownOnes404() {
        for (String name : List.of("", "../etc/passwd", "a/b", "..", ".hidden", "-rf", "x".repeat(65), "tmpl\\u0000",
                "тест", "minimal ", " minimal", "a\\\\b", "%2e%2e")) {
            invalid(api.post("/capsules", "{\"template\":\"" + name + "\"}"), name);
        }
        expect(404, "not_found", api.post("/capsules", "{\"template\":\"no-such-template\"}"), "unknown template");
    }

    @Test
    void capsuleIdsThatDoNotParseAre400AndUnknownOnes404() {
        for (String id : List.of("cl-abc", "CL-" + "a".repeat(25), "cl-" + "A".repeat(25), "cl-" + "a".repeat(26),
                "sb-" + "a".repeat(25), "..%2F..%2Fetc", "cl-%C3%A9" + "a".repeat(23), "x".repeat(300))) {
            invalid(api.get("/capsules/" + id), "GET " + id);
            invalid(api.delete("/capsules/" + id), "DELETE " + id);
            invalid(api.post("/capsules/" + id + "/pause"), "pause " + id);
            invalid(api.post("/capsules/" + id + "/exec", "{\"cmd\":\"true\"}"), "exec " + id);
        }
        for (String op : List.of("pause", "resume", "ping")) {
            expect(404, "not_found", api.post("/capsules/" + UNKNOWN_ID + "/" + op), op + " of an unknown capsule");
        }
        expect(404, "not_found", api.get("/capsules/" + UNKNOWN_ID), "GET unknown");
        expect(404, "not_found", api.delete("/capsules/" + UNKNOWN_ID), "DELETE unknown");
        expect(404, "not_found", api.exec(UNKNOWN_ID, "{\"cmd\":\"true\"}"), "exec in an unknown capsule");
        expect(404, "not_found", api.get("/capsules/" + UNKNOWN_ID + "/processes"), "processes of an unknown capsule");
    }

    @Test
    void queryParametersAreValidated() {
        invalid(api.get("/capsules?status=bogus"), "status filter");
        invalid(api.get("/capsules?status=running,nope"), "status filter");
        invalid(api.post("/capsules?wait=maybe", "{}"), "wait flag");
        invalid(api.get("/snapshots?type=other"), "template type");
        invalid(api.post("/snapshots?overwrite=yes", "{\"capsule_id\":\"" + UNKNOWN_ID + "\"}"), "overwrite flag");
        invalid(api.delete("/capsules/" + UNKNOWN_ID + "/processes/1?signal=SIGNOPE"), "signal");
        assertEquals(200, api.get("/capsules?status=running,paused&metadata.owner=%C3%BCn%C3%AFc%C3%B8d%C3%A9").status());
    }

    @Test
    void execBodiesAreValidatedBeforeTheCapsuleIsLookedUp() {
        for (String body : List.of("{}", "{\"cmd\":\"\"}", "{\"cmd\":1}", "{\"cmd\":[\"ls\"]}",
                "{\"cmd\":\"ls\",\"args\":\"-l\"}", "{\"cmd\":\"ls\",\"args\":[1]}", "{\"cmd\":\"ls\",\"envs\":[]}",
                "{\"cmd\":\"ls\",\"envs\":{\"A\":1}}", "{\"cmd\":\"ls\",\"envs\":{\"1A\":\"x\"}}",
                "{\"cmd\":\"ls\",\"envs\":{\"A=B\":\"x\"}}", "{\"cmd\":\"ls\",\"timeout_sec\":-1}",
                "{\"cmd\":\"ls\",\"timeout_sec\":1.5}", "{\"cmd\":\"ls\",\"background\":\"yes\"}",
                "{\"cmd\":\"ls\",\"tag\":\"t\"}", "{\"cmd\":\"ls\",\"background\":true,\"tag\":\"../x\"}",
                "{\"cmd\":\"ls\",\"background\":true,\"tag\":\"\"}", "{\"cmd\":\"ls\",\"stdin\":5}",
                "{\"cmd\":\"ls\",\"cwd\":\"\"}", "{\"cmd\":\"a\\u0000b\"}")) {
            invalid(api.exec(UNKNOWN_ID, body), body);
        }
    }

    @Test
    void fileBodiesAreValidated() {
        String base = "/capsules/" + UNKNOWN_ID + "/files/";
        for (String op : List.of("read", "list", "mkdir", "remove")) {
            for (String body : List.of("{}", "{\"path\":5}", "{\"path\":\"\"}", "{\"path\":null}", "nope")) {
                invalid(api.post(base + op, body), op + " " + body);
            }
        }
        invalid(api.post(base + "list", "{\"path\":\"/\",\"depth\":0}"), "depth 0");
        invalid(api.post(base + "list", "{\"path\":\"/\",\"depth\":1000}"), "depth 1000");
        invalid(api.post(base + "write", "{\"path\":\"/x\"}"), "write without multipart");
    }

    @Test
    void snapshotRequestsAreValidated() {
        invalid(api.post("/snapshots", "{}"), "no capsule_id");
        invalid(api.post("/snapshots", "{\"capsule_id\":\"cl-x\"}"), "bad capsule_id");
        invalid(api.post("/snapshots", "{\"capsule_id\":7}"), "capsule_id of the wrong type");
        invalid(api.post("/snapshots", "{\"capsule_id\":\"" + UNKNOWN_ID + "\",\"name\":\"../up\"}"), "path-like name");
        invalid(api.post("/snapshots", "{\"capsule_id\":\"" + UNKNOWN_ID + "\",\"name\":\"a/b\"}"), "path-like name");
        expect(409, "name_reserved", api.post("/snapshots", "{\"capsule_id\":\"" + UNKNOWN_ID + "\",\"name\":\"minimal\"}"),
                "built-in name");
        expect(409, "name_reserved", api.post("/snapshots", "{\"sandbox_id\":\"" + UNKNOWN_ID + "\",\"name\":\"base-python\"}"),
                "built-in name via sandbox_id");
        expect(404, "not_found", api.post("/snapshots", "{\"capsule_id\":\"" + UNKNOWN_ID + "\",\"name\":\"fine\"}"),
                "unknown capsule");
        expect(403, "forbidden", api.delete("/snapshots/minimal"), "deleting a built-in template");
        expect(404, "not_found", api.delete("/snapshots/never-made"), "deleting an unknown template");
        invalid(api.delete("/snapshots/..%2F..%2Fetc"), "path-like template name");
        invalid(api.delete("/snapshots/-x"), "bad template name");
    }

    @Test
    void bodiesOverTheLimitAre413() {
        byte[] huge = ("{\"cmd\":\"cat\",\"stdin\":\"" + "x".repeat(33 << 20) + "\"}").getBytes(StandardCharsets.UTF_8);
        Response r = api.send("POST", "/capsules/" + UNKNOWN_ID + "/exec", "application/json", huge);
        expect(413, "too_large", r, "a 33 MiB body");
    }
}
