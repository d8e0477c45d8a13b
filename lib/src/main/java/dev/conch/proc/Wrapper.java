package dev.conch.proc;

import dev.conch.base.Durations;
import dev.conch.base.ExitCode;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import dev.conch.coord.Backoff;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.coord.Slot;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Runs a command only while its session holds a slot (contract section 4): queue, wait, run,
 * release. Every wait is a race of futures (turn, signal, timeout, lease loss); nothing polls.
 */
public final class Wrapper {
  private static final int LOST = -1;
  private final Supplier<Client> connect;
  private Client client;
  private final Hold hold;
  private final Log log;
  private final Function<Session, Slot> slots;
  private final Signals signals = Signals.install();
  private final Backoff backoff;
  private final Turn turn;

  /**
   * @param connect makes a client; the wrapper owns and closes it, and makes a new one when etcd
   *     stays unreachable after a loss (see {@link #open})
   * @param slots our place, on a session (its client is {@link Session#client()})
   */
  public Wrapper(Supplier<Client> connect, Hold hold, Log log, Function<Session, Slot> slots) {
    this.connect = connect;
    this.hold = hold;
    this.log = log;
    this.slots = slots;
    this.backoff =
        hold.restart() == null
            ? Backoff.reconnect()
            : new Backoff(hold.restart().backoffMax(), hold.restart().stableAfter());
    this.turn = new Turn(hold, log, signals);
  }

  /** The exit code of contract section 5. */
  public int run() {
    client = connect.get();
    try {
      return campaign();
    } finally {
      client.close();
    }
  }

  private int campaign() {
    boolean first = true;
    while (true) {
      Session session = open(first);
      first = false;
      Child parked = null;
      try {
        Slot slot = slots.apply(session);
        long rev = slot.join(Holder.self(hold.cmd(), session.ttl(), session.lease()));
        log.verbose("queued", null, "rev", rev, "lease", Keys.leaseHex(session.lease()));
        // Not re-armed if the watch fails (stream broken, revision compacted): a revoke is then
        // seen by the next keepalive, at most TTL/3 later, and a silent etcd by the deadline on
        // our own clock; re-arming would need a read first, as a compacted revision fails again.
        KeyWaits.deleted(client, slot.key(), rev + 1)
            .thenRun(
                () -> session.lose("its key " + Keys.leaseHex(session.lease()) + " was deleted"));
        Supervisor.Command command =
            new Supervisor.Command(
                hold.cmd(),
                Supervisor.env(
                    hold.tool(),
                    hold.name(),
                    rev,
                    session,
                    slot.key().toString(StandardCharsets.UTF_8)),
                hold.killAfter(),
                null,
                null);
        // while we wait: the turn then starts the command with one line, not two process starts
        parked = command.park();
        turn.await(slot, session, rev);
        if (session.lost().isDone()) {
          log.always(
              "lost",
              "lost its place while waiting (" + session.lost().join() + "); queueing again",
              "lease",
              Keys.leaseHex(session.lease()));
          continue;
        }
        int rc = holdAndRun(slot, session, rev, command, parked);
        if (rc != LOST) return rc;
      } finally {
        if (parked != null) parked.close(); // one that never went exits; a started one has ended
        session.close();
      }
    }
  }

  /**
   * A new session; after a loss under --restart, retried until etcd answers again. Each retry after
   * the first failure uses a new client: a jetcd client whose auth token etcd no longer knows (etcd
   * restored from a backup, with authentication on) never recovers by itself, while a new one does.
   */
  private Session open(boolean first) {
    boolean failed = false;
    while (true) {
      if (failed) {
        client.close();
        client = connect.get();
      }
      try {
        return Session.open(client, hold.ttlSeconds(), hold.dialTimeout());
      } catch (Failure f) {
        if (first || f.kind != Failure.Kind.UNAVAILABLE) throw f;
        failed = true;
        Duration delay = backoff.after(Duration.ZERO);
        log.always("unreachable", "etcd unreachable; trying again in " + Durations.format(delay));
        if (pause(delay, null)) throw signals.interrupted(Turn.WITHDREW);
      }
    }
  }

  /**
   * Holds the slot: runs the command, again under --restart. The exit code (70 when the lease was
   * lost), or LOST to queue again.
   */
  private int holdAndRun(
      Slot slot, Session session, long rev, Supervisor.Command command, Child parked) {
    String lease = Keys.leaseHex(session.lease());
    log.verbose("acquired", null, "rev", rev, "lease", lease);
    Supervisor.Hooks said = hooks(rev, lease);
    for (Child child = parked; ; child = command.park()) {
      long started = System.nanoTime();
      Supervisor.Outcome run =
          Supervisor.start(session, session.lost(), command, child, signals, said).await();
      if (run.lost()) return again() ? LOST : ExitCode.LEASE_LOST;
      int rc = run.exit();
      if (!again()) return release(slot, rc, rev, lease);
      Duration delay = backoff.after(Duration.ofNanos(System.nanoTime() - started));
      log.always(
          "restart",
          "command exited " + rc + "; running it again in " + Durations.format(delay),
          "exit",
          rc,
          "rev",
          rev,
          "lease",
          lease);
      if (pause(delay, session)) {
        if (signals.first().isDone()) {
          release(slot, rc, rev, lease);
          throw signals.interrupted(
              "while pausing before a restart; released, no command was running");
        }
        log.always(
            "lost",
            "lease lost while pausing (" + session.lost().join() + "); campaigning again",
            "rev",
            rev,
            "lease",
            lease);
        return LOST;
      }
    }
  }

  /** Whether the command runs again: --restart, and no signal came (a signal ends conch). */
  private boolean again() {
    return hold.restart() != null && !signals.first().isDone();
  }

  private int release(Slot slot, int rc, long rev, String lease) {
    slot.leave();
    log.verbose("released", null, "exit", rc, "rev", rev, "lease", lease);
    return rc;
  }

  /** What the wrapper says while its command runs: a signal is never routine. */
  private Supervisor.Hooks hooks(long rev, String lease) {
    return new Supervisor.Hooks() {
      @Override
      public void forwarding(String sig) {
        log.always(
            "signalled", "forwarded to the command", "signal", sig, "rev", rev, "lease", lease);
      }

      @Override
      public void lost(String lost, boolean running) {
        // one line says why and what is done; the signal's own event only with -v
        String done =
            running
                ? "SIGTERM to the command's group, SIGKILL after "
                    + Durations.format(hold.killAfter())
                : "the command had ended";
        String then = again() ? "campaigns again" : "exits " + ExitCode.LEASE_LOST;
        String why = "lease lost while holding (" + lost + "); " + done + ", then conch " + then;
        log.always("lost", why, "rev", rev, "lease", lease);
        if (running)
          log.verbose("signalled", "lease lost", "signal", "TERM", "rev", rev, "lease", lease);
      }
    };
  }

  /** Waits {@code d}; true if a signal (or the session's loss) cut it short. */
  private boolean pause(Duration d, Session session) {
    CompletableFuture<Void> done =
        new CompletableFuture<Void>().completeOnTimeout(null, d.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture<String> lost = session == null ? new CompletableFuture<>() : session.lost();
    CompletableFuture.anyOf(done, signals.first(), lost).join();
    return signals.first().isDone() || lost.isDone();
  }
}
