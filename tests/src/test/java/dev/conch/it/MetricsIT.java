package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Run;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** conchd --metrics (README "Metrics"): real daemons scraped over HTTP, as Prometheus would. */
class MetricsIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final Pattern SAMPLE = Pattern.compile("([a-z_]+)(\\{[^}]*})? (\\S+)");

  static HttpResponse<String> get(int port, String path) {
    try {
      return HTTP.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
              .timeout(Duration.ofSeconds(5))
              .build(),
          HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("scraping 127.0.0.1:" + port + path + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Every sample of a scrape, "name{labels}" to value; each line a comment or a sample, each value
   * a number.
   */
  static Map<String, Double> scrape(int port) {
    HttpResponse<String> r = get(port, "/metrics");
    assertEquals(200, r.statusCode(), r.body());
    assertEquals(
        "text/plain; version=0.0.4; charset=utf-8",
        r.headers().firstValue("Content-Type").orElse(""));
    Map<String, Double> samples = new HashMap<>();
    for (String line : r.body().lines().toList()) {
      if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
      Matcher m = SAMPLE.matcher(line);
      assertTrue(m.matches(), "a sample line: " + line);
      samples.put(
          m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
    }
    return samples;
  }

  static double value(Map<String, Double> samples, String sample) {
    return samples.getOrDefault(sample, 0.0);
  }

  /** Scrapes until {@code done} holds, within 20 s: the daemon counts in another process. */
  static Map<String, Double> scrapeUntil(int port, Predicate<Map<String, Double>> done) {
    long end = System.nanoTime() + 20_000_000_000L;
    while (true) {
      Map<String, Double> s = scrape(port);
      if (done.test(s)) return s;
      assertTrue(System.nanoTime() < end, "metrics never got there: " + s);
      Procs.nap(200); // a scrape is what we can see of another process's counters
    }
  }

  static boolean listening(int port) {
    try {
      new Socket(InetAddress.getLoopbackAddress(), port).close();
      return true;
    } catch (IOException refused) {
      return false;
    }
  }

  @Test
  void twoDaemonsCountClaimedAndLostTicksRunsAndLateness() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Cron.add(c, "j", "--schedule", "@every 1s", "--", "true");
    int[] ports = {EtcdServer.freePort(), EtcdServer.freePort()};
    List<Conch.Run> ds =
        List.of(
            c.start("daemon", "--metrics", "127.0.0.1:" + ports[0]),
            c.start("daemon", "--metrics", "127.0.0.1:" + ports[1]));
    c.awaitKeysUnder("/v1/daemons/", 2);
    assertEquals(404, get(ports[0], "/").statusCode());
    assertEquals(404, get(ports[0], "/metrics/x").statusCode());
    Map<String, Double> first = scrape(ports[0]);
    scrapeUntil(
        ports[0],
        s ->
            value(s, "conch_cron_ticks_claimed_total{job=\"j\"}")
                    + value(s, "conch_cron_ticks_lost_total{job=\"j\"}")
                >= value(first, "conch_cron_ticks_claimed_total{job=\"j\"}")
                    + value(first, "conch_cron_ticks_lost_total{job=\"j\"}")
                    + 4);
    assertEquals(0, c.run("cron", "rm", "j").exit(0));

    // no tick is claimed after rm: once the last runs ended, the two daemons' counters add up to
    // what etcd recorded
    long end = System.nanoTime() + 20_000_000_000L;
    while (true) {
      List<Map<String, Double>> s = List.of(scrape(ports[0]), scrape(ports[1]));
      double claimed = sum(s, "conch_cron_ticks_claimed_total{job=\"j\"}");
      double lost = sum(s, "conch_cron_ticks_lost_total{job=\"j\"}");
      double ok = sum(s, "conch_cron_runs_total{job=\"j\",state=\"ok\"}");
      double started = sum(s, "conch_cron_start_lateness_seconds_count");
      long recorded =
          Cron.runs(c, "j").values().stream().filter(r -> r.state().equals(Run.OK)).count();
      if (claimed == ok && ok == started && started == recorded) {
        System.out.printf(
            "two daemons: %.0f ticks claimed, %.0f lost to the other, %.0f runs ok, %d recorded; lateness sum %.3f s%n",
            claimed, lost, ok, recorded, sum(s, "conch_cron_start_lateness_seconds_sum"));
        assertTrue(claimed >= 4 && lost >= 1, "both daemons competed for the ticks: " + s);
        for (Map<String, Double> one : s) {
          assertEquals(
              value(one, "conch_cron_start_lateness_seconds_count"),
              value(one, "conch_cron_start_lateness_seconds_bucket{le=\"+Inf\"}"));
          assertTrue(
              value(one, "conch_cron_start_lateness_seconds_bucket{le=\"0.005\"}")
                  <= value(one, "conch_cron_start_lateness_seconds_bucket{le=\"10\"}"));
          assertEquals(0, value(one, "conch_daemon_lease_losses_total"), "a healthy etcd: " + one);
          assertEquals(0, value(one, "conch_cron_zombies_total"), "a healthy etcd: " + one);
        }
        break;
      }
      assertTrue(
          System.nanoTime() < end, "the counters never matched etcd's " + recorded + " runs: " + s);
      Procs.nap(200); // a scrape is what we can see of another process's counters
    }
    for (Conch.Run d : ds) assertEquals(0, d.stop(), d.stderr());
    assertFalse(
        listening(ports[0]) || listening(ports[1]), "the daemon's stop closed its metrics server");
  }

  static double sum(List<Map<String, Double>> scrapes, String sample) {
    return scrapes.stream().mapToDouble(s -> value(s, sample)).sum();
  }

  @Test
  void aLostLeaseCountsTheRunItTerminated() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path log = c.file("log");
    Cron.add(
        c,
        "long",
        "--schedule",
        "@every 1s",
        "--",
        "bash",
        "-c",
        "echo up >> '" + log + "'; exec sleep 300");
    int port = EtcdServer.freePort();
    Conch.Run d =
        c.start(
            "daemon",
            "--metrics",
            "127.0.0.1:" + port,
            "--grace",
            "1s"); // a later tick's run may be going at stop
    Conch.awaitLines(log, 1, 20_000);
    String key = Etcdctl.keys(c.endpoint, c.prefix + "/v1/daemons/").get(0);
    assertEquals(
        0,
        Etcdctl.run(c.endpoint, "lease", "revoke", key.substring(key.lastIndexOf('/') + 1)).code());
    Map<String, Double> s =
        scrapeUntil(
            port,
            m ->
                value(m, "conch_daemon_lease_losses_total") == 1
                    && value(m, "conch_cron_runs_total{job=\"long\",state=\"failed\"}") == 1);
    assertEquals(
        1,
        value(s, "conch_cron_zombies_total"),
        "the run it was running when its lease went: " + s);
    assertEquals(0, d.stop(), d.stderr());
  }

  @Test
  void etcdErrorsAreCountedWhileEtcdIsSilentAndMetricsStillServed() throws IOException {
    try (EtcdServer own = EtcdServer.start()) {
      Conch c = new Conch(own.endpoint);
      Cron.add(c, "j", "--schedule", "@every 1s", "--", "true");
      int port = EtcdServer.freePort();
      Conch.Run d =
          c.start(
              "daemon", "--metrics", "127.0.0.1:" + port, "--dial-timeout", "2s", "--ttl", "30s");
      c.awaitKeysUnder("/v1/daemons/", 1);
      scrapeUntil(port, m -> value(m, "conch_cron_ticks_claimed_total{job=\"j\"}") >= 1);
      own.freeze();
      try {
        Map<String, Double> s =
            scrapeUntil(port, m -> value(m, "conch_etcd_errors_total{op=\"claim\"}") >= 1);
        System.out.printf(
            "etcd frozen: %s claim errors counted%n",
            value(s, "conch_etcd_errors_total{op=\"claim\"}"));
      } finally {
        own.thaw();
      }
      assertEquals(0, d.stop(), d.stderr());
    }
  }

  @Test
  void aBadAddressIsUsageAndATakenPortIsSeventyOneNothingWritten() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    for (String bad :
        List.of(
            "9464",
            "127.0.0.1:0",
            "127.0.0.1:70000",
            "http://127.0.0.1:9464",
            "no-such-host.invalid:9464")) {
      Conch.Run r = c.run("daemon", "--metrics", bad);
      assertEquals(64, r.exit(0), bad + ": " + r.stderr());
      assertEquals(1, r.stderr().strip().lines().count(), "one line: " + r.stderr());
    }
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Conch.Run r = c.run("daemon", "--metrics", "127.0.0.1:" + taken.getLocalPort());
      assertEquals(71, r.exit(0), r.stderr());
      List<String> lines = r.stderr().strip().lines().toList();
      assertEquals(1, lines.size(), "one line: " + r.stderr());
      assertTrue(
          lines.get(0).contains("error exit=71")
              && lines
                  .get(0)
                  .contains("cannot serve --metrics on 127.0.0.1:" + taken.getLocalPort()),
          lines.get(0));
    }
    assertEquals(List.of(), c.keys(), "nothing written");
  }
}
