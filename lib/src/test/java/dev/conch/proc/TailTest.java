package dev.conch.proc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TailTest {
  @Test
  void theRingKeepsTheLastBytesAcrossWrapsAndChunksLargerThanItself() {
    byte[] all = new byte[20_000];
    for (int i = 0; i < all.length; i++) all[i] = (byte) (i * 31);
    Tail t = new Tail(4096);
    int[] chunks = {1, 3000, 5000, 100, 8192, 3707};
    int at = 0;
    for (int n : chunks) {
      t.keep(Arrays.copyOfRange(all, at, at + n), n);
      at += n;
    }
    assertEquals(all.length, at);
    assertEquals(all.length, t.total());
    assertArrayEquals(Arrays.copyOfRange(all, all.length - 4096, all.length), t.bytes());
  }

  @Test
  void aShortOutputIsKeptWholeAndATailOfZeroKeepsNothingButCounts() {
    Tail t = new Tail(4096);
    t.keep("hi\n".getBytes(), 3);
    assertArrayEquals("hi\n".getBytes(), t.bytes());
    Tail none = new Tail(0);
    none.keep(new byte[100], 100);
    assertEquals(0, none.bytes().length);
    assertEquals(100, none.total());
  }
}
