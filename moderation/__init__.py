"""Facilitator moderation rules (pure domain code; see docs/facilitators.md)."""
