package io.eventgate.core.engine;

import java.util.List;

/**
 * Events of one channel after a position.
 *
 * @param channel the channel
 * @param epoch the stream's current epoch
 * @param currentSeq the stream's last sequence number (0 when nothing was published in this epoch)
 * @param events events with {@code seq > afterSeq}, in seq order, at most the requested limit
 * @param complete true when history still holds every event after {@code afterSeq} (nothing was trimmed in between)
 */
public record HistoryPage(String channel, String epoch, long currentSeq, List<Event> events, boolean complete) {}
