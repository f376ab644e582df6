#!/usr/bin/env python3
"""Drive Microsoft's Graph SDK for Python (msgraph-sdk, unmodified) against a running TesseraEmulator's /v1.0.

The SDK is configured only as its documentation allows: a GraphRequestAdapter whose base_url is <emulator>/v1.0; an
AzureIdentityAuthenticationProvider(credential, scopes=[".../.default"], allowed_hosts=[<emulator host>]) (without
allowed_hosts it attaches no token to a host that is not Graph's); an httpx.AsyncClient(verify=<ca.pem>,
trust_env=False) passed through GraphClientFactory.create_with_default_middleware (httpx does not read
REQUESTS_CA_BUNDLE). The credential is azure-identity's async ClientSecretCredential.

Cases run in order in one process and share the directory (the user one case creates, the next reads). Prints one
JSON line per case ({"case", "ok", "detail"}), then {"summary": {"passed", "failed"}}; exits 0 only if every case
passed. Secrets and tokens are never printed. Needs Python 3.11 and Scripts/requirements.txt.
"""
import argparse
import asyncio
import json
import sys
import urllib.parse

import httpx
from azure.identity.aio import ClientSecretCredential
from kiota_abstractions.base_request_configuration import RequestConfiguration
from kiota_authentication_azure.azure_identity_authentication_provider import AzureIdentityAuthenticationProvider
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.models.group import Group
from msgraph.generated.models.o_data_errors.o_data_error import ODataError
from msgraph.generated.models.password_profile import PasswordProfile
from msgraph.generated.models.reference_create import ReferenceCreate
from msgraph.generated.models.user import User
from msgraph.generated.users.item.user_item_request_builder import UserItemRequestBuilder
from msgraph.generated.users.users_request_builder import UsersRequestBuilder
from msgraph_core import GraphClientFactory

A = argparse.Namespace()  # the command line, filled in by main()
STATE = {}  # what one case leaves for the next: the created user's and group's IDs
SCOPE = "https://graph.microsoft.com/.default"
NEW_UPN = "provisioned.user@{domain}"


class CaseFailed(Exception):
    pass


def fail(message):
    raise CaseFailed(message) from None


def expect(condition, message):
    if not condition:
        fail(message)


class Graph:
    """One app's GraphServiceClient over the emulator, built the documented way; close() releases it."""

    def __init__(self, client_id, secret):
        self.credential = ClientSecretCredential(A.tenant, client_id, secret, authority=A.base_url,
                                                 disable_instance_discovery=True, connection_verify=A.ca_file)
        host = urllib.parse.urlsplit(A.base_url).hostname
        auth = AzureIdentityAuthenticationProvider(self.credential, scopes=[SCOPE], allowed_hosts=[host])
        self.http = GraphClientFactory.create_with_default_middleware(
            client=httpx.AsyncClient(verify=A.ca_file, trust_env=False, timeout=30))
        adapter = GraphRequestAdapter(auth, client=self.http)
        adapter.base_url = f"{A.base_url}/v1.0"
        self.client = GraphServiceClient(request_adapter=adapter)

    async def close(self):
        await self.http.aclose()
        await self.credential.close()


def users_query(eventual=False, **options):
    """A request configuration for GET /users with these query options (and ConsistencyLevel: eventual)."""
    query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(**options)
    configuration = RequestConfiguration(query_parameters=query)
    if eventual:
        configuration.headers.add("ConsistencyLevel", "eventual")
    return configuration


def user_query(*select):
    query = UserItemRequestBuilder.UserItemRequestBuilderGetQueryParameters(select=list(select))
    return RequestConfiguration(query_parameters=query)


async def expect_error(awaitable, status, code, text=None):
    """Awaits a call that must fail with Graph's error `code` and HTTP `status`, decoded by the SDK as ODataError."""
    try:
        await awaitable
    except ODataError as error:
        got = error.error.code if error.error else None
        message = (error.error.message if error.error else "") or ""
        if error.response_status_code != status or got != code:
            fail(f"expected {status} {code}, got {error.response_status_code} {got}: {message[:200]}")
        if text and text not in message:
            fail(f"expected {text!r} in the message, got {message[:200]!r}")
        return f"ODataError {status} {code}: {message[:120]}"
    fail(f"expected {status} {code}, got success")


def ids(collection):
    return [item.id for item in (collection.value or [])]


async def list_and_page(graph):
    page = await graph.client.users.get(users_query(top=2))
    seen, pages = ids(page), 1
    while page.odata_next_link and pages < 20:
        expect(urllib.parse.urlsplit(page.odata_next_link).hostname == urllib.parse.urlsplit(A.base_url).hostname,
               f"nextLink on another host: {page.odata_next_link}")
        page = await graph.client.users.with_url(page.odata_next_link).get()
        seen, pages = seen + ids(page), pages + 1
    expect(len(seen) == A.expected_users and len(set(seen)) == len(seen), f"users over the pages: {seen}")
    expect(pages == (A.expected_users + 1) // 2, f"{pages} pages of 2 for {A.expected_users} users")
    return f"{len(seen)} users in {pages} pages of $top=2"


async def get_by_id(graph):
    user = await graph.client.users.by_user_id("u1").get()
    expect(user.display_name == "Adele Vance", f"u1 is {user.display_name!r}")
    return f"u1 = {user.user_principal_name}"


async def get_by_upn(graph):
    user = await graph.client.users.by_user_id(f"adele@{A.domain}").get()  # sent as adele%40…
    expect(user.id == "u1", f"adele@{A.domain} is {user.id!r}")
    return f"adele@{A.domain} = {user.id}"


async def get_guest_by_upn(graph):
    user = await graph.client.users.by_user_id(A.guest_upn).get(user_query("id", "userType"))  # #EXT# as %23EXT%23
    expect(user.id == "u4" and user.user_type == "Guest", f"{A.guest_upn} is {user.id!r} ({user.user_type!r})")
    return f"{A.guest_upn} = {user.id}, {user.user_type}"


def new_user():
    return User(account_enabled=True, display_name="Provisioned User", mail_nickname="provisioned.user",
                user_principal_name=NEW_UPN.format(domain=A.domain),
                password_profile=PasswordProfile(password="Pa55-word-graph!", force_change_password_next_sign_in=True))


async def create_user(graph):
    created = await graph.client.users.post(new_user())
    expect(created and created.id and created.user_principal_name == NEW_UPN.format(domain=A.domain),
           f"created {created}")
    STATE["user"] = created.id
    return f"201 {created.id}"


async def read_back_user(graph):
    user = await graph.client.users.by_user_id(STATE["user"]).get(
        user_query("id", "displayName", "accountEnabled", "userPrincipalName"))
    expect(user.display_name == "Provisioned User" and user.account_enabled is True, f"read back {user}")
    return f"{user.user_principal_name} accountEnabled={user.account_enabled}"


async def update_user(graph):
    await graph.client.users.by_user_id(STATE["user"]).patch(User(job_title="Operator", account_enabled=False))
    user = await graph.client.users.by_user_id(STATE["user"]).get(user_query("jobTitle", "accountEnabled"))
    expect(user.job_title == "Operator" and user.account_enabled is False, f"after PATCH: {user}")
    return "204; jobTitle=Operator accountEnabled=False"


async def duplicate_upn(graph):
    return await expect_error(graph.client.users.post(new_user()), 400, "Request_BadRequest",
                              "Another object with the same value for property userPrincipalName already exists.")


async def create_group(graph):
    group = await graph.client.groups.post(Group(display_name="Provisioned", mail_enabled=False,
                                                  mail_nickname="provisioned", security_enabled=True))
    expect(group and group.id and group.security_enabled is True, f"created {group}")
    STATE["group"] = group.id
    return f"201 {group.id}"


async def add_member(graph):
    reference = ReferenceCreate(odata_id=f"https://graph.microsoft.com/v1.0/directoryObjects/{STATE['user']}")
    await graph.client.groups.by_group_id(STATE["group"]).members.ref.post(reference)
    return f"204 {STATE['user']} added"


async def list_members(graph):
    members = await graph.client.groups.by_group_id(STATE["group"]).members.get()
    expect([(type(m).__name__, m.id) for m in members.value or []] == [("User", STATE["user"])],
           f"members: {[(type(m).__name__, m.id) for m in members.value or []]}")
    return "members = [User] (from @odata.type)"


async def list_member_of(graph):
    groups = await graph.client.users.by_user_id(STATE["user"]).member_of.get()
    expect([(type(g).__name__, g.id) for g in groups.value or []] == [("Group", STATE["group"])],
           f"memberOf: {[(type(g).__name__, g.id) for g in groups.value or []]}")
    return "memberOf = [Group] (from @odata.type)"


async def remove_member(graph):
    members = graph.client.groups.by_group_id(STATE["group"]).members
    await members.by_directory_object_id(STATE["user"]).ref.delete()
    left = await members.get()
    expect(not left.value, f"members after removal: {ids(left)}")
    return "204; no members left"


async def delete_user(graph):
    await graph.client.users.by_user_id(STATE["user"]).delete()
    return await expect_error(graph.client.users.by_user_id(STATE["user"]).get(), 404, "Request_ResourceNotFound")


async def forbidden_without_write_role(reader):
    return await expect_error(reader.client.users.post(new_user()), 403, "Authorization_RequestDenied",
                              "Insufficient privileges to complete the operation.")


async def filter_users(graph):
    page = await graph.client.users.get(users_query(filter="startswith(displayName,'A')"))
    expect(ids(page) == ["u1", "u2"], f"startswith(displayName,'A'): {ids(page)}")
    page = await graph.client.users.get(users_query(filter="accountEnabled eq false"))
    expect(ids(page) == ["u3"], f"accountEnabled eq false: {ids(page)}")
    return "startswith → u1, u2; accountEnabled eq false → u3"


async def select_users(graph):
    page = await graph.client.users.get(users_query(select=["displayName"]))
    users = page.value or []
    expect(users and all(u.display_name and u.user_principal_name is None and u.id is None for u in users),
           f"$select=displayName: {[(u.id, u.display_name, u.user_principal_name) for u in users]}")
    return f"{len(users)} users with displayName only"


async def count_with_consistency_level(graph):
    page = await graph.client.users.get(users_query(eventual=True, count=True))
    expect(page.odata_count == A.expected_users, f"@odata.count = {page.odata_count}")
    header = RequestConfiguration()
    header.headers.add("ConsistencyLevel", "eventual")
    counted = await graph.client.users.count.get(header)
    expect(counted == A.expected_users, f"/users/$count = {counted}")
    return f"@odata.count = {page.odata_count}, /users/$count = {counted}"


async def count_without_consistency_level(graph):
    return await expect_error(graph.client.users.get(users_query(count=True)), 400, "Request_UnsupportedQuery")


async def advanced_filter_with_consistency_level(graph):
    page = await graph.client.users.get(users_query(eventual=True, count=True, filter="accountEnabled ne true"))
    expect(ids(page) == ["u3"] and page.odata_count == 1, f"ne: {ids(page)} count {page.odata_count}")
    return "accountEnabled ne true → u3 (count 1)"


async def advanced_filter_without_consistency_level(graph):
    return await expect_error(graph.client.users.get(users_query(filter="accountEnabled ne true")), 400,
                              "Request_UnsupportedQuery")


async def unknown_segment(graph):
    return await expect_error(graph.client.users.with_url(f"{A.base_url}/v1.0/usrs").get(), 400, "BadRequest",
                              "Resource not found for the segment 'usrs'.")


CASES = [  # name, runner, which client ("writer" or "reader")
    ("list_and_page", list_and_page, "writer"),
    ("get_by_id", get_by_id, "writer"),
    ("get_by_upn", get_by_upn, "writer"),
    ("get_guest_by_upn", get_guest_by_upn, "writer"),
    ("create_user", create_user, "writer"),
    ("read_back_user", read_back_user, "writer"),
    ("update_user", update_user, "writer"),
    ("duplicate_upn", duplicate_upn, "writer"),
    ("create_group", create_group, "writer"),
    ("add_member", add_member, "writer"),
    ("list_members", list_members, "writer"),
    ("list_member_of", list_member_of, "writer"),
    ("remove_member", remove_member, "writer"),
    ("delete_user", delete_user, "writer"),
    ("forbidden_without_write_role", forbidden_without_write_role, "reader"),
    ("filter", filter_users, "writer"),
    ("select", select_users, "writer"),
    ("count_with_consistency_level", count_with_consistency_level, "writer"),
    ("count_without_consistency_level", count_without_consistency_level, "writer"),
    ("advanced_filter_with_consistency_level", advanced_filter_with_consistency_level, "writer"),
    ("advanced_filter_without_consistency_level", advanced_filter_without_consistency_level, "writer"),
    ("unknown_segment", unknown_segment, "writer"),
]


def describe(error):
    texts, seen = [], set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        texts.append(f"{type(error).__name__}: {error}")
        error = error.__cause__ or (None if error.__suppress_context__ else error.__context__)
    return " <- ".join(texts)


def redact(text):
    for secret in (A.secret, A.reader_secret):
        text = text.replace(secret, "***")
    return text[:600]


async def run():
    clients = {"writer": Graph(A.client_id, A.secret), "reader": Graph(A.reader_client_id, A.reader_secret)}
    passed = failed = 0
    try:
        for name, runner, who in CASES:
            try:
                ok, detail = True, await runner(clients[who])
            except Exception as error:  # one case's failure must not stop the others
                ok, detail = False, str(error) if isinstance(error, CaseFailed) else describe(error)
            passed, failed = passed + ok, failed + (not ok)
            line = json.dumps({"case": name, "ok": ok, "detail": redact(str(detail))})
            print(line, flush=True)
            if not ok:
                print(line, file=sys.stderr, flush=True)  # a failed run's stderr is what its caller reports
    finally:
        for client in clients.values():
            await client.close()
    print(json.dumps({"summary": {"passed": passed, "failed": failed}}), flush=True)
    return 0 if failed == 0 else 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name in ("base-url", "ca-file", "tenant", "domain", "client-id", "secret", "reader-client-id", "reader-secret",
                 "guest-upn"):
        parser.add_argument("--" + name, required=True)
    parser.add_argument("--expected-users", type=int, required=True)
    parser.parse_args(namespace=A)
    A.base_url = A.base_url.rstrip("/")
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
