package dev.wrenn.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/** How many clones the warm pool aims for, by the creates it has seen (the rule alone, times made up). */
class WarmPoolDemandTest {
    private static final long MINUTE = 60_000_000_000L;

    @Test
    void aQuietPoolKeepsItsMinimum() {
        assertEquals(1, WarmPool.target(new ArrayDeque<>(), 0, 1));
        assertEquals(0, WarmPool.target(takesAt(0, 20), 0, 0), "a pool that is off stays off, whatever the demand");
    }

    @Test
    void aBurstOfCreatesIsWaitedForUntilTheWindowHasPassed() {
        Deque<Long> takes = takesAt(0, 20);
        assertEquals(20, WarmPool.target(takes, 9 * MINUTE, 1), "20 creates in the last 10 minutes");
        assertEquals(1, WarmPool.target(takes, 11 * MINUTE, 1), "10 quiet minutes later it is back at its minimum");
        assertEquals(0, takes.size(), "takes out of the window are forgotten");
    }

    @Test
    void demandIsCappedAndOnlyRecentCreatesCount() {
        assertEquals(WarmPool.MAX_SIZE, WarmPool.target(takesAt(0, 100), MINUTE, 1));
        Deque<Long> takes = takesAt(0, 5);
        takes.addAll(takesAt(8 * MINUTE, 3));
        assertEquals(3, WarmPool.target(takes, 12 * MINUTE, 1), "only the 3 creates of the last 10 minutes count");
    }

    @Test
    void aSteadyTrickleOfCreatesIsNotABurst() {
        Deque<Long> takes = new ArrayDeque<>(LongStream.range(0, 30).mapToObj(i -> i * 20_000_000_000L).toList());
        assertEquals(1, WarmPool.target(takes, 10 * MINUTE, 1), "one create every 20 s: refills keep up");
        Deque<Long> pairs = new ArrayDeque<>(LongStream.range(0, 30).mapToObj(i -> i / 2 * 20_000_000_000L + i % 2).toList());
        assertEquals(2, WarmPool.target(pairs, 10 * MINUTE, 1), "two at once every 20 s");
    }

    private static Deque<Long> takesAt(long at, int n) {
        return new ArrayDeque<>(LongStream.range(0, n).mapToObj(i -> at + i).toList());
    }
}
