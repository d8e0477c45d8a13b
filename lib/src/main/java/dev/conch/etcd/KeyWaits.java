package dev.conch.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import io.etcd.jetcd.watch.WatchResponse;
import java.util.concurrent.CompletableFuture;

/** Waiting on keys with watches, never by polling. */
public final class KeyWaits {
  private KeyWaits() {}

  /**
   * Completes when {@code key} is deleted at or after revision {@code from}. Completes exceptionally
   * when the watch fails (compaction, a lost stream): either way the caller reads again, because an
   * event only ever means "look again". Cancelling the future closes the watch.
   */
  public static CompletableFuture<Void> deleted(Client client, ByteSequence key, long from) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    WatchOption opt = WatchOption.builder().withRevision(from).withNoPut(true).build();
    Watch.Watcher w = client.getWatchClient().watch(key, opt, Watch.listener((WatchResponse r) -> {
      if (r.getEvents().stream().anyMatch(e -> e.getEventType() == WatchEvent.EventType.DELETE)) done.complete(null);
    }, done::completeExceptionally, () -> done.complete(null)));
    done.whenComplete((v, e) -> w.close());
    return done;
  }
}
