package dev.conch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.conch.it.support.Conch;
import dev.conch.it.support.Procs;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's first set-up command, run exactly as written: {@code ./demo.sh} starts its own etcd
 * and shows conch handing over, and killing its command on lease loss where etcdctl lock does not.
 */
class DemoIT {
  private static final Pattern RUNS =
      Pattern.compile(" *\\[[\\d:.]+\\] pid (\\d+) runs with fencing token CONCH_REV=(\\d+)");
  private static final Pattern DONE = Pattern.compile(" *\\[[\\d:.]+\\] pid (\\d+) done");

  /** ./demo.sh from the checkout; SIGTERM past the time limit, so that it stops its etcd. */
  static Procs.Result demo() throws Exception {
    Path out = Files.createTempFile("demo-", ".out");
    Path err = Files.createTempFile("demo-", ".err");
    Process p =
        new ProcessBuilder("./demo.sh")
            .directory(Conch.ROOT.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(180, TimeUnit.SECONDS)) {
      Procs.kill("TERM", p.pid());
      p.waitFor(20, TimeUnit.SECONDS);
      throw new AssertionError("demo.sh took over 180 s: " + Files.readString(out));
    }
    return new Procs.Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void demoShowsHandoverAndLeaseLossAndExitsZero() throws Exception {
    long t0 = System.nanoTime();
    Procs.Result r = demo();
    System.out.printf("demo.sh: %d s%n", (System.nanoTime() - t0) / 1_000_000_000);
    String all = r.out() + "\n--- stderr\n" + r.err();
    assertEquals(0, r.code(), all);
    List<String> out = r.out().lines().toList();
    assertTrue(out.contains("(--who on a vacant office: exit 1)"), all);

    // two candidates, one after the other, the second with the higher token
    List<Matcher> turns =
        out.stream()
            .map(
                l -> {
                  Matcher m = RUNS.matcher(l);
                  return m.matches() ? m : DONE.matcher(l);
                })
            .filter(Matcher::matches)
            .toList();
    assertEquals(4, turns.size(), all);
    assertEquals(List.of(RUNS, DONE, RUNS, DONE), turns.stream().map(Matcher::pattern).toList());
    assertEquals(turns.get(0).group(1), turns.get(1).group(1), "no overlap: " + all);
    assertEquals(turns.get(2).group(1), turns.get(3).group(1), "no overlap: " + all);
    assertTrue(
        Long.parseLong(turns.get(2).group(2)) > Long.parseLong(turns.get(0).group(2)),
        "the token increases: " + all);

    assertTrue(
        out.stream().anyMatch(l -> l.matches(" *\\.\\.\\.while the first holder's 'sleep 30' .*")),
        "etcdctl lock's command outlives its lease: " + all);
    assertTrue(out.stream().anyMatch(l -> l.endsWith("] command got SIGTERM")), all);
    assertTrue(out.contains("  conch exited 70"), all);
    List<String> conchLines = r.err().lines().filter(l -> l.contains(" conch elect ")).toList();
    assertEquals(1, conchLines.size(), "one line says why: " + all);
    assertTrue(conchLines.get(0).contains(" conch elect guarded: lost "), all);
  }
}
