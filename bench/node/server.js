// The Node reference for bench/fanout.py and bench/spread.py: socket.io 4 doing what
// bench/reference_server.py does. On "room:join" the connection enters the room it names
// and is acked; on "chat:send" the server emits "chat:message" to that room with the
// payload shape Hearth sends. With --redis, @socket.io/redis-adapter shares the rooms
// between processes; with --sharded too, its sharded adapter (SPUBLISH/SSUBSCRIBE, a
// channel per room), on one Redis or, for a redis+cluster:// URL, on a Redis Cluster.
//
//   node bench/node/server.js --port 9000 [--redis redis://127.0.0.1:6379/0 [--sharded]]
"use strict";

const http = require("node:http");
const { Server } = require("socket.io");

function option(name) {
  const at = process.argv.indexOf(name);
  return at >= 0 ? process.argv[at + 1] : undefined;
}

const ROOM = "room:bench";

async function main() {
  const port = Number(option("--port"));
  const redisUrl = option("--redis");
  const httpServer = http.createServer();
  const io = new Server(httpServer, { transports: ["websocket", "polling"] });
  const closers = [];
  if (redisUrl) {
    const { createClient, createCluster } = require("redis");
    const { createAdapter, createShardedAdapter } = require("@socket.io/redis-adapter");
    const cluster = redisUrl.startsWith("redis+cluster://");
    const pub = cluster
      ? createCluster({ rootNodes: [{ url: redisUrl.replace("redis+cluster://", "redis://") }] })
      : createClient({ url: redisUrl });
    const sub = pub.duplicate();
    await Promise.all([pub.connect(), sub.connect()]);
    const sharded = process.argv.includes("--sharded") || cluster;
    io.adapter(sharded ? createShardedAdapter(pub, sub) : createAdapter(pub, sub));
    closers.push(() => pub.quit(), () => sub.quit());
  }
  let seq = 0;
  io.on("connection", (socket) => {
    socket.on("room:join", (data, ack) => {
      socket.data.room = data && typeof data.room === "string" ? `room:${data.room}` : ROOM;
      socket.join(socket.data.room);
      if (typeof ack === "function") ack({ ok: true });
    });
    socket.on("chat:send", (data, ack) => {
      seq += 1;
      const message = {
        id: seq,
        from: socket.id,
        name: "Sender",
        text: String(data.text).trim(),
        sent_at: Date.now(),
      };
      const room = socket.data.room ?? ROOM;
      io.to(room).emit("chat:message", { room: room.slice("room:".length), seq, message });
      if (typeof ack === "function") ack({ ok: true, message });
    });
  });
  const stop = async () => {
    io.close();
    await Promise.allSettled(closers.map((close) => close()));
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  httpServer.listen(port, "127.0.0.1");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
