"""``medialake user``: accounts for the dashboard and the player.

``add NAME --role admin|member|guest`` (the password is asked twice, or read from
``--password-stdin``), ``passwd NAME``, ``role NAME ROLE``, ``remove NAME`` and
``list``; ``token add|list|revoke NAME`` for per-user API tokens. A password
change, a role change and a removal end the user's sessions at once. Passwords are
stored only as Argon2id hashes (:mod:`warehouse.accounts`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from cli.main import console, fail
from medialake.runtime import prepare_environment
from medialake.settings import SettingsError
from warehouse.accounts import ROLES, AccountError
from warehouse.db import Warehouse, WarehouseError

app = typer.Typer(
    help="Users of the dashboard and the player: add, passwd, role, remove, list.",
    no_args_is_help=True,
)
Role = Annotated[str, typer.Option("--role", help="admin, member or guest.")]
FromStdin = Annotated[
    bool,
    typer.Option(
        "--password-stdin", help="Read the password from the first line of stdin."
    ),
]


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))


def _warehouse() -> Warehouse:
    from warehouse.current import warehouse

    try:
        prepare_environment()
        return warehouse()
    except (SettingsError, WarehouseError) as exc:
        raise fail(str(exc)) from None


@app.command()
def add(
    name: Annotated[str, typer.Argument(help="The user name (lower case).")],
    role: Role = "member",
    password_stdin: FromStdin = False,
) -> None:
    """Create a user."""
    from warehouse.accounts import add_user

    if role not in ROLES:
        raise fail(f"role: one of {', '.join(ROLES)}")
    wh = _warehouse()
    try:
        user = add_user(wh, name, _password(password_stdin), role)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print(f"added {escape(user.username)} ({user.role})", highlight=False)


@app.command()
def passwd(
    name: Annotated[str, typer.Argument(help="The user name.")],
    password_stdin: FromStdin = False,
) -> None:
    """Set a new password; the user's open sessions end."""
    from warehouse.accounts import set_password

    wh = _warehouse()
    try:
        set_password(wh, name, _password(password_stdin))
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print("password changed; every session of the user has ended")


@app.command()
def role(
    name: Annotated[str, typer.Argument(help="The user name.")],
    new_role: Annotated[str, typer.Argument(help="admin, member or guest.")],
) -> None:
    """Change a user's role; their open sessions end."""
    from warehouse.accounts import set_role

    wh = _warehouse()
    try:
        set_role(wh, name, new_role)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print(f"{escape(name)} is now {escape(new_role)}", highlight=False)


@app.command()
def remove(name: Annotated[str, typer.Argument(help="The user name.")]) -> None:
    """Remove a user (kept, disabled, for history); their sessions end."""
    from warehouse.accounts import remove_user

    wh = _warehouse()
    try:
        remove_user(wh, name)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print(f"removed {escape(name)}", highlight=False)


@app.command("list")
def list_users_command() -> None:
    """The users, their roles and open sessions."""
    from warehouse.accounts import list_users

    wh = _warehouse()
    try:
        users = list_users(wh)
    except WarehouseError as exc:
        raise fail(str(exc)) from None
    if not users:
        console.print("no users yet: medialake user add NAME --role admin")
        return
    table = Table("user", "role", "created", "open sessions")
    for user in users:
        table.add_row(
            escape(str(user["username"])),
            str(user["role"]),
            f"{user['created_at']:%Y-%m-%d}",
            str(user["open_sessions"]),
        )
    console.print(table)


tokens_app = typer.Typer(
    help="API tokens (Authorization: Bearer) for a phone, Home Assistant, scripts: "
    "add, list, revoke.",
    no_args_is_help=True,
)
app.add_typer(tokens_app, name="token")
UserName = Annotated[str, typer.Argument(help="The user name.")]


@tokens_app.command("add")
def token_add(
    name: UserName,
    label: Annotated[str, typer.Argument(help="What the token is for, e.g. phone.")],
) -> None:
    """Make an API token for a user; it is printed once and never shown again."""
    from warehouse.api_tokens import create_token

    wh = _warehouse()
    try:
        made = create_token(wh, name, label)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print(
        f"token {made.token_id} ({escape(made.name)}) for {escape(name)}; "
        "send it as 'Authorization: Bearer TOKEN'. It is shown only now:",
        highlight=False,
    )
    print(made.token)


@tokens_app.command("list")
def token_list(name: UserName) -> None:
    """A user's API tokens (ids and names, never the secrets)."""
    from warehouse.api_tokens import list_tokens

    wh = _warehouse()
    try:
        found = list_tokens(wh, name)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    if not found:
        console.print(f"no tokens for {escape(name)}", highlight=False)
        return
    table = Table("id", "name", "created")
    for row in found:
        table.add_row(
            row["token_id"], escape(row["name"]), f"{row['created_at']:%Y-%m-%d %H:%M}"
        )
    console.print(table)


@tokens_app.command("revoke")
def token_revoke(
    name: UserName,
    token_id: Annotated[str, typer.Argument(help="The token's id (from list).")],
) -> None:
    """Revoke a user's API token; it stops working within seconds."""
    from warehouse.api_tokens import revoke_token

    wh = _warehouse()
    try:
        revoke_token(wh, name, token_id)
    except (AccountError, WarehouseError) as exc:
        raise fail(str(exc)) from None
    console.print(f"revoked token {escape(token_id)}", highlight=False)


def register(root: typer.Typer) -> None:
    """Add ``medialake user`` to the CLI."""
    root.add_typer(app, name="user")
