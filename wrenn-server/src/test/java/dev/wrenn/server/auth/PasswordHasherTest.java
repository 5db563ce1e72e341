package dev.wrenn.server.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.wrenn.server.error.ApiException;
import org.junit.jupiter.api.Test;

class PasswordHasherTest {
    @Test
    void aHashIsArgon2idWithItsParametersAndMatchesOnlyItsPassword() {
        String h = PasswordHasher.hash("correct horse battery");
        assertTrue(h.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), h);
        assertTrue(PasswordHasher.matches("correct horse battery", h));
        assertFalse(PasswordHasher.matches("correct horse batterY", h));
        assertFalse(PasswordHasher.matches("", h));
        assertNotEquals(h, PasswordHasher.hash("correct horse battery"), "each hash has its own salt");
    }

    @Test
    void aHashMadeWithOtherCostsStillVerifiesAndItsCostsCannotBeChanged() {
        String older = PasswordHasher.hash("correct horse battery", 8192, 3);
        assertTrue(older.startsWith("$argon2id$v=19$m=8192,t=3,p=1$"), older);
        assertTrue(PasswordHasher.matches("correct horse battery", older), "a change of the costs keeps old hashes valid");
        assertFalse(PasswordHasher.matches("correct horse battery", older.replace("m=8192,t=3", "m=8192,t=1")),
                "the costs are part of what is checked");
    }

    @Test
    void anythingThatIsNotSuchAHashMatchesNothing() {
        for (String bad : new String[] {null, "", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA",
                "$argon2id$v=19$m=99999999,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaA"}) {
            assertFalse(PasswordHasher.matches("x", bad), String.valueOf(bad));
        }
        assertFalse(PasswordHasher.matches(null, PasswordHasher.hash("correct horse battery")));
    }

    @Test
    void shortAndHugePasswordsAreRefusedNamingTheRule() {
        ApiException shortOne = assertThrows(ApiException.class, () -> PasswordHasher.requireAcceptable("short"));
        assertEquals("a password needs at least 10 characters", shortOne.getMessage());
        assertThrows(ApiException.class, () -> PasswordHasher.requireAcceptable("x".repeat(1025)));
        PasswordHasher.requireAcceptable("ten chars!");
    }
}
