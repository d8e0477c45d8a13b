package dev.conch.coord;

import dev.conch.etcd.Etcd;
import dev.conch.etcd.KeyWaits;
import dev.conch.etcd.Session;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.watch.WatchEvent;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * How the turn came to a member: which keys ahead of it vanished, cleanly or not, between its last
 * look that did not give it the turn and the one that did; and so when its command may start
 * (contract section 4, the lock-delay; docs/design.md argues the cases). What the member's own
 * watches report is noted as it comes; a key that the last look saw ahead and that is gone, with no
 * watch having shown how, is read back from etcd's history. Only looks already made cost anything:
 * no watch is added, so a release still wakes one waiter.
 */
final class Handover {
  private final Client client;
  private final String dir;
  private final long rev;
  private final Duration lockDelay;
  private final Vanishes vanishes = new Vanishes();
  private volatile Vanishes.Start start;
  private List<ByteSequence> lastAhead = List.of();
  private long lastLook;

  Handover(Client client, String dir, long rev, Duration lockDelay) {
    this.client = client;
    this.dir = dir;
    this.rev = rev;
    this.lockDelay = lockDelay;
    this.lastLook = rev;
  }

  /** A watch's answer: the deletions of keys ahead of ours, or, if it failed, an unknown vanish. */
  void observe(List<WatchEvent> events, Throwable failed) {
    long now = System.nanoTime();
    if (failed != null || events == null || events.isEmpty()) {
      unknown();
      return;
    }
    for (WatchEvent e : events)
      if (e.getEventType() == WatchEvent.EventType.DELETE
          && e.getPrevKV().getCreateRevision() < rev)
        vanishes.vanished(
            Etcd.string(e.getKeyValue().getKey()), Etcd.string(e.getPrevKV().getValue()), now);
  }

  /** What vanished since the last look is unknown (a look tried again): unclean, now. */
  void unknown() {
    vanishes.vanished(dir, null, System.nanoTime());
  }

  /** A look at {@code revision} that did not give us the turn saw {@code ahead}. */
  synchronized void notYet(List<KeyValue> ahead, long revision) {
    vanishes.forget(); // what vanished so far handed the turn to someone else
    lastAhead = ahead.stream().map(KeyValue::getKey).toList();
    lastLook = revision;
  }

  /**
   * A look gave us the turn, with {@code ahead} still there: reads back how each key the last look
   * saw, gone now and not seen going, went; then decides the lock-delay. Completes with {@code
   * revision}, the look's.
   */
  synchronized CompletableFuture<Long> held(List<KeyValue> ahead, long revision) {
    Set<ByteSequence> still = Set.copyOf(ahead.stream().map(KeyValue::getKey).toList());
    Set<ByteSequence> unseen =
        lastAhead.stream()
            .filter(k -> !still.contains(k) && !vanishes.saw(Etcd.string(k)))
            .collect(Collectors.toSet());
    if (unseen.isEmpty() || lockDelay.isZero()) return decided(revision); // nothing to ask
    // one replay of the directory for all of them: history costs a wait for etcd's next sync
    return KeyWaits.lastValues(client, Etcd.bytes(dir), lastLook + 1, unseen)
        .orTimeout(Session.CLEANUP.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (values, e) -> {
              long now = System.nanoTime();
              for (ByteSequence k : unseen) // unknown if the history failed (compacted, say)
              vanishes.vanished(Etcd.string(k), e == null ? values.get(k) : null, now);
              return null;
            })
        .thenCompose(x -> decided(revision));
  }

  private CompletableFuture<Long> decided(long revision) {
    start = vanishes.decide(lockDelay, System.nanoTime());
    return CompletableFuture.completedFuture(revision);
  }

  /** When the command may start; null until the turn has come. */
  Vanishes.Start start() {
    return start;
  }

  /**
   * Whether our key may be marked released when we leave: our turn came and its lock-delay is over,
   * so nothing ahead of us and nothing of ours still runs. A member still waiting out its
   * lock-delay carries the unclean vanish it waits for: its key goes unmarked, and whoever is next
   * waits in turn.
   */
  boolean releasedCleanly() {
    Vanishes.Start s = start;
    return s != null && System.nanoTime() - s.notBeforeNanos() >= 0;
  }
}
