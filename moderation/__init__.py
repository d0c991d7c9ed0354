"""Facilitator moderation: the rules that keep a support group safe.

Pure domain code like ``rooms``: values in, a ``Change`` (and an audit entry) out, ``now``
passed in. Every rule here runs inside ``store.apply``, so what it refuses is refused on
every server process at once. See ``docs/facilitators.md`` for the guide in plain words.
"""
