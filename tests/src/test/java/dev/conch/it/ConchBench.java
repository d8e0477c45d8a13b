package dev.conch.it;

import dev.conch.coord.Holder;
import dev.conch.coord.Semaphore;
import dev.conch.etcd.Etcd;
import dev.conch.it.support.Conch;
import dev.conch.it.support.Contenders;
import dev.conch.it.support.EtcdLoad;
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
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The benchmark of issue 6 (docs/performance.md): conch beside {@code etcdctl lock} on one etcd of
 * its own, in one run, the two tools interleaved round by round so that a loaded machine slows both
 * alike. Its name matches neither of surefire's includes, so the test suite never runs it; {@code
 * bench/run.sh} does. It prints a table and writes {@code bench/target/results.tsv}, which {@code
 * bench/check.sh} holds against {@code bench/thresholds.tsv}. It asserts nothing about time: a slow
 * machine gives slow figures, and only check.sh judges them.
 *
 * <p>conch is run the way a user runs it: {@code bin/conch} (the fast path) when the checkout has
 * it, else {@code ./jbang conch.java}; the query rows also time the other launch paths.
 */
class ConchBench {
  static final Path ROOT = Conch.ROOT;
  static final int ROUNDS = Integer.getInteger("bench.rounds", 2);

  /** Wrappers per handover round: each round gives this many minus one handovers. */
  static final int QUEUE = Integer.getInteger("bench.queue", 11);

  static final int QUERIES = Integer.getInteger("bench.queries", 10);
  static final int REVOKES = Integer.getInteger("bench.revokes", 5);

  /** Cron ticks timed after the daemons' start-up (issue 4 asks for at least 100). */
  static final int TICKS = Integer.getInteger("bench.ticks", 100);

  record Row(
      String key,
      String what,
      String conch,
      String etcdctl,
      String ratio,
      double value,
      String unit) {}

  final List<Row> rows = new ArrayList<>();
  EtcdServer server;
  Client client;

  @Test
  void bench() throws Exception {
    try (EtcdServer s = EtcdServer.start()) {
      server = s;
      client = s.client();
      try {
        Conch.classpath(); // built once, outside every timing
        timed(
            new Conch(s.endpoint),
            cat(conch(), List.of("--version")),
            0); // and the fast path's cache, if any
        handover();
        revoke();
        queries();
        rss();
        sema();
        cron();
      } finally {
        client.close();
      }
    }
    report();
  }

  // ---- launch paths

  /** Decided once: a launcher that appeared mid-run must not change what the run measures. */
  static final boolean FAST = Files.isExecutable(ROOT.resolve("bin/conch"));

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
    Map<String, List<String>> m = new java.util.LinkedHashMap<>();
    if (FAST) m.put("bin/conch", List.of(ROOT.resolve("bin/conch").toString()));
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

  // ---- handover: child exit to the next child's start

  void handover() {
    List<Long> conchGaps = new ArrayList<>();
    List<Long> etcdctlGaps = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      Conch c = new Conch(server.endpoint);
      conchGaps.addAll(
          handoverRound(
              c,
              "conch",
              c.prefix + "/v1/elect/h/",
              log -> startConch(c, cat(List.of("elect", "h", "--"), child(log)))));
      Conch e = new Conch(server.endpoint);
      String lock = e.prefix + "-lock";
      etcdctlGaps.addAll(
          handoverRound(
              e,
              "etcdctl",
              lock + "/",
              log -> startEtcdctl(e, cat(List.of("lock", lock, "--"), child(log)))));
    }
    long cp = p50(conchGaps);
    long ep = p50(etcdctlGaps);
    add(
        "handover_p50_ratio",
        "handover gap p50, " + conchGaps.size() + " handovers each",
        ms(cp),
        ms(ep),
        ratio(cp, ep),
        ratioValue(cp, ep),
        "x");
    add(
        "handover_max_ms",
        "handover gap max",
        ms(max(conchGaps)),
        ms(max(etcdctlGaps)),
        ratio(max(conchGaps), max(etcdctlGaps)),
        max(conchGaps) / 1000.0,
        "ms");
  }

  /**
   * The child of a handover round: waits for the gate (so JVM start-ups are over), logs start and
   * end.
   */
  static List<String> child(Path log) {
    Path gate = log.resolveSibling("gate");
    return List.of(
        "bash",
        "-c",
        "echo \"start $(date +%s%N)\" >> '"
            + log
            + "'; while [ ! -e '"
            + gate
            + "' ]; do sleep 0.05; done; sleep 0.2; echo \"end $(date +%s%N)\" >> '"
            + log
            + "'");
  }

  List<Long> handoverRound(
      Conch c, String tool, String keyDir, java.util.function.Function<Path, Conch.Run> start) {
    Path log = c.file("log");
    List<Conch.Run> runs = new ArrayList<>();
    for (int i = 1;
        i <= QUEUE;
        i++) { // one after the other: a storm of JVM start-ups on 2 cores would outlast the dial
      // timeout
      runs.add(start.apply(log));
      awaitKeys(keyDir, i, runs);
    }
    touch(log.resolveSibling("gate"));
    for (Conch.Run r : runs) {
      int code = r.exit(120_000);
      if (code != 0) throw new IllegalStateException(tool + " exited " + code + ": " + r.stderr());
    }
    List<String> lines = Conch.lines(log);
    List<Long> gaps = new ArrayList<>();
    for (int i = 1; i + 1 < lines.size(); i += 2) {
      if (!lines.get(i).startsWith("end") || !lines.get(i + 1).startsWith("start"))
        throw new IllegalStateException(tool + " overlapped: " + lines);
      gaps.add((nanos(lines.get(i + 1)) - nanos(lines.get(i))) / 1_000); // µs
    }
    return gaps;
  }

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

  // ---- lease revoke to the child's SIGTERM

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

  void revoke() throws Exception {
    List<Long> conch = new ArrayList<>();
    String etcdctl = "";
    for (int i = 0; i < REVOKES; i++) {
      Conch c = new Conch(server.endpoint);
      Path log = c.file("log");
      Conch.Run r = startConch(c, cat(List.of("elect", "r", "--"), trapping(log)));
      Conch.awaitLines(log, 1, 60_000);
      long t0 = revokeLeaseUnder(c.prefix + "/v1/elect/r/");
      List<String> l = Conch.awaitLines(log, 2, 30_000);
      conch.add((nanos(l.get(1)) - t0) / 1_000); // µs
      r.exit(30_000);

      if (i == 0) { // etcdctl lock: the same revoke, and its command keeps running
        Conch e = new Conch(server.endpoint);
        Path elog = e.file("log");
        String lock = e.prefix + "-lock";
        Conch.Run er = startEtcdctl(e, cat(List.of("lock", lock, "--"), trapping(elog)));
        Conch.awaitLines(elog, 1, 60_000);
        revokeLeaseUnder(lock + "/");
        Procs.nap(3_000); // there is no event to wait for: the claim is that nothing happens
        long pid = Long.parseLong(Conch.lines(elog).get(0).split(" ")[1]);
        boolean terminated = Conch.lines(elog).size() > 1;
        etcdctl = terminated ? "terminated" : "never (still running 3 s later)";
        Procs.kill("TERM", pid);
        er.process().destroy();
        er.process().waitFor();
      }
    }
    long p = p50(conch);
    add(
        "revoke_sigterm_p50_ms",
        "lease revoke -> child SIGTERM p50 (max), " + conch.size() + " revokes",
        ms(p) + " (" + ms(max(conch)) + ")",
        etcdctl,
        "-",
        p / 1000.0,
        "ms");
  }

  /**
   * Revokes the lease of the only key under {@code dir}; returns the wall clock (ns) just before.
   */
  long revokeLeaseUnder(String dir) throws Exception {
    List<KeyValue> kvs = keys(dir);
    if (kvs.size() != 1)
      throw new IllegalStateException("expected one key under " + dir + ": " + kvs.size());
    long t0 = wallNanos();
    client.getLeaseClient().revoke(kvs.get(0).getLease()).get();
    return t0;
  }

  // ---- warm queries

  void queries() {
    Conch c = new Conch(server.endpoint);
    Conch.Run holder = c.holding("elect", "q");
    String key =
        keys(c.prefix + "/v1/elect/q/")
            .get(0)
            .getKey()
            .toString(java.nio.charset.StandardCharsets.UTF_8);
    Map<String, List<String>> launchers = launchers();
    Map<String, List<Long>> times = new java.util.LinkedHashMap<>();
    List<Long> get = new ArrayList<>();
    for (String name : launchers.keySet()) times.put(name, new ArrayList<>());
    for (int i = 0; i <= QUERIES; i++) { // the first of each is the cold one, not counted
      for (Map.Entry<String, List<String>> l : launchers.entrySet()) {
        long t = timed(c, cat(l.getValue(), List.of("elect", "q", "--who")), 0);
        if (i > 0) times.get(l.getKey()).add(t);
      }
      long t = timed(c, List.of("etcdctl", "--endpoints", server.endpoint, "get", key), 0);
      if (i > 0) get.add(t);
    }
    holder.stop();
    long g = p50(get);
    boolean first = true;
    for (Map.Entry<String, List<Long>> e : times.entrySet()) {
      long p = p50(e.getValue());
      String key2 =
          first ? "who_p50_ratio" : "who_p50_ratio_" + e.getKey().replaceAll("[^a-z]+", "_");
      add(
          key2,
          "warm `elect --who` p50 vs `etcdctl get` (" + e.getKey() + ")",
          p + " ms",
          g + " ms",
          ratio(p, g),
          ratioValue(p, g),
          "x");
      first = false;
    }
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

  // ---- resident memory of a holder

  void rss() throws Exception {
    Conch c = new Conch(server.endpoint);
    Path log = c.file("log");
    Conch.Run w = startConch(c, cat(List.of("elect", "m", "--"), trapping(log)));
    Conch e = new Conch(server.endpoint);
    Path elog = e.file("log");
    Conch.Run l = startEtcdctl(e, cat(List.of("lock", e.prefix + "-lock", "--"), trapping(elog)));
    Conch.awaitLines(log, 1, 60_000);
    Conch.awaitLines(elog, 1, 60_000);
    Procs.nap(5_000); // holding for a while: past start-up, a few lease renewals
    long cm = treeRssKb(w.pid(), childPid(log));
    long em = treeRssKb(l.pid(), childPid(elog));
    long jvm = rssKb(w.pid());
    w.stop();
    Procs.kill("TERM", childPid(elog));
    l.exit(20_000);
    add(
        "holder_rss_mib",
        "RSS of a holder (its processes, not the command's)",
        mib(cm) + " MiB (JVM " + mib(jvm) + ")",
        mib(em) + " MiB",
        ratio(cm, em),
        cm / 1024.0,
        "MiB");
  }

  static long childPid(Path log) {
    return Long.parseLong(Conch.lines(log).get(0).split(" ")[1]);
  }

  /** VmRSS of {@code root} and its descendants, less the subtree of {@code exclude}. */
  static long treeRssKb(long root, long exclude) throws IOException {
    Map<Long, List<Long>> kids = new HashMap<>();
    try (var dirs = Files.list(Path.of("/proc"))) {
      for (Path p : dirs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String s = Files.readString(p.resolve("stat"));
          long ppid = Long.parseLong(s.substring(s.lastIndexOf(')') + 2).split(" ")[1]);
          kids.computeIfAbsent(ppid, k -> new ArrayList<>())
              .add(Long.parseLong(p.getFileName().toString()));
        } catch (IOException gone) {
          // a process that ended while we looked
        }
      }
    }
    long sum = 0;
    List<Long> todo = new ArrayList<>(List.of(root));
    while (!todo.isEmpty()) {
      long pid = todo.remove(todo.size() - 1);
      if (pid == exclude) continue;
      sum += rssKb(pid);
      todo.addAll(kids.getOrDefault(pid, List.of()));
    }
    return sum;
  }

  static long rssKb(long pid) {
    try {
      for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (l.startsWith("VmRSS:")) return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    } catch (IOException gone) {
      // ended while we looked
    }
    return 0;
  }

  // ---- sema: draining a queue, at library level in one JVM as in SemaStressIT

  void sema() throws Exception {
    double[] small = drain(20);
    double[] large = drain(200);
    add(
        "sema_drain200_s",
        "sema N=5: drain 200 waiters, instant children (library level)",
        String.format(Locale.ROOT, "%.2f s (%.0f acquisitions/s)", large[0], large[2]),
        "-",
        "-",
        large[0],
        "s");
    add(
        "sema_req_per_acq_20",
        "sema: etcd KV requests per acquisition, 20 waiters",
        String.format(Locale.ROOT, "%.2f", small[1]),
        "-",
        "-",
        small[1],
        "");
    add(
        "sema_req_per_acq_200",
        "sema: etcd KV requests per acquisition, 200 waiters",
        String.format(Locale.ROOT, "%.2f", large[1]),
        "-",
        "-",
        large[1],
        "");
    add(
        "sema_req_growth",
        "sema: requests per acquisition, 200 vs 20 waiters",
        String.format(Locale.ROOT, "%.2fx", large[1] / small[1]),
        "-",
        "-",
        large[1] / small[1],
        "x");
  }

  /**
   * {@code waiters + 5} contenders join at once, each acquires once and leaves: seconds, requests
   * per acquisition, acquisitions per second.
   */
  double[] drain(int waiters) throws Exception {
    int max = 5;
    String dir = "/bench" + System.nanoTime() + "/v1/sema/d/" + max + "/";
    int contenders = waiters + max;
    EtcdLoad before = EtcdLoad.read(server.endpoint); // KV requests only: not lease grants
    double seconds =
        Contenders.run(
            client,
            contenders,
            s -> {
              Semaphore sem = new Semaphore(client, dir, s, max);
              sem.join(Holder.self(List.of("true"), s.ttl(), s.lease()));
              sem.acquired().join();
              sem.leave();
            });
    long requests = EtcdLoad.read(server.endpoint).since(before).kvRequests();
    return new double[] {seconds, (double) requests / contenders, contenders / seconds};
  }

  // ---- cron: lateness of the run's start after its tick, three daemons

  void cron() {
    Conch c = new Conch(server.endpoint);
    Path log = c.file("log");
    Conch.Run add =
        startConch(
            c,
            List.of(
                "cron",
                "add",
                "tick",
                "--schedule",
                "@every 1s",
                "--",
                "bash",
                "-c",
                "echo \"$CONCH_TICK $(date +%s%N)\" >> '" + log + "'"));
    if (add.exit(60_000) != 0) throw new IllegalStateException("cron add: " + add.stderr());
    List<Conch.Run> ds = new ArrayList<>();
    for (int i = 1; i <= 3; i++) {
      ds.add(startConch(c, List.of("daemon")));
      awaitKeys(c.prefix + "/v1/daemons/", i, ds);
    }
    Conch.awaitLines(log, 3, 120_000); // the daemons' start-up is over
    int skip = Conch.lines(log).size();
    Conch.awaitLines(log, skip + TICKS, 3_000L * TICKS);
    for (Conch.Run d : ds) d.stop();
    List<Long> late = new ArrayList<>();
    for (String l : Conch.lines(log).subList(skip, skip + TICKS)) {
      String[] f = l.split(" ");
      late.add(Long.parseLong(f[1]) / 1_000_000 - Instant.parse(f[0]).toEpochMilli());
    }
    long p = p50(late);
    add(
        "cron_late_p50_ms",
        "cron: run start after its tick, p50 (max), " + TICKS + " ticks, 3 daemons",
        p + " ms (" + max(late) + " ms)",
        "-",
        "-",
        p,
        "ms");
  }

  // ---- the table

  void add(
      String key,
      String what,
      String conch,
      String etcdctl,
      String ratio,
      double value,
      String unit) {
    rows.add(new Row(key, what, conch, etcdctl, ratio, value, unit));
  }

  void report() throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("conch run as: ")
        .append(conchName())
        .append("; etcd ")
        .append(etcdVersion())
        .append("; ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores; ")
        .append(Instant.now())
        .append("\n\n");
    md.append("| measure | conch | etcdctl | conch / etcdctl |\n| --- | --- | --- | --- |\n");
    StringBuilder tsv = new StringBuilder("key\tvalue\tunit\tconch\tetcdctl\n");
    for (Row r : rows) {
      md.append("| ")
          .append(String.join(" | ", r.what(), r.conch(), r.etcdctl(), r.ratio()))
          .append(" |\n");
      String value = String.format(Locale.ROOT, "%.3f", r.value());
      tsv.append(String.join("\t", r.key(), value, r.unit(), r.conch(), r.etcdctl())).append('\n');
    }
    Path out = ROOT.resolve("bench/target");
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.tsv"), tsv);
    Files.writeString(out.resolve("results.md"), md);
    System.out.println("\n" + md);
  }

  static String etcdVersion() {
    String out = Procs.run(List.of("etcd", "--version"), Map.of()).out();
    return out.lines().findFirst().orElse("?").replace("etcd Version: ", "");
  }

  // ---- small helpers

  static long nanos(String line) {
    return Long.parseLong(line.split(" ")[1]);
  }

  static long wallNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  static long p50(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  static long max(List<Long> xs) {
    return Collections.max(xs);
  }

  static String ratio(double a, double b) {
    return b <= 0 ? "-" : String.format(Locale.ROOT, "%.1fx", a / b);
  }

  static double ratioValue(double a, double b) {
    return a / Math.max(b, 1);
  }

  /** Microseconds as milliseconds, one decimal. */
  static String ms(long micros) {
    return String.format(Locale.ROOT, "%.1f ms", micros / 1000.0);
  }

  static String mib(long kb) {
    return String.format(Locale.ROOT, "%.0f", kb / 1024.0);
  }

  static void touch(Path p) {
    try {
      Files.writeString(p, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<String> cat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }
}
