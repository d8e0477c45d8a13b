package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Ranges;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election on an office: the candidate with the lowest create revision leads. A waiting
 * candidate watches only the key just ahead of it, so a resignation wakes one waiter, not the herd.
 */
public final class Election extends Member {
  public Election(Client client, String dir, Session session) {
    super(client, dir, session);
  }

  /**
   * The candidate just ahead of us, if any. (etcd's count ignores the create-revision filter: read
   * a key.)
   */
  private CompletableFuture<GetResponse> predecessor() {
    return client.getKVClient().get(Etcd.bytes(dir), ahead(GetOption.SortOrder.DESCEND, 1).build());
  }

  @Override
  public boolean ready() {
    return sync(predecessor(), "reading the candidates of " + dir).getKvs().isEmpty();
  }

  @Override
  public String busy() {
    return "held by another";
  }

  @Override
  public CompletableFuture<Long> acquired() {
    return predecessor()
        .thenCompose(
            r ->
                r.getKvs().isEmpty()
                    ? CompletableFuture.completedFuture(r.getHeader().getRevision())
                    // watch from this read's revision so that no deletion slips by between the read
                    // and the watch
                    : lookAgainAfter(
                        KeyWaits.deleted(
                            client, r.getKvs().get(0).getKey(), r.getHeader().getRevision() + 1),
                        this::acquired));
  }

  /** The current leader of the office in {@code dir}, if any. */
  public static Optional<Holder> leader(Ranges ranges, String dir) {
    return ranges.byCreate(dir, 1, "reading the leader of " + dir).stream()
        .findFirst()
        .map(kv -> Holder.parse(kv.value(), kv.createRevision()));
  }
}
