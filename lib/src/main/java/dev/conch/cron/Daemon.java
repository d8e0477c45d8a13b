package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Host;
import dev.conch.base.Json;
import dev.conch.base.Log;
import dev.conch.base.Text;
import dev.conch.coord.Backoff;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import dev.conch.proc.Child;
import dev.conch.proc.Signals;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * conchd: keeps the cron table in memory by watching it, and at each tick of each job tries to
 * claim {@code runs/<job>/<tick>} with a create-if-absent transaction. The one daemon that wins
 * runs the command under the supervision of contract section 4, on its own lease, and writes the
 * result into the claim. A tick never runs twice: the claim is not on a lease, so it outlives a
 * crashed winner.
 */
public final class Daemon {
  /**
   * How a daemon runs; {@code grace} is how long SIGTERM lets running jobs finish before killing
   * them; {@code allow} the commands this host runs (the others it leaves to daemons that allow
   * them).
   */
  public record Options(
      long ttlSeconds,
      Duration killAfter,
      Duration maxLateness,
      Duration grace,
      Duration dialTimeout,
      Allow allow) {}

  private record Entry(Job job, Schedule schedule, long version, ScheduledFuture<?> timer) {}

  private final Client client;
  private final Keys keys;
  private final Options opt;
  private final Table table;
  private final Signals signals = Signals.install();
  private final Instant started = Instant.now();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "conch-cron-timer"));
  private final ExecutorService runners =
      Executors.newCachedThreadPool(r -> daemonThread(r, "conch-cron-run"));
  private final Map<String, Entry> jobs = new ConcurrentHashMap<>();
  private final Map<Child, String> running = new ConcurrentHashMap<>(); // each run's job
  private final Log log;
  private final InetSocketAddress metricsAt;
  private final Metrics metrics = new Metrics();
  private final Map<String, Long> refused =
      new ConcurrentHashMap<>(); // job -> the version we said so for
  private volatile Session session;
  private volatile Watch.Watcher watcher;
  private volatile boolean stopping;

  /** {@code metricsAt}: where to serve {@link Metrics}, or null. */
  public Daemon(Client client, Keys keys, Options opt, Log log, InetSocketAddress metricsAt) {
    this.client = client;
    this.keys = keys;
    this.opt = opt;
    this.log = log;
    this.metricsAt = metricsAt;
    this.table = new Table(client, keys, opt.dialTimeout());
  }

  /**
   * Runs until SIGTERM, SIGINT or SIGHUP; 0 after a clean stop. The metrics server, if any, lives
   * as long.
   */
  public int run() {
    try (MetricsServer served =
        metricsAt == null ? null : MetricsServer.start(metricsAt, metrics::render)) {
      session = firstSession();
      Child.warmUp(); // not at the first tick: a run's lateness is not the JVM's cold start-up
      timer.execute(this::loadTable);
      log.always(
          "up",
          "no ticks before " + started,
          "lease",
          Keys.leaseHex(session.lease()),
          "metrics",
          served == null ? null : served.address());
      while (true) {
        CompletableFuture.anyOf(signals.first(), session.lost()).join();
        if (signals.first().isDone()) break;
        log.always(
            "lost",
            "lease lost ("
                + session.lost().join()
                + "); running jobs are terminated; registering again",
            "lease",
            Keys.leaseHex(session.lease()));
        metrics.leaseLost();
        metrics.zombies(running.size());
        terminate("the daemon's lease was lost");
        if (!reopen()) break;
      }
      stop();
      log.always("down", "stopped on SIG" + signals.first().join());
      return ExitCode.OK;
    }
  }

  /** A new session after a loss, retried until etcd answers; false if a signal came first. */
  private boolean reopen() {
    session.close();
    // each loss starts from 1 s again: one outage does not slow the recovery from the next
    Backoff backoff = new Backoff(Duration.ofSeconds(30), Duration.ofDays(1));
    while (!signals.first().isDone()) {
      try {
        Session s = register(Session.open(client, opt.ttlSeconds(), opt.dialTimeout()));
        if (s == null) continue; // expired before we registered: a fresh lease at once
        session = s;
        return true;
      } catch (Failure f) {
        if (f.kind == Failure.Kind.REFUSED) throw f;
        metrics.etcdError("register");
        Duration d = backoff.after(Duration.ZERO);
        CompletableFuture.anyOf(
                signals.first(),
                new CompletableFuture<>()
                    .completeOnTimeout(null, d.toMillis(), TimeUnit.MILLISECONDS))
            .join();
      }
    }
    return false;
  }

  /**
   * The first session. On a loaded host a short TTL can run out between the grant and the
   * registration: that lease is replaced by a fresh one for as long as --dial-timeout lasts.
   */
  private Session firstSession() {
    long end = System.nanoTime() + opt.dialTimeout().toNanos();
    while (true) {
      Session s = register(Session.open(client, opt.ttlSeconds(), opt.dialTimeout()));
      if (s != null) return s;
      if (System.nanoTime() > end)
        throw new Failure(
            Failure.Kind.UNAVAILABLE,
            "each lease expired before the daemon could register on it, for --dial-timeout "
                + Durations.format(opt.dialTimeout())
                + ": a --ttl of "
                + opt.ttlSeconds()
                + "s is too short for this host or etcd");
    }
  }

  /**
   * Our key under daemons/, on the lease: how readers tell a live run from a zombie. Null if the
   * lease expired before the key was put (the session is closed).
   */
  private Session register(Session s) {
    ByteSequence key = Etcd.bytes(keys.daemons() + Keys.leaseHex(s.lease()));
    String me =
        Table.registration(
            Holder.self(List.of("conch", "daemon"), s.ttl(), s.lease()), opt.maxLateness());
    try {
      long rev =
          client
              .getKVClient()
              .put(key, Etcd.bytes(me), PutOption.builder().withLeaseId(s.lease()).build())
              .orTimeout(opt.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
              .join()
              .getHeader()
              .getRevision();
      KeyWaits.deleted(client, key, rev + 1)
          .thenRun(() -> s.lose("its key under daemons/ was deleted"));
      return s;
    } catch (RuntimeException e) {
      s.close();
      if (Etcd.leaseNotFound(e)) return null;
      throw Etcd.failure(e, "registering the daemon");
    }
  }

  /**
   * Reads the whole table, then watches it from the next revision: no polling, no missed change.
   * The table in memory is changed only on the timer thread, which also fires the ticks.
   */
  private void loadTable() {
    if (stopping) return;
    ByteSequence dir = Etcd.bytes(keys.cronJobs());
    client
        .getKVClient()
        .get(dir, GetOption.builder().isPrefix(true).build())
        .whenComplete(
            (r, e) -> {
              if (e != null) {
                metrics.etcdError("table");
                timer.schedule(this::loadTable, 1, TimeUnit.SECONDS); // etcd unreachable: try again
                return;
              }
              timer.execute(
                  () -> {
                    Set<String> seen = new HashSet<>();
                    for (KeyValue kv : r.getKvs()) seen.add(apply(kv));
                    jobs.keySet().stream()
                        .filter(n -> !seen.contains(n))
                        .toList()
                        .forEach(this::drop);
                  });
              Watch.Watcher old = watcher;
              watcher =
                  client
                      .getWatchClient()
                      .watch(
                          dir,
                          WatchOption.builder()
                              .isPrefix(true)
                              .withRevision(r.getHeader().getRevision() + 1)
                              .build(),
                          Watch.listener(
                              w -> timer.execute(() -> w.getEvents().forEach(this::changed)),
                              err -> {
                                metrics.etcdError("table");
                                timer.execute(this::loadTable);
                              }));
              if (old != null) old.close();
            });
  }

  private void changed(WatchEvent e) {
    if (e.getEventType() == WatchEvent.EventType.PUT) apply(e.getKeyValue());
    else drop(Etcd.string(e.getKeyValue().getKey()).substring(keys.cronJobs().length()));
  }

  /**
   * Takes a job into the table (or replaces it); returns its name. Unreadable values are skipped.
   */
  private String apply(KeyValue kv) {
    String name = Etcd.string(kv.getKey()).substring(keys.cronJobs().length());
    Entry had = jobs.get(name);
    if (had != null && had.version() == kv.getModRevision()) return name;
    Job job = Table.parseJob(name, Etcd.string(kv.getValue())).orElse(null);
    drop(name);
    if (job == null) {
      log.always("error", "skipping job key " + Text.quote(name) + ": unreadable value");
      return name;
    }
    if (!opt.allow().allows(job.cmd())) {
      if (!Long.valueOf(kv.getModRevision()).equals(refused.put(name, kv.getModRevision()))) {
        log.always(
            "refused",
            "not running job "
                + name
                + " (added by "
                + Text.printable(job.addedBy())
                + "): its command "
                + Text.quote(Allow.commandLine(job.cmd()))
                + " matches no --allow pattern; daemons that allow it will");
      }
      return name;
    }
    Schedule s = job.parsedSchedule();
    Instant now = Instant.now();
    schedule(
        new Entry(job, s, kv.getModRevision(), null), s.next(now.isAfter(started) ? now : started));
    return name;
  }

  private void drop(String name) {
    Entry e = jobs.remove(name);
    if (e != null && e.timer() != null) e.timer().cancel(false);
  }

  private void schedule(Entry e, Instant tick) {
    long delay = Math.max(0, tick.toEpochMilli() - System.currentTimeMillis());
    ScheduledFuture<?> f =
        timer.schedule(() -> fire(e.job().job(), e.version(), tick), delay, TimeUnit.MILLISECONDS);
    jobs.put(e.job().job(), new Entry(e.job(), e.schedule(), e.version(), f));
  }

  private void fire(String name, long version, Instant tick) {
    Entry e = jobs.get(name);
    if (e == null || e.version() != version || stopping) return; // removed or replaced meanwhile
    Instant now = Instant.now();
    if (now.isBefore(tick)) { // never early, whatever the timer thought
      schedule(e, tick);
      return;
    }
    Instant late = now.minus(opt.maxLateness());
    schedule(e, e.schedule().next(tick.isAfter(late) ? tick : late));
    Session s = session;
    if (!s.lost().isDone()) runners.execute(() -> claimAndRun(e.job(), tick, now, s));
  }

  private void claimAndRun(Job job, Instant tick, Instant now, Session s) {
    String key = keys.cronRun(job.job(), tick.toEpochMilli());
    String lease = Keys.leaseHex(s.lease());
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
        log.about("cron", job.job())
            .always(
                Run.MISSED,
                "noticed " + Durations.format(late) + " after its tick, too late even to record",
                "tick",
                tick.toString());
        return;
      }
      Run record =
          late.compareTo(opt.maxLateness()) > 0
              ? claim.as(Run.MISSED)
              : job.skipsOverlap() && table.going(job, now) ? claim.as(Run.SKIPPED) : claim;
      if (stopping) return; // SIGTERM came while we looked: no new claims
      Long rev = claim(key, record);
      Log runLog = log.about("cron", job.job());
      if (rev == null) { // another daemon has this tick
        metrics.tickLost(job.job());
        runLog.verbose("tick-lost", "another daemon claimed this tick", "tick", tick.toString());
        return;
      }
      metrics.claimed(job.job());
      if (record == claim) {
        supervise(job, tick, key, rev, claim, s, runLog);
      } else {
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
        trim(job, runLog);
      }
    } catch (RuntimeException e) {
      metrics.etcdError("claim");
      log.about("cron", job.job())
          .always(
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

  private void supervise(
      Job job, Instant tick, String key, long rev, Run claim, Session s, Log runLog) {
    String lease = Keys.leaseHex(s.lease());
    Map<String, String> env =
        Map.of(
            "CONCH_TOOL",
            "cron",
            "CONCH_NAME",
            job.job(),
            "CONCH_JOB",
            job.job(),
            "CONCH_TICK",
            tick.toString(),
            "CONCH_REV",
            Long.toString(rev),
            "CONCH_LEASE",
            lease,
            "CONCH_KEY",
            key);
    Child child = Child.start(job.cmd(), env, opt.killAfter(), s.remaining());
    Duration late = Duration.between(tick, Instant.now());
    metrics.lateness(late);
    runLog.always(
        "started",
        null,
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        lease,
        "late_ms",
        late.toMillis());
    running.put(child, job.job());
    trim(
        job,
        runLog); // once the run has started: its lateness does not include the trim's round trips
    Runnable unrenew = s.onRenew(child::renew);
    boolean[] timedOut = {false};
    Duration limit = job.timeoutDuration();
    ScheduledFuture<?> killer =
        limit == null
            ? null
            : timer.schedule(
                () -> {
                  timedOut[0] = true;
                  runLog.always(
                      "signalled",
                      "ran past --timeout " + Durations.format(limit),
                      "signal",
                      "TERM",
                      "tick",
                      tick.toString(),
                      "rev",
                      rev);
                  child.signal("TERM");
                },
                limit.toMillis(),
                TimeUnit.MILLISECONDS);
    int exit = child.exit().join();
    if (killer != null) killer.cancel(false);
    unrenew.run();
    child.close();
    running.remove(child);
    Run result = claim.finished(Instant.now(), exit, timedOut[0]);
    metrics.run(job.job(), result.state());
    runLog.always(
        "finished",
        null,
        "state",
        result.state(),
        "exit",
        exit,
        "tick",
        tick.toString(),
        "rev",
        rev,
        "lease",
        lease);
    ByteSequence k = Etcd.bytes(key);
    // only over our own claim: a stale writer never overwrites a newer record
    client
        .getKVClient()
        .txn()
        .If(new Cmp(k, Cmp.Op.EQUAL, CmpTarget.modRevision(rev)))
        .Then(Op.put(k, Etcd.bytes(Json.write(result)), PutOption.DEFAULT))
        .commit()
        .orTimeout(opt.dialTimeout().toMillis(), TimeUnit.MILLISECONDS)
        .join();
  }

  /**
   * Each claim trims the history as its run starts, so a long run does not hold the trim back; a
   * failed trim only waits for the next claim.
   */
  private void trim(Job job, Log runLog) {
    try {
      table.trim(job, Instant.now(), opt.maxLateness());
    } catch (RuntimeException e) {
      metrics.etcdError("trim");
      runLog.always("error", Etcd.failure(e, "trimming its history").getMessage());
    }
  }

  /** SIGTERM to every running job, each said in its own line. */
  private void terminate(String why) {
    running.forEach(
        (child, job) -> {
          log.about("cron", job).always("signalled", why, "signal", "TERM");
          child.signal("TERM");
        });
  }

  /**
   * SIGTERM: no new claims; running jobs get the grace period, then SIGTERM and kill-after; then
   * release. The timer lives until the runs are over: it holds their {@code --timeout} killers.
   */
  private void stop() {
    stopping = true;
    if (watcher != null) watcher.close();
    runners.shutdown();
    try {
      if (!runners.awaitTermination(opt.grace().toMillis(), TimeUnit.MILLISECONDS)) {
        terminate("the daemon's --grace " + Durations.format(opt.grace()) + " is over");
        runners.awaitTermination(opt.killAfter().toMillis() + 10_000, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
    session.close();
  }

  private static Thread daemonThread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
