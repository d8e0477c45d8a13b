package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Etcdctl;
import dev.conch.it.support.Procs;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Event lines on stderr (README "Logs"): real events of real wrappers and a real daemon, in text
 * and JSON.
 */
class LogIT {
  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();
  private static final ObjectMapper JSON = new ObjectMapper();

  /** TIME conch TOOL NAME: EVENT k=v… host=H pid=P[: MESSAGE] */
  private static final Pattern TEXT =
      Pattern.compile(
          "(\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z) conch (\\S+) (\\S+): (\\S+)((?: [a-z_]+=\\S+)*) host=(\\S+) pid=(\\d+)(?:: (.*))?");

  static List<JsonNode> json(String stderr) {
    return stderr
        .lines()
        .map(
            l -> {
              try {
                JsonNode n = JSON.readTree(l);
                assertTrue(n.isObject(), l);
                Instant.parse(n.get("time").asText()); // ISO-8601 UTC, or this throws
                return n;
              } catch (java.io.IOException e) {
                throw new UncheckedIOException("not one JSON object per line: " + l, e);
              }
            })
        .toList();
  }

  static Matcher text(String line) {
    Matcher m = TEXT.matcher(line);
    assertTrue(m.matches(), "a text event line: " + line);
    return m;
  }

  static List<String> events(List<JsonNode> lines) {
    return lines.stream().map(n -> n.get("event").asText()).toList();
  }

  @Test
  void aCommandThatSimplyRunsLeavesNoLineButVerboseSaysQueuedAcquiredAndReleased() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run quiet = c.run("elect", "o", "--", "true");
    assertEquals(0, quiet.exit(0));
    assertEquals("", quiet.stderr(), "quiet by default");

    Conch.Run t = c.run("elect", "o", "-v", "--", "sh", "-c", "echo $CONCH_REV $CONCH_LEASE");
    assertEquals(0, t.exit(0), t.stderr());
    String[] revLease = t.stdout().strip().split(" ");
    List<String> lines = t.stderr().lines().toList();
    assertEquals(3, lines.size(), t.stderr());
    Matcher queued = text(lines.get(0));
    assertEquals(
        List.of("queued", " rev=" + revLease[0] + " lease=" + revLease[1]),
        List.of(queued.group(4), queued.group(5)));
    Matcher acquired = text(lines.get(1));
    assertEquals(
        List.of(
            "elect",
            "o",
            "acquired",
            " rev=" + revLease[0] + " lease=" + revLease[1],
            "" + t.pid()),
        List.of(
            acquired.group(2),
            acquired.group(3),
            acquired.group(4),
            acquired.group(5),
            acquired.group(7)));
    Matcher released = text(lines.get(2));
    assertEquals(
        List.of("released", " exit=0 rev=" + revLease[0] + " lease=" + revLease[1]),
        List.of(released.group(4), released.group(5)));
    assertTrue(
        !Instant.parse(released.group(1)).isBefore(Instant.parse(acquired.group(1))),
        "in time order");

    Conch.Run j =
        c.run(
            "sema",
            "s",
            "--max",
            "2",
            "--verbose",
            "--log-format",
            "json",
            "--",
            "sh",
            "-c",
            "echo $CONCH_REV; exit 3");
    assertEquals(3, j.exit(0), j.stderr());
    List<JsonNode> events = json(j.stderr());
    assertEquals(List.of("queued", "acquired", "released"), events(events));
    for (JsonNode n : events) {
      assertEquals("sema", n.get("tool").asText());
      assertEquals("s", n.get("name").asText());
      assertEquals(
          Long.parseLong(j.stdout().strip()), n.get("rev").asLong(), "rev is CONCH_REV, a number");
      assertEquals(j.pid(), n.get("pid").asLong());
      assertTrue(n.get("lease").isTextual() && n.get("host").isTextual(), n.toString());
    }
    assertEquals(3, events.get(2).get("exit").asInt());
  }

  @Test
  void aRevokedLeaseSaysLostInOneLineAndSignalledOnlyWithVerbose() {
    Conch c = new Conch(etcd.endpoint());
    for (String format : List.of("json", "text", "verbose")) {
      String[] args = {
        "elect",
        "o-" + format,
        "--log-format",
        format.equals("json") ? "json" : "text",
        "--kill-after",
        "1s",
        format.equals("verbose") ? "-v" : "--nonblock"
      };
      Conch.Run r = c.holding(args);
      String key = c.keys().get(0);
      String lease = key.substring(key.lastIndexOf('/') + 1);
      assertEquals(0, Etcdctl.run(etcd.endpoint(), "lease", "revoke", lease).code());
      assertEquals(70, r.exit(15_000), r.stderr());
      String why =
          "lease lost while holding (its key "
              + lease
              + " was deleted); SIGTERM to the command's group, SIGKILL after 1s, then conch"
              + " exits 70";
      if (format.equals("json")) {
        List<JsonNode> lines = json(r.stderr());
        assertEquals(List.of("lost"), events(lines), r.stderr());
        assertEquals(why, lines.get(0).get("message").asText());
        assertEquals(lease, lines.get(0).get("lease").asText());
      } else if (format.equals("text")) {
        List<String> lines = r.stderr().lines().toList();
        assertEquals(1, lines.size(), r.stderr());
        assertEquals("lost", text(lines.get(0)).group(4));
        assertTrue(text(lines.get(0)).group(5).endsWith(" lease=" + lease), lines.get(0));
        assertEquals(why, text(lines.get(0)).group(8));
      } else {
        List<String> events = r.stderr().lines().map(l -> text(l).group(4)).toList();
        assertEquals(List.of("queued", "acquired", "lost", "signalled"), events, r.stderr());
        assertTrue(r.stderr().contains(" signalled signal=TERM rev="), r.stderr());
      }
      assertEquals(List.of(), c.keys());
    }
  }

  @Test
  void aSignalForwardedToTheCommandIsSaid() {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run r = c.holding("elect", "o");
    assertEquals(143, r.stop(), r.stderr());
    List<String> lines = r.stderr().lines().toList();
    assertEquals(1, lines.size(), r.stderr());
    Matcher m = text(lines.get(0));
    assertEquals(List.of("signalled", "forwarded to the command"), List.of(m.group(4), m.group(8)));
    assertTrue(m.group(5).startsWith(" signal=TERM rev="), lines.get(0));
  }

  @Test
  void theDaemonSaysUpEachRunStartedAndFinishedAndDown() {
    Conch c = new Conch(etcd.endpoint());
    Cron.add(c, "j", "--schedule", "@every 1s", "--", "sh", "-c", "exit 3");
    Conch.Run d = c.start("daemon", "--log-format", "json");
    long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (json(d.stderr()).stream().filter(n -> n.get("event").asText().equals("finished")).count()
        < 2) {
      assertTrue(System.nanoTime() < end, "two runs finished within 20 s: " + d.stderr());
      Procs.nap(100); // the daemon writes its log to a file; nothing to watch but the file
    }
    assertEquals(0, d.stop(), d.stderr());
    List<JsonNode> lines = json(d.stderr());
    List<String> events = events(lines);
    assertEquals("up", events.get(0), d.stderr());
    assertEquals("daemon", lines.get(0).get("tool").asText());
    assertEquals("down", events.get(events.size() - 1), d.stderr());
    List<JsonNode> runs = lines.subList(1, lines.size() - 1);
    assertTrue(runs.size() >= 4 && runs.size() % 2 == 0, d.stderr());
    for (int i = 0; i < runs.size(); i += 2) {
      JsonNode started = runs.get(i);
      JsonNode finished = runs.get(i + 1);
      assertEquals(List.of("started", "finished"), events(List.of(started, finished)), d.stderr());
      for (JsonNode n : List.of(started, finished)) {
        assertEquals("cron", n.get("tool").asText());
        assertEquals("j", n.get("name").asText());
        assertEquals(started.get("tick").asText(), n.get("tick").asText());
        assertEquals(started.get("rev").asLong(), n.get("rev").asLong());
        assertEquals(d.pid(), n.get("pid").asLong());
      }
      assertTrue(started.get("late_ms").asLong() >= 0, started.toString());
      assertEquals("failed", finished.get("state").asText());
      assertEquals(3, finished.get("exit").asInt());
      assertEquals(
          Cron.runs(c, "j").get(Instant.parse(started.get("tick").asText()).toEpochMilli()).state(),
          "failed",
          "the log says what etcd recorded");
    }
  }
}
