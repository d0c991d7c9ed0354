"""Hearth's room domain: who is in a room, what they said, whose hand is up.

Pure rules with no transport: values in, values and domain events out, ``now`` passed in.
"""
