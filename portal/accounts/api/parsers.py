"""The API's JSON parser: DRF's, with a cap on how deeply a body may nest.

Python's JSON decoder recurses once per level of nesting, so a body like `"[" * 20000 + "]" * 20000` (40 kB)
raised RecursionError inside `request.data`, which DRF does not turn into a parse error: a 500. No body of
this API nests more than a few levels (a capability with its links is three), so anything deeper than
MAX_JSON_DEPTH is refused before it is decoded, with a 400 that says why; RecursionError, should a
decoder still hit it, is a parse error too. The parser runs when a view first reads `request.data`, before
any service is called, so a refused body writes nothing.
"""

from __future__ import annotations

import io
import re
from typing import Any

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding

MAX_JSON_DEPTH = 64
# A JSON string (skipped whole, so brackets inside text do not count) or one bracket. Possessive, so an
# unterminated string costs one linear scan, never backtracking.
_STRING_OR_BRACKET = re.compile(r'"(?:[^"\\]|\\.)*+"|[\[\]{}]', re.DOTALL)
_OPENING, _CLOSING = frozenset("[{"), frozenset("]}")


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether `text` opens more than `limit` arrays or objects inside one another. Malformed JSON (an
    unbalanced bracket, an unterminated string) is left to the decoder to report."""
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        token = match.group()
        if token in _OPENING:
            depth += 1
            if depth > limit:
                return True
        elif token in _CLOSING:
            depth -= 1
    return False


class DepthLimitedJSONParser(JSONParser):
    """`application/json` bodies, refused with a 400 when nested deeper than MAX_JSON_DEPTH levels."""

    max_depth = MAX_JSON_DEPTH

    def parse(self, stream, media_type: str | None = None, parser_context: dict | None = None) -> Any:
        raw = stream.read() if stream is not None else b""
        encoding = get_encoding(parser_context or {})  # text codecs only (DRF refuses e.g. `bz2_codec`)
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None
        too_deep = ParseError(f"JSON parse error - the body is nested deeper than {self.max_depth} levels.")
        if json_depth_exceeds(text, self.max_depth):
            raise too_deep
        try:
            return super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
