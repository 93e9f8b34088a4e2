SELECT
  __k0 AS creator_id,
  CAST('2026-10-01' AS DATE) AS as_of,
  creator_gpm_30d
FROM (
  WITH g_live_sessions_started_at AS (
    SELECT
      creator_id AS __k0,
      SUM(views) FILTER(WHERE
        (
          host_type = 'creator'
        )) AS creator_live_views_30d__30d
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
      AND NOT creator_id IS NULL
    GROUP BY
      __k0
  ), g_orders_created_at AS (
    SELECT
      creator_id AS __k0,
      COUNT(*) FILTER(WHERE
        (
          NOT creator_id IS NULL AND channel IN ('live', 'video')
        )) AS creator_content_orders_30d__30d,
      SUM(gmv) FILTER(WHERE
        (
          NOT creator_id IS NULL AND channel = 'live'
        )) AS creator_gmv_live_30d__30d,
      SUM(gmv) FILTER(WHERE
        (
          NOT creator_id IS NULL AND channel = 'video'
        )) AS creator_gmv_video_30d__30d
    FROM (
      SELECT
        t.*
      FROM (
        SELECT
          *
        FROM orders
        WHERE
          created_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
          AND created_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
      ) AS t
    ) AS r
    WHERE
      (
        created_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
        AND created_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
      )
      AND NOT creator_id IS NULL
    GROUP BY
      __k0
  ), g_videos_posted_at AS (
    SELECT
      creator_id AS __k0,
      SUM(views) FILTER(WHERE
        (
          NOT creator_id IS NULL
        )) AS creator_video_views_30d__30d
    FROM (
      SELECT
        t.*
      FROM (
        SELECT
          *
        FROM videos
        WHERE
          posted_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
          AND posted_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
      ) AS t
    ) AS r
    WHERE
      (
        posted_at < CAST('2026-10-01 17:00:00+00:00' AS TIMESTAMPTZ)
        AND posted_at >= CAST('2026-09-01 17:00:00+00:00' AS TIMESTAMPTZ)
      )
      AND NOT creator_id IS NULL
    GROUP BY
      __k0
  )
  SELECT
    __subjects.__k0,
    CASE
      WHEN COALESCE(creator_content_orders_30d__30d, 0) >= 1.0
      THEN (
        CAST(COALESCE(creator_gmv_live_30d__30d, 0) AS DOUBLE) + CAST(COALESCE(creator_gmv_video_30d__30d, 0) AS DOUBLE)
      ) * 1000 / NULLIF(
        CAST(COALESCE(creator_video_views_30d__30d, 0) AS DOUBLE) + CAST(COALESCE(creator_live_views_30d__30d, 0) AS DOUBLE),
        0
      )
    END AS creator_gpm_30d
  FROM (
    SELECT DISTINCT
      creator_id AS __k0
    FROM creators
    WHERE
      NOT creator_id IS NULL
  ) AS __subjects
  LEFT JOIN g_live_sessions_started_at
    USING (__k0)
  LEFT JOIN g_orders_created_at
    USING (__k0)
  LEFT JOIN g_videos_posted_at
    USING (__k0)
) AS s
ORDER BY
  creator_id
