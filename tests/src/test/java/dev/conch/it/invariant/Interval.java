package dev.conch.it.invariant;

/** One child's run: who (lease), its token, when (wall ns), its process group, and its wrapper. */
final class Interval {
  final String lease;
  final long rev;
  final long start;
  final long pid;
  final long wrapper;
  final boolean trapsTerm;
  volatile long end = Long.MAX_VALUE;

  /** From the child's start line: "S LEASE REV START-NS PID WRAPPER-PID IGNORES-TERM". */
  Interval(String[] f) {
    lease = f[1];
    rev = Long.parseLong(f[2]);
    start = Long.parseLong(f[3]);
    pid = Long.parseLong(f[4]);
    wrapper = Long.parseLong(f[5]);
    trapsTerm = f[6].equals("1");
  }

  boolean liveAt(long t) {
    return start <= t && t < end;
  }

  @Override
  public String toString() {
    return "["
        + lease
        + " rev "
        + rev
        + " pid "
        + pid
        + " "
        + start / 1_000_000 % 100_000
        + ".."
        + (end == Long.MAX_VALUE ? "" : end / 1_000_000 % 100_000)
        + "]";
  }
}
