package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Ranges;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
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
   * The candidate just ahead of us, if any, read while our own key is still ours. (etcd's count
   * ignores the create-revision filter: read a key.)
   */
  private CompletableFuture<TxnResponse> predecessor() {
    return whileOurs(Op.get(Etcd.bytes(dir), ahead(GetOption.SortOrder.DESCEND, 1).build()));
  }

  private static boolean first(TxnResponse t) {
    return t.getGetResponses().get(0).getKvs().isEmpty();
  }

  @Override
  public boolean ready() {
    return unlessGone(predecessor().thenApply(Election::first), "reading the candidates of " + dir);
  }

  @Override
  public String busy() {
    return "held by another";
  }

  @Override
  public CompletableFuture<Long> acquired() {
    return untilAnswered(this::waitTurn);
  }

  private CompletableFuture<Long> waitTurn() {
    return predecessor()
        .thenCompose(
            t ->
                first(t)
                    ? CompletableFuture.completedFuture(t.getHeader().getRevision())
                    // watch from this read's revision so that no deletion slips by between the read
                    // and the watch
                    : lookAgainAfter(
                        KeyWaits.deleted(
                            client,
                            t.getGetResponses().get(0).getKvs().get(0).getKey(),
                            t.getHeader().getRevision() + 1),
                        this::waitTurn));
  }

  /** The current leader of the office in {@code dir}, if any. */
  public static Optional<Holder> leader(Ranges ranges, String dir) {
    return ranges.byCreate(dir, 1, "reading the leader of " + dir).stream()
        .findFirst()
        .map(kv -> Holder.parse(kv.value(), kv.createRevision()));
  }
}
