package dev.conch.cron;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.conch.base.Durations;
import dev.conch.base.Json;
import dev.conch.coord.Holder;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.kv.TxnResponse;
import io.etcd.jetcd.op.Op;
import io.etcd.jetcd.options.DeleteOption;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;

/** The cron table in etcd: jobs, their run records and the live daemons. */
public final class Table {
  /**
   * How far apart daemons' clocks may be. A record is trimmed only once its tick is older than the
   * claim horizon: the largest {@code --max-lateness} of the live daemons plus twice this, so that
   * no daemon, late or with a clock behind, can claim its tick again.
   */
  public static final Duration CLOCK_SKEW = Duration.ofMinutes(1);

  private final Client client;
  private final Keys keys;
  private final Duration timeout;

  public Table(Client client, Keys keys, Duration timeout) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
  }

  /**
   * Removes a job, running or paused, and its pending {@code cron run} requests, in one
   * transaction; false if there was no job. Its run records stay (a running run keeps its result).
   */
  public boolean remove(String job) {
    ByteSequence requests = Etcd.bytes(keys.cronRequests(job));
    TxnResponse t =
        sync(
            client
                .getKVClient()
                .txn()
                .Then(
                    Op.delete(Etcd.bytes(keys.cronJob(job)), DeleteOption.DEFAULT),
                    Op.delete(Etcd.bytes(keys.cronPaused(job)), DeleteOption.DEFAULT),
                    Op.delete(requests, DeleteOption.builder().isPrefix(true).build()))
                .commit(),
            "removing " + job);
    return t.getDeleteResponses().stream().limit(2).anyMatch(d -> d.getDeleted() > 0);
  }

  /**
   * Every readable job, by name; {@code unreadable} collects the keys of values nobody can parse.
   */
  public List<Job> jobs(List<String> unreadable) {
    List<Job> jobs = new ArrayList<>();
    for (KeyValue kv :
        range(keys.cronJobs(), GetOption.SortTarget.KEY, GetOption.SortOrder.ASCEND, 0)) {
      String key = Etcd.string(kv.getKey());
      Optional<Job> j =
          parseJob(key.substring(keys.cronJobs().length()), Etcd.string(kv.getValue()));
      if (j.isPresent()) jobs.add(j.get());
      else unreadable.add(key);
    }
    return jobs;
  }

  /**
   * The job stored under {@code name}, if its value is one conch could have written: anyone with
   * write access to the table may have put anything there, and daemons and ls alike skip what is
   * not.
   */
  public static Optional<Job> parseJob(String name, String json) {
    return Json.read(json, Job.class)
        .filter(
            j -> {
              try {
                Keys.name("job", j.job());
                j.parsedSchedule();
                j.timeoutDuration();
                return j.job().equals(name)
                    && j.keep() >= 1
                    && j.keep() <= Job.MAX_KEEP
                    && j.cmd() != null
                    && !j.cmd().isEmpty()
                    && !j.cmd().contains(null)
                    && (j.overlap() == null || Job.OVERLAPS.contains(j.overlap()));
              } catch (RuntimeException e) {
                return false;
              }
            });
  }

  /** The newest {@code limit} run records of a job, newest first. */
  public List<Run> runs(String job, int limit) {
    List<Run> runs = new ArrayList<>();
    for (KeyValue kv :
        range(keys.cronRuns(job), GetOption.SortTarget.KEY, GetOption.SortOrder.DESCEND, limit)) {
      Json.read(Etcd.string(kv.getValue()), Run.class).ifPresent(runs::add);
    }
    return runs;
  }

  /**
   * Whether a run of the job is still going: what {@code --overlap skip} asks before running a
   * tick. A run of a daemon that vanished less than the lock-delay ago ({@code departed}) counts.
   */
  boolean going(Job job, Instant now, Departed departed) {
    Set<String> live = new HashSet<>(liveDaemons());
    List<Run> runs = runs(job.job(), 0);
    Set<String> gone =
        runs.stream()
            .filter(r -> Run.RUNNING.equals(r.state()) && r.daemon() != null)
            .map(Run::daemon)
            .filter(d -> !live.contains(d))
            .collect(Collectors.toSet());
    live.addAll(departed.lingering(gone, System.nanoTime()));
    return runs.stream().anyMatch(r -> r.going(live, job.timeoutDuration(), now));
  }

  /**
   * Deletes the run records beyond the newest {@code keep}, so that etcd does not grow with time;
   * never a run still going, whose result is still to come and which {@code --overlap skip} must
   * still see, and never a record newer than the claim horizon: deleted, its tick could be claimed
   * again by a daemon that fires it late. {@code maxLateness} is the trimming daemon's own.
   */
  public void trim(Job job, Instant now, Duration maxLateness) {
    List<KeyValue> daemons = daemonKeys();
    Set<String> live = leases(daemons);
    Duration latest = maxLateness;
    for (KeyValue kv : daemons) {
      Duration d = publishedLateness(Etcd.string(kv.getValue()));
      if (d != null && d.compareTo(latest) > 0) latest = d;
    }
    long horizon = horizon(now, latest).toEpochMilli();
    List<KeyValue> all =
        range(keys.cronRuns(job.job()), GetOption.SortTarget.KEY, GetOption.SortOrder.DESCEND, 0);
    for (KeyValue kv : all.subList(Math.min(job.keep(), all.size()), all.size())) {
      if (tickMillis(Etcd.string(kv.getKey())) >= horizon) continue;
      boolean going =
          Json.read(Etcd.string(kv.getValue()), Run.class)
              .map(r -> r.going(live, job.timeoutDuration(), now))
              .orElse(false);
      if (!going)
        sync(client.getKVClient().delete(kv.getKey()), "trimming the runs of " + job.job());
    }
  }

  /** Ticks before this may be trimmed; pure. */
  static Instant horizon(Instant now, Duration maxLateness) {
    return now.minus(maxLateness).minus(CLOCK_SKEW.multipliedBy(2));
  }

  /** A run key's tick; a key conch did not write counts as the oldest. */
  private static long tickMillis(String key) {
    try {
      return Long.parseLong(key.substring(key.lastIndexOf('/') + 1));
    } catch (NumberFormatException e) {
      return Long.MIN_VALUE;
    }
  }

  /**
   * A daemon's value under daemons/: its holder JSON plus its {@code max_lateness}, a field that
   * readers of a holder ignore.
   */
  public static String registration(Holder self, Duration maxLateness) {
    Map<String, Object> v = Json.fields(self);
    v.put("max_lateness", Durations.format(maxLateness));
    return Json.write(v);
  }

  @JsonIgnoreProperties(ignoreUnknown = true)
  record Published(@JsonProperty("max_lateness") String maxLateness) {}

  /** The {@code --max-lateness} a daemon published, or null (an older conchd, or junk). */
  static Duration publishedLateness(String value) {
    try {
      return Json.read(value, Published.class)
          .map(Published::maxLateness)
          .map(Durations::parse)
          .orElse(null);
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The leases of the live daemons: a claim by any other is a zombie. */
  public Set<String> liveDaemons() {
    return leases(daemonKeys());
  }

  /** Live daemons (their keys go with their leases). */
  public List<Holder> daemons() {
    return daemonKeys().stream().map(Table::holder).toList();
  }

  private List<KeyValue> daemonKeys() {
    return range(keys.daemons(), GetOption.SortTarget.CREATE, GetOption.SortOrder.ASCEND, 0);
  }

  private static Holder holder(KeyValue kv) {
    return Holder.parse(Etcd.string(kv.getValue()), kv.getCreateRevision());
  }

  private static Set<String> leases(List<KeyValue> daemons) {
    return daemons.stream().map(kv -> holder(kv).lease()).collect(Collectors.toSet());
  }

  private List<KeyValue> range(
      String dir, GetOption.SortTarget by, GetOption.SortOrder order, long limit) {
    GetOption opt =
        GetOption.builder()
            .isPrefix(true)
            .withSortField(by)
            .withSortOrder(order)
            .withLimit(limit)
            .build();
    return sync(client.getKVClient().get(Etcd.bytes(dir), opt), "reading " + dir).getKvs();
  }

  private <T> T sync(CompletableFuture<T> f, String doing) {
    return Etcd.sync(f, timeout, doing);
  }
}
