"""Bad catalog files: every problem reported at once, with its file and line, never a traceback.

Each test writes a small catalog directory (in ``tmp_path``, or a fixture under
``tests/metrics/catalogs/``) that is read on top of the shipped catalog, as a user's
``PASAR_CATALOG_PATH`` directory would be: through ``load_catalog(extra=...)``, which raises
``IssuesError``, and through ``read_catalog_files`` + ``check_catalog``, which return the issues.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from pasar.kit.issues import Issue, Issues, IssuesError
from pasar.metrics.catalog import Catalog, check_catalog, load_catalog
from pasar.metrics.loader import read_catalog_files, shipped_catalog_dir
from pasar.metrics.spec import ENTITY_NAMES

CATALOGS = Path(__file__).parent / "catalogs"
ISSUE_LINE = re.compile(r"^(?P<file>[^\n]+?\.ya?ml):(?P<line>[1-9]\d*): (?P<message>.+)$")


# -- helpers -----------------------------------------------------------------------------------


def write(directory: Path, text: str, name: str = "extra.yml") -> Path:
    """``text`` (dedented) written to ``directory/name``; returns the file."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(path: Path, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line of ``path`` containing ``needle``."""
    found = [n for n, line in enumerate(path.read_text().splitlines(), 1) if needle in line]
    assert len(found) >= occurrence, f"{needle!r} not in {path}"
    return found[occurrence - 1]


def problems(*directories: Path) -> list[Issue]:
    """The issues ``load_catalog`` raises for the shipped catalog plus ``directories``.

    Also checks the error is an ``IssuesError`` whose message lists every issue, one per line,
    as ``file:line: message`` (and nothing that looks like a traceback).
    """
    with pytest.raises(IssuesError) as info:
        load_catalog(extra=list(directories))
    error = info.value
    text = str(error)
    head, *lines = text.splitlines()
    count = len(error.issues)
    assert head == f"the metric catalog has problems: {count} problem{'s' if count != 1 else ''}"
    assert lines == [str(issue) for issue in error.issues]
    assert "Traceback" not in text
    # the same issues come back, without raising, from the two-step API
    _, issues = check_catalog(read_catalog_files([shipped_catalog_dir(), *directories]))
    assert list(issues) == error.issues
    return error.issues


def only(issues: list[Issue]) -> Issue:
    assert len(issues) == 1, "\n".join(str(i) for i in issues)
    return issues[0]


def simple_metric(name: str, **fields: str) -> str:
    """A valid simple seller metric as YAML list item, with ``fields`` replacing its values."""
    values = {
        "name": name,
        "entity": "seller",
        "type": "simple",
        "dataset": "orders",
        "agg": "count",
        "window": "7d",
        "description": "A test metric.",
        **fields,
    }
    return "\n".join(
        f"{'  - ' if i == 0 else '    '}{k}: {v}" for i, (k, v) in enumerate(values.items())
    )


def metrics_file(directory: Path, *items: str, name: str = "extra.yml") -> Path:
    return write(directory, "metrics:\n" + "\n\n".join(items) + "\n", name)


# -- the shipped catalog -----------------------------------------------------------------------


def test_shipped_catalog_has_no_issues() -> None:
    loaded = read_catalog_files([shipped_catalog_dir()])
    catalog, issues = check_catalog(loaded)
    assert not issues, str(issues)
    assert isinstance(catalog, Catalog)
    assert len(catalog.metrics) == len(loaded.metrics)
    assert load_catalog().sources == [shipped_catalog_dir()]


def test_shipped_catalog_defines_every_entity() -> None:
    assert set(load_catalog().entities) == set(ENTITY_NAMES)


@pytest.mark.parametrize("entity", ENTITY_NAMES)
def test_shipped_catalog_has_snapshot_metrics_for_every_entity(entity: str) -> None:
    catalog = load_catalog()
    assert catalog.snapshot_metrics(entity), f"no snapshot metric for {entity}"
    assert all(entity in m.entities for m in catalog.snapshot_metrics(entity))


def test_shipped_definitions_know_their_origin() -> None:
    catalog = load_catalog()
    metric = catalog.metric("late_dispatch_rate_7d")
    assert metric.origin is not None
    path = Path(metric.origin.file)
    assert path.name == "governance.yml"
    assert metric.origin.line == line_of(path, "- name: late_dispatch_rate_7d")


# -- a valid user directory --------------------------------------------------------------------


def test_a_valid_directory_adds_its_metrics() -> None:
    catalog = load_catalog(extra=[CATALOGS / "valid"])
    assert catalog.sources == [shipped_catalog_dir(), CATALOGS / "valid"]
    assert catalog.metric("paid_orders_14d").dataset == "paid_orders"
    snapshot = {m.name for m in catalog.snapshot_metrics("seller")}
    assert {"paid_orders_14d", "weekend_share_14d"} <= snapshot
    assert "weekend_paid_orders" not in snapshot  # windowless: a building block


def test_catalog_path_text_reads_every_directory(tmp_path: Path) -> None:
    first = metrics_file(tmp_path / "one", simple_metric("one_7d", expr="gmvv", agg="sum"))
    second = metrics_file(tmp_path / "two", simple_metric("two_7d", dataset="orderz"))
    with pytest.raises(IssuesError) as info:
        load_catalog(extra=f"{tmp_path / 'one'}:{tmp_path / 'two'}")
    files = {issue.file for issue in info.value.issues}
    assert files == {str(first), str(second)}


def test_a_missing_directory_is_an_issue(tmp_path: Path) -> None:
    issue = only(problems(tmp_path / "nowhere"))
    assert issue.file == str(tmp_path / "nowhere")
    assert "does not exist" in issue.message


# -- one problem at a time ---------------------------------------------------------------------


def test_unknown_column_in_expr_and_filter(tmp_path: Path) -> None:
    path = metrics_file(
        tmp_path,
        simple_metric("gmv_typo_7d", agg="sum", expr="gmvv"),
        simple_metric("filter_typo_7d", filter="shiped_at IS NOT NULL"),
    )
    issues = problems(tmp_path)
    assert [(i.file, i.line) for i in issues] == [
        (str(path), line_of(path, "expr: gmvv")),
        (str(path), line_of(path, "filter: shiped_at")),
    ]
    assert (
        issues[0].message == "metric gmv_typo_7d: expr: unknown column 'gmvv' (did you mean gmv?)"
    )
    assert issues[1].message == (
        "metric filter_typo_7d: filter: unknown column 'shiped_at' (did you mean shipped_at?)"
    )


def test_unknown_dataset(tmp_path: Path) -> None:
    path = metrics_file(tmp_path, simple_metric("lost_7d", dataset="order"))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, "dataset: order")
    assert issue.message == "metric lost_7d: unknown dataset 'order' (did you mean orders?)"


def test_unknown_metric_in_ratio(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        metrics:
          - name: bad_ratio_7d
            entity: seller
            type: ratio
            numerator: late_dispatched_order
            denominator: dispatch_due_ordrs
            window: 7d
            description: Both parts are misspelt.
        """,
    )
    issues = problems(tmp_path)
    assert [(i.line, i.message) for i in issues] == [
        (
            5,
            "metric bad_ratio_7d: numerator refers to unknown metric 'late_dispatched_order' "
            "(did you mean late_dispatched_orders?)",
        ),
        (
            6,
            "metric bad_ratio_7d: denominator refers to unknown metric 'dispatch_due_ordrs' "
            "(did you mean dispatch_due_orders?)",
        ),
    ]
    assert all(i.file == str(path) for i in issues)


def test_unknown_metric_in_derived(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        metrics:
          - name: bad_derived_30d
            entity: seller
            type: derived
            expr: gmv_30d / nullif(orders_30, 0)
            description: One part is misspelt.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(path), 5)
    assert "unknown metric 'orders_30'" in issue.message
    assert "(did you mean orders_30d?)" in issue.message


def test_cycle_between_derived_metrics(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        metrics:
          - name: cycle_a
            entity: seller
            type: derived
            expr: cycle_b + 1
            description: Refers to cycle_b.

          - name: cycle_b
            entity: seller
            type: derived
            expr: cycle_a * 2
            description: Refers back to cycle_a.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(path), 2)
    assert issue.message == "metric cycle_a: cycle cycle_a → cycle_b → cycle_a"


def test_metric_referring_to_itself_is_a_cycle(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        metrics:
          - name: ouroboros
            entity: seller
            type: derived
            expr: ouroboros + 1
            description: Refers to itself.
        """,
    )
    assert only(problems(tmp_path)).message == "metric ouroboros: cycle ouroboros → ouroboros"


def test_longer_cycle_is_named_in_order(tmp_path: Path) -> None:
    items = [
        f"  - name: ring_{a}\n    entity: seller\n    type: derived\n"
        f"    expr: ring_{b} + 1\n    description: Part of a ring."
        for a, b in (("a", "b"), ("b", "c"), ("c", "a"))
    ]
    metrics_file(tmp_path, *items)
    assert only(problems(tmp_path)).message == (
        "metric ring_a: cycle ring_a → ring_b → ring_c → ring_a"
    )


@pytest.mark.parametrize("window", ["7days", "0d", "3661d", "d", "-7d", "7w"])
def test_bad_window(tmp_path: Path, window: str) -> None:
    path = metrics_file(tmp_path, simple_metric("windowed", window=f"'{window}'"))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, "window:")
    assert issue.message == (
        f"metric windowed: window: window {window!r} is not a number of days like 7d, 30d or "
        "90d (1d to 3660d)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("read_csv('/etc/passwd') IS NOT NULL", "filter may not use function read_csv()"),
        ("read_parquet('x.parquet') IS NOT NULL", "filter may not use function read_parquet()"),
        ("random() > 0.5", "filter may not use function rand()"),
        ("gmv > (SELECT max(gmv) FROM orders)", "filter may not use a subquery"),
        ("status IN (SELECT status FROM orders)", "filter may not use a subquery"),
        ("getenv('HOME') = 'x'", "filter may not use function getenv()"),
        ("t.gmv > 0", "filter: write column 'gmv' without a table name"),
    ],
)
def test_disallowed_filter(tmp_path: Path, text: str, expected: str) -> None:
    path = metrics_file(tmp_path, simple_metric("hostile_7d", filter=f'"{text}"'))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, "filter:")
    assert issue.message.startswith(f"metric hostile_7d: {expected}")


def test_disallowed_dimension_and_join_column(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        datasets:
          - name: sneaky
            table: orders
            time: created_at
            entities: {seller: seller_id}
            dimensions:
              - {name: leak, expr: "read_csv('/etc/passwd')"}
            joins:
              - table: reviews
                key: order_id
                columns:
                  worst: (SELECT min(rating) FROM reviews)
        """,
    )
    issues = problems(tmp_path)
    assert [(i.line, i.message) for i in issues] == [
        (6, "dataset sneaky: dimension leak may not use function read_csv()"),
        (8, "dataset sneaky: join reviews: column worst may not use a subquery"),
    ]
    assert all(i.file == str(path) for i in issues)


def test_unknown_field_has_a_suggestion(tmp_path: Path) -> None:
    path = metrics_file(tmp_path, simple_metric("typo_7d", filtr="gmv > 0"))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, "filtr:")
    assert issue.message == "metric typo_7d: filtr: unknown field (did you mean filter?)"


def test_unknown_section_has_a_suggestion(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        # a comment first
        metric:
          - name: x
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.line, issue.message) == (2, "unknown section 'metric' (did you mean metrics?)")


def test_duplicate_metric_names_the_first_definition(tmp_path: Path) -> None:
    path = metrics_file(tmp_path, simple_metric("orders_7d"))
    shipped = shipped_catalog_dir() / "governance.yml"
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(path), 2)
    assert issue.message == (
        f"metric orders_7d is already defined at {shipped}:{line_of(shipped, '- name: orders_7d')}"
    )


def test_duplicate_across_user_files_names_the_first_file(tmp_path: Path) -> None:
    first = metrics_file(tmp_path, simple_metric("mine_7d"), name="a.yml")
    second = metrics_file(
        tmp_path, simple_metric("other_7d"), simple_metric("mine_7d"), name="b.yml"
    )
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(second), line_of(second, "- name: mine_7d"))
    assert issue.message == f"metric mine_7d is already defined at {first}:2"


def test_duplicate_dataset_and_entity(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        entities:
          - name: seller
            key: seller_id
            table: sellers
        datasets:
          - name: orders
            table: orders
            time: created_at
            entities: {seller: seller_id}
        """,
    )
    shipped = shipped_catalog_dir()
    issues = problems(tmp_path)
    assert [(i.file, i.line) for i in issues] == [(str(path), 2), (str(path), 6)]
    assert issues[0].message == (
        f"entity seller is already defined at {shipped / 'entities.yml'}:"
        f"{line_of(shipped / 'entities.yml', '- name: seller')}"
    )
    assert issues[1].message.startswith(
        f"dataset orders is already defined at {shipped / 'datasets.yml'}:"
    )


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            "metrics:\n  - name: a\n    type: simple\n   dataset: orders\n",
            4,
            "not valid YAML: expected <block end>, but found '<block mapping start>'",
        ),
        ("metrics:\n  - name: a\n    name: b\n", 3, "not valid YAML: key 'name' appears twice"),
        (
            "metrics:\n\t- name: a\n",
            2,
            "not valid YAML: found character '\\t' that cannot start any token",
        ),
        (
            "metrics: [\n  {name: a\n",
            3,
            "not valid YAML: expected ',' or '}', but got '<stream end>'",
        ),
        ("a: &x [*x]\n", 1, "not valid YAML: found unconstructable recursive node"),
    ],
)
def test_yaml_syntax_error_reports_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "broken.yml"
    path.write_text(text)
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line, issue.message) == (str(path), line, message)


def test_undecodable_file_is_an_issue(tmp_path: Path) -> None:
    (tmp_path / "latin.yml").write_bytes(b"metrics:\n  - name: caf\xe9\n")
    issue = only(problems(tmp_path))
    assert issue.file == str(tmp_path / "latin.yml")
    assert issue.message.startswith("not valid YAML: 'utf-8' codec can't decode")


def test_yaml_error_does_not_hide_other_files(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("metrics:\n  - name: [\n")
    metrics_file(tmp_path, simple_metric("fine_but_bad_7d", dataset="orderz"), name="b.yml")
    files = [Path(i.file).name for i in problems(tmp_path)]
    assert files == ["a.yml", "b.yml"]


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("metrics:\n  name: a\n", 1, "metrics must be a list"),
        ("# datasets\n\ndatasets: orders\n", 3, "datasets must be a list"),
        ("entities: 3\n", 1, "entities must be a list"),
        ("- a\n- b\n", 1, "a catalog file is a mapping with entities, datasets, metrics"),
        ("just text\n", 1, "a catalog file is a mapping with entities, datasets, metrics"),
    ],
)
def test_wrong_type_for_a_section(tmp_path: Path, text: str, line: int, message: str) -> None:
    (tmp_path / "shape.yml").write_text(text)
    issue = only(problems(tmp_path))
    assert (issue.line, issue.message) == (line, message)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("window", "7", "metric typed: window: Input should be a valid string"),
        ("description", "[a, b]", "metric typed: description: Input should be a valid string"),
        ("filter", "{a: 1}", "metric typed: filter: Input should be a valid string"),
        ("agg", "total", "metric typed: agg: Input should be 'count', 'count_distinct',"),
        ("unit", "parsecs", "metric typed: unit: unit 'parsecs' is not one of: count,"),
        (
            "min_volume",
            "lots",
            "metric typed: min_volume: Input should be a valid dictionary or instance of MinVolume",
        ),
    ],
)
def test_wrong_type_for_a_field(tmp_path: Path, field: str, value: str, message: str) -> None:
    path = metrics_file(tmp_path, simple_metric("typed", **{field: value}))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, f"{field}:")
    assert issue.message.startswith(message)


def test_wrong_type_inside_a_dataset(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        datasets:
          - name: shaped
            table: orders
            time: created_at
            entities: [seller]
            joins:
              - table: sellers
                key: seller_id
                columns: {category: 5}
        """,
    )
    issues = problems(tmp_path)
    assert [(i.line, i.message) for i in issues] == [
        (5, "dataset shaped: entities: Input should be a valid dictionary"),
        (9, "dataset shaped: joins.0.columns.category: Input should be a valid string"),
    ]


def test_fields_of_the_wrong_metric_type(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        metrics:
          - name: confused
            entity: seller
            type: ratio
            dataset: orders
            numerator: orders_placed
            denominator: dispatch_due_orders
            description: A ratio with a dataset.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.line, issue.message) == (2, "metric confused: a ratio metric has no dataset")


def test_ratio_with_mismatched_component_windows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        metrics:
          - name: weekly_over_monthly
            entity: seller
            type: ratio
            numerator: orders_7d
            denominator: orders_30d
            description: Parts with different windows and no window of its own.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(path), 5)
    assert issue.message == (
        "metric weekly_over_monthly: numerator and denominator have different windows; give the "
        "ratio a window and leave its parts without one"
    )


def test_ratio_window_clashing_with_a_component(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        metrics:
          - name: monthly_of_weekly
            entity: seller
            type: ratio
            numerator: orders_7d
            denominator: orders_placed
            window: 30d
            description: Its window differs from its numerator's.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.line, issue.message) == (
        7,
        "metric monthly_of_weekly: window 30d differs from the window of orders_7d",
    )


def test_ratio_of_a_derived_metric(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        metrics:
          - name: gpm_per_order
            entity: merchant
            type: ratio
            numerator: live_gpm_30d
            denominator: orders_placed
            window: 30d
            description: A ratio over a derived metric.
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.line, issue.message) == (
        5,
        "metric gpm_per_order: numerator live_gpm_30d must be a simple or cumulative metric, "
        "not derived",
    )


def test_lookup_join_not_on_the_tables_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        datasets:
          - name: orders_with_titles
            table: orders
            time: created_at
            entities:
              seller: seller_id
            joins:
              - table: products
                key: seller_id
                columns:
                  title: title
        """,
    )
    issue = only(problems(tmp_path))
    assert (issue.file, issue.line) == (str(path), line_of(path, "joins:"))
    assert issue.message == (
        "dataset orders_with_titles: join products: a lookup must join on products's key "
        "(product_id) so that rows are not multiplied; aggregate the columns otherwise"
    )


def test_join_mixing_lookups_and_aggregates(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        datasets:
          - name: mixed
            table: orders
            time: created_at
            entities: {seller: seller_id}
            joins:
              - table: reviews
                key: order_id
                columns:
                  rating_seen: rating
                  review_count: count(*)
        """,
    )
    issue = only(problems(tmp_path))
    assert issue.line == 6
    assert "columns must be all aggregations (one row per order_id)" in issue.message


def test_metrics_on_a_dataset_that_cannot_be_grouped_by_their_entity(tmp_path: Path) -> None:
    metrics_file(tmp_path, simple_metric("tickets_by_seller_7d", dataset="tickets"))
    issue = only(problems(tmp_path))
    assert issue.message == (
        "metric tickets_by_seller_7d: dataset tickets cannot be grouped by seller "
        "(it has center, marketplace)"
    )


def test_unknown_entity_and_time_column(tmp_path: Path) -> None:
    path = metrics_file(
        tmp_path, simple_metric("nobody_7d", entity="sellr"), simple_metric("when_7d", time="gmv")
    )
    issues = problems(tmp_path)
    assert [(i.line, i.message) for i in issues] == [
        (
            line_of(path, "entity: sellr"),
            "metric nobody_7d: unknown entity 'sellr' (did you mean seller?)",
        ),
        (
            line_of(path, "time: gmv"),
            "metric when_7d: time 'gmv' is not a time column of dataset orders",
        ),
    ]


# -- every problem at once ---------------------------------------------------------------------


def test_five_problems_in_one_file_are_five_issues_in_one_error() -> None:
    directory = CATALOGS / "five_problems"
    path = str(directory / "metrics.yml")
    with pytest.raises(IssuesError) as info:
        load_catalog(extra=[directory])
    assert str(info.value) == "\n".join(
        [
            "the metric catalog has problems: 5 problems",
            f"{path}:8: metric fixture_unknown_column_7d: filter: unknown column 'statuss' "
            "(did you mean status?)",
            f"{path}:15: metric fixture_unknown_dataset_7d: unknown dataset 'order' "
            "(did you mean orders?)",
            f"{path}:25: metric fixture_bad_window: window: window '7days' is not a number of "
            "days like 7d, 30d or 90d (1d to 3660d)",
            f"{path}:33: metric fixture_typo_field_7d: filtr: unknown field (did you mean filter?)",
            f"{path}:40: metric fixture_unknown_part_7d: numerator refers to unknown metric "
            "'late_dispatched_order' (did you mean late_dispatched_orders?)",
        ]
    )
    assert [i.line for i in info.value.issues] == [8, 15, 25, 33, 40]


def test_five_problems_through_read_and_check() -> None:
    loaded = read_catalog_files([shipped_catalog_dir(), CATALOGS / "five_problems"])
    assert [i.line for i in loaded.issues] == [25, 33]  # what the reader alone finds
    catalog, issues = check_catalog(loaded)
    assert isinstance(issues, Issues)
    assert [i.line for i in issues] == [8, 15, 25, 33, 40]
    # the definitions that parsed are still there for the checker to report on
    assert "fixture_unknown_column_7d" in catalog.metrics
    assert "fixture_typo_field_7d" not in catalog.metrics


def test_every_issue_line_is_file_line_message(tmp_path: Path) -> None:
    """A catalog with many kinds of problems: one error, every line ``file:line: message``."""
    write(tmp_path, "metrics:\n  - name: [\n", "broken.yml")
    write(tmp_path, "metric: []\n", "section.yml")
    metrics_file(
        tmp_path,
        simple_metric("m1_7d", filter="\"read_csv('x') IS NULL\""),
        simple_metric("m2_7d", window="'0d'"),
        simple_metric("orders_7d"),
        simple_metric("m3_7d", filtr="gmv > 0"),
        simple_metric("m4_7d", dataset="orderz"),
        simple_metric("m5_7d", agg="sum", expr="gmvv"),
        name="metrics.yml",
    )
    issues = problems(tmp_path)
    assert len(issues) == 8
    with pytest.raises(IssuesError) as info:
        load_catalog(extra=[tmp_path])
    for line in str(info.value).splitlines()[1:]:
        assert ISSUE_LINE.match(line), line


def test_issues_in_one_file_do_not_stop_other_definitions(tmp_path: Path) -> None:
    metrics_file(
        tmp_path,
        simple_metric("broken_7d", filtr="gmv > 0"),
        simple_metric("fine_7d"),
    )
    catalog, issues = check_catalog(read_catalog_files([shipped_catalog_dir(), tmp_path]))
    assert len(issues) == 1
    assert "fine_7d" in catalog.metrics


def test_show_all_filter_is_an_issue(tmp_path: Path) -> None:
    """SQLGlot's parser fails with an IndexError on ``SHOW ALL``: still one issue, no traceback."""
    path = metrics_file(tmp_path, simple_metric("show_7d", filter="SHOW ALL"))
    issue = only(problems(tmp_path))
    assert issue.line == line_of(path, "filter:")
    assert issue.message == "metric show_7d: filter is not a valid SQL expression"


def test_item_that_is_not_a_mapping_is_reported_at_its_section(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        # a user's metrics
        metrics:
          - orders_14d
          - [a, list]
        """,
    )
    issues = problems(tmp_path)
    assert [(i.line, i.message) for i in issues] == [
        (2, "each metric must be a mapping, got 'orders_14d'"),
        (2, "each metric must be a mapping, got ['a', 'list']"),
    ]


# -- keys that are not names; metrics on a dataset with problems ------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("metrics:\n  - name: a\n    ? [x, y]\n    : 1\n", 3),
        ("? [x]\n: 1\n", 1),
        ("metrics:\n  - {name: a, {b: 1}: 2}\n", 2),
    ],
    ids=["sequence key", "top-level sequence key", "mapping key"],
)
def test_complex_yaml_key_is_an_issue(tmp_path: Path, text: str, line: int) -> None:
    (tmp_path / "keys.yml").write_text(text)
    assert only(problems(tmp_path)).line == line


def test_metric_on_a_broken_dataset_is_not_told_it_is_unknown(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
        datasets:
          - name: broken_orders
            table: orders
            time: created_at
            entities: {seller: seller_id}
            joins:
              - {table: products, key: seller_id, columns: {title: title}}
        metrics:
          - name: broken_orders_7d
            entity: seller
            type: simple
            dataset: broken_orders
            agg: count
            window: 7d
            description: On a dataset whose join is refused.
        """,
    )
    issues = problems(tmp_path)
    assert issues[0].line == 6  # the join: the real problem
    assert not any("unknown dataset 'broken_orders'" in i.message for i in issues)
