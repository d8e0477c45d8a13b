package dev.conch.cron;

import dev.conch.base.Durations;
import dev.conch.base.ExitCode;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.proc.Child;
import dev.conch.proc.Signals;
import io.etcd.jetcd.Client;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * conchd: keeps the cron table in memory by watching it, and at each tick of each job tries to
 * claim {@code runs/<job>/<tick>} with a create-if-absent transaction. The one daemon that wins
 * runs the command under the supervision of contract section 4, on its own lease, and writes the
 * result into the claim. A tick never runs twice: the claim is not on a lease, so it outlives a
 * crashed winner.
 *
 * <p>Threads. The one {@code conch-cron-timer} thread owns the job table in memory and the tick
 * timers ({@link TableSync}, {@link Ticks}) and watches daemons/ ({@link DaemonWatch}): jetcd's
 * answers and watch events are handed to it, so a change and a tick never race and nothing there
 * takes a lock. A due tick goes to the {@code conch-cron-run} pool, where one thread claims it,
 * runs its command under {@link dev.conch.proc.Supervisor} (which decides the lease's loss and
 * --timeout on that same thread) and records it ({@link Claims}, {@link Runs}). The main thread
 * waits for a signal or the lease's loss, registers again, and stops. Shared between them, each
 * safe by itself: the current {@link Registration} (volatile; its loss a future), {@code stopping}
 * (atomic), the runs going (a concurrent map in {@link Runs}), the {@link Metrics} (adders). The
 * daemon owns both executors and {@link #stop} ends them; each lease's keepalive thread is its
 * session's, closed when the lease is lost and at stop.
 */
public final class Daemon {
  /**
   * How a daemon runs; {@code grace} is how long SIGTERM lets running jobs finish before killing
   * them; {@code allow} the commands this host runs (the others it leaves to daemons that allow
   * them); {@code lockDelay} how long a run of a vanished daemon still counts as going; {@code
   * onFailure} the shell command run after each failed run (null: none), for at most {@code
   * onFailureTimeout}.
   */
  public record Options(
      long ttlSeconds,
      Duration killAfter,
      Duration lockDelay,
      Duration maxLateness,
      Duration grace,
      Duration dialTimeout,
      Allow allow,
      String onFailure,
      Duration onFailureTimeout) {}

  private final Client client;
  private final Keys keys;
  private final Options opt;
  private final Log log;
  private final InetSocketAddress metricsAt;
  private final Signals signals = Signals.install();
  private final Instant started = Instant.now();
  private final AtomicBoolean stopping = new AtomicBoolean();
  private final Metrics metrics = new Metrics();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(r -> daemonThread(r, "conch-cron-timer"));
  private final ExecutorService runners =
      Executors.newCachedThreadPool(r -> daemonThread(r, "conch-cron-run"));
  private final Runs runs;
  private final Claims claims;
  private final TableSync table;
  private final DaemonWatch daemons;
  private final Requests runRequests;
  private final Requests killRequests;
  private volatile Registration current;

  /** {@code metricsAt}: where to serve {@link Metrics}, or null. */
  public Daemon(Client client, Keys keys, Options opt, Log log, InetSocketAddress metricsAt) {
    this.client = client;
    this.keys = keys;
    this.opt = opt;
    this.log = log;
    this.metricsAt = metricsAt;
    Table records = new Table(client, keys, opt.dialTimeout());
    Trim trim = new Trim(records, opt.maxLateness(), metrics);
    this.runs = new Runs(opt.killAfter(), trim, metrics, log);
    Departed departed = new Departed(opt.lockDelay());
    this.daemons = new DaemonWatch(client, keys, timer, stopping, departed);
    this.claims =
        new Claims(
            client,
            keys,
            opt,
            records,
            runs,
            trim,
            stopping,
            metrics,
            log,
            departed,
            new OnFailure(opt.onFailure(), opt.onFailureTimeout(), opt.killAfter(), metrics, log));
    Ticks ticks = new Ticks(timer, started, opt.maxLateness(), stopping, this::due);
    this.table = new TableSync(client, keys, opt.allow(), timer, ticks, stopping, metrics, log);
    Pause specs = new Pause(client, keys, opt.dialTimeout());
    Manual manual =
        new Manual(
            keys, specs, records, claims, runs, opt.allow(), departed, stopping, metrics, log);
    this.runRequests =
        new Requests(
            client, keys.cronRequests(), timer, stopping, metrics, q -> requested(manual, q));
    this.killRequests =
        new Requests(
            client,
            keys.cronKills(),
            timer,
            stopping,
            metrics,
            q -> runs.kill(q.job(), q.rev(), q.by()));
  }

  /**
   * Runs until SIGTERM, SIGINT or SIGHUP; 0 after a clean stop. The metrics server, if any, lives
   * as long.
   */
  public int run() {
    try (MetricsServer served =
        metricsAt == null ? null : MetricsServer.start(metricsAt, metrics::render)) {
      current = Registration.first(client, keys, opt);
      Child.warmUp(); // not at the first tick: a run's lateness is not the JVM's cold start-up
      daemons.start();
      table.start();
      runRequests.start();
      killRequests.start();
      log.always(
          "up",
          "no ticks before " + started,
          "lease",
          Keys.leaseHex(current.session().lease()),
          "metrics",
          served == null ? null : served.address());
      while (true) {
        Registration r = current;
        CompletableFuture.anyOf(signals.first(), r.session().lost()).join();
        if (signals.first().isDone()) break;
        String why = r.session().lost().join();
        log.always(
            "lost",
            "lease lost (" + why + "); running jobs are terminated; registering again",
            "lease",
            Keys.leaseHex(r.session().lease()));
        metrics.leaseLost();
        metrics.zombies(runs.going());
        r.lost().complete(why); // its runs are terminated, each said in its own line
        r.session().close();
        Registration next = Registration.again(client, keys, opt, signals.first(), metrics);
        if (next == null) break;
        current = next;
      }
      stop();
      log.always("down", "stopped on SIG" + signals.first().join());
      return ExitCode.OK;
    } finally { // stop() did this already, unless run() failed (etcd refused us, say)
      timer.shutdownNow();
      runners.shutdown();
    }
  }

  /** A tick is due (on the timer thread): claimed on the run pool, while the lease lives. */
  private void due(Job job, long version, Instant tick, Instant now) {
    Registration r = current;
    if (!r.session().lost().isDone())
      runners.execute(() -> claims.take(job, version, tick, now, r));
  }

  /**
   * A {@code cron run} request (on the timer thread): taken on the run pool, while the lease lives.
   */
  private void requested(Manual manual, Requests.Request q) {
    Registration r = current;
    if (!r.session().lost().isDone()) runners.execute(() -> manual.take(q, r));
  }

  /**
   * SIGTERM: no new claims; running jobs get the grace period, then SIGTERM and kill-after; then
   * release.
   */
  private void stop() {
    stopping.set(true);
    table.close();
    daemons.close();
    runRequests.close();
    killRequests.close();
    runners.shutdown();
    try {
      if (!runners.awaitTermination(opt.grace().toMillis(), TimeUnit.MILLISECONDS)) {
        runs.terminate("the daemon's --grace " + Durations.format(opt.grace()) + " is over");
        runners.awaitTermination(opt.killAfter().toMillis() + 10_000, TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    timer.shutdownNow();
    current.session().close();
  }

  private static Thread daemonThread(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }
}
