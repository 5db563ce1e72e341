package dev.wrenn.sdk;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;

/**
 * Writes a response body to an OutputStream as it arrives, asking for the next piece only once the
 * last is written: memory holds one piece whatever the file's size, and a slow stream slows the
 * download. The stream is flushed at the end, not closed (it is the caller's).
 */
final class DownloadSubscriber implements BodySubscriber<Long> {
    private final OutputStream out;
    private final CompletableFuture<Long> written = new CompletableFuture<>();
    private Flow.Subscription subscription;
    private long count;

    DownloadSubscriber(OutputStream out) {
        this.out = out;
    }

    @Override
    public CompletionStage<Long> getBody() {
        return written;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> pieces) {
        try {
            for (ByteBuffer b : pieces) {
                int n = b.remaining();
                if (b.hasArray()) {
                    out.write(b.array(), b.arrayOffset() + b.position(), n);
                } else {
                    byte[] copy = new byte[n];
                    b.get(copy);
                    out.write(copy);
                }
                count += n;
            }
        } catch (IOException e) {
            subscription.cancel();
            written.completeExceptionally(new UncheckedIOException("writing the download failed after " + count + " bytes", e));
            return;
        }
        subscription.request(1);
    }

    @Override
    public void onError(Throwable failure) {
        written.completeExceptionally(failure);
    }

    @Override
    public void onComplete() {
        try {
            out.flush();
            written.complete(count);
        } catch (IOException e) {
            written.completeExceptionally(new UncheckedIOException("flushing the download failed", e));
        }
    }
}
