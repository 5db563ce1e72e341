package dev.wrenn.host.grpc;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/** The agent's side of the credential: a call without this host's call key is refused before it runs. */
final class CallKeyCheck implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
    static final String SCHEME = "Bearer ";

    private final String callKey;

    CallKeyCheck(String callKey) {
        this.callKey = callKey;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        String presented = headers.get(AUTHORIZATION);
        if (presented == null || !presented.startsWith(SCHEME)
                || !HostCredential.sameKey(callKey, presented.substring(SCHEME.length()))) {
            call.close(Status.UNAUTHENTICATED.withDescription("this host does not know the credential presented"), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
    }
}
