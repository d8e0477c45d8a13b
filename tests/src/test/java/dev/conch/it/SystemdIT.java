package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conch.cron.Run;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The units of contrib/systemd. There is no systemd as PID 1 here, so: (1) {@code systemd-analyze
 * verify} parses each unit (copies whose ExecStart binary exists) and must say nothing; (2) the
 * documented check: the settings that must match conch (KillMode=mixed, KillSignal, TimeoutStopSec
 * against the ExecStart's --kill-after and --grace, exit statuses); (3) the singleton unit's
 * ExecStart, run as two "hosts" through the contrib launcher and a `jbang export portable` jar as
 * the README installs them, is stopped the way systemd stops it (KillSignal to the main process
 * only, KillMode=mixed) and fails over; the stopped one exits within TimeoutStopSec, also when its
 * command ignores SIGTERM and when etcd is silent.
 */
class SystemdIT {
  static final Path CONTRIB = Conch.ROOT.resolve("contrib/systemd");
  static final String LAUNCHER = "/usr/local/bin/conch";
  static final String THING = "/usr/bin/thing";
  static final ObjectMapper JSON = new ObjectMapper();

  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  static Path tmp;

  /** contrib/systemd/conch, pointed at a jar exported the README's way. */
  static Path launcher;

  @BeforeAll
  static void install() throws IOException {
    tmp = Files.createTempDirectory("conch-systemd-");
    Path jar = tmp.resolve("opt/conch.jar");
    Procs.Result export =
        Procs.run(
            List.of(
                Conch.ROOT.resolve("jbang").toString(),
                "export",
                "portable",
                "--force",
                "-O",
                jar.toString(),
                Conch.ROOT.resolve("conch.java").toString()),
            Map.of("JBANG_NO_VERSION_CHECK", "true"));
    assertEquals(0, export.code(), "jbang export portable: " + export.err());
    String script = Files.readString(CONTRIB.resolve("conch"));
    assertTrue(
        script.contains("exec java -jar /opt/conch/conch.jar \"$@\""),
        "the launcher execs the JVM: " + script);
    launcher = tmp.resolve("conch");
    Files.writeString(launcher, script.replace("/opt/conch/conch.jar", jar.toString()));
    assertTrue(launcher.toFile().setExecutable(true));
  }

  @AfterAll
  static void clean() {
    Procs.deleteTree(tmp);
  }

  @Test
  void systemdAnalyzeVerifyAcceptsEachUnit() throws IOException {
    List<Path> units = units();
    assertEquals(
        Set.of("thing.service", "conchd.service"),
        units.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet()));
    for (Path unit : units) {
      Path copy = tmp.resolve(unit.getFileName());
      Files.writeString(copy, Files.readString(unit).replace(LAUNCHER, launcher.toString()));
      Procs.Result r =
          Procs.run(List.of("systemd-analyze", "verify", "--man=no", copy.toString()), Map.of());
      assertEquals(0, r.code(), unit + ": " + r.out() + r.err());
      assertEquals("", r.out() + r.err(), unit + ": systemd-analyze verify has nothing to say");
    }
    Path broken = tmp.resolve("broken.service");
    Files.writeString(
        broken,
        Files.readString(CONTRIB.resolve("thing.service"))
            .replace(LAUNCHER, launcher.toString())
            .replace("KillMode=mixed", "KillMode=mixd"));
    Procs.Result r =
        Procs.run(List.of("systemd-analyze", "verify", "--man=no", broken.toString()), Map.of());
    assertTrue(
        (r.out() + r.err()).contains("kill mode"),
        "verify does read the settings: " + r.out() + r.err());
  }

  /** The documented check (README, systemd): each setting that must agree with how conch stops. */
  @Test
  void unitsMatchHowConchStops() throws IOException {
    for (Path path : units()) {
      Unit u = Unit.parse(path);
      String name = path.getFileName().toString();
      assertFalse(u.get("Unit", "Description").isBlank(), name);
      assertEquals(
          "exec",
          u.get("Service", "Type"),
          name + ": a launcher that cannot start fails the start");
      assertEquals(
          "mixed",
          u.get("Service", "KillMode"),
          name + ": SIGTERM to conch only; conch stops its command");
      assertEquals("SIGTERM", u.get("Service", "KillSignal"), name + ": conch forwards SIGTERM");
      assertEquals("/etc/conch/conch.env", u.get("Service", "EnvironmentFile"), name);
      assertEquals("always", u.get("Service", "Restart"), name);
      assertTrue(
          List.of(u.get("Service", "RestartPreventExitStatus").split("\\s+")).contains("64"),
          name + ": no restart on usage errors");
      assertEquals("multi-user.target", u.get("Install", "WantedBy"), name);
      List<String> argv = u.execStart();
      assertEquals(LAUNCHER, argv.get(0), name);
      Duration killAfter = option(argv, "--kill-after");
      Duration stop = timeSpan(u.get("Service", "TimeoutStopSec"));
      if (argv.get(1).equals("elect")) {
        assertTrue(argv.contains("--restart"), name + ": a service keeps its office");
        assertTrue(argv.indexOf("--") > 2 && argv.get(argv.indexOf("--") + 1).equals(THING), name);
        assertTrue(
            stop.compareTo(killAfter.plusSeconds(10)) >= 0,
            name + ": TimeoutStopSec >= --kill-after + 10s, is " + stop);
        assertTrue(
            List.of(u.get("Service", "SuccessExitStatus").split("\\s+")).contains("143"),
            name + ": 143 is a clean stop");
      } else {
        assertEquals("daemon", argv.get(1), name);
        Duration grace = option(argv, "--grace");
        assertTrue(
            stop.compareTo(grace.plus(killAfter).plusSeconds(15)) >= 0,
            name + ": TimeoutStopSec >= --grace + --kill-after + 15s, is " + stop);
      }
    }
  }

  /** conch.env sets only variables conch reads: each is in `conch --help`'s environment section. */
  @Test
  void envFileNamesWhatConchReads() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run help = c.run("--help");
    assertEquals(0, help.exit(10_000), help.stderr());
    String section = help.stdout().substring(help.stdout().indexOf("Environment"));
    Map<String, String> env = envFile(true);
    assertTrue(env.keySet().containsAll(Conch.CONNECTION_ENV), env.toString());
    for (String k : env.keySet())
      assertTrue(section.contains("  " + k + " "), k + " is not in conch --help: " + section);
  }

  /**
   * A well-behaved command: SIGTERM to the leader's conch stops it, releases, and the other host's
   * starts at once.
   */
  @Test
  void singletonFailsOverWhenItsHostsConchIsStopped() throws IOException {
    Hosts h = new Hosts("trap 'echo \"term $HOSTNAME\" >> \"$RUNS\"; exit 0' TERM");
    Conch.Run a = h.start("host-a");
    h.awaitRuns(List.of("start host-a"));
    Conch.Run b = h.start("host-b");
    h.awaitCandidates(2);
    assertEquals("host-a", h.leader().get("host").asText());

    long took = h.stop(a);
    assertEquals(0, a.exit(1000), "thing exited 0 on SIGTERM, so conch did: " + a.stderr());
    h.awaitRuns(List.of("start host-a", "term host-a", "start host-b"));
    assertTrue(took < 5_000, "a clean stop takes no kill-after: " + took + " ms");
    assertEquals("host-b", h.leader().get("host").asText());

    h.stop(b);
    assertTrue(Set.of(0, 143).contains(b.exit(1000)));
    assertEquals(List.of(), h.conch.keys(), "both released");
  }

  /**
   * A command that ignores SIGTERM: conch SIGKILLs it after --kill-after and still exits within
   * TimeoutStopSec.
   */
  @Test
  void stubbornCommandIsKilledWithinTheStopTimeout() throws IOException {
    Hosts h = new Hosts("trap 'echo \"term $HOSTNAME\" >> \"$RUNS\"' TERM");
    Conch.Run a = h.start("host-a");
    h.awaitRuns(List.of("start host-a"));
    Conch.Run b = h.start("host-b");
    h.awaitCandidates(2);

    long took = h.stop(a);
    assertEquals(137, a.exit(1000), "SIGKILLed after --kill-after: " + a.stderr());
    assertTrue(took >= h.killAfter.toMillis() - 200, "waited --kill-after: " + took + " ms");
    h.awaitRuns(List.of("start host-a", "term host-a", "start host-b"));
    assertFalse(h.alive("host-a"), "nothing of host-a's thing is left");
    h.stop(b);
  }

  /**
   * etcd silent at stop time: conch cannot release, still exits within TimeoutStopSec; the lease
   * hands over.
   */
  @Test
  void stopWithinTheTimeoutWhenEtcdIsSilent() throws IOException {
    Hosts h = new Hosts("trap 'echo \"term $HOSTNAME\" >> \"$RUNS\"; exit 0' TERM");
    Conch.Run a = h.start("host-a");
    h.awaitRuns(List.of("start host-a"));
    Conch.Run b = h.start("host-b");
    h.awaitCandidates(2);
    etcd.server().freeze();
    try {
      h.stop(a);
      assertEquals(0, a.exit(1000), a.stderr());
    } finally {
      etcd.server().thaw();
    }
    Conch.awaitLines(h.runs, 3, h.ttl.toMillis() + 15_000);
    assertEquals(
        List.of("start host-a", "term host-a", "start host-b"),
        h.runLines(),
        "host-b took over once host-a's lease expired");
    h.stop(b);
  }

  /**
   * conchd's unit: SIGTERM lets a running job finish (KillMode=mixed does not signal it), then
   * conchd exits 0.
   */
  @Test
  void conchdLetsRunningJobsFinishOnStop() throws IOException {
    Unit u = Unit.parse(CONTRIB.resolve("conchd.service"));
    Conch c = new Conch(etcd.endpoint());
    Path done = c.file("done");
    assertEquals(
        0,
        c.run(
                "cron",
                "add",
                "j",
                "--schedule",
                "@every 1s",
                "--",
                "sh",
                "-c",
                "trap 'echo term >> " + done + "' TERM; sleep 3; echo ok >> " + done)
            .exit(30_000));
    List<String> argv = new ArrayList<>(u.execStart());
    argv.set(0, launcher.toString());
    Conch.Run d = c.launch(argv);
    try {
      Cron.awaitRuns(
          c, "j", runs -> runs.values().stream().anyMatch(r -> r.state().equals(Run.RUNNING)));
      long t0 = System.nanoTime();
      Procs.kill(u.get("Service", "KillSignal").substring(3), d.pid());
      assertEquals(0, d.exit(timeSpan(u.get("Service", "TimeoutStopSec")).toMillis()), d.stderr());
      assertTrue(
          System.nanoTime() - t0 < 10_000_000_000L,
          "no job outlives 3 s, so no grace period was spent to its end");
      List<String> ends = Conch.lines(done);
      assertTrue(
          !ends.isEmpty() && ends.stream().allMatch("ok"::equals),
          "the running job was not signalled, it finished: " + ends);
    } finally {
      if (d.process().isAlive()) d.process().destroyForcibly();
      c.run("cron", "rm", "j");
    }
  }

  /**
   * Two hosts running the singleton unit's ExecStart, with thing replaced by a script that logs its
   * life.
   */
  static final class Hosts {
    final Conch conch = new Conch(etcd.endpoint());
    final Unit unit;
    final Path runs = conch.file("runs");
    final Duration killAfter;
    final Duration ttl;
    final Duration timeoutStop;
    final List<String> argv;

    Hosts(String onTerm) throws IOException {
      unit = Unit.parse(CONTRIB.resolve("thing.service"));
      Path thing = conch.file("thing");
      Files.writeString(
          thing,
          "#!/bin/sh\n"
              + onTerm
              + "\necho \"start $HOSTNAME\" >> \"$RUNS\"\necho $$ > \"$RUNS.$HOSTNAME\"\n"
              + "while :; do sleep 0.2; done\n");
      assertTrue(thing.toFile().setExecutable(true));
      argv = new ArrayList<>(unit.execStart());
      argv.replaceAll(
          a -> a.equals(LAUNCHER) ? launcher.toString() : a.equals(THING) ? thing.toString() : a);
      killAfter = option(argv, "--kill-after");
      ttl = option(argv, "--ttl");
      timeoutStop = timeSpan(unit.get("Service", "TimeoutStopSec"));
      for (Map.Entry<String, String> e : envFile(false).entrySet())
        conch.env(e.getKey(), e.getValue());
      conch
          .env("CONCH_ENDPOINTS", etcd.endpoint())
          .env("CONCH_PREFIX", conch.prefix)
          .env("RUNS", runs.toString());
    }

    Conch.Run start(String host) {
      conch.env("HOSTNAME", host);
      return conch.launch(argv);
    }

    /**
     * What systemd does on stop with KillMode=mixed: KillSignal to the main process; returns how
     * long it took to exit.
     */
    long stop(Conch.Run main) {
      assertTrue(
          cmdline(main.pid()).startsWith("java"),
          "the launcher exec'ed: the unit's main process is the JVM");
      long t0 = System.nanoTime();
      Procs.kill(unit.get("Service", "KillSignal").substring(3), main.pid());
      main.exit(timeoutStop.toMillis());
      return (System.nanoTime() - t0) / 1_000_000;
    }

    void awaitRuns(List<String> expected) {
      Conch.awaitLines(runs, expected.size(), 30_000);
      assertEquals(expected, runLines());
    }

    List<String> runLines() {
      return Conch.lines(runs);
    }

    void awaitCandidates(int n) {
      long end = System.nanoTime() + 30_000_000_000L;
      while (conch.keys().size() < n) {
        assertTrue(System.nanoTime() < end, "candidates: " + conch.keys());
        Procs.nap(50);
      }
    }

    JsonNode leader() throws IOException {
      Conch.Run who = conch.run("elect", argv.get(2), "--who", "--json");
      assertEquals(0, who.exit(30_000), who.stderr());
      return JSON.readTree(who.stdout());
    }

    boolean alive(String host) {
      List<String> pid = Conch.lines(Path.of(runs + "." + host));
      return !pid.isEmpty() && Procs.alive(Long.parseLong(pid.get(0)));
    }
  }

  static String cmdline(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  static List<Path> units() throws IOException {
    try (Stream<Path> s = Files.list(CONTRIB)) {
      return s.filter(p -> p.toString().endsWith(".service")).sorted().toList();
    }
  }

  /**
   * contrib/systemd/conch.env as KEY=VALUE; with {@code commented}, the commented-out examples too.
   */
  static Map<String, String> envFile(boolean commented) throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : Files.readAllLines(CONTRIB.resolve("conch.env"))) {
      String l = commented && line.matches("#[A-Z_]+=.*") ? line.substring(1) : line;
      if (l.isBlank() || l.startsWith("#")) continue;
      int eq = l.indexOf('=');
      env.put(l.substring(0, eq), l.substring(eq + 1));
    }
    return env;
  }

  /**
   * {@code --name D} or {@code --name=D} from an argv, before {@code --}; required to be explicit
   * in a unit.
   */
  static Duration option(List<String> argv, String name) {
    int end = argv.contains("--") ? argv.indexOf("--") : argv.size();
    for (int i = 0; i < end; i++) {
      if (argv.get(i).equals(name)) return timeSpan(argv.get(i + 1));
      if (argv.get(i).startsWith(name + "="))
        return timeSpan(argv.get(i).substring(name.length() + 1));
    }
    throw new AssertionError(name + " is not stated in ExecStart " + argv);
  }

  private static final Pattern SPAN = Pattern.compile("(\\d+)\\s*(ms|s|sec|m|min|h)?\\s*");

  /** A systemd time span ("20s", "1min 30s", "90") or a conch duration ("1m30s"). */
  static Duration timeSpan(String text) {
    Matcher m = SPAN.matcher(text.strip());
    Duration d = Duration.ZERO;
    int at = 0;
    while (at < text.strip().length() && m.find(at) && m.start() == at) {
      long n = Long.parseLong(m.group(1));
      String unit = m.group(2) == null ? "s" : m.group(2);
      d =
          d.plus(
              switch (unit) {
                case "ms" -> Duration.ofMillis(n);
                case "m", "min" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofSeconds(n);
              });
      at = m.end();
    }
    if (at != text.strip().length()) throw new AssertionError("not a time span: " + text);
    return d;
  }

  /**
   * A unit file: sections of Key=Value; a single-valued key set twice is an error, not a silent
   * override.
   */
  record Unit(Map<String, Map<String, String>> sections) {
    static final Set<String> MULTI =
        Set.of("Environment", "EnvironmentFile", "ExecStartPre", "ExecStartPost", "ExecStopPost");

    static Unit parse(Path path) {
      Map<String, Map<String, String>> sections = new HashMap<>();
      Map<String, String> current = null;
      try {
        for (String line : Files.readAllLines(path)) {
          String l = line.strip();
          if (l.isEmpty() || l.startsWith("#") || l.startsWith(";")) continue;
          assertFalse(l.endsWith("\\"), path + ": no continued lines: " + l);
          if (l.startsWith("[")) {
            current =
                sections.computeIfAbsent(
                    l.substring(1, l.indexOf(']')), k -> new LinkedHashMap<>());
            continue;
          }
          assertTrue(current != null && l.contains("="), path + ": " + l);
          String key = l.substring(0, l.indexOf('=')).strip();
          String value = l.substring(l.indexOf('=') + 1).strip();
          assertTrue(
              MULTI.contains(key) || !current.containsKey(key), path + ": " + key + " set twice");
          current.put(key, value);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return new Unit(sections);
    }

    String get(String section, String key) {
      String v = sections.getOrDefault(section, Map.of()).get(key);
      if (v == null) throw new AssertionError("[" + section + "] " + key + "= is missing");
      return v;
    }

    /**
     * ExecStart split as systemd splits it (whitespace; the units use no quotes, which this insists
     * on).
     */
    List<String> execStart() {
      String line = get("Service", "ExecStart");
      assertFalse(
          line.contains("\"") || line.contains("'") || line.contains("$") || line.contains("%"),
          "ExecStart without quoting or specifiers, so that this split is systemd's: " + line);
      return List.of(line.split("\\s+"));
    }
  }
}
