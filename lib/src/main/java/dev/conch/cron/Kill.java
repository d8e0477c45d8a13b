package dev.conch.cron;

import dev.conch.base.Json;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code cron kill}'s side: a request {@code cron/kills/<job>/<lease>} on a lease of the
 * requester's own, so that it vanishes with a requester that dies; every daemon of this release
 * that runs the job terminates its runs claimed before the request ({@link Runs#kill}). Then it
 * waits, with watches, until each run it saw going has its result.
 */
public final class Kill {
  /** The kill request's lease: short, so a dead requester's request goes soon. */
  static final long TTL_SECONDS = 5;

  private final Client client;
  private final Keys keys;
  private final Duration timeout;

  public Kill(Client client, Keys keys, Duration timeout) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
  }

  /** The runs of {@code job} going now, as {@code cron ls} tells them (a zombie is not going). */
  public static List<Run> going(Table table, Job job) {
    Set<String> live = table.liveDaemons();
    Instant now = Instant.now();
    return table.runs(job.job(), 0).stream()
        .filter(r -> r.going(live, job.timeoutDuration(), now))
        .toList();
  }

  /**
   * Asks every daemon to kill {@code going}'s runs of {@code job} and waits for their results, for
   * {@code wait} at most; returns each run's record as it ended, or null for one whose daemon
   * vanished (a zombie), and leaves out those still going when {@code wait} passed.
   */
  public List<Run> kill(String job, List<Run> going, String by, Duration wait) {
    CompletableFuture<Object> deadline =
        new CompletableFuture<>().completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS);
    RunNow records = new RunNow(client, keys, timeout);
    try (Session s = Session.open(client, TTL_SECONDS, timeout)) {
      String value = Json.write(new Requests.Asked(by, Instant.now().toString()));
      Etcd.sync(
          client
              .getKVClient()
              .put(
                  Etcd.bytes(keys.cronKill(job, s.lease())),
                  Etcd.bytes(value),
                  PutOption.builder().withLeaseId(s.lease()).build()),
          timeout,
          "requesting the kill");
      List<Run> ended = new ArrayList<>();
      for (Run r : going) {
        Run end = records.result(job, r, deadline);
        if (end != null || !deadline.isDone()) ended.add(end);
      }
      return ended;
    }
  }
}
