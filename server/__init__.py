"""Hearth's adapters: Socket.IO, HTTP and Redis around the room domain."""
