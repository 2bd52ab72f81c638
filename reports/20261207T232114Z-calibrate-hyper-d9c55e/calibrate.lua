-- Seeded ids at random, as the harness's Goose driver asks for them.
math.randomseed(7)
request = function()
  return wrk.format("GET", "/accounts/" .. math.random(10000, 10099))
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "footprint-calibrate requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d mean_us=%d errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, latency.mean,
    e.connect + e.read + e.write + e.status + e.timeout))
end
