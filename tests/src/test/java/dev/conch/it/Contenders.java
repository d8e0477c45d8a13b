package dev.conch.it;

import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Many sessions contending at once, a thread each: how the stress test and the benchmark load a
 * semaphore.
 */
final class Contenders {
  /** What one contender does with its session. */
  interface Body {
    void run(Session session) throws Exception;
  }

  private Contenders() {}

  /**
   * Opens {@code n} sessions, runs {@code body} for each at once, waits for all and closes them;
   * the seconds from the start of the first body to the end of the last.
   */
  static double run(Client client, int n, Body body) throws Exception {
    List<Session> sessions = new ArrayList<>();
    for (int i = 0; i < n; i++) sessions.add(Session.open(client, 60, Duration.ofSeconds(5)));
    ExecutorService pool = Executors.newFixedThreadPool(n);
    long t0 = System.nanoTime();
    try {
      List<Future<?>> futures = new ArrayList<>();
      for (Session s : sessions) {
        futures.add(
            pool.submit(
                () -> {
                  body.run(s);
                  return null;
                }));
      }
      for (Future<?> f : futures) f.get();
      return (System.nanoTime() - t0) / 1e9;
    } finally {
      pool.shutdownNow();
      for (Session s : sessions) s.close();
    }
  }
}
