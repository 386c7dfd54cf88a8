"""The assistant's exception hierarchy: one root, subclasses that carry their context.

Every error a user can meet says what went wrong, about which order or setting, and what
to do next; the CLI maps the classes to documented exit codes.
"""

from __future__ import annotations


def first_line(error: BaseException) -> str:
    """An error's first line for a log or a report (its type when it has no message)."""
    lines = str(error).strip().splitlines()
    return lines[0] if lines else type(error).__name__


class AssistantError(Exception):
    """Root of every error the assistant raises on purpose."""

    exit_code = 3

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.message}. Fix: {self.fix}" if self.fix else self.message


class ConfigError(AssistantError):
    """Bad configuration or usage: names the key, the problem and the fix (exit code 2)."""

    exit_code = 2

    def __init__(self, message: str, *, key: str | None = None, fix: str | None = None) -> None:
        super().__init__(f"{key}: {message}" if key else message, fix=fix)
        self.key = key
        self.problem = message


class PortalError(AssistantError):
    """The portal did not behave as expected; carries the order, the page URL and evidence."""

    exit_code = 3

    def __init__(
        self,
        message: str,
        *,
        order_id: str | None = None,
        url: str | None = None,
        screenshot: str | None = None,
        fix: str | None = None,
    ) -> None:
        where = []
        if order_id:
            where.append(f"order {order_id}")
        if url:
            where.append(f"at {url}")
        full = f"{message} ({', '.join(where)})" if where else message
        super().__init__(full, fix=fix)
        self.order_id = order_id
        self.url = url
        self.screenshot = screenshot


class SignInError(PortalError):
    """The portal refused the credentials; the portal's own message is kept."""

    exit_code = 2


class NeedsUserError(PortalError):
    """A human must step in (captcha, one-time code without a TOTP secret)."""

    exit_code = 1


class SessionOverError(NeedsUserError):
    """The saved session is over and the account has no password: the person signs in
    again with ``order-assistant login``."""


class AntiBotError(NeedsUserError):
    """The portal answered with an anti-bot check (a captcha, a "punish" page, a "too many
    requests" page): the account goes into a cool-down, and nothing more is tried on it
    until it ends (exit code 75, ``EX_TEMPFAIL``: try again later)."""

    exit_code = 75

    def __init__(self, message: str, *, challenge: str, **context: str | None) -> None:
        super().__init__(message, **context)
        #: What the portal showed ("captcha", "punish page", "too many requests"),
        #: journaled with the cool-down.
        self.challenge = challenge


class CoolingDownError(AntiBotError):
    """The account is in a cool-down after an anti-bot check: not opened, not signed in."""


class OrderNotFoundError(PortalError):
    """The account has no order with that number (bad input: exit code 2)."""

    exit_code = 2


class NotCancellableError(PortalError):
    """The order's state does not allow a cancellation (shipped, completed, closed)."""

    exit_code = 1


class PortalChangedError(PortalError):
    """A page no longer matches what the flows expect (unknown label, missing control)."""

    exit_code = 3


class BrowserFailure(PortalError):
    """The browser failed outside a named flow step (a context not created, a trace not
    started): this order failed and stays due, the next order gets a fresh context."""

    exit_code = 3


class BrowserGoneError(BrowserFailure):
    """The browser process is gone (crashed, killed): no further order can be tried in
    this run; the orders not started stay due, untried."""


class JournalUnavailableError(AssistantError):
    """The shared journal (PostgreSQL) cannot be reached or refuses us, when opened or in
    the middle of a command: nothing is done without it. Names the database as
    host:port/name, never its password, and the order then under way (exit code 3)."""

    exit_code = 3

    def __init__(
        self, message: str, *, where: str, fix: str | None = None, order_id: str | None = None
    ) -> None:
        under_way = f" (order {order_id} was under way: it failed for now)" if order_id else ""
        super().__init__(message + under_way, fix=fix)
        #: What went wrong, without the order.
        self.problem = message
        #: The database as "host:port/name".
        self.where = where
        #: The order being worked on when the journal went away, if one was.
        self.order_id = order_id

    def under_way(self, order_id: str) -> JournalUnavailableError:
        """The same error, naming the order that was being worked on when it happened."""
        if self.order_id is not None:
            return self
        return JournalUnavailableError(
            self.problem, where=self.where, fix=self.fix, order_id=order_id
        )


class InterruptedRunError(AssistantError):
    """The user stopped a command (Ctrl-C); what was done is journaled, the rest stays due."""

    exit_code = 130  # the shell's code for a SIGINT
