WITH __rows_g_orders_created_at AS (
  SELECT
    *
  FROM orders
  WHERE
    created_at >= CAST('2026-08-02 17:00:00Z' AS TIMESTAMP)
    AND created_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
), g_orders_created_at AS (
  SELECT
    seller_id AS __k0,
    COUNT(*) FILTER(WHERE
      (
        worst_rating <= 2
        OR return_fault = 'seller'
        OR (
          NOT cancelled_at IS NULL
          AND (
            cancel_initiator = 'seller'
            OR (
              cancel_initiator = 'system' AND NOT paid_at IS NULL
            )
          )
        )
      )) AS defective_orders__60d,
    COUNT(*) AS orders_placed__60d
  FROM (
    SELECT
      t.*,
      j0.worst_rating
    FROM __rows_g_orders_created_at AS t
    LEFT JOIN (
      SELECT
        order_id,
        MIN(rating) AS worst_rating
      FROM reviews
      WHERE
        order_id IN (
          SELECT
            order_id
          FROM __rows_g_orders_created_at
        )
        AND order_id BETWEEN (
          SELECT
            MIN(order_id)
          FROM __rows_g_orders_created_at
        ) AND (
          SELECT
            MAX(order_id)
          FROM __rows_g_orders_created_at
        )
      GROUP BY
        order_id
    ) AS j0
      ON t.order_id = j0.order_id
  ) AS r
  WHERE
    (
      created_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
      AND created_at >= CAST('2026-08-02 17:00:00Z' AS TIMESTAMP)
    )
    AND NOT seller_id IS NULL
  GROUP BY
    __k0
)
SELECT
  __k0 AS seller_id,
  CAST('2026-10-01' AS DATE) AS as_of,
  order_defect_rate_60d
FROM (
  SELECT
    __subjects.__k0,
    CASE
      WHEN COALESCE(orders_placed__60d, 0) >= 10.0
      THEN CAST(COALESCE(defective_orders__60d, 0) AS DOUBLE) / NULLIF(COALESCE(orders_placed__60d, 0), 0)
    END AS order_defect_rate_60d
  FROM (
    SELECT DISTINCT
      seller_id AS __k0
    FROM sellers
    WHERE
      NOT seller_id IS NULL
  ) AS __subjects
  LEFT JOIN g_orders_created_at
    USING (__k0)
) AS s
ORDER BY
  seller_id
