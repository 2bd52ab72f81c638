package footprint.accounts.quotes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import footprint.accounts.ConfigException;
import footprint.accounts.Landscape;
import footprint.accounts.web.Account;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.security.Security;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The landscape variant (contract L1-L6): each account answer carries a quote from the quotes
 * service at {@code QUOTES_URL}, called with the JDK's {@link HttpClient} (HTTP/1.1, its
 * kept-alive pool), a timeout over the whole call, connection included, and a circuit breaker.
 */
public final class QuotesLandscape implements Landscape {

    /** What every variant calls, as the blog's account service does. */
    static final String QUOTE_PATH = "/api/quote?strength=4";
    /** The longest quotes answer taken; a longer one is a bad answer. */
    static final int MAX_ANSWER = 16 * 1024;

    static final String TIMED_OUT = "quotes timed out";
    static final String UNREACHABLE = "quotes unreachable";
    static final String BAD_ANSWER = "quotes answered badly";
    static final String OPEN = "quotes circuit open";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpClient client;
    private final HttpRequest request;
    private final long timeoutMillis;
    private final Breaker breaker;

    private QuotesLandscape(String authority, long timeoutMillis, Breaker breaker) {
        Duration timeout = Duration.ofMillis(timeoutMillis);
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.request = HttpRequest.newBuilder(URI.create("http://" + authority + QUOTE_PATH))
                .timeout(timeout)
                .GET()
                .build();
        this.timeoutMillis = timeoutMillis;
        this.breaker = breaker;
    }

    /** Reads {@code QUOTES_URL}, {@code QUOTES_TIMEOUT_MS} and the breaker's settings. */
    public static final class Factory implements Landscape.Factory {
        @Override
        public Landscape fromEnv(Map<String, String> env, String stack) throws ConfigException {
            String authority = authority(env.get("QUOTES_URL"));
            long timeout = whole(env, "QUOTES_TIMEOUT_MS", 200, "a whole number of milliseconds, 1 or more");
            long window = whole(env, "BREAKER_WINDOW_MS", 10_000, "a whole number of milliseconds, 1 or more");
            long open = whole(env, "BREAKER_OPEN_MS", 5_000, "a whole number of milliseconds, 1 or more");
            long failures = whole(env, "BREAKER_FAILURES", 5, "a whole number of failures, 1 or more");
            // The JVM keeps a name's addresses for 30 s; the other stacks look a name up for
            // each new connection. A quotes task that comes back with a new address (Swarm,
            // Docker) is then found as soon as it is there.
            Security.setProperty("networkaddress.cache.ttl", "1");
            Security.setProperty("networkaddress.cache.negative.ttl", "0");
            return new QuotesLandscape(authority, timeout, new Breaker(stack, (int) failures, window, open));
        }
    }

    /** {@code host:port} of {@code http://host:port} (a trailing {@code /} allowed), or why not. */
    static String authority(String raw) throws ConfigException {
        String expected = "http://host:port, the quotes service (no path, no https)";
        if (raw == null) {
            throw new ConfigException("QUOTES_URL", "", expected + "; it is not set");
        }
        String trimmed = raw.trim();
        if (!trimmed.startsWith("http://")) {
            throw new ConfigException("QUOTES_URL", raw, expected);
        }
        String authority = trimmed.substring("http://".length());
        if (authority.endsWith("/")) {
            authority = authority.substring(0, authority.length() - 1);
        }
        int colon = authority.lastIndexOf(':');
        boolean bad = colon <= 0 || authority.chars().anyMatch(c -> "/?#@ ".indexOf(c) >= 0);
        if (!bad) {
            String host = authority.substring(0, colon);
            String port = authority.substring(colon + 1);
            bad = host.indexOf(':') >= 0 && !(host.startsWith("[") && host.endsWith("]"));
            Long number = digits(port);
            bad |= number == null || number < 1 || number > 65535;
        }
        if (bad) {
            throw new ConfigException("QUOTES_URL", raw, expected);
        }
        return authority;
    }

    private static long whole(Map<String, String> env, String name, long fallback, String expected)
            throws ConfigException {
        String raw = env.get(name);
        if (raw == null) {
            return fallback;
        }
        Long value = digits(raw.trim());
        if (value == null || value < 1 || value > Integer.MAX_VALUE) {
            throw new ConfigException(name, raw, expected);
        }
        return value;
    }

    /** Plain decimal digits (at most 10), or {@code null}. */
    private static Long digits(String s) {
        if (s.isEmpty() || s.length() > 10 || !s.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return null;
        }
        return Long.parseLong(s);
    }

    @Override
    public Object answer(Account account) {
        Breaker.Admission admission = breaker.admit(System.nanoTime());
        if (admission == Breaker.Admission.REJECTED) {
            return new AccountWithQuote(account, null, OPEN);
        }
        Outcome outcome = call();
        breaker.record(admission, outcome.quote != null, System.nanoTime());
        return new AccountWithQuote(account, outcome.quote, outcome.warning);
    }

    /** A quote, or the warning saying why there is none. */
    private record Outcome(Quote quote, String warning) {
        static Outcome failed(String warning) {
            return new Outcome(null, warning);
        }
    }

    private Outcome call() {
        CompletableFuture<HttpResponse<byte[]>> pending =
                client.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> response;
        try {
            // The request's timeout ends at the answer's head; this one covers its body too.
            response = pending.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            pending.cancel(true);
            return Outcome.failed(TIMED_OUT);
        } catch (InterruptedException e) {
            pending.cancel(true);
            Thread.currentThread().interrupt();
            return Outcome.failed(TIMED_OUT);
        } catch (ExecutionException e) {
            return Outcome.failed(failure(e.getCause()));
        }
        byte[] body = response.body();
        if (response.statusCode() != 200 || body == null || body.length > MAX_ANSWER) {
            return Outcome.failed(BAD_ANSWER);
        }
        try {
            JsonNode node = JSON.readTree(body);
            JsonNode quote = node == null ? null : node.get("quote");
            JsonNode ip = node == null ? null : node.get("ipAddress");
            JsonNode language = node == null ? null : node.get("language");
            if (quote == null || !quote.isTextual() || ip == null || !ip.isTextual()
                    || language == null || !language.isTextual()) {
                return Outcome.failed(BAD_ANSWER);
            }
            return new Outcome(new Quote(quote.textValue(), ip.textValue(), language.textValue()), null);
        } catch (IOException e) {
            return Outcome.failed(BAD_ANSWER);
        }
    }

    /** Words a transport failure: a timeout, no connection, or a broken answer. */
    static String failure(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof HttpTimeoutException) {
                return TIMED_OUT;
            }
            if (t instanceof ConnectException || t instanceof UnresolvedAddressException) {
                return UNREACHABLE;
            }
        }
        return BAD_ANSWER;
    }
}
