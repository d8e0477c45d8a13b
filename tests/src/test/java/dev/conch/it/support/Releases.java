package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Previous releases of conch, each built from its own commit in this repository's history (contract
 * section 11: G12 is tested with the genuine older build). A release is built at most once per
 * machine: under a file lock, into a directory keyed by its commit in conch's cache (that of
 * bin/conch: CONCH_CACHE, else ~/.cache/conch), then reused. The build never touches ~/.m2: it has
 * a Maven repository of its own (fed from ~/.m2 as a file:// repository, Maven Central behind it),
 * so its lib can never shadow the current one.
 */
public final class Releases {
  /** A release: the version its build says, and the commit it was built from. */
  public record Release(String version, String commit) {}

  /** Oldest first. A new release adds one line here: the version and commit of the one before. */
  public static final List<Release> PREVIOUS =
      List.of(new Release("0.1.0", "79e3df77ef8fa596339177d011923230ce3e04a5"));

  /** Bumped when the recipe below changes, so a cached build of the old recipe is not reused. */
  private static final String RECIPE = "r1";

  private Releases() {}

  /** The release before this one. */
  public static Release previous() {
    return PREVIOUS.get(PREVIOUS.size() - 1);
  }

  /**
   * The classpath that runs {@code release}'s conch ({@code java -cp CP conch ARGS}), building it
   * first if no complete build is cached. Both versions in a test start the same way, as plain
   * {@code java -cp} of the scripts' classes, the lib jar and its dependencies: what {@code jbang
   * conch.java} runs, minus JBang's own JVM.
   */
  public static synchronized String classpath(Release release) {
    Map<String, String> env = System.getenv(); // the cache root of bin/conch, as it reads it
    Path cache =
        Path.of(
                env.getOrDefault(
                    "CONCH_CACHE",
                    env.getOrDefault("XDG_CACHE_HOME", System.getProperty("user.home") + "/.cache")
                        + "/conch"))
            .resolve("releases");
    Path dir = cache.resolve(release.version() + "-" + release.commit() + "-" + RECIPE);
    Path done = dir.resolve("classpath");
    try {
      Files.createDirectories(cache);
      try (FileChannel ch =
          FileChannel.open(
              cache.resolve(dir.getFileName() + ".lock"),
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE)) {
        ch.lock(); // another suite run on this machine builds it: we wait; closing ch unlocks
        if (!Files.exists(done)) build(release, dir, done);
        return Files.readString(done).strip();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Extracts the commit's tree, builds its lib with Maven and compiles its four scripts with javac
   * against the lib and its dependencies: what JBang's build does, kept off JBang's caches, which
   * the current build uses.
   */
  private static void build(Release release, Path dir, Path done) throws IOException {
    long t0 = System.nanoTime();
    Procs.deleteTree(dir); // a build interrupted half-way
    Path src = Files.createDirectories(dir.resolve("src"));
    Path log = dir.resolve("build.log");
    String git = Conch.ROOT.toString();
    // the commit's own tree, as git has it
    if (Procs.run(
                List.of("git", "-C", git, "cat-file", "-e", release.commit() + "^{commit}"),
                Map.of())
            .code()
        != 0)
      throw new IllegalStateException(
          release
              + ": commit not in this clone's history (a shallow clone? git fetch --unshallow)");
    exec(log, null, "git", "-C", git, "archive", "-o", dir + "/src.tar", release.commit());
    exec(log, src, "tar", "-xf", "../src.tar");
    Path m2 = Path.of(System.getProperty("user.home"), ".m2", "repository");
    Files.writeString(
        dir.resolve("settings.xml"),
        "<settings><profiles><profile><id>seed</id>\n"
            + "<repositories><repository><id>seed</id><url>file://"
            + m2
            + "</url></repository></repositories>\n"
            + "<pluginRepositories><pluginRepository><id>seed</id><url>file://"
            + m2
            + "</url></pluginRepository></pluginRepositories>\n"
            + "</profile></profiles><activeProfiles><activeProfile>seed</activeProfile>"
            + "</activeProfiles></settings>\n");
    Path deps = dir.resolve("deps.classpath");
    // the lib as its commit builds it (its tests and formatting check are its own commit's
    // business)
    exec(
        log,
        src,
        "mvn",
        "-B",
        "-ntp",
        "-q",
        "-s",
        dir.resolve("settings.xml").toString(),
        "-Dmaven.repo.local=" + dir.resolve("m2"),
        "-Dmaven.test.skip=true",
        "-Dspotless.check.skip=true",
        "-pl",
        "lib",
        "-am",
        "package",
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath",
        "-Dmdep.includeScope=runtime",
        "-Dmdep.outputFile=" + deps);
    try (var jars = Files.list(src.resolve("lib/target"))) {
      List<Path> lib = jars.filter(p -> p.toString().endsWith(".jar")).toList();
      if (lib.size() != 1) throw new IllegalStateException("expected one lib jar: " + lib);
      String cp = lib.get(0) + ":" + Files.readString(deps).strip();
      Path classes = dir.resolve("classes");
      List<String> javac =
          new ArrayList<>(
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "javac").toString(),
                  "-nowarn",
                  "-d",
                  classes.toString(),
                  "-cp",
                  cp));
      for (String s : List.of("conch.java", "elect.java", "sema.java", "cron.java"))
        javac.add(src.resolve(s).toString());
      exec(log, src, javac.toArray(String[]::new));
      String full = classes + ":" + cp;
      // the build must say the version it is listed as, or the list names the wrong commit
      Procs.Result v = Procs.run(List.of("java", "-cp", full, "conch", "--version"), Map.of());
      if (!v.out().startsWith("conch " + release.version() + " "))
        throw new IllegalStateException(
            release + " built, but says: " + v.out() + v.err() + " (log: " + log + ")");
      Files.writeString(done, full + "\n"); // last: its presence means a complete build
    }
    System.out.printf(
        "built conch %s from %s in %d s (%s)%n",
        release.version(), release.commit(), (System.nanoTime() - t0) / 1_000_000_000, dir);
  }

  /** Runs a build step with its output appended to {@code log}; a failure names the step. */
  private static void exec(Path log, Path cwd, String... cmd) throws IOException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    if (cwd != null) pb.directory(cwd.toFile());
    Process p = Procs.track(pb.start());
    try {
      if (!p.waitFor(15, TimeUnit.MINUTES)) { // Maven Central for what ~/.m2 lacks, on a slow link
        p.destroyForcibly();
        throw new IllegalStateException(
            "timed out: " + String.join(" ", cmd) + " (log: " + log + ")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
    if (p.exitValue() != 0)
      throw new IllegalStateException(
          "building a previous release failed at: "
              + String.join(" ", cmd)
              + "\n"
              + Files.readString(log));
  }
}
