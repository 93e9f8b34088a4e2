WITH g_orders_ship_by_at AS (
  SELECT
    seller_id AS __k0,
    COUNT(*) FILTER(WHERE
      (
        NOT ship_by_at IS NULL
        AND NOT (
          shipped_at IS NULL AND NOT cancelled_at IS NULL AND cancelled_at <= ship_by_at
        )
      )) AS dispatch_due_orders__7d,
    COUNT(*) FILTER(WHERE
      (
        NOT ship_by_at IS NULL
        AND NOT (
          shipped_at IS NULL AND NOT cancelled_at IS NULL AND cancelled_at <= ship_by_at
        )
        AND (
          shipped_at IS NULL OR shipped_at > ship_by_at
        )
      )) AS late_dispatched_orders__7d
  FROM (
    SELECT
      t.*
    FROM (
      SELECT
        *
      FROM orders
      WHERE
        ship_by_at >= CAST('2026-09-24 17:00:00Z' AS TIMESTAMP)
        AND ship_by_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
    ) AS t
  ) AS r
  WHERE
    (
      ship_by_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
      AND ship_by_at >= CAST('2026-09-24 17:00:00Z' AS TIMESTAMP)
    )
    AND NOT seller_id IS NULL
  GROUP BY
    __k0
)
SELECT
  __k0 AS seller_id,
  CAST('2026-10-01' AS DATE) AS as_of,
  late_dispatch_rate_7d
FROM (
  SELECT
    __subjects.__k0,
    CASE
      WHEN COALESCE(dispatch_due_orders__7d, 0) >= 10.0
      THEN CAST(COALESCE(late_dispatched_orders__7d, 0) AS DOUBLE) / NULLIF(COALESCE(dispatch_due_orders__7d, 0), 0)
    END AS late_dispatch_rate_7d
  FROM (
    SELECT DISTINCT
      seller_id AS __k0
    FROM sellers
    WHERE
      NOT seller_id IS NULL
  ) AS __subjects
  LEFT JOIN g_orders_ship_by_at
    USING (__k0)
) AS s
ORDER BY
  seller_id
