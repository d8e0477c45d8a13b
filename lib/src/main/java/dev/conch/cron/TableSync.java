package dev.conch.cron;

import dev.conch.base.Log;
import dev.conch.base.Text;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps {@link Ticks} in step with the job table in etcd: reads it whole, then watches it from the
 * read's revision + 1, so no change is missed and nothing polls; a failed watch reads again. Each
 * answer from etcd is handed to the timer thread, which alone runs this class.
 */
final class TableSync {
  private final Client client;
  private final Keys keys;
  private final Allow allow;
  private final ScheduledExecutorService timer;
  private final Ticks ticks;
  private final AtomicBoolean stopping;
  private final Metrics metrics;
  private final Log log;
  private final Map<String, Long> refused = new HashMap<>(); // job -> the version we said so for
  private Watch.Watcher watcher;

  TableSync(
      Client client,
      Keys keys,
      Allow allow,
      ScheduledExecutorService timer,
      Ticks ticks,
      AtomicBoolean stopping,
      Metrics metrics,
      Log log) {
    this.client = client;
    this.keys = keys;
    this.allow = allow;
    this.timer = timer;
    this.ticks = ticks;
    this.stopping = stopping;
    this.metrics = metrics;
    this.log = log;
  }

  void start() {
    timer.execute(this::load);
  }

  /** Stops watching; the daemon sets {@code stopping} first, so no read opens a new watch. */
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
        .get(dir(), GetOption.builder().isPrefix(true).build())
        .whenComplete((r, e) -> timer.execute(() -> loaded(r, e)));
  }

  private void loaded(GetResponse r, Throwable e) {
    if (e != null) {
      metrics.etcdError("table");
      timer.schedule(this::load, 1, TimeUnit.SECONDS); // etcd unreachable: try again
      return;
    }
    Set<String> seen = new HashSet<>();
    for (KeyValue kv : r.getKvs()) seen.add(apply(kv));
    ticks.retain(seen);
    if (stopping.get()) return;
    Watch.Watcher old = watcher;
    watcher =
        client
            .getWatchClient()
            .watch(
                dir(),
                WatchOption.builder()
                    .isPrefix(true)
                    .withRevision(r.getHeader().getRevision() + 1)
                    .build(),
                Watch.listener(
                    w -> timer.execute(() -> w.getEvents().forEach(this::changed)),
                    err -> {
                      metrics.etcdError("table");
                      timer.execute(this::load);
                    }));
    if (old != null) old.close();
  }

  private ByteSequence dir() {
    return Etcd.bytes(keys.cronJobs());
  }

  private void changed(WatchEvent e) {
    if (e.getEventType() == WatchEvent.EventType.PUT) apply(e.getKeyValue());
    else ticks.drop(Etcd.string(e.getKeyValue().getKey()).substring(keys.cronJobs().length()));
  }

  /**
   * Takes a job into the table (or replaces it); returns its name. Unreadable values are skipped,
   * and so are jobs whose command no --allow pattern matches: a refused job has no timer at all.
   */
  private String apply(KeyValue kv) {
    String name = Etcd.string(kv.getKey()).substring(keys.cronJobs().length());
    long version = kv.getModRevision();
    if (ticks.has(name, version)) return name;
    Job job = Table.parseJob(name, Etcd.string(kv.getValue())).orElse(null);
    ticks.drop(name);
    if (job == null) {
      log.always("error", "skipping job key " + Text.quote(name) + ": unreadable value");
    } else if (!allow.allows(job.cmd())) {
      if (!Long.valueOf(version).equals(refused.put(name, version))) {
        log.always(
            "refused",
            "not running job "
                + name
                + " (added by "
                + Text.printable(job.addedBy())
                + "): its command "
                + Text.quote(Allow.commandLine(job.cmd()))
                + " matches no --allow pattern; daemons that allow it will");
      }
    } else {
      ticks.put(job, version);
    }
    return name;
  }
}
