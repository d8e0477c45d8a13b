package dev.conch.coord;

/**
 * The semaphore's ranking rule, pure: what a contender does given one read of the queue ahead of
 * it.
 */
final class Ranks {
  enum Wait {
    /** Fewer than max keys ahead: we hold a slot. */
    HOLD,
    /** Exactly max ahead: the first waiter; any deletion ahead may free our slot. */
    WATCH_DELETIONS_AHEAD,
    /** More than max ahead: only our predecessor's promotion or departure concerns us. */
    WATCH_PREDECESSOR
  }

  private Ranks() {}

  /**
   * @param firstAhead how many keys ahead of ours a read limited to {@code max} returned
   * @param lastOfThemIsPredecessor whether the last of those is the key just ahead of ours (rank ==
   *     max)
   */
  static Wait decide(int firstAhead, int max, boolean lastOfThemIsPredecessor) {
    if (firstAhead < max) return Wait.HOLD;
    return lastOfThemIsPredecessor ? Wait.WATCH_DELETIONS_AHEAD : Wait.WATCH_PREDECESSOR;
  }
}
