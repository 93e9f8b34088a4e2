WITH g_chats_buyer_message_at AS (
  SELECT
    seller_id AS __k0,
    PERCENTILE(
      (
        (
          CAST((
            UNIX_MICROS(first_response_at) - UNIX_MICROS(buyer_message_at)
          ) AS DOUBLE) / 1000000
        ) / 60
      ),
      0.5
    ) FILTER(WHERE
      (
        NOT first_response_at IS NULL
      )) AS chat_first_response_minutes_p50_30d__30d,
    COUNT(*) FILTER(WHERE
      (
        NOT first_response_at IS NULL
      )) AS chat_first_response_minutes_p50_30d__rows__30d
  FROM (
    SELECT
      t.*
    FROM (
      SELECT
        *
      FROM chats
      WHERE
        buyer_message_at >= CAST('2026-09-01 17:00:00Z' AS TIMESTAMP)
        AND buyer_message_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
    ) AS t
  ) AS r
  WHERE
    (
      buyer_message_at < CAST('2026-10-01 17:00:00Z' AS TIMESTAMP)
      AND buyer_message_at >= CAST('2026-09-01 17:00:00Z' AS TIMESTAMP)
    )
    AND NOT seller_id IS NULL
  GROUP BY
    __k0
)
SELECT
  __k0 AS seller_id,
  CAST('2026-10-01' AS DATE) AS as_of,
  chat_first_response_minutes_p50_30d
FROM (
  SELECT
    __subjects.__k0,
    CASE
      WHEN COALESCE(chat_first_response_minutes_p50_30d__rows__30d, 0) >= 5.0
      THEN chat_first_response_minutes_p50_30d__30d
    END AS chat_first_response_minutes_p50_30d
  FROM (
    SELECT DISTINCT
      seller_id AS __k0
    FROM sellers
    WHERE
      NOT seller_id IS NULL
  ) AS __subjects
  LEFT JOIN g_chats_buyer_message_at
    USING (__k0)
) AS s
ORDER BY
  seller_id
