package dev.conch.proc;

import dev.conch.base.Durations;
import dev.conch.base.Failure;
import dev.conch.base.Log;
import dev.conch.coord.Keys;
import dev.conch.coord.Slot;
import dev.conch.coord.Vanishes;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A queued wrapper waiting for its turn, and after a handover by a key that vanished unmarked for
 * its lock-delay too (contract section 4): a race of futures with a signal, --timeout and the
 * lease's loss; nothing polls.
 */
final class Turn {
  /** What a signal while waiting did. */
  static final String WITHDREW = "while waiting; withdrew, the command never ran";

  private final Hold hold;
  private final Log log;
  private final Signals signals;

  Turn(Hold hold, Log log, Signals signals) {
    this.hold = hold;
    this.log = log;
    this.signals = signals;
  }

  /**
   * Waits for our turn; returns when it came or the session was lost (look at it), else throws the
   * failure to exit with: signalled (128+N), not acquired (75), etcd failed.
   */
  void await(Slot slot, Session session, long rev) {
    if (hold.nonblock() && !slot.ready()) {
      if (session.lost().isDone()) return; // our key was gone: queue again, then look once more
      slot.leave();
      throw new Failure(
          Failure.Kind.NOT_ACQUIRED, "not acquired: " + slot.busy() + " (--nonblock)");
    }
    CompletableFuture<Long> turn =
        slot.acquired().thenCompose(at -> lockDelay(slot.start(), rev, session));
    CompletableFuture<Void> timeout =
        hold.timeout() == null
            ? new CompletableFuture<>()
            : new CompletableFuture<Void>()
                .completeOnTimeout(null, hold.timeout().toMillis(), TimeUnit.MILLISECONDS);
    CompletableFuture.anyOf(turn, timeout, signals.first(), session.lost())
        .handle((v, e) -> null)
        .join();
    if (signals.first().isDone()) {
      slot.leave();
      throw signals.interrupted(WITHDREW);
    }
    if (session.lost().isDone() || turn.isDone() && !turn.isCompletedExceptionally()) return;
    Throwable failed =
        turn.isCompletedExceptionally()
            ? turn.handle((v, e) -> e).join()
            : null; // leaving cancels turn
    slot.leave();
    if (failed != null) throw Etcd.failure(failed, "waiting for " + hold.name());
    throw new Failure(
        Failure.Kind.NOT_ACQUIRED,
        "not acquired within --timeout " + Durations.format(hold.timeout()));
  }

  /**
   * Completes when the command may start: at once after a clean handover, else once the lock-delay
   * is over (contract section 4), said in one line with -v. Waited for as the turn is, so a signal,
   * --timeout or the lease's loss meanwhile withdraws before the command ever ran.
   */
  private CompletableFuture<Long> lockDelay(Vanishes.Start start, long rev, Session session) {
    if (start.why() == null) return CompletableFuture.completedFuture(rev);
    log.verbose(
        "lock-delay",
        start.why(),
        "delay",
        Durations.format(hold.lockDelay()),
        "wait_ms",
        start.delay().toMillis(),
        "rev",
        rev,
        "lease",
        Keys.leaseHex(session.lease()));
    return new CompletableFuture<Long>()
        .completeOnTimeout(rev, start.delay().toMillis(), TimeUnit.MILLISECONDS);
  }
}
