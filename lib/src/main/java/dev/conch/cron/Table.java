package dev.conch.cron;

import dev.conch.coord.Holder;
import dev.conch.coord.Json;
import dev.conch.coord.Keys;
import dev.conch.etcd.Etcd;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** The cron table in etcd: jobs, their run records and the live daemons. */
public final class Table {
  private final Client client;
  private final Keys keys;
  private final Duration timeout;

  public Table(Client client, Keys keys, Duration timeout) {
    this.client = client;
    this.keys = keys;
    this.timeout = timeout;
  }

  /** Adds or replaces a job. */
  public void put(Job job) {
    sync(
        client
            .getKVClient()
            .put(Etcd.bytes(keys.cronJob(job.job())), Etcd.bytes(Json.write(job)))
            .thenApply(r -> r),
        "adding " + job.job());
  }

  /**
   * Removes a job; false if there was none. Its run records stay (a running run keeps its result).
   */
  public boolean remove(String job) {
    return sync(client.getKVClient().delete(Etcd.bytes(keys.cronJob(job))), "removing " + job)
            .getDeleted()
        > 0;
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
   * tick.
   */
  public boolean going(Job job, Instant now) {
    Set<String> live = liveDaemons();
    return runs(job.job(), 0).stream().anyMatch(r -> r.going(live, job.timeoutDuration(), now));
  }

  /**
   * Deletes the run records beyond the newest {@code keep}, so that etcd does not grow with time;
   * never a run still going, whose result is still to come and which {@code --overlap skip} must
   * still see.
   */
  public void trim(Job job, Instant now) {
    Set<String> live = liveDaemons();
    List<KeyValue> all =
        range(keys.cronRuns(job.job()), GetOption.SortTarget.KEY, GetOption.SortOrder.DESCEND, 0);
    for (KeyValue kv : all.subList(Math.min(job.keep(), all.size()), all.size())) {
      boolean going =
          Json.read(Etcd.string(kv.getValue()), Run.class)
              .map(r -> r.going(live, job.timeoutDuration(), now))
              .orElse(false);
      if (!going)
        sync(client.getKVClient().delete(kv.getKey()), "trimming the runs of " + job.job());
    }
  }

  /** The leases of the live daemons: a claim by any other is a zombie. */
  public Set<String> liveDaemons() {
    return daemons().stream().map(Holder::lease).collect(Collectors.toSet());
  }

  /** Live daemons (their keys go with their leases). */
  public List<Holder> daemons() {
    return range(keys.daemons(), GetOption.SortTarget.CREATE, GetOption.SortOrder.ASCEND, 0)
        .stream()
        .map(kv -> Holder.parse(Etcd.string(kv.getValue()), kv.getCreateRevision()))
        .toList();
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
    try {
      return f.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).join();
    } catch (RuntimeException e) {
      throw Etcd.failure(e, doing);
    }
  }
}
