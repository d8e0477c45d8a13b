package dev.conch.proc;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * The last {@code capacity} bytes a command wrote to stdout and stderr, interleaved in the order
 * this JVM read them; every byte is also passed on to our own stdout or stderr, as if the command
 * had inherited them. A ring of fixed size and one reused buffer per stream: however much the
 * command writes, the cost is a copy per byte and no allocation.
 */
public final class Tail {
  private static final OutputStream OUT = new FileOutputStream(FileDescriptor.out);
  private static final OutputStream ERR = new FileOutputStream(FileDescriptor.err);
  private final byte[] ring;
  private long total; // bytes written so far; the ring holds the last min(total, capacity)
  private final CountDownLatch ended = new CountDownLatch(2);

  public Tail(int capacity) {
    this.ring = new byte[capacity];
  }

  /** Starts reading the command's stdout and stderr; each pump ends at its stream's EOF. */
  void pump(Process p) {
    start(p.getInputStream(), OUT, "conch-stdout");
    start(p.getErrorStream(), ERR, "conch-stderr");
  }

  private void start(InputStream in, OutputStream to, String name) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[8192];
              try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                  to.write(buf, 0, n); // unbuffered: a line reaches the journal when written
                  keep(buf, n);
                }
              } catch (IOException e) {
                // the pipe broke: the command is gone, and the tail has what came before
              } finally {
                ended.countDown();
              }
            },
            name);
    t.setDaemon(true); // a grandchild holding the pipe open must not keep the JVM up
    t.start();
  }

  synchronized void keep(byte[] buf, int n) {
    total += n;
    int cap = ring.length;
    if (cap == 0) return;
    int from = n > cap ? n - cap : 0; // only the chunk's end can survive
    for (int i = from; i < n; ) {
      int at = (int) ((total - n + i) % cap);
      int len = Math.min(n - i, cap - at);
      System.arraycopy(buf, i, ring, at, len);
      i += len;
    }
  }

  /**
   * The tail once both streams reached EOF, or once {@code drain} has passed: a grandchild that
   * escaped the command's group may hold the pipes open for ever, and the run's record must not
   * wait for it (its later bytes still reach our stdout, not the tail).
   */
  public byte[] await(Duration drain) {
    try {
      ended.await(drain.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return bytes();
  }

  /** The last bytes written, oldest first. */
  public synchronized byte[] bytes() {
    int cap = ring.length;
    int len = (int) Math.min(total, cap);
    byte[] out = new byte[len];
    int start = (int) ((total - len) % Math.max(cap, 1));
    for (int i = 0; i < len; i++) out[i] = ring[(start + i) % cap];
    return out;
  }

  /** How many bytes the command wrote in all. */
  public synchronized long total() {
    return total;
  }
}
