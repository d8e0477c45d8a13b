package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a due tick becomes: a claim of {@code runs/<job>/<tick>} by create-if-absent, to run it, or
 * to record it {@code skipped} or {@code missed}; then the run and its result, written over the
 * claim only while the claim is ours. The claim is on no lease, so it outlives a crashed winner and
 * the tick never runs twice. Runs on a {@code conch-cron-run} thread.
 */
final class Claims {
  private final Client client;
  private final Keys keys;
  private final Daemon.Options opt;
  private final Table table;
  private final Runs runs;
  private final Trim trim;
  private final AtomicBoolean stopping;
  private final Metrics metrics;
  private final Log log;
  private final Departed departed;

  Claims(
      Client client,
      Keys keys,
      Daemon.Options opt,
      Table table,
      Runs runs,
      Trim trim,
      AtomicBoolean stopping,
      Metrics metrics,
      Log log,
      Departed departed) {
    this.client = client;
    this.keys = keys;
    this.opt = opt;
    this.table = table;
    this.runs = runs;
    this.trim = trim;
    this.stopping = stopping;
    this.metrics = metrics;
    this.log = log;
    this.departed = departed;
  }

  /** Claims {@code tick}, fired at {@code now}, on lease {@code r}, and runs it if it won. */
  void take(Job job, Instant tick, Instant now, Registration r) {
    String key = keys.cronRun(job.job(), tick.toEpochMilli());
    String lease = Keys.leaseHex(r.session().lease());
    Log runLog = log.about("cron", job.job());
    Run claim =
        new Run(
            tick.toString(),
            Run.RUNNING,
            Host.name(),
            ProcessHandle.current().pid(),
            lease,
            now.toString(),
            null,
            null,
            null);
    try {
      Duration late = Duration.between(tick, now);
      if (late.compareTo(opt.maxLateness().plus(Table.CLOCK_SKEW)) > 0) {
        // beyond the claim horizon: the tick's record may have been trimmed, and a missed record
        // would stand where a run's result was
        runLog.always(
            Run.MISSED,
            "noticed " + Durations.format(late) + " after its tick, too late even to record",
            "tick",
            tick.toString());
        return;
      }
      Run record =
          late.compareTo(opt.maxLateness()) > 0
              ? claim.as(Run.MISSED)
              : job.skipsOverlap() && table.going(job, now, departed)
                  ? claim.as(Run.SKIPPED)
                  : claim;
      if (stopping.get()) return; // SIGTERM came while we looked: no new claims
      Long rev = claim(key, record);
      if (rev == null) { // another daemon has this tick
        metrics.tickLost(job.job());
        runLog.verbose("tick-lost", "another daemon claimed this tick", "tick", tick.toString());
        return;
      }
      metrics.claimed(job.job());
      if (record == claim) {
        record(key, rev, runs.run(job, tick, key, rev, claim, r));
        return;
      }
      metrics.run(job.job(), record.state());
      runLog.always(
          record.state(),
          record.state().equals(Run.MISSED)
              ? "noticed later than --max-lateness " + Durations.format(opt.maxLateness())
              : "the previous run is still going (--overlap skip)",
          "tick",
          tick.toString(),
          "rev",
          rev,
          "lease",
          lease);
      trim.history(job, runLog);
    } catch (RuntimeException e) {
      metrics.etcdError("claim");
      runLog.always(
          "error",
          Etcd.failure(e, "claiming or recording it").getMessage(),
          "tick",
          tick.toString());
    }
  }

  /** Create-if-absent: the claim's create revision if we won the tick, null if someone else did. */
  private Long claim(String key, Run run) {
    ByteSequence k = Etcd.bytes(key);
    TxnResponse t =
        client
            .getKVClient()
            .txn()
            .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)))
            .Then(Op.put(k, Etcd.bytes(Json.write(run)), PutOption.DEFAULT))
            .commit()
            .orTimeout(opt.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .join();
    return t.isSucceeded() ? t.getHeader().getRevision() : null;
  }

  /** The result, only over our own claim: a stale writer never overwrites a newer record. */
  private void record(String key, long rev, Run result) {
    ByteSequence k = Etcd.bytes(key);
    client
        .getKVClient()
        .txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(rev)))
        .Then(Op.put(k, Etcd.bytes(Json.write(result)), PutOption.DEFAULT))
        .commit()
        .orTimeout(opt.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .join();
  }
}
