package dev.conch.it.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a long-running conch must not grow: its JVM's figures ({@link JvmFigures}), and in etcd the
 * keys under its prefix and etcd's leases, watchers and watch streams (each test class has an etcd
 * of its own, so these are the test's). A sample after warm-up is compared with one at the end.
 */
public record Footprint(JvmFigures jvm, long keys, long leases, long watchers, long streams) {
  /**
   * Cached thread pools, whose size follows how many runs go at once, not how long conch has run:
   * conch's run pool, the JDK's process reapers (one per live child process), jetcd's executor.
   */
  private static final List<String> POOLS =
      List.of("conch-cron-run", "process reaper", "jetcd-pool-N-th");

  /**
   * Live heap after a full GC may differ by tens of KiB between two samples of an idle JVM (buffers
   * of gRPC and the JDK in use at that instant); 1 MiB more is a leak of 100 bytes per run over
   * 10,000 runs, and far less than one leaked client or thread pool.
   */
  private static final long HEAP_MARGIN_KB = 1024;

  /** Classes loaded late (an error path, a JIT-generated accessor): a few KiB each. */
  private static final long METASPACE_MARGIN_KB = 512;

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  /**
   * Samples the conch JVM {@code pid} (see {@link JvmFigures#of} for {@code betweenRuns}) and
   * {@code c}'s keys on {@code etcd}.
   */
  public static Footprint of(long pid, boolean betweenRuns, Conch c, EtcdServer etcd) {
    JvmFigures jvm = JvmFigures.of(pid, betweenRuns);
    // a range's count is of every key in it, whatever the limit (etcdctl 3.4 has no --count-only)
    Procs.Result keys =
        Etcdctl.run(
            c.endpoint,
            "get",
            "--prefix",
            "--keys-only",
            "--limit",
            "1",
            "-w",
            "json",
            c.prefix + "/");
    Procs.Result leases = Etcdctl.run(c.endpoint, "lease", "list", "-w", "json");
    return new Footprint(
        jvm,
        json(keys, "\"count\":(\\d+)").findFirst().map(Long::parseLong).orElse(0L),
        json(leases, "\"id\":(\\d+)").count(),
        metric(etcd, "etcd_debugging_mvcc_watcher_total"),
        metric(etcd, "etcd_debugging_mvcc_watch_stream_total"));
  }

  /** {@code regex}'s first group in each match in etcdctl's answer (JSON leaves a 0 out). */
  private static java.util.stream.Stream<String> json(Procs.Result r, String regex) {
    if (r.code() != 0) throw new AssertionError("etcdctl: " + r.err());
    return Pattern.compile(regex).matcher(r.out()).results().map(m -> m.group(1));
  }

  /** A gauge of etcd's /metrics, summed over the members (plain HTTP: the default topology). */
  private static long metric(EtcdServer etcd, String name) {
    Pattern sample = Pattern.compile("^" + name + " (\\S+)$", Pattern.MULTILINE);
    long sum = 0;
    for (int i = 0; i < etcd.size(); i++) {
      Matcher m = sample.matcher(get(URI.create(etcd.member(i) + "/metrics")));
      if (!m.find()) throw new AssertionError("no " + name + " in etcd's /metrics");
      sum += (long) Double.parseDouble(m.group(1));
    }
    return sum;
  }

  private static String get(URI uri) {
    try {
      return HTTP.send(
              HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
              HttpResponse.BodyHandlers.ofString())
          .body();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * The end is no bigger than the start, give or take what a sample may catch in passing: threads
   * +2 outside {@link #POOLS}; open fds +5 (a command being started: its control FIFO, the spawn's
   * pipes); live heap and metaspace within their margins; etcd's keys under the prefix at most
   * {@code maxKeys}; its leases, watchers and watch streams as at the start. What follows how many
   * runs go at once ({@code runsAtOnce}: 1 for a wrapper, the jobs of a second for a daemon) is
   * bounded by that, not by the start: child processes by 2 per run (its FIFO's mkfifo, its
   * watchdog), each pool by 3 per run (a pool keeps an idle thread a minute, and on a loaded host a
   * second's claims come while the previous second's runs are still recorded: a daemon of 25 jobs
   * had 49 run threads after its first, cold seconds).
   */
  public static void assertFlat(Footprint start, Footprint end, long maxKeys, int runsAtOnce) {
    JvmFigures a = start.jvm;
    JvmFigures b = end.jvm;
    long fixed = 0;
    for (Map.Entry<String, Long> t : b.threads().entrySet()) {
      if (!POOLS.contains(t.getKey()))
        fixed += t.getValue() - a.threads().getOrDefault(t.getKey(), 0L);
      else assertTrue(t.getValue() <= 3L * runsAtOnce, "pool " + t.getKey() + ": " + b.threads());
    }
    assertTrue(fixed <= 2, "threads outside pools: " + a.threads() + " → " + b.threads());
    assertTrue(b.fds() <= a.fds() + 5, "open fds: " + a.fds() + " → " + b.fds());
    assertTrue(b.children() <= 2L * runsAtOnce, "child processes (zombies too): " + b.children());
    assertTrue(
        b.heapKb() <= a.heapKb() + HEAP_MARGIN_KB,
        "live heap: " + a.heapKb() + " → " + b.heapKb() + " KiB");
    assertTrue(
        b.metaspaceKb() <= a.metaspaceKb() + METASPACE_MARGIN_KB,
        "metaspace: " + a.metaspaceKb() + " → " + b.metaspaceKb() + " KiB");
    assertTrue(end.keys <= maxKeys, "etcd keys: " + end.keys + " > " + maxKeys);
    assertEquals(start.leases, end.leases, "etcd leases");
    assertEquals(start.watchers, end.watchers, "etcd watchers");
    assertEquals(start.streams, end.streams, "etcd watch streams");
  }

  /**
   * Prints the figures at the start and the end, and the classes whose live bytes grew most: the
   * table the closing note quotes.
   */
  public static void print(String what, Footprint start, Footprint end) {
    JvmFigures a = start.jvm;
    JvmFigures b = end.jvm;
    System.out.printf("%s%n%-22s %12s %12s%n", what, "figure", "start", "end");
    row("threads", a.threadCount(), b.threadCount());
    for (String pool : POOLS)
      row("  " + pool, a.threads().getOrDefault(pool, 0L), b.threads().getOrDefault(pool, 0L));
    row("open fds", a.fds(), b.fds());
    row("child processes", a.children(), b.children());
    row("heap after GC (KiB)", a.heapKb(), b.heapKb());
    row("metaspace (KiB)", a.metaspaceKb(), b.metaspaceKb());
    row("etcd keys (prefix)", start.keys, end.keys);
    row("etcd leases", start.leases, end.leases);
    row("etcd watchers", start.watchers, end.watchers);
    row("etcd watch streams", start.streams, end.streams);
    b.classes().entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - a.classes().getOrDefault(e.getKey(), 0L)))
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(5)
        .forEach(e -> System.out.printf("  live bytes %+9d  %s%n", e.getValue(), e.getKey()));
  }

  private static void row(String figure, long start, long end) {
    System.out.printf("%-22s %12d %12d%n", figure, start, end);
  }
}
