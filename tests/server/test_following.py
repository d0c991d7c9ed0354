"""Which room subscriptions are live: a room's messages are delivered only once every
command sent for it is confirmed and the last was a SUBSCRIBE (``server.socket.following``)."""

from __future__ import annotations

from server.socket.following import Following


def test_a_room_is_live_once_its_subscription_is_confirmed() -> None:
    following = Following()
    assert following.plan({"circle"}) == (["circle"], [])
    assert not following.live("circle")
    assert following.confirmed("circle", subscribed=True)  # catch up now
    assert following.live("circle")
    assert following.plan({"circle"}) == ([], [])


def test_messages_between_a_leave_and_a_quick_rejoin_wait_for_the_last_confirmation() -> None:
    """SUBSCRIBE, UNSUBSCRIBE, SUBSCRIBE sent before any confirmation: the first
    confirmation belongs to a subscription already being undone, so the room is live
    (and caught up) only at the third."""
    following = Following()
    following.plan({"circle"})
    following.plan(set())
    following.plan({"circle"})
    assert not following.confirmed("circle", subscribed=True)
    assert not following.live("circle")
    assert not following.confirmed("circle", subscribed=False)
    assert not following.settled("circle")  # subscribed again: not to be forgotten
    assert following.confirmed("circle", subscribed=True)
    assert following.live("circle")


def test_an_unsubscription_confirmed_with_nothing_more_sent_settles_the_room() -> None:
    following = Following()
    following.plan({"circle"})
    following.confirmed("circle", subscribed=True)
    assert following.plan(set()) == ([], ["circle"])
    assert not following.live("circle")  # its messages still on the way are not delivered
    assert not following.settled("circle")
    assert not following.confirmed("circle", subscribed=False)
    assert following.settled("circle")


def test_a_subscription_redis_py_made_again_by_itself_is_caught_up_again() -> None:
    """redis-py resubscribes after reconnecting inside a command: a confirmation nothing
    was sent for makes the room live again, with its catch-up."""
    following = Following()
    following.plan({"circle"})
    following.confirmed("circle", subscribed=True)
    assert following.confirmed("circle", subscribed=True)
    assert following.live("circle")


def test_a_new_connection_subscribes_every_room_wanted_and_none_is_live_yet() -> None:
    following = Following()
    following.plan({"circle"})
    following.confirmed("circle", subscribed=True)
    following.reset({"circle", "other"})
    assert not following.live("circle")
    assert following.plan({"circle", "other"}) == ([], [])
    assert following.confirmed("other", subscribed=True)
    assert following.confirmed("circle", subscribed=True)


def test_a_subscription_a_cluster_ended_by_itself_is_made_again() -> None:
    """A Redis Cluster ends the shard channels of a slot that moved to another shard: an
    unsubscription nobody sent. The room is wanted still: it is subscribed again, and its
    confirmation makes it live with its catch-up. Our own unsubscription is no such drop."""
    following = Following()
    following.plan({"circle"})
    following.confirmed("circle", subscribed=True)
    assert following.dropped("circle")
    assert not following.live("circle")
    assert following.plan({"circle"}) == (["circle"], [])
    assert following.confirmed("circle", subscribed=True)
    assert following.live("circle")
    following.plan(set())
    assert not following.dropped("circle")  # the confirmation of our own SUNSUBSCRIBE
