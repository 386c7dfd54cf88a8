"""``init`` and ``notify``: setting the assistant up, and checking that it can reach you.

``init`` asks what a first use needs (the portal, the account, where the password lives,
where to send notifications, how often to run), writes the config file, checks the portal
with ``probe`` and prints the cron line or the systemd units for the schedule. Every
question is also a flag, so ``init --non-interactive`` gives the same file to a script.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import sys
import tempfile
from dataclasses import replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from assistant.app.settings import load_settings
from assistant.cli.app import app
from assistant.cli.options import Options, load_settings_for, options
from assistant.domain.errors import ConfigError


class PasswordStore(StrEnum):
    """Where the account's password lives (never in the config file)."""

    KEYRING = "keyring"
    ENV = "env"
    PROMPT = "prompt"


class Schedule(StrEnum):
    """How the scheduled ``run`` is started."""

    CRON = "cron"
    SYSTEMD = "systemd"
    NONE = "none"


@app.command()
def notify(
    ctx: typer.Context,
    test: Annotated[bool, typer.Option("--test", help="Send a test message to every target")] = (
        False
    ),
) -> None:
    """Check the notification targets (``notify`` in the configuration)."""
    from assistant.app.notify import TITLE, Notifier

    opts = options(ctx)
    settings = load_settings_for(opts)
    if not settings.notify:
        raise ConfigError(
            "no notification target configured",
            key="notify",
            fix='add notify = ["ntfy://topic", "mailto://..."] (Apprise URLs) to the config file',
        )
    notifier = Notifier.from_settings(settings)
    if not test:
        for name, _ in notifier.targets:
            opts.console.print(name)
        opts.console.print("`order-assistant notify --test` sends them a test message.")
        return
    results = notifier.send(f"{TITLE}: test", "This is a test message from order-assistant.")
    for name, delivered in results:
        opts.console.print(f"{name}: {'[green]delivered[/]' if delivered else '[red]FAILED[/]'}")
    if len(results) < len(settings.notify) or not all(ok for _, ok in results):
        raise typer.Exit(3)


@app.command()
def init(
    ctx: typer.Context,
    non_interactive: Annotated[
        bool, typer.Option("--non-interactive", help="Ask nothing: take the flags")
    ] = False,
    portal_url: Annotated[str | None, typer.Option("--portal-url")] = None,
    username: Annotated[str | None, typer.Option("--username")] = None,
    password_store: Annotated[
        PasswordStore | None, typer.Option("--password-store", help="keyring, env or prompt")
    ] = None,
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="with env: the variable's name")
    ] = None,
    notify_url: Annotated[
        str | None, typer.Option("--notify", help="an Apprise URL ('' for none)")
    ] = None,
    schedule: Annotated[Schedule | None, typer.Option("--schedule")] = None,
    every: Annotated[int | None, typer.Option("--every", help="minutes between runs")] = None,
    probe: Annotated[
        bool | None, typer.Option("--probe/--no-probe", help="check the portal now")
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="replace an existing config")] = False,
) -> None:
    """Set up: write the config file, check the portal, print the schedule to install."""
    from assistant.app.settings import config_path

    opts = options(ctx)
    target = opts.config or config_path()
    ask = _Asker(non_interactive)
    if target.exists() and not force and not ask.confirm(f"{target} exists. Replace it?", False):
        raise ConfigError(
            f"{target} exists", key="--config", fix="pass --force, or another --config FILE"
        )
    url = ask.text("Portal URL (where you sign in to see your orders)", portal_url, None)
    user = ask.text("Account (e-mail or phone number)", username, None)
    store = PasswordStore(
        ask.choice("Where should the password live", password_store, PasswordStore, "keyring")
    )
    env_name = None
    if store is PasswordStore.ENV:
        env_name = ask.text("Name of the environment variable", password_env, "SHOP_PASSWORD")
    target_url = ask.text("Notification target (Apprise URL, empty: none)", notify_url, "")
    when = Schedule(ask.choice("Schedule", schedule, Schedule, "cron"))
    minutes = ask.number("Minutes between runs", every, 30)
    if minutes not in SCHEDULE_MINUTES:
        raise ConfigError(
            f"every {minutes} minutes cannot be scheduled evenly",
            key="--every",
            fix=f"choose one of {', '.join(map(str, SCHEDULE_MINUTES))}",
        )

    _write_config(target, url, user, env_name, target_url)  # checked before it replaces
    opts.console.print(f"Wrote {target}", highlight=False)
    if store is PasswordStore.KEYRING:
        _save_in_keyring(ask, user)
    if ask.confirm("Check the portal now (probe: read-only)?", True, probe):
        _probe(opts, target)
    _print_schedule(opts, when, minutes, target, env_name, store)


#: Intervals cron and systemd can keep evenly (a divisor of an hour, or of a day in hours).
SCHEDULE_MINUTES = (5, 10, 15, 20, 30, 60, 120, 180, 240, 360, 480, 720, 1440)


class _Asker:
    """A question per missing value, or the flag's value (or the default) when told not to."""

    def __init__(self, non_interactive: bool) -> None:
        self.quiet = non_interactive

    def text(self, question: str, given: str | None, default: str | None) -> str:
        if given is not None:
            return given
        if self.quiet:
            if default is None:
                raise ConfigError(
                    f"{question}: no value", key="init", fix="give it as a flag (see --help)"
                )
            return default
        return str(typer.prompt(question, default=default, show_default=bool(default)))

    def number(self, question: str, given: int | None, default: int) -> int:
        if given is not None:
            return given
        if self.quiet:
            return default
        return int(typer.prompt(question, default=default, type=int))

    def choice(
        self, question: str, given: StrEnum | None, kinds: type[StrEnum], default: str
    ) -> str:
        names = [k.value for k in kinds]
        while True:
            answer = self.text(f"{question} ({'/'.join(names)})", given, default)
            if answer in names:
                return answer
            if self.quiet or given is not None:
                raise ConfigError(f"{answer!r}", key="init", fix=f"one of {', '.join(names)}")
            typer.echo(f"Please answer one of: {', '.join(names)}")

    def confirm(self, question: str, default: bool, given: bool | None = None) -> bool:
        if given is not None:
            return given
        if self.quiet:
            return default
        return bool(typer.confirm(question, default=default))

    def secret(self, question: str) -> str:
        if self.quiet:
            raise ConfigError(
                "the keyring needs the password typed once",
                key="--password-store",
                fix="store it first: keyring set order-assistant USERNAME",
            )
        return str(typer.prompt(question, hide_input=True))


def _save_in_keyring(ask: _Asker, username: str) -> None:
    """Store the password in the system keyring now (it never goes into the file)."""
    import keyring
    from keyring.errors import KeyringError

    from assistant.app.settings import KEYRING_SERVICE

    try:
        if keyring.get_password(KEYRING_SERVICE, username) is not None:
            return
        keyring.set_password(KEYRING_SERVICE, username, ask.secret(f"Password for {username}"))
    except KeyringError as exc:  # no backend (a headless server): say what else works
        raise ConfigError(
            f"the system keyring cannot store it ({exc})",
            key="--password-store",
            fix="choose env (a variable set where the assistant runs) or prompt",
        ) from None


def _toml(value: str) -> str:
    # A TOML basic string takes JSON's escapes (but not its surrogate pairs: keep non-ASCII).
    return json.dumps(value, ensure_ascii=False)


def _write_config(
    target: Path, url: str, user: str, env_name: str | None, notify_url: str
) -> None:
    lines = [
        f"# Written by `order-assistant init` on {datetime.now(UTC):%Y-%m-%d}.",
        "# Every key: README.md, 'Configuration'.",
        f"portal_url = {_toml(url)}",
    ]
    if notify_url:
        lines.append(f"notify = [{_toml(notify_url)}]")
    lines += ["", "[[accounts]]", f"username = {_toml(user)}"]
    if env_name:
        lines.append(f"password_env = {_toml(env_name)}")
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    # Written beside the target (0600 from the start: the notification URL may hold a
    # token), checked as `run` will read it, and only then put in place: a bad answer or
    # a bad environment never costs the user the config file they had.
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=".config.", suffix=".toml")
    draft = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write("\n".join(lines) + "\n")
        load_settings(draft)
        os.replace(draft, target)
    finally:
        draft.unlink(missing_ok=True)


def _probe(opts: Options, config: Path) -> None:
    """Check the portal with the new file (and the global options given); a failure is
    reported, not fatal: the file is written and the schedule still to be printed."""
    from assistant.app.service import probe_portal
    from assistant.domain.errors import AssistantError

    try:
        report = probe_portal(load_settings_for(replace(opts, config=config)), None)
    except AssistantError as exc:
        opts.err_console.print(f"probe: {exc}", markup=False, highlight=False)
        return
    for done in report.steps:
        result = "ok" if done.ok else "MISSING " + ", ".join([*done.missing, done.error or ""])
        _plain(opts, f"  {done.name}: {result.rstrip(', ')}")
    if report.ok:
        opts.console.print(f"The portal matches the {report.profile!r} profile.")
    else:
        opts.err_console.print("The portal does not match: see `order-assistant probe`.")


def _command() -> str:
    """How a scheduler starts this very installation (its venv's script, if it has one)."""
    beside = Path(sys.executable).with_name("order-assistant")
    found = str(beside) if beside.is_file() else shutil.which("order-assistant")
    return shlex.quote(found) if found else f"{shlex.quote(sys.executable)} -m assistant"


def _print_schedule(
    opts: Options,
    when: Schedule,
    minutes: int,
    config: Path,
    env_name: str | None,
    store: PasswordStore,
) -> None:
    command = f"{_command()} --config {shlex.quote(str(config))} --log-format json run"
    if store is PasswordStore.PROMPT:
        opts.err_console.print(
            "Note: a scheduled run has no terminal to ask for the password: choose keyring "
            "or env for unattended use."
        )
    needs = f"{env_name}=... " if env_name else ""
    hours = minutes // 60
    cron = f"*/{minutes} * * * *" if minutes < 60 else f"0 */{hours} * * *"
    calendar = f"*:0/{minutes}" if minutes < 60 else f"0/{hours}:00"
    if minutes == 1440:
        cron, calendar = "0 9 * * *", "09:00"
    if when is Schedule.CRON:
        _plain(opts, "Add this line with `crontab -e`:")
        # umask: the log holds order numbers and advice, the user's only like the journal
        log_file = "$HOME/order-assistant.log"
        _plain(opts, f"{cron}  umask 077; {needs}{command} >> {log_file} 2>&1")
    elif when is Schedule.SYSTEMD:
        env_line = (
            f"EnvironmentFile=%h/.config/order-assistant/env     # {env_name}=...\n"
            if env_name
            else ""
        )
        _plain(
            opts,
            "~/.config/systemd/user/order-assistant.service:\n"
            f"[Service]\nType=oneshot\n{env_line}ExecStart={command}\n\n"
            "~/.config/systemd/user/order-assistant.timer:\n"
            f"[Timer]\nOnCalendar={calendar}\nPersistent=true\n"
            "[Install]\nWantedBy=timers.target\n\n"
            "then: systemctl --user enable --now order-assistant.timer",
        )
    _plain(opts, f"Test a notification with `{_command()} notify --test`.")


def _plain(opts: Options, text: str) -> None:
    """Printed as is: unit files and command lines have brackets rich would take as markup."""
    opts.console.print(text, markup=False, highlight=False, soft_wrap=True)
