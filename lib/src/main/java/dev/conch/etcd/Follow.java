package dev.conch.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Follows a directory: reads it whole, then watches it from the read's revision + 1, so that no
 * change is missed and nothing polls. A failed read is tried again a second later, a failed watch
 * reads again. Every answer is handed to {@code timer}, whose one thread alone runs the callbacks;
 * once {@code stopping} is set no read starts a watch.
 */
public final class Follow {
  /** What the follower does with each answer, on the timer thread. */
  public interface Changes {
    void read(GetResponse whole);

    void changed(WatchEvent e);

    /** A read or the watch failed; a read follows. */
    void failed();
  }

  private final Client client;
  private final ByteSequence dir;
  private final boolean putsToo;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean stopping;
  private final Changes changes;
  private Watch.Watcher watcher;

  /** {@code putsToo}: false to hear of deletions only. */
  public Follow(
      Client client,
      String dir,
      boolean putsToo,
      ScheduledExecutorService timer,
      AtomicBoolean stopping,
      Changes changes) {
    this.client = client;
    this.dir = Etcd.bytes(dir);
    this.putsToo = putsToo;
    this.timer = timer;
    this.stopping = stopping;
    this.changes = changes;
  }

  public void start() {
    timer.execute(this::load);
  }

  /** Stops watching; the owner sets {@code stopping} first, so no read opens a new watch. */
  public void close() {
    timer.execute(
        () -> {
          if (watcher != null) watcher.close();
        });
  }

  private void load() {
    if (stopping.get()) return;
    client
        .getKVClient()
        .get(dir, GetOption.builder().isPrefix(true).build())
        .whenComplete((r, e) -> timer.execute(() -> loaded(r, e)));
  }

  private void loaded(GetResponse r, Throwable e) {
    if (e != null) {
      changes.failed();
      timer.schedule(this::load, 1, TimeUnit.SECONDS); // etcd unreachable: try again
      return;
    }
    changes.read(r);
    if (stopping.get()) return;
    Watch.Watcher old = watcher;
    watcher =
        client
            .getWatchClient()
            .watch(
                dir,
                WatchOption.builder()
                    .isPrefix(true)
                    .withNoPut(!putsToo)
                    .withRevision(r.getHeader().getRevision() + 1)
                    .build(),
                Watch.listener(
                    w -> timer.execute(() -> w.getEvents().forEach(changes::changed)),
                    err -> {
                      changes.failed();
                      timer.execute(this::load);
                    }));
    if (old != null) old.close();
  }
}
