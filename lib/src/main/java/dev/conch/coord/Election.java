package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.PutOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election on an office: every candidate puts a key carrying its lease under the office's
 * directory; the lowest create revision leads. A waiting candidate watches only the key just ahead of
 * it, so a resignation wakes one waiter, not the herd.
 */
public final class Election implements Slot {
  private final Client client;
  private final String dir;
  private final Session session;
  private ByteSequence key;
  private long rev;
  private volatile CompletableFuture<?> waiting = CompletableFuture.completedFuture(null);

  public Election(Client client, String dir, Session session) {
    this.client = client;
    this.dir = dir;
    this.session = session;
  }

  @Override
  public long join(Holder me) {
    key = Etcd.bytes(Keys.member(dir, session.lease()));
    try {
      rev = client.getKVClient().put(key, Etcd.bytes(me.toJson()), PutOption.builder().withLeaseId(session.lease()).build())
          .join().getHeader().getRevision();
    } catch (RuntimeException e) {
      throw Etcd.failure(e, "campaigning for " + dir);
    }
    return rev;
  }

  @Override
  public boolean ready() {
    GetOption opt = GetOption.builder().isPrefix(true).withMaxCreateRevision(rev - 1).withCountOnly(true).build();
    try {
      return client.getKVClient().get(Etcd.bytes(dir), opt).join().getCount() == 0;
    } catch (RuntimeException e) {
      throw Etcd.failure(e, "reading the candidates of " + dir);
    }
  }

  @Override
  public CompletableFuture<Void> acquired() {
    GetOption opt = GetOption.builder().isPrefix(true).withMaxCreateRevision(rev - 1)
        .withSortField(GetOption.SortTarget.CREATE).withSortOrder(GetOption.SortOrder.DESCEND).withLimit(1).build();
    return client.getKVClient().get(Etcd.bytes(dir), opt).thenCompose(r -> {
      if (r.getKvs().isEmpty()) return CompletableFuture.<Void>completedFuture(null);
      // the candidate just ahead of us; watch it from this read's revision so no deletion slips by
      CompletableFuture<Void> gone = KeyWaits.deleted(client, r.getKvs().get(0).getKey(), r.getHeader().getRevision() + 1);
      waiting = gone;
      return gone.handle((v, e) -> null).thenCompose(x -> acquired());
    });
  }

  @Override
  public ByteSequence key() {
    return key;
  }

  @Override
  public void leave() {
    waiting.cancel(false);
    try {
      client.getKVClient().delete(key).join();
    } catch (RuntimeException e) {
      // the lease revoke that follows, or its expiry, removes the key too
    }
  }

  /** The current leader of the office in {@code dir}, if any. */
  public static Optional<Holder> leader(Client client, String dir, java.time.Duration timeout) {
    GetOption opt = GetOption.builder().isPrefix(true).withSortField(GetOption.SortTarget.CREATE)
        .withSortOrder(GetOption.SortOrder.ASCEND).withLimit(1).build();
    try {
      return client.getKVClient().get(Etcd.bytes(dir), opt)
          .orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS).join().getKvs().stream().findFirst()
          .map(kv -> Holder.parse(Etcd.string(kv.getValue()), kv.getCreateRevision()));
    } catch (RuntimeException e) {
      throw Etcd.failure(e, "reading the leader of " + dir);
    }
  }
}
