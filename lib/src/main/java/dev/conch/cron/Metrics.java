package dev.conch.cron;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What conchd counts, and its Prometheus text (exposition format 0.0.4). Counting is lock-free; the
 * text is a snapshot taken when it is rendered. No I/O: {@link MetricsServer} serves it.
 */
public final class Metrics {
  /**
   * Start lateness buckets, in seconds: a run starts milliseconds after its tick, seconds when etcd
   * or the host is slow.
   */
  static final double[] LATENESS_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  private final Counter runs =
      new Counter(
          "conch_cron_runs_total",
          "Ticks this daemon claimed, by job and final state: ok, failed (the run ended), skipped (the previous run was still going), missed (noticed too late).");
  private final Counter claimed =
      new Counter("conch_cron_ticks_claimed_total", "Ticks this daemon won, by job.");
  private final Counter lost =
      new Counter("conch_cron_ticks_lost_total", "Ticks another daemon won first, by job.");
  private final Counter zombies =
      new Counter(
          "conch_cron_zombies_total",
          "Runs this daemon lost to a lease loss: terminated, and shown as zombie by cron ls until their result is written.");
  private final Counter etcdErrors =
      new Counter(
          "conch_etcd_errors_total",
          "Failed etcd requests, by what the daemon was doing: claim (claiming or recording a tick or a cron run request), trim, table (reading or watching the cron table), requests (watching cron run and cron kill requests), register.");
  private final Counter leaseLosses =
      new Counter(
          "conch_daemon_lease_losses_total",
          "Times this daemon lost its lease and registered again.");
  private final Counter manual =
      new Counter(
          "conch_cron_manual_runs_total",
          "cron run requests this daemon claimed, by job (their final states are counted in conch_cron_runs_total too).");
  private final Counter kills =
      new Counter("conch_cron_kills_total", "Runs this daemon terminated on a cron kill, by job.");
  private final Counter retries =
      new Counter(
          "conch_cron_retries_total",
          "Attempts this daemon started again after a failed one (--retries), by job.");
  private final Counter hookRuns =
      new Counter(
          "conch_cron_hook_runs_total", "Times this daemon ran its --on-failure hook, by job.");
  private final Counter hookFailures =
      new Counter(
          "conch_cron_hook_failures_total",
          "--on-failure hooks that exited non-zero, could not start or ran past their timeout, by job.");
  private final LongAdder[] lateness = new LongAdder[LATENESS_BUCKETS.length + 1];
  private final LongAdder latenessNanos = new LongAdder();

  public Metrics() {
    for (int i = 0; i < lateness.length; i++) lateness[i] = new LongAdder();
    zombies.add(Map.of(), 0); // unlabelled counters show 0 from the start
    leaseLosses.add(Map.of(), 0);
  }

  public void run(String job, String state) {
    runs.add(Map.of("job", job, "state", state), 1);
  }

  public void claimed(String job) {
    claimed.add(Map.of("job", job), 1);
  }

  public void tickLost(String job) {
    lost.add(Map.of("job", job), 1);
  }

  public void manual(String job) {
    manual.add(Map.of("job", job), 1);
  }

  public void killed(String job) {
    kills.add(Map.of("job", job), 1);
  }

  public void retried(String job) {
    retries.add(Map.of("job", job), 1);
  }

  public void hook(String job, boolean ok) {
    hookRuns.add(Map.of("job", job), 1);
    if (!ok) hookFailures.add(Map.of("job", job), 1);
  }

  public void zombies(int n) {
    zombies.add(Map.of(), n);
  }

  public void etcdError(String op) {
    etcdErrors.add(Map.of("op", op), 1);
  }

  public void leaseLost() {
    leaseLosses.add(Map.of(), 1);
  }

  /** How long after its tick a run started. */
  public void lateness(Duration late) {
    long nanos = Math.max(0, late.toNanos());
    int i = 0;
    while (i < LATENESS_BUCKETS.length && nanos > LATENESS_BUCKETS[i] * 1e9) i++;
    lateness[i].increment();
    latenessNanos.add(nanos);
  }

  public String render() {
    StringBuilder b = new StringBuilder();
    runs.render(b);
    String h = "conch_cron_start_lateness_seconds";
    b.append("# HELP ")
        .append(h)
        .append(" How long after its tick each run started.\n# TYPE ")
        .append(h)
        .append(" histogram\n");
    long cumulative = 0;
    for (int i = 0; i < lateness.length; i++) {
      cumulative += lateness[i].sum();
      String le = i < LATENESS_BUCKETS.length ? number(LATENESS_BUCKETS[i]) : "+Inf";
      b.append(h).append("_bucket{le=\"").append(le).append("\"} ").append(cumulative).append('\n');
    }
    b.append(h).append("_sum ").append(number(latenessNanos.sum() / 1e9)).append('\n');
    b.append(h).append("_count ").append(cumulative).append('\n');
    for (Counter c :
        List.of(
            claimed,
            lost,
            manual,
            kills,
            retries,
            hookRuns,
            hookFailures,
            zombies,
            etcdErrors,
            leaseLosses)) c.render(b);
    return b.toString();
  }

  /** Shortest decimal: 0.005, 1, 2.5 (Prometheus reads any float spelling; people read these). */
  static String number(double d) {
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  /** A counter family: one value per label set, rendered in label order. */
  private static final class Counter {
    private final String name;
    private final String help;
    private final Map<String, LongAdder> values = new ConcurrentHashMap<>();

    Counter(String name, String help) {
      this.name = name;
      this.help = help;
    }

    void add(Map<String, String> labels, long n) {
      values.computeIfAbsent(labels(labels), k -> new LongAdder()).add(n);
    }

    void render(StringBuilder b) {
      b.append("# HELP ")
          .append(name)
          .append(' ')
          .append(help)
          .append("\n# TYPE ")
          .append(name)
          .append(" counter\n");
      new TreeMap<>(values)
          .forEach(
              (labels, v) ->
                  b.append(name).append(labels).append(' ').append(v.sum()).append('\n'));
    }

    /** {@code {k="v",…}} by key, values escaped as the format asks; empty for none. */
    private static String labels(Map<String, String> labels) {
      if (labels.isEmpty()) return "";
      StringBuilder b = new StringBuilder("{");
      new TreeMap<>(labels)
          .forEach(
              (k, v) ->
                  b.append(b.length() > 1 ? "," : "")
                      .append(k)
                      .append("=\"")
                      .append(v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n"))
                      .append('"'));
      return b.append('}').toString();
    }
  }
}
