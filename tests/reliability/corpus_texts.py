"""Hostile policy packs and metric catalogs: texts that must be refused at their file and line,
or compile to SQL made only of whitelisted pieces.

Four families, all generated here:

- ``when`` conditions: every hostile text of ``tests/policy/test_hostile_policies.py`` plus more
  (injections, homoglyphs, runtime traps such as casts that fail on the data), and harmless
  texts that look dangerous (which must compile);
- reward ``amount`` expressions;
- whole pack files: YAML alias bombs, deep nesting, Python tags, duplicate keys, wrong types,
  undecodable bytes;
- catalog files: a metric or dataset whose ``expr``, ``filter``, dimension or join is hostile.

Example:
    >>> len(WHEN_TEXTS) > 150
    True
"""

from __future__ import annotations

import itertools
import json
import textwrap
from dataclasses import dataclass

from tests.policy.test_hostile_policies import HOSTILE


@dataclass(frozen=True)
class Text:
    """One hostile text and where it goes (``when`` or ``amount`` of a policy, a whole pack or
    catalog file as bytes)."""

    name: str
    body: str | bytes
    where: str  # "when", "amount", "pack" or "catalog"


def _hostile_whens() -> list[Text]:
    """The texts of the policy tests' hostile corpus (each refused there, one by one)."""
    return [Text(f"policy-tests:{p.id}", str(p.values[0]), "when") for p in HOSTILE]


_MORE_WHENS = {
    # injection shapes the policy tests do not spell this way
    "union-all-users": "orders_7d > 1 UNION ALL SELECT password FROM users",
    "or-true-comment": "orders_7d > 1 OR 1 = 1 --",
    "stacked-insert": "orders_7d > 1); INSERT INTO users VALUES ('x'); --",
    "closing-paren": "orders_7d > 1) OR (1 = 1",
    "quote-breakout": "seller_id = '' OR '1' = '1'",
    "double-dash-in-string-then-drop": "seller_id = 'a--' ; DROP TABLE orders",
    "copy-to-program": "orders_7d > 1; COPY (SELECT 1) TO PROGRAM 'touch /tmp/pwned'",
    "attach-memory": "orders_7d > 1; ATTACH ':memory:' AS m",
    "pragma-inline": "orders_7d > 1 AND pragma_version() IS NOT NULL",
    "read-blob": "read_blob('/etc/passwd') IS NOT NULL",
    "list-files": "length(glob('/*')) > 0",
    "system-function": "system('touch /tmp/pwned') = 0",
    "load-extension-call": "load_extension('httpfs') IS NULL",
    "json-extract": "json_extract('{}', '$.a') IS NULL",
    "regexp-replace": "regexp_replace(seller_id, '(a+)+$', '') = ''",
    "string-split": "len(string_split(seller_id, ',')) > 1",
    "struct-pack": "struct_pack(a := 1) IS NULL",
    "map-literal": "MAP {'a': 1} IS NULL",
    "list-literal": "[1, 2, 3] IS NULL",
    "interval-arith": "as_of + INTERVAL 1 DAY > as_of",
    "typed-timestamp-literal": "as_of > TIMESTAMP '2026-01-01'",
    "current-date": "as_of < current_date",
    "now": "as_of < now()",
    "unicode-escape-identifier": 'U&"\\006f\\0072ders_7d" > 1',
    "cyrillic-s-in-seller": "\u0455eller_id = 'x'",
    "greek-omicron": "\u03bfrders_7d > 1",
    "nbsp-between-tokens": "orders_7d\u00a0> 1",
    "null-byte": "orders_7d > 1\x00; DROP TABLE orders",
    "bell-and-escape": "orders_7d > 1 \x1b[31m",
    "rtl-override": "orders_7d > 1 \u202e; DROP TABLE orders",
    "numeric-overflow-literal": "orders_7d > 1" + "0" * 400,
    "deep-but-short-not": "NOT (" * 99 + "orders_7d > 1" + ")" * 99,
    "unknown-function": "frobnicate(orders_7d) > 1",
    "helper-wrong-arity": "days_between(as_of) > 1",
    "helper-of-helper-column": "days_between(as_of, nonexistent_at) > 1",
    "aggregate-in-filter": "max(orders_7d) > 1",
    "star": "* > 1",
    "positional-column": "#1 > 1",
    "table-star": "snapshot.* IS NULL",
    "collate": "seller_id COLLATE nocase = 'x'",
    "escape-like": "seller_id LIKE 'a%' ESCAPE '\\'",
    "is-distinct": "orders_7d IS DISTINCT FROM 1",
    "case-of-conditions": "CASE WHEN orders_7d > 10 THEN gmv_7d > 100 ELSE gmv_7d > 10 END",
    # whitelisted, yet failing on the data: must be a clear error, never a traceback
    "cast-text-to-int": "CAST(seller_id AS BIGINT) > 1",
    "cast-text-to-date": "CAST(seller_id AS DATE) > as_of",
    "int-overflow": "orders_7d * 9223372036854775807 * 9223372036854775807 > 1",
    "division-by-zero": "orders_7d / 0 > 1",
    "modulo-by-zero": "orders_7d % 0 = 1",
    "compare-text-with-number": "seller_id > 1",
    "compare-date-with-text": "as_of > 'yesterday'",
    "lower-of-number": "lower(orders_7d) = '1'",
}

# harmless texts that look dangerous: they must compile (and evaluate) without side effects
HARMLESS_WHENS = {
    "drop-in-string": "seller_id = 'x''; DROP TABLE orders; --'",
    "comment-after": "orders_7d > 1 -- ; DROP TABLE orders",
    "block-comment": "orders_7d > 1 /* ; ATTACH 'x.db' */",
    "select-in-string": "seller_id = '(SELECT password FROM users)'",
    "unicode-string": "seller_id = 'Toko Ñusantara 日本 🙂'",
    "coalesce-condition": "coalesce(orders_7d, 0) >= 10",
    "between": "orders_7d BETWEEN 1 AND 10",
    "in-list": "seller_id IN ('s1', 's2', ';DROP')",
    "like": "seller_id LIKE 's%'",
    "is-null": "late_dispatch_rate_7d IS NULL OR late_dispatch_rate_7d >= 0.1",
    "helper": "days_between(as_of, as_of) = 0",
    "arithmetic": "gmv_7d / nullif(orders_7d, 0) > 1.5",
    "nested-parentheses": "(" * 40 + "orders_7d > 1" + ")" * 40,
    "long-in-list": "orders_7d IN (" + ", ".join(str(n) for n in range(600)) + ")",
    "cast-allowed": "CAST(orders_7d AS DOUBLE) > 1.5",
}

AMOUNTS = {
    "subquery": "(SELECT 1)",
    "second-statement": "gmv_7d * 0.01; DROP TABLE orders",
    "read-csv": "length(read_csv('/etc/passwd')) * 1",
    "getenv": "length(getenv('HOME'))",
    "condition": "gmv_7d > 1",
    "string": "'100'",
    "unknown-column": "bonus_7d * 2",
    "window": "sum(gmv_7d) OVER ()",
    "aggregate": "sum(gmv_7d)",
    "pipe-concat": "'1' || '0'",
    "huge-number": "9" * 5000,
    "cast-fails": "CAST(seller_id AS DOUBLE) * 2",
    "fine-arithmetic": "gmv_7d * 0.01 + 5000",
    "fine-number": "25000",
    "fine-case": "CASE WHEN orders_7d > 10 THEN 5000 ELSE 1000 END",
}

PACK_HEAD = (
    "pack: hostile-probe\nversion: 1\nregion: ID\nentity: seller\neffective_from: 2026-01-01\n"
)
POLICY = (
    "  - id: probe\n    version: 1\n    outcome: {kind: gate}\n"
    "    explain: {en: Fired, id: Terpicu}\n    when: orders_7d > 1\n"
)


def _bomb(levels: int, target: str) -> str:
    """A billion-laughs document: ten aliases per level, ``levels`` deep, used at ``target``."""
    names = "abcdefghijklmnop"[:levels]
    lines = ["lol:", '  a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for before, name in itertools.pairwise(names):
        lines.append(f"  {name}: &{name} [" + ", ".join([f"*{before}"] * 10) + "]")
    return "\n".join(lines) + "\n" + target.replace("BOMB", f"*{names[-1]}") + "\n"


PACK_FILES: dict[str, str | bytes] = {
    "bomb-as-policies": PACK_HEAD + _bomb(9, "policies: [BOMB]"),
    "bomb-as-when": PACK_HEAD + _bomb(9, "policies:\n" + POLICY.replace("orders_7d > 1", "BOMB")),
    "bomb-as-explain": PACK_HEAD
    + _bomb(9, "policies:\n" + POLICY.replace("{en: Fired, id: Terpicu}", "BOMB")),
    "bomb-as-region": PACK_HEAD.replace("region: ID\n", "")
    + _bomb(9, "region: BOMB")
    + "policies:\n"
    + POLICY,
    "deep-flow-lists": PACK_HEAD + "policies: " + "[" * 3000 + "]" * 3000 + "\n",
    "deep-flow-maps": PACK_HEAD + "policies: " + "{a: " * 3000 + "1" + "}" * 3000 + "\n",
    "deep-block": PACK_HEAD + "policies:\n" + "".join("  " * i + "-\n" for i in range(2000)),
    "python-object": PACK_HEAD + "policies: !!python/object/apply:os.system ['touch pwned']\n",
    "python-name": PACK_HEAD + "policies: !!python/name:os.system\n",
    "unknown-tag": PACK_HEAD + "policies: !include /etc/passwd\n",
    "duplicate-when": PACK_HEAD + "policies:\n" + POLICY + "    when: TRUE\n",
    "duplicate-pack-key": PACK_HEAD + "pack: other\npolicies:\n" + POLICY,
    "merge-keys-twice": PACK_HEAD + "base: &b {id: x}\npolicies:\n  - <<: *b\n    <<: *b\n",
    "list-as-key": PACK_HEAD + "? [a, b]\n: 1\npolicies:\n" + POLICY,
    "null-key": PACK_HEAD + "~: 1\npolicies:\n" + POLICY,
    "when-a-list": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", "[1, 2]"),
    "when-a-mapping": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", "{a: 1}"),
    "when-a-number": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", "42"),
    "when-a-date": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", "2026-01-01"),
    "when-null": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", "~"),
    "version-a-word": PACK_HEAD.replace("version: 1", "version: one") + "policies:\n" + POLICY,
    "version-huge": PACK_HEAD.replace("version: 1", "version: " + "9" * 5000)
    + "policies:\n"
    + POLICY,
    "version-infinite": PACK_HEAD.replace("version: 1", "version: .inf") + "policies:\n" + POLICY,
    "february-30": PACK_HEAD.replace("2026-01-01", "2026-02-30") + "policies:\n" + POLICY,
    "year-99999": PACK_HEAD.replace("2026-01-01", "99999-01-01") + "policies:\n" + POLICY,
    "policies-a-string": PACK_HEAD + "policies: DROP TABLE orders\n",
    "policies-empty": PACK_HEAD + "policies: []\n",
    "outcome-a-string": PACK_HEAD + "policies:\n" + POLICY.replace("{kind: gate}", "gate"),
    "points-negative": PACK_HEAD
    + "policies:\n"
    + POLICY.replace("{kind: gate}", "{kind: points, points: -5}"),
    "unknown-field": PACK_HEAD + "policies:\n" + POLICY + "    run_sql: DROP TABLE orders\n",
    "tab-indent": PACK_HEAD + "policies:\n\t- id: x\n",
    "byte-order-mark": "\ufeff" + PACK_HEAD + "policies:\n" + POLICY,
    "nul-character": PACK_HEAD + "policies:\n" + POLICY.replace("Fired", "Fi\x00red"),
    "latin1-bytes": (PACK_HEAD + "policies:\n" + POLICY.replace("Fired", "Café")).encode("latin-1"),
    "binary": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "two-documents": PACK_HEAD + "policies:\n" + POLICY + "---\npack: second\n",
    "top-level-list": "- pack: hostile-probe\n",
    "top-level-scalar": "DROP TABLE orders\n",
    "empty": "",
    "only-comment": "# nothing here\n",
    "unclosed-quote": PACK_HEAD + "policies:\n" + POLICY.replace("orders_7d > 1", '"orders_7d > 1'),
    "huge-explanation": PACK_HEAD + "policies:\n" + POLICY.replace("Fired", "x" * 2_000_000),
    "hundred-policies": PACK_HEAD
    + "policies:\n"
    + "".join(POLICY.replace("id: probe", f"id: probe-{n}") for n in range(100)),
}

CATALOG_METRIC = """
metrics:
  - name: probe_7d
    entity: seller
    type: simple
    dataset: orders
    agg: sum
    expr: gmv
    filter: status = 'delivered'
    window: 7d
    description: A probe.
"""
CATALOG_DATASET = """
datasets:
  - name: probe_orders
    table: orders
    time: created_at
    entities:
      seller: seller_id
    dimensions:
      - name: probe_dim
        expr: channel
    joins:
      - table: order_items
        key: order_id
        columns:
          probe_lines: count(*)
metrics:
  - name: probe_lines_7d
    entity: seller
    type: simple
    dataset: probe_orders
    agg: sum
    expr: probe_lines
    window: 7d
    description: Lines of the probe's orders.
"""


def _metric(field: str, value: str) -> str:
    """The probe metric with ``field`` set to ``value`` (JSON-quoted: a YAML string)."""
    return textwrap.dedent(CATALOG_METRIC).replace(
        {"expr": "expr: gmv", "filter": "filter: status = 'delivered'"}[field],
        f"{field}: {json.dumps(value)}",
    )


def _dataset(old: str, new: str) -> str:
    text = textwrap.dedent(CATALOG_DATASET)
    assert old in text
    return text.replace(old, new)


_CATALOG_EXPRESSIONS = {
    "semicolon-drop": "gmv; DROP TABLE orders",
    "subquery": "(SELECT max(gmv) FROM orders)",
    "read-csv": "length(read_csv('/etc/passwd'))",
    "getenv": "length(getenv('HOME'))",
    "union": "gmv UNION SELECT 1",
    "comment-attach": "gmv /* */; ATTACH 'x.db'",
    "unknown-column": "password",
    "qualified-column": "users.password",
    "copy": "COPY orders TO '/tmp/x.csv'",
    "pragma": "PRAGMA version",
    "window": "sum(gmv) OVER ()",
    "nested-aggregate": "sum(count(*))",
    "homoglyph": "\u0261mv",
    "too-long": "gmv + " * 1000 + "1",
    "too-deep": "(" * 300 + "gmv" + ")" * 300,
    "concat": "'a' || 'b'",
    "cast-blob": "CAST(gmv AS BLOB)",
}


def _catalog_files() -> dict[str, str | bytes]:
    files: dict[str, str | bytes] = {}
    for name, text in _CATALOG_EXPRESSIONS.items():
        files[f"metric-expr:{name}"] = _metric("expr", text)
        files[f"metric-filter:{name}"] = _metric("filter", text)
    for name, text in list(_CATALOG_EXPRESSIONS.items())[:8]:
        files[f"dimension-expr:{name}"] = _dataset("expr: channel", f"expr: {json.dumps(text)}")
        files[f"join-column:{name}"] = _dataset(
            "probe_lines: count(*)", f"probe_lines: {json.dumps(text)}"
        )
    files.update(
        {
            "dataset-table-injection": _dataset("table: orders", 'table: "orders; DROP TABLE x"'),
            "dataset-table-function": _dataset("table: orders", "table: read_csv('/etc/passwd')"),
            "dataset-time-injection": _dataset("time: created_at", 'time: "created_at; --"'),
            "entity-key-injection": _dataset("seller: seller_id", 'seller: "seller_id) --"'),
            "join-table-injection": _dataset("table: order_items", 'table: "order_items t, users"'),
            "join-key-injection": _dataset("key: order_id", 'key: "order_id = 1 OR 1"'),
            "metric-window-huge": textwrap.dedent(CATALOG_METRIC).replace("7d", "99999999d"),
            "metric-name-injection": textwrap.dedent(CATALOG_METRIC).replace(
                "probe_7d", '"probe; DROP TABLE x"'
            ),
            "metric-bomb": _bomb(9, "metrics: [BOMB]").replace("lol:", "metrics_lol:"),
            "catalog-deep": "metrics: " + "[" * 3000 + "]" * 3000 + "\n",
            "catalog-duplicate-key": textwrap.dedent(CATALOG_METRIC) + "    expr: price\n",
            "catalog-python-tag": "metrics: !!python/object/apply:os.system ['touch pwned']\n",
            "catalog-binary": b"\x00\x01\x02\xff\xfe binary",
            "catalog-february-30": textwrap.dedent(CATALOG_METRIC)
            .replace("description: A probe.", "description: 2026-02-30")
            .replace("description:", "description: !!timestamp"),
            "catalog-fine": textwrap.dedent(CATALOG_METRIC),
            "catalog-fine-dataset": textwrap.dedent(CATALOG_DATASET),
        }
    )
    return files


WHEN_TEXTS: list[Text] = [
    *_hostile_whens(),
    *(Text(f"more:{k}", v, "when") for k, v in _MORE_WHENS.items()),
    *(Text(f"harmless:{k}", v, "when") for k, v in HARMLESS_WHENS.items()),
]
AMOUNT_TEXTS = [Text(f"amount:{k}", v, "amount") for k, v in AMOUNTS.items()]
PACK_TEXTS = [Text(f"pack:{k}", v, "pack") for k, v in PACK_FILES.items()]
CATALOG_TEXTS = [Text(f"catalog:{k}", v, "catalog") for k, v in _catalog_files().items()]

__all__ = [
    "AMOUNT_TEXTS",
    "CATALOG_TEXTS",
    "HARMLESS_WHENS",
    "PACK_TEXTS",
    "POLICY",
    "WHEN_TEXTS",
    "Text",
]
