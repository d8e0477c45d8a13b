package dev.conch.cron;

import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.Watch;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.options.GetOption;
import io.etcd.jetcd.options.WatchOption;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Tells {@link Departed} when each daemon's key under daemons/ goes: reads who is registered, then
 * watches deletions from the next revision, so none is missed; a failed watch makes it blind until
 * read and watched again. Runs on the timer thread, as {@link TableSync} does.
 */
final class DaemonWatch {
  private final Client client;
  private final Keys keys;
  private final ScheduledExecutorService timer;
  private final AtomicBoolean stopping;
  private final Departed departed;
  private Watch.Watcher watcher;

  DaemonWatch(
      Client client,
      Keys keys,
      ScheduledExecutorService timer,
      AtomicBoolean stopping,
      Departed departed) {
    this.client = client;
    this.keys = keys;
    this.timer = timer;
    this.stopping = stopping;
    this.departed = departed;
  }

  void start() {
    timer.execute(this::load);
  }

  void close() {
    timer.execute(
        () -> {
          if (watcher != null) watcher.close();
        });
  }

  private void load() {
    if (stopping.get()) return;
    client
        .getKVClient()
        .get(dir(), GetOption.builder().isPrefix(true).withKeysOnly(true).build())
        .whenComplete((r, e) -> timer.execute(() -> loaded(r, e)));
  }

  private void loaded(GetResponse r, Throwable e) {
    if (e != null) {
      timer.schedule(this::load, 1, TimeUnit.SECONDS); // etcd unreachable: try again
      return;
    }
    if (stopping.get()) return;
    Set<String> live = r.getKvs().stream().map(this::lease).collect(Collectors.toSet());
    departed.watching(live, System.nanoTime());
    Watch.Watcher old = watcher;
    watcher =
        client
            .getWatchClient()
            .watch(
                dir(),
                WatchOption.builder()
                    .isPrefix(true)
                    .withNoPut(true)
                    .withRevision(r.getHeader().getRevision() + 1)
                    .build(),
                Watch.listener(
                    w -> {
                      long now = System.nanoTime();
                      for (WatchEvent ev : w.getEvents())
                        if (ev.getEventType() == WatchEvent.EventType.DELETE)
                          departed.vanished(lease(ev.getKeyValue()), now);
                    },
                    err -> {
                      departed.blind();
                      timer.execute(this::load);
                    }));
    if (old != null) old.close();
  }

  private ByteSequence dir() {
    return Etcd.bytes(keys.daemons());
  }

  private String lease(KeyValue kv) {
    return Etcd.string(kv.getKey()).substring(keys.daemons().length());
  }
}
