package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A class-data archive (JDK 13+'s dynamic AppCDS) of this checkout's wrapper, made once per build
 * ({@link Shared}) by one training run against an etcd of its own. Every wrapper the tests start
 * maps its classes from it instead of loading and verifying them from 46 jars: a start's CPU falls
 * from about 0.9 s to 0.5 s, and the suite starts a wrapper over a thousand times on 2 cores. The
 * wrapper's behaviour is the same with or without it; users' starts are measured by the benchmark,
 * without it. If the archive cannot be made or does not match the classpath, the JVM runs without
 * it ({@code -Xshare:auto}, the default), silently ({@code -Xlog:disable}), so tests that read a
 * wrapper's output never see a JVM warning.
 */
final class Cds {
  private Cds() {}

  private static List<String> flags;

  /** The JVM flags that map the archive, made on first use. */
  static synchronized List<String> flags(String classpath) {
    if (flags == null) flags = train(classpath);
    return flags;
  }

  private static List<String> train(String classpath) {
    Path archive = Shared.once("conch.jsa", into -> train(classpath, into));
    return archive == null
        ? List.of()
        : List.of("-Xlog:disable", "-XX:SharedArchiveFile=" + archive);
  }

  private static void train(String classpath, Path archive) {
    try (EtcdServer etcd = EtcdServer.start()) {
      // a whole run, so the archive holds what a wrapper loads: lease, keepalive, watch, child
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  "java",
                  "-XX:TieredStopAtLevel=1",
                  "-Xlog:disable",
                  "-XX:ArchiveClassesAtExit=" + archive,
                  "-cp",
                  classpath,
                  "conch",
                  "elect",
                  "--endpoints",
                  etcd.endpoint,
                  "--ttl",
                  "2s",
                  "training",
                  "--",
                  "true"));
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD);
      Procs.track(pb.start()).waitFor();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
