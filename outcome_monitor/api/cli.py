"""``flask api-token create``: issue a personal access token and print it once."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from outcome_monitor.models import TokenScope
from outcome_monitor.models.types import utcnow
from outcome_monitor.services import ServiceError, api_tokens

api_token_cli = AppGroup("api-token", help="Personal access tokens for the REST API.")


@api_token_cli.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option(
    "--expires-days",
    type=click.IntRange(1, api_tokens.MAX_EXPIRES_DAYS),
    default=api_tokens.DEFAULT_EXPIRES_DAYS,
    show_default=True,
)
@click.option(
    "--scope",
    type=click.Choice([s.value for s in TokenScope]),
    default=TokenScope.READ.value,
    show_default=True,
    help="read: look only; read-write: also record scores and acknowledge alerts.",
)
@click.option("--name", default="command line", show_default=True, help="To tell tokens apart.")
def create_command(email: str, expires_days: int, scope: str, name: str) -> None:
    """Create a token for EMAIL and print it once; only its hash is kept."""
    try:
        user = api_tokens.active_user_by_email(email)
        issued = api_tokens.create_token(
            user=user,
            name=name,
            scope=TokenScope(scope),
            expires_days=expires_days,
            by=None,
            now=utcnow(),
        )
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    token = issued.token
    click.echo(issued.secret)
    click.echo(
        f"{token.scope} token {token.prefix}… for {user.email}, expires "
        f"{token.expires_at:%Y-%m-%d}. It is shown only now: store it safely.",
        err=True,
    )
