"""Community routes: profiles, post edit/delete, collections, likes, comments, reposts,
blocks, mutes, notifications. Wiring only: parse, call one service, map the result."""
from __future__ import annotations

from typing import Any

from chalice import Blueprint, Response

from chalicelib import container
from chalicelib.http import authenticate, body, json_response, query, router

bp = Blueprint(__name__)
route = router(bp)  # type: ignore[arg-type]
PUBLIC = "public, max-age=30, s-maxage=60"
PRIVATE = "private, no-store"


def _body_or_none() -> Any:
    request = bp.current_request
    return body(request) if request.raw_body else None


def _page(service_call: Any, **kwargs: Any) -> dict:
    request = bp.current_request
    return service_call(limit_raw=query(request, "limit"), cursor=query(request, "cursor"), **kwargs)


# -- your profile ---------------------------------------------------------------------------
@route("/v1/me", methods=["GET", "PATCH", "DELETE"])
def me() -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "GET":
        return json_response(container.profiles().me(principal))
    if bp.current_request.method == "DELETE":  # account erasure: asynchronous (202)
        return json_response(container.erasure().request(principal, body(bp.current_request)), 202)
    return json_response(container.profiles().update_me(principal, body(bp.current_request)))


def _profile_image(kind: str) -> Response:
    request = bp.current_request
    principal = authenticate(request)
    if request.method == "DELETE":
        return json_response(container.profile_media().remove(principal, kind))
    container.accounts().ensure_can_post(principal)  # as for posts: a verified e-mail where required
    return json_response(container.profile_media().create(principal, kind, body(request)), 201)


@route("/v1/me/avatar", methods=["POST", "DELETE"])
def avatar() -> Response:
    return _profile_image("avatar")


@route("/v1/me/banner", methods=["POST", "DELETE"])
def banner() -> Response:
    return _profile_image("banner")


@route("/v1/me/portfolio-order", methods=["PUT"])
def portfolio_order() -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.profiles().set_portfolio_order(principal, body(bp.current_request)))


# -- edit / delete your posts ----------------------------------------------------------------
@route("/v1/posts/{post_id}", methods=["PATCH", "DELETE"])
def edit_post(post_id: str) -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "PATCH":
        return json_response(container.posts().edit(principal, post_id, body(bp.current_request)))
    return json_response(container.posts().delete(principal, post_id))


# -- likes, comments, reposts ---------------------------------------------------------------
@route("/v1/posts/{post_id}/like", methods=["POST", "DELETE"])
def like(post_id: str) -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "POST":
        return json_response(container.interactions().like(principal, post_id))
    return json_response(container.interactions().unlike(principal, post_id))


@route("/v1/posts/{post_id}/repost", methods=["POST", "DELETE"])
def repost(post_id: str) -> Response:
    principal = authenticate(bp.current_request, verified=bp.current_request.method == "POST")
    if bp.current_request.method == "POST":
        return json_response(container.interactions().repost(principal, post_id))
    return json_response(container.interactions().unrepost(principal, post_id))


@route("/v1/posts/{post_id}/comments", methods=["GET", "POST"])
def comments(post_id: str) -> Response:
    request = bp.current_request
    if request.method == "POST":
        principal = authenticate(request, verified=True)
        return json_response(container.interactions().comment(principal, post_id, body(request)), 201)
    viewer = authenticate(request, required=False)
    page = _page(container.interactions().comments, post_id=post_id, viewer=viewer)
    return json_response(page, cache_control=PRIVATE if viewer else PUBLIC)


@route("/v1/posts/{post_id}/comments/{comment_id}", methods=["DELETE"])
def delete_comment(post_id: str, comment_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.interactions().delete_comment(principal, post_id, comment_id))


@route("/v1/users/{handle}/likes", methods=["GET"])
def likes_tab(handle: str) -> Response:
    viewer = authenticate(bp.current_request, required=False)
    page = _page(container.interactions().likes_tab, handle=handle, viewer=viewer)
    return json_response(page, cache_control=PRIVATE if viewer else PUBLIC)


# -- blocks and mutes ------------------------------------------------------------------------
@route("/v1/users/{handle}/block", methods=["POST", "DELETE"])
def block(handle: str) -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "POST":
        return json_response(container.relations().block(principal, handle))
    return json_response(container.relations().unblock(principal, handle))


@route("/v1/users/{handle}/mute", methods=["POST", "DELETE"])
def mute(handle: str) -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "POST":
        return json_response(container.relations().mute(principal, handle))
    return json_response(container.relations().unmute(principal, handle))


# -- collections ---------------------------------------------------------------------------
@route("/v1/collections", methods=["POST"])
def create_collection() -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.collections().create(principal, body(bp.current_request)), 201)


@route("/v1/collections/{collection_id}", methods=["PATCH", "DELETE"])
def collection(collection_id: str) -> Response:
    principal = authenticate(bp.current_request)
    if bp.current_request.method == "PATCH":
        return json_response(container.collections().update(principal, collection_id, body(bp.current_request)))
    return json_response(container.collections().delete(principal, collection_id))


@route("/v1/collections/{collection_id}/posts", methods=["GET", "POST"])
def collection_posts(collection_id: str) -> Response:
    request = bp.current_request
    if request.method == "POST":
        principal = authenticate(request)
        return json_response(container.collections().add_post(principal, collection_id, body(request)))
    viewer = authenticate(request, required=False)
    page = _page(container.collections().posts_page, collection_id=collection_id, viewer=viewer)
    return json_response(page, cache_control=PRIVATE if viewer else PUBLIC)


@route("/v1/collections/{collection_id}/posts/{post_id}", methods=["DELETE"])
def remove_collection_post(collection_id: str, post_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.collections().remove_post(principal, collection_id, post_id))


@route("/v1/collections/{collection_id}/order", methods=["PUT"])
def order_collection(collection_id: str) -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.collections().reorder(principal, collection_id, body(bp.current_request)))


@route("/v1/users/{handle}/collections", methods=["GET"])
def user_collections(handle: str) -> Response:
    return json_response(_page(container.collections().by_user, handle=handle), cache_control=PUBLIC)


# -- notifications ---------------------------------------------------------------------------
@route("/v1/notifications", methods=["GET"])
def notifications() -> Response:
    principal = authenticate(bp.current_request)
    return json_response(_page(container.notifications().list, principal=principal))


@route("/v1/notifications/read", methods=["POST"])
def notifications_read() -> Response:
    principal = authenticate(bp.current_request)
    return json_response(container.notifications().mark_read(principal, _body_or_none()))
