package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.op.Cmp;
import io.etcd.jetcd.op.CmpTarget;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.PutOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * The writes to a member's own key after it queued, each applied only while the key still has our
 * create revision, so that none re-creates a key that someone deleted: the rewrite that wakes a
 * successor, and the mark of a clean release. Both keep the session's lease.
 */
final class OwnKey {
  private static final long RETRY_FIRST = 100, RETRY_MOST = 1_000; // ms
  private final Client client;
  private final ByteSequence key;
  private final ByteSequence value;
  private final ByteSequence released;
  private final long rev;
  private final long lease;

  OwnKey(Client client, ByteSequence key, ByteSequence value, long rev, long lease) {
    this.client = client;
    this.key = key;
    this.value = value;
    // Encoded now, while we queue: JSON's first read and write cost a cold JVM tens of ms, which
    // would otherwise fall inside the handover (ours as we release, and the successor's own check
    // of how we left, which reads JSON the same way)
    this.released = Etcd.bytes(Holder.markReleased(Etcd.string(value)));
    this.rev = rev;
    this.lease = lease;
  }

  /** Our key still has our create revision. */
  Cmp ours() {
    return new Cmp(key, Cmp.Op.EQUAL, CmpTarget.createRevision(rev));
  }

  static PutOption onLease(long lease) {
    return PutOption.builder().withLeaseId(lease).build();
  }

  /**
   * Rewrites our value (create revision unchanged) to wake whoever watches it; retried, 100 ms
   * doubling to 1 s, for as long as {@code wanted} says (docs/design.md, the semaphore).
   */
  CompletableFuture<Void> rewrite(BooleanSupplier wanted) {
    return rewrite(RETRY_FIRST, wanted);
  }

  private CompletableFuture<Void> rewrite(long delay, BooleanSupplier wanted) {
    return put(value)
        .handle((r, e) -> e == null || !wanted.getAsBoolean())
        .thenCompose(
            over ->
                over
                    ? CompletableFuture.<Void>completedFuture(null)
                    : CompletableFuture.runAsync(
                            () -> {},
                            CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS))
                        .thenCompose(x -> rewrite(Math.min(2 * delay, RETRY_MOST), wanted)));
  }

  /**
   * Marks our key released, just before it is deleted: whoever is next needs no lock-delay. Its
   * failure only costs them the delay.
   */
  void markReleased() {
    put(released).orTimeout(Session.CLEANUP.toMillis(), TimeUnit.MILLISECONDS).join();
  }

  private CompletableFuture<?> put(ByteSequence v) {
    return client.getKVClient().txn().If(ours()).Then(Op.put(key, v, onLease(lease))).commit();
  }
}
