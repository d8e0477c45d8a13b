package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import dev.conch.it.support.Shell;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code conch-smoke.sh}, the post-deploy smoke (contract section 10: "CI runs it against a local
 * three-node cluster"): it passes against a healthy cluster, it fails at the first broken
 * expectation with one line naming the step, and either way it leaves no key and no process behind.
 */
class SmokeIT {
  private static final Path SCRIPT = Conch.ROOT.resolve("conch-smoke.sh");

  /**
   * The dead man's switch's kill-after nap ({@code sleep 5.000}), which may outlive a stopped
   * wrapper by kill-after.
   */
  private static final Pattern NAP = Pattern.compile("\\d+: sleep [0-9.]+ ");

  private static EtcdServer cluster;

  @BeforeAll
  static void start() {
    cluster = EtcdServer.start(3, false);
    Conch.classpath();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) cluster.close();
  }

  record Smoke(int code, String out, String err, long millis) {}

  /** Runs {@code bash conch-smoke.sh ENDPOINTS} with {@code env} added, to its end. */
  static Smoke smoke(Map<String, String> env) {
    try {
      ProcessBuilder pb =
          new ProcessBuilder("bash", SCRIPT.toString(), cluster.endpoint)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()));
      pb.environment().remove("CONCH_PREFIX");
      pb.environment().putAll(env);
      long t0 = System.nanoTime();
      Process p = pb.start();
      CompletableFuture<String> out =
          CompletableFuture.supplyAsync(() -> Procs.read(p.getInputStream()));
      CompletableFuture<String> err =
          CompletableFuture.supplyAsync(() -> Procs.read(p.getErrorStream()));
      if (!p.waitFor(240, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new AssertionError(
            "conch-smoke.sh did not end within 240 s; stdout so far: " + out.getNow(""));
      }
      Smoke s =
          new Smoke(p.exitValue(), out.join(), err.join(), (System.nanoTime() - t0) / 1_000_000);
      System.out.printf(
          "conch-smoke.sh: exit %d in %d ms%n%s%s", s.code(), s.millis(), s.out(), s.err());
      return s;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static Map<String, String> realConch() {
    return Map.of("CONCH", String.join(" ", Conch.java()));
  }

  /**
   * Live processes whose environment has {@code CONCH_PREFIX=prefix}: what the smoke started there.
   */
  static List<String> processesUnder(String prefix) {
    byte[] needle = ("CONCH_PREFIX=" + prefix + "\0").getBytes(StandardCharsets.UTF_8);
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path p : (Iterable<Path>) procs::iterator) {
        if (!p.getFileName().toString().matches("\\d+")
            || !Procs.alive(Long.parseLong(p.getFileName().toString()))) continue;
        try {
          byte[] env = Files.readAllBytes(p.resolve("environ"));
          if (indexOf(env, needle) >= 0)
            found.add(
                p.getFileName() + ": " + Files.readString(p.resolve("cmdline")).replace('\0', ' '));
        } catch (IOException gone) {
          // ended meanwhile, or not ours to read
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return found;
  }

  private static int indexOf(byte[] hay, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= hay.length; i++) {
      if (i > 0 && hay[i - 1] != 0) continue; // a variable starts after a NUL
      for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
      return i;
    }
    return -1;
  }

  @Test
  void passesAgainstAThreeMemberClusterAndLeavesNothingBehind() {
    Smoke s = smoke(realConch());
    assertEquals(0, s.code(), "the smoke passes on a healthy cluster; stderr: " + s.err());
    assertEquals("", s.err(), "nothing on stderr when it passes");
    List<String> lines = s.out().lines().toList();
    assertEquals("smoke passed", lines.get(lines.size() - 1));
    for (String step :
        List.of(
            "--who: vacant, exit 1",
            "-- true: acquired, ran, released",
            "the command got CONCH_REV=",
            "--max 2 --who: nobody holds, exit 1",
            "two holders",
            "--nonblock: both slots held, exit 75",
            "both holders ended with exit 0",
            "cron add ",
            "ran once, cron ls shows one result, state ok",
            "conchd: SIGTERM, exit 0",
            "each ok once, each run once",
            "the job is gone",
            "no keys left under ")) {
      assertEquals(
          1,
          lines.stream().filter(l -> l.startsWith("ok: ") && l.contains(step)).count(),
          "one ok line for '" + step + "': " + s.out());
    }
    assertEquals(
        lines.size() - 1,
        lines.stream().filter(l -> l.startsWith("ok: ")).count(),
        "only ok lines before 'smoke passed'");
    Matcher rev = Pattern.compile("CONCH_REV=(\\d+)").matcher(s.out());
    assertTrue(
        rev.find() && Long.parseLong(rev.group(1)) > 0, "a positive fencing token: " + s.out());
    Matcher prefix =
        Pattern.compile(
                "^ok: prefix (/conch-smoke-\\d+-[0-9a-f]{8}) on "
                    + Pattern.quote(cluster.endpoint)
                    + " is empty")
            .matcher(lines.get(0));
    assertTrue(
        prefix.find(),
        "a fresh prefix of its own by default, on all three members: " + lines.get(0));
    assertEquals(
        List.of(),
        Etcdctl.keys(cluster.endpoint, prefix.group(1) + "/"),
        "no key left under the smoke's prefix");
    assertEquals(
        List.of(), Etcdctl.keys(cluster.endpoint, ""), "no key left anywhere in the cluster");
    assertEquals(
        List.of(),
        processesUnder(prefix.group(1)),
        "no conch left running under the smoke's prefix");
    assertTrue(
        s.millis() < 120_000,
        "seconds, not minutes (well under 60 s on an idle machine): " + s.millis() + " ms");
  }

  @Test
  void failsAtTheFirstBrokenExpectationWithOneLineAndCleansUp() throws IOException {
    // A conch with one regression: --nonblock "succeeds" without acquiring anything.
    Path dir = Files.createTempDirectory("conch-smoke-it-");
    Path broken = brokenConch(dir, "for a in \"$@\"; do [[ $a == --nonblock ]] && exit 0; done");
    String prefix = new Conch(cluster.endpoint).prefix;
    Smoke s = smoke(Map.of("CONCH", broken.toString(), "CONCH_PREFIX", prefix));
    assertEquals(1, s.code(), "the smoke fails: " + s.out());
    assertEquals(1, s.err().strip().lines().count(), "one line on stderr: " + s.err());
    assertTrue(
        s.err().startsWith("conch-smoke: FAILED at sema --nonblock (full): "),
        "names the step: " + s.err());
    assertTrue(s.err().contains("expected exit 75, got 0"), "says what broke: " + s.err());
    assertFalse(s.out().contains("smoke passed"), s.out());
    assertTrue(
        s.out().contains("two holders"),
        "it failed while both holders held their slots: " + s.out());
    assertFalse(
        s.out().contains("cron"), "nothing after the first broken expectation ran: " + s.out());
    assertEquals(
        List.of(), Etcdctl.keys(cluster.endpoint, prefix + "/"), "the holders' keys are gone");
    assertEquals(
        List.of(),
        processesUnder(prefix).stream().filter(p -> !NAP.matcher(p).matches()).toList(),
        "the two holders (wrappers and commands) were stopped");
    long end = System.nanoTime() + 15_000_000_000L;
    while (!processesUnder(prefix).isEmpty() && System.nanoTime() < end) Procs.nap(200);
    assertEquals(
        List.of(),
        processesUnder(prefix),
        "nothing at all is left once the watchdog's kill-after nap is over");
    Procs.deleteTree(dir);
  }

  @Test
  void failsAtTheVacantOfficeCheckWhenWhoClaimsALeader() throws IOException {
    // A conch whose --who reports a leader that is not there.
    Path dir = Files.createTempDirectory("conch-smoke-it-");
    Path broken =
        brokenConch(
            dir, "for a in \"$@\"; do [[ $a == --who ]] && { echo 'ghost pid 1'; exit 0; }; done");
    Smoke s = smoke(Map.of("CONCH", "bash " + broken));
    assertEquals(1, s.code());
    assertEquals(1, s.err().strip().lines().count(), "one line on stderr: " + s.err());
    assertTrue(
        s.err().startsWith("conch-smoke: FAILED at elect --who (vacant): "),
        "names the step: " + s.err());
    assertTrue(s.err().contains("expected exit 1, got 0"), s.err());
    assertEquals(1, s.out().lines().count(), "only the prefix check passed: " + s.out());
    assertEquals(List.of(), Etcdctl.keys(cluster.endpoint, ""), "no key written");
    Procs.deleteTree(dir);
  }

  @Test
  void refusesAPrefixThatAlreadyHasKeysAndTouchesNone() {
    // A holder of the very office the smoke would use, under the prefix it is told to use: the
    // smoke deletes everything under its prefix at the end, so it must not start on someone's keys.
    Conch c = new Conch(cluster.endpoint);
    Conch.Run holder = c.holding("elect", "smoke-held");
    try {
      List<String> before = c.keys();
      assertFalse(before.isEmpty());
      Smoke s =
          smoke(
              Map.of(
                  "CONCH",
                  realConch().get("CONCH"),
                  "CONCH_PREFIX",
                  c.prefix,
                  "SMOKE_NAME",
                  "smoke-held"));
      assertEquals(1, s.code());
      assertEquals("", s.out(), "no step ran");
      assertEquals(1, s.err().strip().lines().count(), "one line on stderr: " + s.err());
      assertTrue(
          s.err()
              .startsWith(
                  "conch-smoke: FAILED at prefix check: CONCH_PREFIX "
                      + c.prefix
                      + " already has keys"),
          s.err());
      assertEquals(before, c.keys(), "the holder's keys are untouched");
      assertTrue(Procs.alive(holder.pid()), "the holder still holds");
      assertEquals(143, holder.stop());
      assertEquals(List.of(), c.keys());
    } finally {
      if (Procs.alive(holder.pid())) holder.stop();
    }
  }

  /** The smoke with {@code SMOKE_FLEET=yes} under the deployment's {@code prefix}. */
  static Smoke fleetSmoke(String prefix) {
    return smoke(
        Map.of("CONCH", realConch().get("CONCH"), "CONCH_PREFIX", prefix, "SMOKE_FLEET", "yes"));
  }

  @Test
  void fleetModeUsesTheDeployedConchdAndTouchesOnlyItsOwnKeys() {
    // The deployment: a conchd and an office held under the fleet's prefix, which the smoke shares.
    Conch fleet = new Conch(cluster.endpoint);
    Conch.Run daemon = fleet.start("daemon");
    Conch.Run holder = fleet.holding("elect", "deployed");
    try {
      long end = System.nanoTime() + 60_000_000_000L;
      while (fleet.keys().stream().noneMatch(k -> k.contains("/v1/daemons/"))
          && System.nanoTime() < end) Procs.nap(100);
      List<String> before = fleet.keys();
      Smoke s = fleetSmoke(fleet.prefix);
      assertEquals(0, s.code(), "the smoke passes with the fleet's conchd; stderr: " + s.err());
      for (String step :
          List.of(
              "has live conchd; name smoke-",
              "ran on the fleet, cron ls shows one result, state ok",
              "every run ok, no tick twice, none still going",
              "no keys of smoke-")) {
        assertEquals(
            1,
            s.out().lines().filter(l -> l.startsWith("ok: ") && l.contains(step)).count(),
            "one ok line for '" + step + "': " + s.out());
      }
      assertFalse(s.out().contains("conchd: SIGTERM"), "it started no conchd of its own");
      assertEquals(before, fleet.keys(), "the deployment's keys are all there, and only they");
      assertTrue(Procs.alive(daemon.pid()) && Procs.alive(holder.pid()), "the fleet still runs");
    } finally {
      holder.stop();
      daemon.stop();
    }
  }

  @Test
  void fleetModeWithoutALiveConchdFailsAndWritesNothing() {
    Conch fleet = new Conch(cluster.endpoint);
    Smoke s = fleetSmoke(fleet.prefix);
    assertEquals(1, s.code(), s.out());
    assertEquals("", s.out(), "no step passed");
    assertTrue(
        s.err().startsWith("conch-smoke: FAILED at prefix check: no live conchd under "), s.err());
    assertEquals(List.of(), fleet.keys(), "nothing written");
  }

  /** A conch with one regression: {@code regression} runs first, then the real conch. */
  static Path brokenConch(Path dir, String regression) throws IOException {
    Path broken = dir.resolve("conch");
    Files.writeString(
        broken,
        "#!/usr/bin/env bash\n"
            + regression
            + "\nexec "
            + Conch.java().stream().map(Shell::quote).collect(Collectors.joining(" "))
            + " \"$@\"\n");
    Files.setPosixFilePermissions(broken, PosixFilePermissions.fromString("rwx------"));
    return broken;
  }
}
