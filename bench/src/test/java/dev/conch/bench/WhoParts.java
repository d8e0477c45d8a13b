package dev.conch.bench;

import static dev.conch.bench.Table.p50;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.conch.cli.Cli;
import dev.conch.coord.Holder;
import dev.conch.it.support.Conch;
import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;

/**
 * What {@code elect X --who} costs by part, in a JVM of its own per sample (the script's runtime
 * options, no archive, so each part is paid cold as on a first start): the JVM to main, picocli's
 * model of elect (what a query builds now, picocli's classes loaded with it), then of every tool
 * (what a query built before issue 18, on top), a holder's JSON streamed both ways (all the JSON a
 * query does), Jackson's first mapper (which a query no longer builds, on top), then the query
 * itself (parse, read, print), which pays what the parts before it left cold. Each figure is the
 * p50 of a few samples.
 */
final class WhoParts {
  static final int SAMPLES = 5;

  private final Bench b;

  WhoParts(Bench b) {
    this.b = b;
  }

  void measure(Conch c, String office) {
    Map<String, List<Long>> parts = new LinkedHashMap<>();
    List<String> java =
        List.of(
            "java",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Xms8m",
            "-XX:NewRatio=8",
            "-Dio.netty.allocator.type=unpooled",
            "-cp",
            Conch.classpath() + ":" + System.getProperty("java.class.path"),
            WhoParts.class.getName(),
            "elect",
            office,
            "--who");
    for (int i = 0; i < SAMPLES; i++) {
      Conch.Run r = c.launch(java);
      if (r.exit(60_000) != 0) throw new IllegalStateException("WhoParts: " + r.stderr());
      for (String line : r.stdout().strip().split("\n")) {
        String[] kv = line.split("\t");
        parts.computeIfAbsent(kv[0], k -> new ArrayList<>()).add(Long.parseLong(kv[1]));
      }
    }
    parts.forEach(
        (part, micros) ->
            b.table.add(
                new Table.Row(
                    "who_part_" + part.replaceAll("[^a-z]+", "_"),
                    "`--who` by part, cold: " + part,
                    Table.ms(p50(micros)),
                    "-",
                    "-",
                    p50(micros) / 1000.0,
                    "ms")));
  }

  /** The sampled JVM: prints "part TAB micros" per part; the query's own output is dropped. */
  public static void main(String... query) throws Exception {
    long start = ProcessHandle.current().info().startInstant().orElseThrow().toEpochMilli();
    long t = System.nanoTime();
    System.out.println("JVM start to main\t" + (System.currentTimeMillis() - start) * 1000);
    t =
        lap(
            "picocli model of elect (a query builds it)",
            t,
            () -> new CommandLine(script("elect")));
    t =
        lap(
            "picocli model of all tools (no longer built)",
            t,
            () -> new CommandLine(script("conch")));
    t =
        lap(
            "JSON, a holder written and read (streamed, as a query does)",
            t,
            () -> Holder.parse(Holder.self(List.of("x"), 10, 1).toJson(), 1));
    t =
        lap(
            "JSON, Jackson's first mapper and parse (no longer built by a query)",
            t,
            () -> new ObjectMapper().readTree("{\"a\":[1]}"));
    java.io.PrintStream out = System.out;
    System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
    int[] code = new int[1];
    t = lap("the query", t, () -> code[0] = Cli.execute(script("conch"), query), out);
    if (code[0] != 0) throw new IllegalStateException("the query exited " + code[0]);
  }

  /** A new instance of a script's top class (package-private, on the classpath beside the lib). */
  private static Object script(String name) throws ReflectiveOperationException {
    Constructor<?> c = Class.forName(name).getDeclaredConstructor();
    c.setAccessible(true);
    return c.newInstance();
  }

  interface Part {
    Object run() throws Exception;
  }

  private static long lap(String part, long t0, Part p) throws Exception {
    return lap(part, t0, p, System.out);
  }

  private static long lap(String part, long t0, Part p, java.io.PrintStream out) throws Exception {
    p.run();
    long t1 = System.nanoTime();
    out.println(part + "\t" + (t1 - t0) / 1000);
    return t1;
  }
}
