package dev.wrenn.host.grpc;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import java.util.concurrent.Executor;

/** The control plane's side of the credential: the host's call key on every call. */
final class CallKeyCredentials extends CallCredentials {
    private final Metadata headers = new Metadata();

    CallKeyCredentials(String callKey) {
        headers.put(CallKeyCheck.AUTHORIZATION, CallKeyCheck.SCHEME + callKey);
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
        applier.apply(headers);
    }
}
