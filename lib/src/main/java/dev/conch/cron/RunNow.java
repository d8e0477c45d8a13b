package dev.conch.cron;

import dev.conch.base.Json;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * {@code cron run}'s side: the request {@code cron/requests/<job>/<instant>}, then waits on the
 * record {@code runs/<job>/<instant>} that a daemon's claim puts ({@link Manual}), with watches.
 * The request is on no lease, so a requester that dies after asking still gets its run, once.
 */
public final class RunNow {
  /** A request put: its instant (the run's {@code CONCH_TICK}) and its key's create revision. */
  public record Asked(long instant, long rev) {}

  private final Client client;
  private final Keys keys;
  private final Duration timeout;

  public RunNow(Client client, Keys keys, Duration timeout) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
  }

  /**
   * Asks for a run of {@code job} now. The instant names the record, so it is one no tick of the
   * schedule and no other request has: the next free millisecond.
   */
  public Asked request(Job job, String by) {
    Schedule s = job.parsedSchedule();
    long ms = System.currentTimeMillis();
    while (true) {
      if (s.next(Instant.ofEpochMilli(ms - 1)).toEpochMilli() == ms) ms++;
      ByteSequence req = Etcd.bytes(keys.cronRequest(job.job(), ms));
      ByteSequence run = Etcd.bytes(keys.cronRun(job.job(), ms));
      String value = Json.write(new Requests.Asked(by, Instant.now().toString()));
      var t =
          Etcd.sync(
              client
                  .getKVClient()
                  .txn()
                  .If(
                      new Cmp(req, Cmp.Op.EQUAL, CmpTarget.version(0)),
                      new Cmp(run, Cmp.Op.EQUAL, CmpTarget.version(0)))
                  .Then(Op.put(req, Etcd.bytes(value), PutOption.DEFAULT))
                  .commit(),
              timeout,
              "requesting a run of " + job.job());
      if (t.isSucceeded()) return new Asked(ms, t.getHeader().getRevision());
      ms++;
    }
  }

  /**
   * The record once a daemon has claimed the request; null if none did within {@code wait}, and
   * then the request is withdrawn (unless a claim landed meanwhile: then that record), or if the
   * job was removed with its requests.
   */
  public Run claimed(String job, Asked a, Duration wait) {
    String record = keys.cronRun(job, a.instant());
    CompletableFuture<Object> deadline =
        new CompletableFuture<>().completeOnTimeout(null, wait.toMillis(), TimeUnit.MILLISECONDS);
    Run r = await(record, x -> true, deadline);
    if (r != null) return r;
    ByteSequence req = Etcd.bytes(keys.cronRequest(job, a.instant()));
    Etcd.sync(
        client
            .getKVClient()
            .txn()
            .If(new Cmp(req, Cmp.Op.EQUAL, CmpTarget.createRevision(a.rev())))
            .Then(Op.delete(req, DeleteOption.DEFAULT))
            .commit(),
        timeout,
        "withdrawing the request");
    // the claim puts the record and deletes the request at once: the record says which happened
    return read(record);
  }

  /**
   * The record once it is no longer {@code running}; null if the daemon running it vanished first
   * (the run is a zombie: nobody runs it again), or once {@code giveUp} completes.
   */
  public Run result(String job, Run claim, CompletableFuture<?> giveUp) {
    ByteSequence daemon = Etcd.bytes(keys.daemons() + claim.daemon());
    GetResponse d = Etcd.sync(client.getKVClient().get(daemon), timeout, "reading daemons/");
    CompletableFuture<?> gone =
        d.getKvs().isEmpty()
            ? CompletableFuture.completedFuture(null)
            : KeyWaits.deleted(client, daemon, d.getHeader().getRevision() + 1);
    try {
      return await(
          keys.cronRun(job, Instant.parse(claim.tick()).toEpochMilli()),
          r -> !Run.RUNNING.equals(r.state()),
          CompletableFuture.anyOf(gone, giveUp));
    } finally {
      gone.cancel(true);
    }
  }

  /** The key's record once {@code done} holds of it; null once {@code stop} completes first. */
  private Run await(String key, Predicate<Run> done, CompletableFuture<?> stop) {
    ByteSequence k = Etcd.bytes(key);
    while (true) {
      GetResponse g = Etcd.sync(client.getKVClient().get(k), timeout, "reading " + key);
      Run r = g.getKvs().isEmpty() ? null : run(g.getKvs().get(0));
      if (r != null && done.test(r)) return r;
      if (stop.isDone()) return null;
      CompletableFuture<?> change = KeyWaits.changed(client, k, g.getHeader().getRevision() + 1);
      try {
        CompletableFuture.anyOf(change, stop).exceptionally(e -> null).join();
      } finally {
        change.cancel(true);
      }
    }
  }

  private Run read(String key) {
    GetResponse g = Etcd.sync(client.getKVClient().get(Etcd.bytes(key)), timeout, "reading " + key);
    return g.getKvs().isEmpty() ? null : run(g.getKvs().get(0));
  }

  private static Run run(KeyValue kv) {
    return Json.read(Etcd.string(kv.getValue()), Run.class).orElse(null);
  }
}
