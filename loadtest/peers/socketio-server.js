'use strict';
// Bench peer on Socket.IO 4: Engine.IO v4 over WebSocket only (/socket.io/?EIO=4&transport=websocket&user=<id>),
// each socket in room "user:<id>", events emitted as 42["<event.type>",{...}], Engine.IO heartbeat (ping every
// 25 s), the HTTP contract of common.js.
const { Server } = require('socket.io');
const { createHttpServer, listen } = require('./common');

const peer = {
  publish(user, event) {
    const room = 'user:' + user;
    const n = io.sockets.adapter.rooms.get(room)?.size || 0;
    if (n > 0) io.to(room).emit(event.type || 'event', event);
    return n;
  },
  broadcast(event) {
    io.emit(event.type || 'event', event);
    return io.engine.clientsCount;
  },
  connections: () => io.engine.clientsCount,
};

const server = createHttpServer(peer);
const io = new Server(server, {
  transports: ['websocket'],
  perMessageDeflate: false,
  httpCompression: false,
  serveClient: false,
  pingInterval: Number(process.env.PING_INTERVAL_MS || 25000),
  pingTimeout: 20000,
});

io.on('connection', (socket) => {
  const user = socket.handshake.query.user;
  if (!user) {
    socket.disconnect(true);
    return;
  }
  socket.join('user:' + user);
});

listen(server, 'socketio');
