package dev.conch.bench;

import static dev.conch.bench.Table.mib;
import static dev.conch.bench.Table.ratio;
import static dev.conch.it.support.Args.cat;

import dev.conch.it.support.Conch;
import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** Resident memory of a holder: its processes, not its command's, conch beside etcdctl lock. */
final class Memory {
  private final Bench b;

  Memory(Bench b) {
    this.b = b;
  }

  void measure() throws Exception {
    Conch c = new Conch(b.server.endpoint);
    Path log = c.file("log");
    Conch.Run w = b.startConch(c, cat(List.of("elect", "m", "--"), Bench.trapping(log)));
    Conch e = new Conch(b.server.endpoint);
    Path elog = e.file("log");
    Conch.Run l =
        b.startEtcdctl(e, cat(List.of("lock", e.prefix + "-lock", "--"), Bench.trapping(elog)));
    Conch.awaitLines(log, 1, 60_000);
    Conch.awaitLines(elog, 1, 60_000);
    Procs.nap(5_000); // holding for a while: past start-up, a few lease renewals
    long cm = treeRssKb(w.pid(), childPid(log));
    long em = treeRssKb(l.pid(), childPid(elog));
    long jvm = rssKb(w.pid());
    w.stop();
    Procs.kill("TERM", childPid(elog));
    l.exit(20_000);
    b.table.add(
        new Table.Row(
            "holder_rss_mib",
            "RSS of a holder (its processes, not the command's)",
            mib(cm) + " MiB (JVM " + mib(jvm) + ")",
            mib(em) + " MiB",
            ratio(cm, em),
            cm / 1024.0,
            "MiB"));
    long cp =
        pssPerHolderKb(
            c,
            (office, up) ->
                b.startConch(c, cat(List.of("elect", office, "--"), Bench.trapping(up))));
    long ep =
        pssPerHolderKb(
            e,
            (office, up) ->
                b.startEtcdctl(
                    e, cat(List.of("lock", e.prefix + "-" + office, "--"), Bench.trapping(up))));
    b.table.add(
        new Table.Row(
            "holder_pss10_mib",
            "memory per holder, " + HOLDERS + " holders on the host (PSS, not the command's)",
            mib(cp) + " MiB",
            mib(ep) + " MiB",
            ratio(cp, ep),
            cp / 1024.0,
            "MiB"));
  }

  static final int HOLDERS = 10;

  /**
   * HOLDERS holders of offices of their own at once, each with its command: the mean PSS of a
   * holder's processes (shared pages, such as the archive's, divided among the processes that map
   * them), less its command's.
   */
  private static long pssPerHolderKb(Conch c, BiFunction<String, Path, Conch.Run> start)
      throws IOException {
    List<Conch.Run> runs = new ArrayList<>();
    List<Path> logs = new ArrayList<>();
    try {
      for (int i = 0; i < HOLDERS; i++) {
        logs.add(c.file("pss-" + i));
        runs.add(start.apply("pss" + i, logs.get(i)));
        Conch.awaitLines(logs.get(i), 1, 60_000); // one start-up at a time on 2 cores
      }
      Procs.nap(5_000); // holding for a while: past start-up, a few lease renewals
      long sum = 0;
      for (int i = 0; i < HOLDERS; i++)
        for (long pid : tree(runs.get(i).pid(), childPid(logs.get(i)))) sum += pssKb(pid);
      return sum / HOLDERS;
    } finally {
      for (int i = 0; i < runs.size(); i++) {
        Procs.kill("TERM", childPid(logs.get(i))); // the command ends: each holder exits 0
        runs.get(i).exit(20_000);
      }
    }
  }

  /** The pid in a trapping child's first line, "up PID". */
  private static long childPid(Path log) {
    return Long.parseLong(Conch.lines(log).get(0).split(" ")[1]);
  }

  /** VmRSS of {@code root} and its descendants, less the subtree of {@code exclude}. */
  private static long treeRssKb(long root, long exclude) throws IOException {
    long sum = 0;
    for (long pid : tree(root, exclude)) sum += rssKb(pid);
    return sum;
  }

  /** {@code root} and its descendants, less the subtree of {@code exclude}. */
  private static List<Long> tree(long root, long exclude) throws IOException {
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
    List<Long> all = new ArrayList<>();
    List<Long> todo = new ArrayList<>(List.of(root));
    while (!todo.isEmpty()) {
      long pid = todo.remove(todo.size() - 1);
      if (pid == exclude) continue;
      all.add(pid);
      todo.addAll(kids.getOrDefault(pid, List.of()));
    }
    return all;
  }

  private static long pssKb(long pid) {
    return kb(Path.of("/proc/" + pid + "/smaps_rollup"), "Pss:");
  }

  private static long rssKb(long pid) {
    return kb(Path.of("/proc/" + pid + "/status"), "VmRSS:");
  }

  /**
   * The kB on the line of {@code file} that starts with {@code field}; 0 once the process ended.
   */
  private static long kb(Path file, String field) {
    try {
      for (String l : Files.readAllLines(file)) {
        if (l.startsWith(field)) return Long.parseLong(l.replaceAll("[^0-9]", ""));
      }
    } catch (IOException gone) {
      // ended while we looked
    }
    return 0;
  }
}
