package footprint.accounts.log;

import static net.logstash.logback.argument.StructuredArguments.kv;

import java.io.IOException;

import javax.servlet.ServletException;

import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.valves.ValveBase;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import footprint.accounts.Rung;

/**
 * The {@code log} rung (contract F1): one JSON access-log line per request on stdout, written
 * the way a Spring service usually logs: SLF4J with Logback and the Logstash JSON encoder
 * (Debian's liblogback-java, libslf4j-java, liblogstash-logback-encoder-java; configured by
 * {@code logback.xml}). A valve on the application's context logs each request once its answer
 * is made, whatever made it (a controller, the exception handler, the dispatcher's 404).
 */
public final class AccessLog implements Rung {

    /** The logger of every access line, so a reader can tell them from other lines. */
    private static final Logger ACCESS = LoggerFactory.getLogger("access");

    @Override
    public String name() {
        return "log";
    }

    @Override
    public void install(StandardContext context) {
        context.getPipeline().addValve(new Valve());
    }

    /** Logs the request after the rest of the pipeline has answered it. */
    static final class Valve extends ValveBase {
        Valve() {
            super(true);
        }

        @Override
        public void invoke(Request request, Response response) throws IOException, ServletException {
            long started = System.nanoTime();
            try {
                getNext().invoke(request, response);
            } finally {
                // The path as sent, without the query: getRequestURI is not decoded.
                ACCESS.info("request",
                        kv("method", request.getMethod()),
                        kv("path", request.getRequestURI()),
                        kv("status", response.getStatus()),
                        kv("duration_us", (System.nanoTime() - started) / 1000));
            }
        }
    }
}
