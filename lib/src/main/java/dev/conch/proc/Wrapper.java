package dev.conch.proc;

import dev.conch.cli.Durations;
import dev.conch.cli.Exit;
import dev.conch.cli.Log;
import dev.conch.coord.Backoff;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.coord.Slot;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a command only while its session holds a slot (contract section 4): queue, wait, run, release.
 * Every wait is a race of futures (turn, signal, timeout, lease loss); nothing polls.
 */
public final class Wrapper {
  private static final int LOST = -1;
  private final Client client;
  private final Hold hold;
  private final Function<Session, Slot> slots;
  private final Signals signals = Signals.install();
  private final Backoff backoff;

  public Wrapper(Client client, Hold hold, Function<Session, Slot> slots) {
    this.client = client;
    this.hold = hold;
    this.slots = slots;
    this.backoff = new Backoff(hold.backoffMax(), hold.stableAfter());
  }

  /** The exit code of contract section 5. */
  public int run() {
    boolean first = true;
    while (true) {
      Session session = open(first);
      first = false;
      try {
        Slot slot = slots.apply(session);
        long rev = slot.join(Holder.self(hold.cmd(), session.ttl(), session.lease()));
        KeyWaits.deleted(client, slot.key(), rev + 1)
            .thenRun(() -> session.lose("its key " + Keys.leaseHex(session.lease()) + " was deleted"));
        Child.warmUp(); // queued already: the cold start-up of the child's machinery is not the handover's
        await(slot, session);
        if (session.lost().isDone()) {
          log("lost its place while waiting (" + session.lost().join() + "); queueing again");
          continue;
        }
        int rc = holdAndRun(slot, session, rev);
        if (rc != LOST) return rc;
      } finally {
        session.close();
      }
    }
  }

  /** A new session; after a loss under --restart, retried until etcd answers again. */
  private Session open(boolean first) {
    while (true) {
      try {
        return Session.open(client, hold.ttlSeconds(), hold.dialTimeout());
      } catch (Exit.Failure f) {
        if (first || f.code != Exit.UNAVAILABLE) throw f;
        Duration delay = backoff.after(Duration.ZERO);
        log("etcd unreachable; trying again in " + delay.toSeconds() + "s");
        if (pause(delay, null)) throw interrupted();
      }
    }
  }

  /**
   * Waits for our turn; returns when it came or the session was lost (look at it), else throws the
   * failure to exit with: signalled (128+N), not acquired (75), etcd failed.
   */
  private void await(Slot slot, Session session) {
    if (hold.nonblock() && !slot.ready()) {
      slot.leave();
      throw new Exit.Failure(Exit.NOT_ACQUIRED, "not acquired: held by another (--nonblock)");
    }
    CompletableFuture<Long> turn = slot.acquired();
    CompletableFuture<Void> timeout = hold.timeout() == null ? new CompletableFuture<>()
        : new CompletableFuture<Void>().completeOnTimeout(null, hold.timeout().toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture.anyOf(turn, timeout, signals.first(), session.lost()).handle((v, e) -> null).join();
    if (signals.first().isDone()) {
      slot.leave();
      throw interrupted();
    }
    if (session.lost().isDone() || turn.isDone() && !turn.isCompletedExceptionally()) return;
    Throwable failed = turn.isCompletedExceptionally() ? turn.handle((v, e) -> e).join() : null; // leaving cancels turn
    slot.leave();
    if (failed != null) throw Etcd.failure(failed, "waiting for " + hold.name());
    throw new Exit.Failure(Exit.NOT_ACQUIRED, "not acquired within --timeout " + Durations.format(hold.timeout()));
  }

  /** Holds the slot: runs the command, again under --restart. The exit code, or LOST to queue again. */
  private int holdAndRun(Slot slot, Session session, long rev) {
    Map<String, String> env = Map.of("CONCH_TOOL", hold.tool(), "CONCH_NAME", hold.name(),
        "CONCH_REV", Long.toString(rev), "CONCH_LEASE", Keys.leaseHex(session.lease()));
    while (true) {
      long started = System.nanoTime();
      Child child = Child.start(hold.cmd(), env, hold.killAfter(), session.remaining());
      Runnable unrenew = session.onRenew(child::renew);
      signals.onEach(child::signal);
      if (signals.first().isDone()) child.signal(signals.first().join());
      CompletableFuture.anyOf(child.exit(), session.lost()).join();
      boolean lost = session.lost().isDone() || session.expired();
      if (lost && !child.exit().isDone()) child.signal("TERM");
      int rc = child.exit().join();
      unrenew.run();
      signals.onEach(s -> {});
      child.close();
      if (lost) {
        String why = session.lost().getNow("lease deadline passed");
        if (!hold.restart() || signals.first().isDone()) {
          throw new Exit.Failure(Exit.LEASE_LOST, "lease lost while holding (" + why + "); the command was terminated");
        }
        log("lease lost while holding (" + why + "); the command was terminated; campaigning again");
        return LOST;
      }
      if (!hold.restart() || signals.first().isDone()) {
        slot.leave();
        return rc;
      }
      Duration delay = backoff.after(Duration.ofNanos(System.nanoTime() - started));
      log("command exited " + rc + "; running it again in " + Durations.format(delay));
      if (pause(delay, session)) {
        if (signals.first().isDone()) {
          slot.leave();
          return rc;
        }
        log("lease lost while pausing (" + session.lost().join() + "); campaigning again");
        return LOST;
      }
    }
  }

  /** Waits {@code d}; true if a signal (or the session's loss) cut it short. */
  private boolean pause(Duration d, Session session) {
    CompletableFuture<Void> done = new CompletableFuture<Void>().completeOnTimeout(null, d.toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture<String> lost = session == null ? new CompletableFuture<>() : session.lost();
    CompletableFuture.anyOf(done, signals.first(), lost).join();
    return signals.first().isDone() || lost.isDone();
  }

  private Exit.Failure interrupted() {
    String sig = signals.first().join();
    return new Exit.Failure(Exit.signalled(Signals.NUMBERS.get(sig)), "interrupted by SIG" + sig + " while waiting; withdrew, the command never ran");
  }

  private void log(String message) {
    Log.line(hold.tool(), hold.name(), message);
  }
}
