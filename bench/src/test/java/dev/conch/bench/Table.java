package dev.conch.bench;

import dev.conch.it.support.Procs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The benchmark's table: one row per figure, printed as Markdown (bench/target/results.md) and
 * written as bench/target/results.tsv for bench/check.sh; and the arithmetic of its cells.
 */
final class Table {
  /** {@code key} and {@code value} (in {@code unit}) are what check.sh reads; the rest is shown. */
  record Row(
      String key,
      String what,
      String conch,
      String etcdctl,
      String ratio,
      double value,
      String unit) {}

  private final List<Row> rows = new ArrayList<>();

  void add(Row row) {
    rows.add(row);
  }

  void report(String conchName) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("conch run as: ")
        .append(conchName)
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
    Path out = Bench.ROOT.resolve("bench/target");
    Files.createDirectories(out);
    Files.writeString(out.resolve("results.tsv"), tsv);
    Files.writeString(out.resolve("results.md"), md);
    System.out.println("\n" + md);
  }

  static String etcdVersion() {
    String out = Procs.run(List.of("etcd", "--version"), Map.of()).out();
    return out.lines().findFirst().orElse("?").replace("etcd Version: ", "");
  }

  // ---- cells

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
}
