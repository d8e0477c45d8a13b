package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Cron;
import dev.conch.it.support.EtcdFixture;
import dev.conch.it.support.Procs;
import dev.conch.it.support.ThisBuild;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every query's --json output, parsed with Jackson and checked against the README's schema tables
 * ("JSON output"): each field conch prints is documented with its type, each field documented as
 * "always" is there, and the values are the ones the holders and runs really have.
 */
class JsonIT {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Map<String, Map<String, Field>> SCHEMA = schema();

  @RegisterExtension static final EtcdFixture etcd = new EtcdFixture();

  record Field(String type, boolean always) {}

  @Test
  void electWhoJsonIsOneHolder() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Path env = c.file("env");
    Conch.Run holder =
        c.start(
            "elect",
            "o",
            "--ttl",
            "7s",
            "--",
            "bash",
            "-c",
            "echo $CONCH_REV $CONCH_LEASE > '" + env + "'; exec sleep 300");
    String[] rl = Conch.awaitLines(env, 1, 20_000).get(0).split(" ");
    Conch.Run who = c.run("elect", "o", "--who", "--json");
    assertEquals(0, who.exit(0), who.stderr());
    List<String> lines = who.stdout().lines().toList();
    assertEquals(1, lines.size(), "one object on one line: " + who.stdout());
    JsonNode h = JSON.readTree(lines.get(0));
    check("holder", h);
    assertEquals(holder.pid(), h.get("pid").asLong());
    assertEquals(Long.parseLong(rl[0]), h.get("rev").asLong(), "rev is CONCH_REV");
    assertEquals(rl[1], h.get("lease").asText(), "lease is CONCH_LEASE");
    assertEquals(7, h.get("ttl").asInt());
    assertEquals(
        List.of("bash", "-c"), List.of(h.get("cmd").get(0).asText(), h.get("cmd").get(1).asText()));
    assertEquals(ThisBuild.VERSION, h.get("version").asText());
    Instant.parse(h.get("started").asText());

    Conch.Run misuse = c.run("elect", "o", "--json", "--", "true");
    assertEquals(64, misuse.exit(0), "--json without --who: " + misuse.stderr());
    assertTrue(misuse.stderr().contains("--json goes with --who"), misuse.stderr());
    assertEquals(143, holder.stop());
    Conch.Run vacant = c.run("elect", "o", "--who", "--json");
    assertEquals(1, vacant.exit(0));
    assertEquals("", vacant.stdout(), "nothing found: nothing on stdout, not null or {}");
  }

  @Test
  void semaWhoJsonIsOneObjectPerMax() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    Conch.Run a = c.holding("sema", "s", "--max", "2");
    Conch.Run b = c.holding("sema", "s", "--max", "2");
    Conch.Run waiter = c.start("sema", "s", "--max", "2", "--", "true");
    awaitKeys(c, 3);
    Conch.Run who = c.run("sema", "s", "--who", "--json");
    assertEquals(0, who.exit(0), who.stderr());
    List<String> lines = who.stdout().lines().toList();
    assertEquals(1, lines.size(), who.stdout());
    JsonNode s = JSON.readTree(lines.get(0));
    check("sema", s);
    assertEquals("s", s.get("name").asText());
    assertEquals(2, s.get("max").asInt());
    assertEquals(1, s.get("waiters").asInt());
    assertEquals(
        List.of(a.pid(), b.pid()),
        List.of(
            s.get("holders").get(0).get("pid").asLong(),
            s.get("holders").get(1).get("pid").asLong()),
        "rank order");
    assertTrue(
        s.get("holders").get(0).get("rev").asLong() < s.get("holders").get(1).get("rev").asLong());
    for (Conch.Run r : List.of(waiter, a, b)) r.stop();
  }

  @Test
  void cronLsJsonIsOneObject() throws IOException {
    Conch c = new Conch(etcd.endpoint());
    assertEquals(
        0,
        c.run(
                "cron",
                "add",
                "fails",
                "--schedule",
                "@every 1s",
                "--timeout",
                "4m",
                "--",
                "sh",
                "-c",
                "exit 3")
            .exit(0));
    assertEquals(
        0,
        c.run("cron", "add", "ok", "--schedule", "@daily", "--tz", "Europe/Paris", "--", "true")
            .exit(0));
    Conch.Run daemon = c.start("daemon");
    try {
      Cron.awaitRuns(
          c, "fails", runs -> runs.values().stream().anyMatch(r -> r.exitCode() != null));
      Conch.Run ls = c.run("cron", "ls", "--json");
      assertEquals(0, ls.exit(0), ls.stderr());
      assertEquals(1, ls.stdout().lines().count(), "one object on one line");
      JsonNode all = JSON.readTree(ls.stdout());
      assertTrue(hasFinishedRun(all), "a finished run: " + all + daemon.stderr());
      check("cron", all);
      assertEquals(List.of("jobs", "daemons"), names(all), "jobs first, then daemons");
      assertEquals(daemon.pid(), all.get("daemons").get(0).get("pid").asLong());
      JsonNode fails = all.get("jobs").get(0);
      JsonNode ok = all.get("jobs").get(1);
      assertEquals(
          List.of("fails", "ok"),
          List.of(fails.get("job").asText(), ok.get("job").asText()),
          "by name");
      assertEquals("4m", fails.get("timeout").asText());
      assertTrue(!ok.has("timeout"), "no --timeout: the field is left out, not null");
      assertEquals("Europe/Paris", ok.get("tz").asText());
      Instant.parse(ok.get("next").asText());
      JsonNode run = finished(fails);
      assertEquals("failed", run.get("state").asText());
      assertEquals(3, run.get("exit").asInt());
      assertEquals(all.get("daemons").get(0).get("lease").asText(), run.get("daemon").asText());
      assertTrue(
          Instant.parse(run.get("started").asText())
                  .compareTo(Instant.parse(run.get("tick").asText()))
              >= 0,
          "never early");
      Instant.parse(run.get("ended").asText());
    } finally {
      assertEquals(0, daemon.stop());
    }
  }

  private static boolean hasFinishedRun(JsonNode all) {
    return all.get("jobs").size() == 2 && finished(all.get("jobs").get(0)) != null;
  }

  private static JsonNode finished(JsonNode job) {
    for (JsonNode r : job.get("runs")) if (r.has("exit")) return r;
    return null;
  }

  /**
   * Checks {@code node} against the README's table for {@code object}, and nested objects against
   * theirs.
   */
  static void check(String object, JsonNode node) {
    Map<String, Field> fields = SCHEMA.get(object);
    assertTrue(fields != null, "README documents no '" + object + "' object");
    assertTrue(node.isObject(), object + ": " + node);
    for (String name : names(node))
      assertTrue(
          fields.containsKey(name),
          object + "." + name + " is not in README's JSON output: " + node);
    fields.forEach(
        (name, f) -> {
          if (f.always())
            assertTrue(
                node.has(name), object + "." + name + " is documented as always there: " + node);
          if (node.has(name)) checkType(object + "." + name, f.type(), node.get(name));
        });
  }

  static void checkType(String where, String type, JsonNode v) {
    assertTrue(!v.isNull(), where + ": never null");
    switch (type) {
      case "string" -> assertTrue(v.isTextual(), where + " is a string: " + v);
      case "number" -> assertTrue(v.isIntegralNumber(), where + " is a number: " + v);
      case "boolean" -> assertTrue(v.isBoolean(), where + " is a boolean: " + v);
      default -> {
        assertTrue(
            type.startsWith("array of ") && v.isArray(), where + " is an " + type + ": " + v);
        String element = type.substring("array of ".length());
        for (JsonNode e : v) {
          if (element.equals("strings")) assertTrue(e.isTextual(), where + ": " + v);
          else check(element, e);
        }
      }
    }
  }

  static List<String> names(JsonNode node) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) names.add(it.next());
    return names;
  }

  static void awaitKeys(Conch c, int n) {
    long end = System.nanoTime() + 30_000_000_000L;
    while (c.keys().size() < n) {
      assertTrue(System.nanoTime() < end, "keys: " + c.keys());
      Procs.nap(50);
    }
  }

  /**
   * README's "
   * <!-- json: NAME -->
   * " tables: | `field` | type | present | meaning |.
   */
  static Map<String, Map<String, Field>> schema() {
    try {
      Map<String, Map<String, Field>> schema = new LinkedHashMap<>();
      Pattern row = Pattern.compile("\\| `([a-z_]+)` \\| ([a-z ]+) \\| ([^|]+) \\|.*");
      Map<String, Field> current = null;
      Set<String> types = new HashSet<>(List.of("string", "number", "boolean", "array of strings"));
      for (String line : Files.readAllLines(Conch.ROOT.resolve("README.md"))) {
        if (line.startsWith("<!-- json: ")) {
          current = new LinkedHashMap<>();
          schema.put(line.substring("<!-- json: ".length(), line.indexOf(" -->")), current);
        } else if (current != null && line.startsWith("| `")) {
          Matcher m = row.matcher(line);
          assertTrue(m.matches(), "README JSON table row: " + line);
          current.put(m.group(1), new Field(m.group(2), m.group(3).strip().equals("always")));
        } else if (current != null && !line.startsWith("|")) {
          current = null;
        }
      }
      for (Map<String, Field> t : schema.values()) {
        for (Field f : t.values()) {
          assertTrue(
              types.contains(f.type())
                  || f.type().startsWith("array of ") && schema.containsKey(f.type().substring(9)),
              "README JSON type " + f.type());
        }
      }
      assertEquals(Set.of("holder", "sema", "cron", "job", "run", "attempt"), schema.keySet());
      return schema;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
