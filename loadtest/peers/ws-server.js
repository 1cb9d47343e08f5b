'use strict';
// Bench peer on the `ws` package: WebSocket /ws?user=<id> (no auth), JSON text frames, protocol-level
// ping every 30 s (a socket that missed the previous pong is terminated), the HTTP contract of common.js.
const { WebSocketServer, WebSocket } = require('ws');
const { createHttpServer, listen } = require('./common');

const HEARTBEAT_MS = Number(process.env.HEARTBEAT_MS || 30000);
const byUser = new Map(); // user -> Set<WebSocket>

const peer = {
  publish(user, event) {
    const sockets = byUser.get(user);
    if (!sockets) return 0;
    const data = Buffer.from(JSON.stringify(event));
    let n = 0;
    for (const ws of sockets) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(data, { binary: false });
        n++;
      }
    }
    return n;
  },
  broadcast(event) {
    const data = Buffer.from(JSON.stringify(event));
    let n = 0;
    for (const ws of wss.clients) {
      if (ws.readyState === WebSocket.OPEN) {
        ws.send(data, { binary: false });
        n++;
      }
    }
    return n;
  },
  connections: () => wss.clients.size,
};

const server = createHttpServer(peer);
const wss = new WebSocketServer({ server, path: '/ws', perMessageDeflate: false, clientTracking: true });

wss.on('connection', (ws, req) => {
  const user = new URL(req.url, 'http://localhost').searchParams.get('user');
  if (!user) {
    ws.close(4400, 'user required');
    return;
  }
  let sockets = byUser.get(user);
  if (!sockets) {
    sockets = new Set();
    byUser.set(user, sockets);
  }
  sockets.add(ws);
  ws.isAlive = true;
  ws.on('pong', () => {
    ws.isAlive = true;
  });
  ws.on('message', () => {
    ws.isAlive = true;
  });
  ws.on('error', () => {});
  ws.on('close', () => {
    sockets.delete(ws);
    if (sockets.size === 0) byUser.delete(user);
  });
});

setInterval(() => {
  for (const ws of wss.clients) {
    if (!ws.isAlive) {
      ws.terminate();
      continue;
    }
    ws.isAlive = false;
    ws.ping();
  }
}, HEARTBEAT_MS);

listen(server, 'ws');
