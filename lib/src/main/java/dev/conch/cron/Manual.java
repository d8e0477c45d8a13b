package dev.conch.cron;

import dev.conch.base.Host;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A {@code cron run} request taken by this daemon, on a {@code conch-cron-run} thread. The claim is
 * one transaction: the request key still exists (at the create revision seen) and the record key
 * {@code runs/<job>/<instant>} is absent; then the record is put and the request deleted. So at
 * most one daemon ever takes a request, once, whatever dies: a requester killed after its request
 * leaves it to be taken; a daemon killed after its claim leaves a zombie, and no request to take
 * again. The run itself is a tick's ({@link Runs}), with {@code CONCH_MANUAL=1}; it honours {@code
 * --overlap skip}, and runs a paused job as well.
 */
final class Manual {
  private final Keys keys;
  private final Pause specs;
  private final Table table;
  private final Claims claims;
  private final Runs runs;
  private final Allow allow;
  private final Departed departed;
  private final AtomicBoolean stopping;
  private final Metrics metrics;
  private final Log log;

  Manual(
      Keys keys,
      Pause specs,
      Table table,
      Claims claims,
      Runs runs,
      Allow allow,
      Departed departed,
      AtomicBoolean stopping,
      Metrics metrics,
      Log log) {
    this.keys = keys;
    this.specs = specs;
    this.table = table;
    this.claims = claims;
    this.runs = runs;
    this.allow = allow;
    this.departed = departed;
    this.stopping = stopping;
    this.metrics = metrics;
    this.log = log;
  }

  void take(Requests.Request req, Registration r) {
    Log runLog = log.about("cron", req.job());
    try {
      if (!req.id().matches("[0-9]{13}")) return; // not conch's
      long instant = Long.parseLong(req.id());
      Job job = specs.spec(req.job()).orElse(null);
      if (job == null || !allow.allows(job.cmd()) || stopping.get()) return;
      String by = req.by();
      Instant tick = Instant.ofEpochMilli(instant);
      Instant now = Instant.now();
      Run claim =
          new Run(
                  tick.toString(),
                  Run.RUNNING,
                  Host.name(),
                  ProcessHandle.current().pid(),
                  Keys.leaseHex(r.session().lease()),
                  now.toString(),
                  null,
                  null,
                  null)
              .requested(by);
      Run record =
          job.skipsOverlap() && table.going(job, now, departed) ? claim.as(Run.SKIPPED) : claim;
      ByteSequence request = Etcd.bytes(req.key());
      String key = keys.cronRun(req.job(), instant);
      Long rev =
          claims.claim(
              key,
              record,
              List.of(new Cmp(request, Cmp.Op.EQUAL, CmpTarget.createRevision(req.rev()))),
              List.of(Op.delete(request, DeleteOption.DEFAULT)),
              () -> stopping.get() || r.session().lost().isDone());
      if (rev == null) {
        runLog.verbose("request-lost", "another daemon took the request", "tick", tick.toString());
        return;
      }
      metrics.manual(req.job());
      if (record == claim) {
        claims.finish(job, key, rev, runs.run(job, tick, key, rev, claim, r), r);
      } else {
        metrics.run(req.job(), record.state());
        runLog.always(
            record.state(),
            "cron run by " + by + ": the previous run is still going (--overlap skip)",
            "tick",
            tick.toString(),
            "rev",
            rev);
      }
    } catch (RuntimeException e) {
      metrics.etcdError("claim");
      runLog.always("error", Etcd.failure(e, "taking a cron run request").getMessage());
    }
  }
}
