"""The Olist connector: the public Brazilian marketplace dataset (Kaggle layout) into the contract.

Files are recognised by name (``olist_orders_dataset.csv`` or ``orders.csv``, and so on); a
directory is searched recursively. Rules, chosen so every Olist row has one documented home:

- **One order per seller.** Olist orders may hold items from several sellers, but every contract
  order has one seller. An order whose items come from ``n > 1`` sellers becomes ``n`` orders
  with ids ``<order_id>-1`` … ``<order_id>-n`` (sellers ranked by seller_id); a one-seller order
  keeps its id. Each part carries the order's timestamps and status, ``gmv`` = the sum of that
  seller's item prices (freight excluded), and ``ship_by_at`` = the earliest
  ``shipping_limit_date`` of them.
- ``shipped_at`` = ``order_delivered_carrier_date`` (handed to the carrier),
  ``delivered_at`` = ``order_delivered_customer_date``, ``paid_at`` = ``order_approved_at``,
  ``estimated_delivery_at`` = ``order_estimated_delivery_date``; buyer = ``customer_unique_id``
  (``customer_id`` without a customers file); province = the customer's state.
- Status: delivered → delivered, shipped → in_transit, canceled/unavailable → cancelled,
  created → awaiting_payment, approved/invoiced/processing → awaiting_shipment.
- An order without items has no seller, so it is refused (Olist marks most such orders
  ``unavailable``); its seller is the one thing the contract cannot do without.
- Order lines keep Olist's ``order_item_id`` as ``line_no`` (one unit per line).
- Sellers get ``joined_at`` and ``category`` from the closed-deals file when present; products get
  their English category from the translation file and their seller from the items (the seller who
  sold the most of it). Marketing leads are not a fact table and are skipped with a note.
- Times are Brazilian local time (America/Sao_Paulo) unless ``--source-tz`` says otherwise.

Example:
    >>> OlistConnector().kind_of(Path("olist_orders_dataset.csv"))
    'orders'
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pasar.kit.errors import InputError
from pasar.kit.sqltext import ident, literal
from pasar.warehouse.connectors.base import Connector, ConnectorOptions, Plan, require_column
from pasar.warehouse.contract import CONTRACT
from pasar.warehouse.ingest.parsing import ParseOptions, typed_value
from pasar.warehouse.ingest.readers import RawFile
from pasar.warehouse.ingest.sources import Field, TableSource

KINDS = {
    "orders": ("olist_orders_dataset", "orders"),
    "items": ("olist_order_items_dataset", "order_items"),
    "customers": ("olist_customers_dataset", "customers"),
    "sellers": ("olist_sellers_dataset", "sellers"),
    "products": ("olist_products_dataset", "products"),
    "reviews": ("olist_order_reviews_dataset", "order_reviews", "reviews"),
    "translation": ("product_category_name_translation",),
    "deals": ("olist_closed_deals_dataset", "closed_deals"),
}
NOT_FACTS = {
    "olist_marketing_qualified_leads_dataset": "marketing leads are not a fact table",
    "olist_order_payments_dataset": "payments are not part of the contract",
    "olist_geolocation_dataset": "geolocation is not part of the contract",
}
STATUS = {
    "delivered": "delivered",
    "shipped": "in_transit",
    "canceled": "cancelled",
    "unavailable": "cancelled",
    "created": "awaiting_payment",
    "approved": "awaiting_shipment",
    "invoiced": "awaiting_shipment",
    "processing": "awaiting_shipment",
}


class OlistConnector(Connector):
    name = "olist"
    default_timezone = "America/Sao_Paulo"
    prefer = "en"

    def kind_of(self, path: Path) -> str | None:
        """Which Olist file this is (orders, items, customers, …), from its name."""
        stem = path.stem.lower()
        return next((kind for kind, stems in KINDS.items() if stem in stems), None)

    def refuse(self, path: Path, options: ConnectorOptions) -> str | None:
        why = super().refuse(path, options)
        if why:
            return why
        if path.stem.lower() in NOT_FACTS:
            return NOT_FACTS[path.stem.lower()]
        if self.kind_of(path) is None:
            return "not a file of the Olist dataset"
        return None

    def plan(
        self, con: duckdb.DuckDBPyConnection, raws: list[RawFile], options: ConnectorOptions
    ) -> Plan:
        files: dict[str, list[RawFile]] = {}
        for raw in raws:
            kind = self.kind_of(raw.path)
            assert kind is not None  # refused in discover otherwise
            files.setdefault(kind, []).append(raw)
        parse = self.parse_options(options)
        plan = Plan()
        items = self._union(con, files.get("items", []), "olist_items", ITEM_COLUMNS)
        if items:
            self._per_seller(con, items, parse)
        self._translation(con, files.get("translation", []))
        wanted = {options.table} if options.table else None

        def add(table: str, source: TableSource, *used: RawFile) -> None:
            if wanted is None or table in wanted:
                plan.add(source, *used)

        for raw in files.get("sellers", []):
            add("sellers", self._sellers(con, raw, files.get("deals", []), parse), raw)
        for raw in files.get("products", []):
            add("products", self._products(raw, items is not None, parse), raw)
        if (files.get("orders") or files.get("reviews")) and not items:
            raise InputError(
                "Olist orders and reviews need the order items file in the same batch "
                "(an order's seller comes from its items)",
                file=str((files.get("orders") or files["reviews"])[0].path),
            )
        for raw in files.get("orders", []):
            add("orders", self._orders(con, raw, files.get("customers", []), parse), raw)
        for raw in files.get("items", []):
            add("order_items", self._items(raw, parse), raw)
        for raw in files.get("reviews", []):
            add("reviews", self._reviews(raw, parse), raw)
        if not plan.sources:
            raise InputError(
                "these Olist files feed no contract table on their own (orders need their items)"
                + (f" or none feeds table {options.table}" if options.table else "")
            )
        return plan

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _union(
        con: duckdb.DuckDBPyConnection, raws: list[RawFile], name: str, columns: tuple[str, ...]
    ) -> str | None:
        """One view over every file of a kind, with the columns the rules use."""
        if not raws:
            return None
        parts = []
        for raw in raws:
            picked = ", ".join(
                f"CAST({ident(require_column(raw, c))} AS VARCHAR) AS {ident(c)}" for c in columns
            )
            parts.append(f"SELECT _file, _row, {picked} FROM {ident(raw.table)}")
        con.execute(f"CREATE OR REPLACE TEMP VIEW {ident(name)} AS " + " UNION ALL ".join(parts))
        return name

    @staticmethod
    def _per_seller(con: duckdb.DuckDBPyConnection, items: str, parse: ParseOptions) -> None:
        """Each (order, seller) pair: its split order id, gmv, dispatch deadline, first product.

        Prices are read like every amount (``1,234.50`` too). As in validation, a line in a
        later file of the batch replaces the same line of an earlier one, and an exact copy in
        one file counts once; conflicting copies in one file leave the gmv unknown (NULL), and a
        price that cannot be read becomes the gmv, so that the order is refused with it.
        """
        price = typed_value(CONTRACT["order_items"].column("unit_price"), "price", "text", parse)
        total = "CAST(sum(amount) AS VARCHAR)"  # text the source's number style reads back
        total = total if parse.number_style == "en" else f"replace({total}, '.', ',')"
        con.execute(
            f"""
            CREATE OR REPLACE TEMP TABLE olist_parts AS
            WITH latest AS (
                SELECT *, _file = max(_file) OVER (
                    PARTITION BY trim(order_id), trim(order_item_id)) AS in_last_file
                FROM {ident(items)}
            ),
            lines AS (
                SELECT DISTINCT order_id, order_item_id, seller_id, product_id,
                                shipping_limit_date, price, {price} AS amount
                FROM latest WHERE in_last_file
            ),
            pairs AS (
                SELECT trim(order_id) AS order_id, trim(seller_id) AS seller_id,
                       CASE WHEN count(*) > count(DISTINCT trim(order_item_id)) THEN NULL
                            WHEN count(*) > count(amount)
                            THEN min(coalesce(price, '')) FILTER (WHERE amount IS NULL)
                            ELSE {total} END AS gmv,
                       min(shipping_limit_date) AS ship_by,
                       arg_min(trim(product_id), TRY_CAST(order_item_id AS INTEGER)) AS product_id
                FROM lines GROUP BY 1, 2
            )
            SELECT *,
                   CASE WHEN count(*) OVER (PARTITION BY order_id) > 1
                        THEN order_id || '-' || row_number() OVER (PARTITION BY order_id
                                                                   ORDER BY seller_id)
                        ELSE order_id END AS part_id
            FROM pairs
            """
        )

    @staticmethod
    def _translation(con: duckdb.DuckDBPyConnection, raws: list[RawFile]) -> None:
        parts = [
            f"SELECT CAST({ident(require_column(r, 'product_category_name'))} AS VARCHAR) AS pt, "
            f"CAST({ident(require_column(r, 'product_category_name_english'))} AS VARCHAR) AS en "
            f"FROM {ident(r.table)}"
            for r in raws
        ]
        body = " UNION ".join(parts) if parts else "SELECT NULL::VARCHAR AS pt, NULL::VARCHAR AS en"
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE olist_categories AS SELECT pt, min(en) AS en "
            f"FROM ({body}) WHERE pt IS NOT NULL GROUP BY pt"
        )

    @staticmethod
    def _sellers(
        con: duckdb.DuckDBPyConnection, raw: RawFile, deals: list[RawFile], parse: ParseOptions
    ) -> TableSource:
        s = {c: ident(require_column(raw, c)) for c in ("seller_id", "seller_city", "seller_state")}
        deal_view = OlistConnector._union(
            con, deals, "olist_deals", ("seller_id", "won_date", "business_segment")
        )
        join = (
            f"LEFT JOIN (SELECT trim(seller_id) AS d_seller, min(won_date) AS won_date, "
            f"min(business_segment) AS business_segment FROM {ident(deal_view)} "
            f"GROUP BY 1) d ON d.d_seller = trim(CAST(r.{s['seller_id']} AS VARCHAR))"
            if deal_view
            else "LEFT JOIN (SELECT NULL AS won_date, NULL AS business_segment) d ON false"
        )
        relation = f"(SELECT r.*, d.won_date, d.business_segment FROM {ident(raw.table)} r {join})"
        fields = {
            "seller_id": Field(s["seller_id"], "seller_id"),
            "city": Field(s["seller_city"], "seller_city"),
            "province": Field(s["seller_state"], "seller_state"),
            "joined_at": Field("won_date", "won_date (closed deals)"),
            "category": Field("business_segment", "business_segment (closed deals)"),
        }
        return TableSource("sellers", relation, fields, parse)

    @staticmethod
    def _products(raw: RawFile, with_items: bool, parse: ParseOptions) -> TableSource:
        pid = ident(require_column(raw, "product_id"))
        category = ident(require_column(raw, "product_category_name"))
        seller = (
            "(SELECT first(i.seller_id ORDER BY i.n DESC, i.seller_id) FROM "
            "(SELECT trim(seller_id) AS seller_id, trim(product_id) AS product_id, count(*) AS n "
            "FROM olist_items GROUP BY 1, 2) i "
            f"WHERE i.product_id = trim(CAST(r.{pid} AS VARCHAR)))"
            if with_items
            else "NULL::VARCHAR"
        )
        price = (
            "(SELECT median(TRY_CAST(i.price AS DECIMAL(18,2))) FROM olist_items i "
            f"WHERE trim(i.product_id) = trim(CAST(r.{pid} AS VARCHAR)))"
            if with_items
            else "NULL::VARCHAR"
        )
        relation = (
            f"(SELECT r._file, r._row, r.{pid} AS product_id, {seller} AS seller_id, "
            f"coalesce(c.en, r.{category}) AS category, {price} AS price "
            f"FROM {ident(raw.table)} r LEFT JOIN olist_categories c ON c.pt = r.{category})"
        )
        fields = {
            "product_id": Field("product_id", "product_id"),
            "seller_id": Field("seller_id", "seller_id (from order items)"),
            "category": Field("category", "product_category_name"),
            "price": Field("price", "price (median of order items)"),
        }
        return TableSource("products", relation, fields, parse)

    @staticmethod
    def _orders(
        con: duckdb.DuckDBPyConnection, raw: RawFile, customers: list[RawFile], parse: ParseOptions
    ) -> TableSource:
        o = {
            c: ident(require_column(raw, c))
            for c in (
                "order_id",
                "customer_id",
                "order_status",
                "order_purchase_timestamp",
                "order_approved_at",
                "order_delivered_carrier_date",
                "order_delivered_customer_date",
                "order_estimated_delivery_date",
            )
        }
        customer_view = OlistConnector._union(
            con,
            customers,
            "olist_customers",
            ("customer_id", "customer_unique_id", "customer_state"),
        )
        customer_join = (
            f"LEFT JOIN (SELECT trim(customer_id) AS c_id, min(customer_unique_id) AS "
            f"unique_id, min(customer_state) AS state FROM {ident(customer_view)} "
            f"GROUP BY 1) c ON c.c_id = trim(CAST(r.{o['customer_id']} AS VARCHAR))"
            if customer_view
            else "LEFT JOIN (SELECT NULL AS unique_id, NULL AS state) c ON false"
        )
        status_cases = " ".join(f"WHEN {literal(k)} THEN {literal(v)}" for k, v in STATUS.items())
        status = f"lower(trim(CAST(r.{o['order_status']} AS VARCHAR)))"
        relation = f"""(
            SELECT r._file, r._row, coalesce(p.part_id, trim(CAST(r.{o["order_id"]} AS VARCHAR)))
                       AS order_id,
                   p.seller_id, coalesce(c.unique_id, r.{o["customer_id"]}) AS buyer_id,
                   CASE {status} {status_cases} ELSE {status} END AS status,
                   p.gmv, p.ship_by, c.state, r.*
            FROM {ident(raw.table)} r
            LEFT JOIN olist_parts p ON p.order_id = trim(CAST(r.{o["order_id"]} AS VARCHAR))
            {customer_join}
        )"""
        fields = {
            "order_id": Field("order_id", "order_id"),
            "seller_id": Field("seller_id", "seller_id (the order has no items)"),
            "buyer_id": Field("buyer_id", "customer_unique_id"),
            "created_at": Field(o["order_purchase_timestamp"], "order_purchase_timestamp"),
            "paid_at": Field(o["order_approved_at"], "order_approved_at"),
            "ship_by_at": Field("ship_by", "shipping_limit_date (earliest of the order's items)"),
            "shipped_at": Field(o["order_delivered_carrier_date"], "order_delivered_carrier_date"),
            "estimated_delivery_at": Field(
                o["order_estimated_delivery_date"], "order_estimated_delivery_date"
            ),
            "delivered_at": Field(
                o["order_delivered_customer_date"], "order_delivered_customer_date"
            ),
            "status": Field("status", "order_status"),
            "gmv": Field("gmv", "price (sum of the seller's items)"),
            "province": Field("state", "customer_state"),
        }
        return TableSource("orders", relation, fields, parse)

    @staticmethod
    def _items(raw: RawFile, parse: ParseOptions) -> TableSource:
        i = {c: ident(require_column(raw, c)) for c in ITEM_COLUMNS}
        relation = f"""(
            SELECT r.*, coalesce(p.part_id, trim(CAST(r.{i["order_id"]} AS VARCHAR))) AS part_id
            FROM {ident(raw.table)} r
            LEFT JOIN olist_parts p ON p.order_id = trim(CAST(r.{i["order_id"]} AS VARCHAR))
                                   AND p.seller_id = trim(CAST(r.{i["seller_id"]} AS VARCHAR))
        )"""
        fields = {
            "order_id": Field("part_id", "order_id"),
            "line_no": Field(i["order_item_id"], "order_item_id"),
            "product_id": Field(i["product_id"], "product_id"),
            "unit_price": Field(i["price"], "price"),
        }
        return TableSource("order_items", relation, fields, parse)

    @staticmethod
    def _reviews(raw: RawFile, parse: ParseOptions) -> TableSource:
        r = {
            c: ident(require_column(raw, c))
            for c in ("order_id", "review_score", "review_creation_date")
        }
        relation = f"""(
            SELECT x.*, p.part_id, p.seller_id AS part_seller, p.product_id AS part_product
            FROM {ident(raw.table)} x
            LEFT JOIN olist_parts p ON p.order_id = trim(CAST(x.{r["order_id"]} AS VARCHAR))
        )"""
        fields = {
            "order_id": Field(f"coalesce(part_id, {r['order_id']})", "order_id"),
            "seller_id": Field("part_seller", "seller_id (from order items)"),
            "product_id": Field("part_product", "product_id (from order items)"),
            "rating": Field(r["review_score"], "review_score"),
            "created_at": Field(r["review_creation_date"], "review_creation_date"),
        }
        return TableSource("reviews", relation, fields, parse)


ITEM_COLUMNS = (
    "order_id",
    "order_item_id",
    "product_id",
    "seller_id",
    "shipping_limit_date",
    "price",
)
