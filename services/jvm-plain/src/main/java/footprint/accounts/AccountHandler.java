package footprint.accounts;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.util.List;

/** Routes every request by hand: {@code /health} and {@code /accounts/{id}}. */
final class AccountHandler implements HttpHandler {

    static final String HEALTH_PATH = "/health";
    static final String ACCOUNTS_PREFIX = "/accounts/";
    static final String ALLOW = "GET, HEAD";
    static final String JSON = "application/json";

    private final Accounts accounts;
    private final String hostname;
    private final String stack;

    AccountHandler(Accounts accounts, String hostname, String stack) {
        this.accounts = accounts;
        this.hostname = hostname;
        this.stack = stack;
    }

    @Override
    public void handle(HttpExchange exchange) throws IOException {
        try {
            respond(exchange);
        } finally {
            // Also drains an unread request body, so the connection stays usable.
            exchange.close();
        }
    }

    private void respond(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        boolean head = method.equals("HEAD");
        String version = exchange.getProtocol();
        if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
            // HttpServer passes whatever follows the request target through as the version.
            exchange.getResponseHeaders().set("Connection", "close");
            send(exchange, head, 505, Json.error("http version not supported"), false);
            return;
        }
        if (!hasValidHost(exchange.getRequestHeaders(), version)) {
            // Also catches obsolete line folding, which HttpServer merges into the value above.
            exchange.getResponseHeaders().set("Connection", "close");
            send(exchange, head, 400, Json.error("bad request"), false);
            return;
        }
        String path = rawPath(exchange.getRequestURI());
        String id = null;
        if (path.startsWith(ACCOUNTS_PREFIX)) {
            String segment = path.substring(ACCOUNTS_PREFIX.length());
            if (!segment.isEmpty() && segment.indexOf('/') < 0) {
                id = segment;
            }
        }
        if (id == null && !path.equals(HEALTH_PATH)) {
            send(exchange, head, 404, Json.error("no such path"), false);
            return;
        }
        if (!head && !method.equals("GET")) {
            send(exchange, false, 405, Json.error("method not allowed"), true);
            return;
        }
        if (id == null) {
            send(exchange, head, 200, Json.HEALTH, false);
            return;
        }
        Accounts.Lookup lookup = accounts.findRaw(id);
        switch (lookup.outcome()) {
            case FOUND -> send(exchange, head, 200, Json.account(lookup.account(), hostname), false);
            case NOT_FOUND -> send(exchange, head, 404, Json.error("account not found"), false);
            case INVALID -> send(exchange, head, 400, Json.error("invalid account id"), false);
        }
    }

    /**
     * RFC 9112, 3.2: an HTTP/1.1 request has exactly one {@code Host}; none, several, or one
     * that is not {@code host[:port]} is a bad request. HTTP/1.0 may omit it.
     */
    static boolean hasValidHost(Headers headers, String version) {
        List<String> hosts = headers.get("Host");
        if (hosts == null || hosts.isEmpty()) {
            return version.equals("HTTP/1.0");
        }
        if (hosts.size() != 1) {
            return false;
        }
        String host = hosts.get(0);
        for (int i = 0; i < host.length(); i++) {
            char c = host.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "-._~!$&'()*+,;=:%[]".indexOf(c) >= 0;
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /**
     * The request target's path exactly as sent: not percent-decoded (as
     * {@code URI.getPath()} would be) and not re-parsed ({@code //accounts/1} is a path here,
     * not an authority). The query string is dropped.
     */
    static String rawPath(URI uri) {
        String target = uri.toString();
        if (!target.startsWith("/")) {
            // absolute-form (http://host/path) or something HttpServer let through
            String path = uri.getRawPath();
            return path == null ? "" : path;
        }
        int end = target.length();
        int query = target.indexOf('?');
        if (query >= 0) {
            end = query;
        }
        int fragment = target.indexOf('#');
        if (fragment >= 0 && fragment < end) {
            end = fragment;
        }
        return target.substring(0, end);
    }

    private void send(HttpExchange exchange, boolean head, int status, byte[] body, boolean allow)
            throws IOException {
        Headers headers = exchange.getResponseHeaders();
        headers.set("Content-Type", JSON);
        headers.set("Server", stack);
        if (allow) {
            headers.set("Allow", ALLOW);
        }
        if (head) {
            // HttpServer writes no Content-Length for HEAD: send the one GET would have.
            headers.set("Content-Length", Integer.toString(body.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
