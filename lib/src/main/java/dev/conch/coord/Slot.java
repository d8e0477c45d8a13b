package dev.conch.coord;

import io.etcd.jetcd.ByteSequence;
import java.util.concurrent.CompletableFuture;

/** A place that a session queues for and then holds: an office, or one of a semaphore's slots. */
public interface Slot {
  /**
   * Queues up with our own key on the session's lease; returns its create revision, the fencing
   * token.
   */
  long join(Holder me);

  /** One read: do we hold it now? (for {@code --nonblock}) */
  boolean ready();

  /** What {@link #ready} found when it said no, for the user: "held by another", "no free slot". */
  String busy();

  /**
   * Completes, with the etcd revision of the read that found our turn had come, when it has. Every
   * wake-up re-reads; an event never means "you hold it".
   */
  CompletableFuture<Long> acquired();

  /**
   * Once {@link #acquired} has completed: when the command may start (the lock-delay of contract
   * section 4, if a key ahead vanished without being released), and why.
   */
  Vanishes.Start start();

  /** Our own key; its deletion by anyone means we no longer hold. */
  ByteSequence key();

  /**
   * Stops waiting and deletes our key; marked released first if our turn came and its lock-delay is
   * over.
   */
  void leave();
}
