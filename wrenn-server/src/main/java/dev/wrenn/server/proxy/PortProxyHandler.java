package dev.wrenn.server.proxy;

import java.util.Optional;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * In front of the API: a request whose Host names a capsule's port goes to the {@link PortProxy}
 * on a virtual thread, since it blocks on the service (the one Jetty called us on when Jetty runs
 * handlers on virtual threads: a hand-over to another thread costs a wake-up on every request);
 * every other request goes on to the API.
 */
public final class PortProxyHandler extends Handler.Wrapper {
    private final PortHosts hosts;
    private final PortProxy proxy;

    /** @param domain the proxy domain, or null for port URLs under any host name */
    public PortProxyHandler(String domain, PortProxy proxy) {
        this.hosts = new PortHosts(domain);
        this.proxy = proxy;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        Optional<PortRoute> route;
        try {
            route = hosts.route(request.getHeaders().get("Host"));
        } catch (ProxyFailure f) {
            PortProxy.fail(response, callback, f.status(), f.getMessage());
            return true;
        }
        if (route.isEmpty()) return super.handle(request, response, callback);
        if (Thread.currentThread().isVirtual()) {
            proxy.serve(route.get(), request, response, callback);
        } else {
            Thread.ofVirtual().name("proxy-" + route.get().capsuleId()).start(() -> proxy.serve(route.get(), request, response, callback));
        }
        return true;
    }
}
