package dev.conch.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Waiting on keys with watches, never by polling. Each wait completes when a matching event arrives
 * at or after revision {@code from}, and completes exceptionally when the watch fails (compaction,
 * a lost stream): either way the caller reads again, because an event only ever means "look again".
 * A wait completes with the events of the response that matched, each with the key's previous
 * value, so that a caller can tell how a key ahead of it vanished (released, or not). Cancelling
 * the future closes the watch.
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
   * The value {@code key} had when it was deleted, at or after revision {@code from}: etcd replays
   * it from its history if the deletion is past. Fails if that history is compacted.
   */
  public static CompletableFuture<KeyValue> lastValue(Client client, ByteSequence key, long from) {
    return deleted(client, key, from)
        .thenApply(
            events ->
                events.stream()
                    .filter(e -> e.getEventType() == EventType.DELETE)
                    .findFirst()
                    .orElseThrow()
                    .getPrevKV());
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
    done.whenComplete((v, e) -> w.close());
    return done;
  }
}
