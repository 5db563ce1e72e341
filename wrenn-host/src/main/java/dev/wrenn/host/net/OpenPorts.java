package dev.wrenn.host.net;

import dev.wrenn.host.api.PortStream;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The port streams open into each capsule. A capsule's address answers nothing once its VM and
 * namespace are gone (no reset comes back), so a read on a stream into it would wait out its whole
 * timeout, and a port proxy request with it: the streams of a capsule are closed when it ends.
 */
public final class OpenPorts {
    private final Map<String, Set<PortStream>> open = new ConcurrentHashMap<>();

    /** A new stream to {@code address} in capsule {@code capsuleId}, closed by {@link #closeAll} at the latest. */
    public PortStream connect(String capsuleId, InetSocketAddress address, Duration timeout) {
        Set<PortStream> streams = open.computeIfAbsent(capsuleId, k -> ConcurrentHashMap.newKeySet());
        PortStream s = SocketPortStream.connect(address, timeout, streams::remove);
        streams.add(s);
        if (open.get(capsuleId) != streams) s.close();   // the capsule ended while this one connected
        return s;
    }

    /** Closes the streams into a capsule that ended; their readers and writers fail at once. */
    public void closeAll(String capsuleId) {
        Set<PortStream> streams = open.remove(capsuleId);
        if (streams != null) streams.forEach(PortStream::close);
    }
}
