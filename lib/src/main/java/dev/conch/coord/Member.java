package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Our own key in a directory of contenders, on the session's lease. Order among the keys is by
 * create revision; ours is the fencing token. Subclasses decide when our turn has come.
 */
abstract class Member implements Slot {
  protected final Client client;
  protected final String dir;
  protected final Session session;
  protected ByteSequence key;
  protected long rev;
  private ByteSequence value;
  private volatile CompletableFuture<?> waiting = CompletableFuture.completedFuture(null);
  private boolean left;
  private CompletableFuture<?> touching = CompletableFuture.completedFuture(null);

  Member(Client client, String dir, Session session) {
    this.client = client;
    this.dir = dir;
    this.session = session;
  }

  @Override
  public long join(Holder me) {
    key = Etcd.bytes(Keys.member(dir, session.lease()));
    value = Etcd.bytes(me.toJson());
    rev = sync(put(), "queueing in " + dir).getHeader().getRevision();
    return rev;
  }

  /**
   * Rewrites our value under the same key (create revision unchanged) to wake whoever watches it.
   * Not waited for: if it fails, our key is gone with the lease, and the session reports that loss.
   */
  protected synchronized void touch() {
    if (!left) touching = put();
  }

  private CompletableFuture<io.etcd.jetcd.kv.PutResponse> put() {
    return client
        .getKVClient()
        .put(key, value, PutOption.builder().withLeaseId(session.lease()).build());
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
   */
  protected CompletableFuture<Long> lookAgainAfter(
      CompletableFuture<Void> wake, Supplier<CompletableFuture<Long>> look) {
    waiting = wake;
    return wake.handle((v, e) -> null)
        .thenCompose(
            x ->
                hasLeft()
                    ? CompletableFuture.<Long>failedFuture(new CancellationException("left"))
                    : look.get());
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
