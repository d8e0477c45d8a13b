package dev.conch.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchEvent.EventType;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;

/**
 * Waiting on keys with watches, never by polling. Each wait completes when a matching event arrives
 * at or after revision {@code from}, and completes exceptionally when the watch fails (compaction,
 * a lost stream): either way the caller reads again, because an event only ever means "look again".
 * Cancelling the future closes the watch.
 */
public final class KeyWaits {
  private KeyWaits() {}

  /** {@code key} is deleted. */
  public static CompletableFuture<Void> deleted(Client client, ByteSequence key, long from) {
    return until(
        client,
        key,
        WatchOption.builder().withRevision(from).withNoPut(true),
        e -> e.getEventType() == EventType.DELETE);
  }

  /** {@code key} is deleted or rewritten. */
  public static CompletableFuture<Void> changed(Client client, ByteSequence key, long from) {
    return until(client, key, WatchOption.builder().withRevision(from), e -> true);
  }

  /** Some key under {@code dir} that was created before revision {@code before} is deleted. */
  public static CompletableFuture<Void> deletedBefore(
      Client client, ByteSequence dir, long from, long before) {
    return until(
        client,
        dir,
        WatchOption.builder().withRevision(from).isPrefix(true).withNoPut(true).withPrevKV(true),
        e -> e.getEventType() == EventType.DELETE && e.getPrevKV().getCreateRevision() < before);
  }

  private static CompletableFuture<Void> until(
      Client client, ByteSequence key, WatchOption.Builder opt, Predicate<WatchEvent> match) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Watch.Watcher w =
        client
            .getWatchClient()
            .watch(
                key,
                opt.build(),
                Watch.listener(
                    (WatchResponse r) -> {
                      if (r.getEvents().stream().anyMatch(match)) done.complete(null);
                    },
                    done::completeExceptionally,
                    () -> done.complete(null)));
    done.whenComplete((v, e) -> w.close());
    return done;
  }
}
