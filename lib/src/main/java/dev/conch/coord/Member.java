package dev.conch.coord;

import dev.conch.base.Failure;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Our own key in a directory of contenders, on the session's lease. Order among the keys is by
 * create revision; ours is the fencing token. Subclasses decide when our turn has come; {@link
 * Handover} follows how it came, for the lock-delay, and a clean leave marks our key released
 * before deleting it (docs/design.md, the lock-delay).
 */
abstract class Member implements Slot {
  protected final Client client;
  protected final String dir;
  protected final Session session;
  protected ByteSequence key;
  protected long rev;
  private static final long LOOK_AGAIN_MS = 250;
  private final Duration lockDelay;
  protected Handover handover; // how our turn came: subclasses report their looks to it
  private OwnKey own;
  private boolean firstLooked;
  private volatile CompletableFuture<?> waiting = CompletableFuture.completedFuture(null);
  private boolean left;
  private CompletableFuture<?> touching = CompletableFuture.completedFuture(null);

  Member(Client client, String dir, Session session, Duration lockDelay) {
    this.client = client;
    this.dir = dir;
    this.session = session;
    this.lockDelay = lockDelay;
  }

  @Override
  public long join(Holder me) {
    key = Etcd.bytes(Keys.member(dir, session.lease()));
    ByteSequence value = Etcd.bytes(me.toJson());
    rev =
        sync(
                client.getKVClient().put(key, value, OwnKey.onLease(session.lease())),
                "queueing in " + dir)
            .getHeader()
            .getRevision();
    own = new OwnKey(client, key, value, rev, session.lease());
    handover = new Handover(client, dir, rev, lockDelay);
    return rev;
  }

  /**
   * Rewrites our key to wake whoever watches it. Not waited for, but retried until it lands, we
   * leave, or the session is lost: a failed request does not mean our key is gone (a timeout or a
   * leader change fails it while the lease lives on), and until the rewrite lands our successor
   * watches the wrong thing, so a slot freed meanwhile would stay empty. Retrying, not giving the
   * slot up as lost: we are entitled and our lease is alive, so killing our command would turn a
   * blip shorter than the TTL into an outage; if etcd stays silent, the session's deadline ends it,
   * and the lease's expiry deletes our key, which wakes the successor too.
   */
  protected synchronized void touch() {
    if (!left) touching = own.rewrite(this::stillHolding);
  }

  private synchronized boolean stillHolding() {
    return !left && !session.lost().isDone();
  }

  /**
   * Reads {@code reads} at one revision, in one transaction guarded by our own key still having our
   * create revision, as etcd's Mutex re-checks its key after waiting. Keys ahead of ours proving
   * absent means nothing if ours is gone too (etcd lost its data, or someone deleted the office's
   * keys, or our lease was revoked as our predecessor left): then the session is lost (the wrapper
   * queues again or exits) and the returned future fails, so nobody ever holds on a missing key.
   */
  protected CompletableFuture<TxnResponse> whileOurs(Op... reads) {
    return client
        .getKVClient()
        .txn()
        .If(own.ours())
        .Then(reads)
        .commit()
        .thenApply(
            t -> {
              if (t.isSucceeded()) return t;
              session.lose(
                  "its key "
                      + Keys.leaseHex(session.lease())
                      + " is gone (deleted, or etcd lost its data)");
              throw new CancellationException("our key is gone");
            });
  }

  /** {@code f}'s outcome, or false if it failed because our key is gone (the session is lost). */
  protected boolean unlessGone(CompletableFuture<Boolean> f, String doing) {
    try {
      return sync(f, doing);
    } catch (RuntimeException e) {
      if (session.lost().isDone()) return false;
      throw e;
    }
  }

  /** Keys created before ours, sorted by create revision. */
  protected GetOption.Builder ahead(GetOption.SortOrder order, long limit) {
    return GetOption.builder()
        .isPrefix(true)
        .withMaxCreateRevision(rev - 1)
        .withKeysOnly(true)
        .withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(order)
        .withLimit(limit);
  }

  /**
   * Waits for {@code wake}, then looks again: an event never means "your turn", only "look again".
   * The deletions it reports (or its failure: history unknown) are noted for the lock-delay.
   */
  protected CompletableFuture<Long> lookAgainAfter(
      CompletableFuture<List<WatchEvent>> wake, Supplier<CompletableFuture<Long>> look) {
    waiting = wake;
    return wake.handle(
            (events, e) -> {
              handover.observe(events, e);
              return null;
            })
        .thenCompose(x -> untilAnswered(look));
  }

  @Override
  public CompletableFuture<Long> acquired() {
    CompletableFuture<Long> turn = new CompletableFuture<>();
    untilAnswered(this::firstLook)
        .whenComplete(
            (at, e) -> {
              if (e != null) {
                turn.completeExceptionally(e);
                return;
              }
              turn.complete(at); // the caller sees the acquisition first
              promoted();
            });
    return turn;
  }

  /**
   * The first look reads at our own key's revision, so that a key ahead that vanished since is seen
   * vanish by the watch that follows; tried again (etcd did not answer), what vanished meanwhile is
   * unknown.
   */
  private CompletableFuture<Long> firstLook() {
    if (!firstLooked) {
      firstLooked = true;
      return waitTurn(rev);
    }
    handover.unknown();
    return waitTurn(0);
  }

  /**
   * Looks at revision {@code at} (0: the latest) and, until our turn has come, waits and looks
   * again; completes with the revision of the read that found our turn.
   */
  protected abstract CompletableFuture<Long> waitTurn(long at);

  /** Our turn has come and the caller has seen it. */
  protected void promoted() {}

  @Override
  public Vanishes.Start start() {
    return handover.start();
  }

  /**
   * A look that etcd did not answer (the member it went to stopped, a leader change) is tried again
   * after a pause, as {@link #whileOurs}' rewrite is: a waiter's lease is alive, so giving up would
   * turn a blip shorter than the TTL into exit 69. If etcd stays silent, the session's deadline
   * ends the wait; once we leave or the session is lost, nothing is tried again. The first look,
   * just after queueing, is held to the same rule.
   */
  protected CompletableFuture<Long> untilAnswered(Supplier<CompletableFuture<Long>> look) {
    if (hasLeft()) return CompletableFuture.failedFuture(new CancellationException("left"));
    return look.get()
        .exceptionallyCompose(
            e ->
                hasLeft()
                        || session.lost().isDone()
                        || Etcd.failure(e, "looking again").kind != Failure.Kind.UNAVAILABLE
                    ? CompletableFuture.failedFuture(e)
                    : CompletableFuture.runAsync(
                            () -> {},
                            CompletableFuture.delayedExecutor(LOOK_AGAIN_MS, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> untilAnswered(look)));
  }

  private synchronized boolean hasLeft() {
    return left;
  }

  protected static <T> T sync(CompletableFuture<T> f, String doing) {
    try {
      return f.join();
    } catch (RuntimeException e) {
      throw Etcd.failure(e, doing);
    }
  }

  @Override
  public ByteSequence key() {
    return key;
  }

  @Override
  public void leave() {
    CompletableFuture<?> lastTouch;
    synchronized (this) {
      left = true;
      lastTouch = touching;
    }
    waiting.cancel(false);
    try {
      lastTouch
          .handle((v, e) -> null)
          .orTimeout(Session.CLEANUP.toMillis(), TimeUnit.MILLISECONDS)
          .join(); // a rewrite in flight must not land after the delete
      if (handover.releasedCleanly()) own.markReleased();
      client
          .getKVClient()
          .delete(key)
          .orTimeout(Session.CLEANUP.toMillis(), TimeUnit.MILLISECONDS)
          .join();
    } catch (RuntimeException e) {
      // the lease revoke that follows, or its expiry, removes the key too
    }
  }
}
