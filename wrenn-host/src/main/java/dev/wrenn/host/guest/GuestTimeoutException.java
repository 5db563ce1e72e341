package dev.wrenn.host.guest;

/** A wait on the guest ran past its deadline. */
public class GuestTimeoutException extends GuestProtocolException {
    public GuestTimeoutException(String message) {
        super(message);
    }
}
