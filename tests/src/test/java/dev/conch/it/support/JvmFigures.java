package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * What a running JVM holds, read from outside as an operator would: its threads by name and its
 * open file descriptors and child processes (zombies among them) from /proc, its live heap after a
 * full GC and its metaspace from jcmd.
 *
 * @param threads threads by name, digits replaced by N (pool workers share a name)
 * @param classes live bytes by class, to name what grew
 */
public record JvmFigures(
    Map<String, Long> threads,
    long fds,
    long children,
    long heapKb,
    long metaspaceKb,
    Map<String, Long> classes) {
  private static final Pattern HISTO = Pattern.compile("^\\s*\\d+:\\s+\\d+\\s+(\\d+)\\s+(\\S+)");
  private static final Pattern HISTO_TOTAL = Pattern.compile("^Total\\s+\\d+\\s+(\\d+)");
  private static final Pattern METASPACE = Pattern.compile("Metaspace\\s+used (\\d+)K");

  /**
   * Samples {@code pid}; {@code betweenRuns}: threads and fds at a moment when it has no child
   * process (a daemon between its ticks' runs), else whenever (a wrapper always running one).
   */
  public static JvmFigures of(long pid, boolean betweenRuns) {
    // An attach starts the JVM's Attach Listener thread and socket, which then stay: one first, so
    // that every sample counts them. Threads and fds are read before the full GC, which would
    // close what an unreachable stream still holds open and hide that leak.
    jcmd(pid, "VM.uptime");
    long end = System.nanoTime() + 10_000_000_000L;
    long children;
    Map<String, Long> threads;
    long fds;
    while (true) {
      children = children(pid);
      threads = threads(pid);
      fds = fds(pid);
      if (!betweenRuns || (children == 0 && children(pid) == 0)) break;
      if (System.nanoTime() > end)
        throw new AssertionError("pid " + pid + " never without a child for 10 s");
      Procs.nap(10); // its children end in another process; nothing here can wait on them
    }
    if (betweenRuns) {
      // a run whose child has ended still holds its control FIFO until its thread has recorded it
      // (on a loaded host, into the next tick): the fewest fds of a few samples leaves such runs in
      // passing out, and a leak, which only grows, in
      for (int i = 0; i < 4; i++) {
        Procs.nap(100); // nothing outside the JVM says when its run threads are done
        fds = Math.min(fds, fds(pid));
      }
    }
    // GC.class_histogram runs a full GC and then counts what is live; GC.heap_info follows in the
    // same attach, with no allocation of the running JVM between them
    String jcmd = jcmd(pid, "GC.class_histogram\nGC.heap_info");
    Map<String, Long> classes = new HashMap<>();
    long heap = -1;
    for (String line : jcmd.lines().toList()) {
      Matcher m = HISTO.matcher(line);
      if (m.find()) classes.put(m.group(2), Long.parseLong(m.group(1)));
      Matcher t = HISTO_TOTAL.matcher(line);
      if (t.find()) heap = Long.parseLong(t.group(1)) / 1024;
    }
    Matcher meta = METASPACE.matcher(jcmd);
    if (heap < 0 || !meta.find()) throw new AssertionError("jcmd " + pid + " said: " + jcmd);
    return new JvmFigures(threads, fds, children, heap, Long.parseLong(meta.group(1)), classes);
  }

  public long threadCount() {
    return threads.values().stream().mapToLong(Long::longValue).sum();
  }

  /**
   * Runs jcmd's {@code commands} (one a line) in one attach, with the JDK that runs {@code pid}.
   */
  private static String jcmd(long pid, String commands) {
    try {
      Path exe = Path.of("/proc/" + pid + "/exe").toRealPath();
      Path file = Files.createTempFile("conch-jcmd-", ".txt");
      try {
        Files.writeString(file, commands + "\n");
        Procs.Result r =
            Procs.run(
                List.of(
                    exe.resolveSibling("jcmd").toString(),
                    Long.toString(pid),
                    "-f",
                    file.toString()),
                Map.of());
        if (r.code() != 0) throw new AssertionError("jcmd " + pid + ": " + r.out() + r.err());
        return r.out();
      } finally {
        Files.delete(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Map<String, Long> threads(long pid) {
    Map<String, Long> names = new TreeMap<>();
    for (Path task : list(Path.of("/proc/" + pid + "/task"))) {
      String comm = read(task.resolve("comm"));
      if (comm != null) names.merge(comm.strip().replaceAll("\\d+", "N"), 1L, Long::sum);
    }
    return names;
  }

  private static long fds(long pid) {
    return list(Path.of("/proc/" + pid + "/fd")).size();
  }

  /** How many children {@code pid} has, as each of its threads has forked them. */
  private static long children(long pid) {
    return list(Path.of("/proc/" + pid + "/task")).stream()
        .map(t -> read(t.resolve("children")))
        .filter(s -> s != null && !s.isBlank())
        .mapToLong(s -> s.strip().split(" +").length)
        .sum();
  }

  private static List<Path> list(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A /proc file's text, or null if its thread ended meanwhile. */
  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return null;
    }
  }
}
