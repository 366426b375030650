"""What Clockwork prints is fit to print: no secret in it, no terminal control codes.

Every secret the settings hold (the API key, the state passphrase, a password in
CW_BASE_URL) is remembered when a Settings is built; `redact` masks each of them, and
the credentials of any URL, in a text about to be printed or written. `printable`
also escapes terminal control characters (`\\x1b` instead of ESC), so nothing a model
wrote can drive the terminal: every listing goes through it.

Plain Python, light to import: the CLI's error reporting uses it.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from urllib.parse import unquote, urlsplit, urlunsplit

MASK = "***"
# Shorter "secrets" (an empty or one-letter passphrase) would mask ordinary words.
MIN_SECRET_LENGTH = 4

_known: set[str] = set()
_lock = threading.Lock()
# scheme://userinfo@ : whatever stands before the last '@' of the authority.
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@]+)@")


def remember_secret(value: str) -> None:
    """Mask `value` wherever Clockwork prints from now on (this process)."""
    if len(value) < MIN_SECRET_LENGTH:
        return
    with _lock:
        # Its URL-encoded spelling too: an error may quote a URL holding it.
        _known.update({value, *_encoded_forms(value)})


def _encoded_forms(value: str) -> set[str]:
    """How else a text may spell it: URL-encoded (in a URL), JSON-escaped (in --json)."""
    import json
    from urllib.parse import quote

    forms = (quote(value, safe=""), unquote(value), json.dumps(value)[1:-1])
    return {form for form in forms if form != value and len(form) >= MIN_SECRET_LENGTH}


def forget_secrets() -> None:
    """Forget every remembered secret (tests)."""
    with _lock:
        _known.clear()


def url_password(url: str) -> str | None:
    """The secret in a URL's userinfo: its password, or a user name standing alone
    before '@' in an http(s) URL (a token: https://TOKEN@host)."""
    try:
        parts = urlsplit(url)
        username, password = parts.username, parts.password
    except ValueError:
        return None
    if password:
        return unquote(password)
    if username and parts.scheme.lower() in ("http", "https"):
        return unquote(username)
    return None


def without_credentials(url: str) -> str:
    """`url` with its userinfo left out: the server it names, fit to keep in a file."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port
    except ValueError:
        return _URL_USERINFO.sub(lambda match: match["scheme"], url)
    if host is None or "@" not in parts.netloc:
        return url
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit(parts._replace(netloc=netloc))


def redact(text: str) -> str:
    """`text` with every remembered secret, and any URL's credentials, masked."""
    with _lock:
        secrets = sorted(_known, key=len, reverse=True)  # longest first: no partial leak
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return _URL_USERINFO.sub(_masked_userinfo, text)


def _masked_userinfo(match: re.Match[str]) -> str:
    scheme, userinfo = match["scheme"], match["userinfo"]
    user, colon, _ = userinfo.partition(":")
    if colon:
        return f"{scheme}{user}:{MASK}@"
    if scheme.lower().startswith(("http://", "https://")):
        return f"{scheme}{MASK}@"  # a token alone as the user name
    return match.group(0)  # ssh://git@host: a user name, nothing secret


def escape_controls(text: str, *, multiline: bool = False) -> str:
    """Terminal control characters as visible escapes (`\\x1b`, `\\u202e`); with
    `multiline`, newlines and tabs stay."""
    kept = "\n\t" if multiline else ""
    out = []
    for char in text:
        if char in kept or unicodedata.category(char) not in ("Cc", "Cf"):
            out.append(char)
        elif ord(char) < 0x100:
            out.append(f"\\x{ord(char):02x}")
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def printable(value: object, *, multiline: bool = False) -> str:
    """The one function every field, name and message passes through on its way to
    the terminal: secrets masked, control characters escaped."""
    return escape_controls(redact(str(value)), multiline=multiline)
