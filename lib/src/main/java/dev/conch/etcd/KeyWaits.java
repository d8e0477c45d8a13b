package dev.conch.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;

/**
 * Waiting on keys with watches, never by polling. Each wait completes when a matching event arrives
 * at or after revision {@code from}, and completes exceptionally when the watch fails (compaction,
 * a lost stream): either way the caller reads again, because an event only ever means "look again".
 * A wait completes with the events of the response that matched, each with the key's previous
 * value, so that a caller can tell how a key ahead of it vanished (released, or not). Cancelling
 * the future closes the watch (soon after, not before the caller's own reaction).
 */
public final class KeyWaits {
  private KeyWaits() {}

  /** {@code key} is deleted. */
  public static CompletableFuture<List<WatchEvent>> deleted(
      Client client, ByteSequence key, long from) {
    return until(
        client,
        key,
        WatchOption.builder().withRevision(from).withNoPut(true).withPrevKV(true),
        e -> e.getEventType() == EventType.DELETE);
  }

  /** {@code key} is deleted or rewritten. */
  public static CompletableFuture<List<WatchEvent>> changed(
      Client client, ByteSequence key, long from) {
    return until(client, key, WatchOption.builder().withRevision(from).withPrevKV(true), e -> true);
  }

  /**
   * The values {@code keys} under {@code dir} had when they were deleted, at or after revision
   * {@code from}: etcd replays those deletions from its history, in one watch of the directory
   * (history is served on etcd's next sync of old watches, within 100 ms). Completes once every key
   * has been seen deleted; fails if that history is compacted.
   */
  public static CompletableFuture<Map<ByteSequence, String>> lastValues(
      Client client, ByteSequence dir, long from, Set<ByteSequence> keys) {
    Map<ByteSequence, String> found = new ConcurrentHashMap<>();
    CompletableFuture<Map<ByteSequence, String>> done = new CompletableFuture<>();
    Watch.Watcher w =
        client
            .getWatchClient()
            .watch(
                dir,
                WatchOption.builder()
                    .withRevision(from)
                    .isPrefix(true)
                    .withNoPut(true)
                    .withPrevKV(true)
                    .build(),
                Watch.listener(
                    (WatchResponse r) -> {
                      for (WatchEvent e : r.getEvents())
                        if (keys.contains(e.getKeyValue().getKey()))
                          found.putIfAbsent(
                              e.getKeyValue().getKey(), Etcd.string(e.getPrevKV().getValue()));
                      if (found.keySet().containsAll(keys)) done.complete(Map.copyOf(found));
                    },
                    done::completeExceptionally,
                    () -> done.completeExceptionally(new IllegalStateException("watch closed"))));
    done.whenCompleteAsync((v, e) -> w.close());
    return done;
  }

  /** Some key under {@code dir} that was created before revision {@code before} is deleted. */
  public static CompletableFuture<List<WatchEvent>> deletedBefore(
      Client client, ByteSequence dir, long from, long before) {
    return until(
        client,
        dir,
        WatchOption.builder().withRevision(from).isPrefix(true).withNoPut(true).withPrevKV(true),
        e -> e.getEventType() == EventType.DELETE && e.getPrevKV().getCreateRevision() < before);
  }

  private static CompletableFuture<List<WatchEvent>> until(
      Client client, ByteSequence key, WatchOption.Builder opt, Predicate<WatchEvent> match) {
    CompletableFuture<List<WatchEvent>> done = new CompletableFuture<>();
    Watch.Watcher w =
        client
            .getWatchClient()
            .watch(
                key,
                opt.build(),
                Watch.listener(
                    (WatchResponse r) -> {
                      if (r.getEvents().stream().anyMatch(match)) done.complete(r.getEvents());
                    },
                    done::completeExceptionally,
                    () -> done.complete(List.of())));
    // closed on another thread: the cancel's round trip is not the waiter's, who looks again now
    done.whenCompleteAsync((v, e) -> w.close());
    return done;
  }
}
