package footprint.accounts.quotes;

import java.util.ArrayDeque;

/**
 * The circuit breaker of contract L4: {@code failures} failures within {@code window} open it
 * for {@code openFor}; then one probe goes through, whose success closes it and whose failure
 * opens it again; a probe that never reports is replaced after {@code openFor}. Each change of
 * state is one line on stderr. Times are {@link System#nanoTime()} readings, passed in.
 */
final class Breaker {

    /** What the breaker says to one call. */
    enum Admission {
        CALL,
        PROBE,
        REJECTED
    }

    private enum State {
        CLOSED("closed"),
        OPEN("open"),
        HALF_OPEN("half-open");

        final String word;

        State(String word) {
            this.word = word;
        }
    }

    private final String stack;
    private final int failures;
    private final long windowNanos;
    private final long openNanos;

    private State state = State.CLOSED;
    /** Failures in the window, while closed. */
    private final ArrayDeque<Long> failed = new ArrayDeque<>();
    /** End of the open period. */
    private long until;
    /** When the probe went out, while half-open. */
    private long since;

    Breaker(String stack, int failures, long windowMillis, long openMillis) {
        this.stack = stack;
        this.failures = failures;
        this.windowNanos = windowMillis * 1_000_000;
        this.openNanos = openMillis * 1_000_000;
    }

    synchronized Admission admit(long now) {
        switch (state) {
            case CLOSED:
                return Admission.CALL;
            case OPEN:
                if (now - until < 0) {
                    return Admission.REJECTED;
                }
                move(State.HALF_OPEN);
                since = now;
                return Admission.PROBE;
            default:
                if (now - since < openNanos) {
                    return Admission.REJECTED;
                }
                // The probe never reported: send another.
                since = now;
                return Admission.PROBE;
        }
    }

    synchronized void record(Admission admission, boolean ok, long now) {
        if (admission == Admission.PROBE && state == State.HALF_OPEN) {
            if (ok) {
                failed.clear();
                move(State.CLOSED);
            } else {
                until = now + openNanos;
                move(State.OPEN);
            }
        } else if (admission == Admission.CALL && state == State.CLOSED && !ok) {
            while (!failed.isEmpty() && now - failed.peekFirst() >= windowNanos) {
                failed.pollFirst();
            }
            failed.addLast(now);
            if (failed.size() >= failures) {
                until = now + openNanos;
                move(State.OPEN);
            }
        }
    }

    private void move(State to) {
        if (state != to) {
            System.err.println("breaker stack=" + stack + " from=" + state.word + " to=" + to.word);
            System.err.flush();
            state = to;
        }
    }
}
