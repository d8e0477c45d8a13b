package dev.conch.it;

import static dev.conch.it.support.Cron.add;
import static dev.conch.it.support.Cron.awaitUp;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.cron.Attempt;
import dev.conch.cron.Run;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.parallel.Execution;
import org.junit.jupiter.api.parallel.ExecutionMode;

/**
 * What a cron run leaves behind (contract section 8b): the tail of each attempt's output in its
 * record, bounded whatever the command writes and however the daemon is stopped; through real
 * daemons, commands and etcd. Retries and the --on-failure hook: {@link CronFailureIT}.
 */
@Execution(ExecutionMode.CONCURRENT) // each test has a prefix and daemons of its own
class CronOutputIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  @Test
  void aCommandWriting100MBLeavesTheDaemonBoundedAndTheTailExact() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    long bytes = 100_000_000;
    String flood = "head -c " + bytes + " /dev/zero | tr '\\0' x; printf 'THE END\\n'";
    add(c, "flood", "--schedule", CronVerbsIT.RARE, "--", "bash", "-c", flood);
    Conch.Run d = c.start("daemon");
    awaitUp(List.of(d));
    long[] before = usage(d.pid());
    long t0 = System.nanoTime();
    Conch.Run wait = c.run("cron", "run", "flood", "--wait");
    assertEquals(0, wait.exit(0), wait.stderr());
    long ms = (System.nanoTime() - t0) / 1_000_000;
    long[] after = usage(d.pid());
    Run rec = CronVerbsIT.result(c, "flood");
    Attempt a = rec.lastAttempt();
    assertEquals(bytes + 8, a.outputBytes(), "every byte counted");
    assertEquals("x".repeat(4096 - 8) + "THE END\n", a.output(), "the last 4096 bytes");
    long base = System.nanoTime();
    Procs.Result alone = Procs.run(List.of("bash", "-c", flood + " >/dev/null 2>&1"), Map.of());
    assertEquals(0, alone.code());
    long aloneMs = (System.nanoTime() - base) / 1_000_000;
    long cpuMs = (after[0] - before[0]) * 10; // clock ticks of 10 ms
    System.out.printf(
        "100 MB of output: run + request %d ms (the command alone, to /dev/null: %d ms); daemon CPU"
            + " %d ms (%.0f MB/s of its CPU), RSS %d -> %d KiB, peak %d KiB%n",
        ms, aloneMs, cpuMs, bytes / 1e3 / Math.max(cpuMs, 1), before[1], after[1], after[2]);
    // the ring and one buffer per stream: no growth with the output; 64 MiB is the heap's noise
    assertTrue(after[2] - before[1] < 64 * 1024, "RSS bounded: " + before[1] + " -> " + after[2]);
    d.stop();
    Files.deleteIfExists(d.out()); // the daemon's stdout: 100 MB
  }

  @Test
  void aDaemonFrozenWhileItsCommandWritesLosesNoByte() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    // 5 x 588,895 bytes, written over a second and more: the pipe's 64 KiB fills while frozen
    String cmd = "for i in 1 2 3 4 5; do seq 1 100000; sleep 0.3; done; echo done";
    add(c, "frozen", "--schedule", CronVerbsIT.RARE, "--", "bash", "-c", cmd);
    Conch.Run d = c.start("daemon", "--ttl", "10s");
    awaitUp(List.of(d));
    assertEquals(0, c.run("cron", "run", "frozen").exit(0));
    c.awaitKeysUnder("/v1/cron/runs/frozen/", 1);
    Procs.kill("STOP", d.pid()); // within the 10 s lease: the command must live on, and wait
    long frozen = System.nanoTime();
    Procs.nap(2000); // the freeze itself: what is measured is what it did to the output
    Procs.kill("CONT", d.pid());
    long frozeMs = (System.nanoTime() - frozen) / 1_000_000;
    Run rec = CronVerbsIT.result(c, "frozen");
    assertEquals(Run.OK, rec.state(), rec.toString());
    long expected = 5 * 588_895L + 5;
    assertEquals(expected, rec.lastAttempt().outputBytes(), "every byte read");
    assertTrue(rec.lastAttempt().output().endsWith("99999\n100000\ndone\n"));
    d.stop();
    assertEquals(expected, Files.size(d.out()), "every byte reached the daemon's stdout");
    System.out.printf(
        "daemon frozen %d ms while its command wrote: the run took %d ms, %d bytes all passed on%n",
        frozeMs,
        Duration.between(Instant.parse(rec.started()), Instant.parse(rec.ended())).toMillis(),
        expected);
  }

  /** A process's CPU (user + system, clock ticks), RSS and peak RSS (KiB), from /proc. */
  static long[] usage(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long cpu = Long.parseLong(f[11]) + Long.parseLong(f[12]);
    long rss = 0, hwm = 0;
    for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (l.startsWith("VmRSS:")) rss = Long.parseLong(l.replaceAll("\\D", ""));
      if (l.startsWith("VmHWM:")) hwm = Long.parseLong(l.replaceAll("\\D", ""));
    }
    return new long[] {cpu, rss, hwm};
  }

  @Test
  void elevenAttemptsOfTheWidestTailStillFitEtcdsRequestLimit() {
    Conch c = new Conch(etcd.endpoint());
    add(
        c,
        "noise",
        "--schedule",
        CronVerbsIT.RARE,
        "--output-tail",
        "65536",
        "--retries",
        "10",
        "--retry-delay",
        "0s",
        "--",
        "bash",
        "-c",
        "head -c 70000 /dev/urandom; exit 1");
    Conch.Run d = c.start("daemon");
    awaitUp(List.of(d));
    Conch.Run wait = c.run("cron", "run", "noise", "--wait");
    assertEquals(1, wait.exit(0), wait.stderr());
    assertFalse(wait.stdout().chars().anyMatch(ch -> ch < 0x20 && ch != '\n' && ch != '\t'));
    Run rec = CronVerbsIT.result(c, "noise");
    assertEquals(11, rec.attempts().size());
    rec.attempts().forEach(a -> assertEquals(70000L, a.outputBytes()));
    String key = c.keysUnder("/v1/cron/runs/noise/").get(0);
    int size =
        Etcdctl.run(c.endpoint, "get", "--print-value-only", key)
            .out()
            .getBytes(StandardCharsets.UTF_8)
            .length;
    System.out.printf("the largest record: %d bytes (11 attempts of a 64 KiB random tail)%n", size);
    assertTrue(size < 1024 * 1024, "under etcd's 1.5 MiB request limit: " + size);
    d.stop();
  }
}
