package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Ranges;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.GetOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * A counting semaphore of {@code max} slots, FIFO by create revision, waking O(1) waiters per
 * release (docs/design.md has the argument). Rank = how many keys were created before ours; rank <
 * max holds. The first waiter (rank == max) watches deletions of any key created before its own;
 * every later waiter watches only its predecessor's key, for deletion or rewrite. A promoted waiter
 * rewrites its own key, which wakes exactly its successor, who becomes the first waiter.
 */
public final class Semaphore extends Member {
  private final int max;

  public Semaphore(Client client, String dir, Session session, int max) {
    super(client, dir, session);
    this.max = max;
  }

  /**
   * Where we stand, from one consistent read (a transaction of two ranges at one revision, guarded
   * by our own key).
   */
  record Position(List<KeyValue> first, KeyValue predecessor, long revision) {}

  private CompletableFuture<Position> look() {
    ByteSequence d = Etcd.bytes(dir);
    return whileOurs(
            Op.get(d, ahead(GetOption.SortOrder.ASCEND, max).build()),
            Op.get(d, ahead(GetOption.SortOrder.DESCEND, 1).build()))
        .thenApply(Semaphore::position);
  }

  private static Position position(TxnResponse t) {
    List<GetResponse> r = t.getGetResponses();
    List<KeyValue> pred = r.get(1).getKvs();
    return new Position(
        r.get(0).getKvs(), pred.isEmpty() ? null : pred.get(0), t.getHeader().getRevision());
  }

  /** The holders and the number of waiters of the contenders that agree on one {@code max}. */
  public record Group(int max, List<Holder> holders, int waiters) {}

  /**
   * Every group under a semaphore's directory, by {@code max}: more than one means contenders
   * disagree.
   */
  public static List<Group> groups(Ranges ranges, String semaDir) {
    Map<Integer, List<Holder>> byMax = new TreeMap<>();
    for (Ranges.Kv kv : ranges.byCreate(semaDir, 0, "reading " + semaDir)) {
      String rest = kv.key().substring(semaDir.length());
      int slash = rest.indexOf('/');
      if (slash <= 0 || !rest.substring(0, slash).matches("\\d{1,5}"))
        continue; // not ours: skip, never crash
      byMax
          .computeIfAbsent(Integer.parseInt(rest.substring(0, slash)), m -> new ArrayList<>())
          .add(Holder.parse(kv.value(), kv.createRevision()));
    }
    List<Group> groups = new ArrayList<>();
    byMax.forEach(
        (max, all) ->
            groups.add(
                new Group(
                    max,
                    List.copyOf(all.subList(0, Math.min(max, all.size()))),
                    Math.max(0, all.size() - max))));
    return groups;
  }

  @Override
  public boolean ready() {
    return unlessGone(
        look().thenApply(p -> p.first().size() < max), "reading the contenders of " + dir);
  }

  @Override
  public String busy() {
    return "no free slot";
  }

  @Override
  public CompletableFuture<Long> acquired() {
    CompletableFuture<Long> turn = new CompletableFuture<>();
    untilAnswered(this::waitTurn)
        .whenComplete(
            (at, e) -> {
              if (e != null) {
                turn.completeExceptionally(e);
                return;
              }
              turn.complete(
                  at); // the caller sees the acquisition first, so acquisitions are observed in
              // queue order;
              touch(); // then our successor wakes and, rank now max, becomes the first waiter
            });
    return turn;
  }

  private CompletableFuture<Long> waitTurn() {
    return look()
        .thenCompose(
            p -> {
              int ahead = p.first().size();
              long from = p.revision() + 1;
              return switch (Ranks.decide(
                  ahead,
                  max,
                  ahead > 0
                      && p.first().get(ahead - 1).getKey().equals(p.predecessor().getKey()))) {
                case HOLD -> CompletableFuture.completedFuture(p.revision());
                case WATCH_DELETIONS_AHEAD ->
                    lookAgainAfter(
                        KeyWaits.deletedBefore(client, Etcd.bytes(dir), from, rev), this::waitTurn);
                case WATCH_PREDECESSOR ->
                    lookAgainAfter(
                        KeyWaits.changed(client, p.predecessor().getKey(), from), this::waitTurn);
              };
            });
  }
}
