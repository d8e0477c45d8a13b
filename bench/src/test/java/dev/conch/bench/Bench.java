package dev.conch.bench;

import dev.conch.etcd.Etcd;
import dev.conch.it.support.Conch;
import dev.conch.it.support.EtcdServer;
import dev.conch.it.support.Procs;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.etcd.jetcd.options.GetOption;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What every measure uses: the benchmark's etcd and a client on it, the table, how conch and
 * etcdctl are launched, and the children whose lines they time.
 */
final class Bench implements AutoCloseable {
  static final Path ROOT = Conch.ROOT;

  /** Decided once: a launcher that appeared mid-run must not change what the run measures. */
  static final boolean FAST = Files.isExecutable(ROOT.resolve("bin/conch"));

  final EtcdServer server;
  final Client client;
  final Table table;

  Bench(EtcdServer server, Table table) {
    this.server = server;
    this.client = server.client();
    this.table = table;
  }

  @Override
  public void close() {
    client.close();
  }

  // ---- launch paths

  /** How a user runs conch: the fast path when the checkout has one, else JBang. */
  static List<String> conch() {
    return FAST
        ? List.of(ROOT.resolve("bin/conch").toString())
        : List.of(ROOT.resolve("jbang").toString(), ROOT.resolve("conch.java").toString());
  }

  static String conchName() {
    return FAST ? "bin/conch" : "./jbang conch.java";
  }

  /** Every launch path there is, for the query rows: name to command prefix. */
  static Map<String, List<String>> launchers() {
    Map<String, List<String>> m = new LinkedHashMap<>();
    if (FAST) m.put("bin/conch", List.of(ROOT.resolve("bin/conch").toString()));
    m.put("installed conch", List.of(Installed.command().toString()));
    m.put(
        "./jbang conch.java",
        List.of(ROOT.resolve("jbang").toString(), ROOT.resolve("conch.java").toString()));
    m.put("java -cp (built jar)", List.of("java", "-cp", Conch.classpath(), "conch"));
    return m;
  }

  Conch.Run startConch(Conch c, List<String> args) {
    List<String> cmd = new ArrayList<>(conch());
    cmd.addAll(args);
    return c.launch(cmd);
  }

  Conch.Run startEtcdctl(Conch c, List<String> args) {
    List<String> cmd = new ArrayList<>(List.of("etcdctl", "--endpoints", server.endpoint));
    cmd.addAll(args);
    return c.launch(cmd);
  }

  /** Runs {@code cmd} to its end, wall time in ms; fails unless it exits {@code expect}. */
  static long timed(Conch c, List<String> cmd, int expect) {
    long t0 = System.nanoTime();
    Conch.Run r = c.launch(cmd);
    int code = r.exit(60_000);
    long ms = (System.nanoTime() - t0) / 1_000_000;
    if (code != expect)
      throw new IllegalStateException(cmd + " exited " + code + ": " + r.stderr());
    return ms;
  }

  // ---- keys

  void awaitKeys(String dir, int n, List<Conch.Run> runs) {
    long end = System.nanoTime() + 180_000_000_000L;
    while (keys(dir).size() < n) {
      for (Conch.Run r : runs)
        if (!r.process().isAlive())
          throw new IllegalStateException("a contender exited early: " + r.stderr());
      if (System.nanoTime() > end)
        throw new IllegalStateException(
            "contenders not queued under " + dir + ": " + keys(dir).size());
      Procs.nap(50); // the contenders' JVMs start; nothing announces their keys to us
    }
  }

  List<KeyValue> keys(String dir) {
    try {
      return client
          .getKVClient()
          .get(Etcd.bytes(dir), GetOption.builder().isPrefix(true).build())
          .get()
          .getKvs();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- children and their lines

  /**
   * A child that records SIGTERM at once (wait, unlike a foreground sleep, is interrupted by the
   * trap).
   */
  static List<String> trapping(Path log) {
    return List.of(
        "bash",
        "-c",
        "trap 'echo \"term $(date +%s%N)\" >> \""
            + log
            + "\"; kill $! 2>/dev/null; exit 0' TERM; "
            + "echo \"up $$\" >> '"
            + log
            + "'; sleep 300 & wait");
  }

  /** The time in a child's line "WHAT NANOS" (date +%s%N). */
  static long nanos(String line) {
    return Long.parseLong(line.split(" ")[1]);
  }

  static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  static void touch(Path p) {
    try {
      Files.writeString(p, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
