package dev.conch.cron;

import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Follow;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Tells {@link Departed} when each daemon's key under daemons/ goes: follows daemons/ ({@link
 * Follow}: who is registered, then its deletions from the next revision, so none is missed); a
 * failed watch makes it blind until read and watched again. Runs on the timer thread, as {@link
 * TableSync} does.
 */
final class DaemonWatch implements Follow.Changes {
  private final Keys keys;
  private final Departed departed;
  private final Follow follow;

  DaemonWatch(
      Client client,
      Keys keys,
      ScheduledExecutorService timer,
      AtomicBoolean stopping,
      Departed departed) {
    this.keys = keys;
    this.departed = departed;
    this.follow = new Follow(client, keys.daemons(), false, timer, stopping, this);
  }

  void start() {
    follow.start();
  }

  void close() {
    follow.close();
  }

  @Override
  public void read(GetResponse whole) {
    Set<String> live = whole.getKvs().stream().map(this::lease).collect(Collectors.toSet());
    departed.watching(live, System.nanoTime());
  }

  @Override
  public void changed(WatchEvent e) {
    if (e.getEventType() == WatchEvent.EventType.DELETE)
      departed.vanished(lease(e.getKeyValue()), System.nanoTime());
  }

  @Override
  public void failed() {
    departed.blind();
  }

  private String lease(KeyValue kv) {
    return Etcd.string(kv.getKey()).substring(keys.daemons().length());
  }
}
