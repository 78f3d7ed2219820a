-- bench/sync_throughput.toml's figure (docs/performance.md, "Data parallel"): per model, the median samples per
-- second of its repeats on 1 rank (`single`) and on 2 ranks (`sync`), their ratio, and the mean test accuracy.
WITH runs_done AS (
  SELECT r.model, r.ranks, 60000.0 * r.epochs / r.train_time_s AS samples_per_s, r.test_accuracy, r.comm_time_s
  FROM runs r JOIN sweeps s ON s.id = r.sweep_id
  WHERE s.name = 'sync_throughput' AND r.status = 'done' AND r.in_plan = 1),
ranked AS (
  SELECT *, ROW_NUMBER() OVER (PARTITION BY model, ranks ORDER BY samples_per_s) AS k,
         COUNT(*) OVER (PARTITION BY model, ranks) AS n
  FROM runs_done),
medians AS (
  SELECT model, ranks, AVG(samples_per_s) AS samples_per_s FROM ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2)
  GROUP BY model, ranks),
summary AS (
  SELECT model, ranks, COUNT(*) AS repeats, MIN(samples_per_s) AS lowest, MAX(samples_per_s) AS highest,
         AVG(test_accuracy) AS accuracy, AVG(comm_time_s) AS comm_time_s
  FROM runs_done GROUP BY model, ranks)
SELECT one.model, s1.repeats, CAST(ROUND(one.samples_per_s) AS INTEGER) AS one_rank_median,
       CAST(ROUND(two.samples_per_s) AS INTEGER) AS two_ranks_median,
       ROUND(two.samples_per_s / one.samples_per_s, 2) AS ratio,
       CAST(ROUND(s2.lowest) AS INTEGER) || '-' || CAST(ROUND(s2.highest) AS INTEGER) AS two_ranks_range, ROUND(s1.accuracy, 4) AS one_rank_accuracy,
       ROUND(s2.accuracy, 4) AS two_ranks_accuracy, ROUND(s2.comm_time_s, 3) AS exposed_comm_s
FROM medians one JOIN medians two ON two.model = one.model AND one.ranks = 1 AND two.ranks = 2
JOIN summary s1 ON s1.model = one.model AND s1.ranks = 1 JOIN summary s2 ON s2.model = one.model AND s2.ranks = 2
ORDER BY one.model
