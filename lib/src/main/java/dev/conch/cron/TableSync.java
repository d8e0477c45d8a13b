package dev.conch.cron;

import dev.conch.base.Log;
import dev.conch.base.Text;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import dev.conch.etcd.Follow;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.GetResponse;
import io.etcd.jetcd.watch.WatchEvent;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Keeps {@link Ticks} in step with the job table in etcd, which it follows ({@link Follow}: read
 * whole, then watched from the next revision; a failed watch reads again). Each answer from etcd is
 * handed to the timer thread, which alone runs this class.
 */
final class TableSync implements Follow.Changes {
  private final Keys keys;
  private final Allow allow;
  private final Ticks ticks;
  private final Metrics metrics;
  private final Log log;
  private final Map<String, Long> refused = new HashMap<>(); // job -> the version we said so for
  private final Follow follow;

  TableSync(
      Client client,
      Keys keys,
      Allow allow,
      ScheduledExecutorService timer,
      Ticks ticks,
      AtomicBoolean stopping,
      Metrics metrics,
      Log log) {
    this.keys = keys;
    this.allow = allow;
    this.ticks = ticks;
    this.metrics = metrics;
    this.log = log;
    this.follow = new Follow(client, keys.cronJobs(), true, timer, stopping, this);
  }

  void start() {
    follow.start();
  }

  /** Stops watching; the daemon sets {@code stopping} first, so no read opens a new watch. */
  void close() {
    follow.close();
  }

  @Override
  public void read(GetResponse whole) {
    Set<String> seen = new HashSet<>();
    for (KeyValue kv : whole.getKvs()) seen.add(apply(kv));
    ticks.retain(seen);
  }

  @Override
  public void changed(WatchEvent e) {
    if (e.getEventType() == WatchEvent.EventType.PUT) apply(e.getKeyValue());
    else ticks.drop(Etcd.string(e.getKeyValue().getKey()).substring(keys.cronJobs().length()));
  }

  @Override
  public void failed() {
    metrics.etcdError("table");
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
