'use strict';
// The HTTP half of the peer contract, shared by ws-server.js and socketio-server.js:
//   POST /publish   {"user":"<id>","event":{...}}  -> the user's sockets    -> 200 {"delivered":n}
//   POST /broadcast {"event":{...}}                -> every socket          -> 200 {"delivered":n}
//   GET  /health                                   -> 200 {"status":"UP"}
//   GET  /stats[?gc=1]                             -> connections, heapUsed and rss (after global.gc() with gc=1;
//                                                     start node with --expose-gc)
const http = require('http');

const MAX_BODY = 1 << 20;

function send(res, status, body) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function readJson(req, res, handle) {
  const chunks = [];
  let size = 0;
  req.on('data', (c) => {
    size += c.length;
    if (size > MAX_BODY) {
      send(res, 413, { error: 'body too large' });
      req.destroy();
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    let body;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (e) {
      send(res, 400, { error: 'malformed JSON' });
      return;
    }
    if (!body || typeof body !== 'object' || !body.event || typeof body.event !== 'object') {
      send(res, 400, { error: "'event' must be an object" });
      return;
    }
    handle(body);
  });
}

/**
 * @param {{publish: (user: string, event: object) => number, broadcast: (event: object) => number,
 *          connections: () => number}} peer
 */
function createHttpServer(peer) {
  const server = http.createServer((req, res) => {
    const path = req.url.split('?')[0];
    if (req.method === 'POST' && path === '/publish') {
      readJson(req, res, (body) => {
        if (typeof body.user !== 'string' || body.user === '') {
          send(res, 400, { error: "'user' must be a non-empty string" });
          return;
        }
        send(res, 200, { delivered: peer.publish(body.user, body.event) });
      });
    } else if (req.method === 'POST' && path === '/broadcast') {
      readJson(req, res, (body) => send(res, 200, { delivered: peer.broadcast(body.event) }));
    } else if (req.method === 'GET' && path === '/health') {
      send(res, 200, { status: 'UP' });
    } else if (req.method === 'GET' && path === '/stats') {
      if (req.url.includes('gc=1') && typeof global.gc === 'function') {
        global.gc();
        global.gc();
      }
      const m = process.memoryUsage();
      send(res, 200, { connections: peer.connections(), heapUsed: m.heapUsed, rss: m.rss, external: m.external });
    } else {
      send(res, 404, { error: 'no route' });
    }
  });
  // Publishers keep their connections open between bursts (the default closes them after 5 s idle).
  server.keepAliveTimeout = 0;
  server.requestTimeout = 0;
  return server;
}

function listen(server, name) {
  const host = process.env.HOST || '127.0.0.1';
  const port = Number(process.env.PORT || 8090);
  server.listen(port, host, () => console.log(`${name} peer listening on http://${host}:${port}`));
  const stop = () => {
    console.log(`${name} peer stopping`);
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

module.exports = { createHttpServer, listen };
