package footprint.accounts;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The executor HttpServer runs its exchanges on: a fixed set of {@code WORKERS} threads, plus
 * stand-in threads only while the workers are stuck on clients that stall.
 *
 * <p>HttpServer hands a connection to its executor as soon as the first byte arrives, and the
 * executor thread then reads the rest of the request head with blocking I/O. A client that
 * sends half a head holds that thread until {@code sun.net.httpserver.maxReqTime} closes the
 * connection, so with a plain fixed pool a few such clients stop the service for everyone
 * (and the request timeout closes the queued connections of well-behaved clients too). Here a
 * watchdog notices when the oldest queued exchange has waited longer than {@link #STALL_MILLIS}
 * (no worker has taken anything for that long) and starts one stand-in thread at a time, up to
 * {@link #MAX_STANDINS}; a stand-in ends after a second without work. Under any ordinary load
 * the queue drains in microseconds and exactly {@code WORKERS} threads serve.
 */
final class WorkerPool implements Executor {

    static final long STALL_MILLIS = 200;
    static final int MAX_STANDINS = 64;
    private static final long STANDIN_IDLE_MILLIS = 1000;

    /** A queued exchange and when it was queued. */
    private record Task(Runnable runnable, long queuedAtNanos) {}

    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final AtomicInteger standins = new AtomicInteger();
    private final AtomicInteger nextStandin = new AtomicInteger();
    /** Exchanges queued or running. */
    private final AtomicInteger pending = new AtomicInteger();
    private volatile boolean shutdown;

    WorkerPool(int workers) {
        for (int i = 1; i <= workers; i++) {
            start("worker-" + i, this::runWorker, false);
        }
        start("worker-watchdog", this::runWatchdog, true);
    }

    @Override
    public void execute(Runnable runnable) {
        if (shutdown) {
            throw new RejectedExecutionException("shutting down");
        }
        pending.incrementAndGet();
        queue.add(new Task(runnable, System.nanoTime()));
    }

    /** Exchanges handed to the pool and not yet done: queued, or running on a thread. */
    int pending() {
        return pending.get();
    }

    /** Stops taking work; threads blocked on a client end when HttpServer closes it. */
    void shutdown() {
        shutdown = true;
        queue.clear();
    }

    private void runWorker() {
        while (!shutdown) {
            try {
                run(queue.take());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void runStandin() {
        try {
            while (!shutdown) {
                Task task = queue.poll(STANDIN_IDLE_MILLIS, TimeUnit.MILLISECONDS);
                if (task == null) {
                    return;
                }
                run(task);
            }
        } catch (InterruptedException e) {
            // ending
        } finally {
            standins.decrementAndGet();
        }
    }

    private void runWatchdog() {
        long stallNanos = TimeUnit.MILLISECONDS.toNanos(STALL_MILLIS);
        while (!shutdown) {
            try {
                Thread.sleep(STALL_MILLIS / 2);
            } catch (InterruptedException e) {
                return;
            }
            Task oldest = queue.peek();
            if (oldest != null
                    && System.nanoTime() - oldest.queuedAtNanos() > stallNanos
                    && standins.get() < MAX_STANDINS) {
                standins.incrementAndGet();
                start("worker-standin-" + nextStandin.incrementAndGet(), this::runStandin, false);
            }
        }
    }

    private void run(Task task) {
        try {
            task.runnable().run();
        } catch (Throwable e) {
            // HttpServer has closed that connection already; the thread keeps serving.
        } finally {
            pending.decrementAndGet();
        }
    }

    private static void start(String name, Runnable body, boolean daemon) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(daemon);
        thread.start();
    }
}
