SELECT
  __k0 AS seller_id,
  CAST('2026-10-01' AS DATE) AS as_of,
  live_days_30d
FROM (
  WITH g_live_sessions_started_at AS (
    SELECT
      seller_id AS __k0,
      COUNT(DISTINCT (
        CAST(MAKE_TIMESTAMP(EPOCH_US(started_at) + 25200000000) AS DATE)
      )) FILTER(WHERE
        (
          host_type = 'seller'
          AND (
            (
              CAST((
                EPOCH_US(ended_at) - EPOCH_US(started_at)
              ) AS DOUBLE) / 1000000
            ) / 60
          ) >= 60
          AND products_pinned >= 1
        )) AS live_days_30d__30d
    FROM (
      SELECT
        t.*
      FROM (
        SELECT
          *
        FROM live_sessions
        WHERE
          started_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
          AND started_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
      ) AS t
    ) AS r
    WHERE
      (
        started_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
        AND started_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
      )
      AND NOT seller_id IS NULL
    GROUP BY
      __k0
  )
  SELECT
    __subjects.__k0,
    COALESCE(live_days_30d__30d, 0) AS live_days_30d
  FROM (
    SELECT DISTINCT
      seller_id AS __k0
    FROM sellers
    WHERE
      NOT seller_id IS NULL
  ) AS __subjects
  LEFT JOIN g_live_sessions_started_at
    USING (__k0)
) AS s
ORDER BY
  seller_id
