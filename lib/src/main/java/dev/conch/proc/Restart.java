package dev.conch.proc;

import java.time.Duration;

/**
 * --restart: run the command again whenever it exits, pausing as {@link dev.conch.coord.Backoff}
 * says up to {@code backoffMax}; a run of {@code stableAfter} resets it.
 */
public record Restart(Duration backoffMax, Duration stableAfter) {}
