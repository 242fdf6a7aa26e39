"""Direct messages: one conversation per pair, requests folder for people you do not follow,
blocks in either direction (also in a conversation that existed before the block), read
markers, and nobody but the two participants can see a conversation."""
from __future__ import annotations

from tests.helpers import call, signup
from tests.social_helpers import block


def _start(client, user, handle):
    return call(client, "POST", "/v1/conversations", {"handle": handle}, token=user["access_token"])


def _send(client, user, conv_id, text):
    return call(client, "POST", f"/v1/conversations/{conv_id}/messages", {"text": text}, token=user["access_token"])


def _inbox(client, user):
    status, body, headers = call(client, "GET", "/v1/conversations", token=user["access_token"])
    assert status == 200, body
    assert headers["cache-control"] == "private, no-store"
    return body["items"]


def test_one_conversation_per_pair_whoever_starts_it(client):
    ada, bob = signup(client), signup(client)
    status, conv, _ = _start(client, ada, bob["handle"])
    assert status == 201 and conv["with"]["handle"] == bob["handle"] and conv["request"] is False
    status, again, _ = _start(client, ada, bob["handle"].upper())
    assert status == 200 and again["id"] == conv["id"]
    status, reverse, _ = _start(client, bob, ada["handle"])
    assert status == 200 and reverse["id"] == conv["id"] and reverse["with"]["handle"] == ada["handle"]


def test_message_from_a_stranger_lands_in_requests_until_answered(client):
    ada, bob = signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    status, msg, headers = _send(client, ada, conv["id"], "Hello, love your linework")
    assert status == 201 and msg["text"] == "Hello, love your linework" and msg["sender_id"] == ada["id"]
    assert headers["cache-control"] == "private, no-store"

    [row] = _inbox(client, bob)
    assert row["id"] == conv["id"] and row["request"] is True and row["unread"] is True
    assert row["last_message"]["preview"] == "Hello, love your linework"
    # Readable while in requests.
    status, page, _ = call(client, "GET", f"/v1/conversations/{conv['id']}/messages", token=bob["access_token"])
    assert status == 200 and [m["text"] for m in page["items"]] == ["Hello, love your linework"]
    assert _inbox(client, ada)[0]["request"] is False

    _send(client, bob, conv["id"], "Thank you!")  # answering accepts
    [row] = _inbox(client, bob)
    assert row["request"] is False and row["unread"] is False
    _send(client, ada, conv["id"], "Commission open?")
    assert _inbox(client, bob)[0]["request"] is False  # stays accepted


def test_accept_moves_a_request_to_the_inbox(client):
    ada, bob = signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    _send(client, ada, conv["id"], "hi")
    status, row, _ = call(client, "POST", f"/v1/conversations/{conv['id']}/accept", token=bob["access_token"])
    assert status == 200 and row["request"] is False
    assert _inbox(client, bob)[0]["request"] is False


def test_a_message_from_someone_you_follow_is_not_a_request(client):
    ada, bob = signup(client), signup(client)
    assert call(client, "POST", f"/v1/users/{ada['handle']}/follow", token=bob["access_token"])[0] == 200
    _, conv, _ = _start(client, ada, bob["handle"])
    _send(client, ada, conv["id"], "hi")
    assert _inbox(client, bob)[0]["request"] is False


def test_inbox_is_newest_activity_first_and_read_markers_clear_unread(client):
    me, a, b = signup(client), signup(client), signup(client)
    _, with_a, _ = _start(client, a, me["handle"])
    _, with_b, _ = _start(client, b, me["handle"])
    _send(client, a, with_a["id"], "first")
    _send(client, b, with_b["id"], "second")
    assert [r["id"] for r in _inbox(client, me)] == [with_b["id"], with_a["id"]]
    _send(client, a, with_a["id"], "third")
    rows = _inbox(client, me)
    assert [r["id"] for r in rows] == [with_a["id"], with_b["id"]]
    assert all(r["unread"] for r in rows)
    status, row, _ = call(client, "POST", f"/v1/conversations/{with_a['id']}/read", token=me["access_token"])
    assert status == 200 and row["unread"] is False
    assert {r["id"]: r["unread"] for r in _inbox(client, me)} == {with_a["id"]: False, with_b["id"]: True}


def test_messages_page_newest_first_with_a_cursor(client):
    ada, bob = signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    for i in range(5):
        _send(client, ada, conv["id"], f"m{i}")
    path = f"/v1/conversations/{conv['id']}/messages"
    _, page, _ = call(client, "GET", path + "?limit=3", token=ada["access_token"])
    assert [m["text"] for m in page["items"]] == ["m4", "m3", "m2"]
    _, page2, _ = call(client, "GET", path + f"?limit=3&cursor={page['next_cursor']}", token=bob["access_token"])
    assert [m["text"] for m in page2["items"]] == ["m1", "m0"] and page2["next_cursor"] is None


def test_only_the_two_participants_can_see_a_conversation(client):
    ada, bob, eve = signup(client), signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    _send(client, ada, conv["id"], "private")
    for method, suffix, payload in (("GET", "messages", None), ("POST", "messages", {"text": "hi"}),
                                    ("POST", "read", None), ("POST", "accept", None)):
        status, body, _ = call(client, method, f"/v1/conversations/{conv['id']}/{suffix}", payload,
                               token=eve["access_token"])
        assert status == 404 and body["error"]["code"] == "not_found", (suffix, body)
    assert _inbox(client, eve) == []
    status, _, _ = call(client, "GET", f"/v1/conversations/{conv['id']}/messages")
    assert status == 401
    status, body, _ = call(client, "GET", "/v1/conversations/not-an-id/messages", token=ada["access_token"])
    assert status == 404


def test_blocks_stop_messages_both_ways_also_in_an_existing_conversation(client):
    ada, bob, cy = signup(client), signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    assert _send(client, ada, conv["id"], "before")[0] == 201
    block(bob["id"], ada["id"])  # bob blocks ada
    for sender in (ada, bob):
        status, body, _ = _send(client, sender, conv["id"], "after")
        assert status == 403 and body["error"]["code"] == "blocked"
    status, body, _ = _start(client, ada, bob["handle"])
    assert status == 403 and body["error"]["code"] == "blocked"
    block(cy["id"], ada["id"])
    status, body, _ = _start(client, cy, ada["handle"])  # the blocker cannot start one either
    assert status == 403
    # History stays readable.
    status, page, _ = call(client, "GET", f"/v1/conversations/{conv['id']}/messages", token=bob["access_token"])
    assert status == 200 and [m["text"] for m in page["items"]] == ["before"]


def test_validation_names_the_field(client):
    ada, bob = signup(client), signup(client)
    status, body, _ = _start(client, ada, ada["handle"])
    assert status == 400 and body["error"]["field"] == "handle"
    status, body, _ = _start(client, ada, "nobody_" + "x" * 10)
    assert status == 404
    _, conv, _ = _start(client, ada, bob["handle"])
    for payload in ({"text": ""}, {"text": "x" * 2001}, {"text": 5}, {}):
        status, body, _ = call(client, "POST", f"/v1/conversations/{conv['id']}/messages", payload,
                               token=ada["access_token"])
        assert status == 400 and body["error"]["field"] == "text", payload


def _message_notes(client, user):
    status, body, _ = call(client, "GET", "/v1/notifications?limit=50", token=user["access_token"])
    assert status == 200, body
    return [n for n in body["items"] if n["kind"] == "message"]


def _note_text(client, user, note):
    """The text of the message a notification points at (notifications carry no copy of it)."""
    cid = note["data"]["conversation_id"]
    status, page, _ = call(client, "GET", f"/v1/conversations/{cid}/messages?limit=50", token=user["access_token"])
    assert status == 200, page
    return next(m["text"] for m in page["items"] if m["id"] == note["data"]["message_id"])


def test_a_message_from_someone_you_follow_notifies_you_once(client):
    ada, bob = signup(client), signup(client)
    assert call(client, "POST", f"/v1/users/{ada['handle']}/follow", token=bob["access_token"])[0] == 200
    _, conv, _ = _start(client, ada, bob["handle"])
    long_text = "Would you take a commission? " + "x" * 200
    assert _send(client, ada, conv["id"], long_text)[0] == 201
    [note] = _message_notes(client, bob)
    assert note["actor"] == {"id": ada["id"], "handle": ada["handle"]} and note["post_id"] is None
    assert set(note["data"]) == {"conversation_id", "message_id"} and note["data"]["conversation_id"] == conv["id"]
    assert _note_text(client, bob, note) == long_text
    assert note["read"] is False
    assert _message_notes(client, ada) == []  # the sender is not notified of their own message
    _send(client, ada, conv["id"], "second")  # one notification per message (not coalesced)
    assert [_note_text(client, bob, n) for n in _message_notes(client, bob)] == ["second", long_text]


def test_a_request_is_readable_but_not_notified_until_accepted_or_answered(client):
    ada, bob, cy = signup(client), signup(client), signup(client)
    _, conv, _ = _start(client, ada, bob["handle"])
    _send(client, ada, conv["id"], "hello stranger")
    _send(client, ada, conv["id"], "still there?")
    assert _inbox(client, bob)[0]["request"] is True
    assert _message_notes(client, bob) == []
    call(client, "POST", f"/v1/conversations/{conv['id']}/accept", token=bob["access_token"])
    _send(client, ada, conv["id"], "thanks for accepting")
    assert [_note_text(client, bob, n) for n in _message_notes(client, bob)] == ["thanks for accepting"]

    # Answering a request accepts it too; the original sender (who started it) is notified of the reply.
    _, conv2, _ = _start(client, cy, bob["handle"])
    _send(client, cy, conv2["id"], "hi from cy")
    assert [_note_text(client, bob, n) for n in _message_notes(client, bob)] == ["thanks for accepting"]
    _send(client, bob, conv2["id"], "hi cy")
    assert [_note_text(client, cy, n) for n in _message_notes(client, cy)] == ["hi cy"]
    _send(client, cy, conv2["id"], "now you hear me")
    assert [_note_text(client, bob, n) for n in _message_notes(client, bob)][0] == "now you hear me"


def test_a_blocked_sender_notifies_nobody(client):
    ada, bob = signup(client), signup(client)
    assert call(client, "POST", f"/v1/users/{ada['handle']}/follow", token=bob["access_token"])[0] == 200
    _, conv, _ = _start(client, ada, bob["handle"])
    _send(client, ada, conv["id"], "before")
    assert len(_message_notes(client, bob)) == 1
    block(bob["id"], ada["id"])
    assert _send(client, ada, conv["id"], "after the block")[0] == 403
    assert [_note_text(client, bob, n) for n in _message_notes(client, bob)] == ["before"]
