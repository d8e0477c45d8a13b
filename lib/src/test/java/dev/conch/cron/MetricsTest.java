package dev.conch.cron;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class MetricsTest {
  @Test
  void freshMetricsShowEveryFamilyAndZeroes() {
    assertEquals(
        """
        # HELP conch_cron_runs_total Ticks this daemon claimed, by job and final state: ok, failed (the run ended), skipped (the previous run was still going), missed (noticed too late).
        # TYPE conch_cron_runs_total counter
        # HELP conch_cron_start_lateness_seconds How long after its tick each run started.
        # TYPE conch_cron_start_lateness_seconds histogram
        conch_cron_start_lateness_seconds_bucket{le="0.005"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.01"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.025"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.05"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.1"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.25"} 0
        conch_cron_start_lateness_seconds_bucket{le="0.5"} 0
        conch_cron_start_lateness_seconds_bucket{le="1"} 0
        conch_cron_start_lateness_seconds_bucket{le="2.5"} 0
        conch_cron_start_lateness_seconds_bucket{le="5"} 0
        conch_cron_start_lateness_seconds_bucket{le="10"} 0
        conch_cron_start_lateness_seconds_bucket{le="+Inf"} 0
        conch_cron_start_lateness_seconds_sum 0
        conch_cron_start_lateness_seconds_count 0
        # HELP conch_cron_ticks_claimed_total Ticks this daemon won, by job.
        # TYPE conch_cron_ticks_claimed_total counter
        # HELP conch_cron_ticks_lost_total Ticks another daemon won first, by job.
        # TYPE conch_cron_ticks_lost_total counter
        # HELP conch_cron_manual_runs_total cron run requests this daemon claimed, by job (their final states are counted in conch_cron_runs_total too).
        # TYPE conch_cron_manual_runs_total counter
        # HELP conch_cron_kills_total Runs this daemon terminated on a cron kill, by job.
        # TYPE conch_cron_kills_total counter
        # HELP conch_cron_retries_total Attempts this daemon started again after a failed one (--retries), by job.
        # TYPE conch_cron_retries_total counter
        # HELP conch_cron_hook_runs_total Times this daemon ran its --on-failure hook, by job.
        # TYPE conch_cron_hook_runs_total counter
        # HELP conch_cron_hook_failures_total --on-failure hooks that exited non-zero, could not start or ran past their timeout, by job.
        # TYPE conch_cron_hook_failures_total counter
        # HELP conch_cron_zombies_total Runs this daemon lost to a lease loss: terminated, and shown as zombie by cron ls until their result is written.
        # TYPE conch_cron_zombies_total counter
        conch_cron_zombies_total 0
        # HELP conch_etcd_errors_total Failed etcd requests, by what the daemon was doing: claim (claiming or recording a tick or a cron run request), trim, table (reading or watching the cron table), requests (watching cron run and cron kill requests), register.
        # TYPE conch_etcd_errors_total counter
        # HELP conch_daemon_lease_losses_total Times this daemon lost its lease and registered again.
        # TYPE conch_daemon_lease_losses_total counter
        conch_daemon_lease_losses_total 0
        """,
        new Metrics().render());
  }

  @Test
  void countsByLabelsInOrderAndCumulativeBuckets() {
    Metrics m = new Metrics();
    m.run("b", "skipped");
    m.run("a", "ok");
    m.run("a", "failed");
    m.run("a", "ok");
    for (int i = 0; i < 3; i++) m.claimed("a");
    m.tickLost("b");
    m.manual("a");
    m.killed("a");
    m.lateness(Duration.ofMillis(3));
    m.lateness(Duration.ofMillis(5)); // a bound is inclusive: le="0.005"
    m.lateness(Duration.ofMillis(40));
    m.lateness(Duration.ofSeconds(12));
    m.etcdError("trim");
    m.etcdError("claim");
    m.etcdError("claim");
    m.leaseLost();
    m.zombies(2);
    String text = m.render();
    assertEquals(
        """
        conch_cron_runs_total{job="a",state="failed"} 1
        conch_cron_runs_total{job="a",state="ok"} 2
        conch_cron_runs_total{job="b",state="skipped"} 1
        conch_cron_start_lateness_seconds_bucket{le="0.005"} 2
        conch_cron_start_lateness_seconds_bucket{le="0.01"} 2
        conch_cron_start_lateness_seconds_bucket{le="0.025"} 2
        conch_cron_start_lateness_seconds_bucket{le="0.05"} 3
        conch_cron_start_lateness_seconds_bucket{le="0.1"} 3
        conch_cron_start_lateness_seconds_bucket{le="0.25"} 3
        conch_cron_start_lateness_seconds_bucket{le="0.5"} 3
        conch_cron_start_lateness_seconds_bucket{le="1"} 3
        conch_cron_start_lateness_seconds_bucket{le="2.5"} 3
        conch_cron_start_lateness_seconds_bucket{le="5"} 3
        conch_cron_start_lateness_seconds_bucket{le="10"} 3
        conch_cron_start_lateness_seconds_bucket{le="+Inf"} 4
        conch_cron_start_lateness_seconds_sum 12.048
        conch_cron_start_lateness_seconds_count 4
        conch_cron_ticks_claimed_total{job="a"} 3
        conch_cron_ticks_lost_total{job="b"} 1
        conch_cron_manual_runs_total{job="a"} 1
        conch_cron_kills_total{job="a"} 1
        conch_cron_zombies_total 2
        conch_etcd_errors_total{op="claim"} 2
        conch_etcd_errors_total{op="trim"} 1
        conch_daemon_lease_losses_total 1
        """,
        text.lines().filter(l -> !l.startsWith("#")).map(l -> l + "\n").reduce("", String::concat));
  }

  @Test
  void labelValuesAreEscapedAsTheFormatAsks() {
    Metrics m = new Metrics();
    m.claimed("a\"b\\c\nd");
    String text = m.render();
    assertEquals(
        1,
        text.lines()
            .filter(l -> l.equals("conch_cron_ticks_claimed_total{job=\"a\\\"b\\\\c\\nd\"} 1"))
            .count(),
        text);
  }
}
