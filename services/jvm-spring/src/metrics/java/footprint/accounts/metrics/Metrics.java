package footprint.accounts.metrics;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

import javax.servlet.ServletException;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.valves.ValveBase;

import footprint.accounts.Rung;

/**
 * The {@code metrics} rung (contract F2): a request counter and a latency histogram by route
 * and status on {@code GET /metrics}, in the Prometheus text format.
 *
 * <p>Debian packages no Prometheus client for Java, and the metrics library it does package
 * (Dropwizard Metrics, {@code libdropwizard-metrics-java}) keeps a reservoir of samples per
 * histogram, not the fixed cumulative buckets F2 asks for. So the rung holds what a Prometheus
 * Java client holds for these two metrics, written out: per route and status, one
 * {@link LongAdder} per bucket, one for the count and a {@link DoubleAdder} for the sum (the
 * client's {@code Histogram} child is the same adders), and it writes the text format itself.
 * Memory does not grow with requests, and nothing runs between scrapes. A valve on the
 * application's context times each request from the moment Tomcat hands it over to its answer,
 * whatever made it; {@code GET /metrics} is answered by the valve itself, then counted.
 */
public final class Metrics implements Rung {

    /** Where the exposition is served. */
    static final String PATH = "/metrics";

    /** The histogram's first bucket, seconds; each next one doubles it. */
    static final double FIRST_BUCKET_S = 0.0001;

    /** Buckets before {@code +Inf}: 100 µs to 0.82 s, as the other stacks' rung. */
    static final int BUCKETS = 14;

    private static final String[] BOUNDS = new String[BUCKETS];
    private static final double[] LIMITS = new double[BUCKETS];

    static {
        double bound = FIRST_BUCKET_S;
        for (int i = 0; i < BUCKETS; i++) {
            LIMITS[i] = bound;
            BOUNDS[i] = BigDecimal.valueOf(bound).stripTrailingZeros().toPlainString();
            bound *= 2;
        }
    }

    private final Map<Labels, Series> series = new ConcurrentHashMap<>();

    @Override
    public String name() {
        return "metrics";
    }

    @Override
    public void install(StandardContext context) {
        context.getPipeline().addValve(new Valve());
    }

    /** The labels of both metrics. */
    private record Labels(String route, int status) {}

    /** One route and status: the counter's value is the histogram's count. */
    private static final class Series {
        final LongAdder[] buckets = new LongAdder[BUCKETS];
        final LongAdder count = new LongAdder();
        final DoubleAdder sum = new DoubleAdder();

        Series() {
            for (int i = 0; i < BUCKETS; i++) {
                buckets[i] = new LongAdder();
            }
        }

        void observe(double seconds) {
            for (int i = 0; i < BUCKETS; i++) {
                if (seconds <= LIMITS[i]) {
                    buckets[i].increment();
                    break;
                }
            }
            count.increment();
            sum.add(seconds);
        }
    }

    /** The label of a path: the template it matched, or {@code other}, never an id. */
    static String route(String path) {
        if (path.equals("/health") || path.equals(PATH)) {
            return path;
        }
        if (path.startsWith("/accounts/")) {
            String segment = path.substring("/accounts/".length());
            if (!segment.isEmpty() && segment.indexOf('/') < 0) {
                return "/accounts/{id}";
            }
        }
        return "other";
    }

    void record(String path, int status, long nanos) {
        series.computeIfAbsent(new Labels(route(path), status), k -> new Series())
                .observe(nanos / 1e9);
    }

    /** One series read at once, so the counter and the histogram agree within a scrape. */
    private record Snapshot(Labels labels, long[] cumulative, long count, double sum) {}

    private static Snapshot read(Labels labels, Series s) {
        long[] cumulative = new long[BUCKETS];
        long running = 0;
        for (int i = 0; i < BUCKETS; i++) {
            running += s.buckets[i].sum();
            cumulative[i] = running;
        }
        // A request observed while this reads may have reached its bucket and not yet the
        // count: the larger keeps +Inf cumulative.
        return new Snapshot(labels, cumulative, Math.max(s.count.sum(), running), s.sum.sum());
    }

    /** The Prometheus text format (0.0.4) of both metrics. */
    String exposition() {
        List<Snapshot> snapshots = new ArrayList<>(series.size());
        series.forEach((labels, s) -> snapshots.add(read(labels, s)));
        StringBuilder out = new StringBuilder(4096);
        out.append("# HELP http_requests_total Requests answered.\n");
        out.append("# TYPE http_requests_total counter\n");
        for (Snapshot s : snapshots) {
            out.append("http_requests_total").append(labels(s.labels(), null)).append(' ')
                    .append(s.count()).append('\n');
        }
        out.append("# HELP http_request_duration_seconds Time from the request's head to its answer.\n");
        out.append("# TYPE http_request_duration_seconds histogram\n");
        for (Snapshot s : snapshots) {
            for (int i = 0; i < BUCKETS; i++) {
                out.append("http_request_duration_seconds_bucket").append(labels(s.labels(), BOUNDS[i]))
                        .append(' ').append(s.cumulative()[i]).append('\n');
            }
            out.append("http_request_duration_seconds_bucket").append(labels(s.labels(), "+Inf"))
                    .append(' ').append(s.count()).append('\n');
            out.append("http_request_duration_seconds_sum").append(labels(s.labels(), null))
                    .append(' ').append(s.sum()).append('\n');
            out.append("http_request_duration_seconds_count").append(labels(s.labels(), null))
                    .append(' ').append(s.count()).append('\n');
        }
        return out.toString();
    }

    private static String labels(Labels labels, String le) {
        // Routes are the templates above: nothing in them needs escaping.
        return "{" + (le == null ? "" : "le=\"" + le + "\",") + "route=\"" + labels.route()
                + "\",status=\"" + labels.status() + "\"}";
    }

    /** Answers GET /metrics, passes every other request on, and counts each once answered. */
    final class Valve extends ValveBase {
        Valve() {
            super(true);
        }

        @Override
        public void invoke(Request request, Response response) throws IOException, ServletException {
            long started = System.nanoTime();
            // The path as sent, without the query: getRequestURI is not decoded.
            String path = request.getRequestURI();
            if ("GET".equals(request.getMethod()) && PATH.equals(path)) {
                byte[] body = exposition().getBytes(StandardCharsets.UTF_8);
                // Counted before it is sent, so the next scrape sees it whatever the timing.
                record(path, 200, System.nanoTime() - started);
                response.setStatus(200);
                response.setContentType("text/plain; version=0.0.4; charset=utf-8");
                response.setContentLength(body.length);
                try (OutputStream stream = response.getOutputStream()) {
                    stream.write(body);
                }
                return;
            }
            try {
                getNext().invoke(request, response);
            } finally {
                record(path, response.getStatus(), System.nanoTime() - started);
            }
        }
    }
}
