package dev.wrenn.host.grpc;

import io.grpc.stub.StreamObserver;
import java.util.function.Supplier;

/** The agent's way to answer a unary call: the value, or the failure as a status naming its HostError. */
final class Calls {
    private Calls() {}

    static <T> void answer(StreamObserver<T> out, Supplier<T> call) {
        T value;
        try {
            value = call.get();
        } catch (RuntimeException e) {
            out.onError(WireErrors.toStatus(e));
            return;
        }
        out.onNext(value);
        out.onCompleted();
    }

    static void answerEmpty(StreamObserver<dev.wrenn.host.grpc.v1.Empty> out, Runnable call) {
        answer(out, () -> {
            call.run();
            return dev.wrenn.host.grpc.v1.Empty.getDefaultInstance();
        });
    }
}
