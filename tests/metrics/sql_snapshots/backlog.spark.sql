WITH g_tickets_created_at_all AS (
  SELECT
    center AS __k0,
    COUNT(*) FILTER(WHERE
      (
        resolved_at IS NULL OR resolved_at >= CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
      )) AS backlog__all
  FROM (
    SELECT
      t.*
    FROM (
      SELECT
        *
      FROM tickets
      WHERE
        created_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
    ) AS t
  ) AS r
  WHERE
    created_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP) AND NOT center IS NULL
  GROUP BY
    __k0
)
SELECT
  __k0 AS center,
  CAST('2026-10-01' AS DATE) AS as_of,
  backlog
FROM (
  SELECT
    __subjects.__k0,
    COALESCE(backlog__all, 0) AS backlog
  FROM (
    SELECT
      *
    FROM (
      SELECT DISTINCT
        __k0
      FROM g_tickets_created_at_all
    ) AS u
  ) AS __subjects
  LEFT JOIN g_tickets_created_at_all
    USING (__k0)
) AS s
ORDER BY
  center
