package footprint.accounts;

import java.io.IOException;
import java.io.PrintWriter;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * Error pages for what Tomcat refuses before Spring sees it (an undecodable request target, a
 * null byte, TRACE, {@code sendError} from anywhere): {@code {"error":"<reason>"}} instead of
 * Tomcat's HTML page.
 */
public class JsonErrorValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.getContentWritten() > 0 || !response.setErrorReported()) {
            return;
        }
        if (!request.getProtocol().startsWith("HTTP/1.")) {
            // An HTTP/0.9 answer has no status line: a body alone would read as content.
            // Send nothing; Tomcat closes the connection.
            return;
        }
        if (status == 405) {
            // Tomcat refuses TRACE itself (allowTrace is off) and lists every servlet method.
            response.setHeader("Allow", "GET, HEAD");
        }
        try {
            response.setContentType("application/json");
            response.setCharacterEncoding("UTF-8");
            PrintWriter writer = response.getReporter();
            if (writer != null) {
                writer.write("{\"error\":\"" + reason(status) + "\"}");
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client has gone, or the response was already under way
        }
    }

    static String reason(int status) {
        switch (status) {
            case 400:
                return "bad request";
            case 404:
                return "no such path";
            case 405:
                return "method not allowed";
            case 408:
                return "request timeout";
            case 413:
                return "request too large";
            case 414:
                return "request target too long";
            case 431:
                return "request headers too large";
            case 503:
                return "unavailable";
            default:
                return status < 500 ? "bad request" : "internal error";
        }
    }
}
