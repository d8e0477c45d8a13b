package dev.conch.it.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Real conch wrapper processes, built from the checkout's scripts by JBang once (the same jar that
 * {@code ./jbang conch.java} runs) and then started as plain {@code java -cp} so tests pay one JVM
 * start. Each instance has its own key prefix, so tests run side by side on one etcd.
 */
public final class Conch {
  public static final Path ROOT =
      Path.of(System.getProperty("conch.root", "..")).toAbsolutePath().normalize();

  /** The variables every tool reads to connect (contract section 2). */
  public static final List<String> CONNECTION_ENV =
      List.of(
          "CONCH_ENDPOINTS",
          "CONCH_PREFIX",
          "CONCH_USER",
          "CONCH_PASSWORD",
          "CONCH_CACERT",
          "CONCH_CERT",
          "CONCH_KEY");

  private static final AtomicInteger SEQ = new AtomicInteger();
  private static String classpath;

  public final String endpoint;
  public final String prefix;
  public final Path dir;
  private final Map<String, String> env = new HashMap<>();
  private final Set<String> unset = new HashSet<>();
  private Path stdin = Path.of("/dev/null");
  private final String build; // the classpath that runs conch; null: this checkout's

  public Conch(String endpoint) {
    this.endpoint = endpoint;
    this.build = null;
    this.prefix = "/t" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    try {
      this.dir = Files.createTempDirectory("conch-test-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    env.put("CONCH_ENDPOINTS", endpoint);
    env.put("CONCH_PREFIX", prefix);
    env.putAll(EtcdServer.conchEnv(endpoint)); // TLS and user conch, on the secure topology
  }

  /** Whether this is this checkout's build, not another's (a previous release). */
  public boolean current() {
    return build == null;
  }

  /** Conch as another build runs it (a previous release's classpath): same prefix, dir and env. */
  public Conch build(String classpath) {
    return new Conch(this, classpath);
  }

  private Conch(Conch other, String classpath) {
    this(other, classpath, other.endpoint);
  }

  /**
   * Conch (same prefix, files and build) whose wrappers, and the test's reads, use {@code
   * endpoints} instead: one member of a cluster, say.
   */
  public Conch via(String endpoints) {
    return new Conch(this, build, endpoints).env("CONCH_ENDPOINTS", endpoints);
  }

  private Conch(Conch other, String classpath, String endpoint) {
    this.endpoint = endpoint;
    this.prefix = other.prefix;
    this.dir = other.dir;
    this.env.putAll(other.env);
    this.unset.addAll(other.unset);
    this.stdin = other.stdin;
    this.build = classpath;
  }

  public Conch env(String key, String value) {
    env.put(key, value);
    return this;
  }

  /** Wrappers started from now on do not have {@code key}, not even from the test's own. */
  public Conch without(String key) {
    env.remove(key);
    unset.add(key);
    return this;
  }

  /** Wrappers started from now on read {@code file} as stdin (else /dev/null). */
  public Conch stdin(Path file) {
    stdin = file;
    return this;
  }

  /**
   * The wrapper's classpath: the JBang-built conch.java jar and its //DEPS, the lib among them;
   * built once per build and pinned there ({@link Shared}).
   */
  public static synchronized String classpath() {
    if (classpath == null) {
      Path file = Shared.once("classpath", Conch::buildClasspath);
      try {
        classpath = Files.readString(file).strip();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return classpath;
  }

  private static void buildClasspath(Path into) {
    Procs.Result build = jbang("build", "--fresh");
    if (build.code() != 0)
      throw new IllegalStateException("jbang build conch.java failed: " + build.err());
    Procs.Result info = jbang("info", "classpath");
    if (info.code() != 0)
      throw new IllegalStateException("jbang info classpath failed: " + info.err());
    try {
      Path jars = into.resolveSibling(into.getFileName() + ".jars");
      Files.writeString(into, Shared.pinned(info.out().strip(), jars));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Procs.Result jbang(String... args) {
    return Procs.run(
        Args.cat(
            List.of(ROOT.resolve("jbang").toString()),
            List.of(args),
            List.of(ROOT.resolve("conch.java").toString())),
        Map.of());
  }

  /** The command line that runs this checkout's conch, the archive of its classes mapped. */
  public static List<String> java() {
    List<String> cmd = new ArrayList<>(java(classpath()));
    cmd.addAll(1, Cds.flags(classpath()));
    return cmd;
  }

  // C1 only: a wrapper is short-lived and does little work; C2 compiling the TLS stack doubled each
  // start's CPU on 2 cores
  private static List<String> java(String classpath) {
    return List.of("java", "-XX:TieredStopAtLevel=1", "-cp", classpath, "conch");
  }

  /** Starts {@code conch ARGS...}; stdout and stderr go to files of the run. */
  public Run start(String... args) {
    List<String> cmd = new ArrayList<>(build == null ? java() : java(build));
    cmd.addAll(List.of(args));
    return launch(cmd);
  }

  /** Starts any command line with this instance's environment (used for the JBang launch paths). */
  public Run launch(List<String> cmd) {
    try {
      int n = SEQ.incrementAndGet();
      Path out = dir.resolve("out-" + n);
      Path err = dir.resolve("err-" + n);
      ProcessBuilder pb =
          new ProcessBuilder(cmd)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(stdin.toFile()));
      pb.environment().keySet().removeAll(unset);
      pb.environment().putAll(env);
      return new Run(Procs.track(pb.start()), out, err);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts {@code conch ARGS... -- <a command that runs until stopped>} and returns once that
   * command runs.
   */
  public Run holding(String... args) {
    Path up = file("up-" + SEQ.incrementAndGet());
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--", "bash", "-c", "echo up > '" + up + "'; exec sleep 300"));
    Run r = start(all.toArray(String[]::new));
    awaitLines(up, 1, 20_000);
    return r;
  }

  /** Runs {@code conch ARGS...} to its end. */
  public Run run(String... args) {
    Run r = start(args);
    r.exit(120_000);
    return r;
  }

  public List<String> keys() {
    return Etcdctl.keys(endpoint, prefix + "/");
  }

  /** The keys under this instance's prefix + {@code dir}. */
  public List<String> keysUnder(String dir) {
    return Etcdctl.keys(endpoint, prefix + dir);
  }

  public void awaitKeys(int n) {
    awaitKeysUnder("/", n);
  }

  /** Waits until at least {@code n} keys exist under this instance's prefix + {@code dir}. */
  public void awaitKeysUnder(String dir, int n) {
    awaitKeysUnder(dir, k -> k >= n, "at least " + n);
  }

  /** Waits until exactly {@code n} keys exist there: keys of leases that expire go. */
  public void awaitKeyCount(String dir, int n) {
    awaitKeysUnder(dir, k -> k == n, "exactly " + n);
  }

  private void awaitKeysUnder(String dir, IntPredicate count, String expected) {
    long end = System.nanoTime() + 20_000_000_000L;
    while (!count.test(Etcdctl.keys(endpoint, prefix + dir).size())) {
      if (System.nanoTime() > end)
        throw new AssertionError("expected " + expected + " keys under " + dir + ": " + keys());
      Procs.nap(50); // wrappers start in other processes; their keys are what we can see
    }
  }

  public Path file(String name) {
    return dir.resolve(name);
  }

  /** A started wrapper. */
  public record Run(Process process, Path out, Path err) {
    public long pid() {
      return process.pid();
    }

    public int exit(long millis) {
      try {
        if (!process.waitFor(millis, TimeUnit.MILLISECONDS)) {
          process.destroyForcibly();
          throw new AssertionError(
              "wrapper did not exit within " + millis + " ms; stderr: " + stderr());
        }
        return process.exitValue();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }

    /** SIGTERM, forwarded to the command: the wrapper exits 143 and releases. */
    public int stop() {
      Procs.kill("TERM", pid());
      return exit(20_000);
    }

    public String stdout() {
      return read(out);
    }

    /** When the wrapper logged {@code event}, from its {@code --log-format json} lines. */
    public Instant logged(String event) {
      Matcher m =
          Pattern.compile(
                  "^\\{\"time\":\"([^\"]+)\".*\"event\":\"" + event + "\"", Pattern.MULTILINE)
              .matcher(stderr());
      if (!m.find()) throw new AssertionError("no " + event + " event in: " + stderr());
      return Instant.parse(m.group(1));
    }

    public String stderr() {
      return read(err);
    }

    private static String read(Path p) {
      try {
        return Files.readString(p);
      } catch (IOException e) {
        return "";
      }
    }
  }

  /** Waits until {@code file} has at least {@code lines} lines (children write there). */
  public static List<String> awaitLines(Path file, int lines, long millis) {
    long end = System.nanoTime() + millis * 1_000_000;
    while (true) {
      List<String> got = lines(file);
      if (got.size() >= lines) return got;
      if (System.nanoTime() > end)
        throw new AssertionError("expected " + lines + " lines in " + file + ", got " + got);
      Procs.nap(20); // the child writes to a file; nothing to watch but the file
    }
  }

  public static List<String> lines(Path file) {
    try {
      return Files.exists(file) ? Files.readAllLines(file) : List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
