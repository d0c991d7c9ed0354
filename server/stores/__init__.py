"""The two ``RoomStore`` implementations: in memory (one process) and Redis (many)."""
