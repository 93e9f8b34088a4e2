SELECT
  __k0 AS center,
  CAST('2026-10-01' AS DATE) AS as_of,
  first_response_hours_p90_7d
FROM (
  WITH g_tickets_created_at AS (
    SELECT
      center AS __k0,
      QUANTILE_CONT(
        (
          (
            CAST((
              EPOCH_US(first_response_at) - EPOCH_US(created_at)
            ) AS DOUBLE) / 1000000
          ) / 3600
        ),
        0.9
      ) FILTER(WHERE
        (
          NOT first_response_at IS NULL
        )) AS first_response_hours_p90_7d__7d,
      COUNT(*) FILTER(WHERE
        (
          NOT first_response_at IS NULL
        )) AS first_response_hours_p90_7d__rows__7d
    FROM (
      SELECT
        t.*
      FROM (
        SELECT
          *
        FROM tickets
        WHERE
          created_at >= CAST('2026-09-24 17:00:00+00:00' AS TIMESTAMPTZ)
          AND created_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
      ) AS t
    ) AS r
    WHERE
      (
        created_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
        AND created_at >= CAST('2026-09-24 17:00:00+00:00' AS TIMESTAMPTZ)
      )
      AND NOT center IS NULL
    GROUP BY
      __k0
  )
  SELECT
    __subjects.__k0,
    CASE
      WHEN COALESCE(first_response_hours_p90_7d__rows__7d, 0) >= 10.0
      THEN first_response_hours_p90_7d__7d
    END AS first_response_hours_p90_7d
  FROM (
    SELECT
      *
    FROM (
      SELECT DISTINCT
        __k0
      FROM g_tickets_created_at
    ) AS u
  ) AS __subjects
  LEFT JOIN g_tickets_created_at
    USING (__k0)
) AS s
ORDER BY
  center
