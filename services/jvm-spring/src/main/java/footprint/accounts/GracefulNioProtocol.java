package footprint.accounts;

import java.util.concurrent.Executor;
import org.apache.coyote.http11.Http11NioProtocol;
import org.apache.tomcat.util.net.SocketWrapperBase;
import org.apache.tomcat.util.threads.ThreadPoolExecutor;

/**
 * Tomcat's NIO HTTP/1.1 connector, able to stop gracefully the way the contract says: stop
 * accepting, finish the requests in flight, then close.
 *
 * <p>Tomcat's own stop closes every connection at once, and pausing the connector first (as
 * Spring Boot's graceful shutdown does) answers a request whose head is still arriving with
 * 503. Instead, {@link #stopAccepting()} closes the listening socket only (which needs the
 * socket bound on start, not on init), and {@link #hasRequestsInFlight()} tells when no
 * connection is part-way through a request and no worker is busy, so that idle keep-alive
 * connections do not hold up the stop.
 */
public class GracefulNioProtocol extends Http11NioProtocol {

    public GracefulNioProtocol() {
        // closeServerSocketGraceful() only acts on a socket that was bound by start().
        getEndpoint().setBindOnInit(false);
    }

    /** Closes the listening socket; connections already accepted carry on. */
    public void stopAccepting() {
        closeServerSocketGraceful();
    }

    /** Whether a request is being read, processed or queued for a worker. */
    public boolean hasRequestsInFlight() {
        for (SocketWrapperBase<?> connection : getEndpoint().getConnections()) {
            // A processor stays attached while a request is part-read; an idle keep-alive
            // connection has none.
            if (connection.getCurrentProcessor() != null) {
                return true;
            }
        }
        Executor executor = getExecutor();
        if (executor instanceof ThreadPoolExecutor) {
            ThreadPoolExecutor workers = (ThreadPoolExecutor) executor;
            return workers.getActiveCount() > 0 || !workers.getQueue().isEmpty();
        }
        return false;
    }
}
