-- bench/pipeline_efficiency.toml's figure (docs/performance.md, "Pipeline"): per schedule and chunk count, the median
-- pipeline efficiency of its repeats, the ideal M/(M+K-1), their ratio, and the median samples per second.
WITH runs_done AS (
  SELECT COALESCE(json_extract(r.config, '$.parallelism.schedule'), 'fill_drain') AS schedule,
         json_extract(r.config, '$.parallelism.chunks') AS chunks, e.value AS efficiency, i.value AS ideal,
         t.value AS samples_per_s
  FROM runs r JOIN sweeps s ON s.id = r.sweep_id
  JOIN run_metrics e ON e.run_id = r.id AND e.name = 'pipeline_efficiency'
  JOIN run_metrics i ON i.run_id = r.id AND i.name = 'ideal_efficiency'
  JOIN run_metrics t ON t.run_id = r.id AND t.name = 'samples_per_s'
  WHERE s.name = 'pipeline_efficiency' AND r.status = 'done' AND r.in_plan = 1),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY schedule, chunks ORDER BY efficiency) AS k,
         ROW_NUMBER() OVER (PARTITION BY schedule, chunks ORDER BY samples_per_s) AS j,
         COUNT(*) OVER (PARTITION BY schedule, chunks) AS n
  FROM runs_done)
SELECT schedule, chunks, MAX(n) AS repeats,
       ROUND(AVG(CASE WHEN k IN ((n + 1) / 2, (n + 2) / 2) THEN efficiency END), 3) AS efficiency_median,
       ROUND(MAX(ideal), 3) AS ideal,
       ROUND(AVG(CASE WHEN k IN ((n + 1) / 2, (n + 2) / 2) THEN efficiency END) / MAX(ideal), 3) AS of_ideal,
       CAST(ROUND(AVG(CASE WHEN j IN ((n + 1) / 2, (n + 2) / 2) THEN samples_per_s END)) AS INTEGER) AS samples_per_s_median
FROM ranked GROUP BY schedule, chunks ORDER BY schedule, chunks
