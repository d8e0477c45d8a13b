package dev.conch.it.support;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everyone conch runs, on one prefix, each command logging its runs ({@link Spans}): office {@code
 * o} with holder H and waiter W, semaphore {@code s} of one slot with holder S1 and waiters S2, S3
 * (queued in that order), an {@code elect --restart} service R on office {@code r}, and a daemon D
 * running job {@code tick} ({@code @every 1s}, its runs logged as {@link Cron#logging}).
 */
public final class Fleet implements AutoCloseable {
  public final Conch c;
  public final Path log;
  public final Path ticks;
  private final String ttl;
  private final Map<String, Conch.Run> runs = new LinkedHashMap<>();

  /** The fleet with its leases of {@code ttl}, kill-after 1s, returned once all are in place. */
  public Fleet(String endpoint, String ttl) {
    c = new Conch(endpoint);
    log = c.file("log");
    ticks = c.file("ticks");
    this.ttl = ttl;
    Cron.add(
        c,
        "tick",
        Args.array(
            List.of("--schedule", "@every 1s", "--keep", "100", "--overlap", "allow"),
            Cron.logging(ticks, "0")));
    // the holders first, at once; then the waiters, each after the key it queues behind
    start("H", "elect", "o");
    start("S1", "sema", "s", "--max", "1");
    start("R", "elect", "r", "--restart", "--backoff-max", "1s");
    runs.put("D", c.start("daemon", "--ttl", ttl, "--kill-after", "1s"));
    Conch.awaitLines(log, 3, 30_000);
    start("W", "elect", "o");
    start("S2", "sema", "s", "--max", "1");
    c.awaitKeysUnder("/v1/sema/s/1/", 2);
    start("S3", "sema", "s", "--max", "1");
    c.awaitKeysUnder("/v1/sema/s/1/", 3);
    c.awaitKeysUnder("/v1/elect/o/", 2);
    Cron.awaitUp(List.of(runs.get("D")));
  }

  /** Starts another wrapper, {@code id}, on the fleet's prefix. */
  public Conch.Run start(String id, String... toolAndName) {
    List<String> opts = List.of("--ttl", ttl, "--kill-after", "1s");
    Conch.Run r = c.start(Args.array(Args.cat(List.of(toolAndName), opts), Spans.command(log, id)));
    runs.put(id, r);
    return r;
  }

  public Conch.Run run(String id) {
    return runs.get(id);
  }

  /** The keys under the fleet's prefix + {@code dir} (each names its lease). */
  public List<String> keys(String dir) {
    return Etcdctl.keys(c.endpoint, c.prefix + dir);
  }

  /** Whoever is still running is killed (a failed test); a wrapper's child goes with it. */
  @Override
  public void close() {
    runs.values().forEach(r -> r.process().destroyForcibly());
  }
}
