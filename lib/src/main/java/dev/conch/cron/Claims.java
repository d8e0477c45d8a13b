package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Retried;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

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
  private final OnFailure onFailure;

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
      Departed departed,
      OnFailure onFailure) {
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
    this.onFailure = onFailure;
  }

  /**
   * Claims {@code tick}, fired at {@code now}, on lease {@code r}, and runs it if it won; only
   * while the job's key is still at {@code version}, the spec the tick was computed from: no claim
   * lands once a pause, a removal or an edit has returned.
   */
  void take(Job job, long version, Instant tick, Instant now, Registration r) {
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
      ByteSequence spec = Etcd.bytes(keys.cronJob(job.job()));
      Long rev =
          claim(
              key,
              record,
              List.of(new Cmp(spec, Cmp.Op.EQUAL, CmpTarget.modRevision(version))),
              List.of(),
              // not once the lease is lost: a claim that lands later would start a run on it, to
              // be killed at once and recorded failed, where the tick is another daemon's to take
              () ->
                  stopping.get()
                      || r.session().lost().isDone()
                      || Duration.between(tick, Instant.now()).compareTo(opt.maxLateness()) > 0);
      if (rev == null) { // another daemon has this tick, or the job changed
        metrics.tickLost(job.job());
        runLog.verbose(
            "tick-lost",
            "another daemon claimed this tick, or the job was paused, removed or edited",
            "tick",
            tick.toString());
        return;
      }
      metrics.claimed(job.job());
      if (record == claim) {
        finish(job, key, rev, runs.run(job, tick, key, rev, claim, r), r);
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

  /**
   * Create-if-absent, if {@code guards} hold too, with {@code also} in the same transaction: the
   * claim's create revision if we won, null if not. Tried again until {@code giveUp}: an attempt
   * whose answer was lost may have landed, so a refusal is ours if the key holds our claim, byte
   * for byte.
   */
  Long claim(String key, Run run, List<Cmp> guards, List<Op> also, BooleanSupplier giveUp) {
    ByteSequence k = Etcd.bytes(key);
    ByteSequence v = Etcd.bytes(Json.write(run));
    List<Cmp> all = new ArrayList<>(guards);
    all.add(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.createRevision(0)));
    TxnResponse t = ifElseRead(k, all, also, v, giveUp);
    if (t.isSucceeded()) return t.getHeader().getRevision();
    KeyValue kv = ours(t, v);
    return kv == null ? null : kv.getCreateRevision();
  }

  /**
   * A run's end: its result recorded, then the daemon's {@code --on-failure} hook if it failed. A
   * run whose lease was lost is a zombie: no result, no hook.
   */
  void finish(Job job, String key, long rev, Runs.Ended end, Registration r) {
    if (end.lost()) return;
    record(key, rev, end.result(), r);
    onFailure.after(job, rev, end.result());
  }

  /**
   * The result, only over our own claim: a stale writer never overwrites a newer record. Tried
   * again while our lease lives (once it is lost, the run shows as a zombie); an attempt that
   * landed unseen is recognised by its value.
   */
  void record(String key, long rev, Run result, Registration r) {
    ByteSequence k = Etcd.bytes(key);
    ByteSequence v = Etcd.bytes(Json.write(result));
    // refused: someone else's record stands (a trim, an edit), or an unseen try of ours landed
    ifElseRead(
        k,
        List.of(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(rev))),
        List.of(),
        v,
        r.session().lost()::isDone);
  }

  private TxnResponse ifElseRead(
      ByteSequence k, List<Cmp> cmps, List<Op> also, ByteSequence v, BooleanSupplier giveUp) {
    List<Op> then = new ArrayList<>(also);
    then.add(0, Op.put(k, v, PutOption.DEFAULT));
    return Retried.join(
        () ->
            client
                .getKVClient()
                .txn()
                .If(cmps.toArray(Cmp[]::new))
                .Then(then.toArray(Op[]::new))
                .Else(Op.get(k, GetOption.DEFAULT))
                .commit(),
        opt.dialTimeout(),
        giveUp);
  }

  /** The key as the else-branch read it, if it holds {@code v}: a try of ours landed. */
  private static KeyValue ours(TxnResponse t, ByteSequence v) {
    return t.getGetResponses().stream()
        .flatMap(g -> g.getKvs().stream())
        .filter(kv -> kv.getValue().equals(v))
        .findFirst()
        .orElse(null);
  }
}
