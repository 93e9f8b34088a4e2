"""Text checks shared by the tests that look for another party's ids in a response."""

from __future__ import annotations

import re


def mentions(text: str, identifier: str) -> bool:
    """Whether ``identifier`` appears in ``text`` as a whole word.

    A short id such as ``S2`` also occurs by chance inside random strings a page carries
    (CSRF tokens, voucher codes) and inside longer ids (``S20``); only a whole-word
    occurrence is a mention.

    >>> mentions('<a href="/sellers/S2">', "S2"), mentions('value="xyS2gUA"', "S2")
    (True, False)
    """
    return re.search(rf"\b{re.escape(identifier)}\b", text) is not None
