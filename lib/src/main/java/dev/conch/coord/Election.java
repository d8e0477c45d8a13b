package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Ranges;
import dev.conch.etcd.Session;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * Leader election on an office: the candidate with the lowest create revision leads. A waiting
 * candidate watches only the key just ahead of it, so a resignation wakes one waiter, not the herd.
 */
public final class Election extends Member {
  /** Without a lock-delay: the library's own tests. */
  public Election(Client client, String dir, Session session) {
    this(client, dir, session, Duration.ZERO);
  }

  public Election(Client client, String dir, Session session, Duration lockDelay) {
    super(client, dir, session, lockDelay);
  }

  /**
   * The candidate just ahead of us at revision {@code at} (0: the latest), if any, read while our
   * own key is still ours. (etcd's count ignores the create-revision filter: read a key.)
   */
  private CompletableFuture<TxnResponse> predecessor(long at) {
    return whileOurs(
        Op.get(Etcd.bytes(dir), ahead(GetOption.SortOrder.DESCEND, 1).withRevision(at).build()));
  }

  private static boolean first(TxnResponse t) {
    return t.getGetResponses().get(0).getKvs().isEmpty();
  }

  @Override
  public boolean ready() {
    return unlessGone(
        predecessor(0).thenApply(Election::first), "reading the candidates of " + dir);
  }

  @Override
  public String busy() {
    return "held by another";
  }

  @Override
  protected CompletableFuture<Long> waitTurn(long at) {
    return predecessor(at)
        .thenCompose(
            t -> {
              long read = at > 0 ? at : t.getHeader().getRevision();
              if (first(t)) return handover.held(List.of(), read);
              var pred = t.getGetResponses().get(0).getKvs();
              handover.notYet(pred, read);
              // watch from this read's revision so that no deletion slips by between the read and
              // the watch
              return lookAgainAfter(
                  KeyWaits.deleted(client, pred.get(0).getKey(), read + 1), () -> waitTurn(0));
            });
  }

  /** The current leader of the office in {@code dir}, if any. */
  public static Optional<Holder> leader(Ranges ranges, String dir) {
    return ranges.byCreate(dir, 1, "reading the leader of " + dir).stream()
        .findFirst()
        .map(kv -> Holder.parse(kv.value(), kv.createRevision()));
  }
}
