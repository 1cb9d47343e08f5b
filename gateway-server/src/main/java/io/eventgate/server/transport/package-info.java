/**
 * The Netty transport: HTTP routing, the WebSocket upgrade and session handler, delivery lanes.
 *
 * <h2>Threading rules</h2>
 * <ul>
 *   <li>Only a channel's event loop touches that channel and its core {@link io.eventgate.core.hub.Connection}.
 *       Each event loop is one {@link io.eventgate.server.transport.EventLoopLane}.</li>
 *   <li>A fan-out is one task per lane per drained batch, never one task per recipient: the lane encodes the
 *       WebSocket frame once, writes a retained duplicate to every recipient and flushes each recipient once per
 *       drain task (write coalescing); a drain task handles at most 2,048 recipients, then yields to I/O.</li>
 *   <li>Nothing blocks an event loop: no JDBC, no synchronous Redis call, no sleeping. Blocking work runs on
 *       other threads and hops back with {@code eventLoop().execute}.</li>
 *   <li>One heartbeat sweep per lane (a periodic task on the loop) replaces per-connection timers.</li>
 * </ul>
 *
 * <h2>Buffer ownership</h2>
 * A lane's shared frame buffer is owned by the lane for the duration of one batch; each recipient gets a
 * {@code retainedDuplicate()} that the channel's outbound path releases after writing.
 */
package io.eventgate.server.transport;
