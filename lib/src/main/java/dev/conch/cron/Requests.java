package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.conch.base.Json;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Follow;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Follows a directory of requests ({@code cron run}'s or {@code cron kill}'s, {@link Follow}: read
 * whole, then watched) and hands each request present or put to {@code seen}, on the timer thread,
 * as {@link TableSync} does with jobs. A request may be seen more than once (a watch read again):
 * what is done with it is guarded in etcd ({@link Manual}) or done once ({@link Runs#kill}).
 */
final class Requests implements Follow.Changes {
  /** A request: its job, the last part of its key, its create revision, and who asked. */
  record Request(String job, String id, String key, long rev, String by) {}

  /** A request's value, as {@code cron run} and {@code cron kill} write it: who asked, and when. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Asked(@JsonProperty("requested_by") String by, String requested) {}

  private final String dir;
  private final Metrics metrics;
  private final Consumer<Request> seen;
  private final Follow follow;

  Requests(
      Client client,
      String dir,
      ScheduledExecutorService timer,
      AtomicBoolean stopping,
      Metrics metrics,
      Consumer<Request> seen) {
    this.dir = dir;
    this.metrics = metrics;
    this.seen = seen;
    this.follow = new Follow(client, dir, true, timer, stopping, this);
  }

  void start() {
    follow.start();
  }

  void close() {
    follow.close();
  }

  @Override
  public void read(GetResponse whole) {
    whole.getKvs().forEach(this::offer);
  }

  @Override
  public void changed(WatchEvent e) {
    if (e.getEventType() == WatchEvent.EventType.PUT) offer(e.getKeyValue());
  }

  @Override
  public void failed() {
    metrics.etcdError("requests");
  }

  /** A key conch would not have written (no job/id shape, a bad name) is not a request. */
  private void offer(KeyValue kv) {
    String key = Etcd.string(kv.getKey());
    String[] parts = key.substring(dir.length()).split("/");
    if (parts.length != 2) return;
    try {
      Keys.name("job", parts[0]);
    } catch (RuntimeException e) {
      return;
    }
    String by =
        Json.read(Etcd.string(kv.getValue()), Asked.class).map(Asked::by).orElse("(unknown)");
    seen.accept(new Request(parts[0], parts[1], key, kv.getCreateRevision(), by));
  }
}
