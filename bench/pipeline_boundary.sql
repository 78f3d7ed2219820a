-- bench/pipeline_boundary.toml's figure (docs/performance.md, "Pipeline"): per boundary codec, the median samples per
-- second of its repeats, the ratio to the float32 boundary's median, the median seconds each rank spent encoding and
-- decoding, and the mean test accuracy.
WITH runs_done AS (
  SELECT COALESCE(json_extract(r.config, '$.parallelism.boundary_compression'), 'none') AS codec, t.value AS samples_per_s,
         c0.value AS codec_s_0, c1.value AS codec_s_1, r.test_accuracy
  FROM runs r JOIN sweeps s ON s.id = r.sweep_id
  JOIN run_metrics t ON t.run_id = r.id AND t.name = 'samples_per_s'
  JOIN run_metrics c0 ON c0.run_id = r.id AND c0.name = 'codec_seconds.0'
  JOIN run_metrics c1 ON c1.run_id = r.id AND c1.name = 'codec_seconds.1'
  WHERE s.name = 'pipeline_boundary' AND r.status = 'done' AND r.in_plan = 1),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY codec ORDER BY samples_per_s) AS k, COUNT(*) OVER (PARTITION BY codec) AS n
  FROM runs_done),
medians AS (
  SELECT codec, AVG(samples_per_s) AS samples_per_s, AVG(codec_s_0) AS codec_s_0, AVG(codec_s_1) AS codec_s_1
  FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY codec),
summary AS (SELECT codec, COUNT(*) AS repeats, AVG(test_accuracy) AS accuracy FROM runs_done GROUP BY codec)
SELECT m.codec, s.repeats, CAST(ROUND(m.samples_per_s) AS INTEGER) AS samples_per_s_median,
       ROUND(m.samples_per_s / f.samples_per_s, 2) AS ratio_to_float32, ROUND(m.codec_s_0, 3) AS codec_s_0,
       ROUND(m.codec_s_1, 3) AS codec_s_1, ROUND(s.accuracy, 4) AS test_accuracy
FROM medians m JOIN summary s ON s.codec = m.codec JOIN medians f ON f.codec = 'none'
ORDER BY m.codec = 'none' DESC, m.codec
