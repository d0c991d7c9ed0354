"""The Socket.IO side: connections and client events (``hub``, ``facilitation``), the
handshake gate and malformed frames, limits per address, the WebSocket, and fan-out."""
