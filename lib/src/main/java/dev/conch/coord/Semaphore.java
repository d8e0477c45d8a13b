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
import java.time.Duration;
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

  /** Without a lock-delay: the library's own tests. */
  public Semaphore(Client client, String dir, Session session, int max) {
    this(client, dir, session, max, Duration.ZERO);
  }

  public Semaphore(Client client, String dir, Session session, int max, Duration lockDelay) {
    super(client, dir, session, lockDelay);
    this.max = max;
  }

  /**
   * Where we stand, from one consistent read (a transaction of two ranges at one revision, guarded
   * by our own key).
   */
  record Position(List<KeyValue> first, KeyValue predecessor, long revision) {}

  /** Where we stand at revision {@code at} (0: the latest). */
  private CompletableFuture<Position> look(long at) {
    ByteSequence d = Etcd.bytes(dir);
    return whileOurs(
            Op.get(d, ahead(GetOption.SortOrder.ASCEND, max).withRevision(at).build()),
            Op.get(d, ahead(GetOption.SortOrder.DESCEND, 1).withRevision(at).build()))
        .thenApply(t -> position(t, at));
  }

  private static Position position(TxnResponse t, long at) {
    List<GetResponse> r = t.getGetResponses();
    List<KeyValue> pred = r.get(1).getKvs();
    return new Position(
        r.get(0).getKvs(),
        pred.isEmpty() ? null : pred.get(0),
        at > 0 ? at : t.getHeader().getRevision());
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
        look(0).thenApply(p -> p.first().size() < max), "reading the contenders of " + dir);
  }

  @Override
  public String busy() {
    return "no free slot";
  }

  @Override
  protected void promoted() {
    touch(); // our successor wakes and, its rank now max, becomes the first waiter
  }

  @Override
  protected CompletableFuture<Long> waitTurn(long at) {
    return look(at)
        .thenCompose(
            p -> {
              int ahead = p.first().size();
              long from = p.revision() + 1;
              Ranks.Wait w =
                  Ranks.decide(
                      ahead,
                      max,
                      ahead > 0
                          && p.first().get(ahead - 1).getKey().equals(p.predecessor().getKey()));
              if (w == Ranks.Wait.HOLD) return handover.held(p.first(), p.revision());
              List<KeyValue> seen = new ArrayList<>(p.first());
              seen.add(p.predecessor());
              handover.notYet(seen, p.revision());
              return lookAgainAfter(
                  w == Ranks.Wait.WATCH_DELETIONS_AHEAD
                      ? KeyWaits.deletedBefore(client, Etcd.bytes(dir), from, rev)
                      : KeyWaits.changed(client, p.predecessor().getKey(), from),
                  () -> waitTurn(0));
            });
  }
}
